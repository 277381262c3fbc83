"""Goods that differ within a sector: Rauch (1999) class shares and class elasticities.

Called by build.py; reads the two aggregate tables in data-raw/base_2024/goods_classes/
(us_imports_2024_by_class.csv and bw_sigma_by_class.csv, written by goods_classes/extract.py,
see docs/data-sources.md section 13) and writes into the data set:

- goods_classes.csv: for US imports from each partner (and from all origins, partner ALL) in
  each goods sector, the 2024 import-value shares of goods traded on organised exchanges
  (homogeneous, Rauch "w"), reference-priced ("r") and differentiated ("n"), under Rauch's
  conservative and liberal classifications; the shares sum to 1 over the classified value;
- goods_class_elasticities.csv: the median (and quartiles) of Broda & Weinstein's (2006) US
  elasticities of substitution among import varieties over the goods of each Rauch class.
"""

from __future__ import annotations

import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, "goods_classes")

CLASSES = {"w": "homogeneous", "r": "reference", "n": "differentiated"}
SETTINGS = {"con": "conservative", "lib": "liberal"}
# a partner's own shares need this much classified 2024 trade in the sector; below it the row
# takes the sector's all-origin shares (basis says which)
MIN_PARTNER_USD_BN = 0.05

CENSUS = (
    "U.S. Census Bureau, U.S. imports for consumption, January-December 2024, by HTS10 and "
    "country of origin (customs value; monthly IMDB files), as rolled up to HTS10 x country by "
    "the Budget Lab at Yale; Rauch, J. E. (1999), 'Networks versus markets in international "
    "trade', Journal of International Economics 48(1):7-35, {setting} classification of SITC "
    "Rev. 2 goods; UN Statistics Division, conversion of HS 2022 to SITC Rev. 2; HS6 -> SITC "
    "Rev. 2 -> Rauch subgroup (else its group) -> class; HTS10 -> sector by HS chapter and "
    "heading (docs/data-sources.md section 13)"
)
CENSUS_READ = (
    "github.com/Budget-Lab-Yale/Tariff-Model resources/rate_aggregation/2024/"
    "import_weights_hs10_country_2024.rds (commit 8efb3ed58023da703d62d43a10ba0ad6b814b677); "
    "github.com/insongkim/concordance data-raw/rauch_classification_rev2.xlsx and "
    "data-raw/HS2022toSITC2ConversionAndCorrelationTables.xlsx (commit "
    "201c812e51f213d967d8701b6ed6398c79df4a04); derived: data-raw/base_2024/goods_classes/"
)
BW = (
    "Broda, C. & Weinstein, D. E. (2006), 'Globalization and the Gains from Variety', Quarterly "
    "Journal of Economics 121(2):541-585: US elasticities of substitution among import varieties, "
    "1990-2001, by SITC Rev. 3 5-digit good (the authors' posted estimates); {n} of the goods "
    "matched to a Rauch (1999) {setting} class via the UN SITC Rev. 3 -> Rev. 2 conversion; the "
    "median, quartiles and count over the goods of each class are computed here (derived, not a "
    "figure printed in the paper: the paper's own table by Rauch class was not read)"
)
# the per-good list (bw_sigma_sitc3.csv) is not in the repository: extract.py writes it beside the
# fetched inputs, and the class statistics build.py reads to goods_classes/bw_sigma_by_class.csv
BW_READ = (
    "github.com/insongkim/concordance data-raw/ElasticitiesBrodaWeinstein90-01_SITCRev3_5-digit.xls "
    "and 'data-raw/SITC3 to SITC2 Conversion and Correlation Tables.xls' (commit "
    "201c812e51f213d967d8701b6ed6398c79df4a04); derived: data-raw/base_2024/goods_classes/"
    "bw_sigma_by_class.csv"
)


