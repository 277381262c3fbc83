"""The scenario schema: everything a YAML scenario file can set, validated by pydantic.

Rates are written in percent (``rate: 25`` is a 25% ad valorem tariff). Months are written
``YYYY-MM``; dates ``YYYY-MM-DD`` (a month alone means its first day). Region and sector codes
are checked against the calibration data set by the loader
(:mod:`simulator.scenario.loader`), which needs the data and so runs after this structural
validation.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from simulator.calendar import months_between

MAX_RATE_PCT = 1000.0
MAX_USD_BN_PER_MONTH = 10_000.0
"""Largest flow of dollars a scenario may set, $bn a month (US GDP is about 2,400)."""
FX_INDEX_RANGE = (0.01, 100.0)
"""Exchange-rate index values allowed (base = 1): a hundredfold move either way."""
MAX_GOLD_USD_PER_OZ = 100_000.0
"""Highest gold price, spread or arbitrage cost, $/oz (gold sold at about $2,600 in 2024)."""
MAX_GOLD_TONNES = 10_000.0
"""Most gold shipped in a month, tonnes (about three years of world mine output)."""

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _parse_month(value: Any) -> str:
    """Accept ``YYYY-MM`` (or a date, taken to its month); return ``YYYY-MM``."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        m = _MONTH_RE.match(value.strip())
        if m and 1 <= int(m.group(2)) <= 12:
            return value.strip()
    raise ValueError(f"expected a month written YYYY-MM (for example 2025-04), got {value!r}")


def _parse_date(value: Any) -> dt.date:
    """Accept ``YYYY-MM-DD`` or ``YYYY-MM`` (its first day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DATE_RE.match(text):
                return dt.date.fromisoformat(text)
            if _MONTH_RE.match(text):
                return dt.date.fromisoformat(text + "-01")
        except ValueError:
            if _DATE_RE.match(text) and 1 <= int(text[5:7]) <= 12:
                days = calendar.monthrange(int(text[:4]), int(text[5:7]))[1]
                raise ValueError(
                    f"{text} is not a day of the calendar: {text[:7]} has {days} days"
                ) from None
    raise ValueError(f"expected a date written YYYY-MM-DD or YYYY-MM, got {value!r}")


def yaml_number(value: float) -> str:
    """A float as YAML writes it: ``.nan``, ``.inf``, ``-.inf`` or the number."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _parse_rate(value: Any) -> float:
    """A rate in percent: a number (25) or a string with a percent sign ('25%')."""
    if isinstance(value, bool):
        raise ValueError("expected a rate in percent (a number such as 25), got a boolean")
    written = value.strip() if isinstance(value, str) else None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("%"):
            text = text[:-1]
        try:
            value = float(text)
        except ValueError:
            message = f"expected a rate in percent such as 25 or '25%', got {value!r}"
            raise ValueError(message) from None
    if not isinstance(value, int | float):
        raise ValueError(f"expected a rate in percent (a number such as 25), got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {written or yaml_number(value)}")
    if value < 0:
        raise ValueError(f"a rate cannot be negative, got {value}")
    if value > MAX_RATE_PCT:
        raise ValueError(f"a rate above {MAX_RATE_PCT:g}% is not plausible, got {value}")
    return value


