"""The tariff-war game: rounds, scores, exact replay, and resuming after a restart."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.api import run_scenario
from simulator.game import Game, GameStore, Move
from simulator.results.output import OutputError
from simulator.scenario import ScenarioError


@pytest.fixture
def played(tmp_path):
    """USA and CHN, three quarters; two played: a US tariff, China's answer, then escalation."""
    store = GameStore(tmp_path / "games")
    game = store.open(["USA", "CHN"], rounds=3)
    store.submit(game.id, "USA", Move({"CHN": 25}))
    assert game.round == 0  # waiting for China
    store.submit(game.id, "CHN", Move({"USA": 10}, {"USA": 25}))
    assert game.round == 1  # everyone moved: the quarter was played
    first = store.results(game.id).copy()
    store.submit(game.id, "USA", Move({"CHN": 50}))
    store.advance(game.id)  # the teacher plays the round; China keeps its last move
    return store, game, first


def test_rounds_follow_the_moves_and_the_teacher(played):
    store, game, _ = played
    assert game.round == 2 and not game.finished
    assert game.history[1]["CHN"] == Move({"USA": 10.0}, {"USA": 25.0})
    table = game.moves_table()
    assert table[(table.team == "USA")].tariff_pct.tolist() == [25.0, 50.0]
    store.end(game.id)
    with pytest.raises(ScenarioError, match="over"):
        store.submit(game.id, "USA", Move({"CHN": 10}))


def test_scoreboard_moves_in_the_right_direction_and_balances_mirror(played):
    store, game, first = played
    board = store.results(game.id)
    usa = board[board.team == "USA"].set_index("round")
    chn = board[board.team == "CHN"].set_index("round")
    # doubling the US tariff raises US revenue and what US buyers pay
    assert usa.tariff_revenue[2] > usa.tariff_revenue[1] > 0
    assert usa.consumer_cost[2] > usa.consumer_cost[1] > 0
    # each side's goods balance with the other is the other's, with the sign turned
    np.testing.assert_allclose(usa.balance_with_CHN, -chn.balance_with_USA)
    # later rounds never change what was played: round 1 is the same as when it was played
    np.testing.assert_allclose(board[board["round"] == 1].exports, first.exports)
    assert usa.quarter.tolist() == ["2025 Q1", "2025 Q2"]


def test_the_game_file_replays_exactly_with_tradesim_run(played, tmp_path):
    store, game, _ = played
    store.results(game.id)
    result = store._live[game.id].result()  # the model kept and advanced round by round
    path = tmp_path / "game.yaml"
    path.write_text(game.scenario_yaml())
    again = run_scenario(path)
    played = result.model.t  # the months the kept model has stepped (the rounds played)
    assert played == 12 + 2 * 3  # 2024 before the game, then two quarters
    np.testing.assert_array_equal(again.model.flows[:played], result.model.flows[:played])
    ids = [t.id for t in again.scenario.tariffs]
    assert "game_r2_usa_tariff_chn" in ids and "game_r1_chn_retaliation_usa" in ids


def test_a_restarted_server_resumes_and_never_overwrites_foreign_files(played):
    store, game, _ = played
    resumed = GameStore(store.folder)
    assert resumed.games[game.id] == game
    assert resumed.find(game.teams["CHN"].lower()) == (resumed.games[game.id], "CHN")
    assert resumed.find(game.teacher_code) == (resumed.games[game.id], None)
    foreign = store.folder / "game_ABCDE.json"
    foreign.write_text('{"id": "ABCDE"}')
    assert "ABCDE" not in GameStore(store.folder).games  # not a game tradesim wrote
    intruder = Game.open(["USA", "EU"])
    intruder.id = "ABCDE"
    with pytest.raises(OutputError, match="not written by tradesim"):
        store.save(intruder)
    assert foreign.read_text() == '{"id": "ABCDE"}'
    assert not list(store.folder.glob(".*.tmp"))


def test_bad_games_and_moves_are_refused(tmp_path):
    with pytest.raises(ScenarioError, match="two to six"):
        Game.open(["USA"])
    with pytest.raises(ScenarioError, match="unknown government"):
        Game.open(["USA", "XXX"])
    with pytest.raises(ScenarioError, match="start later"):
        Game.open(["USA", "CHN"], start="2023-10")
    game = Game.open(["USA", "CHN"])
    with pytest.raises(ScenarioError, match="cannot set a tariff on EU"):
        game.submit("USA", Move({"EU": 10}))
    with pytest.raises(ScenarioError, match="between 0 and 200"):
        game.submit("USA", Move({"CHN": -5}))


def test_the_scoreboard_ranks_a_tariff_war_by_real_income_not_nominal_gdp(tmp_path):
    """Issue 21's game: the US puts 50% then 125% on China and 20% on the EU; China answers
    35% then 100% with retaliation; the EU retaliates 25%. Nominal GDP rewards the taxer;
    real income per household does not."""
    from simulator.game.game import SCORE_COLUMN, score_measure

    store = GameStore(tmp_path / "games")
    game = store.open(["USA", "CHN", "EU"], rounds=3)
    for us_on_china, china_on_us in ((50, 35), (125, 100), (125, 100)):
        store.submit(game.id, "USA", Move({"CHN": us_on_china, "EU": 20}))
        store.submit(game.id, "CHN", Move({"USA": china_on_us}, {"USA": 25}))
        store.submit(game.id, "EU", Move({"USA": 25}))
    board = store.results(game.id)
    usa = board[board.team == "USA"]
    assert SCORE_COLUMN == "real_income_vs_peace_pct"
    assert usa.gdp_vs_peace_pct.mean() > 0  # the old scoreboard's winner
    assert usa[SCORE_COLUMN].mean() < 0  # poorer than in peace
    assert score_measure(board)["USA"] == pytest.approx(usa[SCORE_COLUMN].mean())
    # the consumer price mandate's figure: US prices above peace
    assert usa.consumer_prices_vs_peace_pct.iloc[-1] > 0
