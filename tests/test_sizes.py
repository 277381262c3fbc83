"""The size of each channel's response, against calculations made outside the model.

Every test runs a scenario dict through :func:`simulator.run_scenario` and reads its output
frames (or the recorded monthly arrays of the result), then compares them with an answer
computed here from the scenario's own numbers and the bundled base-year tables: the dollar
from its formula, the macro closure's steady state as a linear system, the capacity price as
the root of supply = demand, front-loading from the inventory rule month by month, and the
frictionless long run from the nested Armington system.
"""

from __future__ import annotations

import numpy as np
import pytest
from independent import (
    FLAT_SUPPLY,
    armington,
    assert_close,
    cube,
    interpolated,
    macro,
    off_diagonal,
    run,
    scheduled_rates,
    tables,
)
from scipy.optimize import brentq

T = tables()
US, CHN = T.r("USA"), T.r("CHN")
N_MONTHS = 36  # 2024-01 .. 2026-12, the horizon of independent.run
JAN_2025 = 12
CHINA_25 = {"imposer": "USA", "partners": ["CHN"], "rate": 25, "effective": "2025-01-01"}


# ------------------------------------------------------------------ the dollar
@pytest.mark.parametrize("beta", [None, 3.5])
def test_dollar_appreciation_equals_its_formula(beta):
    """D = exp(beta/100 * 100 * 12 * F / Y): beta % per 1% of GDP of annualised inflows."""
    inflow = 40.0  # $bn a month
    params = {} if beta is None else {"dollar": {"inflow_elasticity": beta}}
    result = run(
        {"dollar": True},
        shocks={"capital_inflows": [{"start": "2025-01", "usd_bn_per_month": inflow}]},
        parameters=params,
    )
    beta = T.parameters["dollar_inflow_elasticity"] if beta is None else beta
    dollar = np.exp(beta / 100.0 * 100.0 * 12.0 * inflow / T.gdp[US])
    for region in ["CHN", "DEU", "IRL", "EU_OTHER", "JPN", "ROW"]:
        fx = macro(result, region, "exchange_rate")
        assert fx[:JAN_2025] == pytest.approx(1.0, abs=1e-12)
        assert fx[JAN_2025:] == pytest.approx(1.0 / dollar, rel=1e-12)
    assert macro(result, "USA", "exchange_rate") == pytest.approx(1.0)


def test_dollar_path_inflows_and_own_currency_paths_combine_multiplicatively():
    inflow, path_usd, path_eur = 25.0, 0.95, 1.08
    result = run(
        {"dollar": True},
        shocks={
            "capital_inflows": [{"start": "2025-01", "usd_bn_per_month": inflow}],
            "exchange_rates": [
                {"region": "USA", "path": {"2025-01": path_usd}},
                {"region": "EU", "path": {"2025-01": path_eur}},
            ],
        },
    )
    beta = T.parameters["dollar_inflow_elasticity"]
    dollar = path_usd * np.exp(beta * 12.0 * inflow / T.gdp[US])
    assert macro(result, "CHN", "exchange_rate")[-1] == pytest.approx(1 / dollar, rel=1e-12)
    for member in T.groups["EU"]:  # the group's path moves every member's currency
        assert macro(result, member, "exchange_rate")[-1] == pytest.approx(
            path_eur / dollar, rel=1e-12
        )


