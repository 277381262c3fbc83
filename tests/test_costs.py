"""What tariffs cost (simulator/costs): prices, supply chains, real income and households,
each against an independent computation."""

from __future__ import annotations

from dataclasses import replace

import independent
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import REGIONS, SECTORS, synthetic_data

from simulator.calibration.dataset import BaseData, Households
from simulator.costs.households import average, household_cost
from simulator.costs.prices import (
    consumer_price_index,
    price_after_substitution,
    price_before_substitution,
)
from simulator.costs.supply_chains import final_demand_share, unit_cost_index
from simulator.costs.welfare import consumer_surplus_change
from simulator.markets.armington import nested_shares
from simulator.model import TradeModel
from simulator.results.costs import RunCosts
from simulator.scenario.schema import Scenario

US, CHN = REGIONS.index("USA"), REGIONS.index("CHN")
STEEL, AUTOS = SECTORS.index("steel"), SECTORS.index("autos")
# every channel off but diversion and supply chains (a test switches on what else it needs)
ALL_OFF = {**independent.ALL_OFF, "diversion": True, "supply_chains": True, "gold": False}


def world(n: int, s: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.05, 1.0, (n, n, s))
    weights /= weights.sum(axis=0)
    return weights, rng.uniform(0.7, 1.6, (n, n, s))


# ------------------------------------------------------------------ prices
@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    sigma_d=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
    sigma_m=st.sampled_from([1.0, 2.0, 8.0]),
)
def test_price_after_substitution_is_the_ces_index_when_buyers_optimise(seed, sigma_d, sigma_m):
    weights, price = world(4, 3, seed)
    if sigma_m != 1.0:  # exporters that left a market scale its weight down (variety loss)
        serving = np.random.default_rng(seed + 1).uniform(0.3, 1.0, weights.shape)
        serving[np.arange(4), np.arange(4)] = 1.0
        weights = weights * serving
    sd, sm = np.full(3, sigma_d), np.full(3, sigma_m)
    shares, index = nested_shares(weights, price, sd, sm)
    after = price_after_substitution(weights, shares, price, sd, sm)
    assert after == pytest.approx(index, rel=1e-12)
    # any other sourcing buys less of the composite: the price paid is higher
    other = np.random.default_rng(seed + 2).dirichlet(np.ones(4), size=(4, 3)).transpose(2, 0, 1)
    assert (price_after_substitution(weights, other, price, sd, sm) >= index * (1 - 1e-12)).all()


def test_price_after_substitution_by_hand_in_a_two_origin_nest():
    # one destination buying from itself (weight 1/2) and one foreign origin (1/2), sigma 2:
    # Q = (sum_o w_o^(1/2) q_o^(1/2))^2 with q_o = x_o / p_o
    weights = np.array([[[0.5], [0.5]], [[0.5], [0.5]]])
    price = np.array([[[1.0], [1.0]], [[1.5], [1.0]]])  # the foreign good 50% dearer in 0
    shares = np.full((2, 2, 1), 0.5)
    q = (np.sqrt(0.5 * 0.5 / 1.0) + np.sqrt(0.5 * 0.5 / 1.5)) ** 2
    after = price_after_substitution(weights, shares, price, np.array([2.0]), np.array([2.0]))
    assert after[0, 0] == pytest.approx(1.0 / q, rel=1e-12)
    assert price_before_substitution(weights, price)[0, 0] == pytest.approx(1.25)


def test_consumer_price_index_weights_sectors_and_margins_by_hand():
    share = np.array([[0.25, 0.75]])
    margin = np.array([[0.4, 0.0]])
    sector_price = np.array([[[1.10, 1.02]]])  # [month, region, sector]
    margin_price = np.array([[1.01]])
    expected = 0.25 * (0.6 * 1.10 + 0.4 * 1.01) + 0.75 * 1.02
    cpi = consumer_price_index(share, margin, sector_price, margin_price)
    assert cpi[0, 0] == pytest.approx(expected, rel=1e-14)


# ------------------------------------------------------------------ supply chains
def test_unit_cost_passes_input_prices_in_proportion_to_their_cost_shares():
    a = np.zeros((1, 3, 3))
    a[0, 0, 1] = 0.2  # sector 1 uses 0.2 of sector 0 per unit
    a[0, 1, 2] = 0.5  # sector 2 uses 0.5 of sector 1
    cost = unit_cost_index(a, np.array([[1.5, 1.1, 1.0]]))
    assert cost[0] == pytest.approx([1.0, 0.8 + 0.2 * 1.5, 0.5 + 0.5 * 1.1], rel=1e-14)
    output = np.array([[100.0, 50.0, 10.0]])
    purchases = np.array([[40.0, 20.0, 10.0]])
    # intermediate use of sector 0: 0.2 * 50 = 10 of 40; of sector 1: 0.5 * 10 = 5 of 20
    assert final_demand_share(a, output, purchases)[0] == pytest.approx([0.75, 0.75, 1.0])


