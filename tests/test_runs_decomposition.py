"""The decomposition on the run machinery: exact and sampled Shapley, and its waterfall."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from simulator.analysis.decomposition import Decomposition, decompose
from simulator.scenario import ScenarioError, load_scenario


def _table(rows: dict[str, float], total: float) -> pd.DataFrame:
    table = pd.DataFrame({"shapley": rows, "one_at_a_time": dict.fromkeys(rows, 0.0)})
    table.loc["total"] = [total, float("nan")]
    return table


def test_waterfall_ends_at_the_scenario_value_and_does_not_draw_the_total_as_a_step():
    steps = {"core": -600.0, "switching_frictions": 380.0, "dollar": -120.0, "ai_capex": 224.3}
    result = Decomposition("us_2025", "baseline", "2025", 931.1, 815.4, _table(steps, -115.7))
    fig = result.waterfall_figure()
    bars = fig.axes[0].patches
    plt.close(fig)
    assert len(bars) == len(steps) + 2  # baseline, one per channel, scenario: no "total"
    assert bars[0].get_height() == pytest.approx(931.1)
    last_step = bars[-2]
    assert last_step.get_y() + last_step.get_height() == pytest.approx(815.4)
    assert bars[-1].get_y() == 0 and bars[-1].get_height() == pytest.approx(815.4)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert "total" not in labels and labels[-1] == "us_2025"
    values = [t.get_text() for t in fig.axes[0].texts]  # each bar says its value
    assert values == ["931", "-600.0", "+380.0", "-120.0", "+224.3", "815"]
    assert not fig.axes[0].containers[len(bars) :]  # exact values: no whiskers


def test_waterfall_whiskers_span_two_standard_errors_of_sampled_values():
    steps = {"core": -600.0, "switching_frictions": 380.0, "dollar": -120.0}
    table = _table(steps, -340.0)
    table["standard_error"] = [float("nan"), 8.0, 10.0, float("nan")]
    fig = Decomposition("s", "baseline", "2025", 1000.0, 660.0, table).waterfall_figure()
    whiskers = [c for c in fig.axes[0].containers if hasattr(c, "has_yerr")]
    plt.close(fig)
    spans = sorted(
        (seg[1][1] - seg[0][1], seg[0][1] + (seg[1][1] - seg[0][1]) / 2)
        for c in whiskers
        for seg in c.lines[2][0].get_segments()
    )
    # around the level each step ends at: 400 + 380 = 780 and 780 - 120 = 660
    assert spans == [(pytest.approx(32.0), pytest.approx(780.0)), (40.0, 660.0)]


def test_sampled_shapley_adds_up_and_agrees_with_the_exact_values():
    loaded = load_scenario("retaliation", ["end=2025-12"])
    baseline = load_scenario("baseline", ["end=2025-12"])
    exact = decompose(loaded, baseline, period="2025", jobs=2)
    sampled = decompose(loaded, baseline, period="2025", method="sampled", permutations=30)
    assert exact.method == "exact" and "sampled" in sampled.method
    for result in (exact, sampled):
        parts = result.table.drop(index="total")["shapley"].sum()
        assert parts == pytest.approx(result.total, abs=1e-6)
    assert sampled.total == pytest.approx(exact.total)
    se = sampled.table["standard_error"].drop(index=["core", "total"])
    assert (se >= 0).all()
    gap = (sampled.table["shapley"] - exact.table["shapley"]).drop(index=["core", "total"])
    # within four standard errors (plus a little for channels that never matter)
    assert (gap.abs() <= 4 * se + 0.5).all()
    with pytest.raises(ScenarioError, match="at least 4"):  # one antithetic pair has no error
        decompose(loaded, baseline, period="2025", method="sampled", permutations=3)


def test_cli_decompose_sampled_writes_table_plot_and_provenance(tmp_path, capsys):
    from simulator.cli import main

    out = tmp_path / "dec"
    args = ["decompose", "retaliation", "--set", "end=2025-12", "--period", "2025"]
    args += ["--method", "sampled", "--permutations", "4", "--jobs", "1", "--out", str(out)]
    assert main([*args, "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert "standard_error" in table["retaliation"]
    names = {p.name for p in out.iterdir()}
    assert names == {"decomposition.csv", "decomposition.md", "waterfall.png", "provenance.json"}
    assert json.loads((out / "provenance.json").read_text())["method"] == (
        "sampled (4 permutations in antithetic pairs)"
    )
    assert main([*args, "-q"]) == 0  # a folder tradesim wrote may be replaced


def test_a_run_stopped_after_the_period_gives_the_full_runs_months_exactly():
    from dataclasses import replace

    from simulator.analysis.decomposition import _spec
    from simulator.runs.run import run_one

    loaded = load_scenario("retaliation")
    spec = _spec(0, loaded, frozenset({"retaliation", "front_loading"}), None)
    full = run_one(spec)
    short = run_one(replace(spec, until="2025-03"))
    assert list(short.month.dt.strftime("%Y-%m"))[-1] == "2025-03"
    assert len(short) < len(full)
    head = full.iloc[: len(short)].reset_index(drop=True)
    pd.testing.assert_frame_equal(short, head, check_exact=True)


def test_models_of_one_scenario_share_one_read_only_tariff_schedule():
    from simulator.api import build_model

    loaded = load_scenario("us_2025", ["firms.count=0"])
    first, second = build_model(loaded), build_model(loaded)
    assert first.schedule.path is second.schedule.path
    assert not first.schedule.path.flags.writeable
    other = build_model(load_scenario("us_2025", ["firms.count=0", "mechanisms.retaliation=false"]))
    assert other.schedule.path is not first.schedule.path
    assert not (other.schedule.path == first.schedule.path).all()  # retaliation entries left out


def test_runs_the_decomposition_skips_would_give_the_values_it_uses():
    """ACTS_THROUGH and ADDITIVE are facts about the engine, checked on us_2025's runs: a
    channel acting through another changes nothing while that one is off (and something when
    it is on); gold bars add the same to the deficit whatever else is on."""
    from simulator.analysis.decomposition import (
        ACTS_THROUGH,
        ADDITIVE,
        _deficit,
        _spec,
        active_channels,
    )
    from simulator.runs.run import run_one

    loaded = load_scenario("us_2025")

    def deficit(subset: set[str]) -> float:
        return _deficit(run_one(_spec(0, loaded, frozenset(subset), "2025-12")), "2025")

    everything = set(active_channels(loaded))
    for channel, through in ACTS_THROUGH.items():
        without = everything - {channel, through}
        assert deficit(without | {channel}) == deficit(without)
        with_it = without | {through}
        assert abs(deficit(with_it | {channel}) - deficit(with_it)) > 0.1
    for channel in ADDITIVE:
        alone = deficit({channel}) - deficit(set())
        assert abs(alone) > 1.0  # gold bars matter in us_2025
        for others in (everything - {channel}, {"dollar", "front_loading", "retaliation"}):
            assert deficit(others | {channel}) - deficit(others) == pytest.approx(alone, abs=1e-9)


def test_skipping_equivalent_runs_leaves_the_decomposition_unchanged(monkeypatch):
    from simulator.analysis import decomposition

    loaded = load_scenario("us_2025")
    baseline = load_scenario("baseline")
    kwargs = {"period": "2025-03", "method": "sampled", "permutations": 4}
    runs: list[int] = []
    fast = decompose(loaded, baseline, progress=lambda done, total: runs.append(total), **kwargs)
    monkeypatch.setattr(decomposition, "ACTS_THROUGH", {})
    monkeypatch.setattr(decomposition, "ADDITIVE", frozenset())
    every: list[int] = []
    slow = decompose(loaded, baseline, progress=lambda done, total: every.append(total), **kwargs)
    assert runs[-1] < every[-1]
    pd.testing.assert_frame_equal(fast.table, slow.table, check_exact=False, atol=1e-9, rtol=0)


def _game(monkeypatch, deficit):
    """Replace the runs by a known game: ``deficit(channels switched on)`` in $bn for every
    run of the scenario, 0 for the baseline; the engine's shortcuts off (every subset runs)."""
    from simulator.analysis import decomposition

    def execute(specs, jobs):
        for spec in specs:
            on = {k.split(".", 1)[1] for k, v in spec.values.items() if k.startswith("mech") and v}
            value = deficit(frozenset(on)) if "mechanisms.gold" in spec.values else 0.0
            month = pd.Timestamp("2025-06-01")
            yield pd.DataFrame({"run": [spec.run], "month": [month], "value": [-value * 1e9]})

    monkeypatch.setattr(decomposition, "execute", execute)
    monkeypatch.setattr(decomposition, "ACTS_THROUGH", {})
    monkeypatch.setattr(decomposition, "ADDITIVE", frozenset())


