"""Firms that decide: buyers' re-sourcing, expectations and exporters' entry and exit.

Each decision is checked against a case solved by hand or by brute force over single firms,
and the continuum (``firms.count: 0``) against many firms.
"""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import REGIONS, SECTORS, synthetic_data

from simulator.api import build_model
from simulator.markets.expectations import Expectations
from simulator.markets.production import ProducerPopulation, entry_threshold
from simulator.markets.sourcing import BuyerPopulation
from simulator.model import TradeModel
from simulator.policy.tariffs import changed_months
from simulator.scenario import load_scenario
from simulator.scenario.schema import Scenario

US, CHN = REGIONS.index("USA"), REGIONS.index("CHN")
QUIET = {
    "front_loading": False,
    "macro": False,
    "dollar": False,
    "capacity": False,
    "growth": False,
    "retaliation": False,
    "ai_capex": False,
    "services": False,
}


def run(months: int | None = None, data=None, **fields) -> TradeModel:
    spec = {"name": "t", "end": "2026-12", **fields}
    spec["mechanisms"] = {**QUIET, **fields.get("mechanisms", {})}
    model = TradeModel(Scenario.model_validate(spec), data or synthetic_data())
    for _ in range(model.n_months if months is None else months):
        model.step()
    return model


def china(rate: float, **extra) -> dict:
    return {"imposer": "USA", "partners": ["CHN"], "rate": rate, "effective": "2025-01-01", **extra}


# --------------------------------------------------------------------- buyers, by hand
def two_origin_buyers(costs: list[float], count: bool) -> BuyerPopulation:
    """One group, two origins with base shares 1/2; buyer k has switching cost costs[k]."""
    k = len(costs)
    table = np.array([costs])
    rng = np.random.default_rng(0)
    if count:
        return BuyerPopulation(
            np.zeros(k, int),
            np.full(k, 1 / k),
            np.arange(k),
            table,
            np.array([1e-12]),
            3,
            np.full((1, 2), 0.5),
            rng,
        )
    empty = np.zeros(0, int)
    hazard = np.array([1e-12])
    return BuyerPopulation(empty, np.zeros(0), empty, table, hazard, 3, np.full((1, 2), 0.5), rng)


@pytest.mark.parametrize("count", [True, False])
def test_buyers_switch_when_the_saving_beats_their_cost_solved_by_hand(count):
    # origin 1's price doubles for good. CES with sigma = 2 and weights 1/2:
    #   optimal shares 0.5 * P^-1 / (0.5 + 0.25) = (2/3, 1/3), unit cost I = 1 / 0.75 = 4/3;
    #   the old mix (1/2, 1/2) costs 0.5 + 1 = 1.5 a unit: gap = 1 - (4/3) / 1.5 = 1/9;
    #   with an annuity of 10 months the saving is 10/9 = 1.11 months of purchases.
    buyers = two_origin_buyers([0.5, 1.0, 2.0, 5.0], count)
    price = np.array([[1.0, 2.0]])
    optimal, index = np.array([[2 / 3, 1 / 3]]), np.array([4 / 3])
    shares = buyers.update(0, optimal, price, index, np.array([10.0]), price)
    assert buyers.last.saving[0, 0] == pytest.approx(10 / 9)
    # the two cheapest switchers move (half of the group); old mix spends (1/3, 2/3) at these
    # prices, the new one (2/3, 1/3)
    assert buyers.last.share_switched[0] == pytest.approx(0.5)
    assert shares[0] == pytest.approx([0.5, 0.5])
    if count:
        assert list(buyers.vintage) == [1, 1, 0, 0]
    # next month nothing changes: the switchers' gap is gone, the others' saving still short
    buyers.update(1, optimal, price, index, np.array([10.0]), price)
    assert buyers.last.share_switched[0] == pytest.approx(0.0, abs=1e-9)
    assert buyers.last.saving[0, 1] == pytest.approx(0.0, abs=1e-12)


