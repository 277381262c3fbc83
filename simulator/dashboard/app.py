"""The classroom dashboard: a Solara app (``tradesim dashboard`` serves it).

Two tabs. *Explore*: pick a bundled scenario or upload one, move the levers, run, read the
plots, keep up to four runs to compare, download the settings as a scenario file and the
results as CSV or Parquet. *Tariff war*: the teacher opens a game, teams join with a code and
set their tariffs each quarter; everyone sees the same scoreboard.

State made with ``solara.reactive`` at module level belongs to one browser session (Solara
keeps it per connection), so students on one server do not see each other's runs. Games are
shared on purpose: they live in one :class:`~simulator.game.GameStore`.
"""

from __future__ import annotations

import html
import os
import threading

import pandas as pd
import solara
import solara.lab
from ipyvuetify.extra import FileInput

from simulator.calibration.dataset import DataError
from simulator.dashboard import figures
from simulator.dashboard.levers import (
    MAX_UPLOAD_BYTES,
    MECHANISMS,
    Levers,
    Run,
    Source,
    Upload,
    base_info,
    key_table,
    results_zip,
    run_levers,
    scenario_yaml,
)
from simulator.game import GOVERNMENTS, GameStore, Move
from simulator.game.game import gdp_score
from simulator.scenario import ScenarioError, bundled_scenarios
from simulator.version import __version__

MAX_RUNS = 4
DEFAULT = "us_2025"

# -- per-session state ----------------------------------------------------------------------
scenario_name = solara.reactive(DEFAULT)
upload: solara.Reactive[Upload | None] = solara.reactive(None)
upload_error = solara.reactive("")
run_error = solara.reactive("")
runs: solara.Reactive[list[Run]] = solara.reactive([])
autos = solara.reactive(0.0)
steel = solara.reactive(0.0)
china = solara.reactive(0.0)
eu = solara.reactive(0.0)
effective = solara.reactive("2025-04")
retaliation_rate = solara.reactive(0.0)
ai_scale = solara.reactive(1.0)
own_dollar = solara.reactive(True)
dollar = solara.reactive(0.0)
_start = base_info(DEFAULT)
pass_through = solara.reactive(_start.pass_through)
speed = solara.reactive(_start.adjustment_speed)
switches: dict[str, solara.Reactive[bool]] = {k: solara.reactive(True) for k in MECHANISMS}
join_code = solara.reactive("")

_store: GameStore | None = None
_store_lock = threading.Lock()


def store() -> GameStore:
    """The games shared by every session (their folder comes from ``tradesim dashboard``)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = GameStore(os.environ.get("TRADESIM_GAME_DIR", "out/games"))
        return _store


def source() -> Source:
    return upload.value if upload.value is not None else scenario_name.value


def current_levers() -> Levers:
    return Levers(
        autos_rate=autos.value,
        steel_rate=steel.value,
        china_rate=china.value,
        eu_rate=eu.value,
        effective=effective.value,
        retaliation_rate=retaliation_rate.value,
        ai_capex_scale=ai_scale.value,
        dollar_change_pct=None if own_dollar.value else dollar.value,
        pass_through=pass_through.value,
        adjustment_speed=speed.value,
        mechanisms={k: r.value for k, r in switches.items()},
    )


def reset_levers_to(src: Source) -> None:
    """Sliders and switches to the scenario's own values (shown before any change)."""
    try:
        info = base_info(src)
    except ScenarioError:
        return
    pass_through.value = info.pass_through
    speed.value = info.adjustment_speed
    for k, on in info.mechanisms:
        switches[k].value = on
    if effective.value not in info.months and info.months:
        effective.value = "2025-04" if "2025-04" in info.months else info.months[0]


def _label(base_name: str) -> str:
    """A name for the next run: the scenario's, numbered within the session."""
    number = max((int(r.label.split("_")[-1]) for r in runs.value), default=0) + 1
    stem = "".join(c if c.isalnum() else "_" for c in base_name)[:30]
    return f"{stem}_run_{number}"


@solara.lab.task
def run_task() -> None:
    """Run the current settings in a thread; progress goes to the page."""
    src, levers = source(), current_levers()
    run_error.value = ""
    try:
        label = _label(base_info(src).name)

        def progress(done: int, total: int) -> None:
            percent = 100.0 * done // total
            if percent % 10 == 0:  # a few updates, not one a month: each re-renders the page
                run_task.progress = percent

        run = run_levers(src, levers, label, progress)
    except (ScenarioError, DataError) as exc:
        run_error.value = str(exc)
        return
    kept = [*runs.value, run]
    runs.value = kept[-MAX_RUNS:]


