"""Independent calculations the tests compare the model against.

Nothing here calls the model's own functions: the base year is read from the bundled CSV
tables with pandas, tariff schedules are computed from a scenario's entries by hand (day
weights, add/set, exemptions, cancellations), the Armington answer is written out in loops,
and results are read only from a run's tidy output frames.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import simulator
from simulator import run_scenario
from simulator.results import SimulationResult

DATA = Path(simulator.__file__).resolve().parent / "data" / "base_2024"
BN = 1e9

ALL_OFF = {  # every channel off; a test switches on what it needs
    "pass_through": False,
    "diversion": False,
    "switching_frictions": False,
    "exporter_exit": False,
    "capacity": False,
    "front_loading": False,
    "retaliation": False,
    "ai_capex": False,
    "dollar": False,
    "macro": False,
    "services": False,
    "growth": False,
    "supply_chains": False,
}
FLAT_SUPPLY = 1e9  # a supply elasticity that makes producer prices constant


@dataclass(frozen=True)
class Tables:
    """The base year as the bundled CSV files state it."""

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    goods: np.ndarray
    flows: np.ndarray  # annual [origin, destination, sector], domestic sales on the diagonal
    tariff: np.ndarray  # fractions [origin, destination, sector]
    elasticity: np.ndarray
    growth: np.ndarray  # annual nominal growth, fraction, by region
    gdp: np.ndarray  # US$ bn a year
    parameters: dict[str, float]
    groups: dict[str, tuple[str, ...]]
    # US computers_semis AI hardware: 2024 origin shares (ai_hardware_origins.csv), by region
    ai_origin: np.ndarray

    def r(self, code: str) -> int:
        return self.regions.index(code)

    def rs(self, code: str) -> list[int]:
        """The regions a code stands for: itself, or a group's members (groups.csv)."""
        return [self.r(m) for m in self.groups.get(code, (code,))]

    def s(self, code: str) -> int:
        return self.sectors.index(code)


@cache
def tables() -> Tables:
    regions = pd.read_csv(DATA / "regions.csv")
    sectors = pd.read_csv(DATA / "sectors.csv")
    reg, sec = tuple(regions.region), tuple(sectors.sector)
    goods = (sectors.kind == "goods").to_numpy()
    flows = np.zeros((len(reg), len(reg), len(sec)))
    for row in pd.read_csv(DATA / "trade.csv").itertuples():
        flows[reg.index(row.exporter), reg.index(row.importer), sec.index(row.sector)] += (
            row.value_usd_bn
        )
    for row in pd.read_csv(DATA / "domestic.csv").itertuples():
        i = reg.index(row.region)
        flows[i, i, sec.index(row.sector)] += row.value_usd_bn
    # base tariffs: the most specific row wins (partner first, then sector); '*' sectors = goods
    tariff = np.zeros_like(flows)
    rows = pd.read_csv(DATA / "base_tariffs.csv")
    rows["rank"] = 2 * (rows.partner != "*") + (rows.sector != "*")
    for row in rows.sort_values("rank", kind="stable").itertuples():
        d = reg.index(row.imposer)
        origins = [o for o in range(len(reg)) if o != d] if row.partner == "*" else [row.partner]
        origins = [reg.index(o) if isinstance(o, str) else o for o in origins]
        secs = np.flatnonzero(goods) if row.sector == "*" else [sec.index(row.sector)]
        for o in origins:
            tariff[o, d, secs] = row.rate_pct / 100.0
    growth = pd.read_csv(DATA / "growth.csv").set_index("region").nominal_growth_pct
    params = pd.read_csv(DATA / "parameters.csv").set_index("parameter").value
    groups: dict[str, tuple[str, ...]] = {}
    if (DATA / "groups.csv").is_file():
        for row in pd.read_csv(DATA / "groups.csv").itertuples():
            groups[row.group] = (*groups.get(row.group, ()), row.member)
    ai = pd.read_csv(DATA / "ai_hardware_origins.csv")
    ai = ai[(ai.importer == "USA") & (ai.sector == "computers_semis")]
    ai_origin = np.zeros(len(reg))
    for row in ai.itertuples():
        ai_origin[reg.index(row.origin)] += row.share
    return Tables(
        regions=reg,
        sectors=sec,
        goods=goods,
        flows=flows,
        tariff=tariff,
        elasticity=sectors.armington_elasticity.to_numpy(float),
        growth=np.array([growth[r] / 100.0 for r in reg]),
        gdp=regions.gdp_usd_bn.to_numpy(float),
        groups=groups,
        parameters={str(k): float(v) for k, v in params.items()},
        ai_origin=ai_origin / ai_origin.sum(),
    )


