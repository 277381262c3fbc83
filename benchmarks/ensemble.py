"""Many runs: wall time and peak memory of an ensemble, a decomposition or one plain run.

Each case runs the ``tradesim`` command in a fresh process and samples the resident memory of
its whole process tree (the command and its pool workers) every 0.1 s, so the peak counts
every process at once (summed resident sizes, which count shared library pages once per
process, and summed proportional sizes, which count them once); CPU is the user + system
time of the whole tree, sampled alike (less sensitive than wall time to other work on a
shared machine). Usage:

    python benchmarks/ensemble.py                      # 1,000-run us_2025 ensemble, --jobs 1 and 2
    python benchmarks/ensemble.py ensemble 200 2       # N runs with J jobs
    python benchmarks/ensemble.py decompose 2          # tradesim decompose us_2025 --jobs J
    python benchmarks/ensemble.py run                  # tradesim run (default scenario)

The machine may be shared: the load average is printed beside each figure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    """Proportional set size in bytes: pages shared by n processes count 1/n in each."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree(root: int) -> tuple[int, int, dict[int, int]]:
    """Resident and proportional bytes of a process and all its descendants (summed), and
    each one's CPU ticks. Summed resident sizes count shared pages (the imported libraries
    that pool workers share with the process they fork from) once per process; the sum of
    proportional sizes counts them once: the memory the tree really holds."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(stat[1]), []).append(pid)
        rss[pid] = int(statm[1]) * PAGE
        ticks[pid] = int(stat[11]) + int(stat[12])  # utime + stime
    total, pss, todo, tree_ticks = 0, 0, [root], {}
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        pss += _pss(pid)
        tree_ticks[pid] = ticks.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total, pss, tree_ticks


def measure(args: list[str]) -> dict[str, float]:
    """Run ``tradesim ARGS``; wall seconds, CPU seconds and peak tree memory in MB."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "simulator.entry", *args, "-q"])  # as `tradesim`
    peak = peak_pss = 0
    cpu: dict[int, int] = {}
    while proc.poll() is None:
        rss, pss, ticks = _tree(proc.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        for pid, t in ticks.items():
            cpu[pid] = max(cpu.get(pid, 0), t)
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"tradesim {' '.join(args)} failed ({proc.returncode})")
    cpu_s = sum(cpu.values()) / os.sysconf("SC_CLK_TCK")
    return {
        "wall_s": wall,
        "cpu_s": cpu_s,
        "peak_mb": peak / 1e6,
        "peak_pss_mb": peak_pss / 1e6,
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


def show(label: str, figures: dict[str, float]) -> None:
    print(
        f"{label:42s} wall {figures['wall_s']:7.1f} s   CPU {figures['cpu_s']:7.1f} s   "
        f"peak {figures['peak_mb']:5.0f} MB resident, {figures['peak_pss_mb']:5.0f} MB "
        f"proportional   (load average {figures['load_before']:.1f} before, "
        f"{figures['load_after']:.1f} after, on {os.cpu_count()} cores)",
        flush=True,
    )


def main(argv: list[str]) -> None:
    case = argv[0] if argv else "ensemble"
    with tempfile.TemporaryDirectory() as tmp:
        if case == "ensemble":
            n = int(argv[1]) if len(argv) > 1 else 1000
            jobs_list = [int(argv[2])] if len(argv) > 2 else [1, 2]
            for jobs in jobs_list:
                out = Path(tmp) / f"ens{jobs}"
                args = ["run", "us_2025", "--ensemble", str(n), "--jobs", str(jobs)]
                show(
                    f"run us_2025 --ensemble {n} --jobs {jobs}", measure([*args, "--out", str(out)])
                )
        elif case == "decompose":
            jobs = int(argv[1]) if len(argv) > 1 else 2
            args = ["decompose", "us_2025", "--jobs", str(jobs), "--out", f"{tmp}/dec"]
            show(f"decompose us_2025 --jobs {jobs}", measure(args))
            print(Path(f"{tmp}/dec/decomposition.csv").read_text(encoding="utf-8"))
        elif case == "run":
            show("run (default scenario, plots included)", measure(["run", "--out", f"{tmp}/run"]))
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
