"""The position-keeping safe YAML loader."""

import datetime as dt

import pytest

from simulator.scenario import ScenarioError
from simulator.scenario.yaml_io import load_yaml

TEXT = """\
name: x
tariffs:
  - imposer: USA
    rate: 25
  - {imposer: CHN, rate: 10}
"""


def test_positions_of_keys_and_items_are_one_based() -> None:
    data, positions = load_yaml(TEXT, "f.yaml")
    assert data["tariffs"][1] == {"imposer": "CHN", "rate": 10}
    assert positions[()] == (1, 1)
    assert positions[("name",)] == (1, 1)
    assert positions[("tariffs",)] == (2, 1)
    assert positions[("tariffs", 0)] == (3, 5)
    assert positions[("tariffs", 0, "rate")] == (4, 5)
    assert positions[("tariffs", 1, "rate")] == (5, 20)


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_yaml("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml")
    assert str(caught.value) == "f.yaml:4:3: a.b: duplicate key 'b': also given at line 2"


def test_merge_keys_may_be_overridden_without_a_duplicate_error() -> None:
    data, positions = load_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert data["use"] == {"x": 1, "y": 3}
    assert positions[("use", "y")] == (4, 3)
    assert positions[("use", "x")] == (1, 11)


def test_impossible_dates_stay_text() -> None:
    data, _ = load_yaml("a: 2025-02-30\nb: 2025-02-03\n", "f.yaml")
    assert data == {"a": "2025-02-30", "b": dt.date(2025, 2, 3)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/name:os.system\n", "f.yaml:1:4: invalid YAML: could not determine"),
        ("a: &x [*x]\n", "a[0]: an alias refers to a block containing it"),
        (
            "a: 1\n---\nb: 2\n",
            "f.yaml:2:1: invalid YAML: expected a single document in the stream, but found another",
        ),
        ("a: 1\nb: '\x01'\n", "f.yaml:2:5: invalid YAML: character #x0001"),
        ("? [a, b]\n: 1\n", "f.yaml:1:3: a key must be a plain name"),
        ("a: " + "[" * 2000, "invalid YAML: nested too deeply"),
    ],
)
def test_unsafe_or_broken_yaml(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_yaml(text, "f.yaml")
    assert message in str(caught.value)
