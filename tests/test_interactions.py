"""Several channels at once, where the combined result has a known answer.

Front-loading with partial pass-through (the inventory rule by hand, in quantities, with the
exporters' price cut), retaliation with diversion (the frictionless long run is the Armington
answer at both sides' rates), and the dollar with dollar invoicing (the long run is the
Armington answer at landed prices built from the invoicing shares).
"""

from __future__ import annotations

import numpy as np
import pytest
from independent import (
    FLAT_SUPPLY,
    armington,
    assert_close,
    cube,
    off_diagonal,
    run,
    scheduled_rates,
    tables,
)
from test_sizes import CHINA_25, INVENTORY, JAN_2025, N_MONTHS, front_loaded_by_hand

T = tables()
US, CHN = T.r("USA"), T.r("CHN")


def test_front_loading_with_partial_pass_through_follows_the_inventory_rule():
    """Buyers gain only rho of the tariff rise, and pay exporters tf ** (rho - 1) a unit."""
    rho = 0.6
    announced = {**CHINA_25, "effective": "2025-04-01", "announced": "2025-01-01"}
    mech = {"front_loading": True, "diversion": True, "pass_through": True}
    params = {"supply_elasticity": FLAT_SUPPLY, "inventory": INVENTORY, "pass_through": rho}
    with_fl = cube(run(mech, tariffs=[announced], parameters=params))[:, CHN, US]
    without = cube(run({**mech, "front_loading": False}, tariffs=[announced], parameters=params))
    rates = scheduled_rates([announced], N_MONTHS)[:, CHN, US]
    unit_value = ((1 + rates) / (1 + rates[0])) ** (rho - 1.0)  # exporters absorb the rest
    for s in np.flatnonzero(T.goods):
        use = without[:, CHN, US, s] / unit_value[:, s]
        bought = front_loaded_by_hand(use, rates[:, s], announced=JAN_2025, rho=rho)
        assert with_fl[:, s] == pytest.approx(bought * unit_value[:, s], rel=1e-9), T.sectors[s]
    # and less is stocked than with full pass-through (a smaller saving)
    full = front_loaded_by_hand(use, rates[:, s], announced=JAN_2025, rho=1.0)
    assert full[13:15].sum() > bought[13:15].sum() > use[13:15].sum()


def test_retaliation_with_diversion_reaches_the_armington_answer_at_both_sides_rates():
    """China mirrors the trade-weighted US tariff on its goods, two months later, on US farm
    goods and beverages; in the frictionless long run every flow is the Armington answer."""
    steel = {"imposer": "USA", "partners": ["CHN"], "sectors": ["steel", "machinery"], "rate": 50,
             "effective": "2025-01-01"}  # fmt: skip
    rule = {"imposer": "CHN", "target": "USA", "sectors": ["agriculture", "beverages"],
            "match": "rate", "lag_months": 2}  # fmt: skip
    result = run(
        {"diversion": True, "retaliation": True},
        tariffs=[steel],
        retaliation=[rule],
        parameters={"supply_elasticity": FLAT_SUPPLY},
    )
    goods = np.flatnonzero(T.goods)
    weights = T.flows[CHN, US, goods]
    mirrored = 0.5 * T.flows[CHN, US, [T.s("steel"), T.s("machinery")]].sum() / weights.sum()
    tau = scheduled_rates([steel], N_MONTHS)
    hit = [T.s("agriculture"), T.s("beverages")]
    tau[JAN_2025 + 2 :, US, CHN, hit] += mirrored
    flows = cube(result)
    revenue = result.macro[result.macro.region == "CHN"].tariff_revenue.to_numpy() / 1e9
    assert revenue == pytest.approx((flows[:, :, CHN] * tau[:, :, CHN]).sum(axis=(1, 2)))
    expected = off_diagonal(armington((1 + tau[-1]) / (1 + T.tariff), tau[-1]))
    assert_close(flows[-1], expected, rel=1e-7, abs=1e-9)
    agri = T.s("agriculture")
    from_us, from_all = flows[:, US, CHN, agri], flows[:, :, CHN, agri].sum(axis=1)
    assert from_us[-1] < 0.9 * from_us[0]  # US farm exports to China fall ...
    assert from_all[-1] - from_us[-1] > from_all[0] - from_us[0]  # ... others supply instead


@pytest.mark.parametrize(
    ("us_invoicing", "other_invoicing"),
    [(None, None), (1.0, 0.0)],
)
def test_dollar_with_invoicing_reaches_the_armington_answer(us_invoicing, other_invoicing):
    """A 10% stronger dollar. Landed prices in the buyer's currency: fx_o ** (1 - inv_d) / fx_d
    for imports (the invoiced share sticky in dollars), 1 for domestic goods; spending is fixed
    in local currency, so in dollars it moves with fx_d."""
    dollar = 1.1
    params: dict = {"supply_elasticity": FLAT_SUPPLY, "dollar": {}}
    if us_invoicing is not None:
        params["dollar"] = {
            "us_import_invoicing_share": us_invoicing,
            "invoicing_share": other_invoicing,
        }
    result = run(
        {"diversion": True, "dollar": True},
        shocks={"exchange_rates": [{"region": "USA", "path": {"2025-01": dollar}}]},
        parameters=params,
    )
    inv_us = T.parameters["dollar_invoicing_share_us_imports"] if us_invoicing is None else 1.0
    inv = T.parameters["dollar_invoicing_share"] if other_invoicing is None else 0.0
    invoicing = np.where(np.arange(len(T.regions)) == US, inv_us, inv)
    fx = np.where(np.arange(len(T.regions)) == US, 1.0, 1.0 / dollar)
    rel = fx[:, None] ** (1.0 - invoicing[None, :]) / fx[None, :]
    np.fill_diagonal(rel, 1.0)
    rel = np.repeat(rel[:, :, None], len(T.sectors), axis=2)
    expected = off_diagonal(armington(rel, T.tariff, spend_factor=fx))
    flows = cube(result)
    assert_close(flows[-1], expected, rel=1e-7, abs=1e-9)
    us_imports = flows[:, :, US].sum(axis=(1, 2))
    us_exports = flows[:, US].sum(axis=(1, 2))
    assert us_exports[-1] < 0.97 * us_exports[0]  # dearer abroad in every currency
    if us_invoicing == 1.0:  # US import prices fixed in dollars: nothing changes at home
        assert us_imports[-1] == pytest.approx(us_imports[0], rel=1e-9)
    else:
        assert us_imports[-1] > us_imports[0]
