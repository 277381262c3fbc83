"""Nothing lost, even then (issue 25): forged provenance, version-control folders, files
written during a run, killed runs, full disks and runaway sizes. Each case runs against real
folders; each failed on main before the fix."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.cli import EXIT_OUTPUT, main

TINY = """\
name: tiny
start: 2024-01
end: 2024-03
firms: {count: 0}
outputs: {plots: false, formats: [csv]}
"""


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git/" not in p.as_posix()
    }


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    return tmp_path


# -- 1. a provenance that does not list and checksum every file proves nothing --------------


def test_a_forged_provenance_does_not_make_a_users_folder_tradesims(workdir, capsys):
    homework = workdir / "homework"
    homework.mkdir()
    (homework / "essay.docx").write_bytes(b"PK\x03\x04 my essay, due Friday")
    forged = {"tradesim_version": "0.1.0", "scenario": "x"}
    (homework / "provenance.json").write_text(json.dumps(forged))
    before = tree(homework)
    assert main(["run", "tiny.yaml", "--out", "homework"]) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert "holds files tradesim did not write" in err and "essay.docx" in err
    assert tree(homework) == before
    # a provenance that names tradesim and lists the file, without its checksum: still refused
    forged = {"generator": "tradesim", "files": ["essay.docx"], "sha256": {}}
    (homework / "provenance.json").write_text(json.dumps(forged))
    assert main(["run", "tiny.yaml", "--out", "homework"]) == EXIT_OUTPUT
    assert (homework / "essay.docx").read_bytes().startswith(b"PK")


def test_a_real_output_folder_is_still_replaced(workdir):
    assert main(["run", "tiny.yaml", "-q", "--out", "out/a"]) == 0
    assert main(["run", "tiny.yaml", "-q", "--out", "out/a", "--seed", "4"]) == 0
    assert json.loads((workdir / "out/a/provenance.json").read_text())["seed"] == 4


# -- 2. --force never replaces a repository, nor files git tracks ---------------------------


@pytest.fixture
def repo(workdir: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=workdir, check=True, capture_output=True)

    git("init", "-q")
    (workdir / "docs").mkdir()
    (workdir / "docs" / "index.md").write_text("# the project's docs\n")
    git("add", "docs", "tiny.yaml")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "docs")
    return workdir


@pytest.mark.parametrize("out", [".git", ".git/objects", "docs"])
def test_force_never_replaces_a_repository_or_its_tracked_files(out, repo, capsys):
    before = tree(repo)
    assert main(["run", "tiny.yaml", "--out", out, "--force"]) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert "even with --force" in err and "Traceback" not in err
    assert tree(repo) == before
    status = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True)
    assert status.returncode == 0 and status.stdout == b""


def test_force_never_replaces_a_folder_holding_a_repository(repo, capsys):
    nested = repo / "work" / "clone"
    nested.mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=nested, check=True)
    assert main(["run", "tiny.yaml", "--out", "work", "--force"]) == EXIT_OUTPUT
    assert "holds" in capsys.readouterr().err and (nested / ".git" / "HEAD").is_file()
    # an untracked folder of a user's files in the repository is still replaced with --force
    (repo / "scratch").mkdir()
    (repo / "scratch" / "old.txt").write_text("x")
    assert main(["run", "tiny.yaml", "-q", "--out", "scratch", "--force"]) == 0
    assert not (repo / "scratch" / "old.txt").exists()


# -- 3. files that appear in the output folder while the run goes are kept -----------------


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("force", [False, True])
def test_a_file_written_into_the_output_folder_during_the_run_is_kept(
    existing, force, workdir, capsys, monkeypatch
):
    from simulator.results.result import SimulationResult

    out = workdir / "race"
    if existing:
        assert main(["run", "tiny.yaml", "-q", "--out", "race"]) == 0
    summary = SimulationResult.summary

    def summary_and_a_note(self, baseline=None):  # the user saves a note while files are written
        out.mkdir(exist_ok=True)
        (out / "note.txt").write_text("written during the run")
        return summary(self, baseline)

    monkeypatch.setattr(SimulationResult, "summary", summary_and_a_note)
    before = tree(out) if existing else {}
    argv = ["run", "tiny.yaml", "-q", "--out", "race", *(["--force"] if force else [])]
    assert main(argv) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert "note.txt appeared or changed in the folder while tradesim ran" in err
    assert (out / "note.txt").read_text() == "written during the run"
    assert {k: v for k, v in tree(out).items() if k != "note.txt"} == before
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".")) == []


def test_force_does_not_cover_a_file_added_while_the_model_ran(workdir, capsys, monkeypatch):
    import simulator.api

    (workdir / "race").mkdir()
    (workdir / "race" / "old.txt").write_text("agreed to replace")
    run_scenario = simulator.api.run_scenario

    def run_and_a_note(*args, **kwargs):
        (workdir / "race" / "note.txt").write_text("written during the run")
        return run_scenario(*args, **kwargs)

    monkeypatch.setattr(simulator.api, "run_scenario", run_and_a_note)
    assert main(["run", "tiny.yaml", "-q", "--out", "race", "--force"]) == EXIT_OUTPUT
    assert (workdir / "race" / "note.txt").exists() and (workdir / "race" / "old.txt").exists()


# -- 4. a killed run's temporary folder is removed by the next run beside it -----------------


def test_a_killed_runs_temporary_folder_is_removed_by_the_next_run(workdir, capsys):
    slow = TINY.replace("2024-03", "2030-12").replace("count: 0", "count: 20000")
    (workdir / "slow.yaml").write_text(slow)
    command = [sys.executable, "-m", "simulator.cli", "run", "slow.yaml", "--out", "out/s", "-q"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(command, cwd=workdir, env=env, stderr=subprocess.PIPE)
    started = time.monotonic()
    temporaries: list[Path] = []
    while not temporaries and proc.poll() is None:
        assert time.monotonic() - started < 120
        temporaries = list((workdir / "out").glob(".s.*"))
        time.sleep(0.005)
    time.sleep(0.2)  # the run writes its files into it
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    debris = temporaries[0]
    assert debris.is_dir()  # SIGKILL: the run could not clean up
    assert main(["run", "tiny.yaml", "-q", "--out", "out/s"]) == 0
    err = capsys.readouterr().err
    assert f"removed {debris}, the unfinished outputs of a run that was killed" in err
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["s"]


def test_a_live_runs_temporary_folder_is_left_alone(workdir, capsys):
    from simulator.results.output import OWNER, _process_start

    live = workdir / "out" / ".s.live"
    live.mkdir(parents=True)
    pid = os.getppid()
    import socket

    owner = {"host": socket.gethostname(), "pid": pid, "start": _process_start(pid)}
    (live / OWNER).write_text(json.dumps(owner))
    (workdir / "out" / ".s.user").mkdir()  # a hidden folder of the user's, no owner file
    assert main(["run", "tiny.yaml", "-q", "--out", "out/s"]) == 0
    assert live.is_dir() and (workdir / "out" / ".s.user").is_dir()
    assert "removed" not in capsys.readouterr().err


# -- 5. a full disk: refused before with the figures, or one line and only whole runs --------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 4 MB file system (tmpfs), mounted for the test; skipped where mounting is not
    allowed (not root): the monkeypatched test below covers the same code there."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)]
    if os.geteuid() != 0 or subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write into ``folder`` until its disk is full."""
    with (folder / "filler").open("wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
        except OSError:
            pass


def test_a_run_that_cannot_fit_on_the_disk_is_refused_with_the_figures(small_disk, capsys):
    (small_disk / "tiny.yaml").write_text(TINY)
    started = time.monotonic()
    assert main(["run", "us_2025", "--out", str(small_disk / "run")]) == EXIT_OUTPUT
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert "needs about 21.2 MB on disk, and only 4.2 MB is free there" in err
    assert sorted(p.name for p in small_disk.iterdir()) == ["tiny.yaml"]


SWEEP = """\
scenario: tiny.yaml
method: grid
vary:
  parameters.pass_through: [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
"""


@pytest.mark.parametrize("command", ["ensemble", "sweep"])
def test_a_disk_that_fills_during_many_runs_gives_one_line_and_keeps_whole_runs(
    command, small_disk, monkeypatch, capsys
):
    import pandas as pd

    import simulator.cli

    monkeypatch.chdir(small_disk)
    (small_disk / "tiny.yaml").write_text(TINY)
    (small_disk / "sweep.yaml").write_text(SWEEP)

    class FillAfterTwo:  # the progress bar: after the second run, something else fills the disk
        def __init__(self, *args) -> None:
            pass

        filled = False

        def __call__(self, done: int, total: int) -> None:
            if done == 2 and not FillAfterTwo.filled:
                FillAfterTwo.filled = True
                fill(small_disk)

    monkeypatch.setattr(simulator.cli, "Progress", FillAfterTwo)
    argv = (
        ["run", "tiny.yaml", "--ensemble", "6", "--jobs", "1", "--out", "store"]
        if command == "ensemble"
        else ["sweep", "sweep.yaml", "--jobs", "1", "--out", "store"]
    )
    assert main(argv) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert err.startswith("tradesim: error: store: cannot write: No space left on device; 2 of 6")
    assert "Traceback" not in err and len(err.splitlines()) == 2
    runs = small_disk / "store" / "runs"
    assert sorted(p.name for p in runs.iterdir()) == ["run-000000.parquet", "run-000001.parquet"]
    assert len(pd.read_parquet(runs)) > 0  # each kept run is whole
    (small_disk / "filler").unlink()
    assert main(argv) == 0  # and the same command finishes the others
    assert len(list(runs.iterdir())) == 6


def test_a_failed_write_into_a_store_leaves_no_partial_file(workdir, monkeypatch, capsys):
    """The same without a small disk: the Parquet writer fails after writing part of a file."""
    import errno

    import pandas as pd

    to_parquet = pd.DataFrame.to_parquet
    calls = []

    def full_on_third(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            Path(path).write_bytes(b"PAR1 half a file")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return to_parquet(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full_on_third)
    argv = ["run", "tiny.yaml", "--ensemble", "4", "--jobs", "1", "--out", "store", "-q"]
    assert main(argv) == EXIT_OUTPUT
    assert "No space left on device; 2 of 4 runs are kept" in capsys.readouterr().err
    assert sorted(p.name for p in (workdir / "store" / "runs").iterdir()) == [
        "run-000000.parquet",
        "run-000001.parquet",
    ]


def test_a_killed_runs_partial_file_in_a_store_is_removed_on_resume(workdir, capsys):
    argv = ["run", "tiny.yaml", "--ensemble", "2", "--jobs", "1", "--out", "store", "-q"]
    assert main(argv) == 0
    runs = workdir / "store" / "runs"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (runs / f".run-000001.parquet.{dead.pid}-1.tmp").write_bytes(b"PAR1 half")
    (runs / "run-000001.parquet").unlink()
    assert main(argv) == 0
    assert sorted(p.name for p in runs.iterdir()) == ["run-000000.parquet", "run-000001.parquet"]


# -- 6. runaway sizes: estimated and refused (or asked about) before any work ---------------


LHS = """\
scenario: us_2025
method: latin_hypercube
samples: 1000000
vary:
  parameters.pass_through: {range: [0.5, 1.0]}
"""


def test_a_million_sample_sweep_is_refused_within_two_seconds(workdir, capsys):
    (workdir / "lhs.yaml").write_text(LHS)
    for argv in (["sweep", "lhs.yaml"], ["sweep", "lhs.yaml", "--yes"], ["validate", "lhs.yaml"]):
        started = time.monotonic()
        assert main(argv) == 2
        assert time.monotonic() - started < 2.0
        err = capsys.readouterr().err
        assert "1,000,000 runs, about" in err and "GB of memory" in err and "on disk" in err
        assert "hint: lower 'samples'" in err
    assert sorted(p.name for p in workdir.iterdir()) == ["lhs.yaml", "tiny.yaml"]


def test_a_billion_permutations_are_refused_within_two_seconds(workdir, capsys):
    argv = ["decompose", "us_2025", "--method", "sampled", "--permutations", "1000000000"]
    started = time.monotonic()
    assert main([*argv, "--yes"]) == 2
    assert time.monotonic() - started < 2.0
    err = capsys.readouterr().err
    assert "--permutations is 1,000,000,000" in err and "GB of memory" in err
    assert not (workdir / "out").exists()


def test_the_decompose_function_bounds_permutations_too():
    from simulator.analysis.decomposition import decompose
    from simulator.scenario import ScenarioError, load_scenario

    started = time.monotonic()
    with pytest.raises(ScenarioError, match="GB of memory"):
        decompose(load_scenario("us_2025"), load_scenario("baseline"), permutations=10**9)
    assert time.monotonic() - started < 2.0


def test_above_a_threshold_a_script_is_refused_without_yes(workdir, monkeypatch, capsys):
    from simulator.runs import budget

    monkeypatch.setattr(budget, "ASK_SECONDS", 0.001)  # so that two tiny runs pass it
    argv = ["run", "tiny.yaml", "--ensemble", "2", "--jobs", "1", "--out", "ens", "-q"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "an ensemble of tiny: 2 runs, about" in err and "time above an hour" in err
    assert "(measured here: a run of tiny took " in err and "for its first 3 months" in err
    assert "hint: add --yes to run it anyway, or lower --ensemble" in err
    assert not (workdir / "ens").exists()
    assert main([*argv, "--yes"]) == 0


def test_the_time_estimate_is_measured_on_the_scenario_here(workdir, monkeypatch):
    """A model that runs slower here (a busy machine) gives a longer estimate: the estimate
    times the scenario's own model and scales its months to the horizon, count and jobs."""
    from simulator.engine.worlds import Worlds
    from simulator.runs import budget
    from simulator.scenario import load_scenario

    loaded = load_scenario("tiny.yaml")  # 3 months
    quick = budget.measure(loaded)
    step = Worlds.step

    def slow_step(worlds: Worlds) -> None:
        time.sleep(0.1)
        step(worlds)

    monkeypatch.setattr(Worlds, "step", slow_step)
    slow = budget.measure(loaded)
    assert slow.seconds >= 3 * 0.1 > quick.seconds
    estimate = budget.many_runs("an ensemble of tiny", 1000, 3, jobs=1).timed(slow)
    assert estimate.seconds == pytest.approx(1000 * slow.seconds)
    assert "1,000 runs, about" in estimate.describe() and "measured here" in estimate.describe()


def test_sigterm_stops_a_decomposition_promptly(workdir):
    command = [sys.executable, "-m", "simulator.cli", "decompose", "us_2025", "--method", "exact"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [*command, "--yes", "--jobs", "2"], cwd=workdir, env=env, stderr=subprocess.PIPE
    )
    time.sleep(4)  # imported, planned and running on its pool
    if proc.poll() is not None:
        pytest.skip("the decomposition ended before it could be stopped")
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # a hung command would outlive the test
    assert time.monotonic() - stopped < 10.0  # 1-2 s on an idle machine
    assert proc.returncode == 128 + signal.SIGTERM
    assert b"terminated; nothing was written" in err
    assert not (workdir / "out").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ensemble", "1"], "an ensemble needs at least 2 runs"),
        (["--ensemble", "3", "--force"], "--force does not apply to an ensemble"),
    ],
)
def test_ensemble_arguments_that_would_mislead_are_refused(extra, message, workdir, capsys):
    assert main(["run", "tiny.yaml", *extra]) == 2
    assert message in capsys.readouterr().err
    assert not (workdir / "out").exists()


# -- 7. no invented history: a horizon starts in the base year or later ---------------------


def test_a_start_before_the_base_year_is_refused_at_its_line(workdir, capsys):
    (workdir / "back.yaml").write_text("extends: us_2025\nname: back\nstart: 2020-01\n")
    assert main(["run", "back.yaml"]) == 2
    err = capsys.readouterr().err
    assert "back.yaml:3:1: start: 'start' (2020-01) is before the base year" in err
    assert "start in 2024-01 or later" in err
    assert not (workdir / "out").exists()


def test_a_horizon_too_long_is_reported_at_the_end_line(workdir, capsys):
    (workdir / "long.yaml").write_text("extends: us_2025\nname: long\nend: 2090-12\n")
    assert main(["validate", "long.yaml"]) == 2
    assert "long.yaml:3:1: end: 'end' (2090-12) makes a horizon of 804 months" in (
        capsys.readouterr().err
    )


def test_the_reference_describes_start_and_end_and_that_name_is_optional():
    from simulator.scenario.export import reference_markdown

    text = reference_markdown()
    assert '| `start` | month `YYYY-MM` | `"2024-01"` | First month simulated.' in text
    assert '| `end` | month `YYYY-MM` | `"2027-12"` | Last month simulated' in text
    assert "| `name` | text (not empty) | the file's name |" in text


# -- 8. tracebacks in ordinary environments -------------------------------------------------


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None, shell: str | None = None):
    """Run ``python -m simulator.cli`` (this checkout) in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), **(env or {})}
    command = [sys.executable, "-m", "simulator.cli", *args]
    if shell is not None:
        command = ["sh", "-c", " ".join(f"'{c}'" for c in command) + shell]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("command", ["list", "schema"])
def test_a_closed_pipe_ends_quietly(command, tmp_path):
    done = cli(command, cwd=tmp_path, shell=" | head -1; exit ${PIPESTATUS:-0}")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1
    assert done.stderr == "", done.stderr


def test_a_terminal_that_cannot_print_an_arrow_does_not_crash(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "extends: autos_25\nname: mine\nfirms: {count: 0}\noutputs: {plots: false}\n"
    )
    done = cli("run", "mine.yaml", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "extending `" in done.stdout


def test_a_deleted_working_folder_is_one_line(tmp_path, monkeypatch, capsys):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert main(["run", "us_2025"]) == EXIT_OUTPUT
    assert "the working folder no longer exists" in capsys.readouterr().err


def test_validate_history_does_not_write_into_the_root(workdir, capsys):
    started = time.monotonic()
    assert main(["validate-history", "--out", "/"]) == EXIT_OUTPUT
    assert time.monotonic() - started < 2
    assert "is the root of the file system" in capsys.readouterr().err
    assert not Path("/validation.md").exists()


# -- 8. what ran, and which version ---------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def test_the_version_names_the_commit_of_a_checkout(workdir):
    import simulator
    from simulator.version import __version__, checkout_commit

    if Path(simulator.__file__).resolve().parents[1] != REPO:
        pytest.skip("testing an installed copy: see the next test")
    if checkout_commit(REPO) is None:
        pytest.skip("not a git checkout, or no git")
    # the commit when simulator was imported (a commit made since would differ): git knows it
    shown = re.fullmatch(r"0\.1\.0\+g([0-9a-f]{12})(\.dirty)?", __version__)
    assert shown, __version__
    known = ["git", "-C", str(REPO), "cat-file", "-e", f"{shown[1]}^{{commit}}"]
    assert subprocess.run(known).returncode == 0
    assert main(["run", "tiny.yaml", "-q"]) == 0
    provenance = json.loads((workdir / "out/tiny/provenance.json").read_text())
    assert provenance["tradesim_version"] == __version__


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout (as pip install . builds one)."""
    from simulator.version import checkout_commit

    if checkout_commit(REPO) is None or shutil.which("git") is None:
        pytest.skip("not a git checkout, or no git")
    folder = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "-q", "wheel", "--no-deps", "-w", str(folder)]
    built = subprocess.run([*command, str(REPO)], capture_output=True)
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr[-300:]!r}")
    return next(folder.glob("*.whl"))


