"""Property tests: valid random scenarios load; breaking one thing gives a ScenarioError."""

import copy
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_codes import REGIONS, SECTORS

from simulator.calibration import dataset
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenario.schema import Scenario, Tariff

FIRST, LAST = dt.date(2024, 1, 1), dt.date(2027, 12, 31)
in_horizon = st.dates(min_value=FIRST, max_value=LAST)
outside_horizon = st.dates(max_value=FIRST - dt.timedelta(days=1)) | st.dates(
    min_value=LAST + dt.timedelta(days=1)
)
rates = st.integers(0, 1000) | st.floats(0, 1000)
codes = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
# the loader checks codes against the real data set, which has more regions (CHE, GBR, DEU,
# ...) than the ones valid scenarios are drawn from: an "unknown" code must be neither
_REAL = dataset.load_dataset("base_2024")
KNOWN_REGIONS = {*REGIONS, *_REAL.codes}
KNOWN_SECTORS = {*SECTORS, *_REAL.sectors}


@st.composite
def tariffs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid tariff entry with codes of the test data set and dates in the horizon."""
    imposer = draw(st.sampled_from(REGIONS))
    others = [r for r in REGIONS if r != imposer]
    effective = draw(in_horizon)
    entry = {
        "imposer": imposer,
        "partners": draw(
            st.just("all") | st.lists(st.sampled_from(others), min_size=1, unique=True)
        ),
        "sectors": draw(
            st.just("all") | st.lists(st.sampled_from(SECTORS), min_size=1, unique=True)
        ),
        "rate": draw(rates | rates.map(lambda r: f"{r}%")),
        "mode": draw(st.sampled_from(["add", "set"])),
        "effective": draw(st.sampled_from([effective, effective.isoformat()])),
    }
    if draw(st.booleans()):
        entry["announced"] = draw(
            st.dates(min_value=FIRST - dt.timedelta(days=90), max_value=effective)
        )
    if draw(st.booleans()):
        entry["end"] = effective + dt.timedelta(days=draw(st.integers(1, 2000)))
    return entry


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario with at least one tariff."""
    entries = draw(st.lists(tariffs(), min_size=1, max_size=6))
    for i, entry in enumerate(entries):
        entry["id"] = f"t{i}"
    return {
        "name": draw(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,19}", fullmatch=True)),
        "seed": draw(st.integers(0, 2**31)),
        "tariffs": entries,
        "parameters": {"pass_through": draw(st.floats(0, 1))},
    }


def _not_a_number(text: str) -> bool:
    try:
        float(text.strip().removesuffix("%"))
    except ValueError:
        return True
    return False


Mutation = Callable[[dict[str, Any], st.DrawFn], None]


def _tariff(s: dict[str, Any], draw: st.DrawFn) -> dict[str, Any]:
    return draw(st.sampled_from(s["tariffs"]))


def _set(key: str, values: st.SearchStrategy[Any]) -> Mutation:
    """A mutation setting one key of a random tariff to a bad value."""
    return lambda s, draw: _tariff(s, draw).__setitem__(key, draw(values))


MUTATIONS: dict[str, Mutation] = {
    "negative rate": _set("rate", st.floats(max_value=-1e-3, allow_infinity=False)),
    "rate above 1000": _set("rate", st.floats(min_value=1000.001) | st.integers(1001)),
    "text rate": _set("rate", st.text().filter(_not_a_number)),
    "rate of a wrong type": _set("rate", st.sampled_from([[25], {"x": 1}, None, True])),
    "unknown imposer": _set("imposer", codes.filter(lambda c: c not in KNOWN_REGIONS)),
    "unknown sector": _set(
        "sectors", st.lists(codes.filter(lambda c: c not in KNOWN_SECTORS), min_size=1)
    ),
    "effective out of horizon": _set("effective", outside_horizon),
    "bad mode": _set("mode", st.text().filter(lambda m: m not in ("add", "set"))),
    "unknown tariff key": lambda s, draw: _tariff(s, draw).__setitem__(
        draw(codes.filter(lambda k: k not in Tariff.model_fields)), 1
    ),
    "missing key": lambda s, draw: _tariff(s, draw).pop(
        draw(st.sampled_from(["imposer", "rate", "effective"]))
    ),
    "imposer among partners": lambda s, draw: (t := _tariff(s, draw)).__setitem__(
        "partners", [t["imposer"]]
    ),
    "announced after effective": lambda s, draw: (t := _tariff(s, draw)).__setitem__(
        "announced", dt.date.fromisoformat(str(t["effective"])) + dt.timedelta(days=1)
    ),
    "null tariffs": lambda s, draw: s.__setitem__("tariffs", None),
    "unknown top-level key": lambda s, draw: s.__setitem__(
        draw(codes.filter(lambda k: k not in ("name", "seed", "tariffs", "parameters") and k)),
        draw(st.integers()),
    ),
    "negative seed": lambda s, draw: s.__setitem__("seed", draw(st.integers(max_value=-1))),
    "pass-through above 1": lambda s, draw: s["parameters"].__setitem__(
        "pass_through", draw(st.floats(min_value=1.001, allow_infinity=False))
    ),
}


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_valid_scenarios_load(source: dict[str, Any]) -> None:
    scenario = load_scenario(source).scenario
    assert [t.id for t in scenario.tariffs] == [t["id"] for t in source["tariffs"]]


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.sampled_from(sorted(MUTATIONS)), st.data())
def test_one_broken_thing_gives_a_scenario_error(
    source: dict[str, Any], mutation: str, data: st.DataObject
) -> None:
    broken = copy.deepcopy(source)
    MUTATIONS[mutation](broken, data.draw)
    try:
        load_scenario(broken)
    except ScenarioError as err:
        assert err.issues and "Traceback" not in str(err)
    else:
        raise AssertionError(f"{mutation}: no error for {broken}")


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.data())
def test_corrupted_yaml_text_never_crashes(source: dict[str, Any], data: st.DataObject) -> None:
    text = yaml.safe_dump(source, sort_keys=False)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 10)))
    text = text[:start] + data.draw(st.text(max_size=5)) + text[end:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(text, encoding="utf-8")
        lines = text.count("\n") + 2
        try:
            scenario = load_scenario(path).scenario
        except ScenarioError as err:
            # a located error: every issue names this file and a line inside it
            assert err.issues and "Traceback" not in str(err)
            for issue in err.issues:
                assert issue.file is not None and Path(issue.file).name == "fuzzed.yaml"
                assert issue.line is None or 1 <= issue.line <= lines
        else:
            # what loads is a valid scenario: it survives a round trip through the schema
            assert Scenario.model_validate(scenario.model_dump()) == scenario
