"""Where the time of ``tradesim run`` goes: each stage's CPU and wall time.

Times, in this fresh process, the stages that ``tradesim run`` (the default scenario, plots
included) goes through one after the other: the imports, loading the scenario, the scenario's
simulation, its baseline's, the tidy tables, the summary, each data file and each plot. Then it
runs the command itself end to end a few times in fresh processes (the best of them, since the
machine may be shared). CPU seconds (this process's, or the command's own user + system) are
the steadier figure on a shared machine; the load average is printed beside them. Usage:

    python benchmarks/run_stages.py            # stages, then the command end to end (3 times)
    python benchmarks/run_stages.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROWS: list[tuple[str, float, float]] = []


def stage(label: str, func: Callable[[], Any]) -> Any:
    """Run ``func`` once, record its CPU and wall seconds under ``label``, return its value."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = func()
    ROWS.append((label, time.process_time() - cpu, time.perf_counter() - wall))
    return value


def stages(out: Path) -> None:
    stage("import simulator.cli", lambda: __import__("simulator.cli"))
    from simulator import cli

    plots = stage("import the plotting module", lambda: _import("simulator.results.plots"))
    from simulator.api import run_scenario
    from simulator.results.csvio import write_csv
    from simulator.results.summary import summary_markdown

    loaded = stage("load us_2025", lambda: cli._load(cli.DEFAULT_SCENARIO, [], quiet=True))
    result = stage("simulate us_2025", lambda: run_scenario(loaded))
    baseline = stage("simulate its baseline", lambda: cli._baseline_for(loaded))
    stage("table: trade (tidy)", lambda: result.trade)
    stage("table: macro (tidy)", lambda: result.macro)
    stage("summary.md", lambda: summary_markdown(result, baseline))
    out.mkdir(parents=True, exist_ok=True)
    for name in ("trade", "macro"):
        frame = getattr(result, name)
        stage(f"{name}.parquet", lambda f=frame, n=name: f.to_parquet(out / f"{n}.parquet"))
        stage(f"{name}.csv", lambda f=frame, n=name: write_csv(f, out / f"{n}.csv"))
    for name, plot in plots.run_plots(result).items():
        stage(f"plot: {name}", lambda p=plot, n=name: p(result, baseline, out / n))


def _import(name: str) -> Any:
    __import__(name)
    return sys.modules[name]


def end_to_end(repeat: int) -> list[tuple[float, float, float]]:
    """``tradesim run --out DIR`` in fresh processes: (wall, CPU, load before) each time.

    Not quiet, so the summary is printed as a user sees it (to /dev/null here)."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            command = [sys.executable, "-m", "simulator.cli", "run", "--out", f"{tmp}/{k}"]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            runs.append((wall, cpu, load))
    return runs


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="end-to-end runs (default 3)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        stages(Path(tmp))
    cores = os.cpu_count()
    print(f"stages of tradesim run (this process; load average {load:.1f} on {cores} cores)")
    print(f"{'stage':40s} {'CPU s':>7s} {'wall s':>7s}")
    for label, cpu, wall in ROWS:
        print(f"{label:40s} {cpu:7.3f} {wall:7.3f}")
    print()
    print("tradesim run --out DIR, end to end in a fresh process:")
    for wall, cpu, before in end_to_end(args.repeat):
        print(f"    wall {wall:5.2f} s   CPU {cpu:5.2f} s   (load average before: {before:.1f})")


if __name__ == "__main__":
    main(sys.argv[1:])
