"""Front-loading: importers stock up before announced tariff increases and draw stocks down after.

For each import cell (origin, destination, sector) importers compare, for every month ``k``
ahead within their horizon, the landed-price saving of buying now,
``g_k = ((1 + tau_{t+k}) / (1 + tau_t)) ** rho - 1``, with the cost of carrying the goods,
``c * k``. Importers differ in carrying cost (exponentially distributed with mean ``c``), so
the share for whom stocking pays is ``1 - exp(-g_k / (c * k))``. The target extra stock is that
share times the storage capacity (``capacity_months`` of imports); stock is built evenly over
the months left before the increase, at most ``max_build`` of a month's imports per month.
Once it no longer pays, a share ``1 / drawdown_months`` of the extra stock left is run down each
month (geometrically). Purchases are use plus the change in stock, so over an episode the goods
bought equal the goods used, up to the small stock still left at its end. Orders arrive
``lead_months`` after they are placed (see ``Worlds._front_load``).
"""

from __future__ import annotations

import numpy as np


def stock_target_months(
    tau_now: np.ndarray,
    tau_ahead: np.ndarray,
    rho: np.ndarray | float,
    carrying_cost: np.ndarray | float,
    capacity_months: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Target extra stock (months of imports) and months until the increase it is built for.

    ``tau_ahead`` holds the known rates for months ``t+1 .. t+H`` along its first axis. The
    parameters are numbers or arrays broadcastable to ``tau_now`` (one value per member of a
    batch). Only the cells whose rate is expected to change are evaluated: elsewhere nothing
    is gained, so the target is 0 (and the month of the increase, unused, is 1).
    """
    horizon = tau_ahead.shape[0]
    changing = (tau_ahead != tau_now[None]).any(axis=0)
    now, ahead = tau_now[changing], tau_ahead[:, changing]

    def cells(value: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(value, tau_now.shape)[changing]

    k = np.arange(1, horizon + 1, dtype=float)[:, None]
    gain = ((1.0 + ahead) / (1.0 + now)) ** cells(rho) - 1.0
    pays = 1.0 - np.exp(-np.maximum(gain, 0.0) / (cells(carrying_cost) * k))
    best = np.argmax(pays, axis=0)
    target = np.zeros_like(tau_now)
    months_left = np.ones_like(tau_now)
    target[changing] = cells(capacity_months) * np.take_along_axis(pays, best[None], axis=0)[0]
    months_left[changing] = best + 1.0
    return target, months_left


def stock_change(
    stock: np.ndarray,
    use: np.ndarray,
    target_months: np.ndarray,
    months_left: np.ndarray,
    max_build: float,
    drawdown_months: float,
) -> np.ndarray:
    """This month's change in extra stock (quantity units), building up or running down."""
    target = target_months * use
    build = np.minimum((target - stock) / months_left, max_build * use)
    run_down = (target - stock) / drawdown_months
    return np.where(target > stock, build, np.maximum(run_down, -stock))
