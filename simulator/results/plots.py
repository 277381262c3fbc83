"""PNG plots of a run (matplotlib, no screen needed).

Each plot is made in two steps: what it shows is computed here from the result (pandas, the
model), as a :class:`~simulator.results.drawing.PlotJob` of plain arrays and text, and drawn
by :mod:`simulator.results.drawing`, which needs only matplotlib. ``tradesim run`` hands the
jobs to a worker process that draws them while the data files are written
(:mod:`simulator.results.plotworker`); :func:`save_run_plots` draws them here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.calibration.dataset import region_names
from simulator.results import drawing, effective_rates
from simulator.results.costs import ALL_HOUSEHOLDS, annual_households
from simulator.results.drawing import DPI, PlotJob, figure, finish, partner_style

if TYPE_CHECKING:
    from simulator.results.result import RunTables, SimulationResult

__all__ = [
    "DPI",
    "PARTNERS",
    "PlotJob",
    "figure",
    "finish",
    "iter_plot_jobs",
    "partner_label",
    "partner_style",
    "plot_jobs",
    "run_plots",
    "save_run_plots",
    "sector_balances",
]

BN = 1e9
US = "USA"
Plot = Callable[["SimulationResult", "RunTables | None", Path], Path]
# a group (EU) is drawn beside its named members (DEU, IRL); the group's rest is left out
PARTNERS = [
    "CHN",
    "EU",
    "DEU",
    "IRL",
    "MEX",
    "VNM",
    "CAN",
    "JPN",
    "KOR",
    "TWN",
    "IND",
    "CHE",
    "GBR",
    "ROW",
]


def partner_label(code: str, data: str = "base_2024") -> str:
    """A region's name with its code, ``China (CHN)``, from the data set's regions table."""
    name = region_names(data).get(code)
    return f"{name} ({code})" if name and name != code else code


def save_run_plots(
    result: SimulationResult, out: Path, baseline: RunTables | None = None
) -> list[Path]:
    """The standard plots of one run; with a ``baseline`` run, its paths and differences too."""
    return [job(out) for job in plot_jobs(result, baseline)]


def plot_jobs(result: SimulationResult, baseline: RunTables | None = None) -> list[PlotJob]:
    """The run's plots as jobs for :mod:`~simulator.results.drawing` (what each one shows)."""
    return list(iter_plot_jobs(result, baseline))


def iter_plot_jobs(
    result: SimulationResult, baseline: RunTables | None = None
) -> Iterator[PlotJob]:
    """:func:`plot_jobs` one at a time, each made when the previous one has been taken (so
    that a worker can draw it meanwhile)."""
    for name, (inputs, draw) in _PLOTS.items():
        if _drawn(name, result):
            yield PlotJob(name, draw, inputs(result, baseline))


def run_plots(result: SimulationResult) -> dict[str, Plot]:
    """The run's plots by file name, each ``plot(result, baseline, path) -> path``."""

    def plot(inputs, draw) -> Plot:
        return lambda r, b, path: draw(inputs(r, b), Path(path))

    return {
        name: plot(inputs, draw) for name, (inputs, draw) in _PLOTS.items() if _drawn(name, result)
    }


def _drawn(name: str, result: SimulationResult) -> bool:
    """Whether the run has this plot: the US ones need the US, the costs a complete year."""
    if name == "what_it_costs.png":  # the real measure first
        return US in result.regions and not result.annual().empty
    return name != "effective_rates.png" or US in result.regions


def _months(frame: pd.DataFrame | pd.Series) -> np.ndarray:
    return frame.index.to_numpy()


def _costs_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    """US real income and its parts by year against GDP as counted; the cost per household
    by income decile in the last year."""
    annual = result.annual()
    inputs = {
        "name": result.scenario.name,
        "years": [str(y) for y in annual.index],
        "parts": [
            (label, color, (annual[column] / BN).to_numpy())
            for column, label, color in (
                ("consumers_change", "consumers", "tab:red"),
                ("producers_change", "producers", "tab:blue"),
                ("revenue_change", "tariff revenue", "tab:green"),
            )
        ],
        "real_income": (annual.real_income_change / BN).to_numpy(),
        "gdp": (annual.gdp_change / BN).to_numpy(),
        "households": None,
    }
    households = annual_households(result)
    if households is not None:
        year = households.index.levels[0].max()
        deciles = households.xs(year, level="year")
        deciles = deciles[deciles.index != ALL_HOUSEHOLDS]
        inputs["households"] = {
            "year": int(year),
            "groups": [str(g) for g in deciles.index],
            "spending": deciles.share_of_spending.to_numpy(),
            "income": deciles.share_of_income.to_numpy(),
        }
    return inputs


