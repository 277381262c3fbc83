"""The Mesa model: a calibrated world of countries, governments and firms trading monthly.

One month (:meth:`TradeModel.step`):

1. governments check their retaliation rules; countries pass last month's income and budget
   changes on to spending (macro closure);
2. tariffs in force and exchange rates are set; landed prices follow (producer prices set last
   month, exchange rates with a dollar-invoiced share sticky in dollars, tariffs passed on by
   the pass-through elasticity);
3. buyers re-optimise sourcing (a share of them, by landed price, two-level Armington CES);
4. spending by destination and sector is split over origins; front-loading orders placed
   ``lead_months`` ago arrive; the AI-capex shock adds hardware purchases; the services shock
   adds exports;
5. flows, tariff revenue, macro aggregates and the prices buyers paid for each sector's goods
   are recorded, and producers set next month's prices from this month's output against the
   baseline and their unit cost, which follows the prices of their inputs through the
   input-output table (supply chains; partial adjustment).

All arrays are indexed ``[origin, destination, sector]`` (flows) or ``[region, sector]``.
Money is US$ bn per month at the month's prices and exchange rates.
"""

from __future__ import annotations

import mesa
import numpy as np

from simulator.agents import Country, Firm, FirmPopulation, Government
from simulator.calendar import month_index, month_label
from simulator.calibration.dataset import BaseData, DataError
from simulator.calibration.parameters import (
    RAUCH_CLASSES,
    data_parameter,
    switching_cost_medians,
)
from simulator.costs.prices import price_after_substitution, price_before_substitution
from simulator.costs.supply_chains import unit_cost_index, within_purchases
from simulator.markets import exchange, gold, inventory
from simulator.markets.armington import nested_shares
from simulator.markets.expectations import Expectations
from simulator.markets.pricing import anticipated_price, demand_elasticity
from simulator.markets.production import entry_threshold
from simulator.policy.retaliation import RetaliationRule
from simulator.policy.shocks import ShockPaths
from simulator.policy.tariffs import DAYS_PER_MONTH, TariffSchedule, changed_months
from simulator.scenario import resolve_parameters
from simulator.scenario.schema import Scenario

BASE_MONTH = month_index("2024-01")


