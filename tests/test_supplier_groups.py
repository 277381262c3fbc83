"""Products grouped by lead supplier (``parameters.sourcing.products: by_lead_supplier``): each
sector's US buyers split into groups of products by the origin that led their 2024 supply,
each group an Armington nest with its own origin weights, so that trade leaving a taxed origin
goes to the origins that sell the same products."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import RAUCH, REGIONS, SECTORS, synthetic_data
from test_engine import FRICTIONLESS, armington_demand, china_tariff, run, scenario

from simulator.calibration.dataset import DataError, SupplierGroups, load_dataset
from simulator.calibration.suppliers import supplier_weights
from simulator.engine.worlds import Worlds
from simulator.model import TradeModel
from simulator.scenario import load_scenario

US, CHN, EU, VNM, ROW = (REGIONS.index(r) for r in ("USA", "CHN", "EU", "VNM", "ROW"))
GOODS = [s for s in SECTORS if not s.endswith("services")]
# US imports by origin in each goods sector's three groups (CHN-led, EU-led, the rest): the
# products China leads are those Vietnam sells too
LED = {
    "CHN": {CHN: 60.0, VNM: 25.0, EU: 5.0, ROW: 10.0},
    "EU": {CHN: 5.0, VNM: 2.0, EU: 70.0, ROW: 23.0},
    "other": {CHN: 10.0, VNM: 5.0, EU: 20.0, ROW: 65.0},
}


HOME = np.array([1.0, 6.0, 3.0])  # US producers: little of China's products, most of the EU's


def grouped(data=None, split=None, home=None) -> tuple:
    """The synthetic data with supplier groups; each origin's imports of a group all in the
    sector's Rauch class, or split over the classes by ``split[origin]``; with ``home``
    ``[group]``, US producers' supply of each goods sector split so across its groups."""
    data = data or synthetic_data()
    imports = np.zeros((len(REGIONS), len(SECTORS), len(LED)))
    for s, sector in enumerate(SECTORS):
        if sector in GOODS:
            for g, by_origin in enumerate(LED.values()):
                for o, value in by_origin.items():
                    imports[o, s, g] = value * (1 + s)  # sectors differ in size, not in mix
    by_class = np.zeros((*imports.shape, 3))
    own = np.array(RAUCH, dtype=int)
    for s in range(len(SECTORS)):
        by_class[:, s, :, own[s]] = imports[:, s]
    if split is not None:
        by_class = imports[..., None] * split[:, None, None, :]
    labels = tuple(tuple(LED) if s in GOODS else () for s in SECTORS)
    supply = None
    if home is not None:
        supply = np.zeros((len(SECTORS), len(LED), 3))
        for s, sector in enumerate(SECTORS):
            if sector in GOODS:
                supply[s, :, own[s]] = home
    groups = SupplierGroups(importer="USA", labels=labels, imports=by_class, home=supply)
    return replace(data, supplier_groups=groups), imports


def by_lead(**parameters) -> dict:
    return {"sourcing": {"products": "by_lead_supplier"}, **parameters}


def test_the_groups_weights_add_up_to_the_sectors():
    data, imports = grouped()
    landed = data.flows * (1 + data.base_tariff)
    imports_by_group, home_supply = data.supplier_groups.by_kind(classes=False)
    assert np.array_equal(imports_by_group, imports) and home_supply is None
    shares, weights = supplier_weights(imports, US, landed, np.zeros(len(SECTORS), dtype=int))
    sector = landed / landed.sum(axis=0)
    assert np.allclose(np.einsum("sg,gods->ods", shares, weights), sector, rtol=1e-14)
    assert np.allclose(shares.sum(axis=1), 1.0)
    # each origin's US purchases are split as its 2024 imports were; home purchases as all
    # imports were; other importers' groups keep the sector's weights
    steel = SECTORS.index("steel")
    bought = shares[steel][:, None] * weights[:, :, US, steel]  # [group, origin]
    assert np.allclose(bought[:, VNM] / bought[:, VNM].sum(), [25 / 32, 2 / 32, 5 / 32])
    assert np.allclose(
        bought[:, US] / bought[:, US].sum(), imports[:, steel].sum(0) / imports[:, steel].sum()
    )
    assert np.array_equal(
        weights[:, :, EU], np.broadcast_to(sector[:, EU], weights[:, :, EU].shape)
    )
    services = SECTORS.index("other_services")  # no groups: all in the first, the sector's
    assert np.array_equal(shares[services], [1.0, 0.0, 0.0])
    assert np.allclose(weights[0, :, :, services], sector[:, :, services], rtol=1e-15)


