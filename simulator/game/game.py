"""The tariff-war game: teams play governments, a quarter per round.

A teacher opens a game for some governments (USA, CHN, EU, ...). Each round every team sets
an extra tariff on all goods from each rival and, if it wants, a targeted retaliation on a
rival's farm goods, drinks and motorcycles. When every team has moved (or the teacher
advances), the quarter is played: the moves become tariff entries in force for those three
months. The store keeps the game's model after each round and advances it by one quarter
(:class:`LiveGame`): the tariff schedule is rebuilt from the game's scenario so far and the
model steps three more months. Because the model is causal (tariffs are announced when they
take effect, and the horizon is fixed when the game opens), this is the same as running the
whole game again from the start (tested), and the game's scenario file
(:meth:`Game.scenario`) replays it exactly with ``tradesim run``.

Each team has a mandate (:data:`MANDATES`) and between some rounds an event drawn from a real
2025 episode changes the world (:data:`EVENTS`); each round every team is told why its numbers
moved (:func:`why`). The scoreboard ranks teams by ONE measure, :func:`score_measure`.

A game is a small JSON file in the store's folder, rewritten atomically after every change, so
a server restart resumes it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from simulator.calendar import month_index, month_label
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


@dataclass(frozen=True)
class Mandate:
    key: str
    title: str
    brief: str
    column: str  # the scoreboard column that tracks it
    better: str  # "higher" or "lower"


MANDATES: dict[str, Mandate] = {
    m.key: m
    for m in (
        Mandate(
            "steel",
            "Protect steel jobs",
            "Keep your steel industry's output at or above where it would be in peace.",
            "steel_output_vs_peace_pct",
            "higher",
        ),
        Mandate(
            "prices",
            "Hold down consumer prices",
            "Keep your consumer prices as close to where they would be in peace as you can.",
            "consumer_prices_vs_peace_pct",
            "lower",
        ),
        Mandate(
            "deal",
            "Win a deal",
            "Get your rivals to lower the tariffs they put on your goods by the last round.",
            "tariffs_faced_pct",
            "lower",
        ),
        Mandate(
            "exports",
            "Grow exports",
            "Sell more abroad than you would in peace.",
            "exports_vs_peace_pct",
            "higher",
        ),
    )
}


@dataclass(frozen=True)
class Event:
    """Something that happens in the world before a round, after a real 2025 episode."""

    key: str
    title: str
    text: str
    needs: tuple[str, ...]  # teams that must play for it to matter


EVENTS: dict[str, Event] = {
    e.key: e
    for e in (
        Event(
            "court",
            "A court strikes down emergency tariffs",
            "After the US Court of International Trade's ruling of 28 May 2025 (V.O.S. "
            "Selections v. Trump) that tariffs under the emergency-powers act were unlawful "
            "(stayed on appeal the next day in reality; here, suppose it held for a quarter): "
            "this quarter the USA's tariffs on all goods count at half their rate.",
            ("USA",),
        ),
        Event(
            "truce",
            "A 90-day truce",
            "After the US–China talks in Geneva (joint statement of 12 May 2025), which cut "
            "each side's extra tariffs by 115 points for 90 days (the US to 30%, China to "
            "10%): this quarter the USA's tariff on China is at most 30% and China's on the "
            "USA at most 10%.",
            ("USA", "CHN"),
        ),
        Event(
            "usmca",
            "Trade-agreement goods exempted",
            "After the 6–7 March 2025 orders exempting goods that qualify under the USMCA: "
            "this quarter the USA's tariffs on Mexico and Canada do not apply.",
            ("USA",),
        ),
        Event(
            "shortage",
            "A supplier's shortage",
            "After China's export controls on rare-earth magnets (4 April 2025), which "
            "stopped some car plants in May and June: this quarter buyers everywhere spend "
            "10% less on cars, which cannot be built.",
            (),
        ),
    )
}


def _code(n: int = 6) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(n))


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
    mandates: dict[str, str] = field(default_factory=dict)  # team -> key of MANDATES
    events: dict[str, str] = field(default_factory=dict)  # "round number" (1-based) -> EVENTS
    removed: list[str] = field(default_factory=list)  # teams the teacher took out

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
        keys = list(MANDATES)
        offset = secrets.randbelow(len(keys))
        game.mandates = {g: keys[(i + offset) % len(keys)] for i, g in enumerate(governments)}
        game.events = plan_events(governments, rounds)
        first = load_scenario(base).scenario.start
        if month_index(start) <= month_index(first):
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

    def active(self) -> list[str]:
        """Teams still in the game (the teacher may remove one; its last policy stays)."""
        return [g for g in self.teams if g not in self.removed]

    def team_for(self, code: str) -> str | None:
        code = code.strip().upper()
        if not code:
            return None
        return next((g for g, c in self.teams.items() if c == code and g not in self.removed), None)

    def remove(self, team: str) -> None:
        """Take a team out: its code stops working and nobody waits for it."""
        if team not in self.teams:
            raise ScenarioError.simple(f"{team} is not in this game")
        if team not in self.removed:
            self.removed.append(team)
            self.pending.pop(team, None)
            self.version += 1

    def event_before(self, round_number: int) -> Event | None:
        """The event that happens before round ``round_number`` (1-based), if any."""
        key = self.events.get(str(round_number))
        return EVENTS.get(key) if key else None

    def last_move(self, team: str) -> Move:
        """The team's pending move, else its last played one, else no tariffs."""
        if team in self.pending:
            return self.pending[team]
        return self.history[-1].get(team, Move()) if self.history else Move()

    def submit(self, team: str, move: Move) -> bool:
        """Record a team's move for the next round; True when every team has moved."""
        if self.finished:
            raise ScenarioError.simple("the game is over")
        if team in self.removed:
            raise ScenarioError.simple(f"the teacher removed {team} from the game")
        self.pending[team] = move.checked(team, self.rivals(team))
        self.version += 1
        return set(self.active()) <= set(self.pending)

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
        first = month_index(self.start) + 3 * r
        return month_label(first), month_label(first + 2)

    def scenario(self) -> dict[str, Any]:
        """The game so far as a scenario mapping that extends the base scenario."""
        tariffs = []
        for r, moves in enumerate(self.history):
            first, _ = self.round_months(r)
            after = f"{month_label(month_index(first) + 3)}-01"
            event = self.event_before(r + 1)
            for team, move in moves.items():
                for kind, rates in (("tariff", move.tariffs), ("retaliation", move.retaliation)):
                    for rival, rate in rates.items():
                        rate = _after_event(event, team, rival, kind, rate)
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
        demand = []
        for r in range(self.rounds):
            event = self.event_before(r + 1)
            if event is not None and event.key == "shortage":
                first, last = self.round_months(r)
                demand += [
                    {"region": g, "sectors": ["autos"], "start": first, "end": last, "change": -10}
                    for g in self.teams
                ]
        if demand:
            mapping["shocks"] = {"demand": demand}
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
        """Run the game so far from the start (what :class:`LiveGame` does a quarter at a
        time; kept to check that the two agree)."""
        from simulator.api import run_scenario

        return run_scenario(load_scenario(self.scenario()))

    def round_rows(self, result: SimulationResult, r: int) -> list[dict[str, Any]]:
        """Scoreboard rows of round ``r`` (0-based), one per team (US$ bn in the quarter)."""
        m = result.model
        regions = list(result.regions)
        first, last = (pd.Period(x, "M") for x in self.round_months(r))
        span = (first, last)
        window = _within(result.months, span)
        who = incidence(result)
        who = who[_within(who.month, span)]
        steel = result.sectors.index("steel") if "steel" in result.sectors else None
        moves = self.history[r]
        # what it costs (simulator/results/costs.py): over the months run so far
        income = result.costs.real_income
        run = window[: income.total.shape[0]]
        prices = result.costs.columns()["consumer_price_index"]
        rows = []
        for team in self.teams:
            i = regions.index(team)
            exports = m.flows[window][:, i, :, :][:, [j for j in range(len(regions)) if j != i]]
            exports0 = m.baseline_flows[window][:, i, :, :][
                :, [j for j in range(len(regions)) if j != i]
            ]
            faced = [moves[rv].tariffs.get(team, 0.0) for rv in self.rivals(team) if rv in moves]
            row = {
                "round": r + 1,
                "quarter": f"{first.year} Q{first.quarter}",
                "team": team,
                "exports": float(exports.sum()),
                "exports_vs_peace_pct": _pct(exports.sum(), exports0.sum()),
                "consumer_cost": float(who.buyers_cost[(who.region == team).to_numpy()].sum() / BN),
                "tariff_revenue": float(m.revenue[window][:, :, i].sum()),
                "real_income_vs_peace_pct": float(
                    100.0 * income.total[run, i].sum() / m.baseline_gdp_month[window, i].sum()
                ),
                "consumer_prices_vs_peace_pct": float(100.0 * (prices[window, i].mean() - 1.0)),
                "terms_of_trade": float(income.terms_of_trade[run, i].sum()),
                "efficiency": float(income.efficiency[run, i].sum()),
                "gdp_vs_peace_pct": _pct(
                    m.gdp_gap[window, i].sum() + m.baseline_gdp_month[window, i].sum(),
                    m.baseline_gdp_month[window, i].sum(),
                ),
                "steel_output_vs_peace_pct": _pct(
                    m.flows[window][:, i, :, steel].sum(),
                    m.baseline_flows[window][:, i, :, steel].sum(),
                )
                if steel is not None
                else float("nan"),
                "tariffs_faced_pct": float(np.mean(faced)) if faced else 0.0,
            }
            for rival in self.rivals(team):
                j = regions.index(rival)
                goods = result.goods
                out = m.flows[window][:, i, j][:, goods].sum()
                back = m.flows[window][:, j, i][:, goods].sum()
                row[f"balance_with_{rival}"] = float(out - back)
            rows.append({k: (_clean(v) if isinstance(v, float) else v) for k, v in row.items()})
        return rows

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


