"""What tariffs cost: input-output coefficients, consumption shares and margins, households.

Called by build.py; reads the derived tables in data-raw/base_2024/costs/ (written once from
BEA's tables by costs/extract_bea.py, see docs/data-sources.md section 12) and writes
inputs.csv, consumption.csv, households.csv and household_spending.csv into the data set.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
COSTS = os.path.join(HERE, "costs")

BEA_USE = ("BEA, Input-Output Accounts, The Use of Commodities by Industries, After Redefinitions, "
           "Producers' Prices, 2017 detailed benchmark (release of 2024 incl. the 2017 benchmark), with the "
           "Import Matrix After Redefinitions, 2017 detail, and total industry output (row T008); "
           "read from the copy in github.com/Budget-Lab-Yale/Tariff-Model resources/io/detail/ "
           "(bea_use_domestic.csv + bea_use_import.csv, bea_industry_output.csv); "
           "bridged to tradesim sectors by data-raw/base_2024/costs/bea_bridge.csv")
BEA_PCE = ("BEA, Input-Output Accounts, PCE Bridge Table, 2017 detailed benchmark (producers' value, "
           "transportation, wholesale and retail margins, purchasers' value by NIPA PCE line and commodity); "
           "read from the copy in github.com/Budget-Lab-Yale/Tariff-Model resources/io/detail/pce_bridge.csv "
           "(extracted from PCEBridge_Detail.xlsx); bridged by data-raw/base_2024/costs/bea_bridge.csv")
ASSUME_IO = ("assumption: US coefficients (BEA 2017, as USA) used for {r}; range of the column total "
             "{lo:.2f}-{hi:.2f} (docs/plausibility.md)")
ASSUME_PCE = ("assumption: US shares (BEA PCE bridge 2017, as for USA) applied to {r}; no household "
              "consumption by product for {r} was found in the stored material; range: each share x0.5-x1.5 "
              "(docs/plausibility.md)")


def us_coefficients(sectors: list[str]) -> np.ndarray:
    """[input, using] value of inputs (domestic + imported) per $1 of output, BEA 2017."""
    use = pd.read_csv(os.path.join(COSTS, "us_use_2017.csv"))
    out = pd.read_csv(os.path.join(COSTS, "us_output_2017.csv")).set_index("sector")["output_usd_m"]
    total = (use.domestic_usd_m + use.imported_usd_m).to_numpy()
    i = use.input_sector.map({s: k for k, s in enumerate(sectors)}).to_numpy()
    j = use.using_sector.map({s: k for k, s in enumerate(sectors)}).to_numpy()
    a = np.zeros((len(sectors), len(sectors)))
    np.add.at(a, (i, j), total)
    return a / out.reindex(sectors).to_numpy()[None, :]


def us_consumption(sectors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Shares of PCE at purchasers' prices and the margins' share of the purchasers' price."""
    pce = pd.read_csv(os.path.join(COSTS, "us_pce_2017.csv")).set_index("sector").reindex(sectors)
    purchasers = pce.purchasers_usd_m.to_numpy(dtype=float)
    producers = pce.producers_usd_m.to_numpy(dtype=float)
    share = purchasers / purchasers.sum()
    margin = np.where(purchasers > 0, 1.0 - producers / np.where(purchasers > 0, purchasers, 1.0), 0.0)
    return share, margin


def write_costs(out: str, regions: list[str], sectors: list[str]) -> None:
    a = us_coefficients(sectors)
    col = a.sum(axis=0)
    rows = []
    for r in regions:
        for i, si in enumerate(sectors):
            for j, sj in enumerate(sectors):
                src = BEA_USE if r == "USA" else ASSUME_IO.format(r=r, lo=col[j] - 0.10, hi=min(col[j] + 0.15, 0.95))
                rows.append((r, si, sj, round(a[i, j], 6), src))
    pd.DataFrame(rows, columns=["region", "input_sector", "using_sector", "coefficient", "source"]).to_csv(
        os.path.join(out, "inputs.csv"), index=False)

    share, margin = us_consumption(sectors)
    share = np.round(share, 6)
    share[sectors.index("other_services")] += 1.0 - share.sum()  # rounding residue
    rows = []
    for r in regions:
        src = BEA_PCE if r == "USA" else ASSUME_PCE.format(r=r)
        for k, s in enumerate(sectors):
            rows.append((r, s, round(share[k], 6), round(margin[k], 6), src))
    pd.DataFrame(rows, columns=["region", "sector", "share", "margin_share", "source"]).to_csv(
        os.path.join(out, "consumption.csv"), index=False)
