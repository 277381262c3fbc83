"""Kinds of goods within a sector that substitute differently (``parameters.sourcing.classes:
within_sectors``): each Rauch class's buyers choose origins with the class's elasticity
(Broda & Weinstein 2006), spread around the sector's own so that its mean over the sector's
classes is the sector's; the classes weigh in the sector by their shares of its spending."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from synthetic import REGIONS, SECTORS, synthetic_data
from test_engine import FRICTIONLESS, armington_demand, china_tariff, run, scenario

from simulator.calibration.dataset import DataError, load_dataset
from simulator.calibration.parameters import class_scale
from simulator.engine.worlds import Worlds
from simulator.model import TradeModel
from simulator.scenario import load_scenario

US, CHN = REGIONS.index("USA"), REGIONS.index("CHN")
BW = np.array([3.46, 3.05, 2.33])  # the bundled medians: exchange-traded, reference, differentiated
MIX = np.array(  # [sector, class]: shares of each sector's spending
    [
        [0.6, 0.3, 0.1],
        [0.05, 0.3, 0.65],
        [0.0, 0.0, 1.0],
        [0.0, 0.1, 0.9],
        [0.3, 0.3, 0.4],
        [0.0, 0.0, 1.0],
        [0.0, 0.0, 1.0],
    ]
)


HAZARD_RATIOS = {"contract_hazard_ratio_homogeneous": 1.23, "contract_hazard_ratio_reference": 1.11}


def classed(data=None):
    data = data or synthetic_data()
    parameters = {**data.parameters, **HAZARD_RATIOS}
    return replace(data, goods_classes=MIX, class_elasticities=BW, parameters=parameters)


def within(**sourcing) -> dict:
    return {"sourcing": {"classes": "within_sectors", **sourcing}}


def test_each_sectors_mean_trade_elasticity_over_its_classes_is_its_own():
    classes = np.tile(np.arange(3), (len(MIX), 1))
    scale = class_scale(BW - 1.0, classes, MIX)
    assert np.allclose((MIX * scale).sum(axis=1), 1.0, rtol=1e-14)
    # the classes keep Broda & Weinstein's ratios of (sigma - 1)
    assert np.allclose(scale[:, 0] / scale[:, 2], (3.46 - 1) / (2.33 - 1))
    one = class_scale(BW - 1.0, np.array([[1], [2]]), np.ones((2, 1)))
    assert np.array_equal(one, np.ones((2, 1)))  # one class: the sector's own, exactly


def test_the_bundled_data_give_the_classes_broda_and_weinsteins_medians():
    data = load_dataset()
    assert np.array_equal(data.class_elasticities, BW)  # conservative classification
    assert data.aggregate(None, ["steel", "autos"]).class_elasticities is data.class_elasticities
    resolved = load_scenario("us_2025", ["parameters.sourcing.classes=within_sectors"])
    params = resolved.scenario.parameters.sourcing
    assert params.elasticity_homogeneous is None  # unset in the scenario: the data set's
    worlds = Worlds([resolved.scenario], data, [0])
    steel = data.sector_index("steel")
    sigma = worlds.members.sigma_import_class[0, steel]
    assert sigma[0] > data.elasticity[steel] > sigma[2]  # exchange-traded steel, above the mean
    assert (data.goods_classes[steel] * (sigma - 1)).sum() == pytest.approx(
        data.elasticity[steel] - 1, rel=1e-12
    )


def test_classes_sharing_one_elasticity_are_the_sector_model_in_the_long_run():
    """Equal class elasticities: the frictionless long run is the sector's Armington answer
    (the closed form), and the classes' buyers together buy what the sector's do."""
    sc = dict(
        tariffs=[china_tariff(40), {"imposer": "EU", "rate": 10, "effective": "2025-01-01"}],
        mechanisms=FRICTIONLESS,
        parameters={"supply_elasticity": 1e9},
    )
    equal = {f"elasticity_{c}": 3.0 for c in ("homogeneous", "reference", "differentiated")}
    model = run(
        scenario(**{**sc, "parameters": {**sc["parameters"], **within(**equal)}}), classed()
    )
    sector = run(scenario(**sc), classed())
    assert np.allclose(model.flows, sector.flows, rtol=1e-12)
    assert np.allclose(model.sector_prices, sector.sector_prices, rtol=1e-12)
    rel_price = (1 + model.rates[-1]) / (1 + model.data.base_tariff)
    expected = armington_demand(model.data, rel_price, model.rates[-1])
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)


def test_long_run_with_class_elasticities_is_the_mix_of_the_classes_armington_answers():
    """Distinct class elasticities: each class's buyers demand as a two-level Armington system
    with their class's elasticities, and the sector spends its class shares on them (flat
    supply, full pass-through, composite demand elasticity 1), solved independently."""
    data = classed()
    sc = scenario(
        tariffs=[china_tariff(40)],
        mechanisms=FRICTIONLESS,
        parameters={"supply_elasticity": 1e9, **within()},
    )
    model = run(sc, data)
    tau = model.rates[-1]
    rel_price = (1 + tau) / (1 + data.base_tariff)
    trade = BW - 1.0
    expected = np.zeros_like(model.flows[-1])
    for c in range(3):
        scale = trade[c] / (MIX * trade).sum(axis=1)
        sigma = 1.0 + (data.elasticity - 1.0) * scale
        expected += MIX[:, c] * armington_demand(replace(data, elasticity=sigma), rel_price, tau)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)
    one = run(scenario(**{**sc.model_dump(), "parameters": {"supply_elasticity": 1e9}}), data)
    assert not np.allclose(model.flows[-1], one.flows[-1], rtol=1e-3)  # the classes mattered


def _first_months(data, classes: dict, firms: int) -> tuple[np.ndarray, np.ndarray]:
    """Shares of US agricultural buyers' spending re-sourced, and imports from China, in the
    first six months of a 60 % tariff on Chinese agriculture."""
    sc = scenario(
        end="2025-06",
        tariffs=[china_tariff(60, sectors=["agriculture"])],
        firms={"count": firms},
        parameters={"sourcing": classes},
    )
    model = run(sc, data)
    ag = SECTORS.index("agriculture")
    return model.switched[12:18, US, ag], model.flows[12:18, CHN, US, ag]


@pytest.mark.parametrize("firms", [0, 30_000])
def test_exchange_traded_goods_leave_a_taxed_origin_faster(firms):
    """Agriculture here is 60 % exchange-traded: with Broda & Weinstein's elasticities those
    buyers substitute more (sigma 3.21 against the sector's 3.0, the differentiated 2.20), so
    the buyers who re-source leave China further and imports from China fall further at once.
    Measured (continuum): the same 64.4 % of spending re-sourced in the tariff's first month
    (the levels whose cost the saving beats are the same), imports from China 1.0 % lower."""
    data = classed()
    spread, from_china = _first_months(data, {"classes": "within_sectors"}, firms)
    flat = {f"elasticity_{c}": 3.0 for c in ("homogeneous", "reference", "differentiated")}
    equal, from_china_equal = _first_months(data, {"classes": "within_sectors", **flat}, firms)
    assert spread[0] >= equal[0]
    assert np.all(from_china[:3] < 0.995 * from_china_equal[:3])


def test_a_buyer_says_which_kind_of_good_it_trades():
    model = TradeModel(scenario(firms={"count": 2000}, parameters=within()), classed())
    model.run()
    kinds = {model.firm(i).describe()["goods_class"] for i in range(1000, 2000)}
    assert kinds == {"homogeneous", "reference", "differentiated"}
    buyer = model.firm(1999)
    assert buyer.sector == SECTORS[-1] and buyer.region == REGIONS[-1]
    assert buyer.describe()["goods_class"] == "differentiated"  # services: their own class


def test_classes_within_sectors_need_the_class_elasticities_and_hazards():
    data = replace(synthetic_data(), goods_classes=MIX)
    with pytest.raises(DataError, match="elasticity_<class>"):
        TradeModel(scenario(parameters=within()), data)
    sigma = {"elasticity_homogeneous": 4, "elasticity_reference": 3, "elasticity_differentiated": 2}
    with pytest.raises(DataError, match="hazard_ratio_<class>"):
        TradeModel(scenario(parameters=within(**sigma)), data)
    ratios = {"hazard_ratio_homogeneous": 1.5, "hazard_ratio_reference": 1.2}
    TradeModel(scenario(parameters=within(**sigma, **ratios)), data)
    TradeModel(scenario(), data)  # one class a sector needs neither


def test_many_firms_buy_as_the_continuum_with_classes():
    """Each class's buyers are firms of their own groups: 300,000 firms re-source and buy
    from China as the continuum does, within sampling noise (measured: 0.5 % at most)."""
    data = classed()
    continuum = _first_months(data, {"classes": "within_sectors"}, 0)
    firms = _first_months(data, {"classes": "within_sectors"}, 300_000)
    assert np.allclose(firms[1], continuum[1], rtol=0.05)
    assert firms[0][0] == pytest.approx(continuum[0][0], abs=0.03)


def test_each_classs_contracts_expire_at_its_own_hazard_around_the_sectors():
    """Besedes & Prusa (2006): trade relationships in homogeneous goods end at least 23 %
    more often than in differentiated goods. When no price moves, only the buyers whose
    contracts expire re-source: each class its own hazard's share of its spending, and the
    sector its parameters.adjustment_speed (the data set's 0.1 here)."""
    data = classed()
    quiet = {"growth": False}  # no price moves: only expiring contracts re-source
    model = run(
        scenario(end="2024-02", mechanisms=quiet, firms={"count": 0}, parameters=within()), data
    )
    ag = SECTORS.index("agriculture")
    by_class = model.firms.buyers.last.share_switched.reshape(len(REGIONS), len(SECTORS), 3)
    hazards = by_class[US, ag]
    ratios = np.array([1.23, 1.11, 1.0])
    assert np.allclose(hazards, 0.1 * ratios / (MIX[ag] * ratios).sum(), rtol=1e-12)
    assert model.switched[-1, US, ag] == pytest.approx(0.1, rel=1e-12)
    sector = run(scenario(end="2024-02", mechanisms=quiet, firms={"count": 0}), data)
    assert sector.firms.buyers.last.share_switched[US * len(SECTORS) + ag] == pytest.approx(0.1)


def test_runs_with_and_without_classes_batch_apart_and_equal_their_runs_alone():
    """The classes shape the buyers' groups, so runs that differ in them go in separate
    batches; runs that differ only in the class elasticities share one. Each equals its run
    made alone."""
    from simulator.api import run_scenario, run_scenarios
    from simulator.engine.members import batch_key
    from simulator.runs.run import RunSpec, batchable

    sets = ["firms.count=0", "end=2025-12"]
    within_ = [*sets, "parameters.sourcing.classes=within_sectors"]
    steeper = [*within_, "parameters.sourcing.elasticity_homogeneous=6"]
    loaded = [load_scenario("us_2025", s) for s in (sets, within_, steeper)]
    keys = [batch_key(one.scenario) for one in loaded]
    assert keys[0] != keys[1] == keys[2]
    assert not batchable(RunSpec(0, "us_2025", 1, {"parameters.sourcing.classes": "sector"}))
    assert batchable(RunSpec(0, "us_2025", 1, {"parameters.sourcing.elasticity_reference": 4}))
    together = run_scenarios(loaded)
    for one, result in zip(loaded, together, strict=True):
        alone = run_scenario(one)
        assert np.allclose(result.model.flows, alone.model.flows, rtol=1e-12, atol=0)
    assert not np.allclose(together[1].model.flows, together[2].model.flows, rtol=1e-6)


def test_an_ensemble_draws_the_class_hazards_only_when_the_scenario_reads_them():
    from simulator.runs.spec import WITHIN_SECTORS_ONLY, plan_ensemble

    sector = plan_ensemble(load_scenario("us_2025"), 3)
    within_ = plan_ensemble(
        load_scenario("us_2025", ["parameters.sourcing.classes=within_sectors"]), 3
    )
    assert not WITHIN_SECTORS_ONLY & set(sector[0].values)
    assert set(within_[0].values) >= WITHIN_SECTORS_ONLY
    drawn = [run.values["parameters.sourcing.hazard_ratio_homogeneous"] for run in within_]
    assert all(1.18 <= x <= 1.56 for x in drawn) and len(set(drawn)) == 3
