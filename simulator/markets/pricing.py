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
MAX_ITERATIONS = 100


def anticipated_price(
    price: np.ndarray,
    utilisation: np.ndarray,
    demand_elasticity: np.ndarray,
    desired_price: Callable[[np.ndarray, np.ndarray | None], np.ndarray],
) -> np.ndarray:
    """The price ``p*`` solving ``p* = P(x (p*/p)^-sigma)``, cell by cell (vectorised).

    ``desired_price(x, cells)`` maps output relative to baseline to the desired price of the
    cells ``cells`` (indices into the flattened arrays; None: every cell) and must be
    non-decreasing; then ``f(y) = log P(x e^{-sigma y}) - log p - y`` falls in ``y = log
    p*/p`` with slope at most -1, so its root lies between 0 and ``f(0)`` and any ``y`` with
    ``|f(y)| < TOLERANCE`` is within ``TOLERANCE`` of it. The root is found by regula falsi
    with the Illinois step (a handful of evaluations, kinks included), each cell stopping
    when it has converged: a cell's price does not depend on the other cells (of its member
    or of a batch). Cells with no output keep ``P(x)``. Arrays have any shape (``[member,
    cell]`` in a batch).
    """
    log_p, x, sigma = (np.ravel(a) for a in (np.log(price), utilisation, demand_elasticity))

    def f(y: np.ndarray, cells: np.ndarray) -> np.ndarray:
        return np.log(desired_price(x[cells] * np.exp(-sigma[cells] * y), cells)) - log_p[cells] - y

    first = desired_price(x, None)
    f0 = np.log(first) - log_p
    cells = np.flatnonzero((x > 0.0) & np.isfinite(f0) & (np.abs(f0) >= TOLERANCE))
    if not cells.size:
        return first.reshape(price.shape)
    f0 = f0[cells]
    end = f(f0, cells)  # the other end of the bracket: opposite sign to f0 (or 0)
    up = f0 > 0.0
    lo, f_lo = np.where(up, 0.0, f0), np.where(up, f0, end)  # f(lo) >= 0 >= f(hi)
    hi, f_hi = np.where(up, f0, 0.0), np.where(up, end, f0)
    side = np.zeros(cells.size, dtype=np.int8)  # which end moved last (+1 lo, -1 hi)
    root = np.zeros(cells.size)
    active = np.arange(cells.size)  # the cells not yet converged (positions in ``cells``)
    for _ in range(MAX_ITERATIONS):
        gap = f_lo - f_hi
        y = np.where(gap > 0.0, lo + f_lo * (hi - lo) / np.where(gap > 0.0, gap, 1.0), lo)
        fy = f(y, cells[active])
        root[active] = y
        going = np.abs(fy) >= TOLERANCE
        if not going.any():
            break
        if not going.all():
            active, y, fy, side = active[going], y[going], fy[going], side[going]
            lo, f_lo, hi, f_hi = lo[going], f_lo[going], hi[going], f_hi[going]
        above = fy > 0.0  # the root lies above y
        # Illinois: when the same end moves twice, halve the other end's value
        f_hi = np.where(above & (side == 1), 0.5 * f_hi, f_hi)
        f_lo = np.where(~above & (side == -1), 0.5 * f_lo, f_lo)
        lo, f_lo = np.where(above, y, lo), np.where(above, fy, f_lo)
        hi, f_hi = np.where(above, hi, y), np.where(above, f_hi, fy)
        side = np.where(above, 1, -1).astype(np.int8)
    anticipated = first.copy()
    anticipated[cells] = np.ravel(price)[cells] * np.exp(root)
    return anticipated.reshape(price.shape)


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
