"""What a command of many runs will cost, estimated before any work: time, memory and disk.

Memory and disk come from figures per run measured on this project's 2-core development
machine; time is measured here, on the machine that will make the runs and under its present
load: the scenario's model is built and its first months run, and that is scaled to the
horizon, the count of runs and the jobs. docs/ensembles.md ("Before many runs start") gives
the figures and the thresholds: above any of them a command asks for ``--yes`` (and refuses
in a non-interactive shell); a count whose memory would pass half of the machine's memory is
refused outright, and a store that would not fit on its disk is refused with the figures,
both before anything is run, so such a refusal comes within a second however large the count.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from simulator.results.output import OutputError
from simulator.scenario import LoadedScenario, ScenarioError

MEASURED_MONTHS = 6
"""Months of the scenario run to time it (fewer if its horizon is shorter)."""
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
SECONDS_PER_ORDER_CHANNEL = 2e-6
"""A decomposition's work after its runs: the gains along each sampled order, per channel."""
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
class Measured:
    """One run's wall time here, scaled from the start of a run, and how it was measured."""

    seconds: float
    how: str


@dataclass(frozen=True)
class Estimate:
    """What a command will take: runs, peak memory and disk in bytes, and, once measured
    (:meth:`timed`), wall seconds; ``after`` is the work that follows the runs."""

    what: str
    runs: int
    memory: float
    disk: float
    jobs: int
    after: float = 0.0
    seconds: float | None = None
    how: str = ""

    def timed(self, run: Measured) -> Estimate:
        """This estimate with its time: ``runs`` runs of ``run`` on ``jobs`` cores at once."""
        parallel = max(min(self.jobs, os.cpu_count() or 1), 1)
        seconds = self.runs * run.seconds / parallel + self.after
        return replace(self, seconds=seconds, how=run.how)

    def describe(self) -> str:
        duration = ""
        if self.seconds is not None:
            jobs = f"{self.jobs} job{'s' if self.jobs > 1 else ''}"
            duration = f"about {_duration(self.seconds)} on {jobs} ({self.how}), "
        return (
            f"{self.what}: {self.runs:,} runs, {duration}about {_bytes(self.memory)} of memory and "
            f"{_bytes(self.disk)} on disk"
        )

    def over(self) -> list[str]:
        """The thresholds this estimate passes, described."""
        return [
            f"{label} above {limit}"
            for label, value, threshold, limit in (
                ("time", self.seconds or 0.0, ASK_SECONDS, "an hour"),
                ("memory", self.memory, ASK_MEMORY, _bytes(ASK_MEMORY)),
                ("disk", self.disk, ASK_DISK, _bytes(ASK_DISK)),
            )
            if value > threshold
        ]


def measure(loaded: LoadedScenario, continuum: bool = False) -> Measured:
    """Time one run of ``loaded`` here: its model built and its first
    :data:`MEASURED_MONTHS` months run, the months scaled to the horizon (with ``continuum``,
    a continuum of firms, as a decomposition's runs have). What each worker reads once, not
    once a run (the data set and its tables), is read first, by a model with a continuum of
    firms, untimed."""
    from simulator.api import batch_of_one
    from simulator.scenario import load_scenario

    without_firms = load_scenario(loaded.raw, ["firms.count=0"])
    batch_of_one(without_firms)
    if continuum:
        loaded = without_firms
    started = time.perf_counter()
    worlds = batch_of_one(loaded)
    built = time.perf_counter()
    months = min(MEASURED_MONTHS, worlds.n_months)
    while worlds.t < months:
        worlds.step()
    stepped = time.perf_counter()
    horizon = loaded.scenario.n_months
    seconds = built - started + (stepped - built) * horizon / months
    how = (
        f"measured here: a run of {loaded.scenario.name} took {built - started:.2f} s to build "
        f"and {stepped - built:.2f} s for its first {months} months, so about "
        f"{_duration(seconds)} for its {horizon}"
    )
    return Measured(seconds, how)


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
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


def many_runs(what: str, runs: int, months: int, jobs: int) -> Estimate:
    """An ensemble's or a sweep's memory and disk: ``runs`` runs of ``months`` months."""
    memory = runs * (PLAN_BYTES_PER_RUN + months * SUMMARY_BYTES_PER_RUN_MONTH)
    disk = runs * months * STORE_BYTES_PER_RUN_MONTH + (RESULTS_BYTES_PER_MONTH * months)
    jobs = max(jobs, 1)  # --jobs 0 is refused later, with its own message
    return Estimate(what, runs, memory, disk, jobs)


def decomposition(what: str, runs: int, permutations: int, channels: int, jobs: int) -> Estimate:
    """A decomposition's memory and work after its runs: ``runs`` subsets run,
    ``permutations`` orders kept."""
    memory = permutations * max(channels, 1) * BYTES_PER_PERMUTATION_CHANNEL + 300e6
    after = permutations * channels * SECONDS_PER_ORDER_CHANNEL
    return Estimate(what, runs, memory, 1e6, max(jobs, 1), after)


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


def confirm(
    estimate: Estimate,
    out: Path | None,
    yes: bool,
    count: str,
    measure_run: Callable[[], Measured] | None = None,
) -> None:
    """Check an estimate before any work: refuse a count beyond the memory bound (whatever
    ``yes``), a store that cannot fit on its disk, and, unless ``yes``, time one run with
    ``measure_run`` and, above a threshold, ask for ``--yes`` on a terminal or refuse without
    one. ``count`` names the option or key that sets the number of runs, for the hints."""
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
    if yes:
        return
    if measure_run is not None:
        estimate = estimate.timed(measure_run())
    over = estimate.over()
    if not over:
        return
    message = f"{estimate.describe()} ({', '.join(over)}; docs/ensembles.md)"
    if sys.stdin.isatty() and sys.stderr.isatty():
        print(f"tradesim: {message}", file=sys.stderr)
        print("Run it? [y/N] ", end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() in ("y", "yes"):
            return
        raise ScenarioError.simple("not run: answered no")
    raise ScenarioError.simple(f"{message}\n    hint: add --yes to run it anyway, or lower {count}")