def install(wheel: Path, target: Path) -> dict[str, str]:
    """Install the wheel into ``target``; the environment that imports it from there."""
    command = [sys.executable, "-m", "pip", "-q", "install", "--no-deps", "--target"]
    subprocess.run([*command, str(target), str(wheel)], check=True)
    return {**os.environ, "PYTHONPATH": str(target)}


def test_an_installed_copy_names_the_commit_it_was_built_from(wheel, tmp_path):
    from simulator.version import checkout_commit

    shown = subprocess.run(
        [sys.executable, "-c", "import simulator.version as v; print(v.__version__)"],
        cwd=tmp_path,
        env=install(wheel, tmp_path / "site"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == f"0.1.0+g{checkout_commit(REPO)}"


def test_the_same_run_installed_in_two_places_is_byte_identical(wheel, tmp_path):
    outputs = []
    for place in ("one", "elsewhere/two"):
        env = install(wheel, tmp_path / place / "site")
        work = tmp_path / place / "work"
        work.mkdir()
        command = [sys.executable, "-m", "simulator.cli", "run", "autos_25", "-q"]
        command += ["--set", "firms.count=0", "--out", str(tmp_path / "runs" / place)]
        subprocess.run(command, cwd=work, env=env, check=True)
        outputs.append(tree(tmp_path / "runs" / place))
    assert outputs[0] == outputs[1]
    assert {"trade.parquet", "summary.md", "provenance.json", "us_trade.png"} <= set(outputs[0])


def test_a_local_file_named_like_a_bundled_scenario_is_named_in_a_warning(workdir, capsys):
    from simulator.scenario.loader import bundled_scenarios

    text = bundled_scenarios()["autos_25"].read_text().replace("rate: 25", "rate: 35")
    (workdir / "autos_25.yaml").write_text(text)
    (workdir / "mine.yaml").write_text("extends: autos_25\nname: mine\n")
    assert main(["validate", "autos_25", "mine.yaml"]) == 0
    err = capsys.readouterr().err
    assert (
        "warning: autos_25.yaml: autos_25 names the scenario bundled with tradesim (autos_25), "
        "not the local file autos_25.yaml, which differs from it" in err
    )
    assert "hint: to use the local file, name its path: autos_25.yaml" in err
    assert "warning: mine.yaml:1: extends: 'extends: autos_25' names the scenario bundled" in err
    assert "hint: to extend the local file, write extends: ./autos_25.yaml" in err
    assert main(["validate", "autos_25.yaml"]) == 0  # the path: the local file, no warning
    assert "warning" not in capsys.readouterr().err


# -- 8. sweep files: what 'scenario:' may name, and values listed twice ---------------------


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("/etc/passwd", "'/etc/passwd' is not a scenario file: a path must end in .yaml"),
        ("../notes.txt", "'../notes.txt' is not a scenario file"),
        ("missing.yaml", "no such file"),
    ],
)
def test_a_sweep_names_a_bundled_scenario_or_a_yaml_file(scenario, message, workdir, capsys):
    sweep = f"scenario: {scenario}\nvary:\n  parameters.pass_through: [0.8, 0.9]\n"
    (workdir / "sweep.yaml").write_text(sweep)
    assert main(["validate", "sweep.yaml"]) == 2
    err = capsys.readouterr().err
    assert message in err and "root:" not in err and "a line of text" not in err


