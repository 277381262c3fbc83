"""Region groups: EU = DEU + IRL + EU_OTHER, one customs union, merged or shown by member."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import synthetic_data

from simulator.calibration.dataset import BaseData
from simulator.model import TradeModel
from simulator.policy.retaliation import RetaliationRule
from simulator.policy.tariffs import TariffSchedule
from simulator.results import Provenance, SimulationResult
from simulator.scenario.schema import Retaliation, Scenario, Tariff

MEMBERS = ("DEU", "IRL", "EU_OTHER")
GROUPED = ("USA", "CHN", *MEMBERS, "VNM", "ROW")


def grouped_data(seed: int = 3) -> BaseData:
    """The synthetic world with its EU split into three members (every cell positive)."""
    base = synthetic_data(seed)
    rng = np.random.default_rng(seed)
    n_r, n_s = len(GROUPED), base.n_sectors
    flows = rng.uniform(1.0, 50.0, (n_r, n_r, n_s))
    idx = np.arange(n_r)
    flows[idx, idx, :] = rng.uniform(200.0, 800.0, (n_r, n_s))
    tariff = np.full((n_r, n_r, n_s), 0.03)
    tariff[idx, idx, :] = 0.0
    eu = [GROUPED.index(m) for m in MEMBERS]
    tariff[np.ix_(eu, eu, range(n_s))] = 0.0  # a customs union levies nothing inside
    tariff[:, :, ~base.goods_mask] = 0.0
    return replace(
        base,
        name="grouped",
        regions=GROUPED,
        flows=flows,
        base_tariff=tariff,
        growth=np.array([0.04, 0.06, 0.02, 0.08, 0.03, 0.08, 0.05]),
        gdp=np.array([29000.0, 18700.0, 4700.0, 580.0, 14100.0, 480.0, 40000.0]),
        groups={"EU": MEMBERS},
    )


def test_a_named_group_merges_its_members_and_keeps_totals():
    data = grouped_data()
    merged = data.aggregate(["USA", "CHN", "EU", "VNM"])
    assert merged.regions == ("USA", "CHN", "EU", "VNM", "ROW")
    assert merged.groups == {}
    eu = [GROUPED.index(m) for m in MEMBERS]
    e = merged.region_index("EU")
    us = data.region_index("USA")
    # the EU's flows with each partner are its members' sums; trade among members is domestic
    assert merged.flows[e, 0] == pytest.approx(data.flows[eu, us].sum(axis=0))
    assert merged.flows[0, e] == pytest.approx(data.flows[us, eu].sum(axis=0))
    assert merged.flows[e, e] == pytest.approx(data.flows[np.ix_(eu, eu)].sum(axis=(0, 1)))
    assert merged.flows.sum() == pytest.approx(data.flows.sum())
    assert merged.gdp[e] == pytest.approx(data.gdp[eu].sum())


def test_members_left_out_join_the_group_rest_and_the_group_survives():
    data = grouped_data()
    kept = data.aggregate(["USA", "CHN", "DEU", "VNM"])
    assert kept.regions == ("USA", "CHN", "DEU", "EU_OTHER", "VNM", "ROW")
    assert kept.groups == {"EU": ("DEU", "EU_OTHER")}
    irl, rest = data.region_index("IRL"), data.region_index("EU_OTHER")
    assert kept.flows[kept.region_index("EU_OTHER"), 0] == pytest.approx(
        data.flows[irl, 0] + data.flows[rest, 0]
    )
    # a group nobody names goes to ROW whole
    assert "EU" not in data.aggregate(["USA", "CHN"]).codes
    assert data.aggregate(["USA", "CHN"]).regions == ("USA", "CHN", "ROW")


def schedule(data: BaseData, *entries: dict) -> TariffSchedule:
    return TariffSchedule(
        [Tariff.model_validate(e) for e in entries],
        data.base_tariff,
        data.regions,
        data.sectors,
        data.goods_mask,
        "2025-01",
        3,
        groups=data.groups,
    )


def test_a_group_levies_one_external_tariff_never_on_its_members():
    data = grouped_data()
    eu = [data.region_index(m) for m in MEMBERS]
    s = schedule(data, {"imposer": "EU", "rate": 10, "effective": "2025-01-01"})
    path = s.path[0]
    goods = data.goods_mask
    for m in eu:
        for o in range(data.n_regions):
            expected = 0.0 if o in eu else 0.10
            assert path[o, m, goods] == pytest.approx(np.full(goods.sum(), expected))
    assert path[:, [0, 1, 5, 6]].sum() == 0.0  # nobody else levies it


def test_a_tariff_on_a_group_reaches_every_member_and_an_exempt_member_is_spared():
    data = grouped_data()
    us = data.region_index("USA")
    deu, irl, rest = (data.region_index(m) for m in MEMBERS)
    s = schedule(
        data,
        {"imposer": "USA", "partners": ["EU"], "rate": 20, "effective": "2025-01-01"},
        {
            "imposer": "USA",
            "partners": ["EU"],
            "exempt_partners": ["IRL"],
            "sectors": ["steel"],
            "rate": 5,
            "effective": "2025-01-01",
        },
    )
    steel = data.sector_index("steel")
    assert s.path[0, deu, us, steel] == pytest.approx(0.25)
    assert s.path[0, rest, us, steel] == pytest.approx(0.25)
    assert s.path[0, irl, us, steel] == pytest.approx(0.20)
    assert s.path[0, data.region_index("CHN"), us].sum() == 0.0


def test_the_group_retaliates_as_one_against_its_aggregate_exposure():
    data = grouped_data()
    us = data.region_index("USA")
    eu = [data.region_index(m) for m in MEMBERS]
    steel = data.sector_index("steel")
    rule = RetaliationRule(
        Retaliation.model_validate(
            {"imposer": "EU", "target": "USA", "sectors": ["steel"], "match": "rate"}
        ),
        data.regions,
        data.sectors,
        data.goods_mask,
        data.flows,
        "2025-01",
        4,
        groups=data.groups,
    )
    extra = np.zeros_like(data.flows)
    extra[eu[0], us, :] = 0.30  # the US hits Germany only
    goods = data.goods_mask
    weights = data.flows[np.ix_(eu, [us], np.flatnonzero(goods))]
    expected = (0.30 * weights[0].sum()) / weights.sum()
    assert rule.measure(extra[None]) == pytest.approx([expected])  # one member
    path = np.zeros((1, 4, *data.flows.shape))
    rule.update(0, extra[None], path)
    # one rate, levied by every member on US steel, nothing else
    for m in eu:
        assert path[0, 1, us, m, steel] == pytest.approx(expected)
    assert path[0, 1].sum() == pytest.approx(len(eu) * expected)


@pytest.fixture(scope="module")
def eu_war() -> TradeModel:
    sc = Scenario.model_validate(
        {
            "name": "t",
            "start": "2024-01",
            "end": "2025-12",
            "tariffs": [
                {"imposer": "USA", "partners": ["EU"], "rate": 20, "effective": "2025-01-01"}
            ],
            "retaliation": [
                {"imposer": "EU", "target": "USA", "sectors": ["autos"], "match": "rate"}
            ],
        }
    )
    model = TradeModel(sc, grouped_data())
    model.run()
    return model


def test_members_flows_add_up_to_the_merged_group_every_month(eu_war):
    """Group view = sum of members, every month, for the US balance and flows."""
    data = eu_war.data
    eu = [data.region_index(m) for m in MEMBERS]
    us = data.region_index("USA")
    flows = eu_war.flows  # [month, origin, destination, sector]
    goods = data.goods_mask
    exports = flows[:, us][:, eu][..., goods].sum(axis=(1, 2))
    imports = flows[:, eu, us][..., goods].sum(axis=(1, 2))
    provenance = Provenance.collect(scenario="t", path=None, sha256="", seed=0, data="grouped")
    result = SimulationResult(eu_war, provenance)
    table = result.bilateral("USA", groups=True)
    assert table["EU"].to_numpy() == pytest.approx((exports - imports) * 1e9)
    assert table["EU"].to_numpy() == pytest.approx(table[list(MEMBERS)].sum(axis=1).to_numpy())
    # the EU's retaliation reached every member's imports from the US
    autos = data.sector_index("autos")
    for m in eu:
        assert eu_war.retaliation_path[-1, us, m, autos] > 0.0


def test_a_code_merged_away_by_the_region_list_is_a_clear_error():
    from simulator.scenario import ScenarioError, load_scenario

    raw = {
        "name": "t",
        "regions": ["USA", "CHN"],
        "tariffs": [{"imposer": "USA", "partners": ["MEX"], "rate": 10, "effective": "2025-01-01"}],
    }
    with pytest.raises(ScenarioError) as err:
        load_scenario(raw)
    text = str(err.value)
    assert "tariffs[0].partners[0]" in text or "partners" in text
    assert "'MEX' is not modelled separately" in text and "add MEX to 'regions'" in text


# ---------------------------------------------------------------------- the bundled EU group
BUNDLED_MEMBERS = ("DEU", "IRL", "EU_OTHER")


def test_the_bundled_eu_is_a_customs_union_of_germany_ireland_and_the_rest():
    from simulator.calibration.dataset import load_dataset

    data = load_dataset()
    assert data.groups == {"EU": BUNDLED_MEMBERS}
    eu = [data.region_index(m) for m in BUNDLED_MEMBERS]
    goods = data.goods_mask
    # no tariff among members; one external tariff: every member levies the same on outsiders
    assert data.base_tariff[np.ix_(eu, eu, range(data.n_sectors))].max() == 0.0
    outside = [i for i in range(data.n_regions) if i not in eu]
    levied = data.base_tariff[np.ix_(outside, eu, np.flatnonzero(goods))]
    assert levied == pytest.approx(np.repeat(levied[:, :1], len(eu), axis=1))
    # and there is one (agriculture, autos): effective rates, scaled to the duties the EU
    # collects (data-sources.md §5a), so about a third of the applied 10-11%
    assert levied.max() > 0.03


@pytest.mark.parametrize(
    ("code", "us_exports", "us_imports"),
    [
        ("EU", 370.2, 605.8),  # Census 2024 (FT-900), the EU row before the split
        ("DEU", 75.7241, 160.3801),  # Census 'Trade in Goods with Germany', 2024 months summed
        ("IRL", 16.6, 103.3),  # imports as stated; exports = imports less the $86.7bn deficit
    ],
)
def test_the_bundled_members_reproduce_their_2024_us_trade_to_a_tenth_of_a_percent(
    code, us_exports, us_imports
):
    from simulator.calibration.dataset import load_dataset

    data = load_dataset()
    us = data.region_index("USA")
    idx = data.region_indices(code)
    goods = data.goods_mask
    assert data.flows[np.ix_([us], idx, np.flatnonzero(goods))].sum() == pytest.approx(
        us_exports, rel=1e-3
    )
    assert data.flows[np.ix_(idx, [us], np.flatnonzero(goods))].sum() == pytest.approx(
        us_imports, rel=1e-3
    )


def test_merged_eu_equals_the_eu_of_the_data_set_before_the_split():
    """`regions: [.., EU, ..]` gives back the 2024 EU region: trade with every partner and
    sector (to rounding of the build), the base tariff levied and paid, GDP."""
    from simulator.calibration.dataset import load_dataset

    data = load_dataset()
    kept = [r for r in data.regions if r not in BUNDLED_MEMBERS and r != "ROW"] + ["EU"]
    merged = data.aggregate(kept)
    assert "EU" in merged.regions and merged.groups == {}
    e = merged.region_index("EU")
    eu = data.region_indices("EU")
    for code in merged.regions:
        if code == "EU":
            continue
        o, r = data.region_index(code), merged.region_index(code)
        assert merged.flows[e, r] == pytest.approx(data.flows[eu, o].sum(axis=0))
        assert merged.flows[r, e] == pytest.approx(data.flows[o, eu].sum(axis=0))
        # one external tariff: the merged rate is the members' common rate
        assert merged.base_tariff[r, e] == pytest.approx(data.base_tariff[o, eu[0]])
    assert merged.gdp[e] == pytest.approx(19423.0)  # regions_raw.csv: the EU-27 before the split


@pytest.fixture(scope="module")
def bundled_war():
    """The bundled world, frictionless and at flat supply, with a US tariff on the EU and the
    EU's rate-matched retaliation, run twice: by member and with the EU merged."""
    from independent import FLAT_SUPPLY, run

    fields = {
        "tariffs": [
            {"imposer": "USA", "partners": ["EU"], "rate": 20, "effective": "2025-01-01"},
            {"imposer": "USA", "partners": ["CHN"], "rate": 30, "effective": "2025-04-01"},
        ],
        "retaliation": [
            {"imposer": "EU", "target": "USA", "sectors": ["autos", "agriculture"], "match": "rate"}
        ],
        "parameters": {"supply_elasticity": FLAT_SUPPLY},
    }
    mech = {"diversion": True, "pass_through": True, "retaliation": True}
    split = run(mech, **fields)
    regions = [r for r in split.regions if r not in BUNDLED_MEMBERS and r != "ROW"] + ["EU"]
    merged = run(mech, regions=regions, **fields)
    return split, merged