def _trade_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    us = result.us()
    names = ("imports", "exports", "goods_imports", "goods_exports", "balance", "goods_balance")
    return {
        "name": result.scenario.name,
        "months": _months(us),
        "series": {k: (us[k] / BN).to_numpy() for k in names},
    }


def _bilateral_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    bilateral = result.bilateral("USA", groups=True) / BN
    lines = [
        (partner_label(p, result.scenario.data), bilateral[p].to_numpy())
        for p in PARTNERS
        if p in bilateral.columns
    ]
    return {"name": result.scenario.name, "months": _months(bilateral), "lines": lines}


def _tariff_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    us = result.us()
    inputs = {
        "name": result.scenario.name,
        "months": _months(us),
        "revenue": (us.tariff_revenue / BN).to_numpy(),
        "rate": (100 * us.effective_tariff_rate).to_numpy(),
        "base": None,
    }
    if baseline is not None:
        base = baseline.us()
        inputs["base"] = (
            _months(base),
            (base.tariff_revenue / BN).to_numpy(),
            (100 * base.effective_tariff_rate).to_numpy(),
            f"{baseline.scenario.name} (no new policies)",
        )
    return inputs


def sector_balances(result: RunTables, region: str = "USA") -> pd.DataFrame:
    """A region's trade balance by sector in each complete calendar year (US dollars)."""
    from simulator.results.result import complete_years, grouped

    rows = result.reported_by(region)
    value = rows.value_usd.to_numpy()
    exported = rows.flow.cat.codes.to_numpy() == rows.flow.cat.categories.get_loc("export")
    sectors = rows.sector.cat.categories
    month = pd.DatetimeIndex(rows.month)
    _, years, full = complete_years(month.unique())
    # every month has a row for each partner and sector: a year's sums are [sector]
    keys = np.asarray(month.year, np.int64) * len(sectors) + rows.sector.cat.codes.to_numpy()
    sums = grouped(np.where(exported, value, -value)[:, None], keys)
    return pd.DataFrame(
        sums.reshape(-1, len(sectors))[full],
        index=years,
        columns=pd.CategoricalIndex(sectors, categories=sectors, name="sector"),
    )


def _sector_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    """The policy's effect by sector against the baseline run, or, without one, the change.

    With a baseline: the scenario's US balance by sector minus the baseline's, in the year
    its first tariff takes effect (without tariffs, the first year the difference reaches a
    tenth of the last year's) and in the last complete year. Without: the last complete
    year minus the first, growth and policy together, and titled so.
    """
    name = result.scenario.name
    ours = sector_balances(result) / BN
    if ours.empty:
        return {"empty": True, "title": "US balance by sector", "subtitle": name}
    if baseline is not None:
        theirs = sector_balances(baseline) / BN
        diff = (ours - theirs).dropna(how="all")
        starts = [t.effective.year for t in result.scenario.tariffs if t.cancelled is None]
        size = diff.abs().sum(axis=1)  # without tariffs: the first year the shocks matter
        first = min(
            [y for y in starts if y in diff.index],
            default=size.index[size >= 0.1 * size.iloc[-1]][0],
        )
        years = sorted({first, int(diff.index[-1])})
        bars = diff.loc[years].T
        title = "Effect on the US balance by sector"
        subtitle = f"{name} minus {baseline.scenario.name}: what the scenario changes"
        xlabel = f"US balance, {name} − {baseline.scenario.name}, US$ bn a year"
    else:
        first, last = int(ours.index[0]), int(ours.index[-1])
        bars = (ours.loc[last] - ours.loc[first]).to_frame(f"{last} − {first}")
        title = f"Change in the US balance by sector, {first} to {last}"
        subtitle = f"{name}: growth and policy together (no baseline run to separate them)"
        xlabel = f"US balance in {last} minus {first}, US$ bn a year"
    bars = bars.sort_values(bars.columns[-1])  # largest at the top
    return {
        "title": title,
        "subtitle": subtitle,
        "xlabel": xlabel,
        "sectors": [str(s) for s in bars.index],
        "columns": [str(c) for c in bars.columns],
        "values": bars.to_numpy(dtype=float),
    }


def _effective_rate_inputs(result: SimulationResult, baseline: RunTables | None) -> dict:
    return effective_rates.plot_inputs(result)


_PLOTS = {
    "what_it_costs.png": (_costs_inputs, drawing.costs),
    "us_trade.png": (_trade_inputs, drawing.trade),
    "bilateral_balances.png": (_bilateral_inputs, drawing.bilateral),
    "sector_contributions.png": (_sector_inputs, drawing.sectors),
    "tariffs.png": (_tariff_inputs, drawing.tariffs),
    "effective_rates.png": (_effective_rate_inputs, drawing.effective_rates),
}
