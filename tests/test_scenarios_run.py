"""Every bundled scenario runs and its revenue follows its schedule (random scenarios:
test_properties.py)."""

from __future__ import annotations

import numpy as np
import pytest
from independent import assert_revenue_follows_the_schedule

from simulator.api import build_model, run_scenario
from simulator.scenario import ScenarioError, bundled_scenarios, load_scenario


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
