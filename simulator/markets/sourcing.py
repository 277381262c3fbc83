"""Buyer firms and their sourcing: switching frictions in vectorised form.

Each buyer firm belongs to a group (destination region × sector) and spends in proportion to
its size. Each month a buyer re-optimises its origin shares with probability ``lam`` (Calvo);
otherwise it keeps the shares it chose when it last re-optimised (its *vintage*). All buyers of
a group that re-optimised in the same month hold the same shares, so the group's sourcing is

    S[g, o] = sum_v M[g, v] * s_opt[v, g, o] / sum_v M[g, v]

with ``M[g, v]`` the size of the group's buyers of vintage ``v``. A month costs O(firms) with
no Python loop over firms. With no firms (``count: 0``) the group is a continuum and exactly a
share ``lam`` of it re-optimises each month.
"""

from __future__ import annotations

import numpy as np


class BuyerPopulation:
    """Buyer firms' sizes and vintages, and the optimal shares of every vintage."""

    def __init__(
        self,
        group: np.ndarray,
        size: np.ndarray,
        n_groups: int,
        n_months: int,
        initial_shares: np.ndarray,
        rng: np.random.Generator,
    ) -> None:
        self.group = group.astype(np.int64)
        self.size = size
        self.vintage = np.zeros(group.size, dtype=np.int64)
        self.n_groups = n_groups
        self.n_vintages = n_months + 1
        self.rng = rng
        # vintage 0 is the base year; month t's re-optimisers get vintage t + 1
        self.mass = np.zeros((n_groups, self.n_vintages))
        if group.size:
            self.mass[:, 0] = np.bincount(self.group, weights=size, minlength=n_groups)
        else:
            self.mass[:, 0] = 1.0
        self.history = np.zeros((self.n_vintages, *initial_shares.shape))
        self.history[0] = initial_shares

    def update(self, t: int, optimal: np.ndarray, lam: float) -> np.ndarray:
        """Let buyers re-optimise in month ``t`` towards ``optimal``; return group shares.

        ``optimal`` has shape ``(n_groups, n_origins)``; so does the result.
        """
        v_new = t + 1
        self.history[v_new] = optimal
        if self.group.size:
            switch = np.flatnonzero(self.rng.random(self.group.size) < lam)
            keys = self.group[switch] * self.n_vintages + self.vintage[switch]
            moved = np.bincount(
                keys, weights=self.size[switch], minlength=self.n_groups * self.n_vintages
            ).reshape(self.n_groups, self.n_vintages)
            self.vintage[switch] = v_new
        else:
            moved = self.mass * lam
        self.mass -= moved
        self.mass[:, v_new] += moved.sum(axis=1)
        return self.shares(v_new)

    def shares(self, last_vintage: int) -> np.ndarray:
        """Size-weighted sourcing shares per group over the vintages up to ``last_vintage``."""
        m = self.mass[:, : last_vintage + 1]
        h = self.history[: last_vintage + 1]
        total = m.sum(axis=1)
        return np.einsum("gv,vgo->go", m, h) / total[:, None]
