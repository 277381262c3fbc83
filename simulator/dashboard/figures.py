"""The dashboard's plots (matplotlib), for up to four runs at once, with units and dates."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.dashboard.levers import Run
from simulator.results.incidence import by_year, who_pays_figure
from simulator.results.plots import PARTNERS, partner_style, sector_balances

BN = 1e9
COLORS = ["black", "tab:red", "tab:blue", "tab:green"]


def _dates(ax) -> None:
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.grid(alpha=0.3)


def us_trade(runs: list[Run]) -> Figure:
    """US balance, imports and exports (goods and services), one line per run."""
    fig = Figure(figsize=(8, 7))
    axes = fig.subplots(3, 1, sharex=True)
    for run, color in zip(runs, COLORS, strict=False):
        us = run.result.us()
        for ax, column in zip(axes, ["balance", "imports", "exports"], strict=True):
            ax.plot(us.index, us[column] / BN, color=color, label=run.label)
    for ax, label in zip(axes, ["balance", "imports", "exports"], strict=True):
        ax.set_ylabel(f"US {label},\nUS$ bn a month")
        _dates(ax)
    axes[0].axhline(0.0, color="0.6", lw=0.8)
    axes[0].legend(fontsize=8)
    fig.suptitle("US trade (goods and services), monthly", fontweight="bold")
    return fig


def partners(run: Run) -> Figure:
    """The US goods balance with each partner in one run."""
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    table = run.result.bilateral("USA", groups=True) / BN  # the EU beside its members
    for k, partner in enumerate(p for p in PARTNERS if p in table.columns):
        ax.plot(table.index, table[partner], label=partner, **partner_style(k))
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylabel("US goods balance, US$ bn a month")
    ax.legend(ncol=5, fontsize=8)
    _dates(ax)
    fig.suptitle(f"US goods balance by partner — {run.label}", fontweight="bold")
    return fig


def sectors(runs: list[Run]) -> Figure:
    """Change in the US balance by sector, last complete year against the first, per run."""
    fig = Figure(figsize=(8, 5.5))
    ax = fig.subplots()
    tables = [sector_balances(run.result) / BN for run in runs]
    if any(len(t) < 2 for t in tables):
        ax.text(0.5, 0.5, "needs two complete calendar years", ha="center", va="center")
        return fig
    changes = [t.iloc[-1] - t.iloc[0] for t in tables]
    first, last = int(tables[-1].index[0]), int(tables[-1].index[-1])
    order = changes[-1].sort_values().index
    y = np.arange(len(order))
    height = 0.8 / len(runs)
    for i, (run, change, color) in enumerate(zip(runs, changes, COLORS, strict=False)):
        offset = (i - (len(runs) - 1) / 2) * height
        ax.barh(y + offset, change.reindex(order), height, color=color, label=run.label)
    ax.set_yticks(y, list(order))
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel(f"US balance in {last} minus {first}, US$ bn a year (growth and policy)")
    ax.legend(fontsize=8)
    fig.suptitle("Which sectors moved the US balance", fontweight="bold")
    fig.tight_layout()
    return fig


def tariffs(runs: list[Run]) -> Figure:
    """US tariff revenue and the effective tariff rate."""
    fig = Figure(figsize=(8, 5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    for run, color in zip(runs, COLORS, strict=False):
        us = run.result.us()
        top.plot(us.index, us.tariff_revenue / BN, color=color, label=run.label)
        bottom.plot(us.index, 100 * us.effective_tariff_rate, color=color)
    top.set_ylabel("tariff revenue,\nUS$ bn a month")
    bottom.set_ylabel("effective rate, %\n(revenue / goods imports)")
    for ax in (top, bottom):
        _dates(ax)
    top.legend(fontsize=8)
    fig.suptitle("US tariff revenue and effective tariff rate", fontweight="bold")
    return fig


def who_pays(run: Run) -> Figure:
    """Who pays for the US tariffs in one run, by year."""
    return who_pays_figure(by_year(run.who_pays), f"Who pays for US tariffs — {run.label}")


def game_scores(board: pd.DataFrame) -> Figure:
    """The tariff war by quarter: each team's GDP against peace and its consumers' cost."""
    fig = Figure(figsize=(8, 3.6))
    left, right = fig.subplots(1, 2)
    for team, rows in board.groupby("team", sort=False):
        left.plot(rows["quarter"], rows["gdp_vs_peace_pct"], marker="o", label=team)
        right.plot(rows["quarter"], rows["consumer_cost"], marker="o", label=team)
    left.axhline(0.0, color="0.6", lw=0.8)
    left.set_ylabel("GDP against peace, %")
    right.set_ylabel("consumer cost, US$ bn in the quarter")
    left.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle("The tariff war, quarter by quarter", fontweight="bold")
    fig.tight_layout()
    return fig
