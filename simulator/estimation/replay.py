"""Replays: each candidate parameter vector is a member; the studies' episodes run for every
candidate on the many-runs machinery, and the studies' statistics come out.

For each replay a candidate runs twice: the replay (the base scenario plus the episode's
tariffs and shocks) and its control (the base scenario over the same months). Runs of one
scenario that differ only in member parameters are advanced together as the members of one
batch (:func:`~simulator.runs.executors.execute`); each worker reduces a member to the sums the
statistics need (:func:`replay_task`), so that only a few small arrays leave it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.estimation.moments import (
    PRE_MONTHS,
    Cells,
    DiversionShare,
    Elasticity,
    FxElasticity,
    LogChange,
    MomentsFile,
    Ratio,
    Regression,
)
from simulator.runs.executors import Executor, execute
from simulator.runs.run import RunSpec, batch_worlds

Window = tuple[int, int]  # month indices from the scenario's start, inclusive


@dataclass(frozen=True)
class Sums:
    """One run reduced over one window: customs value summed over its months
    ``[origin, destination, sector]``, the volume (customs value at base-year unit values),
    the mean of ln(1+tariff) (same axes) and the mean of ln(currency value in dollars) by
    region."""

    flows: np.ndarray
    volumes: np.ndarray
    log_tariff: np.ndarray
    log_fx: np.ndarray


def replay_task(windows: dict[str, list[Window]], batch: list[RunSpec]) -> list[Any]:
    """Run a batch and reduce each member to its :class:`Sums` over the windows its scenario
    needs; returns ``(run, {window: Sums})`` per spec, in the batch's order."""
    worlds, base = batch_worlds(batch)
    wanted = windows[base.scenario.name]
    last = max(hi for _, hi in wanted) + 1
    while worlds.t < min(last, worlds.n_months):
        worlds.step()
    out = []
    for i, spec in enumerate(batch):
        member = worlds.member(i)
        sums = {}
        for lo, hi in wanted:
            months = slice(lo, hi + 1)
            flows = np.asarray(member.flows[months])
            unit_values = np.asarray(member.unit_values[months])
            volumes = np.divide(flows, unit_values, out=np.zeros_like(flows), where=unit_values > 0)
            sums[(lo, hi)] = Sums(
                flows=flows.sum(axis=0),
                volumes=volumes.sum(axis=0),
                log_tariff=np.log1p(np.asarray(member.rates[months])).mean(axis=0),
                log_fx=np.log(np.asarray(member.fx_path[months])).mean(axis=0),
            )
        out.append((spec.run, sums))
    return out


