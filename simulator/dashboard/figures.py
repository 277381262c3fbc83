"""The dashboard's plots: interactive (values on hover), drawn with plotly, offline.

Each figure is a small HTML document shown in an ``<iframe srcdoc>``; its script tag loads
plotly's JavaScript from the dashboard's own server (:data:`PLOTLY_URL`, served from the
plotly package by :mod:`simulator.dashboard.server`), so nothing is fetched from elsewhere.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.dashboard.runs import BN, PARTNER_NAMES, RunView

PLOTLY_URL = "/tradesim/plotly.min.js"
COLORS = ["#222222", "#d62728", "#1f77b4", "#2ca02c"]
PUBLISHED = dict(color="#ff7f0e", dash="dot", width=2)
PARTNER_GROUPS = {
    "China": ["CHN"],
    "EU": ["EU"],
    "North America (Mexico, Canada)": ["MEX", "CAN"],
    "Asia (Vietnam, Japan, Korea, Taiwan, India)": ["VNM", "JPN", "KOR", "TWN", "IND"],
    "Others (Switzerland, UK, rest of world)": ["CHE", "GBR", "ROW"],
}


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, font=dict(size=15), x=0.01, xanchor="left"),
        height=height,
        # panels' own titles need room under the figure's, or they meet on a phone
        margin=dict(l=50, r=10, t=70 if fig.layout.annotations else 45, b=10),
        hovermode="x unified",
        legend=dict(orientation="h", yanchor="top", y=-0.08, x=0, font=dict(size=12)),
        font=dict(size=12),
        template="plotly_white",
    )
    return fig


def html_document(fig: go.Figure) -> str:
    """A whole HTML page for an iframe: the figure, and plotly from this server."""
    body = fig.to_html(
        include_plotlyjs=PLOTLY_URL,
        full_html=False,
        config={"responsive": True, "displaylogo": False, "displayModeBar": False},
        default_width="100%",
        default_height=f"{fig.layout.height}px",
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>html,body{margin:0;padding:0;overflow:hidden}</style></head>"
        f"<body>{body}</body></html>"
    )


def iframe_attributes(fig: go.Figure) -> dict[str, str]:
    return {
        "srcdoc": html_document(fig),
        "title": html.escape(str(fig.layout.title.text or "plot")),
        "class": "tradesim-plot",
        "style": f"width:100%; height:{fig.layout.height + 30}px; border:0",
    }


def _published(series: str) -> pd.Series | None:
    """Published monthly US figures (Census/BEA, US$ bn) from the package's history data."""
    from simulator.analysis.validation import history_table

    table = history_table("us_monthly")
    rows = table[table.series == series]
    if rows.empty:
        return None
    return pd.Series(
        rows.value_usd_bn.to_numpy(), index=pd.to_datetime(rows.month.to_numpy())
    ).sort_index()


def shows_history(runs: list[RunView]) -> bool:
    """Published 2024–25 data go beside runs of us_2025 (the real 2025 timeline) and of the
    scenarios that extend it, bundled or uploaded: they cover the same months."""
    return any(r.extends("us_2025") for r in runs)


def clean(values) -> np.ndarray:
    """Values with floating-point noise (|x| < 1e-9) and −0.0 turned into 0."""
    array = np.asarray(values, dtype=float)
    return np.where(np.abs(array) < 1e-9, 0.0, array) + 0.0


