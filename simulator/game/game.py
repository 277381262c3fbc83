"""The tariff-war game: teams play governments, a quarter per round.

A teacher opens a game for some governments (USA, CHN, EU, ...). Each round every team sets
an extra tariff on all goods from each rival and, if it wants, a targeted retaliation on a
rival's farm goods, drinks and motorcycles. When every team has moved (or the teacher
advances), the quarter is played: the moves become tariff entries in force for those three
months, and the whole game so far is run again from the bundled scenario it extends. Because
the model is causal (tariffs are announced when they take effect, and the horizon is fixed
when the game opens), the months already played never change, and the game's scenario file
(:meth:`Game.scenario`) replays it exactly with ``tradesim run``.

A game is a small JSON file in the store's folder, rewritten atomically after every change, so
a server restart resumes it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulator.calibration.dataset import load_dataset
from simulator.results.incidence import incidence
from simulator.results.output import write_text_atomically
from simulator.results.result import SimulationResult
from simulator.scenario import ScenarioError, load_scenario
from simulator.version import __version__

GOVERNMENTS = ("USA", "CHN", "EU", "MEX", "CAN", "JPN")
RETALIATION_SECTORS = ("agriculture", "beverages", "motorcycles")
"""What a retaliation hits: farm goods, drinks (whiskey) and motorcycles, the core of the EU's
2018/2020 rebalancing list (bourbon, Harley motorcycles) that it moved to reinstate in March
2025, and of China's duties on US farm goods (facts file, retaliation timeline)."""
MAX_RATE = 200.0
BN = 1e9
MARKER = '"generator": "tradesim'
"""What marks a game file as tradesim's (see :meth:`Game.to_json`)."""
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _code(n: int = 6) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n))


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(month: str) -> int:
    year, mon = map(int, month.split("-"))
    return year * 12 + mon - 1


@dataclass
class Move:
    """One team's policy for a quarter: extra tariffs (percent) on each rival's goods, and a
    retaliation rate on each rival's farm goods, drinks and motorcycles."""

    tariffs: dict[str, float] = field(default_factory=dict)
    retaliation: dict[str, float] = field(default_factory=dict)

    def checked(self, team: str, rivals: list[str]) -> Move:
        for kind, rates in (("tariff", self.tariffs), ("retaliation", self.retaliation)):
            for rival, rate in rates.items():
                if rival not in rivals:
                    raise ScenarioError.simple(f"{team} cannot set a {kind} on {rival}")
                if not 0.0 <= float(rate) <= MAX_RATE:
                    raise ScenarioError.simple(
                        f"a {kind} rate must be between 0 and {MAX_RATE:g}%, got {rate}"
                    )
        return Move(
            {r: float(v) for r, v in self.tariffs.items()},
            {r: float(v) for r, v in self.retaliation.items()},
        )


