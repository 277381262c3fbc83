"""Buyer firms and their sourcing decisions, vectorised.

Each buyer firm belongs to a group (destination region × sector), spends in proportion to its
size and holds a supply contract: the *mix of quantities* across origins it chose when it last
re-sourced (its *vintage*). A buyer of vintage ``v`` holds ``c[v, o]`` units from origin ``o``
per unit of the sector's composite good, chosen to minimise cost at the prices it then expected
over its contract, ``Pbar_v``: ``c[v, o] = s*[v, o] * I(Pbar_v) / Pbar_v[o]`` with ``s*`` the
Armington cost-minimising shares and ``I`` the CES unit cost (so ``c[v] . Pbar_v = I(Pbar_v)``).

Each month every buyer compares

* the **saving** from re-sourcing now: how much more its old mix now costs than the best one,
  ``gap = 1 - (J(Pbar_t) / J(Pbar_v)) / (c[v] . Pbar_t / c[v] . Pbar_v)``: the rise in the least
  cost of a unit of the composite since it signed (``J``, the CES unit cost with every base-year
  supplier) against the rise in the cost of its own mix (>= 0 when the weights are the same,
  because ``J`` is the least cost), in months of its imports (the
  purchases whose suppliers it would change: divided by the import share ``m_v`` of its
  spending), times the annuity ``A`` (the expected discounted months the saving lasts,
  :mod:`simulator.markets.expectations`): ``saving = A * gap / m_v``,
* with its own **switching cost** ``kappa_i`` (months of its imports; log-normal around a
  median that depends on how differentiated the sector's goods are, Rauch 1999),

and re-sources when ``saving > kappa_i``. Independently, its contract expires with hazard
``h`` a month, and then it re-sources at no cost. A small or short-lived price gap moves only
the buyers whose contracts expire; a large lasting one moves every buyer whose cost is below
the saving, at once. Because ``gap`` is second order in the price change, the share that
re-sources rises with the square of the shock.

Switching costs take ``K`` levels (the quantile midpoints of the log-normal), each buyer drawing
one, so the mass of buyers by group, cost level and vintage, ``M[g, k, v]``, is a finite state:
with no firms (``count: 0``) the model moves these masses exactly (a share ``h`` of each cell
plus all cells whose saving beats their cost), which is the limit of many firms. With firms,
each draws its level and its contract's expiry date (geometric, so expiries are memoryless),
and the month costs O(firms) with no Python loop over firms. The groups' spending shares at
today's prices ``P`` are ``S[g, o] = sum_v M[g, v] c[v, o] P[o] / (c[v] . P) / sum_v M[g, v]``.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from simulator.markets.state import copy_state, read_only

COST_LEVELS = 16  # quantile levels of the switching-cost distribution


def cost_levels(median: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """``[group, K]`` switching costs: quantile midpoints of a log-normal per group (median
    and log standard deviation by group)."""
    return median[:, None] * np.exp(dispersion[:, None] * _quantiles()[None, :])


def _quantiles() -> np.ndarray:
    """The standard normal's quantiles at the levels' midpoints (Wichura's AS241, to about
    1e-16; not scipy's ndtri, whose import costs a run a tenth of a second)."""
    return np.array([NormalDist().inv_cdf((k + 0.5) / COST_LEVELS) for k in range(COST_LEVELS)])


@dataclass
class Decisions:
    """What buyers decided in one month (for inspection of single firms)."""

    month: int
    saving: np.ndarray  # [group, vintage] saving seen (months of spending), before switching
    switched: np.ndarray  # rows of the buyers who re-sourced (firms only)
    previous_vintage: np.ndarray  # their vintage before
    expired: np.ndarray  # whether their contract expired (else they chose to switch)
    share_switched: np.ndarray  # [group] share of the group's spending re-sourced


class BuyerPopulation:
    """Buyer firms' sizes, switching costs, contracts and vintages, and every vintage's mix.

    Groups are numbered ``member * regions * sectors + region * sectors + sector`` in a batch;
    the contract hazard has one value per group.
    """

    def __init__(
        self,
        group: np.ndarray,
        size: np.ndarray,
        level: np.ndarray,
        costs: np.ndarray,
        hazard: np.ndarray,
        n_months: int,
        initial_shares: np.ndarray,
        rngs: np.random.Generator | list[np.random.Generator],
        home: np.ndarray | None = None,
        groups_per_member: int | None = None,
    ) -> None:
        """``level`` is each buyer's switching-cost level (column of ``costs[group, K]``);
        ``home`` the domestic origin of each group (default: none, every origin imported).
        Buyers are sorted by group; each member's contracts expire at dates drawn from its
        own generator in ``rngs`` (one generator: one member)."""
        n_groups = costs.shape[0]
        self.group = group.astype(np.int64)
        self.size = size
        self.level = level.astype(np.int64)
        self.costs = costs
        self.hazard = hazard
        self.n_groups = n_groups
        self.home = home
        self.n_vintages = n_months + 1
        self.rngs = [rngs] if isinstance(rngs, np.random.Generator) else list(rngs)
        # each member's buyers, rows [starts[m], starts[m + 1])
        per_member = groups_per_member or n_groups
        members = np.arange(len(self.rngs) + 1) * per_member
        self._starts = np.searchsorted(self.group, members)
        self._group_rows = np.searchsorted(self.group, np.arange(n_groups + 1))  # likewise
        # each member's contract hazard where all its groups share one (the usual case): a
        # scalar probability draws the same numbers as an array of it, twice as fast
        self._member_hazard = [
            float(h[0]) if h.size and np.all(h == h[0]) else None
            for h in (hazard[a:b] for a, b in itertools.pairwise(members))
        ]
        # vintages and expiry months in 32 bits: the month's scans of every buyer read half the
        # bytes (the keys stay 64-bit: np.take converts any other index type first)
        self.vintage = np.zeros(group.size, dtype=np.int32)
        self.key = self.group * self.n_vintages  # flat index [group, vintage]
        # month in which each buyer's contract expires (memoryless: geometric)
        self.expiry = (self._expiries(np.arange(group.size)) - 1).astype(np.int32)
        if group.size:
            self.kappa = costs[self.group, self.level]
            self.min_cost = np.full(n_groups, np.inf)
            np.minimum.at(self.min_cost, self.group, self.kappa)
        else:
            self.kappa = np.zeros(0)
            self.min_cost = costs.min(axis=1)
        # vintage 0 is the base year; month t's re-sourcers get vintage t + 1
        self.mass = np.zeros((n_groups, self.n_vintages))
        if group.size:
            self.mass[:, 0] = np.bincount(self.group, weights=size, minlength=n_groups)
        else:
            self.mass[:, 0] = 1.0
            # mass by [vintage, group, cost level], divided by the group's ``decay`` (the
            # product of (1 - h) over the months so far): every cell whose buyers do not
            # re-source keeps its stored value, so a month touches only the cells that switch
            # whole (see update); ``level_total`` is the stored mass summed over vintages
            self.level_scaled = np.zeros((self.n_vintages, n_groups, costs.shape[1]))
            self.level_scaled[0] = 1.0 / costs.shape[1]
            self.level_total = self.level_scaled[0].copy()
            self.decay = np.ones(n_groups)
            # the highest saving at which each [group, vintage]'s levels moved whole: the
            # levels a lower saving beats are gone already
            self.passed = np.zeros((n_groups, self.n_vintages))
        # quantity mix per unit composite of each vintage, [group, vintage, origin] (each
        # group's vintages side by side, so a month's costs are one batched matrix product);
        # base prices and index are 1
        n_origins = initial_shares.shape[1]
        self.history = np.zeros((n_groups, self.n_vintages, n_origins))
        self.history[:, 0] = initial_shares
        # the home origin's part of each mix, [vintage, group] (zero without ``home``)
        self.home_mix = np.zeros((self.n_vintages, n_groups))
        if home is not None:
            self.home_mix[0] = initial_shares[np.arange(n_groups), home]
        # the cost of each vintage's mix and the least cost, at the prices expected when signed
        self.signed_cost = np.ones((self.n_vintages, n_groups))
        self.signed_index = np.ones((self.n_vintages, n_groups))
        self.last: Decisions | None = None
        read_only(self.group, self.size, self.level, self.kappa, self.min_cost)

    def fork(self) -> BuyerPopulation:
        """A copy of the buyers as they are now (their contracts and generators), to carry
        on apart."""
        twin = copy_state(self)
        twin.rngs = copy.deepcopy(self.rngs)
        return twin

    def _expiries(self, rows: np.ndarray) -> np.ndarray:
        """Months until the next expiry of the contracts of buyers ``rows`` (sorted), each
        drawn from its member's generator."""
        bounds = np.searchsorted(rows, self._starts)
        parts = [
            rng.geometric(self.hazard[self.group[rows[a:b]]])
            if h is None
            else rng.geometric(h, size=b - a)
            for rng, a, b, h in zip(
                self.rngs, bounds[:-1], bounds[1:], self._member_hazard, strict=True
            )
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _live(self, last: int) -> slice | np.ndarray:
        """The vintages up to ``last`` that hold buyers; a slice (a view of the arrays, not a
        copy) when they are consecutive, as they are unless re-sourcing emptied some."""
        live = np.flatnonzero(self.mass[:, : last + 1].sum(axis=0) > 0)
        if live.size and live[-1] - live[0] + 1 == live.size:
            return slice(int(live[0]), int(live[-1]) + 1)
        return live

    def update(
        self,
        t: int,
        optimal: np.ndarray,
        expected_price: np.ndarray,
        expected_index: np.ndarray,
        annuity: np.ndarray,
        price: np.ndarray,
        everyone: bool | np.ndarray = False,
        reference_index: np.ndarray | None = None,
    ) -> np.ndarray:
        """Let buyers decide in month ``t``; return the groups' spending shares at ``price``.

        ``optimal`` are the cost-minimising shares at the expected prices ``expected_price``
        (unit cost ``expected_index``); all ``(n_groups, n_origins)`` but the index and the
        annuity (by group). With
        ``everyone`` (a flag, or one per group) every buyer (of those groups) re-sources: no
        frictions. ``reference_index`` is ``J``, the
        unit cost at the expected prices with every base-year supplier (default: the index).
        """
        ref = expected_index if reference_index is None else reference_index
        v_new = t + 1
        live = self._live(t)
        mixes = self.history[:, live]  # [group, vintage, origin]
        # each vintage's cost at the expected prices and at today's, in one pass: [group,
        # price, vintage] (prices on the left: the product of the transposes is the faster)
        prices = np.stack((expected_price, price), axis=2).transpose(0, 2, 1)
        costs = np.matmul(prices, mixes.transpose(0, 2, 1))
        total_old = costs[:, 0].T  # [vintage, group]
        cost_old = total_old / self.signed_cost[live]  # own mix's cost rise
        imported = np.ones_like(cost_old)
        if self.home is not None:
            home_price = expected_price[np.arange(self.n_groups), self.home]
            imported -= self.home_mix[live] * home_price / total_old
        gap = np.maximum(1.0 - (ref / self.signed_index[live]) / cost_old, 0.0)
        saving = np.zeros((self.n_groups, self.n_vintages))
        saving[:, live] = (annuity * gap / np.maximum(imported, 1e-3)).T
        mix = optimal * expected_index[:, None] / expected_price
        self.history[:, v_new] = mix
        if self.home is not None:
            self.home_mix[v_new] = mix[np.arange(self.n_groups), self.home]
        self.signed_cost[v_new] = expected_index
        self.signed_index[v_new] = ref
        switched = expired = previous = np.zeros(0, dtype=np.int64)
        every = np.broadcast_to(np.asarray(everyone, dtype=bool), (self.n_groups,))
        if self.group.size:
            expired_all = self.expiry == t
            switching = expired_all
            beaten = np.flatnonzero((saving > self.min_cost[:, None]).any(axis=1))
            if beaten.size:  # groups where some saving beats some buyer's cost: their buyers
                candidates = self._rows_of(beaten)
                beats = np.take(saving, self.key[candidates]) > self.kappa[candidates]
                switching = expired_all.copy()
                switching[candidates[beats]] = True
            if every.any():  # buyers of groups without frictions all move, with no draw
                rows = every[self.group]
                switching = switching & ~rows
            switch = np.flatnonzero(switching)
            previous = self.vintage[switch]
            # floats even when nobody switches (bincount of nothing gives integers)
            moved = np.bincount(
                self.key[switch], weights=self.size[switch], minlength=saving.size
            ).astype(float, copy=False)
            moved = moved.reshape(self.n_groups, self.n_vintages)
            self.vintage[switch] = v_new
            self.key[switch] += v_new - previous
            self.expiry[switch] = t + self._expiries(switch)
            switched, expired = switch, expired_all[switch]
            if every.any():
                moved[every] = self.mass[every]
                self.vintage[rows] = v_new
                self.key[rows] = self.group[rows] * self.n_vintages + v_new
        else:  # only vintages signed so far hold mass
            moved = self.mass.copy() if every.all() else self._move_levels(saving, v_new)
            if every.any():
                moved[every] = self.mass[every]
                self.level_scaled[:v_new, every] = 0.0
                self.level_scaled[v_new, every] = 1.0 / self.costs.shape[1]
                self.level_total[every] = self.level_scaled[v_new, every]
                self.decay[every] = 1.0
        share_switched = moved.sum(axis=1) / self.mass.sum(axis=1)
        self.mass -= moved
        self.mass[:, v_new] += moved.sum(axis=1)
        self.last = Decisions(t, saving, switched, previous, expired, share_switched)
        # size-weighted spending shares at today's prices: each vintage's mass per unit of its
        # spending, then the quantities it buys (vintages emptied this month weigh nothing)
        weight = self.mass[:, live] / costs[:, 1]
        quantity = np.matmul(weight[:, None, :], mixes)[:, 0, :]  # [group, origin]
        quantity += (self.mass[:, v_new] / np.sum(mix * price, axis=1))[:, None] * mix
        return quantity * price / self.mass.sum(axis=1)[:, None]

    def _rows_of(self, groups: np.ndarray) -> np.ndarray:
        """The rows of the buyers of ``groups`` (sorted), in order."""
        first, end = self._group_rows[groups], self._group_rows[groups + 1]
        counts = end - first
        return np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())

    def _move_levels(self, saving: np.ndarray, v_new: int) -> np.ndarray:
        """The continuum's month: a share ``h`` of every cell's contracts expires, and the cells
        (group, vintage, cost level) whose saving beats their cost move whole, into vintage
        ``v_new``. Returns the mass moved out of each ``[group, vintage]``."""
        h, decay = self.hazard, self.decay
        # the cells where some levels switch whole: the saving beats the lowest cost, and the
        # saving at which the cell's levels last moved (else the levels it beats are gone)
        g, v = np.nonzero(saving[:, :v_new] > np.maximum(self.costs[:, :1], self.passed[:, :v_new]))
        self.passed[g, v] = saving[g, v]
        stored = self.level_scaled[v, g]  # [cell, level]
        whole = saving[g, v][:, None] > self.costs[g]
        # what those levels move beyond the expiring share h
        beyond = np.where(whole, stored * (decay[g] * (1.0 - h[g]))[:, None], 0.0)
        n_groups, n_levels = self.level_total.shape
        cells = (g[:, None] * n_levels + np.arange(n_levels)).ravel()  # [group, level], flat

        def by_group_level(values: np.ndarray) -> np.ndarray:
            summed = np.bincount(cells, weights=values.ravel(), minlength=n_groups * n_levels)
            return summed.reshape(n_groups, n_levels)

        arriving = (h * decay)[:, None] * self.level_total + by_group_level(beyond)
        moved = h[:, None] * self.mass
        moved[g, v] += beyond.sum(axis=1)  # each (group, vintage) once
        gone = np.where(whole, stored, 0.0)
        self.level_scaled[v, g] = stored - gone
        self.level_total -= by_group_level(gone)
        # what stays has decayed by (1 - h): the stored values hold with the new decay
        decay = decay * (1.0 - h)
        small = decay < 1e-200  # rescale before the decay underflows (h = 1: all moved)
        if small.any():
            self.level_scaled[:v_new, small] *= decay[small, None]
            self.level_total[small] *= decay[small, None]
            decay[small] = 1.0
        self.decay = decay
        self.level_scaled[v_new] = arriving / decay[:, None]
        self.level_total += self.level_scaled[v_new]
        return moved
