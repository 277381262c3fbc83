"""Uncertain behaviour parameters: the range each is drawn from, with its source.

The data set's ``uncertainty.csv`` gives, for each behaviour parameter the model reads from
``parameters.csv``, a distribution (``uniform``, ``loguniform``, ``triangular`` or ``normal``)
and the published range or the assumption behind it. Draws use the inverse CDF of uniform
numbers, so that Monte Carlo and Latin-hypercube samples share one code path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from simulator.calibration.dataset import DataError, dataset_path

Kind = Literal["uniform", "loguniform", "triangular", "normal"]
KINDS: tuple[Kind, ...] = ("uniform", "loguniform", "triangular", "normal")


@dataclass(frozen=True)
class Distribution:
    """A one-dimensional distribution given by its inverse CDF.

    ``uniform`` and ``loguniform`` use ``low`` and ``high``; ``triangular`` adds ``mode``;
    ``normal`` uses ``mean`` and ``sd``, truncated to ``[low, high]`` when given.
    """

    kind: Kind
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None

    def check(self) -> str | None:
        """What is wrong with the parameters (None when they are valid)."""
        lo, hi = self.low, self.high
        if self.kind == "normal":
            if self.mean is None or self.sd is None or not self.sd > 0:
                return "a normal distribution needs 'mean' and a positive 'sd'"
            if lo is not None and hi is not None and not lo < hi:
                return "'low' must be below 'high'"
            return None
        if lo is None or hi is None or not lo < hi:
            return f"a {self.kind} distribution needs 'low' below 'high'"
        if self.kind == "loguniform" and lo <= 0:
            return "a loguniform distribution needs a positive 'low'"
        if self.kind == "triangular" and (self.mode is None or not lo <= self.mode <= hi):
            return "a triangular distribution needs 'mode' between 'low' and 'high'"
        return None

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at cumulative probabilities ``u`` (each in [0, 1))."""
        u = np.asarray(u, dtype=float)
        lo, hi = self.low, self.high
        if self.kind == "uniform":
            return lo + u * (hi - lo)
        if self.kind == "loguniform":
            return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        if self.kind == "triangular":
            c = (self.mode - lo) / (hi - lo)
            left = lo + np.sqrt(u * (hi - lo) * (self.mode - lo))
            right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - self.mode))
            return np.where(u < c, left, right)
        dist = NormalDist(self.mean, self.sd)
        a = dist.cdf(lo) if lo is not None else 0.0
        b = dist.cdf(hi) if hi is not None else 1.0
        p = np.clip(a + u * (b - a), 1e-12, 1.0 - 1e-12)
        return np.array([dist.inv_cdf(float(x)) for x in p.ravel()]).reshape(p.shape)

    def describe(self) -> str:
        if self.kind == "normal":
            bounds = f", within [{self.low:g}, {self.high:g}]" if self.low is not None else ""
            return f"normal(mean {self.mean:g}, sd {self.sd:g}{bounds})"
        mode = f", mode {self.mode:g}" if self.kind == "triangular" else ""
        return f"{self.kind}({self.low:g} to {self.high:g}{mode})"


@dataclass(frozen=True)
class UncertainParameter:
    """A scenario parameter (its ``--set`` path), its distribution and the source."""

    path: str
    distribution: Distribution
    central_row: str
    source: str


def uncertain_parameters(data: str = "base_2024") -> list[UncertainParameter]:
    """The data set's uncertain behaviour parameters (``uncertainty.csv``)."""
    file = dataset_path(data) / "uncertainty.csv"
    if not file.exists():
        raise DataError(f"data set {data!r} has no uncertainty.csv, so it cannot be drawn from")
    table = pd.read_csv(file, keep_default_na=False, na_values=[""])
    out = []
    for row in table.itertuples(index=False):

        def num(x: object) -> float | None:
            return None if pd.isna(x) else float(x)

        dist = Distribution(row.distribution, num(row.low), num(row.high), num(row.mode))
        problem = dist.check() if row.distribution in KINDS else "unknown distribution"
        if problem:
            raise DataError(f"{file}: parameter {row.parameter}: {problem}")
        out.append(UncertainParameter(row.parameter, dist, row.central_row, row.source))
    return out
