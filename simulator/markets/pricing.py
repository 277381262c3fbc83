"""Producer prices that anticipate how buyers respond to them.

A producer group that sees its output ``x`` (relative to the baseline) at this month's price
``p`` does not ask for the price its supply curve gives at ``x``: buyers would answer that
price by buying less (or more), and output would move the other way next month — a cobweb
that diverges when supply is steep and demand elastic. It asks instead for the price ``p*``
that its supply curve calls for at the output buyers would take at ``p*``:

    p* = P(x * (p* / p) ** -sigma)

where ``P`` is the desired-price curve (supply and capacity) and ``sigma`` the elasticity of
demand for the group's output: the nested CES's own-price elasticity in each market at
base-year shares, weighted by the group's sales there (:func:`demand_elasticity`). ``p* = p``
exactly when ``P(x) = p``, so the steady state is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

TOLERANCE = 1e-13  # on log prices
MAX_ITERATIONS = 64


def anticipated_price(
    price: np.ndarray,
    utilisation: np.ndarray,
    demand_elasticity: np.ndarray,
    desired_price: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """The price ``p*`` solving ``p* = P(x (p*/p)^-sigma)``, cell by cell (vectorised).

    ``desired_price`` maps output relative to baseline to the desired price and must be
    non-decreasing; then ``f(y) = log P(x e^{-sigma y}) - log p - y`` falls in ``y = log
    p*/p`` and its root lies between 0 and ``f(0)``, found by bisection. Cells with no output
    keep ``P(x)``.
    """
    log_p = np.log(price)
    first = desired_price(utilisation)
    f0 = np.log(first) - log_p
    solve = (utilisation > 0.0) & np.isfinite(f0) & (f0 != 0.0)
    if not solve.any():
        return first
    lo = np.where(solve, np.minimum(f0, 0.0), 0.0)
    hi = np.where(solve, np.maximum(f0, 0.0), 0.0)
    for _ in range(MAX_ITERATIONS):
        mid = 0.5 * (lo + hi)
        above = np.log(desired_price(utilisation * np.exp(-demand_elasticity * mid))) > log_p + mid
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.max(hi - lo) < TOLERANCE:
            break
    return np.where(solve, price * np.exp(0.5 * (lo + hi)), first)


def demand_elasticity(
    flows: np.ndarray,
    weights: np.ndarray,
    sigma_domestic: np.ndarray,
    sigma_import: np.ndarray,
    composite: float,
) -> np.ndarray:
    """Own-price elasticity of demand for each producer group's output, ``[origin, sector]``.

    In destination ``d`` a good is a CES composite (elasticity ``composite`` across sectors'
    spending) of the domestic variety and an import composite (``sigma_domestic``), itself a
    CES of origins (``sigma_import``). With landed shares ``w`` (``weights[o, d, s]``), import
    share ``M = 1 - w_dd`` and origin ``o``'s share of imports ``m = w_od / M``:

        domestic seller:  e_dd = sD (1 - w_dd) + composite w_dd
        foreign seller:   e_od = sM (1 - m) + m (sD (1 - M) + composite M)

    The group's elasticity is the mean of ``e_od`` over its markets, weighted by ``flows``.
    """
    n = weights.shape[0]
    home = np.eye(n, dtype=bool)[:, :, None]
    w_home = np.einsum("dds->ds", weights)[None]  # [1, destination, sector]
    imports = 1.0 - w_home
    within = np.divide(weights, imports, out=np.zeros_like(weights), where=imports > 0)
    sd, sm = sigma_domestic[None, None], sigma_import[None, None]
    e_import = sm * (1.0 - within) + within * (sd * w_home + composite * imports)
    e_home = sd * imports + composite * w_home
    e = np.where(home, e_home, e_import)
    sales = flows.sum(axis=1)
    mean = (flows * e).sum(axis=1) / np.where(sales > 0, sales, 1.0)
    return np.where(sales > 0, mean, sigma_import[None])