# -- Explore --------------------------------------------------------------------------------


def Heading(text: str, level: int = 4) -> None:
    """A heading (plain HTML: Markdown would load a maths renderer the server does not have)."""
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), style="margin: 0.6rem 0")


LINE = "display:block; white-space: pre-wrap"


def Problems(title: str, message: str, classes: list[str]) -> None:
    """An error box with one line per problem, as ``tradesim validate`` prints them."""
    lines = [title, *message.splitlines()]
    solara.Error(
        children=[solara.Text(line, style=LINE) for line in lines],
        classes=classes,
    )


@solara.component
def FilePicker(on_file, on_clear):
    """A file chooser (a real file input, so it also works from the keyboard); clearing it
    (its ✕) calls ``on_clear``."""
    info, set_info = solara.use_state(None)
    files, set_files = solara.use_state(None)
    picker = FileInput.element(multiple=False, accept=".yaml,.yml", on_file_info=set_info)

    def wire() -> None:
        if info:
            widget = solara.get_widget(picker)
            widget.version += 1
            widget.reset_stats()
            set_files(widget.get_files())
        elif info is not None:  # emptied with its ✕
            on_clear()

    solara.use_effect(wire, [info])

    def read(cancel: threading.Event) -> None:
        if files:
            f = files[0]
            data = None if f["size"] > MAX_UPLOAD_BYTES else f["file_obj"].read()
            on_file(f["name"], f["size"], data)

    result = solara.use_thread(read, [files])
    if result.error:
        raise result.error
    return picker


def back_to_bundled() -> None:
    """Forget the uploaded file (or its errors) and go back to the chosen bundled scenario."""
    upload.value = None
    upload_error.value = ""
    reset_levers_to(scenario_name.value)


def on_upload(name: str, size: int, data: bytes | None) -> None:
    upload_error.value = ""
    try:
        Upload.check(name, size)
        received = Upload.receive(name, data or b"")
    except ScenarioError as exc:
        upload.value = None
        upload_error.value = str(exc)
        return
    upload.value = received
    reset_levers_to(received)


@solara.component
def ScenarioPicker() -> None:
    names = sorted(bundled_scenarios())

    def pick(name: str) -> None:
        scenario_name.value = name
        back_to_bundled()

    solara.Select("Bundled scenario", values=names, value=scenario_name.value, on_value=pick)
    solara.Text(
        f"…or upload a scenario file (YAML, at most {MAX_UPLOAD_BYTES // 1024} KB):",
        style="display:block; margin-top: 0.5rem",
    )
    FilePicker(on_upload, back_to_bundled)
    if upload.value is not None:
        solara.Success(f"Using the uploaded file {upload.value.filename}", dense=True)
    if upload_error.value:
        Problems("Not run — the file has errors:", upload_error.value, ["upload-error"])
    if upload.value is not None or upload_error.value:
        solara.Button(
            f"Use {scenario_name.value} instead",
            on_click=back_to_bundled,
            text=True,
            classes=["use-bundled"],
        )


