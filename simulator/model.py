"""The Mesa model: a calibrated world of countries, governments and firms trading monthly.

:class:`TradeModel` is one world, the single member of a batch
(:class:`~simulator.engine.worlds.Worlds`, where the month's stages are): the single run is
the batch of one, through the same code as ensembles. Its agents are views on the engine's
arrays — countries and governments by region, any firm on request (:meth:`TradeModel.firm`) —
and every array reads as this world's: records ``[month, ...]``, state ``[...]``, indexed
``[origin, destination, sector]`` (flows) or ``[region, sector]``. Money is US$ bn per month
at the month's prices and exchange rates.
"""

from __future__ import annotations

import mesa

from simulator.agents import Country, Firm, Government
from simulator.calibration.dataset import BaseData
from simulator.engine.worlds import MemberAccess, Worlds
from simulator.scenario.schema import Scenario


class TradeModel(MemberAccess, mesa.Model):
    """A world of regions trading by sector, month by month, under a scenario's policies."""

    def __init__(self, scenario: Scenario, data: BaseData, seed: int | None = None) -> None:
        seed = scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.spec = scenario  # not "scenario": Mesa 3.5 models have their own
        self.data = data
        self.seed = seed
        self.member = 0
        self.worlds = worlds = Worlds([scenario], data, [seed], rng=self.rng)
        self.countries = [Country(self, i, code) for i, code in enumerate(data.regions)]
        self.governments = [
            Government(
                self,
                i,
                code,
                [tr for tr in scenario.tariffs if data.members(tr.imposer)[0] == code],
                [rule for imposer, rule in worlds.rules if imposer == i],
            )
            for i, code in enumerate(data.regions)
        ]
        self._firm_views: dict[int, Firm] = {}

    @property
    def t(self) -> int:
        """Months stepped so far."""
        return self.worlds.t

    def firm(self, row: int) -> Firm:
        """Look at one firm as a Mesa agent (producers first, then buyers)."""
        firms = self.worlds.firms
        if not 0 <= row < len(firms):
            raise IndexError(f"firm {row} does not exist; the model has {len(firms)} firms")
        if row not in self._firm_views:
            self._firm_views[row] = Firm(self, row)
        return self._firm_views[row]

    def step(self) -> None:
        """One month (:meth:`Worlds.step`)."""
        self.worlds.step()

    def run(self) -> None:
        """Run every month of the scenario."""
        self.worlds.run()

    def release(self) -> None:
        """Drop Mesa's class-level reference to this model, so that it can be freed.

        Mesa 3.3 counts agent ids in ``mesa.Agent._ids``, a class-level dict keyed by model,
        which keeps every model alive for the life of the process; Mesa 3.5 counts them on
        the model (nothing to drop). Agents created afterwards (firm views) are numbered
        from 1 again under Mesa 3.3; nothing in tradesim reads agent ids.
        """
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