# ---------------------------------------------------------------------- running scenarios
def spec_of(mechanisms: dict | None = None, **fields) -> dict:
    """A scenario dict: every channel off unless switched on."""
    return {
        "name": "test",
        "start": "2024-01",
        "end": "2026-12",
        "firms": {"count": 0},
        "mechanisms": {**ALL_OFF, **(mechanisms or {})},
        **fields,
    }


def run(mechanisms: dict | None = None, **fields) -> SimulationResult:
    """Run a scenario dict through the public API: every channel off unless switched on."""
    return run_scenario(spec_of(mechanisms, **fields))


def cube(result: SimulationResult) -> np.ndarray:
    """Customs-value flows ``[month, origin, destination, sector]`` ($bn) from the trade frame.

    Read from the importers' rows; domestic sales are not in the frame and stay zero.
    """
    t = tables()
    frame = result.trade
    rows = frame[frame.flow == "import"]
    m, months = pd.factorize(rows.month, sort=True)
    out = np.zeros((len(months), len(t.regions), len(t.regions), len(t.sectors)))
    o = _codes(rows.partner, t.regions)
    d = _codes(rows.reporter, t.regions)
    s = _codes(rows.sector, t.sectors)
    np.add.at(out, (m, o, d, s), rows.value_usd.to_numpy() / BN)
    return out


def _codes(column: pd.Series, names: tuple[str, ...]) -> np.ndarray:
    """Positions of a column's labels in ``names``."""
    labels = column.astype("category")
    position = np.array([names.index(str(c)) for c in labels.cat.categories])
    return position[labels.cat.codes.to_numpy()]


def macro(result: SimulationResult, region: str, column: str) -> np.ndarray:
    frame = result.macro
    return frame[frame.region == region][column].to_numpy()


def month_number(label: str) -> int:
    """Months since 2024-01 of ``YYYY-MM``."""
    year, month = map(int, label[:7].split("-"))
    return (year - 2024) * 12 + month - 1


def growth_path(n_months: int, first: int = 0) -> np.ndarray:
    """Each region's level relative to its 2024 monthly average: (1+g) ** ((m - 5.5) / 12)."""
    m = np.arange(first, first + n_months, dtype=float)[:, None]
    return (1.0 + tables().growth[None, :]) ** ((m - 5.5) / 12.0)


# ---------------------------------------------------------------------- tariff schedules
def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text if len(text) == 10 else text + "-01")


def days_in_force(start: str | dt.date, end: str | dt.date | None, n_months: int) -> np.ndarray:
    """Share of each month from 2024-01 inside ``[start, end)``."""
    start, end = _date(start), None if end is None else _date(end)
    out = np.zeros(n_months)
    for t in range(n_months):
        year, month = 2024 + t // 12, t % 12 + 1
        n_days = calendar.monthrange(year, month)[1]
        days = [dt.date(year, month, day) for day in range(1, n_days + 1)]
        out[t] = sum(start <= day and (end is None or day < end) for day in days) / n_days
    return out


