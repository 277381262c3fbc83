"""Property tests over random scenarios: partners, dates, retaliation, shocks, switches.

Each draws a whole scenario (18 months, a continuum of firms or five hundred) and asserts
what must hold whatever the draw: revenue is the scheduled rate times the value (rates by
hand), the macro table adds up the trade table, a scenario with no policy is the baseline
computed from the tables, and a higher tariff never buys more from the taxed partner.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent import (
    BN,
    assert_close,
    assert_revenue_follows_the_schedule,
    cube,
    growth_path,
    macro,
    off_diagonal,
    tables,
)

from simulator import run_scenario

T = tables()
REGIONS = list(T.regions)
GOODS = [s for s, g in zip(T.sectors, T.goods, strict=True) if g]
START, END, N = "2024-01", "2025-06", 18
MECHANISMS = [
    "pass_through",
    "diversion",
    "switching_frictions",
    "exporter_exit",
    "capacity",
    "front_loading",
    "retaliation",
    "ai_capex",
    "dollar",
    "macro",
    "services",
    "growth",
]
FAST = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

dates = st.dates(dt.date(2024, 2, 1), dt.date(2025, 6, 30))
months = st.integers(1, N - 1).map(lambda t: f"{2024 + t // 12}-{t % 12 + 1:02d}")
goods_lists = st.lists(st.sampled_from(GOODS), min_size=1, max_size=3, unique=True)
switches = st.fixed_dictionaries({m: st.booleans() for m in MECHANISMS})


@st.composite
def tariffs(draw: st.DrawFn) -> dict:
    imposer = draw(st.sampled_from(REGIONS))
    others = [r for r in REGIONS if r != imposer]
    effective = draw(dates)
    entry = {
        "imposer": imposer,
        "partners": draw(st.just("all") | st.lists(st.sampled_from(others), min_size=1,
                                                   max_size=3, unique=True)),
        "sectors": draw(st.just("all") | goods_lists),
        "rate": draw(st.floats(0, 150)),
        "mode": draw(st.sampled_from(["add", "set"])),
        "effective": effective.isoformat(),
    }  # fmt: skip
    announced = effective
    if draw(st.booleans()):
        announced = draw(st.dates(dt.date(2023, 10, 1), effective))
        entry["announced"] = announced.isoformat()
    if draw(st.booleans()):
        entry["end"] = (effective + dt.timedelta(days=draw(st.integers(1, 400)))).isoformat()
    if draw(st.integers(0, 3)) == 0:
        entry["cancelled"] = draw(st.dates(announced, effective)).isoformat()
    if draw(st.booleans()):
        entry["exempt_partners"] = draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
    if draw(st.booleans()):
        entry["exempt_sectors"] = draw(st.lists(st.sampled_from(GOODS), max_size=2, unique=True))
    return entry


@st.composite
def rules(draw: st.DrawFn) -> dict:
    imposer, target = draw(st.permutations(REGIONS))[:2]
    rule = {
        "imposer": imposer,
        "target": target,
        "sectors": draw(goods_lists),
        "lag_months": draw(st.integers(0, 4)),
        "rounds": draw(st.integers(1, 3)),
        "trigger": {"threshold": draw(st.floats(0, 20))},
    }
    if draw(st.booleans()):
        rule["rate"] = draw(st.floats(1, 50))
    else:
        rule["match"] = draw(st.sampled_from(["rate", "value"]))
    if draw(st.booleans()):
        rule["truce"] = draw(dates).isoformat()
    return rule


@st.composite
def shocks(draw: st.DrawFn, size: float = 1.0) -> dict:
    """Demand shifts, capital inflows, exchange-rate paths and an AI-capex path (``size`` 0:
    shocks present but of zero size)."""
    out: dict = {}
    if draw(st.booleans()):
        region = draw(st.sampled_from(REGIONS))
        sectors = draw(st.just("all") | goods_lists)
        change = size * draw(st.floats(-20, 20))
        out["demand"] = [
            {"region": region, "sectors": sectors, "start": draw(months), "change": change}
        ]
    if draw(st.booleans()):
        out["capital_inflows"] = [
            {"start": draw(months), "usd_bn_per_month": size * draw(st.floats(0, 60))}
        ]
    if draw(st.booleans()):
        out["exchange_rates"] = [
            {"region": draw(st.sampled_from(REGIONS)),
             "path": {draw(months): 1.0 + size * draw(st.floats(-0.2, 0.2))}}
        ]  # fmt: skip
    if draw(st.booleans()):
        out["ai_capex"] = {
            "path": {draw(months): size * draw(st.floats(0, 20))},
            "import_content": draw(st.floats(0, 1)),
            "tariff_exempt": draw(st.booleans()),
        }
    return out


def scenario(**fields) -> dict:
    return {"name": "random", "start": START, "end": END, **fields}


@FAST
@given(
    tariff_list=st.lists(tariffs(), max_size=4),
    rule_list=st.lists(rules(), max_size=2),
    shock=shocks(),
    mechanisms=switches,
    pass_through=st.floats(0, 1),
    speed=st.floats(0.01, 1),
    firms=st.sampled_from([0, 500]),  # at least 2 x 15 regions x 15 sectors
)
def test_random_scenarios_keep_the_identities(
    tariff_list, rule_list, shock, mechanisms, pass_through, speed, firms
):
    spec = scenario(
        tariffs=tariff_list,
        retaliation=rule_list,
        shocks=shock,
        mechanisms=mechanisms,
        firms={"count": firms},
        parameters={"pass_through": pass_through, "adjustment_speed": speed},
    )
    result = run_scenario(spec)
    flows = cube(result)
    assert np.all(np.isfinite(flows)) and np.all(flows >= 0)
    assert_revenue_follows_the_schedule(result, flows)
    for r, code in enumerate(REGIONS):
        imports = flows[:, :, r].sum(axis=(1, 2))
        exports = flows[:, r].sum(axis=(1, 2))
        assert macro(result, code, "imports") / BN == pytest.approx(imports, rel=1e-9)
        assert macro(result, code, "balance") / BN == pytest.approx(exports - imports, abs=1e-9)


@FAST
@given(
    rule_list=st.lists(rules(), max_size=2),
    shock=shocks(size=0.0),
    mechanisms=switches,
    zero_rated=st.lists(tariffs().map(lambda t: {**t, "rate": 0, "mode": "add"}), max_size=2),
    firms=st.sampled_from([0, 500]),  # at least 2 x 15 regions x 15 sectors
)
def test_no_policy_is_the_baseline_whatever_the_switches(
    rule_list, shock, mechanisms, zero_rated, firms
):
    """Zero-rated tariffs, rules with nothing to answer and zero-sized shocks change nothing."""
    spec = scenario(
        tariffs=zero_rated,
        retaliation=rule_list,
        shocks=shock,
        mechanisms=mechanisms,
        firms={"count": firms},
    )
    result = run_scenario(spec)
    grow = growth_path(N) if mechanisms["growth"] else np.ones((N, len(REGIONS)))
    expected = T.flows[None] / 12.0 * grow[:, None, :, None]
    assert_close(cube(result), off_diagonal(expected), rel=1e-9, abs=1e-12)


@FAST
@given(
    low=st.floats(0, 100),
    step=st.floats(1, 100),
    effective=dates,
    sectors=st.just("all") | goods_lists,
    mechanisms=switches.map(lambda m: {**m, "front_loading": False}),
    pass_through=st.floats(0.2, 1),
)
def test_a_higher_tariff_never_buys_more_from_the_taxed_partner(
    low, step, effective, sectors, mechanisms, pass_through
):
    """Without front-loading (which buys more *before* a higher tariff), US imports from
    China are lower every month under a higher rate on China, once either rate applies."""

    def imports(rate: float) -> np.ndarray:
        tariff = {"imposer": "USA", "partners": ["CHN"], "sectors": sectors, "rate": rate,
                  "effective": effective.isoformat()}  # fmt: skip
        spec = scenario(
            tariffs=[tariff],
            mechanisms=mechanisms,
            firms={"count": 0},
            parameters={"pass_through": pass_through},
        )
        goods = cube(run_scenario(spec))[:, T.r("CHN"), T.r("USA")][:, T.goods]
        return goods.sum(axis=1)

    first = (effective.year - 2024) * 12 + effective.month - 1
    lower, higher = imports(low), imports(low + step)
    assert np.all(higher[first:] <= lower[first:] * (1 + 1e-12))
    assert np.all(higher[first + 1 :] < lower[first + 1 :])
