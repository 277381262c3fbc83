"""The estimates of ``tradesim calibrate pre2025`` ship as data and as a scenario: the rows
``pre2025_*`` of parameters.csv, and ``us_2025_estimated``, us_2025 at those values (the
out-of-sample test of docs/validation.md)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.estimation.moments import load_moments
from simulator.estimation.replay import Replays
from simulator.scenario import load_scenario

PARAMETERS = Path(__file__).resolve().parents[1] / "simulator/data/base_2024/parameters.csv"


def _rows() -> pd.DataFrame:
    table = pd.read_csv(PARAMETERS).set_index("parameter")
    return table[table.index.str.startswith("pre2025_")]


def _estimate(moments) -> np.ndarray:
    """The estimates in the moments file's order of its parameters."""
    rows = _rows()
    names = [p.name.removeprefix("parameters.").split(".")[-1] for p in moments.spec.parameters]
    return np.array([rows.loc[f"pre2025_{name}", "value"] for name in names], dtype=float)


def test_every_estimated_parameter_has_a_row_with_its_standard_error_and_provenance():
    moments = load_moments("pre2025")
    rows = _rows()
    assert len(rows) == len(moments.spec.parameters) == len(_estimate(moments))
    for name, row in rows.iterrows():
        source = row["source"]
        # the run that made it: the moments file as it is now, its seed, a standard error
        assert f"sha256 {moments.sha256[:12]}" in source, name
        assert f"seed {moments.spec.estimation.seed}" in source, name
        assert "standard error" in source, name
    for param, value in zip(moments.spec.parameters, _estimate(moments), strict=True):
        low, high = param.bounds
        assert low <= value <= high, param.name


def test_the_estimated_scenario_is_us_2025_at_the_bundled_estimates():
    moments = load_moments("pre2025")
    wanted = Replays(moments).values(_estimate(moments))
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
