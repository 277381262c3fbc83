"""``tradesim run`` draws its plots in a forked worker process: the same PNGs, nothing left
running, a failure reported and nothing written; ``--no-csv`` leaves out the CSV copies."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

import simulator
from simulator.results import plotworker
from simulator.results.drawing import PlotJob

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="the worker is forked"
)

RUN = ["run", "autos_25", "--set", "end=2025-12", "--set", "firms.count=0", "-q"]


def _run(out: Path, worker: bool) -> dict:
    """``tradesim run`` in a fresh interpreter; whether it loaded matplotlib itself, and which
    processes it left."""
    script = (
        "import gc, json, multiprocessing, sys\n"
        "from simulator.cli import main\n"
        f"code = main({[*RUN, '--out', str(out)]!r})\n"
        "print(json.dumps({'code': code, 'matplotlib': 'matplotlib' in sys.modules,\n"
        "                  'children': len(multiprocessing.active_children()),\n"
        "                  'collecting': gc.isenabled() and gc.get_freeze_count() == 0}))\n"
    )
    env = {**os.environ, "TRADESIM_PLOT_WORKER": "1" if worker else "0"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(Path(simulator.__file__).resolve().parents[1])},
        check=True,
        cwd=out.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pixels(path: Path):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(path))


def test_the_worker_draws_the_same_plots_and_the_run_imports_no_matplotlib(tmp_path):
    import numpy as np

    drawn = _run(tmp_path / "worker", worker=True)
    alone = _run(tmp_path / "alone", worker=False)
    # the caller gets garbage collection back as it was (the run turns it off meanwhile)
    assert drawn == {"code": 0, "matplotlib": False, "children": 0, "collecting": True}
    assert alone == {"code": 0, "matplotlib": True, "children": 0, "collecting": True}
    pngs = sorted(p.name for p in (tmp_path / "alone").glob("*.png"))
    assert len(pngs) >= 5
    assert sorted(p.name for p in (tmp_path / "worker").glob("*.png")) == pngs
    for name in pngs:
        a, b = _pixels(tmp_path / "alone" / name), _pixels(tmp_path / "worker" / name)
        assert a.shape == b.shape and np.array_equal(a, b), name
    # every file is listed and hashed in provenance.json, plots included
    provenance = json.loads((tmp_path / "worker" / "provenance.json").read_text())
    assert set(pngs) <= set(provenance["files"]) == set(provenance["sha256"])


def _fails(inputs: dict, path: Path) -> Path:
    raise RuntimeError("no ink left")


def _writes(inputs: dict, path: Path) -> Path:
    path.write_text(inputs["text"])
    return path


def test_a_failed_plot_is_reported_and_the_worker_ends(tmp_path):
    worker = plotworker.PlotWorker()
    try:
        worker.submit([PlotJob("a.txt", _writes, {"text": "a"})], tmp_path)
        assert worker.wait() == [tmp_path / "a.txt"]
        worker.submit([PlotJob("b.txt", _fails, {})], tmp_path)
        with pytest.raises(plotworker.PlotWorkerError, match="no ink left"):
            worker.wait()
    finally:
        worker.close()
    assert multiprocessing.active_children() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_cancel_stops_a_worker_at_once(tmp_path):
    worker = plotworker.PlotWorker()
    worker.submit([PlotJob("a.txt", _writes, {"text": "a"})], tmp_path)
    worker.cancel()
    worker.close()
    assert multiprocessing.active_children() == []


def _sleeps(inputs: dict, path: Path) -> Path:
    import time

    time.sleep(inputs["seconds"])
    return path


def _drawers(worker: plotworker.PlotWorker) -> list[int]:
    """The processes the worker forked (its second drawer)."""
    pid = worker._process.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int, within: float = 10.0) -> bool:
    """Whether ``pid`` has ended within seconds (a zombie waiting for init to reap it has)."""
    import time

    deadline = time.monotonic() + within
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
@pytest.mark.parametrize("stop", ["close", "cancel"])
def test_two_drawers_share_the_plots_and_end_with_the_worker(tmp_path, stop):
    worker = plotworker.PlotWorker(drawers=2)
    try:
        names = [f"{k}.txt" for k in range(3)]
        worker.submit([PlotJob(n, _writes, {"text": n}) for n in names], tmp_path)
        assert worker.wait() == [tmp_path / n for n in names]  # in the order submitted
        (drawer,) = _drawers(worker)
        worker.submit([PlotJob(f"{k}.slow", _sleeps, {"seconds": 30}) for k in range(2)], tmp_path)
        getattr(worker, stop)()  # close while drawing stops at once, like cancel
    finally:
        worker.close()
    assert _gone(drawer)
    assert multiprocessing.active_children() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == names


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel ends the drawer")
def test_a_drawer_busy_drawing_ends_when_its_worker_is_killed_outright(tmp_path):
    import signal

    worker = plotworker.PlotWorker(drawers=2)
    try:
        worker.submit([PlotJob("a.txt", _writes, {"text": "a"})], tmp_path)
        worker.wait()
        (drawer,) = _drawers(worker)
        worker.submit([PlotJob(f"{k}.slow", _sleeps, {"seconds": 30}) for k in range(2)], tmp_path)
        os.kill(worker._process.pid, signal.SIGKILL)  # no handler runs: the drawer is not told
        assert _gone(drawer)
    finally:
        worker.close()


def test_no_csv_writes_parquet_only(tmp_path):
    from simulator.cli import main

    out = tmp_path / "run"
    assert main([*RUN, "--out", str(out), "--no-csv"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"trade.parquet", "macro.parquet", "summary.md"} <= names
    assert not {n for n in names if n.endswith(".csv")}


@pytest.mark.parametrize("child_fails", [False, True])
def test_the_baseline_run_beside_the_scenario_gives_its_tables(monkeypatch, child_fails):
    """tradesim run runs the baseline in a forked child; if the child fails, the run runs it
    itself. Either way its tables are those of the baseline run here, and no child is left."""
    from simulator import cli
    from simulator.scenario import load_scenario

    item = load_scenario("autos_25", ["end=2025-06", "firms.count=0"])
    if child_fails:
        monkeypatch.setattr(cli, "_send_baseline", lambda item, conn: None)  # sends nothing
    background = cli._BackgroundBaseline(item)
    assert multiprocessing.active_children() != [] or threading.active_count() > 1
    tables = background.tables()
    assert multiprocessing.active_children() == []
    here = cli._baseline_for(item)
    assert tables.scenario == here.scenario
    pd.testing.assert_frame_equal(tables.trade, here.trade, check_exact=True)
    pd.testing.assert_frame_equal(tables.macro, here.macro, check_exact=True)
    pd.testing.assert_frame_equal(tables.annual(), here.annual(), check_exact=True)
