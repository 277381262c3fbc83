"""Serve the dashboard with Solara's own server (uvicorn + starlette), offline.

Solara reads its settings from the environment when it is first imported, so they are set
here before the import: no telemetry, and the JavaScript and styles come from the
``solara-assets`` package installed with the ``dashboard`` extra, not from a CDN.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

APP = "simulator.dashboard.app"


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
    configure(host, port, game_dir)
    import uvicorn

    # Solara warns that cookies fall back to SameSite=Lax over plain http: right for a LAN
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    print(f"tradesim dashboard: http://{host}:{port}  (Ctrl+C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
    return 0
