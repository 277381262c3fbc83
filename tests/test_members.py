"""The member axis: a batch of worlds equals the same runs made one at a time.

Every member of a batch must equal the run made alone, for every record. Records that are
differences against the no-policy path (GDP and trade gaps, welfare changes) are near zero
where the policy does nothing, so each record is compared to its own scale: the largest
difference must be below 1e-12 of the record's largest magnitude in the run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.decomposition import _spec, active_channels
from simulator.api import build_model
from simulator.calibration.dataset import load_dataset
from simulator.engine.members import MEMBER_MECHANISMS, batch_key
from simulator.engine.worlds import RECORDS, Worlds
from simulator.runs.executors import batches, execute
from simulator.runs.run import RunSpec, batchable, run_batch, run_one
from simulator.runs.spec import plan_ensemble
from simulator.scenario import load_scenario

TOLERANCE = 1e-12
# member parameters beyond the uncertain ones an ensemble draws, varied by hand
EXTRA = [
    ["parameters.elasticities.autos=7.5", "parameters.composite_demand_elasticity=0.7"],
    ["parameters.domestic_elasticity_ratio=0.6", "parameters.capacity_elasticity=0.05"],
    ["parameters.price_adjustment_speed=0.5", "parameters.inventory.max_build=0.4"],
]


def assert_same(alone: np.ndarray, member: np.ndarray, name: str) -> None:
    scale = np.max(np.abs(alone)) if alone.size else 0.0
    assert alone.shape == member.shape, name
    assert np.max(np.abs(alone - member), initial=0.0) <= TOLERANCE * scale, name


def members(name: str, sets: list[str], n: int, extra: bool = True) -> list[list[str]]:
    """``n`` members' overrides: ensemble draws of the uncertain parameters, and more."""
    loaded = load_scenario(name, sets)
    draws = [spec.overrides() for spec in plan_ensemble(loaded, n, seed=11)]
    return [sets + d + (EXTRA[i % len(EXTRA)] if extra else []) for i, d in enumerate(draws)]


def batch_equal_to_alone(name: str, overrides: list[list[str]]) -> tuple[Worlds, list]:
    """Run ``overrides`` of scenario ``name`` as the members of one batch (each with its own
    seed) and each alone (the Mesa model); assert every record equal; return the batch and
    the models alone."""
    scenarios = [load_scenario(name, o).scenario for o in overrides]
    data = load_dataset(scenarios[0].data).aggregate(scenarios[0].regions, scenarios[0].sectors)
    worlds = Worlds(scenarios, data, seeds=[s.seed for s in scenarios])
    worlds.run()
    alones = []
    for i, o in enumerate(overrides):
        alone = build_model(load_scenario(name, o))
        alone.run()
        for record in sorted(RECORDS):
            assert_same(getattr(alone, record), getattr(worlds, record)[i], record)
        alones.append(alone)
    return worlds, alones


@pytest.mark.parametrize(
    "name, sets",
    [
        ("us_2025", ["firms.count=0", "end=2026-06"]),  # AI capex, front-loading, the dollar
        ("escalation", ["firms.count=0"]),  # retaliation rules that differ between members
        ("truce", ["firms.count=0", "mechanisms.switching_frictions=false"]),
    ],
)
def test_every_member_of_a_batch_equals_its_run_alone(name, sets):
    worlds, _ = batch_equal_to_alone(name, members(name, sets, 4))
    # the members really differ: a batch of copies would pass the test above trivially
    assert not np.allclose(worlds.flows[0], worlds.flows[1])


def test_members_with_different_tariffs_equal_their_runs_alone():
    """A sweep over tariff rates: each member has its own schedule, and retaliation rules
    answer each member's own tariffs (they fire in some members and not in others)."""
    base = ["firms.count=0", "end=2026-06"]
    overrides = [[*base, f"tariffs.china_reciprocal.rate={rate}"] for rate in (0, 10, 60)]
    peace = ["tariffs.china_fentanyl.rate=0", "tariffs.china_reciprocal.rate=0"]
    overrides.append(base + peace)  # nothing on China: no rule fires
    worlds, alones = batch_equal_to_alone("escalation", overrides)
    assert len(worlds.schedules) == 4
    for i, alone in enumerate(alones):
        assert [len(r.fired[0]) for _, r in alone.worlds.rules] == [
            len(r.fired[i]) for _, r in worlds.rules
        ]
    assert sum(len(rule.fired[0]) for _, rule in worlds.rules) > 0  # fired in member 0
    assert [len(rule.fired[3]) for _, rule in worlds.rules] == [0, 0]  # not in member 3


