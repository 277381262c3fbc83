"""The pure run function: scenario + parameter values + seed -> tidy results.

Every executor (serial, process pool, Dask) maps :func:`run_one` over :class:`RunSpec`s. A spec
carries the merged scenario as plain data (no file paths, so workers need no shared folder),
the values that vary as ``--set`` overrides, and the seed. Nothing stays alive after a run: runs
step the engine's batches directly (no Mesa model) and only plain tables leave the function.
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
    # What the run built may hold reference cycles, freed by the cycle collector, whose
    # thresholds count objects, not bytes: collect now. (Executors freeze the objects that
    # outlive runs, ``gc.freeze()``, so that this collection stays cheap.)
    gc.collect()
    return frame


def _member_parameter(path: str) -> bool:
    """Whether a ``--set`` path is a behaviour parameter members of a batch may differ in."""
    from simulator.engine.members import MEMBER_BLOCKS, MEMBER_KEYS, SHARED_KEYS

    name = path.removeprefix("parameters.")
    if name == path or name in SHARED_KEYS:
        return False
    return name.split(".")[0] in (*MEMBER_BLOCKS, "elasticities") or name in MEMBER_KEYS


def _member_value(path: str) -> bool:
    """Whether members of one batch may differ in a ``--set`` path: tariffs, behaviour
    parameters and the mechanism switches of :data:`~simulator.engine.members.MEMBER_MECHANISMS`."""
    from simulator.engine.members import MEMBER_MECHANISMS

    if path.startswith("tariffs") or _member_parameter(path):
        return True
    return path.removeprefix("mechanisms.") in MEMBER_MECHANISMS and path.startswith("mechanisms.")


def shared_values(spec: RunSpec) -> dict[str, Any]:
    """The values every member of the run's batch must share (all but :func:`_member_value`)."""
    return {path: value for path, value in spec.values.items() if not _member_value(path)}


def batchable(spec: RunSpec) -> bool:
    """Whether a run's values are all ones in which members of a batch may differ."""
    return not shared_values(spec)


def run_batch(specs: list[RunSpec]) -> list[pd.DataFrame]:
    """Runs of one scenario that share their :func:`shared_values` and differ only in
    tariffs, member parameters and mechanism switches, advanced together as the members of
    one batch; each member's table equals :func:`run_one`'s for the same spec."""
    frames = _run_batch(specs)
    gc.collect()
    return frames


def batch_worlds(specs: list[RunSpec]) -> tuple[Any, Any]:
    """The batch of ``specs`` (runs of one scenario with the same :func:`shared_values`, which
    differ only in tariffs, member parameters and mechanism switches), not yet run, and the
    scenario they share as loaded (``LoadedScenario``, with the shared values)."""
    from simulator.calibration.dataset import load_dataset
    from simulator.engine.worlds import Worlds
    from simulator.scenario import load_scenario
    from simulator.scenario.schema import Parameters

    first = specs[0]
    shared = shared_values(first)
    base = load_scenario(first.scenario, RunSpec(first.run, {}, 0, shared).overrides())
    scenarios = []
    for spec in specs:
        if spec.scenario is not first.scenario and spec.scenario != first.scenario:
            raise ValueError("the runs of a batch share one scenario")
        if shared_values(spec) != shared:
            raise ValueError("the runs of a batch share every value but member values")
        values = {path: v for path, v in spec.values.items() if path not in shared}
        switches = {p: v for p, v in values.items() if p.startswith("mechanisms.")}
        if any(path.startswith("tariffs") for path in values) or not all(
            isinstance(v, bool) for v in switches.values()
        ):  # tariffs (or a switch that is not true or false): load it all
            scenarios.append(load_scenario(spec.scenario, spec.overrides()).scenario)
            continue
        mechanisms = base.scenario.mechanisms.model_copy(
            update={path.removeprefix("mechanisms."): v for path, v in switches.items()}
        )
        params = base.scenario.parameters.model_dump()
        for path, value in values.items():
            if path in switches:
                continue
            *blocks, key = path.removeprefix("parameters.").split(".")
            target = params
            for block in blocks:
                target = target[block]
            target[key] = value
        try:
            parameters = Parameters.model_validate(params)
        except ValueError:  # the full loader names the file, the line and the key
            load_scenario(spec.scenario, spec.overrides())
            raise
        scenarios.append(
            base.scenario.model_copy(
                update={"parameters": parameters, "mechanisms": mechanisms, "seed": spec.seed}
            )
        )
    scenario = base.scenario
    data = load_dataset(scenario.data).aggregate(scenario.regions, scenario.sectors)
    return Worlds(scenarios, data, [spec.seed for spec in specs]), base


