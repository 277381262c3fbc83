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
    """How firms weigh the future: contract hazard, discounting, currency and tariff beliefs.

    Each is an array over the members of a batch (``[member]``); rates and announced paths
    carry the member axis first (an announced path shared by every member has 1 there).
    """

    hazard: np.ndarray  # contract-expiry hazard a month (h)
    discount: np.ndarray  # discount rate a month (r)
    fx_half_life: np.ndarray  # months (H)
    threat_probability: np.ndarray  # q
    horizon: int = 240  # months summed explicitly; the rest of the annuity is closed form

    @property
    def beta(self) -> np.ndarray:
        return _beta(self.hazard, self.discount)

    @property
    def annuity(self) -> np.ndarray:
        """Expected discounted months a saving lasts: ``sum_k beta ** k = 1 / (1 - beta)``."""
        return annuity(self.hazard, self.discount)

    @property
    def fx_weight(self) -> np.ndarray:
        """Share of today's exchange-rate deviation expected on average over the contract."""
        phi = 0.5 ** (1.0 / self.fx_half_life)
        return (1.0 - self.beta) / (1.0 - self.beta * phi)

    def expected_rates(self, now: np.ndarray, announced: np.ndarray) -> np.ndarray:
        """``E_t[tau_{t+k}]``: rates in force and announced cuts are believed, announced
        increases not yet in force are carried out with probability ``q``.

        ``now`` is the rate in force ``[member, ...]``, ``announced`` the announced rates
        ``[member, month ahead, ...]``. Buyers' contract prices and importers'
        stock-building (:mod:`simulator.markets.inventory`) both read the schedule through
        this one rule.
        """
        # = now + q max(step, 0) + min(step, 0) with step = announced - now, in one temporary
        expected = np.subtract(announced, now[:, None])
        np.maximum(expected, 0.0, out=expected)
        q = np.reshape(self.threat_probability, (-1,) + (1,) * (expected.ndim - 1))
        expected *= q - 1.0
        expected += announced
        return expected

    def tariff_log_factor(
        self,
        now: np.ndarray,
        pieces: np.ndarray,
        starts: np.ndarray,
        months_left: int,
        tau0: np.ndarray,
    ) -> np.ndarray:
        """``sum_k w_k ln T_{t+k}``: the contract-average log tariff factor, ``[member, ...]``.

        ``now`` is the extra rate in force (``[member, origin, destination, sector]``). The
        announced extra rates for months ``t, t+1, ...`` up to the scenario's end
        (``months_left`` months) are piecewise constant: ``pieces[:, j]`` (``[member or 1,
        piece, ...]``) holds from ``starts[j]`` months ahead until the next piece
        (``starts[0] == 0``; :meth:`simulator.engine.worlds.Worlds.announced_path`). The last
        announced month is taken to persist beyond the scenario's end. Each piece is
        evaluated once, with its months' weights summed, and the cells whose announced rate
        stays the same throughout only once.
        """
        n = min(months_left, self.horizon)
        beta = self.beta[:, None]
        w = beta ** np.arange(n)
        w[:, -1] += beta[:, 0] ** n / (1.0 - beta[:, 0])  # the last month persists beyond it
        within = int(np.searchsorted(starts, n))  # the pieces that start within the horizon
        weights = np.add.reduceat(w, starts[:within], axis=1) * (1.0 - beta)  # [member, piece]
        segments = pieces[:, :within]
        first = self.expected_rates(now, segments[:, :1])[:, 0]
        total = weights.sum(axis=1).reshape((-1,) + (1,) * (first.ndim - 1))
        factor = np.log1p(first / (1.0 + tau0)) * total
        varying = (segments[:, 1:] != segments[:, :1]).any(axis=(0, 1))
        if varying.any():
            expected = self.expected_rates(now[:, varying], segments[:, :, varying])
            log_factor = np.log1p(expected / (1.0 + tau0[varying]))
            factor[:, varying] = np.matmul(weights[:, None, :], log_factor)[:, 0, :]
        return factor


def _beta(hazard: np.ndarray, discount: np.ndarray) -> np.ndarray:
    return (1.0 - hazard) / (1.0 + discount)


def annuity(hazard: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Expected discounted months a saving lasts under contract hazard ``hazard`` and discount
    rate ``discount`` (a month each): ``1 / (1 - (1 - h) / (1 + r))``."""
    return 1.0 / (1.0 - _beta(hazard, discount))