def test_the_eu_group_equals_the_sum_of_its_members_every_month_and_flow(bundled_war):
    """Group = sum of members for every month, partner, sector and direction, and equal to the
    run in which the EU is one region (CES: splitting an origin whose members' prices move
    together changes nothing)."""
    split, merged = bundled_war
    member_of = dict.fromkeys(BUNDLED_MEMBERS, "EU")
    keys = ["month", "reporter", "partner", "sector", "flow"]
    frame = split.trade.astype({"reporter": str, "partner": str})
    frame = frame.assign(
        reporter=frame.reporter.replace(member_of), partner=frame.partner.replace(member_of)
    )
    frame = frame[frame.reporter != frame.partner]  # trade among members is the EU's own
    grouped = frame.groupby(keys, observed=True)["value_usd"].sum()
    whole = merged.trade.astype({"reporter": str, "partner": str}).set_index(keys)["value_usd"]
    grouped, whole = grouped.align(whole, join="outer", fill_value=0.0)
    assert len(whole) > 10_000
    # The EU's own purchases of the goods it retaliates on are nested differently: split, a
    # member's purchases from another member are imports; merged, they are the EU's domestic
    # sales. Every other flow is identical.
    keyed = grouped.index.to_frame(index=False)
    eu_buys = (
        ((keyed.reporter == "EU") & (keyed.flow == "import"))
        | ((keyed.partner == "EU") & (keyed.flow == "export"))
    ) & keyed.sector.isin(["autos", "agriculture"])
    exact = ~eu_buys.to_numpy()
    assert grouped.to_numpy()[exact] == pytest.approx(whole.to_numpy()[exact], rel=1e-9, abs=1.0)
    # (the gap reached 1.01% once the EU's base rates became its collected, effective rates)
    assert grouped.to_numpy()[~exact] == pytest.approx(whole.to_numpy()[~exact], rel=0.015)
    # the group column of the bilateral table is the members' sum, every month
    table = split.bilateral("USA", groups=True)
    assert table["EU"].to_numpy() == pytest.approx(
        table[list(BUNDLED_MEMBERS)].sum(axis=1).to_numpy()
    )
    # (the balance includes US exports of retaliated goods, nested as above: within 0.1%)
    assert table["EU"].to_numpy() == pytest.approx(
        merged.bilateral("USA")["EU"].to_numpy(), rel=1e-3
    )
    # and the war moved it: the US imports less from the EU in 2026 than in 2024
    eu = whole.xs(("USA", "EU", "import"), level=("reporter", "partner", "flow"))
    assert eu.groupby(level="month").sum().iloc[-1] < 0.95 * eu.groupby(level="month").sum().iloc[0]


