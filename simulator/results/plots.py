"""PNG plots of a run (matplotlib, no screen needed).

Figures are plain :class:`matplotlib.figure.Figure` objects drawn by the Agg canvas (no pyplot
state) with margins fixed in inches, so each is laid out and drawn once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.calibration.dataset import region_names
from simulator.results import effective_rates
from simulator.results.costs import ALL_HOUSEHOLDS, annual_households

if TYPE_CHECKING:
    from simulator.results.result import SimulationResult

BN = 1e9
US = "USA"
Plot = Callable[["SimulationResult", "SimulationResult | None", Path], Path]
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


DPI = 110


def figure(
    width: float,
    height: float,
    left: float = 0.85,
    right: float = 0.25,
    top: float = 0.85,
    bottom: float = 0.45,
    hspace: float = 0.25,
    wspace: float = 0.2,
) -> Figure:
    """A figure of ``width`` x ``height`` inches whose axes leave these margins (inches)."""
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(
        left=left / width,
        right=1.0 - right / width,
        top=1.0 - top / height,
        bottom=bottom / height,
        hspace=hspace,
        wspace=wspace,
    )
    return fig


def finish(fig: Figure, path: Path, title: str, subtitle: str) -> Path:
    """Title and subtitle in the figure's top margin, then the PNG."""
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=12, fontweight="bold", y=1.0 - 0.15 / height, va="top")
    fig.text(0.5, 1.0 - 0.47 / height, subtitle, ha="center", va="top", fontsize=8, color="0.35")
    fig.savefig(path, dpi=DPI)
    return path


def save_run_plots(
    result: SimulationResult, out: Path, baseline: SimulationResult | None = None
) -> list[Path]:
    """The standard plots of one run; with a ``baseline`` run, its paths and differences too."""
    return [plot(result, baseline, out / name) for name, plot in run_plots(result).items()]


def run_plots(result: SimulationResult) -> dict[str, Plot]:
    """The run's plots by file name, each ``plot(result, baseline, path) -> path``."""
    plots: dict[str, Plot] = {}
    if US in result.regions and not result.annual().empty:
        plots["what_it_costs.png"] = _costs_plot  # the real measure first
    plots |= {
        "us_trade.png": _trade_plot,
        "bilateral_balances.png": _bilateral_plot,
        "sector_contributions.png": _sector_plot,
        "tariffs.png": _tariff_plot,
    }
    if US in result.regions:
        plots["effective_rates.png"] = lambda r, _, path: effective_rates.plot(r, path)
    return plots


def _costs_plot(result: SimulationResult, baseline: SimulationResult | None, path: Path) -> Path:
    """US real income and its parts by year against GDP as counted; the cost per household
    by income decile in the last year."""
    annual = result.annual()
    households = annual_households(result)
    fig = figure(11 if households is not None else 7, 4.8, bottom=1.2, wspace=0.35)
    axes = fig.subplots(1, 2 if households is not None else 1)
    income = axes[0] if households is not None else axes
    years = np.arange(len(annual))
    parts = {
        "consumers_change": ("consumers", "tab:red"),
        "producers_change": ("producers", "tab:blue"),
        "revenue_change": ("tariff revenue", "tab:green"),
    }
    width = 0.25
    for i, (column, (label, color)) in enumerate(parts.items()):
        income.bar(years + (i - 1) * width, annual[column] / BN, width, label=label, color=color)
    income.plot(years, annual.real_income_change / BN, "ko-", label="real income (their sum)")
    income.plot(years, annual.gdp_change / BN, "D", mfc="none", mec="0.3", label="GDP as counted")
    income.axhline(0.0, color="0.5", lw=0.8)
    income.set_xticks(years, [str(y) for y in annual.index])
    income.set_ylabel("against the no-policy path, US$ bn a year")
    income.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    income.set_title("US real income and its parts", fontsize=10)
    if households is not None:
        year = households.index.levels[0].max()
        deciles = households.xs(year, level="year")
        deciles = deciles[deciles.index != ALL_HOUSEHOLDS]
        share = axes[1]
        x = np.arange(len(deciles))
        share.bar(x, deciles.share_of_spending, 0.6, color="tab:orange", label="% of spending")
        share.plot(x, deciles.share_of_income, "k^", label="% of after-tax income (upper bound)")
        share.set_xticks(x, [str(g) for g in deciles.index])
        share.set_xlabel("household income decile")
        share.set_ylabel(f"extra cost of purchases in {year}, %")
        share.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
        share.set_title("Cost per household by income", fontsize=10)
    return finish(fig, path, "What it costs", result.scenario.name)


