"""The classroom dashboard: a Solara app (``tradesim dashboard`` serves it).

Two tabs. *Explore*: pick a bundled scenario (its description shown) or upload one, move the
levers, run, read the plots and the key table for a chosen year, keep up to four runs and
compare them with a baseline the student picks, download the settings as a scenario file and
the results as CSV or Parquet. *Tariff war*: the teacher opens a game with the server's
teacher code, hands out team codes one by one, and plays rounds; teams join with a code that
stays in the page's address, so a reload rejoins.

State made with ``solara.reactive`` at module level belongs to one browser session (Solara
keeps it per connection), so students on one server do not see each other's runs. A session
keeps small views of its runs (:class:`~simulator.dashboard.runs.RunView`), never a model,
and they go when its tab closes. Runs are made in the server's pool
(:func:`simulator.dashboard.runs.pool`), first come first served. Games are shared on purpose:
they live in one :class:`~simulator.game.GameStore`.
"""

from __future__ import annotations

import html
import os
import threading
from dataclasses import dataclass

import pandas as pd
import solara
import solara.lab
from ipyvuetify.extra import FileInput

from simulator.calibration.dataset import DataError
from simulator.dashboard import figures
from simulator.dashboard import runs as runs_module
from simulator.dashboard.figures import fmt
from simulator.dashboard.levers import (
    ADJUSTMENT_SLIDER,
    MAX_UPLOAD_BYTES,
    MECHANISMS,
    PASS_THROUGH_SLIDER,
    Levers,
    Slider,
    Source,
    Upload,
    base_info,
    results_zip,
    run_levers,
    scenario_yaml,
)
from simulator.dashboard.runs import RunView, run_child
from simulator.game import GOVERNMENTS, GameStore, Move
from simulator.game.game import (
    MANDATES,
    SCORE_COLUMN,
    SCORE_LABEL,
    mandate_progress,
    score_measure,
    why,
)
from simulator.scenario import ScenarioError, bundled_scenarios
from simulator.scenario.schema import Mechanisms
from simulator.version import __version__

MAX_RUNS = 4
DEFAULT = "us_2025"

# -- per-session state ----------------------------------------------------------------------
scenario_name = solara.reactive(DEFAULT)
upload: solara.Reactive[Upload | None] = solara.reactive(None)
upload_error = solara.reactive("")
run_error = solara.reactive("")
queue_note = solara.reactive("")
lever_note = solara.reactive("")
runs: solara.Reactive[list[Kept]] = solara.reactive([])
baseline_name = solara.reactive("")
year_choice = solara.reactive("")
partner_choice = solara.reactive(["China", "EU", "North America (Mexico, Canada)"])
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
# each switch starts at the schema's default (a channel may be off by default: export_scale)
switches: dict[str, solara.Reactive[bool]] = {
    k: solara.reactive(bool(Mechanisms.model_fields[k].default)) for k in MECHANISMS
}
join_code = solara.reactive("")

_store: GameStore | None = None
_store_lock = threading.Lock()
sessions = {"open": 0}
"""Sessions (browser tabs) alive on this server; their runs go when they close."""


def _session_started():
    sessions["open"] += 1
    if sessions["open"] == 1:  # the first student: start the workers (a quiet spell stops them)
        threading.Thread(target=lambda: runs_module.pool().warm(), daemon=True).start()

    def closed() -> None:
        sessions["open"] -= 1
        runs_module._trim()  # give the closed session's memory back to the system

    return closed


solara.lab.on_kernel_start(_session_started)
# start the workers with the server, so the first student's run does not wait for them; they
# stay up while any session is open
runs_module.pool().keep_alive = lambda: sessions["open"] > 0
threading.Thread(target=lambda: runs_module.pool().warm(), daemon=True).start()


