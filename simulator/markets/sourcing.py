"""Buyer firms and their sourcing: switching frictions in vectorised form.

Each buyer firm belongs to a group (destination region × sector) and spends in proportion to
its size. Each month a buyer re-optimises its sourcing with probability ``lam`` (Calvo);
otherwise it keeps the *mix of quantities* across origins it chose when it last re-optimised
(its *vintage*: supply contracts are sticky), so a price rise on one origin raises that
origin's share of its spending in the short run. A buyer of vintage ``v`` holds the mix
``c[v, o] = s_opt[v, o] / P[v, o]`` and at today's prices ``P`` spends the shares
``c[v, o] * P[o] / sum_k c[v, k] * P[k]``. All buyers of a group with the same vintage hold
the same mix, so the group's spending shares are

    S[g, o] = sum_v M[g, v] * share_v[g, o] / sum_v M[g, v]

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
        # quantity mix of each vintage; base prices are 1, so the base mix is the base shares
        self.history = np.zeros((self.n_vintages, *initial_shares.shape))
        self.history[0] = initial_shares

    def update(self, t: int, optimal: np.ndarray, price: np.ndarray, lam: float) -> np.ndarray:
        """Let buyers re-optimise in month ``t``; return the groups' spending shares.

        ``optimal`` (cost-minimising spending shares) and ``price`` (landed prices relative to
        the base year) have shape ``(n_groups, n_origins)``; so does the result.
        """
        v_new = t + 1
        mix = optimal / price
        self.history[v_new] = mix / mix.sum(axis=1, keepdims=True)
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
        return self.shares(v_new, price)

    def shares(self, last_vintage: int, price: np.ndarray) -> np.ndarray:
        """Size-weighted spending shares per group at ``price``, over vintages so far."""
        live = np.flatnonzero(self.mass[:, : last_vintage + 1].sum(axis=0) > 0)
        m = self.mass[:, live]
        spend = self.history[live] * price[None]
        spend /= spend.sum(axis=2, keepdims=True)
        return np.einsum("gv,vgo->go", m, spend) / m.sum(axis=1)[:, None]