def test_members_with_firms_draw_their_own_and_equal_their_runs_alone():
    """Each member draws its firms from its own seed, as the run alone does."""
    sets = ["firms.count=3000", "end=2025-12"]
    overrides = [
        sets + o for o in (["seed=1"], ["seed=2"], ["seed=1", "parameters.pass_through=0.8"])
    ]
    worlds, _ = batch_equal_to_alone("autos_25", overrides)
    assert worlds.firms.n_buyers == 3 * (3000 - 3000 // 2)
    assert not np.array_equal(worlds.flows[0], worlds.flows[1])  # other seed, other firms


def tables_equal(a: pd.DataFrame, b: pd.DataFrame) -> None:
    keys = ["run", "month", "region", "partner", "variable"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    for variable, rows in a.groupby("variable").groups.items():
        assert_same(a.value[rows].to_numpy(), b.value[rows].to_numpy(), variable)


def test_a_batch_of_runs_gives_the_tables_of_the_runs_alone():
    loaded = load_scenario("retaliation", ["firms.count=0"])
    specs = plan_ensemble(loaded, 3)
    assert all(batchable(spec) for spec in specs)
    for alone, member in zip([run_one(s) for s in specs], run_batch(specs), strict=True):
        tables_equal(alone, member)


def test_results_do_not_depend_on_batch_size_or_jobs():
    loaded = load_scenario("autos_25", ["firms.count=0", "end=2025-09"])
    specs = plan_ensemble(loaded, 5)
    one = sorted(execute(specs, jobs=1), key=lambda f: int(f.run.iloc[0]))
    two = sorted(execute(specs, jobs=2), key=lambda f: int(f.run.iloc[0]))
    for a, b in zip(one, two, strict=True):
        tables_equal(a, b)
    by_sizes = [list(map(len, batches(specs, size))) for size in (1, 2, 5)]
    assert by_sizes == [[1] * 5, [2, 2, 1], [5]]


def test_only_runs_that_differ_in_member_values_share_a_batch():
    loaded = load_scenario("autos_25", ["firms.count=0"])
    raw = loaded.raw

    def spec(run: int, **values: object) -> RunSpec:
        return RunSpec(run, raw, 0, dict(values))

    assert batchable(spec(0, **{"parameters.pass_through": 0.9}))
    assert batchable(spec(0, **{"tariffs.autos.rate": 30, "parameters.pass_through": 0.9}))
    assert batchable(spec(0, **{"mechanisms.diversion": False}))
    assert not batchable(spec(0, **{"mechanisms.growth": False}))  # shapes the no-policy path
    assert not batchable(spec(0, **{"parameters.inventory.lead_months": 2}))
    firms = RunSpec(0, {**raw, "firms": {"count": 2000}}, 0, {})
    assert batchable(firms)
    growth = {"mechanisms.growth": False}
    mixed = [spec(0), spec(1, **growth), spec(2, **growth, **{"mechanisms.dollar": False})]
    mixed += [spec(3, **{"mechanisms.diversion": False}), spec(4)]
    # runs that share the values members cannot differ in go together, whatever else differs
    assert [[s.run for s in b] for b in batches(mixed)] == [[0], [1, 2], [3, 4]]
    a = load_scenario("autos_25", ["parameters.pass_through=0.9"]).scenario
    b = load_scenario("autos_25", ["tariffs.autos.rate=30"]).scenario
    c = load_scenario("autos_25", ["mechanisms.diversion=false"]).scenario
    d = load_scenario("autos_25", ["mechanisms.supply_chains=false"]).scenario
    assert batch_key(a) == batch_key(b) == batch_key(c) != batch_key(d)
    data = load_dataset(a.data).aggregate(a.regions, a.sectors)
    with pytest.raises(ValueError, match="differ in more than tariffs, parameters and switches"):
        Worlds([a, d], data, [0, 0])


@pytest.mark.parametrize(
    "name, firms", [("us_2025", 0), ("us_2025", 2000), ("escalation", 0)]
)  # escalation: retaliation rules that fire in the members that keep retaliation on
def test_members_with_different_mechanisms_equal_their_runs_alone(name, firms):
    """Mechanism switches are member arrays: every member of a batch whose members switch
    random sets of channels off (one all on, one all off) equals its run alone."""
    sets = [f"firms.count={firms}", "end=2026-03"]
    rng = np.random.default_rng(3)
    overrides = [sets, sets + [f"mechanisms.{m}=false" for m in MEMBER_MECHANISMS]]
    for _ in range(4):
        off = [m for m in MEMBER_MECHANISMS if rng.random() < 0.4]
        overrides.append(sets + [f"mechanisms.{m}=false" for m in off])
    worlds, _ = batch_equal_to_alone(name, overrides)
    # the switches act: all on and all off differ, in trade and in what buyers do
    assert not np.allclose(worlds.flows[0], worlds.flows[1])
    assert np.all(worlds.switched[1] == 1.0)  # no frictions: every buyer re-sources
    assert worlds.switched[0].mean() < 0.5  # with frictions, few do in a month


def test_a_decomposition_runs_its_channel_subsets_as_members_of_batches():
    """Every subset of channels a decomposition needs shares a batch with the others."""
    loaded = load_scenario("autos_25")
    subsets = [(), ("diversion",), ("diversion", "dollar"), active_channels(loaded)]
    specs = [_spec(i, loaded, frozenset(on), "2025-12") for i, on in enumerate(subsets)]
    assert [len(b) for b in batches(specs)] == [4]
    for alone, member in zip([run_one(s) for s in specs], run_batch(specs), strict=True):
        tables_equal(alone, member)


def test_a_batched_member_reports_the_retaliation_its_rules_decided():
    """The summary's retaliation table reads what each rule did in that member: a member
    loaded apart (its own tariffs) has its own copies of the rules' specs."""
    from simulator.api import run_scenario, run_scenarios
    from simulator.results.summary import summary_markdown

    def table(result) -> str:
        text = summary_markdown(result)
        start = text.index("## Retaliation rules")
        return text[start : text.index("\n## ", start + 1)]

    sets = ["firms.count=0", "end=2026-06"]
    quiet = load_scenario("escalation", [*sets, "tariffs.china_reciprocal.rate=0"])
    loud = load_scenario("escalation", [*sets, "tariffs.china_reciprocal.rate=60"])
    batched = run_scenarios([quiet, loud], [None, None])
    assert table(batched[1]) == table(run_scenario(loud))
    assert "% from 2025-" in table(batched[1])  # the rules fired in this member
