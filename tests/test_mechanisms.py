"""Each channel in isolation, on the bundled 2024 data: direction and a plausible size."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.api import build_model
from simulator.model import TradeModel
from simulator.scenario import load_scenario

QUIET = {  # every channel off except the core: tariffs move relative prices
    "pass_through": False,
    "diversion": True,
    "switching_frictions": False,
    "exporter_exit": False,
    "capacity": False,
    "front_loading": False,
    "retaliation": False,
    "ai_capex": False,
    "dollar": False,
    "macro": False,
    "services": False,
    "growth": False,
    "supply_chains": False,
}


def model(mechanisms: dict | None = None, **fields) -> TradeModel:
    spec = {
        "name": "test",
        "start": "2024-01",
        "end": "2026-12",
        "firms": {"count": 0},
        "mechanisms": {**QUIET, **(mechanisms or {})},
        **fields,
    }
    m = build_model(load_scenario(spec))
    m.run()
    return m


def idx(m: TradeModel, code: str) -> int:
    return m.data.region_index(code)


def sec(m: TradeModel, code: str) -> int:
    return m.data.sector_index(code)


def imports_from(m: TradeModel, origin: str, dest: str = "USA") -> np.ndarray:
    """Goods imports from an origin (a group: its members together), monthly."""
    origins = m.data.region_indices(origin)
    return m.flows[:, origins, idx(m, dest)][..., m.data.goods_mask].sum(axis=(1, 2))


def total_imports(m: TradeModel, dest: str = "USA") -> np.ndarray:
    d = idx(m, dest)
    goods = m.flows[:, :, d][:, :, m.data.goods_mask].sum(axis=2)
    return goods.sum(axis=1) - goods[:, d]


CHINA_25 = {"imposer": "USA", "partners": ["CHN"], "rate": 25, "effective": "2025-01-01"}


def test_pass_through_splits_the_tariff_between_buyers_and_exporters():
    full = model(tariffs=[CHINA_25])
    half = model({"pass_through": True}, tariffs=[CHINA_25], parameters={"pass_through": 0.5})
    us, china, goods = idx(full, "USA"), idx(full, "CHN"), full.data.goods_mask
    # buyers see a smaller price rise, so they cut purchases from China by less
    assert imports_from(half, "CHN")[-1] > imports_from(full, "CHN")[-1]
    # the exporter's price (customs value per unit) falls by (1.25) ** (0.5 - 1), about 10.6%
    # of the tariff factor, and stays put with full pass-through
    tariff_factor = (1 + half.rates[-1, china, us, goods]) / (1 + half.tau0[china, us, goods])
    producer = half.prices[-1, china, goods]  # China's own price also falls with demand
    assert np.allclose(half.unit_values[-1, china, us, goods] / producer, tariff_factor**-0.5)
    assert np.allclose(full.unit_values[-1, china, us, goods], full.prices[-1, china, goods])
    # revenue is higher when exporters absorb part of it (the tax base shrinks less)
    assert half.revenue[-1, china, us].sum() > full.revenue[-1, china, us].sum()


def test_china_tariff_diverts_sourcing_gradually_toward_other_suppliers():
    fast = model(
        {"switching_frictions": True}, tariffs=[CHINA_25], parameters={"adjustment_speed": 0.2}
    )
    slow = model(
        {"switching_frictions": True}, tariffs=[CHINA_25], parameters={"adjustment_speed": 0.04}
    )
    before, end = 11, -1
    china = imports_from(fast, "CHN")
    assert china[end] < 0.85 * china[before]
    for partner in ["VNM", "MEX", "EU", "TWN"]:
        assert imports_from(fast, partner)[end] > imports_from(fast, partner)[before]
    fall_china = china[before] - china[end]
    fall_total = total_imports(fast)[before] - total_imports(fast)[end]
    assert 0 < fall_total < 0.6 * fall_china  # most of the lost Chinese trade is diverted
    # speed is set by the adjustment parameter: after six months the slow world lags
    gap_fast = china[before] - china[before + 6]
    gap_slow = imports_from(slow, "CHN")[before] - imports_from(slow, "CHN")[before + 6]
    assert gap_slow < 0.6 * gap_fast


def test_without_diversion_import_shares_across_foreign_origins_stay_fixed():
    m = model({"diversion": False}, tariffs=[CHINA_25])
    us = idx(m, "USA")
    s = sec(m, "machinery")
    landed = m.flows[:, :, us, s] * (1 + m.rates[:, :, us, s])
    foreign = np.delete(landed, us, axis=1)
    shares = foreign / foreign.sum(axis=1, keepdims=True)
    assert np.allclose(shares[-1], shares[0], atol=1e-9)
    assert imports_from(m, "CHN")[-1] < imports_from(m, "CHN")[0]


def test_domestic_output_rises_and_prices_rise_when_capacity_binds():
    autos = {"imposer": "USA", "sectors": ["autos"], "rate": 100, "effective": "2025-01-01"}
    flat = model(tariffs=[autos], parameters={"supply_elasticity": 1e6})
    capped = model({"capacity": True}, tariffs=[autos], parameters={"supply_elasticity": 1e6})
    us, a = idx(flat, "USA"), sec(flat, "autos")
    domestic = capped.flows[:, us, us, a] / capped.prices[:, us, a]
    assert domestic[-1] > 1.05 * domestic[0]
    assert capped.utilisation[us, a] > 1.0
    assert capped.prices[-1, us, a] > 1.02  # capacity binds: the price rises
    assert flat.prices[-1, us, a] == pytest.approx(1.0, abs=1e-3)


def test_front_loading_surge_before_and_dip_after_an_announced_increase():
    announced = {**CHINA_25, "effective": "2025-04-01", "announced": "2025-01-01"}
    surprise = {**CHINA_25, "effective": "2025-04-01"}
    # without switching frictions buyers source at today's prices and do not re-source ahead
    # of the increase, so only front-loading (at the default threat probability) tells the
    # runs apart
    on = {"front_loading": True}
    fl = imports_from(model(on, tariffs=[announced]), "CHN")
    no = imports_from(model(on, tariffs=[surprise]), "CHN")
    jan, apr = 12, 15
    assert np.all(fl[jan + 1 : apr] > no[jan + 1 : apr] * 1.03)  # the surge before
    assert fl[apr : apr + 3].sum() < no[apr : apr + 3].sum()  # the dip after
    window = slice(jan, apr + 12)
    assert fl[window].sum() == pytest.approx(no[window].sum(), rel=0.02)  # same total
    peak = (fl[jan:apr] / no[jan:apr]).max() - 1
    assert 0.05 < peak < 0.5  # a Q1-2025-style surge, bounded by storage


def test_a_withdrawn_threat_is_front_run_and_never_applies():
    threat = {
        **CHINA_25,
        "effective": "2025-06-01",
        "announced": "2025-02-01",
        "cancelled": "2025-06-01",
    }
    m = model({"front_loading": True}, tariffs=[threat])
    china = imports_from(m, "CHN")
    assert china[14] > china[12] * 1.03
    assert np.allclose(m.rates, m.tau0[None])


def test_retaliation_hits_targeted_us_exports_and_escalates_then_truces():
    rules = [
        {
            "imposer": "CHN",
            "target": "USA",
            "sectors": ["agriculture"],
            "rate": 25,
            "lag_months": 2,
            "rounds": 2,
        },
    ]
    tariffs = [CHINA_25, {**CHINA_25, "rate": 20, "effective": "2025-07-01"}]
    m = model({"retaliation": True}, tariffs=tariffs, retaliation=rules)
    us, china, agri = idx(m, "USA"), idx(m, "CHN"), sec(m, "agriculture")
    extra = m.rates[:, us, china, agri] - m.tau0[us, china, agri]
    assert extra[12] == 0 and extra[14] == pytest.approx(0.25)  # two months' lag
    assert extra[20] == pytest.approx(0.50)  # escalation answered: second round
    exports = m.flows[:, us, china, agri]
    assert exports[-1] < 0.7 * exports[11]
    # China buys agriculture elsewhere instead (diversion on the partner's side)
    others = m.flows[:, :, china, agri].sum(axis=1) - m.flows[:, us, china, agri]
    assert others[-1] > others[11]
    truce = model(
        {"retaliation": True}, tariffs=tariffs, retaliation=[{**rules[0], "truce": "2026-01-01"}]
    )
    assert truce.rates[-1, us, china, agri] == pytest.approx(m.tau0[us, china, agri])


def test_importers_front_run_a_retaliation_from_the_month_it_is_decided():
    """A retaliation is known when it is decided, not when a schedule announces it: China's
    buyers stock up on US farm goods in the months between its decision and its effect, also
    when no tariff is announced in the month of the decision."""
    rule = {"imposer": "CHN", "target": "USA", "sectors": ["agriculture"], "rate": 25}
    rule |= {"lag_months": 2, "rounds": 1}
    tariff = {**CHINA_25, "announced": "2024-06-01"}  # nothing new is announced in 2025-01
    on = model({"retaliation": True, "front_loading": True}, tariffs=[tariff], retaliation=[rule])
    off = model({"retaliation": True}, tariffs=[tariff], retaliation=[rule])
    us, china, agri = idx(on, "USA"), idx(on, "CHN"), sec(on, "agriculture")
    assert on.retaliation_revision == 1
    extra = on.rates[:, us, china, agri] - on.tau0[us, china, agri]
    assert extra[13] == 0 and extra[14] == pytest.approx(0.25)  # decided in 2025-01 (t = 12)
    stocked = on.flows[:, us, china, agri] / off.flows[:, us, china, agri]
    assert stocked[12] == pytest.approx(1.0, abs=0.01)  # orders of 2025-01 arrive a month later
    assert stocked[13] > 1.03  # ... at the old rate, ahead of the retaliation
    assert stocked[15] < 1.0  # and the stock is drawn down after it


def test_value_matching_retaliation_equals_the_duty_at_stake():
    rule = {
        "imposer": "EU",
        "target": "USA",
        "sectors": ["agriculture", "beverages"],
        "match": "value",
        "lag_months": 1,
    }
    steel = {"imposer": "USA", "sectors": ["steel"], "rate": 25, "effective": "2025-01-01"}
    m = model({"retaliation": True}, tariffs=[steel], retaliation=[rule])
    us, eu = idx(m, "USA"), m.data.region_indices("EU")  # the EU group: every member
    hit = [sec(m, "agriculture"), sec(m, "beverages")]
    st = sec(m, "steel")
    duty_at_stake = 0.25 * m.data.flows[eu, us, st].sum()
    rate = m.rates[-1, us, eu, hit[0]] - m.tau0[us, eu, hit[0]]
    assert rate == pytest.approx(rate[0])  # one rate, levied by every member
    exposed = m.data.flows[np.ix_([us], eu, hit)].sum()
    assert rate[0] * exposed == pytest.approx(duty_at_stake, rel=1e-6)


def test_ai_capex_raises_computer_imports_by_the_import_content():
    capex = {"path": {"2025-01": 10.0}, "import_content": 0.6, "tariff_exempt": True}
    flat = {"supply_elasticity": 1e6}
    base = model(parameters=flat)
    boom = model({"ai_capex": True}, shocks={"ai_capex": capex}, parameters=flat)
    us, cs = idx(base, "USA"), sec(base, "computers_semis")

    def cs_imports(m):
        f = m.flows[:, :, us, cs]
        return f.sum(axis=1) - f[:, us]

    extra = cs_imports(boom)[-1] - cs_imports(base)[-1]
    landed_per_customs = 1 + boom.tau0[:, us, cs].mean()
    assert extra == pytest.approx(6.0 / landed_per_customs, rel=0.03)  # $0.6 per $ of capex
    # with upward-sloping domestic supply, dearer US hardware pulls in a little more
    sloped = model({"ai_capex": True}, shocks={"ai_capex": capex})
    assert cs_imports(sloped)[-1] - cs_imports(model())[-1] > extra


def test_capital_inflows_appreciate_the_dollar_exports_fall_imports_rise():
    inflow = {"capital_inflows": [{"start": "2025-01", "usd_bn_per_month": 50}]}
    base = model({"dollar": True, "switching_frictions": True})
    strong = model({"dollar": True, "switching_frictions": True}, shocks=inflow)
    us = idx(base, "USA")
    assert np.all(strong.fx_path[-1, np.arange(len(base.data.regions)) != us] < 0.99)
    exports = lambda m: m.flows[:, us].sum(axis=(1, 2)) - m.flows[:, us, us].sum(axis=1)  # noqa: E731
    assert exports(strong)[-1] < exports(base)[-1]
    assert total_imports(strong)[-1] > total_imports(base)[-1]


def test_twin_deficits_tariff_revenue_cuts_us_absorption():
    tariff = {"imposer": "USA", "rate": 20, "effective": "2025-01-01"}
    closed = model({"macro": True}, tariffs=[tariff], parameters={"macro": {"twin_deficit": 0.5}})
    none = model({"macro": True}, tariffs=[tariff], parameters={"macro": {"twin_deficit": 0.0}})
    us = idx(closed, "USA")
    assert closed.absorption_factor[us] < none.absorption_factor[us]
    assert total_imports(closed)[-1] < total_imports(none)[-1]


def test_services_exports_grow_with_the_ai_boom():
    capex = {"path": {"2025-01": 10.0}, "import_content": 0.6}
    off = model({"ai_capex": True}, shocks={"ai_capex": capex})
    on = model(
        {"ai_capex": True, "services": True},
        shocks={"ai_capex": capex},
        parameters={"services": {"digital_export_growth_per_ai_capex": 0.1}},
    )
    us, ds = idx(on, "USA"), sec(on, "digital_services")
    extra = on.flows[-1, us, :, ds].sum() - off.flows[-1, us, :, ds].sum()
    assert extra == pytest.approx(1.0, rel=0.05)  # 0.1 * $10bn a month
