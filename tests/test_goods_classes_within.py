"""Buyers who trade several kinds of goods within a sector (``parameters.sourcing.classes:
within_sectors``): each sector's buyers split into the Rauch classes of its 2024 US imports,
each class's buyers drawing their switching costs from its own distribution."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.calibration.dataset import load_dataset
from simulator.calibration.parameters import class_mix
from simulator.engine.members import MemberParameters
from simulator.engine.worlds import Worlds
from simulator.markets.sourcing import cost_levels
from simulator.scenario import load_scenario


def test_the_data_give_each_sector_its_class_mix():
    data = load_dataset()
    classes = data.goods_classes
    assert classes.shape == (data.n_sectors, 3)
    assert np.allclose(classes.sum(axis=1), 1.0)
    steel, energy = data.sector_index("steel"), data.sector_index("energy")
    assert classes[steel, 2] > 0.6  # by Rauch's conservative list, most steel is differentiated
    assert classes[energy, 0] > 0.8  # crude oil and gas trade on exchanges
    services = data.sector_index("other_services")  # not in the goods table: its own class
    assert np.array_equal(classes[services], [0.0, 0.0, 1.0])
    merged = data.aggregate(None, ["steel", "autos"])  # the rest merge, weighted by trade
    assert np.allclose(merged.goods_classes.sum(axis=1), 1.0)
    kinds, shares = class_mix(data)  # by default: one kind a sector, the sector's own class
    assert kinds.shape == shares.shape == (data.n_sectors, 1)
    assert kinds[steel, 0] == 1 and np.all(shares == 1.0)
    kinds, shares = class_mix(data, within_sectors=True)
    assert np.array_equal(kinds[steel], [0, 1, 2]) and np.array_equal(shares, classes)


def _levels(mode: str) -> tuple[np.ndarray, object]:
    scenario = load_scenario("us_2025", ["firms.count=0", f"parameters.sourcing.classes={mode}"])
    data = load_dataset(scenario.scenario.data).aggregate(
        scenario.scenario.regions, scenario.scenario.sectors
    )
    return MemberParameters.build([scenario.scenario], data, data.flows / 12).switching_cost[
        0
    ], data


def test_within_sectors_gives_each_classs_buyers_the_costs_of_their_class():
    own, data = _levels("sector")
    mixed, _ = _levels("within_sectors")
    steel, autos = data.sector_index("steel"), data.sector_index("autos")
    assert own.shape[1] == 1 and mixed.shape[1] == 3
    medians, dispersion = np.array([0.25, 1.0, 4.0]), np.array([1.0])  # the bundled defaults
    for c in range(3):  # every sector's buyers of class c: its log-normal's quantile levels
        assert np.array_equal(mixed[steel, c], cost_levels(medians[c : c + 1], dispersion)[0])
    assert np.array_equal(own[steel, 0], mixed[steel, 1])  # steel is classed reference-priced
    assert np.array_equal(own[autos, 0], mixed[autos, 2])  # every imported car differentiated


@pytest.mark.parametrize("firms", [0, 20000])
def test_buyers_of_a_mixed_sector_re_source_as_their_classes_do(firms):
    """A 50 % tariff on Chinese aluminium: with the mix of classes (38 % exchange-traded, the rest
    reference-priced and differentiated) fewer buyers re-source in the first months than when
    every buyer trades exchange-traded goods, as aluminium's own class says."""
    switched = {}
    for mode in ("sector", "within_sectors"):
        child = {
            "extends": "baseline",
            "name": f"aluminium_{mode}",
            "end": "2025-09",
            "tariffs": [
                {
                    "id": "aluminium_china",
                    "imposer": "USA",
                    "partners": ["CHN"],
                    "sectors": ["aluminium"],
                    "rate": 50,
                    "effective": "2025-03-01",
                    "source": "test",
                }
            ],
        }
        scenario = load_scenario(
            child, [f"firms.count={firms}", f"parameters.sourcing.classes={mode}"]
        ).scenario
        data = load_dataset(scenario.data).aggregate(scenario.regions, scenario.sectors)
        worlds = Worlds([scenario], data, [scenario.seed])
        worlds.run()
        us, al = data.region_index("USA"), data.sector_index("aluminium")
        switched[mode] = worlds.switched[0, 14:17, us, al].sum()  # 2025-03 to 2025-05
    assert switched["within_sectors"] < 0.9 * switched["sector"]  # measured: 0.58 and 0.81 of it
