"""Ensembles, sweeps, executors and the resumable store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.coverage import coverage
from simulator.api import run_scenario
from simulator.calibration.parameters import DATA_DEFAULTS
from simulator.calibration.uncertainty import Distribution, uncertain_parameters
from simulator.cli import main
from simulator.runs import RunSet, RunSpec, load_sweep, run_ensemble, run_one, run_sweep
from simulator.runs.spec import Range, _sample
from simulator.scenario import ScenarioError, load_scenario

SHORT = ["end=2025-12", "firms.count=0"]

SWEEP = """\
scenario: {scenario}
method: grid
seeds: [3, 4]
vary:
  tariffs.autos.rate: [10, 25, 50]
  parameters.pass_through: {{range: [0.8, 1.0], steps: 2}}
"""

SHORT_AUTOS = """\
extends: autos_25
name: autos_short
end: 2025-12
firms:
  count: 0
"""


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    (tmp_path / "autos_short.yaml").write_text(SHORT_AUTOS)
    path = tmp_path / "sweep.yaml"
    path.write_text(SWEEP.format(scenario="autos_short.yaml"))
    return path


def _by_run(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["run", "variable", "region", "partner", "month"]).reset_index(
        drop=True
    )


# ------------------------------------------------------------------ uncertainty table


def test_every_behaviour_parameter_has_a_sourced_range_around_its_value():
    from simulator.calibration.dataset import load_dataset

    table = {p.path: p for p in uncertain_parameters("base_2024")}
    params = load_dataset("base_2024").parameters
    for path, row in DATA_DEFAULTS.items():
        p = table[f"parameters.{path}"]
        assert p.central_row == row
        assert p.source.strip()
        assert p.distribution.low <= params[row] <= p.distribution.high, path


def test_latin_hypercube_puts_one_draw_in_each_stratum_and_draws_stay_in_range():
    dist = Distribution("triangular", 0.8, 1.0, 0.95)
    n = 50
    points = _sample({"x": dist, "y": Distribution("uniform", 0.0, 1.0)}, n, "latin_hypercube", 7)
    y = np.array([p["y"] for p in points])
    assert sorted(np.floor(y * n).astype(int)) == list(range(n))
    x = np.array([p["x"] for p in points])
    assert x.min() >= 0.8 and x.max() <= 1.0
    # the triangular median: 1 - sqrt(0.5 * 0.2 * 0.05) = 0.9293
    assert np.median(x) == pytest.approx(1 - np.sqrt(0.5 * 0.2 * 0.05), abs=0.02)


def test_truncated_normal_draws_respect_the_bounds():
    dist = Distribution("normal", low=0.0, high=1.0, mean=0.9, sd=0.5)
    values = dist.ppf(np.linspace(0.0, 0.999, 200))
    assert values.min() >= 0.0 and values.max() <= 1.0


# ------------------------------------------------------------------ the run function


def test_run_function_is_pure_and_applies_the_values():
    loaded = load_scenario("autos_25", SHORT)
    spec = RunSpec(5, loaded.raw, 1, {"tariffs.autos.rate": 50})
    first, second = run_one(spec), run_one(spec)
    pd.testing.assert_frame_equal(first, second)
    assert (first.run == 5).all()
    low = run_one(RunSpec(5, loaded.raw, 1, {"tariffs.autos.rate": 10}))

    def revenue(frame: pd.DataFrame) -> float:
        rows = frame[(frame.region == "USA") & (frame.variable == "tariff_revenue")]
        return rows.value.sum()

    assert revenue(first) > revenue(low)


def test_run_function_tables_match_the_single_run_result():
    loaded = load_scenario("us_2025", SHORT)
    frame = run_one(RunSpec(0, loaded.raw, 3))
    result = run_scenario(loaded, seed=3)
    partners = frame[frame.variable == "bilateral_goods_balance"].pivot(
        index="month", columns="partner", values="value"
    )
    expected = result.bilateral()
    # the two sum exports minus imports in different orders: a balance is a difference of
    # large sums, so allow a thousandth of a dollar beyond the relative 1e-12
    assert np.allclose(
        partners[list(expected.columns.astype(str))], expected, rtol=1e-12, atol=1e-3
    )
    balance = frame[(frame.variable == "balance") & (frame.region == "USA")].value.to_numpy()
    assert np.array_equal(balance, result.us().balance.to_numpy())


# ------------------------------------------------------------------ ensembles


def test_ensemble_is_identical_with_one_or_two_jobs_and_writes_fans_and_intervals(tmp_path):
    loaded = load_scenario("us_2025", SHORT)
    one = run_ensemble(loaded, 4, out=tmp_path / "one", jobs=1)
    two = run_ensemble(loaded, 4, out=tmp_path / "two", jobs=2)
    pd.testing.assert_frame_equal(_by_run(one.series()), _by_run(two.series()))
    assert one.runs.equals(two.runs)
    assert one.runs.seed.tolist() == [2025, 2026, 2027, 2028]
    assert one.runs["parameters.pass_through"].nunique() == 4
    # different draws give different paths
    balance = one.series().query("region == 'USA' and variable == 'balance'")
    assert balance.groupby("run").value.sum().nunique() == 4

    results = one.save_results()
    names = {p.name for p in results.iterdir()}
    assert {"fan_us.png", "fan_partners.png", "quantiles.parquet", "summary.md"} <= names
    assert "provenance.json" in names
    q = pd.read_parquet(results / "quantiles.parquet")
    us = q[(q.region == "USA") & (q.variable == "balance")].pivot(
        index="month", columns="quantile", values="value"
    )
    assert (us[0.05] <= us[0.5]).all() and (us[0.5] <= us[0.95]).all()
    assert (us[0.95] - us[0.05]).iloc[-1] > 0  # the bands have width after the tariffs
    summary = (results / "summary.md").read_text()
    assert "90 % interval" in summary and "US goods balance with CHN" in summary

    bands = coverage(one)
    assert len(bands.table) == 3 * 12  # balance, exports, imports for each month of 2025
    inside = (bands.table.low_5 <= bands.table.published) & (
        bands.table.published <= bands.table.high_95
    )
    assert (bands.table.inside == inside).all()
    assert bands.rates().between(0, 100).all()


def test_ensemble_intervals_and_bands_are_the_5th_and_95th_percentiles_of_the_runs(tmp_path):
    """The 90 % interval of each headline and each monthly band, against percentiles computed
    here from the runs' own series (numpy's linear interpolation, as pandas')."""
    runs = run_ensemble("us_2025", 5, out=tmp_path / "ens", overrides=SHORT)
    series = runs.series()
    us = series[(series.region == "USA") & (series.variable == "balance") & (series.partner == "")]
    year = us[us.month.dt.year == 2025].groupby("run").value.sum().to_numpy() / 1e9
    assert np.ptp(year) > 0.5  # the draws spread the 2025 balance
    table = runs.intervals()
    row = table[(table.year == 2025) & (table.variable == "balance") & (table.partner == "")]
    row = row.iloc[0]
    assert row.high_95 == pytest.approx(np.percentile(year, 95), rel=1e-12)
    assert row.low_5 == pytest.approx(np.percentile(year, 5), rel=1e-12)
    assert row["median"] == pytest.approx(np.median(year), rel=1e-12)
    assert row.high_95 > np.percentile(year, 90) + 1e-6
    summary = runs.summary_markdown()
    assert f"(90 % interval {row.low_5:,.1f} to {row.high_95:,.1f})" in summary
    # the monthly bands of the fan charts
    last = us[us.month == us.month.max()].value.to_numpy()
    q = runs.quantiles()
    band = q[(q.region == "USA") & (q.variable == "balance") & (q.partner == "")]
    band = band[band.month == band.month.max()].set_index("quantile").value
    for level in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert band[level] == pytest.approx(np.percentile(last, 100 * level), rel=1e-12)


