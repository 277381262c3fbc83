"""Estimation (tradesim calibrate): moments files, replays, the SMM estimator and its report."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.cli import main
from simulator.estimation import estimate, load_moments
from simulator.estimation.replay import Replays
from simulator.estimation.smm import local_jacobian, sandwich
from simulator.scenario import ScenarioError, load_scenario

SMALL = """\
name: small
base: {scenario: baseline, set: [firms.count=0, end=2025-12]}
replays:
  china:
    at: 2025-01
    end: 2025-12
    tariffs: [{imposer: USA, partners: [CHN], sectors: [machinery, consumer_goods], rate: 14,
               effective: 2025-01-01}]
moments:
  - id: targeted
    source: "a moment simulated by the model itself"
    estimate: TARGETED
    se: 0.1
    statistic: {kind: elasticity, replay: china, window: [1, 12], importers: [USA],
                exporters: [CHN], sectors: [machinery, consumer_goods]}
  - id: diversion
    source: "a moment simulated by the model itself"
    estimate: DIVERSION
    se: 0.02
    statistic: {kind: diversion_share, replay: china, window: [7, 12], importers: [USA],
                exporters: [CHN], sectors: [machinery, consumer_goods]}
parameters:
  - {name: parameters.adjustment_speed, bounds: [0.01, 0.3]}
  - {name: parameters.domestic_elasticity_ratio, bounds: [0.1, 1.0]}
