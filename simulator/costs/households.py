"""The cost of price changes to households: on average and by income decile.

A household of group ``i`` (an income decile) spends ``e[i, s]`` a year on sector ``s``'s
goods and services at base-year prices (BLS Consumer Expenditure Survey, mapped to the
model's sectors). At this month's prices the same purchases cost it, at an annual rate,

    cost[i] = sum_s e[i, s] ((1 - m_s)(P_s - 1) + m_s (p_margin - 1))

more, with ``m_s`` the trade and transport margin in the purchase (priced at home) and
``P_s`` the price of the sector's goods — *before* buyers substitute (the 2024 basket at
today's prices, the concept of most published estimates) or *after* (what buyers now buy,
:mod:`.prices`). The share of after-tax income is ``cost[i] / income[i]``; the average
household's cost is the household-weighted mean, so that ``sum_i count[i] cost[i]`` is the
aggregate cost to households.
"""

from __future__ import annotations

import numpy as np


def household_cost(
    spending: np.ndarray,
    margin_share: np.ndarray,
    sector_price: np.ndarray,
    margin_price: np.ndarray,
) -> np.ndarray:
    """Annual cost per household ``[month, group]`` in US$ at base-year prices.

    ``spending``: ``[group, sector]`` US$ a year; ``margin_share``: ``[sector]``;
    ``sector_price``: ``[month, sector]``; ``margin_price``: ``[month]``.
    """
    change = (1.0 - margin_share) * (sector_price - 1.0) + margin_share * (
        margin_price[:, None] - 1.0
    )
    return change @ spending.T


def average(cost: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The household-weighted mean over the last axis."""
    return cost @ count / count.sum()
