"""Every bundled scenario runs; random valid scenarios keep the accounting identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent import assert_revenue_follows_the_schedule

from simulator.api import build_model, run_scenario
from simulator.calibration.dataset import load_dataset
from simulator.scenario import ScenarioError, bundled_scenarios, load_scenario

DATA = load_dataset("base_2024")
GOODS = [s for s, g in zip(DATA.sectors, DATA.goods_mask, strict=True) if g]


@pytest.mark.parametrize("name", sorted(bundled_scenarios()))
def test_bundled_scenario_runs_and_keeps_the_identities(name):
    result = run_scenario(bundled_scenarios()[name], overrides=["firms.count=0"])
    m = result.model
    assert np.all(np.isfinite(m.flows)) and np.all(m.flows >= 0)
    checked = assert_revenue_follows_the_schedule(result)  # rates from the YAML, by hand
    assert checked > 0 or not result.scenario.tariffs
    assert "What happened" in result.summary()


def test_firm_count_too_small_for_the_groups_is_a_clear_error():
    with pytest.raises(ScenarioError, match=r"firms\.count"):
        build_model(load_scenario({"name": "x", "firms": {"count": 10}}))


months = st.integers(min_value=2024 * 12, max_value=2025 * 12 + 11).map(
    lambda m: f"{m // 12}-{m % 12 + 1:02d}-01"
)
tariff = st.fixed_dictionaries(
    {
        "imposer": st.sampled_from(DATA.regions),
        "sectors": st.lists(st.sampled_from(GOODS), min_size=1, max_size=3, unique=True),
        "rate": st.floats(min_value=0, max_value=300),
        "effective": months,
        "mode": st.sampled_from(["add", "set"]),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tariffs=st.lists(tariff, max_size=4),
    pass_through=st.floats(min_value=0.0, max_value=1.0),
    speed=st.floats(min_value=0.01, max_value=1.0),
    firms=st.sampled_from([0, 400]),
)
def test_random_valid_scenarios_keep_the_identities(tariffs, pass_through, speed, firms):
    spec = {
        "name": "random",
        "end": "2025-12",
        "firms": {"count": firms},
        "tariffs": tariffs,
        "parameters": {"pass_through": pass_through, "adjustment_speed": speed},
    }
    m = build_model(load_scenario(spec))
    m.run()
    n_r = len(DATA.regions)
    off = ~np.eye(n_r, dtype=bool)[None, :, :, None]
    trade = np.where(off, m.flows, 0.0)
    assert np.all(np.isfinite(m.flows)) and np.all(m.flows >= 0)
    exports, imports = trade.sum(axis=(2, 3)), trade.sum(axis=(1, 3))
    assert np.allclose(exports.sum(axis=1), imports.sum(axis=1))
    assert np.allclose(m.revenue, (m.flows - m.exempt_flows) * m.rates, atol=1e-12)
