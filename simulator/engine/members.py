"""The members of a batch: scenarios that differ only in behaviour parameters.

A batch advances several worlds (members) in one step. Its members share everything that
shapes the arrays and the policy but their tariffs — the data set, the horizon, retaliation
rules, shocks, firms, the growth and supply-chain switches — and may differ in their tariffs,
in the behaviour parameters listed in :data:`MEMBER_PARAMETERS`, in the mechanism switches
listed in :data:`MEMBER_MECHANISMS` and in their seeds (which draw their firms).
:func:`batch_key` tells which scenarios can share a batch; :class:`MemberParameters` holds the
parameters, and :class:`Switches` the switches, as arrays over the member axis.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulator.calibration.dataset import BaseData, DataError
from simulator.calibration.parameters import (
    RAUCH_CLASSES,
    class_mix,
    class_scale,
    rauch_classes,
)
from simulator.calibration.suppliers import supplier_weights
from simulator.markets.pricing import demand_elasticity
from simulator.markets.sourcing import cost_levels
from simulator.scenario import resolve_parameters
from simulator.scenario.schema import Parameters, Scenario

# the ``parameters`` blocks and keys that may differ between the members of one batch
MEMBER_BLOCKS = ("sourcing", "expectations", "exporters", "gold", "macro")
MEMBER_KEYS = (
    "elasticities",
    "domestic_elasticity_ratio",
    "composite_demand_elasticity",
    "pass_through",
    "adjustment_speed",
    "supply_elasticity",
    "capacity_elasticity",
    "export_scale_elasticity",
    "price_adjustment_speed",
    "inventory.carrying_cost_pct",
    "inventory.capacity_months",
    "inventory.max_build",
    "inventory.drawdown_months",
    "dollar.inflow_elasticity",
    "dollar.invoicing_share",
    "dollar.us_import_invoicing_share",
)
MEMBER_PARAMETERS = MEMBER_BLOCKS + MEMBER_KEYS
# the keys of those blocks that members must share all the same: they shape the arrays
SHARED_KEYS = ("sourcing.classes", "sourcing.products")
# the mechanism switches that may differ between the members of one batch (the others,
# ``growth`` and ``supply_chains``, shape arrays every member shares: the no-policy path and
# the input-output coefficients)
MEMBER_MECHANISMS = (
    "pass_through",
    "diversion",
    "switching_frictions",
    "exporter_exit",
    "capacity",
    "front_loading",
    "retaliation",
    "ai_capex",
    "dollar",
    "macro",
    "services",
    "gold",
    "export_scale",
)


def batch_key(scenario: Scenario) -> str:
    """What members of one batch must share: the scenario without its name, description,
    seed, tariffs, member parameters and member switches (but with :data:`SHARED_KEYS`,
    which shape the arrays)."""
    exclude = {"name", "description", "extends", "seed", "tariffs"}
    raw = scenario.model_dump(mode="json", exclude=exclude)
    shared = {path: _value(raw["parameters"], path) for path in SHARED_KEYS}
    for name in MEMBER_MECHANISMS:
        raw["mechanisms"].pop(name)
    params = raw["parameters"]
    for path in MEMBER_PARAMETERS:
        *blocks, key = path.split(".")
        target = params
        for block in blocks:
            target = target[block]
        target.pop(key)
    raw["shared"] = shared
    return json.dumps(raw, sort_keys=True)


def _value(params: dict, path: str) -> object:
    for step in path.split("."):
        params = params[step]
    return params


@dataclass(frozen=True)
class Switches:
    """Each member's mechanism switches (:data:`MEMBER_MECHANISMS`), booleans ``[member]``."""

    pass_through: np.ndarray
    diversion: np.ndarray
    switching_frictions: np.ndarray
    exporter_exit: np.ndarray
    capacity: np.ndarray
    front_loading: np.ndarray
    retaliation: np.ndarray
    ai_capex: np.ndarray
    dollar: np.ndarray
    macro: np.ndarray
    services: np.ndarray
    gold: np.ndarray
    export_scale: np.ndarray

    @classmethod
    def of(cls, scenarios: Sequence[Scenario]) -> Switches:
        return cls(
            **{
                name: np.array([getattr(s.mechanisms, name) for s in scenarios], dtype=bool)
                for name in MEMBER_MECHANISMS
            }
        )

    @property
    def entry(self) -> np.ndarray:
        """Exporters choose their markets: only where buyers divert between origins."""
        return self.exporter_exit & self.diversion

    @property
    def digital_services(self) -> np.ndarray:
        """AI-related services exports: they grow with AI capex."""
        return self.services & self.ai_capex