def test_a_run_that_broke_down_is_named_and_left_out_of_every_summary(tmp_path):
    from simulator.runs.store import Store

    out = tmp_path / "ens"
    run_ensemble("us_2025", 3, out=out, overrides=["end=2025-12", "firms.count=0"])
    store = Store(out)
    broken = store.read(1)
    broken.loc[broken.index[-5:], "value"] = np.nan  # as a model that broke down late writes
    store.write(broken)
    runs = RunSet(store)
    assert runs.failed() == [1] and runs.usable() == [0, 2]
    assert np.isfinite(runs.quantiles().value).all()
    assert set(runs.annual().run) == {0, 2}
    results = runs.save_results()
    assert "1 of these runs broke down" in (results / "summary.md").read_text()
    table = pd.read_csv(results / "runs.csv", index_col="run")
    assert table.finite.tolist() == [True, False, True] and table.finished.all()


def test_cli_ensemble_run(tmp_path, capsys):
    out = tmp_path / "ens"
    args = ["run", "us_2025", "--ensemble", "3", "--out", str(out), "--json"]
    assert main([*args, "--set", "end=2025-12", "--set", "firms.count=0"]) == 0
    records = json.loads(capsys.readouterr().out)
    balance = [r for r in records if r["variable"] == "balance" and r["year"] == 2024]
    assert balance and balance[0]["low_5"] <= balance[0]["median"] <= balance[0]["high_95"]
    assert (out / "results" / "fan_us.png").exists()


