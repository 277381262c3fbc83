"""Copies of a population's or a batch's state, for batches that carry on from another's."""

from __future__ import annotations

import copy
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def copy_state(obj: T) -> T:
    """A shallow copy of ``obj`` with its own copy of every writeable array attribute (its
    state); read-only arrays (what it never changes) are shared."""
    twin = copy.copy(obj)
    for name, value in vars(obj).items():
        if isinstance(value, np.ndarray) and value.flags.writeable:
            setattr(twin, name, value.copy())
    return twin


def read_only(*arrays: np.ndarray) -> None:
    """Mark arrays an object never changes, so that its copies share them."""
    for array in arrays:
        array.flags.writeable = False
