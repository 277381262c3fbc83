"""Who pays for a tariff: the split of its cost between domestic buyers and foreign exporters.

For every bilateral cell (origin ``o``, destination ``d``, sector ``s``) and month, with the
tariff ``τ`` in force, the base-year rate ``τ⁰``, pass-through ``ρ`` and the tariff factor
``F = ((1+τ)/(1+τ⁰))^ρ``, the model prices a unit so that the buyer's landed price is
``F`` times, and the exporter's customs price ``F (1+τ⁰)/(1+τ)`` times, what they would be
without the tariff change (docs/mechanisms.md §2). On the customs value ``V`` actually traded:

    buyers' cost          B = V (1+τ) (1 − 1/F)             (higher duty-inclusive prices)
    exporters' absorption X = V [(1+τ) / (F (1+τ⁰)) − 1]     (lower ex-duty prices)
    extra duty            B + X = τ V − τ⁰ V (1+τ) / (F (1+τ⁰))

so buyers' cost and exporters' absorption add up to the duty collected on this month's
quantities above what the base-year rate would collect on them at untaxed prices. This is the
measure of Fajgelbaum, Goldberg, Kennedy & Khandelwal (2020, QJE 135(1)): the change in
duty-inclusive import prices times imports. With ``ρ = 1`` buyers pay it all; with ``ρ = 0``
exporters absorb it all.

The deadweight loss (the trade that no longer happens) needs the quantities the same world
would have bought without the tariff changes, so it comes from a counterfactual run (the same
scenario with no tariffs or retaliation; :func:`no_tariff_counterfactual`): the Harberger
triangle ``½ · (B + X)/q · (q⁰ − q)`` with ``q = V / u`` the quantity (``u``: the customs unit
value) and ``q⁰`` the counterfactual quantity.

AI hardware bought under its own (exempt) rates is priced at the producer price: any extra
duty on it falls on the buyer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from simulator.results.result import SimulationResult
    from simulator.scenario import LoadedScenario

BN = 1e9
COLUMNS = [
    "buyers_cost",
    "exporters_absorbed",
    "extra_duty",
    "deadweight_loss",
    "exporters_burden_abroad",
]
"""Per region (the importer, except the last) and month, US dollars:

