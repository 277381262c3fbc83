"""Expectations: the landed prices buyers and exporters expect over a supply contract's life.

A buyer that re-sources now keeps its new suppliers until its contract expires (hazard ``h`` a
month) and discounts at ``r`` a month, so month ``t + k`` counts with weight
``beta ** k``, ``beta = (1 - h) / (1 + r)``. The weights sum to the *annuity* ``A`` (expected
discounted months a saving lasts); normalised, they give the *contract-average* of a price.

Firms expect each part of a landed price ``P = p * X * T ** rho`` differently:

* the producer price ``p`` to stay where it is (a random walk);
* the exchange-rate part ``X`` to decay toward its base-year level with half-life ``H``
  months: ``E_t[ln X_{t+k}] = phi ** k * ln X_t``, ``phi = 0.5 ** (1 / H)``, so its
  contract-average is ``f_X * ln X_t`` with ``f_X = sum_k w_k phi ** k``;
* the tariff factor ``T = (1 + tau) / (1 + tau0)`` to follow the schedule as announced:
  rates in force last until their announced end; an announced *increase* not yet in force is
  carried out with probability ``q``: ``E_t[tau_{t+k}] = tau_t + q * max(a_k - tau_t, 0) +
  min(a_k - tau_t, 0)`` with ``a_k`` the announced rate for month ``t + k``.

The expected contract-average landed price is ``Pbar = p * X ** f_X * exp(rho * mean_k ln T)``.
A tariff expected to last and a currency swing expected to fade thus move ``Pbar`` (and every
decision taken on it) by different amounts, although today's prices move alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Expectations:
    """How firms weigh the future: contract hazard, discounting, currency and tariff beliefs."""

    hazard: float  # contract-expiry hazard a month (h)
    discount: float  # discount rate a month (r)
    fx_half_life: float  # months (H)
    threat_probability: float  # q
    horizon: int = 240  # months summed explicitly; the rest of the annuity is closed form

    @property
    def beta(self) -> float:
        return (1.0 - self.hazard) / (1.0 + self.discount)

    @property
    def annuity(self) -> float:
        """Expected discounted months a saving lasts: ``sum_k beta ** k = 1 / (1 - beta)``."""
        return 1.0 / (1.0 - self.beta)

    @property
    def fx_weight(self) -> float:
        """Share of today's exchange-rate deviation expected on average over the contract."""
        phi = 0.5 ** (1.0 / self.fx_half_life)
        return (1.0 - self.beta) / (1.0 - self.beta * phi)

    def expected_rates(self, now: np.ndarray, announced: np.ndarray) -> np.ndarray:
        """``E_t[tau_{t+k}]``: rates in force and announced cuts are believed, announced
        increases not yet in force are carried out with probability ``q``.

        ``now`` is the rate in force (any shape), ``announced`` the announced rates for the
        months ahead along a first axis. Buyers' contract prices and importers' stock-building
        (:mod:`simulator.markets.inventory`) both read the schedule through this one rule.
        """
        # = now + q max(step, 0) + min(step, 0) with step = announced - now, in one temporary
        expected = np.subtract(announced, now[None])
        np.maximum(expected, 0.0, out=expected)
        expected *= self.threat_probability - 1.0
        expected += announced
        return expected

    def tariff_log_factor(
        self,
        now: np.ndarray,
        announced: np.ndarray,
        tau0: np.ndarray,
        changes: np.ndarray,
    ) -> np.ndarray:
        """``sum_k w_k ln T_{t+k}``: the contract-average log tariff factor.

        ``now`` is the extra rate in force (``[origin, destination, sector]``); ``announced``
        the announced extra rates for months ``t, t+1, ...`` up to the scenario's end (first
        axis). The last announced month is taken to persist beyond the scenario's end.
        ``changes`` marks the months whose announced rates differ from the month before's
        (:func:`simulator.policy.tariffs.changed_months`); the path is constant between them,
        so each run of equal months is evaluated once, with its months' weights summed, and
        the cells whose announced rate stays the same throughout only once.
        """
        n = min(announced.shape[0], self.horizon)
        beta = self.beta
        w = beta ** np.arange(n)
        w[-1] += beta**n / (1.0 - beta)  # the last month given persists beyond it
        changes = changes[:n].copy()
        changes[0] = True
        starts = np.flatnonzero(changes)
        weights = np.add.reduceat(w, starts) * (1.0 - beta)
        segments = announced[starts]
        first = self.expected_rates(now, segments[:1])[0]
        factor = np.log1p(first / (1.0 + tau0)) * weights.sum()
        varying = (segments[1:] != segments[0]).any(axis=0)
        if varying.any():
            expected = self.expected_rates(now[varying], segments[:, varying])
            factor[varying] = weights @ np.log1p(expected / (1.0 + tau0[varying]))
        return factor
