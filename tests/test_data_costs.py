"""What tariffs cost, the data: input-output coefficients, consumption, households, revenue.

Each check is computed here from the bundled CSVs or the raw inputs, independently of the
loader where it can be, so a wrong axis, unit, weight or sign in the tables or in
``read_dataset``/``aggregate`` fails a test.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import synthetic_data

from simulator.calibration.dataset import DataError, load_dataset, read_dataset

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "simulator" / "data" / "base_2024"
RAW = REPO / "data-raw" / "base_2024" / "costs"
PCE_2024_USD_BN = 19896.009  # BEA summary use table 2024, column F010 total (data-raw/.../costs.py)


@pytest.fixture(scope="module")
def data():
    return load_dataset("base_2024")


def test_shapes_signs_and_sums(data):
    n_r, n_s = data.n_regions, data.n_sectors
    a = data.input_coefficients
    assert a.shape == (n_r, n_s, n_s)
    assert np.all(a >= 0)
    total = a.sum(axis=1)  # per region and using sector
    assert np.all(total < 1) and np.all(total > 0.2), total.min()
    assert data.consumption_share.shape == (n_r, n_s)
    np.testing.assert_allclose(data.consumption_share.sum(axis=1), 1.0, atol=1e-9)
    m = data.margin_share
    assert m.shape == (n_r, n_s) and np.all(m >= 0) and np.all(m < 1)
    s = data.sectors.index
    # retail and wholesale margins are large on consumer goods, nil on services
    assert m[0, s("consumer_goods")] > 0.4 and m[0, s("autos")] > 0.3
    assert m[0, s("other_services")] < 0.02


def test_us_coefficients_are_the_bea_use_table_over_output(data):
    use = pd.read_csv(RAW / "us_use_2017.csv")
    out = pd.read_csv(RAW / "us_output_2017.csv").set_index("sector").output_usd_m
    a = data.input_coefficients[data.region_index("USA")]
    s = data.sectors.index
    for i, j in [
        ("steel", "autos"),
        ("computers_semis", "machinery"),
        ("energy", "other_services"),
    ]:
        row = use[(use.input_sector == i) & (use.using_sector == j)]
        expect = (row.domestic_usd_m + row.imported_usd_m).sum() / out[j]
        assert a[s(i), s(j)] == pytest.approx(expect, abs=1e-6)
    # a car maker buys more steel than a software house, an airline more fuel than a bank
    assert a[s("steel"), s("autos")] > 10 * a[s("steel"), s("digital_services")]
    assert a[s("autos"), s("autos")] > 0.15  # parts into vehicles


def test_about_half_of_us_goods_imports_are_intermediate_inputs(data):
    """Coefficients x base-year output x import share of absorption, capped at imports.

    Published: about half of US goods imports are intermediate inputs (issue 21). BEA's 2017
    import matrix (after redefinitions) gives 1.09 of the 2.15 trillion $ of imported goods used
    at home to intermediate use (0.51; data-raw/base_2024/costs/us_use_2017.csv and the repository's
    bea_commodity_use_totals.csv)."""
    u = data.region_index("USA")
    goods = data.goods_mask
    output = data.flows[u].sum(axis=0)
    domestic = data.flows[u, u]
    imports = data.flows[:, u].sum(axis=0) - domestic
    intermediate = data.input_coefficients[u] @ output
    imported = np.minimum(imports / (imports + domestic) * intermediate, imports)
    share = imported[goods].sum() / imports[goods].sum()
    assert 0.38 <= share <= 0.62, share


def test_consumption_shares_are_the_pce_bridge_reweighted(data):
    """Independent: the 2017 bridge's split of each PCE function x BLS's 2023 function values."""
    dist = pd.read_csv(RAW / "bls_distributional_pce_2023.csv").set_index("group")
    bridge = pd.read_csv(RAW / "us_pce_2017_groups.csv")
    comp = bridge.groupby(["group", "sector"]).purchasers_usd_m.sum()
    comp = comp / comp.groupby(level=0).transform("sum")
    value = (
        (comp * dist.pce_2023_usd_bn.reindex(comp.index.get_level_values(0)).to_numpy())
        .groupby(level=1)
        .sum()
    )
    expect = (value / value.sum()).reindex(list(data.sectors)).fillna(0.0).to_numpy()
    np.testing.assert_allclose(data.consumption_share[data.region_index("USA")], expect, atol=2e-6)
    share = dict(zip(data.sectors, data.consumption_share[0], strict=True))
    assert 0.55 < share["other_services"] < 0.75  # services dominate household spending
    assert 0.20 < 1 - share["other_services"] - share["digital_services"] < 0.40  # goods


def test_households_add_up_to_pce_less_npish(data):
    h = data.households
    assert h.region == "USA" and h.labels == tuple(str(d) for d in range(1, 11))
    assert h.count.shape == (10,) and h.spending.shape == (10, data.n_sectors)
    assert np.all(np.diff(h.income) > 0) and np.all(np.diff(h.spending.sum(axis=1)) > 0)
    assert h.count.sum() == pytest.approx(135.94e6, rel=1e-3)  # CE 2024: 10 x 13,594 thousand
    total = h.total_spending()  # US$ bn by sector
    dist = pd.read_csv(RAW / "bls_distributional_pce_2023.csv")
    npish = dist.loc[dist.group == 22, "pce_2023_usd_bn"].sum() / dist.pce_2023_usd_bn.sum()
    assert total.sum() == pytest.approx(PCE_2024_USD_BN * (1 - npish), rel=1e-6)
    # goods are bought by households only: each goods sector equals its PCE exactly
    pce = data.consumption_share[data.region_index("USA")] * PCE_2024_USD_BN
    goods = data.goods_mask & (pce > 1.0)
    np.testing.assert_allclose(total[goods], pce[goods], rtol=0.01)
    # the top decile spends most, the bottom least, on every large goods sector
    s = data.sectors.index
    for sector in ["autos", "consumer_goods", "agriculture"]:
        assert h.spending[9, s(sector)] > h.spending[0, s(sector)]


def test_household_incomes_follow_the_ce_table(data):
    ce = pd.read_csv(RAW / "ce_2024_deciles.csv")
    expect = (ce.income_before_taxes_usd * (1 - ce.personal_tax_rate)).round(0).to_numpy()
    np.testing.assert_allclose(data.households.income, expect)
    assert ce.income_before_taxes_usd.iloc[8] == 182587  # FRED CXUINCBFTAXLB1510M, 2024
    mean_rate = (ce.income_before_taxes_usd * ce.personal_tax_rate).sum() / (
        ce.income_before_taxes_usd.sum()
    )
    assert 0.09 < mean_rate < 0.14  # CE all units 2022: 1 - 83,195 / 94,003 = 0.115


def test_every_region_collects_what_its_government_reports(data):
    """Rate x base-year value over origins and sectors, within 25% of the collected duties."""
    table = pd.read_csv(BUNDLED / "customs_revenue.csv")
    assert table.source.str.len().gt(20).all()
    duty = data.flows * data.base_tariff
    members = set()
    for row in table.itertuples(index=False):
        idx = data.region_indices(row.region)
        outside = [o for o in range(data.n_regions) if o not in idx]
        modelled = duty[np.ix_(outside, idx)].sum()
        assert modelled == pytest.approx(row.collected_usd_bn, rel=0.25), row.region
        assert row.low_usd_bn <= row.collected_usd_bn <= row.high_usd_bn, row.region
        members |= {data.regions[i] for i in idx}
    assert members == set(data.regions) - {"USA"}
    us = data.region_index("USA")
    assert duty[:, us].sum() == pytest.approx(79.0, rel=0.10)  # Treasury MTS 2024, unchanged
    # before: China 151.8 and the UK 59.3 (issue 21); now what they collected
    china = table.set_index("region").loc["CHN"]
    assert china.modelled_before_usd_bn == pytest.approx(151.8, abs=0.1)
    assert china.collected_usd_bn == pytest.approx(244.3 * 0.13908, rel=1e-3)


def test_collection_factors_leave_the_base_flows_alone(data):
    trade = pd.read_csv(BUNDLED / "trade.csv")
    assert trade.value_usd_bn.sum() == pytest.approx(
        data.flows.sum() - np.trace(data.flows, axis1=0, axis2=1).sum(), rel=1e-12
    )
    tariffs = pd.read_csv(BUNDLED / "base_tariffs.csv")
    scaled = tariffs[tariffs.source.str.startswith("effective rate =")]
    assert set(scaled.imposer) == set(data.regions) - {"USA"}
    assert not (tariffs.imposer == "USA").loc[scaled.index].any()


def test_regions_merge_by_output_and_consumption(data):
    merged = data.aggregate(["USA", "CHN"])
    assert merged.regions == ("USA", "CHN", "ROW")
    rest = [i for i, r in enumerate(data.regions) if r not in ("USA", "CHN")]
    output = data.flows.sum(axis=1)  # [region, sector]
    used = (data.input_coefficients * output[:, None, :])[rest].sum(axis=0)
    expect = used / output[rest].sum(axis=0)[None, :]
    np.testing.assert_allclose(merged.input_coefficients[2], expect, rtol=1e-12)
    np.testing.assert_allclose(merged.input_coefficients[0], data.input_coefficients[0])
    spend = (data.consumption_share * data.gdp[:, None])[rest].sum(axis=0)
    np.testing.assert_allclose(merged.consumption_share[2], spend / spend.sum(), rtol=1e-12)
    assert merged.households is data.households  # the US is kept alone
    assert data.aggregate(["CHN", "EU"]).households is None  # the US merged into ROW
    eu = data.aggregate(["USA", "EU"])
    assert eu.input_coefficients.shape == (3, data.n_sectors, data.n_sectors)


def test_sectors_merge_by_output(data):
    merged = data.aggregate(None, ["steel", "autos"])
    keep = list(merged.sectors)
    assert keep == ["steel", "autos", "other_goods", "other_services"]
    output = data.flows.sum(axis=1)
    used = data.input_coefficients * output[:, None, :]
    # value of all inputs into autos is unchanged; goods other than steel and autos pool
    np.testing.assert_allclose(
        merged.input_coefficients[:, :, 1].sum(axis=1), data.input_coefficients[:, :, 5].sum(axis=1)
    )
    assert used.sum() == pytest.approx(
        (merged.input_coefficients * merged.flows.sum(axis=1)[:, None, :]).sum(), rel=1e-12
    )
    np.testing.assert_allclose(merged.consumption_share.sum(axis=1), 1.0)
    h = merged.households
    np.testing.assert_allclose(h.total_spending().sum(), data.households.total_spending().sum())


def test_synthetic_data_sets_need_no_cost_tables():
    syn = synthetic_data()
    assert syn.input_coefficients is None and syn.households is None
    merged = syn.aggregate(["USA", "CHN"], ["steel"])
    assert merged.consumption_share is None and merged.margin_share is None


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    shutil.copytree(BUNDLED, folder)
    return folder


@pytest.mark.parametrize(
    ("table", "column", "value", "message"),
    [
        ("inputs.csv", "coefficient", "-0.1", "inputs.csv, row 6: coefficient"),
        ("inputs.csv", "coefficient", "abc", "inputs.csv, row 6: coefficient"),
        ("inputs.csv", "region", "XXX", "inputs.csv, row 6: unknown region"),
        ("consumption.csv", "share", "0.9", "consumption shares of USA sum to"),
        ("consumption.csv", "margin_share", "1.0", "consumption.csv, row 6: margin_share"),
        ("households.csv", "income_usd", "-5", "households.csv, row 6: income_usd"),
        (
            "household_spending.csv",
            "sector",
            "tea",
            "household_spending.csv, row 6: unknown sector",
        ),
        ("inputs.csv", "source", "", "inputs.csv, row 6: no source"),
    ],
)
def test_a_bad_value_names_its_file_and_row(tmp_path, table, column, value, message):
    folder = _copy(tmp_path)
    frame = pd.read_csv(folder / table, dtype=str, keep_default_na=False)
    frame.loc[4, column] = value
    frame.to_csv(folder / table, index=False)
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_dataset(folder)


def test_inputs_that_use_up_all_output_are_refused(tmp_path):
    folder = _copy(tmp_path)
    frame = pd.read_csv(folder / "inputs.csv")
    hit = (
        (frame.region == "CHN") & (frame.input_sector == "energy") & (frame.using_sector == "steel")
    )
    frame.loc[hit, "coefficient"] = 0.9
    frame.to_csv(folder / "inputs.csv", index=False)
    with pytest.raises(DataError, match="inputs of CHN steel sum to"):
        read_dataset(folder)


def test_households_come_with_their_spending(tmp_path):
    folder = _copy(tmp_path)
    (folder / "household_spending.csv").unlink()
    with pytest.raises(DataError, match="come together"):
        read_dataset(folder)
    for name in ["households.csv", "inputs.csv", "consumption.csv"]:
        (folder / name).unlink()
    plain = read_dataset(folder)
    assert plain.households is None and plain.input_coefficients is None
