"""The us_2025 scenario beside the published monthly US trade data for 2024–2025.

Nothing here is fitted: the scenario's parameters come from the literature and from the 2024
calibration, its tariff timeline and AI-capex path from published sources. This module only
runs it and measures the fit: correlation and mean absolute error of the monthly balance,
how often the direction of month-to-month changes agrees, the turning points, and a list of
targets (the early-2025 surge, the drop after April, the autumn low, the November rebound).

Beside the central run, :func:`ensemble_bands` runs an ensemble of us_2025 over the uncertain
behaviour parameters (the draws of ``tradesim run --ensemble``) and gives each 2025 figure its
90 % interval: the 5 % and 95 % quantiles of the members. The page also runs
:data:`ESTIMATED` (us_2025 with the dynamic parameters ``tradesim calibrate pre2025``
estimated on pre-2025 evidence), the out-of-sample test of those estimates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulator.api import run_scenario
from simulator.results import SimulationResult
from simulator.results.effective_rates import effective_rates
from simulator.results.plots import partner_label
from simulator.results.summary import markdown_table
from simulator.scenario import ScenarioError

if TYPE_CHECKING:
    from simulator.analysis.coverage import Coverage
    from simulator.runs.run import RunSpec

BN = 1e9
PAGE_MARKER = "Regenerate this page with `tradesim validate-history"
"""The line by which an existing validation page is recognised as tradesim's to replace."""
SERIES = ["balance", "exports", "imports"]
PARTNERS = ["CHN", "EU", "MEX", "VNM", "TWN", "CAN", "DEU", "IRL", "CHE", "GBR"]
BAND = (0.05, 0.95)
"""The quantiles bounding the 90 % interval."""
ENSEMBLE = 200
"""Runs of the default ensemble. With 200, the sampling error of each annual 5 % and 95 %
quantile is at most 9 % of the interval's width (bootstrap from 400 runs; 14 % with 100):
about 4 and 7 $bn on the 2025 balance's interval of about 140 $bn."""
ESTIMATED = "us_2025_estimated"
"""us_2025 with the parameters estimated on pre-2025 micro evidence (docs/calibration.md)."""
FOCUS_PARTNERS = ["CHN", "VNM", "TWN", "MEX", "EU"]
"""The partners whose 2025 goods balances the estimates are checked on."""
WITHIN = 0.15
"""How close to the published balance counts as matched (issue 22's out-of-sample target)."""

LEFT_OUT = {
    "2025-01": "gold bars beyond the modelled shipments (capacity set at the 2020 record) "
    "and pharmaceutical stockpiling",
    "2025-02": "gold beyond the modelled shipments and pharmaceutical stockpiling",
    "2025-03": "pharmaceutical imports of about $50bn in one month, mostly from Ireland",
    "2025-10": "a swing in gold exports (+$6.8bn) and lower pharmaceutical imports",
    "2025-11": "pharmaceutical imports rebounding (+$6.7bn)",
}


def history_table(name: str, preferred_only: bool = True) -> pd.DataFrame:
    """A published-data table shipped in ``simulator/data/history`` (preferred rows only)."""
    path = resources.files("simulator.data") / "history" / f"{name}.csv"
    frame = pd.read_csv(str(path))
    if preferred_only and "preferred" in frame:
        frame = frame[frame.preferred.astype(bool)]
    return frame


def published_2025_totals() -> dict[str, float | str | int]:
    """Why the sum of the 2025 months differs from the published annual 2025 balance.

    The months are each the latest release found for that month (one exception: November at
    its 29 Jan 2026 value, a validation anchor); the annual total is from one later release
    that includes every revision to date. Returns both totals, the annual vintage, the range
    of the months' vintages, and the part of the gap due to the months not preferred at their
    latest vintage.
    """
    monthly = history_table("us_monthly", preferred_only=False)
    rows = monthly[(monthly.series == "balance") & monthly.month.str.startswith("2025")]
    preferred = rows[rows.preferred.astype(bool)].set_index("month")
    latest = rows.sort_values("vintage").groupby("month").last()
    annual = history_table("us_annual")
    annual = annual[(annual.year == 2025) & (annual.partner == "WLD")]
    annual = annual[annual.series == "balance"].iloc[0]
    held_back = preferred.index[preferred.vintage < latest.vintage.reindex(preferred.index)]
    return {
        "sum_of_months": float(preferred.value_usd_bn.sum()),
        "annual": float(annual.value_usd_bn),
        "annual_vintage": str(annual.vintage),
        "first_vintage": str(preferred.vintage.min()),
        "last_vintage": str(preferred.vintage.max()),
        "older_months": int((preferred.vintage < annual.vintage).sum()),
        "held_back": ", ".join(held_back),
        "held_back_gap": float((latest.value_usd_bn - preferred.value_usd_bn)[held_back].sum()),
    }


