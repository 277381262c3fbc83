"""Estimation: the dynamic parameters fitted to published micro moments (simulated method of
moments), each moment produced by replaying its study's episode inside the model.

``moments`` reads a moments file, ``replay`` runs the episodes on the many-runs machinery and
computes the studies' statistics, ``smm`` estimates, ``report`` writes the results.
"""

from importlib import import_module
from typing import Any

__all__ = ["Estimate", "MomentsFile", "estimate", "load_moments", "write_report"]

_HOMES = {
    "MomentsFile": "moments",
    "load_moments": "moments",
    "Estimate": "smm",
    "estimate": "smm",
    "write_report": "report",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"simulator.estimation.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'simulator.estimation' has no attribute {name!r}")
