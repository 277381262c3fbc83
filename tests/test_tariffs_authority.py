"""Tariff entries tagged by legal authority, and effective rates by authority, partner, sector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.api import run_scenario
from simulator.results import SimulationResult
from simulator.results.effective_rates import effective_rates, summary_section
from simulator.results.output import OutputError
from simulator.scenario import ScenarioError, bundled_scenarios, load_scenario


@pytest.fixture(scope="module")
def us_2025() -> SimulationResult:
    return run_scenario("us_2025")


@pytest.fixture(scope="module")
def rates(us_2025: SimulationResult) -> pd.DataFrame:
    return effective_rates(us_2025)


def test_every_us_2025_entry_names_its_authority():
    scenario = load_scenario("us_2025").scenario
    assert scenario.tariffs
    for tariff in scenario.tariffs:
        assert tariff.authority is not None, tariff.id
        assert (tariff.authority == "retaliation") == tariff.retaliation, tariff.id
    used = {t.authority for t in scenario.tariffs if t.imposer == "USA"}
    assert {"section_232", "ieepa_fentanyl", "ieepa_reciprocal"} <= used


def test_bundled_us_entries_are_tagged():
    for name in bundled_scenarios():
        for tariff in load_scenario(name).scenario.tariffs:
            assert tariff.authority is not None, (name, tariff.id)


def test_a_misspelt_authority_names_file_line_and_the_nearest(tmp_path: Path):
    path = tmp_path / "typo.yaml"
    path.write_text(
        "name: typo\ntariffs:\n  - imposer: USA\n    rate: 10\n"
        "    authority: section232\n    effective: 2025-04-05\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "typo.yaml:5:5: tariffs[0].authority: 'section232' is not allowed" in message
    assert "did you mean 'section_232'?" in message
    assert "ieepa_reciprocal" in message  # the allowed values are listed


def _total(rates: pd.DataFrame, concept: str) -> pd.Series:
    sub = rates[(rates.concept == concept) & (rates.dimension == "total")]
    return sub.set_index("month").rate_pct


def test_pre_substitution_is_the_rates_at_base_year_weights(us_2025, rates):
    m = us_2025.model
    us = m.data.region_index("USA")
    goods = m.data.goods_mask
    w = m.flows0[:, us, :].copy()
    w[us] = 0.0
    w[:, ~goods] = 0.0
    hand = 100 * (m.rates[:, :, us, :] * w).sum(axis=(1, 2)) / w.sum()
    np.testing.assert_allclose(_total(rates, "pre_substitution").values, hand, rtol=1e-12)
    # 2024 is the base year's rate, about 2.4% (Budget Lab: 2.4% at the start of 2025)
    assert _total(rates, "pre_substitution")["2024"].mean() == pytest.approx(2.4, abs=0.2)


def test_post_substitution_is_revenue_over_goods_imports(us_2025, rates):
    us = us_2025.us()
    expected = 100 * us.tariff_revenue / us.goods_imports
    simulated = _total(rates, "post_substitution").values
    np.testing.assert_allclose(simulated, expected.values, rtol=1e-9)


def test_parts_by_authority_add_up_to_the_total(rates):
    for concept in ("pre_substitution", "post_substitution"):
        sub = rates[(rates.concept == concept) & (rates.dimension == "authority")]
        summed = sub.groupby("month").rate_pct.sum()
        np.testing.assert_allclose(summed.values, _total(rates, concept).values, atol=1e-9)


def test_rates_by_partner_and_sector_in_july_2025(us_2025, rates):
    m = us_2025.model
    us, chn = m.data.region_index("USA"), m.data.region_index("CHN")
    t = 18  # 2025-07
    goods = m.data.goods_mask
    w = m.flows0[chn, us, goods]
    hand = 100 * (m.rates[t, chn, us, goods] * w).sum() / w.sum()
    sub = rates[(rates.concept == "pre_substitution") & (rates.month == "2025-07-01")]
    by = sub.set_index(["dimension", "group"]).rate_pct
    assert by[("partner", "CHN")] == pytest.approx(hand, rel=1e-12)
    # China's goods pay far more than Mexico's or Canada's (NY Fed: about 40% vs under 5%)
    assert by[("partner", "CHN")] > 25
    assert by[("partner", "MEX")] < 6 and by[("partner", "CAN")] < 8
    # steel pays the 50% Section 232 rate (China's 70%, Canada's and Mexico's 50%)
    assert 45 < by[("sector", "steel")] < 60
    # energy, on Annex II and mostly USMCA-qualifying, pays little
    assert by[("sector", "energy")] < 3
    # IEEPA and Section 232 carry most of the rise since 2024
    assert by[("authority", "ieepa_reciprocal")] > 2 and by[("authority", "section_232")] > 1.5


def test_summary_has_the_table_and_the_run_writes_the_plot(us_2025, tmp_path: Path):
    lines = summary_section(us_2025)
    text = "\n".join(lines)
    assert "## Effective tariff rates (USA, 2025, %)" in text
    assert "| authority | ieepa_reciprocal |" in text
    assert "| partner | CHN |" in text and "| sector | steel |" in text
    assert "## Effective tariff rates" in us_2025.summary()
    paths = us_2025.plot(tmp_path / "plots")
    assert tmp_path / "plots" / "effective_rates.png" in paths
    assert (tmp_path / "plots" / "effective_rates.png").stat().st_size > 10_000
    # a folder tradesim did not write is refused, and the user's file in it left alone
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "us_trade.png").write_bytes(b"my own picture")
    with pytest.raises(OutputError):
        us_2025.plot(mine)
    assert (mine / "us_trade.png").read_bytes() == b"my own picture"
    assert us_2025.plot(tmp_path / "plots") == paths  # its own folder is replaced


def test_the_2024_rate_is_split_by_the_rows_that_set_it(us_2025, rates):
    from simulator.results.effective_rates import _base_parts

    m = us_2025.model
    data = m.data
    us, chn, eu = (data.region_index(c) for c in ("USA", "CHN", "DEU"))
    parts = _base_parts(us_2025, us)
    assert set(parts) == {"mfn", "section_232", "section_301"}
    np.testing.assert_allclose(sum(parts.values()), m.tau0[:, us, :], atol=1e-12)
    agri, steel = data.sector_index("agriculture"), data.sector_index("steel")
    # base_tariffs.csv: China agriculture 12 (Section 301 row) over the 3.5 MFN row
    assert parts["section_301"][chn, agri] == pytest.approx(0.12 - 0.035)
    assert parts["mfn"][chn, agri] == pytest.approx(0.035)
    # China steel 50 = 2.6 all-goods MFN + 23.2 Section 232 (25.8 row) + 24.2 Section 301
    assert parts["section_232"][chn, steel] == pytest.approx(0.258 - 0.026)
    assert parts["section_301"][chn, steel] == pytest.approx(0.50 - 0.258)
    # the EU's steel quota rate (a Section 232 row) pays no Section 301
    assert parts["section_301"][eu, steel] == 0.0
    sub = rates[(rates.concept == "pre_substitution") & (rates.month.dt.year == 2024)]
    by = sub[sub.dimension == "authority"].groupby("group").rate_pct.mean()
    assert by["section_301"] > 0.5 and by["mfn"] > 1.0
    assert by.sum() == pytest.approx(2.43, abs=0.05)
