"""Students' sessions on one server: a session whose tab vanished is freed after
``--session-timeout`` (a live one is not), and students queued behind the server's one worker
see their place in the queue count down.

The dashboard server runs in a child process started as ``tradesim dashboard`` starts it
(:func:`simulator.dashboard.server.serve`), with a session timeout of a few seconds instead of
minutes. Two students run in headless Chromium; one tab then vanishes: it closes without the
close message a tab sends as it goes (opened with Solara's ``solara-no-close-beacon``), so the
server sees only its connection drop, as when a laptop's lid shuts or its network goes. The
child (tests/session_server.py) answers, through a pipe, which run views are still alive in
the server's memory (:class:`~simulator.dashboard.runs.RunView`: what a kept run holds), and
holds or releases its run worker, so that students join the queue in the order the test sets.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import re
import socket
import time
import urllib.request

import pytest
import session_server
from browsers import CHROMIUM, ONE_AT_A_TIME, require, set_slider

require("solara", what="browser tests")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = ONE_AT_A_TIME

SESSION_TIMEOUT = 3.0  # seconds, in place of the 3 minutes a classroom server uses
TIMEOUT = 30_000  # ms, for the page


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server in a child process; yields its address and a function asking for its views."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ours, theirs = multiprocessing.Pipe()
    context = multiprocessing.get_context("spawn")
    games = str(tmp_path_factory.mktemp("games"))
    child = context.Process(
        target=session_server.serve, args=(port, games, f"{SESSION_TIMEOUT:g}s", theirs)
    )
    child.start()
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):
            break
        if not child.is_alive() or time.monotonic() - started > 60:
            child.kill()
            pytest.fail("the dashboard did not start")
        time.sleep(0.2)

    def ask(question: str):
        ours.send(question)
        return ours.recv()

    yield url, ask
    ours.send("stop")
    child.join(10)
    if child.is_alive():
        child.kill()


def _student(browser, address: str, china_steps: int) -> Page:
    """A student's tab that ran us_2025 once, with ``china_steps`` × 5 points on China."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(address)
    page.locator(".run-button").wait_for()
    set_slider(page.get_by_role("slider").nth(2), 5 * china_steps)  # China
    page.locator(".run-button").click()
    expect(page.locator(".tradesim-headline")).to_have_count(1, timeout=TIMEOUT)
    return page


def test_a_vanished_tab_is_freed_after_the_timeout_and_a_live_one_is_kept(server):
    url, ask = server

    def views() -> list[str]:
        return ask("views")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        gone = _student(browser, f"{url}?solara-no-close-beacon", china_steps=1)
        live = _student(browser, url, china_steps=0)
        before = views()
        vanishing = [v for v in before if "+5% on CHN" in v]
        staying = [v for v in before if "none changed" in v]
        assert len(vanishing) == 1 and len(staying) == 1, before

        gone.context.close()
        vanished = time.monotonic()
        assert vanishing[0] in views()  # a dropped connection alone frees nothing: it may return
        while vanishing[0] in views() and time.monotonic() - vanished < SESSION_TIMEOUT + 20:
            time.sleep(0.5)
        freed_after = time.monotonic() - vanished
        after = views()
        print(f"the vanished tab's run freed {freed_after:.1f} s after it vanished")
        assert vanishing[0] not in after, "the vanished tab's run is still in the server"
        assert freed_after >= SESSION_TIMEOUT - 0.5  # by the timeout, not at the disconnect
        assert after == staying  # the live session keeps its run ...
        live.locator(".year-selector").get_by_text("2026").click()  # ... and still answers
        expect(live.locator(".tradesim-headline")).to_contain_text("in 2026")
        browser.close()


NOTES = """() => {
    window.queueNotes = [];
    new MutationObserver(() => {
        const note = document.querySelector('.queue-note');
        const text = note ? note.textContent : '';
        if (text && text !== window.queueNotes.at(-1)) window.queueNotes.push(text);
    }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
"""Records every text the page's queue note shows (a poll from the test could miss one)."""


def test_students_see_their_place_in_the_queue_as_runs_finish(server, tmp_path):
    url, ask = server
    students = 5  # more than the server's one worker can take at once
    # the first and the last student run uploads, each of which goes alone; the three us_2025
    # runs between them differ only in tariffs, so they go to the worker together as one batch
    uploads = {0: tmp_path / "upload.yaml", students - 1: tmp_path / "other.yaml"}
    uploads[0].write_text("extends: us_2025\nname: upload\nend: 2028-12\nfirms:\n  count: 200000\n")
    uploads[students - 1].write_text("extends: us_2025\nname: other\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        pages = []
        for k in range(students):
            page = browser.new_context(viewport={"width": 1024, "height": 800}).new_page()
            page.set_default_timeout(TIMEOUT)
            page.goto(url)
            page.locator(".run-button").wait_for()
            if k in uploads:
                page.locator("input[type=file]").set_input_files(str(uploads[k]))
                expect(
                    page.get_by_text(f"Using the uploaded file {uploads[k].name}")
                ).to_be_visible()
                # the upload resets the levers: move one only after that, or the reset can
                # undo the move (it did on a loaded CI machine)
                expect(page.get_by_text(f"Levers reset to {uploads[k].stem}'s own")).to_be_visible()
            eu = page.get_by_role("slider").nth(3)  # different levers: no result is shared
            set_slider(eu, 5 * (k + 1))
            expect(page.get_by_text(f"EU: +{5 * (k + 1)}")).to_be_visible()
            page.evaluate(NOTES)
            pages.append(page)
        # the worker is held while the students click, one at a time, each waiting until the
        # server has queued the click: clicks in separate tabs reach it in no set order
        assert ask("hold") == "held"
        for k, page in enumerate(pages):
            page.locator(".run-button").click()
            expect(page.locator(".queue-note")).to_contain_text(f"In the queue: {k} run")
        started = time.monotonic()
        assert ask("release") == "released"
        for page in pages:
            expect(page.locator(".tradesim-headline")).to_have_count(1, timeout=TIMEOUT)
        elapsed = time.monotonic() - started
        notes = [page.evaluate("window.queueNotes") for page in pages]
        browser.close()
    print(f"{students} runs through one worker in {elapsed:.1f} s; they saw {notes}")
    ahead = [
        [int(m.group(1)) for note in seen if (m := re.search(r"(\d+) runs? ahead", note))]
        for seen in notes
    ]
    for k, (seen, places) in enumerate(zip(notes, ahead, strict=True)):
        assert places[0] == k, seen  # behind everyone who clicked before
        assert places == sorted(places, reverse=True), seen  # never further back
        assert "Running…" in seen, seen  # its own turn came
        batch_note = "the server makes 1 batch of up to 8 runs at a time"
        assert all(batch_note in n for n in seen if "ahead" in n), seen
    # the first upload went alone, then the three us_2025 runs as one batch: none of them saw
    # its place count down; the last student's place counted down as the first upload finished
    assert ahead[:-1] == [[k] for k in range(students - 1)], notes
    assert ahead[-1] == [students - 1, students - 2], notes[-1]