# ------------------------------------------------------------------ macro closure
@pytest.mark.parametrize("mu", [0.0, 0.6])
def test_macro_closure_steady_state_equals_the_closed_form(mu):
    """With flat supply, fixed prices and no frictions, a destination's purchases scale with its
    absorption factor f, so the steady state of

        (f_r - 1) Y_r = mu * [(f_r - 1) A_r + NX_r(f) - NXbar_r] - tw * (f_r R1_r - R0_r)

    is a linear system in f (A = Y - NXbar; NX and R from a run with the macro channel off).
    With mu = 0 it is the scalar f = (Y + tw R0) / (Y + tw R1) of a constant revenue gap.
    """
    tw = 0.5
    tariffs = [
        {"imposer": "USA", "rate": 20, "effective": "2025-01-01"},
        {"imposer": "CHN", "partners": ["USA"], "rate": 30, "effective": "2025-01-01"},
    ]
    macro_params = {"income_feedback": mu, "twin_deficit": tw}
    common = {
        "tariffs": tariffs,
        "parameters": {"supply_elasticity": FLAT_SUPPLY, "macro": macro_params},
    }
    closed = run({"diversion": True, "macro": True}, **common)
    open_ = run({"diversion": True}, **common)  # f = 1: the flows and revenue at unit factors

    flows1 = cube(open_)[-1]  # customs value, $bn a month, domestic excluded
    revenue1 = np.array([macro(open_, r, "tariff_revenue")[-1] / 1e9 for r in T.regions])
    trade0 = off_diagonal(T.flows) / 12.0
    revenue0 = (trade0 * T.tariff).sum(axis=(0, 2))
    nx0 = trade0.sum(axis=(1, 2)) - trade0.sum(axis=(0, 2))
    gdp = T.gdp / 12.0
    absorption = gdp - nx0
    # NX_r(f) = sum_d f_d X[r, d] - f_r M_r, with X[r, d] the r->d flows at f = 1
    exports_to = flows1.sum(axis=2)  # [origin, destination]
    imports = exports_to.sum(axis=0)
    n = len(T.regions)
    lhs = np.diag(gdp - mu * absorption + mu * imports + tw * revenue1) - mu * exports_to
    rhs = gdp - mu * absorption - mu * nx0 + tw * revenue0
    f = np.linalg.solve(lhs, rhs)
    assert f.shape == (n,)
    absorption_base = (T.flows / 12.0 * (1 + T.tariff)).sum(axis=(0, 2)) * 1e9
    for r, code in enumerate(T.regions):
        simulated = macro(closed, code, "absorption")[-1] / absorption_base[r]
        assert simulated == pytest.approx(f[r], abs=1e-7), code
    if mu == 0.0:  # the constant-revenue-gap scalar formula; the US budget tightens
        assert f == pytest.approx((gdp + tw * revenue0) / (gdp + tw * revenue1))
        assert f[US] < 0.995
    else:  # US net exports rise (imports fall) by more than the budget tightens
        assert f[US] > 1.01


# ------------------------------------------------------------------ capacity
def _capacity_equilibrium(rate: float, capacity_elasticity: float) -> float:
    """US autos price where the capacity supply curve meets Armington demand (flat elsewhere).

    Supply: p = max(1, x / (1 + h)) ** (1 / eps_cap), x = output / base output, h = 1/u - 1.
    """
    autos = T.s("autos")
    headroom = 1.0 / T.parameters["capacity_utilisation"] - 1.0
    tau = T.tariff.copy()
    tau[:, US, autos] += np.where(np.arange(len(T.regions)) == US, 0.0, rate)
    base_output = T.flows[US, :, autos].sum() / 12.0

    def gap(log_p: float) -> float:
        p = np.exp(log_p)
        rel = (1 + tau) / (1 + T.tariff)
        rel[US, :, autos] *= p
        x = armington(rel, tau)[US, :, autos].sum() / p / base_output
        return log_p - np.log(max(1.0, x / (1 + headroom))) / capacity_elasticity

    return float(np.exp(brentq(gap, 0.0, 0.5, xtol=1e-14)))