class TradeModel(mesa.Model):
    """A world of regions trading by sector, month by month, under a scenario's policies."""

    def __init__(self, scenario: Scenario, data: BaseData, seed: int | None = None) -> None:
        seed = scenario.seed if seed is None else seed
        super().__init__(rng=seed)
        self.spec = scenario  # not "scenario": Mesa 3.5 models have their own
        self.data = data
        self.seed = seed
        self.t = 0
        self.n_months = scenario.n_months
        n_r, n_s = data.n_regions, data.n_sectors
        self.params = params = resolve_parameters(scenario.parameters, data)
        mech = scenario.mechanisms

        # --- calibration: base-year monthly flows, landed spending and Armington weights
        self.flows0 = data.flows / 12.0
        self.tau0 = data.base_tariff
        landed0 = self.flows0 * (1.0 + self.tau0)
        self.spending0 = landed0.sum(axis=0)  # [destination, sector], landed prices
        self.weights = landed0 / self.spending0[None]
        self.sigma_import = data.elasticity.copy()
        for code, value in params.elasticities.items():
            self.sigma_import[data.sector_index(code)] = value
        self.sigma_domestic = self.sigma_import * params.domestic_elasticity_ratio
        # intensive-margin elasticity: (sigma_firm - 1) * a = sigma - 1 (Chaney 2008)
        self.sigma_firm = 1.0 + (self.sigma_import - 1.0) / params.exporters.profit_tail
        if mech.exporter_exit and mech.diversion:
            # buyers then choose among import varieties with sigma_firm; the nest above it
            # (domestic versus imports) must not be more elastic, or import varieties become
            # complements and one origin's exits cut the demand for every other's
            self.sigma_domestic = np.minimum(self.sigma_domestic, self.sigma_firm)
        # lowest export profit ratio: a share z_min ** a of producers exports in the base year
        self.z_min = params.exporters.participation ** (1.0 / params.exporters.profit_tail)
        # producers' price setting anticipates this elasticity of demand for their output
        self.demand_elasticity = demand_elasticity(
            self.flows0,
            self.weights,
            self.sigma_domestic,
            self.sigma_import if mech.diversion else np.ones_like(self.sigma_import),
            params.composite_demand_elasticity,
        )
        self.rho = params.pass_through if mech.pass_through else 1.0
        # supply chains: inputs per unit of output, [region, input sector, using sector]
        self.input_coefficients = np.zeros((n_r, n_s, n_s))
        if mech.supply_chains and data.input_coefficients is not None:
            self.input_coefficients = within_purchases(
                data.input_coefficients, self.flows0.sum(axis=1), self.spending0
            )
        self.invoicing = np.full(n_r, params.dollar.invoicing_share)  # by destination
        if "USA" in data.regions:
            self.invoicing[data.region_index("USA")] = params.dollar.us_import_invoicing_share

        first = month_index(scenario.start) - BASE_MONTH
        months = np.arange(first, first + self.n_months, dtype=float)
        growth = data.growth if mech.growth else np.zeros(n_r)
        # level at month m: base / 12 * (1 + g) ** ((m - 5.5) / 12), so 2024 averages the base
        self.growth_path = (1.0 + growth[None, :]) ** ((months[:, None] - 5.5) / 12.0)
        self.baseline_flows = self.flows0[None] * self.growth_path[:, None, :, None]
        self.baseline_output = self.baseline_flows.sum(axis=2)  # [month, origin, sector]
        self.baseline_gdp_month = data.gdp[None, :] / 12.0 * self.growth_path

        # --- policy and shocks
        self.schedule = TariffSchedule(
            scenario.tariffs,
            self.tau0,
            data.regions,
            data.sectors,
            data.goods_mask,
            scenario.start,
            self.n_months,
            include_retaliation=mech.retaliation,
            transit_days=params.inventory.lead_months * DAYS_PER_MONTH,
            groups=data.groups,
        )
        self.retaliation_path = np.zeros(self.schedule.path.shape)
        self.retaliation_revision = 0  # counts the retaliation decisions written into the path
        # the announced path, cached with the months where it changes (see announced_path)
        self._announced: tuple[tuple[int | None, int], np.ndarray, np.ndarray] | None = None
        self.shocks = ShockPaths(scenario, data, self.n_months)
        # non-monetary gold bars shipped on the New York-London spread [month, origin, dest]
        self.gold_flows = np.zeros((self.n_months, n_r, n_r))
        if mech.gold and self.shocks.gold is not None:
            g = params.gold
            if None in (g.cost_usd_per_oz, g.full_spread_usd_per_oz, g.capacity_tonnes):
                raise DataError(
                    f"data set {data.name!r} has no gold_arbitrage_* rows in parameters.csv, "
                    "and the scenario ships gold (shocks.gold) without setting parameters.gold"
                )
            usd = gold.shipments_usd_bn(
                self.shocks.gold_spread,
                self.shocks.gold_price,
                g.cost_usd_per_oz,
                g.full_spread_usd_per_oz,
                g.capacity_tonnes,
            )
            self.gold_flows = gold.bilateral(
                usd, self.shocks.gold_origins, data.region_index("USA")
            )
            self.gold_sector = data.sector_index(self.shocks.gold.sector)

        # --- agents
        self.countries = [Country(self, i, code) for i, code in enumerate(data.regions)]
        self.governments = [
            Government(
                self,
                i,
                code,
                [tr for tr in scenario.tariffs if data.members(tr.imposer)[0] == code],
                [
                    RetaliationRule(
                        rule,
                        data.regions,
                        data.sectors,
                        data.goods_mask,
                        data.flows,
                        scenario.start,
                        self.n_months,
                        groups=data.groups,
                    )
                    for rule in scenario.retaliation
                    if data.members(rule.imposer)[0] == code  # a group acts through its first
                ],
            )
            for i, code in enumerate(data.regions)
        ]
        utilisation = data_parameter(data, "capacity_utilisation")
        self.expectations = Expectations(
            hazard=params.adjustment_speed,
            discount=(1.0 + params.sourcing.discount_rate_pct / 100.0) ** (1.0 / 12.0) - 1.0,
            fx_half_life=params.expectations.fx_half_life_months,
            threat_probability=params.expectations.threat_probability,
        )
        cost_median = switching_cost_medians(
            {c: getattr(params.sourcing, f"switching_cost_{c}") for c in RAUCH_CLASSES}, data
        )
        self.firms = FirmPopulation.create(
            count=scenario.firms.count,
            output=self.flows0.sum(axis=1),
            spending=self.spending0,
            sigma=self.sigma_import,
            shape=scenario.firms.productivity_shape,
            utilisation=utilisation,
            initial_shares=self._by_group(self.weights),
            n_months=self.n_months,
            rng=self.rng,
            switching_cost=np.tile(cost_median, n_r),
            cost_dispersion=params.sourcing.switching_cost_dispersion,
            hazard=params.adjustment_speed,
            profit_tail=params.exporters.profit_tail,
            z_min=self.z_min,
        )

        self._firm_views: dict[int, Firm] = {}

        # --- state
        self.price = np.ones((n_r, n_s))  # producer prices, local currency, base = 1
        self.fx = np.ones(n_r)  # value of each currency in dollars, base = 1
        self.absorption_factor = np.ones(n_r)
        self.stock = np.zeros((n_r, n_r, n_s))  # front-loaded stock, base-price quantity
        self.stock_change = np.zeros_like(self.stock)  # ordered this month
        self.orders = [np.zeros_like(self.stock) for _ in range(params.inventory.lead_months)]
        self.tariff_now = self.tau0.copy()
        # share of each origin's base-year sales to each market made by firms still serving it
        self.serving = np.ones((n_r, n_r, n_s))
        self.entry_threshold = np.ones((n_r * n_s, n_r))  # lowest z serving, [origin*sector, d]
        self.export_profit = np.ones((n_r, n_r, n_s))  # expected profit per exporter / base
        self.expected_price = np.ones((n_r, n_r, n_s))  # contract-average landed price
        self.utilisation = np.ones((n_r, n_s))
        self.output_value = self.flows0.sum(axis=1)
        self.unit_cost = np.ones((n_r, n_s))  # producers' unit cost, base = 1 (supply chains)

        # --- records
        shape = (self.n_months, n_r, n_r, n_s)
        self.flows = np.zeros(shape)  # customs (dutiable) value, US$ bn
        self.revenue = np.zeros(shape)
        self.rates = np.zeros(shape)
        self.unit_values = np.zeros(shape)  # customs value per unit, base year = 1 (import prices)
        # AI hardware bought under its own (possibly exempt) rates, part of ``flows``
        self.exempt_flows = np.zeros(shape)
        self.exempt_rates = np.zeros(shape)
        self.prices = np.zeros((self.n_months, n_r, n_s))
        self.unit_costs = np.zeros((self.n_months, n_r, n_s))
        # the price buyers pay for a sector's goods, after and before they re-source
        self.sector_prices = np.zeros((self.n_months, n_r, n_s))
        self.sector_prices_pre = np.zeros((self.n_months, n_r, n_s))
        self.serving_path = np.zeros(shape)
        self.switched = np.zeros((self.n_months, n_r, n_s))  # share of buyers re-sourcing
        self.fx_path = np.zeros((self.n_months, n_r))
        self.spending = np.zeros((self.n_months, n_r, n_s))
        self.extra_revenue = np.zeros((self.n_months, n_r))
        self.gdp_gap = np.zeros((self.n_months, n_r))
        self.investment_gap = np.zeros((self.n_months, n_r))
        self.nx_gap = np.zeros((self.n_months, n_r))

    # ------------------------------------------------------------------ helpers
    def _by_group(self, cube: np.ndarray) -> np.ndarray:
        """``[origin, destination, sector]`` -> ``[destination * n_sectors + sector, origin]``."""
        n_r = self.data.n_regions
        return cube.transpose(1, 2, 0).reshape(-1, n_r)

    def _from_group(self, grouped: np.ndarray) -> np.ndarray:
        n_r, n_s = self.data.n_regions, self.data.n_sectors
        return grouped.reshape(n_r, n_s, n_r).transpose(2, 0, 1)

    def month_label(self, t: int) -> str:
        return month_label(month_index(self.spec.start) + t)

    def firm(self, row: int) -> Firm:
        """Look at one firm as a Mesa agent (producers first, then buyers)."""
        if not 0 <= row < len(self.firms):
            raise IndexError(f"firm {row} does not exist; the model has {len(self.firms)} firms")
        if row not in self._firm_views:
            self._firm_views[row] = Firm(self, row)
        return self._firm_views[row]

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        t = self.t
        if t >= self.n_months:
            raise RuntimeError("the scenario's horizon is over")
        mech, params = self.spec.mechanisms, self.params
        n_r = self.data.n_regions
        diag = np.arange(n_r)

        self.agents_by_type[Government].do("step")
        self.agents_by_type[Country].do("step")

        extra = self.schedule.extra(t) + self.retaliation_path[t]
        tau = self.tau0 + extra
        self.tariff_now = tau
        self.fx = exchange.exchange_rates(
            self.shocks.fx_paths[t],
            self.shocks.inflows[t],
            mech.dollar,
            params.dollar.inflow_elasticity,
            self.data,
        )

        # landed price relative to base, in the buyer's currency (a dollar-invoiced share of
        # import prices is sticky in dollars, the rest in the exporter's currency; domestic
        # sales are priced in the home currency)
        fx_ratio = self.fx[:, None] ** (1.0 - self.invoicing[None, :]) / self.fx[None, :]
        np.fill_diagonal(fx_ratio, 1.0)
        tariff_factor = ((1.0 + tau) / (1.0 + self.tau0)) ** self.rho
        producer = self.price[:, None, :] * fx_ratio[:, :, None]
        rel_price = producer * tariff_factor
        # without diversion, import value shares across foreign origins stay fixed; with
        # exporters' entry and exit, buyers substitute among the firms still serving with the
        # firm-level elasticity, and entry and exit make up the rest of the long-run one
        sigma_import = self.sigma_import if mech.diversion else np.ones_like(self.sigma_import)
        expected = self._expected_price(t, extra, fx_ratio)
        if mech.exporter_exit and mech.diversion:
            sigma_import = self.sigma_firm
            self._exporters(t, expected, sigma_import)
        weights = self.weights * self.serving
        optimal, price_index = nested_shares(weights, rel_price, self.sigma_domestic, sigma_import)
        if mech.switching_frictions:
            optimal_bar, index_bar = nested_shares(
                weights, expected, self.sigma_domestic, sigma_import
            )
            bar = self._by_group(expected)
            index_bar = index_bar.ravel()
            reference = index_bar  # least cost with every base-year supplier
            if mech.exporter_exit and mech.diversion:
                reference = nested_shares(
                    self.weights, expected, self.sigma_domestic, sigma_import
                )[1].ravel()
        else:  # every buyer re-sources every month at today's prices
            optimal_bar, bar, index_bar = optimal, self._by_group(rel_price), price_index.ravel()
            reference = index_bar
        shares = self._from_group(
            self.firms.buyers.update(
                t,
                self._by_group(optimal_bar),
                bar,
                index_bar,
                self.expectations.annuity,
                self._by_group(rel_price),
                everyone=not mech.switching_frictions,
                reference_index=reference,
            )
        )
        self.switched[t] = self.firms.buyers.last.share_switched.reshape(n_r, -1)
        # what buyers pay for what they get, measured with the Armington composite (base-year
        # weights, the long-run elasticity): with Pareto-distributed exporters the variety
        # lost when exporters leave is offset by the fixed costs they no longer pay, so the
        # welfare change is the Armington one (Arkolakis, Costinot & Rodriguez-Clare 2012)
        sector_price = price_after_substitution(
            self.weights,
            shares,
            rel_price,
            self.sigma_domestic,
            self.sigma_import if mech.diversion else np.ones_like(self.sigma_import),
        )
        self.sector_prices[t] = sector_price
        self.sector_prices_pre[t] = price_before_substitution(self.weights, rel_price)
        self.unit_cost = unit_cost_index(self.input_coefficients, sector_price)
        self.serving_path[t] = self.serving

        eta = params.composite_demand_elasticity
        spend_local = (
            self.spending0
            * self.growth_path[t][:, None]
            * self.shocks.demand[t]
            * self.absorption_factor[:, None]
            * price_index ** (1.0 - eta)
        )
        spend_usd = spend_local * self.fx[:, None]
        landed = shares * spend_usd[None]
        customs = landed / (1.0 + tau)
        unit_customs = (
            producer * self.fx[None, :, None] * tariff_factor / (1.0 + tau) * (1.0 + self.tau0)
        )
        quantity = customs / unit_customs

        if mech.front_loading:
            quantity = quantity + self._front_load(t, tau, quantity, diag)
            customs = quantity * unit_customs

        ai = self.shocks.ai_capex_flows(t, tau, self.tau0, extra) if mech.ai_capex else None
        if ai is not None:
            self.exempt_flows[t], self.exempt_rates[t] = ai
            customs = customs + ai[0]
            quantity = quantity + ai[0] / unit_customs
        services = self.shocks.services_exports(t) if mech.services and mech.ai_capex else None
        if services is not None:
            customs = customs + services
            quantity = quantity + services / unit_customs
        bars = np.zeros_like(customs)  # gold bars: duty-free, a stock moved, not output
        if self.gold_flows[t].any():
            s = self.gold_sector
            bars[:, :, s] = self.gold_flows[t]
            customs = customs + bars
            self.exempt_flows[t, :, :, s] += bars[:, :, s]
            self.exempt_rates[t, :, :, s] *= bars[:, :, s] == 0.0
        exempt = self.exempt_flows[t]
        revenue = (customs - exempt) * tau + exempt * self.exempt_rates[t]
        self._update_prices(t, quantity)

        self.flows[t] = customs
        self.revenue[t] = revenue
        self.rates[t] = tau
        self.unit_values[t] = unit_customs
        self.prices[t] = self.price
        self.unit_costs[t] = self.unit_cost
        self.fx_path[t] = self.fx
        self.spending[t] = spend_usd
        self._macro(t, customs - bars, revenue, diag)  # GDP excludes gold (BEA)
        self.t += 1

    def announced_path(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The extra rates of every month as firms know them in month ``t`` (the schedule
        announced by then plus the retaliation decided by then; read-only) and the months in
        which they differ from the month before. Rebuilt only when one of the two changes."""
        key = (self.schedule.known_cutoff(t), self.retaliation_revision)
        if self._announced is None or self._announced[0] != key:
            path, changes = self.schedule.known_path(t)  # shared by models: read-only
            if self.retaliation_revision:  # retaliation decided so far (else nothing to add)
                path = path + self.retaliation_path
                path.flags.writeable = False
                changes = changed_months(path)
            self._announced = (key, path, changes)
        return self._announced[1], self._announced[2]

    def _expected_price(self, t: int, extra: np.ndarray, fx_ratio: np.ndarray) -> np.ndarray:
        """Contract-average landed price firms expect (see :mod:`simulator.markets.expectations`).

        Producer prices are expected to stay, exchange-rate deviations to fade, tariffs to follow
        the schedule as announced (threatened increases with a probability).
        """
        exp_ = self.expectations
        announced, changes = self.announced_path(t)
        self.log_tariff_bar = exp_.tariff_log_factor(extra, announced[t:], self.tau0, changes[t:])
        fx_bar = fx_ratio**exp_.fx_weight
        tariff_bar = np.exp(self.rho * self.log_tariff_bar)
        self.expected_price = self.price[:, None, :] * fx_bar[:, :, None] * tariff_bar
        return self.expected_price

    def _exporters(self, t: int, expected: np.ndarray, sigma_import: np.ndarray) -> None:
        """Exporters decide which markets to serve from the profit they expect there.

        Expected profit per firm relative to the base year, in the exporter's currency:
        ``Pi = q * p * (r / p - (1 - m)) / m`` with ``q`` the quantity it expects to sell
        (Armington demand per variety at the expected prices, with the market's spending),
        ``p`` its producer price (its unit cost moves with it), ``r`` the price it expects to
        receive net of duty, ``r / p = T ** (rho - 1)`` (it absorbs a share ``1 - rho`` of the
        tariff) and ``m = 1 / sigma`` its base-year margin (the CES markup). A currency's move
        reaches the exporter through demand only: prices invoiced in dollars are sticky for
        months, not for the life of a market (Gopinath 2015), so an exporter deciding whether
        to stay expects to reset its price.
        """
        n_r, n_s = self.data.n_regions, self.data.n_sectors
        params = self.params.exporters
        weights = self.weights * self.serving
        shares, index = nested_shares(weights, expected, self.sigma_domestic, sigma_import)
        eta = self.params.composite_demand_elasticity
        spend = index ** (1.0 - eta) * self.absorption_factor[:, None] * self.shocks.demand[t]
        per_variety = shares / np.where(weights > 0, weights, 1.0)
        quantity = per_variety * spend[None] / expected
        received = np.exp((self.rho - 1.0) * self.log_tariff_bar)
        margin = 1.0 / np.maximum(sigma_import, 1.0 + 1e-9)[None, None, :]
        profit = quantity * self.price[:, None, :] * (received - (1.0 - margin)) / margin
        self.export_profit = profit
        grouped = profit.transpose(0, 2, 1).reshape(n_r * n_s, n_r)
        self.entry_threshold = entry_threshold(
            self.entry_threshold, grouped, params.hysteresis, self.z_min
        )
        serving = self.firms.producers.serving_share(self.entry_threshold)
        serving = serving.reshape(n_r, n_s, n_r).transpose(0, 2, 1).copy()
        diag = np.arange(n_r)
        serving[diag, diag] = 1.0
        self.serving = np.maximum(serving, 1e-12)

    def _front_load(self, t: int, tau: np.ndarray, use: np.ndarray, diag: np.ndarray) -> np.ndarray:
        """Extra purchases arriving this month (quantity), zero on domestic cells.

        Orders placed now arrive ``lead_months`` later and pay the tariff in force then, so
        importers compare the rate expected on arrival with the rates expected after it, both
        read from the schedule as buyers read it (:meth:`Expectations.expected_rates`: an
        announced increase not yet in force counts with the threat probability). A month
        never draws more from stock than it uses; what it cannot use stays in stock, so
        purchases are never negative.
        """
        inv = self.params.inventory
        arrival = t + inv.lead_months
        horizon = min(inv.horizon_months, self.n_months - 1 - arrival)
        if horizon <= 0:
            target = np.zeros_like(tau)
            months_left = np.ones_like(tau)
        else:
            announced = self.announced_path(t)[0][arrival : arrival + 1 + horizon]
            expected = self.tau0[None] + self.expectations.expected_rates(
                tau - self.tau0, announced
            )
            target, months_left = inventory.stock_target_months(
                expected[0],
                expected[1:],
                self.rho,
                inv.carrying_cost_pct / 100.0,
                inv.capacity_months,
            )
        change = inventory.stock_change(
            self.stock, use, target, months_left, inv.max_build, inv.drawdown_months
        )
        change[diag, diag, :] = 0.0
        self.stock_change = change
        self.stock += change  # stock counts goods on order
        self.orders.append(change)
        arriving = self.orders.pop(0)
        drawn = np.maximum(arriving, -use)
        self.stock += drawn - arriving  # stock that could not be used this month
        return drawn

    def _update_prices(self, t: int, quantity: np.ndarray) -> None:
        """Producers set next month's price from this month's output against the baseline and
        this month's unit cost (supply chains: :mod:`simulator.costs.supply_chains`)."""
        output = quantity.sum(axis=1)
        self.utilisation = output / self.baseline_output[t]
        self.output_value = (quantity * self.price[:, None, :]).sum(axis=1)
        params = self.params
        cap = params.capacity_elasticity if self.spec.mechanisms.capacity else None
        producers = self.firms.producers
        unit_cost = self.unit_cost.ravel()  # this month's input prices set next month's cost
        target = anticipated_price(
            self.price.ravel(),
            self.utilisation.ravel(),
            self.demand_elasticity.ravel(),
            lambda x: unit_cost * producers.desired_price(x, params.supply_elasticity, cap),
        ).reshape(self.price.shape)
        theta = params.price_adjustment_speed
        self.price = self.price ** (1.0 - theta) * target**theta

    def _macro(self, t: int, customs: np.ndarray, revenue: np.ndarray, diag: np.ndarray) -> None:
        """GDP and budget gaps against the no-policy baseline (expenditure side).

        ``dY = (factor - 1) * (Ybar - NXbar) + capex + dNX``: domestic absorption scaled by the
        macro factor, AI investment, and the change in net exports.
        """
        trade = customs.copy()
        trade[diag, diag] = 0.0
        base = self.baseline_flows[t].copy()
        base_revenue = (base * self.tau0).sum(axis=(0, 2))
        base[diag, diag] = 0.0
        nx = trade.sum(axis=(1, 2)) - trade.sum(axis=(0, 2))
        nx_base = base.sum(axis=(1, 2)) - base.sum(axis=(0, 2))
        absorption = self.baseline_gdp_month[t] - nx_base
        investment = np.zeros_like(nx)
        if self.spec.mechanisms.ai_capex and self.shocks.ai is not None:
            investment[self.shocks.ai_region] = self.shocks.capex[t]
        self.gdp_gap[t] = (self.absorption_factor - 1.0) * absorption + investment + nx - nx_base
        self.investment_gap[t] = investment
        self.nx_gap[t] = nx - nx_base
        self.extra_revenue[t] = revenue.sum(axis=(0, 2)) - base_revenue

    def run(self) -> None:
        """Run every month of the scenario."""
        while self.t < self.n_months:
            self.step()

    def release(self) -> None:
        """Drop Mesa's class-level reference to this model, so that it can be freed.

        Mesa 3.3 counts agent ids in ``mesa.Agent._ids``, a class-level dict keyed by model,
        which keeps every model alive for the life of the process; Mesa 3.5 counts them on
        the model (nothing to drop). Agents created afterwards (firm views) are numbered
        from 1 again under Mesa 3.3; nothing in tradesim reads agent ids.
        """
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