def shares(values: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Class shares of the classified value, rounded so that each row sums to exactly 1."""
    cols = [f"{setting}_{c}" for c in CLASSES]
    classified = values[cols].sum(axis=1)
    out = pd.DataFrame(index=values.index)
    out["share_homogeneous"] = (values[cols[0]] / classified).round(4)
    out["share_reference"] = (values[cols[1]] / classified).round(4)
    out["share_differentiated"] = (1.0 - out.share_homogeneous - out.share_reference).round(4)
    out["classified_usd_bn"] = (classified / 1e3).round(3)
    out["unclassified_usd_bn"] = (values["unclassified"] / 1e3).round(3)
    return out


def class_shares(partners: list[str], goods: list[str]) -> pd.DataFrame:
    raw = pd.read_csv(os.path.join(FOLDER, "us_imports_2024_by_class.csv"))
    assert set(raw.sector) == set(goods), set(raw.sector) ^ set(goods)
    assert set(raw.partner) <= set(partners), set(raw.partner) - set(partners)
    full = pd.MultiIndex.from_product([goods, partners], names=["sector", "partner"])
    by_partner = raw.set_index(["sector", "partner"]).reindex(full, fill_value=0.0)
    by_sector = raw.groupby("sector").sum(numeric_only=True).reindex(goods)
    rows = []
    for setting, name in SETTINGS.items():
        own = shares(by_partner, setting)
        fallback = shares(by_sector, setting)
        thin = own.classified_usd_bn < MIN_PARTNER_USD_BN
        cols = ["share_homogeneous", "share_reference", "share_differentiated"]
        sector_of_row = own.index.get_level_values("sector")
        own.loc[thin, cols] = fallback.loc[sector_of_row[thin], cols].to_numpy()
        own["basis"] = "partner's own 2024 imports"
        own.loc[thin, "basis"] = (
            f"all origins: the partner's classified 2024 imports are below "
            f"{MIN_PARTNER_USD_BN * 1e3:.0f} million US$"
        )
        fallback["basis"] = "all origins"
        fallback.index = pd.MultiIndex.from_product([goods, ["ALL"]], names=["sector", "partner"])
        for frame in (fallback, own):
            frame = frame.reset_index()
            frame.insert(0, "importer", "USA")
            frame.insert(3, "classification", name)
            frame["source"] = CENSUS.format(setting=name)
            frame["read_at"] = CENSUS_READ
            rows.append(frame)
    out = pd.concat(rows, ignore_index=True)
    rank = {
        "classification": {n: k for k, n in enumerate(SETTINGS.values())},
        "sector": {g: k for k, g in enumerate(goods)},
        "partner": {p: k for k, p in enumerate(["ALL", *partners])},
    }
    out = out.sort_values(list(rank), key=lambda col: col.map(rank[col.name]))
    return out[
        ["importer", "partner", "sector", "classification", "share_homogeneous", "share_reference",
         "share_differentiated", "classified_usd_bn", "unclassified_usd_bn", "basis", "source",
         "read_at"]
    ].reset_index(drop=True)


def class_elasticities() -> pd.DataFrame:
    stats = pd.read_csv(
        os.path.join(FOLDER, "bw_sigma_by_class.csv"), float_precision="round_trip"
    ).set_index(["setting", "rauch_class"])
    rows = []
    for setting, name in SETTINGS.items():
        for code, cls in CLASSES.items():
            row = stats.loc[(setting, code)]
            rows.append({
                "goods_class": cls,
                "rauch_code": code,
                "classification": name,
                "sigma_median": round(row.sigma_median, 2),
                "sigma_p25": round(row.sigma_p25, 2),
                "sigma_p75": round(row.sigma_p75, 2),
                "n_goods": int(row.n_goods),
                "importer": "USA",
                "period": "1990-2001",
                "source": BW.format(
                    n=f"{int(row.n_classed):,} of {int(row.n_in_file):,}", setting=name
                ),
                "read_at": BW_READ,
            })
    return pd.DataFrame(rows)


SUPPLIERS = (
    "U.S. Census Bureau, U.S. imports for consumption, January-December 2024, by HTS10 and "
    "country of origin (customs value; monthly IMDB files), as rolled up to HTS10 x country by "
    "the Budget Lab at Yale; each HS6 product grouped by its lead, the partner region that sold "
    "the US most of it in 2024; a sector's four largest leads by value keep their own group, the "
    "products of other leads form 'other'; each product's Rauch (1999) class, conservative, as "
    "in goods_classes.csv; HTS10 -> sector by HS chapter and heading (docs/data-sources.md "
    "section 13a)"
)
SUPPLIERS_READ = (
    "github.com/Budget-Lab-Yale/Tariff-Model resources/rate_aggregation/2024/"
    "import_weights_hs10_country_2024.rds (commit 8efb3ed58023da703d62d43a10ba0ad6b814b677); "
    "derived: data-raw/base_2024/goods_classes/us_imports_2024_by_lead.csv"
)


def supplier_groups(partners: list[str], goods: list[str]) -> pd.DataFrame:
    """2024 US imports of each goods sector by supplier group (the products each lead region
    sells the US most of), Rauch class (conservative; ``unclassified`` for the lines without
    one) and partner, US$ m: every partner of each group and class, zeros included."""
    raw = pd.read_csv(os.path.join(FOLDER, "us_imports_2024_by_lead.csv"), keep_default_na=False)
    assert set(raw.sector) == set(goods), set(raw.sector) ^ set(goods)
    assert set(raw.partner) == set(partners), set(raw.partner) ^ set(partners)
    assert set(raw.group) <= {*partners, "other"}, set(raw.group) - {*partners, "other"}
    names = {**CLASSES, "unclassified": "unclassified"}
    assert set(raw.rauch_class) <= set(names), set(raw.rauch_class) - set(names)
    raw["goods_class"] = raw.rauch_class.map(names)
    rank = {
        "sector": {g: k for k, g in enumerate(goods)},
        "group": {p: k for k, p in enumerate([*partners, "other"])},
        "goods_class": {c: k for k, c in enumerate(names.values())},
        "partner": {p: k for k, p in enumerate(partners)},
    }
    out = raw.sort_values(list(rank), key=lambda col: col.map(rank[col.name]))
    out.insert(0, "importer", "USA")
    out["source"] = SUPPLIERS
    out["read_at"] = SUPPLIERS_READ
    columns = ["importer", "sector", "group", "goods_class", "partner", "imports_usd_m"]
    return out[[*columns, "products", "source", "read_at"]].reset_index(drop=True)


HOME = (
    "BEA, 2017 benchmark input-output accounts, detailed Use table (producers' prices, after "
    "redefinitions) and Import Matrix: each detail commodity's use in the US (intermediate and "
    "final, exports excluded) less its imports, as extracted by the Budget Lab at Yale "
    "(src/util/extract_bea_totals.py); allocated to the HS6 products of the commodity in "
    "proportion to their 2024 US imports (Census, as for the imports), HS 2022 -> NAICS -> BEA "
    "2012 detail by the concordance package's hs6_naics and bea2012_naics2012 (longest NAICS "
    "prefix; an HS6 with several BEA codes split equally); summed by supplier group and Rauch "
    "class (docs/data-sources.md section 13a). An estimate of where US producers' sales lie, "
    "used only as each sector's split across its groups"
)
HOME_READ = (
    "github.com/Budget-Lab-Yale/Tariff-Model resources/io/detail/bea_commodity_use_totals.csv "
    "(commit 2489e44de2636a226f3f86fcc45aee3e2478270c); github.com/insongkim/concordance "
    "data/hs6_naics.RData and data/bea2012_naics2012.RData (commit "
    "201c812e51f213d967d8701b6ed6398c79df4a04); derived: data-raw/base_2024/goods_classes/"
    "us_domestic_by_lead.csv"
)


def supplier_groups_home(goods: list[str]) -> pd.DataFrame:
    """US producers' estimated domestic supply of each goods sector by supplier group and Rauch
    class, US$ m (the groups and classes of :func:`supplier_groups`)."""
    raw = pd.read_csv(os.path.join(FOLDER, "us_domestic_by_lead.csv"), keep_default_na=False)
    assert set(raw.sector) == set(goods), set(raw.sector) ^ set(goods)
    names = {**CLASSES, "unclassified": "unclassified"}
    raw["goods_class"] = raw.rauch_class.map(names)
    raw.insert(0, "importer", "USA")
    raw["source"] = HOME
    raw["read_at"] = HOME_READ
    columns = ["importer", "sector", "group", "goods_class", "domestic_usd_m", "source", "read_at"]
    return raw[columns]


def write_goods_classes(out: str, partners: list[str], goods: list[str]) -> None:
    class_shares(partners, goods).to_csv(os.path.join(out, "goods_classes.csv"), index=False)
    supplier_groups(partners, goods).to_csv(os.path.join(out, "supplier_groups.csv"), index=False)
    home = supplier_groups_home(goods)
    home.to_csv(os.path.join(out, "supplier_groups_home.csv"), index=False)
    class_elasticities().to_csv(os.path.join(out, "goods_class_elasticities.csv"), index=False)
