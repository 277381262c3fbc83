"""summary.md says what was run and what happened: dates, withdrawn threats, overrides, causes."""

from __future__ import annotations

import json

import pytest

from simulator.api import run_scenario
from simulator.results.summary import tariff_table
from simulator.scenario import load_scenario

FAST = ["firms.count=0"]  # a continuum of firms: the same tables, no sampling


@pytest.fixture(scope="module")
def baseline():
    return run_scenario("baseline", overrides=FAST)


@pytest.fixture(scope="module")
def us_2025(baseline):
    result = run_scenario("us_2025", overrides=[*FAST, "parameters.pass_through=0.9"])
    return result, result.summary(baseline)


def _row(text: str, tariff_id: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith(f"| {tariff_id} |")]
    assert len(rows) == 1, rows
    return rows[0]


def test_tariff_table_shows_end_dates_and_withdrawn_threats(us_2025):
    _, text = us_2025
    spike = _row(text, "reciprocal_china_spike")
    assert "115%" in spike and "2025-04-09" in spike and "2025-04-10 to 2025-05-14" in spike
    threat = _row(text, "pharma_chips_threat")
    assert "withdrawn 2025-04-02" in threat and "never in force" in threat
    assert "from 2025-04-02" not in threat
    assert "from 2025-02-04" in _row(text, "china_fentanyl_1")  # no end: in force to the end
    assert "*Withdrawn*" in text  # the note explaining it


def test_headline_rate_and_its_sector_wide_application_are_both_shown(us_2025):
    _, text = us_2025
    assert "25% on 52% of the sector = 13.0%" in _row(text, "autos_vehicles")
    assert "25% on 48% of the sector = 12.0%" in _row(text, "autos_parts")
    assert "headline rate times" in text  # the explanation under the table
    assert "15% all-in" in _row(text, "eu_deal")
    # an all-in rate on part of a sector replaces the other rates there only: no sector-wide sum
    uk = _row(text, "uk_autos")
    assert "10% all-in on 52% of the sector" in uk and "=" not in uk
    row = _row(text, "reciprocal_china")
    assert "ieepa reciprocal" in row and "Annex II products" in row
    assert "goods shipped before 2025-04-05 and entered by 2025-05-27" in row
    assert "goods under section 232 (not stacked)" in row
    assert "USMCA-qualifying goods" in _row(text, "mexico_ieepa")
    assert "CHN (retaliation)" in _row(text, "china_reciprocal_spike")


def test_coverage_applies_the_headline_rate_to_a_share_of_the_sector():
    """rate 25 with coverage 0.52 is the same schedule as rate 13 on the whole sector."""
    base = {
        "name": "cov",
        "extends": "baseline",
        "end": "2025-12",
        "firms": {"count": 0},
    }
    entry = {"imposer": "USA", "sectors": ["autos"], "effective": "2025-04-03"}
    a = run_scenario({**base, "tariffs": [{**entry, "rate": 25, "coverage": 0.52}]})
    b = run_scenario({**base, "tariffs": [{**entry, "rate": 13}]})
    assert a.annual().loc[2025, "tariff_revenue"] == pytest.approx(
        b.annual().loc[2025, "tariff_revenue"], rel=1e-12
    )
    assert a.annual().loc[2025, "tariff_revenue"] > 1.5 * a.annual().loc[2024, "tariff_revenue"]


def test_summary_names_the_file_its_parents_and_the_overrides(us_2025):
    result, text = us_2025
    prov = result.provenance
    assert prov.scenario_file == "us_2025"  # bundled: by name, the same in every install
    assert prov.overrides == ["firms.count=0", "parameters.pass_through=0.9"]
    assert prov.scenario_chain == ["us_2025", "ai_capex_boom", "baseline"]
    assert "Scenario file: `us_2025` (bundled with tradesim)" in text
    assert "(bundled with tradesim), extending `ai_capex_boom` → `baseline`" in text
    assert "`firms.count=0`, `parameters.pass_through=0.9`" in text


