"""Producer firms: output shares, capacity, producer prices, and which markets they serve.

A group's output ``Q[g]`` is split across its firms by fixed market shares ``w[i]``
(proportional to productivity ** (sigma - 1), the CES allocation with fixed relative prices),
so each firm runs at ``x[g] = Q[g] / Qbar[g]`` of its baseline output. Its desired price is

    p_i / p_base = x ** (1 / eps) * max(1, x / (1 + h_i)) ** (1 / eps_cap)

with ``eps`` the supply elasticity below capacity, ``h_i`` the firm's spare capacity and
``eps_cap`` the (small) elasticity once capacity binds. Each month the group price moves a share
``theta`` of the way, in logs, toward the share-weighted price its firms want at the month's
output: ``p' = p ** (1 - theta) * p_desired ** theta`` (partial adjustment; the fixed point is
the supply curve).

**Export markets (extensive margin).** Serving a foreign market has a fixed cost. Firm ``i``'s
base-year operating profit there is ``z_i`` times that cost, ``z_i >= 1`` Pareto with shape
``a`` (every firm served its markets in the base year). The firm keeps serving destination
``d`` while its expected operating profit covers the fixed cost, ``z_i * Pi[o, d, s] >= 1``,
where ``Pi`` is the expected profit per firm relative to the base year (see
``TradeModel._exporters``): it stops when the duty-inclusive price it can charge no longer
covers its cost and returns when it does. ``z`` is drawn independently of a firm's size, so
the share of an origin's base-year sales lost is, in expectation, the share of its firms that
stop: the model counts firms, ``n_serving / n``, which converges to the continuum's
``min(1, Pi ** a)`` at the usual rate even though firm sizes are heavy-tailed.
"""

from __future__ import annotations

import numpy as np


class ProducerPopulation:
    """Producer firms' market shares, spare capacity and export profitability, vectorised."""

    def __init__(
        self,
        group: np.ndarray,
        share: np.ndarray,
        headroom: np.ndarray,
        profit_ratio: np.ndarray,
        n_groups: int,
        mean_headroom: float,
        profit_tail: float,
    ) -> None:
        self.group = group.astype(np.int64)
        self.share = share
        self.headroom = headroom
        self.profit_ratio = profit_ratio  # z_i: base-year export profit / fixed cost
        self.n_groups = n_groups
        self.mean_headroom = mean_headroom
        self.profit_tail = profit_tail
        # firms sorted by group then z, keyed group + (1 - 1/z) for one vectorised search
        order = np.lexsort((profit_ratio, self.group))
        self._keys = self.group[order] + (1.0 - 1.0 / profit_ratio[order])
        self._end = np.searchsorted(self.group[order], np.arange(n_groups), side="right")
        self._count = np.bincount(self.group, minlength=n_groups)

    def desired_price(
        self, utilisation: np.ndarray, supply_elasticity: float, capacity_elasticity: float | None
    ) -> np.ndarray:
        """Share-weighted desired price per group (relative to base), given output/baseline."""
        below = utilisation ** (1.0 / supply_elasticity)
        if capacity_elasticity is None:
            return below
        if self.group.size == 0:
            over = np.maximum(1.0, utilisation / (1.0 + self.mean_headroom))
            return below * over ** (1.0 / capacity_elasticity)
        x = utilisation[self.group]
        over = np.maximum(1.0, x / (1.0 + self.headroom)) ** (1.0 / capacity_elasticity)
        extra = np.bincount(self.group, weights=self.share * over, minlength=self.n_groups)
        return below * extra

    def serving_share(self, profit: np.ndarray) -> np.ndarray:
        """Share of each group's firms serving each market.

        ``profit`` is ``[group, market]``: expected profit per firm relative to the base year.
        A firm serves a market when ``z_i * profit >= 1``.
        """
        threshold = 1.0 / np.maximum(profit, 1e-300)
        if self.group.size == 0:
            return np.minimum(1.0, threshold**-self.profit_tail)
        above = np.minimum(1.0 - 1.0 / np.maximum(threshold, 1.0), 1.0 - 1e-12)
        query = np.arange(self.n_groups)[:, None] + above
        pos = np.searchsorted(self._keys, query.ravel()).reshape(query.shape)
        return (self._end[:, None] - pos) / np.maximum(self._count, 1)[:, None]