def _steel_world(coefficient: float) -> BaseData:
    data = synthetic_data()
    n_r, n_s = len(REGIONS), len(SECTORS)
    a = np.zeros((n_r, n_s, n_s))
    a[:, STEEL, AUTOS] = coefficient
    return replace(data, input_coefficients=a)


def _run(data: BaseData, rate: float, months: str = "2031-12", **mechanisms) -> TradeModel:
    tariffs = []
    if rate:
        tariffs = [
            {
                "imposer": "USA",
                "partners": ["CHN", "EU", "VNM", "ROW"],
                "sectors": ["steel"],
                "rate": rate,
                "effective": "2024-03-01",
            }
        ]
    sc = Scenario.model_validate(
        {
            "name": "t",
            "end": months,
            "firms": {"count": 0},
            "tariffs": tariffs,
            "mechanisms": {**ALL_OFF, **mechanisms},
        }
    )
    model = TradeModel(sc, data)
    model.run()
    return model


def test_a_steel_tariff_raises_car_prices_through_the_input_output_table():
    with_chains = _run(_steel_world(0.3), 50.0)
    without = _run(_steel_world(0.3), 50.0, supply_chains=False)
    us = US
    steel_price = with_chains.sector_prices[-1, us, STEEL]
    assert steel_price > 1.05
    # month by month: car producers' unit cost follows the steel price they paid the month
    # before it (their price is set from last month's cost)
    assert with_chains.unit_costs[-1, us, AUTOS] == pytest.approx(0.7 + 0.3 * steel_price)
    assert with_chains.prices[-1, us, AUTOS] > without.prices[-1, us, AUTOS] * 1.01
    # US car exports get dearer abroad, so they fall (an export tax on the input users)
    exports = with_chains.flows[-1, us, CHN, AUTOS], without.flows[-1, us, CHN, AUTOS]
    assert exports[0] < exports[1]


def test_supply_chains_leave_the_base_year_exact():
    model = _run(_steel_world(0.3), 0.0, months="2024-12")
    assert np.allclose(model.flows, model.data.flows[None] / 12.0, rtol=1e-12)
    assert np.allclose(model.unit_costs, 1.0) and np.allclose(model.sector_prices, 1.0)


def test_long_run_with_supply_chains_is_the_leontief_price_solution():
    """With supply and demand frictionless and supply perfectly elastic at unit cost
    (a very large supply elasticity), producer prices settle where p = C(P(p)): solved here
    independently by fixed-point iteration on the CES price indices."""
    data = _steel_world(0.3)
    model = _run(data, 50.0, months="2027-12", capacity=False)
    assert model.params.supply_elasticity > 0
    # the model's producer prices and buyers' prices at the last month
    p = model.prices[-1]
    tau = model.rates[-1]
    weights = model.weights
    rel = p[:, None, :] * ((1 + tau) / (1 + model.tau0))
    _, index = nested_shares(weights, rel, model.sigma_domestic, model.sigma_import)
    # the unit cost of US car makers at those prices, computed by hand
    expected_cost = 0.7 + 0.3 * index[US, STEEL]
    assert model.unit_costs[-1, US, AUTOS] == pytest.approx(expected_cost, rel=1e-6)
    # and prices have settled: a further month changes nothing
    assert np.abs(model.prices[-1] / model.prices[-2] - 1).max() < 1e-6


# ------------------------------------------------------------------ welfare
def _one_good_world() -> BaseData:
    """Two regions, one good: the US makes almost none and buys it from China, which sells
    almost all of it to the US."""
    flows = np.array([[[1e-4], [1e-4]], [[100.0], [1e-4]]])  # [origin, destination, sector]
    return BaseData(
        name="one good",
        regions=("USA", "CHN"),
        sectors=("other_goods",),
        sector_kind=("goods",),
        flows=flows,
        base_tariff=np.zeros_like(flows),
        elasticity=np.array([4.0]),
        growth=np.zeros(2),
        gdp=np.array([1000.0, 1000.0]),
        parameters=synthetic_data().parameters,
    )


