"""``summary.md``: the key outcomes of a run in a table and in plain sentences."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from simulator.results.incidence import who_pays_markdown

if TYPE_CHECKING:
    from simulator.results.result import SimulationResult

BN = 1e9
KEY_SECTORS = ["autos", "steel", "aluminium", "computers_semis", "agriculture", "pharma"]


def _bn(x: float) -> str:
    return f"{x / BN:,.1f}"


def _years(result: SimulationResult) -> tuple[int, int] | None:
    annual = result.annual()
    if annual.empty:
        return None
    return int(annual.index[0]), int(annual.index[-1])


def key_outcomes(result: SimulationResult) -> pd.DataFrame:
    """Key US outcomes for the first and last complete years of the run (US$ bn, %)."""
    years = _years(result)
    if years is None:
        return pd.DataFrame()
    first, last = years
    annual = result.annual()
    rows: dict[str, tuple[float, float]] = {}

    def add(label: str, series: pd.Series, scale: float = BN) -> None:
        rows[label] = (series.loc[first] / scale, series.loc[last] / scale)

    add("Goods and services balance, $bn", annual.balance)
    add("Goods balance, $bn", annual.goods_balance)
    add("Services balance, $bn", annual.services_balance)
    add("Exports, $bn", annual.exports)
    add("Imports, $bn", annual.imports)
    add("Tariff revenue, $bn", annual.tariff_revenue)
    add("Effective tariff rate, %", annual.effective_tariff_rate * 100, scale=1.0)

    trade = result.trade
    us = trade[trade.reporter == "USA"].assign(year=lambda f: f.month.dt.year)
    us = us[us.year.isin([first, last])]
    bilateral = us[us.sector.isin(result.goods_sectors)].assign(
        signed=lambda f: f.value_usd.where(f.flow == "export", -f.value_usd)
    )
    by_partner = bilateral.groupby(["partner", "year"], observed=True)["signed"].sum().unstack()
    for partner in ["CHN", "EU", "MEX", "VNM", "CAN", "JPN", "TWN"]:
        if partner in by_partner.index:
            rows[f"Goods balance with {partner}, $bn"] = tuple(
                by_partner.loc[partner, y] / BN for y in (first, last)
            )
    flows = us.groupby(["sector", "flow", "year"], observed=True)["value_usd"].sum()
    for sector in KEY_SECTORS:
        for flow in ("import", "export"):
            key = (sector, flow)
            if key in flows.index.droplevel(2):
                rows[f"{sector} {flow}s, $bn"] = tuple(flows.loc[(*key, y)] / BN for y in years)

    nx = result.us().nx_contribution_pp.dropna()
    if not nx.empty:
        by_year = nx.groupby(nx.index.year).mean()
        rows["Net exports' contribution to GDP growth, pp (mean of quarters)"] = (
            by_year.get(first, float("nan")),
            by_year.get(last, float("nan")),
        )
    table = pd.DataFrame(rows, index=[str(first), str(last)]).T
    table["change"] = table[str(last)] - table[str(first)]
    return table


def markdown_table(table: pd.DataFrame, fmt: str = ",.1f") -> str:
    """A DataFrame as a Markdown table (index as the first column; missing values as —)."""
    header = "| | " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)
    body = [
        f"| {idx} | " + " | ".join("—" if v != v else format(v, fmt) for v in row) + " |"
        for idx, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return "\n".join([header, rule, *body])


def summary_markdown(result: SimulationResult, baseline: SimulationResult | None = None) -> str:
    """The run's summary for a student: what was simulated, what happened and why, key numbers.

    With a ``baseline`` run (the same world without the scenario's policies) it also says how
    much of the change is the scenario's doing.
    """
    s = result.scenario
    prov = result.provenance
    lines = [
        f"# {s.name}",
        "",
        s.description.strip() or "(no description)",
        "",
        f"Simulated {s.start} to {s.end}, monthly; seed {prov.seed}; "
        f"{s.firms.count:,} firms; data set `{prov.data}`; tradesim {prov.tradesim_version}; "
        f"scenario hash `{prov.scenario_sha256[:12]}`.",
        "",
    ]
    off = [k for k, v in s.mechanisms.model_dump().items() if not v]
    lines.append("Mechanisms switched off: " + (", ".join(off) if off else "none") + ".")
    lines.append("")
    if s.tariffs:
        lines += ["## Tariffs in the scenario", "", "| id | imposer | on | sectors | rate | from |"]
        lines.append("|---|---|---|---|---|---|")
        for tr in s.tariffs:
            on = "all" if tr.partners == "all" else ", ".join(tr.partners)
            secs = "all" if tr.sectors == "all" else ", ".join(tr.sectors)
            lines.append(
                f"| {tr.id or ''} | {tr.imposer} | {on} | {secs} | {tr.rate:g}% | {tr.effective} |"
            )
        lines.append("")

    table = key_outcomes(result)
    if table.empty:
        lines.append("The horizon holds no complete calendar year, so no annual table is shown.")
        return "\n".join(lines) + "\n"
    first, last = table.columns[0], table.columns[1]
    lines += ["## What happened", ""]
    lines += _sentences(table, first, last)
    if baseline is not None:
        lines += ["", *_against_baseline(result, baseline)]
    lines += ["", "## Why", "", *_why(result)]
    who = who_pays_markdown(result)
    if who:
        lines += ["", "## Who pays", "", *who]
    lines += ["", "## Key outcomes (US, calendar years)", "", markdown_table(table)]
    lines += [
        "",
        "Balances are exports minus imports (negative: a deficit). Trade is valued at customs "
        "value in current dollars; the effective tariff rate is revenue over goods imports.",
        "",
    ]
    return "\n".join(lines)


def _sentences(table: pd.DataFrame, first: str, last: str) -> list[str]:
    def row(label: str) -> tuple[float, float, float]:
        r = table.loc[label]
        return r[first], r[last], r["change"]

    out = []
    b0, b1, db = row("Goods and services balance, $bn")
    word = "widened" if db < 0 else "narrowed"
    out.append(
        f"- The US trade deficit {word} from ${-b0:,.0f}bn in {first} to ${-b1:,.0f}bn in {last} "
        f"(${abs(db):,.0f}bn {'more' if db < 0 else 'less'})."
    )
    x0, x1, _ = row("Exports, $bn")
    m0, m1, _ = row("Imports, $bn")
    out.append(
        f"- Exports went from ${x0:,.0f}bn to ${x1:,.0f}bn ({100 * (x1 / x0 - 1):+.1f}%) and "
        f"imports from ${m0:,.0f}bn to ${m1:,.0f}bn ({100 * (m1 / m0 - 1):+.1f}%)."
    )
    r0, r1, _ = row("Effective tariff rate, %")
    v0, v1, _ = row("Tariff revenue, $bn")
    out.append(
        f"- The effective US tariff rate went from {r0:.1f}% to {r1:.1f}%; tariff revenue from "
        f"${v0:,.0f}bn to ${v1:,.0f}bn a year."
    )
    partners = [i for i in table.index if i.startswith("Goods balance with")]
    if partners:
        changes = table.loc[partners, "change"].sort_values()
        changes.index = [label.split()[-2].rstrip(",") for label in changes.index]
        low, high = changes.iloc[0], changes.iloc[-1]
        if low < 0 < high:
            text = (
                f"the largest move toward deficit was with {changes.index[0]} ({low:+,.1f}bn), "
                f"the largest move toward surplus with {changes.index[-1]} ({high:+,.1f}bn)"
            )
        elif high <= 0:
            text = (
                "every partner shown moved toward deficit, most of all "
                f"{changes.index[0]} ({low:+,.1f}bn)"
            )
        else:
            text = (
                "every partner shown moved toward surplus, most of all "
                f"{changes.index[-1]} ({high:+,.1f}bn)"
            )
        out.append(f"- In the US goods balance by partner, {text}.")
    return out


def _against_baseline(result: SimulationResult, baseline: SimulationResult) -> list[str]:
    """Year by year: the scenario's US balance, imports and exports minus the baseline's."""
    ours, theirs = result.annual(), baseline.annual()
    years = [y for y in ours.index if y in theirs.index]
    lines = [
        f"Against `{baseline.scenario.name}` (the same world without this scenario's "
        "policies), in $bn:",
        "",
        "| year | balance | imports | exports | tariff revenue |",
        "|---|---:|---:|---:|---:|",
    ]
    for y in years:
        d = ((ours.loc[y] - theirs.loc[y]) / BN).round(1) + 0.0  # + 0.0: no "-0.0"
        lines.append(
            f"| {y} | {d.balance:+,.1f} | {d.imports:+,.1f} | {d.exports:+,.1f} | "
            f"{d.tariff_revenue:+,.1f} |"
        )
    lines += ["", "A positive balance difference means a smaller deficit than in the baseline."]
    return lines


def _why(result: SimulationResult) -> list[str]:
    """The channels at work in this scenario, in plain words."""
    s, m = result.scenario, result.model
    mech = s.mechanisms
    out = []
    us_tariffs = [t for t in s.tariffs if t.imposer == "USA" and t.cancelled is None]
    if us_tariffs:
        passed = 100 * (m.rho if mech.pass_through else 1.0)
        speed = 100 * (m.params.adjustment_speed if mech.switching_frictions else 1.0)
        out.append(
            f"- US tariffs raise what buyers pay for imports (about {passed:.0f}% of each tariff "
            "is passed on to them; foreign exporters absorb the rest). Buyers switch to US "
            "producers and to partners not taxed, but gradually: about "
            f"{speed:.0f}% of them re-think their sourcing each month."
        )
    if mech.front_loading and any((t.announced or t.effective) < t.effective for t in s.tariffs):
        out.append(
            "- Importers who knew of a coming tariff bought ahead and stored the goods "
            "(front-loading): imports rise before the tariff and dip after it."
        )
    if mech.retaliation and (s.retaliation or any(t.retaliation for t in s.tariffs)):
        out.append(
            "- Partners retaliate with tariffs on US goods, so US exports of the targeted "
            "sectors fall and those partners buy them elsewhere."
        )
    if mech.ai_capex and s.shocks.ai_capex is not None:
        ai = s.shocks.ai_capex
        out.append(
            f"- The AI investment boom buys computers and chips: {100 * ai.import_content:.0f}% "
            "of the spending is imported"
            + (", exempt from the new tariffs." if ai.tariff_exempt else ".")
        )
    if mech.dollar and (s.shocks.exchange_rates or s.shocks.capital_inflows):
        out.append(
            "- The dollar moves: a weaker dollar makes US goods cheaper abroad and imports "
            "dearer at home (most US imports are priced in dollars, so that side moves little). "
            "Read long horizons with care: the model's export response to the dollar is at the "
            "high end of the evidence (docs/mechanisms.md, 'What the model leaves out')."
        )
    if mech.macro and us_tariffs:
        out.append(
            "- Tariff revenue tightens the US budget, which trims spending a little, imports "
            "included (twin deficits)."
        )
    return out or ["- No policy or shock changes: trade grows along each region's baseline."]