@dataclass(frozen=True)
class MemberParameters:
    """Every behaviour parameter the month uses, one value (or row) per member.

    Scalars are arrays ``[member]``; per-sector values ``[member, sector]``; the demand
    elasticity of each producer group ``[member, region, sector]``. Buyers trade one or more
    kinds of goods in each sector (Rauch classes, or groups of products by lead supplier;
    ``class_shares[sector, kind]``, shared by the members); their elasticities and switching
    costs have a kind axis after the sector's.
    """

    resolved: tuple[Parameters, ...]
    on: Switches
    rho: np.ndarray  # pass-through (1 with the mechanism off)
    sigma_import: np.ndarray
    sigma_domestic: np.ndarray
    sigma_firm: np.ndarray
    demand_elasticity: np.ndarray
    eta: np.ndarray  # composite (cross-sector) demand elasticity
    z_min: np.ndarray
    profit_tail: np.ndarray
    hysteresis: np.ndarray
    invoicing: np.ndarray  # [member, destination]
    inflow_elasticity: np.ndarray
    supply_elasticity: np.ndarray
    # None with the capacity mechanism off in every member; inf in a member without it
    capacity_elasticity: np.ndarray | None
    # inverse export supply elasticity, 0 in a member without mechanisms.export_scale
    export_scale: np.ndarray
    price_speed: np.ndarray
    income_feedback: np.ndarray
    twin_deficit: np.ndarray
    carrying_cost: np.ndarray  # a fraction of the value a month
    capacity_months: np.ndarray
    max_build: np.ndarray
    drawdown_months: np.ndarray
    hazard: np.ndarray  # the contract-expiry hazard (a sector's mean over its kinds)
    hazard_class: np.ndarray  # the buyers' by kind of good, [member, sector, kind]
    discount: np.ndarray  # a month
    fx_half_life: np.ndarray
    threat_probability: np.ndarray
    class_kinds: np.ndarray  # [sector, kind]: the Rauch class of each kind of good
    class_shares: np.ndarray  # [sector, kind]: each kind's share of the sector's spending
    # the kinds' own Armington weights, [kind, origin, destination, sector], when they differ
    # from the sector's (products grouped by lead supplier); None when every kind has the
    # sector's
    kind_weights: np.ndarray | None
    # the buyers' elasticities by kind of good, [member, sector, kind]
    sigma_import_class: np.ndarray
    sigma_domestic_class: np.ndarray
    sigma_firm_class: np.ndarray
    switching_cost: np.ndarray  # buyers' cost levels, [member, sector, kind, level]

    @property
    def size(self) -> int:
        return len(self.resolved)

    @classmethod
    def build(
        cls, scenarios: Sequence[Scenario], data: BaseData, flows0: np.ndarray
    ) -> MemberParameters:
        """Resolve each member's parameters (data-set defaults filled in) and stack them."""
        on = Switches.of(scenarios)
        resolved = tuple(resolve_parameters(s.parameters, data) for s in scenarios)

        def stack(get) -> np.ndarray:
            return np.array([get(p) for p in resolved], dtype=float)

        sigma_import = np.tile(data.elasticity, (len(resolved), 1))
        for m, p in enumerate(resolved):
            for code, value in p.elasticities.items():
                sigma_import[m, data.sector_index(code)] = value
        ratio = stack(lambda p: p.domestic_elasticity_ratio)
        profit_tail = stack(lambda p: p.exporters.profit_tail)
        sigma_domestic, sigma_firm = _nests(sigma_import, ratio, profit_tail, on.entry)
        landed0 = flows0 * (1.0 + data.base_tariff)
        within = _shared(resolved, "classes") == "within_sectors"
        kind_weights = None
        if _shared(resolved, "products") == "by_lead_supplier":
            class_shares, kind_weights, classes = _lead_suppliers(data, landed0, within)
        else:
            classes, class_shares = class_mix(data, within)
        scales = [_class_scales(p, data, classes, class_shares) for p in resolved]
        scale, hazard_scale = np.stack([s for s, _ in scales]), np.stack([h for _, h in scales])
        # a kind whose scale is 1 (every kind of a sector with one) keeps the sector's values
        sigma_import_class = np.where(
            scale == 1.0, sigma_import[..., None], 1.0 + (sigma_import[..., None] - 1.0) * scale
        )
        hazard = stack(lambda p: p.adjustment_speed)
        hazard_class = np.where(
            hazard_scale == 1.0,
            hazard[:, None, None],
            np.minimum(hazard[:, None, None] * hazard_scale, 1.0),
        )
        sigma_domestic_class, sigma_firm_class = _nests(
            sigma_import_class, ratio[:, None], profit_tail[:, None], on.entry[:, None]
        )
        eta = stack(lambda p: p.composite_demand_elasticity)
        weights = landed0 / landed0.sum(axis=0)[None]
        # producers' price setting anticipates this elasticity of demand for their output
        elasticity = np.stack(
            [
                demand_elasticity(
                    flows0,
                    weights,
                    sigma_domestic[m],
                    sigma_import[m] if on.diversion[m] else np.ones(data.n_sectors),
                    float(eta[m]),
                )
                for m in range(len(resolved))
            ]
        )
        invoicing = np.tile(stack(lambda p: p.dollar.invoicing_share)[:, None], data.n_regions)
        if "USA" in data.regions:
            us = data.region_index("USA")
            invoicing[:, us] = stack(lambda p: p.dollar.us_import_invoicing_share)
        participation = stack(lambda p: p.exporters.participation)
        return cls(
            resolved=resolved,
            on=on,
            rho=np.where(on.pass_through, stack(lambda p: p.pass_through), 1.0),
            sigma_import=sigma_import,
            sigma_domestic=sigma_domestic,
            sigma_firm=sigma_firm,
            demand_elasticity=elasticity,
            eta=eta,
            # lowest export profit ratio: a share z_min ** a of producers exports in 2024
            z_min=participation ** (1.0 / profit_tail),
            profit_tail=profit_tail,
            hysteresis=stack(lambda p: p.exporters.hysteresis),
            invoicing=invoicing,
            inflow_elasticity=stack(lambda p: p.dollar.inflow_elasticity),
            supply_elasticity=stack(lambda p: p.supply_elasticity),
            capacity_elasticity=(
                np.where(on.capacity, stack(lambda p: p.capacity_elasticity), np.inf)
                if on.capacity.any()
                else None
            ),
            export_scale=_export_scale(resolved, on),
            price_speed=stack(lambda p: p.price_adjustment_speed),
            income_feedback=stack(lambda p: p.macro.income_feedback),
            twin_deficit=stack(lambda p: p.macro.twin_deficit),
            carrying_cost=stack(lambda p: p.inventory.carrying_cost_pct) / 100.0,
            capacity_months=stack(lambda p: p.inventory.capacity_months),
            max_build=stack(lambda p: p.inventory.max_build),
            drawdown_months=stack(lambda p: p.inventory.drawdown_months),
            hazard=hazard,
            hazard_class=hazard_class,
            discount=stack(lambda p: (1.0 + p.sourcing.discount_rate_pct / 100.0) ** (1.0 / 12.0))
            - 1.0,
            fx_half_life=stack(lambda p: p.expectations.fx_half_life_months),
            threat_probability=stack(lambda p: p.expectations.threat_probability),
            class_kinds=classes,
            class_shares=class_shares,
            kind_weights=kind_weights,
            sigma_import_class=sigma_import_class,
            sigma_domestic_class=sigma_domestic_class,
            sigma_firm_class=sigma_firm_class,
            switching_cost=np.stack([_cost_levels(p, classes) for p in resolved]),
        )


