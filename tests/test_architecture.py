"""The import rule of the design (DESIGN.md section 2): mechanisms and data never import the
YAML schema; the calendar has its own small module.

- ``simulator.markets`` (mechanisms), ``simulator.calibration`` and ``simulator.data`` (data)
  never import ``simulator.scenario``, directly or through another module: each is imported in
  a fresh interpreter and ``simulator.scenario`` must not be loaded afterwards. They take plain
  numbers, arrays and mappings; the model converts the scenario's blocks.
- ``simulator.policy`` compiles the scenario's policy blocks (tariff schedules, retaliation
  rules, shock paths) into the arrays the mechanisms read: it is the one layer besides the
  model that reads the schema, and it reads only ``simulator.scenario.schema`` (the classes of
  the blocks), never the loader, its errors or YAML. Its month arithmetic comes from
  ``simulator.calendar``, like everyone's.
- ``simulator.calendar`` imports nothing of tradesim's.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simulator

PACKAGE = Path(simulator.__file__).resolve().parent
SCHEMA_FREE = ("markets", "calibration", "data")


def _modules(folder: str) -> list[str]:
    return sorted(
        ".".join(("simulator", *p.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for p in (PACKAGE / folder).rglob("*.py")
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    """The modules ``path`` imports at run time (not under ``if TYPE_CHECKING:``), with lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(f"{node.module}.{alias.name}", node.lineno) for alias in node.names]
    return found


@pytest.mark.parametrize("folder", SCHEMA_FREE)
def test_mechanisms_and_data_do_not_import_the_scenario_package(folder):
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        direct = [(n, line) for n, line in _imports(path) if n.startswith("simulator.scenario")]
        assert not direct, f"{path.relative_to(PACKAGE.parent)} imports {direct}"


def test_mechanisms_and_data_do_not_load_the_schema_through_other_modules(tmp_path):
    """Each module alone, in a fresh interpreter: simulator.scenario is not loaded after it."""
    modules = [m for folder in SCHEMA_FREE for m in _modules(folder)]
    script = (
        "import importlib, json, sys\n"
        "loaded = {}\n"
        f"for name in {modules!r}:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    loaded[name] = sorted(m for m in sys.modules if m.startswith('simulator.scenario'))\n"
        "    for m in set(sys.modules) - before:\n"
        "        if m.startswith('simulator'):\n"
        "            del sys.modules[m]\n"
        "print(json.dumps(loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
    )
    loaded = json.loads(out.stdout)
    assert set(loaded) == set(modules)
    offenders = {name: schema for name, schema in loaded.items() if schema}
    assert not offenders, f"these modules load the scenario package: {offenders}"


def test_policy_reads_only_the_schema_and_takes_months_from_the_calendar():
    for path in sorted((PACKAGE / "policy").rglob("*.py")):
        for name, line in _imports(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{line}"
            if name.startswith("simulator.scenario"):
                assert name.startswith("simulator.scenario.schema."), f"{where} imports {name}"
                assert name != "simulator.scenario.schema.month_index", (
                    f"{where}: month arithmetic comes from simulator.calendar"
                )


def test_the_calendar_imports_nothing_of_tradesims_and_everyone_uses_it():
    own = [n for n, _ in _imports(PACKAGE / "calendar.py") if n.startswith("simulator")]
    assert own == []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "def month_index" not in source or path.name == "calendar.py", path
        for name, line in _imports(path):
            assert name != "simulator.scenario.schema.month_index", f"{path}:{line}"


def test_the_calendar_round_trips_months():
    from simulator.calendar import month_index, month_label, month_of, month_start, months_between

    assert month_index("2024-01") == 2024 * 12
    assert months_between("2024-01", "2027-12") == 48
    for index in (month_index("1999-12"), month_index("2025-04"), month_index("2026-01")):
        assert month_index(month_label(index)) == index
        assert month_of(month_start(index)) == index
    assert month_label(month_index("2025-12") + 1) == "2026-01"


def test_estimation_sits_above_the_runs_and_nothing_below_imports_it():
    """Estimation runs models (on the many-runs machinery): the model, its mechanisms, the
    scenario schema and the runs never import it; only the command line does."""
    below = ("agents", "engine", "markets", "policy", "calibration", "data", "scenario", "runs")
    for folder in below:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for name, line in _imports(path):
                assert not name.startswith("simulator.estimation"), f"{path}:{line} imports {name}"
    for path in sorted((PACKAGE / "estimation").rglob("*.py")):
        for name, line in _imports(path):
            assert not name.startswith(("simulator.dashboard", "simulator.game")), (
                f"{path}:{line} imports {name}"
            )


def test_the_mesa_agents_are_a_view_a_run_does_not_need():
    """The engine and the results never import Mesa: a run (``run_scenario``, ``tradesim
    run``) reads its batch of one through the member view, and only ``build_model`` (the Mesa
    model, with its countries, governments and firms as agents) imports it. The two give the
    same records, bit for bit: one engine."""
    script = (
        "import sys\n"
        "from simulator.api import build_model, run_scenario\n"
        "from simulator.engine.worlds import RECORDS\n"
        "from simulator.scenario import load_scenario\n"
        "loaded = load_scenario('autos_25', ['firms.count=2000', 'end=2025-12'])\n"
        "result = run_scenario(loaded)\n"
        "assert 'mesa' not in sys.modules, 'a run imported Mesa'\n"
        "model = build_model(loaded)\n"
        "model.run()\n"
        "assert 'mesa' in sys.modules\n"
        "same = [(getattr(model, r) == getattr(result.model, r)).all() for r in RECORDS]\n"
        "assert all(same), 'the Mesa model and the run differ'\n"
        "assert len(model.firm(0).describe()) > 3\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for folder in ("engine", "markets", "results", "policy", "runs"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for name, line in _imports(path):
                assert name.split(".")[0] != "mesa", f"{path}:{line} imports {name}"
