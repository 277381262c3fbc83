"""The bundled base-year tables are exactly what data-raw/base_2024/build.py derives."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "data-raw" / "base_2024" / "build.py"
BUNDLED = REPO / "simulator" / "data" / "base_2024"


@pytest.mark.skipif(not BUILD.exists(), reason="needs the repository's data-raw folder")
def test_bundled_tables_regenerate_from_the_sourced_inputs(tmp_path):
    run = subprocess.run(
        [sys.executable, str(BUILD), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "ALL CHECKS OK" in run.stdout
    tables = sorted(p.name for p in BUNDLED.glob("*.csv"))
    assert tables == sorted(p.name for p in tmp_path.glob("*.csv"))
    _, mismatch, errors = filecmp.cmpfiles(BUNDLED, tmp_path, tables, shallow=False)
    assert not mismatch and not errors, f"out of date: {mismatch + errors}; run {BUILD}"


def test_every_table_row_names_its_source():
    import pandas as pd

    columns = {"sectors": "elasticity_source"}
    for name in ["trade", "domestic", "regions", "sectors", "base_tariffs", "growth", "parameters"]:
        source = pd.read_csv(BUNDLED / f"{name}.csv")[columns.get(name, "source")]
        assert source.notna().all() and (source.str.len() > 10).all(), name
