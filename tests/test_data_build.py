"""Bundled tables and the data manifest are exactly what data-raw/base_2024/build.py derives."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "data-raw" / "base_2024" / "build.py"
DATA = REPO / "simulator" / "data"
BUNDLED = DATA / "base_2024"
RAW = REPO / "data-raw" / "base_2024"


@pytest.mark.skipif(not BUILD.exists(), reason="needs the repository's data-raw folder")
def test_bundled_tables_and_manifest_regenerate_from_the_sourced_inputs(tmp_path):
    # a copy of the data folder without the build's outputs, so the build must write them again
    data = tmp_path / "data"
    shutil.copytree(
        DATA, data, ignore=shutil.ignore_patterns("base_2024", "MANIFEST.sha256", "__pycache__")
    )
    run = subprocess.run(
        [sys.executable, str(BUILD), str(data)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "ALL CHECKS OK" in run.stdout
    tables = sorted(p.name for p in BUNDLED.glob("*.csv"))
    assert tables == sorted(p.name for p in (data / "base_2024").glob("*.csv"))
    _, mismatch, errors = filecmp.cmpfiles(BUNDLED, data / "base_2024", tables, shallow=False)
    assert not mismatch and not errors, f"out of date: {mismatch + errors}; run {BUILD}"
    manifest = (data / "MANIFEST.sha256").read_text()
    assert manifest == (DATA / "MANIFEST.sha256").read_text(), f"manifest out of date; run {BUILD}"


def test_every_table_row_names_its_source():
    columns = {"sectors": "elasticity_source"}
    tables = ["trade", "domestic", "regions", "sectors", "base_tariffs", "growth", "parameters"]
    tables += ["inputs", "consumption", "households", "household_spending", "customs_revenue"]
    tables += ["goods_classes", "goods_class_elasticities", "ai_hardware_origins"]
    tables += ["supplier_groups", "supplier_groups_home"]
    for name in tables:
        source = pd.read_csv(BUNDLED / f"{name}.csv")[columns.get(name, "source")]
        assert source.notna().all() and (source.str.len() > 10).all(), name


PRIMARY = ["us_totals.csv", "us_goods_partner.csv"]
SECONDARY_HOSTS = [
    "k2radio",
    "ucapital",
    "canuck.shop",
    "truthorfake",
    "usimportdata",
    "insighttaiwan",
    "metroobserver",
    "rejectfreetrade",
    "opportimes",
    "globalgovernancenews",
    "news.az",
    "channelchek",
    "theepochtimes",
    "stg-gpi.jabil",
]


@pytest.mark.skipif(not RAW.exists(), reason="needs the repository's data-raw folder")
@pytest.mark.parametrize("name", PRIMARY)
def test_us_totals_cite_the_primary_release_with_table_and_vintage(name):
    """Each US figure names its primary publication, table, release date and where it was read."""
    raw = pd.read_csv(RAW / name, keep_default_na=False)
    for column in ["source", "table", "released", "read_at"]:
        assert column in raw and raw[column].str.strip().ne("").all(), (name, column)
    # the publication column cites a statistical agency, never the page it was read on
    for host in SECONDARY_HOSTS:
        assert not raw.source.str.contains(host).any(), (name, host)
    assert raw.released.str.fullmatch(r"\d{4}-\d{2}(-\d{2})?( .*)?").all(), name


@pytest.mark.skipif(not RAW.exists(), reason="needs the repository's data-raw folder")
@pytest.mark.parametrize(
    "name",
    [
        "us_goods_sector.csv",
        "us_services_partner.csv",
        "us_anchor_min.csv",
        "region_goods_totals.csv",
        "goods_bilateral_nonus.csv",
    ],
)
def test_raw_inputs_separate_the_publication_from_the_page_read(name):
    raw = pd.read_csv(RAW / name, keep_default_na=False)
    for column in ["source", "read_at"]:
        assert column in raw and raw[column].str.strip().ne("").all(), (name, column)
    assert not raw.source.str.contains("http").any(), f"{name}: URLs belong in read_at"