def test_home_producers_sales_split_as_their_supply():
    data, _ = grouped(home=HOME)
    landed = data.flows * (1 + data.base_tariff)
    imports, supply = data.supplier_groups.by_kind(classes=False)
    n = len(SECTORS)
    shares, weights = supplier_weights(imports, US, landed, np.zeros(n, dtype=int), supply)
    sector = landed / landed.sum(axis=0)
    assert np.allclose(np.einsum("sg,gods->ods", shares, weights), sector, rtol=1e-14)
    steel = SECTORS.index("steel")
    bought = shares[steel][:, None] * weights[:, :, US, steel]  # [group, origin]
    assert np.allclose(bought[:, US] / bought[:, US].sum(), HOME / HOME.sum())
    # in the China-led group home producers have a smaller share than in the sector
    assert weights[0, US, US, steel] < sector[US, US, steel] < weights[1, US, US, steel]


def test_without_a_tariff_the_groups_buy_what_the_sector_buys():
    """The base year, and a path with growth, frictions and firms but no policy."""
    for firms, home in ((0, None), (3000, None), (0, HOME)):
        data, _ = grouped(home=home)
        sc = dict(firms={"count": firms})
        model = run(scenario(**sc, parameters=by_lead()), data)
        sector = run(scenario(**sc), data)
        assert model.worlds.n_kinds == 3
        assert np.allclose(model.flows, sector.flows, rtol=1e-12)
        assert np.allclose(model.sector_prices, sector.sector_prices, rtol=1e-12)


@pytest.mark.parametrize("home", [None, HOME])
def test_long_run_is_the_mix_of_the_groups_armington_answers(home):
    """Frictionless, flat supply, full pass-through: each group demands as a two-level
    Armington system with its own base-year flows (origin o's US flows split as its 2024
    imports of the group's products, home flows as all imports or as ``home`` says), solved
    independently."""
    data, imports = grouped(home=home)
    sc = scenario(
        tariffs=[china_tariff(40)],
        mechanisms=FRICTIONLESS,
        parameters=by_lead(supply_elasticity=1e9),
    )
    model = run(sc, data)
    tau = model.rates[-1]
    rel_price = (1 + tau) / (1 + data.base_tariff)
    by_origin = imports.sum(axis=2, keepdims=True)
    fraction = np.divide(imports, by_origin, out=np.zeros_like(imports), where=by_origin > 0)
    every = imports.sum(axis=0) / np.maximum(imports.sum(axis=(0, 2)), 1e-300)[:, None]
    fraction[US] = every if home is None else np.broadcast_to(home / home.sum(), every.shape)
    services = [s for s, name in enumerate(SECTORS) if name not in GOODS]
    fraction[:, services] = [1.0, 0.0, 0.0]
    spend = (data.flows[:, US, :, None] * (1 + data.base_tariff[:, US, :, None]) * fraction).sum(0)
    share = spend / spend.sum(axis=1, keepdims=True)  # [sector, group]
    expected = np.zeros_like(model.flows[-1])
    for g in range(3):
        flows = data.flows * share[None, None, :, g]  # other importers: the sector's mix
        flows[:, US] = data.flows[:, US] * fraction[:, :, g]
        with np.errstate(invalid="ignore", divide="ignore"):  # a group a sector lacks
            demand = armington_demand(replace(data, flows=flows), rel_price, tau)
        expected += np.where(share[:, g] > 0, demand, 0.0)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)
    sector = run(scenario(**{**sc.model_dump(), "parameters": {"supply_elasticity": 1e9}}), data)
    assert not np.allclose(model.flows[-1], sector.flows[-1], rtol=1e-3)  # the groups mattered