def test_a_sweep_value_listed_twice_is_an_error(workdir, capsys):
    sweep = "scenario: tiny.yaml\nvary:\n  parameters.pass_through: [0.8, 0.8, 0.9]\n"
    (workdir / "sweep.yaml").write_text(sweep)
    assert main(["validate", "sweep.yaml"]) == 2
    err = capsys.readouterr().err
    assert "sweep.yaml:3:" in err and "0.8 is listed more than once" in err
    assert "tiny.yaml" in (workdir / "sweep.yaml").read_text()  # and a path beside it is read
    (workdir / "sweep.yaml").write_text(sweep.replace("0.8, 0.8", "0.8"))
    assert main(["validate", "sweep.yaml"]) == 0


def test_two_files_with_the_same_name_do_not_replace_each_others_outputs(workdir, capsys):
    (workdir / "my autos 35.yaml").write_text(TINY.replace("name: tiny\n", ""))
    (workdir / "my_autos_35.yaml").write_text(TINY.replace("name: tiny\n", ""))
    assert main(["run", "my autos 35.yaml", "-q"]) == 0
    before = tree(workdir / "out" / "my_autos_35")
    assert main(["run", "my_autos_35.yaml", "-q"]) == EXIT_OUTPUT
    assert "holds the outputs of another scenario file" in capsys.readouterr().err
    assert tree(workdir / "out" / "my_autos_35") == before
    assert main(["run", "my_autos_35.yaml", "-q", "--force"]) == 0