@dataclass
class Game:
    """A game's whole state (what its JSON file holds)."""

    id: str
    teams: dict[str, str]  # government -> join code
    teacher_code: str
    base: str = "baseline"
    start: str = "2025-01"
    rounds: int = 4
    history: list[dict[str, Move]] = field(default_factory=list)  # played rounds
    pending: dict[str, Move] = field(default_factory=dict)  # moves for the next round
    finished: bool = False
    version: int = 0  # bumped on every change, so pages know when to refresh

    # -- set-up and moves --------------------------------------------------------------
    @classmethod
    def open(
        cls, governments: list[str], rounds: int = 4, start: str = "2025-01", base: str = "baseline"
    ) -> Game:
        if len(set(governments)) != len(governments) or not 2 <= len(governments) <= 6:
            raise ScenarioError.simple("a game needs two to six different governments")
        unknown = [g for g in governments if g not in GOVERNMENTS]
        if unknown:
            raise ScenarioError.simple(
                f"unknown government {unknown[0]!r}; choose from {', '.join(GOVERNMENTS)}"
            )
        if not 1 <= rounds <= 12:
            raise ScenarioError.simple("a game has 1 to 12 rounds (quarters)")
        game = cls(
            id=_code(5),
            teams={g: _code() for g in governments},
            teacher_code=_code(),
            base=base,
            start=start,
            rounds=rounds,
        )
        first = load_scenario(base).scenario.start
        if _index(start) <= _index(first):
            raise ScenarioError.simple(
                f"the game starts in {start}, but {base} starts in {first}: start later, so "
                "that the quarters before the war are the model's baseline"
            )
        game.scenario()  # validate now: the horizon must fit the base scenario
        return game

    @property
    def round(self) -> int:
        """Rounds played so far."""
        return len(self.history)

    def rivals(self, team: str) -> list[str]:
        return [g for g in self.teams if g != team]

    def team_for(self, code: str) -> str | None:
        return next((g for g, c in self.teams.items() if c == code.strip().upper()), None)

    def last_move(self, team: str) -> Move:
        """The team's pending move, else its last played one, else no tariffs."""
        if team in self.pending:
            return self.pending[team]
        return self.history[-1].get(team, Move()) if self.history else Move()

    def submit(self, team: str, move: Move) -> bool:
        """Record a team's move for the next round; True when every team has moved."""
        if self.finished:
            raise ScenarioError.simple("the game is over")
        self.pending[team] = move.checked(team, self.rivals(team))
        self.version += 1
        return set(self.pending) == set(self.teams)

    def advance(self) -> None:
        """Play the next quarter; teams that did not move keep their last policy."""
        if self.finished:
            raise ScenarioError.simple("the game is over")
        self.history.append({team: self.last_move(team) for team in self.teams})
        self.pending = {}
        self.finished = self.round >= self.rounds
        self.version += 1

    def end(self) -> None:
        self.finished = True
        self.version += 1

    # -- the scenario ----------------------------------------------------------------------
    def round_months(self, r: int) -> tuple[str, str]:
        """First and last month of round ``r`` (0-based)."""
        first = _index(self.start) + 3 * r
        return _month(first), _month(first + 2)

    def scenario(self) -> dict[str, Any]:
        """The game so far as a scenario mapping that extends the base scenario."""
        tariffs = []
        for r, moves in enumerate(self.history):
            first, _ = self.round_months(r)
            after = f"{_month(_index(first) + 3)}-01"
            for team, move in moves.items():
                for kind, rates in (("tariff", move.tariffs), ("retaliation", move.retaliation)):
                    for rival, rate in rates.items():
                        if rate <= 0:
                            continue
                        entry = {
                            "id": f"game_r{r + 1}_{team}_{kind}_{rival}".lower(),
                            "imposer": team,
                            "partners": [rival],
                            "rate": rate,
                            "effective": f"{first}-01",
                            "end": after,
                            "source": f"tariff-war game {self.id}, round {r + 1}",
                        }
                        if kind == "retaliation":
                            entry |= {"sectors": list(RETALIATION_SECTORS), "retaliation": True}
                        tariffs.append(entry)
        mapping: dict[str, Any] = {
            "extends": self.base,
            "name": f"game_{self.id.lower()}",
            "description": (
                f"Tariff-war game {self.id}: {', '.join(self.teams)} over {self.rounds} "
                f"quarters from {self.start}; {self.round} played."
            ),
            "end": self.round_months(self.rounds - 1)[1],
        }
        if tariffs:
            mapping["tariffs"] = tariffs
        base = load_scenario(self.base).scenario
        data = load_dataset(base.data)
        played = [g for g in self.teams if g in data.groups]
        if played and base.regions is None:  # a group that plays (EU) is one region in the game
            inside = {m for g in played for m in data.groups[g]}
            mapping["regions"] = [r for r in data.regions if r not in inside] + played
        load_scenario(mapping)  # raises a ScenarioError if the game does not fit
        return mapping

    def scenario_yaml(self) -> str:
        header = (
            f"# Tariff-war game {self.id}, written by tradesim {__version__}.\n"
            f"# Replay it: tradesim run game_{self.id.lower()}.yaml\n"
        )
        return header + yaml.safe_dump(self.scenario(), sort_keys=False)

    # -- results -----------------------------------------------------------------------------
    def play(self) -> SimulationResult:
        """Run the game so far (from the base scenario's start to the game's last month)."""
        from simulator.api import run_scenario

        return run_scenario(load_scenario(self.scenario()))

    def scoreboard(self, result: SimulationResult) -> pd.DataFrame:
        """Per team and played round: exports, consumer cost, tariff revenue, GDP against the
        game without a war, and the goods balance with each rival (US$ bn in the quarter)."""
        macro, who = result.macro, incidence(result)
        m = result.model
        regions = list(result.regions)
        gdp0 = pd.DataFrame(m.baseline_gdp_month, index=result.months, columns=regions)
        gap = pd.DataFrame(m.gdp_gap, index=result.months, columns=regions)
        rows = []
        for r in range(self.round):
            first, last = (pd.Period(x, "M") for x in self.round_months(r))
            span = (first, last)
            for team in self.teams:
                mine = macro[_within(macro.month, span) & (macro.region == team).to_numpy()]
                cost = who[_within(who.month, span) & (who.region == team).to_numpy()]
                window = _within(gap.index, span)
                row = {
                    "round": r + 1,
                    "quarter": f"{first.year} Q{first.quarter}",
                    "team": team,
                    "exports": mine.exports.sum() / BN,
                    "consumer_cost": cost.buyers_cost.sum() / BN,
                    "tariff_revenue": mine.tariff_revenue.sum() / BN,
                    "gdp_vs_peace_pct": 100
                    * gap.loc[window, team].sum()
                    / gdp0.loc[window, team].sum(),
                }
                balance = result.bilateral(team)
                for rival in self.rivals(team):
                    row[f"balance_with_{rival}"] = (
                        balance.loc[_within(balance.index, span), rival].sum() / BN
                    )
                rows.append(row)
        return pd.DataFrame(rows)

    def moves_table(self) -> pd.DataFrame:
        """The history of moves: one row per round, team and rival."""
        rows = [
            {
                "round": r + 1,
                "team": team,
                "rival": rival,
                "tariff_pct": move.tariffs.get(rival, 0.0),
                "retaliation_pct": move.retaliation.get(rival, 0.0),
            }
            for r, moves in enumerate(self.history)
            for team, move in moves.items()
            for rival in self.rivals(team)
        ]
        return pd.DataFrame(rows)

    # -- saving ------------------------------------------------------------------------------
    def to_json(self) -> str:
        # the generator first: a file is recognised as tradesim's by its first 4 kB
        data = {"generator": f"tradesim {__version__}", **asdict(self)}
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Game:
        data = json.loads(text)
        data.pop("generator", None)
        data["history"] = [{t: Move(**m) for t, m in moves.items()} for moves in data["history"]]
        data["pending"] = {t: Move(**m) for t, m in data["pending"].items()}
        return cls(**data)


