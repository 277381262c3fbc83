"""Exogenous paths from a scenario: demand shocks, the AI-capex boom, capital inflows, FX,
the gold spread.

Paths given at a few months are interpolated linearly in between. An AI-capex path is zero
before its first month and held after its last; an exchange-rate path is 1 (the base year)
before its first month and held after its last.
"""

from __future__ import annotations

import numpy as np

from simulator.calendar import month_index
from simulator.calibration.dataset import BaseData
from simulator.scenario.schema import AICapex, Scenario


def interpolate(path: dict[str, float], first_month: int, n: int, before: float) -> np.ndarray:
    """Monthly values from a ``{YYYY-MM: value}`` path (linear between points)."""
    points = sorted((month_index(m) - first_month, v) for m, v in path.items())
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    months = np.arange(n, dtype=float)
    values = np.interp(months, x, y)
    return np.where(months < x[0], before, values)


def window(start: str, end: str | None, first_month: int, n: int) -> np.ndarray:
    """1 for the months from ``start`` to ``end`` (inclusive), else 0."""
    months = np.arange(n) + first_month
    last = month_index(end) if end else months[-1]
    return ((months >= month_index(start)) & (months <= last)).astype(float)


def by_member(shares: dict[str, float], weights: np.ndarray, data: BaseData) -> np.ndarray:
    """Shares by region from shares given by region or group: a group's share is split over
    its members in proportion to ``weights`` (by region); codes the scenario merged away are
    left out."""
    out = np.zeros(data.n_regions)
    for code, value in shares.items():
        if code in data.codes:
            idx = data.region_indices(code)
            out[idx] += value * weights[idx] / weights[idx].sum()
    return out


def ai_origin_shares(ai: AICapex, data: BaseData) -> np.ndarray:
    """Where the AI-capex shock buys its imported hardware: shares by origin region.

    The scenario's ``origin_shares`` when it gives them; otherwise the data set's base-year
    origins of the region's imports of AI-related products of the sector
    (``ai_hardware_origins.csv``: for US computers_semis, the 2024 Census origins of the
    AI-related lines of Waugh's classification in HS 8471, 8473, 8541, 8542); otherwise, for a
    region or sector the table does not cover, the region's base-year imports of the whole
    sector.
    """
    r, s = data.region_index(ai.region), data.sector_index(ai.sector)
    imports = data.flows[:, r, s].copy()
    imports[r] = 0.0
    if ai.origin_shares is not None:
        return by_member(ai.origin_shares, imports, data)
    table = data.ai_hardware.get((ai.region, ai.sector))
    if table is not None:
        return table.copy()
    return imports / imports.sum() if imports.sum() > 0 else imports


class ShockPaths:
    """The scenario's exogenous shocks, as arrays over the model's months."""

    def __init__(self, scenario: Scenario, data: BaseData, n_months: int) -> None:
        first = month_index(scenario.start)
        shocks = scenario.shocks
        n_r, n_s = data.n_regions, data.n_sectors
        self.data = data

        self.demand = np.ones((n_months, n_r, n_s))
        for shock in shocks.demand:
            secs = range(n_s) if shock.sectors == "all" else map(data.sector_index, shock.sectors)
            on = window(shock.start, shock.end, first, n_months)
            for s in secs:
                for r in data.region_indices(shock.region):
                    self.demand[:, r, s] += shock.change / 100.0 * on

        self.inflows = np.zeros((n_months, n_r))  # US$ bn a month
        for flow in shocks.capital_inflows:
            on = window(flow.start, flow.end, first, n_months)
            members = data.region_indices(flow.region)  # a group's inflow: split by GDP
            share = data.gdp[members] / data.gdp[members].sum()
            self.inflows[:, members] += flow.usd_bn_per_month * on[:, None] * share[None, :]

        self.fx_paths = np.ones((n_months, n_r))
        for rate in shocks.exchange_rates:
            path = interpolate(rate.path, first, n_months, before=1.0)
            # a group's members share one currency path
            self.fx_paths[:, data.region_indices(rate.region)] = path[:, None]

        self.ai = shocks.ai_capex
        self.capex = np.zeros(n_months)
        self.ai_inflows = np.zeros((n_months, n_r))
        if self.ai is not None:
            self.capex = interpolate(self.ai.path, first, n_months, before=0.0)
            r = data.region_index(self.ai.region)
            self.ai_region, self.ai_sector = r, data.sector_index(self.ai.sector)
            self.ai_origin = ai_origin_shares(self.ai, data)
            # the capital inflows that finance it (with the AI capex mechanism on)
            self.ai_inflows[:, r] = scenario.parameters.dollar.ai_inflow_share * self.capex

        # non-monetary gold: the New York-London spread ($/oz), the gold price and where the
        # bars come from (a group split by its members' base-year sales of the sector to the US)
        self.gold = shocks.gold
        self.gold_spread = np.zeros(n_months)
        self.gold_price = np.zeros(n_months)
        self.gold_origins = np.zeros(n_r)
        if self.gold is not None and "USA" in data.regions:
            self.gold_spread = interpolate(self.gold.spread, first, n_months, before=0.0)
            prices = self.gold.price
            self.gold_price = interpolate(prices, first, n_months, before=prices[min(prices)])
            us, s = data.region_index("USA"), data.sector_index(self.gold.sector)
            self.gold_origins = by_member(self.gold.origin_shares, data.flows[:, us, s], data)

        self.digital_per_capex = scenario.parameters.services.digital_export_growth_per_ai_capex
        self.has_digital = "digital_services" in data.sectors

    def ai_capex_flows(
        self, t: int, tau: np.ndarray, tau0: np.ndarray, extra: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Customs value of AI-hardware purchases in month ``t`` and the rates they pay.

        The import content is bought from origins in proportion to ``ai_origin`` (see
        :func:`ai_origin_shares`); exempt hardware pays only the base-year rate. The rest is
        bought from domestic producers.
        """
        if self.ai is None or self.capex[t] == 0.0:
            return None
        r, s = self.ai_region, self.ai_sector
        rate = tau0 if self.ai.tariff_exempt else tau0 + extra
        flows = np.zeros_like(tau)  # [..., origin, destination, sector]: any leading axes
        landed = self.capex[t] * self.ai.import_content * self.ai_origin
        flows[..., :, r, s] = landed / (1.0 + rate[..., :, r, s])
        flows[..., r, r, s] += self.capex[t] * (1.0 - self.ai.import_content)
        return flows, rate

    def services_exports(self, t: int) -> np.ndarray | None:
        """Extra digital-services exports of the AI region, spread by base-year destinations."""
        if self.ai is None or not self.has_digital or self.capex[t] == 0.0:
            return None
        r = self.ai_region
        s = self.data.sector_index("digital_services")
        exports = self.data.flows[r, :, s].copy()
        exports[r] = 0.0
        flows = np.zeros_like(self.data.flows)
        flows[r, :, s] = self.digital_per_capex * self.capex[t] * exports / exports.sum()
        return flows
