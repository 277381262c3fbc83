"""The classroom server's parts without a browser: small kept runs, the queue, limits, and
the game's incremental rounds, guards, mandates, events and scoreboard measure."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.validation import history_table
from simulator.dashboard import figures
from simulator.dashboard.levers import Levers, Upload, run_levers
from simulator.dashboard.runs import (
    Limits,
    Request,
    RunPool,
    RunRefused,
    compute,
    compute_batch,
    run_child,
)
from simulator.game import GameStore, Move
from simulator.game.game import EVENTS, MANDATES, score_measure, why
from simulator.scenario import ScenarioError


def test_a_kept_run_is_small_and_holds_what_the_page_shows():
    view = compute("us_2025", Levers(china_rate=50), "x_run_1", Limits())
    whole = run_levers("us_2025", Levers(china_rate=50), "x_run_1")
    assert view.nbytes() < 200_000  # a few tens of kB, not the model
    assert len(pickle.dumps(whole)) > 100 * view.nbytes()
    assert 2025 in view.years()
    assert "Trade balance (goods and services)" in view.key.index
    assert not any("_" in name for name in view.key.index)  # plain names, not ids
    np.testing.assert_allclose(
        view.annual.balance.to_numpy(), whole.result.annual().balance.to_numpy()
    )
    # us_2025's figures hold its AI-capex boom and dollar path too, and the page says so
    assert view.shocks == ["shocks.ai_capex", "shocks.exchange_rates"]
    assert "the AI-capex boom and the dollar's path move these figures" in view.shocks_note()
    assert "set AI capex to × 0 and untick the dollar's own path" in view.shocks_note()


def test_with_the_shocks_levered_away_only_the_tariffs_remain():
    view = compute("us_2025", Levers(ai_capex_scale=0, dollar_change_pct=0), "x", Limits())
    assert view.shocks == [] and view.shocks_note() == ""
    assert compute("baseline", Levers(china_rate=10), "x", Limits()).shocks == []


def test_limits_refuse_big_runs_with_a_clear_message():
    limits = Limits(max_firms=1000, max_months=24)
    with pytest.raises(ScenarioError, match=r"at most 1,000 \(the teacher sets it"):
        run_child("us_2025", Levers(), "x", limits)  # what the page checks before queueing
    # and in a worker process, the message survives the trip back
    pool = RunPool(workers=1)
    with pytest.raises(ScenarioError, match=r"^this scenario runs 48 months .* at most 24 months"):
        pool.submit("baseline", Levers(), "x", Limits(max_months=24)).result(120)
    pool.shutdown()


def test_the_pool_queues_and_shares_identical_runs():
    pool = RunPool(workers=1, inline=True)
    a = pool.submit("baseline", Levers(china_rate=10), "a", Limits())
    b = pool.submit("baseline", Levers(china_rate=20), "b", Limits())
    c = pool.submit("baseline", Levers(china_rate=30), "c", Limits())
    assert c.position() >= 1 or c.future.done()  # behind the others while they run
    same = pool.submit("baseline", Levers(china_rate=10), "d", Limits())
    for t in (a, b, c, same):
        t.result(60)
    assert same.result() is a.result()  # identical scenario, levers and seed: shared
    assert c.position() == 0
    pool.shutdown()


def _numbers(view) -> dict[str, np.ndarray]:
    tables = ("us", "annual", "partners", "sectors", "who_pays", "key", "households")
    return {name: getattr(view, name).select_dtypes("number").to_numpy(float) for name in tables}


def test_runs_made_as_one_batch_equal_the_runs_made_alone():
    requests = [
        Request(
            "us_2025", Levers(china_rate=10 * k, eu_rate=5, autos_rate=5 * k), f"s{k}", Limits()
        )
        for k in range(3)
    ]
    requests.append(Request("us_2025", Levers(china_rate=10, retaliation_rate=15), "r", Limits()))
    requests.append(Request("us_2025", Levers(), "too_long", Limits(max_months=24)))
    together = compute_batch(requests)
    assert isinstance(together[-1], RunRefused)  # refused alone; the others still ran
    assert "at most 24 months" in str(together[-1])
    for request, batched in zip(requests[:-1], together, strict=False):
        alone = compute(request.source, request.levers, request.label, request.limits)
        assert batched.label == alone.label and batched.child == alone.child
        expected, got = _numbers(alone), _numbers(batched)
        for name, values in expected.items():
            scale = np.nanmax(np.abs(values), axis=0, keepdims=True)
            scale[~(scale > 0)] = 1.0
            assert np.nanmax(np.abs(got[name] - values) / scale) < 1e-10, (request.label, name)
    assert not np.allclose(_numbers(together[0])["annual"], _numbers(together[2])["annual"])


def test_the_pool_gives_waiting_runs_to_a_free_worker_as_one_batch():
    pool = RunPool(workers=1, inline=True)
    tickets = [
        pool.submit("baseline", Levers(china_rate=5 * k), f"s{k}", Limits()) for k in range(5)
    ]
    assert tickets[0].running() and not tickets[-1].running()
    for ticket in tickets:
        ticket.result(120)
    assert pool.batch_sizes == {1: 1, 4: 1}  # the first alone, the four behind it together
    assert [t.result().label for t in tickets] == [f"s{k}" for k in range(5)]
    pool.shutdown()


def test_students_checking_runs_together_read_the_data_set_once(monkeypatch):
    """A class clicking Run together: every request's scenario is checked in the server's
    process at once, and the data set behind the checks is read once, not once a thread."""
    import threading

    from simulator.calibration import dataset

    reads = []
    read = dataset.read_dataset
    monkeypatch.setattr(dataset, "read_dataset", lambda *a: reads.append(a) or read(*a))
    dataset._load_dataset.cache_clear()
    gate = threading.Barrier(8)

    def student(k: int) -> None:
        gate.wait()
        run_child("us_2025", Levers(china_rate=5 * k), f"s{k}", Limits())

    threads = [threading.Thread(target=student, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1


def _published(fig) -> list[tuple[str, np.ndarray]]:
    """The published series a figure draws, with their names, top panel first."""
    return [(t.name, np.asarray(t.y)) for t in fig.data if "published" in t.name]


def test_published_months_go_beside_us_2025_and_the_uploads_that_extend_it():
    mine = Upload.receive("mine.yaml", b"extends: us_2025\nname: mine\n")
    other = Upload.receive("other.yaml", b"extends: baseline\nname: other\n")
    monthly = history_table("us_monthly").sort_values("month")
    duties = history_table("customs_revenue")
    duties = duties[duties.series == "customs_duties"].sort_values("month").value_usd_bn
    views = {}
    for source, drawn in (("us_2025", True), (mine, True), ("baseline", False), (other, False)):
        view = views[source] = compute(source, Levers(), "x_run_1", Limits())
        trade = _published(figures.us_trade([view], ["Run 1"]))
        tariffs = _published(figures.tariffs([view], ["Run 1"]))
        by_partner = _published(figures.partners(view, "Run 1", ["China"]))
        assert figures.shows_history([view]) is drawn, source
        if not drawn:
            assert trade == tariffs == by_partner == [], source
            continue
        for (name, drawn_values), series in zip(
            trade, ["balance", "imports", "exports"], strict=True
        ):
            assert name == "published (Census/BEA)"
            expected = monthly[monthly.series == series].value_usd_bn
            np.testing.assert_allclose(drawn_values, expected.to_numpy())
        assert [name for name, _ in tariffs] == ["published customs duties (Treasury)"]
        np.testing.assert_allclose(tariffs[0][1], duties.to_numpy())
        assert [name for name, _ in by_partner] == ["China, published"]
    # a run beside one of us_2025's brings the published months into a comparison
    assert figures.shows_history([views["baseline"], views[mine]])


def _store(tmp_path, teams, rounds):
    store = GameStore(tmp_path / "games", teacher_code="TEACH")
    return store, store.open(teams, rounds=rounds, teacher_code="teach")


def test_opening_a_game_needs_the_teacher_code(tmp_path):
    store = GameStore(tmp_path / "games", teacher_code="TEACH")
    with pytest.raises(ScenarioError, match="not the teacher code"):
        store.open(["USA", "CHN"], teacher_code="guess")


def test_play_round_is_one_round_per_click_and_teams_can_be_removed(tmp_path):
    store, game = _store(tmp_path, ["USA", "CHN", "EU"], 4)
    assert store.advance(game.id, expected_round=0)
    assert not store.advance(game.id, expected_round=0)  # a double click: nothing more
    assert game.round == 1
    store.remove(game.id, "EU")
    assert store.find(game.teams["EU"]) is None  # its code stops working
    store.submit(game.id, "USA", Move({"CHN": 10}))
    store.submit(game.id, "CHN", Move({"USA": 10}))
    assert game.round == 2  # nobody waits for the removed team


def test_rounds_are_computed_incrementally_and_equal_a_full_rerun(tmp_path):
    store, game = _store(tmp_path, ["USA", "CHN", "EU", "MEX", "CAN", "JPN"], 8)
    for r in range(8):
        store.submit(game.id, "USA", Move({"CHN": 10 * (r + 1), "MEX": 25}))
        store.submit(game.id, "CHN", Move({"USA": 10}, {"USA": 5 * r}))
        store.advance(game.id, expected_round=r)
        store.results(game.id)
    times = [t for _, _, t in store.timings]
    assert len(times) == 8
    # one quarter a round: the last rounds cost no more than the first (no re-run from start)
    assert np.median(times[-3:]) < 3 * np.median(times[:3]) + 0.05
    board = store.results(game.id)
    full = game.play()
    again = pd.DataFrame([row for r in range(8) for row in game.round_rows(full, r)])
    numbers = board.select_dtypes("number").columns
    np.testing.assert_allclose(board[numbers], again[numbers], rtol=1e-12, atol=1e-12)
    assert set(game.mandates.values()) <= set(MANDATES)
    assert set(game.events.values()) <= set(EVENTS) and game.events
    lines = why(game, board, "USA")
    assert any("tariff on CHN" in line for line in lines)


def test_an_all_zero_game_has_no_floating_point_noise(tmp_path):
    store, game = _store(tmp_path, ["USA", "CHN"], 2)
    game.events = {}
    store.advance(game.id, 0)
    store.advance(game.id, 1)
    board = store.results(game.id)
    for column in ("consumer_cost", "tariffs_faced_pct"):
        assert (board[column] == 0).all()
        assert not np.signbit(board[column]).any()  # no −0.0
    score = score_measure(board)
    assert (score == 0).all() and not np.signbit(score).any()
    assert time.time()  # keep the import used


def test_why_says_when_nothing_changed_and_which_figures_are_against_peace(tmp_path):
    store, game = _store(tmp_path, ["USA", "CHN"], 3)
    game.events = {}
    store.advance(game.id, 0)  # nobody has moved: the world is peace
    lines = why(game, store.results(game.id), "USA")
    assert "where they would be in peace" in lines[-1]
    assert lines[0].startswith("This quarter, against peace: consumer cost $0.0bn")
    assert "; in all: tariff revenue $" in lines[0]  # duties every country charges in peace
    # a tariff in round 2, then the same policy in round 3: the change in round 3 is buyers
    # still switching and stocks running down, and the student is told so
    store.submit(game.id, "USA", Move({"CHN": 40}))
    store.advance(game.id, 1)
    lines = why(game, store.results(game.id), "USA")
    assert "You moved your tariff on CHN from 0% to 40%." in lines
    assert not any(line.startswith("No tariff that touches you changed") for line in lines)
    store.submit(game.id, "USA", Move({"CHN": 40}))
    store.advance(game.id, 2)
    lines = why(game, store.results(game.id), "USA")
    assert lines[0].startswith("No tariff that touches you changed")
    assert "where they would be in peace" not in lines[-1]
