"""Plausibility of the firms' decisions at the central parameters (docs/plausibility.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from plausibility import dollar_response, escalation_ratio, goods_balances, run

from simulator.scenario import bundled_scenarios


@pytest.fixture(scope="module")
def scenarios():
    return {name: run(path, []) for name, path in bundled_scenarios().items()}


def test_escalation_halves_us_imports_from_china_within_six_months(scenarios):
    ratio = escalation_ratio(scenarios["escalation"], scenarios["baseline"])
    assert ratio <= 0.5


def extra_us_rate(m, code: str) -> float:
    """Trade-weighted extra US tariff on a partner's goods in 2027."""
    us, p, goods = m.data.region_index("USA"), m.data.region_index(code), m.data.goods_mask
    months = [t for t in range(m.n_months) if m.month_label(t).startswith("2027")]
    weights = m.flows[0, p, us, goods]
    extra = (m.rates[months][:, p, us][:, goods] - m.tau0[p, us, goods]).mean(axis=0)
    return float((extra * weights).sum() / weights.sum())


def test_no_bilateral_balance_changes_sign_without_a_policy_aimed_at_it(scenarios):
    """A US goods balance may flip only with a partner the US taxes by 30 points or more."""
    baseline = goods_balances(scenarios["baseline"], "2027")
    for name, m in scenarios.items():
        for code, value in goods_balances(m, "2027").items():
            if np.sign(value) != np.sign(baseline[code]):
                assert extra_us_rate(m, code) >= 0.30, (name, code, value)


@pytest.mark.xfail(
    strict=True,
    reason="known miss (issue 8): a permanent 10% fall raises US export volumes 10.0% after "
    "one year, just above the published 3.5-9% (17.0% after four, inside 7-18%); diagnosed as the "
    "level of the data set's GTAP elasticities, not an error in the exchange-rate path (with a "
    "long-run trade elasticity of 2 it is 5.7% and 9.9%; docs/mechanisms.md section 9); no "
    "parameter is tuned to bring it inside",
)
def test_a_dollar_fall_moves_exports_within_published_long_run_estimates():
    """A permanent 10% fall: export volumes +7-18% after four years (elasticity 0.7-1.8).

    After one year published estimates are about half the long-run ones, 3.5-9%; the guard is
    10% (reported in docs/plausibility.md).
    """
    one, four = dollar_response([])
    assert 0.07 < four < 0.18
    assert 0.035 < one < 0.10
    assert one < four
