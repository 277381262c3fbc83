"""Non-monetary gold: bars shipped on the New York–London spread (simulator/markets/gold.py)."""

from __future__ import annotations

import numpy as np
import pytest
from independent import run

from simulator.markets import gold

COST, FULL, CAPACITY = 5.0, 20.0, 126.6  # $/oz, $/oz, tonnes a month (parameters.csv)


def test_shipments_follow_the_spread_outside_the_cost_band_by_hand():
    spread = np.array([0.0, 5.0, 8.0, 12.5, 20.0, 60.0, -4.0, -11.0, -50.0])
    tonnes = gold.arbitrage_tonnes(spread, COST, FULL, CAPACITY)
    # inside the band nothing moves; linear up to capacity at the full spread; a London
    # premium ships bars back out of New York
    by_hand = [
        0.0,
        0.0,
        126.6 * 3 / 15,
        126.6 * 7.5 / 15,
        126.6,
        126.6,
        0.0,
        -126.6 * 6 / 15,
        -126.6,
    ]
    assert tonnes == pytest.approx(by_hand)
    # value: 126.6 t x 32,150.7466 oz/t x $2,700/oz = $10.99bn
    usd = gold.shipments_usd_bn(np.array([27.0]), np.array([2700.0]), COST, FULL, CAPACITY)
    assert usd == pytest.approx([126.6 * 32_150.7466 * 2700.0 / 1e9])
    assert usd[0] == pytest.approx(10.99, abs=0.01)


def test_a_wider_cost_band_or_full_spread_ships_less():
    spread = np.array([12.0])
    base = gold.arbitrage_tonnes(spread, COST, FULL, CAPACITY)[0]
    assert gold.arbitrage_tonnes(spread, 10.0, FULL, CAPACITY)[0] < base
    assert gold.arbitrage_tonnes(spread, COST, 40.0, CAPACITY)[0] < base
    with pytest.raises(ValueError, match="cost"):
        gold.arbitrage_tonnes(spread, 20.0, 20.0, CAPACITY)


def test_bilateral_flows_go_into_the_us_and_back_by_origin_share():
    usd = np.array([10.0, 0.0, -4.0])
    origins = np.array([0.0, 0.75, 0.25])  # US, CHE, GBR
    flows = gold.bilateral(usd, origins, us=0)
    assert flows[0, 1, 0] == 7.5 and flows[0, 2, 0] == 2.5 and flows[0, 0].sum() == 0.0
    assert flows[1].sum() == 0.0
    assert flows[2, 0, 1] == 3.0 and flows[2, 0, 2] == 1.0 and flows[2, :, 0].sum() == 0.0


SHOCK = {
    "spread": {"2025-01": 27.0, "2025-03": 12.5, "2025-04": 0.0},
    "price": {"2025-01": 2700.0},
}
TARIFF = {"imposer": "USA", "partners": ["CHE"], "rate": 39, "effective": "2025-01-01"}


@pytest.fixture(scope="module")
def with_and_without():
    mech = {"diversion": True, "pass_through": True}
    on = run({**mech, "gold": True}, shocks={"gold": SHOCK}, tariffs=[TARIFF])
    off = run({**mech, "gold": False}, shocks={"gold": SHOCK}, tariffs=[TARIFF])
    return on, off


def test_gold_bars_arrive_from_switzerland_by_the_rule_duty_free(with_and_without):
    on, off = with_and_without
    m = on.model
    us, che = m.data.region_index("USA"), m.data.region_index("CHE")
    s = m.data.sector_index("other_goods")
    extra = m.flows[:, che, us, s] - off.model.flows[:, che, us, s]
    jan, mar, apr = 12, 14, 15
    ounces = 32_150.7466 * 2700.0 / 1e9  # $bn a tonne
    assert extra[jan] == pytest.approx(126.6 * ounces)  # 27 $/oz: at capacity
    assert extra[mar] == pytest.approx(126.6 * 7.5 / 15 * ounces)  # 12.5 $/oz: half
    assert extra[apr] == pytest.approx(0.0, abs=1e-12)  # back in the band
    assert extra[:jan] == pytest.approx(0.0, abs=1e-12)
    # duty-free under a 39% tariff on Switzerland: revenue is unchanged
    assert m.revenue.sum() == pytest.approx(off.model.revenue.sum(), rel=1e-12)


def test_the_balance_excluding_gold_is_the_world_without_gold(with_and_without):
    on, off = with_and_without
    us_on, us_off = on.us(), off.us()
    assert us_on.goods_balance_ex_gold.to_numpy() == pytest.approx(
        us_off.goods_balance.to_numpy(), rel=1e-12
    )
    gap = (us_on.goods_balance - us_off.goods_balance).to_numpy()
    assert gap == pytest.approx(us_on.gold_balance.to_numpy(), rel=1e-12)
    assert gap[12] < -10e9  # the January shipments widen the deficit by about $11bn
    # gold is excluded from GDP (BEA): the GDP path does not move
    assert us_on.gdp.to_numpy() == pytest.approx(us_off.gdp.to_numpy(), rel=1e-12)
