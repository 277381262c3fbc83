"""Plausibility of the firms' decisions, and how results move across each uncertain parameter.

For the central parameters and for the low and high end of each uncertain parameter of the
buyers' and exporters' decisions (documented ranges, docs/mechanisms.md), runs every bundled
scenario and a permanent 10% dollar depreciation with a continuum of firms, and reports:

* sign flips: US bilateral goods balances in 2027 whose sign differs from the baseline's;
* escalation: US imports from China relative to the baseline six months after the total US
  rate on China reaches 145%;
* the dollar: the change in US export volumes one and four years after a permanent 10% fall;
* us_2025: the 2025 US balance and goods balance with China.

Usage: ``python benchmarks/plausibility.py [--out docs/plausibility.md]`` (a few minutes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simulator.api import run_scenario
from simulator.model import TradeModel
from simulator.scenario import bundled_scenarios

# parameter (dotted path) -> (low, high): the documented plausible ranges
RANGES: dict[str, tuple[float, float]] = {
    "adjustment_speed": (0.03, 0.08),
    "sourcing.switching_cost_homogeneous": (0.0625, 1.0),
    "sourcing.switching_cost_reference": (0.25, 4.0),
    "sourcing.switching_cost_differentiated": (1.0, 16.0),
    "sourcing.switching_cost_dispersion": (0.5, 1.5),
    "sourcing.discount_rate_pct": (3.0, 10.0),
    "expectations.fx_half_life_months": (36.0, 60.0),
    "expectations.threat_probability": (0.3, 1.0),
    "exporters.profit_tail": (1.5, 4.0),
    "exporters.hysteresis": (0.0, 0.5),
    "exporters.participation": (0.1, 0.3),
}
PARTNERS = ("CHN", "EU", "MEX", "CAN", "VNM", "JPN", "KOR", "TWN", "IND")


def run(source, overrides: list[str]) -> TradeModel:
    return run_scenario(source, overrides=["firms.count=0", *overrides]).model


def goods_balances(m: TradeModel, year: str) -> dict[str, float]:
    months = [t for t in range(m.n_months) if m.month_label(t).startswith(year)]
    us, goods = m.data.region_index("USA"), m.data.goods_mask
    flows = m.flows[months][..., goods].sum(axis=(0, 3))
    out = {}
    for code in PARTNERS:
        p = m.data.region_indices(code)  # a group (EU): its members together
        out[code] = float(flows[us, p].sum() - flows[p, us].sum())
    return out


def escalation_ratio(esc: TradeModel, base: TradeModel) -> float:
    us, ch, goods = esc.data.region_index("USA"), esc.data.region_index("CHN"), esc.data.goods_mask
    weights = esc.flows[0, ch, us, goods]
    rate = (esc.rates[:, ch, us, goods] * weights).sum(axis=1) / weights.sum()
    t = int(np.argmax(rate >= 1.45)) + 6
    return float(esc.flows[t, ch, us, goods].sum() / base.flows[t, ch, us, goods].sum())


def dollar_response(overrides: list[str]) -> tuple[float, float]:
    spec = {"name": "dollar", "start": "2024-01", "end": "2029-12"}
    fall = {"exchange_rates": [{"region": "USA", "path": {"2024-12": 1.0, "2025-01": 0.9}}]}
    base, dep = run(spec, overrides), run({**spec, "shocks": fall}, overrides)
    us = base.data.region_index("USA")

    def volume(m: TradeModel) -> np.ndarray:
        q = m.flows[:, us] / m.unit_values[:, us]
        q[:, us] = 0.0
        return q.sum(axis=(1, 2))

    change = volume(dep) / volume(base) - 1.0
    return float(change[12 + 11]), float(change[12 + 47])


def measure(overrides: list[str]) -> dict[str, object]:
    runs = {name: run(path, overrides) for name, path in bundled_scenarios().items()}
    baseline = goods_balances(runs["baseline"], "2027")
    flips = []
    for name, m in runs.items():
        for code, value in goods_balances(m, "2027").items():
            if np.sign(value) != np.sign(baseline[code]):
                flips.append(f"{name}: {code} {baseline[code]:+.0f} -> {value:+.0f}")
    us25 = runs["us_2025"]
    months = [t for t in range(us25.n_months) if us25.month_label(t).startswith("2025")]
    us, diag = us25.data.region_index("USA"), np.arange(us25.data.n_regions)
    trade = us25.flows[months].copy()
    trade[:, diag, diag] = 0.0
    balance = float(trade[:, us].sum() - trade[:, :, us].sum())
    one, four = dollar_response(overrides)
    return {
        "flips": flips,
        "escalation": escalation_ratio(runs["escalation"], runs["baseline"]),
        "dollar_1y": one,
        "dollar_4y": four,
        "balance_2025": balance,
        "china_2025": goods_balances(us25, "2025")["CHN"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write a Markdown page here")
    args = parser.parse_args()
    rows = [("central values", measure([]))]
    for path, (low, high) in RANGES.items():
        for value in (low, high):
            rows.append((f"`{path}` = {value:g}", measure([f"parameters.{path}={value}"])))
    lines = [
        "| parameters | sign flips (2027, US goods balances) | escalation: China imports / "
        "baseline, 6 months after 145% | 10% dollar fall: export volume +1 y | +4 y | "
        "us_2025: 2025 balance, $bn | us_2025: 2025 goods balance with CHN, $bn |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, r in rows:
        flips = "; ".join(r["flips"]) or "none"
        lines.append(
            f"| {label} | {flips} | {r['escalation']:.2f} | {100 * r['dollar_1y']:.1f}% | "
            f"{100 * r['dollar_4y']:.1f}% | {r['balance_2025']:.1f} | {r['china_2025']:.1f} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        header = args.out.read_text(encoding="utf-8").split("<!-- table -->")[0]
        args.out.write_text(header + "<!-- table -->\n" + table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
