"""Behaviour parameters: the scenario's values, or the data set's sourced defaults."""

from __future__ import annotations

from simulator.calibration.dataset import BaseData, DataError
from simulator.scenario.schema import Parameters

# scenario parameter (dotted path in ``parameters``) -> row of the data set's parameters.csv
DATA_DEFAULTS = {
    "pass_through": "tariff_pass_through",
    "adjustment_speed": "adjustment_speed",
    "supply_elasticity": "supply_elasticity",
    "inventory.carrying_cost_pct": "inventory_carrying_cost_pct_per_month",
    "dollar.inflow_elasticity": "dollar_inflow_elasticity",
    "dollar.invoicing_share": "dollar_invoicing_share",
    "dollar.us_import_invoicing_share": "dollar_invoicing_share_us_imports",
    "macro.twin_deficit": "twin_deficit",
    "macro.income_feedback": "income_feedback",
}


def resolve_parameters(params: Parameters, data: BaseData) -> Parameters:
    """Fill every parameter the scenario leaves unset from the data set (with its source)."""
    values = params.model_dump()
    for path, key in DATA_DEFAULTS.items():
        *blocks, name = path.split(".")
        target = values
        for block in blocks:
            target = target[block]
        if target[name] is None:
            if key not in data.parameters:
                raise DataError(
                    f"data set {data.name!r} has no {key!r} in parameters.csv, and the "
                    f"scenario does not set parameters.{path}"
                )
            target[name] = data.parameters[key]
    return Parameters.model_validate(values)


def data_parameter(data: BaseData, key: str) -> float:
    """A required parameter of the data set."""
    if key not in data.parameters:
        raise DataError(f"data set {data.name!r} has no {key!r} in parameters.csv")
    return data.parameters[key]
