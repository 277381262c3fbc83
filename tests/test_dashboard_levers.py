"""The dashboard's levers as scenarios: validated, downloadable, replayed exactly."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from simulator.api import run_scenario
from simulator.dashboard.levers import (
    MAX_UPLOAD_BYTES,
    MECHANISMS,
    Levers,
    Upload,
    base_info,
    key_table,
    opened,
    results_zip,
    run_levers,
    safe_filename,
    scenario_yaml,
)
from simulator.scenario import ScenarioError, load_scenario

SHORT = "firms_short.yaml"


@pytest.fixture(scope="module")
def short_base() -> Upload:
    """A small uploaded scenario: autos_25 with a continuum of firms, to 2026."""
    text = "extends: autos_25\nname: short\nend: 2026-12\nfirms:\n  count: 0\n"
    return Upload.receive(SHORT, text.encode())


def test_levers_become_a_child_scenario_that_replays_exactly(short_base, tmp_path):
    levers = Levers(
        autos_rate=25,
        china_rate=60,
        retaliation_rate=25,
        dollar_change_pct=-10,
        pass_through=0.8,
        adjustment_speed=0.1,
        mechanisms={"front_loading": False},
    )
    run = run_levers(short_base, levers, "lesson_1")
    child = run.child
    assert child["extends"] == SHORT
    assert [t["id"] for t in child["tariffs"]] == ["dashboard_autos", "dashboard_china"]
    assert child["parameters"] == {"pass_through": 0.8, "adjustment_speed": 0.1}
    assert child["mechanisms"] == {"front_loading": False}
    assert {r["imposer"] for r in child["retaliation"]} == {"CHN", "EU"}
    # the downloaded file, saved beside the uploaded one, runs to the same numbers
    (tmp_path / SHORT).write_bytes(short_base.data)
    (tmp_path / "lesson_1.yaml").write_text(scenario_yaml(child))
    again = run_scenario(tmp_path / "lesson_1.yaml")
    np.testing.assert_array_equal(again.model.flows, run.result.model.flows)
    # and the levers did something: the tariff on China cut imports from China
    plain = run_levers(short_base, Levers(), "plain")
    assert len(plain.child) == 3  # extends, name, description: nothing changed
    china = run.result.model.data.region_index("CHN")
    usa = run.result.model.data.region_index("USA")
    last = (slice(-12, None), china, usa)
    assert run.result.model.flows[last].sum() < 0.8 * plain.result.model.flows[last].sum()


def test_dollar_and_ai_capex_levers_replace_the_paths():
    base = load_scenario("us_2025")
    child = Levers(dollar_change_pct=-10, ai_capex_scale=2).child(base, "us_2025", "x")
    rates = child["shocks"]["exchange_rates"]
    assert rates == [
        {"region": "USA", "path": {"2024-12": 1.0, "2025-12": 0.9}, "source": "dashboard lever"}
    ]
    own = base.scenario.shocks.ai_capex.path
    assert child["shocks"]["ai_capex"]["path"] == {m: 2 * v for m, v in own.items()}
    loaded = load_scenario(child)
    assert loaded.scenario.shocks.ai_capex.import_content == (
        base.scenario.shocks.ai_capex.import_content
    )


def test_bad_or_large_uploads_are_refused_with_file_and_line():
    with pytest.raises(ScenarioError, match=r"^my_file\.yaml:3:.*tariffs\[0\]\.rate"):
        Upload.receive(
            "../../etc/my file.yaml",
            b"name: x\ntariffs:\n  - rate: -5\n    imposer: USA\n    effective: 2025-01\n",
        )
    with pytest.raises(ScenarioError, match="at most 256 KB"):
        Upload.receive("big.yaml", b"#" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ScenarioError, match=r"bad\.yaml:1"):
        Upload.receive("bad.yaml", b"- just\n- a list\n")
    assert safe_filename("../../etc/my file.yaml") == "my_file.yaml"
    assert safe_filename("...") == "scenario.yaml"


def test_results_download_holds_tables_and_settings(short_base):
    run = run_levers(short_base, Levers(steel_rate=25), "steel")
    for fmt, suffix in (("csv", ".csv"), ("parquet", ".parquet")):
        archive = zipfile.ZipFile(io.BytesIO(results_zip(run, fmt)))
        names = sorted(archive.namelist())
        assert names == sorted(
            [f"{t}{suffix}" for t in ("macro", "trade", "who_pays")]
            + ["steel.yaml", "provenance.json"]
        )
        data = archive.read(f"who_pays{suffix}")
        frame = pd.read_csv(io.BytesIO(data)) if fmt == "csv" else pd.read_parquet(io.BytesIO(data))
        assert frame.deadweight_loss.notna().all()  # the counterfactual run was made
        # the upload is named as the student named it, not by the server's temporary folder
        provenance = json.loads(archive.read("provenance.json"))
        assert provenance["scenario_chain"][:2] == [SHORT, "autos_25"]
        assert "tradesim-upload" not in archive.read("provenance.json").decode()
    table = key_table([run, run_levers(short_base, Levers(), "none")])
    assert list(table.columns) == ["steel", "none", "none − steel"]


def test_base_info_reads_the_scenario_and_data_defaults():
    info = base_info("us_2025")
    assert info.has_ai_capex and info.months[0] == "2024-02"
    assert info.pass_through == pytest.approx(0.95)  # the data set's sourced default
    assert not base_info("baseline").has_ai_capex


def test_dashboard_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    import simulator.dashboard.server as server
    from simulator.cli import main

    monkeypatch.setattr(server, "missing_extra", lambda: "solara")
    assert main(["dashboard", "--port", "1"]) == 2
    assert 'pip install ".[dashboard]" in a tradesim checkout' in capsys.readouterr().err


def test_dashboard_on_a_busy_port_says_so(capsys):
    import socket

    pytest.importorskip("solara")
    from simulator.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    assert "choose another --port" in capsys.readouterr().err


def test_a_lever_for_a_region_the_scenario_merges_away_is_refused():
    small = Upload.receive("two.yaml", b"name: two\nregions: [USA, CHN]\nfirms:\n  count: 0\n")
    with pytest.raises(ScenarioError, match="does not model EU"):
        run_levers(small, Levers(eu_rate=10), "x")
    assert run_levers(small, Levers(china_rate=10), "y").result.regions == ("USA", "CHN", "ROW")


def test_an_upload_cannot_read_other_files_on_the_server(tmp_path):
    """An uploaded file may extend bundled scenarios only: a path to a file of the server's
    is refused before the file is opened, so not even its existence or shape is revealed."""
    secret = tmp_path / "server_config.yaml"
    secret.write_text("password: x\ntoken: y\n")
    relative = "../" * 12 + str(secret).lstrip("/")
    for ref in (str(secret), relative):
        text = f"extends: {ref}\nname: sneaky\n"
        with pytest.raises(ScenarioError) as caught:
            Upload.receive("sneaky.yaml", text.encode())
        message = str(caught.value)
        assert message.startswith("sneaky.yaml:1:")
        assert "can name only a bundled scenario" in message
        assert "top-level keys" not in message and "server_config" not in message
    assert Upload.receive("fine.yaml", b"extends: baseline\nname: fine\n").filename == "fine.yaml"


def test_an_upload_that_is_not_yaml_is_refused_by_its_name_and_errors_hide_server_paths():
    with pytest.raises(ScenarioError, match=r"^data\.csv: this is not a scenario file"):
        Upload.receive("data.csv", b"a,b\n1,2\n")
    short = b"extends: us_2025\nname: short\nstart: 2025-03\nend: 2025-08\n"
    with pytest.raises(ScenarioError) as caught:  # us_2025's own dates fall outside
        Upload.receive("short.yaml", short)
    message = str(caught.value)
    assert "us_2025.yaml:" in message and "outside the horizon" in message
    assert "bundled_scenarios/" not in message and "/scenarios/" not in message


def test_lever_tariffs_outside_the_horizon_are_blamed_on_the_lever_not_the_file():
    months = Upload.receive(
        "spring.yaml", b"extends: baseline\nname: spring\nstart: 2025-01\nend: 2025-03\n"
    )
    with pytest.raises(ScenarioError, match=r"would take effect in 2025-04.*2025-02 to 2025-03"):
        run_levers(months, Levers(autos_rate=10, effective="2025-04"), "x")


def test_retaliation_switched_off_adds_no_rules_and_is_not_described():
    base = load_scenario("china_eu_special")
    levers = Levers(retaliation_rate=25, mechanisms={"retaliation": False})
    child = levers.child(base, "china_eu_special", "quiet")
    assert "retaliation" not in child
    assert "retaliate" not in child["description"] and "retaliation off" in child["description"]
    loud = Levers(retaliation_rate=25).child(base, "china_eu_special", "loud")
    assert {r["imposer"] for r in loud["retaliation"]} == {"CHN", "EU"}


def test_key_table_keeps_its_row_order_when_runs_differ_in_rows(short_base, monkeypatch):
    import simulator.results.summary as summary

    run_a = run_levers(short_base, Levers(), "a")
    run_b = run_levers(short_base, Levers(steel_rate=25), "b")
    full = summary.key_outcomes(run_a.result)
    dropped = full.index[1]
    real = summary.key_outcomes
    monkeypatch.setattr(
        summary,
        "key_outcomes",
        lambda result: real(result).drop(dropped) if result is run_b.result else real(result),
    )
    table = key_table([run_b, run_a])
    assert list(table.index) == list(full.index)  # the longer run's order, not alphabetical
    assert np.isnan(table.loc[dropped, "b"]) and np.isnan(table.loc[dropped, "a − b"])


def test_the_page_offers_no_switch_for_a_channel_that_needs_a_parameter_it_lacks():
    """Scale in exporting needs parameters.export_scale_elasticity, which the page has no
    lever for: no checkbox, and the levers leave the scenario's own setting alone."""
    assert "export_scale" not in MECHANISMS
    assert "export_scale" not in dict(base_info("us_2025").mechanisms)
    levers = Levers(china_rate=10, mechanisms={k: True for k in MECHANISMS})
    child = levers.child(load_scenario("us_2025"), "us_2025", "x")
    assert "export_scale" not in child.get("mechanisms", {})
    assert not load_scenario(child).scenario.mechanisms.export_scale


