"""``tradesim report``: one self-contained HTML file a teacher can post or print.

Plots are embedded as base64 PNGs and the styles are inline: the page loads nothing from
anywhere, so it opens offline. For several runs, a comparison table and plots come first,
then each run in a tab of its own (radio buttons and CSS, no script; printed, the runs follow
one another and headings stay with what follows them). The page fits a phone's width: a table
wider than the screen scrolls in its own box. Files are named relative to the scenario's
folder, never by the absolute paths of the machine that wrote the report. The file carries a
``<meta name="generator" content="tradesim ...">`` tag (:data:`MARKER`): ``tradesim report``
writes it with :func:`simulator.results.output.write_text_atomically`, which replaces an
existing file only if it carries that tag (or with ``--force``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulator.results.incidence import annual_incidence, who_pays_figure
from simulator.results.result import SimulationResult
from simulator.scenario import LoadedScenario, ScenarioError, load_scenario
from simulator.version import __version__

BN = 1e9
GENERATOR = f"tradesim {__version__}"
MARKER = '<meta name="generator" content="tradesim'
"""What marks a page as tradesim's report, so that a later report may replace it."""

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; } h4 { font-size: 1rem; }
h1, h2, h3, h4, p, li { overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* a table wider than the screen scrolls in its own box; the shadow at a side says there is
   more to see that way */
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5rem 0 1rem;
  background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)) left / 2rem 100%,
              linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) right / 2rem 100%,
              radial-gradient(farthest-side at 0 50%, rgba(0,0,0,.25), rgba(0,0,0,0))
                left / 0.8rem 100%,
              radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.25), rgba(0,0,0,0))
                right / 0.8rem 100%;
  background-repeat: no-repeat; background-attachment: local, local, scroll, scroll; }
