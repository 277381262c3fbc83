"""Prices buyers pay: by sector (before and after they re-source) and consumer and producer
price indices.

All prices are relative to the base year (1 in 2024 with no policy change) and in the buyer's
currency. Arrays are indexed ``[..., origin, destination, sector]`` (landed prices, shares) or
``[..., region, sector]``; leading axes (members of a batch, months) come first.

**Before buyers substitute** (the Laspeyres index at base-year origin shares ``w0``):
``P_pre[d, s] = sum_o w0[o, d, s] p[o, d, s]`` — every buyer keeps buying what it bought in
2024 and pays the new prices for it.

**After buyers substitute** (the exact price of the composite buyers actually get): buyers
value a sector's goods as the two-level CES of :mod:`simulator.markets.armington`, so with
value shares ``x`` (what they actually buy, frictions and all) a unit of spending buys the
composite quantity

    Q = [ sum_o b_o^(1/σ) (x_o / p_o)^((σ-1)/σ) ]^(σ/(σ-1))      (in each nest)

and the price they pay is ``P_post = 1 / Q``. When buyers have re-optimised, ``P_post``
equals the CES price index; when frictions keep them with dearer suppliers it is higher.
Exporters that leave a market (variety loss) raise it through the weights ``b``.

**Consumer price index**: base-year consumption weights ``c[d, s]`` (PCE), with a share
``m[d, s]`` of each purchase being trade and transport margins priced at home (the region's
residual services sector):

    CPI[d] = sum_s c[d, s] ((1 - m[d, s]) P[d, s] + m[d, s] p_margin[d])

**Producer price index**: producer prices weighted by base-year output.
"""

from __future__ import annotations

import numpy as np

from simulator.markets.armington import over_origins


def _composite_quantity(weights: np.ndarray, quantity: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """CES aggregate over the origin axis (-3) of ``quantity`` (base-year units)."""
    used = (weights > 0) & (quantity > 0)
    log_w = np.log(np.where(used, weights, 1.0))
    log_q = np.log(np.where(used, quantity, 1.0))
    unit = np.abs(sigma - 1.0) <= 1.001e-5  # Cobb-Douglas nests, as armington.ces_shares
    if unit.any():  # ln Q = sum_o w_o ln(q_o / w_o) + W ln W, W = sum_o w_o (1/Q = the index)
        total_w = weights.sum(axis=-3)
        cobb_douglas = np.where(used, weights * (log_q - log_w), 0.0).sum(axis=-3)
        cobb_douglas += total_w * np.log(np.maximum(total_w, 1e-300))
    rho = np.where(unit, 1.0, (sigma - 1.0) / sigma)
    sigma_o, rho_o = over_origins(np.where(unit, 1.0, sigma)), over_origins(rho)
    terms = np.where(used, np.exp(log_w / sigma_o + rho_o * log_q), 0.0)
    log_total = np.log(np.maximum(terms.sum(axis=-3), 1e-300)) / rho
    return np.exp(np.where(unit, cobb_douglas, log_total) if unit.any() else log_total)


def price_after_substitution(
    weights: np.ndarray,
    shares: np.ndarray,
    rel_price: np.ndarray,
    sigma_domestic: np.ndarray,
    sigma_import: np.ndarray,
) -> np.ndarray:
    """``P_post[d, s]``: spending over the CES composite it buys (see the module docstring).

    ``weights`` are the Armington weights the buyers' demand uses (base-year shares, times
    the share of each origin's exporters still serving); ``shares`` the value shares actually
    bought (summing to 1 over origins); ``rel_price`` landed prices relative to base.
    """
    diag = np.arange(weights.shape[-3])
    a_dom = weights[..., diag, diag, :]
    x_dom = shares[..., diag, diag, :]
    x_imp = 1.0 - x_dom
    foreign_w = weights / np.where(a_dom < 1.0, 1.0 - a_dom, 1.0)[..., None, :, :]
    foreign_w[..., diag, diag, :] = 0.0
    # quantities bought per unit of spending, each import origin's per unit of import spending
    quantity = shares / rel_price / np.where(x_imp > 0, x_imp, 1.0)[..., None, :, :]
    quantity[..., diag, diag, :] = 0.0
    imports = _composite_quantity(foreign_w, quantity, sigma_import) * x_imp
    top = np.stack([x_dom / rel_price[..., diag, diag, :], imports], axis=-3)
    top_w = np.stack([a_dom, 1.0 - a_dom], axis=-3)
    return 1.0 / _composite_quantity(top_w, top, sigma_domestic)


def price_before_substitution(base_weights: np.ndarray, rel_price: np.ndarray) -> np.ndarray:
    """``P_pre[d, s]``: today's prices of the base-year basket (Laspeyres over origins)."""
    return (base_weights * rel_price).sum(axis=-3)


def consumer_price_index(
    consumption_share: np.ndarray,
    margin_share: np.ndarray,
    sector_price: np.ndarray,
    margin_price: np.ndarray,
) -> np.ndarray:
    """``CPI[..., d]`` from sector prices ``[..., d, s]`` and margin prices ``[..., d]``."""
    purchase = (1.0 - margin_share) * sector_price + margin_share * margin_price[..., None]
    return (consumption_share * purchase).sum(axis=-1)


def producer_price_index(output: np.ndarray, price: np.ndarray) -> np.ndarray:
    """``PPI[..., r]``: producer prices ``[..., r, s]`` weighted by base-year output ``[r, s]``."""
    return (price * output).sum(axis=-1) / output.sum(axis=-1)
