"""A worker process that draws a run's plots while the run's own process writes its data.

``tradesim run`` starts one at once (:func:`start`), before it imports the model: the worker
imports matplotlib meanwhile, on the other core, and draws a throw-away figure (fonts, date
axes) so that the first real plot starts warm. When the run is done, the plots' inputs
(:class:`~simulator.results.drawing.PlotJob`, about 20 kB of arrays and text) go to the worker,
which draws the PNGs into the run's temporary output folder while the run writes Parquet, CSV
and ``summary.md``; the run then waits for the plots before it lists and hashes its files.

The worker is a forked child (POSIX only; elsewhere, or when this process already runs
threads, :func:`start` returns None and the plots are drawn in-process). It ignores Ctrl-C
(the run handles it and stops the worker), and it ends when its pipe closes, so a run killed
outright leaves no process behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_DRAWING_MODULES = ("matplotlib.figure", "matplotlib.backends.backend_agg", "numpy")


class PlotWorkerError(RuntimeError):
    """The worker failed to draw a plot (its traceback is in the message)."""


class PlotWorker:
    """One forked process that draws :class:`~simulator.results.drawing.PlotJob` lists."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, self._conn), name="tradesim-plots", daemon=True
        )
        self._process.start()
        child.close()
        self._pending = False

    def submit(self, jobs: Sequence[Any], folder: Path) -> None:
        """Start drawing ``jobs`` into ``folder``; :meth:`wait` returns their paths."""
        if self._pending:
            raise RuntimeError("the plot worker is already drawing")
        self._conn.send((list(jobs), str(folder)))
        self._pending = True

    def wait(self) -> list[Path]:
        """The paths of the plots submitted last, once drawn; raise if drawing failed."""
        if not self._pending:
            return []
        try:
            ok, value = self._conn.recv()
        except (EOFError, OSError):
            self.close()
            raise PlotWorkerError("the plot worker ended before drawing the plots") from None
        finally:
            self._pending = False
        if not ok:
            raise PlotWorkerError(f"drawing the plots failed:\n{value}")
        return [Path(p) for p in value]

    def cancel(self) -> None:
        """Stop drawing at once (the run failed): end the worker and wait until it has ended."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._pending = False

    def close(self) -> None:
        """Stop the worker (at once if it is still drawing)."""
        if self._process.is_alive():
            if self._pending:
                self._process.terminate()
            else:
                try:
                    self._conn.send(None)
                except (OSError, ValueError):
                    self._process.terminate()
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._conn.close()
        self._process.close()

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
    return PlotWorker()


def _serve(conn: Any, parent_end: Any) -> None:
    """The worker's loop: import the drawing stack, then draw each list of jobs sent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the run's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    parent_end.close()  # so that recv() sees the end of the pipe when the run's process ends
    import importlib

    for name in _DRAWING_MODULES:
        importlib.import_module(name)
    import simulator.results.drawing  # noqa: F401  (unpickling the jobs needs it)

    _warm_up()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        jobs, folder = message
        try:
            reply = (True, [str(job(Path(folder))) for job in jobs])
        except Exception:
            import traceback

            reply = (False, traceback.format_exc())
        try:
            conn.send(reply)
        except OSError:  # the run has ended
            return


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