def store() -> GameStore:
    """The games shared by every session (their folder comes from ``tradesim dashboard``)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = GameStore(
                os.environ.get("TRADESIM_GAME_DIR", "out/games"),
                teacher_code=os.environ.get("TRADESIM_TEACHER_CODE"),
            )
            print(f"tradesim dashboard: teacher code {_store.teacher_code}", flush=True)
        return _store


@dataclass
class Kept:
    """A run kept in a session: what the page shows (no model), and how to make it again."""

    name: str  # "Run 1", ...
    view: RunView
    source: Source
    levers: Levers


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
        pass_through=PASS_THROUGH_SLIDER.lever(pass_through.value, own_values()[0]),
        adjustment_speed=ADJUSTMENT_SLIDER.lever(speed.value, own_values()[1]),
        mechanisms={k: r.value for k, r in switches.items()},
    )


def own_values() -> tuple[float, float]:
    """The chosen scenario's own pass-through and adjustment speed (the sliders show them
    snapped to their steps; a run keeps them exactly until the student moves a slider)."""
    try:
        info = base_info(source())
    except ScenarioError:
        return pass_through.value, speed.value
    return info.pass_through, info.adjustment_speed


def shown(slider: Slider, value: float, own: float) -> float:
    """The value a slider's label shows: the scenario's own while the lever keeps it."""
    lever = slider.lever(value, own)
    return own if lever is None else lever


def reset_levers_to(src: Source) -> None:
    """Every lever back to the scenario's own values (a new scenario starts clean)."""
    try:
        info = base_info(src)
    except ScenarioError:
        return
    for reactive in (autos, steel, china, eu, retaliation_rate, dollar):
        reactive.value = 0.0
    ai_scale.value = 1.0
    own_dollar.value = True
    pass_through.value = info.pass_through
    speed.value = info.adjustment_speed
    for k, on in info.mechanisms:
        switches[k].value = on
    if info.months:
        effective.value = "2025-04" if "2025-04" in info.months else info.months[0]
    lever_note.value = (
        f"Levers reset to {info.name}'s own values: no extra tariffs, no retaliation lever, "
        "its own AI capex, dollar, pass-through, adjustment and mechanisms."
    )


def _label(base_name: str) -> tuple[str, str]:
    """A file name and a display name for the next run, numbered within the session."""
    number = max((int(k.name.split()[-1]) for k in runs.value), default=0) + 1
    stem = "".join(c if c.isalnum() else "_" for c in base_name)[:30]
    return f"{stem}_run_{number}", f"Run {number}"


def keep(kept: Kept) -> None:
    """Keep a new run: at most four; the oldest goes, never the chosen baseline."""
    now = [*runs.value, kept]
    while len(now) > MAX_RUNS:
        drop = next(k for k in now if k.name != baseline_name.value)
        now.remove(drop)
    runs.value = now
    if baseline_name.value not in [k.name for k in now]:
        baseline_name.value = now[0].name


@solara.lab.task
def run_task() -> None:
    """Queue the current settings in the server's pool; show the place in the queue."""
    src, levers = source(), current_levers()
    run_error.value = ""
    try:
        info = base_info(src)
        label, name = _label(info.name)
        child = run_child(src, levers, label, limits())
        ticket = runs_module.pool().submit(src, levers, label, limits())
        while True:
            try:
                view = ticket.result(timeout=0.25)
                break
            except TimeoutError:
                queue_note.value = queue_text(ticket)
    except (ScenarioError, DataError) as exc:
        run_error.value = str(exc)
        return
    except Exception as exc:  # a worker that died: say so, never a blank page
        run_error.value = f"the run failed on the server ({type(exc).__name__}); try again"
        return
    finally:
        queue_note.value = ""
    if view.label != label:  # another student's identical run: the same numbers
        view = view.relabel(label, child)
    keep(Kept(name, view, src, levers))


def queue_text(ticket: runs_module.Ticket) -> str:
    """What a student waiting for a run reads: running, or the place in the queue."""
    if ticket.running():
        return "Running…"
    ahead, workers = ticket.position(), runs_module.pool().workers
    return (
        f"In the queue: {ahead} run{'s' if ahead != 1 else ''} ahead of yours (the server "
        f"makes {workers} batch{'es' if workers != 1 else ''} of up to "
        f"{runs_module.MAX_BATCH} runs at a time)"
    )


def limits() -> runs_module.Limits:
    return runs_module.Limits.from_env()


# -- Explore --------------------------------------------------------------------------------


def Heading(text: str, level: int = 4) -> None:
    """A heading (plain HTML: Markdown would load a maths renderer the server does not have)."""
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), style="margin: 0.6rem 0")


