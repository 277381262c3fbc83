"""Accounting identities, each checked against something computed outside the model.

- no policy = baseline: the base-year tables (trade.csv, domestic.csv) grown at each
  region's rate (growth.csv);
- 2024 reproduces the base year: trade.csv cell by cell, read from the tidy trade frame;
- tariff revenue = rate × dutiable value: rates from the scenario's entries, computed by hand
  (day weights, add/set, exemptions, end dates, withdrawn threats), values from the frame;
- exempt AI hardware pays the base rate: the scenario's capex path and import content with
  the 2024 origin shares of AI hardware (ai_hardware_origins.csv, read with pandas);
- every flow is one region's export and its partner's import: export rows matched to import
  rows by key; macro totals equal the trade frame's sums by sector kind (sectors.csv);
- GDP = absorption + net exports, saving − investment = net exports (as changes against a
  no-policy twin): GDP, absorption and balance columns, and the scenario's capex path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from independent import (
    BN,
    DATA,
    assert_close,
    assert_revenue_follows_the_schedule,
    cube,
    growth_path,
    interpolated,
    macro,
    off_diagonal,
    run,
    scheduled_rates,
    spec_of,
    tables,
)

from simulator import run_scenario
from simulator.api import build_model
from simulator.scenario import load_scenario

T = tables()
US, CHN = T.r("USA"), T.r("CHN")
ALL_ON: dict = {}  # the schema's defaults: every mechanism on


def baseline_by_hand(n_months: int) -> np.ndarray:
    """Base-year monthly flows grown at the destination's rate, ``[month, o, d, s]``."""
    return T.flows[None] / 12.0 * growth_path(n_months)[:, None, :, None]


@pytest.mark.parametrize("firms", [0, 2000])
def test_no_policy_stays_on_the_baseline_computed_from_the_tables(firms):
    result = run_scenario({"name": "calm", "end": "2025-12", "firms": {"count": firms}})
    expected = baseline_by_hand(24)
    assert_close(cube(result), off_diagonal(expected), rel=1e-9, abs=1e-12)
    grow = growth_path(24)
    for r, code in enumerate(T.regions):
        assert macro(result, code, "gdp") / BN == pytest.approx(T.gdp[r] / 12 * grow[:, r])
        revenue = (off_diagonal(expected)[:, :, r] * T.tariff[:, r]).sum(axis=(1, 2))
        assert macro(result, code, "tariff_revenue") / BN == pytest.approx(revenue, rel=1e-9)
        assert macro(result, code, "exchange_rate") == pytest.approx(1.0)
        assert macro(result, code, "producer_price_index") == pytest.approx(1.0)


def test_the_bundled_baseline_is_the_no_policy_path():
    result = run_scenario("baseline", overrides=["end=2025-12"])
    assert_close(cube(result), off_diagonal(baseline_by_hand(24)), rel=1e-9)


def test_2024_in_the_trade_frame_reproduces_trade_csv():
    result = run_scenario("baseline", overrides=["end=2024-12", "firms.count=0"])
    trade = result.trade
    imports = trade[trade.flow == "import"]
    table = imports.groupby(["partner", "reporter", "sector"], observed=True).value_usd.sum()
    published = pd.read_csv(DATA / "trade.csv")
    keys = zip(published.exporter, published.importer, published.sector, strict=True)
    simulated = table.loc[list(keys)]
    # 2024's months average the base year up to the convexity of the growth path
    year_factor = growth_path(12).mean(axis=0)[[T.r(d) for d in published.importer]]
    expected = published.value_usd_bn * year_factor
    assert simulated.to_numpy() / BN == pytest.approx(expected, rel=1e-9)
    assert year_factor == pytest.approx(1.0, abs=5e-4)


TARIFFS = [
    {"imposer": "USA", "partners": ["CHN"], "rate": 30, "announced": "2024-11-15",
     "effective": "2025-02-04"},
    {"imposer": "USA", "sectors": ["steel", "aluminium"], "rate": 50, "mode": "set",
     "effective": "2025-06-04", "exempt_partners": ["CAN"]},
    {"imposer": "USA", "partners": ["EU", "JPN"], "rate": 15, "effective": "2025-08-07",
     "end": "2026-03-20", "exempt_sectors": ["pharma", "aircraft"]},
    {"imposer": "USA", "partners": ["MEX"], "rate": 25, "announced": "2025-02-01",
     "effective": "2025-04-01", "cancelled": "2025-03-15"},
    {"imposer": "EU", "partners": ["USA"], "sectors": ["beverages", "motorcycles"], "rate": 25,
     "effective": "2025-05-16"},
]  # fmt: skip