def test_overrides_are_recorded_in_provenance_json(tmp_path):
    loaded = load_scenario("autos_25", ["firms.count=0", "end=2025-12"])
    result = run_scenario(loaded)
    result.save(tmp_path / "run", plots=False)
    prov = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert prov["overrides"] == ["firms.count=0", "end=2025-12"]
    assert prov["scenario_file"] == "autos_25"
    assert (
        "Overrides (`--set`, applied in this order): `firms.count=0`, `end=2025-12`."
        in (tmp_path / "run" / "summary.md").read_text()
    )


def test_a_scenario_without_a_description_says_what_it_extends():
    result = run_scenario(
        {"name": "mine", "extends": "baseline", "description": "", "end": "2024-12"},
        overrides=FAST,
    )
    text = result.summary()
    assert "No description of its own; it extends `baseline`" in text
    assert "Scenario given as a mapping in Python (no file), extending `" in text


def test_a_departure_from_baseline_before_the_first_tariff_is_explained(us_2025):
    """us_2025's 2024 differs from baseline's: the dollar path and AI capex start in 2024."""
    _, text = us_2025
    assert "| 2024 | -" in text  # the 2024 difference exists ...
    assert "departs from `baseline` in 2024-01, before its first tariff takes effect" in text
    assert "(2025-02-04)" in text  # ... and is explained by what starts before
    assert "- 2024-06: the path of the dollar (`shocks.exchange_rates`) starts" in text
    assert "- 2024-01: the AI-capex path (`shocks.ai_capex`) starts" in text
    assert "- 2024-11: importers learn of `china_fentanyl_1`, `day_one_threat_canmex`" in text


def test_no_departure_note_when_the_run_moves_with_its_first_tariff(baseline):
    result = run_scenario("autos_25", overrides=FAST)
    text = result.summary(baseline)
    assert "| 2024 | +0.0 | +0.0 | +0.0 | +0.0 |" in text
    assert "departs from" not in text


def test_tariff_table_without_notes_when_none_apply():
    scenario = load_scenario("steel_50").scenario
    lines = tariff_table(scenario.tariffs)
    assert not any("*Withdrawn*" in line or "headline rate" in line for line in lines)


def test_exercise_1_pass_through_barely_moves_revenue():
    """docs/exercises.md §1 states these results (and the April front-loading gap)."""
    runs = {
        pt: run_scenario("autos_25", overrides=[f"parameters.pass_through={pt}", "firms.count=0"])
        for pt in (1.0, 0.67)
    }
    revenue = {pt: r.annual().tariff_revenue / 1e9 for pt, r in runs.items()}
    # the tax base falls at once, so 2025 revenue is lower; later the larger volume (buyers
    # see a smaller price rise) and exporters' exits (thinner margins) nearly cancel
    assert revenue[0.67][2025] < revenue[1.0][2025]
    for year in (2025, 2026, 2027):
        assert abs(revenue[0.67][year] / revenue[1.0][year] - 1) < 0.03

    def april_autos(result) -> float:
        t = result.trade
        rows = t[(t.reporter == "USA") & (t.flow == "import") & (t.sector == "autos")]
        return rows[rows.month == "2025-04-01"].value_usd.sum() / 1e9

    assert april_autos(runs[0.67]) < april_autos(runs[1.0]) - 2.0


def test_partner_sentences_spell_out_names(us_2025):
    _, text = us_2025
    line = next(x for x in text.splitlines() if x.startswith("- In the US goods balance"))
    assert "China (CHN, +" in line


def test_comparison_names_each_runs_file_and_overrides(us_2025, baseline):
    from simulator.results.compare import Comparison

    text = Comparison([baseline, us_2025[0]]).markdown()
    assert "`us_2025` from `" in text and "from `us_2025` with `--set` `firms.count=0`" in text


