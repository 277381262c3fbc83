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
BEA_PCE = ("BEA, Input-Output Accounts, PCE Bridge Table, 2017 detailed benchmark (producers' and purchasers' value by "
           "NIPA PCE line and commodity; margins = the difference), each PCE function's split over sectors weighted by "
           "its 2023 value (BEA NIPA PCE by function as tabulated in BLS's Distribution of PCE 2023); read from the "
           "copies in github.com/Budget-Lab-Yale/Tariff-Model resources/io/detail/pce_bridge.csv and "
           "resources/distribution/distributional_pce_2023.csv; bridged by data-raw/base_2024/costs/bea_bridge.csv")
ASSUME_IO = ("assumption: US coefficients (BEA 2017, as USA) used for {r}; range of the column total "
             "{lo:.2f}-{hi:.2f} (docs/plausibility.md)")
HH_SOURCE = ("BLS Consumer Expenditure Surveys 2024, Table 1110 (deciles of income before taxes): consumer units "
             "(13,594 thousand in the highest decile, FRED CXUCONSUNITLB1511M; equal deciles assumed) and income before "
             "taxes {b:,}; after-tax income = before-tax x (1 - {t:+.3f}), the personal-tax rate an assumption (CE 2024 "
             "publishes no after-tax income; range +/-0.04; docs/plausibility.md); 2024 dollars, no uprating needed")
SPEND_SOURCE = ("BLS Distribution of Personal Consumption Expenditures 2023 (decile shares of PCE by function, CE-based) "
                "x PCE by function 2023 grown to BEA's 2024 PCE (19,896.0 bn, summary use table 2024) x the BEA 2017 PCE "
                "bridge's split of each function over sectors / consumer units; NPISH excluded; read from the copies in "
                "Budget-Lab-Yale/Tariff-Model (docs/data-sources.md section 12)")
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


# BEA, "The Use of Commodities by Industries - Summary", 2024 ($ million), column F010 (personal consumption
# expenditures) total: 19,896,009 (read from the copy in Budget-Lab-Yale/Tariff-Model resources/io/)
PCE_2024_USD_BN = 19896.009
NPISH_GROUP = 22  # final consumption expenditures of nonprofit institutions serving households


def pce_groups(sectors: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """BLS's 2023 PCE by function and decile, and each function's split over sectors (BEA 2017 bridge).

    Returns the BLS table, ``comp[g, s]`` (share of function g's purchasers' value on sector s) and
    ``prod[g, s]`` (the producers' value share of it, i.e. 1 - margin share)."""
    dist = pd.read_csv(os.path.join(COSTS, "bls_distributional_pce_2023.csv"))
    bridge = pd.read_csv(os.path.join(COSTS, "us_pce_2017_groups.csv"))
    groups = list(dist.group)
    purch = np.zeros((len(groups), len(sectors)))
    prod = np.zeros_like(purch)
    for row in bridge.itertuples(index=False):
        purch[groups.index(row.group), sectors.index(row.sector)] += row.purchasers_usd_m
        prod[groups.index(row.group), sectors.index(row.sector)] += row.producers_usd_m
    comp = purch / purch.sum(axis=1, keepdims=True)
    return dist, comp, np.where(purch > 0, prod / np.where(purch > 0, purch, 1.0), 1.0)


def us_consumption(sectors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Shares of PCE at purchasers' prices and the margins' share of the purchasers' price.

    The 2017 bridge's split of each PCE function over sectors, weighted by the functions' 2023
    values (BLS table = BEA NIPA PCE by function)."""
    dist, comp, prod = pce_groups(sectors)
    value = dist.pce_2023_usd_bn.to_numpy(dtype=float)[:, None] * comp
    spend = value.sum(axis=0)
    share = spend / spend.sum()
    margin = np.where(spend > 0, 1.0 - (value * prod).sum(axis=0) / np.where(spend > 0, spend, 1.0), 0.0)
    return share, margin


def us_households(sectors: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Deciles: count, after-tax income (2024 $) and spending by sector per household (2024 $)."""
    ce = pd.read_csv(os.path.join(COSTS, "ce_2024_deciles.csv"))
    dist, comp, _ = pce_groups(sectors)
    growth = PCE_2024_USD_BN / dist.pce_2023_usd_bn.sum()  # every function grows like PCE, 2023-24
    shares = dist[[f"d{i}_pct" for i in range(1, 11)]].to_numpy(dtype=float) / 100.0
    shares = shares / shares.sum(axis=1, keepdims=True)  # the published shares sum to 100 +/- 0.02
    keep = (dist.group != NPISH_GROUP).to_numpy()  # NPISH spending is not bought by households
    value = dist.pce_2023_usd_bn.to_numpy(dtype=float)[keep] * growth * 1e9  # US$ a year
    count = ce.consumer_units_thousand.to_numpy(dtype=float) * 1e3
    spending = np.einsum("g,gd,gs->ds", value, shares[keep], comp[keep]) / count[:, None]
    ce["income_usd"] = (ce.income_before_taxes_usd * (1.0 - ce.personal_tax_rate)).round(0)
    ce["households"] = count
    return ce, spending


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

    ce, spending = us_households(sectors)
    hh = pd.DataFrame({
        "region": "USA",
        "decile": ce.decile.astype(str),
        "households": ce.households.astype(int),
        "income_usd": ce.income_usd.astype(int),
        "source": [HH_SOURCE.format(b=int(b), t=t) for b, t in zip(ce.income_before_taxes_usd, ce.personal_tax_rate)],
    })
    hh.to_csv(os.path.join(out, "households.csv"), index=False)
    rows = []
    for d in range(len(ce)):
        for k, s in enumerate(sectors):
            rows.append(("USA", str(ce.decile[d]), s, round(spending[d, k], 2), SPEND_SOURCE))
    pd.DataFrame(rows, columns=["region", "decile", "sector", "spending_usd", "source"]).to_csv(
        os.path.join(out, "household_spending.csv"), index=False)
