"""Executors: map the run function over run specs, yielding outputs as runs finish.

``local`` runs serially with one job and on a process pool otherwise; ``dask`` runs on a
``dask.distributed`` cluster (a LocalCluster of ``jobs`` workers, or the scheduler at an
address) with Dask's retries. At most a few runs per worker are in flight, so memory stays
bounded however many runs there are. Every run is independent and seeded by its spec, so the
numbers do not depend on the executor, the number of jobs or the order of completion.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Literal

import pandas as pd

from simulator.runs.run import RunSpec, run_one
from simulator.runs.workers import pool_context, run_in_worker, worker_init
from simulator.scenario import ScenarioError

Executor = Literal["local", "dask"]
IN_FLIGHT_PER_WORKER = 2
RETRIES = 2


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
                '--executor dask needs Dask: pip install ".[dask]" in a tradesim checkout'
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
            for i, spec in enumerate(specs):
                yield run_one(spec)
                if i == 0:
                    gc.freeze()  # and what the first run left: modules imported, caches built
        finally:
            gc.unfreeze()
    else:
        yield from _pool(specs, jobs)


def _pool(specs: Iterable[RunSpec], jobs: int) -> Iterator[pd.DataFrame]:
    todo = iter(specs)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=pool_context(),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )
    pending: set[Future[pd.DataFrame]] = set()

    def fill() -> None:
        for spec in todo:
            pending.add(pool.submit(run_in_worker, spec))
            if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                return

    try:
        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.remove(future)
                yield future.result()
            fill()
    except BaseException:
        # Ctrl-C, SIGTERM, a failure, or the caller stopped: end the workers now. Waiting for
        # them (as leaving a ``with`` block does) hangs if the signal came while the pool was
        # starting a worker; killed, they let the pool's manager thread end too.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    pool.shutdown(wait=True)


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
