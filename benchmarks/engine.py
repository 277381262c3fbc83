"""Engine speed and memory: firm-months per second and peak memory for 10k, 100k, 1M firms.

Runs the bundled us_2025 scenario (tariffs, retaliation, front-loading, AI capex, buyers'
re-sourcing decisions, exporters' entry and exit: every mechanism on) for 120 months with the
given number of firms, one process per size so that peak memory (ru_maxrss) is measured per
size. Firm-months per second are given per wall-clock second and per CPU second of the process
(on a shared machine the second is the steadier measure). Usage:

    python benchmarks/engine.py            # 10k, 100k and 1M firms
    python benchmarks/engine.py 250000     # one size
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SIZES = [10_000, 100_000, 1_000_000]
MONTHS = 120


def measure(n_firms: int) -> dict[str, float]:
    import simulator.model  # noqa: F401  (Mesa, imported by build_model: not timed as building)
    from simulator.api import build_model
    from simulator.scenario import load_scenario

    overrides = [f"firms.count={n_firms}", "start=2024-01", "end=2033-12"]
    loaded = load_scenario("us_2025", overrides=overrides)
    started = time.perf_counter()
    model = build_model(loaded)
    built = time.perf_counter()
    cpu = time.process_time()
    model.run()
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    assert model.n_months == MONTHS
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "firms": n_firms,
        "months": MONTHS,
        "build_s": built - started,
        "run_s": done - built,
        "firm_months_per_s": n_firms * MONTHS / (done - built),
        "firm_months_per_cpu_s": n_firms * MONTHS / cpu,
        "peak_memory_mb": peak_mb,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or SIZES
    print(
        f"{'firms':>10} {'build s':>8} {'run s':>8} {'firm-months/s':>14} "
        f"{'per CPU s':>14} {'peak MB':>8}"
    )
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['firms']:>10,} {r['build_s']:>8.2f} {r['run_s']:>8.2f} "
            f"{r['firm_months_per_s']:>14,.0f} {r['firm_months_per_cpu_s']:>14,.0f} "
            f"{r['peak_memory_mb']:>8.0f}"
        )


if __name__ == "__main__":
    main()