def test_what_the_readme_says_is_written_replaced_and_refused(workdir, capsys):
    """README's list: an empty folder is written without asking; a replaced folder goes
    whole; a symbolic link and a file are refused even with --force."""
    (workdir / "empty").mkdir()
    assert main(["run", "tiny.yaml", "--out", "empty", "-q"]) == 0
    assert sorted(p.name for p in (workdir / "empty").glob("*.csv"))
    parquet_only = ["--set", "outputs.formats=[parquet]"]
    assert main(["run", "tiny.yaml", "--out", "empty", "-q", *parquet_only]) == 0
    assert not list((workdir / "empty").glob("*.csv"))  # the earlier run's CSV files went too
    assert list((workdir / "empty").glob("*.parquet"))
    (workdir / "real").mkdir()
    (workdir / "link").symlink_to("real")
    (workdir / "afile").write_text("mine")
    for out in ("link", "afile"):
        assert main(["run", "tiny.yaml", "--out", out, "--force", "-q"]) == EXIT_OUTPUT
    assert "afile: is a file" in capsys.readouterr().err
    assert (workdir / "afile").read_text() == "mine" and not any((workdir / "real").iterdir())
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    for said in (
        "**Written without asking:** a new folder, or an empty one.",
        "The whole folder is replaced: files of the earlier run that this run does not write",
        "holding files that git tracks; a symbolic link; a file.",
    ):
        assert said in readme


