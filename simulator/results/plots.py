"""PNG plots of a run (matplotlib, no screen needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from simulator.results import effective_rates

if TYPE_CHECKING:
    from simulator.results.result import SimulationResult

BN = 1e9
US = "USA"
PARTNERS = ["CHN", "EU", "MEX", "VNM", "CAN", "JPN", "KOR", "TWN", "IND", "ROW"]


def _finish(fig: plt.Figure, path: Path, title: str, subtitle: str) -> Path:
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.text(0.5, 0.92, subtitle, ha="center", fontsize=8, color="0.35")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def save_run_plots(result: SimulationResult, out: Path) -> list[Path]:
    """The standard plots of one run."""
    name = result.scenario.name
    us = result.us()
    paths = []

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
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
    paths.append(_finish(fig, out / "us_trade.png", "US imports, exports and balance", name))

    bilateral = result.bilateral("USA") / BN
    fig, ax = plt.subplots(figsize=(9, 5))
    for partner in [p for p in PARTNERS if p in bilateral.columns]:
        ax.plot(bilateral.index, bilateral[partner], label=partner)
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_ylabel("US goods balance, US$ bn a month")
    ax.legend(ncol=5, fontsize=8)
    paths.append(_finish(fig, out / "bilateral_balances.png", "US goods balance by partner", name))

    contrib = sector_balance_change(result) / BN
    fig, ax = plt.subplots(figsize=(9, 5))
    contrib.plot.barh(ax=ax, color=["tab:red" if v < 0 else "tab:green" for v in contrib])
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("change in US balance, US$ bn a month (last 12 months vs first 12)")
    paths.append(_finish(fig, out / "sector_contributions.png", "Contributions by sector", name))

    fig, left = plt.subplots(figsize=(9, 4.5))
    left.plot(us.index, us.tariff_revenue / BN, color="tab:purple", label="tariff revenue")
    left.set_ylabel("US tariff revenue, US$ bn a month")
    right = left.twinx()
    right.plot(us.index, 100 * us.effective_tariff_rate, color="tab:orange", label="rate")
    right.set_ylabel("effective tariff rate, % (revenue / goods imports)")
    fig.legend(loc="upper left", fontsize=8)
    paths.append(_finish(fig, out / "tariffs.png", "US tariff revenue and rate", name))
    if US in result.regions:
        paths.append(effective_rates.plot(result, out / "effective_rates.png"))
    return paths


def sector_balance_change(result: SimulationResult, region: str = "USA"):
    """Change in a region's balance by sector: mean of the last 12 months minus the first 12."""
    trade = result.trade
    rows = trade[trade.reporter == region]
    signed = rows.value_usd.where(rows.flow == "export", -rows.value_usd)
    table = rows.assign(b=signed).groupby(["month", "sector"], observed=True)["b"].sum().unstack()
    n = min(12, len(table) // 2) or 1
    return (table.iloc[-n:].mean() - table.iloc[:n].mean()).sort_values()
