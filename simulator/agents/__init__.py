"""The Mesa agents: countries, their governments and their firms."""

from simulator.agents.country import Country
from simulator.agents.firm import Firm
from simulator.agents.government import Government

__all__ = ["Country", "Firm", "Government"]