@pytest.mark.parametrize("capacity_elasticity", [0.25, 0.5])
def test_capacity_price_equals_the_supply_demand_root(capacity_elasticity):
    autos = {"imposer": "USA", "sectors": ["autos"], "rate": 100, "effective": "2025-01-01"}
    result = run(
        {"capacity": True, "diversion": True},
        tariffs=[autos],
        parameters={
            "supply_elasticity": FLAT_SUPPLY,
            "capacity_elasticity": capacity_elasticity,
        },
    )
    price = result.model.prices[-1, US, T.s("autos")]
    expected = _capacity_equilibrium(1.0, capacity_elasticity)
    assert expected > 1.01  # capacity binds
    assert price == pytest.approx(expected, rel=1e-6)


def test_capacity_price_converges_at_the_default_adjustment_speed():
    # producers anticipate buyers' response (markets/pricing.py): the partial-adjustment step
    # no longer overshoots a steep supply curve into a two-month cycle
    autos = {"imposer": "USA", "sectors": ["autos"], "rate": 100, "effective": "2025-01-01"}
    result = run(
        {"capacity": True, "diversion": True},
        tariffs=[autos],
        parameters={"supply_elasticity": FLAT_SUPPLY},
    )
    prices = result.model.prices[-6:, US, T.s("autos")]
    assert np.ptp(prices) < 1e-4


# ------------------------------------------------------------------ front-loading
INVENTORY = {
    "capacity_months": 0.5,
    "carrying_cost_pct": 2.0,
    "horizon_months": 6,
    "drawdown_months": 3.0,
    "lead_months": 1,
    "max_build": 0.25,
}


def front_loaded_by_hand(
    use: np.ndarray,
    rates: np.ndarray,
    announced: int,
    rho: float = 1.0,
    inventory: dict = INVENTORY,
    threat_probability: float | None = None,
) -> np.ndarray:
    """Purchases (quantity) of one import cell under the inventory rule, month by month.

    ``use`` is what buyers use each month (the purchases without front-loading), ``rates`` the
    cell's tariff path, known from month ``announced`` on (before it, the base rate). An
    announced rate above the one in force is expected with ``threat_probability`` (default:
    the data set's row ``tariff_threat_probability``); rates in force are believed.
    """
    q = (
        T.parameters["tariff_threat_probability"]
        if threat_probability is None
        else threat_probability
    )
    n = len(use)
    lead, horizon = inventory["lead_months"], inventory["horizon_months"]
    cost = inventory["carrying_cost_pct"] / 100.0
    stock, arriving = 0.0, np.zeros(n + lead)
    for t in range(n):
        known = rates if t >= announced else np.full(n, rates[0])
        expect = [r if r <= rates[t] else rates[t] + q * (r - rates[t]) for r in known]
        arrival = t + lead
        h = min(horizon, n - 1 - arrival)
        share, months_left = 0.0, 1.0
        if h > 0:
            best = 0.0
            for k in range(1, h + 1):
                gain = ((1 + expect[arrival + k]) / (1 + expect[arrival])) ** rho - 1
                pays = 1 - np.exp(-max(gain, 0.0) / (cost * k))
                if pays > best:
                    best, months_left = pays, float(k)
            share = best
        target = inventory["capacity_months"] * share * use[t]
        if target > stock:
            change = min((target - stock) / months_left, inventory["max_build"] * use[t])
        else:
            change = max((target - stock) / inventory["drawdown_months"], -stock)
        stock += change
        arriving[t + lead] += change
        drawn = max(arriving[t], -use[t])  # no month uses more stock than it uses goods
        stock += drawn - arriving[t]
        arriving[t] = drawn
    return use + arriving[:n]


def front_loading_case(rho: float | None, **parameters):
    announced = {**CHINA_25, "effective": "2025-04-01", "announced": "2025-01-01"}
    mech = {"front_loading": True, "diversion": True, "pass_through": rho is not None}
    params = {"supply_elasticity": FLAT_SUPPLY, "inventory": INVENTORY, **parameters}
    if rho is not None:
        params["pass_through"] = rho
    with_fl = run(mech, tariffs=[announced], parameters=params)
    without = run({**mech, "front_loading": False}, tariffs=[announced], parameters=params)
    rates = scheduled_rates([announced], N_MONTHS)[:, CHN, US]
    return cube(with_fl)[:, CHN, US], cube(without)[:, CHN, US], rates


