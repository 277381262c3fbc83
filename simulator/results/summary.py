"""``summary.md``: the key outcomes of a run in a table and in plain sentences."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from simulator.calibration.dataset import region_names
from simulator.results import effective_rates
from simulator.results.costs import ALL_HOUSEHOLDS, annual_households, what_it_costs_markdown
from simulator.results.incidence import who_pays_markdown

if TYPE_CHECKING:
    from simulator.results.result import Provenance, RunTables, SimulationResult
    from simulator.scenario.schema import Scenario, Tariff

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

    # what it costs, first (simulator/results/costs.py)
    add("Real income against the no-policy path, $bn", annual.real_income_change)
    add("Real income against the no-policy path, % of GDP", annual.real_income_change_pct, 1.0)
    add(
        "Consumer prices against the no-policy path, %",
        (annual.consumer_price_index - 1) * 100,
        1.0,
    )
    households = annual_households(result)
    years_with_households = set() if households is None else set(households.index.levels[0])
    if households is not None and years_with_households >= {first, last}:
        everyone = households.xs(ALL_HOUSEHOLDS, level="group")
        add("Real income per household, $ a year", everyone.real_income_change, 1.0)
        add("Cost of purchases per household, $ a year", everyone.cost, 1.0)
    add("Goods and services balance, $bn", annual.balance)
    add("Goods balance, $bn", annual.goods_balance)
    if annual.gold_balance.abs().sum() > 0:  # gold bars shipped on the New York-London spread
        add("Goods balance excluding gold bars, $bn", annual.goods_balance_ex_gold)
    add("Services balance, $bn", annual.services_balance)
    add("Exports, $bn", annual.exports)
    add("Imports, $bn", annual.imports)
    add("Tariff revenue, $bn", annual.tariff_revenue)
    add("Effective tariff rate, %", annual.effective_tariff_rate * 100, scale=1.0)

    trade = result.trade
    us = trade[trade.reporter == "USA"].assign(year=lambda f: f.month.dt.year)
    us = us[us.year.isin([first, last])]
    monthly = result.bilateral(groups=True)  # goods, a group (EU) as its members' sum
    by_year = monthly.groupby(monthly.index.year).sum()
    for partner in ["CHN", "EU", "DEU", "IRL", "MEX", "VNM", "CAN", "JPN", "TWN", "CHE", "GBR"]:
        if partner in by_year.columns:
            rows[f"Goods balance with {partner}, $bn"] = tuple(
                by_year.loc[y, partner] / BN for y in (first, last)
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
    if first == last:  # one complete year: nothing to compare it with
        return table.iloc[:, :1]
    table["change"] = table[str(last)] - table[str(first)]
    return table


def last_year(table: pd.DataFrame) -> str:
    """The column of the last complete year in a :func:`key_outcomes` table."""
    return str(table.columns[1] if "change" in table.columns else table.columns[0])


def markdown_table(table: pd.DataFrame, fmt: str = ",.1f") -> str:
    """A DataFrame as a Markdown table (index as the first column; missing values as —)."""
    header = "| | " + " | ".join(str(c) for c in table.columns) + " |"
    rule = "|---|" + "---:|" * len(table.columns)

    def cell(v: float) -> str:
        if v != v:
            return "—"
        text = format(v, fmt)
        return text[1:] if re.fullmatch(r"-0[.,0]*", text) else text  # no "-0.0"

    body = [
        f"| {idx} | " + " | ".join(cell(v) for v in row) + " |"
        for idx, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return "\n".join([header, rule, *body])


def summary_markdown(result: SimulationResult, baseline: RunTables | None = None) -> str:
    """The run's summary for a student: what was simulated, what happened and why, key numbers.

    With a ``baseline`` run (the same world without the scenario's policies) it also says how
    much of the change is the scenario's doing.
    """
    s = result.scenario
    prov = result.provenance
    changed = ", ".join(f"`{o}`" for o in prov.overrides)
    lines = [
        f"# {s.name}" + (" (changed with --set)" if prov.overrides else ""),
        "",
        *(
            [
                f"**Changed on the command line: {changed}.** The description below is the "
                "scenario file's and does not reflect these changes.",
                "",
            ]
            if prov.overrides
            else []
        ),
        _description(s, prov),
        "",
        f"Simulated {s.start} to {s.end}, monthly; seed {prov.seed}; "
        f"{s.firms.count:,} firms; data set `{prov.data}`; tradesim {prov.tradesim_version}; "
        f"scenario hash `{prov.scenario_sha256[:12]}`.",
        "",
        *_provenance_lines(prov),
        "",
    ]
    off = [k for k, v in s.mechanisms.model_dump().items() if not v]
    lines.append("Mechanisms switched off: " + (", ".join(off) if off else "none") + ".")
    lines.append("")
    costs = what_it_costs_markdown(result)
    if costs:
        lines += ["## What it costs", "", *costs, ""]
    if s.tariffs:
        lines += ["## Tariffs in the scenario", "", *tariff_table(s.tariffs), ""]
    if s.retaliation:
        lines += ["## Retaliation rules", "", *_retaliation_table(result), ""]

    table = key_outcomes(result)
    if table.empty:
        lines.append("The horizon holds no complete calendar year, so no annual table is shown.")
        return "\n".join(lines) + "\n"
    lines += ["## What happened", ""]
    if "change" in table.columns:
        names = region_names(s.data)
        lines += _sentences(table, table.columns[0], table.columns[1], names)
    else:
        lines.append(
            f"The horizon holds one complete calendar year ({table.columns[0]}): the table "
            "below shows it; changes from year to year need two."
        )
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
    lines += effective_rates.summary_section(result)
    return "\n".join(lines)


def _parents(prov: Provenance) -> list[str]:
    """The files a scenario extends, parent first (the chain holds its own file first)."""
    return prov.scenario_chain[1:] if prov.scenario_file else prov.scenario_chain


def _description(s: Scenario, prov: Provenance) -> str:
    """The scenario's own description, or a plain note of what it builds on."""
    text = s.description.strip()
    if text:
        return text
    parents = _parents(prov)
    if parents:
        return (
            f"(No description of its own; it extends `{Path(parents[0]).stem}`: the tables "
            "below show what it runs.)"
        )
    return "(no description)"


def _provenance_lines(prov: Provenance) -> list[str]:
    """Which file ran, what it extends and the ``--set`` overrides applied."""
    text = (
        f"Scenario file: `{prov.scenario_file}`"
        + (" (bundled with tradesim)" if "/" not in prov.scenario_file else "")
        if prov.scenario_file
        else "Scenario given as a mapping in Python (no file)"
    )
    parents = _parents(prov)
    if parents:
        text += ", extending " + " → ".join(f"`{p}`" for p in parents)
    text += "."
    if prov.overrides:
        text += " Overrides (`--set`, applied in this order): " + ", ".join(
            f"`{o}`" for o in prov.overrides
        )
    else:
        text += " Overrides (`--set`): none"
    return [text + "."]


def _codes(codes: str | list[str], exempt: list[str], everything: str) -> str:
    text = everything if codes == "all" else ", ".join(codes)
    return text + (" except " + ", ".join(exempt) if exempt else "")


def _exemptions(t: Tariff) -> str:
    """The exemption rules of a tariff entry, in words."""
    rules = []
    if t.product_exempt == "annex_ii":
        rules.append("Annex II products")
    elif t.product_exempt is not None:
        rules.append(f"{t.product_exempt} products")
    if t.qualifying_exempt is not None:
        rules.append("USMCA-qualifying goods")  # the only qualifying tables: usmca*
    if t.in_transit is not None:
        shipped = t.in_transit.loaded_before or t.effective
        rules.append(f"goods shipped before {shipped} and entered by {t.in_transit.entered_before}")
    if t.not_stacked_with:
        covered = ", ".join(a.replace("_", " ") for a in t.not_stacked_with)
        rules.append(f"goods under {covered} (not stacked)")
    return "; ".join(rules)


def tariff_table(tariffs: list[Tariff]) -> list[str]:
    """The scenario's tariffs as a Markdown table with dates, status and notes on the rates.

    A rate that covers only part of a sector shows the headline rate, the share it covers
    and the resulting sector-wide rate; withdrawn threats are marked as never in force.
    """
    lines = [
        "| id | imposed by | on goods from | sectors | rate | authority | exemptions | "
        "announced | in force |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    notes = set()
    for t in tariffs:
        rate = f"{t.rate:g}%" + (" all-in" if t.mode == "set" else "")
        if t.coverage < 1.0:
            rate += f" on {100 * t.coverage:.0f}% of the sector"
            if t.mode != "set":  # an all-in part leaves the rest at its other rates
                rate += f" = {t.rate * t.coverage:.1f}%"
            notes.add("coverage")
        if t.mode == "set":
            notes.add("set")
        if t.cancelled is not None:
            in_force = f"**withdrawn {t.cancelled}**: never in force (a threat)"
            notes.add("withdrawn")
        elif t.end is not None:
            in_force = f"{t.effective} to {t.end}"
        else:
            in_force = f"from {t.effective}"
        imposer = t.imposer + (" (retaliation)" if t.retaliation else "")
        lines.append(
            f"| {t.id or ''} | {imposer} | {_codes(t.partners, t.exempt_partners, 'all')} | "
            f"{_codes(t.sectors, t.exempt_sectors, 'all goods')} | {rate} | "
            f"{(t.authority or '').replace('_', ' ')} | {_exemptions(t)} | "
            f"{t.announced or t.effective} | {in_force} |"
        )
    lines += [
        "",
        "Rates are ad valorem and add to the 2024 rate and to earlier entries on the same goods"
        + (
            "; an *all-in* rate replaces both while in force (a deal's ceiling)"
            if "set" in notes
            else ""
        )
        + ". A tariff is in force from its first date up to (not including) its end date.",
    ]
    if "coverage" in notes:
        lines.append("")
        lines.append(
            "*x% on y% of the sector*: the policy's headline rate hits only part of a model "
            "sector (vehicles but not parts, say); the rest of the sector does not pay it, so "
            "on the sector as a whole it is the headline rate times that share. Entries on the "
            "same goods add up (25% on vehicles, 52% of autos, and 25% on parts, 48%, make 25% "
            "on all of autos). *x% all-in on y%* replaces every other rate on that part only, "
            "so the sector-wide rate depends on the other entries. Exempt shares (Annex II "
            "products, USMCA-qualifying goods) pay nothing, so the rate on a whole sector is "
            "lower than the headline."
        )
    if "withdrawn" in notes:
        lines.append("")
        lines.append(
            "*Withdrawn*: announced and then dropped before its date; it was never levied, but "
            "importers who believed it bought ahead while it stood."
        )
    return lines


def _retaliation_table(result: SimulationResult) -> list[str]:
    """The scenario's retaliation rules and what each did in this run (rate and month)."""
    model = result.model
    fired_by_rule = model.retaliation_fired()
    lines = [
        "| id | imposed by | answers | on its sectors | response | lag | in this run |",
        "|---|---|---|---|---|---|---|",
    ]
    for place, spec in enumerate(result.scenario.retaliation):
        response = (
            f"+{spec.rate:g}% a round, up to {spec.rounds} round(s)"
            if spec.match is None
            else f"match the {spec.match}, up to {spec.rounds} round(s)"
        ) + (f", cap {spec.cap:g}%" if spec.cap < 1000 else "")
        fired = fired_by_rule.get(place, [])
        truce = spec.truce.strftime("%Y-%m") if spec.truce else None
        steps = [
            (model.month_label(t + spec.lag_months), rate)
            for t, rate in fired
            if t + spec.lag_months < model.n_months
        ]
        steps = [(month, rate) for month, rate in steps if truce is None or month <= truce]
        if not result.scenario.mechanisms.retaliation:
            did = "switched off"
        elif not steps:
            did = "never in force"
        else:
            did = "; ".join(f"{100 * rate:.0f}% from {month}" for month, rate in steps)
            did += f"; lifted {spec.truce}" if spec.truce else ""
        sectors = (
            "all goods"
            if sorted(spec.sectors) == sorted(result.goods_sectors)
            else ", ".join(spec.sectors)
        )
        lag = f"{spec.lag_months} month" + ("" if spec.lag_months == 1 else "s")
        lines.append(
            f"| {spec.id or ''} | {spec.imposer} | {spec.target} | {sectors} | {response} | "
            f"{lag} | {did} |"
        )
    return lines


def _sentences(table: pd.DataFrame, first: str, last: str, names: dict[str, str]) -> list[str]:
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

        def move(code: str) -> str:
            return f"{names.get(code, code)} ({code}, {changes[code]:+,.1f}bn)"

        low, high = changes.index[0], changes.index[-1]
        if changes[low] < 0 < changes[high]:
            text = (
                f"the largest move toward deficit was with {move(low)}, "
                f"the largest move toward surplus with {move(high)}"
            )
        elif changes[high] <= 0:
            text = f"every partner shown moved toward deficit, most of all {move(low)}"
        else:
            text = f"every partner shown moved toward surplus, most of all {move(high)}"
        out.append(f"- In the US goods balance by partner, {text}.")
    return out


def _against_baseline(result: SimulationResult, baseline: RunTables) -> list[str]:
    """Year by year: the scenario's US balance, imports and exports minus the baseline's."""
    ours, theirs = result.annual(), baseline.annual()
    years = [y for y in ours.index if y in theirs.index]
    lines = [
        f"Against `{baseline.scenario.name}` (the same world without this scenario's "
        "policies and shocks), in $bn:",
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
    return lines + _early_departure(result, baseline)


def _early_departure(result: SimulationResult, baseline: RunTables) -> list[str]:
    """Why the run differs from the baseline before its first tariff, if it does.

    The first month in which US imports or exports differ from the baseline's by more than
    a ten-thousandth is compared with the first tariff's date; the scenario's shocks and
    tariff announcements dated before that tariff are named as the causes.
    """
    ours, theirs = result.us(), baseline.us()
    months = ours.index.intersection(theirs.index)
    gap = ours.loc[months, ["imports", "exports"]] - theirs.loc[months, ["imports", "exports"]]
    moved = (gap.abs() > 1e-4 * theirs.loc[months, ["imports", "exports"]].abs()).any(axis=1)
    if not moved.any():
        return []
    departs = moved.idxmax().strftime("%Y-%m")
    s = result.scenario
    in_force = [t for t in s.tariffs if t.cancelled is None]
    first = min((t.effective for t in in_force), default=None)
    # firms act on a tariff once it is announced (they re-source ahead of it)
    known = min((t.announced or t.effective for t in in_force), default=None)
    if known is not None and departs >= known.strftime("%Y-%m"):
        return []
    events = [e for e in _events(s) if first is None or e[0] < first.strftime("%Y-%m")]
    name = baseline.scenario.name
    if first is None:
        head = f"The scenario levies no tariff; it departs from `{name}` in {departs} through:"
    else:
        head = (
            f"The run departs from `{name}` in {departs}, before its first tariff takes effect "
            f"({first}), so the differences until then are not tariffs. What moves it earlier:"
        )
    out = ["", head, ""]
    out += [f"- {month}: {text}" for month, text in events]
    return out


def _events(s: Scenario) -> list[tuple[str, str]]:
    """The scenario's shocks and tariff announcements with the month each starts, in order."""
    mech = s.mechanisms
    out: list[tuple[str, str]] = []
    ai = s.shocks.ai_capex
    if ai is not None and mech.ai_capex:
        month, value = min(ai.path.items())
        out.append(
            (
                month,
                f"the AI-capex path (`shocks.ai_capex`) starts, at {value:+g} $bn a month "
                "against 2024",
            )
        )
    if mech.dollar:
        for fx in s.shocks.exchange_rates:
            month, value = min(fx.path.items())
            currency = "the dollar" if fx.region == "USA" else f"{fx.region}'s currency"
            out.append(
                (
                    month,
                    f"the path of {currency} (`shocks.exchange_rates`) starts, at {value:g} "
                    f"times its 2024 value ({100 * (value - 1):+.1f}%; "
                    + (
                        "a stronger currency makes its exports dearer abroad)"
                        if value > 1
                        else "a weaker currency makes its exports cheaper abroad)"
                    ),
                )
            )
        for flow in s.shocks.capital_inflows:
            out.append(
                (
                    flow.start,
                    f"capital inflows into {flow.region} (`shocks.capital_inflows`), "
                    f"{flow.usd_bn_per_month:g} $bn a month",
                )
            )
    for shock in s.shocks.demand:
        out.append(
            (shock.start, f"a {shock.change:+g}% demand shock in {shock.region} (`shocks.demand`)")
        )
    if mech.front_loading:
        announced: dict[str, list[str]] = {}
        for t in s.tariffs:
            if t.announced is not None and t.announced < t.effective:
                announced.setdefault(t.announced.strftime("%Y-%m"), []).append(
                    f"`{t.id or t.imposer}`"
                )
        for month, ids in announced.items():
            out.append(
                (month, f"importers learn of {', '.join(ids)} and buy ahead (front-loading)")
            )
    return sorted(out)


def _switching(result: SimulationResult) -> str:
    """State-dependent switching, in plain words, with this run's busiest month."""
    m = result.model
    us = m.data.region_index("USA")
    spend = m.spending[:, us, :]
    share = (m.switched[:, us, :] * spend).sum(axis=1) / spend.sum(axis=1)
    peak = int(share.argmax())
    hazard = 100 * m.params.adjustment_speed
    return (
        "- Each buyer switches suppliers only when the saving it expects beats its own cost of "
        "switching, and it weighs how long the saving will last: a tariff announced to stay "
        "counts in full, one due to end or merely threatened counts less, and a currency swing "
        "is expected to fade. Small or passing price gaps therefore move only the buyers whose "
        f"contracts run out (about {hazard:.0f}% a month); a large lasting one moves many at "
        f"once. In this run the busiest month for US buyers was {m.month_label(peak)}, when "
        f"{100 * share[peak]:.0f}% of their purchases were re-sourced. Foreign exporters who no "
        "longer cover their costs stop selling to the US, and others start where a market "
        "opens up."
    )


def _why(result: SimulationResult) -> list[str]:
    """The channels at work in this scenario, in plain words."""
    s, m = result.scenario, result.model
    mech = s.mechanisms
    out = []
    us_tariffs = [t for t in s.tariffs if t.imposer == "USA" and t.cancelled is None]
    if us_tariffs:
        passed = 100 * (m.rho if mech.pass_through else 1.0)
        out.append(
            f"- US tariffs raise what buyers pay for imports (about {passed:.0f}% of each tariff "
            "is passed on to them; foreign exporters absorb the rest). Buyers switch to US "
            "producers and to partners not taxed."
        )
        if mech.switching_frictions:
            out.append(_switching(result))
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
    if mech.gold and s.shocks.gold is not None:
        out.append(
            "- Gold bars: while tariff threats held the New York gold price above London's, "
            "traders flew bars to New York (untaxed), mostly from Switzerland. They count as "
            "imports in the trade balance but not in GDP; the table below gives the goods "
            "balance with and without them."
        )
    if mech.macro and us_tariffs:
        out.append(
            "- Tariff revenue tightens the US budget, which trims spending a little, imports "
            "included (twin deficits)."
        )
    return out or ["- No policy or shock changes: trade grows along each region's baseline."]