def _within(months: pd.Series | pd.Index, span: tuple[pd.Period, pd.Period]) -> np.ndarray:
    """Which of ``months`` fall in the span of monthly periods (both ends included)."""
    period = pd.PeriodIndex(months, freq="M")
    return np.asarray((period >= span[0]) & (period <= span[1]))


class GameStore:
    """Games kept in memory and saved as JSON files in a folder (shared by every session)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.lock = threading.RLock()
        self.games: dict[str, Game] = {}
        self._results: dict[tuple[str, int], tuple[SimulationResult, pd.DataFrame]] = {}
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("game_*.json")):
                game = self._read(path)
                if game is not None:
                    self.games[game.id] = game

    @staticmethod
    def _read(path: Path) -> Game | None:
        """A saved game, or None for a file that tradesim did not write or cannot read."""
        try:
            text = path.read_text(encoding="utf-8")
            if MARKER not in text:
                return None
            return Game.from_json(text)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def path(self, game: Game) -> Path:
        return self.folder / f"game_{game.id}.json"

    def save(self, game: Game) -> None:
        """Write the game's file atomically; never replace a file tradesim did not write."""
        with self.lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text_atomically(self.path(game), game.to_json(), MARKER)
            self.games[game.id] = game

    def open(self, governments: list[str], rounds: int = 4, start: str = "2025-01") -> Game:
        with self.lock:
            game = Game.open(governments, rounds=rounds, start=start)
            while game.id in self.games or self.path(game).exists():
                game.id = _code(5)
            self.save(game)
            return game

    def find(self, code: str) -> tuple[Game, str | None] | None:
        """The game and team (None: the teacher) for a join code."""
        code = code.strip().upper()
        with self.lock:
            for game in self.games.values():
                if code == game.teacher_code:
                    return game, None
                team = game.team_for(code)
                if team is not None:
                    return game, team
        return None

    def submit(self, game_id: str, team: str, move: Move) -> None:
        """Record a move; play the round when every team has moved."""
        with self.lock:
            game = self.games[game_id]
            if game.submit(team, move):
                game.advance()
            self.save(game)

    def advance(self, game_id: str) -> None:
        with self.lock:
            game = self.games[game_id]
            game.advance()
            self.save(game)

    def end(self, game_id: str) -> None:
        with self.lock:
            game = self.games[game_id]
            game.end()
            self.save(game)

    def results(self, game_id: str) -> tuple[SimulationResult, pd.DataFrame] | None:
        """The game's run and scoreboard after its latest round (cached per round)."""
        with self.lock:
            game = self.games[game_id]
            if game.round == 0:
                return None
            key = (game_id, game.round)
            if key not in self._results:
                result = game.play()
                self._results = {k: v for k, v in self._results.items() if k[0] != game_id}
                self._results[key] = (result, game.scoreboard(result))
            return self._results[key]


def gdp_score(board: pd.DataFrame) -> pd.Series:
    """Each team's GDP against peace, averaged over the rounds played (percent)."""
    return board.groupby("team")["gdp_vs_peace_pct"].mean().sort_values(ascending=False)
