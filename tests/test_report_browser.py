"""``tradesim report`` in a real browser (headless Chromium + Playwright): it names no
absolute path, fits a 390, 1024 and 1400 px window, shows several runs in tabs without a
script, and prints (to PDF) in few pages with none nearly blank and no heading left alone at
the foot of a page.

Needs Playwright, Debian's ``chromium`` and pypdfium2 (which reads the PDF's pages and draws
them); without them a plain ``pytest`` skips these tests and says why, except in CI
(``CI=true``), where a missing one is a failure. The PDFs and screenshots go to the test's
folder.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest
from browsers import CHROMIUM, ONE_AT_A_TIME, require

require("pypdfium2", what="report browser tests")

import pypdfium2 as pdfium  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from simulator.cli import main  # noqa: E402

pytestmark = ONE_AT_A_TIME

FAST = ["--set", "firms.count=0"]
WIDTHS = (390, 1024, 1400)
# printed on A4: main (3c91c3d) printed us_2025 on 13 pages and the three on 29, with nearly
# blank pages and headings at their foot; this layout needs 12 and 22 (room left for a section)
MAX_PAGES = {"single": 14, "three": 26}
INK = 200  # a pixel darker than this (0-255 grey) is ink
MIN_INK = 0.004  # a page with less of its area inked is nearly blank
MIN_FILL = 0.5  # every page but the last is filled at least to half its height
MEAN_FILL = 0.8  # and on average to four fifths (main's pages: 0.83 and 0.76)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    made = {}
    for name, scenarios in {
        "single": ["us_2025"],
        "three": ["baseline", "autos_25", "steel_50"],
    }.items():
        out = folder / f"{name}.html"
        assert main(["report", *scenarios, "--out", str(out), "-q", *FAST]) == 0
        made[name] = out
    return made


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def _without_data_uris(text: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", text)


def test_the_report_names_no_absolute_path(reports):
    from simulator.scenario import load_scenario

    folders = {
        str(Path.cwd()),
        str(Path.home()),
        sys.prefix,
        str(reports["single"].parent),
        str(load_scenario("us_2025").path.parent),
    }
    for out in reports.values():
        text = html.unescape(_without_data_uris(out.read_text(encoding="utf-8")))
        for folder in folders:
            assert folder not in text, f"{out.name} names {folder}"
        # nothing that reads as an absolute path: '/x/y' after a space, quote, bracket or '>'
        assert re.findall(r"""[\s"'`(>]/[\w.-]+/""", text) == [], out.name
        # the scenarios are named: bundled ones by their names, as provenance records them
        assert re.search(r"Scenario file: <code>(us_2025|baseline|autos_25|steel_50)</code>", text)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_report_fits_the_window(reports, browser, width):
    for name, out in reports.items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(out.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        shown = page.eval_on_selector_all(
            "img", "els => els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect())"
        )
        assert shown, name
        for box in shown:
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, name
            # plots as wide as the window allows (they were about 230 px in a 1,400 px one)
            assert box["width"] >= min(0.85 * (width - 40), 800), (name, box["width"])
        page.screenshot(path=out.with_name(f"{name}-{width}.png"), full_page=True)
        context.close()


def test_several_runs_are_tabs_without_a_script(reports, browser):
    out = reports["three"]
    assert "<script" not in out.read_text(encoding="utf-8")
    viewport = {"width": 1400, "height": 900}
    context = browser.new_context(viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    page.goto(out.as_uri())
    runs = page.locator(".tabs > .run")
    assert runs.count() == 3
    assert [runs.nth(k).is_visible() for k in range(3)] == [True, False, False]
    page.click("label[for=run-3]")
    assert [runs.nth(k).is_visible() for k in range(3)] == [False, False, True]
    assert "steel_50" in runs.nth(2).locator("h3").first.inner_text()
    context.close()


def _headings(out: Path) -> set[str]:
    text = out.read_text(encoding="utf-8")
    found = re.findall(r"<h([1-4])>(.*?)</h\1>", text, flags=re.S)
    return {html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for _, h in found}


def _pages(pdf_path: Path, headings: set[str]) -> list[dict]:
    """Each page's ink (share of its area), how far down it is filled (share of its height)
    and the headings with nothing under them on the page."""
    import numpy as np

    scale = 0.5
    pages = []
    pdf = pdfium.PdfDocument(pdf_path)
    for page in pdf:
        height = page.get_size()[1]
        grey = np.asarray(page.render(scale=scale).to_pil().convert("L"))
        inked = grey < INK
        rows = np.flatnonzero(inked.any(axis=1))
        text = page.get_textpage()
        chars = range(text.count_chars())
        weights = [pdfium.raw.FPDFText_GetFontWeight(text.raw, i) for i in chars]
        sizes = [pdfium.raw.FPDFText_GetFontSize(text.raw, i) for i in chars]
        body_weight = float(np.median(weights)) if weights else 0.0
        body_size = float(np.median(sizes)) if sizes else 0.0
        alone = []
        for heading in headings:
            searcher = text.search(heading, match_case=True, match_whole_word=True)
            while (hit := searcher.get_next()) is not None:
                index, count = hit
                before = text.get_text_range(index - 1, 1) if index > 0 else "\n"
                after = text.get_text_range(index + count, 1)
                if before not in ("\n", "\r") or after not in ("", "\r", "\n"):
                    continue  # part of a line, not a heading of its own
                boxes = [text.get_charbox(index + k) for k in range(count)]
                # points from the page's foot (a space has an empty box)
                bottom = min(b[1] for b in boxes if b[3] > b[1])
                bold = pdfium.raw.FPDFText_GetFontWeight(text.raw, index) > body_weight + 100
                large = pdfium.raw.FPDFText_GetFontSize(text.raw, index) > 1.15 * body_size
                if not (bold or large):
                    continue  # the same words in running text, not the heading
                below = inked[int((height - bottom + 4) * scale) :]
                if below.any(axis=1).sum() < 7 * scale:  # not even a line of text under it
                    alone.append(heading)
        pages.append(
            {
                "ink": inked.mean(),
                "filled": (rows[-1] + 1) / inked.shape[0] if len(rows) else 0.0,
                "alone": alone,
            }
        )
    pdf.close()
    return pages


@pytest.mark.parametrize("name", ["single", "three"])
def test_the_report_prints_without_blank_pages_or_orphaned_headings(reports, browser, name):
    out = reports[name]
    context = browser.new_context()
    page = context.new_page()
    page.goto(out.as_uri())
    pdf_path = out.with_suffix(".pdf")
    page.pdf(path=str(pdf_path), format="A4", print_background=True)
    context.close()
    pages = _pages(pdf_path, _headings(out))
    assert 2 <= len(pages) <= MAX_PAGES[name], len(pages)
    mean_fill = sum(p["filled"] for p in pages[:-1]) / (len(pages) - 1)
    assert mean_fill >= MEAN_FILL, [round(float(p["filled"]), 2) for p in pages]
    for number, p in enumerate(pages, start=1):
        assert p["ink"] >= MIN_INK, f"page {number} of {len(pages)} is nearly blank: {p}"
        if number < len(pages):
            assert p["filled"] >= MIN_FILL, f"page {number} of {len(pages)} is half empty: {p}"
        assert not p["alone"], f"page {number}: headings at its foot {p['alone']}"