Month = Annotated[str, BeforeValidator(_parse_month)]
Date = Annotated[dt.date, BeforeValidator(_parse_date)]
RatePct = Annotated[float, BeforeValidator(_parse_rate)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
UsdBnPerMonth = Annotated[float, Field(ge=-MAX_USD_BN_PER_MONTH, le=MAX_USD_BN_PER_MONTH)]
FxIndex = Annotated[float, Field(ge=FX_INDEX_RANGE[0], le=FX_INDEX_RANGE[1])]
GoldSpreadUsd = Annotated[float, Field(ge=-MAX_GOLD_USD_PER_OZ, le=MAX_GOLD_USD_PER_OZ)]
CodeList = Literal["all"] | list[str]


SAFE_NAME_RE = r"^(?!.*\.\.)[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}$"


def _safe_name(value: Any) -> Any:
    """A scenario name is a safe slug: it names the default output folder."""
    if isinstance(value, str) and not re.fullmatch(SAFE_NAME_RE, value):
        raise ValueError(
            f"{value!r} is not a safe name: it names the output folder, so use at most 80 "
            "letters, digits, '_', '-' and '.', starting with a letter, digit or '_' "
            "(no spaces, no '/', no '..')"
        )
    return value


SafeName = Annotated[str, AfterValidator(_safe_name)]


class Strict(BaseModel):
    """Base for every schema block: unknown keys are errors, never silently ignored, and every
    number is finite (``.nan``, ``.inf`` and ``-.inf`` are errors, in dict values and lists
    too)."""

    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


AUTHORITIES = (
    "mfn",
    "section_201",
    "section_232",
    "section_301",
    "section_122",
    "ieepa_fentanyl",
    "ieepa_reciprocal",
    "retaliation",
    "other",
)
Authority = Literal[AUTHORITIES]  # type: ignore[valid-type]
QUALIFYING_TABLES = ("usmca", "usmca_monthly")
PRODUCT_LISTS = ("annex_ii",)


class InTransit(Strict):
    """Goods already shipped when a tariff takes effect, exempt if entered before a deadline."""

    loaded_before: Date | None = Field(
        None, description="Goods loaded (shipped) before this date are exempt; default: effective."
    )
    entered_before: Date = Field(description="... if entered for consumption before this date.")


class Tariff(Strict):
    """An ad valorem tariff one government imposes on some partners and sectors."""

    id: str | None = Field(None, description="Name by which a child scenario overrides this entry.")
    imposer: str = Field(description="Region that levies the tariff, e.g. USA.")
    partners: CodeList = Field("all", description="Regions whose goods pay it, or 'all'.")
    sectors: CodeList = Field("all", description="Sectors it covers, or 'all'.")
    rate: RatePct = Field(description="Ad valorem rate in percent, e.g. 25.")
    mode: Literal["add", "set"] = Field(
        "add",
        description="'add' stacks on the base-year rate and earlier entries; 'set' makes "
        "this the whole rate on the covered cells (base-year rate included), replacing earlier "
        "entries while in force, as for an 'all-in' deal rate.",
    )
    announced: Date | None = Field(
        None, description="Date importers learn of it (front-loading); defaults to effective."
    )
    effective: Date = Field(description="Date it takes effect (YYYY-MM-DD).")
    end: Date | None = Field(None, description="Date it lapses, if any.")
    exempt_partners: list[str] = Field(default_factory=list)
    exempt_sectors: list[str] = Field(default_factory=list)
    authority: Authority | None = Field(
        None,
        description="Legal authority, for effective rates by authority: mfn, section_201, "
        "section_232, section_301, section_122, ieepa_fentanyl, ieepa_reciprocal, retaliation "
        "(a partner's counter-tariff) or other.",
    )
    coverage: Share = Field(
        1.0,
        description="Share of each covered partner x sector's imports the measure reaches "
        "(e.g. 0.52: vehicles within autos); the rest does not pay it.",
    )
    qualifying_exempt: Literal[QUALIFYING_TABLES] | None = Field(  # type: ignore[valid-type]
        None,
        description="Imports that qualify for a preference are exempt: 'usmca' exempts the "
        "share of US imports from Canada and Mexico, by sector, entered under USMCA in "
        "July-December 2025 (the Budget Lab tracker's baseline), 'usmca_monthly' the share of "
        "each month of 2025.",
    )
    product_exempt: Literal[PRODUCT_LISTS] | None = Field(  # type: ignore[valid-type]
        None,
        description="A bundled list of exempt products, as a share of each sector: 'annex_ii' "
        "(Annex II of EO 14257 with the 11 Apr 2025 electronics exemptions).",
    )
    in_transit: InTransit | None = Field(
        None,
        description="Goods in transit on the effective date pay the earlier rate (shipping "
        "time: parameters.inventory.lead_months).",
    )
    not_stacked_with: list[Authority] = Field(
        default_factory=list,
        description="Authorities that take precedence: on the share of a partner x sector "
        "their measures cover, this one does not apply (e.g. IEEPA yields to Section 232).",
    )
    retaliation: bool = Field(
        False,
        description="This entry is a partner's retaliation, enacted as a fixed schedule: it is "
        "switched off with the retaliation mechanism, like the rule-based retaliation.",
    )
    cancelled: Date | None = Field(
        None,
        description="Date an announced tariff is withdrawn before taking effect: importers "
        "expect it from 'announced' until then (a threat), and it never applies.",
    )
    source: str = Field("", description="Where the rate and dates come from.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Tariff:
        if self.announced is not None and self.announced > self.effective:
            raise ValueError("'announced' must not be after 'effective'")
        if self.end is not None and self.end <= self.effective:
            raise ValueError("'end' must be after 'effective'")
        if self.cancelled is not None and not (
            (self.announced or self.effective) <= self.cancelled <= self.effective
        ):
            raise ValueError("'cancelled' must fall between 'announced' and 'effective'")
        if self.in_transit is not None and self.in_transit.entered_before <= self.effective:
            raise ValueError("'in_transit' must end ('entered_before') after 'effective'")
        return self


class Trigger(Strict):
    """What sets off a retaliation rule: the target's extra tariffs on the retaliator."""

    sectors: CodeList = Field("all", description="Which of the target's tariffs count.")
    threshold: RatePct = Field(
        0.0, description="Trade-weighted extra tariff (percent) at or above which it fires."
    )


class Retaliation(Strict):
    """A government's rule for answering another's tariffs."""

    id: str | None = None
    imposer: str = Field(description="The retaliating region, e.g. CHN.")
    target: str = Field(description="The region whose tariffs trigger the rule, e.g. USA.")
    trigger: Trigger = Field(default_factory=Trigger)
    lag_months: int = Field(1, ge=0, le=36, description="Months between trigger and response.")
    sectors: list[str] = Field(min_length=1, description="Sectors of the target's exports hit.")
    rate: RatePct | None = Field(None, description="Retaliatory rate in percent.")
    match: Literal["rate", "value"] | None = Field(
        None,
        description="'value': choose the rate so the duty on the target's exports matches the "
        "extra duty the target levies ('substantially equivalent'); 'rate': mirror its rate.",
    )
    cap: RatePct = Field(MAX_RATE_PCT, description="Highest retaliatory rate, percent.")
    rounds: int = Field(1, ge=1, le=20, description="How many escalations it answers.")
    truce: Date | None = Field(None, description="Date from which the retaliation is lifted.")
    source: str = ""

    @model_validator(mode="after")
    def _rate_or_match(self) -> Retaliation:
        if (self.rate is None) == (self.match is None):
            raise ValueError("give exactly one of 'rate' (percent) or 'match' (rate or value)")
        return self


class AICapex(Strict):
    """The AI data-centre investment boom: a monthly capex path and its import content."""

    region: str = "USA"
    path: dict[Month, UsdBnPerMonth] = Field(
        description="AI capex above its 2024 average, $bn a month, at given months (negative "
        "before the boom took off); linear in between, zero before the first month. A negative "
        "value cannot take away more than the base year's purchases it comes out of (from each "
        "origin by its share, from home producers the rest; checked against the data set).",
        min_length=1,
    )
    sector: str = "computers_semis"
    import_content: Share = Field(description="Share of the capex spent on imported hardware.")
    origin_shares: dict[str, Share] | None = Field(
        None,
        description="Shares of imported hardware by origin; default: the data set's base-year "
        "origins of the region's AI-related imports of the sector (base_2024: US imports of "
        "AI-related products in 2024, ai_hardware_origins.csv), else of the whole sector.",
    )
    tariff_exempt: bool = Field(True, description="AI hardware exempt from the new tariffs.")
    source: str = ""

    @field_validator("origin_shares")
    @classmethod
    def _shares_sum_to_one(cls, shares: dict[str, float] | None) -> dict[str, float] | None:
        if shares is not None and abs(sum(shares.values()) - 1.0) > 0.01:
            raise ValueError(f"origin_shares must sum to 1, they sum to {sum(shares.values()):.3f}")
        return shares


class DemandShock(Strict):
    """A shift in a region's spending on some sectors over a window, in percent."""

    region: str
    sectors: CodeList = "all"
    start: Month
    end: Month | None = None
    change: float = Field(gt=-100.0, le=1000.0, description="Percent change in spending.")


class CapitalInflow(Strict):
    """Net capital inflows into a region, $bn a month over a window (drive the dollar)."""

    region: str = "USA"
    start: Month
    end: Month | None = None
    usd_bn_per_month: UsdBnPerMonth = Field(
        description="Net inflows, $bn a month (negative: outflows)."
    )


class ExchangeRatePath(Strict):
    """An observed or assumed path of a currency's value in dollars (index, base = 1)."""

    region: str = Field(
        description="Region whose currency the path is for; USA means the "
        "broad dollar index (its inverse applied to every other currency)."
    )
    path: dict[Month, FxIndex] = Field(
        min_length=1,
        description="The currency's value in dollars (the dollar index for USA), base year = 1, "
        "at given months; linear in between, 1 before the first month, held after the last. "
        "At most a hundredfold move either way.",
    )
    source: str = ""


class GoldSpread(Strict):
    """The New York–London gold price spread and the gold price: drive bullion shipments."""

    spread: dict[Month, GoldSpreadUsd] = Field(
        description="COMEX futures less London spot, $/oz, monthly average at given months; "
        "linear in between, zero before the first month, held after the last.",
        min_length=1,
    )
    price: dict[Month, Annotated[float, Field(gt=0.0, le=MAX_GOLD_USD_PER_OZ)]] = Field(
        description="Gold price, $/oz, at given months (linear in between, held outside).",
        min_length=1,
    )
    origin_shares: dict[str, Share] = Field(
        default_factory=lambda: {"CHE": 1.0},
        description="Where the bars come from (and go back to), shares summing to 1.",
    )
    sector: str = Field("other_goods", description="Sector whose goods trade holds the gold.")
    source: str = ""

    @field_validator("origin_shares")
    @classmethod
    def _shares_sum_to_one(cls, shares: dict[str, float]) -> dict[str, float]:
        if abs(sum(shares.values()) - 1.0) > 0.01:
            raise ValueError(f"origin_shares must sum to 1, they sum to {sum(shares.values()):.3f}")
        return shares


class Shocks(Strict):
    ai_capex: AICapex | None = None
    gold: GoldSpread | None = None
    demand: list[DemandShock] = Field(default_factory=list)
    capital_inflows: list[CapitalInflow] = Field(default_factory=list)
    exchange_rates: list[ExchangeRatePath] = Field(default_factory=list)


class Inventory(Strict):
    capacity_months: float = Field(
        0.5, ge=0.0, le=12.0, description="Most extra stock importers hold, in months of imports."
    )
    carrying_cost_pct: float | None = Field(
        None,
        gt=0.0,
        le=20.0,
        description="Cost of holding stock, percent of value per month (default: data set).",
    )
    horizon_months: int = Field(6, ge=1, le=24, description="How far ahead importers look.")
    drawdown_months: float = Field(
        3.0,
        gt=0.0,
        le=24.0,
        description="Run-down speed: each month a share 1/drawdown_months of the extra stock "
        "left is used up instead of bought (geometric).",
    )
    lead_months: int = Field(
        1,
        ge=0,
        le=6,
        description="Months between ordering extra stock and its arrival (shipping time).",
    )
    max_build: float = Field(
        0.25, gt=0.0, le=5.0, description="Most extra stock bought in a month, share of imports."
    )


class Dollar(Strict):
    inflow_elasticity: float | None = Field(
        None,
        ge=0.0,
        le=10.0,
        description="Percent dollar appreciation per 1% of US GDP (annualised) of net inflows "
        "(default: data set).",
    )
    invoicing_share: Share | None = Field(
        None,
        description="Share of trade among other regions invoiced in dollars, with prices "
        "sticky in dollars (dominant-currency pricing; default: data set).",
    )
    us_import_invoicing_share: Share | None = Field(
        None, description="Share of US imports invoiced in dollars (default: data set)."
    )
    ai_inflow_share: Share = Field(
        0.0, description="Share of AI capex financed by foreign capital inflows into the region."
    )


class Macro(Strict):
    twin_deficit: Share | None = Field(
        None,
        description="Share of extra tariff revenue (a tighter budget) cut from absorption "
        "(default: data set).",
    )
    income_feedback: Share | None = Field(
        None,
        description="Share of a change in income (GDP) passed on to absorption next month "
        "(default: data set).",
    )


class Gold(Strict):
    """Bullion arbitrage between London and New York (simulator/markets/gold.py). The full
    spread must be above the cost (each as set here, or the data set's value)."""

    cost_usd_per_oz: float | None = Field(
        None,
        ge=0.0,
        le=MAX_GOLD_USD_PER_OZ,
        description="Spread below which no bars move: shipping, recasting and financing, $/oz "
        "(default: data set).",
    )
    full_spread_usd_per_oz: float | None = Field(
        None,
        gt=0.0,
        le=MAX_GOLD_USD_PER_OZ,
        description="Spread at which shipments reach capacity, $/oz (default: data set).",
    )
    capacity_tonnes: float | None = Field(
        None,
        gt=0.0,
        le=MAX_GOLD_TONNES,
        description="Most tonnes shipped in a month (default: data set).",
    )

    @model_validator(mode="after")
    def _cost_below_full_spread(self) -> Gold:
        cost, full = self.cost_usd_per_oz, self.full_spread_usd_per_oz
        if cost is not None and full is not None and cost >= full:
            raise ValueError(
                f"'full_spread_usd_per_oz' ({full:g}) must be above 'cost_usd_per_oz' ({cost:g})"
            )
        return self


class Services(Strict):
    digital_export_growth_per_ai_capex: float = Field(
        0.1, ge=0.0, le=10.0, description="$ of US digital-services exports per $ of AI capex."
    )


class Sourcing(Strict):
    """Buyers' switching costs by kind of good (Rauch 1999 classes) and their discount rate."""

    switching_cost_homogeneous: float | None = Field(
        None,
        gt=0.0,
        le=120.0,
        description="Median cost of re-sourcing goods traded on organised exchanges, in months "
        "of the buyer's purchases of the sector (default: data set).",
    )
    switching_cost_reference: float | None = Field(
        None,
        gt=0.0,
        le=120.0,
        description="Median switching cost for reference-priced goods, months of purchases "
        "(default: data set).",
    )
    switching_cost_differentiated: float | None = Field(
        None,
        gt=0.0,
        le=120.0,
        description="Median switching cost for differentiated goods, months of purchases "
        "(default: data set).",
    )
    switching_cost_dispersion: float | None = Field(
        None,
        ge=0.0,
        le=3.0,
        description="Standard deviation of the log switching cost across buyers (default: data "
        "set).",
    )
    discount_rate_pct: float | None = Field(
        None,
        ge=0.0,
        le=50.0,
        description="Buyers' and exporters' discount rate, percent a year (default: data set).",
    )
    classes: Literal["sector", "within_sectors"] = Field(
        "sector",
        description="Which kinds of goods a sector's buyers trade: 'sector', the sector's own "
        "Rauch class (every buyer of steel trades reference-priced goods); 'within_sectors', "
        "the mix of classes in the sector's 2024 US imports (goods_classes.csv): each class's "
        "buyers draw their switching costs from its distribution and substitute between "
        "origins with its elasticity. Members of a batch share it.",
    )
    products: Literal["sector", "by_lead_supplier"] = Field(
        "sector",
        description="Which origins a sector's US buyers choose among: 'sector', the sector's "
        "2024 import mix for every product; 'by_lead_supplier', the sector's products grouped "
        "by the origin that led their 2024 US supply (supplier_groups.csv), each group "
        "choosing among its own origins, so that trade leaving a taxed origin goes to the "
        "origins that sell the same products; with classes: within_sectors, each group splits "
        "further by Rauch class. Members of a batch share it.",
    )
    elasticity_homogeneous: float | None = Field(
        None,
        gt=1.0,
        le=50.0,
        description="Elasticity of substitution among origins of goods traded on organised "
        "exchanges, read with classes: within_sectors; only the classes' ratios of "
        "(elasticity - 1) count, as each sector keeps its own elasticity as the mean over its "
        "classes (default: data set, Broda & Weinstein 2006).",
    )
    elasticity_reference: float | None = Field(
        None,
        gt=1.0,
        le=50.0,
        description="Elasticity of substitution of reference-priced goods, read with classes: "
        "within_sectors (default: data set).",
    )
    elasticity_differentiated: float | None = Field(
        None,
        gt=1.0,
        le=50.0,
        description="Elasticity of substitution of differentiated goods, read with classes: "
        "within_sectors (default: data set).",
    )
    hazard_ratio_homogeneous: float | None = Field(
        None,
        gt=0.0,
        le=10.0,
        description="Contract-expiry hazard of buyers of goods traded on organised exchanges "
        "relative to buyers of differentiated goods, read with classes: within_sectors; each "
        "sector keeps parameters.adjustment_speed as the mean over its classes (default: data "
        "set, Besedes & Prusa 2006).",
    )
    hazard_ratio_reference: float | None = Field(
        None,
        gt=0.0,
        le=10.0,
        description="Contract-expiry hazard of buyers of reference-priced goods relative to "
        "buyers of differentiated goods, read with classes: within_sectors (default: data set).",
    )


class Expectations(Strict):
    """How firms expect exchange rates and announced tariffs to evolve."""

    fx_half_life_months: float | None = Field(
        None,
        gt=0.0,
        le=600.0,
        description="Half-life, in months, with which firms expect an exchange-rate deviation "
        "from its base-year level to fade (default: data set).",
    )
    threat_probability: Share | None = Field(
        None,
        description="Probability firms attach to an announced tariff increase being carried out "
        "(default: data set).",
    )


class Exporters(Strict):
    profit_tail: float | None = Field(
        None,
        gt=1.0,
        le=20.0,
        description="Pareto shape of exporters' base-year profit in a market relative to its "
        "fixed cost (default: data set).",
    )
    participation: Annotated[float, Field(gt=0.0, lt=1.0)] | None = Field(
        None,
        description="Share of producers exporting in the base year; the others may start "
        "(default: data set).",
    )
    hysteresis: float | None = Field(
        None,
        ge=0.0,
        lt=1.0,
        description="Band b of sunk costs: an exporter leaves a market when its expected profit "
        "falls below (1 - b) times its fixed cost and returns above (1 + b) (default: data set).",
    )


class Parameters(Strict):
    elasticities: dict[str, Annotated[float, Field(gt=0.0, le=50.0)]] = Field(
        default_factory=dict,
        description="Armington elasticity across import origins by sector (overrides the data).",
    )
    domestic_elasticity_ratio: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Elasticity between domestic goods and imports, as a share of the one "
        "across import origins (GTAP's 'rule of two': 0.5).",
    )
    composite_demand_elasticity: float = Field(
        1.0, ge=0.0, le=10.0, description="Price elasticity of a sector's total spending."
    )
    pass_through: Share | None = Field(
        None,
        description="Elasticity of the duty-inclusive import price to the tariff factor: the "
        "share borne by buyers, the rest absorbed by exporters (default: data set).",
    )
    adjustment_speed: Annotated[float, Field(gt=0.0, le=1.0)] | None = Field(
        None,
        description="Hazard of a buyer's supply contract expiring each month, when it re-sources "
        "at no cost (default: data set).",
    )
    supply_elasticity: float | None = Field(
        None,
        ge=0.2,
        description="Elasticity of producer supply below capacity (default: data set); a "
        "huge value makes supply flat (producer prices constant).",
    )
    capacity_elasticity: float = Field(
        0.25,
        ge=0.05,
        description="Elasticity of supply once output exceeds capacity.",
    )
    export_scale_elasticity: float | None = Field(
        None,
        ge=-0.3,
        le=1.0,
        description="Inverse export supply elasticity: elasticity of a producer group's price "
        "to its export sales against the baseline; negative = downward-sloping supply (scale "
        "economies); required with mechanisms.export_scale (no data set has a sourced value). "
        "Below -0.3 prices can run away (docs/mechanisms.md section 16).",
    )
    price_adjustment_speed: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.5, description="Share of the gap to the market-clearing price closed each month."
    )
    inventory: Inventory = Field(default_factory=Inventory)
    dollar: Dollar = Field(default_factory=Dollar)
    macro: Macro = Field(default_factory=Macro)
    services: Services = Field(default_factory=Services)
    sourcing: Sourcing = Field(default_factory=Sourcing)
    expectations: Expectations = Field(default_factory=Expectations)
    exporters: Exporters = Field(default_factory=Exporters)
    gold: Gold = Field(default_factory=Gold)


