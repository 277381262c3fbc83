"""Scenario files: the schema, loading with ``extends`` and overrides, and clear errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.scenario.errors import ScenarioError
from simulator.scenario.loader import LoadedScenario, bundled_scenarios, load_scenario
from simulator.scenario.schema import Parameters, Scenario

if TYPE_CHECKING:
    from simulator.calibration.dataset import BaseData

__all__ = [
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "bundled_scenarios",
    "json_schema",
    "load_scenario",
    "resolve_parameters",
]


def resolve_parameters(params: Parameters, data: BaseData) -> Parameters:
    """The scenario's ``parameters`` with every value it leaves unset taken from the data set
    (:func:`simulator.calibration.parameters.fill_defaults`, which works on plain values)."""
    from simulator.calibration.parameters import fill_defaults

    return Parameters.model_validate(fill_defaults(params.model_dump(), data))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Scenario.model_json_schema(),
        "title": "tradesim scenario",
    }
