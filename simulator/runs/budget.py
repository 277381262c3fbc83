"""What a command of many runs will cost, estimated before any work: time, memory and disk.

The figures per run are measured on this project's 2-core development machine and documented
in docs/ensembles.md ("Before many runs start"), which also gives the thresholds: above any
of them a command asks for ``--yes`` (and refuses in a non-interactive shell); a count whose
memory would pass half of the machine's memory is refused outright; a store that would not
fit on its disk is refused with the figures. Nothing here runs the model, so a refusal comes
within a second however large the count.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from simulator.results.output import OutputError
from simulator.scenario import ScenarioError

# per run and month of the horizon (us_2025: 48 months, 15 regions, 100,000 firms)
SECONDS_PER_RUN_MONTH = 0.005
"""CPU of an ensemble or sweep run: 0.24 s for a us_2025 member."""
SECONDS_PER_FIRM_MONTH = 1e-8
"""CPU per firm and month (1,000,000 firms × 120 months: about 1.2 s)."""
STORE_BYTES_PER_RUN_MONTH = 3_000
"""A run's Parquet file in a store: 132 kB for a us_2025 member."""
SUMMARY_BYTES_PER_RUN_MONTH = 3_000
"""Memory of a run in the runs × values matrix that results/ is written from (375 values
a month, 8 bytes each)."""
PLAN_BYTES_PER_RUN = 2_000
"""Memory of a planned run and its manifest entry."""
RESULTS_BYTES_PER_MONTH = 150_000
"""results/ of an ensemble (quantiles, fan charts): 5.7 MB for us_2025."""
RUN_FOLDER_BYTES_PER_MONTH = {"csv": 370_000, "parquet": 60_000}
"""A single run's folder per data format (us_2025: trade.csv 16.9 MB, trade.parquet 2.7 MB)."""
PLOTS_BYTES = 500_000
DECOMPOSITION_SECONDS_PER_RUN_MONTH = 0.002
"""A decomposition run (a continuum of firms, US balance only): 0.05 s for 24 months."""
BYTES_PER_PERMUTATION_CHANNEL = 100
"""Memory of a sampled order of channels and its gains, per channel (the orders alone: 68
bytes, measured with tracemalloc for 100,000 orders of 12 channels)."""

ASK_SECONDS = 3600.0
"""Above an hour of wall time, ask for --yes."""
ASK_MEMORY = 4e9
"""Above 4 GB of memory, ask for --yes."""
ASK_DISK = 5e9
"""Above 5 GB on disk, ask for --yes."""
MEMORY_SHARE = 0.5
"""A count whose memory estimate passes this share of the machine's memory is refused."""


@dataclass(frozen=True)
class Estimate:
    """What a command will take: runs, wall seconds, peak memory and disk, in bytes."""

    what: str
    runs: int
    seconds: float
    memory: float
    disk: float
    jobs: int

    def describe(self) -> str:
        return (
            f"{self.what}: {self.runs:,} runs, about {_duration(self.seconds)} on {self.jobs} "
            f"job{'s' if self.jobs > 1 else ''}, {_bytes(self.memory)} of memory and "
            f"{_bytes(self.disk)} on disk"
        )

    def over(self) -> list[str]:
        """The thresholds this estimate passes, described."""
        return [
            f"{label} above {limit}"
            for label, value, threshold, limit in (
                ("time", self.seconds, ASK_SECONDS, "an hour"),
                ("memory", self.memory, ASK_MEMORY, _bytes(ASK_MEMORY)),
                ("disk", self.disk, ASK_DISK, _bytes(ASK_DISK)),
            )
            if value > threshold
        ]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.1f} days"


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:.0f} bytes"


def machine_memory() -> float:
    """The machine's physical memory in bytes (16 GB where it cannot be read)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 16e9


def free_disk(path: Path) -> float:
    """Free bytes on the disk that would hold ``path`` (its nearest existing folder)."""
    folder = Path(os.path.abspath(path))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return float(shutil.disk_usage(folder).free)
    except OSError:
        return float("inf")


def many_runs(what: str, runs: int, months: int, firms: int, jobs: int) -> Estimate:
    """An ensemble's or a sweep's cost: ``runs`` runs of ``months`` months with ``firms``."""
    per_run = months * (SECONDS_PER_RUN_MONTH + firms * SECONDS_PER_FIRM_MONTH)
    memory = runs * (PLAN_BYTES_PER_RUN + months * SUMMARY_BYTES_PER_RUN_MONTH)
    disk = runs * months * STORE_BYTES_PER_RUN_MONTH + (RESULTS_BYTES_PER_MONTH * months)
    jobs = max(jobs, 1)  # --jobs 0 is refused later, with its own message
    return Estimate(what, runs, runs * per_run / jobs, memory, disk, jobs)


def decomposition(
    what: str, runs: int, months: int, permutations: int, channels: int, jobs: int
) -> Estimate:
    """A decomposition's cost: ``runs`` subsets run, ``permutations`` orders kept."""
    memory = permutations * max(channels, 1) * BYTES_PER_PERMUTATION_CHANNEL + 300e6
    jobs = max(jobs, 1)
    seconds = runs * months * DECOMPOSITION_SECONDS_PER_RUN_MONTH / jobs
    seconds += permutations * channels * 2e-6  # the gains along each order
    return Estimate(what, runs, seconds, memory, 1e6, jobs)


def single_run(months: int, formats: list[str], plots: bool) -> float:
    """Bytes a run's folder takes (written beside the old one before it is replaced)."""
    per_month = sum(RUN_FOLDER_BYTES_PER_MONTH.get(f, 0) for f in formats)
    return months * per_month + (PLOTS_BYTES if plots else 0) + 50_000


def check_disk(out: Path, needed: float, what: str) -> None:
    """Refuse, with the figures, when the disk that would hold ``out`` cannot take ``needed``
    bytes (raises :class:`OutputError`: exit 3, nothing written)."""
    free = free_disk(out)
    if needed > free:
        raise OutputError(
            f"{out}: {what} needs about {_bytes(needed)} on disk, and only {_bytes(free)} is "
            "free there\n    hint: free some space, or write somewhere else with --out"
        )


def confirm(estimate: Estimate, out: Path | None, yes: bool, count: str) -> None:
    """Check an estimate before any work: refuse a count beyond the memory bound (whatever
    ``yes``), a store that cannot fit on its disk, and, above a threshold, ask for ``--yes``
    on a terminal or refuse without one. ``count`` names the option or key that sets the
    number of runs, for the hints."""
    limit = MEMORY_SHARE * machine_memory()
    if estimate.memory > limit:
        largest = int(estimate.runs * limit / estimate.memory) if estimate.runs else 0
        raise ScenarioError.simple(
            f"{estimate.describe()}; more than half of this machine's "
            f"{_bytes(machine_memory())} of memory\n    hint: lower {count} "
            f"(at most about {largest:,} here)"
        )
    if out is not None:
        check_disk(out, estimate.disk, estimate.what)
    over = estimate.over()
    if not over or yes:
        return
    message = f"{estimate.describe()} ({', '.join(over)}; docs/ensembles.md)"
    if sys.stdin.isatty() and sys.stderr.isatty():
        print(f"tradesim: {message}", file=sys.stderr)
        print("Run it? [y/N] ", end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            return
        raise ScenarioError.simple("not run: answered no")
    raise ScenarioError.simple(f"{message}\n    hint: add --yes to run it anyway, or lower {count}")