def test_tariff_revenue_is_the_scheduled_rate_times_the_dutiable_value():
    """With every mechanism but retaliation and AI capex on: partial months, 'set', exemptions,
    an end date and a withdrawn threat, each region's revenue is rate × value from the frames."""
    switched_on = {k: True for k in ["pass_through", "diversion", "switching_frictions",
                   "capacity", "front_loading", "dollar", "macro", "growth"]}  # fmt: skip
    result = run(switched_on, tariffs=TARIFFS, end="2026-06")
    rates = scheduled_rates(TARIFFS, 30)
    flows = cube(result)
    for r, code in enumerate(T.regions):
        expected = (flows[:, :, r] * rates[:, :, r]).sum(axis=(1, 2))
        assert macro(result, code, "tariff_revenue") / BN == pytest.approx(expected, rel=1e-9)
        goods = flows[:, :, r][:, :, T.goods].sum(axis=(1, 2))
        rate = macro(result, code, "effective_tariff_rate")
        assert rate == pytest.approx(expected / goods, rel=1e-9)
    assert assert_revenue_follows_the_schedule(result) > 50
    # each government agent's own record (the Mesa model of the same scenario): last month's
    # duties on its imports (not its exports)
    model = build_model(load_scenario(spec_of(switched_on, tariffs=TARIFFS, end="2026-06")))
    model.run()
    for r, government in enumerate(model.governments):
        last = (flows[-1, :, r] * rates[-1, :, r]).sum()
        assert government.tariff_revenue == pytest.approx(last, rel=1e-9)
    assert model.governments[US].tariff_revenue > 10.0  # $bn a month in mid-2026
    # the annual effective rate: a year's revenue over the year's goods imports (not services)
    for year, first in ((2024, 0), (2025, 12)):
        months = slice(first, first + 12)
        revenue = (flows[months, :, US] * rates[months, :, US]).sum()
        goods = flows[months, :, US][:, :, T.goods].sum()
        annual = result.annual("USA").loc[year, "effective_tariff_rate"]
        assert annual == pytest.approx(revenue / goods, rel=1e-9)
    # the withdrawn threat never applied; the steel rate replaced the base rate
    metals = [T.s("steel"), T.s("aluminium")]
    others = np.delete(np.arange(len(T.sectors)), metals)
    assert rates[-1, T.r("MEX"), US, others] == pytest.approx(T.tariff[T.r("MEX"), US, others])
    assert rates[20, CHN, US, T.s("steel")] == pytest.approx(0.5)


def test_exempt_ai_hardware_pays_the_base_rate_on_its_own_imports():
    capex = {"path": {"2025-01": 5.0, "2025-07": 17.0}, "import_content": 0.6}
    tariffs = [{"imposer": "USA", "rate": 20, "effective": "2025-01-01"}]
    result = run({"ai_capex": True, "diversion": True, "macro": True}, tariffs=tariffs,
                 shocks={"ai_capex": capex})  # fmt: skip
    cs = T.s("computers_semis")
    spend = interpolated(capex["path"], 36)
    origin = T.ai_origin  # no origin_shares: the 2024 origins of AI hardware (the data table)
    exempt = spend[:, None] * 0.6 * origin[None] / (1 + T.tariff[:, US, cs])[None]
    rates = scheduled_rates(tariffs, 36)
    flows = cube(result)
    dutiable = flows[:, :, US].copy()
    dutiable[:, :, cs] -= exempt
    expected = (dutiable * rates[:, :, US]).sum(axis=(1, 2)) + (exempt * T.tariff[:, US, cs]).sum(1)
    assert macro(result, "USA", "tariff_revenue") / BN == pytest.approx(expected, rel=1e-9)
    assert macro(result, "USA", "investment_change") / BN == pytest.approx(spend)
    assert exempt[-1].sum() > 5.0  # $10bn of hardware at the end: a visible exemption


def test_a_groups_ai_capex_share_is_split_by_its_members_base_year_imports():
    """An origin share given for a group (EU) goes to its members in proportion to what each
    sold the US of the hardware sector in 2024 (trade.csv), not equally."""
    shares = {"EU": 0.5, "MEX": 0.3, "TWN": 0.2}
    capex = {"path": {"2025-01": 5.0, "2025-07": 17.0}, "import_content": 0.6,
             "origin_shares": shares}  # fmt: skip
    result = run({"ai_capex": True}, end="2025-12", shocks={"ai_capex": capex})
    cs = T.s("computers_semis")
    members = T.rs("EU")
    assert len(members) == 3
    origin = np.zeros(len(T.regions))
    sold = T.flows[members, US, cs]
    origin[members] = 0.5 * sold / sold.sum()
    origin[T.r("MEX")], origin[T.r("TWN")] = 0.3, 0.2
    assert np.ptp(origin[members]) > 0.05  # far from an equal split
    spend = interpolated(capex["path"], 24)
    exempt = spend[:, None] * 0.6 * origin[None] / (1 + T.tariff[:, US, cs])[None]
    hardware = result.model.exempt_flows[:, :, US, cs].copy()
    hardware[:, US] = 0.0  # the domestic part
    assert_close(hardware, exempt, rel=1e-12, abs=1e-12)


