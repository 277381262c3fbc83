"""The fast CSV writer writes byte for byte what pandas' ``to_csv(index=False)`` writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.results.csvio import write_csv


def _same(frame: pd.DataFrame, tmp_path) -> bool:
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_csv(frame, tmp_path / "fast.csv")
    return (tmp_path / "pandas.csv").read_bytes() == (tmp_path / "fast.csv").read_bytes()


def test_a_runs_tables_are_written_as_pandas_writes_them(tmp_path):
    from simulator.api import run_scenario

    result = run_scenario("autos_25", overrides=["firms.count=0", "end=2025-06"])
    assert _same(result.trade, tmp_path)
    assert _same(result.macro, tmp_path)  # NaN in nx_contribution_pp: empty fields


def test_awkward_values_and_types(tmp_path):
    rng = np.random.default_rng(3)
    n = 5000
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, n)
    x[::7] = np.round(x[::7])
    x[:6] = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324]
    frame = pd.DataFrame(
        {
            "x": x,
            "i": rng.integers(-(10**15), 10**15, n),
            "c": pd.Categorical(rng.choice(["a", "bb", None], n), categories=["a", "bb"]),
            "s": np.where(rng.random(n) < 0.2, None, "text"),
            "m": pd.to_datetime(rng.choice(["2024-01-01", "2027-12-01"], n)),
        }
    )
    assert _same(frame, tmp_path)


def test_floats_where_arrow_and_repr_lay_out_digits_differently(tmp_path):
    """Arrow's text is used where repr writes fixed notation, repr's elsewhere: the bounds."""
    edges = [1e-4, 1e16, 1e15, 1e6, 9999999999999998.0, 123456789012345.6, 1e-5, 2.5e-7]
    near = [np.nextafter(e, d) for e in (1e-4, 1e16) for d in (0.0, np.inf)]
    x = np.array([*edges, *near, 0.0, -0.0, 5e-324, 1.7976931348623157e308])
    x = np.concatenate([x, -x, np.round(x[:-1] * 1e3)])
    assert _same(pd.DataFrame({"x": x, "y": x[::-1]}), tmp_path)


@pytest.mark.parametrize(
    "column",
    [
        ["needs, quotes", "x"],
        ['a "quote"', "x"],
        ["two\nlines", "x"],
        pd.to_datetime(["2024-01-01 12:30", "2024-01-02 00:00"]),
        [True, False],
        [1.5, "mixed"],
        pd.array([1, None], dtype="Int64"),
        pd.array(["a", None], dtype="string"),
        np.array([0.1, 0.2], dtype=np.float32),
    ],
)
def test_what_it_cannot_format_goes_to_pandas(tmp_path, column):
    assert _same(pd.DataFrame({"col": column, "y": [1.0, 2.0]}), tmp_path)


def test_duplicate_column_names_go_to_pandas(tmp_path):
    frame = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"])
    assert _same(frame, tmp_path)


def test_one_column_and_no_rows(tmp_path):
    assert _same(pd.DataFrame({"s": ["", "a"]}), tmp_path)
    assert _same(pd.DataFrame({"a": pd.Series([], dtype=float), "b": []}), tmp_path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=40))
def test_any_float_is_written_as_pandas_writes_it(tmp_path_factory, values):
    tmp = tmp_path_factory.mktemp("csv")
    assert _same(pd.DataFrame({"v": values, "w": values[::-1]}), tmp)
