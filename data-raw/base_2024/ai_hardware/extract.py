#!/usr/bin/env python3
"""Extract the inputs of ai_hardware_origins.csv from the public repositories (run once).

Writes, beside this file (their sources and provenance: SOURCES.md), aggregates only:

- ``waugh_ai_line_counts.csv``: the number of HS10 lines Waugh's classifier rates High
  relevance to AI data centres (655 lines, 645 outside HS 27), by his category, by whether the
  line is in an HS chapter he leaves out and by whether it falls in tradesim's computers_semis
  headings, counted from AI_TRADE_HIGH_RELEVANCE_PRODUCTS.md;
- ``census_2024_ai_imports.csv``: US imports for consumption in 2024 (customs value, US$) of
  those lines by Census country, summed by Waugh's category and by whether the line falls in
  tradesim's computers_semis headings (HS 8471, 8473, 8541, 8542; sectors.csv), from the
  HS10 x country table of 2024 Census imports held by the Budget Lab's Tariff-Model;
- ``census_2024_totals.csv``: all 2024 imports for consumption in that table, with and
  without the HS chapters Waugh leaves out (27, 71, 98, 99), to check the table against
  Waugh's 2024 total.

The per-line list itself (``waugh_ai_lines.csv``: each HS10 line with its category and the two
flags) is a copy of rows of a fetched file, so it is not committed: it is written outside the
repository, to LINES_DIR (default /work/shared/ai_hardware/), for inspection only; nothing in
the build or the tests reads it.

Usage (needs the R-data reader ``rdata`` from PyPI and three git mirrors):

    python data-raw/base_2024/ai_hardware/extract.py WAUGH_GIT TARIFF_MODEL_GIT TRACKER_GIT [LINES_DIR]

Each argument is a git directory of the repository named in SOURCES (read at the commit
given there with ``git show``). Only the 2024 data are read: Waugh's 2025 figures and his
counterfactual results are outcomes kept aside to test the model.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
WAUGH = ("clizama/ai-trade-index", "1d524b0fdf2f60fce6379bd92e2e82aaae649665",
         "AI_TRADE_HIGH_RELEVANCE_PRODUCTS.md")
WEIGHTS = ("Budget-Lab-Yale/Tariff-Model", "8efb3ed58023da703d62d43a10ba0ad6b814b677",
           "resources/rate_aggregation/2024/import_weights_hs10_country_2024.rds")
TRACKER = "Budget-Lab-Yale/tariff-rate-tracker", "8315fffd697c42559141ed5f8bf7c8fa3da47ae8"
CODES = "resources/census_codes.csv"
PARTNERS = "resources/country_partner_mapping.csv"
EXCLUDED_CHAPTERS = ("27", "71", "98", "99")  # as Waugh (paper section 2; notebooks 06-12)
SECTOR_HEADINGS = ("8471", "8473", "8541", "8542")  # computers_semis in sectors.csv
LINES_DIR = Path("/work/shared/ai_hardware")  # outside the repository: the per-line list


def show(git_dir: str, commit: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", git_dir, "show", f"{commit}:{path}"],
                          capture_output=True, check=True).stdout


def waugh_lines(git_dir: str) -> pd.DataFrame:
    text = show(git_dir, WAUGH[1], WAUGH[2]).decode("utf-8")
    rows, category = [], None
    for line in text.splitlines():
        if line.startswith("## ") and "Summary" not in line:
            category = line[3:].strip()
        if m := re.match(r"^\| `(\d{10})` \|", line):
            rows.append({"hs10": m.group(1), "category": category})
    lines = pd.DataFrame(rows)
    assert len(lines) == 655 and lines.hs10.is_unique, len(lines)  # the file's own count
    lines["excluded_chapter"] = lines.hs10.str[:2].isin(EXCLUDED_CHAPTERS)
    assert (~lines.excluded_chapter).sum() == 645  # Waugh's 645 lines in the trade tables
    lines["in_computers_semis"] = lines.hs10.str[:4].isin(SECTOR_HEADINGS)
    return lines


def weights(git_dir: str) -> pd.DataFrame:
    import rdata  # only this script needs it

    with tempfile.NamedTemporaryFile(suffix=".rds") as tmp:
        tmp.write(show(git_dir, WEIGHTS[1], WEIGHTS[2]))
        tmp.flush()
        frame = rdata.read_rds(tmp.name)
    return pd.DataFrame({"hs10": frame["hs10"].astype(str), "cty_code": frame["cty_code"].astype(str),
                         "imports": frame["imports"].astype(float)})


def line_counts(lines: pd.DataFrame) -> pd.DataFrame:
    """Lines by category and the two flags: what ai_origins.py needs of the line list."""
    counts = (lines.groupby(["category", "excluded_chapter", "in_computers_semis"]).size()
              .rename("lines").reset_index())
    assert counts.lines.sum() == len(lines)
    return counts


def main(waugh_git: str, model_git: str, tracker_git: str, lines_dir: str | Path = LINES_DIR) -> None:
    lines = waugh_lines(waugh_git)
    line_counts(lines).to_csv(HERE / "waugh_ai_line_counts.csv", index=False)
    Path(lines_dir).mkdir(parents=True, exist_ok=True)
    lines.to_csv(Path(lines_dir) / "waugh_ai_lines.csv", index=False)  # not committed
    w = weights(model_git)
    names = pd.read_csv(io.BytesIO(show(tracker_git, TRACKER[1], CODES)), dtype=str)
    eu = pd.read_csv(io.BytesIO(show(tracker_git, TRACKER[1], PARTNERS)), dtype=str)
    eu = set(eu.loc[eu.partner == "eu", "cty_code"])
    assert len(eu) == 27
    name = dict(zip(names.Code, names.Name, strict=True))
    assert set(w.cty_code) <= set(name), set(w.cty_code) - set(name)

    keep = w[~w.hs10.str[:2].isin(EXCLUDED_CHAPTERS)]
    totals = pd.DataFrame([
        {"scope": "all goods", "imports_usd_bn": round(w.imports.sum() / 1e9, 3)},
        {"scope": "all goods less HS 27, 71, 98, 99", "imports_usd_bn": round(keep.imports.sum() / 1e9, 3)},
    ])
    totals.to_csv(HERE / "census_2024_totals.csv", index=False)

    ai = keep.merge(lines[~lines.excluded_chapter], on="hs10", how="inner")
    unmatched = sorted(set(lines.hs10[~lines.excluded_chapter]) - set(ai.hs10))
    print(f"{ai.hs10.nunique()} of 645 lines have 2024 imports; without: {unmatched}")
    by = (ai.groupby(["cty_code", "category", "in_computers_semis"]).imports.sum()
          .reset_index())
    by["country"] = by.cty_code.map(name)
    by["eu27"] = by.cty_code.isin(eu)
    by["imports_usd"] = by.pop("imports").round(0).astype("int64")
    by = by[["cty_code", "country", "eu27", "category", "in_computers_semis", "imports_usd"]].sort_values(["cty_code", "category", "in_computers_semis"])
    by.to_csv(HERE / "census_2024_ai_imports.csv", index=False)
    print(f"wrote {len(by)} rows; AI-related 2024 imports {by.imports_usd.sum() / 1e9:.1f} $bn")


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