.scroll > table { margin: 0; }
/* the row labels stay in view while a wide table scrolls */
.scroll tr > :first-child { position: sticky; left: 0; background: #fff;
  box-shadow: inset -1px 0 #ccc; }
@media (max-width: 600px) {
  body { padding: 0 0.6rem; margin-top: 1rem; }
  table { font-size: 0.78rem; }
  th, td { padding: 0.15rem 0.35rem; }
}
figure { margin: 1rem 0; }
img { display: block; max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.85rem; }
code { background: #f3f3f3; padding: 0 0.2rem; overflow-wrap: break-word; }
/* several runs: one tab each (radio buttons and labels, no script) */
.tabs > input { position: absolute; opacity: 0; pointer-events: none; }
.tabs > label { display: inline-block; margin: 0 0.2rem 0.3rem 0; padding: 0.35rem 0.9rem;
  border: 1px solid #bbb; border-radius: 0.4rem; background: #f3f3f3; cursor: pointer; }
.tabs > input:checked + label { background: #224; border-color: #224; color: #fff; }
.tabs > input:focus-visible + label { outline: 2px solid #48f; outline-offset: 2px; }
.tabs > .run { display: none; border-top: 1px solid #ccc; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  h2, h3, h4 { break-inside: avoid; }
  figure, img, tr, li { break-inside: avoid; page-break-inside: avoid; }
  img { max-height: 12cm; width: auto; margin: 0 auto; }
  .keep { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  table { font-size: 7.5pt; width: 100%; }
  th, td { padding: 0.1rem 0.3rem; }
  .scroll { overflow: visible; background: none; }
  .scroll tr > :first-child { position: static; box-shadow: none; }
  .tabs > input, .tabs > label, .screen { display: none; }
  .tabs > .run { display: block; border-top: none; }
  code { background: none; padding: 0; }
}
"""


@dataclass
class ReportRun:
    """A run to report, with the same world without its tariffs (for the deadweight loss)."""

    result: SimulationResult
    counterfactual: SimulationResult | None = None


def scenario_of_run(folder: Path) -> tuple[LoadedScenario, int]:
    """The scenario and seed that made a ``tradesim run`` output folder (its provenance).

    The scenario file, with the run's recorded ``--set`` overrides, must still hash to what
    the run recorded, so the report shows the run that is in the folder; a file edited since
    is refused.
    """
    path = folder / "provenance.json"
    try:
        if path.stat().st_size > 1_000_000:
            raise ValueError("too large")
        provenance = json.loads(path.read_text(encoding="utf-8"))
        file, sha, seed = (
            provenance["scenario_file"],
            provenance["scenario_sha256"],
            int(provenance["seed"]),
        )
        overrides = [str(o) for o in provenance.get("overrides") or []]
    except (OSError, ValueError, KeyError, TypeError):
        raise ScenarioError.simple(
            "not a provenance file written by tradesim run", file=str(path)
        ) from None
    if not file:
        raise ScenarioError.simple(
            "the run was made from a scenario built in Python, not a file; report the scenario "
            "instead",
            file=str(path),
        )
    loaded = load_scenario(file, overrides)
    if loaded.sha256 != sha:
        raise ScenarioError.simple(
            f"the run in {folder} was made from a different version of {file} (edited since); "
            "name the scenario instead",
            file=str(path),
        )
    return loaded, seed


# -- building the page ---------------------------------------------------------------------


def _png(fig, alt: str) -> str:
    """A matplotlib figure as an ``<img>`` with a base64 data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _png_file(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _inline(text: str) -> str:
    """Escape text and render Markdown's `code` and **bold**."""
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _cell(text: str, tag: str) -> str:
    """A table cell; long ids (``reciprocal_baseline_eu_japan``) may break after an
    underscore, so that a wide table fits a phone or a printed page."""
    numeric = re.fullmatch(r"[−+-]?[\d,.]+%?|—", text.strip()) is not None
    inner = _inline(text.strip()).replace("_", "_<wbr>")
    return f"<{tag}{' class=num' if numeric else ''}>{inner}</{tag}>"


def _line_kind(line: str, heading: bool) -> str | None:
    if heading:
        return "h"
    if line.startswith("- "):
        return "ul"
    if line.startswith("|"):
        return "table"
    return "p" if line.strip() else None


def markdown_to_html(text: str, shift: int = 1) -> str:
    """The Markdown that tradesim's summaries use (headings, lists, tables, paragraphs) as
    HTML; headings move down ``shift`` levels."""
    out: list[str] = []
    block: list[str] = []
    kind = None

    def flush() -> None:
        nonlocal kind
        if kind == "ul":
            out.append("<ul>" + "".join(f"<li>{_inline(x)}</li>" for x in block) + "</ul>")
        elif kind == "table":
            rows = [r.strip().strip("|").split("|") for r in block if not re.match(r"^\|[-:|]+", r)]
            head, body = rows[0], rows[1:]
            out.append(
                '<div class="scroll"><table><thead><tr>'
                + "".join(_cell(c, "th") for c in head)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(_cell(c, "td") for c in r) + "</tr>" for r in body)
                + "</tbody></table></div>"
            )
        elif kind == "p":
            out.append(f"<p>{_inline(' '.join(block))}</p>")
        block.clear()
        kind = None

    for line in text.splitlines():
        heading = re.match(r"^(#{1,5}) (.*)", line)
        new = _line_kind(line, heading is not None)
        if new != kind or new == "h":
            flush()
        if heading:
            level = min(len(heading.group(1)) + shift, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif new is not None:
            kind = new
            block.append(line[2:] if new == "ul" else line)
    flush()
    return "\n".join(out)


def _table(frame: pd.DataFrame, fmt: str = "{:,.1f}") -> str:
    head = "<th></th>" + "".join(f"<th class=num>{html.escape(str(c))}</th>" for c in frame)
    rows = []
    for index, row in frame.iterrows():
        cells = "".join(
            "<td class=num>—</td>" if v != v else f"<td class=num>{fmt.format(v)}</td>" for v in row
        )
        rows.append(f"<tr><th>{html.escape(str(index))}</th>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _who_pays(run: ReportRun) -> str:
    table = annual_incidence(run.result, run.counterfactual)
    title = f"Who pays for US tariffs — {run.result.scenario.name}"
    if table.empty or table.drop(columns="buyers_share").abs().max().max() < 1e-3 * BN:
        return "<h4>Who pays</h4><p>No tariffs above their 2024 rates: nobody pays extra.</p>"
    shown = (table.drop(columns="buyers_share") / BN).rename(
        columns={
            "buyers_cost": "US buyers, $bn",
            "exporters_absorbed": "foreign exporters, $bn",
            "extra_duty": "extra duty, $bn",
            "deadweight_loss": "deadweight loss, $bn",
            "exporters_burden_abroad": "US exporters (retaliation), $bn",
        }
    )
    shown["buyers' share, %"] = 100 * table["buyers_share"]
    return (
        "<h4>Who pays</h4>"
        + _png(who_pays_figure(table, title), title)
        + _table(shown.T)
        + '<p class="note">Tariffs above their 2024 rates. Buyers pay the rise in '
        "duty-inclusive import prices, exporters absorb the fall in their prices (pass-through); "
        "the deadweight loss is the trade lost against the same scenario without tariffs "
        "(docs/mechanisms.md, 'Who pays').</p>"
    )


def shown_paths(result: SimulationResult) -> dict[str, str]:
    """The scenario's files as the report names them: relative to the scenario's folder.

    A report is posted and printed: it names ``us_2025.yaml`` or ``../shared/base.yaml``,
    never the folders of the machine that wrote it (a home folder, a virtual environment).
    Maps each absolute path in the provenance (the file, the files it extends) to its name.
    """
    p = result.provenance
    files = [f for f in [p.scenario_file, *p.scenario_chain] if f]
    if not files:
        return {}
    folder = Path(files[0]).parent
    shown = {}
    for f in files:
        try:
            shown[f] = Path(os.path.relpath(f, folder)).as_posix()
        except ValueError:  # another drive (Windows): its name alone
            shown[f] = Path(f).name
    return shown


def _without_paths(text: str, result: SimulationResult) -> str:
    """``text`` with the scenario's absolute paths replaced by :func:`shown_paths`' names."""
    for path, name in sorted(shown_paths(result).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(path, name)
    return text


def _provenance(result: SimulationResult) -> str:
    p = result.provenance
    names = shown_paths(result)
    rows = {
        "scenario": p.scenario,
        "scenario file": names.get(p.scenario_file or "", "(built in memory)"),
        "scenario sha256": p.scenario_sha256,
        "seed": p.seed,
        "data set": p.data,
        "tradesim": p.tradesim_version,
        **p.versions,
    }
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows.items()
    )
    table = f'<div class="scroll"><table>{body}</table></div>'
    return f'<div class="keep"><h4>Provenance</h4>{table}</div>'


def _run_section(run: ReportRun, css_class: str = "run") -> str:
    from simulator.results.plots import save_run_plots

    result = run.result
    with tempfile.TemporaryDirectory() as folder:
        plots = [_png_file(p, p.stem) for p in save_run_plots(result, Path(folder))]
    return (
        f'<section class="{css_class}">'
        + markdown_to_html(_without_paths(result.summary(), result), shift=2)
        + "".join(f"<figure>{img}</figure>" for img in plots)
        + _who_pays(run)
        + _provenance(result)
        + "</section>"
    )


def _comparison(runs: list[ReportRun]) -> str:
    from simulator.results.compare import Comparison, save_comparison_plots

    comparison = Comparison([r.result for r in runs], baseline="baseline")
    with tempfile.TemporaryDirectory() as folder:
        plots = [_png_file(p, p.stem) for p in save_comparison_plots(comparison, Path(folder))]
    text = comparison.markdown()
    for run in runs:
        text = _without_paths(text, run.result)
    return markdown_to_html(text, shift=1) + "".join(f"<figure>{img}</figure>" for img in plots)


def build_report(runs: list[ReportRun], title: str | None = None) -> str:
    """The whole HTML page for one or more runs."""
    names = [r.result.scenario.name for r in runs]
    title = title or "tradesim report: " + ", ".join(names)
    style = STYLE + "".join(
        f"#run-{k}:checked ~ .run-{k} {{ display: block; }}\n" for k in range(1, len(runs) + 1)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{html.escape(GENERATOR)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{style}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="note">Written by tradesim, an agent-based simulator of trade policy. '
        "Money is in US dollars at customs value; months are calendar months.</p>",
    ]
    if len(runs) > 1:
        parts.append(_comparison(runs))
    if len(runs) == 1:
        parts.append("<h2>The run</h2>" + _run_section(runs[0]))
    else:  # one tab per run on screen, one after the other on paper
        tabs = "".join(
            f'<input type="radio" name="run" id="run-{k}"{" checked" if k == 1 else ""}>'
            f'<label for="run-{k}">{html.escape(name)}</label>'
            for k, name in enumerate(names, start=1)
        )
        sections = "".join(_run_section(r, f"run run-{k}") for k, r in enumerate(runs, start=1))
        parts.append(
            '<div class="tabs"><h2>The runs</h2>'
            '<p class="note screen">One tab per run; printed, the runs follow one another.</p>'
            f"{tabs}{sections}</div>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)
