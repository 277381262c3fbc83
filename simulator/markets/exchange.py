"""Exchange rates: observed paths and the dollar channel.

Each currency's value in dollars is ``e_r = x_r / D`` for ``r`` other than the US, where
``x_r`` is the scenario's own path for that currency (1 if none) and ``D`` the dollar index:
its given path (``region: USA``) times the appreciation caused by net capital inflows,

    D = D_path * exp(beta / 100 * 100 * 12 * F / Y)

with ``F`` the inflows in $bn a month, ``Y`` US GDP in $bn a year and ``beta`` the percent
appreciation per 1% of GDP of annual inflows. With the dollar mechanism off every rate is 1.
"""

from __future__ import annotations

import numpy as np

from simulator.calibration.dataset import BaseData

US = "USA"


def exchange_rates(
    fx_path: np.ndarray,
    inflows: np.ndarray,
    enabled: np.ndarray,
    inflow_elasticity: np.ndarray,
    data: BaseData,
) -> np.ndarray:
    """Value of each region's currency in dollars in a month (base year = 1), ``[member,
    region]``.

    ``fx_path`` is the month's row of the scenario's exchange-rate paths, by region;
    ``inflows`` the month's net capital inflows ($bn) ``[member, region]``; ``enabled`` says
    for each member whether the dollar mechanism is on (else its rates are all 1);
    ``inflow_elasticity`` is ``beta`` above (``parameters.dollar.inflow_elasticity``), one
    value per member.
    """
    n_members = inflow_elasticity.size
    if not enabled.any() or US not in data.regions:
        return np.ones((n_members, data.n_regions))
    us = data.region_index(US)
    inflow_pct_gdp = 100.0 * 12.0 * inflows[:, us] / data.gdp[us]
    dollar = fx_path[us] * np.exp(inflow_elasticity / 100.0 * inflow_pct_gdp)
    fx = fx_path[None, :] / dollar[:, None]
    fx[:, us] = 1.0
    return np.where(enabled[:, None], fx, 1.0)
