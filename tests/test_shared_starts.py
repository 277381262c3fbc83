"""Batches that begin alike carry on from a kept state (simulator/engine/prefix.py): every
record must equal the batch run from its first month, bit for bit."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

from simulator.calibration.dataset import load_dataset
from simulator.engine.prefix import SharedStarts, divergence
from simulator.engine.worlds import RECORDS, Worlds
from simulator.policy import tariffs
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


@pytest.mark.parametrize("authority", [None, "section_232"])
def test_known_paths_carried_on_from_the_batchs_shared_entries_equal_paths_made_whole(
    authority, monkeypatch
):
    """Schedules of a batch build the path of the entries they all begin with once and carry
    on from it; that must be the path made from every entry, bit for bit. An added entry of
    an authority that earlier entries do not stack with (us_2025's IEEPA duties and Section
    232) changes what they reach: then the path is made whole."""
    extra = [[tariff("CHN", r) | ({"authority": authority} if authority else {})] for r in (10, 20)]
    batch = scenarios("us_2025", ["firms.count=0"], [*extra, []])
    data = load_dataset(batch[0].data).aggregate(batch[0].regions, batch[0].sectors)
    worlds = Worlds(batch, data, [1, 1, 1])
    assert 0 < worlds.schedules[0].shared < len(worlds.schedules[0].entries)
    months = range(batch[0].n_months)
    in_batch = [
        [worlds.schedules[worlds.schedule_of[m]].known_path(t) for t in months]
        for m in range(len(batch))
    ]
    # schedules alone, with nothing cached from the batch's
    monkeypatch.setattr(tariffs, "_BUILT", OrderedDict())
    monkeypatch.setattr(tariffs, "_KNOWN", OrderedDict())
    for m, scenario in enumerate(batch):
        alone = Worlds([scenario], data, [1]).schedules[0]
        assert alone.shared == len(alone.entries)
        for t in months:
            for a, b in zip(in_batch[m][t], alone.known_path(t), strict=True):
                assert np.array_equal(a, b), (m, t)