@solara.component
def LeverPanel() -> None:
    try:
        info = base_info(source())
        months, has_ai = list(info.months), info.has_ai_capex
    except ScenarioError:
        months, has_ai = [], False
    with solara.Card("Tariffs (extra US rates, %)", margin=0):
        solara.SliderFloat(f"Autos: +{autos.value:g}", value=autos, min=0, max=100, step=5)
        solara.SliderFloat(f"Steel: +{steel.value:g}", value=steel, min=0, max=100, step=5)
        solara.SliderFloat(f"China: +{china.value:g}", value=china, min=0, max=150, step=5)
        solara.SliderFloat(f"EU: +{eu.value:g}", value=eu, min=0, max=100, step=5)
        solara.Text(
            "Autos and steel from every partner; China and EU on all their goods.",
            style="display:block; font-size: 0.8rem; color: #666",
        )
        if months:
            solara.Select(
                "Take effect in (announced a month before)", values=months, value=effective
            )
        else:
            solara.Text(
                "This scenario's horizon leaves no month for new tariffs.",
                style="display:block; font-size: 0.8rem; color: #a00",
            )
    with solara.Card("Retaliation", margin=0):
        solara.Checkbox(label="Retaliation switched on", value=switches["retaliation"])
        solara.SliderFloat(
            f"Rate: {retaliation_rate.value:g}%",
            value=retaliation_rate,
            min=0,
            max=100,
            step=5,
            disabled=not switches["retaliation"].value,
        )
        solara.Text(
            "China and the EU put this tariff on US farm goods, whiskey and motorcycles once "
            "the US raises tariffs on them (a month later).",
            style="display:block; font-size: 0.8rem; color: #666",
        )
    with solara.Card("Shocks and behaviour", margin=0):
        solara.SliderFloat(
            f"AI capex: × {ai_scale.value:g}" if has_ai else "AI capex: none in this scenario",
            value=ai_scale,
            min=0,
            max=3,
            step=0.25,
            disabled=not has_ai,
        )
        solara.Checkbox(label="Dollar: the scenario's own path", value=own_dollar)
        solara.SliderFloat(
            f"Dollar by 2025-12: {dollar.value:+g}%",
            value=dollar,
            min=-20,
            max=20,
            step=1,
            disabled=own_dollar.value,
        )
        solara.SliderFloat(
            f"Pass-through: {pass_through.value:.2f}",
            value=pass_through,
            min=0,
            max=1,
            step=0.05,
        )
        solara.SliderFloat(
            f"Adjustment: {speed.value:.2f} a month",
            value=speed,
            min=0.01,
            max=1,
            step=0.01,
        )
        solara.Text(
            "Pass-through: the share of a tariff buyers pay (exporters absorb the rest). "
            "Adjustment: the share of buyers re-thinking their suppliers each month.",
            style="display:block; font-size: 0.8rem; color: #666",
        )
    with solara.Details("Mechanisms (switch off to see each one's part)"):
        for key, reactive in switches.items():
            if key != "retaliation":
                solara.Checkbox(label=key.replace("_", " "), value=reactive)


@solara.component
def RunPanel() -> None:
    with solara.Row():
        solara.Button(
            "Run",
            on_click=run_task,
            color="primary",
            disabled=run_task.pending or bool(upload_error.value),
            classes=["run-button"],
        )
        solara.Button("Clear runs", on_click=lambda: runs.set([]), text=True)
    if run_task.pending:
        solara.ProgressLinear(run_task.progress or True)
        solara.Text("Running…")
    if run_error.value:
        Problems("Not run:", run_error.value, ["run-error"])
    if runs.value:
        latest = runs.value[-1]
        solara.Text(f"Downloads for {latest.label}:", style="display:block")
        with solara.Row(style="flex-wrap: wrap"):
            solara.FileDownload(
                scenario_yaml(latest.child), f"{latest.label}.yaml", "Settings (YAML)"
            )
            solara.FileDownload(
                lambda: results_zip(latest, "csv"), f"{latest.label}_csv.zip", "Results (CSV)"
            )
            solara.FileDownload(
                lambda: results_zip(latest, "parquet"),
                f"{latest.label}_parquet.zip",
                "Results (Parquet)",
            )


def _headline(run: Run) -> str:
    annual = run.result.annual()
    if annual.empty:
        return f"{run.label}: no complete calendar year in the horizon"
    year = int(annual.index[-1])
    row = annual.loc[year]
    balance = row.balance / 1e9
    word = "deficit" if balance < 0 else "surplus"
    return (
        f"{run.label}: in {year} the US trade {word} is ${abs(balance):,.1f}bn, "
        f"tariff revenue ${row.tariff_revenue / 1e9:,.1f}bn, effective rate "
        f"{100 * row.effective_tariff_rate:.1f}%"
    )


@solara.component
def Results() -> None:
    if not runs.value:
        solara.Info("Move the levers and press Run. Each run is kept (up to four) to compare.")
    else:
        RunResults(runs.value)


PLOTS = {
    "US trade": lambda kept: figures.us_trade(kept),
    "Tariff revenue and rate": lambda kept: figures.tariffs(kept),
    "Who pays": lambda kept: figures.who_pays(kept[-1]),
    "Balances by partner": lambda kept: figures.partners(kept[-1]),
    "Sectors": lambda kept: figures.sectors(kept),
}
plot_choice = solara.reactive("US trade")


