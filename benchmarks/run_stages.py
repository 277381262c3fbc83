"""Where the time of ``tradesim run`` goes: each stage's CPU and wall time.

Times, in this fresh process, the stages that ``tradesim run`` (the default scenario, plots
included) goes through, without cyclic garbage collection as the command runs: importing pandas
and the engine (a run imports no Mesa), loading the scenario, the scenario's simulation, its
baseline's, the tidy tables, the summary, each data file, the plots' inputs, importing
matplotlib and drawing each plot. ``tradesim run`` itself does the last two in two drawer
processes (simulator/results/plotworker.py), each plot as soon as its inputs are made, while it
writes the data, so its wall time is less than the sum of the stages. Then it runs the command
end to end in fresh processes, and, with ``--against PYTHON``, alternates with another
installation's ``python -m simulator.cli run`` (for instance the previous main in its own
virtual environment), so that both are timed in the same minutes; medians are printed. CPU
seconds (this process's, or the command's own user + system, worker included) are the steadier
figure on a shared machine; the load average is printed beside them. Usage:

    python benchmarks/run_stages.py                     # stages, then 5 runs end to end
    python benchmarks/run_stages.py --repeat 5 --against /tmp/main-venv/bin/python
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

ROWS: list[tuple[str, float, float]] = []


def stage(label: str, func: Callable[[], Any]) -> Any:
    """Run ``func`` once, record its CPU and wall seconds under ``label``, return its value."""
    cpu, wall = time.process_time(), time.perf_counter()
    value = func()
    ROWS.append((label, time.process_time() - cpu, time.perf_counter() - wall))
    return value


def stages(out: Path) -> None:
    gc.disable()  # as tradesim run
    stage("import simulator.cli", lambda: __import__("simulator.cli"))
    from simulator import cli

    stage("import pandas", lambda: _import("pandas"))
    stage("import the engine and results (simulator.api)", lambda: _import("simulator.api"))
    from simulator.api import run_scenario
    from simulator.results import plots
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
    jobs = stage("plots' inputs (every plot)", lambda: plots.plot_jobs(result, baseline))
    stage("import matplotlib (drawers)", lambda: _import("matplotlib.backends.backend_agg"))
    for job in jobs:
        stage(f"draw {job.name} (a drawer)", lambda j=job: j(out))
    gc.enable()


def _import(name: str) -> Any:
    __import__(name)
    return sys.modules[name]


def end_to_end(repeat: int, pythons: list[str]) -> dict[str, list[tuple[float, float, float]]]:
    """``python -m simulator.cli run --out DIR`` in fresh processes, alternating between the
    ``pythons``: (wall, CPU, load before) of each run, by python.

    Not quiet, so the summary is printed as a user sees it (to /dev/null here)."""
    runs: dict[str, list[tuple[float, float, float]]] = {p: [] for p in pythons}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeat):
            for n, python in enumerate(pythons):
                load = os.getloadavg()[0]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                command = [python, "-m", "simulator.cli", "run", "--out", f"{tmp}/{n}-{k}"]
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tmp)
                wall = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs[python].append((wall, cpu, load))
    return runs


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="end-to-end runs (default 5)")
    parser.add_argument(
        "--against",
        metavar="PYTHON",
        action="append",
        default=[],
        help="another installation's python to time beside this one, run for run (repeatable)",
    )
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
    print("tradesim run --out DIR, end to end in fresh processes (run in a temporary folder):")
    for python, runs in end_to_end(args.repeat, [sys.executable, *args.against]).items():
        print(f"  {python}")
        for wall, cpu, before in runs:
            print(f"    wall {wall:5.2f} s   CPU {cpu:5.2f} s   (load before: {before:.1f})")
        walls, cpus, loads = ([r[k] for r in runs] for k in range(3))
        print(
            f"    median: wall {median(walls):5.2f} s   CPU {median(cpus):5.2f} s   "
            f"(load before: {median(loads):.1f})"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f} on {cores} cores")


if __name__ == "__main__":
    main(sys.argv[1:])