def test_front_loading_surge_and_dip_follow_the_inventory_rule():
    fl, no, rates = front_loading_case(None)
    apr = 15
    for s in np.flatnonzero(T.goods):
        # customs value per unit is 1 (flat supply, full pass-through): value = quantity
        expected = front_loaded_by_hand(no[:, s], rates[:, s], announced=JAN_2025)
        assert fl[:, s] == pytest.approx(expected, rel=1e-9, abs=1e-12), T.sectors[s]
    surge = fl[JAN_2025 + 1 : apr].sum() / no[JAN_2025 + 1 : apr].sum() - 1
    dip = fl[apr : apr + 3].sum() / no[apr : apr + 3].sum() - 1
    assert surge > 0.05 and dip < -0.02  # both are there, and of a visible size


def test_front_loading_expects_an_announced_increase_with_the_threat_probability():
    """Importers stock up for the rate buyers expect: an announced 25% counts as q * 25%.

    With a carrying cost of 10% a month the share of importers for whom stocking pays is far
    from 1, so the size follows q: in January, for April (k = 2 months after arrival), it is
    1 - exp(-(q * 0.25 / (1 + tau0)) / (0.1 * 2)) of the storage capacity, built over 2 months.
    """
    inventory = {**INVENTORY, "carrying_cost_pct": 10.0}
    surges = {}
    for q in (0.0, 0.3, 1.0):
        fl, no, rates = front_loading_case(
            None, inventory=inventory, expectations={"threat_probability": q}
        )
        for s in np.flatnonzero(T.goods):
            expected = front_loaded_by_hand(
                no[:, s], rates[:, s], JAN_2025, inventory=inventory, threat_probability=q
            )
            assert fl[:, s] == pytest.approx(expected, rel=1e-9, abs=1e-12), (q, T.sectors[s])
        s = T.s("consumer_goods")
        tau0 = rates[0, s]
        share = 1.0 - np.exp(-(q * 0.25 / (1.0 + tau0)) / (0.1 * 2))
        # February's arrivals: half the target stock ordered in January
        assert fl[JAN_2025 + 1, s] - no[JAN_2025 + 1, s] == pytest.approx(
            0.5 * 0.5 * share * no[JAN_2025, s], rel=1e-9, abs=1e-12
        )
        surges[q] = fl[JAN_2025 + 1 : JAN_2025 + 3].sum() / no[JAN_2025 + 1 : JAN_2025 + 3].sum()
    assert surges[0.0] == pytest.approx(1.0)  # a threat nobody believes is not front-run
    assert 1.0 < surges[0.3] < surges[1.0]


# ------------------------------------------------------------------ retaliation
@pytest.mark.parametrize(("rate", "fires"), [(9.0, False), (11.0, True)])
def test_retaliation_fires_only_at_its_threshold(rate, fires):
    """A 10% threshold (percent, trade-weighted over the trigger sectors): 9% on all of China's
    goods does not set it off; 11% does, 25 points on US soybeans a month later."""
    tariff = {**CHINA_25, "rate": rate}
    rule = {"imposer": "CHN", "target": "USA", "sectors": ["agriculture"], "rate": 25,
            "lag_months": 1, "trigger": {"threshold": 10}}  # fmt: skip
    result = run({"retaliation": True}, tariffs=[tariff], retaliation=[rule])
    agri = T.s("agriculture")
    expected = scheduled_rates([tariff], N_MONTHS)
    expected[JAN_2025 + 1 :, US, CHN, agri] += 0.25 if fires else 0.0
    revenue = result.macro[result.macro.region == "CHN"].tariff_revenue.to_numpy() / 1e9
    flows = cube(result)
    assert revenue == pytest.approx((flows[:, :, CHN] * expected[:, :, CHN]).sum(axis=(1, 2)))