LINE = "display:block; white-space: pre-wrap"
SMALL = "display:block; font-size: 0.85rem; color: #555"


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
    if not upload_error.value:
        try:
            info = base_info(source())
        except ScenarioError:
            info = None
        if info is not None:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=f"<b>{html.escape(info.name)}</b>: "
                + html.escape(info.description or "(this scenario has no description)"),
                classes=["scenario-description"],
                style="margin: 0.5rem 0; padding: 0.5rem; background: #f4f6fa; "
                "border-left: 3px solid #1f77b4; font-size: 0.9rem",
            )
    if lever_note.value:
        solara.Text(lever_note.value, classes=["lever-note"], style=SMALL)


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
            "Autos and steel from every partner; China and EU on all their goods.", style=SMALL
        )
        if months:
            solara.Select(
                "Take effect in (announced a month before)", values=months, value=effective
            )
        else:
            solara.Text(
                "This scenario's horizon leaves no month for new tariffs.",
                style="display:block; font-size: 0.85rem; color: #a00",
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
            style=SMALL,
        )
    with solara.Card("Shocks and behaviour", margin=0, classes=["long-labels"]):
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
        own_pass_through, own_speed = own_values()
        solara.SliderFloat(
            f"Pass-through: {shown(PASS_THROUGH_SLIDER, pass_through.value, own_pass_through):.3g}",
            value=pass_through,
            min=PASS_THROUGH_SLIDER.low,
            max=PASS_THROUGH_SLIDER.high,
            step=PASS_THROUGH_SLIDER.step,
        )
        solara.SliderFloat(
            f"Adjustment: {shown(ADJUSTMENT_SLIDER, speed.value, own_speed):.3g} a month",
            value=speed,
            min=ADJUSTMENT_SLIDER.low,
            max=ADJUSTMENT_SLIDER.high,
            step=ADJUSTMENT_SLIDER.step,
        )
        solara.Text(
            "Pass-through: the share of a tariff buyers pay (exporters absorb the rest). "
            "Adjustment: the share of buyers re-thinking their suppliers each month.",
            style=SMALL,
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
        solara.Button(
            "Clear runs", on_click=lambda: (runs.set([]), baseline_name.set("")), text=True
        )
    lim = limits()
    solara.Text(
        f"This server runs at most {lim.max_firms:,} firms and {lim.max_months} months a run.",
        style=SMALL,
    )
    if run_task.pending:
        solara.ProgressLinear(True)
        solara.Text(queue_note.value or "Waiting…", classes=["queue-note"], style="display:block")
    if run_error.value:
        Problems("Not run:", run_error.value, ["run-error"])
    if runs.value:
        latest = runs.value[-1]
        solara.Text(f"Downloads for {latest.name} ({latest.view.label}):", style="display:block")
        with solara.Row(style="flex-wrap: wrap"):
            solara.FileDownload(
                scenario_yaml(latest.view.child), f"{latest.view.label}.yaml", "Settings (YAML)"
            )
            solara.FileDownload(
                lambda: _zip(latest, "csv"), f"{latest.view.label}_csv.zip", "Results (CSV)"
            )
            solara.FileDownload(
                lambda: _zip(latest, "parquet"),
                f"{latest.view.label}_parquet.zip",
                "Results (Parquet)",
            )


def _zip(kept: Kept, fmt: str) -> bytes:
    """Full results are not kept on the server: the run is made again (same scenario, levers
    and seed give the same numbers) for the download."""
    run = run_levers(kept.source, kept.levers, kept.view.label)
    return results_zip(run, fmt)


def default_year(years: list[int], kept: list[Kept]) -> int:
    """2025 for us_2025 (the year of its tariffs) and whenever present; else the last."""
    if 2025 in years:
        return 2025
    return years[-1]


def _headline(kept: Kept, year: int) -> str:
    annual = kept.view.annual
    if year not in annual.index:
        return f"{kept.name}: {year} is not a complete year of this run"
    row = annual.loc[year]
    balance = row.balance / 1e9
    word = "deficit" if balance < 0 else "surplus"
    income = row.real_income_change / 1e9
    level = (
        "the same as on the no-policy path"
        if abs(income) < 0.05
        else f"${fmt(abs(income))}bn ({fmt(abs(row.real_income_change_pct), 2)}% of GDP) "
        f"{'below' if income < 0 else 'above'} the no-policy path"
    )
    return (
        f"{kept.name}: in {year} US real income is {level}, consumer prices "
        f"{fmt(row.consumer_prices_pct, 2)}% above it"
        f"; the US trade {word} is ${fmt(abs(balance))}bn, tariff revenue "
        f"${fmt(row.tariff_revenue / 1e9)}bn, average tariff "
        f"{fmt(100 * row.effective_tariff_rate)}%"
    )


def key_table_html(kept: list[Kept], year: int, baseline: str) -> str:
    """The key table as plain HTML: plain names with units, one column per run, and under
    each run's value its difference from the chosen baseline. No row numbers, no pager."""
    col = str(year)
    names = [k.name for k in kept]
    base = next((k for k in kept if k.name == baseline), kept[0])
    rows = list(dict.fromkeys(r for k in kept for r in k.view.key.index))
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for row in rows:
        unit = next(k.view.key.loc[row, "unit"] for k in kept if row in k.view.key.index)
        cells = []
        for k in kept:
            table = k.view.key
            value = table.loc[row, col] if row in table.index and col in table else float("nan")
            digits = 2 if unit in ("points", "%") else 0 if unit == "US$" else 1
            text = fmt(value, digits)
            if k is not base and len(kept) > 1:
                ref = base.view.key
                other = ref.loc[row, col] if row in ref.index and col in ref else float("nan")
                diff = value - other
                sign = "+" if round(diff, digits) > 0 else ""
                text += f"<br><span class='diff'>{sign}{fmt(diff, digits)}</span>"
            cells.append(f"<td>{text}</td>")
        body.append(
            f"<tr><th scope='row'>{html.escape(row)} <span class='unit'>"
            f"({html.escape(unit)})</span></th>{''.join(cells)}</tr>"
        )
    note = (
        f"Under each value: the difference from {html.escape(base.name)}, the baseline."
        if len(kept) > 1
        else ""
    )
    return (
        "<style>.key-table{border-collapse:collapse;width:100%;font-size:0.9rem}"
        ".key-table th,.key-table td{border-bottom:1px solid #ddd;padding:3px 4px;"
        "text-align:right;vertical-align:top}"
        ".key-table th[scope=row]{text-align:left;font-weight:normal;word-break:break-word}"
        ".key-table .unit,.key-table .diff{color:#666;font-size:0.8rem}"
        "@media (max-width:600px){.key-table{font-size:0.78rem}}</style>"
        f"<table class='key-table'><thead><tr><th style='text-align:left'>US outcome in "
        f"{year}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<div style='font-size:0.8rem;color:#666'>{note}</div>"
    )


PLOTS = ["What it costs", "US trade", "Tariffs", "Who pays", "By partner", "Sectors"]
plot_choice = solara.reactive("What it costs")
shown_run = solara.reactive("")


@solara.component
def Plot(figure) -> None:
    solara.HTML(tag="iframe", attributes=figures.iframe_attributes(figure))


@solara.component
def Results() -> None:
    if not runs.value:
        solara.Info("Move the levers and press Run. Each run is kept (up to four) to compare.")
    else:
        if any(k.view.years() for k in runs.value):
            RunResults(runs.value)
        else:
            solara.Warning("No complete calendar year in these runs' horizon.")


@solara.component
def RunResults(kept: list[Kept]) -> None:
    names = [k.name for k in kept]
    years = sorted({y for k in kept for y in k.view.years()}) or [0]
    year = (
        int(year_choice.value)
        if year_choice.value.isdigit() and int(year_choice.value) in years
        else default_year(years, kept)
    )
    baseline = baseline_name.value if baseline_name.value in names else names[0]
    with solara.Row(style="flex-wrap: wrap; align-items: center; gap: 0.5rem"):
        solara.ToggleButtonsSingle(
            value=str(year),
            values=[str(y) for y in years],
            on_value=year_choice.set,
            classes=["year-selector"],
        )
        if len(kept) > 1:
            solara.Select(
                "Compare with (baseline)",
                values=names,
                value=baseline,
                on_value=baseline_name.set,
                style="max-width: 14rem",
            )
    for k in kept:
        solara.Text(_headline(k, year), classes=["tradesim-headline"], style="display: block")
        solara.Text(f"{k.name}: {k.view.description}", style=SMALL)
        if note := k.view.shocks_note():
            solara.Text(f"{k.name}: {note}", classes=["shocks-note"], style=SMALL)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=key_table_html(kept, year, baseline),
        classes=["key-table-box"],
        style="margin: 0.5rem 0; max-width: 100%",
    )
    solara.ToggleButtonsSingle(value=plot_choice, values=PLOTS, style="flex-wrap: wrap")
    one = next((k for k in kept if k.name == shown_run.value), kept[-1])
    if plot_choice.value in ("What it costs", "Who pays", "By partner") and len(kept) > 1:
        solara.Select("Run shown", values=names, value=one.name, on_value=shown_run.set)
    if plot_choice.value == "By partner":
        solara.SelectMultiple(
            "Partners (a group adds up its members)",
            values=partner_choice,
            all_values=list(figures.PARTNER_GROUPS),
        )
    key = (
        tuple(id(k) for k in kept),
        plot_choice.value,
        one.name,
        tuple(partner_choice.value),
        year,
    )

    def make():
        views = [k.view for k in kept]
        choice = plot_choice.value
        if choice == "US trade":
            return figures.us_trade(views, names)
        if choice == "Tariffs":
            return figures.tariffs(views, names)
        if choice == "What it costs":
            return figures.costs(one.view, one.name, year)
        if choice == "Who pays":
            return figures.who_pays(one.view, one.name)
        if choice == "By partner":
            return figures.partners(one.view, one.name, list(partner_choice.value))
        return figures.sectors(views, names)

    figure = solara.use_memo(make, dependencies=[key])
    Plot(figure)
    if plot_choice.value == "What it costs":
        for sentence in figures.costs_sentences(one.view, year):
            solara.Text(sentence, style="display:block; font-size:0.9rem; margin:0.2rem 0")
        solara.Text(
            "Real income adds up what consumers, producers and the government gain or lose at "
            "constant prices: a tariff can raise GDP as it is counted and still make people "
            "poorer (docs/costs.md).",
            style=SMALL,
        )
    if figures.shows_history([k.view for k in kept]) and plot_choice.value in (
        "US trade",
        "Tariffs",
        "By partner",
    ):
        solara.Text(
            "Dotted orange: the published monthly figures (Census/BEA trade, Treasury customs "
            "duties, as shipped in simulator/data/history) beside the model's runs.",
            style=SMALL,
        )


