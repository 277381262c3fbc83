"""Goods that differ within a sector: the Rauch-class shares and the class elasticities.

The bundled tables are read from the installed package (so a table left out of the wheel
fails); the checks against the committed aggregates in data-raw/ recompute the shares and
compare the class statistics here, independently of goods_classes.py. The per-row files
(hs6_rauch.csv, bw_sigma_sitc3.csv) are not in the repository and no test reads them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data-raw" / "base_2024" / "goods_classes"
SHARES = ["share_homogeneous", "share_reference", "share_differentiated"]


def bundled(name: str) -> pd.DataFrame:
    return pd.read_csv(resources.files("simulator.data") / "base_2024" / name)


@pytest.fixture(scope="module")
def classes() -> pd.DataFrame:
    return bundled("goods_classes.csv")


@pytest.fixture(scope="module")
def sigmas() -> pd.DataFrame:
    return bundled("goods_class_elasticities.csv")


def all_origins(classes: pd.DataFrame, setting: str = "conservative") -> pd.DataFrame:
    rows = classes[(classes.partner == "ALL") & (classes.classification == setting)]
    return rows.set_index("sector")


def test_shares_are_fractions_that_sum_to_one(classes):
    assert classes[SHARES].ge(0).all().all() and classes[SHARES].le(1).all().all()
    assert (classes[SHARES].sum(axis=1) - 1).abs().max() < 1e-9
    assert classes.classified_usd_bn.ge(0).all() and classes.unclassified_usd_bn.ge(0).all()
    assert (classes.source.str.len() > 10).all() and (classes.read_at.str.len() > 10).all()


def test_every_goods_sector_and_every_us_partner_appears_once_per_classification(classes):
    sectors = pd.read_csv(resources.files("simulator.data") / "base_2024" / "sectors.csv")
    regions = pd.read_csv(resources.files("simulator.data") / "base_2024" / "regions.csv")
    goods = set(sectors.loc[sectors.kind == "goods", "sector"])
    partners = set(regions.region) - {"USA"} | {"ALL"}
    assert set(classes.sector) == goods  # services lie outside Rauch's goods classification
    assert set(classes.partner) == partners
    assert set(classes.classification) == {"conservative", "liberal"}
    assert set(classes.importer) == {"USA"}
    keys = ["partner", "sector", "classification"]
    assert not classes.duplicated(keys).any()
    assert len(classes) == len(goods) * len(partners) * 2


def test_partner_rows_add_up_to_the_all_origin_row(classes):
    """Each sector's classified value over partners equals its all-origin value."""
    partners = classes[classes.partner != "ALL"]
    total = partners.groupby(["classification", "sector"]).classified_usd_bn.sum()
    every = classes[classes.partner == "ALL"].set_index(["classification", "sector"])
    pd.testing.assert_series_equal(
        total.sort_index(), every.classified_usd_bn.sort_index(), check_names=False, atol=0.01
    )
    # US goods imports for consumption in 2024 were about 3.1 trillion dollars (Census)
    assert 3000 < every.classified_usd_bn.xs("conservative").sum() < 3300


def test_thin_partner_rows_take_the_sector_shares(classes):
    thin = classes[classes.basis.str.startswith("all origins:")]
    assert (thin.classified_usd_bn < 0.05).all()
    assert (
        classes.loc[classes.basis == "partner's own 2024 imports", "classified_usd_bn"] >= 0.05
    ).all()
    every = classes[classes.partner == "ALL"].set_index(["classification", "sector"])[SHARES]
    for row in thin.itertuples():
        expected = every.loc[(row.classification, row.sector)].to_numpy()
        assert [getattr(row, s) for s in SHARES] == pytest.approx(expected)