def _run_batch(specs: list[RunSpec]) -> list[pd.DataFrame]:
    from simulator.calendar import month_index
    from simulator.results.result import Provenance, SimulationResult

    first = specs[0]
    worlds, base = batch_worlds(specs)
    scenario = base.scenario
    if first.detail == "us_balance":
        months = worlds.n_months
        if first.until is not None:
            months = month_index(first.until) - month_index(scenario.start) + 1
            months = min(max(months, 0), worlds.n_months)
        while worlds.t < months:
            worlds.step()
        labels = pd.date_range(scenario.start, periods=months, freq="MS")
        return [_us_balance(s.run, worlds.member(i), labels) for i, s in enumerate(specs)]
    worlds.run()
    frames = []
    for i, spec in enumerate(specs):
        provenance = Provenance.collect(scenario.name, None, base.sha256, spec.seed, scenario.data)
        frames.append(_series(spec.run, SimulationResult(worlds.member(i), provenance)))
    return frames


def _run(spec: RunSpec) -> pd.DataFrame:
    from simulator.api import batch_of_one
    from simulator.calendar import month_index
    from simulator.results.result import Provenance, SimulationResult
    from simulator.scenario import load_scenario

    loaded = load_scenario(spec.scenario, spec.overrides())
    worlds = batch_of_one(loaded, spec.seed)
    model = worlds.member(0)
    if spec.detail == "us_balance":
        months = worlds.n_months
        if spec.until is not None:
            months = month_index(spec.until) - month_index(loaded.scenario.start) + 1
            months = min(max(months, 0), worlds.n_months)
        while worlds.t < months:
            worlds.step()
        labels = pd.date_range(loaded.scenario.start, periods=months, freq="MS")
        return _us_balance(spec.run, model, labels)
    worlds.run()
    months = pd.date_range(loaded.scenario.start, periods=worlds.n_months, freq="MS")
    provenance = Provenance.collect(
        loaded.scenario.name, None, loaded.sha256, model.seed, loaded.scenario.data
    )
    return _series(spec.run, SimulationResult(model, provenance))


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
    """Every region's macro series and the US bilateral goods balances, long format: the
    macro table's columns one after another, then the balances month by month."""
    macro = result.macro
    variables = [c for c in macro.columns if c not in ("month", "region", "nx_contribution_pp")]
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
    n_long, n_months = len(macro) * len(variables), len(result.months)
    n_balances = n_months * len(names)
    # the text columns as codes into their few distinct labels
    region = np.concatenate(
        [np.tile(macro.region.cat.codes.to_numpy(), len(variables)), np.full(n_balances, us)]
    )
    partner = np.concatenate(
        [np.zeros(n_long, dtype=np.int64), np.tile(np.arange(1, len(names) + 1), n_months)]
    )
    variable = np.concatenate(
        [np.repeat(np.arange(len(variables)), len(macro)), np.full(n_balances, len(variables))]
    )
    values = [macro[v].to_numpy(dtype=float) for v in variables]
    return pd.DataFrame(
        {
            "run": np.full(n_long + n_balances, run, dtype=np.int64),
            "month": np.concatenate(
                [np.tile(macro.month.to_numpy(), len(variables)), result.months.repeat(len(names))]
            ),
            "region": _text(list(result.regions), region),
            "partner": _text(["", *names], partner),
            "variable": _text([*variables, "bilateral_goods_balance"], variable),
            "value": np.concatenate([*values, np.stack(columns, axis=1).ravel() * BN]),
        }
    )


def _text(labels: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column ``labels[codes]``, built from its few distinct labels."""
    return pd.array(labels, dtype="str").take(codes)
