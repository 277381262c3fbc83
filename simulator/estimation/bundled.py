"""The bundled estimates of ``tradesim calibrate pre2025`` and draws from their distribution.

The estimates are the rows ``pre2025_<parameter>`` of the base data's ``parameters.csv`` (four
significant digits); their covariance, from the same run, is
``moments/pre2025_covariance.csv`` beside the moments file. The estimator's sampling
distribution is taken as the normal with that covariance, truncated to the search's bounds:
the two scales are identified only together (correlation −0.999), so most of the normal's
mass lies outside the bounds and a draw is kept only inside them (rejection).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from simulator.estimation.moments import BUNDLED, MomentsFile, load_moments

NAME = "pre2025"


@dataclass(frozen=True)
class BundledEstimate:
    """A moments file's bundled estimate ``theta`` and covariance, in its parameters' order."""

    moments: MomentsFile
    theta: np.ndarray
    covariance: np.ndarray

    @property
    def bounds(self) -> np.ndarray:
        """``[parameter, (low, high)]``: the search's bounds."""
        return np.array([p.bounds for p in self.moments.spec.parameters], dtype=float)

    def draws(self, n: int, seed: int) -> np.ndarray:
        """``n`` draws ``[draw, parameter]`` from the normal around :attr:`theta` with
        :attr:`covariance`, truncated to :attr:`bounds` (by rejection; seeded)."""
        rng = np.random.default_rng(seed)
        low, high = self.bounds.T
        kept: list[np.ndarray] = []
        while sum(len(k) for k in kept) < n:
            x = rng.multivariate_normal(self.theta, self.covariance, size=max(1000, 50 * n))
            kept.append(x[((x >= low) & (x <= high)).all(axis=1)])
        return np.concatenate(kept)[:n]

    def values(self, theta: np.ndarray) -> dict[str, float]:
        """``theta`` as ``--set`` values (scales applied to the defaults)."""
        from simulator.estimation.replay import Replays

        return Replays(self.moments).values(theta)


def bundled_estimate(name: str = NAME) -> BundledEstimate:
    """The estimate shipped for the bundled moments file ``name``."""
    from simulator.calibration.dataset import load_dataset

    moments = load_moments(name)
    params = load_dataset(moments.base.scenario.data).parameters
    names = [p.name for p in moments.spec.parameters]
    theta = np.array([params[f"{name}_{_short(p)}"] for p in names], dtype=float)
    path = resources.files(BUNDLED) / "moments" / f"{name}_covariance.csv"
    table = pd.read_csv(str(path)).pivot(index="parameter", columns="other", values="covariance")
    return BundledEstimate(moments, theta, table.loc[names, names].to_numpy())


def _short(parameter: str) -> str:
    """A freed parameter's name in ``parameters.csv`` (its key path's last part)."""
    return parameter.split(".")[-1]