def _pct(value: float, peace: float) -> float:
    """Percent difference from peace (0 when peace is 0)."""
    return float(100.0 * (value / peace - 1.0)) if peace else 0.0


def _clean(value: float, tol: float = 1e-9) -> float:
    """A number without floating-point noise: |x| < tol becomes 0, and never −0.0."""
    return 0.0 if abs(value) < tol else float(value) + 0.0


def _after_event(event: Event | None, team: str, rival: str, kind: str, rate: float) -> float:
    """A move's rate in the quarter after ``event`` (the court halves US tariffs on all goods;
    the truce caps the US tariff on China at 30% and China's on the US at 10%; the USMCA
    exemption lifts US tariffs on MEX, CAN)."""
    if event is None or kind != "tariff":
        return rate
    if event.key == "court" and team == "USA":
        return rate / 2
    if event.key == "truce" and {team, rival} == {"USA", "CHN"}:
        return min(rate, 30.0 if team == "USA" else 10.0)
    if event.key == "usmca" and team == "USA" and rival in ("MEX", "CAN"):
        return 0.0
    return rate


def plan_events(governments: list[str], rounds: int) -> dict[str, str]:
    """Events for a game: one before every second round from round 2, each a real 2025
    episode that matters for the teams playing, in a random order."""
    usable = [
        k
        for k, e in EVENTS.items()
        if all(g in governments for g in e.needs)
        and (k != "usmca" or any(g in governments for g in ("MEX", "CAN")))
    ]
    order = sorted(usable, key=lambda _: secrets.randbelow(1000))
    plan = {}
    for n, round_number in enumerate(range(2, rounds + 1, 2)):
        if n < len(order):
            plan[str(round_number)] = order[n]
    return plan