def _one_good_welfare(rate: float) -> tuple[float, TradeModel]:
    sc = Scenario.model_validate(
        {
            "name": "t",
            "regions": ["USA", "CHN"],
            "sectors": ["other_goods"],
            "end": "2033-12",
            "firms": {"count": 0},
            "tariffs": [
                {"imposer": "USA", "partners": ["CHN"], "rate": rate, "effective": "2024-02-01"}
            ]
            if rate
            else [],
            "mechanisms": {**ALL_OFF, "supply_chains": False},
        }
    )
    model = TradeModel(sc, _one_good_world())
    model.run()
    income = RunCosts(model).real_income
    return float(income.total[-1, 0]), model


def test_the_optimal_tariff_is_the_inverse_export_supply_elasticity():
    """One good, two countries, no home production: with foreign supply p = x^(1/ε) and
    demand of constant elasticity η, the home country's welfare at the steady state is
    W(τ) = -E (P^(1-η) - 1)/(1-η) + τ p M with p = (1+τ)^(-η/(ε+η)), P = p (1+τ) — the
    closed form is maximised at τ* = 1/ε (the inverse export supply elasticity)."""
    _, model = _one_good_welfare(10.0)
    eps = model.params.supply_elasticity
    eta = model.params.composite_demand_elasticity
    spend = model.spending0[0, 0]

    def closed_form(tau: float) -> float:
        p = (1 + tau) ** (-eta / (eps + eta))
        big_p = p * (1 + tau)
        quantity = spend * big_p**-eta
        cs = consumer_surplus_change(np.array(big_p), np.array(quantity), eta)
        return float(cs) + tau * p * quantity

    rates = [5.0, 20.0, 100.0 / eps, 50.0, 80.0]
    simulated = [_one_good_welfare(r)[0] for r in rates]
    for rate, value in zip(rates, simulated, strict=True):
        assert value == pytest.approx(closed_form(rate / 100.0), rel=2e-3, abs=1e-6)
    assert simulated[0] > 0  # a small tariff raises the importer's real income
    assert max(simulated) == simulated[2]  # the best of these rates is 1/ε
    assert simulated[-1] < simulated[2]


def test_welfare_parts_add_up_and_match_an_independent_computation():
    model = _run(_steel_world(0.3), 40.0, months="2026-12", exporter_exit=True, diversion=True)
    income = RunCosts(model).real_income
    total = income.consumers + income.producers + income.revenue
    assert income.total == pytest.approx(total)
    assert income.terms_of_trade + income.efficiency == pytest.approx(total)
    # tariff revenue by hand: the US's duties above the baseline's, every month
    t = -1
    duty = (model.flows[t] * model.rates[t]).sum(axis=(0, 2))[US]
    base_duty = (model.baseline_flows[t] * model.tau0).sum(axis=(0, 2))[US]
    assert income.revenue[t, US] == pytest.approx(duty - base_duty, rel=1e-10)
    # the US terms of trade by hand: what its exports fetch less what its imports cost, ex duty
    q = model.flows[t] / model.unit_values[t]
    mask = np.ones(len(REGIONS), bool)
    mask[US] = False
    exports = (q[US, mask] * (model.unit_values[t, US, mask] - 1)).sum()
    imports = (q[mask, US] * (model.unit_values[t, mask, US] - 1)).sum()
    assert income.terms_of_trade[t, US] == pytest.approx(exports - imports, rel=1e-10)


# ------------------------------------------------------------------ households
def test_decile_costs_add_up_to_the_aggregate_household_cost():
    rng = np.random.default_rng(3)
    n_g, n_s, n_t = 10, 5, 4
    spending = rng.uniform(500, 5000, (n_g, n_s))
    count = rng.uniform(10e6, 15e6, n_g)
    margin = rng.uniform(0, 0.5, n_s)
    price = rng.uniform(0.98, 1.2, (n_t, n_s))
    margin_price = rng.uniform(0.99, 1.02, n_t)
    cost = household_cost(spending, margin, price, margin_price)
    aggregate = (
        (count[:, None] * spending).sum(axis=0)
        * ((1 - margin) * (price - 1) + margin * (margin_price[:, None] - 1))
    ).sum(axis=1)
    assert (cost * count).sum(axis=1) == pytest.approx(aggregate, rel=1e-12)
    assert average(cost, count) * count.sum() == pytest.approx(aggregate, rel=1e-12)


