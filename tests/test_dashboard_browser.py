"""The dashboard, the game and the report in a real browser (headless Chromium + Playwright).

They need the ``dashboard`` extra, Playwright and Debian's ``chromium``; ``.ci/run`` installs
them. Without them a plain ``pytest`` skips these tests and says why, except in CI
(``CI=true``), where a missing browser is a failure. Screenshots go to the test's folder.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browsers import CHROMIUM, ONE_AT_A_TIME, require

require("solara", what="browser tests")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = ONE_AT_A_TIME

TIMEOUT = 30_000  # ms: generous for a shared CI machine
TEACHER = "TEACH9"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``tradesim dashboard`` in a subprocess on a free port; stopped after the tests."""
    port = _free_port()
    games = tmp_path_factory.mktemp("games")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "simulator.cli", "dashboard", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--game-dir", str(games), "--teacher-code", TEACHER],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() - started > 60:
            proc.kill()
            pytest.fail(f"the dashboard did not start: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    startup = time.monotonic() - started
    yield url, startup
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM)
        yield b
        b.close()


def _open(browser: Browser, url: str, width: int = 1400) -> tuple[Page, list[str]]:
    """A page in a fresh context (a separate session), recording requests to other hosts."""
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    foreign: list[str] = []
    page.on(
        "request",
        lambda r: (
            foreign.append(r.url)
            if not r.url.startswith((url, "data:", "blob:", "ws://127.0.0.1", "about:"))
            else None
        ),
    )
    page.goto(url)
    page.locator(".run-button").wait_for()
    return page, foreign


def _headlines(page: Page, count: int) -> list[str]:
    expect(page.locator(".tradesim-headline")).to_have_count(count, timeout=TIMEOUT)
    return page.locator(".tradesim-headline").all_inner_texts()


def _balance(headline: str) -> float:
    word, value = re.search(r"US trade (deficit|surplus) is \$([\d,.]+)bn", headline).groups()
    return float(value.replace(",", "")) * (-1 if word == "deficit" else 1)


def test_dashboard_runs_and_a_lever_changes_the_numbers(server, browser, tmp_path):
    url, startup = server
    assert startup < 20  # the goal is < 5 s on an idle machine; CI shares two cores
    page, foreign = _open(browser, url)
    started = time.monotonic()
    page.locator(".run-button").click()
    first = _headlines(page, 1)
    expect(page.locator("iframe.tradesim-plot")).to_have_count(1)
    elapsed = time.monotonic() - started
    page.screenshot(path=tmp_path / "explore_run1.png")
    print(f"first run shown in {elapsed:.1f} s; server up in {startup:.1f} s")
    assert "Run 1: in 2025" in first[0]  # us_2025 opens on 2025
    # the plot is drawn by plotly (served by the app) and shows values on hover
    frame = page.frame_locator("iframe.tradesim-plot")
    expect(frame.locator(".js-plotly-plot")).to_have_count(1, timeout=TIMEOUT)

    # China: +50 (ten steps of 5 from the keyboard) and run again
    china = page.get_by_role("slider").nth(2)
    china.focus()
    for _ in range(10):
        china.press("ArrowRight")
    expect(page.get_by_text("China: +50")).to_be_visible()
    page.locator(".run-button").click()
    both = _headlines(page, 2)
    page.screenshot(path=tmp_path / "explore_run2.png")
    assert _balance(both[1]) != _balance(both[0])
    assert page.get_by_text("+50% on CHN").count() >= 1  # the run says what changed
    plot = page.locator("iframe.tradesim-plot").get_attribute("srcdoc")
    page.get_by_role("button", name="Who pays").click()
    expect(page.locator("iframe.tradesim-plot")).not_to_have_attribute("srcdoc", plot)
    page.screenshot(path=tmp_path / "explore_who_pays.png")
    assert foreign == []  # offline: nothing loaded from anywhere else

    # another browser (another session) starts with no runs of its own
    other, _ = _open(browser, url)
    expect(other.get_by_text("Move the levers and press Run")).to_be_visible()
    other.context.close()
    page.context.close()


def test_a_bad_uploaded_file_shows_its_error_and_runs_nothing(server, browser, tmp_path):
    url, _ = server
    page, _ = _open(browser, url)
    bad = tmp_path / "my_tariffs.yaml"
    bad.write_text("extends: baseline\ntariffs:\n  - imposer: USA\n    rate: -5\n")
    page.locator("input[type=file]").set_input_files(str(bad))
    error = page.locator(".upload-error")
    expect(error).to_contain_text("my_tariffs.yaml:4", timeout=TIMEOUT)
    expect(error).to_contain_text("negative")
    expect(page.locator(".run-button")).to_be_disabled()
    page.screenshot(path=tmp_path / "upload_error.png")
    assert page.locator(".tradesim-headline").count() == 0

    # within the schema but beyond this server's limits: refused before it runs, with the reason
    big = tmp_path / "huge.yaml"
    big.write_text("extends: baseline\nfirms:\n  count: 50000000\n")
    page.locator("input[type=file]").set_input_files(str(big))
    expect(page.get_by_text("Using the uploaded file huge.yaml")).to_be_visible(timeout=TIMEOUT)
    page.locator(".run-button").click()
    expect(page.locator(".run-error")).to_contain_text("50,000,000 firms", timeout=TIMEOUT)
    expect(page.locator(".run-error")).to_contain_text("at most 200,000")
    assert page.locator(".tradesim-headline").count() == 0
    page.context.close()