def test_retaliation_rounds_and_cap_bound_an_escalation():
    """Three US escalations (+20 points each); China answers +30 points a round, at most two
    rounds and 50%: 30% after the first, 50% (capped from 60%) after the second, then no more."""
    steps = [{**CHINA_25, "id": f"step{i}", "rate": 20, "effective": f"2025-{1 + 3 * i:02d}-01"}
             for i in range(3)]  # fmt: skip
    rule = {"imposer": "CHN", "target": "USA", "sectors": ["agriculture"], "rate": 30,
            "lag_months": 1, "rounds": 2, "cap": 50}  # fmt: skip
    result = run({"retaliation": True}, tariffs=steps, retaliation=[rule])
    agri = T.s("agriculture")
    expected = scheduled_rates(steps, N_MONTHS)
    expected[JAN_2025 + 1 :, US, CHN, agri] += 0.30
    expected[JAN_2025 + 4 :, US, CHN, agri] += 0.20
    revenue = result.macro[result.macro.region == "CHN"].tariff_revenue.to_numpy() / 1e9
    flows = cube(result)
    assert revenue == pytest.approx((flows[:, :, CHN] * expected[:, :, CHN]).sum(axis=(1, 2)))


# ------------------------------------------------------------------ shocks
def test_demand_shock_moves_spending_by_its_size_inside_its_window():
    shock = {"region": "USA", "sectors": ["autos", "machinery"], "start": "2025-03",
             "end": "2025-08", "change": 10}  # fmt: skip
    result = run({"diversion": True}, shocks={"demand": [shock]})
    base = T.flows / 12.0 * (1 + T.tariff)  # landed base-year spending
    extra = 0.10 * base[:, US, [T.s("autos"), T.s("machinery")]].sum() * 1e9
    absorption = result.macro[result.macro.region == "USA"].absorption.to_numpy()
    window = np.zeros(N_MONTHS, dtype=bool)
    window[14:20] = True  # 2025-03 .. 2025-08
    assert absorption[window] - base[:, US].sum() * 1e9 == pytest.approx(extra, rel=1e-9)
    assert absorption[~window] == pytest.approx(base[:, US].sum() * 1e9, rel=1e-12)


def test_ai_capex_financed_abroad_appreciates_the_dollar_by_the_formula():
    capex = {"path": {"2025-01": 10.0, "2025-12": 30.0}, "import_content": 0.5}
    result = run({"dollar": True, "ai_capex": True}, shocks={"ai_capex": capex},
                 parameters={"dollar": {"ai_inflow_share": 0.4}})  # fmt: skip
    inflows = 0.4 * interpolated(capex["path"], N_MONTHS)
    beta = T.parameters["dollar_inflow_elasticity"]
    expected = np.exp(-beta * 12.0 * inflows / T.gdp[US])
    assert macro(result, "DEU", "exchange_rate") == pytest.approx(expected, rel=1e-12)


def test_exchange_rate_paths_are_linear_between_points_and_one_before():
    path = {"2024-07": 1.0, "2025-01": 0.88, "2025-07": 0.94}
    result = run({"dollar": True}, shocks={"exchange_rates": [{"region": "JPN", "path": path}]})
    expected = interpolated(path, N_MONTHS, before=1.0)
    assert macro(result, "JPN", "exchange_rate") == pytest.approx(expected, rel=1e-12)
    assert expected[15] == pytest.approx(0.88 + 0.06 * 3 / 6)  # April 2025, by hand


