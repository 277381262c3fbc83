"""Every broken file in tests/data/bad gives a ScenarioError naming what its header expects."""

from pathlib import Path

import pytest

from simulator.scenario import ScenarioError, load_scenario

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = sorted(BAD.glob("*.yaml"))


def expected_parts(path: Path) -> list[str]:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("# expect: "), f"{path.name} needs a '# expect: ...' first line"
    return [part.strip() for part in header.removeprefix("# expect: ").split("; ")]


def test_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_file(path: Path) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    for part in expected_parts(path):
        assert part in message, f"{part!r} not in:\n{message}"
    for leak in ("Traceback", 'File "', "pydantic", "Value error", "[key]", "list[str]"):
        assert leak not in message, message
    assert caught.value.issues
