"""``tradesim report``: one self-contained HTML file, safe to write."""

from __future__ import annotations

import re

import pytest

from simulator.cli import main
from simulator.results.report import MARKER, markdown_to_html

SHORT = ["--set", "end=2025-12", "--set", "firms.count=0"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", "autos_25", "baseline", "--out", str(out), "-q", *SHORT]) == 0
    return out


def test_report_is_self_contained_and_embeds_every_plot(report, tmp_path):
    text = report.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    # no resource is loaded from anywhere: every src is a data URI, no link or script tags
    assert set(re.findall(r'src="([a-z]+):', text)) == {"data"}
    assert "<script" not in text and "<link" not in text
    # every standard plot of each run, the two comparison plots, and who pays for autos_25
    from simulator.api import run_scenario
    from simulator.results.plots import save_run_plots

    baseline = run_scenario("baseline", overrides=SHORT[1::2])
    stems = [p.stem for p in save_run_plots(baseline, tmp_path)]
    for stem in stems:
        assert text.count(f'<img alt="{stem}" src="data:image/png;base64,') == 2
    assert text.count('src="data:image/png;base64,') == 2 * len(stems) + 2 + 1
    assert 'alt="Who pays for US tariffs — autos_25"' in text
    assert "nobody pays extra" in text  # the baseline has no tariffs
    assert "<h2>Comparison with baseline</h2>" in text
    assert MARKER in text[:4096]


def test_report_replaces_its_own_file_but_never_a_foreign_one(report, tmp_path, capsys):
    before = report.stat().st_mtime_ns
    assert main(["report", "baseline", "--out", str(report), "-q", *SHORT]) == 0
    assert report.stat().st_mtime_ns != before
    foreign = tmp_path / "notes.html"
    foreign.write_text("<html>my notes</html>")
    assert main(["report", "baseline", "--out", str(foreign), "-q", *SHORT]) == 3
    assert "not written by tradesim" in capsys.readouterr().err
    assert foreign.read_text() == "<html>my notes</html>"
    assert main(["report", "baseline", "--out", str(foreign), "-q", "--force", *SHORT]) == 0
    assert MARKER in foreign.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.html"]  # no temporary left


def test_bad_scenario_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntariffs:\n  - imposer: USA\n    rate: -5\n    effective: 2025-01\n")
    out = tmp_path / "r.html"
    assert main(["report", str(bad), "--out", str(out)]) == 2
    assert "bad.yaml:4" in capsys.readouterr().err
    assert not out.exists()
    assert main(["report", "baseline", "--out", str(tmp_path / "r.txt")]) == 3


def test_summary_markdown_becomes_html():
    text = "# T\n\nSome `code` text\n\n- a\n- b\n\n| | x |\n|---|---:|\n| r | 1.5 |"
    page = markdown_to_html(text)
    assert "<h2>T</h2>" in page and "<code>code</code>" in page
    assert "<ul><li>a</li><li>b</li></ul>" in page
    assert "<td class=num>1.5</td>" in page


def test_a_run_folder_is_reported_from_its_scenario_and_seed(tmp_path, capsys):
    scenario = tmp_path / "short.yaml"
    scenario.write_text("extends: autos_25\nname: short\nend: 2025-12\nfirms:\n  count: 0\n")
    run = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(run), "--seed", "7", "-q"]) == 0
    out = tmp_path / "r.html"
    assert main(["report", str(run), "--out", str(out), "-q"]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<th>seed</th><td>7</td>" in text and "<h3>short</h3>" in text
    # a run made with --set is reported with the overrides its provenance records
    overridden = tmp_path / "overridden"
    argv = ["run", str(scenario), "--out", str(overridden), "-q", "--set", "end=2025-10"]
    assert main(argv) == 0
    assert main(["report", str(overridden), "--out", str(out), "-q"]) == 0
    assert "2025-10" in out.read_text(encoding="utf-8")
    # a folder whose scenario changed since is refused
    scenario.write_text("extends: autos_25\nname: short\nend: 2025-11\nfirms:\n  count: 0\n")
    assert main(["report", str(run), "--out", str(out), "-q"]) == 2
    assert "different version" in capsys.readouterr().err
