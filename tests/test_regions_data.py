"""CHE and GBR carved out of ROW: sourced US flows, and merging them back changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import run_scenario
from simulator.calibration.dataset import load_dataset

# Census basis, 2024 ($ bn): exports, imports (docs/data-sources.md, region_split.csv)
CENSUS_2024 = {"CHE": (24.962, 63.4253), "GBR": (79.9413, 68.0845)}
OLD_REGIONS = ["USA", "CHN", "EU", "MEX", "CAN", "VNM", "JPN", "KOR", "TWN", "IND"]


@pytest.mark.parametrize("partner", sorted(CENSUS_2024))
def test_the_base_year_holds_the_census_flows_with_the_new_partners(partner):
    data = load_dataset()
    us, p = data.region_index("USA"), data.region_index(partner)
    goods = data.goods_mask
    exports, imports = CENSUS_2024[partner]
    assert data.flows[us, p, goods].sum() == pytest.approx(exports, rel=1e-3)
    assert data.flows[p, us, goods].sum() == pytest.approx(imports, rel=1e-3)


def test_merging_che_and_gbr_back_gives_a_row_with_their_flows():
    data = load_dataset()
    merged = data.aggregate(OLD_REGIONS)
    assert merged.regions == (*OLD_REGIONS, "ROW")
    carved = [data.region_index(r) for r in ("CHE", "GBR", "ROW")]
    row = merged.region_index("ROW")
    us = data.region_index("USA")
    assert merged.flows[row, us] == pytest.approx(data.flows[carved, us].sum(axis=0))
    assert merged.flows[row, row] == pytest.approx(
        data.flows[np.ix_(carved, carved)].sum(axis=(0, 1))
    )
    assert merged.gdp[row] == pytest.approx(data.gdp[carved].sum())
    # the carved-out regions pay and levy ROW's base rates, so the merged rates are ROW's
    rest = data.region_index("ROW")
    assert merged.base_tariff[row, us] == pytest.approx(data.base_tariff[rest, us])


@pytest.fixture(scope="module")
def baseline():
    return run_scenario("baseline", overrides=["firms.count=0"])


@pytest.mark.parametrize("partner", sorted(CENSUS_2024))
def test_the_baseline_reproduces_the_census_balance_with_the_new_partners(baseline, partner):
    balance = baseline.bilateral("USA")[partner]
    year = balance[balance.index.year == 2024].sum() / 1e9
    exports, imports = CENSUS_2024[partner]
    assert year == pytest.approx(exports - imports, rel=1e-3)


def test_a_merged_run_keeps_the_us_totals_of_the_full_run(baseline):
    merged = run_scenario(
        "baseline", overrides=["firms.count=0", "regions=[" + ", ".join(OLD_REGIONS) + "]"]
    )
    full = baseline.annual().loc[2024]
    small = merged.annual().loc[2024]
    for series in ("goods_exports", "goods_imports", "balance"):
        assert small[series] == pytest.approx(full[series], rel=1e-3)
