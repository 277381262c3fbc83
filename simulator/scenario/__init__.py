"""Scenario files: the schema, loading with ``extends`` and overrides, and clear errors."""

from simulator.scenario.errors import ScenarioError
from simulator.scenario.export import json_schema
from simulator.scenario.loader import LoadedScenario, bundled_scenarios, load_scenario
from simulator.scenario.schema import Scenario

__all__ = [
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "bundled_scenarios",
    "json_schema",
    "load_scenario",
]