def two_totals_note() -> str:
    """The paragraph explaining the two published 2025 balances on the validation page."""
    t = published_2025_totals()
    gap = t["annual"] - t["sum_of_months"]
    held = (
        f" The month {t['held_back']} is kept at an earlier release, because the targets "
        f"refer to it; its later revision accounts for {t['held_back_gap']:+.1f} of the gap, "
        f"the other months' revisions for {gap - t['held_back_gap']:+.1f}."
        if t["held_back"]
        else ""
    )
    return (
        f"**Two published 2025 balances.** {t['sum_of_months']:,.1f} is the sum of the twelve "
        f"monthly balances the monthly statistics use; {t['annual']:,.1f} is the annual total "
        f"of the release of {t['annual_vintage']}. They differ by {gap:+.1f} because they are "
        "different vintages: each monthly release revises the month before it (and the annual "
        "revision of 5 June 2025 revised 2024 and early 2025), and the monthly rows are each the "
        f"latest release found for that month, dated {t['first_vintage']} to "
        f"{t['last_vintage']} ({t['older_months']} of the 12 are older than the annual total)."
        f"{held} The annual table compares with {t['annual']:,.1f}; the monthly statistics and "
        "the month-by-month table with the months (see history-data.md, 'Caveat on totals')."
    )


def published_monthly() -> pd.DataFrame:
    """Published monthly US balance, exports and imports (US$ bn), months × series."""
    table = history_table("us_monthly")
    table = table[table.series.isin(SERIES)]
    return table.pivot(index="month", columns="series", values="value_usd_bn")[SERIES]


def annual_figures(us: pd.Series, partners: pd.Series) -> pd.DataFrame:
    """The 2025 rows of the annual table: each published figure beside the simulated one.

    ``us`` holds a run's 2025 sums of the US macro series, ``partners`` its 2025 goods
    balances by partner ($bn); the central run and every ensemble member go through here.
    """
    table = history_table("us_annual")
    table = table[table.year == 2025]
    rows = {}
    for r in table.itertuples():
        label = r.series if r.partner == "WLD" else f"{r.series} with {r.partner}"
        if r.partner == "WLD" and r.series in us:
            rows[label] = (r.value_usd_bn, us[r.series])
        elif r.partner == "WLD" and r.series == "customs_duties_net":
            rows["tariff revenue (customs duties, net)"] = (r.value_usd_bn, us.tariff_revenue)
        elif r.partner in partners:
            rows[label] = (r.value_usd_bn, partners[r.partner])
    rows["of which gold bars shipped (model only)"] = (float("nan"), us.gold_balance)
    rows["goods_balance excluding gold bars"] = (float("nan"), us.goods_balance_ex_gold)
    return pd.DataFrame(rows, index=["published", "us_2025"]).T