def test_a_set_run_says_its_description_is_the_files(workdir):
    argv = ["run", "tiny.yaml", "-q", "--set", "parameters.pass_through=0.5", "--out", "o"]
    assert main(argv) == 0
    text = (workdir / "o" / "summary.md").read_text()
    assert text.startswith("# tiny (changed with --set)\n\n**Changed on the command line: ")


@pytest.mark.parametrize(
    ("key", "wrong", "right"),
    [("rate", "-5", "25"), ("partners", "[CHM]", "CHN"), ("sectors", "[autos, stel]", "steel")],
)
def test_the_key_path_of_an_error_is_what_set_takes_to_fix_it(key, wrong, right, workdir, capsys):
    entry = {"rate": "25", "partners": "[CHN]", "sectors": "[autos]"} | {key: wrong}
    (workdir / "mine.yaml").write_text(
        "extends: autos_25\ntariffs:\n  - id: more\n    imposer: USA\n"
        + "".join(f"    {k}: {v}\n" for k, v in entry.items())
        + "    effective: 2025-05-01\n"
    )
    assert main(["validate", "mine.yaml"]) == 2
    path = re.search(r"mine\.yaml:\d+:\d+: (\S+): ", capsys.readouterr().err).group(1)
    assert path.startswith("tariffs[1].")  # the file's entry, after autos_25's own
    assert main(["validate", "mine.yaml", "--set", f"{path}={right}"]) == 0, capsys.readouterr()