def test_every_flow_is_one_regions_export_and_its_partners_import():
    result = run({"diversion": True}, tariffs=TARIFFS[:1], end="2025-06")
    trade = result.trade.astype({"reporter": str, "partner": str, "sector": str})
    keys = ["month", "exporter", "importer", "sector"]
    exports = trade[trade.flow == "export"].rename(
        columns={"reporter": "exporter", "partner": "importer"}
    )
    imports = trade[trade.flow == "import"].rename(
        columns={"reporter": "importer", "partner": "exporter"}
    )
    matched = exports.merge(imports, on=keys, suffixes=("_x", "_m"), validate="one_to_one")
    assert len(matched) == len(exports) == len(imports) > 0
    assert np.array_equal(matched.value_usd_x, matched.value_usd_m)
    assert (trade.reporter != trade.partner).all()
    # macro's totals are the trade frame's, split by the sector kinds of sectors.csv
    goods = {s for s, g in zip(T.sectors, T.goods, strict=True) if g}
    kind = np.where(trade.sector.isin(goods), "goods", "services")
    sums = trade.groupby(["month", "reporter", "flow", kind]).value_usd.sum()
    frame = result.macro.astype({"region": str}).set_index(["month", "region"])
    for flow in ["export", "import"]:
        for k in ["goods", "services"]:
            column = f"{k}_{flow}s"
            table = sums.xs((flow, k), level=(2, 3)).reindex(frame.index, fill_value=0.0)
            assert frame[column].to_numpy() == pytest.approx(table.to_numpy(), rel=1e-12)
    us = frame.xs("USA", level="region")
    assert us.balance.to_numpy() == pytest.approx((us.exports - us.imports).to_numpy())


def test_gdp_and_saving_investment_follow_their_definitions():
    """Against a no-policy twin: dY = dC+G + I + dNX with C+G = f × (Ybar − NXbar), f the
    ratio of absorption; and S − I = NX, so dS = dY − d(C+G)."""
    capex = {"path": {"2025-01": 4.0, "2026-01": 12.0}, "import_content": 0.5}
    mech = {"diversion": True, "macro": True, "ai_capex": True, "capacity": True,
            "switching_frictions": True, "growth": True}  # fmt: skip
    policy = run(mech, tariffs=TARIFFS, shocks={"ai_capex": capex})
    calm = run(mech)
    capex_path = interpolated(capex["path"], 36)
    grow = growth_path(36)
    for r, code in enumerate(T.regions):
        gdp_b = macro(calm, code, "gdp") / BN
        assert gdp_b == pytest.approx(T.gdp[r] / 12 * grow[:, r])
        nx_b = macro(calm, code, "balance") / BN
        factor = macro(policy, code, "absorption") / macro(calm, code, "absorption")
        investment = capex_path if code == "USA" else np.zeros(36)
        d_nx = macro(policy, code, "balance") / BN - nx_b
        d_gdp = macro(policy, code, "gdp") / BN - gdp_b
        consumption = (factor - 1) * (gdp_b - nx_b)
        assert d_gdp == pytest.approx(consumption + investment + d_nx, abs=1e-9)
        assert macro(policy, code, "net_exports_change") / BN == pytest.approx(d_nx, abs=1e-9)
        assert macro(policy, code, "investment_change") / BN == pytest.approx(investment)
        saving = macro(policy, code, "saving_change") / BN
        assert saving == pytest.approx(d_gdp - consumption, abs=1e-9)
    assert abs(macro(policy, "USA", "net_exports_change")[-1]) > 1e9  # a real change


def test_net_exports_contribution_is_the_annualised_quarterly_change_over_gdp():
    """Nowcast style: ((NX_q - NX_{q-1}) / GDP_{q-1}) × 400, quarterly sums, in the last month of
    each complete quarter (recomputed here from the balance and GDP columns)."""
    result = run({"diversion": True, "macro": True}, tariffs=TARIFFS[:1])
    frame = result.macro[result.macro.region == "USA"]
    quarters = frame.month.dt.year * 4 + (frame.month.dt.month - 1) // 3
    nx = frame.groupby(quarters.to_numpy()).balance.sum().to_numpy()
    gdp = frame.groupby(quarters.to_numpy()).gdp.sum().to_numpy()
    expected = (nx[1:] - nx[:-1]) / gdp[:-1] * 400.0
    reported = frame.nx_contribution_pp.to_numpy()
    assert reported[2::3][1:] == pytest.approx(expected, rel=1e-9)
    assert np.isnan(reported[2::3][0]) and np.isnan(np.delete(reported, np.s_[2::3])).all()
    assert expected.max() > 0.5  # the China tariff cuts imports: a visible contribution
