"""The dashboard server in a child process for tests/test_dashboard_sessions.py, answering
through a pipe which run views it holds.

A module of its own, which imports nothing of Solara: the child imports the module of the
function it runs, and Solara reads its settings (the session timeout among them) from the
environment when it is first imported, which must come after ``configure`` has set them.
"""

from __future__ import annotations

import gc
import threading
from multiprocessing.connection import Connection


def serve(port: int, games: str, session_timeout: str, questions: Connection) -> None:
    """Start ``tradesim dashboard``'s server (one run worker) and answer "views", "hold" and
    "release" until "stop", then stop the run worker (the server's thread ends with the
    process)."""
    from simulator.dashboard import server

    threading.Thread(
        target=server.serve,
        kwargs={
            "port": port,
            "game_dir": games,
            "workers": 1,
            "session_timeout": session_timeout,
        },
        daemon=True,
    ).start()
    from simulator.dashboard import runs

    answers = {"views": live_views, "hold": hold, "release": release}
    while (question := questions.recv()) in answers:
        questions.send(answers[question]())
    runs.pool().shutdown()  # the run worker goes with the server


def hold() -> str:
    """Keep the pool's workers from taking requests (as if each had a batch), so that a test
    can queue students in an order it chooses: clicks in separate tabs reach the server in no
    set order."""
    from simulator.dashboard import runs

    pool = runs.pool()
    with pool.lock:
        pool._busy += pool.workers
    return "held"


def release() -> str:
    """Undo :func:`hold`: the free workers take the queue's batches, oldest first."""
    from simulator.dashboard import runs

    pool = runs.pool()
    with pool.lock:
        pool._busy -= pool.workers
        pool._dispatch()
    return "released"


def live_views() -> list[str]:
    """The description of every run view alive in this process (after a garbage collection)."""
    from simulator.dashboard.runs import RunView

    gc.collect()
    return sorted(o.description for o in gc.get_objects() if isinstance(o, RunView))
