"""MANIFEST.sha256: every bundled data file and its checksum, in the wheel and in provenance."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import tomllib
from pathlib import Path

from simulator.api import run_scenario
from simulator.data import MANIFEST, manifest_sha256

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "simulator" / "data"


def manifest() -> dict[str, str]:
    entries = {}
    for line in (DATA / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, path = line.split("  ", 1)
        assert len(digest) == 64 and path not in entries, line
        entries[path] = digest
    return entries


def data_files() -> set[str]:
    """Every file under simulator/data that is data (not Python, not the manifest itself)."""
    return {
        p.relative_to(DATA).as_posix()
        for p in DATA.rglob("*")
        if p.is_file()
        and p.name != MANIFEST
        and p.suffix not in (".py", ".pyc")
        and not any(part.startswith((".", "__")) for part in p.relative_to(DATA).parts)
    }


def test_manifest_lists_every_data_file_and_nothing_else():
    listed = set(manifest())
    assert listed == data_files(), {
        "unlisted": data_files() - listed,
        "missing": listed - data_files(),
    }
    assert any(p.startswith("history/") for p in listed) and any(
        p.startswith("base_2024/") for p in listed
    )


def test_manifest_checksums_match_the_files():
    for path, digest in manifest().items():
        assert hashlib.sha256((DATA / path).read_bytes()).hexdigest() == digest, path


def test_manifest_and_every_listed_file_ship_in_the_wheel():
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["simulator.data"]
    assert MANIFEST in patterns
    # setuptools globs: "*" does not cross a folder boundary
    globs = [re.compile(fnmatch.translate(p).replace(".*", "[^/]*")) for p in patterns]
    for path in manifest():
        assert any(g.fullmatch(path) for g in globs), f"{path} is not in package-data"


def test_every_run_records_the_manifest_checksum(tmp_path):
    expected = hashlib.sha256((DATA / MANIFEST).read_bytes()).hexdigest()
    assert manifest_sha256() == expected
    result = run_scenario("baseline", overrides=["firms.count=0", "end=2024-03"])
    assert result.provenance.data_manifest_sha256 == expected
    result.save(tmp_path / "run", plots=False)
    saved = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert saved["data_manifest_sha256"] == expected
