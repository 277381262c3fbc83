"""Supply chains: a tariff on an input raises the unit cost of the sectors that use it.

Producers in region ``r`` and sector ``s`` use ``a[r, k, s]`` of sector ``k``'s goods per unit
of output (base-year input–output coefficients, all origins together) and value added for the
rest, ``1 - sum_k a[r, k, s]``. They buy inputs where their region's buyers buy them (the
import proportionality of the BEA and OECD tables), so the input's price is the price region
``r``'s buyers pay for sector ``k``, ``P[r, k]``, relative to the base year. The unit cost
relative to the base year is

    C[r, s] = (1 - sum_k a[r, k, s]) + sum_k a[r, k, s] P[r, k]

and producers' prices move with it (:meth:`simulator.engine.worlds.Worlds._update_prices`): a
month's input prices set the next month's producer prices, so a tariff on steel reaches car
prices a month later and the cars' buyers a month after that, converging to the Leontief
price solution ``p = C(p)``.
"""

from __future__ import annotations

import numpy as np


def unit_cost_index(coefficients: np.ndarray, input_price: np.ndarray) -> np.ndarray:
    """Unit cost relative to the base year, ``[..., region, using sector]``.

    ``coefficients`` is ``[region, input sector, using sector]``; ``input_price`` is
    ``[..., region, input sector]`` (1 in the base year, so the result is 1 there too).
    """
    value_added = 1.0 - coefficients.sum(axis=1)
    return value_added + np.einsum("rks,...rk->...rs", coefficients, input_price)


def within_purchases(
    coefficients: np.ndarray, output: np.ndarray, purchases: np.ndarray
) -> np.ndarray:
    """Coefficients scaled so that no sector's intermediate use exceeds what its region buys.

    Input–output tables and the model's trade data draw sector lines differently (BEA's
    commodities bridged to ``steel`` include steel products that HS 72–73 leaves out, so the
    US table's steel use is three times the model's steel market). Each input's row is scaled
    by ``min(1, purchases[r, k] / sum_s a[r, k, s] output[r, s])``: a using sector's share of
    that input keeps the table's pattern, and the input's price reaches users only for as much
    as they can have bought of it.
    """
    use = np.einsum("rks,rs->rk", coefficients, output)
    scale = np.minimum(1.0, np.divide(purchases, use, out=np.ones_like(use), where=use > 0))
    return coefficients * scale[:, :, None]


def final_demand_share(
    coefficients: np.ndarray, output: np.ndarray, purchases: np.ndarray
) -> np.ndarray:
    """Share of each region's purchases of a sector that final buyers make, ``[region, sector]``.

    Intermediate use of sector ``k`` in region ``r`` is ``sum_s a[r, k, s] output[r, s]`` (base
    year, at base prices); the rest of ``purchases[r, k]`` (domestic and imported together) is
    final demand: households, government and investment.
    """
    intermediate = np.einsum("rks,rs->rk", coefficients, output)
    share = 1.0 - np.divide(
        intermediate, purchases, out=np.zeros_like(intermediate), where=purchases > 0
    )
    return np.clip(share, 0.0, 1.0)
