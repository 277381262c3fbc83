"""Validation with bands: how many published 2025 months fall inside the ensemble's 90 % band.

An ensemble of us_2025 (:func:`simulator.runs.run_ensemble`) draws the uncertain behaviour
parameters; for each published month of 2025 and each series (balance, exports, imports) the
month is *covered* when the published value lies between the ensemble's 5th and 95th
percentiles. With well-calibrated uncertainty about 90 % of months would be covered; the
parameter draws leave out the model's structural error and one-off events (gold,
pharmaceuticals), so a lower coverage says how much of the miss the parameters cannot explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from simulator.analysis.validation import SERIES, published_monthly
from simulator.results.summary import markdown_table
from simulator.runs import RunSet

BN = 1e9


@dataclass
class Coverage:
    """The ensemble's band and the published values, month by month (US$ bn)."""

    table: pd.DataFrame  # month, series, low_5, median, high_95, published, inside
    runs: int

    def rates(self) -> pd.Series:
        """Share of published 2025 months inside the 90 % band, percent, by series."""
        return self.table.groupby("series", sort=False).inside.mean() * 100.0

    def markdown(self, image: str | None = None) -> str:
        rates = self.rates()
        summary = pd.DataFrame(
            {
                "months inside the 90 % band, %": rates,
                "months": self.table.groupby("series", sort=False).size(),
            }
        )
        lines = [
            f"## Parameter uncertainty: {self.runs} runs",
            "",
            f"An ensemble of {self.runs} runs draws the uncertain behaviour parameters "
            "(docs/ensembles.md). A published month of 2025 is covered when it lies between "
            "the ensemble's 5th and 95th percentiles.",
            "",
            markdown_table(summary, ",.0f"),
            "",
        ]
        if image:
            lines += [f"![ensemble band]({image})", ""]
        return "\n".join(lines)

    def plot(self, path: Path) -> Path:
        fig, axes = plt.subplots(len(SERIES), 1, figsize=(9, 9), sharex=True)
        for ax, series in zip(axes, SERIES, strict=True):
            rows = self.table[self.table.series == series]
            months = pd.to_datetime(rows.month)
            ax.fill_between(months, rows.low_5, rows.high_95, alpha=0.3, label="90 % band")
            ax.plot(months, rows["median"], label="median")
            ax.plot(months, rows.published, "o", color="k", ms=3, label="published")
            ax.set_ylabel(f"US {series}, $bn/month")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"us_2025 ensemble ({self.runs} runs) against 2025", fontweight="bold")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return path


def coverage(runs: RunSet, year: int = 2025) -> Coverage:
    """Line up an ensemble's US bands with the published months of ``year``."""
    q = runs.quantiles((0.05, 0.5, 0.95))
    q = q[(q.region == "USA") & (q.partner == "") & q.variable.isin(SERIES)]
    q = q.assign(month=q.month.dt.strftime("%Y-%m"))
    bands = q.pivot_table(index=["month", "variable"], columns="quantile", values="value") / BN
    published = published_monthly()
    rows = []
    for series in SERIES:
        for month, value in published[series].items():
            if not month.startswith(str(year)) or (month, series) not in bands.index:
                continue
            low, mid, high = bands.loc[(month, series), [0.05, 0.5, 0.95]]
            rows.append((month, series, low, mid, high, value, bool(low <= value <= high)))
    columns = ["month", "series", "low_5", "median", "high_95", "published", "inside"]
    return Coverage(pd.DataFrame(rows, columns=columns), len(runs.usable()))
