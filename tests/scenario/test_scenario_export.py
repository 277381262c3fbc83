"""The committed JSON Schema and reference page match what export.py produces now."""

from pathlib import Path

import pytest

from simulator.scenario import json_schema, loader
from simulator.scenario.export import reference_markdown, schema_text

# the real bundled scenarios (conftest.py swaps in tests/data/scenarios): the page quotes the
# size of the largest
BUNDLED_DIR = loader.bundled_dir

# the files committed in this repository (the tests may run against an installed package)
REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "simulator" / "scenario" / "scenario.schema.json"
REFERENCE_FILE = REPO / "docs" / "scenario-reference.md"

REGENERATE = "out of date: run python -m simulator.scenario.export"


def test_committed_json_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), REGENERATE


def test_committed_reference_is_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "bundled_dir", BUNDLED_DIR)
    assert REFERENCE_FILE.read_text(encoding="utf-8") == reference_markdown(), REGENERATE


def test_json_schema_forbids_unknown_keys() -> None:
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["title"] == "tradesim scenario"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name"]
    assert schema["$defs"]["Tariff"]["additionalProperties"] is False


def test_reference_lists_every_key() -> None:
    text = reference_markdown()
    for key in ("`tariffs[]`", "`retaliation[].trigger`", "`exempt_partners`", "`add` or `set`"):
        assert key in text
