"""What a run cost: price indices, real GDP, real income and its parts, households.

Reads a finished model's records and hands plain arrays to :mod:`simulator.costs`. Money is
US dollars at base-year (2024) prices and exchange rates; a price index is 1 on the
no-policy path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from simulator.calibration.dataset import RESIDUAL_SECTOR
from simulator.costs import households as household_costs
from simulator.costs.prices import consumer_price_index, producer_price_index
from simulator.costs.supply_chains import final_demand_share
from simulator.costs.welfare import RealIncome, real_gdp, real_income_change
from simulator.model import TradeModel

BN = 1e9

MACRO_COLUMNS = [
    "consumer_price_index",
    "consumer_price_index_pre",
    "producer_price_index",
    "real_gdp",
    "real_income_change",
    "real_income_change_pct",
    "consumers_change",
    "producers_change",
    "revenue_change",
    "terms_of_trade",
    "efficiency",
    "household_cost",
    "household_cost_pre",
    "real_income_per_household",
]
"""Columns :attr:`SimulationResult.macro` gets from here, per region and month:

``consumer_price_index`` after buyers substitute, ``consumer_price_index_pre`` before
(the base-year basket at today's prices); ``producer_price_index`` (base-year output
weights); ``real_gdp`` (US$ at base-year prices, a monthly flow); ``real_income_change``
against the no-policy path (US$ a month) and as a percentage of the baseline's GDP, with its
parts ``consumers_change + producers_change + revenue_change`` and, split the other way,
``terms_of_trade + efficiency``; for the region whose households the data set has (USA):
``household_cost`` and ``household_cost_pre``, the extra cost of the average household's
purchases (US$ a year at the month's prices, after and before substitution) and
``real_income_per_household``, the real-income change per household (US$ a year)."""


@dataclass
class RunCosts:
    """The cost measures of one run (see :data:`MACRO_COLUMNS`)."""

    model: TradeModel

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        m = self.model
        data = m.data
        n_r = data.n_regions
        diag = np.arange(n_r)
        fx = m.fx_path
        trade_value = m.flows - self._gold()
        quantity = np.divide(
            trade_value, m.unit_values, out=np.zeros_like(trade_value), where=m.unit_values > 0
        )
        baseline = m.baseline_flows
        output0 = m.flows0.sum(axis=1)
        spending_local = m.spending / fx[:, :, None]
        income = real_income_change(
            sector_price=m.sector_prices,
            composite_quantity=spending_local / m.sector_prices,
            final_share=final_demand_share(m.input_coefficients, output0, m.spending0),
            demand_elasticity=m.params.composite_demand_elasticity,
            producer_price=m.prices,
            unit_cost=m.unit_costs,
            quantity=quantity,
            baseline_quantity=baseline,
            unit_value=m.unit_values,
            fx=fx,
            revenue=m.revenue.sum(axis=(1, 3)),
            baseline_revenue=(baseline * m.tau0).sum(axis=(1, 3)),
        )
        weights = data.consumption_share
        margins = data.margin_share
        if weights is None:  # a data set without consumption data: base-year purchases' mix
            weights = m.spending0 / m.spending0.sum(axis=1, keepdims=True)
        if margins is None:
            margins = np.zeros_like(weights)
        margin_price = self._margin_price()
        cpi = consumer_price_index(weights, margins, m.sector_prices, margin_price)
        cpi_pre = consumer_price_index(weights, margins, m.sector_prices_pre, margin_price)
        foreign = trade_value.copy()
        foreign[:, diag, diag] = 0.0
        nx = foreign.sum(axis=(2, 3)) - foreign.sum(axis=(1, 3))
        absorption = (m.baseline_gdp_month + m.gdp_gap - nx) / fx  # local currency
        return {
            "consumer_price_index": cpi,
            "consumer_price_index_pre": cpi_pre,
            "producer_price_index": producer_price_index(output0, m.prices),
            "real_gdp": real_gdp(absorption, cpi, quantity) * BN,
            "income": income,
            "margin_price": margin_price,
        }

    def _gold(self) -> np.ndarray:
        """Gold bars in each cell (a stock moved, not goods bought)."""
        m = self.model
        bars = np.zeros_like(m.flows)
        if m.gold_flows.any():
            bars[..., m.gold_sector] = m.gold_flows
        return bars

    def _margin_price(self) -> np.ndarray:
        """Price of trade and transport margins ``[month, region]``: the region's producer
        price of its residual services sector (1 where the data set has none)."""
        m = self.model
        sector = RESIDUAL_SECTOR["services"]
        if sector not in m.data.sectors:
            return np.ones(m.fx_path.shape)
        return m.prices[:, :, m.data.sector_index(sector)]

    @property
    def real_income(self) -> RealIncome:
        return self._arrays["income"]

    def columns(self) -> dict[str, np.ndarray]:
        """:data:`MACRO_COLUMNS` as ``[month, region]`` arrays."""
        m = self.model
        a = self._arrays
        income: RealIncome = a["income"]
        baseline_gdp = m.baseline_gdp_month
        columns = {
            "consumer_price_index": a["consumer_price_index"],
            "consumer_price_index_pre": a["consumer_price_index_pre"],
            "producer_price_index": a["producer_price_index"],
            "real_gdp": a["real_gdp"],
            "real_income_change": income.total * BN,
            "real_income_change_pct": income.total / baseline_gdp * 100.0,
            "consumers_change": income.consumers * BN,
            "producers_change": income.producers * BN,
            "revenue_change": income.revenue * BN,
            "terms_of_trade": income.terms_of_trade * BN,
            "efficiency": income.efficiency * BN,
        }
        empty = np.full(baseline_gdp.shape, np.nan)
        columns |= {
            "household_cost": empty.copy(),
            "household_cost_pre": empty.copy(),
            "real_income_per_household": empty.copy(),
        }
        h = m.data.households
        if h is not None and h.region in m.data.regions:
            r = m.data.region_index(h.region)
            frame = self.households
            by_month = frame.groupby("month", sort=False)
            weight = frame["households"]
            for column, source in (("household_cost", "cost"), ("household_cost_pre", "cost_pre")):
                columns[column][:, r] = (
                    (frame[source] * weight).groupby(frame["month"], sort=False).sum()
                    / by_month["households"].sum()
                ).to_numpy()
            columns["real_income_per_household"][:, r] = (
                income.total[:, r] * 12.0 * BN / h.count.sum()
            )
        return columns

    @cached_property
    def households(self) -> pd.DataFrame | None:
        """Cost per household by income group, every month (US$ a year at the month's prices):
        month, group, households, income, cost, cost_pre, share (of after-tax income, %),
        share_pre. ``None`` when the data set has no households in the model's regions."""
        m = self.model
        h = m.data.households
        if h is None or h.region not in m.data.regions:
            return None
        r = m.data.region_index(h.region)
        margins = (
            m.data.margin_share[r]
            if m.data.margin_share is not None
            else np.zeros(len(h.spending[0]))
        )
        margin_price = self._arrays["margin_price"][:, r]
        cost = household_costs.household_cost(
            h.spending, margins, m.sector_prices[:, r], margin_price
        )
        cost_pre = household_costs.household_cost(
            h.spending, margins, m.sector_prices_pre[:, r], margin_price
        )
        n_t, n_g = cost.shape
        months = pd.to_datetime([m.month_label(t) for t in range(n_t)])
        return pd.DataFrame(
            {
                "month": np.repeat(months, n_g),
                "group": pd.Categorical(np.tile(h.labels, n_t), categories=list(h.labels)),
                "households": np.tile(h.count, n_t),
                "income": np.tile(h.income, n_t),
                "cost": cost.ravel(),
                "cost_pre": cost_pre.ravel(),
                "share": (cost / h.income).ravel() * 100.0,
                "share_pre": (cost_pre / h.income).ravel() * 100.0,
            }
        )