@solara.component
def RunResults(kept: list[Run]) -> None:
    key = tuple(id(r) for r in kept)
    for run in kept:
        solara.Text(_headline(run), classes=["tradesim-headline"], style="display: block")
    for run in kept:
        solara.Text(f"{run.label}: {run.child['description']}", style="display:block; color:#555")
    solara.ToggleButtonsSingle(value=plot_choice, values=list(PLOTS), style="flex-wrap: wrap")
    figure = solara.use_memo(
        lambda: PLOTS[plot_choice.value](kept), dependencies=[key, plot_choice.value]
    )
    solara.FigureMatplotlib(figure, format="png", dpi=90, dependencies=[key, plot_choice.value])
    if len(kept) > 1:
        solara.Text(
            "Lines: black is the first run kept, then red, blue, green. 'Who pays' and "
            "'Balances by partner' show the latest run.",
            style="display:block; font-size: 0.8rem; color: #666",
        )
    table = key_table(kept).round(1) + 0.0  # + 0.0: no "-0.0"
    shown = table.astype(object).where(table.notna(), "n/a").reset_index(names="outcome")
    Heading("Key US outcomes in the last complete year (US$ bn, %)")
    solara.DataFrame(shown, items_per_page=max(len(shown), 1))


@solara.component
def Explore() -> None:
    with solara.ColumnsResponsive(12, medium=[5, 7], large=[4, 8]):  # one column below 960 px
        with solara.Column():
            ScenarioPicker()
            RunPanel()
            LeverPanel()
        with solara.Column():
            Results()


# -- Tariff war ---------------------------------------------------------------------------


@solara.component
def Poll(game_id: str, on_version) -> None:
    """Re-render when the shared game changes (another team moved, the teacher advanced)."""

    def poll(cancel: threading.Event) -> None:
        seen = None
        while not cancel.wait(0.7):
            version = store().games[game_id].version
            if version != seen:
                seen = version
                on_version(version)

    solara.use_thread(poll, dependencies=[game_id])


def _board_frame(board: pd.DataFrame) -> pd.DataFrame:
    names = {
        "exports": "exports $bn",
        "consumer_cost": "consumer cost $bn",
        "tariff_revenue": "tariff revenue $bn",
        "gdp_vs_peace_pct": "GDP vs peace %",
    }
    frame = board.rename(columns=names)
    frame.columns = [c.replace("balance_with_", "balance with ") for c in frame.columns]
    return frame.round(2).fillna("")


@solara.component
def Scoreboard(game_id: str, version: int) -> None:
    game = store().games[game_id]
    played = store().results(game_id)
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"<b>Round {min(game.round + 1, game.rounds)} of {game.rounds}</b> · "
        f"played: {game.round}" + (" · <b>game over</b>" if game.finished else ""),
    )
    if played is None:
        solara.Info("No round played yet: the scoreboard appears after the first quarter.")
    else:
        _, board = played
        score = gdp_score(board)
        solara.Text(
            "Scoreboard: " + ", ".join(f"{t} {round(v, 3) + 0.0:+.3f}%" for t, v in score.items()),
            classes=["scoreboard"],
            style="display:block; font-weight:bold",
        )
        solara.Text(
            "GDP vs peace: the team's GDP against the same world with no game tariffs "
            "(mean over the quarters played). Money is US$ bn in the quarter; balances are "
            "goods exports minus imports with each rival.",
            style="display:block; margin: 0.5rem 0",
        )
        solara.FigureMatplotlib(
            figures.game_scores(board), format="png", dpi=90, dependencies=[game.round]
        )
        solara.DataFrame(_board_frame(board), items_per_page=40)
        Heading("Moves")
        solara.DataFrame(game.moves_table(), items_per_page=40)


@solara.component
def TeamView(game_id: str, team: str) -> None:
    version, set_version = solara.use_state(0)
    Poll(game_id, set_version)
    game = store().games[game_id]
    last = game.last_move(team)
    rates, set_rates = solara.use_state(
        {f"t_{r}": last.tariffs.get(r, 0.0) for r in game.rivals(team)}
        | {f"r_{r}": last.retaliation.get(r, 0.0) for r in game.rivals(team)}
    )
    error, set_error = solara.use_state("")
    Heading(f"You are the government of {team} (game {game_id})", 3)
    if not game.finished:
        waiting = [t for t in game.teams if t not in game.pending]
        if team in game.pending:
            solara.Success(
                f"Your move for round {game.round + 1} is in. Waiting for: "
                + (", ".join(waiting) or "the teacher"),
                classes=["move-status"],
            )
        for rival in game.rivals(team):
            with solara.Card(f"On {rival}", margin=0):
                for kind, label in (
                    ("t", "tariff on all goods"),
                    ("r", "retaliation on farm goods, drinks, motorcycles"),
                ):
                    name = f"{kind}_{rival}"
                    solara.SliderFloat(
                        f"{label}: {rates[name]:g}%",
                        value=rates[name],
                        min=0,
                        max=150 if kind == "t" else 100,
                        step=5,
                        on_value=lambda v, n=name: set_rates({**rates, n: v}),
                    )

        def submit() -> None:
            move = Move(
                {r: rates[f"t_{r}"] for r in game.rivals(team)},
                {r: rates[f"r_{r}"] for r in game.rivals(team)},
            )
            try:
                store().submit(game_id, team, move)
                set_error("")
            except ScenarioError as exc:
                set_error(str(exc))

        solara.Button(
            f"Submit move for round {game.round + 1}",
            on_click=submit,
            color="primary",
            classes=["submit-move"],
        )
        if error:
            solara.Error(error)
    Scoreboard(game_id, version)