def test_expired_contracts_re_source_at_no_cost_at_the_hazard_rate():
    k = 200_000
    rng = np.random.default_rng(3)
    buyers = BuyerPopulation(
        np.zeros(k, int), np.full(k, 1 / k), np.zeros(k, int), np.array([[1e9]]),
        np.array([0.05]), 12, np.full((1, 2), 0.5), rng,
    )  # fmt: skip
    price = np.ones((1, 2))
    switched = []
    for t in range(6):
        buyers.update(t, np.full((1, 2), 0.5), price, np.ones(1), np.array([10.0]), price)
        switched.append(buyers.last.share_switched[0])
    assert np.mean(switched) == pytest.approx(0.05, abs=0.003)  # no cost beats 1e9 months
    assert np.all(buyers.last.expired)


# --------------------------------------------------------------------- expectations, by hand
def log_factor(e: Expectations, now: np.ndarray, path: np.ndarray, tau0: np.ndarray):
    """The contract-average log tariff factor of a one-member announced path ``[month,
    cell]``, given to the model in pieces (the months where it changes)."""
    starts = np.flatnonzero(changed_months(path) | (np.arange(len(path)) == 0))
    return e.tariff_log_factor(now, path[starts][None], starts, len(path), tau0)


def test_expectations_weigh_a_lasting_tariff_fully_and_a_currency_swing_partly():
    e = Expectations(*(np.array([v]) for v in (0.04, 0.005, 48.0, 0.5)))  # one member
    beta = 0.96 / 1.005
    assert e.annuity == pytest.approx(1 / (1 - beta))
    k = np.arange(5000)
    phi = 0.5 ** (1 / 48)
    assert e.fx_weight == pytest.approx((1 - beta) * np.sum((beta * phi) ** k))
    assert 0.7 < e.fx_weight < 0.8  # a 10% swing counts as 7-8% over a contract
    tau0 = np.array([0.03])
    now = np.array([[0.25]])  # [member, cell]; paths [member, month, cell]
    lasting = log_factor(e, now, np.full((24, 1), 0.25), tau0)
    assert lasting == pytest.approx(np.log(1.28 / 1.03))  # in force, no end: all of it
    # a threat of +25 points from month 3 on: believed with probability 1/2
    threat = np.zeros((24, 1))
    threat[3:] = 0.25
    weights = (1 - beta) * beta ** np.arange(24)
    ln_t = np.log1p(np.where(np.arange(24) >= 3, 0.125, 0.0) / 1.03)
    brute = np.sum(weights * ln_t) + beta**24 * ln_t[-1]
    expected = log_factor(e, np.zeros((1, 1)), threat, tau0)
    assert expected == pytest.approx(brute)
    # a tariff in force that ends in month 6 is expected to end (announced cuts are believed)
    ending = np.zeros((24, 1))
    ending[:6] = 0.25
    brute = np.sum(weights[:6]) * np.log(1.28 / 1.03)
    assert log_factor(e, now, ending, tau0) == pytest.approx(brute)


# --------------------------------------------------------------------- exporters, by hand
def test_exporters_leave_when_profit_falls_below_the_band_and_return_above_it():
    prev = np.ones((1, 1))
    x = entry_threshold(prev, np.array([[0.5]]), 0.25, 0.5)
    assert x[0, 0] == pytest.approx(1.5)  # firms with z * 0.5 < 0.75 leave
    x = entry_threshold(x, np.array([[0.7]]), 0.25, 0.5)
    assert x[0, 0] == pytest.approx(1.5)  # profit recovers a little: no one comes back
    x = entry_threshold(x, np.array([[1.0]]), 0.25, 0.5)
    assert x[0, 0] == pytest.approx(1.25)  # back at base: only firms with z >= 1.25 return
    x = entry_threshold(x, np.array([[1.3]]), 0.25, 0.5)
    assert x[0, 0] == pytest.approx(1.25 / 1.3)  # and some that did not export start
    # demand for the firms doubles: firms that did not export start, down to z = 1.25 / 2
    x = entry_threshold(x, np.array([[2.0]]), 0.25, 0.5)
    assert x[0, 0] == pytest.approx(0.625)
    assert entry_threshold(x, np.array([[9.0]]), 0.25, 0.5)[0, 0] == 0.5  # no firm below