def test_household_costs_in_a_run_follow_the_prices_households_pay():
    data = _steel_world(0.3)
    n_s = len(SECTORS)
    spending = np.tile(np.linspace(1000.0, 3000.0, n_s), (2, 1)) * np.array([[1.0], [3.0]])
    households = Households(
        region="USA",
        labels=("1", "2"),
        count=np.array([60e6, 70e6]),
        income=np.array([30_000.0, 150_000.0]),
        spending=spending,
    )
    data = replace(data, households=households)
    model = _run(data, 50.0, months="2025-12")
    frame = RunCosts(model).households
    last = frame[frame.month == frame.month.max()].set_index("group")
    price = model.sector_prices[-1, US] - 1.0
    assert last.loc["2", "cost"] == pytest.approx(spending[1] @ price, rel=1e-12)
    assert last.loc["1", "share_of_income"] == pytest.approx(
        100 * spending[0] @ price / 30_000, rel=1e-12
    )
    everyone = last.loc["all"]
    assert everyone.households == 130e6
    assert everyone.cost == pytest.approx((spending @ price) @ [60e6, 70e6] / 130e6, rel=1e-12)
    assert everyone.share_of_spending == pytest.approx(
        100 * everyone.cost / (spending.sum(axis=1) @ [60e6, 70e6] / 130e6), rel=1e-12
    )


def test_real_gdp_deflates_absorption_and_counts_trade_volumes_by_hand():
    model = _run(_steel_world(0.3), 50.0, months="2025-12", macro=True)
    costs = RunCosts(model)
    cpi = costs.columns()["consumer_price_index"][-1]
    q = model.flows[-1] / model.unit_values[-1]
    off = ~np.eye(len(REGIONS), dtype=bool)[:, :, None]
    exports = np.where(off, q, 0).sum(axis=(1, 2))
    imports = np.where(off, q, 0).sum(axis=(0, 2))
    value = np.where(off, model.flows[-1], 0)
    nx = value.sum(axis=(1, 2)) - value.sum(axis=(0, 2))
    absorption = model.baseline_gdp_month[-1] + model.gdp_gap[-1] - nx  # fx = 1: no dollar
    expected = absorption / cpi + exports - imports
    assert costs.columns()["real_gdp"][-1] == pytest.approx(expected * 1e9, rel=1e-12)


# ------------------------------------------------------------------ the bundled data
def _war(rates: dict) -> dict:
    """The game of issue 21: USA 50% then 125% on China and 20% on the EU; China 35% then
    100%; the EU 25%."""
    entries = []
    for (imposer, partner), (first, later) in rates.items():
        entries.append(
            {
                "id": f"{imposer}_{partner}_1".lower(),
                "imposer": imposer,
                "partners": [partner],
                "rate": first,
                "effective": "2025-01-01",
                **({"end": "2025-04-01"} if later is not None else {}),
            }
        )
        if later is not None:
            entries.append(
                {
                    "id": f"{imposer}_{partner}_2".lower(),
                    "imposer": imposer,
                    "partners": [partner],
                    "rate": later,
                    "effective": "2025-04-01",
                }
            )
    return {"name": "war", "extends": "baseline", "end": "2026-12", "tariffs": entries}


def _us_year(result, column: str, year: int = 2026) -> float:
    macro = result.macro
    rows = macro[(macro.region == "USA") & (macro.month.dt.year == year)]
    return float(rows[column].sum())


def test_a_tariff_war_makes_the_us_poorer_although_its_nominal_gdp_rises():
    from simulator.api import run_scenario

    war = run_scenario(
        _war(
            {
                ("USA", "CHN"): (50, 125),
                ("USA", "EU"): (20, None),
                ("CHN", "USA"): (35, 100),
                ("EU", "USA"): (25, None),
            }
        )
    )
    assert _us_year(war, "gdp_change") > 0  # the scoreboard of old ranked this a win
    assert _us_year(war, "real_income_change") < -50e9  # about -0.3% of GDP
    per_household = war.costs.real_income_per_household()
    assert per_household[per_household.index.year == 2026].mean() < -100  # $ a year
    peace = run_scenario({"name": "peace", "extends": "baseline", "end": "2026-12"})
    assert _us_year(peace, "real_income_change") == pytest.approx(0.0, abs=1.0)  # dollars


