"""Worker processes that draw a run's plots while the run's own process writes its data.

``tradesim run`` starts one at once (:func:`start`), before it imports the model: the worker
imports matplotlib meanwhile, on the other core, and draws a throw-away figure (fonts, date
axes) so that the first real plot starts warm. Then it forks a second drawer, warm as well, so
that the plots are drawn two at a time (:data:`DRAWERS`; no second drawer on a single core).
As the run computes each plot's inputs (:class:`~simulator.results.drawing.PlotJob`, a few
kB of arrays and text), it hands the job to a drawer, in turn, so that drawing starts with
the first plot; the drawers draw the PNGs into the run's temporary output folder while the run
computes the other plots' inputs and writes Parquet, CSV and ``summary.md``; the run then
waits for the plots before it lists and hashes its files.

The worker is a forked child (POSIX only; elsewhere, or when this process already runs
threads, :func:`start` returns None and the plots are drawn in-process). The drawers ignore
Ctrl-C (the run handles it and stops them); the worker ends its second drawer before it ends
itself (also on SIGTERM), and each drawer ends when its pipe closes or (on Linux) the worker
ends, however it ends, so a run killed outright leaves no process behind.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

_DRAWING_MODULES = ("matplotlib.figure", "matplotlib.backends.backend_agg", "numpy")
DRAWERS = 2
"""Processes that draw at once: the worker and one drawer it forks once it is warm."""


class PlotWorkerError(RuntimeError):
    """The worker failed to draw a plot (its traceback is in the message)."""


class PlotWorker:
    """A forked worker process, and the drawer it forks, that draw
    :class:`~simulator.results.drawing.PlotJob`s."""

    def __init__(self, drawers: int = DRAWERS) -> None:
        context = multiprocessing.get_context("fork")
        pipes = [context.Pipe() for _ in range(max(1, drawers))]
        self._conns = [ours for ours, _ in pipes]
        theirs = [child for _, child in pipes]
        self._process = context.Process(
            target=_serve, args=(theirs, self._conns), name="tradesim-plots", daemon=True
        )
        self._process.start()
        for child in theirs:
            child.close()
        self._order: list[tuple[int, str]] | None = None  # (drawer, job name) as submitted
        self._closed = False

    def submit(self, jobs: Iterable[Any], folder: Path) -> None:
        """Hand ``jobs`` to the drawers as the iterable yields them (so a generator's first
        plots are drawing while it computes the next); :meth:`wait` returns their paths."""
        if self._order is not None:
            raise RuntimeError("the plot worker is already drawing")
        self._order = []
        for k, job in enumerate(jobs):
            drawer = k % len(self._conns)
            self._send(drawer, ("draw", job, str(folder)))
            self._order.append((drawer, job.name))

    def wait(self) -> list[Path]:
        """The paths of the plots submitted last, in order, once drawn; raise if drawing
        failed."""
        if self._order is None:
            return []
        order, self._order = self._order, None
        drawn: dict[str, Path] = {}
        errors = []
        for drawer in sorted({d for d, _ in order}):
            self._send(drawer, ("flush",))
            try:
                ok, value = self._conns[drawer].recv()
            except (EOFError, OSError):
                self.close()
                raise PlotWorkerError("the plot worker ended before drawing the plots") from None
            if ok:
                drawn.update((Path(p).name, Path(p)) for p in value)
            else:
                errors.append(value)
        if errors:
            raise PlotWorkerError(f"drawing the plots failed:\n{errors[0]}")
        return [drawn[name] for _, name in order]

    def _send(self, drawer: int, message: tuple) -> None:
        try:
            self._conns[drawer].send(message)
        except OSError:
            self.close()
            raise PlotWorkerError("the plot worker ended before drawing the plots") from None

    def cancel(self) -> None:
        """Stop drawing at once (the run failed): end the drawers and wait until they have
        ended."""
        if not self._closed:
            self._stop()
        self._order = None

    def close(self) -> None:
        """Stop the worker (at once if it is still drawing); closing it again does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._process.is_alive():
            if self._order is not None:
                self._stop()
            else:
                for conn in self._conns:
                    with contextlib.suppress(OSError, ValueError):
                        conn.send(None)
                self._process.join(timeout=5)
                if self._process.is_alive():
                    self._stop()
        for conn in self._conns:
            conn.close()
        self._process.join()
        self._process.close()

    def _stop(self) -> None:
        """End the worker and its drawer: SIGTERM (the worker then ends its drawer and waits
        for it), or SIGKILL if it has not ended within seconds."""
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
        self._process.join()

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start() -> PlotWorker | None:
    """A new worker, or None where a forked worker is not safe (no fork; threads running)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    if threading.active_count() > 1 or os.environ.get("TRADESIM_PLOT_WORKER") == "0":
        return None
    return PlotWorker(min(DRAWERS, _cores()))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _serve(conns: list[Any], parent_ends: list[Any]) -> None:
    """The worker: import the drawing stack, fork the other drawers, then draw."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    for end in parent_ends:  # so that recv() sees the end of the pipe when the run ends
        end.close()
    gc.disable()  # collected after each batch of plots (_draw), not while drawing
    import importlib

    for name in _DRAWING_MODULES:
        importlib.import_module(name)
    import simulator.results.drawing  # noqa: F401  (unpickling the jobs needs it)

    _warm_up()
    gc.freeze()  # what the imports made lives on: no collection walks it again
    drawers = []
    worker = os.getpid()
    for conn in conns[1:]:
        try:
            pid = os.fork()
        except OSError:  # no second drawer: the run sees its pipe closed
            conn.close()
            continue
        if pid == 0:  # the drawer
            code = 0
            try:
                _end_with_parent(worker)
                for other in conns:
                    if other is not conn:
                        other.close()
                _draw(conn)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        conn.close()
        drawers.append(pid)

    def end_drawers(*_: object) -> None:
        for pid in drawers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap(drawers)
        os._exit(1)

    signal.signal(signal.SIGTERM, end_drawers)
    _draw(conns[0])
    _reap(drawers)