def test_an_upload_that_extends_us_2025_is_drawn_beside_the_published_months(
    server, browser, tmp_path
):
    url, _ = server
    page, foreign = _open(browser, url)
    mine = tmp_path / "my_2025.yaml"
    mine.write_text("extends: us_2025\nname: my_2025\ndescription: us_2025, my way\n")
    page.locator("input[type=file]").set_input_files(str(mine))
    expect(page.get_by_text("Using the uploaded file my_2025.yaml")).to_be_visible()
    page.locator(".run-button").click()
    _headlines(page, 1)
    page.get_by_role("button", name="US trade").click()
    expect(page.locator("iframe.tradesim-plot")).to_have_attribute("title", re.compile("US trade"))
    expect(page.get_by_text("Dotted orange: the published monthly figures")).to_be_visible()
    legend = page.frame_locator("iframe.tradesim-plot").locator(".legendtext")
    expect(legend.filter(has_text="published (Census/BEA)")).to_have_count(1)
    page.locator("iframe.tradesim-plot").screenshot(path=tmp_path / "upload_us_trade.png")
    assert foreign == []
    page.context.close()


def _join(page: Page, code: str) -> None:
    page.get_by_label("Join code").fill(code)
    page.locator(".join").click()


def _move(page: Page, steps: int) -> None:
    tariff = page.get_by_role("slider").first
    tariff.focus()
    for _ in range(steps):
        tariff.press("ArrowRight")
    page.locator(".submit-move").click()


def _open_game(page: Page, teams: list[str], rounds: int) -> dict[str, str]:
    """Open a game as the teacher; returns the team codes, read one by one with Show code."""
    page.get_by_text("Tariff war").click()
    page.get_by_label("Teacher code").fill(TEACHER)
    for gov in ("USA", "CHN", "EU", "MEX", "CAN", "JPN"):
        box = page.locator("label", has_text=re.compile(f"^{gov}$"))
        ticked = page.get_by_role("checkbox", name=gov).is_checked()
        if ticked != (gov in teams):
            box.click()
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(abs(rounds - 4)):
        slider.press("ArrowRight" if rounds > 4 else "ArrowLeft")
    # the server has the number of rounds before the game opens (a key press it had not yet
    # handled made a shorter game, whose Play round button was gone before the test's last)
    expect(page.get_by_text(f"Rounds (quarters from 2025 Q1): {rounds}")).to_be_visible()
    page.locator(".open-game").click()
    expect(page.get_by_text("Teacher of game")).to_be_visible()
    expect(page.get_by_text(f"Round 1 of {rounds}")).to_be_visible()
    assert "code=" in page.url  # the teacher's way back in
    codes = {}
    for team in teams:
        page.locator(f".show-code-{team}").click()
        expect(page.locator(f".join-code-{team}")).to_be_visible()
        expect(page.locator(".join-code")).to_have_count(1)  # one code on screen at a time
        codes[team] = page.locator(f".join-code-{team}").inner_text().strip()
    page.get_by_role("button", name="Hide").click()
    return codes


def test_teams_play_rejoin_after_a_reload_and_play_round_is_guarded(server, browser, tmp_path):
    url, _ = server
    teacher, foreign = _open(browser, url)
    codes = _open_game(teacher, ["USA", "CHN"], 2)
    teacher.screenshot(path=tmp_path / "game_teacher.png")

    usa, foreign_usa = _open(browser, url)
    usa.get_by_text("Tariff war").click()
    _join(usa, codes["USA"])
    expect(usa.get_by_text("You are the government of USA")).to_be_visible()
    expect(usa.locator(".mandate")).to_contain_text("Your mandate")
    usa.reload()  # a reload rejoins through the page's address
    expect(usa.get_by_text("You are the government of USA")).to_be_visible(timeout=TIMEOUT)
    usa_status = teacher.locator(".team-status", has_text="USA")
    expect(usa_status).to_contain_text("USA — ")
    expect(usa_status).not_to_contain_text("not connected", timeout=TIMEOUT)
    expect(teacher.locator(".team-status", has_text="CHN")).to_contain_text("not connected")

    _move(usa, 4)
    expect(usa.locator(".move-status")).to_contain_text("Waiting for: CHN")
    advance = teacher.locator(".advance")
    advance.dblclick()  # a double click plays one round, not two
    expect(teacher.get_by_text("played: 1")).to_be_visible(timeout=TIMEOUT)
    teacher.wait_for_timeout(1500)
    expect(teacher.get_by_text("played: 1")).to_be_visible()
    expect(usa.get_by_text("played: 1")).to_be_visible(timeout=TIMEOUT)
    expect(usa.locator(".why").first).to_be_visible()
    teacher.locator(".end-game").click()  # asks first
    expect(teacher.locator(".confirm-end")).to_be_visible()
    expect(teacher.get_by_text("game over")).to_have_count(0)
    teacher.locator(".confirm-end").click()
    expect(usa.get_by_text("game over")).to_be_visible(timeout=TIMEOUT)
    usa.screenshot(path=tmp_path / "game_usa.png")
    assert foreign == [] and foreign_usa == []
    usa.context.close()
    teacher.context.close()