def test_a_small_tariff_on_a_supplier_that_sells_mostly_to_the_us_raises_us_real_income():
    """The terms-of-trade gain is first order in the rate, the efficiency loss second order:
    Mexico's exporters, most of whose sales go to the US, cut their prices."""
    from simulator.api import run_scenario

    five = run_scenario(
        {
            "name": "five",
            "extends": "baseline",
            "end": "2026-12",
            "mechanisms": {"retaliation": False},
            "tariffs": [
                {"imposer": "USA", "partners": ["MEX"], "rate": 5, "effective": "2025-01-01"}
            ],
        }
    )
    assert _us_year(five, "terms_of_trade") > 1e9
    assert _us_year(five, "real_income_change") > 1e9
    # Mexico pays for it
    macro = five.macro
    mex = macro[(macro.region == "MEX") & (macro.month.dt.year == 2026)]
    assert mex.real_income_change.sum() < 0


def test_welfare_parts_add_up_every_month_in_the_bundled_us_2025():
    from simulator.api import run_scenario

    macro = run_scenario("us_2025", overrides=["firms.count=0"]).macro
    parts = macro.consumers_change + macro.producers_change + macro.revenue_change
    assert np.allclose(macro.real_income_change, parts, rtol=1e-12, atol=1.0)
    assert np.allclose(macro.real_income_change, macro.terms_of_trade + macro.efficiency, atol=1.0)
    assert np.isfinite(macro.select_dtypes("number").drop(columns="nx_contribution_pp")).all().all()


def test_the_budget_lab_comparison_in_docs_is_current():
    """docs/costs.md's table is what simulator/analysis/costs_anchors.py makes today."""
    from pathlib import Path

    from simulator.analysis.costs_anchors import BEGIN, END, anchors_markdown

    page = Path(__file__).resolve().parents[1] / "docs" / "costs.md"
    if not page.is_file():
        pytest.skip("docs/ is not shipped with an installed copy")
    text = page.read_text(encoding="utf-8")
    table = text.split(BEGIN)[1].split(END)[0].strip()
    assert table == anchors_markdown(), "run python -m simulator.analysis.costs_anchors"


def test_costs_of_a_model_part_way_through_its_run_cover_the_months_run():
    """The game advances a model a quarter at a time and reads it between quarters."""
    sc = Scenario.model_validate(
        {"name": "t", "end": "2025-12", "firms": {"count": 0}, "mechanisms": ALL_OFF}
    )
    whole = TradeModel(sc, _steel_world(0.3))
    whole.run()
    part = TradeModel(sc, _steel_world(0.3))
    for _ in range(7):
        part.step()
    columns, full = RunCosts(part).columns(), RunCosts(whole).columns()
    for name, values in columns.items():
        assert values[:7] == pytest.approx(full[name][:7], rel=1e-12, abs=1e-9), name
        assert np.isnan(values[7:]).all(), name


# ------------------------------------------------------------------ a run's figures, by hand
def _result(model: TradeModel):
    from simulator.results import Provenance, SimulationResult

    provenance = Provenance.collect(scenario="t", path=None, sha256="", seed=0, data="synthetic")
    return SimulationResult(model, provenance)


def test_price_indices_of_a_run_weight_sectors_by_purchases_and_output_by_hand():
    """A data set without consumption tables: the CPI weights each sector by the region's
    base-year purchases (duty included) over all its purchases; the PPI weights producer
    prices by base-year output (sales at home and abroad), both from the data set's flows."""
    model = _run(_steel_world(0.3), 50.0, months="2025-12")
    data = model.data
    assert data.consumption_share is None and data.margin_share is None
    landed = (data.flows * (1.0 + data.base_tariff)).sum(axis=0)  # [region, sector]
    weights = landed / landed.sum(axis=1, keepdims=True)
    output = data.flows.sum(axis=1)  # [region, sector]
    columns = RunCosts(model).columns()
    cpi = (weights * model.sector_prices).sum(axis=-1)
    cpi_pre = (weights * model.sector_prices_pre).sum(axis=-1)
    ppi = (model.prices * output).sum(axis=-1) / output.sum(axis=-1)
    np.testing.assert_allclose(columns["consumer_price_index"], cpi, rtol=1e-12)
    np.testing.assert_allclose(columns["consumer_price_index_pre"], cpi_pre, rtol=1e-12)
    np.testing.assert_allclose(columns["producer_price_index"], ppi, rtol=1e-12)
    # US buyers pay more for steel; before they re-source they pay more still
    assert cpi[-1, US] > 1.002
    assert cpi_pre[-1, US] > cpi[-1, US] + 1e-5
    assert np.abs(ppi - 1.0).max() > 1e-3


