"""Guard the us_2025 validation against the published 2025 data (docs/validation.md)."""

from __future__ import annotations

import pytest

from simulator.analysis.validation import published_monthly, validate_history


@pytest.fixture(scope="module")
def validation():
    return validate_history()


def test_published_data_is_complete_and_consistent():
    data = published_monthly()
    assert len(data) == 24 and data.index[0] == "2024-01" and data.index[-1] == "2025-12"
    assert data.loc["2025-11", "balance"] == pytest.approx(-56.82)
    assert data.loc["2025-10", "balance"] == pytest.approx(-29.2)
    gap = (data.exports - data.imports - data.balance).abs()
    assert gap.max() < 1.0  # mixed vintages differ by at most rounding and revisions


def test_the_2025_episode_is_reproduced(validation):
    targets = validation.targets()
    assert targets["met"].all(), targets[~targets["met"]]


def test_fit_statistics_do_not_silently_degrade(validation):
    stats = validation.stats
    # 0.83 before the 2025 exemptions (USMCA, Annex II, in transit, non-stacking) were applied
    # as documented; they lower the rates from April and so raise the deficits of the second
    # half (0.78 after). Not tuned back: the lead decides whether to keep this guard at 0.75.
    assert stats["correlation 2025"] > 0.75
    assert stats["correlation 2024-25"] > 0.7
    assert stats["mean absolute error 2025, $bn"] < 20.0
    assert stats["mean absolute error 2024-25, $bn"] < 12.0
