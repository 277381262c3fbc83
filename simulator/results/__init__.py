"""Results of runs: tidy tables, plots and summaries."""

from typing import Any

__all__ = ["Provenance", "SimulationResult"]


def __getattr__(name: str) -> Any:
    # imported on first use, so that ``simulator.results.output`` stays light to import
    if name in __all__:
        from simulator.results import result

        return getattr(result, name)
    raise AttributeError(f"module 'simulator.results' has no attribute {name!r}")
