#!/usr/bin/env python3
"""Build the tradesim base-2024 calibration tables.

Reads the hand-entered, sourced inputs in data-raw/base_2024/*.csv and writes the
final tables to simulator/data/base_2024/, then the manifest simulator/data/MANIFEST.sha256
(sha256 of every bundled data file under simulator/data, history and policy tables included).
Deterministic: no randomness, no network.

    python data-raw/base_2024/build.py          # build + manifest + print target checks
    python data-raw/base_2024/build.py DIR      # the same into DIR/base_2024 and DIR/MANIFEST.sha256

All money: US$ billions, 2024, nominal. See docs/data-sources.md.
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
# the package's data folder, or another folder given as the first argument (used by the tests)
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "simulator", "data")
OUT = os.path.join(DATA, "base_2024")
MANIFEST = "MANIFEST.sha256"

REGIONS = ["USA", "CHN", "EU", "MEX", "CAN", "VNM", "JPN", "KOR", "TWN", "IND", "ROW"]
NAMED = REGIONS[:-1]
PARTNERS = REGIONS[1:]  # US partners
GOODS = ["agriculture", "beverages", "energy", "steel", "aluminium", "autos", "motorcycles",
         "aircraft", "machinery", "computers_semis", "pharma", "consumer_goods", "other_goods"]
SERVICES = ["digital_services", "other_services"]
SECTORS = GOODS + SERVICES

# Estimates used by the services residual (documented in docs/data-sources.md)
WORLD_SERVICES_IMPORTS = 8700.0   # estimate: world commercial services trade 2024, order of magnitude
ROW_INTRA_DISCOUNT = 0.6          # estimate: share of ROW services imports not sourced inside ROW
ROW_DIGITAL_SHARE = 0.20          # estimate
ROW_SERVICES_FLOOR = 0.05         # ROW->j services never below 5% of j's services imports

# parameters.csv rows the model reads (simulator/calibration/parameters.py DATA_DEFAULTS + capacity_utilisation)
MODEL_PARAMETERS = ["tariff_pass_through", "adjustment_speed", "supply_elasticity",
                    "inventory_carrying_cost_pct_per_month", "dollar_inflow_elasticity", "dollar_invoicing_share",
                    "dollar_invoicing_share_us_imports", "twin_deficit", "income_feedback", "capacity_utilisation",
                    "switching_cost_homogeneous_months", "switching_cost_reference_months",
                    "switching_cost_differentiated_months", "switching_cost_dispersion", "discount_rate_pct_per_year",
                    "fx_half_life_months", "tariff_threat_probability", "export_profit_tail", "export_hysteresis_band",
                    "exporter_share_of_firms",
                    *[f"rauch_class_{s}" for s in SECTORS]]


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(os.path.join(HERE, name), keep_default_na=False, na_values=[""])


def ras(prior: np.ndarray, rows: np.ndarray, cols: np.ndarray, fixed: np.ndarray | None = None,
        iters: int = 2000, tol: float = 1e-10) -> np.ndarray:
    """Biproportional scaling of `prior` to row and column totals; `fixed` cells (NaN = free) kept."""
    x = prior.astype(float).copy()
    if fixed is None:
        fixed = np.full_like(x, np.nan)
    fmask = ~np.isnan(fixed)
    fx = np.where(fmask, fixed, 0.0)
    r_t = rows - fx.sum(axis=1)
    c_t = cols - fx.sum(axis=0)
    x[fmask] = 0.0
    for _ in range(iters):
        rs = x.sum(axis=1)
        x *= np.where(rs > 0, r_t / np.where(rs > 0, rs, 1), 1)[:, None]
        cs = x.sum(axis=0)
        x *= np.where(cs > 0, c_t / np.where(cs > 0, cs, 1), 1)[None, :]
        if np.abs(x.sum(axis=1) - r_t).max() < tol and np.abs(x.sum(axis=0) - c_t).max() < tol:
            break
    return x + fx


def ras_with_mins(prior, rows, cols, mins):
    """RAS, then pin any cell below its sourced minimum at that minimum and re-run."""
    fixed = np.full_like(prior, np.nan, dtype=float)
    for _ in range(10):
        x = ras(prior, rows, cols, fixed)
        viol = (~np.isnan(mins)) & (x < mins - 1e-9) & np.isnan(fixed)
        if not viol.any():
            return x, ~np.isnan(fixed)
        fixed[viol] = mins[viol]
    return x, ~np.isnan(fixed)


def main() -> int:
    os.makedirs(OUT, exist_ok=True)

    # ------------------------------------------------------------------ US totals
    tot = raw("us_totals.csv").set_index("item")
    T = tot["value_usd_bn"].astype(float)
    bop_x, bop_m = T["goods_exports"], T["goods_imports"]
    cen_x, cen_m = T["census_goods_exports"], T["census_goods_imports"]

    part = raw("us_goods_partner.csv").set_index("partner")
    px = part["us_exports"].astype(float).reindex(PARTNERS[:-1])
    pm = part["us_imports"].astype(float).reindex(PARTNERS[:-1])
    px["ROW"] = cen_x - px.sum()
    pm["ROW"] = cen_m - pm.sum()

    sect = raw("us_goods_sector.csv").set_index("sector")
    sx = sect["us_exports"].astype(float).reindex(GOODS)
    sm = sect["us_imports"].astype(float).reindex(GOODS)
    sx["other_goods"] = cen_x - sx.drop("other_goods").sum()
    sm["other_goods"] = cen_m - sm.drop("other_goods").sum()

    prior = raw("us_partner_sector_prior.csv")
    anchors = raw("us_anchor_min.csv")

    def us_matrix(flow, ptot, stot):
        p = prior[prior.flow == flow].set_index("partner").reindex(PARTNERS)[GOODS].astype(float).values
        mins = np.full(p.shape, np.nan)
        for _, a in anchors.iterrows():
            if flow == "export" and a.exporter == "USA":
                mins[PARTNERS.index(a.importer), GOODS.index(a.sector)] = a.min_value_usd_bn
            if flow == "import" and a.importer == "USA":
                mins[PARTNERS.index(a.exporter), GOODS.index(a.sector)] = a.min_value_usd_bn
        x, pinned = ras_with_mins(p, ptot.reindex(PARTNERS).values, stot.values, mins)
        return pd.DataFrame(x, index=PARTNERS, columns=GOODS), pd.DataFrame(pinned, index=PARTNERS, columns=GOODS)

    usx, usx_pin = us_matrix("export", px, sx)
    usm, usm_pin = us_matrix("import", pm, sm)
    # BOP - Census adjustment goes to ROW, spread over ROW's sectors
    adj_x, adj_m = bop_x - cen_x, bop_m - cen_m
    usx.loc["ROW"] *= (usx.loc["ROW"].sum() + adj_x) / usx.loc["ROW"].sum()
    usm.loc["ROW"] *= (usm.loc["ROW"].sum() + adj_m) / usm.loc["ROW"].sum()

    # ------------------------------------------------------------------ bilateral goods totals
    rt = raw("region_goods_totals.csv").set_index("region")
    RX = rt["exports_usd_bn"].astype(float)
    RM = rt["imports_usd_bn"].astype(float)
    B = pd.DataFrame(np.nan, index=REGIONS, columns=REGIONS)  # exporter x importer goods totals
    Bsrc = {}
    bil = raw("goods_bilateral_nonus.csv")
    for _, r in bil.iterrows():
        B.loc[r.exporter, r.importer] = float(r.value_usd_bn)
        Bsrc[(r.exporter, r.importer)] = (str(r.estimate).lower() == "true", r.method, r.source)
    for p in PARTNERS:
        B.loc["USA", p] = usx.loc[p].sum()
        B.loc[p, "USA"] = usm.loc[p].sum()
    for i in NAMED:
        if i == "USA":
            continue
        B.loc[i, "ROW"] = RX[i] - B.loc[i, [j for j in NAMED if j != i]].sum()
    for j in NAMED:
        if j == "USA":
            continue
        B.loc["ROW", j] = RM[j] - B.loc[[i for i in NAMED if i != j], j].sum()
    for r in REGIONS:
        B.loc[r, r] = 0.0
    neg = B[B < 0].stack().dropna()
    if len(neg):
        print("ERROR negative residual bilateral totals:\n", neg)
        return 1

    prof = raw("export_profile.csv").set_index("exporter")[GOODS].astype(float)
    tilt = raw("import_tilt.csv").set_index("importer")[GOODS].astype(float)

    rows = []
    rsrc = raw("region_goods_totals.csv").set_index("region")["source"]
    for i in REGIONS:
        for j in REGIONS:
            if i == j:
                continue
            if i == "USA":
                vals = usx.loc[j]
                pin = usx_pin.loc[j]
                psrc = part.loc[j, "source"] if j in part.index else "derived"
                for s in GOODS:
                    if j == "ROW":
                        meth = ("ROW residual: Census total exports 2064.5 less named partners, plus BOP-Census "
                                f"adjustment {adj_x:+.1f}; sector split by RAS (prior us_partner_sector_prior.csv) to US sector totals")
                        src = "us_totals.csv (Census and BOP first vintage); us_goods_sector.csv"
                    else:
                        meth = ("sourced Census partner total x estimated sector share, RAS-balanced to US sector "
                                "exports (us_goods_sector.csv)")
                        src = f"partner total: {psrc}; sector totals: us_goods_sector.csv"
                    if pin[s]:
                        meth = "pinned at sourced lower bound (us_anchor_min.csv); " + meth
                    rows.append((i, j, s, vals[s], "BOP" if j == "ROW" else "Census", True, meth, src))
            elif j == "USA":
                vals = usm.loc[i]
                pin = usm_pin.loc[i]
                psrc = part.loc[i, "source"] if i in part.index else "derived"
                for s in GOODS:
                    if i == "ROW":
                        meth = ("ROW residual: Census total imports 3267.4 less named partners, plus BOP-Census "
                                f"adjustment {adj_m:+.1f}; sector split by RAS to US sector totals")
                        src = "us_totals.csv (Census and BOP first vintage); us_goods_sector.csv"
                    else:
                        meth = ("sourced Census partner total x estimated sector share, RAS-balanced to US sector "
                                "imports (us_goods_sector.csv)")
                        src = f"partner total: {psrc}; sector totals: us_goods_sector.csv"
                    if pin[s]:
                        meth = "pinned at sourced lower bound (us_anchor_min.csv); " + meth
                    rows.append((i, j, s, vals[s], "BOP" if i == "ROW" else "Census", True, meth, src))
            else:
                total = B.loc[i, j]
                w = prof.loc[i] * tilt.loc[j]
                w = w / w.sum()
                if (i, j) in Bsrc:
                    est, m0, s0 = Bsrc[(i, j)]
                    kind = "estimated" if est else "sourced"
                    meth = (f"{kind} bilateral total {total:.1f} ({m0}) x sector share "
                            "(export_profile x import_tilt, estimates)")
                    src = s0
                elif j == "ROW":
                    meth = (f"residual: exporter total exports {RX[i]:.1f} less flows to named regions; "
                            "sector share export_profile x import_tilt (estimates)")
                    src = f"exporter total: {rsrc[i]}"
                else:
                    meth = (f"residual: importer total imports {RM[j]:.1f} less imports from named regions; "
                            "sector share export_profile x import_tilt (estimates)")
                    src = f"importer total: {rsrc[j]}"
                for s in GOODS:
                    rows.append((i, j, s, total * w[s], "exporter f.o.b./mirror", True, meth, src))

    # ------------------------------------------------------------------ services
    sv = raw("services.csv").set_index("region")
    SX = sv["services_exports"].astype(float)
    SM = sv["services_imports"].astype(float)
    dsh = sv["digital_share_exports"].astype(float).to_dict()
    dsh["ROW"] = ROW_DIGITAL_SHARE
    usp = raw("us_services_partner.csv").set_index("partner")
    S = pd.DataFrame(0.0, index=REGIONS, columns=REGIONS)
    for p in PARTNERS[:-1]:
        S.loc["USA", p] = float(usp.loc[p, "us_exports"])
        S.loc[p, "USA"] = float(usp.loc[p, "us_imports"])
    S.loc["USA", "ROW"] = SX["USA"] - S.loc["USA"].sum()
    S.loc["ROW", "USA"] = SM["USA"] - S.loc[:, "USA"].sum()
    row_m = ROW_INTRA_DISCOUNT * (WORLD_SERVICES_IMPORTS - SM.sum())
    dest_w = SM.drop("USA").to_dict()
    dest_w["ROW"] = row_m
    for i in NAMED[1:]:
        rem = SX[i] - S.loc[i, "USA"]
        dests = [j for j in REGIONS if j not in ("USA", i)]
        wsum = sum(dest_w[j] for j in dests)
        for j in dests:
            S.loc[i, j] = rem * dest_w[j] / wsum
    for j in NAMED[1:]:
        resid = SM[j] - S.loc[[i for i in NAMED if i != j], j].sum()
        S.loc["ROW", j] = max(resid, ROW_SERVICES_FLOOR * SM[j])
    us_dig_x = SX["USA"] * dsh["USA"]
    for i in REGIONS:
        for j in REGIONS:
            if i == j:
                continue
            v = S.loc[i, j]
            d = dsh[i]
            if i == "USA" or j == "USA":
                basis = "BOP"
                meth = ("US services by partner (analyst estimate from BEA partner pattern; ROW = residual to the "
                        "first-vintage BOP totals 1107.4 / 814.1) x digital share of exporter (estimate)")
                src = "us_totals.csv; us_services_partner.csv; services.csv"
            else:
                basis = "BOP (estimate)"
                meth = ("gravity split of exporter services exports (net of US) by importer services imports; "
                        "ROW row = importer residual (floor 5%); x digital share of exporter (all estimates)")
                src = "services.csv (estimates)"
            rows.append((i, j, "digital_services", v * d, basis, True, meth, src))
            rows.append((i, j, "other_services", v * (1 - d), basis, True, meth, src))

    trade = pd.DataFrame(rows, columns=["exporter", "importer", "sector", "value_usd_bn", "basis", "estimate",
                                        "method", "source"])
    trade["value_usd_bn"] = trade["value_usd_bn"].clip(lower=0.001).round(4)
    assert len(trade) == 1650, len(trade)
    trade["_o"] = trade.sector.map({s: k for k, s in enumerate(SECTORS)})
    trade = trade.sort_values(["exporter", "importer", "_o"],
                              key=lambda c: c.map({r: k for k, r in enumerate(REGIONS)}) if c.name != "_o" else c)
    trade = trade.drop(columns="_o").reset_index(drop=True)
    trade.to_csv(os.path.join(OUT, "trade.csv"), index=False)

    # ------------------------------------------------------------------ regions
    reg = raw("regions_raw.csv").set_index("region")
    gdp = reg["gdp_usd_bn"].astype(float)
    regions_out = []
    for r in NAMED:
        regions_out.append((r, reg.loc[r, "name"], reg.loc[r, "currency"], gdp[r], reg.loc[r, "source"]))
    row_gdp = gdp["WORLD"] - gdp[NAMED].sum()
    regions_out.append(("ROW", "Rest of world (residual)", "USD", round(row_gdp, 1),
                        "NOT VERIFIED (estimate): world GDP 2024 110900 as recalled from the IMF WEO April 2025 database (regions_raw.csv WORLD; the World Bank WDI world total is 111326) less the ten named regions (of which EU, KOR, TWN and IND are not verified either)"))
    pd.DataFrame(regions_out, columns=["region", "name", "currency", "gdp_usd_bn", "source"]).to_csv(
        os.path.join(OUT, "regions.csv"), index=False)

    # ------------------------------------------------------------------ sectors
    el = raw("elasticities_raw.csv")
    el["elasticity_source"] = el["elasticity_source"] + " [mapping: " + el["gtap_sectors"] + "]"
    el[["sector", "name", "kind", "description", "armington_elasticity", "elasticity_source",
        "demand_growth_note"]].to_csv(os.path.join(OUT, "sectors.csv"), index=False)

    # ------------------------------------------------------------------ domestic absorption
    ipr = raw("import_penetration.csv").set_index("sector")
    opn = raw("openness.csv").set_index("region")
    imp_tot = trade.groupby(["importer", "sector"]).value_usd_bn.sum()
    exp_tot = trade.groupby(["exporter", "sector"]).value_usd_bn.sum()
    dom = []
    for r in REGIONS:
        o = float(opn.loc[r, "openness_multiplier"])
        for s in GOODS:
            p_ = min(max(float(ipr.loc[s, "import_penetration_base"]) * o, 0.03), 0.9)
            e_ = min(max(float(ipr.loc[s, "export_share_base"]) * o, 0.02), 0.9)
            m = imp_tot.get((r, s), 0.0)
            x = exp_tot.get((r, s), 0.0)
            d_imp = m * (1 - p_) / p_
            d_exp = x * (1 - e_) / e_
            d = 0.5 * (d_imp + d_exp)
            dom.append((r, s, round(max(d, 0.5), 3), True,
                        f"mean of import-based M*(1-ipr)/ipr with ipr={p_:.2f} and export-based X*(1-esh)/esh with "
                        f"esh={e_:.2f} (ipr/esh = sector base x region openness, import_penetration.csv/openness.csv)",
                        "derived from trade.csv and analyst estimates of import penetration / export shares"))
        g = gdp[r] if r != "ROW" else row_gdp
        for s in SERVICES:
            share = float(opn.loc[r, "va_share_" + s])
            x = exp_tot.get((r, s), 0.0)
            d = g * share * 1.6 - x
            dom.append((r, s, round(max(d, 1.0), 3), True,
                        f"GDP x services value-added share {share:.3f} (estimate) x gross-output/VA ratio 1.6 "
                        "(estimate) less exports",
                        f"GDP: regions.csv; shares: openness.csv (estimates)"))
    pd.DataFrame(dom, columns=["region", "sector", "value_usd_bn", "estimate", "method", "source"]).to_csv(
        os.path.join(OUT, "domestic.csv"), index=False)

    # ------------------------------------------------------------------ tariffs
    tar = raw("base_tariffs_raw.csv")
    for c in ("imposer",):
        assert set(tar[c]) <= set(REGIONS), set(tar[c]) - set(REGIONS)
    assert set(tar.partner) <= set(REGIONS) | {"*"}
    assert set(tar.sector) <= set(SECTORS) | {"*"}
    assert not tar.duplicated(["imposer", "partner", "sector"]).any()
    tar.to_csv(os.path.join(OUT, "base_tariffs.csv"), index=False)

    # ------------------------------------------------------------------ growth
    gr = raw("growth_raw.csv")
    gr["nominal_growth_pct"] = (((1 + gr.real_growth_2025_pct / 100) * (1 + gr.inflation_2025_pct / 100) - 1)
                                * 100).round(2)
    gr["source"] = ("nominal = (1+real)(1+inflation)-1 with real " + gr.real_growth_2025_pct.astype(str) +
                    "% and inflation " + gr.inflation_2025_pct.astype(str) + "%: " + gr.source)
    gr[["region", "nominal_growth_pct", "source"]].to_csv(os.path.join(OUT, "growth.csv"), index=False)

    # ------------------------------------------------------------------ parameters
    # Every row (including the dollar-invoicing rows the model reads) comes from parameters_raw.csv, so a
    # rebuild never drops a row that was appended to the output by hand.
    par = raw("parameters_raw.csv")
    assert not par.parameter.duplicated().any(), par.parameter[par.parameter.duplicated()].tolist()
    missing = [k for k in MODEL_PARAMETERS if k not in set(par.parameter)]
    assert not missing, f"parameters_raw.csv lacks rows the model reads: {missing}"
    assert par.source.fillna("").str.strip().ne("").all(), "every parameter row needs a source"
    par.to_csv(os.path.join(OUT, "parameters.csv"), index=False)

    write_manifest(DATA)
    return check(trade, tar)


def write_manifest(data_dir: str) -> None:
    """List every data file under `data_dir` (not Python files) with its sha256, as `sha256sum` does."""
    root = Path(data_dir)
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST and p.suffix not in (".py", ".pyc")
         and not any(part.startswith((".", "__")) for part in p.relative_to(root).parts)),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}\n" for p in files]
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text("".join(lines), encoding="utf-8", newline="\n")
    tmp.replace(root / MANIFEST)


def tariff_lookup(tar: pd.DataFrame, imposer: str, partner: str, sector: str) -> float:
    """Most specific row wins: (partner,sector) > (partner,*) > (*,sector) > (*,*)."""
    t = tar[tar.imposer == imposer]
    for p, s in ((partner, sector), (partner, "*"), ("*", sector), ("*", "*")):
        hit = t[(t.partner == p) & (t.sector == s)]
        if len(hit):
            return float(hit.rate_pct.iloc[0])
    return 0.0


def check(trade: pd.DataFrame, tar: pd.DataFrame) -> int:
    g = trade[trade.sector.isin(GOODS)]
    sv = trade[trade.sector.isin(SERVICES)]
    usx = g[g.exporter == "USA"].value_usd_bn.sum()
    usm = g[g.importer == "USA"].value_usd_bn.sum()
    ssx = sv[sv.exporter == "USA"].value_usd_bn.sum()
    ssm = sv[sv.importer == "USA"].value_usd_bn.sum()
    bal = usx - usm + ssx - ssm
    res = []

    def row(name, target, got, tol):
        ok = abs(got - target) <= abs(target) * tol
        res.append((name, target, round(got, 1), f"{tol*100:.1f}%", "OK" if ok else "FAIL"))
        return ok

    allok = True
    allok &= row("US goods exports (BOP)", 2084.2, usx, 0.005)
    allok &= row("US goods imports (BOP)", 3295.9, usm, 0.005)
    allok &= row("US services exports", 1107.4, ssx, 0.005)
    allok &= row("US services imports", 814.1, ssm, 0.005)
    allok &= row("US goods+services balance", -918.4, bal, 0.005)
    for p, t in [("CHN", -295.4), ("EU", -235.6), ("MEX", -171.8), ("VNM", -123.5), ("CAN", -63.3),
                 ("JPN", -68.5), ("KOR", -66.0), ("TWN", -73.9), ("IND", -45.7)]:
        x = g[(g.exporter == "USA") & (g.importer == p)].value_usd_bn.sum()
        m = g[(g.exporter == p) & (g.importer == "USA")].value_usd_bn.sum()
        allok &= row(f"US goods balance with {p} (Census)", t, x - m, 0.02)
    for p, tx, tm in [("CHN", 143.5, 438.9), ("EU", 370.2, 605.8), ("MEX", 334.0, 505.9), ("CAN", 349.4, 412.7),
                      ("VNM", 13.1, 136.6)]:
        x = g[(g.exporter == "USA") & (g.importer == p)].value_usd_bn.sum()
        m = g[(g.exporter == p) & (g.importer == "USA")].value_usd_bn.sum()
        allok &= row(f"US exports to {p}", tx, x, 0.005)
        allok &= row(f"US imports from {p}", tm, m, 0.005)
    sec = lambda e, i, s: g[(g.exporter == e) & (g.importer == i) & (g.sector == s)].value_usd_bn.sum()
    allok &= row("US autos imports (BEA 475.5; ROW incl. BOP adj.)", 475.5,
                 g[(g.importer == "USA") & (g.sector == "autos")].value_usd_bn.sum(), 0.02)
    allok &= row("US agriculture+beverages exports (165.25)", 165.25,
                 g[(g.exporter == "USA") & g.sector.isin(["agriculture", "beverages"])].value_usd_bn.sum(), 0.02)
    # realised US duty rate
    mg = g[g.importer == "USA"].copy()
    mg["rate"] = [tariff_lookup(tar, "USA", e, s) for e, s in zip(mg.exporter, mg.sector)]
    duty = (mg.rate / 100 * mg.value_usd_bn).sum()
    allok &= row("US duties collected (79, MTS)", 79.0, duty, 0.10)
    allok &= row("US realised duty rate % (2.41)", 2.41, duty / usm * 100, 0.10)
    out = pd.DataFrame(res, columns=["check", "target", "achieved", "tolerance", "status"])
    pd.set_option("display.width", 200)
    print(out.to_string(index=False))
    print(f"\nUS goods X {usx:.1f} M {usm:.1f} | services X {ssx:.1f} M {ssm:.1f} | balance {bal:.1f}")
    chn = mg[mg.exporter == "CHN"]
    print(f"US duty on China {(chn.rate/100*chn.value_usd_bn).sum():.1f} bn, weighted {((chn.rate*chn.value_usd_bn).sum()/chn.value_usd_bn.sum()):.1f}%")
    print("\nUS goods imports by sector:", g[g.importer == "USA"].groupby("sector").value_usd_bn.sum().round(1).to_dict())
    print("US goods exports by sector:", g[g.exporter == "USA"].groupby("sector").value_usd_bn.sum().round(1).to_dict())
    tx = g.groupby("exporter").value_usd_bn.sum().round(1)
    tm = g.groupby("importer").value_usd_bn.sum().round(1)
    print("\nGoods exports by region:", tx.to_dict())
    print("Goods imports by region:", tm.to_dict())
    print(f"\nSelected cells: USA->CHN agriculture {sec('USA','CHN','agriculture'):.1f}; "
          f"MEX->USA computers_semis {sec('MEX','USA','computers_semis'):.1f}; "
          f"TWN->USA computers_semis {sec('TWN','USA','computers_semis'):.1f}; "
          f"CAN->USA energy {sec('CAN','USA','energy'):.1f}; USA->CAN energy {sec('USA','CAN','energy'):.1f}")
    print("\nALL CHECKS OK" if allok else "\nSOME CHECKS FAILED")
    return 0 if allok else 1


if __name__ == "__main__":
    sys.exit(main())