def test_medicines_come_from_ireland_switzerland_and_germany():
    """US pharmaceutical imports by supplier in the bundled base year: Ireland first, and the
    shares of the US pharmaceutical deficit with Ireland and Switzerland near the published
    2024 figures for HTS 3001-3004 (deficit 115.5, of which Ireland 45.5 and Switzerland 15.7 $bn;
    /work/shared/facts, https://www.fool.com/research/pharmaceutical-tariffs-imports)."""
    from simulator.calibration.dataset import load_dataset

    data = load_dataset()
    us, s = data.region_index("USA"), data.sector_index("pharma")
    imports = {r: data.flows[data.region_index(r), us, s] for r in data.regions if r != "USA"}
    assert max(imports, key=imports.get) == "IRL"
    assert imports["IRL"] + imports["CHE"] + imports["DEU"] > 0.4 * sum(imports.values())
    deficit = {r: v - data.flows[us, data.region_index(r), s] for r, v in imports.items()}
    total = sum(deficit.values())
    assert deficit["IRL"] / total == pytest.approx(45.5 / 115.5, abs=0.1)
    assert deficit["CHE"] / total == pytest.approx(15.7 / 115.5, abs=0.05)


def test_a_group_named_with_one_of_its_members_means_the_whole_group_everywhere():
    """`regions: [USA, EU, DEU]`: the data files hold DEU and the rest of the EU (EU_OTHER),
    never a region called EU; EU in summary.md is the whole EU, the sum of the two."""
    from simulator.api import run_scenario
    from simulator.results.summary import key_outcomes

    result = run_scenario(
        {"name": "eu_and_germany", "regions": ["USA", "EU", "DEU"], "end": "2025-12"},
        overrides=["firms.count=0"],
    )
    assert set(result.trade.partner) == {"USA", "DEU", "EU_OTHER", "ROW"}
    assert set(result.macro.region) == {"USA", "DEU", "EU_OTHER", "ROW"}
    goods = result.trade[result.trade.sector.isin(result.goods_sectors)]
    us = goods[(goods.reporter == "USA") & (goods.month.dt.year == 2024)]
    signed = us.value_usd.where(us.flow == "export", -us.value_usd)
    balance = signed.groupby(us.partner, observed=True).sum() / 1e9
    table = key_outcomes(result)
    assert table.loc["Goods balance with EU, $bn", "2024"] == pytest.approx(
        balance["DEU"] + balance["EU_OTHER"]
    )
    assert table.loc["Goods balance with DEU, $bn", "2024"] == pytest.approx(balance["DEU"])
    # the same EU as a scenario that names the EU whole
    whole = run_scenario(
        {"name": "eu_whole", "regions": ["USA", "EU"], "end": "2025-12"},
        overrides=["firms.count=0"],
    )
    assert key_outcomes(whole).loc["Goods balance with EU, $bn", "2024"] == pytest.approx(
        table.loc["Goods balance with EU, $bn", "2024"], rel=1e-3
    )


def test_a_group_listed_with_only_its_rest_is_a_clear_error():
    """`regions: [USA, EU, EU_OTHER]` would make EU_OTHER the whole EU and lose the group."""
    from simulator.scenario import ScenarioError, load_scenario

    with pytest.raises(ScenarioError) as err:
        load_scenario({"name": "t", "regions": ["USA", "EU", "EU_OTHER"]})
    text = str(err.value)
    assert text.startswith("regions[2]: EU_OTHER is the rest of group EU")
    assert "hint: list EU alone for the whole group, or EU with DEU or IRL" in text
    assert len(err.value.issues) == 1