def test_serving_share_of_many_firms_equals_the_pareto_formula():
    a, n, z_min = 2.46, 2_000_000, 0.5
    rng = np.random.default_rng(1)
    z = z_min * (rng.pareto(a, n) + 1.0)
    tail = np.array([a])  # one group
    firms = ProducerPopulation(np.zeros(n, int), np.full(n, 1 / n), np.zeros(n), z, 1, 0.3, tail)
    continuum = ProducerPopulation(np.zeros(0, int), *[np.zeros(0)] * 3, 1, 0.3, tail)
    threshold = np.array([[0.7, 1.0, 1.5, 3.0]])
    expected = threshold ** (1 - a)  # export sales (proportional to z) above the threshold
    assert np.allclose(continuum.serving_share(threshold), expected)
    assert np.allclose(firms.serving_share(threshold), expected, rtol=0.01)
    # brute force over single firms
    brute = [z[z >= x].sum() / z[z >= 1].sum() for x in threshold[0]]
    assert np.allclose(firms.serving_share(threshold)[0], brute)
    assert np.mean(z >= 1) == pytest.approx(z_min**a, rel=0.01)  # the share exporting


def test_a_threshold_below_every_firm_counts_only_its_own_groups_firms():
    """Every firm of a group serves once its threshold falls below the lowest drawn z; the
    search must not reach into the group before it (brute force, two groups)."""
    rng = np.random.default_rng(3)
    n = 1000
    group = np.repeat([0, 1], n)
    z = 1.2 * (rng.pareto(2.46, 2 * n) + 1.0)  # the lowest draw is about 1.2
    tail = np.full(2, 2.46)
    firms = ProducerPopulation(group, np.full(2 * n, 1 / n), np.zeros(2 * n), z, 2, 0.3, tail)
    threshold = np.array([[0.5, 1.0, 1.5, 3.0]] * 2)
    for g in (0, 1):
        mine = z[group == g]
        brute = [mine[mine >= x].sum() / mine[mine >= 1].sum() for x in threshold[g]]
        assert np.allclose(firms.serving_share(threshold)[g], brute), g


# --------------------------------------------------------------------- the model, brute force
def test_each_buyer_decides_as_a_brute_force_check_of_its_own_numbers():
    """Recompute every buyer's decision in a Python loop from its own cost and old mix."""
    tariffs = [china(100.0)]
    params = {"domestic_elasticity_ratio": 1.0, "pass_through": 1.0}  # one CES level
    model = run(months=12, tariffs=tariffs, parameters=params, firms={"count": 4000},
                mechanisms={"exporter_exit": False})  # fmt: skip
    buyers = model.firms.buyers
    vintage, expiry = buyers.vintage.copy(), buyers.expiry.copy()
    t = model.t
    model.step()  # 2025-01: the tariff takes effect
    n_s = model.data.n_sectors
    sigma = model.sigma_import
    p_bar = model.expected_price
    tau_ratio = (1.0 + model.rates[t]) / (1.0 + model.tau0)
    assert np.allclose(p_bar[CHN, US], tau_ratio[CHN, US])  # lasting: the whole tariff
    annuity = model.expectations.annuity
    decided = 0
    for i in range(buyers.group.size):
        d, s = divmod(int(buyers.group[i]), n_s)
        w = model.weights[:, d, s]
        p = p_bar[:, d, s]
        unit = np.sum(w * p ** (1 - sigma[s])) ** (1 / (1 - sigma[s]))
        mix = buyers.history[buyers.group[i], vintage[i]]
        imports = 1 - mix[d] * p[d] / np.dot(mix, p)  # saving in months of imports
        saving = annuity * max(1 - unit / np.dot(mix, p), 0.0) / imports
        switches = saving > buyers.kappa[i] or expiry[i] == t
        decided += saving > buyers.kappa[i]
        assert (buyers.vintage[i] == t + 1) == switches, i
    assert decided > 20  # the test sees real decisions, not only expiries


