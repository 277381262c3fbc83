"""Rauch (1999) classes of US imports in 2024, by tradesim sector and partner, and Broda-Weinstein
(2006) elasticities by Rauch class: the small derived tables that build.py reads.

Run by hand with two git checkouts (they may have no work tree; files are read with
``git show``). It writes into the repository, next to this script, only the two aggregate
tables build.py uses, and the per-row working files outside the repository, to SHARED
(``/work/shared/goods_classes/``, or the folder given as a third argument):

    python data-raw/base_2024/goods_classes/extract.py TARIFF_MODEL CONCORDANCE [SHARED]

TARIFF_MODEL is github.com/Budget-Lab-Yale/Tariff-Model; it is read at commit
``WEIGHTS_COMMIT`` (the last commit that holds the 2024 weights file):
- resources/rate_aggregation/2024/import_weights_hs10_country_2024.rds: US imports for
  consumption in 2024 by HTS10 x Census country code (US$, customs value), rolled up from the
  Census Bureau's monthly IMDB files (IMP_DETL.TXT of IMDByymm.ZIP, Jan-Dec 2024); 334,728 rows,
  US$ 3,123.8 bn in all. Read with pyreadr (PyPI).

CONCORDANCE is github.com/insongkim/concordance (Liao, Kim, Miyano & Zhu), read at
``CONCORDANCE_COMMIT``:
- data-raw/rauch_classification_rev2.xlsx: Rauch's (1999) classification of SITC Rev. 2
  4-digit codes, conservative (con) and liberal (lib): w organised exchange, r reference
  priced, n differentiated (from Jon Haveman's trade-data pages; 1,189 codes);
- data-raw/HS2022toSITC2ConversionAndCorrelationTables.xlsx: the UN Statistics Division's
  conversion of HS 2022 subheadings to SITC Rev. 2 (one SITC code per HS6; 5,611 rows);
- data-raw/ElasticitiesBrodaWeinstein90-01_SITCRev3_5-digit.xls: Broda & Weinstein's (2006)
  US elasticities of substitution among import varieties, 1990-2001, by SITC Rev. 3 5-digit good
  (2,716 goods), as posted by the authors;
- data-raw/SITC3 to SITC2 Conversion and Correlation Tables.xls: UN conversion SITC Rev. 3 ->
  Rev. 2.

Matching an SITC Rev. 2 code to Rauch's list (docs/data-sources.md section 13): its 4-digit
subgroup if Rauch lists it, otherwise its 3-digit group (Rauch's codes ending in 0, e.g. 7590
for 759), otherwise unclassified. HTS10 lines map to tradesim sectors by the HS chapter and
heading rules of data-raw/policy/build_policy.py (sector_of), and Census country codes to
tradesim regions by CENSUS_REGION below.

Outputs in the repository (aggregates only; no row of an input is repeated):
- us_imports_2024_by_class.csv: 2024 US imports (US$ m) by tradesim sector x partner region x
  class (con_w, con_r, con_n, lib_w, lib_r, lib_n, unclassified);
- bw_sigma_by_class.csv: for each Rauch classification (con, lib) and class (w, r, n), the
  median, first and third quartile and count of the Broda-Weinstein sigmas of the goods in the
  class, with the number of goods classed under that classification and in the file;
- us_imports_2024_by_lead.csv: 2024 US imports (US$ m) by sector x supplier group (the
  products each lead region sold the US most of) x conservative class x partner (by_lead);
- us_domestic_by_lead.csv: US producers' estimated domestic supply (US$ m) of the same groups'
  products by class, from the BEA detail commodity totals in TARIFF_MODEL at BEA_COMMIT
  (resources/io/detail/bea_commodity_use_totals.csv) and CONCORDANCE's data/hs6_naics.RData
  and data/bea2012_naics2012.RData (home_by_lead).

Per-row working files, written to SHARED only (not part of the repository; they repeat rows of
the fetched inputs with classes added, so they are never committed):
- hs6_rauch.csv: each HS 2022 subheading with 2024 US imports: SITC Rev. 2 code, the Rauch
  code matched, its con and lib classes, the tradesim sector, 2024 imports (US$ m);
- bw_sigma_sitc3.csv: each Broda-Weinstein SITC Rev. 3 good with its sigma, SITC Rev. 2 code,
  Rauch code matched and classes.
"""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# per-row working files: outside the repository, never committed
SHARED = Path("/work/shared/goods_classes")
WEIGHTS_COMMIT = "8efb3ed58023da703d62d43a10ba0ad6b814b677"
WEIGHTS = "resources/rate_aggregation/2024/import_weights_hs10_country_2024.rds"
CONCORDANCE_COMMIT = "201c812e51f213d967d8701b6ed6398c79df4a04"
# the supplier groups of a sector: the products led by each of its LEADS largest leads, and the
# rest (docs/data-sources.md section 13a)
LEADS = 4
# BEA detail commodities' domestic and imported use (US$ m), as extracted by the Budget Lab from
# BEA's detailed Use table (docs/data-sources.md section 13a)
BEA_COMMIT = "2489e44de2636a226f3f86fcc45aee3e2478270c"
BEA_DOMESTIC = "resources/io/detail/bea_commodity_use_totals.csv"

