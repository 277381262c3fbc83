"""Hostile and careless inputs: each is refused quickly, with a clear message, and nothing
on disk is written, replaced or deleted (checked by snapshotting the folders around it)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from simulator.cli import EXIT_BAD_INPUT, EXIT_OUTPUT, main
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenario.yaml_io import MAX_FILE_BYTES, MAX_NODES

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
SECRET = "hunter2-SECRET"

TINY = """\
name: tiny
start: 2024-01
end: 2024-03
firms: {count: 0}
outputs: {plots: false, formats: [csv]}
"""

# file -> a fragment of the error message it must produce
FILES = {
    "name_traversal.yaml": "'../../keep' is not a safe name",
    "name_absolute.yaml": "is not a safe name",
    "name_dotdot.yaml": "'..' is not a safe name",
    "name_dot.yaml": "'.' is not a safe name",
    "name_backslash.yaml": "is not a safe name",
    "name_space.yaml": "'my run' is not a safe name",
    "name_too_long.yaml": "is not a safe name",
    "extends_passwd.yaml": "ends in .yaml or .yml",
    "extends_traversal.yaml": "ends in .yaml or .yml",
    "extends_dotdot_name.yaml": "no such file",
    "extends_url.yaml": "local files only",
    "extends_not_scenario.yaml": "not a tradesim scenario",
    "extends_binary.yaml": "not UTF-8",
    "extends_folder.yaml": "a folder",
    "extends_broken_yaml.yaml": "not valid YAML",
    "extends_symlink.yaml": "must be a block of keys",
    "extends_self.yaml": "cycle",
    "nul_byte.yaml": "invalid YAML: character #x0000",
    "python_name_tag.yaml": "could not determine a constructor",
    "alias_bomb.yaml": f"more than {MAX_NODES} values",
    "recursive_alias.yaml": "an alias refers to a block containing it",
}


def snapshot(*folders: Path) -> dict[str, str]:
    """Every file and folder under ``folders``, with a hash of each file's bytes."""
    state = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            key = str(path)
            if path.is_symlink():
                state[key] = "link:" + os.readlink(path)
            elif path.is_file():
                state[key] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[key] = "dir"
    return state


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder (default outputs go to ./out) with a user's file in it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("my notes")
    return tmp_path


def refused(argv: list[str], code: int, capsys: pytest.CaptureFixture[str], *folders: Path) -> str:
    """Run the CLI, assert its exit code, speed and that nothing changed; return stderr.

    Speed is CPU time, so that a busy machine does not make the check flaky.
    """
    before = snapshot(*folders)
    started = time.process_time()
    assert main(argv) == code
    assert time.process_time() - started < 1.0
    assert snapshot(*folders) == before
    return capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(FILES))
def test_hostile_file_is_refused_and_nothing_is_written(name, workdir, capsys):
    err = refused(["run", str(HOSTILE / name)], EXIT_BAD_INPUT, capsys, workdir, HOSTILE)
    assert err.startswith("tradesim: error: ")
    assert FILES[name] in err
    assert SECRET not in err and "root:" not in err  # nothing quoted from a foreign file
    assert "Traceback" not in err


