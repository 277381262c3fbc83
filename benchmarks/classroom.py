"""A class on one dashboard server: 30 students, 4 runs each, everyone clicking Run together.

By default it drives the server's run machinery (the worker pool and its queue,
:mod:`simulator.dashboard.runs`) from 30 threads, one per student, as the page does. With
``--browser`` it starts ``tradesim dashboard`` in a subprocess and drives it with headless
Chromium (Playwright, Debian's /usr/bin/chromium): one browser context (one session) per
student. In both, student ``i`` sets the China lever to ``5 * (i % 6)`` and the EU lever to
``5 * (i // 6 % 6)`` points and adds 5 points on autos before each later run, so the 120 runs
all differ (up to 36 students) and no result is shared between students; their common
no-tariff world is (legitimately: same scenario, levers and seed). Prints:

- the time from the first click to the first result of each student and to the last of the
  120 results;
- bytes per kept run (the pickled view) and memory (RSS of the server or this process and
  the worker processes) with 120 runs kept and after every tab closes (with ``--browser``:
  every 20 s until it is below 400 MB or 5 minutes have passed).

    python benchmarks/classroom.py [--students 30] [--runs 4] [--workers N] [--browser]

With ``--browser`` the browser runs on the same two cores as the server, so times include its
rendering work (30 Chromium pages weigh more than the server).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import psutil

CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """RSS of the server and its children (the run workers), MB."""
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 1e6


def pool_main(args) -> int:
    """The server's run machinery without browsers: 30 sessions as threads, each clicking Run
    4 times (the next click when its result arrives), all starting together."""
    import threading

    from simulator.dashboard.levers import Levers
    from simulator.dashboard.runs import Limits, RunPool, _trim, run_child

    pid = os.getpid()
    _trim()
    print(f"before: RSS {rss_mb(pid):,.0f} MB (this process, engine imported)")
    pool = RunPool(workers=args.workers)
    pool.warm()
    print(f"{pool.workers} workers up: RSS {rss_mb(pid):,.0f} MB (with workers)")
    kept: list[list] = [[] for _ in range(args.students)]
    firsts: list[float] = [0.0] * args.students
    gate = threading.Barrier(args.students + 1)

    def student(i: int) -> None:
        gate.wait()
        for r in range(args.runs):
            levers = Levers(china_rate=5 * (i % 6), eu_rate=5 * (i // 6 % 6), autos_rate=5 * r)
            run_child("us_2025", levers, f"s{i}_run_{r}", Limits())  # as the page checks first
            ticket = pool.submit("us_2025", levers, f"s{i}_run_{r}", Limits())
            kept[i].append(ticket.result())
            if r == 0:
                firsts[i] = time.monotonic()

    threads = [threading.Thread(target=student, args=(i,)) for i in range(args.students)]
    for t in threads:
        t.start()
    t0 = time.monotonic()
    gate.wait()
    for t in threads:
        t.join()
    last = time.monotonic() - t0
    total = sum(len(k) for k in kept)
    print(
        f"first run of all {args.students} students (clicked together): last result after "
        f"{max(firsts) - t0:.1f} s"
    )
    print(f"all {total} runs: last result after {last:.1f} s ({total / last:.2f} runs/s)")
    sizes = ", ".join(f"{n} of {size}" for size, n in sorted(pool.batch_sizes.items()))
    print(f"batches given to the workers (how many of each size): {sizes}")
    print(f"RSS with {total} runs kept: {rss_mb(pid):,.0f} MB (this process and workers)")
    print(f"bytes of the {total} kept views: {sum(v.nbytes() for k in kept for v in k):,}")
    kept.clear()
    pool.shutdown()
    _trim()
    print(f"after the sessions' runs are dropped and the workers stop: RSS {rss_mb(pid):,.0f} MB")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--session-timeout", default="1m")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="drive a real server with headless Chromium, one context per student",
    )
    args = parser.parse_args()

    import pickle

    from simulator.dashboard.levers import Levers, run_levers
    from simulator.dashboard.runs import Limits, compute

    levers = Levers(china_rate=50)
    view = compute("us_2025", levers, "bench", Limits())
    old = run_levers("us_2025", levers, "bench")  # what a page kept before: model and all
    print(
        f"bytes per kept run: {view.nbytes():,} (view of what the page shows); "
        f"{len(pickle.dumps(old)):,} for the whole run with its model (as kept before)"
    )
    del old
    if not args.browser:
        return pool_main(args)

    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    games = tempfile.mkdtemp(prefix="tradesim-bench-games-")
    command = [sys.executable, "-m", "simulator.cli", "dashboard", "--port", str(port)]
    command += ["--game-dir", games, "--session-timeout", args.session_timeout]
    if args.workers:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(3)  # the workers start with the server
        print(f"server up; RSS {rss_mb(server.pid):,.0f} MB (server and workers)")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            pages = []
            for i in range(args.students):
                context = browser.new_context(viewport={"width": 1024, "height": 800})
                page = context.new_page()
                page.set_default_timeout(120_000)
                page.goto(url)
                page.locator(".run-button").wait_for()
                # a different pair of China and EU levers for each student (few key presses)
                for slider, presses in ((2, i % 6), (3, (i // 6) % 6)):
                    handle = page.get_by_role("slider").nth(slider)
                    handle.focus()
                    for _ in range(presses):
                        handle.press("ArrowRight")
                pages.append(page)
            print(f"{len(pages)} students connected; RSS {rss_mb(server.pid):,.0f} MB")

            done = [0] * len(pages)
            clicked = [0] * len(pages)
            first_result = [None] * len(pages)
            started = time.monotonic()
            for k, page in enumerate(pages):
                page.locator(".run-button").click()
                clicked[k] = 1
            while min(done) < args.runs:
                for k, page in enumerate(pages):
                    if done[k] >= args.runs:
                        continue
                    count = page.locator(".tradesim-headline").count()
                    if count >= done[k] + 1:
                        done[k] += 1
                        if first_result[k] is None:
                            first_result[k] = time.monotonic() - started
                        if done[k] < args.runs:
                            autos = page.get_by_role("slider").nth(0)
                            autos.focus()
                            autos.press("ArrowRight")
                            page.locator(".run-button").click()
                    if time.monotonic() - started > 900:
                        raise SystemExit("gave up after 15 minutes")
                time.sleep(0.05)
            last = time.monotonic() - started
            wave = max(first_result)
            total = args.students * args.runs
            print(
                f"first run of all {args.students} students (clicked together): last result "
                f"after {wave:.1f} s"
            )
            print(
                f"all {total} runs ({args.runs} each, next click on each result): last "
                f"result after {last:.1f} s"
            )
            kept = rss_mb(server.pid)
            print(f"RSS with {total} runs kept: {kept:,.0f} MB")
            for page in pages:
                page.close(run_before_unload=True)
                page.context.close()
            browser.close()
        closed = time.monotonic()
        while True:
            time.sleep(20)
            now = rss_mb(server.pid)
            print(f"{time.monotonic() - closed:4.0f} s after every tab closed: RSS {now:,.0f} MB")
            if now < 400 or time.monotonic() - closed > 300:
                break
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
