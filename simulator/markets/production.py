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
base-year operating profit there would be ``z_i`` times that cost, ``z_i`` Pareto with shape
``a`` above ``z_min``, and its sales there are proportional to ``z_i`` (a common fixed cost
per market, as in Chaney 2008 and Eaton, Kortum & Kramarz 2011). In the base year the firms
with ``z_i >= 1`` export (a share ``z_min ** a`` of firms, the observed share of exporters);
the others are potential exporters. A firm keeps serving destination ``d`` while its expected
operating profit ``z_i * Pi[o, d, s]`` covers the fixed cost, where ``Pi`` is the expected
profit per firm relative to the base year (``Worlds._exporters``): it stops when the
duty-inclusive price it can charge no longer covers its cost, and firms that did not export
start when a market opens up. Having sunk costs in the market, a firm leaves only when
``z_i * Pi < 1 - b`` and enters only when ``z_i * Pi >= 1 + b`` (a hysteresis band ``b``,
Dixit 1989; Baldwin & Krugman 1989), so small or passing shocks leave the set of exporters
alone. Both rules are monotone in ``z``: the firms serving are those above a threshold ``x``,
and their sales relative to the base year are ``sum_{z_i >= x} z_i / sum_{z_i >= 1} z_i``;
with no firms (a continuum) ``x ** (1 - a)``. (``z`` is drawn independently of the firm's
share of its home group's output, which sets its capacity weight.)
"""

from __future__ import annotations

import numpy as np

from simulator.markets.state import read_only


class ProducerPopulation:
    """Producer firms' market shares, spare capacity and export profitability, vectorised.

    Groups are numbered ``member * regions * sectors + region * sectors + sector`` in a batch;
    ``profit_tail`` has one value per group.
    """

    def __init__(
        self,
        group: np.ndarray,
        share: np.ndarray,
        headroom: np.ndarray,
        profit_ratio: np.ndarray,
        n_groups: int,
        mean_headroom: float,
        profit_tail: np.ndarray,
        groups_per_member: int | None = None,
    ) -> None:
        self.group = group.astype(np.int64)
        self.share = share
        self.headroom = headroom
        self.profit_ratio = profit_ratio  # z_i: base-year export profit / fixed cost
        self.n_groups = n_groups
        self.mean_headroom = mean_headroom
        self.profit_tail = profit_tail
        self._capacity: tuple | None = None
        # firms sorted by group then z, keyed group + (1 - z_min / z) for one vectorised
        # search, z_min the lowest z of the group's member; cumulative export sales
        # (proportional to z) in that order
        per_member = groups_per_member or n_groups
        lowest = np.full(-(-n_groups // per_member), np.inf)
        np.minimum.at(lowest, self.group // per_member, profit_ratio)
        self.z_min = np.repeat(lowest, per_member)[:n_groups]  # by group
        keys = self.group + (1.0 - self.z_min[self.group] / profit_ratio)
        order = _by_group_then(self.group, profit_ratio, keys)
        self._keys = keys[order]
        self._end = np.searchsorted(self.group[order], np.arange(n_groups), side="right")
        self._cum = np.concatenate([[0.0], np.cumsum(profit_ratio[order])])
        self._base = self._sales_above(np.ones((n_groups, 1)), np.arange(n_groups)[:, None])
        # the last thresholds asked for and their serving shares (see serving_share)
        self._serving: tuple[np.ndarray, np.ndarray] | None = None
        read_only(self.group, self.share, self.headroom, self.profit_ratio, self._keys, self._cum)

    def desired_price(
        self,
        utilisation: np.ndarray,
        supply_elasticity: np.ndarray,
        capacity_elasticity: np.ndarray | None,
        groups: np.ndarray | None = None,
    ) -> np.ndarray:
        """Share-weighted desired price of each group (relative to base), given its
        output/baseline; the elasticities have one value per group. ``groups``: the groups
        asked for, in the order of the other arrays (default: all, in order)."""
        below = utilisation ** (1.0 / supply_elasticity)
        if capacity_elasticity is None:
            return below
        power = 1.0 / capacity_elasticity
        if self.group.size == 0:
            over = np.maximum(1.0, utilisation / (1.0 + self.mean_headroom))
            return below * over**power
        # firms over capacity are those with headroom below x - 1: a prefix of each group's
        # firms sorted by headroom, so sum_i w_i max(1, x / (1 + h_i)) ** power is
        # (1 - W_over) + x ** power * sum_over w_i (1 + h_i) ** -power, from cumulative sums
        if groups is None:
            groups = np.arange(self.n_groups)
        keys, start, cum_share, cum_weighted = self._capacity_sums(power, groups)
        query = groups + np.clip(1.0 - 1.0 / utilisation, 0.0, 1.0 - 1e-12)
        pos = np.searchsorted(keys, query)  # first firm of the group not over capacity
        share_over = cum_share[pos] - cum_share[start[groups]]
        weighted_over = cum_weighted[pos] - cum_weighted[start[groups]]
        return below * (1.0 - share_over + utilisation**power * weighted_over)

    def _capacity_sums(self, power: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, ...]:
        """Firms sorted by group and spare capacity, with cumulative shares (cached), given
        the capacity ``power`` of ``groups``."""
        if self._capacity is None or not np.array_equal(self._capacity[0][groups], power):
            if groups.size != self.n_groups:
                raise ValueError("a capacity power for every group is needed first")
            h = self.headroom
            keys = self.group + h / (1.0 + h)  # x > 1 + h  <=>  1 - 1/x > h / (1 + h)
            order = _by_group_then(self.group, h, keys)
            h, w, keys = h[order], self.share[order], keys[order]
            start = np.searchsorted(self.group[order], np.arange(self.n_groups))
            cum_share = np.concatenate([[0.0], np.cumsum(w)])
            weighted = w * (1.0 + h) ** -power[self.group[order]]
            cum_weighted = np.concatenate([[0.0], np.cumsum(weighted)])
            self._capacity = (power.copy(), keys, start, cum_share, cum_weighted)
        return self._capacity[1:]

    def _sales_above(self, threshold: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Export sales of the firms of ``groups`` with ``z >= threshold`` (same shapes)."""
        # below the lowest z every firm of the group serves: the query stays in its group
        above = np.clip(1.0 - self.z_min[groups] / threshold, 0.0, 1.0 - 1e-12)
        pos = np.searchsorted(self._keys, groups + above)
        return self._cum[self._end[groups]] - self._cum[pos]

    def serving_share(self, threshold: np.ndarray) -> np.ndarray:
        """Export sales of the firms with ``z >= threshold``, relative to the base year's.

        ``threshold`` is ``[group, market]``; 1 in the base year. With firms, only the
        thresholds that moved since the last call are searched (most months few do).
        """
        if self.group.size == 0:
            return threshold ** (1.0 - self.profit_tail[:, None])
        if self._serving is None or self._serving[0].shape != threshold.shape:
            groups = np.broadcast_to(np.arange(self.n_groups)[:, None], threshold.shape)
            share = self._sales_above(threshold, groups) / np.maximum(self._base, 1e-300)
        else:
            last, share = self._serving
            group, market = np.nonzero(threshold != last)
            share = share.copy()
            share[group, market] = self._sales_above(threshold[group, market], group) / np.maximum(
                self._base[group, 0], 1e-300
            )
        self._serving = (threshold.copy(), share)
        return share


def _by_group_then(group: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """The order that sorts firms by group, then by ``values`` (``np.lexsort((values,
    group))``). ``keys`` is ``group`` plus an increasing function of ``values`` in [0, 1): one
    stable sort of the keys, fast because the firms come grouped, gives that order unless two
    values are so close that their keys round to the same number, which is checked (then two
    stable sorts, the exact order)."""
    order = np.argsort(keys, kind="stable")
    g, v = group[order], values[order]
    if np.all((g[1:] > g[:-1]) | ((g[1:] == g[:-1]) & (v[1:] >= v[:-1]))):
        return order
    order = np.argsort(values, kind="stable")
    return order[np.argsort(group[order], kind="stable")]


def entry_threshold(
    previous: np.ndarray,
    profit: np.ndarray,
    band: np.ndarray | float,
    z_min: np.ndarray | float,
) -> np.ndarray:
    """Lowest ``z`` still serving a market, after this month's exits and entries.

    Having sunk costs in a market, a firm leaves only when ``z * Pi < 1 - band`` and a firm
    not serving enters only when ``z * Pi >= 1 + band`` (hysteresis, Dixit 1989). Both rules
    are monotone in ``z``, so the firms serving are always those with ``z >= threshold``; no
    firm has ``z`` below ``z_min``.
    """
    pi = np.maximum(profit, 1e-300)
    stay = (1.0 - band) / pi
    enter = (1.0 + band) / pi
    return np.maximum(np.maximum(stay, np.minimum(previous, enter)), z_min)