def test_commodities_are_mostly_exchange_traded_or_reference_priced(classes):
    for setting in ("conservative", "liberal"):
        rows = all_origins(classes, setting)
        commodity = rows.share_homogeneous + rows.share_reference
        assert commodity["energy"] > 0.9  # crude oil, products and gas are exchange-traded
        assert rows.share_homogeneous["energy"] > 0.8
        assert commodity["agriculture"] > 0.6  # grains, oilseeds, meat, sugar, coffee
        assert commodity["aluminium"] > 0.6  # unwrought aluminium is on the LME
        # steel: mill products (HS 72) are reference-priced, articles (HS 73) differentiated
        assert commodity["steel"] > 0.2


def test_manufactures_are_mostly_differentiated(classes):
    for setting in ("conservative", "liberal"):
        rows = all_origins(classes, setting)
        for sector in ("autos", "aircraft", "computers_semis", "consumer_goods", "pharma"):
            assert rows.share_differentiated[sector] > 0.95, (setting, sector)
        assert rows.share_differentiated["machinery"] > 0.8
        assert rows.share_differentiated["other_goods"] > 0.5
        # and the differentiated share orders the sectors the way the classes should
        assert rows.share_differentiated["energy"] < rows.share_differentiated["agriculture"]
        assert rows.share_differentiated["agriculture"] < rows.share_differentiated["machinery"]


def test_class_elasticities_fall_from_homogeneous_to_differentiated(sigmas):
    """Broda & Weinstein (2006): goods on organised exchanges are the most substitutable."""
    assert set(sigmas.goods_class) == {"homogeneous", "reference", "differentiated"}
    for setting, rows in sigmas.groupby("classification"):
        med = rows.set_index("goods_class").sigma_median
        assert med["homogeneous"] > med["reference"] > med["differentiated"] > 1, setting
        assert (rows.sigma_p25 < rows.sigma_median).all() and (
            rows.sigma_median < rows.sigma_p75
        ).all()
        assert rows.n_goods.sum() > 2600  # of 2,716 SITC Rev. 3 goods
    assert (sigmas.source.str.contains("Broda")).all()


@pytest.mark.skipif(not RAW.exists(), reason="needs the repository's data-raw folder")
def test_shares_recompute_from_the_sector_partner_aggregate(classes):
    """The all-origin shares from the committed aggregate (sector x partner x class) equal the
    bundled ones; the per-HS6 concordance lies outside the repository (PROVENANCE.md)."""
    raw = pd.read_csv(RAW / "us_imports_2024_by_class.csv")
    assert not raw.duplicated(["sector", "partner"]).any()
    for setting, name in (("con", "conservative"), ("lib", "liberal")):
        value = raw.groupby("sector")[[f"{setting}_{c}" for c in "wrn"]].sum()
        share = value.div(value.sum(axis=1), axis=0)
        rows = all_origins(classes, name)
        for code, column in zip("wrn", SHARES, strict=True):
            expected = rows[column][share.index].to_numpy()
            assert share[f"{setting}_{code}"].to_numpy() == pytest.approx(expected, abs=2e-4)
        total = value.sum(axis=1) / 1e3
        assert total.to_numpy() == pytest.approx(rows.classified_usd_bn[total.index], abs=1e-3)


@pytest.mark.skipif(not RAW.exists(), reason="needs the repository's data-raw folder")
def test_class_medians_match_the_broda_weinstein_class_statistics(sigmas):
    stats = pd.read_csv(RAW / "bw_sigma_by_class.csv")
    assert (stats.n_in_file == 2716).all()
    for setting, name in (("con", "conservative"), ("lib", "liberal")):
        mine = stats[stats.setting == setting].set_index("rauch_class")
        assert mine.n_goods.sum() == mine.n_classed.iloc[0]  # every classed good in one class
        rows = sigmas[sigmas.classification == name].set_index("rauch_code")
        for column in ("sigma_median", "sigma_p25", "sigma_p75"):
            assert mine[column][rows.index].round(2).to_numpy() == pytest.approx(
                rows[column].to_numpy()
            )
        assert (mine.n_goods[rows.index].to_numpy() == rows.n_goods.to_numpy()).all()
