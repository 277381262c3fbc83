"""Government agents: a region's tariff schedule, its retaliation rules and its tariff revenue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulator.policy.retaliation import RetaliationRule

if TYPE_CHECKING:
    from simulator.model import TradeModel
    from simulator.scenario.schema import Tariff


class Government(mesa.Agent):
    """The government of one region: levies its tariffs and answers others' by rule.

    Its rules decide in the engine's policy stage (:meth:`simulator.engine.worlds.Worlds._policy`).
    """

    model: TradeModel

    def __init__(
        self,
        model: TradeModel,
        index: int,
        code: str,
        tariffs: list[Tariff],
        rules: list[RetaliationRule],
    ) -> None:
        super().__init__(model)
        self.index = index
        self.code = code
        self.tariffs = tariffs
        self.rules = rules

    @property
    def tariff_revenue(self) -> float:
        """Tariff revenue collected last month, US$ bn."""
        t = max(self.model.t - 1, 0)
        return float(self.model.revenue[t, :, self.index, :].sum())

    def effective_rates(self) -> np.ndarray:
        """Total rates ``[origin, sector]`` this government levies this month."""
        return self.model.tariff_now[:, self.index, :]