@dataclass
class Validation:
    """Simulated and published paths, fit statistics and target checks."""

    result: SimulationResult
    simulated: pd.DataFrame  # months × series, $bn
    published: pd.DataFrame  # months × series, $bn
    partners_sim: pd.DataFrame  # months × partner goods balance, $bn
    partners_pub: pd.DataFrame
    bands: Bands | None = None  # the ensemble over the uncertain parameters, if run
    estimated: Validation | None = None  # the same page for ESTIMATED, if run

    @property
    def stats(self) -> dict[str, float]:
        """Fit statistics of the monthly balance (2024–2025 and 2025 alone)."""
        out: dict[str, float] = {}
        for label, months in [("2024-25", self.published.index), ("2025", self._months(2025))]:
            sim = self.simulated.loc[months, "balance"]
            pub = self.published.loc[months, "balance"]
            out[f"correlation {label}"] = float(np.corrcoef(sim, pub)[0, 1])
            out[f"mean absolute error {label}, $bn"] = float((sim - pub).abs().mean())
            same = np.sign(sim.diff().iloc[1:]) == np.sign(pub.diff().iloc[1:])
            out[f"month-to-month direction agrees {label}, %"] = float(100 * same.mean())
        annual_sim = self.simulated.loc[self._months(2025), "balance"].sum()
        annual_pub = self.published.loc[self._months(2025), "balance"].sum()
        out["2025 balance simulated, $bn"] = float(annual_sim)
        out["2025 balance published (sum of months), $bn"] = float(annual_pub)
        return out

    def _months(self, year: int) -> list[str]:
        return [m for m in self.published.index if m.startswith(str(year))]

    def targets(self) -> pd.DataFrame:
        """The episode's features: does the simulated path show each of them?"""
        sim, pub = self.simulated, self.published
        imports = sim["imports"]
        balance = sim["balance"]
        q4 = imports.loc[["2024-10", "2024-11", "2024-12"]].mean()
        q1 = imports.loc[["2025-01", "2025-02", "2025-03"]].mean()
        nov_sim, nov_pub = balance["2025-11"], pub.loc["2025-11", "balance"]
        cs = self.result.trade
        cs = cs[(cs.reporter == "USA") & (cs.flow == "import") & (cs.sector == "computers_semis")]
        cs = cs.groupby(cs.month.dt.strftime("%Y-%m"))["value_usd"].sum() / BN
        cs = cs.loc[:"2025-11"]
        eu = self.partners_sim["EU"]
        rows = [
            (
                "front-loading surge: Q1 2025 imports above Q4 2024",
                f"{q1:,.1f} vs {q4:,.1f}",
                q1 > q4,
            ),
            (
                "drop after the April tariffs: May–Jun imports below Q1 2025",
                f"{imports.loc[['2025-05', '2025-06']].mean():,.1f} vs {q1:,.1f}",
                imports.loc[["2025-05", "2025-06"]].mean() < q1,
            ),
            (
                "autumn low: the Sep–Oct deficit smaller than the Jul–Aug one",
                f"{balance.loc[['2025-09', '2025-10']].mean():,.1f} vs "
                f"{balance.loc[['2025-07', '2025-08']].mean():,.1f}",
                balance.loc[["2025-09", "2025-10"]].mean()
                > balance.loc[["2025-07", "2025-08"]].mean(),
            ),
            (
                "November rebound: the Nov deficit larger than Oct",
                f"{balance['2025-11']:,.1f} vs {balance['2025-10']:,.1f}",
                balance["2025-11"] < balance["2025-10"],
            ),
            (
                "November 2025 balance within 20% of the published -56.8",
                f"{nov_sim:,.1f} ({100 * (nov_sim / nov_pub - 1):+.0f}%)",
                abs(nov_sim / nov_pub - 1) <= 0.20,
            ),
            (
                "computers and semiconductors imports at a record in Nov 2025",
                f"{cs['2025-11']:,.1f} (previous high {cs.iloc[:-1].max():,.1f})",
                cs["2025-11"] >= cs.max() - 1e-9,
            ),
            (
                "EU bilateral goods deficit widening from Oct to Nov 2025",
                f"{eu['2025-11']:,.1f} vs {eu['2025-10']:,.1f}",
                eu["2025-11"] < eu["2025-10"],
            ),
        ]
        return pd.DataFrame(rows, columns=["target", "simulated", "met"]).set_index("target")

    def annual(self) -> pd.DataFrame:
        """2025 annual totals and partner goods balances: simulated against published, with
        the ensemble's 5 % and 95 % quantiles and whether the published value lies between
        them when there are bands."""
        us = self.result.annual().loc[2025] / BN
        partners = self.partners_sim.loc[self._months(2025)].sum()
        frame = annual_figures(us, partners)
        frame["gap"] = frame["us_2025"] - frame["published"]
        if self.bands is None:
            return frame
        band = self.bands.annual_band()
        frame[["5 %", "95 %"]] = band.loc[frame.index].to_numpy()
        inside = (frame["5 %"] <= frame.published) & (frame.published <= frame["95 %"])
        frame["inside"] = inside.where(frame.published.notna())
        return frame

    def turning_points(self) -> pd.DataFrame:
        """Local peaks and troughs of the 2025 balance, simulated and published."""

        def points(series: pd.Series) -> list[str]:
            s = series.loc[self._months(2025)]
            out = []
            for i in range(1, len(s) - 1):
                if s.iloc[i] > max(s.iloc[i - 1], s.iloc[i + 1]):
                    out.append(f"{s.index[i]} high")
                elif s.iloc[i] < min(s.iloc[i - 1], s.iloc[i + 1]):
                    out.append(f"{s.index[i]} low")
            return out

        sim = points(self.simulated["balance"])
        pub = points(self.published["balance"])
        n = max(len(sim), len(pub))
        return pd.DataFrame(
            {
                "published": pub + [""] * (n - len(pub)),
                "simulated": sim + [""] * (n - len(sim)),
            }
        )

    # ------------------------------------------------------------------ the report
    def _shade(self, ax, months, bands: Bands, name: str, color: str, alpha: float) -> None:
        """A run's 90 % band of the monthly balance, shaded."""
        band = bands.monthly_band().loc[self.published.index]
        label = f"{name}, 90 % band ({bands.members} runs)"
        ax.fill_between(
            months, band[BAND[0]], band[BAND[1]], color=color, alpha=alpha, lw=0, label=label
        )

    def plot(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        months = pd.to_datetime(self.published.index)
        paths = []
        fig, axes = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
        for ax, series in zip(axes, SERIES, strict=True):
            if series == "balance" and self.bands is not None:  # behind the lines
                self._shade(ax, months, self.bands, "us_2025", color="C0", alpha=0.2)
            ax.plot(months, self.published[series], "o-", color="k", label="published", ms=3)
            ax.plot(months, self.simulated.loc[self.published.index, series], label="us_2025")
            if self.estimated is not None:
                estimated = self.estimated.simulated.loc[self.published.index, series]
                ax.plot(months, estimated, ":", color="C3", lw=1.8, label=ESTIMATED)
                if series == "balance" and self.estimated.bands is not None:
                    self._shade(ax, months, self.estimated.bands, ESTIMATED, color="C3", alpha=0.12)
            if series == "balance":  # the modelled gold bars taken out
                sim = self.simulated.loc[self.published.index]
                ax.plot(
                    months, sim.balance - sim.gold_balance, "--", label="us_2025 excl. gold bars"
                )
            ax.set_ylabel(f"US {series}, $bn/month")
        axes[0].legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.02), ncol=3)
        fig.suptitle("us_2025 against published monthly US trade", fontweight="bold")
        paths.append(folder / "monthly.png")
        fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
        plt.close(fig)

        fig, axes = plt.subplots(2, 5, figsize=(15, 6), sharex=True)
        for ax, partner in zip(axes.ravel(), PARTNERS, strict=True):
            sim = self.partners_sim[partner].loc["2024-01":"2025-12"]
            ax.plot(pd.to_datetime(sim.index), sim, label="us_2025")
            if self.estimated is not None:
                estimated = self.estimated.partners_sim[partner].loc["2024-01":"2025-12"]
                ax.plot(pd.to_datetime(sim.index), estimated, ":", color="C3", label=ESTIMATED)
            if partner in self.partners_pub:
                pub = self.partners_pub[partner].dropna()
                ax.plot(pd.to_datetime(pub.index), pub, "o", color="k", ms=3, label="published")
            ax.set_title(partner_label(partner, self.result.scenario.data), fontsize=9)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 7]))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        axes[0, 0].legend(fontsize=7)
        fig.suptitle("US goods balance by partner, $bn/month", fontweight="bold")
        paths.append(folder / "partners.png")
        fig.savefig(paths[-1], dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(effective_rate_plot(self.result, folder / "effective_rates.png"))
        if self.bands is not None:
            paths.append(self.bands.coverage().plot(folder / "ensemble.png"))
        return paths

    def markdown(self, image_folder: str = "validation") -> str:
        stats = pd.DataFrame({"value": self.stats})
        months = self.published.index
        gaps = pd.DataFrame(
            {
                "published": self.published.loc[months, "balance"],
                "us_2025": self.simulated.loc[months, "balance"],
                "gold": self.simulated.loc[months, "gold_balance"],
            }
        )
        gaps["gap"] = gaps["us_2025"] - gaps["published"]
        gaps = gaps.loc[[m for m in months if m.startswith("2025")]]
        gap_lines = [
            f"| {m} | {r.published:,.1f} | {r.us_2025:,.1f} | {r.gap:+,.1f} | "
            f"{r.gold:+,.1f} | {r.us_2025 - r.gold:,.1f} | {LEFT_OUT.get(m, '')} |"
            for m, r in gaps.iterrows()
        ]
        targets = self.targets()
        target_lines = [
            f"| {t} | {r.simulated} | {'yes' if r.met else 'no'} |" for t, r in targets.iterrows()
        ]
        prov = self.result.provenance
        lines = [
            "# Validation: us_2025 against the published 2024–2025 data",
            "",
            f"{PAGE_MARKER} --out docs` from the "
            f"repository root (it rewrites this file and the plots in `{image_folder}/` beside "
            "it; without `--out` it writes `out/validation.md`). Published data: "
            "`simulator/data/history/` (sources and vintages in "
            "[history-data.md](history-data.md)). "
            + (
                f"The 90 % bands come from an ensemble of {self.bands.members} runs over the "
                "uncertain parameters, made with the page; `--ensemble N` "
                f"sets the number of runs ({ENSEMBLE} by default) and `--ensemble 0` writes the "
                "central run alone, without bands."
                if self.bands is not None
                else "This page was made with `--ensemble 0`: the central run alone, without "
                f"the 90 % bands of the default ensemble of {ENSEMBLE} runs."
            ),
            "",
            f"Run: scenario `us_2025` (hash `{prov.scenario_sha256[:12]}`), seed {prov.seed}, "
            f"tradesim {prov.tradesim_version}.",
            "",
            "**Nothing is fitted to 2025.** The parameters come from the literature and the "
            "2024 calibration (`simulator/data/base_2024/parameters.csv`); the tariff timeline, "
            "the dollar path and the AI-capex path come from published sources cited in "
            "`scenarios/us_2025.yaml` and `scenarios/ai_capex_boom.yaml`; the AI hardware is "
            "bought where the US bought it in 2024 (Census data, "
            "`simulator/data/base_2024/ai_hardware_origins.csv`). The scenario's dynamic "
            "parameters are not estimated; the values `tradesim calibrate` estimated on "
            "pre-2025 evidence run beside it, out of sample, as "
            f"`{ESTIMATED}` ([below](#out-of-sample-the-parameters-estimated-on-pre-2025-"
            "evidence)).",
            "",
            *self._band_note(),
            f"![monthly]({image_folder}/monthly.png)",
            "",
            "## Fit statistics (monthly goods-and-services balance)",
            "",
            markdown_table(stats, fmt=",.2f"),
            "",
            two_totals_note(),
            "",
            "## The episode's features",
            "",
            "| target | simulated | met |",
            "|---|---|---|",
            *target_lines,
            "",
            "## 2025 as a whole, $bn",
            "",
            *self._annual_lines(),
            "",
            "Published annual figures: `simulator/data/history/us_annual.csv` (goods balances "
            "by partner on the Census basis; the model's partner balances are its goods trade "
            "with each region, the EU as the sum of its members DEU, IRL and EU_OTHER).",
            "",
            *self._out_of_sample_lines(),
            "## Turning points of the 2025 balance",
            "",
            "| published | simulated |",
            "|---|---|",
            *[f"| {r.published} | {r.simulated} |" for r in self.turning_points().itertuples()],
            "",
            "## Month by month in 2025, and what the model leaves out",
            "",
            "| month | published | us_2025 | gap | of which gold bars | us_2025 excl. gold "
            "bars | left out by the model |",
            "|---|---:|---:|---:|---:|---:|---|",
            *gap_lines,
            "",
            "**Gold.** The published balance (BOP basis, FT-900) includes non-monetary gold; so "
            "does the Census basis (end-use codes 12260/14270, though bars under HTS 7115 fall "
            "in finished metal shapes); GDP (NIPA) excludes gold held for investment (BEA FAQs "
            "1477 and 1478). us_2025 ships gold bars from Switzerland to New York on the "
            "New York–London spread (mechanisms.md §14; the spread path is an input quoted from "
            "market reports, not fitted): the column *of which gold bars* is that net flow, "
            "and *excl. gold bars* the balance without it. The base year's ordinary gold trade "
            "stays inside `other_goods` (2024 gold trade by partner was not found in a stored "
            "copy), so *excl. gold bars* is not the agencies' balance excluding all gold. "
            "The model has no pharmaceutical stockpiling beyond the announced-then-withdrawn "
            "tariff threat, no shipping lead times (front-loading shows up in the month orders "
            "are placed), no seasonal pattern and no data revisions.",
            "",
            f"![partners]({image_folder}/partners.png)",
            "",
            *effective_rate_section(self.result, image_folder),
        ]
        if self.bands is not None:
            lines.append(self.bands.coverage().markdown(f"{image_folder}/ensemble.png"))
        return "\n".join(lines)

    def _band_note(self) -> list[str]:
        """What the 90 % band is and what it leaves out (nothing without bands)."""
        if self.bands is None:
            return []
        b = self.bands
        broken = (
            f" Left out: run{'s' * (len(b.broken) > 1)} {', '.join(map(str, b.broken))}, "
            "whose values are not finite (the model broke down under the draws)."
            if b.broken
            else ""
        )
        return [
            f"**The 90 % band.** The shaded band of the monthly balance and the columns *5 %* and "
            f"*95 %* of the annual table are the 5th and 95th percentiles of {b.members} runs "
            f"of us_2025 that draw the {b.parameters} uncertain behaviour parameters from their "
            "documented priors (`simulator/data/base_2024/uncertainty.csv`; ranges and sources "
            "in [ensembles.md](ensembles.md#what-is-drawn-and-why-these-ranges)), as `tradesim "
            f"run us_2025 --ensemble N` does; run *i* has seed {b.seed} + *i*, so the page is "
            f"reproducible.{broken} The band covers the uncertainty of these parameters. It "
            "is not an interval over the sampling of firms (each run redraws its firms with "
            "its seed, as `tradesim run --ensemble` does, but that spread is small beside the "
            "parameters'), nor over the revisions of the published data, nor over the model's "
            "structure or what it leaves out (below). It is drawn around the scenario's "
            f"defaults, not around the estimates of `tradesim calibrate` (`{ESTIMATED}`, "
            + (
                "whose own band, drawn from the estimates' distribution, is in the section "
                "*Out of sample*)."
                if self.estimated is not None and self.estimated.bands is not None
                else "which has no band here)."
            )
            + " The line *us_2025* is the central run, the scenario at "
            "its default values; the fit statistics, the episode's features, the turning "
            "points and the month-by-month table are the central run's.",
            "",
        ]

    def _out_of_sample_lines(self) -> list[str]:
        """The section comparing :data:`ESTIMATED` with us_2025 (nothing without it)."""
        other = self.estimated
        if other is None:
            return []
        ours, theirs = self.annual(), other.annual()
        rows = ours.index[ours.published.notna()]

        def gap(value: float, published: float) -> str:
            return f"{100 * (value / published - 1):+.0f} %"

        banded = other.bands is not None

        def band(label: str) -> str:
            if not banded:
                return ""
            inside = "yes" if theirs.inside[label] else "no"
            return f" {theirs['5 %'][label]:,.1f} | {theirs['95 %'][label]:,.1f} | {inside} |"

        table = [
            f"| | published | us_2025 | gap | {ESTIMATED} | gap |"
            + (" 5 % | 95 % | inside |" if banded else ""),
            "|---|---:|---:|---:|---:|---:|" + ("---:|---:|:---:|" if banded else ""),
            *(
                f"| {label} | {ours.published[label]:,.1f} | {ours.us_2025[label]:,.1f} | "
                f"{gap(ours.us_2025[label], ours.published[label])} | "
                f"{theirs.us_2025[label]:,.1f} | "
                f"{gap(theirs.us_2025[label], ours.published[label])} |" + band(label)
                for label in rows
            ),
        ]
        if banded:
            b = other.bands
            table += [
                "",
                f"**The estimates' 90 % interval.** The columns *5 %* and *95 %* are the 5th and "
                f"95th percentiles of {b.members} runs of {ESTIMATED} that draw its six "
                "estimates from their estimated distribution (the normal with the covariance "
                "of the estimation, `simulator/estimation/moments/pre2025_covariance.csv`, "
                "truncated to the search's bounds) and the other uncertain parameters from "
                f"their priors, as the band of us_2025 does; run *i* has seed {b.seed} + *i*. "
                + other._misses(theirs[theirs.index.isin(rows)]),
            ]

        def close(frame: pd.DataFrame) -> str:
            labels = [f"goods_balance with {p}" for p in FOCUS_PARTNERS]
            near = [
                p
                for p, label in zip(FOCUS_PARTNERS, labels, strict=True)
                if abs(frame.us_2025[label] / frame.published[label] - 1) <= WITHIN
            ]
            return ", ".join(near) if near else "none"

        mine, yours = self.stats, other.stats
        met = self.targets().met.sum(), other.targets().met.sum()
        fit = [
            f"| | us_2025 | {ESTIMATED} |",
            "|---|---:|---:|",
            *(
                f"| {name} | {mine[name]:,.2f} | {yours[name]:,.2f} |"
                for name in ("correlation 2024-25", "correlation 2025")
            ),
            f"| mean absolute error 2025, $bn | {mine['mean absolute error 2025, $bn']:,.2f} | "
            f"{yours['mean absolute error 2025, $bn']:,.2f} |",
            f"| the episode's features met | {met[0]} of {len(self.targets())} | "
            f"{met[1]} of {len(other.targets())} |",
        ]
        prov = other.result.provenance
        return [
            "## Out of sample: the parameters estimated on pre-2025 evidence",
            "",
            f"`{ESTIMATED}` (hash `{prov.scenario_sha256[:12]}`, seed {prov.seed}) is us_2025 "
            "with the six dynamic parameters that `tradesim calibrate pre2025` estimated by "
            "simulated method of moments on published pre-2025 micro evidence: the contract "
            "hazard, the level of the import elasticities, the switching costs and their "
            "dispersion, the domestic-import elasticity and the exchange-rate half-life "
            "([calibration.md](calibration.md); the estimates, their standard errors, the "
            "moments file and the seed are the rows `pre2025_*` of "
            "`simulator/data/base_2024/parameters.csv`). No 2025 figure entered the "
            "estimation, so this is an out-of-sample test of it. The columns us_2025 and "
            f"{ESTIMATED} are central runs; "
            "[calibration.md](calibration.md#the-estimates-out-of-sample-and-why-they-are-not-"
            "the-defaults) says where they part and why the estimates are not the defaults.",
            "",
            *table,
            "",
            f"Goods balances within {100 * WITHIN:.0f} % of the published ones "
            f"({', '.join(FOCUS_PARTNERS)}): with the defaults {close(ours)}; with the "
            f"estimates {close(theirs)}.",
            "",
            *fit,
            "",
        ]

    def _annual_lines(self) -> list[str]:
        """The annual table, with the band's columns and its misses named when there are bands."""
        table = self.annual()
        if self.bands is None:
            return [markdown_table(table)]
        head, rule, *rows = markdown_table(table.drop(columns="inside")).splitlines()
        marks = table.inside.map({True: "yes", False: "no"}).fillna("—")
        body = [f"{row} {mark} |" for row, mark in zip(rows, marks, strict=True)]
        return [f"{head} inside |", f"{rule}:---:|", *body, "", self._misses(table)]

    def _misses(self, table: pd.DataFrame) -> str:
        """A paragraph naming every published figure outside the 90 % interval, by how much."""
        rows = table[table.published.notna()]
        out = rows[rows.inside == False]  # noqa: E712 (True, False or missing)
        if out.empty:
            return f"**All {len(rows)} published figures lie inside the 90 % interval.**"
        misses = [
            f"{label}, published {r.published:,.1f} against {r['5 %']:,.1f} to "
            f"{r['95 %']:,.1f}: "
            + (
                f"{r['5 %'] - r.published:,.1f} below"
                if r.published < r["5 %"]
                else f"{r.published - r['95 %']:,.1f} above"
            )
            for label, r in out.iterrows()
        ]
        inside = ", ".join(rows.index[rows.inside == True])  # noqa: E712
        return (
            f"**Outside the 90 % interval: {len(out)} of the {len(rows)} published figures.** "
            + "; ".join(misses)
            + "."
            + (f" Inside: {inside}." if inside else "")
            + " The central run's gaps are in the column *gap*."
        )


# ---------------------------------------------------------------------- effective tariff rates
RATE_LABELS = {
    ("budget_lab_statutory", "pre_substitution"): "Budget Lab, pre-substitution",
    ("budget_lab_statutory", "post_substitution"): "Budget Lab, post-substitution (long run)",
    ("treasury_collected", "collected"): "collected: Treasury duties / Census imports",
    ("budget_lab_ladder", "pre_substitution"): "Budget Lab tracker, Jun 2025: statutory",
    ("budget_lab_ladder", "collected"): "Budget Lab tracker, Jun 2025: collected",
}


def _simulated_rates(result: SimulationResult) -> pd.DataFrame:
    """us_2025's monthly US effective rate, months x (pre_substitution, post_substitution)."""
    rates = effective_rates(result)
    total = rates[rates.dimension == "total"]
    wide = total.pivot(index="month", columns="concept", values="rate_pct")
    wide.index = wide.index.strftime("%Y-%m")
    return wide


def effective_rate_section(result: SimulationResult, image_folder: str) -> list[str]:
    """The simulated 2025 effective rate beside the Budget Lab's figures, concept by concept."""
    sim = _simulated_rates(result)
    pub = history_table("effective_rates_published")
    pub["month"] = pub.date.str[:7]
    collected = pub[pub.series == "treasury_collected"].set_index("month").value_pct
    rows = []
    for month in [m for m in sim.index if "2024-12" <= m <= "2025-12"]:
        points = pub[(pub.series == "budget_lab_statutory") & (pub.month == month)]
        bl = "; ".join(
            f"{r.value_pct:.1f} {r.concept.split('_')[0]}-sub. ({r.date[5:]})"
            for r in points.itertuples()
        )
        rows.append(
            f"| {month} | {sim.loc[month, 'pre_substitution']:.1f} | "
            f"{sim.loc[month, 'post_substitution']:.1f} | {bl} | "
            f"{collected.get(month, float('nan')):.1f} |"
        )
    ladder = pub[pub.series == "budget_lab_ladder"].set_index("concept").value_pct
    return [
        "## Effective tariff rate: us_2025 beside the Budget Lab's figures",
        "",
        "Four concepts, not to be confused:",
        "",
        "- **simulated pre-substitution**: the rates in force in the month (day-weighted, with "
        "the USMCA, Annex II, in-transit and non-stacking exemptions as shares) at 2024 import "
        "weights: `tradesim`'s version of the Budget Lab tracker's statutory rate;",
        "- **simulated post-substitution**: the same rates at the month's simulated imports, "
        "i.e. the model's revenue over goods imports (the model has no evasion, no "
        "non-claiming and no collection lags, so this is an accrual rate at entry);",
        "- **Budget Lab statutory** (State of U.S. Tariffs reports): all tariffs in force *or "
        "announced* on the report's date at 2024 weights (pre-substitution) and after the "
        "long-run shift in imports their GTAP model predicts (post-substitution) - a rate "
        "for a date, not a monthly average, and the 14 Jul figure includes rates announced "
        "for 1 Aug;",
        "- **collected**: Treasury customs receipts over Census goods imports in the month "
        "(the Budget Lab's tariff-impact-tracker series), cash-basis: duties are paid after "
        "entry, so receipts lag the rates in force; it also includes anti-dumping and "
        "countervailing duties and reflects exemptions claimed and not claimed.",
        "",
        "| month | simulated pre-sub. | simulated post-sub. | Budget Lab statutory (date) "
        "| collected |",
        "|---|---:|---:|---|---:|",
        *rows,
        "",
        "The report-date figures run well above both the simulated and the collected rates; "
        "the Budget Lab's own later tracker put the June 2025 statutory rate at 2024 weights "
        f"at {ladder['pre_substitution']:.1f}%, the closest published match to the simulated "
        "pre-substitution rate.",
        "",
        "The Budget Lab's own statutory-versus-collected comparison for June 2025 (Tariff-Model, "
        f"calibration review): statutory at 2024 weights {ladder['pre_substitution']:.1f}%, "
        f"collected at 2024 weights {ladder['collected_at_2024_weights']:.1f}%, collected at the "
        f"month's weights {ladder['collected']:.1f}% (us_2025, June 2025: "
        f"{sim.loc['2025-06', 'pre_substitution']:.1f}% and "
        f"{sim.loc['2025-06', 'post_substitution']:.1f}%). Sources of every published figure: "
        "`simulator/data/history/effective_rates_published.csv`.",
        "",
        f"![effective rates]({image_folder}/effective_rates.png)",
        "",
    ]


def effective_rate_plot(result: SimulationResult, path: Path) -> Path:
    """The simulated monthly effective rate against the published points and series."""
    sim = _simulated_rates(result).loc["2024-07":"2025-12"]
    pub = history_table("effective_rates_published")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    months = pd.to_datetime(sim.index) + pd.Timedelta(days=14)  # mid-month, like the data
    ax.plot(months, sim.pre_substitution, color="C0", label="us_2025, pre-substitution")
    ax.plot(months, sim.post_substitution, color="C1", label="us_2025, post-substitution")
    styles = {
        "budget_lab_statutory": {"pre_substitution": "C0", "post_substitution": "C1"},
        "treasury_collected": {"collected": "k"},
        "budget_lab_ladder": {"pre_substitution": "C0", "collected": "k"},
    }
    for (series, concept), label in RATE_LABELS.items():
        sub = pub[(pub.series == series) & (pub.concept == concept)]
        marker = {"treasury_collected": "o-", "budget_lab_ladder": "s"}.get(series, "D")
        ax.plot(
            pd.to_datetime(sub.date),
            sub.value_pct,
            marker,
            color=styles[series][concept],
            ms=4,
            lw=0.8,
            mfc="white" if concept == "post_substitution" else None,
            label=label,
        )
    ax.set_ylabel("% of US goods imports")
    ax.set_ylim(bottom=0.0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("US effective tariff rate, 2025: simulated and published", fontweight="bold")
    fig.text(
        0.5,
        0.91,
        "lines: monthly; diamonds: Budget Lab report dates (statutory, incl. "
        "announced rates); squares: their tracker's June 2025 rates; black: collected",
        ha="center",
        fontsize=8,
        color="0.35",
    )
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


# ---------------------------------------------------------------------- the ensemble's bands
@dataclass
class Bands:
    """An ensemble of us_2025 over the uncertain parameters: each member's figures ($bn).

    ``annual`` is members × the rows of :func:`annual_figures`; ``monthly`` is members ×
    (series, month), the balance, exports and imports of 2024–2025. Members whose figures are
    not finite (the model broke down under their draws) are left out and named in ``broken``.
    """

    annual: pd.DataFrame
    monthly: pd.DataFrame
    seed: int  # member i ran with seed + i
    parameters: int  # the uncertain parameters drawn
    broken: list[int]

    @property
    def members(self) -> int:
        """The members the quantiles are computed from."""
        return len(self.annual)

    def annual_band(self) -> pd.DataFrame:
        """The 5 % and 95 % quantiles of each annual row (rows × quantile)."""
        return _quantiles(self.annual, BAND)

    def monthly_band(self, series: str = "balance") -> pd.DataFrame:
        """The 5 % and 95 % quantiles of a monthly series (months × quantile)."""
        return _quantiles(self.monthly[series], BAND)

    def coverage(self) -> Coverage:
        """The published months of 2025 inside the 90 % band, series by series."""
        from simulator.analysis.coverage import Coverage

        q = _quantiles(self.monthly, (BAND[0], 0.5, BAND[1]))
        q.columns = ["low_5", "median", "high_95"]
        q["published"] = published_monthly().unstack().reindex(q.index)
        q = q[q.index.get_level_values("month").str.startswith("2025") & q.published.notna()]
        q["inside"] = (q.low_5 <= q.published) & (q.published <= q.high_95)
        return Coverage(q.reset_index(), self.members)


def _quantiles(frame: pd.DataFrame, levels: tuple[float, ...]) -> pd.DataFrame:
    """Each column's quantiles over the members (columns × levels; linear interpolation)."""
    values = np.quantile(frame.to_numpy(dtype=float), levels, axis=0)
    return pd.DataFrame(values.T, index=frame.columns, columns=list(levels))


def check_ensemble(members: int) -> None:
    """Refuse a member count that gives no 90 % interval (0 asks for none)."""
    from simulator.runs.spec import MAX_RUNS

    if members != 0 and not 2 <= members <= MAX_RUNS:
        raise ScenarioError.simple(
            f"--ensemble is {members}: give 0 (the central run only, no bands) or from 2 to "
            f"{MAX_RUNS:,} runs for the 90 % intervals\n    hint: leave it out for the "
            f"default of {ENSEMBLE} runs"
        )


def member_figures(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """A member's 2025 annual figures and its monthly balance, exports and imports for
    2024–2025 ($bn), from its run table (the columns of :func:`simulator.runs.run_one`)."""
    us = frame[frame.region == "USA"]
    macro = us[us.partner == ""].pivot(index="month", columns="variable", values="value") / BN
    goods = us[(us.variable == "bilateral_goods_balance") & (us.month.dt.year == 2025)]
    partners = goods.groupby("partner").value.sum() / BN
    annual = annual_figures(macro[macro.index.year == 2025].sum(), partners)["us_2025"]
    monthly = macro.loc["2024-01":"2025-12", SERIES]
    monthly.index = monthly.index.strftime("%Y-%m")
    return annual, monthly.rename_axis(index="month", columns="series").unstack()


def band_task(batch: list[RunSpec]) -> list[tuple[int, pd.Series, pd.Series]]:
    """An executor's task: run a batch of members together, keep each member's figures."""
    from simulator.runs.executors import run_task

    frames = run_task(batch)
    return [(s.run, *member_figures(f)) for s, f in zip(batch, frames, strict=True)]


def ensemble_specs(members: int, seed: int | None, estimated: bool = False) -> list[RunSpec]:
    """The runs of :func:`ensemble_bands`: us_2025's ensemble, or with ``estimated``
    :data:`ESTIMATED`'s, whose estimated parameters are drawn from the estimates'
    distribution (seeded with the members' base seed) and replace the priors' draws."""
    from dataclasses import replace

    from simulator.runs.spec import plan_ensemble
    from simulator.scenario import load_scenario

    specs = plan_ensemble(load_scenario(ESTIMATED if estimated else "us_2025"), members, seed)
    if not estimated:
        return specs
    from simulator.estimation.bundled import bundled_estimate

    estimate = bundled_estimate()
    draws = estimate.draws(members, specs[0].seed)
    return [
        replace(s, values={**s.values, **estimate.values(theta)})
        for s, theta in zip(specs, draws, strict=True)
    ]


def ensemble_bands(
    members: int = ENSEMBLE,
    seed: int | None = None,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    estimated: bool = False,
) -> Bands:
    """Run us_2025 ``members`` times drawing the uncertain parameters from their priors, as
    ``tradesim run --ensemble`` does (member i with seed ``seed + i``, the scenario's seed by
    default), members of a batch advanced together, and keep each member's figures.

    With ``estimated``, run :data:`ESTIMATED` instead, its estimated parameters drawn from
    the estimates' distribution (:meth:`~simulator.estimation.bundled.BundledEstimate.draws`,
    seeded with the members' base seed) and the others from their priors."""
    from simulator.runs.executors import execute

    check_ensemble(members)
    specs = ensemble_specs(members, seed, estimated)
    annual, monthly = {}, {}
    for run, year, months in execute(specs, jobs, task=band_task):
        annual[run], monthly[run] = year, months
        if progress is not None:
            progress(len(annual), members)
    annual_t, monthly_t = pd.DataFrame(annual).T.sort_index(), pd.DataFrame(monthly).T.sort_index()
    finite = np.isfinite(annual_t).all(axis=1) & np.isfinite(monthly_t).all(axis=1)
    if finite.sum() < 2:
        raise ScenarioError.simple(
            f"only {finite.sum()} of {members} runs kept finite values: too few for a 90 % "
            "interval (the model broke down under the draws of the others)"
        )
    return Bands(
        annual_t[finite],
        monthly_t[finite],
        specs[0].seed,
        len(specs[0].values),
        annual_t.index[~finite].tolist(),
    )


def validate_history(
    seed: int | None = None,
    bands: Bands | None = None,
    estimated: bool = True,
    estimated_bands: Bands | None = None,
) -> Validation:
    """Run the bundled us_2025 scenario and line it up with the published data (and with the
    ensemble's ``bands``, if given), and, with ``estimated``, :data:`ESTIMATED` beside it
    (with ``estimated_bands``, from :func:`ensemble_bands` with ``estimated``)."""
    validation = _validation("us_2025", seed, bands)
    if estimated:
        validation.estimated = _validation(ESTIMATED, seed, estimated_bands)
    return validation


def _validation(scenario: str, seed: int | None, bands: Bands | None = None) -> Validation:
    result = run_scenario(scenario, seed=seed)
    us = result.us()
    simulated = us[[*SERIES, "gold_balance"]] / BN
    simulated.index = simulated.index.strftime("%Y-%m")
    published = published_monthly()
    partners_sim = result.bilateral("USA", groups=True) / BN
    partners_sim.index = partners_sim.index.strftime("%Y-%m")
    partner_table = history_table("us_partner_monthly")
    partners_pub = partner_table.pivot_table(
        index="month", columns="partner", values="value_usd_bn", aggfunc="first"
    )
    return Validation(result, simulated, published, partners_sim, partners_pub, bands)