def test_trade_leaving_china_goes_to_who_sells_chinas_products():
    """A small tariff on China, frictionless: in group g a rise d of China's price moves every
    other origin's purchases by b_g d ((sigma - 1) - (sigma_D - 1) h_g) (CES: b_g China's
    share of the group's imports, h_g the home share of its spending), so Vietnam's share of
    what the others gain is that sum over the groups of its purchases against the others'.
    Vietnam sells a quarter of China's products and little else, so it gains several times
    more with the groups than without; then with frictions and a 40 % tariff."""
    data, imports = grouped()
    s = SECTORS.index("other_goods")
    others = [EU, VNM, ROW]
    base = run(scenario(mechanisms=FRICTIONLESS), data)

    def vietnams_share(m) -> float:
        gain = (m.flows[-12:, :, US, s] - base.flows[-12:, :, US, s]).sum(axis=0)
        assert gain[CHN] < 0 and np.all(gain[others] > 0)
        return gain[VNM] / gain[others].sum()

    small = dict(tariffs=[china_tariff(2)], mechanisms=FRICTIONLESS)
    model = run(scenario(**small, parameters=by_lead()), data)
    landed = data.flows[:, US, s] * (1 + data.base_tariff[:, US, s])
    fraction = imports[:, s] / imports[:, s].sum(axis=1, keepdims=True).clip(1e-300)
    fraction[US] = imports[:, s].sum(axis=0) / imports[:, s].sum()
    in_group = landed[:, None] * fraction  # [origin, group]
    china = in_group[CHN] / in_group[[CHN, *others]].sum(axis=0)
    home = in_group[US] / in_group.sum(axis=0)
    sigma = model.worlds.members.sigma_import[0, s]
    sigma_d = model.worlds.members.sigma_domestic[0, s]
    moved = china * ((sigma - 1) - (sigma_d - 1) * home)  # per unit of purchases, by group
    first_order = np.sum(moved * in_group[VNM]) / np.sum(moved * in_group[others])
    assert vietnams_share(model) == pytest.approx(first_order, abs=0.005)
    sector = run(scenario(**small), data)
    assert vietnams_share(sector) == pytest.approx(landed[VNM] / landed[others].sum(), abs=0.005)
    assert vietnams_share(model) > 2 * vietnams_share(sector)
    big = dict(tariffs=[china_tariff(40)])
    base = run(scenario(), data)
    assert vietnams_share(run(scenario(**big, parameters=by_lead()), data)) > 2 * vietnams_share(
        run(scenario(**big), data)
    )


def test_many_firms_buy_as_the_continuum_with_groups():
    data, _ = grouped()
    sc = dict(tariffs=[china_tariff(40)], end="2025-12", parameters=by_lead())
    continuum = run(scenario(**sc), data)
    firms = run(scenario(**sc, firms={"count": 200_000}), data)
    s = SECTORS.index("other_goods")
    for origin in (CHN, VNM):
        a, b = continuum.flows[-6:, origin, US, s].sum(), firms.flows[-6:, origin, US, s].sum()
        assert b == pytest.approx(a, rel=0.02)


def test_a_batch_with_groups_equals_each_run_alone():
    data, _ = grouped()
    scenarios = [
        scenario(tariffs=[china_tariff(rate)], end="2025-12", parameters=by_lead())
        for rate in (10, 60)
    ]
    batch = Worlds(scenarios, data, [0, 0])
    batch.run()
    for m, sc in enumerate(scenarios):
        alone = Worlds([sc], data, [0])
        alone.run()
        assert np.allclose(batch.flows[m], alone.flows[0], rtol=1e-12, atol=0)


