"""Serve the dashboard with Solara's own server (uvicorn + starlette), offline.

Solara reads its settings from the environment when it is first imported, so they are set
here before the import: no telemetry, and the JavaScript and styles come from the
``solara-assets`` package installed with the ``dashboard`` extra, not from a CDN.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import warnings
from pathlib import Path

from simulator.scenario import ScenarioError

APP = "simulator.dashboard.app"
EXTRA = ("solara", "solara_assets", "ipyvuetify", "uvicorn")


def missing_extra() -> str | None:
    """The first package of the ``dashboard`` extra that is not installed, if any."""
    return next((name for name in EXTRA if importlib.util.find_spec(name) is None), None)


def configure(host: str, port: int, game_dir: str | os.PathLike) -> None:
    """The environment Solara and the app read at import."""
    os.environ["SOLARA_APP"] = APP
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["TRADESIM_GAME_DIR"] = str(Path(game_dir).resolve())


def serve(host: str = "127.0.0.1", port: int = 8765, game_dir: str = "out/games") -> int:
    """Run the server until interrupted (Ctrl+C); returns the exit code."""
    with socket.socket() as probe:  # a clear message for a busy port, before Solara loads
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ScenarioError.simple(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
            ) from None
    configure(host, port, game_dir)
    import uvicorn

    # Solara warns that cookies fall back to SameSite=Lax over plain http: right for a LAN
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    print(f"tradesim dashboard: http://{host}:{port}  (Ctrl+C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0