def test_a_team_on_a_phone_moves_every_slider(server, browser, tmp_path):
    url, _ = server
    teacher, _ = _open(browser, url)
    codes = _open_game(teacher, ["USA", "CHN", "EU"], 1)
    phone, foreign = _open(browser, url, width=390)
    phone.get_by_text("Tariff war").click()
    _join(phone, codes["EU"])
    expect(phone.get_by_text("You are the government of EU")).to_be_visible()
    sliders = phone.get_by_role("slider")
    expect(sliders).to_have_count(4)  # tariff and retaliation on each of two rivals
    phone.screenshot(path=tmp_path / "game_phone.png")
    for k in range(4):
        slider = sliders.nth(k)
        track = phone.locator(".v-slider__track-container").nth(k).bounding_box()
        assert track["width"] > 150 and track["x"] + track["width"] <= 390  # movable, on screen
        slider.focus()
        slider.press("ArrowRight")
        expect(slider).to_have_attribute("aria-valuenow", "5")
    phone.screenshot(path=tmp_path / "game_phone.png")
    teacher.locator(".advance").click()  # the scoreboard: every cell inside the phone's screen
    expect(phone.get_by_text("played: 1")).to_be_visible(timeout=TIMEOUT)
    cells = phone.locator(".board th, .board td")
    expect(cells.first).to_be_visible()
    # every cell's box read in one step in the page: the board may be drawn again (a poll)
    # between two looks from here, and a cell looked up before it would be gone
    boxes = cells.evaluate_all(
        "cells => cells.map(c => { const r = c.getBoundingClientRect(); return [r.x, r.width]; })"
    )
    assert boxes and all(x >= 0 and x + width <= 390 + 0.5 for x, width in boxes), boxes
    phone.screenshot(path=tmp_path / "game_phone_board.png", full_page=True)
    assert foreign == []
    phone.context.close()
    teacher.context.close()


def test_six_teams_eight_rounds_round_times_do_not_grow(server, browser, tmp_path):
    url, _ = server
    teacher, foreign = _open(browser, url)
    _open_game(teacher, ["USA", "CHN", "EU", "MEX", "CAN", "JPN"], 8)
    times = []
    for r in range(1, 9):
        started = time.monotonic()
        teacher.locator(".advance").click()
        expect(teacher.get_by_text(f"played: {r}")).to_be_visible(timeout=TIMEOUT)
        expect(teacher.locator(".scoreboard")).to_be_visible()
        times.append(time.monotonic() - started)
    print("round times, s:", [round(t, 2) for t in times])
    assert max(times[-3:]) < 2 * max(times[:3]) + 1.0  # no re-run from the start
    board = teacher.locator(".scoreboard").inner_text()
    assert "−0.000" not in board and "-0.000" not in board and "e-" not in board
    teacher.screenshot(path=tmp_path / "game_six_teams.png")
    assert foreign == []
    teacher.context.close()


def test_description_year_selector_and_phone_layout(server, browser, tmp_path):
    url, _ = server
    page, foreign = _open(browser, url, width=390)
    expect(page.locator(".scenario-description")).to_contain_text("2025 US tariff timeline")
    page.locator(".run-button").click()
    _headlines(page, 1)
    expect(page.locator(".year-selector")).to_contain_text("2025")
    boxes = page.locator(".key-table th, .key-table td, .tradesim-headline").evaluate_all(
        "cells => cells.map(c => { const r = c.getBoundingClientRect(); return [r.x, r.width]; })"
    )  # read in one step in the page (see the game's board above)
    assert boxes and all(x >= 0 and x + width <= 390 + 0.5 for x, width in boxes), boxes
    page.screenshot(path=tmp_path / "explore_phone.png", full_page=True)
    page.locator(".year-selector").get_by_text("2026").click()
    expect(page.locator(".tradesim-headline")).to_contain_text("in 2026")
    # a new scenario resets the levers and says so
    page.get_by_label("Bundled scenario").click(force=True)
    page.get_by_role("option", name="truce").click()
    expect(page.locator(".scenario-description")).to_contain_text("truce")
    expect(page.locator(".lever-note")).to_contain_text("Levers reset")
    assert foreign == []
    page.context.close()


def test_report_opens_offline_with_no_requests(browser, tmp_path):
    from simulator.cli import main

    out = tmp_path / "report.html"
    assert main(["report", "baseline", "--set", "firms.count=0", "--out", str(out), "-q"]) == 0
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(Path(out).as_uri())
    assert page.locator("img").count() >= 4  # the standard plots of a run
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert min(widths) > 100  # every embedded plot decodes
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []
    page.screenshot(path=tmp_path / "report.png")
    context.close()
