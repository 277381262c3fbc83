"""Where the US bought AI hardware in 2024: ai_hardware_origins.csv.

Called by build.py; reads data-raw/base_2024/ai_hardware/ (written once from the public
repositories by ai_hardware/extract.py; sources in ai_hardware/SOURCES.md) and writes the
2024 origin shares of US imports of AI-related products by tradesim region, on three bases:

- ``ai_related_in_sector`` (sector computers_semis): the AI-related lines inside the headings
  of tradesim's computers_semis sector (HS 8471, 8473, 8541, 8542): servers, processing
  units, their parts and boards, memory, chips. The AI-capex shock buys these by default
  (its purchases are flows of that sector and pay its tariffs);
- ``ai_related`` (sector ``*``): all 645 AI-related lines of Waugh's classification (power,
  cooling and networking gear too), the shares Waugh reports;
- ``compute_hardware`` (sector ``*``): Waugh's Compute Hardware category.

Only 2024 data: Waugh's 2025 figures and counterfactual are outcomes kept aside.
"""

from __future__ import annotations

import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
AI = os.path.join(HERE, "ai_hardware")
# Census country codes (Schedule C, as in the tracker's census_codes.csv) of the named regions
CENSUS_CODES = {"5700": "CHN", "4280": "DEU", "4190": "IRL", "2010": "MEX", "1220": "CAN",
                "5520": "VNM", "5880": "JPN", "5800": "KOR", "5830": "TWN", "5330": "IND",
                "4419": "CHE", "4120": "GBR"}
# Waugh's 2024 shares of AI-related imports (percent of his by-country total), printed by
# code/08-section2-countries.ipynb (cell 10 output) @ 1d524b0: a check, not an input
WAUGH_2024 = {"2010": 25.12, "5830": 17.43, "5700": 11.78, "5520": 6.69, "5490": 5.41}
BASES = {
    "ai_related_in_sector": ("computers_semis", "the {n} AI-related HS10 lines in the headings of "
                             "computers_semis (HS 8471, 8473, 8541, 8542)"),
    "ai_related": ("*", "all {n} AI-related HS10 lines (HS 27, 71, 98, 99 left out, as Waugh)"),
    "compute_hardware": ("*", "the {n} AI-related HS10 lines Waugh classes as Compute Hardware"),
}
SOURCE = ("U.S. Census Bureau, imports for consumption (customs value), calendar 2024, by HTS10 "
          "and country; {lines} classified by Waugh (2026), 'Trade in AI-Related Products', Federal "
          "Reserve Bank of Minneapolis Staff Report 684, doi:10.21034/sr.684 (github.com/clizama/ai-trade-"
          "index @ 1d524b0, AI_TRADE_HIGH_RELEVANCE_PRODUCTS.md, High relevance); the Census "
          "values read from github.com/Budget-Lab-Yale/Tariff-Model resources/rate_aggregation/"
          "2024/import_weights_hs10_country_2024.rds @ 8efb3ed; {who}; derived by data-raw/"
          "base_2024/ai_origins.py (ai_hardware/SOURCES.md)")


def region_of(code: str, eu27: bool) -> str:
    return CENSUS_CODES.get(code, "EU_OTHER" if eu27 else "ROW")


def origin_shares(regions: list[str]) -> tuple[pd.DataFrame, list[tuple[str, float, float, float]]]:
    """The table's rows, and (check, target, achieved, absolute tolerance) for build.py."""
    raw = pd.read_csv(os.path.join(AI, "census_2024_ai_imports.csv"), dtype={"cty_code": str})
    # the number of Waugh's lines on each basis (counted by extract.py; the per-line list is
    # not in the repository)
    lines = pd.read_csv(os.path.join(AI, "waugh_ai_line_counts.csv"))
    lines = lines[~lines.excluded_chapter]
    raw["region"] = [region_of(c, e) for c, e in zip(raw.cty_code, raw.eu27, strict=True)]
    assert set(raw.region) <= set(regions), set(raw.region) - set(regions)
    picks = {"ai_related_in_sector": raw.in_computers_semis, "ai_related": raw.category.notna(),
             "compute_hardware": raw.category.eq("Compute Hardware")}
    counts = {"ai_related_in_sector": int(lines.lines[lines.in_computers_semis].sum()),
              "ai_related": int(lines.lines.sum()),
              "compute_hardware": int(lines.lines[lines.category.eq("Compute Hardware")].sum())}
    rows = []
    for basis, (sector, text) in BASES.items():
        part = raw[picks[basis]]
        value = part.groupby("region").imports_usd.sum().reindex(regions, fill_value=0)
        value = value.drop("USA")
        share = value / value.sum()
        for region in value.index:
            who = part[part.region == region].groupby("country").imports_usd.sum()
            named = (f"origin: Census country {who.index[0]}" if region in CENSUS_CODES.values()
                     else f"origin: {len(who)} Census countries, the largest "
                     + ", ".join(who.sort_values(ascending=False).index[:3]))
            rows.append({"importer": "USA", "sector": sector, "basis": basis, "origin": region,
                         "imports_usd_bn": round(value[region] / 1e9, 3),
                         "share": round(float(share[region]), 6),
                         "source": SOURCE.format(lines=text.format(n=counts[basis]), who=named)})
    table = pd.DataFrame(rows)
    # checks: Waugh's 2024 shares are of his by-country total (the countries in his download),
    # so each of his five shares over ours is the same ratio if the numerators agree
    everything = raw.groupby("cty_code").imports_usd.sum()
    ours = everything / everything.sum() * 100
    ratios = [WAUGH_2024[c] / ours[c] for c in WAUGH_2024]
    totals = pd.read_csv(os.path.join(AI, "census_2024_totals.csv")).set_index("scope").imports_usd_bn
    checks = [
        ("AI origins: Census 2024 imports less HS 27/71/98/99 (Waugh 2,792)", 2792.0,
         float(totals["all goods less HS 27, 71, 98, 99"]), 1.0),
        ("AI origins: AI-related share of them % (Waugh 17)", 17.0,
         everything.sum() / 1e9 / totals["all goods less HS 27, 71, 98, 99"] * 100, 0.5),
        ("AI origins: Waugh's 2024 top-5 shares / ours, spread %", 0.0,
         (max(ratios) - min(ratios)) / min(ratios) * 100, 0.1),
    ]
    for basis in BASES:
        got = table[table.basis == basis].share.sum()
        checks.append((f"AI origins: {basis} shares sum to 1", 1.0, got, 1e-5))
    return table, checks


def write_ai_origins(out: str, regions: list[str]) -> list[tuple[str, float, float, float]]:
    table, checks = origin_shares(regions)
    table.to_csv(os.path.join(out, "ai_hardware_origins.csv"), index=False)
    return checks
