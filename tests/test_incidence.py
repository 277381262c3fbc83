"""Who pays: the split of a tariff between buyers and exporters, and its deadweight loss."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.api import run_scenario
from simulator.results.incidence import (
    annual_incidence,
    cell_incidence,
    incidence,
    no_tariff_counterfactual,
    who_pays_markdown,
)
from simulator.scenario import load_scenario

QUIET = {  # frictionless and closed: the tariff alone moves prices
    "pass_through": True,
    "diversion": True,
    "switching_frictions": False,
    "capacity": False,
    "front_loading": False,
    "retaliation": True,
    "ai_capex": False,
    "dollar": False,
    "macro": False,
    "services": False,
    "growth": False,
}


def scenario(rate: float = 25.0, rho: float = 0.5, **fields):
    return load_scenario(
        {
            "name": "incidence_test",
            "start": "2025-01",
            "end": "2026-12",
            "firms": {"count": 0},
            "mechanisms": QUIET,
            "parameters": {"pass_through": rho},
            "tariffs": [
                {
                    "imposer": "USA",
                    "partners": ["CHN"],
                    "sectors": ["autos"],
                    "rate": rate,
                    "effective": "2025-01-01",
                }
            ],
            **fields,
        }
    )


def test_closed_form_split_for_one_taxed_cell():
    """τ⁰ = 0, ρ = 0.5, τ = 0.25: buyers pay (1.25)(1 − 1.25^−0.5) = 11.8% of the customs value,
    exporters absorb 1.25^0.5 − 1 = 11.8%, together 25% = τ."""
    buyers, exporters = cell_incidence(np.array(100.0), np.array(0.25), np.array(0.0), 0.5)
    assert buyers == pytest.approx(100 * 1.25 * (1 - 1.25**-0.5))
    assert exporters == pytest.approx(100 * (1.25**0.5 - 1))
    assert buyers + exporters == pytest.approx(25.0)
    # full pass-through: buyers pay all; none: exporters absorb all
    assert cell_incidence(np.array(100.0), np.array(0.25), np.array(0.0), 1.0) == (
        pytest.approx(25.0),
        pytest.approx(0.0),
    )
    assert cell_incidence(np.array(100.0), np.array(0.25), np.array(0.0), 0.0) == (
        pytest.approx(0.0),
        pytest.approx(25.0),
    )


def test_model_run_matches_prices_and_revenue_it_recorded():
    """On a run, buyers' cost is q × the rise in the landed price, exporters' part q × the fall
    in their price, and the two add up to the revenue above the base-year rate."""
    result = run_scenario(scenario())
    m = result.model
    usa, chn = m.data.region_index("USA"), m.data.region_index("CHN")
    autos = m.data.sector_index("autos")
    t = -1
    # the producer price in force in month t was set at the end of month t - 1; dollar off
    u, p = m.unit_values[t, chn, usa, autos], m.prices[t - 1, chn, autos]
    q = m.flows[t, chn, usa, autos] / u
    tau, tau0 = m.rates[t, chn, usa, autos], m.tau0[chn, usa, autos]
    frame = incidence(result)
    row = frame[(frame.month == frame.month.max()) & (frame.region == "USA")].iloc[0]
    assert row.exporters_absorbed / 1e9 == pytest.approx(q * (p - u), rel=1e-9)
    assert row.buyers_cost / 1e9 == pytest.approx(q * (u * (1 + tau) - p * (1 + tau0)), rel=1e-9)
    # closed form with τ⁰ = 0.25 (2024 duties on Chinese cars) and τ = 0.5: F = 1.2 ** 0.5,
    # buyers 1.5 (1 − 1/F) = 0.1307, exporters 1.5 / (1.25 F) − 1 = 0.0954 per $ of customs value
    assert tau0 == pytest.approx(0.25) and tau == pytest.approx(0.5)
    assert row.buyers_cost / row.extra_duty == pytest.approx(0.1307 / (0.1307 + 0.0954), abs=1e-3)
    extra_revenue = (m.revenue[t, :, usa] - m.tau0[:, usa] * m.flows[t, :, usa]).sum()
    assert row.extra_duty / 1e9 == pytest.approx(
        extra_revenue + (tau0 * m.flows[t, chn, usa, autos] * (1 - p / u)), rel=1e-9
    )


def test_full_pass_through_puts_everything_on_buyers():
    table = annual_incidence(run_scenario(scenario(rho=1.0)))
    assert table.loc[2025, "buyers_share"] == pytest.approx(1.0)
    assert table.loc[2025, "exporters_absorbed"] == pytest.approx(0.0, abs=1.0)
    low = annual_incidence(run_scenario(scenario(rho=0.2)))
    assert low.loc[2025, "buyers_share"] < 0.3


def test_deadweight_loss_is_second_order_in_the_tariff():
    """Harberger: the loss grows with the square of a small tariff (doubling it ~quadruples)."""
    losses = []
    for rate in (2.0, 4.0):
        loaded = scenario(rate=rate, rho=1.0)
        result = run_scenario(loaded)
        counterfactual = run_scenario(no_tariff_counterfactual(loaded))
        losses.append(annual_incidence(result, counterfactual).loc[2026, "deadweight_loss"])
    assert losses[0] > 0
    assert 3.6 < losses[1] / losses[0] < 4.4
    # and it is small next to the duty: about half the tariff times the fall in trade
    table = annual_incidence(result, counterfactual)
    assert table.loc[2026, "deadweight_loss"] < 0.1 * table.loc[2026, "extra_duty"]


def test_retaliation_burden_falls_on_us_exporters_and_is_reported():
    loaded = scenario(
        rho=0.5,
        retaliation=[
            {
                "imposer": "CHN",
                "target": "USA",
                "sectors": ["agriculture"],
                "rate": 25,
                "lag_months": 0,
            }
        ],
    )
    result = run_scenario(loaded)
    table = annual_incidence(result, run_scenario(no_tariff_counterfactual(loaded)))
    assert table.loc[2026, "exporters_burden_abroad"] > 0
    china = annual_incidence(result, region="CHN")
    # what US exporters absorb is what China's importers do not pay (China imports from the US)
    assert table.loc[2026, "exporters_burden_abroad"] == pytest.approx(
        china.loc[2026, "exporters_absorbed"], rel=1e-9
    )
    text = "\n".join(who_pays_markdown(result))
    assert "US buyers" in text and "retaliation" in text


def test_macro_table_carries_who_pays():
    result = run_scenario(scenario(rho=0.5))
    frame = incidence(result)
    for column in ("buyers_cost", "exporters_absorbed", "extra_duty", "exporters_burden_abroad"):
        np.testing.assert_array_equal(result.macro[column].to_numpy(), frame[column].to_numpy())
    assert result.annual().loc[2026, "buyers_cost"] > 0


def test_deadweight_loss_is_the_harberger_triangle_in_dollars_by_hand():
    """With full pass-through the extra duty per unit is u (τ − τ⁰), so the loss on the taxed
    cell is ½ u (τ − τ⁰)(q⁰ − q), q = V/u from this run and q⁰ from the run without the
    tariff; the table is in US dollars (the model's flows are $bn)."""
    loaded = scenario(rate=25.0, rho=1.0)
    result = run_scenario(loaded)
    counterfactual = run_scenario(no_tariff_counterfactual(loaded))
    m, m0 = result.model, counterfactual.model
    usa, chn = m.data.region_index("USA"), m.data.region_index("CHN")
    autos = m.data.sector_index("autos")
    u = m.unit_values[:, chn, usa, autos]
    q = m.flows[:, chn, usa, autos] / u
    q0 = m0.flows[:, chn, usa, autos] / m0.unit_values[:, chn, usa, autos]
    tau, tau0 = m.rates[:, chn, usa, autos], m.tau0[chn, usa, autos]
    by_hand = 0.5 * u * (tau - tau0) * (q0 - q) * 1e9  # US$
    frame = incidence(result, counterfactual)
    us = frame[frame.region == "USA"]
    np.testing.assert_allclose(us.deadweight_loss.to_numpy(), by_hand, rtol=1e-9, atol=1e-3)
    assert by_hand[-1] > 1e6  # over a million dollars a month: the units matter
    table = annual_incidence(result, counterfactual)
    assert table.loc[2026, "deadweight_loss"] == pytest.approx(by_hand[12:].sum(), rel=1e-9)
    text = "\n".join(who_pays_markdown(result, counterfactual))
    assert f"deadweight loss of about ${by_hand[12:].sum() / 1e9:,.1f}bn" in text


def test_who_pays_is_the_same_with_or_without_a_counterfactual_and_made_once():
    """The columns that need no counterfactual are kept with the result after the first
    call, whichever it was: the macro table and a later call read the same numbers."""
    from simulator.results.result import SimulationResult

    loaded = scenario(rate=25.0, rho=0.5)
    result = run_scenario(loaded)
    counterfactual = run_scenario(no_tariff_counterfactual(loaded))
    alone = incidence(SimulationResult(result.model, result.provenance))
    both = incidence(result, counterfactual)
    assert both.drop(columns="deadweight_loss").equals(alone.drop(columns="deadweight_loss"))
    assert both.deadweight_loss.notna().all() and alone.deadweight_loss.isna().all()
    assert incidence(result).equals(alone)
    us = result.macro[result.macro.region == "USA"]
    assert (us.buyers_cost.to_numpy() == both[both.region == "USA"].buyers_cost.to_numpy()).all()
