"""Country agents: a region's demand, its growth, its currency and its national accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from simulator.model import TradeModel


class Country(mesa.Agent):
    """A region: absorption by sector growing at its baseline rate, a currency, GDP.

    Its monthly state lives in the model's arrays (the macro closure is a stage of the
    engine, :meth:`simulator.engine.worlds.Worlds._closure`); the agent reads its own row.
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
