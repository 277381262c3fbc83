"""A small synthetic world for fast tests that do not depend on the bundled data."""

from __future__ import annotations

import numpy as np

from simulator.calibration.dataset import BaseData

REGIONS = ("USA", "CHN", "EU", "VNM", "ROW")
SECTORS = (
    "agriculture",
    "steel",
    "autos",
    "computers_semis",
    "other_goods",
    "digital_services",
    "other_services",
)

RAUCH = (0.0, 1.0, 2.0, 2.0, 1.0, 2.0, 2.0)  # organised exchange, reference-priced, differentiated


def synthetic_data(seed: int = 1, tariff: float = 0.03) -> BaseData:
    """Random but plausible flows: domestic sales dominate, every cell positive."""
    rng = np.random.default_rng(seed)
    n_r, n_s = len(REGIONS), len(SECTORS)
    flows = rng.uniform(1.0, 50.0, (n_r, n_r, n_s))
    idx = np.arange(n_r)
    flows[idx, idx, :] = rng.uniform(200.0, 800.0, (n_r, n_s))
    base_tariff = np.full((n_r, n_r, n_s), tariff)
    base_tariff[idx, idx, :] = 0.0
    kinds = tuple("services" if s.endswith("services") else "goods" for s in SECTORS)
    base_tariff[:, :, [k == "services" for k in kinds]] = 0.0
    return BaseData(
        name="synthetic",
        regions=REGIONS,
        sectors=SECTORS,
        sector_kind=kinds,
        flows=flows,
        base_tariff=base_tariff,
        elasticity=np.array([3.0, 4.0, 5.0, 6.0, 3.5, 2.5, 1.5]),
        growth=np.array([0.04, 0.06, 0.03, 0.08, 0.05]),
        gdp=np.array([29000.0, 18700.0, 19400.0, 480.0, 40000.0]),
        parameters={
            "capacity_utilisation": 0.78,
            "tariff_pass_through": 0.95,
            "adjustment_speed": 0.1,
            "supply_elasticity": 3.0,
            "inventory_carrying_cost_pct_per_month": 2.0,
            "dollar_inflow_elasticity": 2.0,
            "dollar_invoicing_share": 0.4,
            "dollar_invoicing_share_us_imports": 0.93,
            "twin_deficit": 0.3,
            "income_feedback": 0.5,
            "switching_cost_homogeneous_months": 0.25,
            "switching_cost_reference_months": 1.0,
            "switching_cost_differentiated_months": 4.0,
            "switching_cost_dispersion": 1.0,
            "discount_rate_pct_per_year": 6.0,
            "fx_half_life_months": 48.0,
            "tariff_threat_probability": 0.56,
            "export_profit_tail": 2.46,
            "export_hysteresis_band": 0.25,
            "exporter_share_of_firms": 0.18,
            **{f"rauch_class_{s}": c for s, c in zip(SECTORS, RAUCH, strict=True)},
        },
    )