def test_a_scenario_the_server_keeps_loaded_is_read_again_when_its_file_changes(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("extends: baseline\nname: mine\ndescription: first\n")
    first = opened_scenario(str(path))
    assert opened_scenario(str(path)) is first  # kept: not loaded again
    path.write_text("extends: baseline\nname: mine\ndescription: second, longer\n")
    again = opened_scenario(str(path))
    assert again is not first and again.scenario.description == "second, longer"


def opened_scenario(source: str):
    with opened(source) as (loaded, _):
        return loaded


def test_a_slider_keeps_the_scenarios_own_value_until_the_student_moves_it():
    """us_2025_estimated's adjustment speed (0.005465) sits at the slider's 0.01 in the
    browser: the run keeps 0.005465, not the snapped value, until the slider is moved."""
    from simulator.dashboard.levers import ADJUSTMENT_SLIDER, PASS_THROUGH_SLIDER, base_info

    own = base_info("us_2025_estimated").adjustment_speed
    assert own == pytest.approx(0.005465) and ADJUSTMENT_SLIDER.snap(own) == 0.01
    assert ADJUSTMENT_SLIDER.lever(own, own) is None  # before the browser snaps it
    assert ADJUSTMENT_SLIDER.lever(0.01, own) is None  # after
    assert ADJUSTMENT_SLIDER.lever(0.02, own) == 0.02  # moved
    assert (
        PASS_THROUGH_SLIDER.lever(0.95, 0.93) is None
        and PASS_THROUGH_SLIDER.lever(0.9, 0.93) == 0.9
    )
    levers = Levers(adjustment_speed=ADJUSTMENT_SLIDER.lever(0.01, own))
    with opened("us_2025_estimated") as (base, extends):
        child = load_scenario(levers.child(base, extends, "run"))
    assert child.scenario.parameters.adjustment_speed == own
    assert "adjustment" not in levers.describe(base)
