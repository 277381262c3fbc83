"""Scenario files: the schema, loading with ``extends`` and overrides, and clear errors."""

from typing import Any

from simulator.scenario.errors import ScenarioError
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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Scenario.model_json_schema(),
        "title": "tradesim scenario",
    }
