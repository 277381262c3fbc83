"""Non-monetary gold: bars shipped across the Atlantic on the New York–London price spread.

Gold bars move between London (and the Swiss refineries that recast London's 400-ounce bars
into the kilobars and 100-ounce bars COMEX delivers) and New York when the New York price
(the COMEX futures price) exceeds the London spot price by more than the cost of moving them.
A tariff threat on bullion opens that spread: buyers in New York pay up for metal already on
US soil. The rule, per month ``t``:

    q_t = Q * clip((|s_t| - c) / (s_full - c), 0, 1) * sign(s_t)

``s_t`` the spread ($/oz, New York minus London, monthly average), ``c`` the cost of shipping,
refining and financing a round of arbitrage ($/oz; inside the band ``|s| <= c`` nothing
moves), ``s_full`` the spread at which shipments run at the capacity ``Q`` (tonnes a month) of
the refineries and air freight, ``q_t > 0`` into New York, ``q_t < 0`` out of it. The value
shipped is ``q_t`` x 32,150.7466 troy ounces a tonne x the gold price.

Gold bars are not tariffed in 2025 (exempt from the reciprocal tariffs, EO 14257 Annex II), so
the shipments pay no duty; they are non-monetary gold in the balance of payments and
excluded from GDP (BEA). See docs/mechanisms.md §14 for the parameters and their sources.
"""

from __future__ import annotations

import numpy as np

TROY_OUNCES_PER_TONNE = 32_150.7466


def arbitrage_tonnes(
    spread: np.ndarray, cost: float, full_spread: float, capacity: float
) -> np.ndarray:
    """Tonnes shipped each month into New York (negative: out of it) for a spread path ($/oz)."""
    if not 0.0 <= cost < full_spread:
        raise ValueError(f"need 0 <= cost ({cost}) < full_spread ({full_spread})")
    spread = np.asarray(spread, dtype=float)
    excess = np.maximum(np.abs(spread) - cost, 0.0) / (full_spread - cost)
    return capacity * np.minimum(excess, 1.0) * np.sign(spread)


def shipments_usd_bn(
    spread: np.ndarray, price: np.ndarray, cost: float, full_spread: float, capacity: float
) -> np.ndarray:
    """Value of the monthly shipments into New York, US$ bn (negative: out of it)."""
    tonnes = arbitrage_tonnes(spread, cost, full_spread, capacity)
    return tonnes * TROY_OUNCES_PER_TONNE * np.asarray(price, dtype=float) / 1e9


def bilateral(usd_bn: np.ndarray, origins: np.ndarray, us: int) -> np.ndarray:
    """Shipments ``[month, origin, destination]``, US$ bn: into the US from the origins
    (weights summing to 1) while the value is positive, back to them while it is negative."""
    flows = np.zeros((len(usd_bn), len(origins), len(origins)))
    flows[:, :, us] = np.maximum(usd_bn, 0.0)[:, None] * origins[None, :]
    flows[:, us, :] = np.maximum(-usd_bn, 0.0)[:, None] * origins[None, :]
    flows[:, us, us] = 0.0
    return flows