``buyers_cost`` the region's buyers pay in higher duty-inclusive import prices;
``exporters_absorbed`` the foreign exporters selling to it absorb in lower prices;
``extra_duty`` the sum of the two (the duty above the base-year rate on today's quantities);
``deadweight_loss`` the trade lost (NaN without a counterfactual run);
``exporters_burden_abroad`` what the region's own exporters absorb of other regions' tariffs
(retaliation against it)."""


MACRO_COLUMNS = ["buyers_cost", "exporters_absorbed", "extra_duty", "exporters_burden_abroad"]
"""The columns :attr:`SimulationResult.macro` carries (the deadweight loss needs a second run)."""


def cell_incidence(
    customs: np.ndarray, tau: np.ndarray, tau0: np.ndarray, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Buyers' cost and exporters' absorption of each cell, in the units of ``customs``."""
    factor = ((1.0 + tau) / (1.0 + tau0)) ** rho
    buyers = customs * (1.0 + tau) * (1.0 - 1.0 / factor)
    exporters = customs * ((1.0 + tau) / (factor * (1.0 + tau0)) - 1.0)
    return buyers, exporters


def _quantity(result: SimulationResult) -> np.ndarray:
    m = result.model
    taxed = m.flows - m.exempt_flows
    return np.divide(taxed, m.unit_values, out=np.zeros_like(taxed), where=m.unit_values > 0)


def incidence(
    result: SimulationResult, counterfactual: SimulationResult | None = None
) -> pd.DataFrame:
    """Who pays, per month and region, in US dollars (see :data:`COLUMNS`).

    ``counterfactual`` is the same world without the tariff changes (from
    :func:`no_tariff_counterfactual`); without it ``deadweight_loss`` is NaN.
    """
    series = incidence_series(result, counterfactual)
    n_r = len(result.regions)
    return pd.DataFrame(
        {
            "month": np.repeat(result.months, n_r),
            "region": pd.Categorical(np.tile(result.regions, len(result.months)), result.regions),
            **{column: series[column].ravel() for column in COLUMNS},
        }
    )


def incidence_series(
    result: SimulationResult, counterfactual: SimulationResult | None = None
) -> dict[str, np.ndarray]:
    """:func:`incidence`'s columns as ``[month, region]`` arrays. The columns that do not need
    the counterfactual (:data:`MACRO_COLUMNS`) are made once per result and kept with it."""
    kept = result.incidence_kept
    if counterfactual is None and kept is not None:
        return {**kept, "deadweight_loss": np.full(kept["extra_duty"].shape, np.nan)}
    m = result.model
    n_r = len(result.regions)
    diag = np.arange(n_r)
    rho = m.rho
    taxed = m.flows - m.exempt_flows
    # only cells whose rate moved from the base year's have any (elsewhere both are 0 exactly)
    moved = m.rates != m.tau0[None]
    buyers, exporters = np.zeros_like(taxed), np.zeros_like(taxed)
    buyers[moved], exporters[moved] = cell_incidence(
        taxed[moved],
        m.rates[moved],
        np.broadcast_to(m.tau0[None], moved.shape)[moved],
        np.broadcast_to(rho, moved.shape)[moved],
    )
    exempt_extra = m.exempt_flows * (m.exempt_rates - m.tau0[None])
    buyers = buyers + exempt_extra
    for cube in (buyers, exporters):
        cube[:, diag, diag, :] = 0.0
    extra = buyers + exporters
    dwl = np.full((m.n_months, n_r), np.nan)
    if counterfactual is not None:
        # the triangles of the cells whose rate moved (elsewhere the extra per unit is 0)
        q, q0 = _quantity(result)[moved], _quantity(counterfactual)[moved]
        per_unit = np.divide((extra - exempt_extra)[moved], q, out=np.zeros_like(q), where=q > 0)
        triangle = np.zeros_like(taxed)
        triangle[moved] = 0.5 * per_unit * (q0 - q)
        triangle[:, diag, diag, :] = 0.0
        dwl = triangle.sum(axis=(1, 3))
    result.incidence_kept = kept = {
        "buyers_cost": buyers.sum(axis=(1, 3)) * BN,
        "exporters_absorbed": exporters.sum(axis=(1, 3)) * BN,
        "extra_duty": extra.sum(axis=(1, 3)) * BN,
        "exporters_burden_abroad": exporters.sum(axis=(2, 3)) * BN,  # by origin
    }
    return {**kept, "deadweight_loss": dwl * BN}


def annual_incidence(
    result: SimulationResult,
    counterfactual: SimulationResult | None = None,
    region: str = "USA",
) -> pd.DataFrame:
    """Calendar-year sums of :func:`incidence` for one region (complete years only), with the
    buyers' share of the extra duty."""
    from simulator.results.result import complete_years, grouped

    series = incidence_series(result, counterfactual)
    months, monthly = result.months[:0], np.empty((0, len(COLUMNS)))  # a region not modelled
    if region in result.regions:
        r = result.regions.index(region)
        months = result.months
        monthly = np.column_stack([series[column][:, r] for column in COLUMNS])
    year, years, full = complete_years(months)
    sums = pd.DataFrame(grouped(monthly, year, min_count=1)[full], index=years, columns=COLUMNS)
    sums["buyers_share"] = np.divide(
        sums.buyers_cost,
        sums.extra_duty,
        out=np.full(len(sums), np.nan),
        where=sums.extra_duty.abs() > 1e-9 * BN,
    )
    return sums


def no_tariff_counterfactual(loaded: LoadedScenario) -> LoadedScenario:
    """The same scenario with no tariffs above the base year and no retaliation."""
    from simulator.scenario import load_scenario

    raw = {k: v for k, v in loaded.raw.items() if k != "extends"}
    raw |= {"name": f"{loaded.scenario.name}_no_tariffs", "tariffs": [], "retaliation": []}
    return load_scenario(raw)


def who_pays_markdown(
    result: SimulationResult, counterfactual: SimulationResult | None = None
) -> list[str]:
    """A paragraph for a summary: who pays for the US tariffs and for retaliation, last year."""
    table = annual_incidence(result, counterfactual)
    if table.empty or (table[["extra_duty", "exporters_burden_abroad"]].abs().max().max() < BN):
        return []
    year = int(table.index[-1])
    row = table.loc[year] / BN
    share = table.loc[year, "buyers_share"]
    lines = [
        f"- In {year}, US tariffs above their 2024 rates cost US buyers ${row.buyers_cost:,.1f}bn "
        f"in higher duty-inclusive import prices; foreign exporters absorbed "
        f"${row.exporters_absorbed:,.1f}bn by cutting their prices"
        + (f", so buyers bore {100 * share:.0f}% of the extra duty." if share == share else ".")
    ]
    if row.deadweight_loss == row.deadweight_loss:
        lines.append(
            f"- The trade that no longer happens is a deadweight loss of about "
            f"${row.deadweight_loss:,.1f}bn (against the same world without the tariffs)."
        )
    if abs(row.exporters_burden_abroad) >= 0.05:
        lines.append(
            f"- US exporters absorbed ${row.exporters_burden_abroad:,.1f}bn of other countries' "
            "tariffs (retaliation) in lower prices."
        )
    annual = result.annual()
    if year in annual.index:
        costs = annual.loc[year] / BN
        lines.append(
            f"- The extra duty goes to the US Treasury (${row.extra_duty:,.1f}bn). Net for the "
            f"country, once buyers' higher prices on home goods too, producers' gains, the "
            f"terms of trade and the trade lost are counted, real income changed by "
            f"{'-' if costs.real_income_change < 0 else '+'}${abs(costs.real_income_change):,.1f}bn"
            " (see What it costs)."
        )
    return lines


def who_pays_figure(table: pd.DataFrame, title: str):
    """Bars by year: buyers' cost, exporters' absorption, deadweight loss, and what the region's
    exporters absorb of others' tariffs (a table from :func:`annual_incidence`)."""
    from matplotlib.figure import Figure

    parts = {
        "buyers_cost": ("paid by US buyers", "tab:red"),
        "exporters_absorbed": ("absorbed by foreign exporters", "tab:blue"),
        "deadweight_loss": ("deadweight loss", "0.5"),
        "exporters_burden_abroad": ("absorbed by US exporters (retaliation)", "tab:green"),
    }
    shown = {k: v for k, v in parts.items() if table[k].notna().any()}
    fig = Figure(figsize=(9, 4.5))
    ax = fig.subplots()
    years = np.arange(len(table))
    width = 0.8 / max(len(shown), 1)
    for i, (column, (label, color)) in enumerate(shown.items()):
        ax.bar(
            years + (i - (len(shown) - 1) / 2) * width,
            table[column] / BN,
            width,
            label=label,
            color=color,
        )
    ax.set_xticks(years, [str(y) for y in table.index])
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_ylabel("US$ bn a year")
    ax.set_xlabel("calendar year (tariffs above their 2024 rates)")
    ax.legend(fontsize=8, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.suptitle(title, fontsize=12, fontweight="bold")
    fig.tight_layout()
    return fig