def _trade_plot(result: SimulationResult, baseline: SimulationResult | None, path: Path) -> Path:
    """US imports and exports (goods dashed), and the balances, in two panels."""
    us = result.us()
    fig = figure(9, 7)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(us.index, us.imports / BN, label="imports")
    top.plot(us.index, us.exports / BN, label="exports")
    top.plot(us.index, us.goods_imports / BN, "--", label="goods imports", alpha=0.7)
    top.plot(us.index, us.goods_exports / BN, "--", label="goods exports", alpha=0.7)
    top.set_ylabel("US$ bn a month")
    top.legend(ncol=2, fontsize=8)
    bottom.plot(us.index, us.balance / BN, label="goods and services", color="k")
    bottom.plot(us.index, us.goods_balance / BN, label="goods", color="tab:red")
    bottom.axhline(0.0, color="0.6", lw=0.8)
    bottom.set_ylabel("balance, US$ bn a month")
    bottom.legend(fontsize=8)
    return finish(fig, path, "US imports, exports and balance", result.scenario.name)


def partner_style(k: int) -> dict[str, str]:
    """The k-th partner's line: the ten colours of the cycle, then the same colours dashed."""
    return {"color": f"C{k % 10}", "ls": "-" if k < 10 else "--"}


def _bilateral_plot(
    result: SimulationResult, baseline: SimulationResult | None, path: Path
) -> Path:
    """The US goods balance with each partner (names spelled out)."""
    bilateral = result.bilateral("USA", groups=True) / BN
    fig = figure(9, 6.1, bottom=1.15)
    ax = fig.subplots()
    for k, partner in enumerate(p for p in PARTNERS if p in bilateral.columns):
        ax.plot(
            bilateral.index,
            bilateral[partner],
            label=partner_label(partner, result.scenario.data),
            **partner_style(k),
        )
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylabel("US goods balance, US$ bn a month (negative: deficit)")
    ax.legend(ncol=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return finish(fig, path, "US goods balance by partner", result.scenario.name)


def _tariff_plot(result: SimulationResult, baseline: SimulationResult | None, path: Path) -> Path:
    """Revenue and effective rate in two panels, each from zero (and the baseline's, dashed)."""
    us = result.us()
    fig = figure(9, 6.5, hspace=0.3)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(us.index, us.tariff_revenue / BN, color="tab:purple", label=result.scenario.name)
    bottom.plot(
        us.index, 100 * us.effective_tariff_rate, color="tab:orange", label=result.scenario.name
    )
    if baseline is not None:
        base = baseline.us()
        label = f"{baseline.scenario.name} (no new policies)"
        top.plot(base.index, base.tariff_revenue / BN, "--", color="0.4", label=label)
        bottom.plot(base.index, 100 * base.effective_tariff_rate, "--", color="0.4", label=label)
    top.set_ylabel("tariff revenue, US$ bn a month")
    top.set_title("US customs duties collected", fontsize=9, loc="left")
    bottom.set_ylabel("effective tariff rate, %")
    bottom.set_title(
        "Effective rate: duties collected / goods imports (at customs value)",
        fontsize=9,
        loc="left",
    )
    for ax in (top, bottom):
        ax.set_ylim(0.0, 1.15 * max(ax.get_ylim()[1], 1e-9))
        ax.legend(fontsize=8, loc="upper left")
    return finish(fig, path, "US tariff revenue and effective tariff rate", result.scenario.name)


def sector_balances(result: SimulationResult, region: str = "USA") -> pd.DataFrame:
    """A region's trade balance by sector in each complete calendar year (US dollars)."""
    trade = result.trade
    rows = trade[trade.reporter == region]
    signed = rows.value_usd.where(rows.flow == "export", -rows.value_usd)
    frame = rows.assign(b=signed, year=rows.month.dt.year)
    table = frame.groupby(["year", "sector"], observed=True)["b"].sum().unstack()
    months = frame.groupby("year")["month"].nunique()
    return table[months.reindex(table.index) == 12]


def _sector_plot(result: SimulationResult, baseline: SimulationResult | None, path: Path) -> Path:
    """The policy's effect by sector against the baseline run, or, without one, the change.

    With a baseline: the scenario's US balance by sector minus the baseline's, in the year
    its first tariff takes effect (without tariffs, the first year the difference reaches a
    tenth of the last year's) and in the last complete year. Without: the last complete
    year minus the first, growth and policy together, and titled so.
    """
    name = result.scenario.name
    ours = sector_balances(result) / BN
    fig = figure(9, 5.5, left=1.45, bottom=0.6)
    ax = fig.subplots()
    if ours.empty:
        ax.text(0.5, 0.5, "no complete calendar year in the run", ha="center", va="center")
        return finish(fig, path, "US balance by sector", name)
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
    height = 0.8 / len(bars.columns)
    y = np.arange(len(bars))
    for i, column in enumerate(bars.columns):
        ax.barh(
            y + (i - (len(bars.columns) - 1) / 2) * height, bars[column], height, label=str(column)
        )
    ax.set_yticks(y, bars.index)
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel(xlabel + " (positive: larger surplus or smaller deficit)")
    ax.legend(fontsize=8, loc="best")
    return finish(fig, path, title, subtitle)
