"""Aggregate the BEA 2017 detailed input-output tables to tradesim's 15 sectors.

Run once by hand with the path of a git checkout of Budget-Lab-Yale/Tariff-Model (the copy of
BEA's tables that was read; see docs/data-sources.md section 12):

    python data-raw/base_2024/costs/extract_bea.py /path/to/Tariff-Model

It reads, through ``git show HEAD:...`` (the checkout may have no work tree):
- resources/io/detail/bea_use_domestic.csv, bea_use_import.csv: BEA, "The Use of Commodities by
  Industries, After Redefinitions, Producers' Prices", 2017 detailed benchmark (sheet 2017 of
  IOUse_After_Redefinitions_PRO_Detail.xlsx), split with BEA's import matrix (sheet 2017 of
  ImportMatrices_After_Redefinitions_Detail.xlsx): domestic = total - imported, $ million;
- resources/io/detail/bea_industry_output.csv: total industry output (row T008), $ million;
- resources/io/detail/pce_bridge.csv: BEA PCE bridge, 2017 detailed (PCEBridge_Detail.xlsx),
  producers' and purchasers' value by NIPA PCE line and commodity, $ million;
and writes, with bea_bridge.csv, the derived tables us_use_2017.csv, us_output_2017.csv and
us_pce_2017_groups.csv next to this script. Only these derived tables are used by build.py.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


# ranges of the bridge's NIPA line numbers that make up the 16 PCE functions of BLS's distribution of PCE (the groups of
# bls_distributional_pce_2023.csv: 4 motor vehicles and parts ... 21 other services, 22 NPISH)
GROUP_LAST_LINE = [(22, 4), (38, 5), (62, 6), (71, 7), (103, 9), (113, 10), (119, 11), (149, 12),
                   (171, 15), (189, 16), (208, 17), (233, 18), (251, 19), (279, 20), (339, 21), (10**6, 22)]


def pce_group(line: int) -> int:
    return next(g for last, g in GROUP_LAST_LINE if line <= last)


def table(repo: str, path: str) -> list[dict[str, str]]:
    text = subprocess.run(
        ["git", "-C", repo, "show", f"HEAD:{path}"], capture_output=True, text=True, check=True
    ).stdout
    return list(csv.DictReader(io.StringIO(text)))


def main(repo: str) -> None:
    bridge = {r["bea_code"]: r["sector"] for r in csv.DictReader(open(HERE / "bea_bridge.csv"))}
    detail = "resources/io/detail/"
    use = defaultdict(float)
    for kind in ("domestic", "import"):
        for row in table(repo, detail + f"bea_use_{kind}.csv"):
            i = bridge[row["bea_code"]]
            for code, value in row.items():
                if code != "bea_code" and value:
                    use[(i, bridge[code], kind)] += float(value)
    output = defaultdict(float)
    for row in table(repo, detail + "bea_industry_output.csv"):
        output[bridge[row["bea_code"]]] += float(row["output"])
    by_group = defaultdict(lambda: [0.0, 0.0])
    for row in table(repo, detail + "pce_bridge.csv"):
        cell = by_group[(pce_group(int(row["nipa_line"])), bridge[row["bea_code"]])]
        cell[0] += float(row["producers_value"])
        cell[1] += float(row["purchasers_value"])
    sectors = list(dict.fromkeys(bridge.values()))
    with open(HERE / "us_use_2017.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["input_sector", "using_sector", "domestic_usd_m", "imported_usd_m"])
        for i in sectors:
            for j in sectors:
                w.writerow([i, j, round(use[(i, j, "domestic")]), round(use[(i, j, "import")])])
    with open(HERE / "us_output_2017.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["sector", "output_usd_m"])
        for s in sectors:
            w.writerow([s, round(output[s])])
    with open(HERE / "us_pce_2017_groups.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["group", "sector", "producers_usd_m", "purchasers_usd_m"])
        for (g, s), (prod, purch) in sorted(by_group.items(), key=lambda kv: (kv[0][0], sectors.index(kv[0][1]))):
            w.writerow([g, s, round(prod), round(purch)])



if __name__ == "__main__":
    main(sys.argv[1])