def _end_with_parent(parent: int) -> None:
    """Have the kernel kill this drawer when the worker ends, however it ends (Linux; a
    drawer in the middle of a plot would otherwise draw on after a SIGKILLed worker)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the worker ended before the line above
        os._exit(1)


def _reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _draw(conn: Any) -> None:
    """A drawer's loop: draw each job sent, reply to each flush with the paths drawn since
    the last one (or the first failure's traceback), end when the pipe closes."""
    drawn: list[str] = []
    failed: str | None = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message[0] == "draw":
            _, job, folder = message
            if failed is None:
                try:
                    drawn.append(str(job(Path(folder))))
                except Exception:
                    import traceback

                    failed = traceback.format_exc()
            continue
        reply = (True, drawn) if failed is None else (False, failed)
        drawn, failed = [], None
        try:
            conn.send(reply)
        except OSError:  # the run has ended
            return
        gc.collect()  # the figures drawn (cycles), while the run hashes its files


def _warm_up() -> None:
    """Draw a small throw-away figure while the run is still simulating: the first figure
    drawn in a process loads the fonts and sets up the date axes, which would otherwise add
    to the first plot the run waits for."""
    import numpy as np

    from simulator.results.drawing import figure

    try:
        fig = figure(2, 2)
        ax = fig.subplots()
        months = np.arange("2024-01", "2025-01", dtype="datetime64[M]").astype("datetime64[ns]")
        ax.plot(months, np.arange(12.0), label="warm")
        ax.legend(fontsize=8)
        fig.suptitle("warm", fontsize=12, fontweight="bold")
        fig.canvas.draw()
    except Exception:  # only a head start: the real plots report their own errors
        pass