@solara.component
def TeacherView(game_id: str) -> None:
    version, set_version = solara.use_state(0)
    Poll(game_id, set_version)
    game = store().games[game_id]
    Heading(f"Teacher of game {game_id}", 3)
    solara.HTML(
        tag="p",
        unsafe_innerHTML="Join codes: each team types its own in <i>join with a code</i>.",
    )
    for team, code in [*game.teams.items(), ("teacher", game.teacher_code)]:
        solara.Text(
            f"{team}: {code}", classes=["join-code"], style="display:block; font: 1.1rem monospace"
        )
    if not game.finished:
        moved = ", ".join(game.pending) or "nobody yet"
        solara.Text(f"Moved this round: {moved}", style="display:block")
        with solara.Row():
            solara.Button(
                "Play the round now",
                on_click=lambda: store().advance(game_id),
                color="primary",
                classes=["advance"],
            )
            solara.Button("End the game", on_click=lambda: store().end(game_id), outlined=True)
    solara.FileDownload(
        lambda: store().games[game_id].scenario_yaml(),
        f"game_{game_id.lower()}.yaml",
        "Download the game as a scenario (tradesim run replays it)",
    )
    Scoreboard(game_id, version)


@solara.component
def GameLobby(on_join) -> None:
    chosen, set_chosen = solara.use_state(["USA", "CHN", "EU"])
    rounds, set_rounds = solara.use_state(4)
    error, set_error = solara.use_state("")

    def toggle(government: str, on: bool) -> None:
        keep = {g for g in chosen if g != government} | ({government} if on else set())
        set_chosen([g for g in GOVERNMENTS if g in keep])

    def open_game() -> None:
        try:
            game = store().open(list(chosen), rounds=rounds)
        except ScenarioError as exc:
            set_error(str(exc))
            return
        on_join(game.teacher_code)

    with solara.Columns([1, 1]):
        with solara.Card("Teacher: open a game", margin=0):
            solara.Text("Governments playing:", style="display:block")
            with solara.Row(style="flex-wrap: wrap"):
                for gov in GOVERNMENTS:
                    solara.Checkbox(
                        label=gov,
                        value=gov in chosen,
                        on_value=lambda on, g=gov: toggle(g, on),
                    )
            solara.SliderInt(
                "Rounds (quarters from 2025 Q1)", value=rounds, min=1, max=8, on_value=set_rounds
            )
            solara.Button(
                "Open the game", on_click=open_game, color="primary", classes=["open-game"]
            )
            if error:
                solara.Error(error)
        with solara.Card("Team or teacher: join with a code", margin=0):
            solara.InputText("Join code", value=join_code, continuous_update=True)
            solara.Button("Join", on_click=lambda: on_join(join_code.value), classes=["join"])


@solara.component
def TariffWar() -> None:
    joined, set_joined = solara.use_state(None)  # (game id, team or None) for this session
    error, set_error = solara.use_state("")

    def join(code: str) -> None:
        found = store().find(code or "")
        if found is None:
            set_error(f"No game has the code {code!r}.")
            return
        set_error("")
        set_joined((found[0].id, found[1]))

    if joined is None:
        GameLobby(join)
        if error:
            solara.Error(error, classes=["join-error"])
        return
    game_id, team = joined
    if team is None:
        TeacherView(game_id)
    else:
        TeamView(game_id, team)
    solara.Button("Leave", on_click=lambda: set_joined(None), text=True)


@solara.component
def Page() -> None:
    solara.Title("tradesim classroom")
    tab, set_tab = solara.use_state(0)
    Heading(f"tradesim — trade policy in the classroom (v{__version__})", 2)
    with solara.lab.Tabs(value=tab, on_value=set_tab):
        solara.lab.Tab("Explore")
        solara.lab.Tab("Tariff war")
    if tab == 0:
        Explore()
    else:
        TariffWar()
