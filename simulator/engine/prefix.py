"""Batches that begin alike: the months before their tariffs part, run once.

A class on the dashboard server runs one scenario many times with different tariff levers.
The levers' tariffs are announced the month before they take effect, so until then every
student's run is the same world, month for month: same seed, same firms, same prices. The
first batch's state in that month is kept; a later batch that begins alike (the same
members' scenarios and seeds but for tariffs that act from that month on) carries on from a
copy of it (:meth:`Worlds.fork`) instead of running those months again. Each member still
equals its run alone: the months not run again are the same months.

A tariff acts from the month it is announced (importers expect it; ``announced`` defaults to
``effective``, which is never earlier).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Sequence

from simulator.calendar import month_index, month_of
from simulator.calibration.dataset import BaseData
from simulator.engine.worlds import Worlds
from simulator.scenario.schema import Scenario, Tariff

MIN_MONTHS = 2
"""Begin from a kept state only when it saves at least this many months."""


def _acts_from(tariff: Tariff) -> int:
    """The month index from which a tariff can change a run."""
    return month_of(tariff.announced or tariff.effective)


def divergence(scenarios: Sequence[Scenario]) -> int:
    """The first model month in which the scenarios' tariffs may set them apart: the month a
    tariff that not all of them have acts from (the horizon if they all have the same)."""
    texts = [[t.model_dump_json() for t in s.tariffs] for s in scenarios]
    common = set.intersection(*map(set, texts))
    first = month_index(scenarios[0].start)
    apart = [
        _acts_from(tariff) - first
        for scenario, own in zip(scenarios, texts, strict=True)
        for tariff, text in zip(scenario.tariffs, own, strict=True)
        if text not in common
    ]
    return max(0, min(apart, default=scenarios[0].n_months))


def start_key(scenarios: Sequence[Scenario], seeds: Sequence[int], month: int) -> str:
    """What a batch's months before ``month`` depend on: each member's scenario (but its name,
    description and the tariffs that act from ``month`` on) and seed, in order."""
    first = month_index(scenarios[0].start)
    members = []
    for scenario, seed in zip(scenarios, seeds, strict=True):
        rest = scenario.model_dump(mode="json", exclude={"name", "description", "tariffs"})
        early = [
            t.model_dump(mode="json") for t in scenario.tariffs if _acts_from(t) - first < month
        ]
        members.append([rest, early, seed])
    text = json.dumps([month, members], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class SharedStarts:
    """Batches' states at the month their tariffs part, kept for batches that begin alike
    (``keep`` of them, the most recently used: each holds a batch's state, about 20 MB a
    member of 100,000 firms)."""

    def __init__(self, keep: int = 1) -> None:
        self.keep = keep
        self._kept: OrderedDict[str, Worlds] = OrderedDict()
        self.reused = 0
        """Batches that began from a kept state."""

    def run(self, scenarios: Sequence[Scenario], data: BaseData, seeds: Sequence[int]) -> Worlds:
        """The batch of ``scenarios`` run to its horizon (as ``Worlds(...).run()`` would)."""
        month = divergence(scenarios)
        if not MIN_MONTHS <= month < scenarios[0].n_months:
            worlds = Worlds(scenarios, data, seeds)
            worlds.run()
            return worlds
        key = start_key(scenarios, seeds, month)
        if key in self._kept:
            self._kept.move_to_end(key)
            self.reused += 1
            worlds = self._kept[key].fork(scenarios)
        else:
            worlds = Worlds(scenarios, data, seeds)
            while worlds.t < month:
                worlds.step()
            self._kept[key] = worlds.fork(scenarios)
            while len(self._kept) > self.keep:
                self._kept.popitem(last=False)
        worlds.run()
        return worlds
