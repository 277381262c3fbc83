"""Ensembles and sweeps: plan the runs, execute them into a store, summarise the results.

:func:`run_ensemble` draws the uncertain behaviour parameters (and a seed per member);
:func:`run_sweep` runs a sweep file. Both stream every finished run into a
:class:`~simulator.runs.store.Store` and return a :class:`RunSet` for analysis in pandas.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.results.output import OutputError, os_error_reason
from simulator.runs import budget
from simulator.runs.executors import Executor, check_executor, execute
from simulator.runs.run import RunSpec
from simulator.runs.spec import Sweep, load_sweep, plan_ensemble
from simulator.runs.store import Store
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario

BN = 1e9
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
HEADLINES = {
    "balance": "US goods-and-services balance",
    "exports": "US exports",
    "imports": "US imports",
    "tariff_revenue": "US tariff revenue",
}
PARTNERS = ["CHN", "EU", "MEX", "VNM", "CAN", "JPN"]
Progress = Callable[[int, int], None]


def execute_into(
    store: Store,
    specs: Sequence[RunSpec],
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> None:
    """Run every planned run that the store does not hold yet, storing each as it finishes."""
    done = store.done()
    todo = [s for s in specs if s.run not in done]
    count = len(specs) - len(todo)
    if progress:
        progress(count, len(specs))
    try:
        for frame in execute(todo, jobs, executor, scheduler):
            try:
                store.write(frame)
            except OSError as exc:  # a full disk: the finished runs are whole, the partial gone
                raise OutputError(
                    f"{store.root}: cannot write: {os_error_reason(exc)}; {count} of "
                    f"{len(specs)} runs are kept (each complete)\n    hint: free some space "
                    "and run the same command again to finish the others"
                ) from None
            count += 1
            if progress:
                progress(count, len(specs))
    except KeyboardInterrupt:
        raise RunsInterrupted(
            f"{count} of {len(specs)} runs are kept in {store.runs_dir}; run the same command "
            "again to finish the others"
        ) from None


class RunsInterrupted(KeyboardInterrupt):
    """Ctrl-C during runs that stream into a store: the finished runs are kept."""


def _provenance(loaded: LoadedScenario, kind: str, description: str) -> dict[str, object]:
    from simulator.results import Provenance

    prov = Provenance.collect(
        loaded.scenario.name,
        str(loaded.path) if loaded.path else None,
        loaded.sha256,
        loaded.scenario.seed,
        loaded.scenario.data,
    )
    return {
        "what": kind,
        "description": description,
        "scenario": loaded.scenario.name,
        "scenario_file": prov.scenario_file,
        "scenario_sha256": loaded.sha256,
        "data": loaded.scenario.data,
        "tradesim_version": prov.tradesim_version,
        "versions": prov.versions,
    }


def _folder(out: str | os.PathLike | None, name: str) -> Path:
    return Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"tradesim-{name}-"))


def run_ensemble(
    source: str | os.PathLike | LoadedScenario,
    n: int,
    out: str | os.PathLike | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    overrides: Sequence[str] = (),
    progress: Progress | None = None,
) -> RunSet:
    """``n`` runs drawing every uncertain behaviour parameter (``uncertainty.csv``).

    Member ``i`` gets seed ``seed + i`` (default: the scenario's seed). Runs stream into the
    store folder ``out`` (a new temporary folder when None); calling again with the same
    arguments resumes an interrupted ensemble.
    """
    check_executor(jobs, executor, scheduler)
    loaded = source if isinstance(source, LoadedScenario) else load_scenario(source, overrides)
    s = loaded.scenario
    estimate = budget.many_runs(f"an ensemble of {s.name}", n, s.n_months, jobs)
    budget.confirm(estimate, None if out is None else Path(out), True, "n")  # memory, disk
    specs = plan_ensemble(loaded, n, seed)
    what = f"ensemble of {n} runs of {loaded.scenario.name}"
    store = Store.open(
        _folder(out, loaded.scenario.name), _provenance(loaded, "ensemble", what), specs
    )
    execute_into(store, specs, jobs, executor, scheduler, progress)
    return RunSet(store)


def run_sweep(
    source: str | os.PathLike | Sweep,
    out: str | os.PathLike | None = None,
    jobs: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> RunSet:
    """Run a sweep file into the store folder ``out`` (resuming when it holds the same plan)."""
    check_executor(jobs, executor, scheduler)
    sweep = source if isinstance(source, Sweep) else load_sweep(source)
    spec = sweep.spec
    what = f"{spec.method} sweep of {sweep.loaded.scenario.name}: {len(sweep.runs)} runs"
    meta = {
        **_provenance(sweep.loaded, "sweep", what),
        "sweep_file": str(sweep.path),
        "sweep": spec.model_dump(mode="json"),
    }
    store = Store.open(_folder(out, sweep.loaded.scenario.name), meta, sweep.runs)
    execute_into(store, sweep.runs, jobs, executor, scheduler, progress)
    return RunSet(store)


class RunSet:
    """The runs in a store, as tidy pandas tables.

    ``runs``: one row per run (index ``run``) with its seed and the values that varied;
    ``series()``: every run's long table (run, month, region, partner, variable, value);
    ``annual()``: headline US numbers per complete calendar year, one row per run × year;
    ``quantiles()``: ensemble quantiles of every series, month by month.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.manifest = store.manifest()
        self.runs = store.runs()
        self._values: tuple[pd.DataFrame, np.ndarray, list[int]] | None = None

    @property
    def folder(self) -> Path:
        return self.store.root

    def finished(self) -> list[int]:
        return sorted(self.store.done())

    def series(self) -> pd.DataFrame:
        return self.store.series()

    def failed(self) -> list[int]:
        """Finished runs with a non-finite value (a NaN or infinity anywhere in their table):
        the model broke down under their draws. They are left out of every summary."""
        return self._matrix()[2]

    def usable(self) -> list[int]:
        """Finished runs whose values are all finite: the runs every summary is made of."""
        failed = set(self.failed())
        return [run for run in self.finished() if run not in failed]

    def _matrix(self) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
        """The rows of the first run (without run and value), the values of the usable runs,
        one row per run (in :meth:`usable` order), and the failed runs. All runs must share
        one horizon."""
        if self._values is None:
            import pyarrow.parquet as pq

            runs = self.finished()
            keys = self.store.read(runs[0]).drop(columns=["run", "value"])
            values = np.empty((len(runs), len(keys)))
            for i, run in enumerate(runs):
                column = pq.read_table(self.store.path(run), columns=["value"]).column(0)
                if len(column) != len(keys):
                    raise ScenarioError.simple(
                        f"runs in {self.folder} differ in horizon, so they have no common "
                        "summary; read runs/ with pandas instead"
                    )
                values[i] = column.to_numpy()
            finite = np.isfinite(values).all(axis=1)
            failed = [run for run, ok in zip(runs, finite, strict=True) if not ok]
            self._values = (keys, values[finite], failed)
        return self._values

    def annual(self) -> pd.DataFrame:
        """Per run and complete year: US balance, exports, imports, revenue, partner balances.

        Columns: run, year, variable, partner, value (US$), then the run's seed and values.
        """
        keys, values, _ = self._matrix()
        us = keys.region == "USA"
        keep = us & keys.variable.isin(list(HEADLINES)) & (keys.partner == "")
        keep |= us & (keys.variable == "bilateral_goods_balance") & keys.partner.isin(PARTNERS)
        rows = keys[keep].assign(year=keys.month.dt.year)
        months = rows.groupby("year").month.nunique()
        complete = rows.year.isin(months.index[months == 12]).to_numpy()
        rows = rows[complete]
        selected = values[:, np.flatnonzero(keep)[complete]]
        by = rows.groupby(["year", "variable", "partner"], sort=True)
        groups = by.ngroup().to_numpy()
        labels = by.size().index.to_frame(index=False)  # in ngroup order
        columns = ["run", "year", "variable", "partner", "value"]
        if labels.empty:  # no complete calendar year in the horizon
            dtypes = {
                "run": int,
                "year": int,
                "variable": object,
                "partner": object,
                "value": float,
            }
            empty = pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in columns})
            return empty.join(self.runs, on="run")
        sums = np.stack([selected[:, groups == g].sum(axis=1) for g in range(len(labels))], 1)
        runs = self.usable()
        table = pd.concat(
            [labels.assign(run=run, value=sums[i]) for i, run in enumerate(runs)],
            ignore_index=True,
        )[columns]
        return table.join(self.runs, on="run")

    def quantiles(self, quantiles: Sequence[float] = QUANTILES) -> pd.DataFrame:
        """Quantiles across runs of every series (month, region, partner, variable, quantile,
        value). All runs must share one horizon (true of an ensemble)."""
        keys, values, _ = self._matrix()
        q = np.quantile(values, quantiles, axis=0)
        return pd.concat(
            [keys.assign(quantile=level, value=q[k]) for k, level in enumerate(quantiles)],
            ignore_index=True,
        )

    def intervals(self) -> pd.DataFrame:
        """Median and 90 % interval of each headline number, US$ bn (year, variable, partner)."""
        annual = self.annual()
        grouped = annual.groupby(["year", "variable", "partner"]).value
        table = pd.DataFrame(
            {
                "median": grouped.median() / BN,
                "low_5": grouped.quantile(0.05) / BN,
                "high_95": grouped.quantile(0.95) / BN,
                "runs": grouped.size(),
            }
        )
        return table.reset_index()

    def summary_markdown(self) -> str:
        """Each headline number with its 90 % interval, and what was drawn."""
        from simulator.calibration.uncertainty import uncertain_parameters

        m = self.manifest
        table = self.intervals()
        lines = [
            f"# {m['description']}",
            "",
            f"{len(self.finished())} of {len(self.runs)} planned runs finished. Each number is "
            "the median across runs with its 90 % interval (5th to 95th percentile), US$ bn "
            "per calendar year.",
            "",
        ]
        if failed := self.failed():
            shown = ", ".join(str(run) for run in failed[:20]) + (" …" if len(failed) > 20 else "")
            lines += [
                f"**{len(failed)} of these runs broke down** (their tables hold NaN or infinite "
                f"values: the model failed under their draws) and are left out of every number "
                f"and chart here: run {shown} (seeds and drawn values in runs.csv, column "
                "`finite`).",
                "",
            ]
        if table.empty:
            lines += [
                "The horizon holds no complete calendar year, so there are no yearly numbers; "
                "the monthly bands are in quantiles.csv and the fan charts.",
                "",
            ]
        for year, rows in table.groupby("year"):
            lines.append(f"## {year}")
            lines.append("")
            for row in rows.itertuples():
                label = (
                    HEADLINES.get(row.variable)
                    if row.partner == ""
                    else f"US goods balance with {row.partner}"
                )
                lines.append(
                    f"- {label}: {row.median:,.1f} (90 % interval {row.low_5:,.1f} to "
                    f"{row.high_95:,.1f})"
                )
            lines.append("")
        if m["what"] == "ensemble":
            lines += ["## What was drawn", ""]
            for p in uncertain_parameters(str(m["data"])):
                if p.path in self.runs.columns:  # drawn: the scenario reads it
                    lines.append(f"- `{p.path}`: {p.distribution.describe()}")
            lines += ["", "Sources: `uncertainty.csv` of the data set; see docs/ensembles.md.", ""]
        lines.append(
            f"Scenario sha256 {m['scenario_sha256'][:12]}…, tradesim {m['tradesim_version']}; "
            f"runs stored in {self.folder / 'runs'}."
        )
        return "\n".join(lines) + "\n"

    def save_results(self) -> Path:
        """Write ``results/`` (summary, tables, fan charts for an ensemble) atomically."""
        from simulator.results.csvio import write_csv
        from simulator.results.fan import save_fan_charts
        from simulator.results.result import write_atomically

        m = self.manifest

        def write(tmp: Path) -> None:
            runs = self.runs.assign(
                finished=self.runs.index.isin(self.finished()),
                finite=self.runs.index.isin(self.usable()),
            )
            runs.to_csv(tmp / "runs.csv")
            annual = self.annual()
            annual.to_csv(tmp / "annual.csv", index=False)
            self.intervals().to_csv(tmp / "intervals.csv", index=False)
            if m["what"] == "ensemble":
                quantiles = self.quantiles()
                quantiles.to_parquet(tmp / "quantiles.parquet", index=False)
                write_csv(quantiles, tmp / "quantiles.csv")
                save_fan_charts(
                    quantiles, tmp, m["scenario"], len(self.usable()), HEADLINES, PARTNERS
                )
            (tmp / "summary.md").write_text(self.summary_markdown(), encoding="utf-8")
            provenance = {k: v for k, v in m.items() if k not in ("runs", "kind")}
            (tmp / "provenance.json").write_text(
                json.dumps(provenance, indent=2, default=str) + "\n", encoding="utf-8"
            )

        return write_atomically(self.folder / "results", write)
