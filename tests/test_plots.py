"""The plots say what they show: axes from zero, units, legends, partner names, honest titles."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from simulator.api import run_scenario
from simulator.cli import main
from simulator.results import plots
from simulator.results.compare import Comparison
from simulator.results.output import OutputError

FAST = ["firms.count=0"]


@pytest.fixture(scope="module")
def baseline():
    return run_scenario("baseline", overrides=FAST)


@pytest.fixture(scope="module")
def us_2025():
    return run_scenario("us_2025", overrides=FAST)


def _figures(make) -> dict[str, Figure]:
    """The figures ``make()`` saves, keyed by their titles (plots draw on plain Figures, not
    through pyplot, so they are caught as they are saved)."""
    saved: list[Figure] = []
    savefig = Figure.savefig

    def keep(fig: Figure, *args, **kwargs) -> None:
        saved.append(fig)
        savefig(fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", keep)
        make()
    return {fig.get_suptitle() or str(n): fig for n, fig in enumerate(saved)}


@pytest.fixture(scope="module")
def with_baseline(us_2025, baseline, tmp_path_factory):
    yield _figures(lambda: plots.save_run_plots(us_2025, tmp_path_factory.mktemp("a"), baseline))


@pytest.fixture(scope="module")
def alone(us_2025, tmp_path_factory):
    yield _figures(lambda: plots.save_run_plots(us_2025, tmp_path_factory.mktemp("b")))


def test_tariff_plot_has_two_zero_based_panels_with_units(us_2025, with_baseline):
    fig = with_baseline["US tariff revenue and effective tariff rate"]
    revenue, rate = fig.axes
    assert revenue.get_ylim()[0] == 0.0 and rate.get_ylim()[0] == 0.0
    assert "US$ bn a month" in revenue.get_ylabel() and "%" in rate.get_ylabel()
    assert revenue.get_ylim()[1] > us_2025.us().tariff_revenue.max() / 1e9
    for ax in (revenue, rate):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["us_2025", "baseline (no new policies)"]


def test_bilateral_plot_spells_out_partner_names(alone):
    fig = alone["US goods balance by partner"]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "China (CHN)" in labels and "Mexico (MEX)" in labels
    assert "European Union (EU-27) (EU)" in labels
    assert plots.partner_label("XYZ") == "XYZ"


def test_sector_plot_against_baseline_shows_the_scenario_minus_baseline(
    us_2025, baseline, with_baseline
):
    fig = with_baseline["Effect on the US balance by sector"]
    ax = fig.axes[0]
    assert "us_2025 − baseline" in ax.get_xlabel() and "US$ bn a year" in ax.get_xlabel()
    expected = (plots.sector_balances(us_2025) - plots.sector_balances(baseline)) / 1e9
    sectors = [t.get_text() for t in ax.get_yticklabels()]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["2025", "2027"]  # the first tariff year and the last complete year
    widths = [bar.get_width() for bar in ax.containers[1]]  # the 2027 bars
    assert widths == pytest.approx([expected.loc[2027, s] for s in sectors])
    assert widths == sorted(widths)  # largest at the top


def test_a_result_reads_the_same_tables_from_its_model_as_from_its_tables(us_2025):
    """A result makes its US series, annual table and reported rows from the model's arrays;
    the same tables without the model (what a baseline run sends) make them to the bit."""
    tables = us_2025.tables()
    exact = {"check_exact": True}
    pd.testing.assert_frame_equal(us_2025.us(), tables.us(), **exact)
    pd.testing.assert_frame_equal(us_2025.annual(), tables.annual(), **exact)
    pd.testing.assert_frame_equal(us_2025.annual("CHN"), tables.annual("CHN"), **exact)
    ours, theirs = us_2025.reported_by("MEX"), tables.reported_by("MEX")
    pd.testing.assert_frame_equal(ours, theirs.reset_index(drop=True), **exact)
    pd.testing.assert_frame_equal(
        plots.sector_balances(us_2025), plots.sector_balances(tables), **exact
    )


def test_sector_plot_without_baseline_is_titled_as_a_change_over_time(alone):
    titles = list(alone)
    assert "Change in the US balance by sector, 2024 to 2027" in titles
    assert not any("Contributions" in t or "Effect" in t for t in titles)


def test_compare_difference_plot_labels_units(us_2025, baseline, tmp_path):
    fig = _figures(lambda: Comparison([baseline, us_2025]).plot(tmp_path / "plots"))[
        "Differences from baseline"
    ]
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "US balance − baseline,\n$bn/month",
        "US tariff revenue − baseline,\n$bn/month",
    ]


def test_validate_history_writes_one_page_and_one_plot_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["validate-history", "--quiet", "--ensemble", "0"]) == 0
    out = tmp_path / "out"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no docs/ in the user's folder
    assert sorted(p.name for p in out.iterdir()) == ["validation", "validation.md"]
    assert sorted(p.name for p in (out / "validation").iterdir()) == [
        "effective_rates.png",
        "monthly.png",
        "partners.png",
        "provenance.json",
    ]
    page = (out / "validation.md").read_text()
    assert "](validation/monthly.png)" in page
    note = "-922.6 is the sum of the twelve monthly balances"
    assert note in page and "-901.5 is the annual total of the release of 2026-02-19" in page
    assert note in (Path(__file__).parents[1] / "docs" / "validation.md").read_text()
    assert main(["validate-history", "--quiet", "--ensemble", "0", "--out", "report"]) == 0
    assert (tmp_path / "report" / "validation.md").is_file()
    assert not (tmp_path / "report" / "validation" / "validation").exists()


def test_validate_history_leaves_a_foreign_page_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "validation.md").write_text("my notes\n")
    assert main(["validate-history", "--quiet", "--out", "docs"]) == 3
    assert (tmp_path / "docs" / "validation.md").read_text() == "my notes\n"
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["validation.md"]


def test_compare_plot_writes_its_own_folder_and_refuses_a_users(us_2025, baseline, tmp_path):
    comparison = Comparison([baseline, us_2025])
    paths = comparison.plot(tmp_path / "plots")
    assert [p.name for p in paths] == ["overlay.png", "difference.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)
    assert (tmp_path / "plots" / "provenance.json").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "overlay.png").write_bytes(b"my own picture")
    with pytest.raises(OutputError):
        comparison.plot(mine)
    assert [p.name for p in mine.iterdir()] == ["overlay.png"]
    assert (mine / "overlay.png").read_bytes() == b"my own picture"
    assert comparison.plot(tmp_path / "plots") == paths  # its own folder is replaced


def test_what_it_costs_plot_shows_the_annual_parts_and_the_deciles(us_2025, alone):
    fig = alone["What it costs"]
    income, deciles = fig.axes
    annual = us_2025.annual()
    bars = [patch.get_height() for patch in income.patches]
    n = len(annual)
    assert bars[:n] == pytest.approx(list(annual.consumers_change / 1e9))
    assert bars[2 * n :] == pytest.approx(list(annual.revenue_change / 1e9))
    line = income.get_lines()[0].get_ydata()  # real income: the sum of the parts
    parts = annual.consumers_change + annual.producers_change + annual.revenue_change
    assert line == pytest.approx(list(parts / 1e9))
    assert "US$ bn a year" in income.get_ylabel()
    households = us_2025.households
    last = households[households.month.dt.year == annual.index[-1]]
    first_decile = last[last.group == "1"].share_of_spending.mean()
    assert deciles.patches[0].get_height() == pytest.approx(first_decile)
    assert len(deciles.patches) == 10