estimation: {method: least_squares, seed: 3, starts: STARTS, max_evaluations: 20}
"""


def moments_text(targeted: float = -2.0, diversion: float = 0.3, starts: int = 4) -> str:
    """The small moments file with its published values and number of starting points."""
    out = SMALL
    for token, value in (("TARGETED", targeted), ("DIVERSION", diversion), ("STARTS", starts)):
        out = out.replace(token, repr(float(value)) if token != "STARTS" else str(value))
    return out


def write(tmp_path: Path, text: str, name: str = "moments.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def small(tmp_path: Path, targeted: float = -2.0, diversion: float = 0.3, starts: int = 4):
    return write(tmp_path, moments_text(targeted, diversion, starts))


def test_the_bundled_moments_file_loads_with_a_source_and_an_se_for_every_moment():
    moments = load_moments("pre2025")
    assert len(moments.spec.moments) >= 6
    assert {"blp_one_year", "blp_long_run", "arw_targeted", "arw_all_origins"} <= set(
        moments.moment_ids
    )
    assert {"nicita_diversion", "fh_tariff_vs_fx"} <= set(moments.moment_ids)
    for moment in moments.spec.moments:
        assert moment.se > 0 and len(moment.source) > 40, moment.id
    assert len(moments.spec.parameters) < len(moments.spec.moments)
    assert moments.base.scenario.firms.count == 0  # deterministic: no simulation noise


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("estimation: {", "estimaton: {", ["moments.yaml:", "estimaton", "did you mean"]),
        ("replay: china, window: [7", "replay: chian, window: [7", ["no replay named", "china"]),
        (
            "exporters: [CHN]",
            "exporters: [CHX]",
            ["unknown region 'CHX'", "statistic.exporters[0]"],
        ),
        ("window: [1, 12]", "window: [1, 40]", ["passes the end of replay", "hint"]),
        ("parameters.adjustment_speed,", "parameters.firms_speed,", ["parameters[0].name"]),
        (
            "parameters.domestic_elasticity_ratio,",
            "parameters.services.ai_inflow_share,",
            ["not a parameter members of a batch may differ in"],
        ),
        ("rate: 14", "rate: -14", ["replay 'china' is not a valid scenario", "negative"]),
        ("at: 2025-01", "at: 2024-06", ["months before it"]),
        ("kind: diversion_share", "kind: diversion", ["moments[1].statistic", "ratio"]),
        ("se: 0.1", "se: 0", ["moments.yaml:13:5: moments[0].se", "a number > 0"]),
    ],
)
def test_bad_moments_files_name_the_file_line_key_and_a_fix(tmp_path, old, new, expected):
    text = moments_text(starts=0)
    assert old in text, old
    path = write(tmp_path, text.replace(old, new, 1))
    with pytest.raises(ScenarioError) as caught:
        load_moments(path)
    message = str(caught.value)
    for part in expected:
        assert part in message, message


def test_more_parameters_than_moments_is_refused(tmp_path):
    text = moments_text(starts=0).replace(
        "estimation:",
        "  - {name: parameters.expectations.fx_half_life_months, bounds: [3, 240]}\nestimation:",
    )
    with pytest.raises(ScenarioError, match="a parameter needs at least one moment"):
        load_moments(write(tmp_path, text))


def test_replays_move_their_statistics_the_right_way_with_their_parameters(tmp_path):
    replays = Replays(load_moments(small(tmp_path)))
    sims = replays.simulate(np.array([[0.04, 0.5], [0.12, 0.5], [0.04, 0.25]]))
    (slow, diversion), (fast, _), (_, more_diversion) = sims
    assert slow < 0 and fast < slow  # contracts expire faster: imports from China fall faster
    assert 0 < diversion < more_diversion  # domestic goods substitute less: more is diverted


@pytest.mark.parametrize(
    ("search", "tolerance", "fit"),
    [
        ("method: least_squares", 0.02, 1e-3),
        (
            "method: differential_evolution, population: 5, generations: 8, tolerance: 0.0001",
            0.1,
            1,
        ),
    ],
)
def test_the_estimator_recovers_parameters_from_moments_the_model_simulated(
    tmp_path, search, tolerance, fit
):
    """Identification: moments simulated at known values are published; the estimate from
    the defaults (0.04, 0.5) finds the values again, with finite standard errors."""
    truth = np.array([0.09, 0.3])
    targeted, diversion = Replays(load_moments(small(tmp_path))).simulate(truth[None])[0]
    text = moments_text(targeted, diversion, starts=0).replace("method: least_squares", search)
    result = estimate(load_moments(write(tmp_path, text)))
    assert result.theta == pytest.approx(truth, rel=tolerance)
    assert result.objective < fit < 10 < result.objective_start
    assert np.all(np.isfinite(result.se)) and np.all(result.se > 0)
    assert result.noise_factor == 1.0  # a continuum of firms: deterministic
    assert result.identification.shape == (2, 2)


def test_the_local_jacobian_is_exact_for_linear_moments():
    rng = np.random.default_rng(0)
    jacobian = np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]])
    theta = np.array([0.2, 5.0])
    points = list(theta + rng.normal(size=(12, 2)))
    moments = np.array([jacobian @ p + 7.0 for p in points])
    assert local_jacobian(points, moments, theta) == pytest.approx(jacobian)


def test_sandwich_equals_the_inverse_information_for_a_linear_model():
    jacobian = np.array([[1.0, 0.0], [1.0, 2.0], [0.0, 1.0]])
    se = np.array([0.5, 1.0, 2.0])
    weights = np.diag(1 / se**2)
    assert sandwich(jacobian, se) == pytest.approx(np.linalg.inv(jacobian.T @ weights @ jacobian))
    assert np.isinf(sandwich(np.array([[1.0, 0.0], [2.0, 0.0]]), se[:2])).all()


def test_calibrate_writes_the_report_atomically_and_refuses_bad_input(tmp_path, capsys):
    search = "method: differential_evolution, population: 2, generations: 2"
    text = moments_text(starts=0).replace("method: least_squares", search)
    # a parameter set in the base is part of the model estimated: the scenario keeps it
    text = text.replace("set: [firms.count=0,", "set: [firms.count=0, parameters.pass_through=0.9,")
    path = write(tmp_path, text)
    out = tmp_path / "report"
    assert main(["calibrate", str(path), "--out", str(out), "--jobs", "1", "-q"]) == 0
    files = {p.name for p in out.iterdir()}
    assert {"report.md", "moments.csv", "estimates.csv", "identification.csv"} <= files
    assert {"sensitivity.csv", "estimate.json", "provenance.json"} <= files
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| `targeted` |" in report and "parameters.adjustment_speed" in report
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["moments_sha256"] == load_moments(path).sha256
    data = json.loads((out / "estimate.json").read_text(encoding="utf-8"))
    assert set(data["parameters"]) == {
        "parameters.adjustment_speed",
        "parameters.domestic_elasticity_ratio",
    }
    # the estimates as a scenario that runs (the base with them) and their covariance
    estimated = load_scenario(out / "estimated.yaml").scenario
    for name, fields in data["parameters"].items():
        value = getattr(estimated.parameters, name.removeprefix("parameters."))
        assert value == fields["estimate"]
    assert estimated.tariffs == load_scenario("baseline").scenario.tariffs
    assert estimated.parameters.pass_through == 0.9
    assert estimated.firms.count == load_scenario("baseline").scenario.firms.count
    names = list(data["parameters"])
    covariance = pd.read_csv(out / "covariance.csv")
    table = covariance.pivot(index="parameter", columns="other", values="covariance")
    assert table.loc[names, names].to_numpy().tolist() == data["covariance"]
    bad = write(tmp_path, path.read_text().replace("rate: 14", "rate: -1"), "bad.yaml")
    assert main(["calibrate", str(bad), "--out", str(tmp_path / "never"), "-q"]) == 2
    assert not (tmp_path / "never").exists()
    assert "bad.yaml" in capsys.readouterr().err


def test_calibrate_set_adds_to_the_base_and_the_report_names_it(tmp_path):
    """``--set`` changes the base every replay starts from: the moments move, the estimated
    scenario keeps the value, and the command recorded names it."""
    search = "method: differential_evolution, population: 2, generations: 1"
    path = write(tmp_path, moments_text(starts=0).replace("method: least_squares", search))
    flag = "parameters.macro.income_feedback=0.2"
    out = tmp_path / "set"
    assert main(["calibrate", str(path), "--set", flag, "--out", str(out), "-q"]) == 0
    estimated = load_scenario(out / "estimated.yaml").scenario
    assert estimated.parameters.macro.income_feedback == 0.2
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["command"].endswith(f"--set {flag}")
    plain, changed = load_moments(path), load_moments(path, [flag])
    assert changed.base.scenario.parameters.macro.income_feedback == 0.2
    assert changed.sha256 == plain.sha256  # the file is the same; the command says the rest
    assert main(["calibrate", str(path), "--set", "parameters.macro.nope=1", "-q"]) == 2


def test_the_docs_table_lists_every_moment_and_parameter_of_the_bundled_file():
    """docs/calibration.md reports each shipped moment and freed parameter (issue 22)."""
    docs = (Path(__file__).resolve().parents[1] / "docs" / "calibration.md").read_text("utf-8")
    results = docs.split("## Results", 1)[1]
    moments = load_moments("pre2025")
    for moment in moments.spec.moments:
        assert f"| `{moment.id}` |" in results, moment.id
    for param in moments.spec.parameters:
        assert f"| `{param.name}`" in results, param.name
    assert moments.sha256[:12] in results  # the results are those of the shipped file
