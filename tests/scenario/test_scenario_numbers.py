"""Numbers in a scenario are finite, and bounded where a huge value would break the model.

Every number is checked, wherever it is written (a key, a mapping of months, a list): NaN and
infinity are refused with the file, line and key, never run into outputs full of NaN.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import simulator
from simulator.cli import EXIT_BAD_INPUT, main
from simulator.scenario import ScenarioError, load_scenario
from simulator.scenario.errors import schema_blocks
from simulator.scenario.schema import Scenario

# (what it sets, the YAML under the scenario's name, the line and key of the error, its words)
CASES = [
    (
        "capital inflows of 1e308",
        "shocks:\n  capital_inflows:\n    - start: 2025-01\n      usd_bn_per_month: 1e308\n",
        "5:7: shocks.capital_inflows[0].usd_bn_per_month",
        "invalid value 1e308 (expected: a number from -10,000 to 10,000)",
    ),
    (
        "capital inflows of .nan",
        "shocks:\n  capital_inflows:\n    - start: 2025-01\n      usd_bn_per_month: .nan\n",
        "5:7: shocks.capital_inflows[0].usd_bn_per_month",
        "expected a finite number, got .nan (expected: a number from -10,000 to 10,000)",
    ),
    (
        "an AI capex path value of .nan",
        "shocks:\n  ai_capex:\n    import_content: 0.6\n    path: {2024-06: 5, 2025-01: .nan}\n",
        "5:24: shocks.ai_capex.path.2025-01",
        "expected a finite number, got .nan",
    ),
    (
        "an exchange-rate path value of .inf",
        "shocks:\n  exchange_rates:\n    - region: CHN\n      path:\n        2025-01: .inf\n",
        "6:9: shocks.exchange_rates[0].path.2025-01",
        "expected a finite number, got .inf (expected: a number from 0.01 to 100)",
    ),
    (
        "an exchange-rate path value of 1000",
        "shocks:\n  exchange_rates:\n    - region: USA\n      path: {2025-01: 1000}\n",
        "5:14: shocks.exchange_rates[0].path.2025-01",
        "invalid value 1000 (expected: a number from 0.01 to 100)",
    ),
    (
        "a gold price of .inf",
        "shocks:\n  gold:\n    spread: {2025-01: 20}\n    price: {2025-01: .inf}\n",
        "5:13: shocks.gold.price.2025-01",
        "expected a finite number, got .inf (expected: a number > 0 and ≤ 100,000)",
    ),
    (
        "a gold spread of .nan",
        "shocks:\n  gold:\n    spread: {2025-01: .nan}\n    price: {2025-01: 2800}\n",
        "4:14: shocks.gold.spread.2025-01",
        "expected a finite number, got .nan",
    ),
    (
        "a supply elasticity of .inf",
        "parameters:\n  supply_elasticity: .inf\n",
        "3:3: parameters.supply_elasticity",
        "expected a finite number, got .inf (expected: a number ≥ 0.2)",
    ),
    (
        "a productivity shape of .inf",
        "firms:\n  productivity_shape: .inf\n",
        "3:3: firms.productivity_shape",
        "expected a finite number, got .inf (expected: a number > 1)",
    ),
    (
        "a gold capacity of .inf",
        "parameters:\n  gold:\n    capacity_tonnes: .inf\n",
        "4:5: parameters.gold.capacity_tonnes",
        "expected a finite number, got .inf (expected: a number > 0 and ≤ 10,000)",
    ),
    (
        "a dollar inflow elasticity of 1e300",
        "parameters:\n  dollar: {inflow_elasticity: 1e300}\n",
        "3:12: parameters.dollar.inflow_elasticity",
        "invalid value 1e300 (expected: a number from 0 to 10)",
    ),
    (
        "a tariff rate of -.inf",
        "tariffs:\n  - {imposer: USA, rate: -.inf, effective: 2025-04-01}\n",
        "3:20: tariffs[0].rate",
        "expected a finite number, got -.inf (expected: a number in percent between 0 and 1000)",
    ),
    (
        "a number too large to store",
        "parameters:\n  pass_through: 1e400\n",
        "3:3: parameters.pass_through",
        "expected a finite number, got 1e400 (expected: a number from 0 to 1)",
    ),
]


@pytest.mark.parametrize(("label", "body", "where", "words"), CASES, ids=[c[0] for c in CASES])
def test_non_finite_and_huge_numbers_are_refused_at_their_key(tmp_path, label, body, where, words):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\n" + body)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert f"{path.name}:{where}: {words}" in message, message
    assert len(caught.value.issues) == 1
    if "finite" in words:
        assert "hint: YAML reads .nan as not-a-number" in message
    for leak in ("pydantic", "Input should be", "nan)", "inf)"):
        assert leak not in message


def test_every_block_of_the_schema_refuses_nan_and_infinity():
    # a new block inherits it from Strict; this fails if one is added that does not
    for path, block in schema_blocks(Scenario):
        assert block.model_config.get("allow_inf_nan") is False, path or "the top level"


def test_an_override_of_nan_is_refused_with_the_override_named(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, ["parameters.macro.twin_deficit=.nan"])
    assert str(caught.value).startswith(
        "--set parameters.macro.twin_deficit=.nan: parameters.macro.twin_deficit: "
        "expected a finite number, got .nan (expected: a number from 0 to 1)"
    )


def test_an_override_of_infinity_is_refused_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\n")
    argv = ["validate", str(path), "--set", "shocks.capital_inflows=[{start: 2025-01, "]
    argv[-1] += "usd_bn_per_month: -.inf}]"
    assert main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "shocks.capital_inflows[0].usd_bn_per_month: expected a finite number, got -.inf" in err
    assert "Traceback" not in err


def test_validate_refuses_a_nan_end_to_end_without_a_traceback(tmp_path):
    path = tmp_path / "nan.yaml"
    path.write_text("name: nan\nparameters:\n  supply_elasticity: .nan\n")
    root = str(Path(simulator.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root}
    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == EXIT_BAD_INPUT
    assert done.stderr.startswith(
        "tradesim: error: nan.yaml:3:3: parameters.supply_elasticity: "
        "expected a finite number, got .nan"
    )
    assert "Traceback" not in done.stderr and not done.stdout


@pytest.mark.parametrize(
    ("gold", "where", "words"),
    [
        (
            "{cost_usd_per_oz: 30, full_spread_usd_per_oz: 20}",
            "parameters.gold.full_spread_usd_per_oz",
            "'full_spread_usd_per_oz' (20) must be above 'cost_usd_per_oz' (30)",
        ),
        (
            "{cost_usd_per_oz: 30}",
            "parameters.gold.cost_usd_per_oz",
            "'full_spread_usd_per_oz' (20) must be above 'cost_usd_per_oz' (30); "
            "full_spread_usd_per_oz is data set base_2024's value",
        ),
        (
            "{full_spread_usd_per_oz: 4}",
            "parameters.gold.full_spread_usd_per_oz",
            "'full_spread_usd_per_oz' (4) must be above 'cost_usd_per_oz' (5)",
        ),
    ],
)
def test_a_gold_cost_at_or_above_the_full_spread_is_refused(tmp_path, gold, where, words):
    # the model divides by their difference (simulator/markets/gold.py)
    path = tmp_path / "gold.yaml"
    path.write_text(f"name: gold\nparameters:\n  gold: {gold}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "gold.yaml:3:" in str(caught.value)
    assert f"{where}: {words}" in str(caught.value)


def test_a_gold_cost_below_the_data_sets_full_spread_is_accepted(tmp_path):
    path = tmp_path / "gold.yaml"
    path.write_text("name: gold\nparameters:\n  gold: {cost_usd_per_oz: 19}\n")
    assert load_scenario(path).scenario.parameters.gold.cost_usd_per_oz == 19


CAPEX = """\
name: capex
shocks:
  ai_capex:
    import_content: 1.0
    origin_shares: {MEX: 1.0}
"""


@pytest.mark.parametrize("capex", [-3.0, 0.0, 10.0])
def test_ai_capex_below_its_2024_average_within_the_base_years_purchases_is_accepted(
    tmp_path, capex
):
    path = tmp_path / "capex.yaml"
    path.write_text(CAPEX + f"    path: {{2024-06: {capex}}}\n")
    assert load_scenario(path).scenario.shocks.ai_capex.path == {"2024-06": capex}


def test_ai_capex_below_its_2024_average_beyond_the_base_years_purchases_is_refused(tmp_path):
    # all of it imported from Mexico: less than the ~6 $bn a month the US bought there in 2024
    path = tmp_path / "capex.yaml"
    path.write_text(CAPEX + "    path:\n      2024-06: 5\n      2025-01: -10\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "capex.yaml:8:7: shocks.ai_capex.path.2025-01: AI capex 10 $bn a month below" in message
    assert "purchases of computers_semis from MEX by" in message
    assert "(expected: at least -" in message and "hint: a negative value" in message
