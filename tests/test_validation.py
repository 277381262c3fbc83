"""Guard the us_2025 validation against the published 2025 data (docs/validation.md).

Each check names the channel it guards, and each threshold comes from a tolerance stated
beside it, not from today's value:

- fit: the simulated and published monthly balances share at least a quarter of their
  variance (correlation >= 0.5), and the mean monthly error stays within 30% of the published
  balance's mean size;
- the tariff timeline: us_2025 fits 2025 better than the no-policy baseline does;
- the China tariffs and diversion: the goods deficit with China narrows (from Q1 to May–July
  2025, after the April step, and from 2024 to 2025), and the deficits with Vietnam, Mexico and
  Taiwan widen, each by between a third and three times the published change. The factor of
  three is the spread between one-year and long-run trade elasticities (0.76 against 1.75–2.25
  in Boehm, Levchenko & Pandalai-Nayar 2023, AER 113(4)): the speed of adjustment is the least
  certain part of the model;
- the tariff revenue: every cell's revenue is the scheduled rate times the value (rates by
  hand from the YAML), and revenue after April at least doubles its Q1 level, as published.
"""

from __future__ import annotations

import pytest
from independent import assert_revenue_follows_the_schedule

from simulator import run_scenario
from simulator.analysis.validation import history_table, published_monthly, validate_history

BN = 1e9


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


@pytest.mark.parametrize("period", ["2025", "2024-25"])
def test_fit_within_the_stated_tolerance(validation, period):
    stats = validation.stats
    months = [m for m in validation.published.index if m.startswith("2025") or period != "2025"]
    size = validation.published.loc[months, "balance"].abs().mean()
    assert stats[f"correlation {period}"] >= 0.5, "the monthly balance's shape is lost"
    error = stats[f"mean absolute error {period}, $bn"]
    assert error <= 0.3 * size, f"monthly error {error:.1f} above 30% of {size:.1f}"


def test_the_tariff_timeline_explains_part_of_2025(validation):
    """us_2025 is closer to the 2025 data than the no-policy baseline (same seed, same data)."""
    baseline = run_scenario("baseline").us()["balance"] / BN
    baseline.index = baseline.index.strftime("%Y-%m")
    months = [m for m in validation.published.index if m.startswith("2025")]
    published = validation.published.loc[months, "balance"]
    error_policy = (validation.simulated.loc[months, "balance"] - published).abs().mean()
    error_baseline = (baseline.loc[months] - published).abs().mean()
    assert error_policy < error_baseline, "the 2025 tariffs make the fit worse"


FACTOR = 3.0  # the stated tolerance on the size of a published change (module docstring)


def within_factor(simulated: float, published: float, channel: str) -> None:
    assert simulated * published > 0, f"{channel}: {simulated:+.1f} against {published:+.1f}"
    ratio = simulated / published
    assert 1 / FACTOR <= ratio <= FACTOR, f"{channel}: {ratio:.2f} of the published change"


def test_the_china_tariff_step_narrows_the_china_deficit_by_a_published_size(validation):
    """April 2025 (to 145%, then 30% from mid-May): the goods balance with China, Q1 against
    May–July, simulated and published (Census)."""
    before, after = ["2025-01", "2025-02", "2025-03"], ["2025-05", "2025-06", "2025-07"]
    published = validation.partners_pub["CHN"]
    simulated = validation.partners_sim["CHN"]
    change_pub = published.loc[after].mean() - published.loc[before].mean()
    change_sim = simulated.loc[after].mean() - simulated.loc[before].mean()
    assert change_pub > 0  # the data: the deficit narrowed
    within_factor(change_sim, change_pub, "China tariff step")


@pytest.mark.parametrize(
    ("channel", "partners"),
    [
        ("China tariffs", ["CHN"]),
        pytest.param(
            "diversion to Vietnam, Mexico, Taiwan",
            ["VNM", "MEX", "TWN"],
            marks=pytest.mark.xfail(
                strict=True,
                reason="known gap, measured on main 721b8ba (firms' decisions merged): the "
                "deficits with VNM, MEX and TWN widen by 0.29 of the published 2025 change "
                "(VNM 0.10, MEX -0.04, TWN 0.55), below the stated factor-of-three band; "
                "0.48 before the firms' engine. Not loosened: diversion is too weak",
            ),
        ),
    ],
)
def test_2025_bilateral_balances_move_as_published(validation, channel, partners):
    """The change in the goods balances from 2024 to 2025 (Census annual figures)."""
    table = history_table("us_annual")
    table = table[table.series == "goods_balance"].set_index(["year", "partner"]).value_usd_bn
    published = sum(table[2025, p] - table[2024, p] for p in partners)
    sim = validation.partners_sim
    simulated = sum(
        sim.loc["2025-01":"2025-12", p].sum() - sim.loc["2024-01":"2024-12", p].sum()
        for p in partners
    )
    within_factor(simulated, published, channel)


def test_tariff_revenue_follows_the_schedule_and_the_april_step(validation):
    assert assert_revenue_follows_the_schedule(validation.result) > 100
    published = history_table("customs_revenue").set_index("month").value_usd_bn
    published = published[~published.index.duplicated()]
    simulated = validation.result.us()["tariff_revenue"] / BN
    simulated.index = simulated.index.strftime("%Y-%m")
    q1, later = ["2025-01", "2025-02", "2025-03"], [f"2025-{m:02d}" for m in range(6, 13)]
    step_pub = published.loc[later].mean() / published.loc[q1].mean()
    step_sim = simulated.loc[later].mean() / simulated.loc[q1].mean()
    assert step_pub > 2.0
    assert step_sim > 2.0, f"revenue channel: Jun–Dec only {step_sim:.2f} × Q1"


def test_the_page_sets_the_estimates_beside_the_defaults_out_of_sample(validation):
    """us_2025_estimated (the estimates of tradesim calibrate on pre-2025 evidence) is run
    beside us_2025, and the page's section reports its own figures, gap by gap."""
    from simulator.analysis.validation import ESTIMATED, FOCUS_PARTNERS, WITHIN

    other = validation.estimated
    assert other is not None and other.result.scenario.name == ESTIMATED
    assert other.result.scenario.parameters.adjustment_speed < 0.01  # not the defaults' 0.04
    page = validation.markdown()
    section = page.split("## Out of sample")[1].split("\n## ")[0]
    ours, theirs = validation.annual(), other.annual()
    for label in ours.index[ours.published.notna()]:
        row = next(line for line in section.splitlines() if line.startswith(f"| {label} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert (
            cells[2] == f"{ours.us_2025[label]:,.1f}"
            and cells[4] == f"{theirs.us_2025[label]:,.1f}"
        )
        gap = 100 * (theirs.us_2025[label] / ours.published[label] - 1)
        assert cells[5] == f"{gap:+.0f} %"
    near = [
        p
        for p in FOCUS_PARTNERS
        if abs(
            theirs.us_2025[f"goods_balance with {p}"] / theirs.published[f"goods_balance with {p}"]
            - 1
        )
        <= WITHIN
    ]
    assert f"with the estimates {', '.join(near) or 'none'}." in section
