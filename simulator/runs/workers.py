"""Pool workers: the process they are forked from, what they import, and how they end.

Light on purpose (no model, no pandas): the ``tradesim`` entry point imports it to start the
fork server before it imports the model itself, so that both imports run at once.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

    from simulator.runs.run import RunSpec

# what every worker imports: the fork server imports it once and workers fork from it, so they
# start in a fraction of a second and share those pages
WORKER_MODULES = ["simulator.api", "simulator.results.result", "simulator.runs.run"]
PARENT_CHECK_SECONDS = 1.0
_warm = False  # whether this worker has finished a run (see run_in_worker)


def available_cores() -> int:
    """The cores this process may run on: the default number of jobs on the command line."""
    try:
        return len(os.sched_getaffinity(0))  # honours CPU limits set for this process
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool_context() -> multiprocessing.context.BaseContext:
    """Workers start from a fork server (a clean process, not a fork of a threaded parent)
    that has imported :data:`WORKER_MODULES`; on Windows, by spawning."""
    if sys.platform == "win32":
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


def start_fork_server() -> None:
    """Start the fork server now: it imports the model in the background (about a second),
    so that the pool started later finds it ready. Nothing on Windows."""
    if sys.platform != "win32":
        from multiprocessing import forkserver

        pool_context()
        forkserver.ensure_running()


def worker_init(parent: int) -> None:
    """Import the model once, freeze what outlives runs (see
    :func:`~simulator.runs.run.run_one`) and watch the process that started the pool."""
    for name in WORKER_MODULES:
        importlib.import_module(name)
    gc.freeze()
    if sys.platform != "win32":  # there os.kill(pid, 0) would end the parent
        threading.Thread(target=_exit_without, args=(parent,), daemon=True).start()


def run_in_worker(
    batch: list[RunSpec], task: Callable[[list[RunSpec]], list[Any]] | None = None
) -> list[pd.DataFrame] | list[Any]:
    """``task`` (default :func:`~simulator.runs.executors.run_task`) in a pool worker. After
    the worker's first task it also freezes what that task left (the modules it imported, the
    caches it built), so that each later task's collection traverses only that task's
    objects."""
    from simulator.runs.executors import run_task

    global _warm
    frames = (task or run_task)(batch)
    if not _warm:
        gc.freeze()
        _warm = True
    return frames


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
