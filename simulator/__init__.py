"""tradesim: an agent-based simulator of trade policy (import package ``simulator``)."""

from typing import Any

from simulator.version import __version__

__all__ = ["__version__", "run_scenario"]


def __getattr__(name: str) -> Any:
    # imported on first use, so that ``import simulator`` stays light
    if name == "run_scenario":
        from simulator.api import run_scenario

        return run_scenario
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
