"""Where the AI-capex shock buys its hardware (docs/mechanisms.md §6).

Without ``origin_shares`` the shock buys in the 2024 origins of US imports of AI-related
products in the computers_semis headings (simulator/data/base_2024/ai_hardware_origins.csv,
derived by data-raw/base_2024/ai_origins.py from Census 2024 imports of the lines Waugh's
"Trade in AI-Related Products", Minneapolis Fed Staff Report 684, classes as AI-related).
Each check compares with the table read with pandas (tests/independent.py), not with the
model's reader.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from independent import DATA, assert_close, interpolated, run, tables

from simulator.calibration.dataset import load_dataset
from simulator.policy.shocks import ai_origin_shares
from simulator.scenario import bundled_scenarios
from simulator.scenario.schema import AICapex

T = tables()
US, CS = T.r("USA"), T.s("computers_semis")
CAPEX = {"path": {"2025-01": 5.0, "2025-07": 17.0}, "import_content": 0.6}


def table() -> pd.DataFrame:
    return pd.read_csv(DATA / "ai_hardware_origins.csv")


def test_every_basis_sums_to_one_over_foreign_origins_and_every_row_is_sourced():
    t = table()
    assert set(t.basis) == {"ai_related_in_sector", "ai_related", "compute_hardware"}
    for _, rows in t.groupby("basis"):
        assert rows.share.sum() == pytest.approx(1.0, abs=1e-5)
        assert rows.origin.is_unique and "USA" not in set(rows.origin)
        assert set(rows.origin) == set(T.regions) - {"USA"}
    assert (t.source.str.len() > 100).all()
    assert t.source.str.contains("Census").all() and t.source.str.contains("Waugh").all()
    # the model's basis is the one of its sector; the others span sectors ('*')
    assert set(t[t.sector != "*"].basis) == {"ai_related_in_sector"}


def test_the_all_lines_basis_reproduces_waughs_published_2024_shares_up_to_his_total():
    """Waugh's 2024 shares (code/08-section2-countries.ipynb @ 1d524b0: Mexico 25.12,
    Taiwan 17.43, China 11.78, Vietnam 6.69 %) are of the sum over the countries in his
    download; ours are of all countries. The same values give one common ratio."""
    t = table().query("basis == 'ai_related'").set_index("origin").share * 100
    waugh = {"MEX": 25.12, "TWN": 17.43, "CHN": 11.78, "VNM": 6.69}
    ratios = np.array([waugh[c] / t[c] for c in waugh])
    assert np.ptp(ratios) / ratios.min() < 0.002  # the printed figures have 4 digits
    assert 1.0 < ratios.mean() < 1.1  # his total is a part of all countries'


def test_default_origin_shares_sum_to_one_and_match_the_data_table():
    data = load_dataset()
    shares = ai_origin_shares(AICapex(**CAPEX), data)
    assert shares.sum() == pytest.approx(1.0, abs=1e-12) and shares[US] == 0.0
    assert_close(shares, T.ai_origin, rel=1e-9, abs=1e-12)
    # and the model buys in them: a run's exempt hardware by origin
    result = run({"ai_capex": True}, end="2025-12", shocks={"ai_capex": CAPEX})
    spend = interpolated(CAPEX["path"], 24)
    expected = spend[:, None] * 0.6 * T.ai_origin[None] / (1 + T.tariff[:, US, CS])[None]
    hardware = result.model.exempt_flows[:, :, US, CS].copy()
    hardware[:, US] = 0.0  # the domestic part
    assert_close(hardware, expected, rel=1e-12, abs=1e-12)


def test_without_shares_ai_hardware_comes_from_taiwan_and_mexico_not_china():
    """Direction and size: Taiwan and Mexico sold 61 % of the AI hardware the US imported in
    2024 and China 4 %, against 46 % and 22 % of the whole sector (trade.csv)."""
    result = run({"ai_capex": True}, end="2025-12", shocks={"ai_capex": CAPEX})
    bought = result.model.exempt_flows[-1, :, US, CS] * (1 + T.tariff[:, US, CS])  # landed
    bought[US] = 0.0
    share = bought / bought.sum()
    twn, mex, chn = share[T.r("TWN")], share[T.r("MEX")], share[T.r("CHN")]
    assert twn > mex > 5 * chn
    assert twn == pytest.approx(0.3303, abs=5e-4) and mex == pytest.approx(0.2803, abs=5e-4)
    assert chn == pytest.approx(0.0416, abs=5e-4)
    sector = T.flows[:, US, CS].copy()
    sector[US] = 0.0
    sector /= sector.sum()
    assert sector[T.r("CHN")] > 0.2 and chn < sector[T.r("CHN")] / 4
    assert twn + mex > sector[T.r("TWN")] + sector[T.r("MEX")] + 0.1


def test_shares_given_in_the_scenario_replace_the_data_default():
    capex = {**CAPEX, "origin_shares": {"CHN": 0.5, "KOR": 0.5}}
    shares = ai_origin_shares(AICapex(**capex), load_dataset())
    expected = np.zeros(len(T.regions))
    expected[[T.r("CHN"), T.r("KOR")]] = 0.5
    assert_close(shares, expected, rel=1e-12, abs=1e-12)


def test_merged_regions_add_their_shares_and_other_importers_use_the_whole_sector():
    data = load_dataset().aggregate(["USA", "CHN", "EU", "MEX", "TWN"])
    shares = ai_origin_shares(AICapex(**CAPEX), data)
    t = table().query("basis == 'ai_related_in_sector'").set_index("origin").share
    assert shares.sum() == pytest.approx(1.0, abs=1e-9)
    assert shares[data.region_index("EU")] == pytest.approx(t[["DEU", "IRL", "EU_OTHER"]].sum())
    rest = t.drop(["CHN", "DEU", "IRL", "EU_OTHER", "MEX", "TWN"]).sum()
    assert shares[data.region_index("ROW")] == pytest.approx(rest, rel=1e-5)
    # the table covers US purchases only: China's AI capex buys in its sector imports
    china = ai_origin_shares(AICapex(**CAPEX, region="CHN"), load_dataset())
    imports = T.flows[:, T.r("CHN"), CS].copy()
    imports[T.r("CHN")] = 0.0
    assert_close(china, imports / imports.sum(), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["ai_capex_boom", "us_2025"])
def test_bundled_scenarios_take_the_2024_data_not_2025_shares(name):
    spec = yaml.safe_load(bundled_scenarios()[name].read_text(encoding="utf-8"))
    assert "origin_shares" not in (spec.get("shocks", {}).get("ai_capex") or {})
