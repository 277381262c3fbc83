"""What a run cost: price indices, real GDP, real income and its parts, households.

Reads a finished model's records and hands plain arrays to :mod:`simulator.costs`. Money is
US dollars at base-year (2024) prices and exchange rates; a price index is 1 on the
no-policy path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.calibration.dataset import RESIDUAL_SECTOR
from simulator.costs import households as household_costs
from simulator.costs.prices import consumer_price_index, producer_price_index
from simulator.costs.supply_chains import final_demand_share
from simulator.costs.welfare import RealIncome, real_gdp, real_income_change

if TYPE_CHECKING:
    from simulator.engine.worlds import MemberAccess
    from simulator.results.result import SimulationResult
    from simulator.scenario.schema import Scenario

BN = 1e9

MACRO_COLUMNS = [
    "gdp_change",
    "real_gdp_change",
    "consumer_price_index",
    "consumer_price_index_pre",
    "producer_price_index",
    "real_gdp",
    "real_income_change",
    "real_income_change_pct",
    "consumers_change",
    "producers_change",
    "revenue_change",
    "terms_of_trade",
    "efficiency",
]
"""Columns :attr:`SimulationResult.macro` gets from here, per region and month:

``gdp_change`` and ``real_gdp_change``: nominal GDP (US$ at the month's prices) and real GDP
against the no-policy path; ``consumer_price_index`` after buyers substitute,
``consumer_price_index_pre`` before (the base-year basket at today's prices);
``producer_price_index`` (base-year output weights); ``real_gdp`` (US$ at base-year prices, a
monthly flow); ``real_income_change`` against the no-policy path (US$ a month) and as a
percentage of the baseline's GDP, with its parts ``consumers_change + producers_change +
revenue_change`` and, split the other way, ``terms_of_trade + efficiency``. Households are in
:attr:`RunCosts.households`."""

ALL_HOUSEHOLDS = "all"


@dataclass
class RunCosts:
    """The cost measures of one run (see :data:`MACRO_COLUMNS`)."""

    model: MemberAccess

    @cached_property
    def _arrays(self) -> dict[str, np.ndarray]:
        """The measures over the months run so far (all of them once the run is over: a game
        reads a model it advances a quarter at a time)."""
        m = self.model
        data = m.data
        n = m.t
        diag = np.arange(data.n_regions)
        fx = m.fx_path[:n]
        trade_value = m.flows[:n] - self._gold()[:n]
        unit_values = m.unit_values[:n]
        quantity = np.divide(
            trade_value, unit_values, out=np.zeros_like(trade_value), where=unit_values > 0
        )
        baseline = m.baseline_flows[:n]
        output0 = m.flows0.sum(axis=1)
        sector_prices = m.sector_prices[:n]
        income = real_income_change(
            sector_price=sector_prices,
            composite_quantity=m.spending[:n] / fx[:, :, None] / sector_prices,
            final_share=final_demand_share(m.input_coefficients, output0, m.spending0),
            demand_elasticity=m.params.composite_demand_elasticity,
            producer_price=m.prices[:n],
            unit_cost=m.unit_costs[:n],
            quantity=quantity,
            baseline_quantity=baseline,
            unit_value=unit_values,
            fx=fx,
            revenue=m.revenue[:n].sum(axis=(1, 3)),
            baseline_revenue=(baseline * m.tau0).sum(axis=(1, 3)),
        )
        weights = data.consumption_share
        margins = data.margin_share
        if weights is None:  # a data set without consumption data: base-year purchases' mix
            weights = m.spending0 / m.spending0.sum(axis=1, keepdims=True)
        if margins is None:
            margins = np.zeros_like(weights)
        margin_price = self._margin_price()[:n]
        cpi = consumer_price_index(weights, margins, sector_prices, margin_price)
        cpi_pre = consumer_price_index(weights, margins, m.sector_prices_pre[:n], margin_price)
        foreign = trade_value.copy()
        foreign[:, diag, diag] = 0.0
        nx = foreign.sum(axis=(2, 3)) - foreign.sum(axis=(1, 3))
        absorption = (m.baseline_gdp_month[:n] + m.gdp_gap[:n] - nx) / fx  # local currency
        return {
            "consumer_price_index": cpi,
            "consumer_price_index_pre": cpi_pre,
            "producer_price_index": producer_price_index(output0, m.prices[:n]),
            "real_gdp": real_gdp(absorption, cpi, quantity) * BN,
            "income": income,
            "margin_price": margin_price,
        }

    def _gold(self) -> np.ndarray:
        """Gold bars in each cell (a stock moved, not goods bought)."""
        m = self.model
        bars = np.zeros_like(m.flows)
        if m.gold_flows.any():
            bars[..., m.gold_sector] = m.gold_flows
        return bars

    def _margin_price(self) -> np.ndarray:
        """Price of trade and transport margins ``[month, region]``: the region's producer
        price of its residual services sector (1 where the data set has none)."""
        m = self.model
        sector = RESIDUAL_SECTOR["services"]
        if sector not in m.data.sectors:
            return np.ones(m.fx_path.shape)
        return m.prices[:, :, m.data.sector_index(sector)]

    @property
    def real_income(self) -> RealIncome:
        return self._arrays["income"]

    def columns(self) -> dict[str, np.ndarray]:
        """:data:`MACRO_COLUMNS` as ``[month, region]`` arrays."""
        m = self.model
        a = self._arrays
        income: RealIncome = a["income"]
        baseline_gdp = m.baseline_gdp_month[: m.t]
        columns = {
            "gdp_change": m.gdp_gap[: m.t] * BN,
            "real_gdp_change": a["real_gdp"] - baseline_gdp * BN,
            "consumer_price_index": a["consumer_price_index"],
            "consumer_price_index_pre": a["consumer_price_index_pre"],
            "producer_price_index": a["producer_price_index"],
            "real_gdp": a["real_gdp"],
            "real_income_change": income.total * BN,
            "real_income_change_pct": income.total / baseline_gdp * 100.0,
            "consumers_change": income.consumers * BN,
            "producers_change": income.producers * BN,
            "revenue_change": income.revenue * BN,
            "terms_of_trade": income.terms_of_trade * BN,
            "efficiency": income.efficiency * BN,
        }
        if m.t < m.n_months:  # months not run yet: not a number
            gap = np.full((m.n_months - m.t, m.data.n_regions), np.nan)
            columns = {k: np.concatenate([v, gap]) for k, v in columns.items()}
        return columns

    def real_income_per_household(self) -> pd.Series | None:
        """The households' region's real-income change per household, US$ a year, by month
        (``None`` without households)."""
        m = self.model
        h = m.data.households
        if h is None or h.region not in m.data.regions:
            return None
        r = m.data.region_index(h.region)
        per_household = self.real_income.total[:, r] * 12.0 * BN / h.count.sum()
        return pd.Series(per_household, index=self._months, name="real_income_per_household")

    @cached_property
    def households_by_year(self) -> pd.DataFrame | None:
        """:func:`annual_households`'s table (made once)."""
        return _households_by_year(self)

    @cached_property
    def _months(self) -> pd.DatetimeIndex:
        """The months run so far (as :attr:`_arrays` covers them)."""
        m = self.model
        return pd.to_datetime([m.month_label(t) for t in range(m.t)])

    @cached_property
    def households(self) -> pd.DataFrame | None:
        """Cost per household by income decile and for all households together (group
        ``all``, household-weighted means), every month, in US$ a year at the month's prices:
        month, region, group, households, income (after tax), spending (at base-year prices),
        cost and cost_pre (after and before substitution), share_of_income and
        share_of_spending (%). ``None`` when the data set has no households in the model's
        regions."""
        if self._households is None:
            return None
        region, labels, series = self._households
        n_t, n_g = series["cost"].shape
        return pd.DataFrame(
            {
                "month": np.repeat(self._months, n_g),
                "region": region,
                "group": pd.Categorical(np.tile(labels, n_t), categories=labels),
                **{k: v.ravel() for k, v in series.items()},
            }
        )

    @cached_property
    def _households(self) -> tuple[str, list[str], dict[str, np.ndarray]] | None:
        """:attr:`households`' region, groups and columns, each ``[month, group]``."""
        m = self.model
        h = m.data.households
        if h is None or h.region not in m.data.regions:
            return None
        r = m.data.region_index(h.region)
        margins = np.zeros(m.data.n_sectors)
        if m.data.margin_share is not None:
            margins = m.data.margin_share[r]
        margin_price = self._arrays["margin_price"][:, r]
        cost = household_costs.household_cost(
            h.spending, margins, m.sector_prices[: m.t, r], margin_price
        )
        cost_pre = household_costs.household_cost(
            h.spending, margins, m.sector_prices_pre[: m.t, r], margin_price
        )
        spending = h.spending.sum(axis=1)
        count = h.count
        # all households: household-weighted means, as one more group
        cost = np.column_stack([cost, household_costs.average(cost, count)])
        cost_pre = np.column_stack([cost_pre, household_costs.average(cost_pre, count)])
        income = np.append(h.income, h.income @ count / count.sum())
        spending = np.append(spending, spending @ count / count.sum())
        count = np.append(count, count.sum())
        n_t = len(cost)
        series = {
            "households": np.tile(count, (n_t, 1)),
            "income": np.tile(income, (n_t, 1)),
            "spending": np.tile(spending, (n_t, 1)),
            "cost": cost,
            "cost_pre": cost_pre,
            "share_of_income": cost / income * 100.0,
            "share_of_spending": cost / spending * 100.0,
        }
        return h.region, [*h.labels, ALL_HOUSEHOLDS], series


def annual_households(result: SimulationResult) -> pd.DataFrame | None:
    """Household costs by calendar year (complete years) and group: means of the monthly
    annual rates, with the real-income change per household (US$ a year) for ``all``."""
    return result.costs.households_by_year


def _households_by_year(costs: RunCosts) -> pd.DataFrame | None:
    from simulator.results.result import complete_years, grouped

    if costs._households is None:
        return None
    _, labels, series = costs._households
    year, years, full = complete_years(costs._months)
    n_g = len(labels)
    # rows month by month, group by group (as :attr:`RunCosts.households`), keyed by both
    monthly = np.stack(list(series.values()), axis=2).reshape(-1, len(series))
    keys = np.repeat(year.astype(np.int64) * n_g, n_g) + np.tile(np.arange(n_g), len(year))
    means = grouped(monthly, keys, "mean").reshape(-1, n_g, len(series))[full]
    index = pd.MultiIndex.from_product(
        [years, pd.CategoricalIndex(labels, categories=labels, name="group")]
    )
    table = pd.DataFrame(means.reshape(-1, len(series)), index=index, columns=list(series))
    per_household = costs.real_income_per_household().to_numpy()[:, None]
    everyone = np.full((len(years), n_g), np.nan)
    everyone[:, labels.index(ALL_HOUSEHOLDS)] = grouped(per_household, year, "mean")[full, 0]
    table["real_income_change"] = everyone.ravel()
    return table


def shocks_in(scenario: Scenario) -> list[tuple[str, str, str]]:
    """The scenario's shocks that move it away from the no-policy path besides its tariffs,
    and move real income and GDP (gold bars move neither): (key, what it is, the mechanism
    that switches it off, or "" for none). A shock that changes nothing (a path of zeros, a
    currency held at its 2024 value) is not one."""
    mech, shocks = scenario.mechanisms, scenario.shocks
    ai = shocks.ai_capex
    found = [
        (
            "shocks.ai_capex",
            "the AI-capex path",
            "ai_capex",
            mech.ai_capex and ai is not None and any(v != 0 for v in ai.path.values()),
        ),
        (
            "shocks.exchange_rates",
            "the currencies' paths",
            "dollar",
            mech.dollar and any(v != 1 for fx in shocks.exchange_rates for v in fx.path.values()),
        ),
        (
            "shocks.capital_inflows",
            "capital inflows",
            "dollar",
            mech.dollar and any(f.usd_bn_per_month != 0 for f in shocks.capital_inflows),
        ),
        ("shocks.demand", "demand shocks", "", any(d.change != 0 for d in shocks.demand)),
    ]
    return [(key, text, switch) for key, text, switch, present in found if present]


def listed(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def _shocks_sentence(shocks: list[tuple[str, str, str]]) -> str:
    """Say that the run's shocks are in its costs, and how to leave them out."""
    named = listed([f"{text} (`{key}`)" for key, text, _ in shocks])
    ways = [f"`--set mechanisms.{m}=false`" for m in dict.fromkeys(m for *_, m in shocks if m)]
    if any(not m for *_, m in shocks):
        ways.append("a copy of the scenario without `shocks.demand`")
    return (
        f"- These figures are the whole scenario's, its shocks' as well as its tariffs': {named} "
        f"move real income and GDP too. For the tariffs' part, run it again without them "
        f"({', '.join(ways)}) and compare."
    )


def what_it_costs_markdown(result: SimulationResult, region: str = "USA") -> list[str]:
    """The summary's first section: real income, prices and households, year by year."""
    from simulator.results.summary import markdown_table

    if region not in result.regions:
        return []
    annual = result.annual(region)
    if annual.empty:
        return []
    years = [int(y) for y in annual.index]
    households = annual_households(result) if result.households is not None else None
    if households is not None and households.iloc[0].name[0] != years[0]:
        households = None
    everyone = households.xs(ALL_HOUSEHOLDS, level="group") if households is not None else None
    rows: dict[str, list[float]] = {
        "Real income, change, $bn": list(annual.real_income_change / BN),
        "Real income, change, % of GDP": list(annual.real_income_change_pct),
    }
    if everyone is not None:
        rows["Real income per household, change, $ a year"] = list(everyone.real_income_change)
        rows["Cost of purchases per household, $ a year"] = list(everyone.cost)
        rows["the same before substitution, $ a year"] = list(everyone.cost_pre)
    rows |= {
        "Consumer prices, change, %": list((annual.consumer_price_index - 1) * 100),
        "the same before substitution, %": list((annual.consumer_price_index_pre - 1) * 100),
        "Nominal GDP, change, $bn": list(annual.gdp_change / BN),
        "Real GDP, change, $bn": list(annual.real_gdp_change / BN),
        "Real income change: consumers, $bn": list(annual.consumers_change / BN),
        "producers, $bn": list(annual.producers_change / BN),
        "tariff revenue, $bn": list(annual.revenue_change / BN),
        "Split the other way: terms of trade, $bn": list(annual.terms_of_trade / BN),
        "efficiency, $bn": list(annual.efficiency / BN),
    }
    table = pd.DataFrame(rows, index=[str(y) for y in years]).T
    last = annual.iloc[-1]
    year = years[-1]

    def bn(x: float) -> str:
        return f"{'-' if x < 0 else '+'}${abs(x) / BN:,.1f}bn"

    def usd(x: float) -> str:
        return f"{'-' if x < 0 else '+'}${abs(x):,.0f}"

    per_household = ""
    if everyone is not None:
        per_household = f", {usd(everyone.loc[year, 'real_income_change'])} a year per household"
    lines = [
        f"Against the no-policy path (the same world without this scenario's policies and "
        f"shocks), in {year}:",
        "",
        f"- {region}'s real income changed by {bn(last.real_income_change)} "
        f"({last.real_income_change_pct:+.2f}% of GDP){per_household}; nominal GDP by "
        f"{bn(last.gdp_change)} and real GDP by {bn(last.real_gdp_change)}.",
        f"- Consumer prices were {(last.consumer_price_index - 1) * 100:+.2f}% "
        f"({(last.consumer_price_index_pre - 1) * 100:+.2f}% before buyers switched suppliers).",
    ]
    if everyone is not None:
        row = everyone.loc[year]
        more = "more" if row.cost >= 0 else "less"
        lines.append(
            f"- The average household paid ${abs(row.cost):,.0f} {more} a year for what it buys "
            f"(${abs(row.cost_pre):,.0f} before switching suppliers), "
            f"{abs(row.share_of_spending):.2f}% of its spending. Tariff revenue, producers' "
            "gains and better terms of trade give part of that back to the country; the trade "
            "lost does not."
        )
    lines.append(
        f"- Where it went: consumers {bn(last.consumers_change)}, producers "
        f"{bn(last.producers_change)}, tariff revenue {bn(last.revenue_change)}; or, split the "
        f"other way, terms of trade {bn(last.terms_of_trade)} (what exports fetch and imports "
        f"cost) and efficiency {bn(last.efficiency)} (trade and production that tariffs "
        "destroy or divert, and the other shocks' volume effects)."
    )
    shocks = shocks_in(result.scenario)
    if shocks:
        lines.append(_shocks_sentence(shocks))
    if last.gdp_change > 0 > last.real_income_change:
        lines.append(
            "- Nominal GDP rose while real income fell: GDP as it is counted grows when imports "
            "fall or investment rises, but what incomes buy at the new prices shrank "
            "(docs/costs.md)."
        )
    lines += ["", markdown_table(table), ""]
    if households is not None:
        deciles = households.xs(year, level="year")[
            ["income", "spending", "cost", "cost_pre", "share_of_income", "share_of_spending"]
        ]
        deciles.columns = [
            "after-tax income, $",
            "spending, $",
            "cost, $ a year",
            "before substitution, $",
            "% of income",
            "% of spending",
        ]
        deciles.index = [
            "all households" if g == ALL_HOUSEHOLDS else f"decile {g}" for g in deciles.index
        ]
        lines += [
            f"Cost of purchases by household income decile ({region}, {year}; spending on the "
            "national accounts' basis, which exceeds the survey incomes of the lowest deciles: "
            "read their share of income as an upper bound, docs/costs.md):",
            "",
            markdown_table(deciles, fmt=",.1f"),
            "",
        ]
    lines += [
        "Real income: what consumers, producers and the government gain or lose against the "
        "no-policy path, in dollars at 2024 prices (docs/costs.md). Before substitution: "
        "the 2024 basket at the new prices; after: what buyers actually buy.",
    ]
    return lines
