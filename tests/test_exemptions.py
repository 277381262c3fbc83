"""Exemptions as they were applied in 2025: USMCA claims, Annex II, goods in transit, stacking.

Each test computes the rate a cell should pay by hand from the schedule's rules and the bundled
data, and checks the model's rate and revenue (revenue = rate x dutiable value) against it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.api import build_model
from simulator.calendar import month_index
from simulator.model import TradeModel
from simulator.policy.tariffs import product_exempt_shares, qualifying_shares
from simulator.scenario import ScenarioError, load_scenario

POLICY = Path(__file__).resolve().parents[1] / "simulator" / "data" / "policy"
QUIET = {
    "pass_through": False,
    "switching_frictions": False,
    "capacity": False,
    "front_loading": False,
    "retaliation": False,
    "ai_capex": False,
    "dollar": False,
    "macro": False,
    "services": False,
}


def run(tariffs: list[dict], **fields) -> TradeModel:
    spec = {
        "name": "exemptions",
        "start": "2025-01",
        "end": "2025-12",
        "firms": {"count": 0},
        "mechanisms": QUIET,
        "tariffs": tariffs,
        **fields,
    }
    m = build_model(load_scenario(spec))
    m.run()
    return m


def month(m: TradeModel, label: str) -> int:
    return month_index(label) - month_index(m.spec.start)


def cell(m: TradeModel, origin: str, sector: str) -> tuple[int, int, int]:
    data = m.data
    return data.region_index(origin), data.region_index("USA"), data.sector_index(sector)


def usmca_h2(partner: str, sector: str) -> float:
    """By hand: the import-weighted USMCA share of July-December 2025 from the data file."""
    f = pd.read_csv(POLICY / "usmca_shares.csv")
    f = f[(f.partner == partner) & (f.sector == sector) & (f.month >= "2025-07")]
    return float((f.usmca_share * f.imports_usd_m).sum() / f.imports_usd_m.sum())


def annex(sector: str) -> float:
    f = pd.read_csv(POLICY / "annex_ii.csv").set_index("sector")
    return float(f.loc[sector, "exempt_share"])


def assert_revenue_is_rate_times_value(m: TradeModel, t: int, c: tuple[int, int, int]) -> None:
    assert m.revenue[(t, *c)] == pytest.approx(m.flows[(t, *c)] * m.rates[(t, *c)], rel=1e-12)


# ------------------------------------------------------------------ the bundled data
def test_usmca_shares_are_shares_with_a_source_for_every_row():
    f = pd.read_csv(POLICY / "usmca_shares.csv")
    assert f.usmca_share.between(0.0, 1.0).all()
    assert set(f.partner) == {"CAN", "MEX"}
    assert sorted(f.month.unique()) == [f"2025-{m:02d}" for m in range(1, 13)]
    assert f.source.str.contains("DataWeb").all()
    # claiming rose during 2025 (the tracker's documented structural break): H2 above Q1
    for partner in ("CAN", "MEX"):
        p = f[f.partner == partner]
        q1 = p[p.month <= "2025-03"]
        h2 = p[p.month >= "2025-07"]
        share = lambda g: (g.usmca_share * g.imports_usd_m).sum() / g.imports_usd_m.sum()  # noqa: E731
        assert share(h2) > share(q1) + 0.2


def test_annex_ii_shares_cover_the_model_sectors_with_sources():
    f = pd.read_csv(POLICY / "annex_ii.csv")
    sectors = pd.read_csv(POLICY.parent / "base_2024" / "sectors.csv")
    goods = set(sectors[sectors.kind == "goods"].sector)
    assert set(f.sector) == goods
    assert f.exempt_share.between(0.0, 1.0).all()
    assert f.source.str.contains("ieepa_exempt_products").all()
    # energy and chips were exempt in full, the Section 232 sectors are handled by stacking
    assert annex("energy") == pytest.approx(1.0, abs=0.01)
    assert annex("computers_semis") > 0.95
    assert annex("pharma") > 0.9
    for sector in ("steel", "aluminium", "autos"):
        assert annex(sector) == 0.0


def test_qualifying_shares_h2_average_and_monthly():
    regions, sectors = ("USA", "CAN", "MEX"), ("machinery", "energy")
    first = month_index("2024-11")
    h2 = qualifying_shares("usmca", regions, sectors, first, 16)
    assert h2[0, 2, 0] == pytest.approx(usmca_h2("MEX", "machinery"))
    assert np.all(h2 == h2[0])  # the same share every month
    assert np.all(h2[:, 0] == 0.0)  # the US itself claims nothing
    monthly = qualifying_shares("usmca_monthly", regions, sectors, first, 16)
    f = pd.read_csv(POLICY / "usmca_shares.csv").set_index(["month", "partner", "sector"])
    assert monthly[0, 1, 1] == pytest.approx(f.loc[("2025-01", "CAN", "energy"), "usmca_share"])
    assert monthly[5, 1, 1] == pytest.approx(f.loc[("2025-04", "CAN", "energy"), "usmca_share"])
    assert monthly[15, 1, 1] == pytest.approx(f.loc[("2025-12", "CAN", "energy"), "usmca_share"])


# ------------------------------------------------------------------ each rule, by hand
def test_usmca_share_is_exempt_and_revenue_is_rate_times_value():
    m = run(
        [
            {
                "imposer": "USA",
                "partners": ["MEX"],
                "rate": 25,
                "effective": "2025-03-01",
                "qualifying_exempt": "usmca",
            }
        ]
    )
    t, c = month(m, "2025-06"), cell(m, "MEX", "machinery")
    expected = m.tau0[c] + 0.25 * (1.0 - usmca_h2("MEX", "machinery"))
    assert m.rates[(t, *c)] == pytest.approx(expected, rel=1e-12)
    assert_revenue_is_rate_times_value(m, t, c)
    # the exemption is sizeable: most of the 25% is not paid
    assert m.rates[(t, *c)] - m.tau0[c] < 0.25 * 0.3


def test_annex_ii_share_pays_no_reciprocal_duty():
    m = run(
        [
            {
                "imposer": "USA",
                "partners": ["CHN"],
                "rate": 10,
                "effective": "2025-04-01",
                "product_exempt": "annex_ii",
            }
        ]
    )
    t = month(m, "2025-06")
    for sector in ("consumer_goods", "energy", "agriculture"):
        c = cell(m, "CHN", sector)
        expected = m.tau0[c] + 0.10 * (1.0 - annex(sector))
        assert m.rates[(t, *c)] == pytest.approx(expected, rel=1e-12)
        assert_revenue_is_rate_times_value(m, t, c)


def test_goods_in_transit_pay_the_earlier_rate_until_shipped_goods_arrive():
    entry = {
        "imposer": "USA",
        "partners": ["VNM"],
        "rate": 10,
        "effective": "2025-04-05",
        "in_transit": {"entered_before": "2025-05-27"},
    }
    m = run([entry])  # shipping time: lead_months 1 = 30 days, so the rate applies from 5 May
    c = cell(m, "VNM", "consumer_goods")
    assert m.rates[(month(m, "2025-04"), *c)] == pytest.approx(m.tau0[c])
    may = m.tau0[c] + 0.10 * 27 / 31
    assert m.rates[(month(m, "2025-05"), *c)] == pytest.approx(may, rel=1e-12)
    assert m.rates[(month(m, "2025-06"), *c)] == pytest.approx(m.tau0[c] + 0.10)
    # the deadline caps the window: entered from 20 Apr, shipped or not, goods pay
    short = run([{**entry, "in_transit": {"entered_before": "2025-04-20"}}])
    april = m.tau0[c] + 0.10 * 11 / 30
    assert short.rates[(month(short, "2025-04"), *c)] == pytest.approx(april, rel=1e-12)
    # goods loaded before an earlier date (China's fentanyl duty: 1 Feb, effective 4 Feb)
    rule = {"loaded_before": "2025-04-01", "entered_before": "2025-06-01"}
    early = run([{**entry, "in_transit": rule}])
    may_1 = m.tau0[c] + 0.10
    assert early.rates[(month(early, "2025-05"), *c)] == pytest.approx(may_1, rel=1e-12)
    # without a shipping time nothing is in transit
    none = run([entry], parameters={"inventory": {"lead_months": 0}})
    april_full = m.tau0[c] + 0.10 * 26 / 30
    assert none.rates[(month(none, "2025-04"), *c)] == pytest.approx(april_full, rel=1e-12)


def test_ieepa_is_not_stacked_on_section_232_goods():
    s232 = {
        "imposer": "USA",
        "sectors": ["autos"],
        "rate": 25,
        "coverage": 0.52,
        "authority": "section_232",
        "effective": "2025-04-01",
    }
    ieepa = {
        "imposer": "USA",
        "partners": ["JPN"],
        "rate": 10,
        "authority": "ieepa_reciprocal",
        "not_stacked_with": ["section_232"],
        "effective": "2025-04-01",
    }
    m = run([s232, ieepa])
    t, c = month(m, "2025-06"), cell(m, "JPN", "autos")
    # vehicles (52%) pay 25% under 232, parts (48%) the 10% reciprocal duty
    expected = m.tau0[c] + 0.25 * 0.52 + 0.10 * 0.48
    assert m.rates[(t, *c)] == pytest.approx(expected, rel=1e-12)
    assert_revenue_is_rate_times_value(m, t, c)
    # other sectors pay the reciprocal duty in full; stacked, autos would pay both
    other = cell(m, "JPN", "machinery")
    assert m.rates[(t, *other)] == pytest.approx(m.tau0[other] + 0.10)
    stacked = run([s232, {**ieepa, "not_stacked_with": []}])
    assert stacked.rates[(t, *c)] == pytest.approx(m.tau0[c] + 0.25 * 0.52 + 0.10)


def test_parts_by_authority_sum_to_the_path_with_set_entries():
    m = run(
        [
            {"imposer": "USA", "partners": ["CHN"], "rate": 20, "authority": "ieepa_fentanyl",
             "effective": "2025-02-04"},
            {"imposer": "USA", "sectors": ["steel"], "rate": 50, "mode": "set",
             "authority": "section_232", "effective": "2025-06-04"},
            {"imposer": "USA", "rate": 10, "authority": "ieepa_reciprocal",
             "product_exempt": "annex_ii", "not_stacked_with": ["section_232"],
             "effective": "2025-04-05"},
        ]
    )  # fmt: skip
    parts = m.schedule.by_authority
    assert set(parts) == {"ieepa_fentanyl", "section_232", "ieepa_reciprocal"}
    np.testing.assert_allclose(sum(parts.values()), m.schedule.path, atol=1e-15)
    # the 'set' replaces China's fentanyl duty on steel entered after it
    t, c = month(m, "2025-07"), cell(m, "CHN", "steel")
    assert m.rates[(t, *c)] == pytest.approx(0.50)
    assert parts["ieepa_fentanyl"][(t, *c)] == pytest.approx(0.0, abs=1e-15)


# ------------------------------------------------------------------ us_2025, by hand
@pytest.fixture(scope="module")
def us_2025() -> TradeModel:
    m = build_model(load_scenario("us_2025"))
    m.run()
    return m


def test_us_2025_rates_and_revenue_match_a_hand_computation(us_2025: TradeModel):
    m = us_2025
    t = month(m, "2025-07")
    fentanyl, reciprocal = 0.20, 0.10
    hand = {
        # China: metals 'set' to 50% first, fentanyl 20% stacks on it, reciprocal does not
        ("CHN", "steel"): 0.50 + fentanyl,
        # China: fentanyl 20% plus 10% reciprocal on the share not on Annex II
        ("CHN", "consumer_goods"): m.tau0[cell(m, "CHN", "consumer_goods")]
        + fentanyl
        + reciprocal * (1.0 - annex("consumer_goods")),
        # Mexico: 25% on goods not entered under USMCA
        ("MEX", "machinery"): m.tau0[cell(m, "MEX", "machinery")]
        + 0.25 * (1.0 - usmca_h2("MEX", "machinery")),
        # Mexico autos: Section 232 (7% estimate), the IEEPA duty does not stack on it
        ("MEX", "autos"): m.tau0[cell(m, "MEX", "autos")] + 0.07,
        # Canada steel: 232 at 50%, the IEEPA duty does not stack on it
        ("CAN", "steel"): 0.50,
        # Canada energy: 10% on goods not entered under USMCA
        ("CAN", "energy"): m.tau0[cell(m, "CAN", "energy")]
        + 0.10 * (1.0 - usmca_h2("CAN", "energy")),
        # Vietnam: 10% baseline on the share not on Annex II (the 20% rate from 7 Aug)
        ("VNM", "machinery"): m.tau0[cell(m, "VNM", "machinery")]
        + reciprocal * (1.0 - annex("machinery")),
    }
    for (origin, sector), expected in hand.items():
        c = cell(m, origin, sector)
        assert m.rates[(t, *c)] == pytest.approx(expected, rel=1e-9), (origin, sector)
        assert_revenue_is_rate_times_value(m, t, c)
    # the whole year: revenue is the rates times the dutiable value, cell by cell
    goods = m.data.goods_mask
    dutiable = m.flows - m.exempt_flows
    hand_revenue = dutiable * m.rates + m.exempt_flows * m.exempt_rates
    np.testing.assert_allclose(m.revenue[..., goods], hand_revenue[..., goods], rtol=1e-12)


def test_us_2025_in_transit_delays_the_august_rates(us_2025: TradeModel):
    m = us_2025
    c = cell(m, "VNM", "machinery")
    base = m.tau0[c] + 0.10 * (1.0 - annex("machinery"))
    # the 20% applies to goods shipped from 7 Aug, arriving 30 days later: 6 Sep
    aug, sep = month(m, "2025-08"), month(m, "2025-09")
    assert m.rates[(aug, *c)] == pytest.approx(base, rel=1e-9)
    extra = 0.10 * (1.0 - annex("machinery")) * 25 / 30
    assert m.rates[(sep, *c)] == pytest.approx(base + extra, rel=1e-9)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("    qualifying_exempt: usmc\n", ["5:5", "qualifying_exempt", "did you mean 'usmca'?"]),
        ("    product_exempt: annex2\n", ["5:5", "product_exempt", "did you mean 'annex_ii'?"]),
        ("    coverage: 1.5\n", ["5:5", "coverage"]),
        (
            "    in_transit:\n      entered_before: 2025-04-01\n",
            ["in_transit", "'in_transit' must end ('entered_before') after 'effective'"],
        ),
        (
            "    in_transit:\n      shipped_before: 2025-04-01\n",
            ["6:7", "unknown key 'shipped_before'"],
        ),
    ],
)
def test_bad_exemption_keys_name_file_line_and_hint(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\ntariffs:\n  - imposer: USA\n    rate: 10\n"
        + text
        + "    effective: 2025-04-05\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    for part in expected:
        assert part in message, message
    assert "Traceback" not in message


def test_product_exempt_shares_read_the_list():
    shares = product_exempt_shares("annex_ii", ("energy", "autos", "no_such_sector"))
    assert shares.tolist() == [annex("energy"), 0.0, 0.0]