def test_the_bundled_groups():
    data = load_dataset()
    groups = data.supplier_groups
    assert groups.importer == "USA"
    consumer = data.sector_index("consumer_goods")
    labels = groups.labels[consumer]
    assert "CHN" in labels and "VNM" in labels and labels[-1] == "other"
    chinas = groups.by_kind(classes=False)[0][:, consumer, labels.index("CHN")]
    others = chinas.sum() - chinas[data.region_index("CHN")]
    # China sold the US 66 % of the products it led; Vietnam a third of the rest
    assert chinas[data.region_index("CHN")] / chinas.sum() == pytest.approx(0.66, abs=0.01)
    assert chinas[data.region_index("VNM")] / others == pytest.approx(0.34, abs=0.01)
    assert groups.labels[data.sector_index("other_services")] == ()
    # US producers' supply (BEA detail use, allocated to products): China-led computers and
    # semiconductors (laptops) are 3.5 % of it, against 21 % of the sector's imports
    computers = data.sector_index("computers_semis")
    imported, supply = groups.by_kind(classes=False)
    china_led = groups.labels[computers].index("CHN")
    home_share = supply[computers, china_led] / supply[computers].sum()
    import_share = imported[:, computers, china_led].sum() / imported[:, computers].sum()
    assert home_share == pytest.approx(0.035, abs=0.005)
    assert import_share == pytest.approx(0.213, abs=0.005)
    # merged partners keep the totals; a merged importer drops the table
    eu = data.aggregate(["USA", "CHN", "EU", "VNM"], None)
    assert eu.supplier_groups.imports.sum() == pytest.approx(groups.imports.sum(), rel=1e-12)
    assert data.aggregate(["CHN", "EU"], None).supplier_groups is None
    merged = data.aggregate(None, ["consumer_goods", "steel"])
    other = merged.sector_index("other_goods")
    assert merged.supplier_groups.imports[:, other].sum() == pytest.approx(
        sum(
            groups.imports[:, data.sector_index(s)].sum()
            for s in data.sectors
            if s not in merged.sectors and data.sector_kind[data.sector_index(s)] == "goods"
        )
        + groups.imports[:, data.sector_index("other_goods")].sum(),
        rel=1e-12,
    )


def test_groups_need_their_table():
    with pytest.raises(DataError, match=r"supplier_groups\.csv"):
        Worlds([scenario(parameters=by_lead())], synthetic_data(), [0])


# each origin's imports of every group split over the three classes its own way
SPLIT = np.array(
    [[0.0, 0.0, 1.0], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.05, 0.15, 0.8], [0.5, 0.3, 0.2]]
)
HAZARD_RATIOS = {"contract_hazard_ratio_homogeneous": 1.23, "contract_hazard_ratio_reference": 1.11}
BW = np.array([3.46, 3.05, 2.33])


def grouped_and_classed():
    data, imports = grouped(split=SPLIT)
    parameters = {**data.parameters, **HAZARD_RATIOS}
    return replace(data, class_elasticities=BW, parameters=parameters), imports


def test_groups_split_by_class_buy_what_the_sector_buys_without_a_tariff():
    data, _ = grouped_and_classed()
    both = by_lead(sourcing={"products": "by_lead_supplier", "classes": "within_sectors"})
    model = run(scenario(parameters=both), data)
    sector = run(scenario(), data)
    assert model.worlds.n_kinds == 9
    assert np.allclose(model.flows, sector.flows, rtol=1e-12)


