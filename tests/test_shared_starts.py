"""Batches that begin alike carry on from a kept state (simulator/engine/prefix.py): every
record must equal the batch run from its first month, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.calibration.dataset import load_dataset
from simulator.engine.prefix import SharedStarts, divergence
from simulator.engine.worlds import RECORDS, Worlds
from simulator.scenario import load_scenario


def tariff(partner: str, rate: float, announced: str = "2025-03-01") -> dict:
    return {
        "id": f"extra_{partner.lower()}",
        "imposer": "USA",
        "partners": [partner],
        "announced": announced,
        "effective": "2025-04-01",
        "rate": rate,
        "source": "test",
    }


def scenarios(base: str, sets: list[str], members: list[list[dict]]) -> list:
    """One scenario per member: ``base`` with ``sets`` and the member's extra tariffs."""
    out = []
    for i, extra in enumerate(members):
        child = {"extends": base, "name": f"member_{i}"}
        if extra:
            child["tariffs"] = extra
        out.append(load_scenario(child, sets).scenario)
    return out


def run_from_start(batch: list, seeds: list[int] | None = None) -> Worlds:
    data = load_dataset(batch[0].data).aggregate(batch[0].regions, batch[0].sectors)
    worlds = Worlds(batch, data, seeds or [s.seed for s in batch])
    worlds.run()
    return worlds


def assert_identical(a: Worlds, b: Worlds) -> None:
    for record in sorted(RECORDS):
        assert np.array_equal(getattr(a, record), getattr(b, record)), record


@pytest.mark.parametrize(
    "base, sets",
    [
        ("us_2025", ["firms.count=3000", "end=2025-12"]),  # firms, their draws and contracts
        ("escalation", ["firms.count=0", "end=2026-06"]),  # rules that fire, a continuum
    ],
)
def test_a_batch_begun_from_a_kept_state_equals_the_batch_run_from_its_start(base, sets):
    starts = SharedStarts()
    first = scenarios(base, sets, [[tariff("CHN", r)] for r in (10, 20, 30)])
    second = scenarios(base, sets, [[tariff("CHN", r), tariff("MEX", 15)] for r in (5, 40, 25)])
    assert divergence(first) == divergence(second) == 14  # announced 2025-03, start 2024-01
    for batch in (first, second):
        data = load_dataset(batch[0].data).aggregate(batch[0].regions, batch[0].sectors)
        kept = starts.run(batch, data, [s.seed for s in batch])
        assert_identical(kept, run_from_start(batch))
    assert starts.reused == 1


def test_a_batch_whose_tariffs_part_earlier_does_not_begin_from_a_kept_state():
    sets = ["firms.count=0", "end=2025-09"]
    starts = SharedStarts()
    first = scenarios("autos_25", sets, [[tariff("CHN", r)] for r in (10, 20)])
    data = load_dataset(first[0].data).aggregate(first[0].regions, first[0].sectors)
    starts.run(first, data, [7, 7])
    # the same month apart, but one member has a tariff announced before it
    earlier = scenarios(
        "autos_25", sets, [[tariff("CHN", 10)], [tariff("CHN", 20), tariff("JPN", 5, "2024-06-01")]]
    )
    assert divergence(earlier) == 5
    assert_identical(starts.run(earlier, data, [7, 7]), run_from_start(earlier, [7, 7]))
    # a member seeded otherwise
    assert_identical(starts.run(first, data, [7, 8]), run_from_start(first, [7, 8]))
    assert starts.reused == 0


def test_members_with_the_same_tariffs_do_not_part():
    same = scenarios("autos_25", ["firms.count=0"], [[tariff("CHN", 10)]] * 2)
    assert divergence(same) == same[0].n_months
    assert divergence(scenarios("autos_25", ["firms.count=0"], [[], []])) == same[0].n_months