def test_a_share_written_as_a_percent_gets_a_hint(capsys):
    assert main(["validate", "us_2025", "--set", "parameters.pass_through=95"]) == 2
    assert "did you mean 0.95?" in capsys.readouterr().err


def test_a_compare_keeps_a_file_added_while_its_scenarios_ran(workdir, capsys, monkeypatch):
    import simulator.api

    (workdir / "cmp").mkdir()
    (workdir / "cmp" / "old.txt").write_text("agreed to replace")
    run_scenario = simulator.api.run_scenario

    def run_and_a_note(*args, **kwargs):
        (workdir / "cmp" / "note.txt").write_text("written during the run")
        return run_scenario(*args, **kwargs)

    monkeypatch.setattr(simulator.api, "run_scenario", run_and_a_note)
    argv = ["compare", "tiny.yaml", "tiny.yaml", "-q", "--out", "cmp", "--force"]
    assert main(argv) == EXIT_OUTPUT
    assert "note.txt appeared or changed" in capsys.readouterr().err
    assert (workdir / "cmp" / "note.txt").exists() and (workdir / "cmp" / "old.txt").exists()


def test_an_earlier_output_moved_aside_by_a_killed_run_is_removed(workdir, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    moved = workdir / "out" / f".s.old-{dead.pid}-123-abcdef"
    moved.mkdir(parents=True)
    (moved / "summary.md").write_text("the output the killed run was replacing")
    assert main(["run", "tiny.yaml", "-q", "--out", "out/s"]) == 0
    assert f"removed {moved}, left by a run that was killed" in capsys.readouterr().err
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["s"]


def test_a_store_that_cannot_fit_on_the_disk_is_refused_with_the_figures(small_disk, capsys):
    out = str(small_disk / "ens")
    assert main(["run", "us_2025", "--ensemble", "200", "--out", out]) == EXIT_OUTPUT
    err = capsys.readouterr().err
    assert "an ensemble of us_2025 needs about 36.0 MB on disk, and only 4.2 MB is free" in err
    assert list(small_disk.iterdir()) == []


@pytest.mark.parametrize(("answer", "code"), [("y\n", 0), ("\n", 2)])
def test_above_a_threshold_a_terminal_is_asked(answer, code, workdir, monkeypatch, capsys):
    import io

    from simulator.runs import budget

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(budget, "ASK_SECONDS", 0.001)
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    monkeypatch.setattr(sys, "stderr", Terminal())
    argv = ["run", "tiny.yaml", "--ensemble", "2", "--jobs", "1", "--out", "ens", "-q"]
    assert main(argv) == code
    said = sys.stderr.getvalue()
    assert "an ensemble of tiny: 2 runs" in said and "Run it? [y/N]" in said
    assert (workdir / "ens").exists() == (code == 0)