def test_one_at_a_time_is_the_deficit_with_the_channel_less_the_deficit_without(monkeypatch):
    """A game with known values: each channel adds its own amount, two of them interact.
    Switching one channel off (all others on) changes the deficit by its amount plus the
    interaction: positive when the channel widens the deficit."""
    from simulator.analysis.decomposition import active_channels

    loaded = load_scenario("retaliation")
    channels = active_channels(loaded)
    own = {c: 10.0 * (k + 1) * (-1) ** k for k, c in enumerate(channels)}
    a, b = channels[0], channels[1]

    def deficit(on):
        return sum(own[c] for c in on) + (7.0 if {a, b} <= on else 0.0)

    _game(monkeypatch, deficit)
    result = decompose(loaded, load_scenario("baseline"), period="2025", method="exact")
    one = result.table["one_at_a_time"]
    for c in channels:
        assert one[c] == pytest.approx(own[c] + (7.0 if c in (a, b) else 0.0), abs=1e-9)
    # Shapley splits the interaction equally
    assert result.table.loc[a, "shapley"] == pytest.approx(own[a] + 3.5, abs=1e-9)
    assert result.total == pytest.approx(deficit(frozenset(channels)), abs=1e-9)


def test_sampled_standard_error_is_that_of_the_antithetic_pair_means(monkeypatch):
    """In the game v(S) = |S|², a channel adds 2k + 1 when k channels are on before it, so each
    order and its reverse average exactly n: every pair mean is the Shapley value and the
    standard error is zero, although single orders differ. A game with an interaction then
    gives a standard error computed here from the pairs' means."""
    from simulator.analysis.decomposition import active_channels

    loaded, baseline = load_scenario("us_2025"), load_scenario("baseline")
    channels = active_channels(loaded)
    n = len(channels)
    _game(monkeypatch, lambda on: float(len(on)) ** 2)
    square = decompose(loaded, baseline, period="2025", method="sampled", permutations=8)
    for c in channels:
        assert square.table.loc[c, "shapley"] == pytest.approx(n, abs=1e-9)
        assert square.table.loc[c, "standard_error"] == pytest.approx(0.0, abs=1e-9)

    a, b, c = channels[0], channels[1], channels[-1]
    _game(monkeypatch, lambda on: 5.0 * len(on) + (12.0 if {a, b, c} <= on else 0.0))
    seed, permutations = 8, 8
    sampled = decompose(
        loaded, baseline, period="2025", method="sampled", permutations=permutations, seed=seed
    )
    # the orders: random permutations, each followed by its reverse (the documented design)
    rng = np.random.default_rng(seed)
    halves = [list(rng.permutation(channels)) for _ in range(permutations // 2)]
    pairs, gains = [], []
    for order in halves:
        # a adds 5, and 12 more when b and c are both on before it
        pair = [
            5.0 + 12.0 * (o.index(a) > max(o.index(b), o.index(c))) for o in (order, order[::-1])
        ]
        gains += pair
        pairs.append(np.mean(pair))
    expected = np.std(pairs, ddof=1) / np.sqrt(len(pairs))
    assert sampled.table.loc[a, "shapley"] == pytest.approx(np.mean(gains), abs=1e-9)
    assert sampled.table.loc[a, "standard_error"] == pytest.approx(expected, abs=1e-9)
    assert expected > 1.0  # and differs from the error of single orders:
    assert expected != pytest.approx(np.std(gains, ddof=1) / np.sqrt(len(gains)), rel=0.1)
    assert sampled.table.loc[channels[2], "standard_error"] == pytest.approx(0.0, abs=1e-9)