def test_a_comparison_lists_the_real_measures_first_even_when_a_row_is_one_runs_own(
    us_2025, baseline
):
    from simulator.results.compare import Comparison
    from simulator.results.summary import key_outcomes

    rows = list(Comparison([baseline, us_2025[0]]).table().index)
    # us_2025 has a gold-bar row the baseline lacks: rows keep the key outcomes' order
    assert "Goods balance excluding gold bars, $bn" not in key_outcomes(baseline).index
    assert rows == list(key_outcomes(us_2025[0]).index)
    assert rows[0] == "Real income against the no-policy path, $bn"
    # a run that ships no gold bars: its balance without them is its goods balance
    table = Comparison([baseline, us_2025[0]]).table()
    ex_gold = table.loc["Goods balance excluding gold bars, $bn"]
    assert ex_gold["baseline"] == table.loc["Goods balance, $bn", "baseline"]
    assert ex_gold["us_2025 − baseline"] == ex_gold["us_2025"] - ex_gold["baseline"]


def test_retaliation_rules_show_what_they_did_and_when_they_were_lifted():
    truce = run_scenario("truce", overrides=FAST).summary()
    row = _row(truce, "china_mirror")
    assert "| CHN | USA | all goods | match the rate, up to 4 round(s), cap 125% |" in row
    assert row.rstrip(" |").endswith("lifted 2025-05-14")
    assert "from 2025-06" not in row  # decisions after the truce never applied
    escalation = run_scenario("escalation", overrides=FAST).summary()
    assert "125% from 2025-" in _row(escalation, "china_mirror")  # it reached its cap
    off = run_scenario("escalation", overrides=[*FAST, "mechanisms.retaliation=false"])
    assert _row(off.summary(), "us_counter").endswith("| switched off |")


def test_a_scenario_without_tariffs_names_the_shocks_that_move_it(baseline):
    text = run_scenario("ai_capex_boom", overrides=FAST).summary(baseline)
    assert "The scenario levies no tariff; it departs from `baseline` in 2024-01 through:" in text
    assert "- 2024-01: the AI-capex path (`shocks.ai_capex`) starts" in text


def test_why_explains_the_gold_bars_and_the_table_shows_the_balance_without_them(us_2025):
    _, text = us_2025
    why = text.split("## Why", 1)[1].split("\n## ", 1)[0]
    assert "Gold bars" in why and "Switzerland" in why
    assert "Goods balance excluding gold bars" in text
    quiet = run_scenario("us_2025", overrides=[*FAST, "mechanisms.gold=false"])
    assert "Gold bars" not in quiet.summary()


def test_what_it_costs_says_when_shocks_are_in_it_and_how_to_leave_them_out(us_2025):
    from simulator.results.costs import what_it_costs_markdown

    def shocks_line(result) -> list[str]:
        return [x for x in what_it_costs_markdown(result) if "the whole scenario's" in x]

    _, text = us_2025
    costs = text.split("## What it costs", 1)[1].split("\n## ", 1)[0]
    (line,) = [x for x in costs.splitlines() if "the whole scenario's" in x]
    assert "the AI-capex path (`shocks.ai_capex`) and the currencies' paths" in line
    assert "`--set mechanisms.ai_capex=false`, `--set mechanisms.dollar=false`" in line
    assert shocks_line(run_scenario("autos_25", overrides=[*FAST, "end=2025-06"])) == []
    without_ai = run_scenario(
        "us_2025", overrides=[*FAST, "end=2025-12", "mechanisms.ai_capex=false"]
    )
    assert "ai_capex" not in shocks_line(without_ai)[0]
    demand = {
        "extends": "baseline",
        "name": "demand_only",
        "end": "2025-06",
        "shocks": {"demand": [{"region": "USA", "start": "2025-01", "change": -2}]},
    }
    (line,) = shocks_line(run_scenario(demand, overrides=FAST))
    assert "demand shocks (`shocks.demand`)" in line and "without `shocks.demand`" in line
