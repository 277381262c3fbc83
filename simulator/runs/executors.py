"""Executors: map the run function over run specs, yielding outputs as runs finish.

``local`` runs serially with one job and on a process pool otherwise; ``dask`` runs on a
``dask.distributed`` cluster (a LocalCluster of ``jobs`` workers, or the scheduler at an
address) with Dask's retries. A task is a batch: consecutive runs of one scenario that differ
only in tariffs and member parameters are advanced together as the members of one batch
(:func:`~simulator.runs.run.run_batch`), up to :data:`MAX_MEMBERS` at a time, so that memory
is a function of the batch, not of the number of runs; other runs are tasks of their own. At
most a few tasks per worker are in flight. Every run is independent and seeded by its spec,
and a member of a batch equals the same run made alone, so the numbers do not depend on the
executor, the number of jobs, the batches or the order of completion.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Literal

import pandas as pd

from simulator.runs.run import RunSpec, batchable, run_batch, run_one, shared_values
from simulator.runs.workers import pool_context, run_in_worker, worker_init
from simulator.scenario import ScenarioError

Executor = Literal["local", "dask"]
IN_FLIGHT_PER_WORKER = 2
RETRIES = 2
# members of one batch: about 14 MB each for us_2025's 48 months of 15 regions x 15 sectors
MAX_MEMBERS = 16


def batches(specs: Iterable[RunSpec], size: int = MAX_MEMBERS) -> Iterator[list[RunSpec]]:
    """Group consecutive runs into batches of at most ``size`` members: runs that share a
    scenario, what they return and their :func:`shared_values`, and differ only in tariffs,
    member parameters and mechanism switches."""
    batch: list[RunSpec] = []
    for spec in specs:
        if batch and not (
            len(batch) < size
            and spec.detail == batch[0].detail
            and spec.until == batch[0].until
            and (spec.scenario is batch[0].scenario or spec.scenario == batch[0].scenario)
            and shared_values(spec) == shared_values(batch[0])
        ):
            yield batch
            batch = []
        batch.append(spec)
    if batch:
        yield batch


def run_task(batch: list[RunSpec]) -> list[pd.DataFrame]:
    """One task: a batch of runs (or a single run), their tables in the batch's order."""
    if len(batch) == 1 and not batchable(batch[0]):
        return [run_one(batch[0])]
    return run_batch(batch)


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


Task = Callable[[list[RunSpec]], list[Any]]


def execute(
    specs: Iterable[RunSpec],
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    task: Task = run_task,
) -> Iterator[Any]:
    """Run every spec; yield each run's table as it finishes (in any order). No more workers
    are started than there are runs (none for a single run).

    ``task`` maps a batch to one output per run (default :func:`run_task`, tidy tables); it
    must be picklable (a module-level function, or a ``functools.partial`` of one) for pools
    and Dask. Estimation passes one that reduces each member to the few sums it needs."""
    check_executor(jobs, executor, scheduler)
    size = MAX_MEMBERS
    if isinstance(specs, Sized):
        jobs = max(1, min(jobs, len(specs)))
        size = max(1, min(MAX_MEMBERS, -(-len(specs) // jobs)))  # work for every worker
    tasks = batches(specs, size)
    if executor == "dask":
        yield from _dask(tasks, jobs, scheduler, task)
    elif jobs == 1:
        gc.freeze()  # the caller's objects: not traversed by each run's collection
        try:
            for i, batch in enumerate(tasks):
                yield from task(batch)
                if i == 0:
                    gc.freeze()  # and what the first task left: modules imported, caches built
        finally:
            gc.unfreeze()
    else:
        yield from _pool(tasks, jobs, task)


def _pool(tasks: Iterable[list[RunSpec]], jobs: int, task: Task) -> Iterator[Any]:
    todo = iter(tasks)
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=pool_context(),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )
    pending: set[Future[list[Any]]] = set()

    def fill() -> None:
        for batch in todo:
            pending.add(pool.submit(run_in_worker, batch, task))
            if len(pending) >= jobs * IN_FLIGHT_PER_WORKER:
                return

    try:
        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.remove(future)
                yield from future.result()
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


def _dask(
    tasks: Iterable[list[RunSpec]], jobs: int, scheduler: str | None, task: Task
) -> Iterator[Any]:
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
        todo = iter(tasks)
        queue = as_completed()

        def submit(n: int) -> None:
            for _, batch in zip(range(n), todo, strict=False):
                queue.add(client.submit(task, batch, retries=RETRIES, pure=False))

        submit(workers * IN_FLIGHT_PER_WORKER)
        for future in queue:
            frames = future.result()
            future.release()
            yield from frames
            submit(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