# Census Bureau Schedule C country codes (the list in github.com/Budget-Lab-Yale/Tariff-ETRs
# resources/census_country_codes.txt, produced 27 Jan 2021) of tradesim's named regions; every
# other code is ROW (Hong Kong and Macau included)
EU_OTHER = {
    "4330": "Austria",
    "4231": "Belgium",
    "4870": "Bulgaria",
    "4791": "Croatia",
    "4910": "Cyprus",
    "4351": "Czech Republic",
    "4099": "Denmark",
    "4470": "Estonia",
    "4050": "Finland",
    "4279": "France",
    "4840": "Greece",
    "4370": "Hungary",
    "4759": "Italy",
    "4490": "Latvia",
    "4510": "Lithuania",
    "4239": "Luxembourg",
    "4730": "Malta",
    "4210": "Netherlands",
    "4550": "Poland",
    "4710": "Portugal",
    "4850": "Romania",
    "4359": "Slovakia",
    "4792": "Slovenia",
    "4700": "Spain",
    "4010": "Sweden",
}
CENSUS_REGION = {
    "5700": "CHN",
    "4280": "DEU",
    "4190": "IRL",
    **{c: "EU_OTHER" for c in EU_OTHER},
    "2010": "MEX",
    "1220": "CAN",
    "5520": "VNM",
    "5880": "JPN",
    "5800": "KOR",
    "5830": "TWN",
    "5330": "IND",
    "4419": "CHE",
    "4120": "GBR",
}


def show(repo: str, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", repo, "show", f"{commit}:{path}"], capture_output=True, check=True
    ).stdout


