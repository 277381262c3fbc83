"""Fan charts of an ensemble: the median with its 50 % and 90 % bands, month by month."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.results.plots import figure, finish

BN = 1e9


def _fan(ax: Axes, band: pd.DataFrame, title: str, zero: bool = True) -> None:
    """One panel; ``band`` is indexed by month with columns 0.05, 0.25, 0.5, 0.75, 0.95."""
    x = band.index
    ax.fill_between(x, band[0.05] / BN, band[0.95] / BN, color="tab:blue", alpha=0.18, lw=0)
    ax.fill_between(x, band[0.25] / BN, band[0.75] / BN, color="tab:blue", alpha=0.35, lw=0)
    ax.plot(x, band[0.5] / BN, color="tab:blue", lw=1.6)
    ax.set_title(title, fontsize=9)
    if zero:
        ax.axhline(0.0, color="0.6", lw=0.6)
    ax.tick_params(labelsize=7)


def save_fan_charts(
    quantiles: pd.DataFrame,
    out: Path,
    name: str,
    members: int,
    panels: Mapping[str, str],
    partners: Sequence[str],
) -> list[Path]:
    """``fan_us.png`` (the four US ``panels``, variable: title) and ``fan_partners.png`` (the
    US goods balance with each of up to six ``partners`` found in the table).

    ``quantiles`` is the ensemble's tidy quantile table (month, region, partner, variable,
    quantile, value).
    """
    us = quantiles[quantiles.region == "USA"]

    def band(variable: str, partner: str = "") -> pd.DataFrame:
        rows = us[(us.variable == variable) & (us.partner == partner)]
        return rows.pivot(index="month", columns="quantile", values="value")

    subtitle = (
        f"{name}: median, 50 % and 90 % bands of {members} runs drawing the uncertain "
        "parameters (US$ bn a month)"
    )
    paths = []
    fig = _figure(10)
    axes = fig.subplots(2, 2, sharex=True)
    for ax, (variable, title) in zip(axes.ravel(), panels.items(), strict=True):
        _fan(ax, band(variable), title, zero=variable == "balance")
    paths.append(_save(fig, out / "fan_us.png", "United States: ensemble fan charts", subtitle))

    partners = [p for p in partners if p in set(us.partner)]
    fig = _figure(11)
    axes = fig.subplots(2, 3, sharex=True)
    for ax in axes.ravel()[len(partners) :]:
        ax.set_visible(False)
    for ax, partner in zip(axes.ravel(), partners, strict=False):
        _fan(
            ax, band("bilateral_goods_balance", partner), f"US goods balance with {partner}", False
        )
    title = "US bilateral goods balances: ensemble fan charts"
    paths.append(_save(fig, out / "fan_partners.png", title, subtitle))
    return paths


def _figure(width: float) -> Figure:
    return figure(width, 7.0, left=0.6, right=0.2, top=1.0, bottom=0.75, hspace=0.3)


def _save(fig: Figure, path: Path, title: str, subtitle: str) -> Path:
    fig.autofmt_xdate(bottom=fig.subplotpars.bottom)
    return finish(fig, path, title, subtitle)
