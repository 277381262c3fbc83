"""Retaliation rules: a government answers another's tariffs after a lag.

The trigger is the target's extra tariff (above the base year) on the retaliator's exports,
weighted by base-year trade over the trigger sectors:

    m_t = sum_s w_s * extra[i -> j, s] / sum_s w_s

A fixed-rate rule fires when ``m_t`` reaches the threshold and again each time the target
escalates (``m_t`` rises above its level at the last firing), adding ``rate`` per round up to
``rounds`` rounds and the ``cap``. A matching rule tracks the target: ``match: rate`` mirrors
``m_t``; ``match: value`` sets the rate so the duty on the target's exports in the hit sectors
equals the extra duty the target levies (base-year trade, "substantially equivalent"). Every
change takes effect ``lag_months`` later, is known to importers when decided (so they can
front-run it) and is lifted from the truce date.

The imposer or the target may be a group of regions (``EU``): a group retaliates as one,
its trigger measured over all its members' exports to the target, and one rate levied by
every member; a group target is hit in all its members.
"""

from __future__ import annotations

import numpy as np

from simulator.calendar import month_index
from simulator.policy.tariffs import Groups, active_fraction, region_indices
from simulator.scenario.schema import Retaliation

_TOL = 1e-6


class RetaliationRule:
    """One government's rule against one target, with its escalation state (one per member
    of a batch: ``rounds_used``, ``last_measure`` and ``rate`` are arrays over members). It
    acts in the members where ``active`` (default: all; members with retaliation switched
    off have none)."""

    def __init__(
        self,
        spec: Retaliation,
        regions: tuple[str, ...],
        sectors: tuple[str, ...],
        goods: np.ndarray,
        base_flows: np.ndarray,
        start_month: str,
        n_months: int,
        n_members: int = 1,
        groups: Groups | None = None,
        active: np.ndarray | None = None,
    ) -> None:
        self.spec = spec
        self.active = np.ones(n_members, dtype=bool) if active is None else active
        groups = groups or {}
        self.imposer = np.array(region_indices(spec.imposer, regions, groups))
        self.target = np.array(region_indices(spec.target, regions, groups))
        goods_sectors = [s for s, g in zip(sectors, goods, strict=True) if g]
        trig = goods_sectors if spec.trigger.sectors == "all" else spec.trigger.sectors
        self.trigger_sectors = np.array([sectors.index(s) for s in trig])
        self.hit_sectors = np.array([sectors.index(s) for s in spec.sectors])
        i, j = self.imposer, self.target
        self._trigger = (slice(None), *np.ix_(i, j, self.trigger_sectors))
        self._hit = np.ix_(j, i, self.hit_sectors)
        self.trigger_weights = base_flows[self._trigger[1:]]
        self.exports_hit = base_flows[self._hit].sum()
        first = month_index(start_month)
        self.in_force = np.ones(n_months)
        if spec.truce is not None:
            self.in_force -= active_fraction(spec.truce, None, first, n_months)
        self.rounds_used = np.zeros(n_members, dtype=np.int64)
        self.last_measure = np.zeros(n_members)
        self.rate = np.zeros(n_members)
        self.fired: list[list[tuple[int, float]]] = [[] for _ in range(n_members)]

    def measure(self, extra: np.ndarray) -> np.ndarray:
        """Trade-weighted extra tariff the target levies on the retaliator (a fraction), by
        member; ``extra`` is ``[member, origin, destination, sector]``."""
        rates = extra[self._trigger]
        w = self.trigger_weights
        if w.sum() > 0:
            return (rates * w).sum(axis=(1, 2, 3)) / w.sum()
        return rates.mean(axis=(1, 2, 3))

    def desired_rate(self, extra: np.ndarray, m: np.ndarray) -> np.ndarray:
        spec = self.spec
        cap = spec.cap / 100.0
        triggered = (m > _TOL) & (m * 100.0 >= spec.trigger.threshold - _TOL)
        if spec.match is None:
            escalates = triggered & (m > self.last_measure + _TOL)
            fires = escalates & (self.rounds_used < spec.rounds)
            self.rounds_used = self.rounds_used + fires
            self.last_measure = np.where(fires, m, self.last_measure)
            rate = np.minimum(self.rounds_used * (spec.rate or 0.0) / 100.0, cap)
            return np.where(fires, rate, self.rate)
        if spec.match == "rate":
            desired = m
        else:
            duty = (extra[self._trigger] * self.trigger_weights).sum(axis=(1, 2, 3))
            desired = duty / self.exports_hit if self.exports_hit > 0 else np.zeros_like(m)
        rises = desired > self.rate + _TOL
        stuck = rises & (self.rounds_used >= spec.rounds)
        self.rounds_used = self.rounds_used + (triggered & rises & ~stuck)
        rate = np.where(stuck, self.rate, np.minimum(desired, cap))
        return np.where(triggered, rate, 0.0)

    def update(self, t: int, extra: np.ndarray, path: np.ndarray) -> bool:
        """Decide this month's response and write it into the retaliation path (``[member,
        month, origin, destination, sector]``); say whether any member's response changed."""
        new_rate = self.desired_rate(extra, self.measure(extra))
        changed = np.flatnonzero((np.abs(new_rate - self.rate) > _TOL) & self.active)
        start = t + self.spec.lag_months
        for member in changed:
            if start < path.shape[1]:
                delta = (new_rate[member] - self.rate[member]) * self.in_force[start:]
                j, i, s = self._hit
                path[member][start:, j, i, s] += delta[:, None, None, None]
            self.rate[member] = new_rate[member]
            self.fired[member].append((t, float(new_rate[member])))
        return changed.size > 0