def test_real_income_parts_convert_at_each_regions_exchange_rate_by_hand():
    """With currencies moving, each region's revenue, terms of trade and exporters' receipts
    are valued in its own currency at base-year rates: US$ over its exchange rate."""
    sc = Scenario.model_validate(
        {
            "name": "t",
            "end": "2025-12",
            "firms": {"count": 0},
            "tariffs": [
                {"imposer": "USA", "partners": ["CHN"], "rate": 30, "effective": "2024-03-01"},
                {"imposer": "CHN", "partners": ["USA"], "rate": 20, "effective": "2024-06-01"},
            ],
            "shocks": {
                "exchange_rates": [
                    {"region": "CHN", "path": {"2024-02": 1.0, "2025-06": 0.8}},
                    {"region": "EU", "path": {"2024-02": 1.0, "2025-06": 1.15}},
                ]
            },
            "mechanisms": {**ALL_OFF, "dollar": True},
        }
    )
    model = TradeModel(sc, _steel_world(0.3))
    model.run()
    income = RunCosts(model).real_income
    t = -1
    fx = model.fx_path[t]
    assert abs(fx[CHN] - 0.8) < 0.05 and fx[REGIONS.index("EU")] > 1.1
    off = ~np.eye(len(REGIONS), dtype=bool)[:, :, None]
    u = model.unit_values[t]
    q = model.flows[t] / u
    duty = (model.flows[t] * model.rates[t]).sum(axis=(0, 2))
    base_duty = (model.baseline_flows[t] * model.tau0).sum(axis=(0, 2))
    np.testing.assert_allclose(income.revenue[t], (duty - base_duty) / fx, rtol=1e-10)
    received = np.where(off, q * (u / fx[:, None, None] - 1.0), 0.0).sum(axis=(1, 2))
    paid = np.where(off, q * (u / fx[None, :, None] - 1.0), 0.0).sum(axis=(0, 2))
    np.testing.assert_allclose(income.terms_of_trade[t], received - paid, rtol=1e-10)
    p = model.prices[t]
    output, base_output = q.sum(axis=1), model.baseline_flows[t].sum(axis=1)
    margin = (0.5 * (output + base_output) * (p - model.unit_costs[t])).sum(axis=1)
    absorbed = np.where(off, q * (u / fx[:, None, None] - p[:, None, :]), 0.0).sum(axis=(1, 2))
    np.testing.assert_allclose(income.producers[t], margin + absorbed, rtol=1e-10)


def test_final_demand_share_is_zero_where_the_table_uses_more_than_is_bought():
    a = np.zeros((1, 2, 2))
    a[0, 0, 1] = 0.5  # sector 1 uses 0.5 of sector 0 per unit: 50 of the 20 bought
    output = np.array([[10.0, 100.0]])
    purchases = np.array([[20.0, 30.0]])
    assert final_demand_share(a, output, purchases)[0] == pytest.approx([0.0, 1.0])


def test_real_income_as_a_share_of_gdp_and_the_summary_rows_by_hand():
    """The real-income change in % of the month's baseline GDP (no growth: the data set's GDP
    over 12), and the summary's "What it costs" rows: the year's mean CPI less 1, in %."""
    from simulator.results.costs import what_it_costs_markdown

    model = _run(_steel_world(0.3), 50.0, months="2025-12")
    result = _result(model)
    macro = result.macro
    us = macro[macro.region == "USA"]
    gdp_month = model.data.gdp[US] * 1e9 / 12.0
    np.testing.assert_allclose(
        us.real_income_change_pct, us.real_income_change / gdp_month * 100.0, rtol=1e-10
    )
    landed = (model.data.flows * (1.0 + model.data.base_tariff)).sum(axis=0)[US]
    cpi = model.sector_prices[:, US] @ (landed / landed.sum())
    lines = "\n".join(what_it_costs_markdown(result)).splitlines()
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| ")}
    cells = rows["Consumer prices, change, %"].split("|")[2:-1]
    by_hand = [(cpi[12 * k : 12 * (k + 1)].mean() - 1.0) * 100.0 for k in (0, 1)]
    assert [float(c) for c in cells] == pytest.approx(by_hand, abs=0.051)
    assert by_hand[1] > 0.2  # visible at one decimal
    real = rows["Real income, change, $bn"].split("|")[2:-1]
    total = RunCosts(model).real_income.total[:, US]
    assert float(real[1].replace(",", "")) == pytest.approx(total[12:].sum(), abs=0.051)
