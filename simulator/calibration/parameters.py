"""Behaviour parameters: the scenario's values, or the data set's sourced defaults.

Plain values in, plain values out: the scenario's ``parameters`` block arrives as nested
dicts (the schema's ``model_dump()``) and the switching costs as numbers, so that calibration
never imports the YAML schema (the model and the loader convert;
:func:`simulator.scenario.resolve_parameters` gives the validated block back).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from simulator.calibration.dataset import BaseData, DataError

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
    "sourcing.switching_cost_homogeneous": "switching_cost_homogeneous_months",
    "sourcing.switching_cost_reference": "switching_cost_reference_months",
    "sourcing.switching_cost_differentiated": "switching_cost_differentiated_months",
    "sourcing.switching_cost_dispersion": "switching_cost_dispersion",
    "sourcing.discount_rate_pct": "discount_rate_pct_per_year",
    "sourcing.hazard_ratio_homogeneous": "contract_hazard_ratio_homogeneous",
    "sourcing.hazard_ratio_reference": "contract_hazard_ratio_reference",
    "expectations.fx_half_life_months": "fx_half_life_months",
    "expectations.threat_probability": "tariff_threat_probability",
    "exporters.profit_tail": "export_profit_tail",
    "exporters.hysteresis": "export_hysteresis_band",
    "exporters.participation": "exporter_share_of_firms",
    "gold.cost_usd_per_oz": "gold_arbitrage_cost_usd_per_oz",
    "gold.full_spread_usd_per_oz": "gold_arbitrage_full_spread_usd_per_oz",
    "gold.capacity_tonnes": "gold_arbitrage_capacity_tonnes_per_month",
}

# needed only by a scenario that ships gold (shocks.gold), or that splits sectors into classes
# (sourcing.classes: within_sectors): a data set may leave them out
OPTIONAL = {
    "gold.cost_usd_per_oz",
    "gold.full_spread_usd_per_oz",
    "gold.capacity_tonnes",
    "sourcing.hazard_ratio_homogeneous",
    "sourcing.hazard_ratio_reference",
}

RAUCH_CLASSES = ("homogeneous", "reference", "differentiated")


def fill_defaults(values: Mapping[str, Any], data: BaseData) -> dict[str, Any]:
    """A copy of ``values`` (the ``parameters`` block as nested dicts) with every parameter the
    scenario leaves unset (None) filled from the data set (where it has its source)."""
    values = copy.deepcopy(dict(values))
    for path, key in DATA_DEFAULTS.items():
        *blocks, name = path.split(".")
        target = values
        for block in blocks:
            target = target[block]
        if target[name] is None:
            if key not in data.parameters and path in OPTIONAL:
                continue
            if key not in data.parameters:
                raise DataError(
                    f"data set {data.name!r} has no {key!r} in parameters.csv, and the "
                    f"scenario does not set parameters.{path}"
                )
            target[name] = data.parameters[key]
    if data.class_elasticities is not None:  # goods_class_elasticities.csv
        for name, value in zip(RAUCH_CLASSES, data.class_elasticities, strict=True):
            if values["sourcing"][f"elasticity_{name}"] is None:
                values["sourcing"][f"elasticity_{name}"] = float(value)
    return values


def data_parameter(data: BaseData, key: str) -> float:
    """A required parameter of the data set."""
    if key not in data.parameters:
        raise DataError(f"data set {data.name!r} has no {key!r} in parameters.csv")
    return data.parameters[key]


def class_mix(data: BaseData, within_sectors: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The kinds of goods each sector's buyers trade: the Rauch (1999) class of each, and its
    share of the sector's spending, both ``[sector, kind]`` (classes numbered as in
    :data:`RAUCH_CLASSES`).

    By default a sector's buyers all trade the sector's own class, the data set's row
    ``rauch_class_<s>`` (0 goods traded on organised exchanges, 1 reference-priced, 2
    differentiated): one kind a sector. ``within_sectors`` gives each sector all three, in the
    mix of its base-year imports (``data.goods_classes``).
    """
    if within_sectors:
        if data.goods_classes is None:
            raise DataError(
                f"data set {data.name!r} has no goods_classes.csv, and the scenario sets "
                "parameters.sourcing.classes: within_sectors"
            )
        n_classes = len(RAUCH_CLASSES)
        return np.tile(np.arange(n_classes), (data.n_sectors, 1)), data.goods_classes
    return rauch_classes(data)[:, None], np.ones((data.n_sectors, 1))


def class_scale(by_class: np.ndarray, classes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``[sector, kind]``: each kind's value relative to its sector's, from values by class
    (``by_class``, in any units: only their ratios count). The share-weighted mean over a
    sector's kinds is 1, so that a sector's value is the mean of its kinds' (1 exactly with
    one kind)."""
    values = by_class[classes]
    return values / (shares * values).sum(axis=1, keepdims=True)


def rauch_classes(data: BaseData) -> np.ndarray:
    """Each sector's Rauch class (0, 1 or 2), from the data set's ``rauch_class_<s>`` rows."""
    classes = np.empty(data.n_sectors, dtype=int)
    for s, code in enumerate(data.sectors):
        key = f"rauch_class_{code}"
        cls = data_parameter(data, key)
        if cls not in (0.0, 1.0, 2.0):
            raise DataError(
                f"data set {data.name!r}: {key} is {cls:g} in parameters.csv; use 0 "
                "(organised exchange), 1 (reference-priced) or 2 (differentiated)"
            )
        classes[s] = int(cls)
    return classes
