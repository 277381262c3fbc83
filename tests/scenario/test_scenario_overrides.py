"""``--set key.path=value`` overrides: applied after extends, validated like the file."""

from pathlib import Path

import pytest

from simulator.scenario import ScenarioError, load_scenario

BASE = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "base.yaml"


def test_values_are_read_as_yaml() -> None:
    s = load_scenario(
        BASE,
        [
            "parameters.pass_through=0.8",
            "seed=3",
            "tariffs.autos_232.rate=35",
            "parameters.elasticities.machinery=2.5",
            "regions=[USA, CHN, MEX, ROW]",
            "mechanisms.front_loading=false",
            "shocks.ai_capex.path.2025-06=45",
        ],
    ).scenario
    assert s.parameters.pass_through == 0.8
    assert s.seed == 3
    assert s.tariffs[0].rate == 35 and s.tariffs[0].sectors == ["autos"]
    assert s.parameters.elasticities == {"autos": 4.0, "steel": 5.0, "machinery": 2.5}
    assert s.regions == ["USA", "CHN", "MEX", "ROW"]
    assert s.mechanisms.front_loading is False
    assert s.shocks.ai_capex is not None and s.shocks.ai_capex.path["2025-06"] == 45


def test_a_list_entry_by_position_as_errors_print_it() -> None:
    s = load_scenario(
        BASE, ["tariffs[0].rate=35", "tariffs[0].partners=[MEX, CHN]", "tariffs[0].partners[1]=CAN"]
    ).scenario
    assert s.tariffs[0].rate == 35 and s.tariffs[0].partners == ["MEX", "CAN"]
    child = BASE.parents[1] / "children" / "three_lines.yaml"
    assert load_scenario(child, ["tariffs[0].rate=60"]).scenario.tariffs[0].rate == 60


def test_override_applies_after_extends() -> None:
    child = BASE.parents[1] / "children" / "three_lines.yaml"
    s = load_scenario(child, ["tariffs.autos_232.rate=60"]).scenario
    assert s.tariffs[0].rate == 60 and s.parameters.pass_through == 0.8


def test_override_on_a_mapping_source() -> None:
    s = load_scenario({"name": "m"}, ["parameters.pass_through=0.5"]).scenario
    assert s.parameters.pass_through == 0.5


@pytest.mark.parametrize(
    ("override", "parts"),
    [
        (
            "parameters.pass_through=1.5",
            ["--set parameters.pass_through=1.5: parameters.pass_through: invalid value 1.5"],
        ),
        ("parameters.pass_thru=0.8", ["unknown key 'pass_thru'", "did you mean 'pass_through'?"]),
        (
            "tariffs.autos_23.rate=35",
            ["no entry with id 'autos_23' in tariffs", "did you mean 'autos_232'?"],
        ),
        (
            "outputs.formats.0=csv",
            ["no entry with id '0' in outputs.formats", "is written outputs.formats[0]"],
        ),
        ("tariffs[5].rate=1", ["tariffs has 2 entries, so it has no [5]", "[0] to [1]"]),
        ("regions[0]=CHN", ["regions is not set, so it has no [0]", "regions=[...]"]),
        ("parameters[0]=1", ["parameters is a block of keys, not a list, so it has no [0]"]),
        ("seed[0]=1", ["seed holds a single value, so it has no [0]"]),
        ("tariffs[0]rate=1", ["expected key.path=value", "tariffs[0].rate=30"]),
        ("seed", ["--set seed: expected key.path=value"]),
        ("=3", ["expected key.path=value"]),
        ("seed.x=1", ["seed holds a single value, so it has no key 'x'"]),
        ("extends=base", ["'extends' cannot be overridden"]),
        ("tariffs.autos_232.rate=[", ["--set tariffs.autos_232.rate=[", "invalid YAML"]),
        (
            "tariffs.autos_232.partners=[CHM]",
            ["tariffs[0].partners[0]: unknown region 'CHM'", "did you mean 'CHN'?"],
        ),
        ("start=2026-01", ["tariffs[0].effective", "outside the horizon"]),
    ],
)
def test_bad_overrides(override: str, parts: list[str]) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASE, [override])
    for part in parts:
        assert part in str(caught.value)