def entry_cells(entry: dict) -> tuple[list[int], list[int], list[int]]:
    """Imposers, origins and sectors a tariff entry covers ('all' sectors: the goods).

    A group imposes through every member, and no one taxes trade inside its own group; a group
    partner or exemption stands for its members.
    """
    t = tables()
    partners = t.regions if entry.get("partners", "all") == "all" else entry["partners"]
    sectors = entry.get("sectors", "all")
    if sectors == "all":
        sectors = [s for s, g in zip(t.sectors, t.goods, strict=True) if g]
    imposers = t.rs(entry["imposer"])
    spared = set(imposers) | {i for p in entry.get("exempt_partners") or [] for i in t.rs(p)}
    for group, members in t.groups.items():  # a member never taxes its own customs union
        if entry["imposer"] in members:
            spared |= set(t.rs(group))
    origins = [i for p in partners for i in t.rs(p) if i not in spared]
    secs = [t.s(s) for s in sectors if s not in (entry.get("exempt_sectors") or [])]
    return imposers, origins, secs


def scheduled_rates(tariffs: list[dict], n_months: int) -> np.ndarray:
    """Rates ``[month, origin, destination, sector]`` a scenario's tariff entries set.

    Entries apply in order: 'add' stacks, 'set' replaces the whole rate (base included) on
    its cells while in force; a cancelled entry never applies; 'all' sectors means goods.
    """
    rates = np.repeat(tables().tariff[None], n_months, axis=0)
    for entry in tariffs:
        if entry.get("cancelled"):
            continue
        dests, origins, secs = entry_cells(entry)
        share = days_in_force(entry["effective"], entry.get("end"), n_months)
        rate = entry["rate"] / 100.0
        for d in dests:
            for o in origins:
                for s in secs:
                    if entry.get("mode", "add") == "add":
                        rates[:, o, d, s] += rate * share
                    else:
                        rates[:, o, d, s] = rates[:, o, d, s] * (1 - share) + rate * share
    return rates


# rules that reach only part of a cell's imports: their cells are left out of the checks here
PARTIAL = ("qualifying_exempt", "product_exempt", "in_transit", "not_stacked_with")


def is_partial(entry: dict) -> bool:
    return entry.get("coverage", 1.0) != 1.0 or any(entry.get(key) for key in PARTIAL)


# ---------------------------------------------------------------------- closed forms
def armington(
    rel_price: np.ndarray,
    tau: np.ndarray,
    spend_factor: np.ndarray | None = None,
    eta: float = 1.0,
    sigma_m: np.ndarray | None = None,
) -> np.ndarray:
    """Monthly customs-value flows of the two-level Armington system (GTAP nesting).

    Domestic against the import composite with half the elasticity across import origins;
    spending is the base year's (times ``spend_factor[destination]``, in dollars) times the
    CES price index to the power ``1 - eta``. ``rel_price`` is the landed price relative to
    the base year in the buyer's currency; ``tau`` the rates paid.
    """
    t = tables()
    v0 = t.flows / 12.0
    landed0 = v0 * (1 + t.tariff)
    spend0 = landed0.sum(axis=0)
    n_r, n_s = len(t.regions), len(t.sectors)
    sigma_m = t.elasticity if sigma_m is None else sigma_m
    factor = np.ones(n_r) if spend_factor is None else spend_factor
    flows = np.zeros_like(v0)
    for d in range(n_r):
        foreign = [o for o in range(n_r) if o != d]
        for s in range(n_s):
            sm, sd = sigma_m[s], t.elasticity[s] / 2
            a = landed0[:, d, s] / spend0[d, s]
            b = a[foreign] / a[foreign].sum()
            p = rel_price[:, d, s]
            if np.isclose(sm, 1.0):
                pm = np.exp((b * np.log(p[foreign])).sum())
                within = b
            else:
                within = b * p[foreign] ** (1 - sm) / (b * p[foreign] ** (1 - sm)).sum()
                pm = (b * p[foreign] ** (1 - sm)).sum() ** (1 / (1 - sm))
            top = np.array([a[d] * p[d] ** (1 - sd), (1 - a[d]) * pm ** (1 - sd)])
            index = top.sum() ** (1 / (1 - sd))
            spend = spend0[d, s] * factor[d] * index ** (1 - eta)
            shares = np.zeros(n_r)
            shares[d] = top[0] / top.sum()
            shares[foreign] = top[1] / top.sum() * within
            flows[:, d, s] = shares * spend / (1 + tau[:, d, s])
    return flows


