"""docs/tutorial.md as written: every file it asks you to save, every command it runs.

The tutorial's ```bash blocks are run in order in an empty folder, after saving the files it
names ("Save this as `x`"). A command followed by a ```text block starting with
``tradesim: error:`` must fail with exit code 2 and print exactly that; ``validate`` and
``list`` must print exactly their ```text blocks; every other command must succeed, and a
folder the text says was written (``Wrote out/x/``, ``--out out/x``) must exist.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main

TUTORIAL = Path(__file__).parents[1] / "docs" / "tutorial.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _steps(text: str) -> list[tuple[str, str, str]]:
    """(kind, body, what follows) for each fenced block: kind is its language or 'save:x'."""
    steps = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip().splitlines()[-1] if match.start() else ""
        saved = re.search(r"Save this as `([^`]+)`", before)
        kind = f"save:{saved.group(1)}" if saved else match.group(1)
        following = BLOCK.search(text, match.end())
        gap = text[match.end() : following.start()] if following else ""
        after = following.group(2) if following and following.group(1) == "text" else ""
        steps.append((kind, match.group(2), after if not gap.strip() else ""))
    return steps


def test_the_tutorial_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = TUTORIAL.read_text(encoding="utf-8")
    ran = []
    for kind, body, after in _steps(text):
        if kind.startswith("save:"):
            (tmp_path / kind[5:]).write_text(body, encoding="utf-8")
            continue
        if kind != "bash":
            continue
        for line in body.splitlines():
            if not line.startswith("tradesim "):
                continue  # the install line
            argv = shlex.split(line)[1:]
            capsys.readouterr()
            code = main([*argv, "--quiet"] if argv[0] in ("run", "compare", "decompose") else argv)
            out, err = capsys.readouterr()
            ran.append(line)
            if after.startswith("tradesim: error:"):
                assert code == 2, line
                assert err == after, line
            else:
                assert code == 0, (line, err)
                if argv[0] in ("validate", "list"):
                    assert out == after, line
    assert len(ran) >= 10, ran
    # the folders the text says were written
    for folder in ["my_autos_35", "compare", "autos_50_pt80", "autos_35_no_fl"]:
        assert (tmp_path / "out" / folder / "summary.md").is_file(), folder
    assert (tmp_path / "out" / "decompose_my_autos_35" / "decomposition.md").is_file()
    assert not (tmp_path / "out" / "my_typo").exists()  # "nothing is written"
    listed = text.split("The folder holds:", 1)[1].split("```text\n", 1)[1].split("```")[0]
    assert sorted(listed.split()) == sorted(
        p.name for p in (tmp_path / "out/my_autos_35").iterdir()
    )
    explore = subprocess.run(
        [sys.executable, "explore.py"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert explore.returncode == 0, explore.stderr
    assert "2025-04-01" in explore.stdout


@pytest.mark.parametrize("doc", ["tutorial.md", "exercises.md"])
def test_docs_name_only_outputs_that_exist(doc):
    """No doc sends readers to the old validate-history layout."""
    text = (TUTORIAL.parent / doc).read_text(encoding="utf-8")
    assert "out/validation/validation" not in text
    assert "validate-history --out out/validation" not in text