def sector_rule():
    """sector_of from data-raw/policy/build_policy.py: one HS-to-sector rule for every table."""
    path = HERE.parents[1] / "policy" / "build_policy.py"
    spec = importlib.util.spec_from_file_location("build_policy", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sector_of


def rauch(concordance: str) -> pd.DataFrame:
    raw = show(concordance, CONCORDANCE_COMMIT, "data-raw/rauch_classification_rev2.xlsx")
    frame = pd.read_excel(io.BytesIO(raw), dtype=str)
    assert list(frame.columns) == ["sitc4", "con", "lib"] and frame.sitc4.is_unique
    assert len(frame) == 1189 and frame.sitc4.str.len().eq(4).all()
    return frame.set_index("sitc4")


def match(sitc2: pd.Series, classes: pd.DataFrame) -> pd.Series:
    """The Rauch code for each SITC Rev. 2 code: its subgroup, else its group (xxx0), else NA."""
    code = sitc2.fillna("")
    sub = code.str[:4].where(code.str.len() >= 4)
    group = code.str[:3] + "0"
    out = sub.where(sub.isin(classes.index))
    return out.fillna(group.where(group.isin(classes.index) & code.str.len().ge(3)))


def hs_to_sitc2(concordance: str) -> pd.Series:
    raw = show(
        concordance, CONCORDANCE_COMMIT, "data-raw/HS2022toSITC2ConversionAndCorrelationTables.xlsx"
    )
    frame = pd.read_excel(io.BytesIO(raw), sheet_name="Conversion HS22-SITC2", dtype=str)
    frame.columns = ["hs6", "sitc2"]
    assert frame.hs6.is_unique and frame.hs6.str.len().eq(6).all()
    return frame.set_index("hs6")["sitc2"]


def weights(tariff_model: str) -> pd.DataFrame:
    import pyreadr  # PyPI; only this extraction needs it

    raw = show(tariff_model, WEIGHTS_COMMIT, WEIGHTS)
    with tempfile.TemporaryDirectory() as folder:  # outside the repository
        tmp = Path(folder) / "weights.rds"
        tmp.write_bytes(raw)
        frame = next(iter(pyreadr.read_r(str(tmp)).values()))
    assert list(frame.columns) == ["hs10", "gtap_code", "cty_code", "imports"], frame.columns
    assert len(frame) == 334728 and abs(frame.imports.sum() / 1e9 - 3123.77) < 0.01
    return frame


def sigma_sitc3(concordance: str, classes: pd.DataFrame) -> pd.DataFrame:
    raw = show(
        concordance,
        CONCORDANCE_COMMIT,
        "data-raw/ElasticitiesBrodaWeinstein90-01_SITCRev3_5-digit.xls",
    )
    bw = pd.read_excel(io.BytesIO(raw), header=None, skiprows=4, dtype=str).iloc[:, :2]
    bw.columns = ["sitc3", "sigma"]
    bw = bw.dropna()
    bw["sitc3"] = bw.sitc3.str.replace(r"\.0$", "", regex=True).str.zfill(5)
    bw["sigma"] = bw.sigma.astype(float)
    assert bw.sitc3.is_unique and len(bw) == 2716, len(bw)
    name = "data-raw/SITC3 to SITC2 Conversion and Correlation Tables.xls"
    raw = show(concordance, CONCORDANCE_COMMIT, name)
    conv = pd.read_excel(io.BytesIO(raw), sheet_name="Conversion Table", header=None, dtype=str)
    conv = conv.iloc[:, [3, 4]].dropna()
    conv.columns = ["sitc3", "sitc2"]
    conv = conv[conv.sitc3.str.fullmatch(r"\d{3,5}")]
    conv = conv.drop_duplicates("sitc3").set_index("sitc3")["sitc2"]
    # Broda-Weinstein pad a 4- or 3-digit heading with zeros (01710: subgroup 0171; 02300: 023)
    bw["sitc2"] = bw.sitc3.map(conv)
    bw["sitc2"] = bw.sitc2.fillna(bw.sitc3.str[:4].where(bw.sitc3.str.endswith("0")).map(conv))
    bw["sitc2"] = bw.sitc2.fillna(bw.sitc3.str[:3].where(bw.sitc3.str.endswith("00")).map(conv))
    bw["rauch_code"] = match(bw.sitc2, classes)
    bw = bw.join(classes, on="rauch_code")
    return bw


def sigma_by_class(bw: pd.DataFrame) -> pd.DataFrame:
    """Median, quartiles and count of the sigmas of each Rauch class (what build.py needs)."""
    rows = []
    for setting in ("con", "lib"):
        matched = bw.dropna(subset=[setting])
        for cls in ("w", "r", "n"):
            sigma = matched.loc[matched[setting] == cls, "sigma"]
            rows.append({
                "setting": setting,
                "rauch_class": cls,
                "sigma_median": sigma.median(),
                "sigma_p25": sigma.quantile(0.25),
                "sigma_p75": sigma.quantile(0.75),
                "n_goods": len(sigma),
                "n_classed": len(matched),
                "n_in_file": len(bw),
            })
    return pd.DataFrame(rows)


def lead_groups(w: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each HS6 product's supplier group and Rauch class (``sector, hs6, group, rauch_class``)
    and its 2024 imports by partner. A product's group is its lead, the partner region that
    sold the US most of it in 2024 (ties: the first code alphabetically); in each sector the
    LEADS regions that lead the most import value keep their own group and the products of
    the other leads form the group "other"."""
    by_product = w.groupby(["sector", "hs6", "partner"]).imports.sum().unstack(fill_value=0.0)
    products = by_product.index.to_frame(index=False)
    products["lead"] = by_product.idxmax(axis=1).to_numpy()  # columns sorted: ties to the first
    products["value"] = by_product.sum(axis=1).to_numpy()
    led = products.groupby(["sector", "lead"]).value.sum()
    kept = set(led.groupby(level="sector", group_keys=False).nlargest(LEADS).index)
    own = [(s, lead) in kept for s, lead in zip(products.sector, products.lead, strict=True)]
    products["group"] = products.lead.where(own, "other")
    cls = w.drop_duplicates("hs6").set_index("hs6").con.fillna("unclassified")
    products["rauch_class"] = products.hs6.map(cls).to_numpy()
    return products[["sector", "hs6", "group", "rauch_class"]], by_product


def by_lead(w: pd.DataFrame) -> pd.DataFrame:
    """2024 US imports by sector x supplier group x Rauch class (conservative) x partner (US$ m)
    (:func:`lead_groups`): every partner of each group and class found in it, zeros included."""
    products, by_product = lead_groups(w)
    keys = [products.sector.to_numpy(), products.group.to_numpy(), products.rauch_class.to_numpy()]
    table = by_product.groupby(keys).sum().rename_axis(["sector", "group", "rauch_class"])
    table = table.stack().rename("imports_usd_m").reset_index()
    table["imports_usd_m"] = (table.imports_usd_m / 1e6).round(3)
    count = products.groupby(["sector", "group", "rauch_class"]).size()
    cells = zip(table.sector, table.group, table.rauch_class, strict=True)
    table["products"] = [count[k] for k in cells]
    order = ["sector", "group", "rauch_class", "partner"]
    return table.sort_values(order).reset_index(drop=True)[[*order, "imports_usd_m", "products"]]


def bea_of_hs6(concordance: str) -> pd.DataFrame:
    """``hs6, bea, weight``: each HS 2022 subheading's BEA detail commodities (2012 codes), via
    its NAICS codes (the package data hs6_naics and bea2012_naics2012); a NAICS code without a
    BEA row of its own takes the BEA codes of its longest prefix (5, 4 or 3 digits) that has
    them; an HS6 with several BEA codes is split equally between them."""
    import pyreadr  # PyPI; only this extraction needs it

    def read(name: str) -> pd.DataFrame:
        with tempfile.TemporaryDirectory() as folder:  # outside the repository
            tmp = Path(folder) / "table.RData"
            tmp.write_bytes(show(concordance, CONCORDANCE_COMMIT, f"data/{name}.RData"))
            return pyreadr.read_r(str(tmp))[name]

    hs_naics = read("hs6_naics").dropna(subset=["NAICS_6d"])
    bea_naics = read("bea2012_naics2012")
    prefixes = {
        d: bea_naics.groupby(f"NAICS2012_{d}d").BEA2012.apply(lambda c: sorted(set(c))).to_dict()
        for d in (6, 5, 4, 3)
    }

    def bea(naics: str) -> list[str]:
        for d in (6, 5, 4, 3):
            if naics[:d] in prefixes[d]:
                return prefixes[d][naics[:d]]
        return []

    hs_naics["bea"] = [bea(str(code)) for code in hs_naics.NAICS_6d]
    link = hs_naics.explode("bea").dropna(subset=["bea"])[["HS6_6d", "bea"]].drop_duplicates()
    link = link.rename(columns={"HS6_6d": "hs6"})
    link["weight"] = 1.0 / link.groupby("hs6").bea.transform("size")
    return link.reset_index(drop=True)


def home_by_lead(w: pd.DataFrame, tariff_model: str, concordance: str) -> pd.DataFrame:
    """US producers' domestic supply by sector x supplier group x Rauch class (US$ m): each BEA
    detail commodity's domestic use (BEA_DOMESTIC) allocated to the HS6 products it covers in
    proportion to their 2024 imports, then summed by group and class (:func:`lead_groups`)."""
    products, by_product = lead_groups(w)
    imports = by_product.sum(axis=1).rename("imports").reset_index()
    link = bea_of_hs6(concordance).merge(imports, on="hs6")
    link["share"] = link.imports * link.weight
    link["share"] /= link.groupby("bea").share.transform("sum")
    totals = pd.read_csv(io.BytesIO(show(tariff_model, BEA_COMMIT, BEA_DOMESTIC)), dtype=str)
    domestic = totals.set_index("bea_code").domestic_total.astype(float)  # US$ m
    link["domestic"] = link.bea.map(domestic).fillna(0.0) * link.share
    by_hs6 = link.groupby(["sector", "hs6"]).domestic.sum()
    products = products.join(by_hs6, on=["sector", "hs6"]).fillna({"domestic": 0.0})
    table = products.groupby(["sector", "group", "rauch_class"]).domestic.sum().reset_index()
    table["domestic_usd_m"] = table.pop("domestic").round(3)
    return table.sort_values(["sector", "group", "rauch_class"]).reset_index(drop=True)


def main(tariff_model: str, concordance: str, shared: Path = SHARED) -> None:
    shared.mkdir(parents=True, exist_ok=True)
    classes = rauch(concordance)
    sitc2 = hs_to_sitc2(concordance)
    sector_of = sector_rule()

    w = weights(tariff_model)
    w["hs6"] = w.hs10.str[:6]
    w["sector"] = w.hs10.map(sector_of)
    w["partner"] = w.cty_code.map(CENSUS_REGION).fillna("ROW")

    hs6 = w.groupby(["hs6", "sector"], as_index=False).imports.sum()
    assert hs6.hs6.is_unique  # the sector rules use the HS heading, so an HS6 has one sector
    hs6["sitc2"] = hs6.hs6.map(sitc2)
    hs6["rauch_code"] = match(hs6.sitc2, classes)
    hs6 = hs6.join(classes, on="rauch_code")
    hs6["imports_2024_usd_m"] = (hs6.pop("imports") / 1e6).round(3)
    hs6 = hs6[["hs6", "sitc2", "rauch_code", "con", "lib", "sector", "imports_2024_usd_m"]]
    hs6.to_csv(shared / "hs6_rauch.csv", index=False)

    w = w.join(hs6.set_index("hs6")[["con", "lib"]], on="hs6")
    keys = ["sector", "partner"]
    table = w.groupby(keys).imports.sum().rename("total").to_frame()
    for setting in ("con", "lib"):
        by = w.groupby([*keys, w[setting].fillna("unclassified").rename("cls")]).imports.sum()
        by = by.unstack("cls", fill_value=0.0)
        for cls in ("w", "r", "n"):
            table[f"{setting}_{cls}"] = by.get(cls, 0.0)
        table["unclassified"] = by.get("unclassified", 0.0)  # the same lines under both
    table = table.fillna(0.0)
    gap = table.filter(like="con_").sum(axis=1) + table.unclassified - table.total
    assert gap.abs().max() < 1
    columns = ["con_w", "con_r", "con_n", "lib_w", "lib_r", "lib_n", "unclassified"]
    table = (table.reindex(columns=columns, fill_value=0.0) / 1e6).round(3).reset_index()
    table.to_csv(HERE / "us_imports_2024_by_class.csv", index=False)

    by_lead(w).to_csv(HERE / "us_imports_2024_by_lead.csv", index=False)
    home = home_by_lead(w, tariff_model, concordance)
    home.to_csv(HERE / "us_domestic_by_lead.csv", index=False)

    bw = sigma_sitc3(concordance, classes)
    bw.to_csv(shared / "bw_sigma_sitc3.csv", index=False)
    sigma_by_class(bw).to_csv(HERE / "bw_sigma_by_class.csv", index=False)

    total = w.imports.sum() / 1e9
    print(f"2024 US imports for consumption: {total:,.1f} bn; by class (con):")
    print((w.groupby(w.con.fillna("unclassified")).imports.sum() / 1e9).round(1).to_string())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(Path(a) for a in sys.argv[3:4]))
