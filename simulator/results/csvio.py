"""CSV files of tidy tables, byte for byte as ``DataFrame.to_csv(index=False)`` writes them.

pandas formats each value in Python, which makes the trade table (a quarter of a million
rows) the slowest file of a run. Here the columns are formatted by Arrow's compute kernels and
the lines assembled in Arrow, so the same text comes out about ten times faster. Floats are
written as pandas writes them, Python's shortest round-trip ``repr``, missing values as empty
fields. Tables with anything else (text that would need
quoting, times of day, other types) are written by pandas itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_NEEDS_QUOTES = '[,"\\r\\n]'


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` (its index left out) to ``path`` exactly as pandas would."""
    lines = _lines(frame)
    if lines is None:
        frame.to_csv(path, index=False)
        return
    names = [str(c) for c in frame.columns]
    with Path(path).open("wb") as stream:
        stream.write((",".join(names) + "\n").encode())
        for chunk in pa.chunked_array([lines]).chunks:
            stream.write(_text(chunk))


def _lines(frame: pd.DataFrame) -> pa.Array | None:
    """Every row as one line of text, or None if pandas must write the frame."""
    # one column: the csv module quotes an empty field; no rows: nothing to gain
    if len(frame) == 0 or len(frame.columns) < 2 or not frame.columns.is_unique:
        return None
    if any(_needs_quotes(str(name)) for name in frame.columns):
        return None
    columns = [_column(frame[name]) for name in frame.columns]
    if any(c is None for c in columns):
        return None
    *first, last = columns
    try:
        last = pc.binary_join_element_wise(last, "", "\n")  # each line ends with a newline
        lines = pc.binary_join_element_wise(*first, last, ",")
    except pa.ArrowException:  # beyond what one string array holds
        return None
    return lines if lines.null_count == 0 else None


def _text(strings: pa.Array) -> memoryview:
    """The characters of a string array back to back (its data buffer, sliced to the array)."""
    wide = pa.types.is_large_string(strings.type)
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[strings.offset : strings.offset + len(strings) + 1]
    return memoryview(strings.buffers()[2])[offsets[0] : offsets[-1]]


def _needs_quotes(text: str) -> bool:
    return re.search(_NEEDS_QUOTES, text) is not None


def _column(series: pd.Series) -> pa.Array | None:
    """The column's CSV fields as an Arrow string array, or None if pandas must write it."""
    dtype = series.dtype
    if series.hasnans and not isinstance(dtype, np.dtype | pd.CategoricalDtype):
        return None  # pandas' own missing values (pd.NA) in extension types: pandas knows best
    if isinstance(dtype, pd.CategoricalDtype):
        strings = _strings(pd.Series(np.asarray(dtype.categories, dtype=object)))
        if strings is None:
            return None
        codes = series.cat.codes.to_numpy()
        missing = codes < 0
        picked = pc.take(strings, pa.array(np.where(missing, 0, codes)))
        return pc.if_else(pa.array(missing), "", picked) if missing.any() else picked
    if pd.api.types.is_string_dtype(dtype) or dtype.kind == "O":
        return _strings(series)
    if not isinstance(dtype, np.dtype):
        return None
    if dtype.kind == "f" and dtype.itemsize == 8:
        return _floats(series.to_numpy())
    if dtype.kind in "iu":
        return pc.cast(pa.array(series.to_numpy()), pa.string())
    if dtype.kind == "M":
        values = series.to_numpy()
        days = values.astype("datetime64[D]")
        if np.isnat(values).any() or (values != days).any():
            return None
        unique, index = np.unique(days, return_inverse=True)
        return pc.take(pa.array(np.datetime_as_string(unique, unit="D")), pa.array(index))
    return None


def _strings(series: pd.Series) -> pa.Array | None:
    """Text fields (missing ones empty), or None if one would need quoting or is not text."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if not all(isinstance(v, str) for v in values[~missing]):
        return None
    strings = pa.array(np.where(missing, "", values).astype(object), type=pa.string())
    if pc.any(pc.match_substring_regex(strings, _NEEDS_QUOTES)).as_py():
        return None
    return strings


def _floats(values: np.ndarray) -> pa.Array | None:
    """Python's ``repr`` of each value (NaN as an empty field), as pandas writes floats.

    Arrow's cast writes the same shortest round-trip digits as ``repr`` but lays some out
    differently: integral values without ``.0``, and its own choice between fixed and
    exponent notation. Where ``repr`` uses fixed notation (``1e-4 <= |x| < 1e16``, and zero)
    and Arrow did too, its text is ``repr``'s once ``.0`` is added to integral values; the
    few other values (tiny, huge, infinite) are formatted by ``repr`` itself.
    """
    text = pc.cast(pa.array(values, type=pa.float64()), pa.string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        fixed = ((size >= 1e-4) & (size < 1e16)) | (values == 0.0)
        whole_number = np.trunc(values) == values
    fixed &= ~pc.match_substring(text, "e").to_numpy(zero_copy_only=False)
    integral = fixed & whole_number
    if integral.any():
        mask = pa.array(integral)
        whole = pc.binary_join_element_wise(pc.filter(text, mask), ".0", "")
        text = pc.replace_with_mask(text, mask, whole)
    other = ~fixed
    if other.any():
        missing = np.isnan(values[other])
        fields = [
            "" if gap else repr(x) for x, gap in zip(values[other].tolist(), missing, strict=True)
        ]
        text = pc.replace_with_mask(text, pa.array(other), pa.array(fields, pa.string()))
    return text