EXPLORE_CSS = """
.explore-grid{display:grid;grid-template-columns:minmax(0,1fr);gap:12px;align-items:start}
@media (min-width:960px){
  .explore-grid{grid-template-columns:minmax(0,5fr) minmax(0,7fr);
                grid-template-rows:auto 1fr}
  .area-picker{grid-column:1;grid-row:1}
  .area-results{grid-column:2;grid-row:1 / span 2}
  .area-levers{grid-column:1;grid-row:2}
}
"""


@solara.component
def Explore() -> None:
    # two columns from 960 px (scenario and Run, then the levers, beside the results); below,
    # one column with the results right after Run, so a phone sees them without scrolling
    # past every lever
    solara.Style(EXPLORE_CSS)
    with solara.Div(classes=["explore-grid"]):
        with solara.Div(classes=["area-picker"]):
            ScenarioPicker()
            RunPanel()
        with solara.Div(classes=["area-results"]):
            Results()
        with solara.Div(classes=["area-levers"]):
            LeverPanel()


# -- Tariff war ---------------------------------------------------------------------------


@solara.component
def Poll(game_id: str, on_version, team: str | None = None) -> None:
    """Re-render when the shared game changes (another team moved, the teacher advanced);
    a team's page also says it is connected."""

    def poll(cancel: threading.Event) -> None:
        seen = None
        while not cancel.wait(0.7):
            if team is not None:
                store().seen(game_id, team)
            game = store().games[game_id]
            version = (game.version, tuple(store().connected(game_id)))
            if version != seen:
                seen = version
                on_version(version)

    solara.use_thread(poll, dependencies=[game_id, team])


