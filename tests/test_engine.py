"""The engine on a small synthetic world: calibration, identities, long-run consistency."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import fsolve
from synthetic import REGIONS, SECTORS, synthetic_data

from simulator.model import TradeModel
from simulator.scenario.schema import Scenario

US, CHN, VNM = REGIONS.index("USA"), REGIONS.index("CHN"), REGIONS.index("VNM")
FRICTIONLESS = {
    "switching_frictions": False,
    "exporter_exit": False,
    "front_loading": False,
    "macro": False,
    "dollar": False,
    "capacity": False,
    "growth": False,
    "pass_through": False,
}


def scenario(**fields) -> Scenario:
    return Scenario.model_validate({"name": "test", "end": "2026-12", **fields})


def run(sc: Scenario, data=None) -> TradeModel:
    model = TradeModel(sc, data or synthetic_data())
    model.run()
    return model


def china_tariff(rate: float = 25.0, **extra) -> dict:
    return {
        "imposer": "USA",
        "partners": ["CHN"],
        "rate": rate,
        "effective": "2025-01-01",
        **extra,
    }


def test_base_year_is_reproduced_exactly_without_growth():
    model = run(scenario(mechanisms={"growth": False}, firms={"count": 3000}))
    expected = model.data.flows / 12.0
    assert np.allclose(model.flows, expected[None], rtol=1e-12)
    assert np.allclose(model.prices, 1.0)


def test_base_year_sums_to_the_annual_data_with_growth():
    model = run(scenario())
    year_2024 = model.flows[:12].sum(axis=0)
    assert np.allclose(year_2024, model.data.flows, rtol=1e-3)


def test_baseline_grows_smoothly_without_drift_or_oscillation():
    model = run(scenario(firms={"count": 5000}))
    total = model.flows.sum(axis=(1, 2, 3))
    ratio = total[1:] / total[:-1]
    assert np.all(ratio > 1.0)  # every region grows
    assert np.ptp(np.diff(np.log(total))) < 2e-4  # a steady growth rate, no wobble
    assert np.allclose(model.prices, 1.0)


def test_results_do_not_depend_on_firm_count_beyond_sampling_noise():
    tariffs = [china_tariff()]
    paths = {}
    for count in (0, 2000, 200_000):
        model = run(scenario(tariffs=tariffs, firms={"count": count}))
        paths[count] = model.flows[:, CHN, US].sum(axis=1)
    continuum = paths[0]
    assert np.max(np.abs(paths[200_000] / continuum - 1)) < 0.01
    # 2,000 firms leave about two exporters per region and sector: entry and exit are lumpy
    assert np.max(np.abs(paths[2000] / continuum - 1)) < 0.10


@pytest.mark.parametrize("firms", [0, 3000])
def test_identities_hold_every_month(firms):
    sc = scenario(
        firms={"count": firms},
        tariffs=[
            china_tariff(announced="2024-10-01"),
            {"imposer": "USA", "sectors": ["steel"], "rate": 50, "effective": "2025-06-04"},
        ],
        retaliation=[
            {
                "imposer": "CHN",
                "target": "USA",
                "sectors": ["agriculture"],
                "rate": 15,
                "lag_months": 2,
            }
        ],
        shocks={
            "ai_capex": {
                "path": {"2025-01": 5, "2026-06": 20},
                "import_content": 0.6,
            }
        },
    )
    model = run(sc)
    assert np.all(np.isfinite(model.flows)) and np.all(model.flows >= 0)
    # revenue = rate × customs value, with the rates written down from the scenario: 3% base
    # on goods, +25% on China from 2025-01, +50% on steel from 4 June 2025 (27 of June's 30
    # days), China's +15% on US farm goods two months after the China tariff
    goods = np.array([not s.endswith("services") for s in SECTORS])
    rates = np.zeros_like(model.flows)
    rates[:, ~np.eye(len(REGIONS), dtype=bool)] = np.where(goods, 0.03, 0.0)
    rates[12:, CHN, US, goods] += 0.25
    steel = SECTORS.index("steel")
    rates[17, [o for o in range(len(REGIONS)) if o != US], US, steel] += 0.5 * 27 / 30
    rates[18:, [o for o in range(len(REGIONS)) if o != US], US, steel] += 0.5
    rates[14:, US, CHN, SECTORS.index("agriculture")] += 0.15
    checked = np.ones_like(rates, dtype=bool)
    checked[:, :, US, SECTORS.index("computers_semis")] = False  # exempt AI hardware mixed in
    assert np.allclose(model.revenue[checked], (model.flows * rates)[checked], rtol=1e-12)
    assert model.revenue[:, CHN, US].sum() > 0


def armington_demand(data, rel_price: np.ndarray, tau_new: np.ndarray, eta: float = 1.0):
    """Two-level Armington demand (GTAP nesting), written out independently of the model.

    Domestic vs imports with sigma_d = sigma_m / 2; across import origins sigma_m. Returns
    monthly customs-value flows.
    """
    v0 = data.flows / 12.0
    landed0 = v0 * (1 + data.base_tariff)
    spend0 = landed0.sum(axis=0)
    n_r = len(data.regions)
    flows = np.zeros_like(v0)
    for d in range(n_r):
        for s in range(len(data.sectors)):
            sm = data.elasticity[s]
            sd = sm / 2
            a = landed0[:, d, s] / spend0[d, s]
            foreign = [o for o in range(n_r) if o != d]
            b = a[foreign] / a[foreign].sum()
            p = rel_price[:, d, s]
            pm = (b * p[foreign] ** (1 - sm)).sum() ** (1 / (1 - sm))
            top = np.array([a[d] * p[d] ** (1 - sd), (1 - a[d]) * pm ** (1 - sd)])
            index = top.sum() ** (1 / (1 - sd))
            spend = spend0[d, s] * index ** (1 - eta)
            shares = np.zeros(n_r)
            shares[d] = top[0] / top.sum()
            shares[foreign] = (
                top[1] / top.sum() * b * p[foreign] ** (1 - sm) / (b * p[foreign] ** (1 - sm)).sum()
            )
            flows[:, d, s] = shares * spend / (1 + tau_new[:, d, s])
    return flows


def closed_form_armington(data, tau_new: np.ndarray, eta: float = 1.0) -> np.ndarray:
    """The analytic partial-equilibrium answer with flat supply and full pass-through."""
    rel_price = (1 + tau_new) / (1 + data.base_tariff)
    return armington_demand(data, rel_price, tau_new, eta)


@pytest.mark.parametrize("eta", [1.0, 0.5])
def test_long_run_equals_closed_form_armington_with_flat_supply(eta):
    data = synthetic_data()
    sc = scenario(
        tariffs=[
            china_tariff(),
            {"imposer": "EU", "sectors": ["autos"], "rate": 10, "effective": "2025-01-01"},
        ],
        mechanisms=FRICTIONLESS,
        parameters={"supply_elasticity": 1e9, "composite_demand_elasticity": eta},
    )
    model = run(sc, data)
    tau_new = model.rates[-1]
    expected = closed_form_armington(data, tau_new, eta)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)
    # and the tariff moved something: imports from China fell
    assert model.flows[-1, CHN, US].sum() < 0.9 * model.flows[0, CHN, US].sum()


def test_long_run_with_partial_pass_through_equals_closed_form():
    data = synthetic_data()
    rho = 0.6
    sc = scenario(
        tariffs=[china_tariff(rate=30)],
        mechanisms={**FRICTIONLESS, "pass_through": True},
        parameters={"supply_elasticity": 1e9, "pass_through": rho},
    )
    model = run(sc, data)
    tau_new = model.rates[-1]
    rel_price = ((1 + tau_new) / (1 + data.base_tariff)) ** rho
    assert np.allclose(model.flows[-1], armington_demand(data, rel_price, tau_new), rtol=5e-3)


def gsim_solution(data, tau_new: np.ndarray, kappa: float) -> np.ndarray:
    """Partial equilibrium with upward-sloping supply, solved independently (scipy fsolve).

    Unknowns: producer prices p[o, s]. Demand is the two-level Armington system at landed
    prices p_o * (1 + tau) / (1 + tau0); supply is Q / Qbar = p ** kappa.
    """
    qbar = data.flows.sum(axis=1) / 12.0
    n_r, n_s = qbar.shape
    tariff = (1 + tau_new) / (1 + data.base_tariff)

    def excess(x: np.ndarray) -> np.ndarray:
        p = np.exp(x.reshape(n_r, n_s))
        flows = armington_demand(data, p[:, None, :] * tariff, tau_new)
        quantity = (flows / p[:, None, :]).sum(axis=1)
        return (np.log(quantity / qbar) - kappa * np.log(p)).ravel()

    x = fsolve(excess, np.zeros(n_r * n_s), xtol=1e-12)
    p = np.exp(x.reshape(n_r, n_s))
    return armington_demand(data, p[:, None, :] * tariff, tau_new)


def test_long_run_equals_gsim_solution_with_upward_sloping_supply():
    data = synthetic_data()
    kappa = 2.0
    sc = scenario(
        end="2028-12",
        tariffs=[china_tariff(rate=40)],
        mechanisms=FRICTIONLESS,
        parameters={"supply_elasticity": kappa, "price_adjustment_speed": 0.5},
    )
    model = run(sc, data)
    expected = gsim_solution(data, model.rates[-1], kappa)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)
    flat = closed_form_armington(data, model.rates[-1])
    assert not np.allclose(model.flows[-1], flat, rtol=5e-3)  # supply really mattered


def test_same_seed_same_numbers_different_seed_different_firms():
    sc = scenario(tariffs=[china_tariff()], firms={"count": 4000})
    a, b = run(sc), run(sc)
    assert np.array_equal(a.flows, b.flows)
    c = TradeModel(sc, synthetic_data(), seed=99)
    c.run()
    assert not np.array_equal(a.flows, c.flows)


def test_firms_can_be_inspected_as_mesa_agents():
    model = run(scenario(firms={"count": 1000}, end="2024-03"))
    producer = model.firm(0)
    buyer = model.firm(len(model.firms) - 1)
    assert producer.role == "producer" and buyer.role == "buyer"
    assert producer.region in REGIONS and producer.sector in SECTORS
    assert 0 < producer.describe()["market_share_in_group"] <= 1
    assert buyer.describe()["main_origin"] in REGIONS
    with pytest.raises(IndexError):
        model.firm(len(model.firms))


def test_a_firm_looked_at_twice_is_the_same_agent():
    model = run(scenario(firms={"count": 1000}, end="2024-02"))
    assert model.firm(3) is model.firm(3)
    assert model.firm(3) in model.agents


@pytest.mark.parametrize("count", [70, 2001, 99_999])
def test_the_firm_count_asked_for_is_the_count_created(count):
    model = TradeModel(scenario(firms={"count": count}, end="2024-02"), synthetic_data())
    assert len(model.firms) == count