# ------------------------------------------------------------------ sweeps


def test_grid_sweep_plans_every_combination_and_seed(sweep_file):
    sweep = load_sweep(sweep_file)
    assert len(sweep.runs) == 3 * 2 * 2
    combos = {
        (r.values["tariffs.autos.rate"], r.values["parameters.pass_through"], r.seed)
        for r in sweep.runs
    }
    assert len(combos) == 12
    assert {r.seed for r in sweep.runs} == {3, 4}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  tariffs.autos.rate: {range: [1, 2]}\n",
            4,
            "needs 'steps'",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  parameters.pas_through: [0.8]\n",
            4,
            "unknown key 'pas_through'",
        ),
        (
            "scenario: autos_25\nmethod: monte_carlo\nvary:\n  parameters.pass_through: [0.8]\n",
            2,
            "needs 'samples'",
        ),
        (
            "scenario: autos_25\nmethod: grids\nvary:\n  parameters.pass_through: [0.8]\n",
            2,
            "not allowed",
        ),
        (
            "scenario: autos_25\nseeds: []\nvary:\n  parameters.pass_through: [0.8]\n",
            2,
            "'seeds'",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  parameters.pass_through: [0.8, 1.5]\n",
            4,
            "invalid value 1.5 (expected: a number from 0 to 1)",
        ),
        (
            "scenario: autos_25\nmethod: monte_carlo\nsamples: 3\nvary:\n"
            "  parameters.pass_through: {distribution: triangular, low: 0.9, mode: 0.5, high: 1}\n",
            5,
            "'mode' between",
        ),
        # one form of a vary entry is picked by its keys, and only its errors are reported
        (
            "scenario: autos_25\nmethod: monte_carlo\nsamples: 3\nvary:\n"
            "  parameters.macro.twin_deficit: {distribution: triangular, low: 0.2, mode: 0.3, "
            "hihg: 0.6}\n",
            5,
            "vary.parameters.macro.twin_deficit.hihg: unknown key 'hihg' (expected: one of "
            "distribution, low, high, mode, mean, sd)\n    hint: did you mean 'high'?",
        ),
        (
            "scenario: autos_25\nmethod: monte_carlo\nsamples: 3\nvary:\n"
            "  parameters.macro.twin_deficit: {distribution: triangle, low: 0.2, mode: 0.3, "
            "high: 0.6}\n",
            5,
            "vary.parameters.macro.twin_deficit.distribution: 'triangle' is not allowed (expected: "
            "one of uniform, loguniform, triangular, normal)\n    hint: did you mean 'triangular'?",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n"
            "  parameters.pass_through: {range: [0.8, 1.0], steps: 100000}\n",
            4,
            "vary.parameters.pass_through.steps: invalid value 100000 (expected: a number from 2 "
            "to 10,000)",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  parameters.pass_through: {rnage: [0, 1]}\n",
            4,
            "unknown key 'rnage' (expected: one of range, steps)\n    hint: did you mean 'range'?",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  parameters.pass_through: 0.8\n",
            4,
            "invalid value 0.8 (expected: a list of values, {range: [low, high]}",
        ),
        (
            "scenario: autos_25\nmethod: grid\nvary:\n  parameters.pass_through: [0.8, .nan]\n",
            4,
            "vary.parameters.pass_through[1]: expected a finite number, got .nan",
        ),
        (
            "scenario: autos_25\nmethod: monte_carlo\nsamples: 3\nvary:\n"
            "  parameters.pass_through: {range: [0.8, .inf]}\n",
            5,
            "vary.parameters.pass_through.range[1]: expected a finite number, got .inf",
        ),
    ],
)
def test_bad_sweep_files_are_reported_with_file_line_and_key(tmp_path, capsys, text, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert f"{path}:{line}:" in str(err.value) and message in str(err.value)
    assert main(["validate", str(path)]) == 2
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_vary_typos_name_only_the_key_that_is_wrong(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "scenario: autos_25\nmethod: monte_carlo\nsamples: 3\nvary:\n"
        "  parameters.macro.twin_deficit: {distribution: triangular, low: 0.2, mode: 0.3, "
        "hihg: 0.6}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert len(err.value.issues) == 1  # not one per form of a vary entry
    assert err.value.issues[0].path == "vary.parameters.macro.twin_deficit.hihg"
    assert "required but missing" not in str(err.value)


def _no_grid(*args, **kwargs):
    raise AssertionError("the grid was built")


def test_a_vast_grid_is_refused_by_its_count_before_anything_is_built(tmp_path, monkeypatch):
    # two keys of 10,000 steps took 85 s to build before being refused
    import simulator.runs.spec as spec_module

    monkeypatch.setattr(spec_module, "_grid_values", _no_grid)
    monkeypatch.setattr(spec_module, "load_scenario", _no_grid)  # refused before loading it
    path = tmp_path / "vast.yaml"
    path.write_text(
        "scenario: autos_25\nmethod: grid\nseeds: 2\nvary:\n"
        "  parameters.pass_through: {range: [0.8, 1.0], steps: 10000}\n"
        "  parameters.macro.twin_deficit: {range: [0.2, 0.6], steps: 10000}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert str(err.value) == (
        f"{path}:4:1: vary: the sweep plans 200,000,000 runs (10,000 × 10,000 points × 2 seeds); "
        "at most 1,000,000\n    hint: use fewer values or steps, or sample: method: "
        "latin_hypercube"
    )


def test_plan_sweep_counts_before_it_builds(sweep_file, monkeypatch):
    import simulator.runs.spec as spec_module

    sweep = load_sweep(sweep_file)
    vast = sweep.spec.model_copy(
        update={"vary": {k: Range(range=[0.0, 1.0], steps=10_000) for k in ("a", "b")}}
    )
    monkeypatch.setattr(spec_module, "_grid_values", _no_grid)
    with pytest.raises(ScenarioError, match="plans 200,000,000 runs; at most 1,000,000"):
        spec_module.plan_sweep(vast, sweep.loaded)
    assert spec_module.count_runs(sweep.spec) == len(sweep.runs) == 12


def test_too_many_samples_times_seeds_are_refused_at_samples(tmp_path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "scenario: autos_25\nmethod: monte_carlo\nsamples: 1000000\nseeds: 2\nvary:\n"
        "  parameters.pass_through: {range: [0.8, 1.0]}\n"
    )
    with pytest.raises(ScenarioError, match=r"many.yaml:3:1: samples: the sweep plans 2,000,000"):
        load_sweep(path)


def test_validate_accepts_sweep_files(sweep_file, capsys):
    assert main(["validate", str(sweep_file)]) == 0
    assert "ok (sweep of autos_short, 12 runs)" in capsys.readouterr().out


def test_store_refuses_a_folder_it_did_not_write(sweep_file, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["sweep", str(sweep_file), "--out", str(out), "-q"]) == 3  # output refused
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def _descendants(pid: int) -> set[int]:
    """Every live process started, directly or not, by ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists()}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sweep_killed_with_sigkill_resumes_with_exactly_the_planned_runs(
    sweep_file, tmp_path, jobs
):
    # 48 runs: three batches of 16 members (runs finish and are stored a batch at a time)
    sweep_file.write_text(sweep_file.read_text().replace("seeds: [3, 4]", "seeds: 8"))
    out = tmp_path / "store"
    # the console script's entry: with two jobs it starts the fork server first
    cmd = [sys.executable, "-m", "simulator.entry", "sweep", str(sweep_file), "--out", str(out)]
    proc = subprocess.Popen([*cmd, "--jobs", jobs, "-q"], cwd=tmp_path, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "runs").glob("run-*.parquet"))) < 3:
        time.sleep(0.05)
    workers = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("run-*.parquet")}
    assert 3 <= len(kept) < 48, "the sweep must be killed halfway"
    # its pool's workers notice and end, instead of waiting for work forever
    assert len(workers) >= (2 if jobs == "2" else 0)
    deadline = time.monotonic() + 30
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(workers)

    sweep = load_sweep(sweep_file)
    assert main(["sweep", str(sweep_file), "--out", str(out), "-q"]) == 0
    files = sorted(p.name for p in (out / "runs").glob("run-*.parquet"))
    assert files == [f"run-{r.run:06d}.parquet" for r in sweep.runs]
    for name, mtime in kept.items():  # finished runs were kept, not run again
        assert (out / "runs" / name).stat().st_mtime_ns == mtime
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]
    series = pd.read_parquet(out / "runs")
    assert sorted(series.run.unique()) == list(range(48))
    fresh = _by_run(run_one(sweep.runs[0]))
    stored = _by_run(series[series.run == 0])
    # the stored run was a member of a batch, the fresh one ran alone: labels exactly, numbers
    # to 1e-10 of each series' largest magnitude (a batch sums in another order; the
    # efficiency part of real income, a small difference of large sums, differed by 1.7e-12
    # of its own scale)
    pd.testing.assert_frame_equal(stored.drop(columns="value"), fresh.drop(columns="value"))
    scale = fresh.groupby("variable").value.transform(lambda v: v.abs().max())
    off = (stored.value - fresh.value).abs() > 1e-10 * scale
    assert not off.any(), stored[off].variable.unique()


def test_ctrl_c_says_which_runs_are_kept_and_the_same_command_resumes(
    sweep_file, tmp_path, monkeypatch, capsys
):
    from simulator.runs.store import Store

    out = tmp_path / "store"
    argv = ["sweep", str(sweep_file), "--out", str(out), "--jobs", "1", "-q"]
    write = Store.write

    def interrupted_after_three(self, frame):
        if len(self.done()) == 3:
            raise KeyboardInterrupt
        write(self, frame)

    monkeypatch.setattr(Store, "write", interrupted_after_three)
    assert main(argv) == 130
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message == (
        f"tradesim: interrupted; 3 of 12 runs are kept in {out / 'runs'}; run the same "
        "command again to finish the others"
    )
    monkeypatch.setattr(Store, "write", write)
    assert main(argv) == 0
    assert len(list((out / "runs").glob("run-*.parquet"))) == 12
    # interrupted while writing results/: every run is kept, and the next try writes them

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunSet, "save_results", interrupted)
    assert main(argv) == 130
    assert "every run is kept in" in capsys.readouterr().err


def test_sigterm_keeps_the_finished_runs_and_says_terminated(
    sweep_file, tmp_path, monkeypatch, capsys
):
    """SIGTERM (``timeout``, a batch system) stops a sweep as Ctrl-C does, with 128 + 15."""
    import signal

    from simulator.cli import _terminate
    from simulator.runs.store import Store

    out = tmp_path / "store"
    write = Store.write

    def terminated_after_two(self, frame):
        if len(self.done()) == 2:
            _terminate(signal.SIGTERM, None)  # what the handler main installs does
        write(self, frame)

    monkeypatch.setattr(Store, "write", terminated_after_two)
    argv = ["sweep", str(sweep_file), "--out", str(out), "--jobs", "1", "-q"]
    assert main(argv) == 128 + signal.SIGTERM
    assert "tradesim: terminated; 2 of 12 runs are kept" in capsys.readouterr().err


def test_dask_executor_gives_the_local_numbers(sweep_file, tmp_path):
    pytest.importorskip("dask.distributed")
    local = run_sweep(sweep_file, out=tmp_path / "local", jobs=1)
    dask = run_sweep(sweep_file, out=tmp_path / "dask", jobs=2, executor="dask")
    pd.testing.assert_frame_equal(_by_run(local.series()), _by_run(dask.series()))


def test_impossible_executor_settings_write_nothing(sweep_file, tmp_path):
    out = tmp_path / "never"
    assert main(["sweep", str(sweep_file), "--out", str(out), "--jobs", "0", "-q"]) == 2
    assert main(["sweep", str(sweep_file), "--out", str(out), "--scheduler", "tcp://x:1"]) == 2
    assert main(["run", "baseline", "--ensemble", "0", "--out", str(out), "-q"]) == 2
    assert not out.exists()


def test_a_runs_table_holds_the_eu_group_as_the_sum_of_its_members():
    """Ensembles summarise the EU (a group since DEU and IRL were split out): every month, its
    US goods balance is the sum of its members', and its members are there too."""
    spec = RunSpec(0, load_scenario("us_2025").raw, 1, {"firms.count": 0})
    frame = run_one(spec)
    rows = frame[frame.variable == "bilateral_goods_balance"]
    table = rows.pivot(index="month", columns="partner", values="value")
    members = table[["DEU", "IRL", "EU_OTHER"]].sum(axis=1)
    np.testing.assert_allclose(table["EU"], members, rtol=1e-12)
    assert (table["EU"] < 0).all()  # the US runs a goods deficit with the EU


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        (["decompose", "us_2025"], True),  # jobs default to the cores (2 in CI)
        (["decompose", "us_2025", "--jobs", "1"], False),
        (["decompose", "us_2025", "--jobs=3"], True),
        (["run", "us_2025"], False),
        (["run", "us_2025", "--ensemble", "50", "--jobs", "2"], True),
        (["validate-history", "--ensemble", "20", "--jobs", "2"], True),
        (["sweep", "s.yaml", "--jobs", "2"], True),
        (["sweep", "s.yaml", "--jobs", "2", "--executor", "dask"], False),
        (["decompose", "--help", "--jobs", "2"], False),
        (["decompose", "us_2025", "--jobs", "two"], False),
    ],
)
def test_the_entry_point_starts_the_fork_server_only_for_a_pool(argv, starts, monkeypatch):
    from simulator import entry
    from simulator.runs import workers

    monkeypatch.setattr(workers, "available_cores", lambda: 2)
    assert entry._will_start_a_pool(argv) is starts


def test_no_more_workers_start_than_there_are_runs(monkeypatch):
    from simulator.runs import executors

    pools: list[int] = []

    def pool(tasks, jobs, task):
        pools.append(jobs)
        return (frame for batch in tasks for frame in task(batch))

    monkeypatch.setattr(executors, "_pool", pool)
    raw = load_scenario("autos_25", SHORT).raw
    one = [RunSpec(0, raw, 1)]
    assert len(list(executors.execute(one, jobs=8))) == 1
    assert pools == []  # one run: no pool at all
    three = [RunSpec(i, raw, i) for i in range(3)]
    assert len(list(executors.execute(three, jobs=8))) == 3
    assert pools == [3]
