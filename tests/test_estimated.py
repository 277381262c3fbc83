"""The estimates of ``tradesim calibrate pre2025`` ship as data and as a scenario: the rows
``pre2025_*`` of parameters.csv with their covariance, and ``us_2025_estimated``, us_2025 at
those values (the out-of-sample test of docs/validation.md), whose ensemble draws the
estimates from their distribution."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.estimation.bundled import bundled_estimate
from simulator.scenario import load_scenario

PARAMETERS = Path(__file__).resolve().parents[1] / "simulator/data/base_2024/parameters.csv"


def _rows() -> pd.DataFrame:
    table = pd.read_csv(PARAMETERS).set_index("parameter")
    return table[table.index.str.startswith("pre2025_")]


def test_every_estimated_parameter_has_a_row_with_its_standard_error_and_provenance():
    estimate = bundled_estimate()
    moments = estimate.moments
    rows = _rows()
    assert len(rows) == len(moments.spec.parameters) == len(estimate.theta)
    for k, param in enumerate(moments.spec.parameters):
        row = rows.loc[f"pre2025_{param.name.split('.')[-1]}"]
        assert row["value"] == estimate.theta[k]
        low, high = param.bounds
        assert low <= row["value"] <= high, param.name
        source = row["source"]
        # the run that made it: the moments file as it is now, its seed
        assert f"sha256 {moments.sha256[:12]}" in source, param.name
        assert f"seed {moments.spec.estimation.seed}" in source, param.name
        # the covariance is the same run's: its diagonal is the square of the row's SE
        se = float(re.search(r"standard error ([0-9]+(?:\.[0-9]+)?)", source).group(1))
        assert np.sqrt(estimate.covariance[k, k]) == pytest.approx(se, rel=1e-2)
    assert np.allclose(estimate.covariance, estimate.covariance.T)


def test_the_estimated_scenario_is_us_2025_at_the_bundled_estimates():
    estimate = bundled_estimate()
    wanted = estimate.values(estimate.theta)
    loaded = load_scenario("us_2025_estimated")
    scenario = loaded.scenario
    for key, value in wanted.items():
        path = key.removeprefix("parameters.").split(".")
        if path[0] == "elasticities":
            got = scenario.parameters.elasticities[path[1]]
        else:
            got = scenario.parameters
            for step in path:
                got = getattr(got, step)
        assert got == pytest.approx(value, rel=1e-12, abs=0.0), key
    # nothing else differs from us_2025: the same tariffs, shocks, firms and horizon
    raw = copy.deepcopy(loaded.raw)
    us = load_scenario("us_2025").raw
    for mapping in (raw, us):
        for key in ("name", "description", "parameters", "extends"):
            mapping.pop(key, None)
    assert raw == us


def test_draws_of_the_estimates_stay_inside_the_bounds_and_keep_their_correlation():
    estimate = bundled_estimate()
    draws = estimate.draws(2000, seed=7)
    low, high = estimate.bounds.T
    assert draws.shape == (2000, len(estimate.theta))
    assert ((draws >= low) & (draws <= high)).all()
    assert np.array_equal(draws, estimate.draws(2000, seed=7))  # seeded
    assert not np.array_equal(draws, estimate.draws(2000, seed=8))
    names = [p.name for p in estimate.moments.spec.parameters]
    elasticity, switching = names.index("elasticity_scale"), names.index("switching_cost_scale")
    # the two scales are identified together: a draw with larger elasticities has larger
    # switching costs (the covariance's correlation is 0.999; 0.68 is left after the
    # truncation to the bounds; independent draws would give about 0)
    assert np.corrcoef(draws[:, elasticity], draws[:, switching])[0, 1] > 0.5
    # every draw is a parameter set the scenario can run: its --set values
    values = estimate.values(draws[0])
    assert (
        values["parameters.adjustment_speed"]
        == draws[0, names.index("parameters.adjustment_speed")]
    )


def test_the_estimated_ensemble_draws_the_estimates_and_the_other_priors():
    from simulator.analysis.validation import ESTIMATED, ensemble_specs

    specs = ensemble_specs(5, seed=11, estimated=True)
    plain = ensemble_specs(5, seed=11)
    estimate = bundled_estimate()
    draws = estimate.draws(5, 11)
    for spec, ours, theta in zip(specs, plain, draws, strict=True):
        assert spec.scenario["name"] == ESTIMATED and ours.scenario["name"] == "us_2025"
        assert spec.seed == ours.seed
        for key, value in estimate.values(theta).items():
            assert spec.values[key] == value
        # the priors of the parameters that were not estimated are drawn as for us_2025
        assert spec.values["parameters.pass_through"] == ours.values["parameters.pass_through"]


def test_the_estimates_move_the_2025_run_as_their_moments_say():
    """A smaller contract hazard and smaller switching costs make the 2025 tariffs on China,
    large and lasting, move buyers at once: imports from China fall further in 2025 than with
    the defaults (the replayed 2018 tariffs moved them from -1.0 to -6.0, calibration.md)."""
    from simulator.api import run_scenario

    def china_imports(name: str) -> float:
        result = run_scenario(name, overrides=["firms.count=0", "end=2025-12"])
        m = result.model
        chn, usa = m.data.region_index("CHN"), m.data.region_index("USA")
        months = [t for t in range(m.n_months) if m.month_label(t).startswith("2025")]
        return float(m.flows[months, chn, usa].sum())

    assert china_imports("us_2025_estimated") < 0.9 * china_imports("us_2025")
