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
    assert rule.measure(extra) == pytest.approx(expected)
    path = np.zeros((4, *data.flows.shape))
    rule.update(0, extra, path)
    # one rate, levied by every member on US steel, nothing else
    for m in eu:
        assert path[1, us, m, steel] == pytest.approx(expected)
    assert path[1].sum() == pytest.approx(len(eu) * expected)


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