def test_ai_capex_and_services_add_exactly_their_shares():
    """Hardware: capex × import content split by origin (the 2024 origins of AI hardware,
    ai_hardware_origins.csv), at customs value (exempt: base-year rate); the rest bought at
    home. Services: 0.1 $ of digital exports per $ of capex, split by the base year's
    destinations."""
    capex = {"path": {"2025-01": 8.0, "2025-09": 20.0}, "import_content": 0.6}
    result = run({"ai_capex": True, "services": True}, shocks={"ai_capex": capex},
                 parameters={"services": {"digital_export_growth_per_ai_capex": 0.1},
                             "supply_elasticity": FLAT_SUPPLY})  # fmt: skip
    spend = interpolated(capex["path"], N_MONTHS)
    cs, ds = T.s("computers_semis"), T.s("digital_services")
    hardware = spend[:, None] * 0.6 * T.ai_origin[None] / (1 + T.tariff[:, US, cs])
    flows = cube(result)
    others = np.arange(len(T.regions)) != US  # the frame holds trade, not domestic sales
    extra = flows[:, others, US, cs] - T.flows[others, US, cs] / 12
    assert extra == pytest.approx(hardware[:, others], rel=1e-8, abs=1e-12)
    destination = T.flows[US, :, ds].copy()
    destination[US] = 0.0
    digital = 0.1 * spend[:, None] * (destination / destination.sum())[None]
    extra = flows[:, US, others, ds] - T.flows[US, others, ds] / 12
    assert extra == pytest.approx(digital[:, others], rel=1e-8, abs=1e-12)
    assert hardware[-1].sum() > 10.0 and digital[-1].sum() > 1.5  # $20bn a month of capex


# ------------------------------------------------------------------ frictionless long run
@pytest.mark.parametrize("rho", [None, 0.6])
def test_frictionless_long_run_equals_the_armington_answer(rho):
    """All buyers re-optimise every month: diversion is the closed-form Armington answer."""
    tariffs = [
        CHINA_25,
        {"imposer": "USA", "sectors": ["steel", "aluminium"], "rate": 50, "mode": "set",
         "effective": "2025-03-12"},
        {"imposer": "EU", "partners": ["USA"], "sectors": ["autos"], "rate": 10,
         "effective": "2025-01-01"},
    ]  # fmt: skip
    params = {"supply_elasticity": FLAT_SUPPLY}
    if rho is not None:
        params["pass_through"] = rho
    result = run(
        {"diversion": True, "pass_through": rho is not None}, tariffs=tariffs, parameters=params
    )
    tau = scheduled_rates(tariffs, N_MONTHS)[-1]
    tariff_factor = (1 + tau) / (1 + T.tariff)
    rel_price = tariff_factor ** (1.0 if rho is None else rho)
    # customs value: exporters absorb the rest of the tariff (price per unit tf ** (rho - 1))
    expected = off_diagonal(armington(rel_price, tau))
    assert_close(cube(result)[-1], expected, rel=1e-7, abs=1e-9)
    china = cube(result)[-1, CHN, US].sum()
    assert china < 0.9 * T.flows[CHN, US].sum() / 12.0  # and the tariff moved trade


def test_running_down_stock_never_makes_purchases_negative():
    """A 150% tariff cuts China's sales by more than the stock's monthly run-down: the rest
    of the stock waits (found by the property tests: purchases of -$0.5bn a month)."""
    tariff = {**CHINA_25, "rate": 150, "effective": "2025-04-01", "announced": "2025-01-01"}
    mech = {"front_loading": True, "diversion": True}
    params = {"supply_elasticity": FLAT_SUPPLY, "inventory": INVENTORY}
    fl = cube(run(mech, tariffs=[tariff], parameters=params))[:, CHN, US]
    no = cube(run({"diversion": True}, tariffs=[tariff], parameters=params))[:, CHN, US]
    rates = scheduled_rates([tariff], N_MONTHS)[:, CHN, US]
    assert fl.min() >= 0.0
    machinery = T.s("machinery")
    expected = front_loaded_by_hand(no[:, machinery], rates[:, machinery], announced=JAN_2025)
    assert fl[:, machinery] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert fl[15, machinery] == 0.0  # April: the stock covers all of the (small) use
