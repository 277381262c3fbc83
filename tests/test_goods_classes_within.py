"""Buyers who trade several kinds of goods within a sector (``parameters.sourcing.classes:
within_sectors``): each sector's buyers take the mix of Rauch classes in its 2024 US imports,
and each draws its switching cost from its class's distribution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from simulator.calibration.dataset import load_dataset
from simulator.calibration.parameters import switching_cost_classes
from simulator.engine.members import MemberParameters
from simulator.engine.worlds import Worlds
from simulator.markets.sourcing import COST_LEVELS, cost_levels, mixture_cost_levels
from simulator.scenario import load_scenario

MEDIANS = np.array([0.25, 1.0, 4.0])  # the bundled medians by class, months


def test_mixture_levels_are_the_mixtures_quantile_midpoints():
    shares = np.array([[0.3, 0.2, 0.5], [0.0, 0.25, 0.75]])
    levels = mixture_cost_levels(np.tile(MEDIANS, (2, 1)), shares, np.array([1.0, 0.5]))
    target = (np.arange(COST_LEVELS) + 0.5) / COST_LEVELS
    for row, sd in zip(range(2), (1.0, 0.5), strict=True):
        z = (np.log(levels[row])[:, None] - np.log(MEDIANS)[None, :]) / sd
        assert np.allclose((shares[row] * ndtr(z)).sum(axis=1), target, atol=1e-12)
        assert np.all(np.diff(levels[row]) > 0)


def test_one_class_is_the_log_normal_bit_for_bit_and_no_dispersion_puts_buyers_at_medians():
    one = mixture_cost_levels(MEDIANS[None], np.array([[0.0, 1.0, 0.0]]), np.array([0.8]))
    assert np.array_equal(one, cost_levels(np.array([1.0]), np.array([0.8])))
    flat = mixture_cost_levels(MEDIANS[None], np.array([[0.25, 0.25, 0.5]]), np.array([0.0]))
    assert np.array_equal(flat[0], np.repeat(MEDIANS, [4, 4, 8]))


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
    by_class = dict(zip(("homogeneous", "reference", "differentiated"), MEDIANS, strict=True))
    _, shares = switching_cost_classes(by_class, data)
    assert np.array_equal(shares[steel], [0.0, 1.0, 0.0])  # by default: the sector's own class


def _levels(mode: str) -> tuple[np.ndarray, object]:
    scenario = load_scenario("us_2025", ["firms.count=0", f"parameters.sourcing.classes={mode}"])
    data = load_dataset(scenario.scenario.data).aggregate(
        scenario.scenario.regions, scenario.scenario.sectors
    )
    return MemberParameters.build([scenario.scenario], data, data.flows / 12).switching_cost[
        0
    ], data


def test_within_sectors_gives_steel_buyers_the_costs_of_their_classes():
    own, data = _levels("sector")
    mixed, _ = _levels("within_sectors")
    steel, autos = data.sector_index("steel"), data.sector_index("autos")
    assert np.array_equal(own[autos], mixed[autos])  # every imported car is differentiated
    # steel: reference-priced by its own class, mostly differentiated by its imports
    assert np.median(mixed[steel]) > 2 * np.median(own[steel])
    assert mixed[steel][0] > own[steel][0]


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
