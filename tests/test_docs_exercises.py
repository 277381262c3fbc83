"""Every figure docs/exercises.md quotes is rerun here, at the rounding the page quotes it, so
that the page cannot drift from the model: each check builds the page's sentence from today's
run and looks for it (line breaks ignored). The runs are the page's commands, in Python."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from simulator.analysis.decomposition import PERMUTATIONS, decompose
from simulator.api import run_scenario
from simulator.results import SimulationResult
from simulator.results.summary import key_outcomes
from simulator.scenario import load_scenario

PAGE = Path(__file__).resolve().parents[1] / "docs" / "exercises.md"
BN = 1e9


@pytest.fixture(scope="module")
def page() -> str:
    return " ".join(PAGE.read_text(encoding="utf-8").split())


def quoted(page: str, sentence: str) -> None:
    assert sentence in page, f"docs/exercises.md should say, today: {sentence!r}"


def signed(value: float, digits: int) -> str:
    """``+$0.12bn`` or ``−$0.06bn``, as the page writes money with a sign."""
    text = f"{abs(value):.{digits}f}"
    sign = "−" if value < 0 and float(text) != 0 else "+"
    return f"{sign}${text}bn"


def us_rows(result: SimulationResult, partner: str | None = None) -> pd.DataFrame:
    """The US goods rows of a run's trade table, with the year; one partner's if named."""
    t = result.trade
    rows = t[(t.reporter == "USA") & t.sector.isin(result.goods_sectors)]
    if partner is not None:
        rows = rows[rows.partner == partner]
    return rows.assign(year=rows.month.dt.year)


# -- 1. Who pays for a tariff? ------------------------------------------------------------


def test_exercise_1_figures(page):
    baseline = run_scenario("baseline", overrides=["firms.count=0"]).annual()
    revenue, april = {}, {}
    for pt in ("1.0", "0.67"):
        result = run_scenario("autos_25", overrides=[f"parameters.pass_through={pt}"])
        gain = (result.annual().tariff_revenue - baseline.tariff_revenue) / BN
        revenue[pt] = {year: f"+{gain[year]:.1f}" for year in (2025, 2027)}
        rows = us_rows(result)
        rows = rows[(rows.flow == "import") & (rows.sector == "autos")]
        april[pt] = rows[rows.month == "2025-04-01"].value_usd.sum() / BN
    quoted(
        page,
        f"{revenue['0.67'][2025]} against {revenue['1.0'][2025]} $bn over the baseline in 2025, "
        f"{revenue['0.67'][2027]} against {revenue['1.0'][2027]} in 2027",
    )
    quoted(
        page,
        f"April 2025 auto imports are ${april['0.67']:.1f}bn against ${april['1.0']:.1f}bn "
        "with full pass-through",
    )


# -- 4. Tit for tat ---------------------------------------------------------------------


def china_balance(name: str, *overrides: str) -> pd.Series:
    """The US goods balance with China, month by month ($bn)."""
    return run_scenario(name, overrides=list(overrides)).bilateral("USA")["CHN"] / BN


def test_exercise_4_figures(page):
    gap = china_balance("truce") - china_balance("china_eu_special")
    june = {year: signed(gap[f"{year}-06-01"], 2) for year in (2025, 2026, 2027)}
    in_2027 = signed(gap[gap.index.year == 2027].sum(), 1)
    quoted(
        page,
        f"is {june[2025]} in June 2025, {june[2026]} in June 2026 and {june[2027]} in June 2027 "
        f"({in_2027} over 2027)",
    )
    no_band = "parameters.exporters.hysteresis=0"
    gap = china_balance("truce", no_band) - china_balance("china_eu_special", no_band)
    quoted(
        page,
        f"they return and the gap closes: {signed(gap['2025-06-01'], 2)} in June 2025, "
        f"{signed(gap['2027-06-01'], 2)} in June 2027",
    )

    fast = ["parameters.adjustment_speed=0.15", "firms.count=0"]
    flows, balance = {}, {}
    for name in ("escalation", "china_eu_special"):
        result = run_scenario(name, overrides=fast)
        rows = us_rows(result, "CHN")
        flows[name] = rows[rows.year == 2027].groupby("flow", observed=True).value_usd.sum() / BN
        balance[name] = result.bilateral("USA")["CHN"] / BN
    esc, ces = flows["escalation"], flows["china_eu_special"]
    quoted(
        page,
        f"2027 US goods exports to China are ${esc['export']:.0f}bn in `escalation` against "
        f"${ces['export']:.0f}bn in `china_eu_special`, and imports from China "
        f"${esc['import']:.0f}bn against ${ces['import']:.0f}bn",
    )
    assert ces["export"] - esc["export"] > ces["import"] - esc["import"]  # "exports fall by more"
    december = (balance["escalation"] - balance["china_eu_special"]).iloc[-1]
    quoted(page, f"(about {signed(december, 0)} a month by the end of 2027)")
    # at the default speed the spiral still narrows the deficit with China in every month of 2027
    spiral = china_balance("escalation") - china_balance("china_eu_special")
    assert (spiral[spiral.index.year == 2027] > 0).all()


# -- 5. The November 2025 puzzle ----------------------------------------------------------


class Counted(Exception):
    """Raised by the progress callback once the decomposition has said how many runs it makes."""


def test_exercise_5_counts_the_runs_decompose_makes(page):
    def stop(done: int, total: int) -> None:
        raise Counted(total)

    with pytest.raises(Counted) as counted:  # the first run is enough to know how many follow
        decompose(load_scenario("us_2025"), load_scenario("baseline"), "2025-11", progress=stop)
    quoted(page, f"in {PERMUTATIONS} random orders ({counted.value.args[0]} runs,")


# -- 8. German cars, Irish medicines ------------------------------------------------------

TAXED = "tariffs.eu_reciprocal.exempt_sectors=[computers_semis, energy, steel, aluminium]"


def balance_change(table: pd.DataFrame, partner: str) -> float:
    return table.loc[f"Goods balance with {partner}, $bn", "change"]


def test_exercise_8_figures(page):
    exempt = run_scenario("china_eu_special")
    taxed = run_scenario("china_eu_special", overrides=[TAXED])
    merged = run_scenario("china_eu_special", overrides=[TAXED, "regions=[USA, CHN, EU, CHE, GBR]"])
    spared, hit, whole = key_outcomes(exempt), key_outcomes(taxed), key_outcomes(merged)
    quoted(
        page,
        f"the US deficit with the EU narrows by ${balance_change(spared, 'EU'):.0f}bn, of which "
        f"Germany ${balance_change(spared, 'DEU'):.0f}bn (cars and machinery are taxed) and "
        f"Ireland only ${balance_change(spared, 'IRL'):.0f}bn",
    )
    irish = us_rows(exempt, "IRL")
    irish = irish[(irish.flow == "import") & (irish.year == 2024)]
    medicines = irish[irish.sector == "pharma"].value_usd.sum() / irish.value_usd.sum()
    quoted(page, f"are medicines ({100 * medicines:.0f}% in 2024)")

    def pharma_2027(result: SimulationResult) -> float:
        rows = us_rows(result)
        rows = rows[(rows.flow == "import") & (rows.sector == "pharma") & (rows.year == 2027)]
        return rows.value_usd.sum() / BN

    quoted(
        page,
        f"With medicines taxed the deficit with Ireland narrows by "
        f"${balance_change(hit, 'IRL'):.0f}bn instead, the EU's by "
        f"${balance_change(hit, 'EU'):.0f}bn, and US pharmaceutical imports fall "
        f"(${pharma_2027(taxed):.0f}bn in 2027 against ${pharma_2027(exempt):.0f}bn)",
    )
    quoted(
        page,
        f"the deficit with Switzerland widens (by ${-balance_change(hit, 'CHE'):.0f}bn against "
        f"${-balance_change(spared, 'CHE'):.0f}bn)",
    )
    eu_2027 = "Goods balance with EU, $bn", "2027"
    quoted(
        page,
        f"Merging the EU gives nearly the same EU balance in 2027 ({whole.loc[eu_2027]:.1f} "
        f"against {hit.loc[eu_2027]:.1f} $bn by member)".replace("-", "−"),
    )