BOARD_NAMES = {
    "team": "team",
    SCORE_COLUMN: SCORE_LABEL,
    "consumer_prices_vs_peace_pct": "consumer prices vs peace, %",
    "consumer_cost": "consumer cost, $bn",
    "tariff_revenue": "tariff revenue, $bn",
    "exports": "exports, $bn",
    "steel_output_vs_peace_pct": "steel output vs peace, %",
    "gdp_vs_peace_pct": "GDP as counted vs peace, %",
}


def board_html(board: pd.DataFrame) -> str:
    """The scoreboard of the latest round as a plain table (no pager, no row numbers), its
    quarter in the caption; on a phone in a smaller type, so every column fits 390 px."""
    latest = board[board["round"] == board["round"].max()]
    quarter = html.escape(str(latest["quarter"].iloc[0]))
    head = "".join(f"<th>{html.escape(v)}</th>" for v in BOARD_NAMES.values())
    rows = []
    for _, row in latest.iterrows():
        cells = []
        for column in BOARD_NAMES:
            value = row[column]
            cells.append(
                f"<td>{html.escape(str(value))}</td>"
                if isinstance(value, str)
                else f"<td>{fmt(value, 2)}</td>"
            )
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        "<style>.board{border-collapse:collapse;font-size:0.85rem;width:100%}"
        ".board td,.board th{border-bottom:1px solid #ddd;padding:2px 4px;text-align:right}"
        ".board td:first-child,.board th:first-child{text-align:left}"
        ".board caption{text-align:left;font-weight:bold}"
        "@media (max-width:600px){.board{font-size:0.7rem}.board td,.board th{padding:2px 1px}}"
        "</style><div style='overflow-x:auto'><table class='board'>"
        f"<caption>{quarter}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