def us_trade(runs: list[RunView], names: list[str]) -> go.Figure:
    """US balance, imports and exports (goods and services) per run, and the published
    months for us_2025."""
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("Trade balance", "Imports", "Exports"),
    )
    history = shows_history(runs)
    for row, column in enumerate(["balance", "imports", "exports"], start=1):
        for k, (run, name) in enumerate(zip(runs, names, strict=True)):
            fig.add_trace(
                go.Scatter(
                    x=run.us.index,
                    y=clean(run.us[column] / BN),
                    name=name,
                    legendgroup=name,
                    showlegend=row == 1,
                    line=dict(color=COLORS[k % 4], width=2),
                    hovertemplate="%{y:,.1f}",
                ),
                row=row,
                col=1,
            )
        if history and (published := _published(column)) is not None:
            fig.add_trace(
                go.Scatter(
                    x=published.index,
                    y=published.to_numpy(),
                    name="published (Census/BEA)",
                    legendgroup="published",
                    showlegend=row == 1,
                    line=PUBLISHED,
                    hovertemplate="%{y:,.1f}",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="US$ bn a month", row=row, col=1)
    return _layout(fig, "US trade, monthly (US$ bn)", 620)


def tariffs(runs: list[RunView], names: list[str]) -> go.Figure:
    """US tariff revenue and the average tariff paid; published customs duties for us_2025."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=("Tariff revenue, US$ bn a month", "Average tariff paid, %"),
    )
    for k, (run, name) in enumerate(zip(runs, names, strict=True)):
        style = dict(color=COLORS[k % 4], width=2)
        fig.add_trace(
            go.Scatter(
                x=run.us.index,
                y=clean(run.us.tariff_revenue / BN),
                name=name,
                legendgroup=name,
                line=style,
                hovertemplate="%{y:,.1f}",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=run.us.index,
                y=clean(100 * run.us.effective_tariff_rate),
                name=name,
                legendgroup=name,
                showlegend=False,
                line=style,
                hovertemplate="%{y:.1f}%",
            ),
            row=2,
            col=1,
        )
    if shows_history(runs):
        from simulator.analysis.validation import history_table

        duties = history_table("customs_revenue")
        duties = duties[duties.series == "customs_duties"]
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(duties.month.to_numpy()),
                y=duties.value_usd_bn.to_numpy(),
                name="published customs duties (Treasury)",
                line=PUBLISHED,
                hovertemplate="%{y:,.1f}",
            ),
            row=1,
            col=1,
        )
    return _layout(fig, "US tariffs", 480)


def who_pays(run: RunView, name: str) -> go.Figure:
    """Who pays for the US tariffs in one run, by year."""
    parts = {
        "buyers_cost": ("paid by US buyers", "#d62728"),
        "exporters_absorbed": ("absorbed by foreign exporters", "#1f77b4"),
        "deadweight_loss": ("deadweight loss (trade that stops)", "#888888"),
        "exporters_burden_abroad": ("borne by US exporters (retaliation)", "#2ca02c"),
    }
    fig = go.Figure()
    years = [str(y) for y in run.who_pays.index]
    for column, (label, color) in parts.items():
        if column in run.who_pays and run.who_pays[column].notna().any():
            fig.add_trace(
                go.Bar(
                    x=years,
                    y=clean(run.who_pays[column] / BN),
                    name=label,
                    marker_color=color,
                    hovertemplate="%{y:,.1f} bn",
                )
            )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="US$ bn a year")
    return _layout(fig, f"Who pays for US tariffs — {name}", 430)


def costs(run: RunView, name: str, year: int) -> go.Figure:
    """What it costs in one run: US real income and its parts by year beside GDP as counted,
    and the extra cost of purchases by household income decile in ``year``."""
    deciles = None
    if run.households is not None and year in run.households.index.levels[0]:
        deciles = run.households.xs(year, level="year")
        deciles = deciles[deciles.index != "all"]
    titles = ["Real income and its parts, $bn a year"]
    if deciles is not None:
        titles.append(f"Extra cost by income decile, {year}, %")
    fig = make_subplots(rows=len(titles), cols=1, vertical_spacing=0.2, subplot_titles=titles)
    years = [str(y) for y in run.annual.index]
    for column, label, color in (
        ("consumers_change", "consumers", "#d62728"),
        ("producers_change", "producers", "#1f77b4"),
        ("revenue_change", "tariff revenue", "#2ca02c"),
    ):
        fig.add_trace(
            go.Bar(
                x=years,
                y=clean(run.annual[column] / BN),
                name=label,
                marker_color=color,
                hovertemplate="%{y:,.1f} bn",
            ),
            row=1,
            col=1,
        )
    for column, label, style in (
        ("real_income_change", "real income (their sum)", dict(color="black", size=10)),
        ("gdp_change", "GDP as counted", dict(color="#666", size=10, symbol="diamond-open")),
    ):
        fig.add_trace(
            go.Scatter(
                x=years,
                y=clean(run.annual[column] / BN),
                name=label,
                mode="markers",
                marker=style,
                hovertemplate="%{y:,.1f} bn",
            ),
            row=1,
            col=1,
        )
    if deciles is not None:
        labels = [str(g) for g in deciles.index]
        fig.add_trace(
            go.Bar(
                x=labels,
                y=clean(deciles.share_of_spending),
                name="% of spending",
                marker_color="#ff7f0e",
                hovertemplate="%{y:.2f}% of spending",
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=clean(deciles.share_of_income),
                name="% of after-tax income (upper bound)",
                mode="markers",
                marker=dict(color="black", symbol="triangle-up", size=10),
                hovertemplate="%{y:.2f}% of income",
            ),
            row=2,
            col=1,
        )
        fig.update_xaxes(title_text="household income decile (1: lowest)", row=2, col=1)
    fig.update_layout(barmode="group")
    _layout(fig, f"What it costs — {name}", 640 if deciles is not None else 420)
    if deciles is not None:  # the legend below the deciles' axis title, not over it
        fig.update_layout(legend_y=-0.12)
    return fig


def costs_sentences(run: RunView, year: int) -> list[str]:
    """One plain sentence for each half of :func:`costs`."""
    if year not in run.annual.index:
        return []
    row = run.annual.loc[year]
    change = row.real_income_change / BN
    lines = [
        f"In {year}, US real income is {abs(change):,.1f} billion dollars "
        f"{'lower' if change < 0 else 'higher'} than with no new policies "
        f"({row.real_income_change_pct:+.2f}% of GDP), while GDP as counted is "
        f"{row.gdp_change / BN:+,.1f} billion: consumers lose {-row.consumers_change / BN:,.1f}, "
        f"producers {'gain' if row.producers_change >= 0 else 'lose'} "
        f"{abs(row.producers_change) / BN:,.1f} and the Treasury collects "
        f"{row.revenue_change / BN:,.1f} billion more."
    ]
    if run.households is not None and year in run.households.index.levels[0]:
        h = run.households.xs(year, level="year")
        low, top, everyone = h.iloc[0], h.iloc[-2], h.loc["all"]
        lines.append(
            f"The average household pays ${everyone.cost:,.0f} more a year for what it buys "
            f"(${everyone.cost_pre:,.0f} before switching suppliers); the lowest-income tenth "
            f"{low.share_of_spending:.2f}% of its spending (up to {low.share_of_income:.1f}% of "
            f"its income), the top tenth {top.share_of_spending:.2f}% "
            f"({top.share_of_income:.1f}% of income)."
        )
    return lines


def partners(run: RunView, name: str, chosen: list[str]) -> go.Figure:
    """The US goods balance with the chosen partner groups (a group sums its members)."""
    fig = go.Figure()
    history = None
    if shows_history([run]):
        from simulator.analysis.validation import history_table

        history = history_table("us_partner_monthly")
    for k, group in enumerate(chosen):
        members = [p for p in PARTNER_GROUPS.get(group, [group]) if p in run.partners]
        if not members:
            continue
        color = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"][k % 5]
        fig.add_trace(
            go.Scatter(
                x=run.partners.index,
                y=clean(run.partners[members].sum(axis=1) / BN),
                name=group,
                line=dict(color=color, width=2),
                hovertemplate="%{y:,.1f}",
            )
        )
        if history is not None:
            rows = history[history.partner.isin(members) & (history.series == "goods_balance")]
            if rows.partner.nunique() == len(members) and not rows.empty:
                sums = rows.groupby("month").value_usd_bn.sum()
                fig.add_trace(
                    go.Scatter(
                        x=pd.to_datetime(sums.index.to_numpy()),
                        y=sums.to_numpy(),
                        name=f"{group}, published",
                        line=dict(color=color, dash="dot", width=2),
                        hovertemplate="%{y:,.1f}",
                    )
                )
    fig.update_yaxes(title_text="US$ bn a month")
    return _layout(fig, f"US goods balance by partner — {name}", 460)


def sectors(runs: list[RunView], names: list[str]) -> go.Figure:
    """Change in the US balance by sector, last complete year against the first, per run."""
    fig = go.Figure()
    if any(len(r.sectors) < 2 for r in runs):
        fig.add_annotation(text="needs two complete calendar years", showarrow=False)
        return _layout(fig, "Which sectors moved the US balance", 300)
    changes = [(r.sectors.iloc[-1] - r.sectors.iloc[0]) / BN for r in runs]
    first, last = int(runs[-1].sectors.index[0]), int(runs[-1].sectors.index[-1])
    order = list(changes[-1].sort_values().index)
    for k, (change, name) in enumerate(zip(changes, names, strict=True)):
        fig.add_trace(
            go.Bar(
                y=[s.replace("_", " ") for s in order],
                x=clean(change.reindex(order)),
                orientation="h",
                name=name,
                marker_color=COLORS[k % 4],
                hovertemplate="%{x:,.1f} bn",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=f"US balance, {last} minus {first}, US$ bn a year")
    return _layout(fig, "Which sectors moved the US balance", 520)


def partner_label(code: str) -> str:
    return PARTNER_NAMES.get(code, code)


def game_scores(board: pd.DataFrame, measure: str, measure_label: str) -> go.Figure:
    """The tariff war by quarter: each team's score measure, consumer cost and revenue."""
    fig = make_subplots(  # stacked: three panels side by side do not fit a phone
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(
            measure_label,
            "Consumer cost, US$ bn in the quarter",
            "Tariff revenue, US$ bn in the quarter",
        ),
    )
    colors = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
    for k, (team, rows) in enumerate(board.groupby("team", sort=False)):
        for col, column in enumerate([measure, "consumer_cost", "tariff_revenue"], start=1):
            fig.add_trace(
                go.Scatter(
                    x=rows["quarter"],
                    y=clean(rows[column]),
                    name=team,
                    legendgroup=team,
                    showlegend=col == 1,
                    mode="lines+markers",
                    line=dict(color=colors[k % 6]),
                    hovertemplate="%{y:,.2f}",
                ),
                row=col,
                col=1,
            )
    for row in (1, 2, 3):
        values = clean(board[[measure, "consumer_cost", "tariff_revenue"][row - 1]])
        if np.all(values == 0):  # an all-zero game: a plain axis around 0, no 1e-14 noise
            fig.update_yaxes(range=[-1, 1], row=row, col=1)
    return _layout(fig, "The tariff war, quarter by quarter", 620)


def fmt(value: float, digits: int = 1) -> str:
    """A number for a table: thousands separators, no −0.0, n/a for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = round(float(value), digits) + 0.0
    return f"{value:,.{digits}f}".replace("-", "−")
