"""Fixtures for the scenario tests: a fake data set and a test folder of bundled scenarios."""

from pathlib import Path

import pytest
from scenario_codes import REGIONS, SECTORS

from simulator.calibration import dataset
from simulator.scenario import loader

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True)
def fake_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default data set's codes without reading data; tests/data/scenarios as bundled."""
    monkeypatch.setattr(dataset, "available_datasets", lambda: ["base_2024"])
    monkeypatch.setattr(dataset, "dataset_codes", lambda name: (list(REGIONS), list(SECTORS)))
    monkeypatch.setattr(loader, "bundled_dir", lambda: DATA / "scenarios")
