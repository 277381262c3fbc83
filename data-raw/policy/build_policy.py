"""Build simulator/data/policy/*.csv from the Yale Budget Lab's tariff-rate-tracker.

Usage: python data-raw/policy/build_policy.py TRACKER_DIR
where TRACKER_DIR is a checkout of https://github.com/Budget-Lab-Yale/tariff-rate-tracker at
commit 8315fffd697c42559141ed5f8bf7c8fa3da47ae8 (the one these files were built from).

Inputs (all in the tracker's resources/):
- usmca_product_shares_2025_MM.csv: by HTS10 x Census country (1220 Canada, 2010 Mexico) and
  month, imports for consumption (total_value, US$) and the value entered under USMCA
  (SPI S/S+, usmca_value), from USITC DataWeb;
  the January-March 2025 files (before the reciprocal tariffs) weight the Annex II shares;
- ieepa_exempt_products.csv: HTS10 lines exempt from the IEEPA reciprocal tariffs (Annex II
  of EO 14257 with the 11 Apr 2025 electronics memorandum, US Note 2(v)(iii), ITA prefixes).

Products are mapped to the model's sectors by HS chapter and heading (the definitions in
simulator/data/base_2024/sectors.csv).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

COMMIT = "8315fffd697c42559141ed5f8bf7c8fa3da47ae8"
REPO = "https://github.com/Budget-Lab-Yale/tariff-rate-tracker"
PARTNERS = {"1220": "CAN", "2010": "MEX"}
OUT = Path(__file__).resolve().parents[2] / "simulator" / "data" / "policy"


def sector_of(hts10: str) -> str:
    """The model sector of an HTS10 code (sectors.csv definitions)."""
    ch, head = int(hts10[:2]), hts10[:4]
    if head in {"8471", "8473", "8541", "8542"}:
        return "computers_semis"
    if head == "8517" or 61 <= ch <= 64 or ch in (94, 95):
        return "consumer_goods"
    if head == "8711":
        return "motorcycles"
    if "8701" <= head <= "8708":
        return "autos"
    if ch == 88 or head == "8411":
        return "aircraft"
    if ch in (84, 85):
        return "machinery"
    if ch == 22:
        return "beverages"
    if ch <= 24:
        return "agriculture"
    if ch == 27:
        return "energy"
    if ch in (72, 73):
        return "steel"
    if ch == 76:
        return "aluminium"
    if ch == 30:
        return "pharma"
    return "other_goods"


def read(tracker: Path, name: str) -> pd.DataFrame:
    frame = pd.read_csv(tracker / "resources" / name, dtype={"hts10": str, "cty_code": str})
    frame["sector"] = frame["hts10"].map(sector_of)
    frame["partner"] = frame["cty_code"].map(PARTNERS)
    return frame


def usmca(tracker: Path) -> pd.DataFrame:
    rows = []
    for month in range(1, 13):
        name = f"usmca_product_shares_2025_{month:02d}.csv"
        frame = read(tracker, name)
        sums = frame.groupby(["partner", "sector"])[["total_value", "usmca_value"]].sum()
        for (partner, sector), r in sums.iterrows():
            rows.append(
                {
                    "month": f"2025-{month:02d}",
                    "partner": partner,
                    "sector": sector,
                    "usmca_share": round(r.usmca_value / r.total_value, 4),
                    "imports_usd_m": round(r.total_value / 1e6, 1),
                    "source": f"USITC DataWeb, imports for consumption by SPI (S/S+), via "
                    f"{REPO} resources/{name} @ {COMMIT[:7]}",
                }
            )
    return pd.DataFrame(rows)


def annex_ii(tracker: Path) -> pd.DataFrame:
    exempt = set(
        pd.read_csv(tracker / "resources" / "ieepa_exempt_products.csv", dtype=str)["hts10"]
    )
    frame = pd.concat(
        [read(tracker, f"usmca_product_shares_2025_{m:02d}.csv") for m in (1, 2, 3)]
    )
    frame["exempt"] = frame["hts10"].isin(exempt)
    frame["exempt_value"] = frame["total_value"].where(frame["exempt"], 0.0)
    sums = frame.groupby("sector")[["exempt_value", "total_value"]].sum()
    sums["exempt_share"] = sums["exempt_value"] / sums["total_value"]
    sums["weights_usd_m"] = sums.pop("total_value") / 1e6
    sums = sums.drop(columns="exempt_value")
    sums["exempt_share"] = sums["exempt_share"].round(3)
    sums["weights_usd_m"] = sums["weights_usd_m"].round(0)
    sums["source"] = (
        f"HTS10 lines in {REPO} resources/ieepa_exempt_products.csv @ {COMMIT[:7]} (Annex II "
        "of EO 14257 as amended, 11 Apr 2025 electronics memorandum, ITA prefixes), weighted "
        "by US imports from Canada and Mexico in Jan-Mar 2025 (USITC DataWeb, resources/"
        "usmca_product_shares_2025_01..03.csv): the only HTS10 import values in the repository"
    )
    return sums.reset_index()


# Sectors the April 2025 list reaches. The tracker's list is cumulative: its lines in
# agriculture (the November 2025 food roll-back), beverages and aircraft (partner deals and the
# September 2025 order, EO 14346) were not exempt in April-October, and steel, aluminium and
# autos fall under Section 232 (handled by non-stacking, not by Annex II).
APRIL_SCOPE = {
    "energy",
    "pharma",
    "computers_semis",
    "machinery",
    "consumer_goods",
    "other_goods",
}


def annex_ii_april(raw: pd.DataFrame) -> pd.DataFrame:
    out = raw.copy()
    outside = ~out["sector"].isin(APRIL_SCOPE)
    out.loc[outside, "exempt_share"] = 0.0
    out["note"] = ""
    out.loc[outside, "note"] = (
        "set to 0: the list's lines in this sector were added after October 2025 or are "
        "Section 232 goods (raw share " + raw.loc[outside, "exempt_share"].astype(str) + ")"
    )
    return out[["sector", "exempt_share", "weights_usd_m", "source", "note"]]


def main(tracker: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    usmca(tracker).to_csv(OUT / "usmca_shares.csv", index=False)
    annex_ii_april(annex_ii(tracker)).to_csv(OUT / "annex_ii.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