class Replays:
    """The runs a moments file needs for a set of candidates, and its statistics."""

    def __init__(self, moments: MomentsFile) -> None:
        from simulator.calendar import month_index
        from simulator.calibration.dataset import load_dataset
        from simulator.scenario import resolve_parameters

        self.file = moments
        base = moments.base.scenario
        self.data = load_dataset(base.data).aggregate(base.regions, base.sectors)
        self.defaults = resolve_parameters(base.parameters, self.data)
        self.scenarios: dict[str, dict[str, Any]] = {}  # name -> mapping
        self.control_of: dict[str, str] = {}  # replay -> its control's name
        self.windows: dict[str, set[Window]] = {}
        for key, raw in moments.replays.items():
            control = copy.deepcopy(moments.base.raw)
            control.pop("extends", None)
            control.update(start=raw["start"], end=raw["end"])
            control["name"] = f"{moments.spec.name}_control_{raw['start']}_{raw['end']}"[:60]
            self.scenarios[raw["name"]] = raw
            self.scenarios.setdefault(control["name"], control)
            self.control_of[key] = control["name"]
        self.offset = {
            key: month_index(moments.spec.replays[key].at) - month_index(raw["start"])
            for key, raw in moments.replays.items()
        }
        for moment in moments.spec.moments:
            for stat in _simple(moment.statistic):
                for window in self._windows(stat):
                    for name in (self._name(stat.replay), self.control_of[stat.replay]):
                        self.windows.setdefault(name, set()).add(window)

    def _name(self, replay: str) -> str:
        return self.file.replays[replay]["name"]

    def _windows(self, stat: Any) -> list[Window]:
        at = self.offset[stat.replay]
        main = (at + stat.window[0] - 1, at + stat.window[1] - 1)
        return [main, (at - PRE_MONTHS, at - 1)] if isinstance(stat, Regression) else [main]

    def values(self, theta: np.ndarray) -> dict[str, Any]:
        """A candidate's ``--set`` values: the freed parameters, scales applied to defaults."""
        values: dict[str, Any] = {}
        for param, x in zip(self.file.spec.parameters, theta, strict=True):
            for target in param.scales or [param.name]:
                if target == "parameters.elasticities":
                    for s, code in enumerate(self.data.sectors):
                        sigma = self.defaults.elasticities.get(code, self.data.elasticity[s])
                        values[f"parameters.elasticities.{code}"] = float(x) * float(sigma)
                elif param.scales:
                    values[target] = float(x) * float(self.default(target))
                else:
                    values[target] = float(x)
        return values

    def default(self, path: str) -> float:
        """The base scenario's value of a member parameter (data-set defaults filled in)."""
        node: Any = self.defaults
        for step in path.removeprefix("parameters.").split("."):
            node = getattr(node, step)
        return node

    def specs(self, thetas: np.ndarray, draws: int) -> list[RunSpec]:
        """Every run for ``thetas`` ``[candidate, parameter]``: per scenario, all candidates
        (and draws) in a row, so that they share batches."""
        seed = self.file.base.scenario.seed
        n = len(thetas)
        specs = []
        for k, name in enumerate(self.scenarios):
            scenario = self.scenarios[name]
            for c in range(n):
                values = self.values(thetas[c])
                for d in range(draws):
                    run = (k * n + c) * draws + d
                    specs.append(RunSpec(run, scenario, seed + d, values))
        return specs

    def simulate(
        self,
        thetas: np.ndarray,
        *,
        draws: int = 1,
        jobs: int = 1,
        executor: Executor = "local",
        scheduler: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """The simulated moments ``[candidate, moment]`` (averaged over ``draws`` seeds)."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        specs = self.specs(thetas, draws)
        windows = {name: sorted(ws) for name, ws in self.windows.items()}
        task = functools.partial(replay_task, windows)
        results: dict[int, dict[Window, Sums]] = {}
        for run, sums in execute(specs, jobs, executor, scheduler, task=task):
            results[run] = sums
            if progress is not None:
                progress(len(results), len(specs))
        n = len(thetas)
        names = list(self.scenarios)
        out = np.zeros((n, len(self.file.spec.moments)))
        for c in range(n):
            for d in range(draws):

                def sums(name: str, c: int = c, d: int = d) -> dict[Window, Sums]:
                    return results[(names.index(name) * n + c) * draws + d]

                for i, moment in enumerate(self.file.spec.moments):
                    out[c, i] += self.statistic(moment.statistic, sums) / draws
        return out

    def statistic(self, stat: Any, sums: Callable[[str], dict[Window, Sums]]) -> float:
        """A study's statistic from the runs' sums (``sums(scenario name)``)."""
        if isinstance(stat, Ratio):
            return self.statistic(stat.numerator, sums) / self.statistic(stat.denominator, sums)
        treated = sums(self._name(stat.replay))
        control = sums(self.control_of[stat.replay])
        main, *pre = self._windows(stat)
        t, c = _measure(treated[main], stat), _measure(control[main], stat)
        if isinstance(stat, Regression):
            t0, c0 = _measure(treated[pre[0]], stat), _measure(control[pre[0]], stat)
            return self._regression(stat, t, c, t0, c0)
        mask = self.mask(stat)
        if isinstance(stat, DiversionShare):
            return _diversion(stat, mask, t, c, self)
        dlog = _dlog(t, c, mask)
        if isinstance(stat, FxElasticity):
            return dlog / -_dfx(t, c, mask)
        relative = getattr(stat, "relative_to", None)
        dtau = _dtau(t, c, mask)
        if relative is not None:
            other = self.mask(relative)
            dlog -= _dlog(t, c, other)
            dtau -= _dtau(t, c, other)
        if isinstance(stat, LogChange):
            return 100.0 * dlog
        assert isinstance(stat, Elasticity)
        return dlog / dtau

    def mask(self, cells: Cells) -> np.ndarray:
        """Boolean ``[origin, destination, sector]`` of the cells' foreign flows."""
        n_r, n_s = len(self.data.regions), len(self.data.sectors)
        exporters = self._regions(cells.exporters)
        importers = self._regions(cells.importers)
        sectors = np.zeros(n_s, dtype=bool)
        if cells.sectors == "all":
            sectors[:] = True
        else:
            sectors[[self.data.sector_index(code) for code in cells.sectors]] = True
        mask = exporters[:, None, None] & importers[None, :, None] & sectors[None, None, :]
        mask &= ~np.eye(n_r, dtype=bool)[:, :, None]
        return mask

    def _regions(self, codes: Any) -> np.ndarray:
        chosen = np.zeros(len(self.data.regions), dtype=bool)
        if codes == "all":
            chosen[:] = True
        else:
            for code in codes:
                chosen[self.data.region_indices(code)] = True
        return chosen

    def _regression(self, stat: Regression, t: Sums, c: Sums, t0: Sums, c0: Sums) -> float:
        mask = self.mask(stat) & (c0.flows > 0) & (t0.flows > 0) & (t.flows > 0) & (c.flows > 0)
        y = (np.log(t.flows) - np.log(t0.flows) - np.log(c.flows) + np.log(c0.flows))[mask]
        x = (t.log_tariff - t0.log_tariff - c.log_tariff + c0.log_tariff)[mask]
        if stat.fixed_effects == "importer_sector":
            _, dest, sector = np.nonzero(mask)
            groups = dest * len(self.data.sectors) + sector
            for g in np.unique(groups):
                y[groups == g] -= y[groups == g].mean()
                x[groups == g] -= x[groups == g].mean()
        variance = float(x @ x)
        if variance < 1e-12:
            raise ValueError(
                f"regression on replay {stat.replay!r}: the tariff does not vary within "
                "importer-sector cells, so the slope is not defined"
            )
        return float(x @ y) / variance


def _measure(sums: Sums, stat: Any) -> Sums:
    """The sums with ``flows`` the statistic's measure of trade: value or volume."""
    if stat.measure == "value":
        return sums
    return Sums(sums.volumes, sums.volumes, sums.log_tariff, sums.log_fx)


def _simple(stat: Any) -> Iterable[Any]:
    return [stat.numerator, stat.denominator] if isinstance(stat, Ratio) else [stat]


def _dlog(t: Sums, c: Sums, mask: np.ndarray) -> float:
    return float(np.log(t.flows[mask].sum()) - np.log(c.flows[mask].sum()))


def _dtau(t: Sums, c: Sums, mask: np.ndarray) -> float:
    weights = c.flows[mask]
    return float(((t.log_tariff - c.log_tariff)[mask] * weights).sum() / weights.sum())


def _dfx(t: Sums, c: Sums, mask: np.ndarray) -> float:
    """The flow-weighted change of ln(e_origin / e_destination) against the control."""
    d = t.log_fx - c.log_fx
    rer = (d[:, None] - d[None, :])[:, :, None] * np.ones(mask.shape[2])
    weights = c.flows[mask]
    return float((rer[mask] * weights).sum() / weights.sum())


def _diversion(stat: DiversionShare, mask: np.ndarray, t: Sums, c: Sums, r: Replays) -> float:
    """Rise of imports from other foreign origins over the fall from the targeted ones."""
    others = r.mask(Cells(importers=stat.importers, exporters="all", sectors=stat.sectors))
    others &= ~mask.any(axis=(1, 2))[:, None, None]
    lost = -float((t.flows - c.flows)[mask].sum())
    gained = float((t.flows - c.flows)[others].sum())
    return gained / lost
