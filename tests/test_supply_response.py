"""Scale in exporting (``mechanisms.export_scale``): a producer group's price moves with its
export sales, ``p* = c * P(x) * (E / Ebar) ** omega`` (docs/mechanisms.md section 16).

On the synthetic world: the switch off is the old behaviour exactly, the base year still
reproduces, and the frictionless long run is the partial-equilibrium solution with the
export-scale term (solved independently). On the bundled data: the 2018 trade-war replay of
``pre2025`` (the moment ``fgkkt_bystanders``), bystanders' taxed exports to third markets.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import fsolve
from synthetic import REGIONS, synthetic_data
from test_engine import FRICTIONLESS, armington_demand, china_tariff, run, scenario

from simulator.engine.members import MEMBER_MECHANISMS
from simulator.scenario import ScenarioError, load_scenario

US, CHN, VNM = REGIONS.index("USA"), REGIONS.index("CHN"), REGIONS.index("VNM")
OMEGA = -0.2


def test_the_switch_is_a_member_mechanism_and_off_by_default():
    assert "export_scale" in MEMBER_MECHANISMS
    assert scenario().mechanisms.export_scale is False


def test_switch_off_or_omega_zero_is_the_old_behaviour_exactly():
    tariffs = [china_tariff(30)]
    off = run(scenario(tariffs=tariffs, firms={"count": 2000}))
    set_but_off = run(
        scenario(
            tariffs=tariffs,
            firms={"count": 2000},
            parameters={"export_scale_elasticity": OMEGA},
        )
    )
    zero = run(
        scenario(
            tariffs=tariffs,
            firms={"count": 2000},
            mechanisms={"export_scale": True},
            parameters={"export_scale_elasticity": 0.0},
        )
    )
    for name in ("flows", "prices", "unit_values", "serving_path", "gdp_gap"):
        assert np.array_equal(getattr(off, name), getattr(set_but_off, name)), name
        assert np.array_equal(getattr(off, name), getattr(zero, name)), name


def test_base_year_is_reproduced_exactly_with_the_channel_on():
    model = run(
        scenario(
            mechanisms={"growth": False, "export_scale": True},
            parameters={"export_scale_elasticity": OMEGA},
            firms={"count": 3000},
        )
    )
    assert np.allclose(model.flows, model.data.flows[None] / 12.0, rtol=1e-12)
    assert np.allclose(model.prices, 1.0, rtol=1e-12)


def scale_solution(data, tau_new: np.ndarray, kappa: float, omega: float) -> np.ndarray:
    """Partial equilibrium with supply ``p = (Q / Qbar) ** (1 / kappa) * (E / Ebar) ** omega``
    (``E`` the quantity exported), solved independently (scipy fsolve): the GSIM solution of
    tests/test_engine.py with the export-scale term."""
    n_r, n_s = data.flows.shape[0], data.flows.shape[2]
    foreign = ~np.eye(n_r, dtype=bool)[:, :, None]
    qbar = data.flows.sum(axis=1) / 12.0
    ebar = (data.flows * foreign).sum(axis=1) / 12.0
    tariff = (1 + tau_new) / (1 + data.base_tariff)

    def excess(x: np.ndarray) -> np.ndarray:
        p = np.exp(x.reshape(n_r, n_s))
        quantity = armington_demand(data, p[:, None, :] * tariff, tau_new) / p[:, None, :]
        q, e = quantity.sum(axis=1), (quantity * foreign).sum(axis=1)
        return (np.log(q / qbar) / kappa + omega * np.log(e / ebar) - np.log(p)).ravel()

    x = fsolve(excess, np.zeros(n_r * n_s), xtol=1e-12)
    p = np.exp(x.reshape(n_r, n_s))
    return armington_demand(data, p[:, None, :] * tariff, tau_new)


@pytest.mark.parametrize("omega", [OMEGA, 0.1])
def test_long_run_equals_the_partial_equilibrium_with_export_scale(omega):
    data = synthetic_data()
    kappa = 2.0
    sc = scenario(
        end="2028-12",
        tariffs=[china_tariff(rate=40)],
        mechanisms={**FRICTIONLESS, "export_scale": True},
        parameters={
            "supply_elasticity": kappa,
            "price_adjustment_speed": 0.5,
            "export_scale_elasticity": omega,
        },
    )
    model = run(sc, data)
    expected = scale_solution(data, model.rates[-1], kappa, omega)
    assert np.allclose(model.flows[-1], expected, rtol=5e-3)
    # the term really mattered: without it the answer is another one
    without = scale_solution(data, model.rates[-1], kappa, 0.0)
    assert not np.allclose(model.flows[-1], without, rtol=5e-3)


def test_downward_sloping_export_supply_spreads_a_bystanders_gain_to_third_markets():
    """Vietnam gains US sales when the US taxes China; with scale in exporting its price falls,
    so its sales to every other market rise too (FGKKT's mechanism); without it (upward
    supply only) its price rises and its third-market sales fall."""
    data = synthetic_data()
    third = [REGIONS.index(r) for r in ("EU", "ROW")]
    runs = {}
    for omega in (None, OMEGA):
        mech = {**FRICTIONLESS, "export_scale": omega is not None}
        params = {"supply_elasticity": 3.0}
        if omega is not None:
            params["export_scale_elasticity"] = omega
        runs[omega] = run(
            scenario(end="2026-12", tariffs=[china_tariff(25)], mechanisms=mech, parameters=params),
            data,
        )
    base = data.flows / 12.0
    s = 3  # computers_semis
    assert runs[OMEGA].flows[-1, VNM, US, s] > base[VNM, US, s]
    to_third = {
        k: m.flows[-1, VNM, third, s].sum() / base[VNM, third, s].sum() for k, m in runs.items()
    }
    assert to_third[None] < 1.0 < to_third[OMEGA]
    assert runs[OMEGA].prices[-1, VNM, s] < 1.0 < runs[None].prices[-1, VNM, s]


# ------------------------------------------------------------------ bundled data: the 2018 replay
BYSTANDERS = ["DEU", "IRL", "EU_OTHER", "MEX", "CAN", "VNM", "JPN", "KOR", "TWN", "IND", "CHE"]
BYSTANDERS += ["GBR", "ROW"]
TAXED = ["machinery", "computers_semis", "other_goods", "autos", "consumer_goods", "steel"]
TAXED += ["aluminium", "agriculture", "energy"]
UNTAXED = ["beverages", "motorcycles", "aircraft", "pharma"]


def trade_war(tmp_path, *sets: str) -> dict[str, float]:
    """The ``pre2025`` replay ``trade_war_2018`` and its control with extra ``--set`` values
    on the base scenario: the moment ``fgkkt_bystanders`` and bystanders' exports of taxed
    against untaxed sectors (100 x log change against the control, months 7-18) to the US and
    to third markets (neither the US nor China)."""
    from simulator.estimation.moments import load_moments, resolve_path
    from simulator.estimation.replay import Replays
    from simulator.estimation.smm import start_values
    from simulator.runs.run import RunSpec, batch_worlds

    text = resolve_path("pre2025").read_text()
    old = "set: [firms.count=0]"
    assert old in text
    path = tmp_path / f"pre2025_{len(list(tmp_path.iterdir()))}.yaml"
    path.write_text(text.replace(old, "set: [" + ", ".join(["firms.count=0", *sets]) + "]"))
    replays = Replays(load_moments(path))
    moments = replays.simulate(start_values(replays)[None])[0]
    out = {"fgkkt": float(moments[replays.file.moment_ids.index("fgkkt_bystanders")])}
    flows = {}
    for key, name in (
        ("treated", replays._name("trade_war_2018")),
        ("control", replays.control_of["trade_war_2018"]),
    ):
        worlds, _ = batch_worlds([RunSpec(0, replays.scenarios[name], 2025, {})])
        worlds.run()
        flows[key] = worlds.flows[0, 18:30].sum(axis=0)  # months 7-18 of the episode
    data = replays.data
    regions, sectors = list(data.regions), list(data.sectors)
    by = [regions.index(r) for r in BYSTANDERS]
    us, cn = regions.index("USA"), regions.index("CHN")
    foreign = ~np.eye(len(regions), dtype=bool)

    def change(destinations: list[int], group: list[str]) -> float:
        mask = np.zeros(flows["control"].shape, dtype=bool)
        cells = np.ix_(by, destinations, [sectors.index(s) for s in group])
        mask[cells] = True
        mask &= foreign[:, :, None]
        return 100.0 * np.log(flows["treated"][mask].sum() / flows["control"][mask].sum())

    third = [i for i in range(len(regions)) if i not in (us, cn)]
    for label, destinations in (("us", [us]), ("third", third)):
        out[label] = change(destinations, TAXED) - change(destinations, UNTAXED)
    return out


def test_the_replayed_moment_is_unchanged_with_the_switch_off(tmp_path):
    """docs/calibration.md: 0.083 at the defaults (the channel is off by default)."""
    assert trade_war(tmp_path)["fgkkt"] == pytest.approx(0.0827, abs=5e-4)


def test_bystanders_taxed_exports_to_third_markets_rise_with_scale_in_exporting(tmp_path):
    """Buyers re-sourcing every month (no switching frictions): without the channel the
    bystanders' taxed exports to third markets fall against untaxed ones (their supply slopes
    up: selling more to the US costs them elsewhere); with omega = -0.2 they rise, and the
    moment (to every destination) more than doubles. At the default frictions the channel
    moves little (docs/calibration.md)."""
    off = trade_war(tmp_path, "mechanisms.switching_frictions=false")
    on = trade_war(
        tmp_path,
        "mechanisms.switching_frictions=false",
        "mechanisms.export_scale=true",
        f"parameters.export_scale_elasticity={OMEGA}",
    )
    assert off["third"] < 0.0 < on["third"]
    assert on["us"] > off["us"] > 0.0
    assert on["fgkkt"] > 2.0 * off["fgkkt"] > 0.0
    assert on["fgkkt"] < 6.7  # still short of FGKKT's 6.7%


def test_members_with_and_without_the_channel_equal_their_runs_alone():
    """A batch whose members differ in the switch and in omega: each equals its run alone
    (the member without it gets a factor of exactly 1)."""
    from test_members import batch_equal_to_alone

    sets = ["firms.count=0", "end=2025-12"]
    overrides = [
        [*sets, "mechanisms.export_scale=true", f"parameters.export_scale_elasticity={OMEGA}"],
        sets,
        [*sets, "mechanisms.export_scale=true", "parameters.export_scale_elasticity=0.1"],
    ]
    worlds, _ = batch_equal_to_alone("us_2025", overrides)
    assert not np.allclose(worlds.prices[0], worlds.prices[1])
    assert not np.allclose(worlds.prices[2], worlds.prices[1])


def test_prices_stay_bounded_at_the_steepest_slope_the_schema_allows(tmp_path):
    """The 2018 replay run to 2034, buyers re-sourcing every month, omega at its bound -0.3:
    producer prices settle within 10% of the baseline (at -0.35 they run away)."""
    import copy

    from simulator.estimation.moments import load_moments, resolve_path
    from simulator.estimation.replay import Replays
    from simulator.runs.run import RunSpec, batch_worlds
    from simulator.scenario.schema import Parameters

    with pytest.raises(ValueError):
        Parameters(export_scale_elasticity=-0.35)
    sets = (
        "firms.count=0, mechanisms.switching_frictions=false, mechanisms.export_scale=true, "
        "parameters.export_scale_elasticity=-0.1"
    )
    text = resolve_path("pre2025").read_text()
    path = tmp_path / "pre2025_bound.yaml"
    path.write_text(text.replace("set: [firms.count=0]", f"set: [{sets}]"))
    replays = Replays(load_moments(path))
    scenario = copy.deepcopy(replays.scenarios[replays._name("trade_war_2018")])
    scenario["end"] = "2034-12"
    values = {"parameters.export_scale_elasticity": -0.3}
    worlds, _ = batch_worlds([RunSpec(0, scenario, 2025, values)])
    worlds.run()
    gap = np.abs(np.log(worlds.prices[0]))
    assert np.all(np.isfinite(gap))
    assert gap.max() < 0.1
    assert gap[-12:].max() <= gap[-24:-12].max() + 1e-3  # settled, not drifting


def test_switching_scale_on_without_its_elasticity_is_refused_at_the_key():
    """The bundled data hold no sourced value of omega: a scenario that switches the channel
    on must set it, and is told so at the switch's line (not run with a made-up default)."""
    with pytest.raises(ScenarioError) as err:
        load_scenario("autos_25", ["mechanisms.export_scale=true"])
    text = str(err.value)
    assert "mechanisms.export_scale" in text
    assert "set parameters.export_scale_elasticity" in text
    loaded = load_scenario(
        "autos_25", ["mechanisms.export_scale=true", "parameters.export_scale_elasticity=-0.1"]
    )
    assert loaded.scenario.parameters.export_scale_elasticity == -0.1