def test_oversized_file_is_refused_before_parsing(workdir, capsys):
    big = workdir / "big.yaml"
    big.write_text("name: big\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    err = refused(["validate", str(big)], EXIT_BAD_INPUT, capsys, workdir)
    assert f"at most {MAX_FILE_BYTES:,} bytes" in err


def test_too_many_keys_are_refused(workdir, capsys):
    many = workdir / "many.yaml"
    many.write_text("name: many\nx:\n" + "".join(f"  k{i}: 1\n" for i in range(MAX_NODES + 10)))
    assert many.stat().st_size < MAX_FILE_BYTES
    err = refused(["validate", str(many)], EXIT_BAD_INPUT, capsys, workdir)
    assert f"more than {MAX_NODES} values" in err


def test_deep_nesting_is_refused(workdir, capsys):
    deep = workdir / "deep.yaml"
    deep.write_text("name: deep\nx: " + "[" * 5000 + "]" * 5000 + "\n")
    err = refused(["validate", str(deep)], EXIT_BAD_INPUT, capsys, workdir)
    assert "nested too deeply" in err


def test_fifo_is_not_read(workdir, capsys):
    os.mkfifo(workdir / "pipe.yaml")
    (workdir / "child.yaml").write_text("name: c\nextends: pipe.yaml\n")
    err = refused(["validate", "child.yaml"], EXIT_BAD_INPUT, capsys, workdir)
    assert "not a regular file" in err


def test_name_set_on_the_command_line_is_checked_too(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    argv = ["run", "tiny.yaml", "--set", "name=../../keep"]
    err = refused(argv, EXIT_BAD_INPUT, capsys, workdir)
    assert "not a safe name" in err


def test_uploads_may_extend_bundled_scenarios_only(tmp_path):
    (tmp_path / "local.yaml").write_text("name: local\n")
    with pytest.raises(ScenarioError, match="only a bundled scenario"):
        load_scenario({"name": "up", "extends": str(tmp_path / "local.yaml")}, local_extends=False)
    assert load_scenario({"name": "up", "extends": "baseline"}, local_extends=False)


# -- output folders ------------------------------------------------------------------------


def test_out_onto_a_folder_of_user_files_is_refused(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    homework = workdir / "homework"
    homework.mkdir()
    (homework / "essay.md").write_text("due Friday")
    err = refused(["run", "tiny.yaml", "--out", "homework"], EXIT_OUTPUT, capsys, workdir)
    assert "holds files tradesim did not write" in err and "--force" in err


def test_out_onto_the_scenarios_own_folder_is_refused_even_with_force(workdir, capsys):
    homework = workdir / "homework"
    homework.mkdir()
    (homework / "my.yaml").write_text(TINY)
    argv = ["run", "homework/my.yaml", "--out", "homework", "--force"]
    err = refused(argv, EXIT_OUTPUT, capsys, workdir)
    assert "an input of this run" in err


def test_out_onto_a_file_is_refused(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    (workdir / "victim.yaml").write_text("precious")
    err = refused(["run", "tiny.yaml", "--out", "victim.yaml"], EXIT_OUTPUT, capsys, workdir)
    assert "is a file" in err


@pytest.mark.parametrize("out", [".", "..", "~", "/"])
def test_out_onto_the_working_folder_its_parents_or_home_is_refused(out, workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    argv = ["run", "tiny.yaml", "--out", os.path.expanduser(out), "--force"]
    err = refused(argv, EXIT_OUTPUT, capsys, workdir)
    assert "refusing to write an output folder over" in err


def test_out_below_a_file_is_refused_before_simulating(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    argv = ["run", "tiny.yaml", "--out", "notes.txt/run"]
    err = refused(argv, EXIT_OUTPUT, capsys, workdir)
    assert "notes.txt is a file" in err


def test_compare_and_decompose_check_their_output_first(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    argv = ["compare", "tiny.yaml", "tiny.yaml", "--out", "notes.txt"]
    assert "is a file" in refused(argv, EXIT_OUTPUT, capsys, workdir)
    argv = ["decompose", "tiny.yaml", "--out", "notes.txt"]
    assert "is a file" in refused(argv, EXIT_OUTPUT, capsys, workdir)


def test_a_previous_output_is_replaced_but_not_one_a_user_added_to(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    assert main(["run", "tiny.yaml", "-q"]) == 0
    out = workdir / "out" / "tiny"
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["generator"] == "tradesim"
    assert set(provenance["files"]) == {"macro.csv", "trade.csv", "households.csv", "summary.md"}
    assert main(["run", "tiny.yaml", "-q", "--seed", "3"]) == 0  # replaced: ours
    assert json.loads((out / "provenance.json").read_text())["seed"] == 3
    (out / "my_analysis.ipynb").write_text("{}")
    err = refused(["run", "tiny.yaml"], EXIT_OUTPUT, capsys, workdir)
    assert "holds files tradesim did not write" in err
    assert main(["run", "tiny.yaml", "-q", "--force"]) == 0
    assert not (out / "my_analysis.ipynb").exists()
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["tiny"]  # no temp leftovers


def test_overrides_get_their_own_folder_and_are_recorded(workdir):
    (workdir / "tiny.yaml").write_text(TINY)
    assert main(["run", "tiny.yaml", "-q", "--set", "parameters.pass_through=0.5"]) == 0
    folders = [p.name for p in (workdir / "out").iterdir()]
    assert len(folders) == 1 and folders[0].startswith("tiny-set-")
    provenance = json.loads((workdir / "out" / folders[0] / "provenance.json").read_text())
    assert provenance["overrides"] == ["parameters.pass_through=0.5"]
    assert provenance["scenario_chain"] == [str(workdir / "tiny.yaml")]


def test_a_rate_below_one_percent_is_run_with_a_warning(workdir, capsys):
    (workdir / "tiny.yaml").write_text(
        TINY + "tariffs: [{id: t, imposer: USA, sectors: [autos], rate: 0.25, "
        "effective: 2024-02-01}]\n"
    )
    assert main(["validate", "tiny.yaml"]) == 0
    err = capsys.readouterr().err
    assert "tiny.yaml:6:" in err and "0.25 % is tiny" in err and "did you mean 25" in err


@pytest.mark.parametrize(
    ("field", "word", "hint"),
    [
        ("partners", "France", "part of the EU here: use 'EU' (the group) or 'EU_OTHER'"),
        ("partners", "Germany", "did you mean 'DEU'?"),
        ("partners", "china", "did you mean 'CHN'?"),
        ("partners", "Switzerland", "did you mean 'CHE'?"),
        ("partners", "Brazil", "part of ROW"),
        ("sectors", "cars", "'cars' is in sector 'autos'"),
        ("sectors", "chips", "in sector 'computers_semis'"),
    ],
)
def test_everyday_words_get_a_hint_toward_codes(field, word, hint):
    entry = {"imposer": "USA", "rate": 10, "effective": "2024-06-01", field: [word]}
    with pytest.raises(ScenarioError) as caught:
        load_scenario({"name": "w", "tariffs": [entry]})
    assert hint in str(caught.value)


def test_a_single_file_output_replaces_only_its_own_kind(tmp_path):
    from simulator.results.output import OutputError, write_text_atomically

    page = tmp_path / "report.html"
    marker = '<meta name="generator" content="tradesim">'
    write_text_atomically(page, f"<html>{marker}one</html>", marker)
    write_text_atomically(page, f"<html>{marker}two</html>", marker)
    assert "two" in page.read_text()
    mine = tmp_path / "mine.html"
    mine.write_text("<html>my page</html>")
    with pytest.raises(OutputError, match="not written by tradesim"):
        write_text_atomically(mine, f"<html>{marker}</html>", marker)
    assert mine.read_text() == "<html>my page</html>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.html", "report.html"]


def test_a_prefix_of_an_allowed_value_is_suggested():
    entry = {"imposer": "USA", "rate": 10, "effective": "2024-06-01", "authority": "ieepa"}
    with pytest.raises(ScenarioError, match="did you mean 'ieepa_fentanyl' or 'ieepa_reciprocal'"):
        load_scenario({"name": "a", "tariffs": [entry]})


@pytest.mark.parametrize("out", ["notes.txt", ".", "full"])
def test_an_ensemble_store_never_lands_on_a_file_a_user_folder_or_the_working_folder(
    out, workdir, capsys
):
    (workdir / "tiny.yaml").write_text(TINY)
    (workdir / "full").mkdir()
    (workdir / "full" / "data.csv").write_text("mine")
    argv = ["run", "tiny.yaml", "--ensemble", "2", "--out", out]
    err = refused(argv, EXIT_OUTPUT, capsys, workdir)
    assert err.startswith("tradesim: error: ") and "Traceback" not in err


def test_a_file_the_user_changed_inside_an_output_folder_is_not_replaced(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    assert main(["run", "tiny.yaml", "-q"]) == 0
    summary = workdir / "out" / "tiny" / "summary.md"
    provenance = json.loads((summary.parent / "provenance.json").read_text())
    assert set(provenance["sha256"]) == set(provenance["files"])
    with summary.open("a") as stream:
        stream.write("\nMy notes on this run.\n")
    err = refused(["run", "tiny.yaml"], EXIT_OUTPUT, capsys, workdir)
    assert "changed since it wrote them (summary.md)" in err and "--force" in err
    assert main(["run", "tiny.yaml", "-q", "--force"]) == 0
    assert "My notes" not in summary.read_text()


def test_outputs_follow_the_umask(workdir):
    from simulator.results.output import write_text_atomically

    (workdir / "tiny.yaml").write_text(TINY)
    old = os.umask(0o022)
    try:
        assert main(["run", "tiny.yaml", "-q"]) == 0
        page = write_text_atomically(workdir / "page.html", "<html>mark</html>", "mark")
    finally:
        os.umask(old)
    assert (workdir / "out" / "tiny").stat().st_mode & 0o777 == 0o755
    assert (workdir / "out" / "tiny" / "summary.md").stat().st_mode & 0o777 == 0o644
    assert page.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["run", "tiny.yaml", "--seed", "-1"], 2, "-1 is negative; a seed is 0 or more"),
        (["run", "tiny.yaml", "--seed", "x"], 2, "'x' is not a whole number"),
        (["run", "tiny.yaml", "--out", ""], 2, "argument --out: the name is empty"),
        (["decompose", "tiny.yaml", "--period", "2025-13"], 2, "'2025-13' is not a year"),
        (["run", "tiny.yaml", "--out", "out/" + "a" * 300], EXIT_OUTPUT, "File name too long"),
    ],
)
def test_bad_seeds_and_output_names_are_refused_without_a_traceback(
    argv, code, message, workdir, capsys
):
    (workdir / "tiny.yaml").write_text(TINY)
    before = snapshot(workdir)
    if code == 2:  # argparse's own refusal
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
    else:
        assert main(argv) == code
    assert message in capsys.readouterr().err
    assert snapshot(workdir) == before


def test_a_terminated_run_leaves_no_partial_folder(tmp_path):
    """SIGTERM (what ``timeout`` and batch systems send) removes what was half written."""
    import signal
    import subprocess
    import sys

    (tmp_path / "tiny.yaml").write_text(TINY.replace("2024-03", "2027-12").replace("0}", "20000}"))
    command = [sys.executable, "-m", "simulator.cli", "run", "tiny.yaml", "--out", "out/v", "-q"]
    proc = subprocess.Popen(command, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    while not list((tmp_path / "out").glob(".v.*")) and proc.poll() is None:
        assert time.monotonic() - started < 120
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be stopped")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "terminated; nothing was written" in err
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_an_interrupt_just_after_a_temporary_is_made_leaves_nothing(tmp_path, monkeypatch):
    """A signal is handled between any two steps of Python: one that comes after the
    temporary folder (or file) exists but before the call knows its name still removes it
    (it failed once in CI: SIGTERM right after the folder appeared left it behind)."""
    import tempfile

    from simulator.results import output

    def made_then_interrupted(real):
        def make(*args, **kwargs):
            real(*args, **kwargs)
            raise KeyboardInterrupt  # as a signal raised on the way back from the real call

        return make

    monkeypatch.setattr(tempfile, "mkdtemp", made_then_interrupted(tempfile.mkdtemp))
    with pytest.raises(KeyboardInterrupt):
        output.write_atomically(tmp_path / "out" / "run", lambda folder: None)
    assert not (tmp_path / "out").exists()  # neither the temporary nor the folder it made
    monkeypatch.setattr(tempfile, "mkstemp", made_then_interrupted(tempfile.mkstemp))
    page, marker = tmp_path / "page.html", "<!-- tradesim -->"
    with pytest.raises(KeyboardInterrupt):
        output.write_text_atomically(page, f"<html>{marker}</html>", marker)
    assert list(tmp_path.iterdir()) == []
    # another process's temporary of the same output, beside it, is not touched
    other = tmp_path / ".page.html.1.abc"
    other.write_text("someone else's")
    with pytest.raises(KeyboardInterrupt):
        output.write_text_atomically(page, f"<html>{marker}</html>", marker)
    assert list(tmp_path.iterdir()) == [other]


def test_a_check_across_fields_points_at_the_key_the_child_wrote(workdir: Path) -> None:
    """The child moves a date before the parent's announcement: the error is at the child's
    line (or at --set), not at the parent's 'announced' that the child never wrote."""
    child = workdir / "early.yaml"
    child.write_text(
        "extends: autos_25\nname: early\ntariffs:\n  - id: autos\n    effective: 2024-06-01\n"
    )
    with pytest.raises(
        ScenarioError, match=r"^early\.yaml:5:5: tariffs\[0\]\.effective: 'announced'"
    ):
        load_scenario(child)
    with pytest.raises(ScenarioError, match=r"^--set tariffs\.autos\.effective=2024-06-01: "):
        load_scenario("autos_25", ["tariffs.autos.effective=2024-06-01"])


def test_a_path_to_a_missing_bundled_scenario_says_how_to_name_it(workdir: Path) -> None:
    with pytest.raises(ScenarioError, match="named without a folder or suffix: autos_25"):
        load_scenario("scenarios/autos_25.yaml")
    with pytest.raises(ScenarioError, match="did you mean 'autos_25'"):
        load_scenario("autos_52")


@pytest.mark.parametrize(
    ("stem", "name"),
    [
        ("a..b", "a_b"),
        ("my scen ü", "my_scen_u"),
        ("my scen ä", "my_scen_a"),
        ("x" * 100, "x" * 80),
    ],
)
def test_a_file_without_a_name_gets_a_safe_one_from_its_file_name(stem, name, tmp_path):
    path = tmp_path / f"{stem}.yaml"
    path.write_text(TINY.replace("name: tiny\n", ""))
    assert load_scenario(path).scenario.name == name


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("regions=[USA, USA, CHN]", "regions[1]: region 'USA' is listed twice"),
        ("sectors=[autos, autos]", "sectors[1]: sector 'autos' is listed twice"),
        ("tariffs.autos.partners=[CHN, MEX, CHN]", "partners[2]: region 'CHN' is listed twice"),
        ("tariffs.autos.effective=2025-02-29", "2025-02-29 is not a day of the calendar"),
    ],
)
def test_codes_listed_twice_and_days_not_in_the_calendar_are_errors(override, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_scenario("autos_25", [override])


def test_a_firm_count_needing_gigabytes_is_run_with_a_warning():
    loaded = load_scenario("autos_25", ["firms.count=50000000"])
    assert any("about 4.3 GB of memory" in str(w) for w in loaded.warnings)
    assert not load_scenario("autos_25").warnings


def test_a_run_that_blows_up_is_an_error_and_writes_nothing(workdir, capsys):
    """Values each within their bounds can together blow the model up: huge capital outflows
    with the largest inflow elasticity and currencies at the ends of their range."""
    (workdir / "extreme.yaml").write_text(
        "extends: baseline\nname: extreme\nend: 2025-06\nfirms: {count: 0}\n"
        "shocks:\n  capital_inflows:\n    - {start: 2025-01, usd_bn_per_month: -10000}\n"
        "  exchange_rates:\n    - {region: CHN, path: {2025-01: 100}}\n"
        "    - {region: JPN, path: {2025-01: 0.01}}\n"
        "parameters:\n  dollar: {inflow_elasticity: 10}\n"
    )
    before = snapshot(workdir)
    with np.errstate(all="ignore"):
        assert main(["run", "extreme.yaml", "-q"]) == EXIT_BAD_INPUT
    assert "the run blew up" in capsys.readouterr().err
    assert snapshot(workdir) == before


def test_a_run_folder_and_a_run_store_are_not_mistaken_for_foreign_files(workdir, capsys):
    (workdir / "tiny.yaml").write_text(TINY)
    assert main(["run", "tiny.yaml", "-q", "--out", "out/run"]) == 0
    assert (
        main(["run", "tiny.yaml", "-q", "--ensemble", "2", "--jobs", "1", "--out", "out/ens"]) == 0
    )
    capsys.readouterr()
    err = refused(["run", "tiny.yaml", "--out", "out/ens"], EXIT_OUTPUT, capsys, workdir)
    assert "is the store of a sweep or ensemble" in err
    argv = ["run", "tiny.yaml", "--ensemble", "2", "--jobs", "1", "--out", "out/run"]
    assert "is the output folder of a tradesim run" in refused(argv, EXIT_OUTPUT, capsys, workdir)
    assert "no complete calendar year" in (workdir / "out/ens/results/summary.md").read_text()