def test_a_big_lasting_tariff_moves_most_buyers_at_once_a_small_one_few():
    """US buyers of consumer goods (about a third from China in 2024), bundled data."""

    def switched(rate: float, **extra) -> np.ndarray:
        spec = {"name": "t", "end": "2025-12", "firms": {"count": 0}, "mechanisms": QUIET}
        m = build_model(load_scenario({**spec, "tariffs": [china(rate, **extra)]}))
        m.run()
        us, s = m.data.region_index("USA"), m.data.sector_index("consumer_goods")
        return m.switched[:, us, s]

    hazard = 0.04
    jan = 12
    big, small = switched(145.0), switched(10.0)
    assert big[jan] > 0.5  # most buyers re-source in the month the tariff takes effect
    assert small[jan] == pytest.approx(hazard, abs=0.01)  # only expiring contracts
    # the same 145% expected to last three months moves far fewer
    brief = switched(145.0, end="2025-04-01")
    assert brief[jan] < 0.5 * big[jan]


def test_a_tariff_expected_to_last_moves_more_than_an_equal_currency_swing():
    """The same 25% rise in China's landed price in the US: by tariff, or by the yuan."""
    tariff = run(tariffs=[china(25.0)], parameters={"pass_through": 1.0})
    rate = (1.0 + tariff.tau0[CHN, US, 0] + 0.25) / (1.0 + tariff.tau0[CHN, US, 0])
    # with all US imports invoiced in yuan, a yuan 25% dearer raises the landed price alike
    currency = run(
        mechanisms={"dollar": True},
        parameters={"dollar": {"us_import_invoicing_share": 0.0, "invoicing_share": 0.0}},
        shocks={"exchange_rates": [{"region": "CHN", "path": {"2024-12": 1.0, "2025-01": rate}}]},
    )
    assert np.allclose(currency.fx_path[13, CHN], rate)
    jan = 12
    from_china = [m.flows[jan + 12, CHN, US, :5].sum() / m.flows[jan - 1, CHN, US, :5].sum()
                  for m in (tariff, currency)]  # fmt: skip
    # a year on, imports from China (customs value) fall further under the lasting tariff
    assert from_china[0] < from_china[1] - 0.03
    # because firms expect the yuan's rise to fade and the tariff to stay
    p_bar = [m.expected_price[CHN, US, :5] for m in (tariff, currency)]
    assert np.all(p_bar[0] > p_bar[1]) and np.mean(p_bar[0] / p_bar[1]) > 1.03


def test_exporters_stop_serving_a_market_shut_by_a_tariff_and_come_back_when_it_ends():
    lasting = run(tariffs=[china(145.0)], firms={"count": 20000})
    brief = run(tariffs=[china(145.0, end="2025-07-01")], firms={"count": 20000})
    goods = lasting.data.goods_mask
    serving = brief.serving_path[:, CHN, US, goods].mean(axis=1)
    assert serving[11] == pytest.approx(1.0)
    assert serving[13] < 0.6  # many of China's exporters to the US stop
    assert lasting.serving_path[13, CHN, US, goods].mean() < serving[13]  # more if it lasts
    # after the tariff ends the firms clearing the entry band come back: not all (hysteresis)
    assert serving[13] < serving[-1] < 1.0
    # other markets keep China's exporters, and exporters elsewhere enter the US market
    assert brief.serving_path[13, CHN, REGIONS.index("EU"), goods].min() > 0.99
    assert lasting.serving_path[-1, REGIONS.index("VNM"), US, goods].max() > 1.0


def test_diversion_flows_to_suppliers_that_can_compete():
    """Without entry and exit, other origins gain in proportion to their base-year weights."""
    m = run(tariffs=[china(60.0)], firms={"count": 0})
    t = -1
    gain = m.serving_path[t, :, US, :]  # exporters' sales relative to base, by origin
    others = [r for r in range(len(REGIONS)) if r not in (US, CHN)]
    assert np.all(gain[others][:, m.data.goods_mask] >= 1.0)
    assert np.all(gain[CHN, m.data.goods_mask] < 0.6)
    # an origin that gains exporters gains share against one at base
    assert m.flows[t, :, US].sum() > 0