def assert_close(actual: np.ndarray, expected: np.ndarray, rel: float, abs: float = 0.0) -> None:
    """Element-wise ``|actual - expected| <= abs + rel * |expected|`` (fast on big arrays)."""
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=abs)


def off_diagonal(flows: np.ndarray) -> np.ndarray:
    """The same flows with domestic sales (origin == destination) set to zero."""
    out = flows.copy()
    n = out.shape[-2]
    out[..., np.arange(n), np.arange(n), :] = 0.0
    return out


def interpolated(path: dict[str, float], n_months: int, before: float = 0.0) -> np.ndarray:
    """A ``{YYYY-MM: value}`` path by month from 2024-01: linear between points, held after the
    last, ``before`` before the first."""
    points = sorted((month_number(m), v) for m, v in path.items())
    out = np.full(n_months, before)
    for t in range(n_months):
        if t < points[0][0]:
            continue
        later = [p for p in points if p[0] >= t]
        if not later:
            out[t] = points[-1][1]
            continue
        (t1, v1), earlier = later[0], [p for p in points if p[0] <= t]
        t0, v0 = earlier[-1]
        out[t] = v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return out


def assert_revenue_follows_the_schedule(
    result: SimulationResult, flows: np.ndarray | None = None
) -> int:
    """Each cell's tariff revenue is the scenario's rate times the customs value traded.

    Rates come from the scenario's tariff entries (by hand, :func:`scheduled_rates`), values
    from the trade frame. Cells a rule-based retaliation, an AI-hardware exemption or an entry
    that reaches only part of a cell (coverage, USMCA or Annex II exemptions, goods in transit,
    non-stacking) touches are left out (their rates are not computed here). Returns the number
    of cells checked with a rate above the base year's.
    """
    scenario = result.scenario
    n = result.model.n_months
    assert scenario.start == "2024-01", "the schedule by hand starts in 2024-01"
    entries = [
        entry.model_dump()
        for entry in scenario.tariffs
        if scenario.mechanisms.retaliation or not entry.retaliation
    ]
    rates = scheduled_rates([e for e in entries if not is_partial(e)], n)
    checked = np.ones(rates.shape, dtype=bool)
    t = tables()
    for entry in filter(is_partial, entries):
        dests, origins, secs = entry_cells(entry)
        checked[np.ix_(range(n), origins, dests, secs)] = False
    if scenario.mechanisms.retaliation:
        for rule in scenario.retaliation:
            hit = [t.s(s) for s in rule.sectors]
            checked[np.ix_(range(n), t.rs(rule.target), t.rs(rule.imposer), hit)] = False
    ai = scenario.shocks.ai_capex
    if ai is not None and scenario.mechanisms.ai_capex:
        checked[:, :, t.rs(ai.region), t.s(ai.sector)] = False
    gold = scenario.shocks.gold
    if gold is not None and scenario.mechanisms.gold:  # duty-free bars in the gold sector
        checked[..., t.s(gold.sector)] &= result.model.gold_flows == 0.0
    flows = cube(result) if flows is None else flows
    expected = flows * rates
    recorded = result.model.revenue
    assert_close(recorded[checked], expected[checked], rel=1e-9, abs=1e-12)
    return int((checked & (rates > t.tariff[None] + 1e-12) & (flows > 0)).sum())
