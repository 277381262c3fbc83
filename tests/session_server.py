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
    """Start ``tradesim dashboard``'s server (one run worker) and answer "views" until "stop",
    then stop the run worker (the server's thread ends with the process)."""
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
    while questions.recv() == "views":
        questions.send(live_views())
    from simulator.dashboard import runs

    runs.pool().shutdown()  # the run worker goes with the server


def live_views() -> list[str]:
    """The description of every run view alive in this process (after a garbage collection)."""
    from simulator.dashboard.runs import RunView

    gc.collect()
    return sorted(o.description for o in gc.get_objects() if isinstance(o, RunView))
