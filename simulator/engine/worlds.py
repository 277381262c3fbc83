"""The engine: M worlds (members of a batch) advanced one month at a time, on plain arrays.

Every state array and record carries a leading member axis; the members share the data, the
horizon, retaliation rules and the shocks, and may differ in their tariffs and behaviour
parameters (:class:`~simulator.engine.members.MemberParameters`). A month is a sequence of stages:

1. **policy** — retaliation rules answer the tariffs in force; the macro closure passes last
   month's income and budget changes on to spending; tariffs in force and exchange rates are
   set;
2. **prices** — landed prices follow (producer prices set last month, exchange rates with a
   dollar-invoiced share sticky in dollars, tariffs passed on by the pass-through elasticity);
   firms form the contract-average prices they expect;
3. **decisions** — exporters decide which markets to serve; buyers re-optimise sourcing (a
   share of them, by expected landed price, two-level Armington CES); the prices buyers pay
   for each sector's goods and producers' unit costs (supply chains) follow;
4. **flows** — spending by destination and sector is split over origins; front-loading
   orders placed ``lead_months`` ago arrive; the AI-capex shock adds hardware purchases, the
   services shock exports, gold arbitrage bars;
5. **revenue** — tariff revenue, exempt hardware at its own rates;
6. **producers and macro** — producers set next month's prices from this month's output and
   unit cost; GDP, budget and net-export gaps against the no-policy path are recorded.

Cubes are ``[member, origin, destination, sector]``, region tables ``[member, region,
sector]``, records ``[member, month, ...]``. Money is US$ bn per month at the month's prices
and exchange rates. :class:`simulator.model.TradeModel` is the Mesa model of one member.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence

import numpy as np

from simulator.calendar import month_index, month_label
from simulator.calibration.dataset import BaseData, DataError
from simulator.calibration.parameters import data_parameter
from simulator.costs.prices import price_after_substitution, price_before_substitution
from simulator.costs.supply_chains import unit_cost_index, within_purchases
from simulator.engine.members import MemberParameters, batch_key
from simulator.markets import exchange, gold, inventory
from simulator.markets.armington import nested_shares
from simulator.markets.expectations import Expectations, annuity
from simulator.markets.firms import FirmPopulation
from simulator.markets.pricing import anticipated_price
from simulator.markets.production import entry_threshold
from simulator.markets.state import copy_state
from simulator.policy.retaliation import RetaliationRule
from simulator.policy.shocks import ShockPaths
from simulator.policy.tariffs import DAYS_PER_MONTH, TariffSchedule
from simulator.scenario.schema import Scenario

BASE_MONTH = month_index("2024-01")


def _cube(values: np.ndarray) -> np.ndarray:
    """``[member]`` -> ``[member, 1, 1, 1]`` (against cubes)."""
    return values[:, None, None, None]


def _table(values: np.ndarray) -> np.ndarray:
    """``[member]`` -> ``[member, 1, 1]`` (against region tables)."""
    return values[:, None, None]


class Worlds:
    """Members of one batch: their state, their records and the month's stages."""

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        data: BaseData,
        seeds: Sequence[int],
        rng: np.random.Generator | None = None,
    ) -> None:
        """``scenarios`` must share everything but their tariffs and member parameters
        (:func:`~simulator.engine.members.batch_key`); each member's firms are drawn from a
        generator seeded with its seed in ``seeds`` (or from ``rng``, for a batch of one)."""
        spec = scenarios[0]
        key = batch_key(spec)
        if any(batch_key(s) != key for s in scenarios[1:]):
            raise ValueError(
                "the members of a batch differ in more than tariffs, parameters and switches"
            )
        self.spec = spec
        self.scenarios = tuple(scenarios)
        self.data = data
        self.seeds = tuple(seeds)
        self.n_members = n_m = len(scenarios)
        self.t = 0
        self.n_months = spec.n_months
        n_r, n_s = data.n_regions, data.n_sectors
        mech = spec.mechanisms  # growth and supply chains: shared by the members

        # --- calibration: base-year monthly flows, landed spending and Armington weights
        self.flows0 = data.flows / 12.0
        self.tau0 = data.base_tariff
        landed0 = self.flows0 * (1.0 + self.tau0)
        self.spending0 = landed0.sum(axis=0)  # [destination, sector], landed prices
        self.weights = landed0 / self.spending0[None]
        self.members = p = MemberParameters.build(scenarios, data, self.flows0)
        self.on = on = p.on  # the mechanism switches, [member]
        self.sigma_import = p.sigma_import[:, None, :]  # [member, 1, sector]: by destination
        self.sigma_domestic = p.sigma_domestic[:, None, :]
        self.sigma_firm = p.sigma_firm[:, None, :]
        # without diversion, import value shares across foreign origins stay fixed
        self.sigma_demand = np.where(on.diversion[:, None, None], self.sigma_import, 1.0)
        # the kinds of goods buyers trade in each sector (Rauch classes) and their share of the
        # sector's spending, [sector, kind]; the buyers' elasticities by kind, [kind, member,
        # 1, sector] (the layout above with a leading kind axis)
        self.class_shares = p.class_shares
        self.n_kinds = n_k = p.class_shares.shape[1]
        # the Armington weights of the buyers' kinds: the sector's, or with products grouped by
        # lead supplier each group's own, [kind, 1, origin, destination, sector]
        self.buyer_weights = self.weights if p.kind_weights is None else p.kind_weights[:, None]

        def kinds_first(by_kind: np.ndarray) -> np.ndarray:
            return by_kind.transpose(2, 0, 1)[:, :, None, :]

        self.sigma_domestic_class = kinds_first(p.sigma_domestic_class)
        self.sigma_firm_class = kinds_first(p.sigma_firm_class)
        self.sigma_demand_class = np.where(
            on.diversion[:, None, None], kinds_first(p.sigma_import_class), 1.0
        )
        self.rho = p.rho
        # supply chains: inputs per unit of output, [region, input sector, using sector]
        self.input_coefficients = np.zeros((n_r, n_s, n_s))
        if mech.supply_chains and data.input_coefficients is not None:
            self.input_coefficients = within_purchases(
                data.input_coefficients, self.flows0.sum(axis=1), self.spending0
            )

        first = month_index(spec.start) - BASE_MONTH
        months = np.arange(first, first + self.n_months, dtype=float)
        growth = data.growth if mech.growth else np.zeros(n_r)
        # level at month m: base / 12 * (1 + g) ** ((m - 5.5) / 12), so 2024 averages the base
        self.growth_path = (1.0 + growth[None, :]) ** ((months[:, None] - 5.5) / 12.0)
        self.baseline_flows = self.flows0[None] * self.growth_path[:, None, :, None]
        self.baseline_output = self.baseline_flows.sum(axis=2)  # [month, origin, sector]
        self.baseline_gdp_month = data.gdp[None, :] / 12.0 * self.growth_path

        # --- policy and shocks (shared by the members)
        inventory_ = p.resolved[0].inventory
        self.lead_months, self.stock_horizon = inventory_.lead_months, inventory_.horizon_months
        self.schedules, self.schedule_of = self._schedules(scenarios)
        # retaliation rules, by government in region order (a group acts through its first)
        self.rules: list[tuple[int, RetaliationRule]] = []
        if on.retaliation.any():
            for i, code in enumerate(data.regions):
                for rule in spec.retaliation:
                    if data.members(rule.imposer)[0] == code:
                        self.rules.append(
                            (
                                i,
                                RetaliationRule(
                                    rule,
                                    data.regions,
                                    data.sectors,
                                    data.goods_mask,
                                    data.flows,
                                    spec.start,
                                    self.n_months,
                                    n_m,
                                    groups=data.groups,
                                    active=on.retaliation,
                                ),
                            )
                        )
        # the retaliation decided, [member, month, origin, destination, sector] (only with rules)
        shape = (self.n_months, n_r, n_r, n_s)
        self.retaliation_path = np.zeros((n_m if self.rules else 1, *shape))
        self.retaliation_revision = 0  # counts the retaliation decisions written into the path
        # the announced path, cached with the months where it changes (see announced_path)
        self._announced: tuple[tuple[int | None, int], np.ndarray, np.ndarray] | None = None
        self.shocks = ShockPaths(spec, data, self.n_months)
        self.gold_flows = np.zeros((n_m, self.n_months, n_r, n_r))
        self.gold_sector = -1
        if on.gold.any() and self.shocks.gold is not None:
            self.gold_sector = data.sector_index(self.shocks.gold.sector)
            for m in np.flatnonzero(on.gold):
                self.gold_flows[m] = self._gold(p.resolved[m].gold)

        # --- firms (every member's groups side by side: member * regions * sectors + group)
        self.expectations = Expectations(
            hazard=p.hazard,
            discount=p.discount,
            fx_half_life=p.fx_half_life,
            threat_probability=p.threat_probability,
        )
        per_group = n_r * n_s

        def by_group(values: np.ndarray) -> np.ndarray:
            return np.repeat(values, per_group)

        def by_buyer_group(values: np.ndarray) -> np.ndarray:
            return np.repeat(values, per_group * n_k)

        # the buyers' contract hazard by group: its kind's, in every region
        hazard = np.broadcast_to(p.hazard_class[:, None], (n_m, n_r, n_s, n_k)).ravel()

        self.firms = FirmPopulation.create(
            count=spec.firms.count,
            output=self.flows0.sum(axis=1),
            spending=self.spending0[..., None] * p.class_shares[None],
            sigma=p.sigma_import,
            shape=spec.firms.productivity_shape,
            utilisation=data_parameter(data, "capacity_utilisation"),
            initial_shares=np.tile(self._by_buyer_group(self.weights[None]), (n_m, 1))
            if p.kind_weights is None
            else self._kinds_by_group(
                np.broadcast_to(self.buyer_weights, (n_k, n_m, n_r, n_r, n_s))
            ),
            n_months=self.n_months,
            rngs=[np.random.default_rng(seed) for seed in self.seeds] if rng is None else [rng],
            switching_costs=np.repeat(p.switching_cost, n_r, axis=0).reshape(
                -1, p.switching_cost.shape[-1]
            ),
            hazard=hazard,
            profit_tail=by_group(p.profit_tail),
            z_min=by_group(p.z_min),
        )
        self.annuity_by_group = annuity(hazard, by_buyer_group(p.discount))
        self.supply_elasticity_by_group = by_group(p.supply_elasticity)
        self.capacity_elasticity_by_group = (
            by_group(p.capacity_elasticity) if p.capacity_elasticity is not None else None
        )

        # --- state
        self.price = np.ones((n_m, n_r, n_s))  # producer prices, local currency, base = 1
        self.fx = np.ones((n_m, n_r))  # value of each currency in dollars, base = 1
        self.absorption_factor = np.ones((n_m, n_r))
        cube = (n_m, n_r, n_r, n_s)
        self.stock = np.zeros(cube)  # front-loaded stock, base-price quantity
        self.stock_change = np.zeros(cube)  # ordered this month
        self.orders = [np.zeros(cube) for _ in range(self.lead_months)]
        self.tariff_now = np.broadcast_to(self.tau0, cube).copy()
        # share of each origin's base-year sales to each market made by firms still serving it
        self.serving = np.ones(cube)
        self.entry_threshold = np.ones((n_m, per_group, n_r))  # lowest z serving, [., o*s, d]
        self.export_profit = np.ones(cube)  # expected profit per exporter / base
        self.expected_price = np.ones(cube)  # contract-average landed price
        self.log_tariff_bar = np.zeros(cube)
        self.utilisation = np.ones((n_m, n_r, n_s))
        self.output_value = np.broadcast_to(self.flows0.sum(axis=1), (n_m, n_r, n_s)).copy()
        self.unit_cost = np.ones((n_m, n_r, n_s))  # producers' unit cost, base = 1

        # --- records, [member, month, ...]
        records = (n_m, *shape)
        self.flows = np.zeros(records)  # customs (dutiable) value, US$ bn
        self.revenue = np.zeros(records)
        self.rates = np.zeros(records)
        self.unit_values = np.zeros(records)  # customs value per unit, base year = 1
        # AI hardware bought under its own (possibly exempt) rates, part of ``flows``
        self.exempt_flows = np.zeros(records)
        self.exempt_rates = np.zeros(records)
        by_region = (n_m, self.n_months, n_r, n_s)
        self.prices = np.zeros(by_region)
        self.unit_costs = np.zeros(by_region)
        # the price buyers pay for a sector's goods, after and before they re-source
        self.sector_prices = np.zeros(by_region)
        self.sector_prices_pre = np.zeros(by_region)
        self.serving_path = np.zeros(records)
        self.switched = np.zeros(by_region)  # share of buyers re-sourcing
        self.fx_path = np.zeros((n_m, self.n_months, n_r))
        self.spending = np.zeros(by_region)
        gaps = (n_m, self.n_months, n_r)
        self.extra_revenue = np.zeros(gaps)
        self.gdp_gap = np.zeros(gaps)
        self.investment_gap = np.zeros(gaps)
        self.nx_gap = np.zeros(gaps)

    def _schedules(self, scenarios: Sequence[Scenario]) -> tuple[list[TariffSchedule], np.ndarray]:
        """The members' tariff schedules, one per distinct set of tariffs (and retaliation
        switch), and each member's."""
        data, on = self.data, self.on
        schedules: list[TariffSchedule] = []
        schedule_of = np.zeros(len(scenarios), dtype=np.int64)
        built: dict[str, int] = {}
        for m, scenario in enumerate(scenarios):
            tariffs = [tr.model_dump(mode="json") for tr in scenario.tariffs]
            key = json.dumps([tariffs, bool(on.retaliation[m])])
            if key not in built:
                built[key] = len(schedules)
                schedules.append(
                    TariffSchedule(
                        scenario.tariffs,
                        self.tau0,
                        data.regions,
                        data.sectors,
                        data.goods_mask,
                        self.spec.start,
                        self.n_months,
                        include_retaliation=bool(on.retaliation[m]),
                        transit_days=self.lead_months * DAYS_PER_MONTH,
                        groups=data.groups,
                    )
                )
            schedule_of[m] = built[key]
        # the entries every schedule begins with: their known paths are made once for all
        shared = 0
        first = schedules[0].entries
        while shared < len(first) and all(
            len(s.entries) > shared and s.entries[shared] is first[shared] for s in schedules
        ):
            shared += 1
        for schedule in schedules:
            schedule.shared = shared
        return schedules, schedule_of

    def fork(self, scenarios: Sequence[Scenario]) -> Worlds:
        """These worlds as they are now, carrying on under the tariffs of ``scenarios`` (one
        per member, the same as the members' but for tariffs that act from this month on:
        the caller checks it). The state is copied; what the month's stages only read is
        shared."""
        twin = copy_state(self)
        twin.orders = [order.copy() for order in self.orders]
        twin.firms = self.firms.fork()
        twin.rules = copy.deepcopy(self.rules)
        twin.scenarios = tuple(scenarios)
        twin.schedules, twin.schedule_of = twin._schedules(scenarios)
        twin._announced = None
        return twin

    # ------------------------------------------------------------------ helpers
    def _by_group(self, cube: np.ndarray) -> np.ndarray:
        """``[member, origin, destination, sector]`` -> ``[member * destination * sector,
        origin]`` (the firms' groups)."""
        return cube.transpose(0, 2, 3, 1).reshape(-1, cube.shape[1])

    def _by_buyer_group(self, cube: np.ndarray) -> np.ndarray:
        """``[member, origin, destination, sector]`` -> ``[member * destination * sector *
        kind, origin]`` (the buyers' groups: each kind of good sees the sector's prices)."""
        grouped = self._by_group(cube)
        return grouped if self.n_kinds == 1 else np.repeat(grouped, self.n_kinds, axis=0)

    def _kinds_by_group(self, by_kind: np.ndarray) -> np.ndarray:
        """``[kind, member, origin, destination, sector]`` -> the buyers' groups, ``[member *
        destination * sector * kind, origin]``; an index ``[kind, member, destination,
        sector]`` -> ``[group]``."""
        if by_kind.ndim == 4:
            return by_kind.transpose(1, 2, 3, 0).ravel()
        return by_kind.transpose(1, 3, 4, 0, 2).reshape(-1, by_kind.shape[2])

    def _over_kinds(self, by_kind: np.ndarray) -> np.ndarray:
        """A sector's value from its kinds' (leading kind axis, sector last), weighted by
        their shares of its spending."""
        if self.n_kinds == 1:
            return by_kind[0]
        return np.einsum("k...s,sk->...s", by_kind, self.class_shares)

    def _index_over_kinds(self, index: np.ndarray) -> np.ndarray:
        """A sector's price index from its kinds' (Cobb-Douglas over the kinds: each keeps
        its share of the sector's spending)."""
        if self.n_kinds == 1:
            return index[0]
        return np.exp(self._over_kinds(np.log(index)))

    def _gold(self, params: object) -> np.ndarray:
        """Gold bars shipped on the New York-London spread, ``[month, origin, destination]``."""
        g = params
        if None in (g.cost_usd_per_oz, g.full_spread_usd_per_oz, g.capacity_tonnes):
            raise DataError(
                f"data set {self.data.name!r} has no gold_arbitrage_* rows in parameters.csv, "
                "and the scenario ships gold (shocks.gold) without setting parameters.gold"
            )
        usd = gold.shipments_usd_bn(
            self.shocks.gold_spread,
            self.shocks.gold_price,
            g.cost_usd_per_oz,
            g.full_spread_usd_per_oz,
            g.capacity_tonnes,
        )
        return gold.bilateral(usd, self.shocks.gold_origins, self.data.region_index("USA"))

    def _by_member(self, per_schedule: list[np.ndarray]) -> np.ndarray:
        """One array per schedule -> ``[member or 1, ...]`` (one copy: members that share a
        schedule take its array; with one schedule, a view)."""
        if len(per_schedule) == 1:
            return per_schedule[0][None]
        if len(per_schedule) == self.n_members:
            return np.stack([per_schedule[i] for i in self.schedule_of])
        return np.stack(per_schedule)[self.schedule_of]

    def replace_schedule(self, schedule: TariffSchedule) -> None:
        """Carry on under another tariff schedule (the game's rounds, a batch of one); months
        already played are untouched."""
        self.schedules = [schedule]
        self._announced = None

    def extra(self, t: int) -> np.ndarray:
        """The extra rates in force in month ``t``, the schedule's and the retaliation's,
        ``[member or 1, origin, destination, sector]``."""
        scheduled = self._by_member([s.extra(t) for s in self.schedules])
        return scheduled + self.retaliation_path[:, t]

    def announced_path(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The extra rates of every month as firms know them in month ``t`` (the schedule
        announced by then plus the retaliation decided by then), piecewise constant: the
        months where a piece starts (``[piece]``, the first 0) and each piece's rates
        (``[member or 1, piece, origin, destination, sector]``), the path's pieces in every
        member at once. Rebuilt only when the schedules' knowledge or the retaliation
        changes; read-only."""
        key = (tuple(s.known_cutoff(t) for s in self.schedules), self.retaliation_revision)
        if self._announced is None or self._announced[0] != key:
            known = [s.known_path(t) for s in self.schedules]  # shared by models: read-only
            starts = np.logical_or.reduce([k[1] for k in known])
            if self.retaliation_revision:  # retaliation decided so far (else nothing to add)
                decided = self.retaliation_path
                starts[1:] |= (decided[:, 1:] != decided[:, :-1]).any(axis=(0, 2, 3, 4))
            starts[0] = True
            months = np.flatnonzero(starts)
            pieces = self._by_member([k[0][months] for k in known])
            if self.retaliation_revision:
                pieces = pieces + self.retaliation_path[:, months]
            pieces.flags.writeable = False
            self._announced = (key, months, pieces)
        return self._announced[1], self._announced[2]

    # ------------------------------------------------------------------ the month
    def step(self) -> None:
        t = self.t
        if t >= self.n_months:
            raise RuntimeError("the scenario's horizon is over")
        extra, tau = self._policy(t)
        fx_ratio, producer, tariff_factor, rel_price = self._landed_prices(tau)
        expected = self._expected_price(t, extra, fx_ratio)
        shares, price_index = self._decisions(t, expected, rel_price)
        customs, quantity, unit_customs, bars, spend_usd = self._flows(
            t, shares, price_index, tau, extra, producer, tariff_factor
        )
        revenue = self._revenue(t, customs, tau)
        self._update_prices(t, quantity)
        self.flows[:, t] = customs
        self.revenue[:, t] = revenue
        self.rates[:, t] = tau
        self.unit_values[:, t] = unit_customs
        self.prices[:, t] = self.price
        self.unit_costs[:, t] = self.unit_cost
        self.fx_path[:, t] = self.fx
        self.spending[:, t] = spend_usd
        self._macro(t, customs - bars, revenue)  # GDP excludes gold (BEA)
        self.t += 1

    def run(self) -> None:
        """Run every month of the scenario."""
        while self.t < self.n_months:
            self.step()

    def member(self, i: int) -> MemberView:
        """Member ``i``, read like a model of its own (for results)."""
        return MemberView(self, i)

    # -- 1. policy
    def _policy(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Retaliation rules and the macro closure act; the month's rates and exchange rates."""
        extra_now, government = None, None
        for imposer, rule in self.rules:  # a government sees the decisions of those before it
            if imposer != government:
                extra_now, government = self.extra(t), imposer
            if rule.update(t, extra_now, self.retaliation_path):
                self.retaliation_revision += 1
        if self.on.macro.any() and t > 0:
            self._closure(t - 1)
        extra = self.extra(t)
        tau = self.tau0 + extra
        if tau.shape[0] != self.n_members:
            tau = np.broadcast_to(tau, (self.n_members, *tau.shape[1:]))
            extra = np.broadcast_to(extra, tau.shape)
        self.tariff_now = tau
        inflows = self.shocks.inflows[t] + self.on.ai_capex[:, None] * self.shocks.ai_inflows[t]
        self.fx = exchange.exchange_rates(
            self.shocks.fx_paths[t],
            inflows,
            self.on.dollar,
            self.members.inflow_elasticity,
            self.data,
        )
        return extra, tau

    def _closure(self, last: int) -> None:
        """Pass last month's income and budget changes on to this month's spending.

        ``factor = 1 + mu * dY / Ybar - tw * dR / Ybar``: ``dY`` is last month's GDP gap
        against the no-policy baseline ``Ybar``, ``dR`` the extra tariff revenue (a tighter
        budget). Spending is most of GDP, so the loop gain is about ``mu < 1`` and converges.
        """
        p = self.members
        gdp = self.baseline_gdp_month[last]
        factor = (
            1.0
            + p.income_feedback[:, None] * self.gdp_gap[:, last] / gdp
            - p.twin_deficit[:, None] * self.extra_revenue[:, last] / gdp
        )
        self.absorption_factor = np.where(self.on.macro[:, None], np.clip(factor, 0.5, 1.5), 1.0)

    # -- 2. prices
    def _landed_prices(self, tau: np.ndarray) -> tuple[np.ndarray, ...]:
        """Landed prices relative to base, in the buyer's currency: a dollar-invoiced share of
        import prices is sticky in dollars, the rest in the exporter's currency; domestic
        sales are priced in the home currency."""
        fx = self.fx
        invoicing = self.members.invoicing
        fx_ratio = fx[:, :, None] ** (1.0 - invoicing[:, None, :]) / fx[:, None, :]
        diag = np.arange(self.data.n_regions)
        fx_ratio[:, diag, diag] = 1.0
        tariff_factor = ((1.0 + tau) / (1.0 + self.tau0)) ** _cube(self.rho)
        producer = self.price[:, :, None, :] * fx_ratio[..., None]
        return fx_ratio, producer, tariff_factor, producer * tariff_factor

    def _expected_price(self, t: int, extra: np.ndarray, fx_ratio: np.ndarray) -> np.ndarray:
        """Contract-average landed price firms expect (see :mod:`simulator.markets.expectations`).

        Producer prices are expected to stay, exchange-rate deviations to fade, tariffs to follow
        the schedule as announced (threatened increases with a probability).
        """
        exp_ = self.expectations
        months, pieces = self.announced_path(t)
        first = int(np.searchsorted(months, t, side="right")) - 1  # the piece in force in t
        starts = np.maximum(months[first:] - t, 0)
        self.log_tariff_bar = exp_.tariff_log_factor(
            extra, pieces[:, first:], starts, self.n_months - t, self.tau0
        )
        fx_bar = fx_ratio ** exp_.fx_weight[:, None, None]
        tariff_bar = np.exp(_cube(self.rho) * self.log_tariff_bar)
        self.expected_price = self.price[:, :, None, :] * fx_bar[..., None] * tariff_bar
        return self.expected_price

    # -- 3. decisions
    def _decisions(
        self, t: int, expected: np.ndarray, rel_price: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exporters choose their markets, buyers their suppliers; the prices buyers pay and
        producers' unit costs follow. Returns the spending shares and the CES price index."""
        on = self.on
        n_r, n_s, n_k = self.data.n_regions, self.data.n_sectors, self.n_kinds
        per_group = n_r * n_s * n_k  # the buyers' groups of a member
        # with exporters' entry and exit, buyers substitute among the firms still serving
        # with the firm-level elasticity, and entry and exit make up the rest of the long run;
        # buyers of each kind of good with its own (the nests get a leading kind axis)
        sigma_import, sigma_kind = self.sigma_demand, self.sigma_demand_class
        if on.entry.any():
            sigma_import = np.where(on.entry[:, None, None], self.sigma_firm, self.sigma_demand)
            sigma_kind = np.where(on.entry[:, None, None], self.sigma_firm_class, sigma_kind)
            self._exporters(t, expected, sigma_import)
        sigma_domestic = self.sigma_domestic_class
        weights = self.buyer_weights * self.serving
        optimal, index = nested_shares(weights, rel_price, sigma_domestic, sigma_kind)
        price_index = self._index_over_kinds(index)
        # without switching frictions every buyer re-sources every month at today's prices
        now = self._by_buyer_group(rel_price), self._kinds_by_group(index)
        optimal_bar, (bar, index_bar), reference = optimal, now, now[1]
        frictions = on.switching_frictions
        if frictions.any():
            optimal_bar, index_bar = nested_shares(weights, expected, sigma_domestic, sigma_kind)
            bar, index_bar = self._by_buyer_group(expected), self._kinds_by_group(index_bar)
            reference = index_bar  # least cost with every base-year supplier
            if on.entry.any():
                every_supplier = self._kinds_by_group(
                    nested_shares(self.buyer_weights, expected, sigma_domestic, sigma_kind)[1]
                )
                reference = np.where(np.repeat(on.entry, per_group), every_supplier, index_bar)
            if not frictions.all():
                optimal_bar = np.where(frictions[:, None, None, None], optimal_bar, optimal)
                group = np.repeat(frictions, per_group)
                bar = np.where(group[:, None], bar, now[0])
                index_bar = np.where(group, index_bar, now[1])
                reference = np.where(group, reference, now[1])
        buyers = self.firms.buyers
        bought = buyers.update(
            t,
            self._kinds_by_group(optimal_bar),
            bar,
            index_bar,
            self.annuity_by_group,
            now[0],
            everyone=np.repeat(~frictions, per_group),
            reference_index=reference,
        )
        # [kind, member, origin, destination, sector]
        by_kind = bought.reshape(-1, n_r, n_s, n_k, n_r).transpose(3, 0, 4, 1, 2)
        shares = self._over_kinds(by_kind)
        switched = buyers.last.share_switched.reshape(self.n_members, n_r, n_s, n_k)
        self.switched[:, t] = self._over_kinds(switched.transpose(3, 0, 1, 2))
        # what buyers pay for what they get, measured with the Armington composite (base-year
        # weights, the long-run elasticity): with Pareto-distributed exporters the variety
        # lost when exporters leave is offset by the fixed costs they no longer pay, so the
        # welfare change is the Armington one (Arkolakis, Costinot & Rodriguez-Clare 2012)
        sector_price = self._index_over_kinds(
            price_after_substitution(
                self.buyer_weights, by_kind, rel_price, sigma_domestic, self.sigma_demand_class
            )
        )
        self.sector_prices[:, t] = sector_price
        self.sector_prices_pre[:, t] = price_before_substitution(self.weights, rel_price)
        self.unit_cost = unit_cost_index(self.input_coefficients, sector_price)
        self.serving_path[:, t] = self.serving
        return shares, price_index

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
        n_m, n_r, n_s = self.n_members, self.data.n_regions, self.data.n_sectors
        p = self.members
        weights = self.weights * self.serving
        if self.members.kind_weights is None:
            shares, index = nested_shares(weights, expected, self.sigma_domestic, sigma_import)
        else:  # groups of products by lead supplier: each group's demand, summed
            by_kind, index = nested_shares(
                self.buyer_weights * self.serving, expected, self.sigma_domestic, sigma_import
            )
            shares, index = self._over_kinds(by_kind), self._index_over_kinds(index)
        spend = (
            index ** (1.0 - _table(p.eta))
            * self.absorption_factor[:, :, None]
            * self.shocks.demand[t]
        )
        per_variety = shares / np.where(weights > 0, weights, 1.0)
        quantity = per_variety * spend[:, None] / expected
        received = np.exp((_cube(self.rho) - 1.0) * self.log_tariff_bar)
        margin = 1.0 / np.maximum(sigma_import, 1.0 + 1e-9)[:, None]
        profit = quantity * self.price[:, :, None, :] * (received - (1.0 - margin)) / margin
        self.export_profit = profit
        grouped = profit.transpose(0, 1, 3, 2).reshape(n_m, n_r * n_s, n_r)
        self.entry_threshold = entry_threshold(
            self.entry_threshold, grouped, _table(p.hysteresis), _table(p.z_min)
        )
        serving = self.firms.producers.serving_share(self.entry_threshold.reshape(-1, n_r))
        serving = serving.reshape(n_m, n_r, n_s, n_r).transpose(0, 1, 3, 2).copy()
        diag = np.arange(n_r)
        serving[:, diag, diag] = 1.0
        self.serving = np.maximum(serving, 1e-12)
        entry = self.on.entry
        if not entry.all():  # members without exporters' entry and exit: every firm serves
            self.serving[~entry] = 1.0
            self.export_profit[~entry] = 1.0
            self.entry_threshold[~entry] = 1.0

    # -- 4. flows
    def _flows(
        self,
        t: int,
        shares: np.ndarray,
        price_index: np.ndarray,
        tau: np.ndarray,
        extra: np.ndarray,
        producer: np.ndarray,
        tariff_factor: np.ndarray,
    ) -> tuple[np.ndarray, ...]:
        """Spending split over origins, front-loading, AI hardware, services, gold: customs
        value, quantity, unit customs value, gold bars and spending in dollars."""
        on = self.on
        spend_local = (
            self.spending0
            * self.growth_path[t][:, None]
            * self.shocks.demand[t]
            * self.absorption_factor[:, :, None]
            * price_index ** (1.0 - _table(self.members.eta))
        )
        spend_usd = spend_local * self.fx[:, :, None]
        landed = shares * spend_usd[:, None]
        customs = landed / (1.0 + tau)
        unit_customs = (
            producer * self.fx[:, None, :, None] * tariff_factor / (1.0 + tau) * (1.0 + self.tau0)
        )
        quantity = customs / unit_customs

        if on.front_loading.any():
            stocked = quantity + self._front_load(t, tau, quantity)
            if on.front_loading.all():
                quantity, customs = stocked, stocked * unit_customs
            else:
                member = on.front_loading[:, None, None, None]
                quantity = np.where(member, stocked, quantity)
                customs = np.where(member, stocked * unit_customs, customs)

        ai = self.shocks.ai_capex_flows(t, tau, self.tau0, extra) if on.ai_capex.any() else None
        if ai is not None:
            bought, rates = ai[0] * _cube(on.ai_capex), np.where(_cube(on.ai_capex), ai[1], 0.0)
            self.exempt_flows[:, t], self.exempt_rates[:, t] = bought, rates
            customs = customs + bought
            quantity = quantity + bought / unit_customs
        digital = on.digital_services
        services = self.shocks.services_exports(t) if digital.any() else None
        if services is not None:
            services = services * _cube(digital)
            customs = customs + services
            quantity = quantity + services / unit_customs
        bars = np.zeros_like(customs)  # gold bars: duty-free, a stock moved, not output
        if self.gold_flows[:, t].any():
            s = self.gold_sector
            bars[..., s] = self.gold_flows[:, t]
            customs = customs + bars
            self.exempt_flows[:, t, ..., s] += bars[..., s]
            self.exempt_rates[:, t, ..., s] *= bars[..., s] == 0.0
        return customs, quantity, unit_customs, bars, spend_usd

    def _front_load(self, t: int, tau: np.ndarray, use: np.ndarray) -> np.ndarray:
        """Extra purchases arriving this month (quantity), zero on domestic cells.

        Orders placed now arrive ``lead_months`` later and pay the tariff in force then, so
        importers compare the rate expected on arrival with the rates expected after it, both
        read from the schedule as buyers read it (:meth:`Expectations.expected_rates`: an
        announced increase not yet in force counts with the threat probability). A month
        never draws more from stock than it uses; what it cannot use stays in stock, so
        purchases are never negative.
        """
        p = self.members
        arrival = t + self.lead_months
        horizon = min(self.stock_horizon, self.n_months - 1 - arrival)
        if horizon <= 0:
            target = np.zeros_like(tau)
            months_left = np.ones_like(tau)
        else:
            target = np.zeros_like(tau)
            months_left = np.ones_like(tau)
            months, pieces = self.announced_path(t)
            # the piece in force in each month from the arrival on
            piece = np.searchsorted(months, np.arange(arrival, arrival + 1 + horizon), "right") - 1
            used = pieces[:, piece[0] : piece[-1] + 1]
            # only cells whose announced rate changes after the arrival month can gain
            cells = (used[:, 1:] != used[:, :1]).any(axis=(0, 1))
            if cells.any():
                now = (tau - self.tau0)[:, cells]
                announced = used[:, :, cells][:, piece - piece[0]]
                expected = self.tau0[cells] + self.expectations.expected_rates(now, announced)
                target[:, cells], months_left[:, cells] = inventory.stock_target_months(
                    expected[:, 0],
                    expected[:, 1:].swapaxes(0, 1),
                    self.rho[:, None],
                    p.carrying_cost[:, None],
                    p.capacity_months[:, None],
                )
        change = inventory.stock_change(
            self.stock,
            use,
            target,
            months_left,
            _cube(p.max_build),
            _cube(p.drawdown_months),
        )
        diag = np.arange(self.data.n_regions)
        change[:, diag, diag, :] = 0.0
        change[~self.on.front_loading] = 0.0  # members without front-loading
        self.stock_change = change
        self.stock += change  # stock counts goods on order
        self.orders.append(change)
        arriving = self.orders.pop(0)
        drawn = np.maximum(arriving, -use)
        self.stock += drawn - arriving  # stock that could not be used this month
        return drawn

    # -- 5. revenue
    def _revenue(self, t: int, customs: np.ndarray, tau: np.ndarray) -> np.ndarray:
        """Duty: the rate in force on dutiable value; exempt purchases at their own rates."""
        exempt = self.exempt_flows[:, t]
        return (customs - exempt) * tau + exempt * self.exempt_rates[:, t]

    # -- 6. producers and macro
    def _update_prices(self, t: int, quantity: np.ndarray) -> None:
        """Producers set next month's price from this month's output against the baseline and
        this month's unit cost (supply chains: :mod:`simulator.costs.supply_chains`)."""
        output = quantity.sum(axis=2)
        self.utilisation = output / self.baseline_output[t]
        self.output_value = (quantity * self.price[:, :, None, :]).sum(axis=2)
        producers = self.firms.producers
        unit_cost = self.unit_cost  # this month's input prices set next month's cost
        scale = self._export_scale(t, quantity)
        if scale is not None:
            unit_cost = unit_cost * scale
        unit_cost = unit_cost.reshape(-1)
        supply, capacity = self.supply_elasticity_by_group, self.capacity_elasticity_by_group
        n_m = self.n_members

        def desired(x: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
            if groups is None:
                return unit_cost * producers.desired_price(x, supply, capacity)
            some = None if capacity is None else capacity[groups]
            wanted = producers.desired_price(x, supply[groups], some, groups)
            return unit_cost[groups] * wanted

        target = anticipated_price(
            self.price.reshape(n_m, -1),
            self.utilisation.reshape(n_m, -1),
            self.members.demand_elasticity.reshape(n_m, -1),
            desired,
        ).reshape(self.price.shape)
        theta = _table(self.members.price_speed)
        self.price = self.price ** (1.0 - theta) * target**theta

    def _export_scale(self, t: int, quantity: np.ndarray) -> np.ndarray | None:
        """Scale in exporting (``mechanisms.export_scale``): a producer group's cost moves with
        its export sales, ``(E / Ebar) ** omega``, ``[member, region, sector]``.

        ``E`` is this month's quantity sold abroad (all foreign markets), ``Ebar`` the
        no-policy path's, ``omega`` the inverse export supply elasticity (Fajgelbaum, Goldberg,
        Kennedy, Khandelwal & Taglioni 2024): negative, supply slopes down and a group selling
        more to one market becomes cheaper in all of them. None where no member has it (in a
        member without it ``omega = 0``, a factor of exactly 1).
        """
        omega = self.members.export_scale
        if not omega.any():
            return None
        diag = np.arange(self.data.n_regions)
        exports = quantity.sum(axis=2) - quantity[:, diag, diag]
        base = self.baseline_output[t] - self.baseline_flows[t][diag, diag]
        ratio = np.divide(exports, base, out=np.ones_like(exports), where=base > 0.0)
        return np.maximum(ratio, 1e-12) ** _table(omega)

    def _macro(self, t: int, customs: np.ndarray, revenue: np.ndarray) -> None:
        """GDP and budget gaps against the no-policy baseline (expenditure side).

        ``dY = (factor - 1) * (Ybar - NXbar) + capex + dNX``: domestic absorption scaled by the
        macro factor, AI investment, and the change in net exports.
        """
        diag = np.arange(self.data.n_regions)
        trade = customs.copy()
        trade[:, diag, diag] = 0.0
        base = self.baseline_flows[t].copy()
        base_revenue = (base * self.tau0).sum(axis=(0, 2))
        base[diag, diag] = 0.0
        nx = trade.sum(axis=(2, 3)) - trade.sum(axis=(1, 3))
        nx_base = base.sum(axis=(1, 2)) - base.sum(axis=(0, 2))
        absorption = self.baseline_gdp_month[t] - nx_base
        investment = np.zeros_like(nx)
        if self.shocks.ai is not None:
            investment[:, self.shocks.ai_region] = self.shocks.capex[t] * self.on.ai_capex
        self.gdp_gap[:, t] = (self.absorption_factor - 1.0) * absorption + investment + nx - nx_base
        self.investment_gap[:, t] = investment
        self.nx_gap[:, t] = nx - nx_base
        self.extra_revenue[:, t] = revenue.sum(axis=(1, 3)) - base_revenue


# a batch's monthly records, [member, month, ...]
RECORDS = frozenset(
    {
        "flows",
        "revenue",
        "rates",
        "unit_values",
        "exempt_flows",
        "exempt_rates",
        "prices",
        "unit_costs",
        "sector_prices",
        "sector_prices_pre",
        "serving_path",
        "switched",
        "fx_path",
        "spending",
        "extra_revenue",
        "gdp_gap",
        "investment_gap",
        "nx_gap",
        "gold_flows",
    }
)
# arrays of a batch with a leading member axis, seen one member at a time
MEMBER_ARRAYS = RECORDS | {
    "price",
    "fx",
    "absorption_factor",
    "stock",
    "stock_change",
    "tariff_now",
    "serving",
    "entry_threshold",
    "export_profit",
    "expected_price",
    "log_tariff_bar",
    "utilisation",
    "output_value",
    "unit_cost",
}
# per-member parameters, seen one member at a time
MEMBER_PARAMETER_ARRAYS = frozenset({"sigma_import", "sigma_domestic", "sigma_firm", "rho"})


class MemberAccess:
    """One member of a batch, read like a model of its own: ``flows``, ``price``, ``params``
    and every other array are that member's (records ``[month, ...]``, state ``[...]``)."""

    worlds: Worlds
    member: int

    def __getattr__(self, name: str) -> object:
        worlds = self.__dict__.get("worlds")
        if worlds is None or name.startswith("__"):
            raise AttributeError(name)
        value = getattr(worlds, name)
        if name in MEMBER_ARRAYS:
            return value[self.member]
        if name in MEMBER_PARAMETER_ARRAYS:
            return getattr(worlds.members, name)[self.member]
        if name == "retaliation_path":
            return value[min(self.member, len(value) - 1)]
        return value

    @property
    def schedule(self) -> TariffSchedule:
        """The member's tariff schedule."""
        return self.worlds.schedules[self.worlds.schedule_of[self.member]]

    @property
    def params(self) -> object:
        """The member's behaviour parameters (data-set defaults filled in)."""
        return self.worlds.members.resolved[self.member]

    def retaliation_fired(self) -> dict[int, list[tuple[int, float]]]:
        """What each retaliation rule did in this member, keyed by the rule's place in the
        scenario's ``retaliation`` list: ``(month decided, rate)`` for each change."""
        place = {id(spec): k for k, spec in enumerate(self.worlds.spec.retaliation)}
        return {place[id(rule.spec)]: rule.fired[self.member] for _, rule in self.worlds.rules}

    def month_label(self, t: int) -> str:
        return month_label(month_index(self.worlds.spec.start) + t)


class MemberView(MemberAccess):
    """A finished (or running) member of a batch, for results: no Mesa agents."""

    def __init__(self, worlds: Worlds, member: int) -> None:
        self.worlds = worlds
        self.member = member
        self.spec = worlds.scenarios[member]
        self.seed = worlds.seeds[member]
