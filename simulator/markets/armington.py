"""Armington demand: how buyers split a sector's spending across origins by landed price.

Two-level CES, as in GTAP. Buyers in destination ``d`` first split spending on sector ``s``
between domestic goods and an import composite with elasticity ``sigma_d``; the import
composite is split across foreign origins with elasticity ``sigma_m``:

    w[o]  = b[o] * P[o]**(1 - sigma_m) / sum_k b[k] * P[k]**(1 - sigma_m)     (o foreign)
    P_M   = (sum_k b[k] * P[k]**(1 - sigma_m)) ** (1 / (1 - sigma_m))
    s_D   = a_D * P_D**(1 - sigma_d) / (a_D * P_D**(1 - sigma_d) + a_M * P_M**(1 - sigma_d))

and the share of foreign origin ``o`` in all spending is ``(1 - s_D) * w[o]``. ``P`` are
landed prices relative to the base year; ``a_D``, ``a_M`` and ``b`` are base-year shares (the
standard calibration: at base prices the model reproduces the observed shares). The overall
CES price index ``(a_D P_D**(1-sigma_d) + a_M P_M**(1-sigma_d))**(1/(1-sigma_d))`` sets
spending. At ``sigma = 1`` a nest is Cobb-Douglas (fixed value shares, geometric index).
Arrays are indexed ``[..., origin, destination, sector]``: any leading axes (members of a batch)
come first; the sigmas are shaped like the price index, ``[..., destination, sector]`` or
broadcastable to it.
"""

from __future__ import annotations

import numpy as np


def over_origins(sigma: np.ndarray) -> np.ndarray:
    """A parameter shaped like a price index ``[..., destination, sector]``, given an origin
    axis so that it broadcasts against ``[..., origin, destination, sector]``."""
    return sigma[..., None, :, :] if np.ndim(sigma) >= 2 else sigma


def ces_shares(
    weights: np.ndarray, rel_price: np.ndarray, sigma: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One CES nest over the origin axis (-3): cost-minimising value shares and the index."""
    log_p = np.log(rel_price)
    with np.errstate(divide="ignore"):
        z = np.log(weights)  # -inf where a weight is 0: that origin gets no share
    z = z + (1.0 - over_origins(sigma)) * log_p
    z_max = z.max(axis=-3)
    shares = np.exp(z - z_max[..., None, :, :])
    total = shares.sum(axis=-3)
    shares /= total[..., None, :, :]
    unit = np.abs(sigma - 1.0) <= 1.001e-5  # np.isclose(sigma, 1.0), without its overhead
    log_index = (np.log(total) + z_max) / np.where(unit, 1.0, 1.0 - sigma)
    if unit.any():  # Cobb-Douglas nests: a geometric index
        log_index_unit = (weights * np.where(weights > 0, log_p, 0.0)).sum(axis=-3)
        log_index = np.where(unit, log_index_unit, log_index)
    return shares, np.exp(log_index)


def nested_shares(
    weights: np.ndarray,
    rel_price: np.ndarray,
    sigma_domestic: np.ndarray,
    sigma_import: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Shares of every origin (domestic on the diagonal) and the sector price index.

    ``weights`` are base-year value shares summing to 1 over origins; the sigmas are
    per sector.
    """
    diag = np.arange(weights.shape[-3])
    a_dom = weights[..., diag, diag, :]  # [..., destination, sector]
    foreign_w = weights / (1.0 - a_dom)[..., None, :, :]
    foreign_w[..., diag, diag, :] = 0.0
    foreign_p = rel_price.copy()
    foreign_p[..., diag, diag, :] = 1.0
    shares, import_index = ces_shares(foreign_w, foreign_p, sigma_import)
    top_w = np.stack([a_dom, 1.0 - a_dom], axis=-3)
    top_p = np.stack(np.broadcast_arrays(rel_price[..., diag, diag, :], import_index), axis=-3)
    top, index = ces_shares(top_w, top_p, sigma_domestic)
    shares *= top[..., 1:, :, :]
    shares[..., diag, diag, :] = top[..., 0, :, :]
    return shares, index
