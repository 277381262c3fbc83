"""Armington CES demand: how buyers split a sector's spending across origins by landed price.

For buyers in destination ``d`` and sector ``s`` the cost-minimising spending share of origin
``o`` is

    s*[o,d,s] = a[o,d,s] * P[o,d,s]**(1 - sigma[s]) / sum_k a[k,d,s] * P[k,d,s]**(1 - sigma[s])

where ``P`` is the landed price relative to the base year and ``a`` the base-year shares
(the standard calibration: at base prices the model reproduces observed shares). The CES price
index is ``(sum_o a * P**(1 - sigma))**(1 / (1 - sigma))`` (``exp(sum_o a * log P)`` at
``sigma = 1``). Arrays are indexed ``[origin, destination, sector]``.
"""

from __future__ import annotations

import numpy as np


def optimal_shares(
    weights: np.ndarray, rel_price: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cost-minimising spending shares and the CES price index per destination and sector."""
    log_p = np.log(rel_price)
    exponent = (1.0 - sigma)[None, None, :]
    # shares via a stable softmax of log(a) + (1 - sigma) log P
    with np.errstate(divide="ignore"):
        z = np.where(weights > 0, np.log(np.where(weights > 0, weights, 1.0)), -np.inf)
    z = z + exponent * log_p
    z_max = np.max(z, axis=0, keepdims=True)
    e = np.exp(z - z_max)
    total = e.sum(axis=0, keepdims=True)
    shares = e / total
    unit = np.isclose(sigma, 1.0)
    safe = np.where(unit, 1.0, 1.0 - sigma)
    log_index = (np.log(total[0]) + z_max[0]) / safe[None, :]
    log_index_unit = (weights * log_p).sum(axis=0)
    price_index = np.exp(np.where(unit[None, :], log_index_unit, log_index))
    return shares, price_index