def test_long_run_with_groups_and_classes_is_the_mix_of_their_armington_answers():
    """Each (group, class) of the US buyers is a nest with its own weights (origin o's US
    flows split by its 2024 imports of the group's products of the class) and the class's
    elasticity (Broda & Weinstein's ratios around the sector's, the mean taken over the
    sector's kinds), solved independently."""
    data, imports = grouped_and_classed()
    both = {"products": "by_lead_supplier", "classes": "within_sectors"}
    sc = scenario(
        tariffs=[china_tariff(40)],
        mechanisms=FRICTIONLESS,
        parameters={"supply_elasticity": 1e9, "sourcing": both},
    )
    model = run(sc, data)
    tau = model.rates[-1]
    rel_price = (1 + tau) / (1 + data.base_tariff)
    by_kind = (imports[..., None] * SPLIT[:, None, None, :]).reshape(*imports.shape[:2], -1)
    for s, name in enumerate(SECTORS):  # services: all in their own class, of the first group
        if name not in GOODS:
            by_kind[:, s] = 0.0
    fraction = by_kind / by_kind.sum(axis=2, keepdims=True).clip(1e-300)
    every = by_kind.sum(axis=0) / by_kind.sum(axis=(0, 2))[:, None].clip(1e-300)
    fraction[US] = every
    for s, name in enumerate(SECTORS):
        if name not in GOODS:
            fraction[:, s] = np.eye(9)[int(RAUCH[s])]
    spend = (data.flows[:, US, :, None] * (1 + data.base_tariff[:, US, :, None]) * fraction).sum(0)
    share = spend / spend.sum(axis=1, keepdims=True)  # [sector, kind]
    trade = BW - 1.0
    by_class_share = share.reshape(len(SECTORS), 3, 3).sum(axis=1)  # [sector, class]
    expected = np.zeros_like(model.flows[-1])
    for k in range(9):
        c = k % 3
        scale = trade[c] / (by_class_share * trade).sum(axis=1)
        sigma = 1.0 + (data.elasticity - 1.0) * scale
        flows = data.flows * share[None, None, :, k]
        flows[:, US] = data.flows[:, US] * fraction[:, :, k]
        with np.errstate(invalid="ignore", divide="ignore"):  # a kind a sector lacks
            demand = armington_demand(replace(data, flows=flows, elasticity=sigma), rel_price, tau)
        expected += np.where(share[:, k] > 0, demand, 0.0)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)


def test_a_us_buyer_says_which_products_it_buys():
    data, _ = grouped()
    model = TradeModel(scenario(firms={"count": 4000}, parameters=by_lead()), data)
    model.run()
    described = [model.firm(i) for i in range(2000, 4000)]
    us = [f.describe() for f in described if f.region == "USA" and f.sector in GOODS]
    assert {d["supplier_group"] for d in us} == set(LED)
    elsewhere = [f.describe() for f in described if f.region != "USA"]
    assert elsewhere and all("supplier_group" not in d for d in elsewhere)


def test_runs_with_and_without_groups_batch_apart_and_equal_their_runs_alone():
    """The groups shape the buyers' groups, so runs that differ in them go in separate
    batches (a sweep over the setting), each equal to its run made alone."""
    from simulator.api import run_scenario, run_scenarios
    from simulator.engine.members import batch_key
    from simulator.runs.run import RunSpec, batchable

    sets = ["firms.count=0", "end=2025-12"]
    loaded = [
        load_scenario("us_2025", [*sets, f"parameters.sourcing.products={mode}"])
        for mode in ("sector", "by_lead_supplier")
    ]
    assert batch_key(loaded[0].scenario) != batch_key(loaded[1].scenario)
    assert not batchable(RunSpec(0, "us_2025", 1, {"parameters.sourcing.products": "sector"}))
    together = run_scenarios(loaded)
    for one, result in zip(loaded, together, strict=True):
        alone = run_scenario(one)
        assert np.allclose(result.model.flows, alone.model.flows, rtol=1e-12, atol=0)
    assert not np.allclose(together[0].model.flows, together[1].model.flows, rtol=1e-6)


def test_a_us_buyer_of_a_group_and_class_names_both():
    data, _ = grouped_and_classed()
    both = {"sourcing": {"products": "by_lead_supplier", "classes": "within_sectors"}}
    model = TradeModel(scenario(firms={"count": 6000}, parameters=both), data)
    model.run()
    described = [model.firm(i) for i in range(3000, 6000)]
    us = [f.describe() for f in described if f.region == "USA" and f.sector in GOODS]
    assert {d["supplier_group"] for d in us} == set(LED)
    assert {d["goods_class"] for d in us} == {"homogeneous", "reference", "differentiated"}
