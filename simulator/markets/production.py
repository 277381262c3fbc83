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
``a > 1`` (every firm served its markets in the base year), and its sales there are
proportional to ``z_i`` (a common fixed cost per market, as in Chaney 2008 and Eaton, Kortum &
Kramarz 2011). The firm keeps serving destination ``d`` while its expected operating profit
covers the fixed cost, where ``Pi`` is the expected profit per firm relative to the base year
(``TradeModel._exporters``): it stops when the duty-inclusive price it can charge no longer
covers its cost and returns when it does. Having sunk costs in the market, it leaves only when
``z_i * Pi < 1 - b`` and returns only when ``z_i * Pi >= 1 + b`` (a hysteresis band ``b``,
Dixit 1989; Baldwin & Krugman 1989), so small or passing shocks leave the set of exporters
alone. The share of the
origin's base-year export sales made by firms still serving is
``sum_i z_i 1[z_i >= 1 / Pi] / sum_i z_i``; with no firms (a continuum) it is
``min(1, Pi ** (a - 1))``. The largest exporters are the last to leave. (``z`` is drawn
independently of the firm's share of its home group's output, which sets its capacity weight.)
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
        # firms sorted by group then z, keyed group + (1 - 1/z) for one vectorised search;
        # cumulative export sales (proportional to z) in that order
        order = np.lexsort((profit_ratio, self.group))
        self._keys = self.group[order] + (1.0 - 1.0 / profit_ratio[order])
        self._end = np.searchsorted(self.group[order], np.arange(n_groups), side="right")
        self._cum = np.concatenate([[0.0], np.cumsum(profit_ratio[order])])
        self._start = np.concatenate([[0], self._end[:-1]])

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

    def serving_share(self, threshold: np.ndarray) -> np.ndarray:
        """Share of each group's base-year export sales made by firms with ``z >= threshold``.

        ``threshold`` is ``[group, market]``, at least 1.
        """
        if self.group.size == 0:
            return threshold ** (1.0 - self.profit_tail)
        above = np.minimum(1.0 - 1.0 / threshold, 1.0 - 1e-12)
        query = np.arange(self.n_groups)[:, None] + above
        pos = np.searchsorted(self._keys, query.ravel()).reshape(query.shape)
        end, start = self._cum[self._end][:, None], self._cum[self._start][:, None]
        return (end - self._cum[pos]) / np.maximum(end - start, 1e-300)


def entry_threshold(previous: np.ndarray, profit: np.ndarray, band: float) -> np.ndarray:
    """Lowest ``z`` still serving a market, after this month's exits and entries.

    Having sunk costs in a market, a firm leaves only when ``z * Pi < 1 - band`` and a firm
    that left comes back only when ``z * Pi >= 1 + band`` (hysteresis, Dixit 1989). Both rules
    are monotone in ``z``, so the firms serving are always those with ``z >= threshold``.
    """
    pi = np.maximum(profit, 1e-300)
    stay = (1.0 - band) / pi
    enter = (1.0 + band) / pi
    return np.maximum(np.maximum(stay, np.minimum(previous, enter)), 1.0)
