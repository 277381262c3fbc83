"""The figures of docs/ensembles.md's worked example are rerun here, so that they cannot drift
from the code: the sweep file and the table are read from the page, the sweep is run, and
the table pandas prints must be the page's, digit for digit."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from simulator.runs import run_sweep

PAGE = Path(__file__).resolve().parents[1] / "docs" / "ensembles.md"


def _block(text: str, after: str, language: str) -> str:
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match, f"no {language} block after {after!r}"
    return match[1]


def _table(folder: Path) -> pd.DataFrame:
    annual = pd.read_csv(folder / "results" / "annual.csv")
    revenue = annual[(annual.variable == "tariff_revenue") & (annual.year == 2025)]
    return (
        revenue.pivot_table(
            index="tariffs.autos.rate", columns="parameters.pass_through", values="value"
        )
        .div(1e9)
        .round(1)
    )


def test_the_worked_sweep_example_prints_the_pages_table(tmp_path):
    text = PAGE.read_text(encoding="utf-8")
    sweep = _block(text, "Save this as `autos_sweep.yaml`:", "yaml")
    (tmp_path / "autos_sweep.yaml").write_text(sweep)
    runs = run_sweep(tmp_path / "autos_sweep.yaml", out=tmp_path / "store")
    runs.save_results()
    printed = [line.rstrip() for line in str(_table(tmp_path / "store")).splitlines()]
    page = _block(text, "```python\nimport pandas as pd\n\nannual", "text").splitlines()
    assert printed == page

    # the wiggle at 50 %, with a continuum of firms: the three figures the page quotes
    (tmp_path / "continuum.yaml").write_text(
        sweep.replace("tariffs.autos.rate: [10, 25, 50]", "tariffs.autos.rate: [50]")
        + "  firms.count: [0]\n"
    )
    runs = run_sweep(tmp_path / "continuum.yaml", out=tmp_path / "continuum")
    runs.save_results()
    row = _table(tmp_path / "continuum").loc[50]
    quoted = re.search(r"gives\s+([\d.]+), ([\d.]+) and ([\d.]+)\.", text)
    assert quoted and [f"{v:.1f}" for v in row] == list(quoted.groups())
