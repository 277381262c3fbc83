"""Country agents: a region's demand, its growth, its currency and its national accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from simulator.model import TradeModel


class Country(mesa.Agent):
    """A region: absorption by sector growing at its baseline rate, a currency, GDP.

    Its monthly state lives in the model's arrays; the agent reads and updates its own row.
    """

    model: TradeModel

    def __init__(self, model: TradeModel, index: int, code: str) -> None:
        super().__init__(model)
        self.index = index
        self.code = code

    @property
    def gdp_base(self) -> float:
        """Base-year GDP, US$ bn a year."""
        return float(self.model.data.gdp[self.index])

    @property
    def exchange_rate(self) -> float:
        """Value of the currency in dollars (base year = 1)."""
        return float(self.model.fx[self.index])

    @property
    def absorption_factor(self) -> float:
        """Current spending relative to the baseline path (macro feedbacks)."""
        return float(self.model.absorption_factor[self.index])

    def step(self) -> None:
        """Pass last month's income and budget changes on to this month's spending.

        ``factor = 1 + mu * dY / Ybar - tw * dR / Ybar``: ``dY`` is last month's GDP gap
        against the no-policy baseline ``Ybar``, ``dR`` the extra tariff revenue (a tighter
        budget). Spending is most of GDP, so the loop gain is about ``mu < 1`` and converges.
        """
        m = self.model
        if not m.spec.mechanisms.macro or m.t == 0:
            return
        params = m.params.macro
        i, last = self.index, m.t - 1
        gdp = m.baseline_gdp_month[last, i]
        factor = (
            1.0
            + params.income_feedback * m.gdp_gap[last, i] / gdp
            - params.twin_deficit * m.extra_revenue[last, i] / gdp
        )
        m.absorption_factor[i] = min(max(float(factor), 0.5), 1.5)
