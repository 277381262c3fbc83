"""The figures docs/classroom.md quotes that a test can rerun: what a kept run weighs."""

from __future__ import annotations

import pickle
from pathlib import Path

from simulator.dashboard.levers import Levers, run_levers
from simulator.dashboard.runs import Limits, compute

PAGE = Path(__file__).resolve().parents[1] / "docs" / "classroom.md"


def test_the_bytes_of_a_kept_run_are_the_pages():
    """The page quotes benchmarks/classroom.py's figures, rounded (a pickle's exact size
    changes with the versions of pandas and numpy)."""
    page = " ".join(PAGE.read_text(encoding="utf-8").split())
    levers = Levers(china_rate=50)  # as benchmarks/classroom.py makes them
    view = compute("us_2025", levers, "bench", Limits()).nbytes() / 1e3
    whole = len(pickle.dumps(run_levers("us_2025", levers, "bench"))) / 1e6
    figures = f"about {view:.0f} kB for us_2025 (pickled), against about {whole:.0f} MB"
    assert figures in page, f"docs/classroom.md should say, today: {figures!r}"
    row = f"| bytes per kept run (us_2025, pickled) | about {view:.0f} kB (was about {whole:.0f} MB"
    assert row in page, f"docs/classroom.md should say, today: {row!r}"
