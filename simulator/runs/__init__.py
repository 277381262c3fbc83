"""Many runs: the pure run function, ensembles, sweeps, executors and a resumable store."""

from importlib import import_module
from typing import Any

__all__ = ["RunSet", "RunSpec", "Sweep", "load_sweep", "run_ensemble", "run_one", "run_sweep"]

# imported on first use, so that ``simulator.runs.workers`` stays light to import
_HOMES = {
    "RunSet": "ensemble",
    "run_ensemble": "ensemble",
    "run_sweep": "ensemble",
    "RunSpec": "run",
    "run_one": "run",
    "Sweep": "spec",
    "load_sweep": "spec",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"simulator.runs.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'simulator.runs' has no attribute {name!r}")
