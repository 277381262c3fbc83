"""``extends``: deep merge, entries merged or removed by id, relative and bundled parents."""

from pathlib import Path

import pytest

from simulator.scenario import ScenarioError, load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"


def test_three_line_child_of_a_bundled_scenario() -> None:
    loaded = load_scenario(DATA / "children" / "three_lines.yaml")
    s = loaded.scenario
    assert s.name == "three_lines"  # the file's stem, not the parent's name
    # a description is not inherited: the parent's would describe another scenario
    assert s.description == "Extends base."
    assert s.extends is None and "extends" not in loaded.raw
    assert [t.id for t in s.tariffs] == ["autos_232", "china_fentanyl"]
    autos = s.tariffs[0]
    assert autos.rate == 50 and autos.sectors == ["autos"] and str(autos.effective) == "2025-04-03"
    assert s.parameters.pass_through == 0.8
    assert s.parameters.elasticities == {"autos": 4.0, "steel": 5.0}
    assert s.parameters.inventory.capacity_months == 2.0
    assert [Path(p).name for p in loaded.chain] == ["three_lines.yaml", "base.yaml"]
    assert loaded.path == (DATA / "children" / "three_lines.yaml").resolve()


def test_chain_of_relative_paths_merges_removes_and_replaces() -> None:
    loaded = load_scenario(DATA / "children" / "grandchild.yaml")
    s = loaded.scenario
    assert [Path(p).name for p in loaded.chain] == ["grandchild.yaml", "middle.yaml", "base.yaml"]
    assert [t.id for t in s.tariffs] == ["autos_232", "steel_232"]
    assert s.tariffs[0].rate == 35  # from middle.yaml
    assert s.tariffs[0].sectors == ["autos", "steel"]  # lists inside an entry are replaced
    assert s.outputs.formats == ["parquet"]
    assert s.parameters.inventory.horizon_months == 3
    assert s.parameters.inventory.capacity_months == 2.0
    assert [r.id for r in s.retaliation] == ["china_answer"]


def test_mapping_source_inherits_name_and_is_not_changed() -> None:
    source = {"extends": "base", "seed": 9, "tariffs": [{"id": "autos_232", "rate": 5}]}
    loaded = load_scenario(source)
    assert loaded.path is None
    assert loaded.scenario.name == "test_base" and loaded.scenario.seed == 9
    assert loaded.scenario.tariffs[0].rate == 5
    assert source == {"extends": "base", "seed": 9, "tariffs": [{"id": "autos_232", "rate": 5}]}


def test_raw_reloads_to_the_same_scenario_and_hash() -> None:
    loaded = load_scenario(DATA / "children" / "grandchild.yaml")
    again = load_scenario(loaded.raw)
    assert again.scenario == loaded.scenario
    assert again.sha256 == loaded.sha256
    assert len(loaded.sha256) == 64


def test_hash_follows_content() -> None:
    base = load_scenario(DATA / "scenarios" / "base.yaml")
    assert load_scenario(DATA / "scenarios" / "base.yaml").sha256 == base.sha256
    assert load_scenario(DATA / "scenarios" / "base.yaml", ["seed=2"]).sha256 != base.sha256


def test_missing_file_names_the_file_and_reason(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: cannot read the file: no such file"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_missing_parent_points_at_the_extends_line(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text("name: c\nextends: gone/parent.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert "child.yaml:2:1: extends: cannot read" in str(caught.value)
    assert "parent.yaml: no such file" in str(caught.value)


def test_duplicate_id_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "name: d\ntariffs:\n"
        "  - {id: a, imposer: USA, rate: 5, effective: 2025-01-01}\n"
        "  - {id: a, imposer: USA, rate: 6, effective: 2025-01-01}\n"
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "dup.yaml:4:6: tariffs[1].id: duplicate id 'a': also used at line 3" in str(caught.value)


def test_remove_needs_an_id_and_true(tmp_path: Path) -> None:
    path = tmp_path / "rm.yaml"
    path.write_text("extends: base\ntariffs:\n  - remove: true\n")
    with pytest.raises(ScenarioError, match="needs the id of the entry to remove"):
        load_scenario(path)
    path.write_text("extends: base\ntariffs:\n  - {id: autos_232, remove: no}\n")
    with pytest.raises(ScenarioError, match="only 'remove: true' is valid"):
        load_scenario(path)


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "name: anchors\n"
        "tariffs:\n"
        "  - &usa {id: a, imposer: USA, rate: 10, effective: 2025-02-01}\n"
        "  - <<: *usa\n"
        "    id: b\n"
        "    rate: -1\n"
    )
    with pytest.raises(ScenarioError, match=r"anchors\.yaml:6:5: tariffs\[1\]\.rate"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("value", "shown", "hint"),
    [
        ("[base]", "invalid value a list", "write extends: base"),
        ("[base, middle]", "invalid value a list", "named on one line"),
        ("{name: base}", "invalid value a block of keys", None),
        ("3", "invalid value 3", None),
        ("''", "invalid value ''", None),
    ],
)
def test_extends_that_is_not_a_name_shows_the_value_as_written(
    tmp_path: Path, value: str, shown: str, hint: str | None
) -> None:
    path = tmp_path / "child.yaml"
    path.write_text(f"name: child\nextends: {value}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert f"child.yaml:2:1: extends: {shown} (expected: a bundled scenario name" in message
    assert "_Node" not in message and "Location" not in message
    if hint:
        assert hint in message
