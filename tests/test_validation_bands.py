"""The 90 % bands of the 2025 validation (docs/validation.md): an ensemble of us_2025 over the
uncertain parameters, its quantiles beside the central run, and the ``--ensemble`` option.

A small ensemble (8 runs, about 2 s) stands for the page's 200."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.validation import BAND, ensemble_bands, validate_history
from simulator.api import run_scenario
from simulator.cli import main
from simulator.runs.spec import plan_ensemble
from simulator.scenario import load_scenario

RUNS = 8
BN = 1e9


@pytest.fixture(scope="module")
def bands():
    return ensemble_bands(RUNS, jobs=1)


@pytest.fixture(scope="module")
def validation(bands):
    return validate_history(bands=bands)


def test_every_annual_row_has_the_central_figure_and_an_ordered_band(validation):
    table = validation.annual()
    assert list(table.columns) == ["published", "us_2025", "gap", "5 %", "95 %", "inside"]
    assert table[["us_2025", "5 %", "95 %"]].notna().all().all()
    assert (table["5 %"] <= table["95 %"]).all()
    published = table.published.notna()
    inside = (table["5 %"] <= table.published) & (table.published <= table["95 %"])
    assert (table.inside[published] == inside[published]).all()
    assert table.inside[~published].isna().all()  # the model-only rows have no verdict
    monthly = validation.bands.monthly_band()
    assert (monthly[BAND[0]] <= monthly[BAND[1]]).all()


def test_the_band_comes_from_the_members_own_figures(bands):
    """Each band is the 5 % and 95 % quantile of the members' values of that very row; the
    annual balance is the sum of the same members' monthly balances; parameters that vary
    give the band a width."""
    assert bands.members == RUNS and bands.broken == []
    annual = bands.annual
    band = bands.annual_band()
    expected = annual.quantile(list(BAND)).T  # pandas' quantiles, not numpy's
    np.testing.assert_allclose(band.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert (band[BAND[0]] >= annual.min()).all() and (band[BAND[1]] <= annual.max()).all()
    balance = band.loc["balance"]
    assert balance[BAND[1]] - balance[BAND[0]] > 5.0  # $bn: the draws spread the year
    months = [m for m in bands.monthly["balance"].columns if m.startswith("2025")]
    np.testing.assert_allclose(
        bands.monthly["balance"][months].sum(axis=1), annual["balance"], rtol=1e-12
    )
    monthly = bands.monthly_band().loc[months]
    members = bands.monthly["balance"][months]
    assert (monthly[BAND[0]] >= members.min()).all()
    assert (monthly[BAND[1]] <= members.max()).all()


def test_a_member_is_the_run_its_draws_stand_for(bands):
    """Member 0, run alone through the Python API with its seed and drawn values, gives the
    figures the band holds for it (a batch member equals the run alone to 1e-10)."""
    spec = plan_ensemble(load_scenario("us_2025"), RUNS)[0]
    alone = run_scenario("us_2025", seed=spec.seed, overrides=spec.overrides())
    year = alone.annual().loc[2025] / BN
    partners = alone.bilateral("USA", groups=True).loc["2025"].sum() / BN
    member = bands.annual.loc[0]
    for row, value in [
        ("balance", year.balance),
        ("imports", year.imports),
        ("tariff revenue (customs duties, net)", year.tariff_revenue),
        ("goods_balance with CHN", partners["CHN"]),
        ("goods_balance with EU", partners["EU"]),
    ]:
        assert member[row] == pytest.approx(value, rel=1e-8), row


def test_the_same_seed_gives_the_same_numbers(bands):
    again = ensemble_bands(RUNS, jobs=1)
    pd.testing.assert_frame_equal(again.annual, bands.annual, check_exact=True)
    pd.testing.assert_frame_equal(again.monthly, bands.monthly, check_exact=True)


def test_the_page_names_every_published_figure_outside_the_band(validation):
    page = validation.markdown()
    table = validation.annual()
    assert "| | published | us_2025 | gap | 5 % | 95 % | inside |" in page
    assert f"5th and 95th percentiles of {RUNS} runs" in page
    assert "not an interval over the sampling of firms" in page
    assert "not around the estimates of `tradesim calibrate` (`us_2025_estimated`" in page
    out = table[table.inside == False]  # noqa: E712
    paragraph = next(line for line in page.splitlines() if "90 % interval" in line)
    for label, row in out.iterrows():
        assert f"{label}, published {row.published:,.1f}" in paragraph
    if out.empty:
        assert "lie inside the 90 % interval" in paragraph


def test_ensemble_0_writes_the_page_without_bands(tmp_path):
    out = tmp_path / "v"
    assert main(["validate-history", "--ensemble", "0", "--out", str(out), "-q"]) == 0
    page = (out / "validation.md").read_text()
    assert "| | published | us_2025 | gap |\n" in page
    assert "90 % band." not in page and "Parameter uncertainty" not in page
    assert "made with `--ensemble 0`" in page
    assert not (out / "validation" / "ensemble.png").exists()


def test_a_small_ensemble_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "v"
    argv = ["validate-history", "--ensemble", "6", "--jobs", "1", "--out", str(out), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    stats = json.loads(captured.out)
    assert 0 <= stats["ensemble coverage balance, %"] <= 100
    assert "6 runs of us_2025 and 6 of us_2025_estimated for the 90 % bands in" in captured.err
    page = (out / "validation.md").read_text()
    assert "| 5 % | 95 % | inside |" in page and "an ensemble of 6 runs" in page
    # the estimates' own band, from their distribution
    assert "| us_2025_estimated | gap | 5 % | 95 % | inside |" in page
    assert "percentiles of 6 runs of us_2025_estimated that draw its six estimates" in page
    assert (out / "validation" / "monthly.png").is_file()
    assert (out / "validation" / "ensemble.png").is_file()


@pytest.mark.parametrize("value", ["1", "-3", "1000001"])
def test_a_bad_ensemble_size_is_refused_before_anything_runs(value, tmp_path, capsys):
    out = tmp_path / "v"
    assert main(["validate-history", "--ensemble", value, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"--ensemble is {value}: give 0 (the central run only, no bands) or from 2" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_an_ensemble_size_that_is_not_a_number_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["validate-history", "--ensemble", "two", "--out", str(tmp_path / "v")])
    assert caught.value.code == 2
    assert "argument --ensemble: invalid int value: 'two'" in capsys.readouterr().err
    assert not (tmp_path / "v").exists()


def test_runs_that_broke_down_are_left_out_and_named(monkeypatch):
    """A member whose figures are not finite is no part of the quantiles; with fewer than two
    finite members there is no interval, and the error says so."""
    from simulator.analysis import validation as module
    from simulator.scenario import ScenarioError

    def task(batch, broken):
        months = pd.MultiIndex.from_tuples([("balance", "2025-01")], names=["series", "month"])
        return [
            (
                s.run,
                pd.Series({"balance": np.nan if s.run in broken else -800.0 - s.run}),
                pd.Series([-60.0 - s.run], index=months),
            )
            for s in batch
        ]

    monkeypatch.setattr(module, "band_task", lambda batch: task(batch, {1}))
    bands = ensemble_bands(4, jobs=1)
    assert bands.broken == [1] and bands.members == 3
    band = bands.annual_band().loc["balance"]  # of -803, -802 and -800
    assert band.tolist() == pytest.approx([-802.9, -800.2])
    monkeypatch.setattr(module, "band_task", lambda batch: task(batch, {0, 1, 2}))
    with pytest.raises(ScenarioError, match="only 1 of 4 runs kept finite values"):
        ensemble_bands(4, jobs=1)
