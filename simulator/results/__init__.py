"""Results of runs: tidy tables, plots and summaries."""

from simulator.results.result import Provenance, SimulationResult

__all__ = ["Provenance", "SimulationResult"]