def _within(months: pd.Series | pd.Index, span: tuple[pd.Period, pd.Period]) -> np.ndarray:
    """Which of ``months`` fall in the span of monthly periods (both ends included)."""
    period = pd.PeriodIndex(months, freq="M")
    return np.asarray((period >= span[0]) & (period <= span[1]))


class LiveGame:
    """A game's model kept between rounds and advanced a quarter at a time.

    Before each quarter the tariff schedule (and the governments' tariff lists) are rebuilt
    from the game's scenario so far; the months already played are untouched (tariffs in the
    game are announced when they take effect), so stepping on equals re-running from the start.
    """

    def __init__(self, game: Game) -> None:
        from simulator.api import build_model

        self.loaded = load_scenario(game.scenario())
        self.model = build_model(self.loaded)
        self.rounds = 0
        self.rows: list[dict[str, Any]] = []

    def advance(self, game: Game) -> None:
        """Play the rounds of ``game`` not yet stepped (one quarter each)."""
        from simulator.api import build_model

        while self.rounds < game.round:
            fresh = build_model(load_scenario(game.scenario()))  # a new schedule, 20 ms
            m = self.model
            m.worlds.replace_schedule(fresh.schedule)
            for gov, new in zip(m.governments, fresh.governments, strict=True):
                gov.tariffs = new.tariffs
            fresh.release()
            first = month_index(game.round_months(self.rounds)[0]) - month_index(m.spec.start)
            while m.t < first:  # the base scenario's months before the game
                m.step()
            end = min(first + 3, m.n_months)
            while m.t < end:
                m.step()
            self.rounds += 1
            self.rows += game.round_rows(self.result(), self.rounds - 1)

    def result(self) -> SimulationResult:
        from simulator.results.result import Provenance

        provenance = Provenance.collect(
            scenario=self.loaded.scenario.name,
            path=None,
            sha256=self.loaded.sha256,
            seed=self.model.seed,
            data=self.loaded.scenario.data,
            overrides=[],
            chain=self.loaded.chain,
        )
        return SimulationResult(self.model, provenance)

    def board(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


class GameStore:
    """Games kept in memory and saved as JSON files in a folder (shared by every session).

    ``teacher_code`` (the server's, from ``tradesim dashboard --teacher-code`` or made up at
    start) is needed to open a game; each game also has its own teacher code that opens its
    teacher page. :meth:`seen` records which teams' pages are connected.
    """

    def __init__(self, folder: str | os.PathLike, teacher_code: str | None = None) -> None:
        self.folder = Path(folder)
        self.lock = threading.RLock()
        self.games: dict[str, Game] = {}
        self.teacher_code = (teacher_code or _code()).strip().upper()
        self._live: dict[str, LiveGame] = {}
        self._seen: dict[tuple[str, str], float] = {}
        self.timings: list[tuple[str, int, float]] = []  # (game, round, seconds to compute)
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

    def check_teacher(self, code: str) -> None:
        if (code or "").strip().upper() != self.teacher_code:
            raise ScenarioError.simple("that is not the teacher code of this server")

    def open(
        self,
        governments: list[str],
        rounds: int = 4,
        start: str = "2025-01",
        teacher_code: str | None = None,
    ) -> Game:
        """Open a game; with ``teacher_code`` given, it must be the server's."""
        if teacher_code is not None:
            self.check_teacher(teacher_code)
        with self.lock:
            game = Game.open(governments, rounds=rounds, start=start)
            while game.id in self.games or self.path(game).exists():
                game.id = _code(5)
            self.save(game)
            return game

    def find(self, code: str) -> tuple[Game, str | None] | None:
        """The game and team (None: the teacher) for a join code."""
        code = (code or "").strip().upper()
        if not code:
            return None
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

    def advance(self, game_id: str, expected_round: int | None = None) -> bool:
        """Play the next round. With ``expected_round`` (rounds played when the teacher
        clicked), a second click for the same round does nothing: one round per click.
        Returns whether a round was played."""
        with self.lock:
            game = self.games[game_id]
            if game.finished or (expected_round is not None and game.round != expected_round):
                return False
            game.advance()
            self.save(game)
            return True

    def end(self, game_id: str) -> None:
        with self.lock:
            game = self.games[game_id]
            game.end()
            self.save(game)

    def remove(self, game_id: str, team: str) -> None:
        """Take a team out; play the round if every remaining team has moved."""
        with self.lock:
            game = self.games[game_id]
            game.remove(team)
            if game.pending and set(game.active()) <= set(game.pending) and not game.finished:
                game.advance()
            self.save(game)

    def seen(self, game_id: str, team: str) -> None:
        """A team's page is open (called every second or so by the page)."""
        self._seen[(game_id, team)] = time.monotonic()

    def connected(self, game_id: str, within: float = 10.0) -> list[str]:
        """Teams whose page has been heard from in the last ``within`` seconds."""
        now = time.monotonic()
        game = self.games[game_id]
        return [t for t in game.teams if now - self._seen.get((game_id, t), -1e9) < within]

    def results(self, game_id: str) -> pd.DataFrame | None:
        """The game's scoreboard after its latest round: the kept model is advanced by the
        quarters played since it was last asked (one per new round)."""
        with self.lock:
            game = self.games[game_id]
            if game.round == 0:
                return None
            live = self._live.get(game_id)
            if live is None or live.rounds > game.round:
                live = self._live[game_id] = LiveGame(game)
            if live.rounds < game.round:
                started = time.perf_counter()
                live.advance(game)
                self.timings.append((game_id, game.round, time.perf_counter() - started))
            return live.board()


SCORE_COLUMN = "real_income_vs_peace_pct"
SCORE_LABEL = "Real income per household against peace, %"
"""What the scoreboard ranks by: real income (what consumers, producers and the government
gain or lose at constant prices; docs/costs.md) against the same world without the game's
tariffs, as a share of income, so the same for every household on average. Nominal GDP is
shown beside it: a tariff can raise GDP as it is counted and still make people poorer."""


def score_measure(board: pd.DataFrame) -> pd.Series:
    """THE scoreboard measure: each team's score, best first (the mean over the rounds played
    of :data:`SCORE_COLUMN`)."""
    score = board.groupby("team")[SCORE_COLUMN].mean()
    return score.map(_clean).sort_values(ascending=False)


def gdp_score(board: pd.DataFrame) -> pd.Series:
    """Kept for callers of the old name: :func:`score_measure`."""
    return score_measure(board)


def mandate_progress(game: Game, board: pd.DataFrame) -> dict[str, str]:
    """For each team, its mandate's figure in the latest round, in words."""
    latest = board[board["round"] == board["round"].max()].set_index("team")
    out = {}
    for team, key in game.mandates.items():
        mandate = MANDATES[key]
        if team not in latest.index:
            continue
        value = _clean(round(float(latest.loc[team, mandate.column]), 2))
        unit = " $bn" if mandate.column == "consumer_cost" else "%"
        shown = f"{value:,.2f}".replace("-", "−")
        out[team] = f"{mandate.title}: {shown}{unit} this quarter ({mandate.better} is better)"
    return out


def why(game: Game, board: pd.DataFrame, team: str) -> list[str]:
    """Why the team's numbers moved in the latest round: the tariffs that changed (its own,
    its rivals' on it, retaliation on its farm goods), the event, and the changes in its
    consumer cost, revenue and exports from the round before."""
    r = game.round
    if r == 0:
        return []
    now = game.history[r - 1]
    before = game.history[r - 2] if r >= 2 else {t: Move() for t in game.teams}
    lines = []
    event = game.event_before(r)
    if event is not None:
        lines.append(f"Event this quarter — {event.title}: {event.text}")
    for rival in game.rivals(team):
        a, b = before[team].tariffs.get(rival, 0.0), now[team].tariffs.get(rival, 0.0)
        if a != b:
            lines.append(f"You moved your tariff on {rival} from {a:g}% to {b:g}%.")
        a, b = before[rival].tariffs.get(team, 0.0), now[rival].tariffs.get(team, 0.0)
        if a != b:
            lines.append(f"{rival} moved its tariff on your goods from {a:g}% to {b:g}%.")
        a, b = before[rival].retaliation.get(team, 0.0), now[rival].retaliation.get(team, 0.0)
        if a != b:
            lines.append(
                f"{rival} moved its retaliation on your farm goods, drinks and motorcycles "
                f"from {a:g}% to {b:g}%."
            )
    mine = board[board.team == team].set_index("round")
    if r in mine.index:
        row = mine.loc[r]
        prev = mine.loc[r - 1] if r - 1 in mine.index else None
        changed = bool(lines)  # an event or a tariff that touches the team

        def figures(columns: tuple[tuple[str, str], ...]) -> str:
            parts = []
            for column, name in columns:
                value = _clean(float(row[column]))
                if prev is None:
                    parts.append(f"{name} {_bn(value)}")
                else:
                    change = _clean(value - float(prev[column]))
                    parts.append(f"{name} {_bn(value)} ({change:+,.1f})".replace("-", "−"))
            return ", ".join(parts)

        # the costs are measured against peace; revenue and exports are what was collected and
        # sold (revenue includes the duties every country charges in peace too)
        lines.append(
            "This quarter, against peace: "
            + figures(
                (
                    ("consumer_cost", "consumer cost"),
                    ("terms_of_trade", "terms of trade"),
                    ("efficiency", "efficiency"),
                )
            )
            + "; in all: "
            + figures((("tariff_revenue", "tariff revenue"), ("exports", "exports")))
            + "."
        )
        score = _clean(float(row[SCORE_COLUMN]))
        gdp = _clean(float(row["gdp_vs_peace_pct"]))
        lines.append(
            f"Your real income is {score:+.3f}% against peace and your GDP as counted "
            f"{gdp:+.2f}%: "
            + (
                "where they would be in peace: no tariff between the teams has moved them."
                if abs(score) < 5e-4 and abs(gdp) < 5e-3  # both print as zero
                else "fewer imports add to GDP, but your buyers pay more and trade is lost."
                if gdp > 0 > score
                else "your gains (tariff revenue, better terms of trade, buyers turning to "
                "you) outweigh what is lost."
                if score > 0
                else "the trade lost and what your buyers pay outweigh what tariffs collect."
            )
        )
        if not changed and prev is not None:
            lines.insert(
                0,
                "No tariff that touches you changed: the change comes from buyers still "
                "switching suppliers and from stocks bought ahead of earlier tariffs being used "
                "up.",
            )
    return lines


def _bn(value: float) -> str:
    """Money as a sentence writes it: $1.2bn, −$1.1bn."""
    return f"{'−' if value < 0 else ''}${abs(value):,.1f}bn"