class Mechanisms(Strict):
    """Each channel of the model, on or off."""

    pass_through: bool = True
    diversion: bool = True
    switching_frictions: bool = True
    exporter_exit: bool = True
    capacity: bool = True
    front_loading: bool = True
    retaliation: bool = True
    ai_capex: bool = True
    dollar: bool = True
    macro: bool = True
    services: bool = True
    growth: bool = True
    gold: bool = True
    supply_chains: bool = True
    # off by default: its parameter is not yet read in the primary source (docs/mechanisms.md)
    export_scale: bool = False


class Firms(Strict):
    count: int = Field(
        100_000,
        ge=0,
        le=50_000_000,
        description="Number of firm agents (0: a continuum, no sampling noise).",
    )
    productivity_shape: float = Field(4.0, gt=1.0, description="Pareto shape of firm productivity.")


class Outputs(Strict):
    formats: list[Literal["parquet", "csv"]] = Field(default_factory=lambda: ["parquet", "csv"])
    plots: bool = True


class Scenario(Strict):
    """A whole scenario: the world, its policies and shocks, and what to write out."""

    extends: str | None = Field(None, description="A bundled scenario name or a relative path.")
    name: SafeName = Field(
        min_length=1,
        description="Short name; the default output folder is out/<name>.",
        json_schema_extra={"pattern": SAFE_NAME_RE},
    )
    description: str = ""
    start: Month = Field(
        "2024-01",
        description="First month simulated. The model starts from its data set's base year "
        "(2024 for `base_2024`), so `start` is that year's January or later: earlier years "
        "would be the calibration shrunk along the growth path, not history.",
    )
    end: Month = Field(
        "2027-12",
        description="Last month simulated: at most 600 months after `start`. A year is summed "
        "in the yearly tables and summary only if the horizon holds all its 12 months.",
    )
    seed: int = Field(0, ge=0)
    data: str = Field("base_2024", description="Calibration data set.")
    regions: list[str] | None = Field(
        None,
        description="Regions to model separately; the others are merged into ROW. A group "
        "(EU) merges its members into one region named after it. A group listed with some of "
        "its members (`[USA, EU, DEU]`) keeps those members apart and merges the others into "
        "the group's rest (EU_OTHER): the data files then show DEU and EU_OTHER, and EU in "
        "summary.md, the plots and the tables always means the whole group (their sum).",
    )
    sectors: list[str] | None = Field(
        None, description="Sectors to model separately; the others join other_goods/services."
    )
    firms: Firms = Field(default_factory=Firms)
    tariffs: list[Tariff] = Field(default_factory=list)
    retaliation: list[Retaliation] = Field(default_factory=list)
    shocks: Shocks = Field(default_factory=Shocks)
    parameters: Parameters = Field(default_factory=Parameters)
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)
    outputs: Outputs = Field(default_factory=Outputs)

    @model_validator(mode="after")
    def _horizon(self) -> Scenario:
        months = months_between(self.start, self.end)
        if months < 1:
            raise ValueError(f"'end' ({self.end}) is before 'start' ({self.start})")
        if months > 600:
            raise ValueError(
                f"'end' ({self.end}) makes a horizon of {months} months from 'start' "
                f"({self.start}), too long (at most 600)"
            )
        base = re.fullmatch(r"base_(\d{4})", self.data)
        known = base is not None and (resources.files("simulator.data") / self.data).is_dir()
        if base and known and self.start < f"{base[1]}-01":
            raise ValueError(
                f"'start' ({self.start}) is before the base year of the data ({self.data}): "
                f"the model starts from {base[1]}, and earlier months would be the "
                f"calibration shrunk along the growth path, not history; start in "
                f"{base[1]}-01 or later (docs/scenario-reference.md)"
            )
        return self

    @property
    def n_months(self) -> int:
        return months_between(self.start, self.end)
