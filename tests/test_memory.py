"""Many runs in one process: memory stays flat and no model outlives its run."""

from __future__ import annotations

import gc
import os

import mesa

from simulator.runs.executors import execute
from simulator.runs.run import RunSpec, run_one
from simulator.scenario import load_scenario

RUNS = 200


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_200_runs_in_one_process_keep_memory_flat():
    # 20,000 firms each (a few MB a model) over a short horizon, so a leak shows at once
    loaded = load_scenario("baseline", ["end=2024-02", "firms.count=20000"])

    def spec(run: int) -> RunSpec:
        return RunSpec(run, loaded.raw, run, {"parameters.pass_through": 0.9}, "us_balance")

    for run in range(3):  # warm up caches (data set, imports, allocator pools)
        run_one(spec(run))
    gc.collect()
    before = _rss_mb()
    registry = getattr(mesa.Agent, "_ids", {})
    models_before = len(registry)
    for frame in execute((spec(run) for run in range(RUNS)), jobs=1):
        assert len(frame) == 2
    gc.collect()
    assert _rss_mb() - before < 50.0
    # under Mesa 3.3 this registry kept every model alive; it must not grow
    assert len(registry) <= models_before
