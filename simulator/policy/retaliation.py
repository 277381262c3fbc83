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
    """One government's rule against one target, with its escalation state."""

    def __init__(
        self,
        spec: Retaliation,
        regions: tuple[str, ...],
        sectors: tuple[str, ...],
        goods: np.ndarray,
        base_flows: np.ndarray,
        start_month: str,
        n_months: int,
        groups: Groups | None = None,
    ) -> None:
        self.spec = spec
        groups = groups or {}
        self.imposer = np.array(region_indices(spec.imposer, regions, groups))
        self.target = np.array(region_indices(spec.target, regions, groups))
        goods_sectors = [s for s, g in zip(sectors, goods, strict=True) if g]
        trig = goods_sectors if spec.trigger.sectors == "all" else spec.trigger.sectors
        self.trigger_sectors = np.array([sectors.index(s) for s in trig])
        self.hit_sectors = np.array([sectors.index(s) for s in spec.sectors])
        i, j = self.imposer, self.target
        self._trigger = np.ix_(i, j, self.trigger_sectors)
        self._hit = np.ix_(j, i, self.hit_sectors)
        self.trigger_weights = base_flows[self._trigger]
        self.exports_hit = base_flows[self._hit].sum()
        first = month_index(start_month)
        self.in_force = np.ones(n_months)
        if spec.truce is not None:
            self.in_force -= active_fraction(spec.truce, None, first, n_months)
        self.rounds_used = 0
        self.last_measure = 0.0
        self.rate = 0.0
        self.fired: list[tuple[int, float]] = []

    def measure(self, extra: np.ndarray) -> float:
        """Trade-weighted extra tariff the target levies on the retaliator (a fraction)."""
        rates = extra[self._trigger]
        w = self.trigger_weights
        return float((rates * w).sum() / w.sum()) if w.sum() > 0 else float(rates.mean())

    def desired_rate(self, extra: np.ndarray, m: float) -> float:
        spec = self.spec
        cap = spec.cap / 100.0
        triggered = m > _TOL and m * 100.0 >= spec.trigger.threshold - _TOL
        if spec.match is None:
            escalates = triggered and m > self.last_measure + _TOL
            if escalates and self.rounds_used < spec.rounds:
                self.rounds_used += 1
                self.last_measure = m
                return min(self.rounds_used * (spec.rate or 0.0) / 100.0, cap)
            return self.rate
        if not triggered:
            return 0.0
        if spec.match == "rate":
            desired = m
        else:
            duty = extra[self._trigger] * self.trigger_weights
            desired = duty.sum() / self.exports_hit if self.exports_hit > 0 else 0.0
        if desired > self.rate + _TOL:
            if self.rounds_used >= spec.rounds:
                return self.rate
            self.rounds_used += 1
        return min(desired, cap)

    def update(self, t: int, extra: np.ndarray, path: np.ndarray) -> bool:
        """Decide this month's response and write it into the retaliation path; say whether
        the response changed."""
        new_rate = self.desired_rate(extra, self.measure(extra))
        if abs(new_rate - self.rate) <= _TOL:
            return False
        start = t + self.spec.lag_months
        if start < path.shape[0]:
            delta = (new_rate - self.rate) * self.in_force[start:]
            j, i, s = self._hit
            path[start:, j, i, s] += delta[:, None, None, None]
        self.rate = new_rate
        self.fired.append((t, new_rate))
        return True
