"""``tradesim report``: one self-contained HTML file a teacher can post or print.

Plots are embedded as base64 PNGs and the styles are inline: the page loads nothing from
anywhere, so it opens offline. For several runs they stand side by side, after a comparison
table. The file carries a ``<meta name="generator" content="tradesim ...">`` tag (:data:`MARKER`):
``tradesim report`` writes it with :func:`simulator.results.output.write_text_atomically`, which
replaces an existing file only if it carries that tag (or with ``--force``).
"""

from __future__ import annotations

import base64
import html
import io
import json
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
       max-width: 1400px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; } h4 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; }
.runs { display: grid; gap: 1.5rem;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 430px), 1fr)); }
.run { min-width: 0; }
.note { color: #555; font-size: 0.85rem; }
code { background: #f3f3f3; padding: 0 0.2rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  .run, figure, table { break-inside: avoid; }
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
    numeric = re.fullmatch(r"[−+-]?[\d,.]+%?|—", text.strip()) is not None
    return f"<{tag}{' class=num' if numeric else ''}>{_inline(text.strip())}</{tag}>"


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
                "<table><thead><tr>"
                + "".join(_cell(c, "th") for c in head)
                + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(_cell(c, "td") for c in r) + "</tr>" for r in body)
                + "</tbody></table>"
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
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


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


def _provenance(result: SimulationResult) -> str:
    p = result.provenance
    rows = {
        "scenario": p.scenario,
        "scenario file": p.scenario_file or "(built in memory)",
        "scenario sha256": p.scenario_sha256,
        "seed": p.seed,
        "data set": p.data,
        "tradesim": p.tradesim_version,
        **p.versions,
    }
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows.items()
    )
    return f"<h4>Provenance</h4><table>{body}</table>"


def _run_section(run: ReportRun) -> str:
    from simulator.results.plots import save_run_plots

    result = run.result
    with tempfile.TemporaryDirectory() as folder:
        plots = [_png_file(p, p.stem) for p in save_run_plots(result, Path(folder))]
    return (
        '<section class="run">'
        + markdown_to_html(result.summary(), shift=2)
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
    return markdown_to_html(comparison.markdown(), shift=1) + "".join(
        f"<figure>{img}</figure>" for img in plots
    )


def build_report(runs: list[ReportRun], title: str | None = None) -> str:
    """The whole HTML page for one or more runs."""
    names = [r.result.scenario.name for r in runs]
    title = title or "tradesim report: " + ", ".join(names)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{html.escape(GENERATOR)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="note">Written by tradesim, an agent-based simulator of trade policy. '
        "Money is in US dollars at customs value; months are calendar months.</p>",
    ]
    if len(runs) > 1:
        parts.append(_comparison(runs))
    heading = "Runs side by side" if len(runs) > 1 else "The run"
    parts.append(f"<h2>{heading}</h2>")
    parts.append('<div class="runs">' + "".join(_run_section(r) for r in runs) + "</div>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
