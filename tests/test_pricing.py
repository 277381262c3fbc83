"""Producer prices that anticipate buyers' response (simulator/markets/pricing.py).

The fixed point is checked against its closed form, the demand elasticity against a numerical
derivative of a nested CES written out here, and the model against the explosive price cycle
that the old rule produced inside the documented parameter ranges.
"""

from __future__ import annotations

import numpy as np
import pytest
from independent import FLAT_SUPPLY, run, tables

from simulator import run_scenario
from simulator.markets.pricing import anticipated_price, demand_elasticity

T = tables()


def test_anticipated_price_is_the_closed_form_fixed_point_for_a_power_supply_curve():
    """With P(x) = x^(1/e): log p* = (log x / e + (s / e) log p) / (1 + s / e)."""
    rng = np.random.default_rng(1)
    price = rng.uniform(0.7, 1.5, 200)
    utilisation = rng.uniform(0.3, 3.0, 200)
    sigma = rng.uniform(0.5, 9.0, 200)
    e = 2.0

    def supply(x: np.ndarray, cells: np.ndarray | None) -> np.ndarray:
        return x ** (1.0 / e)

    got = anticipated_price(price, utilisation, sigma, supply)
    want = np.exp((np.log(utilisation) / e + sigma / e * np.log(price)) / (1.0 + sigma / e))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # it is a fixed point of the rule, and no demand response gives the supply curve itself
    np.testing.assert_allclose(got, (utilisation * (got / price) ** -sigma) ** (1 / e), rtol=1e-11)
    no_response = anticipated_price(price, utilisation, np.zeros(200), supply)
    np.testing.assert_allclose(no_response, utilisation ** (1 / e), rtol=1e-12)


def test_anticipated_price_solves_a_kinked_capacity_curve_and_keeps_the_steady_state():
    def kinked(x: np.ndarray, cells: np.ndarray | None = None) -> np.ndarray:
        return x ** (1 / 3) * np.maximum(1.0, x / 1.29) ** 4.0

    price = np.array([1.0, 1.0, 1.2, 0.9, kinked(np.array(1.5))[()]])
    x = np.array([1.0, 2.0, 1.6, 0.5, 1.5])
    sigma = np.array([4.0, 6.0, 2.0, 3.0, 5.0])
    got = anticipated_price(price, x, sigma, kinked)
    np.testing.assert_allclose(got, kinked(x * (got / price) ** -sigma), rtol=1e-11)
    assert got[0] == 1.0 and got[4] == pytest.approx(price[4], rel=1e-15)  # P(x) = p stays
    assert 1.0 < got[1] < kinked(x[1:2])[0]  # moves toward, not to, the supply curve's price


def _quantity(price: np.ndarray, w: np.ndarray, sd: float, sm: float, eta: float, d: int):
    """Quantities bought by destination ``d`` from each origin: nested CES, spending P^(1-eta)."""
    foreign = np.arange(len(price)) != d
    a = w[d]
    b = w[foreign] / (1 - a)
    pm = (b * price[foreign] ** (1 - sm)).sum() ** (1 / (1 - sm))
    p = (a * price[d] ** (1 - sd) + (1 - a) * pm ** (1 - sd)) ** (1 / (1 - sd))
    spending = p ** (1 - eta)
    value = np.empty(len(price))
    value[d] = a * (price[d] / p) ** (1 - sd) * spending
    value[foreign] = (
        (1 - a) * (pm / p) ** (1 - sd) * b * (price[foreign] / pm) ** (1 - sm) * spending
    )
    return value / price


def test_demand_elasticity_equals_the_numerical_derivative_of_nested_ces_demand():
    rng = np.random.default_rng(7)
    n, n_s = 4, 2
    weights = rng.uniform(0.05, 1.0, (n, n, n_s))
    weights /= weights.sum(axis=0, keepdims=True)
    spend = rng.uniform(1.0, 5.0, (n, n_s))
    flows = weights * spend[None]
    sd, sm, eta = np.array([2.0, 3.5]), np.array([4.0, 7.0]), 0.8
    got = demand_elasticity(flows, weights, sd, sm, eta)
    step = 1e-6
    for s in range(n_s):
        for o in range(n):
            up, down = np.ones(n), np.ones(n)
            up[o], down[o] = np.exp(step), np.exp(-step)
            e = np.array(
                [
                    -(
                        np.log(_quantity(up, weights[:, d, s], sd[s], sm[s], eta, d)[o])
                        - np.log(_quantity(down, weights[:, d, s], sd[s], sm[s], eta, d)[o])
                    )
                    / (2 * step)
                    for d in range(n)
                ]
            )
            want = (flows[o, :, s] * e).sum() / flows[o, :, s].sum()
            assert got[o, s] == pytest.approx(want, rel=1e-6), (o, s)


AUTOS_100 = {"imposer": "USA", "sectors": ["autos"], "rate": 100, "effective": "2025-01-01"}


def test_capacity_price_settles_without_a_cycle_at_every_adjustment_speed():
    """The old rule cycled (1.017/1.050 every other month) at speed 0.5, and by speed 0.8 the
    cycle grew without bound."""
    for speed in (0.5, 0.8, 1.0):
        result = run(
            {"capacity": True, "diversion": True},
            tariffs=[AUTOS_100],
            parameters={"supply_elasticity": FLAT_SUPPLY, "price_adjustment_speed": speed},
        )
        prices = result.model.prices[:, T.r("USA"), T.s("autos")]
        assert np.isfinite(prices).all()
        assert np.ptp(prices[-6:]) < 1e-4, speed


@pytest.mark.parametrize("supply_elasticity", [1.5, 2.0])
def test_us_2025_stays_finite_across_the_supply_elasticity_range(supply_elasticity):
    """An ensemble member with supply elasticity 2.08 broke down with the old rule: from June
    2025 (steel and aluminium at 50%) the aluminium price cycled between the US and Mexico with
    a growing amplitude, to infinity by 2026."""
    overrides = [f"parameters.supply_elasticity={supply_elasticity}"]
    result = run_scenario("us_2025", overrides=overrides)
    prices = result.model.prices
    assert np.isfinite(prices).all()
    assert prices.min() > 0.5 and prices.max() < 2.0
    assert np.isfinite(result.model.flows).all()
    numbers = result.macro.drop(columns="nx_contribution_pp")  # NaN before a full quarter
    assert np.isfinite(numbers.select_dtypes("number").to_numpy()).all()
