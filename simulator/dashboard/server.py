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
EXTRA = ("solara", "solara_assets", "ipyvuetify", "uvicorn", "plotly")
PLOTLY_PATH = "/tradesim/plotly.min.js"


def missing_extra() -> str | None:
    """The first package of the ``dashboard`` extra that is not installed, if any."""
    return next((name for name in EXTRA if importlib.util.find_spec(name) is None), None)


def configure(
    host: str,
    port: int,
    game_dir: str | os.PathLike,
    max_firms: int | None = None,
    max_months: int | None = None,
    workers: int | None = None,
    session_timeout: str = "3m",
    teacher_code: str | None = None,
) -> None:
    """The environment Solara and the app read at import.

    ``session_timeout``: how long Solara keeps a session whose tab went away without saying
    so (a closed tab says so and is freed at once); Solara's own default is 24 hours.
    """
    from simulator.dashboard import runs

    if max_firms is not None:
        os.environ[runs.ENV_MAX_FIRMS] = str(max_firms)
    if max_months is not None:
        os.environ[runs.ENV_MAX_MONTHS] = str(max_months)
    if workers is not None:
        os.environ[runs.ENV_WORKERS] = str(workers)
    if teacher_code:
        os.environ["TRADESIM_TEACHER_CODE"] = teacher_code
    os.environ["SOLARA_KERNEL_CULL_TIMEOUT"] = session_timeout
    os.environ["SOLARA_APP"] = APP
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["TRADESIM_GAME_DIR"] = str(Path(game_dir).resolve())


def serve(host: str = "127.0.0.1", port: int = 8765, game_dir: str = "out/games", **options) -> int:
    """Run the server until interrupted (Ctrl+C); returns the exit code."""
    with socket.socket() as probe:  # a clear message for a busy port, before Solara loads
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ScenarioError.simple(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port"
            ) from None
    configure(host, port, game_dir, **options)
    import uvicorn

    # Solara warns that cookies fall back to SameSite=Lax over plain http: right for a LAN
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    print(f"tradesim dashboard: http://{host}:{port}  (Ctrl+C stops it)", flush=True)
    uvicorn.run("simulator.dashboard.server:app", host=host, port=port, log_level="warning")
    from simulator.dashboard import runs

    if runs._pool is not None:  # stop the run workers with the server
        runs._pool.shutdown()
    return 0


_plotly_js: bytes | None = None


def _plotly() -> bytes:
    global _plotly_js
    if _plotly_js is None:
        import plotly

        _plotly_js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return _plotly_js


def __getattr__(name: str):
    """``app``: Solara's ASGI app, with plotly's JavaScript served from the plotly package
    (imported only once :func:`configure` has set Solara's environment)."""
    if name != "app":
        raise AttributeError(name)
    from solara.server.starlette import app as solara_app

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == PLOTLY_PATH:
            body = _plotly()
            headers = [
                (b"content-type", b"text/javascript; charset=utf-8"),
                (b"cache-control", b"public, max-age=86400"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await solara_app(scope, receive, send)

    return app
