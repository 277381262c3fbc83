"""tradesim: an agent-based simulator of trade policy (import package ``simulator``)."""

from typing import Any

from simulator.version import __version__

__all__ = ["__version__", "decompose_scenario", "run_ensemble", "run_scenario", "run_sweep"]


def __getattr__(name: str) -> Any:
    # imported on first use, so that ``import simulator`` stays light
    if name in ("run_scenario", "decompose_scenario"):
        from simulator import api

        return getattr(api, name)
    if name in ("run_ensemble", "run_sweep"):
        from simulator import runs

        return getattr(runs, name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
