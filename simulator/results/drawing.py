"""Drawing a run's PNG plots from plain inputs (numpy arrays, strings) with matplotlib.

:mod:`simulator.results.plots` computes what each plot shows from a result (pandas, the
model) and hands it here as a :class:`PlotJob`. This module imports nothing of tradesim's
model, schema or pandas, and matplotlib only when it draws, so a process that only draws
(``tradesim run`` draws in a worker process while it writes the data,
:mod:`simulator.results.plotworker`) starts fast, and one that only makes the jobs never loads
matplotlib. Figures are plain :class:`matplotlib.figure.Figure` objects drawn by the Agg
canvas (no pyplot state) with margins fixed in inches, so each is laid out and drawn once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 110
PNG_COMPRESSION = 1
"""zlib level of the PNGs: the same pixels as the default (6), written in three quarters of
the time of level 3 (files about 3 % larger)."""


@dataclass
class PlotJob:
    """One plot to draw: its file name, the drawing function and that function's inputs
    (picklable: arrays, numbers and text)."""

    name: str
    draw: Callable[[dict[str, Any], Path], Path]
    inputs: dict[str, Any]

    def __call__(self, folder: Path) -> Path:
        return self.draw(self.inputs, Path(folder) / self.name)


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
    from matplotlib.figure import Figure  # here: building a job needs no matplotlib

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
    fig.savefig(path, dpi=DPI, pil_kwargs={"compress_level": PNG_COMPRESSION})
    return path


def partner_style(k: int) -> dict[str, str]:
    """The k-th partner's line: the ten colours of the cycle, then the same colours dashed."""
    return {"color": f"C{k % 10}", "ls": "-" if k < 10 else "--"}


# -- the run's plots ------------------------------------------------------------------------


def costs(d: dict[str, Any], path: Path) -> Path:
    """US real income and its parts by year against GDP as counted; the cost per household
    by income decile in the last year."""
    households = d["households"]
    fig = figure(11 if households is not None else 7, 4.8, bottom=1.2, wspace=0.35)
    axes = fig.subplots(1, 2 if households is not None else 1)
    income = axes[0] if households is not None else axes
    years = np.arange(len(d["years"]))
    width = 0.25
    for i, (label, color, values) in enumerate(d["parts"]):
        income.bar(years + (i - 1) * width, values, width, label=label, color=color)
    income.plot(years, d["real_income"], "ko-", label="real income (their sum)")
    income.plot(years, d["gdp"], "D", mfc="none", mec="0.3", label="GDP as counted")
    income.axhline(0.0, color="0.5", lw=0.8)
    income.set_xticks(years, d["years"])
    income.set_ylabel("against the no-policy path, US$ bn a year")
    income.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    income.set_title("US real income and its parts", fontsize=10)
    if households is not None:
        share = axes[1]
        x = np.arange(len(households["groups"]))
        share.bar(x, households["spending"], 0.6, color="tab:orange", label="% of spending")
        share.plot(x, households["income"], "k^", label="% of after-tax income (upper bound)")
        share.set_xticks(x, households["groups"])
        share.set_xlabel("household income decile")
        share.set_ylabel(f"extra cost of purchases in {households['year']}, %")
        share.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
        share.set_title("Cost per household by income", fontsize=10)
    return finish(fig, path, "What it costs", d["name"])


def trade(d: dict[str, Any], path: Path) -> Path:
    """US imports and exports (goods dashed), and the balances, in two panels."""
    months, s = d["months"], d["series"]
    fig = figure(9, 7)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(months, s["imports"], label="imports")
    top.plot(months, s["exports"], label="exports")
    top.plot(months, s["goods_imports"], "--", label="goods imports", alpha=0.7)
    top.plot(months, s["goods_exports"], "--", label="goods exports", alpha=0.7)
    top.set_ylabel("US$ bn a month")
    top.legend(ncol=2, fontsize=8)
    bottom.plot(months, s["balance"], label="goods and services", color="k")
    bottom.plot(months, s["goods_balance"], label="goods", color="tab:red")
    bottom.axhline(0.0, color="0.6", lw=0.8)
    bottom.set_ylabel("balance, US$ bn a month")
    bottom.legend(fontsize=8)
    return finish(fig, path, "US imports, exports and balance", d["name"])


def bilateral(d: dict[str, Any], path: Path) -> Path:
    """The US goods balance with each partner (names spelled out)."""
    fig = figure(9, 6.1, bottom=1.15)
    ax = fig.subplots()
    for k, (label, values) in enumerate(d["lines"]):
        ax.plot(d["months"], values, label=label, **partner_style(k))
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylabel("US goods balance, US$ bn a month (negative: deficit)")
    ax.legend(ncol=4, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    return finish(fig, path, "US goods balance by partner", d["name"])


def tariffs(d: dict[str, Any], path: Path) -> Path:
    """Revenue and effective rate in two panels, each from zero (and the baseline's, dashed)."""
    fig = figure(9, 6.5, hspace=0.3)
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.plot(d["months"], d["revenue"], color="tab:purple", label=d["name"])
    bottom.plot(d["months"], d["rate"], color="tab:orange", label=d["name"])
    if d.get("base") is not None:
        months, revenue, rate, label = d["base"]
        top.plot(months, revenue, "--", color="0.4", label=label)
        bottom.plot(months, rate, "--", color="0.4", label=label)
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
    return finish(fig, path, "US tariff revenue and effective tariff rate", d["name"])


def sectors(d: dict[str, Any], path: Path) -> Path:
    """Horizontal bars by sector, one bar per column (years, or a change between two)."""
    fig = figure(9, 5.5, left=1.45, bottom=0.6)
    ax = fig.subplots()
    if d.get("empty"):
        ax.text(0.5, 0.5, "no complete calendar year in the run", ha="center", va="center")
        return finish(fig, path, d["title"], d["subtitle"])
    values, columns = d["values"], d["columns"]
    height = 0.8 / len(columns)
    y = np.arange(len(d["sectors"]))
    for i, column in enumerate(columns):
        ax.barh(y + (i - (len(columns) - 1) / 2) * height, values[:, i], height, label=column)
    ax.set_yticks(y, d["sectors"])
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel(d["xlabel"] + " (positive: larger surplus or smaller deficit)")
    ax.legend(fontsize=8, loc="best")
    return finish(fig, path, d["title"], d["subtitle"])


def effective_rates(d: dict[str, Any], path: Path) -> Path:
    """Monthly effective rate, pre- and post-substitution, stacked by authority."""
    fig = figure(11, 4.9, left=0.75, bottom=0.75, wspace=0.12)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, panel in zip(axes, d["panels"], strict=True):
        ax.stackplot(panel["months"], panel["stacks"], labels=panel["labels"])
        ax.plot(panel["total_months"], panel["total"], color="black", lw=1.2, label="total")
        ax.set_title(panel["title"], fontsize=10)
        ax.set_ylim(bottom=0.0)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"% of goods imports into {d['importer']}")
    axes[1].legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate(bottom=fig.subplotpars.bottom)
    return finish(fig, path, d["title"], d["subtitle"])
