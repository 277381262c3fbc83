"""The member axis: batched runs against the same runs made one at a time, in one process.

For an ensemble of us_2025 with a continuum of firms (the uncertain parameters drawn as
``tradesim run --ensemble`` draws them), it times

* the engine alone: each member as its own model (``TradeModel``, the batch of one) against
  batches of 8, 16 and 32 members (``Worlds``);
* the whole run function, outputs included: ``run_one`` per member against ``run_batch``;
* with firms: 20 members of 100,000 firms each in one batch, in firm-months a CPU second
  (compare ``benchmarks/engine.py``, one model of 1,000,000 firms);

in CPU seconds per member (steadier than wall time on a shared machine) and as ratios, and
the arrays a batch holds per member. Both paths run in the same minutes, alternately.
Usage::

    python benchmarks/members.py          # 32 members
    python benchmarks/members.py 64       # another count
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def main(n: int) -> None:
    from simulator.calibration.dataset import load_dataset
    from simulator.engine.worlds import Worlds
    from simulator.model import TradeModel
    from simulator.runs.run import run_batch, run_one
    from simulator.runs.spec import plan_ensemble
    from simulator.scenario import load_scenario

    loaded = load_scenario("us_2025", ["firms.count=0"])
    specs = plan_ensemble(loaded, n)
    scenarios = [load_scenario(s.scenario, s.overrides()).scenario for s in specs]
    first = scenarios[0]
    data = load_dataset(first.data).aggregate(first.regions, first.sectors)
    run_batch(specs[:2])  # imports and caches, not timed

    def cpu(work) -> float:
        start = time.process_time()
        work()
        return time.process_time() - start

    print(f"us_2025, continuum of firms, {n} members; load average {os.getloadavg()[0]:.1f}")
    alone = cpu(lambda: [TradeModel(s, data).run() for s in scenarios])
    print(f"  engine, one at a time:   {alone / n * 1000:6.1f} ms CPU a member")
    for size in (8, 16, 32):
        chunks = [scenarios[i : i + size] for i in range(0, n, size)]
        batched = cpu(lambda chunks=chunks: [Worlds(c, data, [0] * len(c)).run() for c in chunks])
        print(
            f"  engine, batches of {size:2d}:   {batched / n * 1000:6.1f} ms CPU a member "
            f"({alone / batched:.2f}x)"
        )
    worlds = Worlds(scenarios[:16], data, [0] * 16)
    held = sum(v.nbytes for v in vars(worlds).values() if isinstance(v, np.ndarray))
    buyers = worlds.firms.buyers
    held += sum(v.nbytes for v in vars(buyers).values() if isinstance(v, np.ndarray))
    print(f"  arrays held: {held / 16 / 1e6:.1f} MB a member")
    one = cpu(lambda: [run_one(s) for s in specs])
    print(f"  run function, one at a time: {one / n * 1000:6.1f} ms CPU a member")
    chunks = [specs[i : i + 16] for i in range(0, n, 16)]
    batch = cpu(lambda: [run_batch(c) for c in chunks])
    print(
        f"  run function, batches of 16: {batch / n * 1000:6.1f} ms CPU a member "
        f"({one / batch:.2f}x)"
    )
    firms = [
        load_scenario("us_2025", [f"seed={i}", "firms.count=100000"]).scenario for i in range(20)
    ]
    seconds = cpu(lambda: Worlds(firms, data, [s.seed for s in firms]).run())
    firm_months = 20 * 100_000 * firms[0].n_months
    print(
        f"  firms, 20 members x 100,000 in one batch: {firm_months / seconds / 1e6:.0f}M "
        f"firm-months a CPU second ({seconds:.1f} s)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)
