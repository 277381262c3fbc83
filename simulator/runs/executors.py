"""Executors: map the run function over run specs, yielding outputs as runs finish.

``local`` runs serially with one job and on a process pool otherwise; ``dask`` runs on a
``dask.distributed`` cluster (a LocalCluster of ``jobs`` workers, or the scheduler at an
address) with Dask's retries. At most a few runs per worker are in flight, so memory stays
bounded however many runs there are. Every run is independent and seeded by its spec, so the
numbers do not depend on the executor, the number of jobs or the order of completion.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Literal

import pandas as pd

from simulator.runs.run import RunSpec, run_one
from simulator.scenario import ScenarioError

Executor = Literal["local", "dask"]
IN_FLIGHT_PER_WORKER = 2
RETRIES = 2
PARENT_CHECK_SECONDS = 1.0


def available_cores() -> int:
    """The cores this process may run on: the default number of jobs on the command line."""
    try:
        return len(os.sched_getaffinity(0))  # honours CPU limits set for this process
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_executor(jobs: int, executor: Executor = "local", scheduler: str | None = None) -> None:
    """Refuse impossible settings before anything runs or is written."""
    if jobs < 1:
        raise ScenarioError.simple(f"--jobs is {jobs}: give at least 1")
    if executor == "local" and scheduler is not None:
        raise ScenarioError.simple("--scheduler needs --executor dask")
    if executor == "dask":
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise ScenarioError.simple(
                '--executor dask needs Dask: pip install "tradesim[dask]"'
            ) from None


def execute(
    specs: Iterable[RunSpec],
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Run every spec; yield each run's table as it finishes (in any order). No more workers
    are started than there are runs (none for a single run)."""
    check_executor(jobs, executor, scheduler)
    if isinstance(specs, Sized):
        jobs = max(1, min(jobs, len(specs)))
    if executor == "dask":
        yield from _dask(specs, jobs, scheduler)
    elif jobs == 1:
        gc.freeze()  # the caller's objects: not traversed by each run's collection
        try:
            for spec in specs:
                yield run_one(spec)
        finally:
            gc.unfreeze()
    else:
        yield from _pool(specs, jobs)


# what every worker imports: the fork server imports it once and workers fork from it, so they
# start in a fraction of a second and share those pages
WORKER_MODULES = ["simulator.api", "simulator.results.result", "simulator.runs.run"]


def _worker_init(parent: int) -> None:
    """Import the model once, freeze what outlives runs (see :func:`run_one`) and watch the
    process that started the pool."""
    for name in WORKER_MODULES:
        importlib.import_module(name)
    gc.freeze()
    if sys.platform != "win32":  # there os.kill(pid, 0) would end the parent
        threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()


def _exit_without(parent: int) -> None:
    """End this worker once ``parent`` is gone. Killed (SIGKILL, the out-of-memory killer), a
    parent cannot shut its pool down, and its workers would wait for work forever."""
    while True:
        time.sleep(PARENT_CHECK_SECONDS)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, under another user (a reused pid): keep going
            pass


def _pool(specs: Iterable[RunSpec], jobs: int) -> Iterator[pd.DataFrame]:
    # forkserver: workers start from a clean process, not a fork of a threaded parent
    method = "forkserver" if sys.platform != "win32" else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(WORKER_MODULES)
    todo = iter(specs)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
    ) as pool:
        pending: set[Future[pd.DataFrame]] = set()

        def fill() -> None:
            for spec in todo:
                pending.add(pool.submit(run_one, spec))
                if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                    return

        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.remove(future)
                yield future.result()
            fill()


def _dask(specs: Iterable[RunSpec], jobs: int, scheduler: str | None) -> Iterator[pd.DataFrame]:
    from dask.distributed import Client, LocalCluster, as_completed

    if scheduler is None:
        cluster = LocalCluster(
            n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
    else:
        cluster, client = None, Client(scheduler)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        todo = iter(specs)
        queue = as_completed()

        def submit(n: int) -> None:
            for _, spec in zip(range(n), todo, strict=False):
                queue.add(client.submit(run_one, spec, retries=RETRIES, pure=False))

        submit(workers * IN_FLIGHT_PER_WORKER)
        for future in queue:
            frame = future.result()
            future.release()
            yield frame
            submit(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
