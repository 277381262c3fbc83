"""Real income against the no-policy path, its parts, and real GDP.

A region's real income changes, in a month, by what its consumers, producers and government
gain or lose against the no-policy baseline (prices at their base-year level, base-year
quantities grown along the baseline path), in US$ bn at base-year prices and exchange rates:

- **consumers** (final buyers: households, government, investment; the share ``f`` of each
  sector's purchases that is not intermediate input) lose the area under their demand
  curve between the base price and the price they now pay, ``P`` (after substitution,
  :mod:`.prices`). With the model's constant-elasticity demand ``Q(p) = Q P^η p^-η``:

      ΔCS = -f Q P^η (P^(1-η) - 1) / (1 - η)        (η = 1: -f Q P ln P)

  which is exact for that demand, large changes included;
- **producers** gain on the price they get above their unit cost (which carries the input
  costs of :mod:`.supply_chains`), along their supply curve (trapezoid), and lose what
  their exporters absorb of foreign tariffs and currency moves (the ex-duty price received,
  ``u``, in their currency, below their producer price ``p``):

      ΔPS = ½ (q + q̄) (p - C) + Σ_export q_x (u - p)

- **tariff revenue**: the government's duties above the baseline's.

Their sum is the change in real income (a money-metric welfare change; for small changes the
equivalent variation). It splits the standard way (Harberger; Costinot & Rodríguez-Clare 2014
for the general-equilibrium counterpart) into

- **terms of trade**: what the region's exports now fetch and its imports now cost, ex duty,
  in its currency, on today's quantities: ``Σ q_x (u_x - 1) - Σ q_m (u_m - 1)``;
- **efficiency**: the rest — the trade and production that tariffs destroy or divert (the
  Harberger triangles), and the other shocks' volume effects.

A large importer facing finite foreign supply can gain from a small tariff (the terms of
trade gain is first order in the rate, the efficiency loss second order); a large tariff, or
one met by retaliation, loses. Nothing in the model writes that in: it comes out of the
exporters' supply curves and pass-through.

**Real GDP**: absorption deflated by the consumer price index, plus export volumes less
import volumes, at base-year prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RealIncome:
    """Change in real income against the no-policy path, ``[month, region]``, US$ bn."""

    consumers: np.ndarray
    producers: np.ndarray
    revenue: np.ndarray
    terms_of_trade: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.consumers + self.producers + self.revenue

    @property
    def efficiency(self) -> np.ndarray:
        return self.total - self.terms_of_trade


def consumer_surplus_change(price: np.ndarray, quantity: np.ndarray, eta: float) -> np.ndarray:
    """Change in consumers' surplus from the base price 1 to ``price``, at demand ``quantity``
    with constant elasticity ``eta`` (negative when prices rose)."""
    scale = quantity * price**eta
    if abs(eta - 1.0) < 1e-9:
        return -scale * np.log(price)
    return -scale * (price ** (1.0 - eta) - 1.0) / (1.0 - eta)


def real_income_change(
    *,
    sector_price: np.ndarray,
    composite_quantity: np.ndarray,
    final_share: np.ndarray,
    demand_elasticity: float,
    producer_price: np.ndarray,
    unit_cost: np.ndarray,
    quantity: np.ndarray,
    baseline_quantity: np.ndarray,
    unit_value: np.ndarray,
    fx: np.ndarray,
    revenue: np.ndarray,
    baseline_revenue: np.ndarray,
) -> RealIncome:
    """Each region's real-income change and its parts, every month.

    ``sector_price``, ``composite_quantity``: ``[month, region, sector]``, buyers' price
    after substitution and the composite they buy (base-year units); ``final_share``
    ``[region, sector]``; ``producer_price``, ``unit_cost``: ``[month, region, sector]``;
    ``quantity``, ``baseline_quantity``: ``[month, origin, destination, sector]`` in base-year
    units (domestic sales on the diagonal); ``unit_value``: the ex-duty price of each flow in
    US$ (base 1); ``fx``: ``[month, region]``, each currency in dollars (base 1);
    ``revenue``, ``baseline_revenue``: ``[month, region]`` tariff revenue in US$ bn.
    """
    consumers = (
        final_share * consumer_surplus_change(sector_price, composite_quantity, demand_elasticity)
    ).sum(axis=-1)

    n = fx.shape[1]
    foreign = ~np.eye(n, dtype=bool)[None, :, :, None]
    q_trade = np.where(foreign, quantity, 0.0)
    received = unit_value / fx[:, :, None, None]  # in the exporter's currency
    paid = unit_value / fx[:, None, :, None]  # in the importer's currency
    output = quantity.sum(axis=2)
    baseline_output = baseline_quantity.sum(axis=2)
    margin = 0.5 * (output + baseline_output) * (producer_price - unit_cost)
    absorbed = (q_trade * (received - producer_price[:, :, None, :])).sum(axis=(2, 3))
    producers = margin.sum(axis=-1) + absorbed

    exports = (q_trade * (received - 1.0)).sum(axis=(2, 3))
    imports = (q_trade * (paid - 1.0)).sum(axis=(1, 3))
    return RealIncome(
        consumers=consumers,
        producers=producers,
        revenue=(revenue - baseline_revenue) / fx,
        terms_of_trade=exports - imports,
    )


def real_gdp(
    absorption: np.ndarray,
    consumer_price: np.ndarray,
    quantity: np.ndarray,
) -> np.ndarray:
    """Real GDP ``[month, region]`` at base-year prices: absorption (local currency) deflated
    by the consumer price index, plus export volumes less import volumes."""
    n = quantity.shape[1]
    trade = np.where(~np.eye(n, dtype=bool)[None, :, :, None], quantity, 0.0)
    return absorption / consumer_price + trade.sum(axis=(2, 3)) - trade.sum(axis=(1, 3))
