"""The result of a run: tidy pandas tables, provenance, and methods to save and plot."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.data import manifest_sha256
from simulator.results.costs import MACRO_COLUMNS as COST_COLUMNS
from simulator.results.costs import RunCosts
from simulator.results.csvio import write_csv
from simulator.results.output import write_atomically
from simulator.version import __version__

if TYPE_CHECKING:
    from simulator.engine.worlds import MemberAccess
    from simulator.results.plotworker import PlotWorker
    from simulator.scenario.schema import Scenario

BN = 1e9
US = "USA"
# macro columns that are indices, shares or annual rates: a year's figure is their mean
AVERAGED = [
    "consumer_price_index",
    "consumer_price_index_pre",
    "producer_price_index",
    "real_income_change_pct",
]


@dataclass
class Provenance:
    """What made a result: scenario, its hash, seed and software versions.

    ``scenario_file`` is the file that ran (absolute; a bundled scenario by its name),
    ``overrides`` the ``--set`` strings in order and ``scenario_chain`` the files read through
    ``extends`` (the scenario's own file first).
    """

    scenario: str
    scenario_file: str | None
    scenario_sha256: str
    seed: int
    tradesim_version: str = __version__
    data: str = "base_2024"
    versions: dict[str, str] = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    """The ``--set`` strings applied, in order."""
    scenario_chain: list[str] = field(default_factory=list)
    """The files read: the scenario's, then the ones it extends."""
    data_manifest_sha256: str = field(default_factory=manifest_sha256)
    """The sha256 of the bundled data's MANIFEST.sha256 (which lists each file's sha256)."""

    @classmethod
    def collect(
        cls,
        scenario: str,
        path: str | None,
        sha256: str,
        seed: int,
        data: str,
        overrides: Sequence[str] = (),
        chain: Sequence[str] = (),
    ) -> Provenance:
        versions = {
            "python": platform.python_version(),
            "mesa": metadata.version("mesa"),  # not imported: a run needs no Mesa agents
            "numpy": np.__version__,
            "pandas": pd.__version__,
        }
        from simulator.scenario.loader import recorded_path

        return cls(  # bundled files by name: the same record wherever tradesim is installed
            scenario=scenario,
            scenario_file=recorded_path(path) if path else None,
            scenario_sha256=sha256,
            seed=seed,
            data=data,
            versions=versions,
            overrides=[*overrides],
            scenario_chain=[recorded_path(p) for p in chain],
        )

    def inputs(self) -> list[Path]:
        """The files read (bundled ones as files): an output must never replace them."""
        from simulator.scenario.loader import recorded_input

        return [recorded_input(p) for p in self.scenario_chain]


class RunTables:
    """A run's tidy tables, ``trade`` and ``macro``, and what is read from them: all that a
    comparison with another run needs of a baseline run.

    A :class:`SimulationResult` is one (its tables made from its model on first use);
    :meth:`SimulationResult.tables` gives one without the model, a quarter of its size when
    pickled (the tables made), which ``tradesim run`` sends from the process that ran the
    baseline.
    """

    scenario: Scenario
    trade: pd.DataFrame
    macro: pd.DataFrame

    def __init__(self, scenario: Scenario, trade: pd.DataFrame, macro: pd.DataFrame) -> None:
        self.scenario = scenario
        self.trade = trade
        self.macro = macro
        self._annual: dict[str, pd.DataFrame] = {}

    def us(self) -> pd.DataFrame:
        """The US rows of :attr:`macro`, indexed by month."""
        return self.macro[self.macro.region == US].set_index("month")

    def annual(self, region: str = US) -> pd.DataFrame:
        """Calendar-year sums of a region's macro series (complete years only)."""
        if region not in self._annual:
            self._annual[region] = annual_table(*self.region_series(region))
        return self._annual[region].copy()

    def region_series(self, region: str) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
        """A region's months and its numeric macro series, by column."""
        frame = self.macro[self.macro.region == region]
        numeric = frame.select_dtypes("number")
        return pd.DatetimeIndex(frame.month), {c: numeric[c].to_numpy() for c in numeric}

    def reported_by(self, region: str) -> pd.DataFrame:
        """The rows of :attr:`trade` that ``region`` reports, in order."""
        return self.trade[self.trade.reporter == region]


def complete_years(months: pd.DatetimeIndex) -> tuple[np.ndarray, pd.Index, np.ndarray]:
    """Each month's calendar year, the years all of whose months are in ``months``, and for
    each distinct year, in order, whether it is one of them."""
    year = np.asarray(months.year)
    found, counts = np.unique(year, return_counts=True)
    full = counts == 12
    return year, pd.Index(found[full], name="year"), full


def grouped(
    values: np.ndarray, keys: np.ndarray, how: str = "sum", min_count: int = 0
) -> np.ndarray:
    """Sums (``how="mean"``: means) of the rows of ``values`` ``[row, column]`` that share a
    key, by key in order, NaN left out (fewer than ``min_count`` numbers: NaN). Made by
    pandas' groupby, as the tables were before: its compensated sums differ in the last bit
    from numpy's, and with the columns summed together, so callers pass the same columns."""
    rows = pd.DataFrame(values).groupby(keys)
    return (rows.sum(min_count=min_count) if how == "sum" else rows.mean()).to_numpy()


def annual_table(months: pd.DatetimeIndex, series: dict[str, np.ndarray]) -> pd.DataFrame:
    """Calendar-year sums of a region's monthly macro series (complete years only); price
    indices and annual rates (:data:`AVERAGED`) are the year's average, the effective tariff
    rate the year's revenue over its goods imports."""
    year, years, full = complete_years(months)
    sums = grouped(np.column_stack(list(series.values())), year)[full]
    table = pd.DataFrame(sums, index=years, columns=list(series))
    table["effective_tariff_rate"] = table["tariff_revenue"] / table["goods_imports"]
    table[AVERAGED] = grouped(np.column_stack([series[c] for c in AVERAGED]), year, "mean")[full]
    return table.drop(columns=["nx_contribution_pp", "exchange_rate"])


class SimulationResult(RunTables):
    """Monthly paths of one scenario run, as tidy DataFrames.

    ``trade``: month, reporter, partner, sector, flow (export/import), value_usd — every
    bilateral flow appears twice, as the exporter's export and the importer's import.
    ``macro``: month, region and the region's aggregates (see :attr:`macro`).
    """

    def __init__(self, model: MemberAccess, provenance: Provenance) -> None:
        self.model = model
        self.scenario = model.spec
        self.provenance = provenance
        self.regions = model.data.regions
        self.sectors = model.data.sectors
        self.months = pd.to_datetime([model.month_label(t) for t in range(model.n_months)])
        self.goods = model.data.goods_mask
        self.goods_sectors = [s for s, g in zip(self.sectors, self.goods, strict=True) if g]
        self._summaries: dict[RunTables | None, str] = {}
        self._annual: dict[str, pd.DataFrame] = {}  # trade and macro: from the model, on use
        self.incidence_kept: dict[str, np.ndarray] | None = None
        """Who pays, the columns that need no counterfactual (made once: see
        :func:`~simulator.results.incidence.incidence_series`)."""

    # ------------------------------------------------------------------ tables
    @cached_property
    def trade(self) -> pd.DataFrame:
        """Bilateral trade in long format (US dollars, customs value)."""
        m = self.model
        n_t, n_r, _, n_s = m.flows.shape
        t, o, d, s = np.meshgrid(
            np.arange(n_t), np.arange(n_r), np.arange(n_r), np.arange(n_s), indexing="ij"
        )
        keep = (o != d).ravel()
        t, o, d, s = t.ravel()[keep], o.ravel()[keep], d.ravel()[keep], s.ravel()[keep]
        value = m.flows.ravel()[keep] * BN
        regions = pd.CategoricalDtype(self.regions)
        half = len(value)
        frame = pd.DataFrame(
            {
                "month": np.concatenate([self.months[t], self.months[t]]),
                "reporter": pd.Categorical.from_codes(np.concatenate([o, d]), dtype=regions),
                "partner": pd.Categorical.from_codes(np.concatenate([d, o]), dtype=regions),
                "sector": pd.Categorical.from_codes(
                    np.concatenate([s, s]), dtype=pd.CategoricalDtype(self.sectors)
                ),
                "flow": pd.Categorical.from_codes(
                    np.repeat([0, 1], half), dtype=pd.CategoricalDtype(["export", "import"])
                ),
                "value_usd": np.concatenate([value, value]),
            }
        )
        return frame

    @cached_property
    def macro(self) -> pd.DataFrame:
        """Per region and month: trade totals, balances, revenue, prices, FX, GDP."""
        n_r = len(self.regions)
        return pd.DataFrame(
            {
                "month": np.repeat(self.months, n_r),
                "region": pd.Categorical(np.tile(self.regions, len(self.months)), self.regions),
                **{k: v.ravel() for k, v in self._macro_series.items()},
            }
        )

    @cached_property
    def _macro_series(self) -> dict[str, np.ndarray]:
        """:attr:`macro`'s series in its column order, each ``[month, region]``."""
        m = self.model
        n_r = len(self.regions)
        diag = np.arange(n_r)
        flows = m.flows.copy()
        flows[:, diag, diag, :] = 0.0
        g, sv = self.goods, ~self.goods
        exports_g = flows[..., g].sum(axis=(2, 3))
        imports_g = flows[..., g].sum(axis=(1, 3))
        exports_s = flows[..., sv].sum(axis=(2, 3))
        imports_s = flows[..., sv].sum(axis=(1, 3))
        revenue = m.revenue.sum(axis=(1, 3))
        dutiable = flows[..., g].sum(axis=(1, 3))
        nominal_gdp = m.baseline_gdp_month + m.gdp_gap
        gold = m.gold_flows.sum(axis=2) - m.gold_flows.sum(axis=1)  # net gold-bar shipments
        columns = {
            "goods_exports": exports_g,
            "goods_imports": imports_g,
            "goods_balance": exports_g - imports_g,
            "gold_balance": gold,
            "goods_balance_ex_gold": exports_g - imports_g - gold,
            "services_exports": exports_s,
            "services_imports": imports_s,
            "services_balance": exports_s - imports_s,
            "exports": exports_g + exports_s,
            "imports": imports_g + imports_s,
            "balance": exports_g + exports_s - imports_g - imports_s,
            "tariff_revenue": revenue,
            "gdp": nominal_gdp,
            "absorption": m.spending.sum(axis=2),
        }
        series = {k: v * BN for k, v in columns.items()}
        series["effective_tariff_rate"] = np.divide(
            revenue, dutiable, out=np.zeros_like(revenue), where=dutiable > 0
        )
        series["exchange_rate"] = m.fx_path
        series["nx_contribution_pp"] = _nx_contribution(
            series["balance"], series["gdp"], self.months
        )
        # saving-investment identity, as changes against the no-policy baseline:
        # S - I = NX, so the change in saving is the change in investment plus in net exports
        series["investment_change"] = m.investment_gap * BN
        series["net_exports_change"] = m.nx_gap * BN
        series["saving_change"] = series["investment_change"] + series["net_exports_change"]
        # who pays for tariffs above the base year (simulator/results/incidence.py)
        from simulator.results.incidence import MACRO_COLUMNS, incidence_series

        who = incidence_series(self)
        series |= {column: who[column] for column in MACRO_COLUMNS}
        # prices, real GDP and real income (simulator/results/costs.py)
        costs = self.costs.columns()
        series |= {column: costs[column] for column in COST_COLUMNS}
        return series

    def us(self) -> pd.DataFrame:
        """The US rows of :attr:`macro`, indexed by month (made without the other regions')."""
        months, series = self.region_series(US)
        region = pd.Categorical([US] * len(months), self.regions)
        return pd.DataFrame({"region": region, **series}, index=pd.Index(months, name="month"))

    def region_series(self, region: str) -> tuple[pd.DatetimeIndex, dict[str, np.ndarray]]:
        """A region's months and its macro series, by column (none for a region not modelled,
        as :meth:`RunTables.region_series` finds no rows)."""
        if region not in self.regions:
            return self.months[:0], {k: np.empty(0) for k in self._macro_series}
        r = self.regions.index(region)
        return self.months, {k: v[:, r] for k, v in self._macro_series.items()}

    def reported_by(self, region: str) -> pd.DataFrame:
        """The rows of :attr:`trade` that ``region`` reports, in order (made without the
        others): its exports, then its imports, each by month, partner and sector."""
        if region not in self.regions:
            return self.trade.iloc[:0]
        m = self.model
        r = self.regions.index(region)
        partners = np.delete(np.arange(len(self.regions)), r)
        exports = m.flows[:, r, partners, :] * BN  # [month, partner, sector]
        imports = m.flows[:, partners, r, :] * BN
        t, p, s = (a.ravel() for a in np.indices(exports.shape))
        regions = pd.CategoricalDtype(self.regions)
        return pd.DataFrame(
            {
                "month": np.concatenate([self.months[t], self.months[t]]),
                "reporter": pd.Categorical.from_codes(np.full(2 * len(t), r), dtype=regions),
                "partner": pd.Categorical.from_codes(np.tile(partners[p], 2), dtype=regions),
                "sector": pd.Categorical.from_codes(
                    np.tile(s, 2), dtype=pd.CategoricalDtype(self.sectors)
                ),
                "flow": pd.Categorical.from_codes(
                    np.repeat([0, 1], len(t)), dtype=pd.CategoricalDtype(["export", "import"])
                ),
                "value_usd": np.concatenate([exports.ravel(), imports.ravel()]),
            }
        )

    @cached_property
    def costs(self) -> RunCosts:
        """What the run cost: price indices, real income and its parts, households."""
        return RunCosts(self.model)

    @property
    def households(self) -> pd.DataFrame | None:
        """Cost per household by income group and month (see :attr:`RunCosts.households`)."""
        return self.costs.households

    def tables(self) -> RunTables:
        """The run's tables without its model (see :class:`RunTables`)."""
        return RunTables(self.scenario, self.trade, self.macro)

    def bilateral(
        self, reporter: str = US, goods_only: bool = True, groups: bool = False
    ) -> pd.DataFrame:
        """Monthly balance of ``reporter`` with each partner (US dollars), months × partners.

        With ``groups``, a column per region group (``EU``) is added: the sum of its members'
        columns (the reporter's own group, if any, is left out).
        """
        flows = self.model.flows[..., self.goods] if goods_only else self.model.flows
        totals = flows.sum(axis=3)  # [month, origin, destination]
        r = self.regions.index(reporter)
        table = pd.DataFrame(
            (totals[:, r, :] - totals[:, :, r]) * BN,
            index=pd.Index(self.months, name="month"),
            columns=pd.Index(self.regions, name="partner"),
        ).drop(columns=[reporter])
        if groups:
            for group, members in self.model.data.groups.items():
                if reporter not in members:
                    table[group] = table[list(members)].sum(axis=1)
        return table

    # ------------------------------------------------------------------ output
    def save(
        self,
        out_dir: str | os.PathLike,
        plots: bool | None = None,
        baseline: RunTables | None = None,
        force: bool = False,
        since: dict[str, tuple[int, int]] | None = None,
        plotter: PlotWorker | None = None,
        formats: Sequence[str] | None = None,
    ) -> Path:
        """Write data, plots, ``summary.md`` and ``provenance.json`` into ``out_dir`` atomically.

        Everything is written into a temporary folder beside ``out_dir`` and moved into place
        only when complete, so a failed run leaves no half-written output. An existing
        ``out_dir`` is replaced only if tradesim wrote it (or with ``force``); never if it
        holds the scenario's own files (see :func:`~simulator.results.output.write_atomically`);
        ``since``: the folder's state when it was checked (files that appeared after are kept).
        With a ``plotter`` (:mod:`simulator.results.plotworker`) the plots are drawn in that
        process while the data are written here. ``formats`` replaces the scenario's
        ``outputs.formats`` (``["parquet"]``: no CSV copies).
        """
        outputs = self.scenario.outputs
        want_plots = outputs.plots if plots is None else plots
        formats = outputs.formats if formats is None else formats

        def write(tmp: Path) -> None:
            from simulator.results import plots as plotting

            try:
                if want_plots and plotter is not None:  # each plot drawing as the next is made
                    plotter.submit(plotting.iter_plot_jobs(self, baseline), tmp)
                write_data(tmp)
                if want_plots and plotter is not None:
                    plotter.wait()
                elif want_plots:
                    for job in plotting.iter_plot_jobs(self, baseline):
                        job(tmp)
            except BaseException:
                if want_plots and plotter is not None:
                    plotter.cancel()  # stopped before the temporary folder is removed
                raise

        def write_data(tmp: Path) -> None:
            tables = {"trade": self.trade, "macro": self.macro}
            if self.households is not None:
                tables["households"] = self.households
            for name, frame in tables.items():
                if "parquet" in formats:
                    # the provenance travels with the data (pandas reads it back into attrs)
                    frame = frame.copy(deep=False)
                    frame.attrs["provenance"] = self.provenance.__dict__
                    frame.to_parquet(tmp / f"{name}.parquet", index=False)
                if "csv" in formats:
                    write_csv(frame, tmp / f"{name}.csv")
            (tmp / "summary.md").write_text(self.summary(baseline), encoding="utf-8")

        return write_atomically(
            Path(out_dir),
            write,
            self.provenance.__dict__,
            force=force,
            protect=self.provenance.inputs(),
            since=since,
        )

    def plot(
        self,
        out_dir: str | os.PathLike,
        baseline: RunTables | None = None,
        force: bool = False,
    ) -> list[Path]:
        """Write the run's PNG plots and ``provenance.json`` into ``out_dir``; return the plots'
        paths.

        With a ``baseline`` run, the sector plot shows the scenario's effect against it. The
        folder is written like :meth:`save`'s: atomically, replacing an existing ``out_dir``
        only if tradesim wrote it (or with ``force``).
        """
        from simulator.results import plots as plotting

        names: list[str] = []

        def write(tmp: Path) -> None:
            names.extend(p.name for p in plotting.save_run_plots(self, tmp, baseline))

        out = write_atomically(
            Path(out_dir),
            write,
            self.provenance.__dict__,
            force=force,
            protect=self.provenance.inputs(),
        )
        return [out / name for name in names]

    def summary(self, baseline: RunTables | None = None) -> str:
        """``summary.md``'s text (made once per baseline: saving and printing share it)."""
        from simulator.results.summary import summary_markdown

        if baseline not in self._summaries:
            self._summaries[baseline] = summary_markdown(self, baseline)
        return self._summaries[baseline]


def _nx_contribution(balance: np.ndarray, gdp: np.ndarray, months: pd.DatetimeIndex) -> np.ndarray:
    """Net exports' contribution to annualised quarterly GDP growth, percentage points.

    ``((NX_q - NX_{q-1}) / GDP_{q-1}) * 400`` with quarterly sums (nominal, as a nowcast
    approximation); reported in the last month of each complete quarter, NaN elsewhere.
    ``balance`` and ``gdp`` are ``[month, region]``.
    """
    shape = balance.shape
    quarter = (months.year * 4 + (months.month - 1) // 3).to_numpy()
    starts = np.flatnonzero(np.r_[True, quarter[1:] != quarter[:-1]])
    ends = np.r_[starts[1:], len(quarter)]
    starts = starts[ends - starts == 3]  # complete quarters only
    nx = balance[starts] + balance[starts + 1] + balance[starts + 2]
    output = gdp[starts] + gdp[starts + 1] + gdp[starts + 2]
    out = np.full(shape, np.nan)
    out[starts[1:] + 2] = (nx[1:] - nx[:-1]) / output[:-1] * 400.0
    return out