def _nests(
    sigma_import: np.ndarray, ratio: np.ndarray, profit_tail: np.ndarray, entry: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The domestic nest's elasticity and the firm-level one, from the import nest's
    (``[member, ...]``; the other arguments broadcast against it from the left)."""
    sigma_domestic = sigma_import * ratio[:, None]
    # intensive-margin elasticity: (sigma_firm - 1) * a = sigma - 1 (Chaney 2008)
    sigma_firm = 1.0 + (sigma_import - 1.0) / profit_tail[:, None]
    # with exporters' entry and exit, buyers choose among import varieties with sigma_firm;
    # the nest above it (domestic versus imports) must not be more elastic, or import
    # varieties become complements and one origin's exits cut the demand for every other's
    sigma_domestic = np.where(
        entry[:, None], np.minimum(sigma_domestic, sigma_firm), sigma_domestic
    )
    return sigma_domestic, sigma_firm


def _shared(resolved: Sequence[Parameters], key: str) -> str:
    """A ``parameters.sourcing`` setting the members of a batch share (it shapes the
    buyers' groups)."""
    modes = {getattr(p.sourcing, key) for p in resolved}
    if len(modes) > 1:
        raise ValueError(f"the members of a batch differ in parameters.sourcing.{key}")
    return modes.pop()


def _lead_suppliers(
    data: BaseData, landed0: np.ndarray, within: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kinds of goods by supplier group (and with ``within``, by group and Rauch class):
    their shares of each sector's spending, their weights and the class of each."""
    groups = data.supplier_groups
    if groups is None:
        raise DataError(
            f"data set {data.name!r} has no supplier_groups.csv (or the scenario's regions "
            "merge its importer into another region), and the scenario sets "
            "parameters.sourcing.products: by_lead_supplier"
        )
    own = rauch_classes(data)
    imports, home_supply = groups.by_kind(within)
    fallback = own if within else np.zeros_like(own)
    home = data.region_index(groups.importer)
    shares, weights = supplier_weights(imports, home, landed0, fallback, home_supply)
    n_classes = len(RAUCH_CLASSES)
    kinds = np.arange(imports.shape[2])
    classes = np.tile(kinds % n_classes, (data.n_sectors, 1)) if within else own[:, None]
    return shares, weights, np.broadcast_to(classes, shares.shape).copy()


def _class_scales(
    p: Parameters, data: BaseData, classes: np.ndarray, shares: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``[sector, kind]``: each kind's trade elasticity and contract hazard relative to its
    sector's (ones when a sector's kinds are all of one class)."""
    if np.all(classes == classes[:, :1]):
        return np.ones(classes.shape), np.ones(classes.shape)
    sigma = [getattr(p.sourcing, f"elasticity_{c}") for c in RAUCH_CLASSES]
    hazard = [p.sourcing.hazard_ratio_homogeneous, p.sourcing.hazard_ratio_reference, 1.0]
    for values, what, where in (
        (sigma, "elasticity_<class>", "goods_class_elasticities.csv"),
        (hazard, "hazard_ratio_<class>", "contract_hazard_ratio_<class> in parameters.csv"),
    ):
        if None in values:
            raise DataError(
                f"data set {data.name!r} has no {where}, and the scenario sets "
                f"parameters.sourcing.classes: within_sectors without parameters.sourcing.{what}"
            )
    trade = np.array(sigma) - 1.0
    return class_scale(trade, classes, shares), class_scale(np.array(hazard), classes, shares)


def _cost_levels(p: Parameters, classes: np.ndarray) -> np.ndarray:
    """``[sector, kind, level]``: the switching costs of the buyers of each kind of good,
    by quantile level of its class's log-normal."""
    medians = np.array([getattr(p.sourcing, f"switching_cost_{c}") for c in RAUCH_CLASSES])
    median = medians[classes].ravel()
    dispersion = np.full(median.size, p.sourcing.switching_cost_dispersion)
    return cost_levels(median, dispersion).reshape(*classes.shape, -1)


def _export_scale(resolved: Sequence[Parameters], on: Switches) -> np.ndarray:
    """Each member's inverse export supply elasticity ``omega``, the scenario's value (the
    loader requires it with the channel on); 0 in the members without
    ``mechanisms.export_scale``, where the price ignores export sales."""
    switched = zip(resolved, on.export_scale, strict=True)
    return np.array([p.export_scale_elasticity if on else 0.0 for p, on in switched])