@solara.component
def Scoreboard(game_id: str, version) -> None:
    game = store().games[game_id]
    board = store().results(game_id)
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"<b>Round {min(game.round + 1, game.rounds)} of {game.rounds}</b> · "
        f"played: {game.round}" + (" · <b>game over</b>" if game.finished else ""),
        classes=["round-status"],
    )
    if board is None:
        solara.Info("No round played yet: the scoreboard appears after the first quarter.")
        return
    score = score_measure(board)
    solara.Text(
        "Scoreboard: " + ", ".join(f"{t} {fmt(v, 3)}%" for t, v in score.items()),
        classes=["scoreboard"],
        style="display:block; font-weight:bold",
    )
    solara.Text(
        f"Ranked by {SCORE_LABEL.split(',')[0].lower()} (mean over the quarters played): what "
        "the team's consumers, producers and government gain or lose at constant prices, "
        "against the same world with no game tariffs. Beside it, consumer prices, what the "
        "team's buyers pay in tariffs (consumer cost), the revenue it collects, and GDP as it "
        "is counted: a tariff can raise GDP and still make people poorer.",
        style=SMALL,
    )
    progress = mandate_progress(game, board)
    for team, text in progress.items():
        solara.Text(f"{team} — {text}", style="display:block; font-size:0.9rem")
    Plot(figures.game_scores(board, SCORE_COLUMN, SCORE_LABEL))
    solara.HTML(tag="div", unsafe_innerHTML=board_html(board))
    with solara.Details("All moves"):
        solara.HTML(tag="div", unsafe_innerHTML=moves_html(game))


def moves_html(game) -> str:
    table = game.moves_table()
    if table.empty:
        return "<p>No moves yet.</p>"
    rows = "".join(
        f"<tr><td>{r['round']}</td><td>{r['team']}</td><td>{r['rival']}</td>"
        f"<td>{r['tariff_pct']:g}</td><td>{r['retaliation_pct']:g}</td></tr>"
        for _, r in table.iterrows()
    )
    return (
        "<table class='board'><thead><tr><th>round</th><th>team</th><th>on</th>"
        f"<th>tariff %</th><th>retaliation %</th></tr></thead><tbody>{rows}</tbody></table>"
    )


