"""Firms as arrays: producers and buyers per region × sector, drawn for every member of a
batch (see :mod:`simulator.markets.production` and :mod:`simulator.markets.sourcing` for what
they decide each month). A month updates every firm at once; :class:`simulator.agents.Firm`
shows any one of them as a Mesa agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.markets.production import ProducerPopulation
from simulator.markets.sourcing import COST_LEVELS, BuyerPopulation
from simulator.markets.state import copy_state


def _allocate(count: int, weights: np.ndarray) -> np.ndarray:
    """Split exactly ``count`` firms over groups in proportion to ``sqrt(weights)``.

    Every group gets one firm first; the rest go by largest remainder.
    """
    w = np.sqrt(weights) / np.sqrt(weights).sum()
    quota = w * (count - weights.size)
    n = 1 + np.floor(quota).astype(np.int64)
    left = count - int(n.sum())
    n[np.argsort(-(quota - np.floor(quota)), kind="stable")[:left]] += 1
    return n


def _normalise_by_group(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    totals = np.bincount(group, weights=values, minlength=n_groups)
    return values / totals[group]


def _draw(
    n_prod: np.ndarray,
    n_buy: np.ndarray,
    sigma: np.ndarray,
    shape: float,
    mean_headroom: float,
    rng: np.random.Generator,
    z_min: float,
    profit_tail: float,
) -> dict[str, np.ndarray]:
    """One member's firms (see :meth:`FirmPopulation.create`), groups numbered from 0."""
    n_groups, n_sectors = n_prod.size, sigma.size
    p_group = np.repeat(np.arange(n_groups), n_prod)
    b_group = np.repeat(np.arange(n_buy.size), n_buy)
    productivity = rng.pareto(shape, p_group.size) + 1.0
    share = _normalise_by_group(
        productivity ** (sigma[p_group % n_sectors] - 1.0), p_group, n_groups
    )
    headroom = rng.gamma(4.0, mean_headroom / 4.0, p_group.size)
    profit_ratio = z_min * (rng.pareto(profit_tail, p_group.size) + 1.0)
    # a group with exports in the base year has an exporter: its best firm if none drawn
    best = np.full(n_groups, -1.0)
    np.maximum.at(best, p_group, profit_ratio)
    lift = (profit_ratio == best[p_group]) & (profit_ratio < 1.0)
    profit_ratio[lift] = 1.0
    size = _normalise_by_group(rng.pareto(shape, b_group.size) + 1.0, b_group, n_buy.size)
    level = rng.integers(0, COST_LEVELS, b_group.size)
    return {
        "p_group": p_group,
        "b_group": b_group,
        "productivity": productivity,
        "share": share,
        "headroom": headroom,
        "profit_ratio": profit_ratio,
        "size": size,
        "level": level,
    }


@dataclass
class FirmPopulation:
    """All firms of the model: producers (region × sector) and buyers (region × sector ×
    kind of good)."""

    producers: ProducerPopulation
    buyers: BuyerPopulation
    productivity: np.ndarray

    @classmethod
    def create(
        cls,
        count: int,
        output: np.ndarray,
        spending: np.ndarray,
        sigma: np.ndarray,
        shape: float,
        utilisation: float,
        initial_shares: np.ndarray,
        n_months: int,
        rngs: list[np.random.Generator],
        switching_costs: np.ndarray,
        hazard: np.ndarray,
        profit_tail: np.ndarray,
        z_min: np.ndarray,
    ) -> FirmPopulation:
        """Draw a population of ``count`` firms for each member of a batch (0: a continuum, no
        individual firms), each member's from its own generator in ``rngs``.

        ``output`` is ``[region, sector]`` and ``spending`` ``[region, sector, kind]``
        base-year values (the kinds of goods a sector's buyers trade, at least one); groups are
        numbered ``member * regions * sectors + region * n_sectors + sector`` (producers) and
        ``(member * regions * sectors + region * n_sectors + sector) * kinds + kind``
        (buyers). Productivity is
        Pareto with the given shape; a producer's market share in its group is proportional to
        productivity ** (sigma - 1) (``sigma`` is ``[member, sector]``); spare capacity is
        Gamma distributed with the mean implied by the utilisation rate; the ratio of
        base-year export profit to the fixed cost of a market is Pareto (shape
        ``profit_tail``, minimum ``z_min``; firms above 1 export). Buyer sizes are Pareto too;
        each buyer draws one of its group's switching-cost levels ``switching_costs[group,
        level]`` (the quantile levels of its distribution) and the expiry of its contract
        (hazard ``hazard``). ``profit_tail`` and ``z_min`` have one value per producers' group
        of every member; ``hazard``, ``switching_costs`` and ``initial_shares`` one value or
        row per buyers' group.
        """
        costs = switching_costs
        n_members = len(rngs)
        per_member, per_buyer_member = output.size, spending.size
        n_groups = n_members * per_member
        n_regions = output.shape[0]
        mean_headroom = 1.0 / utilisation - 1.0
        # buyers' own region: the domestic origin
        home = (np.arange(len(costs)) // (per_buyer_member // n_regions)) % n_regions
        if count == 0:
            empty = np.zeros(0)
            empty_int = np.zeros(0, dtype=np.int64)
            producers = ProducerPopulation(
                empty_int, empty, empty, empty, n_groups, mean_headroom, profit_tail
            )
            buyers = BuyerPopulation(
                empty_int, empty, empty_int, costs, hazard, n_months, initial_shares, rngs, home
            )
            return cls(producers, buyers, empty)
        n_prod = _allocate(count // 2, output.ravel())
        n_buy = _allocate(count - count // 2, spending.ravel())
        # members whose generators start alike (the same seed) and whose draws depend on the
        # same values draw the same firms: drawn once, the generator's state after it copied
        drawn, seen = [], {}
        for m in range(n_members):
            tail, lowest = profit_tail[m * per_member], z_min[m * per_member]
            key = (repr(rngs[m].bit_generator.state), sigma[m].tobytes(), tail, lowest)
            if key in seen:
                first, state = seen[key]
                drawn.append(drawn[first])
                rngs[m].bit_generator.state = state
                continue
            drawn.append(
                _draw(n_prod, n_buy, sigma[m], shape, mean_headroom, rngs[m], lowest, tail)
            )
            seen[key] = (m, rngs[m].bit_generator.state)
        p_group = np.concatenate([d["p_group"] + m * per_member for m, d in enumerate(drawn)])
        b_group = np.concatenate([d["b_group"] + m * per_buyer_member for m, d in enumerate(drawn)])

        def joined(key: str) -> np.ndarray:
            return np.concatenate([d[key] for d in drawn])

        producers = ProducerPopulation(
            p_group,
            joined("share"),
            joined("headroom"),
            joined("profit_ratio"),
            n_groups,
            mean_headroom,
            profit_tail,
            groups_per_member=per_member,
        )
        buyers = BuyerPopulation(
            b_group,
            joined("size"),
            joined("level"),
            costs,
            hazard,
            n_months,
            initial_shares,
            rngs,
            home,
            groups_per_member=per_buyer_member,
        )
        return cls(producers, buyers, joined("productivity"))

    def fork(self) -> FirmPopulation:
        """A copy of the firms as they are now, to carry on apart (what they never change is
        shared)."""
        return FirmPopulation(copy_state(self.producers), self.buyers.fork(), self.productivity)

    @property
    def n_producers(self) -> int:
        return int(self.producers.group.size)

    @property
    def n_buyers(self) -> int:
        return int(self.buyers.group.size)

    def __len__(self) -> int:
        return self.n_producers + self.n_buyers
