"""The command line end to end, and results: files, identities, reproducibility, errors."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from independent import assert_revenue_follows_the_schedule

from simulator.analysis.decomposition import decompose
from simulator.api import run_scenario
from simulator.cli import main
from simulator.scenario import bundled_scenarios, load_scenario

SMALL = """\
extends: autos_25
name: autos_35
end: 2025-12
firms:
  count: 2000
tariffs:
  - id: autos
    rate: 35
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "autos_35.yaml"
    path.write_text(SMALL)
    return path


def test_run_writes_data_plots_summary_and_provenance(small, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(small), "--out", str(out), "--seed", "7"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"trade.parquet", "trade.csv", "macro.parquet", "macro.csv", "summary.md"} <= names
    assert {"us_trade.png", "bilateral_balances.png", "sector_contributions.png"} <= names
    assert "tariffs.png" in names and "provenance.json" in names
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["seed"] == 7 and prov["scenario"] == "autos_35"
    assert len(prov["scenario_sha256"]) == 64
    summary = (out / "summary.md").read_text()
    assert "autos imports" in summary and "deficit" in summary
    trade = pd.read_parquet(out / "trade.parquet")
    assert list(trade.columns) == ["month", "reporter", "partner", "sector", "flow", "value_usd"]
    assert trade.attrs["provenance"]["scenario_sha256"] == prov["scenario_sha256"]
    assert "Wrote" in capsys.readouterr().out


def test_trade_table_identities_hold_every_month(small):
    result = run_scenario(small)
    assert assert_revenue_follows_the_schedule(result) > 0  # rates from the YAML, by hand
    us = result.us()
    assert np.allclose(us.balance, us.goods_balance + us.services_balance)


def test_bad_input_exits_2_with_a_located_message_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\ntariffs:\n  - imposer: USA\n    partners: [CHM]\n    rate: 10\n"
        "    effective: 2025-01-01\n"
    )
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:4" in err and "CHN" in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    assert main(["run", str(bad), "--set", "parameters.pass_through=-1"]) == 2


def test_set_overrides_are_applied(small, tmp_path):
    out = tmp_path / "o"
    assert main(["run", str(small), "--out", str(out), "-q", "--set", "tariffs.autos.rate=50"]) == 0
    assert "| autos | USA | all | autos | 50% |" in (out / "summary.md").read_text()


def test_compare_writes_one_table_with_differences(small, tmp_path, capsys):
    out = tmp_path / "cmp"
    base = bundled_scenarios()["autos_25"]
    assert main(["compare", str(base), str(small), "--out", str(out), "--set", "end=2025-12"]) == 0
    table = pd.read_csv(out / "key_outcomes.csv", index_col=0)
    assert "autos_35 − autos_25" in table.columns
    row = table.loc["autos imports, $bn"]
    assert row["autos_35 − autos_25"] < 0  # a higher tariff: fewer auto imports
    assert (out / "overlay.png").exists() and (out / "difference.png").exists()
    assert "Comparison with autos_25" in capsys.readouterr().out


def test_validate_list_and_schema(capsys):
    assert main(["validate", *[str(p) for p in bundled_scenarios().values()]]) == 0
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "us_2025" in listed and "baseline" in listed
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"]


def test_validate_checks_every_file_and_reports_each_in_json(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ntarifs: []\n")
    files = [str(bad), "autos_25", str(tmp_path / "nosuch.yaml")]
    assert main(["validate", *files]) == 2
    captured = capsys.readouterr()
    assert "autos_25: ok" in captured.out  # checked although the file before it was bad
    assert "bad.yaml:2:1: tarifs" in captured.err and "nosuch.yaml" in captured.err
    assert main(["validate", *files, "--json"]) == 2
    records = json.loads(capsys.readouterr().out)
    assert [r["ok"] for r in records] == [False, True, False]
    error = records[0]["errors"][0]
    assert (error["line"], error["path"], error["hint"]) == (2, "tarifs", "did you mean 'tariffs'?")


def test_two_scenarios_sharing_an_output_folder_are_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "autos_25", "autos_25", "--quiet"]) == 2
    assert "the scenarios autos_25, autos_25 would write into the same folder" in (
        capsys.readouterr().err
    )


def test_decomposition_contributions_add_up_to_the_total():
    loaded = load_scenario(bundled_scenarios()["retaliation"], ["end=2025-12"])
    baseline = load_scenario(bundled_scenarios()["baseline"], ["end=2025-12"])
    result = decompose(loaded, baseline, period="2025")
    table = result.table
    parts = table.drop(index="total")["shapley"].sum()
    assert parts == pytest.approx(result.total, abs=1e-6)
    assert table.loc["total", "shapley"] == pytest.approx(result.total)
    assert result.total < 0  # tariffs on China and the EU narrow the 2025 deficit
    assert table.loc["retaliation", "shapley"] > 0  # retaliation hits US exports


def _run_hash(seed: int) -> str:
    code = (
        "from simulator.api import run_scenario;import hashlib,sys;"
        f"r=run_scenario({str(bundled_scenarios()['us_2025'])!r},seed={seed},"
        "overrides=['end=2025-12']);"
        "print(hashlib.sha256(r.model.flows.tobytes()).hexdigest())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_same_scenario_and_seed_give_identical_numbers_across_processes():
    first, second = _run_hash(11), _run_hash(11)
    assert first == second
    assert _run_hash(12) != first
    in_process = run_scenario(bundled_scenarios()["us_2025"], seed=11, overrides=["end=2025-12"])
    assert hashlib.sha256(in_process.model.flows.tobytes()).hexdigest() == first


def test_bundled_scenarios_load_by_name_and_compare_adds_a_missing_baseline(tmp_path):
    assert load_scenario("steel_50").scenario.name == "steel_50"
    out = tmp_path / "cmp"
    args = ["compare", "autos_25", "steel_50", "--baseline", "baseline", "--set", "end=2025-12"]
    assert main([*args, "--out", str(out), "-q"]) == 0
    table = pd.read_csv(out / "key_outcomes.csv", index_col=0)
    assert list(table.columns[:3]) == ["baseline", "autos_25", "steel_50"]
    assert "steel_50 − baseline" in table.columns


@pytest.mark.parametrize("module", ["simulator.cli", "simulator.entry", "simulator.runs.workers"])
def test_the_command_line_imports_the_model_only_when_a_command_needs_it(module):
    # `tradesim --help` answers at once, and the entry point starts the workers' fork server
    # before the model is imported (simulator/entry.py)
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in ('pandas', 'mesa', 'pydantic', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