@solara.component
def TeamView(game_id: str, team: str) -> None:
    version, set_version = solara.use_state(None)
    Poll(game_id, set_version, team)
    game = store().games[game_id]
    last = game.last_move(team)
    rates, set_rates = solara.use_state(
        {f"t_{r}": last.tariffs.get(r, 0.0) for r in game.rivals(team)}
        | {f"r_{r}": last.retaliation.get(r, 0.0) for r in game.rivals(team)}
    )
    error, set_error = solara.use_state("")
    Heading(f"You are the government of {team} (game {game_id})", 3)
    mandate = MANDATES[game.mandates.get(team, "prices")]
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<b>Your mandate: {html.escape(mandate.title)}.</b> "
        f"{html.escape(mandate.brief)}",
        classes=["mandate"],
        style="padding:0.5rem; background:#fff7e6; border-left:3px solid #ff7f0e",
    )
    board = store().results(game_id)
    if board is not None:
        lines = why(game, board, team)
        if lines:
            Heading(f"Why your numbers moved in round {game.round}", 5)
            for line in lines:
                solara.Text(line, classes=["why"], style="display:block; font-size:0.9rem")
    if game.finished:
        solara.Info("The game is over.")
    elif team in game.removed:
        solara.Warning("The teacher took your team out of the game.")
    else:
        event = game.event_before(game.round + 1)
        if event is not None:
            solara.Warning(f"Next quarter — {event.title}: {event.text}", classes=["event"])
        waiting = [t for t in game.active() if t not in game.pending]
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
                    # the label above the slider: beside it, it leaves a phone's track 0 px wide
                    solara.Text(f"{label}: {rates[name]:g}%", style="display:block")
                    solara.SliderFloat(
                        "",
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
    version, set_version = solara.use_state(None)
    Poll(game_id, set_version)
    shown, set_shown = solara.use_state("")  # the one team whose code is on screen
    confirm_end, set_confirm_end = solara.use_state(False)
    confirm_remove, set_confirm_remove = solara.use_state("")
    game = store().games[game_id]
    connected = store().connected(game_id)
    Heading(f"Teacher of game {game_id}", 3)
    solara.Text(
        "This page's address is your way back in: keep it to yourself (it holds the teacher "
        "code). Hand out team codes one by one with Show code.",
        style=SMALL,
    )
    for team in game.teams:
        out = team in game.removed
        status = (
            "removed"
            if out
            else ("connected" if team in connected else "not connected")
            + (" · moved" if team in game.pending else "")
        )
        mandate = MANDATES[game.mandates.get(team, "prices")].title
        with solara.Row(style="align-items:center; flex-wrap:wrap; gap:0.3rem"):
            solara.Text(
                f"{team} — {mandate} — {status}",
                classes=["team-status"],
                style="min-width: 16rem",
            )
            if not out:
                if shown == team:
                    solara.Text(
                        game.teams[team],
                        classes=["join-code", f"join-code-{team}"],
                        style="font: 1.3rem monospace; padding: 0 0.5rem",
                    )
                    solara.Button("Hide", on_click=lambda: set_shown(""), text=True)
                else:
                    solara.Button(
                        "Show code",
                        on_click=lambda t=team: set_shown(t),
                        text=True,
                        classes=[f"show-code-{team}"],
                    )
                if confirm_remove == team:
                    solara.Button(
                        f"Yes, remove {team}",
                        on_click=lambda t=team: (
                            store().remove(game_id, t),
                            set_confirm_remove(""),
                        ),
                        color="error",
                        classes=["confirm-remove"],
                    )
                    solara.Button("No", on_click=lambda: set_confirm_remove(""), text=True)
                else:
                    solara.Button(
                        "Remove", on_click=lambda t=team: set_confirm_remove(t), text=True
                    )
    if not game.finished:
        event = game.event_before(game.round + 1)
        if event is not None:
            solara.Warning(f"Before round {game.round + 1} — {event.title}: {event.text}")
        played = game.round

        def play() -> None:
            store().advance(game_id, expected_round=played)  # a second click is a no-op

        with solara.Row(style="flex-wrap: wrap"):
            solara.Button(
                f"Play round {played + 1} now",
                on_click=play,
                color="primary",
                classes=["advance"],
            )
            if confirm_end:
                solara.Button(
                    "Yes, end the game",
                    on_click=lambda: (store().end(game_id), set_confirm_end(False)),
                    color="error",
                    classes=["confirm-end"],
                )
                solara.Button("No, keep playing", on_click=lambda: set_confirm_end(False))
            else:
                solara.Button(
                    "End the game…",
                    on_click=lambda: set_confirm_end(True),
                    outlined=True,
                    classes=["end-game"],
                )
    solara.FileDownload(
        lambda: store().games[game_id].scenario_yaml(),
        f"game_{game_id.lower()}.yaml",
        "The game as a scenario (YAML)",
    )
    Scoreboard(game_id, version)


@solara.component
def GameLobby(on_join) -> None:
    chosen, set_chosen = solara.use_state(["USA", "CHN", "EU"])
    rounds, set_rounds = solara.use_state(4)
    code, set_code = solara.use_state("")
    error, set_error = solara.use_state("")

    def toggle(government: str, on: bool) -> None:
        keep_ = {g for g in chosen if g != government} | ({government} if on else set())
        set_chosen([g for g in GOVERNMENTS if g in keep_])

    def open_game() -> None:
        try:
            game = store().open(list(chosen), rounds=rounds, teacher_code=code)
        except ScenarioError as exc:
            set_error(str(exc))
            return
        on_join(game.teacher_code)

    with solara.ColumnsResponsive(12, medium=[6, 6]):
        with solara.Card("Team or teacher: join with a code", margin=0):
            solara.InputText("Join code", value=join_code, continuous_update=True)
            solara.Button("Join", on_click=lambda: on_join(join_code.value), classes=["join"])
        with solara.Card("Teacher: open a game", margin=0):
            solara.InputText(
                "Teacher code",
                value=code,
                on_value=set_code,
                password=True,
                continuous_update=True,
            )
            solara.Text(
                "The teacher code is printed when the server starts (or set with "
                "tradesim dashboard --teacher-code).",
                style=SMALL,
            )
            solara.Text("Governments playing:", style="display:block")
            with solara.Row(style="flex-wrap: wrap"):
                for gov in GOVERNMENTS:
                    solara.Checkbox(
                        label=gov,
                        value=gov in chosen,
                        on_value=lambda on, g=gov: toggle(g, on),
                    )
            solara.Text(f"Rounds (quarters from 2025 Q1): {rounds}", style="display:block")
            solara.SliderInt("", value=rounds, min=1, max=8, on_value=set_rounds)
            solara.Button(
                "Open the game", on_click=open_game, color="primary", classes=["open-game"]
            )
            if error:
                solara.Error(error, classes=["open-error"])


def _code_in(search: str | None) -> str:
    """The join code in the page's address (``?code=…``), if any."""
    for part in (search or "").split("&"):
        key, _, value = part.partition("=")
        if key == "code":
            return "".join(c for c in value if c.isalnum())[:12]
    return ""


@solara.component
def TariffWar() -> None:
    router = solara.use_router()
    error, set_error = solara.use_state("")
    found = store().find(_code_in(router.search))

    def join(code: str) -> None:
        if store().find(code or "") is None:
            set_error(f"No game has the code {code!r}.")
            return
        set_error("")
        router.push(f"{router.path or '/'}?code={code.strip().upper()}")

    if found is None:
        GameLobby(join)
        if error:
            solara.Error(error, classes=["join-error"])
        return
    game, team = found
    if team is None:
        TeacherView(game.id)
    else:
        TeamView(game.id, team)
    solara.Button("Leave", on_click=lambda: router.push(router.path or "/"), text=True)


@solara.component
def Page() -> None:
    solara.Title("tradesim classroom")
    router = solara.use_router()
    in_game = bool(_code_in(router.search))
    tab, set_tab = solara.use_state(1 if in_game else 0)
    solara.Style(  # warnings in dark orange: Vuetify's light orange on cream is hard to read
        ".v-slider{min-width:8rem} body{overflow-x:hidden}"
        # a margin around the page, and the levers' labels one width, so that their tracks
        # start together and do not move as the value in the label grows
        ".v-application--wrap{padding:0 1rem}"
        "@media (max-width:600px){.v-application--wrap{padding:0 0.4rem} h2{font-size:1.2rem}}"
        ".v-input__slider .v-input__slot>.v-label{min-width:6.2em}"
        ".long-labels .v-input__slider .v-input__slot>.v-label{min-width:10.5em}"
        ".v-alert.warning--text{color:#8a4500!important}"
        "@media (max-width:600px){.v-card{padding:4px!important}}"
    )
    Heading(f"tradesim — trade policy in the classroom (v{__version__})", 2)
    with solara.lab.Tabs(value=tab, on_value=set_tab):
        solara.lab.Tab("Explore")
        solara.lab.Tab("Tariff war")
    if tab == 0:
        Explore()
    else:
        TariffWar()