@pytest.mark.parametrize("tail", [2.46, 4.0])
def test_exits_of_one_origin_do_not_cut_the_demand_for_another_origins_varieties(tail):
    """A 60% tariff on China (and its exporters' exits) must not lower the profit that other
    origins' exporters expect in the US: import varieties stay substitutes (docs/mechanisms.md
    §4a, the nesting order). On the bundled data, without the cap on the domestic nest, a steep
    profit tail (a = 4) made them complements: other origins' expected profit fell to 0.94."""
    spec = {
        "name": "t",
        "end": "2025-03",
        "firms": {"count": 0},
        "mechanisms": QUIET,
        "tariffs": [{"imposer": "USA", "partners": ["CHN"], "rate": 60,
                     "effective": "2025-01-01"}],
        "parameters": {"exporters": {"profit_tail": tail}},
    }  # fmt: skip
    m = build_model(load_scenario(spec))
    m.run()
    us, ch, goods = m.data.region_index("USA"), m.data.region_index("CHN"), m.data.goods_mask
    assert np.all(m.sigma_domestic <= m.sigma_firm + 1e-12)
    assert m.serving_path[-1, ch, us, goods].max() < 1.0  # China's exporters left
    others = [r for r in range(m.data.n_regions) if r not in (us, ch)]
    assert np.all(m.export_profit[others][:, us][:, goods] >= 1.0)
    spec["mechanisms"] = {**QUIET, "exporter_exit": False}  # the rule of two, uncapped
    off = build_model(load_scenario(spec))
    assert np.allclose(off.sigma_domestic, 0.5 * off.sigma_import)


def test_continuum_equals_the_limit_of_many_firms():
    """0, 20,000 and 1,000,000 firms agree within sampling noise (spread across seeds)."""
    tariffs = [china(60.0)]

    def path(count: int, seed: int = 0) -> np.ndarray:
        m = run(tariffs=tariffs, firms={"count": count}, seed=seed)
        return m.flows[:, CHN, US].sum(axis=1)

    continuum = path(0)
    few = np.array([path(20_000, seed) / continuum - 1 for seed in range(3)])
    many = path(1_000_000) / continuum - 1
    noise = few.std(axis=0).max()  # sampling noise with 20,000 firms
    assert np.abs(few).max() < 5 * noise + 1e-3
    assert np.abs(few.mean(axis=0)).max() < 3 * noise  # no bias
    assert np.abs(many).max() < 0.25 * np.abs(few).max() + 1e-3  # noise shrinks with firms


def test_one_firm_tells_what_it_decided_and_why():
    m = run(months=13, tariffs=[china(145.0)], firms={"count": 4000})
    buyers = m.firms.buyers
    g = US * len(SECTORS) + SECTORS.index("autos")
    rows = np.flatnonzero(buyers.group == g)
    moved = rows[buyers.vintage[rows] == 13]
    stayed = rows[buyers.vintage[rows] == 0]
    assert moved.size and stayed.size
    first_buyer = m.firms.n_producers
    seen = m.firm(first_buyer + int(moved[0])).describe()
    assert seen["month"] == "2025-01" and seen["decision"].startswith("re-sourced")
    assert seen["last_resourced"] == "2025-01"
    kept = m.firm(first_buyer + int(stayed[0])).describe()
    assert kept["decision"].startswith("kept its suppliers")
    assert kept["saving_seen_months"] <= kept["switching_cost_months_of_imports"]
    producer = m.firm(int(np.flatnonzero(m.firms.producers.group == CHN * len(SECTORS))[0]))
    info = producer.describe()
    assert set(info["serves"]) | set(info["does_not_serve"]) <= set(REGIONS) - {"CHN"}


def test_firms_are_sorted_by_group_then_value_even_when_keys_round_together():
    """One sort of ``group + f(value)`` gives the order of ``np.lexsort``; where two values'
    keys round to one number the check sees it and the exact order is used."""
    from simulator.markets.production import _by_group_then

    rng = np.random.default_rng(5)
    group = np.repeat(np.arange(300), 40)
    values = rng.pareto(3.0, group.size) + 1.0
    keys = group + (1.0 - 1.0 / values)
    assert np.array_equal(_by_group_then(group, values, keys), np.lexsort((values, group)))
    # group 2000's keys cannot tell these values apart (2000 + x rounds at about 2e-13)
    close = np.array([0.5 + 4e-14, 0.5, 0.5 + 2e-14, 0.25])
    group = np.full(close.size, 2000)
    keys = group + close
    assert len(set(keys[:3])) == 1  # the three collapse to one key
    assert np.array_equal(_by_group_then(group, close, keys), np.lexsort((close, group)))
