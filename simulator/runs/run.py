"""The pure run function: scenario + parameter values + seed -> tidy results.

Every executor (serial, process pool, Dask) maps :func:`run_one` over :class:`RunSpec`s. A spec
carries the merged scenario as plain data (no file paths, so workers need no shared folder),
the values that vary as ``--set`` overrides, and the seed. Nothing stays alive after a run: the
model is released from Mesa's registry and only plain tables leave the function.
"""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

BN = 1e9
US = "USA"
COLUMNS = ["run", "month", "region", "partner", "variable", "value"]


@dataclass(frozen=True)
class RunSpec:
    """One run: the scenario (merged raw mapping), the values that vary and the seed.

    ``values`` maps a scenario key path (as for ``--set``, e.g. ``parameters.pass_through``)
    to its value for this run. ``detail`` is ``"full"`` (every region's macro series and the
    US bilateral goods balances) or ``"us_balance"`` (only the US balance, for decompositions).
    ``until`` (``YYYY-MM``) stops a ``"us_balance"`` run after that month: later months cannot
    change earlier ones, so the months returned are those of the whole run.
    """

    run: int
    scenario: dict[str, Any]
    seed: int
    values: dict[str, Any] = field(default_factory=dict)
    detail: Literal["full", "us_balance"] = "full"
    until: str | None = None

    def overrides(self) -> list[str]:
        """The values as ``key.path=value`` overrides (values written as JSON, which is YAML)."""
        return [f"{path}={json.dumps(value)}" for path, value in self.values.items()]


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Run one scenario and return its tidy long table (columns :data:`COLUMNS`).

    Values are in US dollars (rates and indices as they are); ``partner`` is empty for a
    region's own aggregates and names the partner for ``bilateral_goods_balance`` rows.
    """
    frame = _run(spec)
    # The model and its agents refer to each other, so they are freed by the cycle collector,
    # whose thresholds count objects, not bytes: collect now. (Executors freeze the objects
    # that outlive runs, ``gc.freeze()``, so that this collection stays cheap.)
    gc.collect()
    return frame


def _run(spec: RunSpec) -> pd.DataFrame:
    from simulator.api import build_model
    from simulator.calendar import month_index
    from simulator.results.result import Provenance, SimulationResult
    from simulator.scenario import load_scenario

    loaded = load_scenario(spec.scenario, spec.overrides())
    model = build_model(loaded, spec.seed)
    try:
        if spec.detail == "us_balance":
            months = model.n_months
            if spec.until is not None:
                months = month_index(spec.until) - month_index(loaded.scenario.start) + 1
                months = min(max(months, 0), model.n_months)
            while model.t < months:
                model.step()
            labels = pd.date_range(loaded.scenario.start, periods=months, freq="MS")
            return _us_balance(spec.run, model, labels)
        model.run()
        months = pd.date_range(loaded.scenario.start, periods=model.n_months, freq="MS")
        provenance = Provenance.collect(
            loaded.scenario.name, None, loaded.sha256, model.seed, loaded.scenario.data
        )
        return _series(spec.run, SimulationResult(model, provenance))
    finally:
        model.release()


def _us_balance(run: int, model: Any, months: pd.DatetimeIndex) -> pd.DataFrame:
    """US goods-and-services balance by month (exports minus imports, foreign flows only)."""
    us = model.data.region_index(US)
    flows = model.flows[: len(months)].sum(axis=3)  # [month, origin, destination]
    exports = flows[:, us, :].sum(axis=1) - flows[:, us, us]
    imports = flows[:, :, us].sum(axis=1) - flows[:, us, us]
    n = len(months)
    # text columns given as arrays: cheaper than pandas broadcasting scalars
    text = {"region": US, "partner": "", "variable": "balance"}
    columns = {name: np.full(n, value, dtype=object) for name, value in text.items()}
    columns.update(
        run=np.full(n, run, dtype=np.int64), month=months, value=(exports - imports) * BN
    )
    return pd.DataFrame({name: columns[name] for name in COLUMNS})


def _series(run: int, result: Any) -> pd.DataFrame:
    """Every region's macro series and the US bilateral goods balances, long format."""
    macro = result.macro.drop(columns=["nx_contribution_pp"])
    macro = macro.assign(region=macro.region.astype(str))
    long = macro.melt(id_vars=["month", "region"], var_name="variable", value_name="value")
    long["partner"] = ""
    model = result.model
    us = model.data.region_index(US)
    goods = model.flows[..., model.data.goods_mask].sum(axis=3)  # [month, origin, destination]
    balance = goods[:, us, :] - goods[:, :, us]  # [month, partner]
    names = [code for i, code in enumerate(result.regions) if i != us]
    columns = [balance[:, i] for i in range(len(result.regions)) if i != us]
    for group, members in model.data.groups.items():  # a group (EU): the sum of its members
        if US not in members:
            names.append(group)
            columns.append(balance[:, model.data.region_indices(group)].sum(axis=1))
    bilateral = pd.DataFrame(
        {
            "month": np.repeat(result.months, len(names)),
            "region": US,
            "partner": np.tile(np.asarray(names), len(result.months)),
            "variable": "bilateral_goods_balance",
            "value": np.stack(columns, axis=1).ravel() * BN,
        }
    )
    frame = pd.concat([long, bilateral], ignore_index=True)
    frame.insert(0, "run", np.int64(run))
    return frame[COLUMNS]
