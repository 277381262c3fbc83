"""Base-year calibration data: bilateral trade by sector, domestic sales, tariffs, growth.

A data set is a folder of CSV files (see ``docs/data-sources.md``). It is read into a
:class:`BaseData` holding dense numpy arrays indexed ``[origin, destination, sector]``.
Optional tables add what tariffs cost: input-output coefficients (``inputs.csv``), household
consumption shares and margins (``consumption.csv``) and households by income decile
(``households.csv``, ``household_spending.csv``), and where AI hardware was bought
(``ai_hardware_origins.csv``).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DATA_PACKAGE = "simulator.data"
REST_OF_WORLD = "ROW"
RESIDUAL_SECTOR = {"goods": "other_goods", "services": "other_services"}


class DataError(Exception):
    """A calibration data set is missing or inconsistent."""


@dataclass(frozen=True)
class Households:
    """One region's households by income group (deciles of income), base year.

    ``count[g]`` households (consumer units) in group ``g``; ``income[g]`` after-tax income,
    US$ per household per year; ``spending[g, s]`` US$ per household per year spent on sector
    ``s``'s products at purchasers' prices (see ``docs/data-sources.md`` for the CEX/PCE gap).
    """

    region: str
    labels: tuple[str, ...]
    count: np.ndarray
    income: np.ndarray
    spending: np.ndarray

    def total_spending(self) -> np.ndarray:
        """US$ bn a year by sector, summed over the groups."""
        return (self.count[:, None] * self.spending).sum(axis=0) / 1e9


@dataclass(frozen=True)
class SupplierGroups:
    """An importer's base-year imports of each sector by supplier group: the products that
    each lead region (the origin that sold the importer most of a product) leads, and the
    products of the other leads (``other``); within each group, by Rauch class."""

    importer: str
    # labels[s]: the groups of sector s, by lead ("" pads a sector with fewer groups; a sector
    # the table does not cover has none)
    labels: tuple[tuple[str, ...], ...]
    # imports[o, s, g, c]: the importer's imports from origin o of group g of sector s in Rauch
    # class c (homogeneous, reference-priced, differentiated), US$ m
    imports: np.ndarray
    # home[s, g, c]: the importer's producers' estimated domestic supply of the same products,
    # US$ m (supplier_groups_home.csv); None without the table
    home: np.ndarray | None = None

    def merge_regions(self, idx: np.ndarray, keep: list[str], n: int) -> SupplierGroups | None:
        """The table with regions merged (origins summed); None when the importer is merged
        into another region (the groups describe its own imports only)."""
        home = keep.index(self.importer) if self.importer in keep else None
        if home is None or np.sum(idx == home) != 1:
            return None
        imports = np.zeros((n, *self.imports.shape[1:]))
        np.add.at(imports, idx, self.imports)
        return replace(self, imports=imports)

    def merge_sectors(self, idx: np.ndarray, n: int) -> SupplierGroups:
        """The table with sectors merged: a merged sector has every group of its parts."""
        labels: list[list[str]] = [[] for _ in range(n)]
        parts: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (sector, group) merged
        for s, target in enumerate(idx):
            for g, label in enumerate(self.labels[s]):
                if label:
                    labels[target].append(label)
                    parts[target].append((s, g))
        n_groups = max(1, *(len(p) for p in parts))
        imports = np.zeros((self.imports.shape[0], n, n_groups, self.imports.shape[3]))
        home = None if self.home is None else np.zeros((n, n_groups, self.home.shape[2]))
        for target, merged in enumerate(parts):
            for g, (s, old) in enumerate(merged):
                imports[:, target, g] = self.imports[:, s, old]
                if home is not None:
                    home[target, g] = self.home[s, old]
        padded = tuple(tuple(ls) + ("",) * (n_groups - len(ls)) if ls else () for ls in labels)
        return replace(self, labels=padded, imports=imports, home=home)

    def by_kind(self, classes: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The imports ``[origin, sector, kind]`` and the home supply ``[sector, kind]`` (or
        None) by group (kind ``g``), or with ``classes`` by group and class (``3 g + c``)."""
        if classes:
            home = None if self.home is None else self.home.reshape(self.home.shape[0], -1)
            return self.imports.reshape(*self.imports.shape[:2], -1), home
        return self.imports.sum(axis=3), None if self.home is None else self.home.sum(axis=2)


@dataclass(frozen=True)
class BaseData:
    """A base year of world trade, dense and ready for the model.

    ``flows[o, d, s]`` is the annual value (US$ bn, customs value) of sector ``s`` goods made in
    ``o`` and bought in ``d``; the diagonal ``o == d`` holds domestic sales.
    ``base_tariff[o, d, s]`` is the ad valorem rate (a fraction) ``d`` levies on ``o``.
    ``groups`` maps a group code (``EU``) to its member regions; the last member is the
    group's rest (``EU_OTHER``), which absorbs the members a region list leaves out. A group
    is a customs union: its members levy no tariffs on each other and one external tariff.
    """

    name: str
    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    sector_kind: tuple[str, ...]
    flows: np.ndarray
    base_tariff: np.ndarray
    elasticity: np.ndarray
    growth: np.ndarray
    gdp: np.ndarray
    parameters: dict[str, float] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What tariffs cost (optional: None when the data set has no such table).
    # input_coefficients[r, i, j]: value of sector i's goods and services (all origins) used per
    # $1 of sector j's gross output in region r, base year; column sums < 1.
    input_coefficients: np.ndarray | None = None
    # consumption_share[r, s]: share of household consumption (purchasers' prices) on sector s.
    consumption_share: np.ndarray | None = None
    # margin_share[r, s]: trade and transport margins' share of the purchasers' price.
    margin_share: np.ndarray | None = None
    households: Households | None = None
    # ai_hardware[(importer, sector)][o]: share of origin o in the importer's base-year imports
    # of AI-related products of the sector (ai_hardware_origins.csv); the AI-capex shock's
    # default origin mix. Zero at the importer; sums to 1.
    ai_hardware: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    # goods_classes[s, c]: share of Rauch class c (homogeneous, reference-priced,
    # differentiated) in sector s's base-year US imports (goods_classes.csv); rows sum to 1.
    goods_classes: np.ndarray | None = None
    # class_elasticities[c]: median elasticity of substitution among import varieties of
    # Rauch class c (Broda & Weinstein 2006, goods_class_elasticities.csv, conservative).
    class_elasticities: np.ndarray | None = None
    # supplier_groups: base-year US imports of each goods sector by the products' lead supplier
    # (supplier_groups.csv); read with parameters.sourcing.products: by_lead_supplier.
    supplier_groups: SupplierGroups | None = None

    @property
    def gross_output(self) -> np.ndarray:
        """``[region, sector]`` base-year gross output: domestic sales plus exports (US$ bn)."""
        return self.flows.sum(axis=1)

    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    def region_index(self, code: str) -> int:
        return self.regions.index(code)

    def sector_index(self, code: str) -> int:
        return self.sectors.index(code)

    def members(self, code: str) -> tuple[str, ...]:
        """The regions a code stands for: itself, or a group's members."""
        if code in self.regions:
            return (code,)
        if code in self.groups:
            return self.groups[code]
        raise KeyError(f"{code!r} is neither a region nor a group of data set {self.name}")

    def region_indices(self, code: str) -> list[int]:
        """Indices of the regions a region or group code stands for."""
        return [self.regions.index(r) for r in self.members(code)]

    @property
    def codes(self) -> list[str]:
        """Every code a scenario may name: the regions, then the groups."""
        return [*self.regions, *self.groups]

    @property
    def goods_mask(self) -> np.ndarray:
        return np.array([k == "goods" for k in self.sector_kind])

    def aggregate(
        self, regions: list[str] | None = None, sectors: list[str] | None = None
    ) -> BaseData:
        """Keep the given regions and sectors; merge the rest into ROW and the residual sectors.

        ``regions`` may name groups (``EU``): their members are merged into one region named
        after the group (see :meth:`_region_target`).
        """
        data = self
        if regions is not None:
            target = [data._region_target(r, set(regions)) for r in data.regions]
            keep = list(dict.fromkeys([*target, REST_OF_WORLD]))
            data = data._merge_regions(keep, target)
        if sectors is not None:
            keep = [
                s
                for s, kind in zip(data.sectors, data.sector_kind, strict=True)
                if s in sectors or s == RESIDUAL_SECTOR[kind]
            ]
            target = [
                s if s in keep else RESIDUAL_SECTOR[kind]
                for s, kind in zip(data.sectors, data.sector_kind, strict=True)
            ]
            data = data._merge_sectors(keep, target)
        return data

    def _region_target(self, region: str, named: set[str]) -> str:
        """Where a region goes when only ``named`` regions and groups are kept.

        A named region stays; a member of a group some of whose members are named merges
        into the group's rest (``EU_OTHER``), so that the group's code always means the whole
        group; a member of a named group none of whose members are named merges into the
        group; anything else merges into ROW.
        """
        if region in named:
            return region
        for group, members in self.groups.items():
            if region in members:
                if named & set(members):
                    return members[-1]
                if group in named:
                    return group
        return REST_OF_WORLD

    def _merge_regions(self, keep: list[str], target: list[str]) -> BaseData:
        idx = np.array([keep.index(t) for t in target])
        n = len(keep)
        flows = np.zeros((n, n, self.n_sectors))
        duty = np.zeros_like(flows)
        np.add.at(flows, (idx[:, None], idx[None, :]), self.flows)
        np.add.at(duty, (idx[:, None], idx[None, :]), self.flows * self.base_tariff)
        gdp = np.bincount(idx, weights=self.gdp, minlength=n)
        growth = np.bincount(idx, weights=self.gdp * self.growth, minlength=n) / gdp
        merged_domestic = np.eye(n, dtype=bool)[:, :, None] & np.ones_like(flows, dtype=bool)
        tariff = np.where(flows > 0, duty / np.where(flows > 0, flows, 1.0), 0.0)
        tariff[merged_domestic] = 0.0  # trade within a merged region becomes domestic
        groups = {}
        for group, members in self.groups.items():
            now = tuple(dict.fromkeys(target[self.regions.index(m)] for m in members))
            if len(now) > 1:
                groups[group] = now
        ai_hardware = {}  # kept while the importer stays a region of its own
        for (importer, sector), shares in self.ai_hardware.items():
            home = self.regions.index(importer)
            if np.sum(idx == idx[home]) == 1 and keep[idx[home]] == importer:
                ai_hardware[importer, sector] = np.bincount(idx, weights=shares, minlength=n)
        suppliers = self.supplier_groups
        return replace(
            self,
            groups=groups,
            ai_hardware=ai_hardware,
            supplier_groups=None if suppliers is None else suppliers.merge_regions(idx, keep, n),
            regions=tuple(keep),
            flows=flows,
            base_tariff=tariff,
            gdp=gdp,
            growth=growth,
            **self._merge_cost_regions(idx, n, keep),
        )

    def _merge_cost_regions(self, idx: np.ndarray, n: int, keep: list[str]) -> dict:
        """The cost tables of merged regions: coefficients weighted by the using sector's gross
        output, consumption shares by consumption (GDP as its proxy), margins by consumption of
        the sector; households stay with their region when it is kept alone."""
        out: dict = {}
        if self.input_coefficients is not None:
            x = self.gross_output  # [region, using sector]
            weight = np.zeros((n, self.n_sectors))
            np.add.at(weight, idx, x)
            value = np.zeros((n, self.n_sectors, self.n_sectors))
            np.add.at(value, idx, self.input_coefficients * x[:, None, :])
            out["input_coefficients"] = value / np.where(weight > 0, weight, 1.0)[:, None, :]
        if self.consumption_share is not None:
            spend = self.consumption_share * self.gdp[:, None]
            total = np.zeros((n, self.n_sectors))
            np.add.at(total, idx, spend)
            out["consumption_share"] = total / total.sum(axis=1, keepdims=True)
            if self.margin_share is not None:
                margin = np.zeros_like(total)
                np.add.at(margin, idx, spend * self.margin_share)
                out["margin_share"] = margin / np.where(total > 0, total, 1.0)
        if self.households is not None:
            home = self.regions.index(self.households.region)
            alone = np.sum(idx == idx[home]) == 1 and keep[idx[home]] == self.households.region
            out["households"] = self.households if alone else None
        return out

    def _merge_sectors(self, keep: list[str], target: list[str]) -> BaseData:
        idx = np.array([keep.index(t) for t in target])
        n = len(keep)
        shape = (self.n_regions, self.n_regions, n)
        flows = np.zeros(shape)
        duty = np.zeros(shape)
        np.add.at(flows, (slice(None), slice(None), idx), self.flows)
        np.add.at(duty, (slice(None), slice(None), idx), self.flows * self.base_tariff)
        total = self.flows.sum(axis=(0, 1))
        weight = np.bincount(idx, weights=total, minlength=n)
        elasticity = np.bincount(idx, weights=total * self.elasticity, minlength=n) / weight
        kinds = tuple(self.sector_kind[self.sectors.index(s)] for s in keep)
        tariff = np.where(flows > 0, duty / np.where(flows > 0, flows, 1.0), 0.0)
        return replace(
            self,
            sectors=tuple(keep),
            sector_kind=kinds,
            # a sector merged into another no longer names the products the shares describe
            ai_hardware={k: v for k, v in self.ai_hardware.items() if k[1] in keep},
            flows=flows,
            base_tariff=tariff,
            elasticity=elasticity,
            goods_classes=None
            if self.goods_classes is None
            else np.stack(
                [np.bincount(idx, weights=total * c, minlength=n) for c in self.goods_classes.T],
                axis=1,
            )
            / weight[:, None],
            supplier_groups=None
            if self.supplier_groups is None
            else self.supplier_groups.merge_sectors(idx, n),
            **self._merge_cost_sectors(idx, n),
        )

    def _merge_cost_sectors(self, idx: np.ndarray, n: int) -> dict:
        """The cost tables of merged sectors: inputs summed over the merged input sectors and
        averaged over the merged using sectors by gross output; consumption shares summed;
        margins weighted by consumption; household spending summed."""
        out: dict = {}
        if self.input_coefficients is not None:
            x = self.gross_output  # [region, using sector]
            used = self.input_coefficients * x[:, None, :]  # value of inputs used
            value = np.zeros((self.n_regions, n, n))
            np.add.at(value, (slice(None), idx[:, None], idx[None, :]), used)
            weight = np.zeros((self.n_regions, n))
            np.add.at(weight, (slice(None), idx), x)
            out["input_coefficients"] = value / np.where(weight > 0, weight, 1.0)[:, None, :]
        if self.consumption_share is not None:
            share = np.zeros((self.n_regions, n))
            np.add.at(share, (slice(None), idx), self.consumption_share)
            out["consumption_share"] = share
            if self.margin_share is not None:
                margin = np.zeros_like(share)
                np.add.at(margin, (slice(None), idx), self.consumption_share * self.margin_share)
                out["margin_share"] = margin / np.where(share > 0, share, 1.0)
        if self.households is not None:
            h = self.households
            spending = np.zeros((len(h.labels), n))
            np.add.at(spending, (slice(None), idx), h.spending)
            out["households"] = replace(h, spending=spending)
        return out


def available_datasets() -> list[str]:
    root = resources.files(DATA_PACKAGE)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "trade.csv").is_file())


def dataset_path(name: str) -> Path:
    path = Path(str(resources.files(DATA_PACKAGE) / name))
    if not (path / "trade.csv").is_file():
        raise DataError(
            f"unknown data set {name!r}; available: {', '.join(available_datasets()) or 'none'}"
        )
    return path


def dataset_codes(name: str) -> tuple[list[str], list[str]]:
    """The region and sector codes of a bundled data set."""
    data = load_dataset(name)
    return list(data.regions), list(data.sectors)


@functools.lru_cache(maxsize=8)
def region_names(name: str = "base_2024") -> dict[str, str]:
    """Region and group codes and their names (``CHN`` → ``China``) from a data set's tables."""
    folder = dataset_path(name)
    regions = pd.read_csv(folder / "regions.csv", usecols=["region", "name"])
    names = dict(zip(regions["region"], regions["name"], strict=True))
    if (folder / "groups.csv").is_file():  # a group's name (EU), when the table gives one
        groups = pd.read_csv(folder / "groups.csv")
        if "name" in groups:
            names |= dict(zip(groups["group"], groups["name"], strict=True))
    return names


_reading = threading.Lock()


def load_dataset(name: str = "base_2024") -> BaseData:
    """Read a bundled data set (cached: the arrays are treated as read-only). Threads that ask
    together wait for one read (a class's first runs on the dashboard server check their
    scenarios at once: thirty reads of the same tables would hold the server's CPU)."""
    with _reading:
        return _load_dataset(name)


@functools.lru_cache(maxsize=8)
def _load_dataset(name: str) -> BaseData:
    return read_dataset(dataset_path(name), name)


def read_dataset(folder: Path, name: str | None = None) -> BaseData:
    """Read the CSV tables of a data set folder into dense arrays."""
    try:
        regions_df = pd.read_csv(folder / "regions.csv")
        sectors_df = pd.read_csv(folder / "sectors.csv")
        trade = pd.read_csv(folder / "trade.csv")
        domestic = pd.read_csv(folder / "domestic.csv")
        tariffs = pd.read_csv(folder / "base_tariffs.csv")
        growth_df = pd.read_csv(folder / "growth.csv")
        params_df = pd.read_csv(folder / "parameters.csv")
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read data set in {folder}: {exc}") from exc

    regions = tuple(regions_df["region"])
    sectors = tuple(sectors_df["sector"])
    r_idx = {r: i for i, r in enumerate(regions)}
    s_idx = {s: i for i, s in enumerate(sectors)}
    n_r, n_s = len(regions), len(sectors)

    def codes(frame: pd.DataFrame, column: str, known: dict[str, int], table: str) -> np.ndarray:
        values = frame[column].tolist()  # a list: iterating a column is slow
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise DataError(f"{folder / table}: unknown {column} codes {unknown}")
        return np.array([known[v] for v in values], dtype=int)

    flows = np.zeros((n_r, n_r, n_s))
    o = codes(trade, "exporter", r_idx, "trade.csv")
    d = codes(trade, "importer", r_idx, "trade.csv")
    s = codes(trade, "sector", s_idx, "trade.csv")
    if np.any(o == d):
        raise DataError(f"{folder / 'trade.csv'}: exporter equals importer; use domestic.csv")
    np.add.at(flows, (o, d, s), trade["value_usd_bn"].to_numpy(dtype=float))
    r = codes(domestic, "region", r_idx, "domestic.csv")
    s = codes(domestic, "sector", s_idx, "domestic.csv")
    np.add.at(flows, (r, r, s), domestic["value_usd_bn"].to_numpy(dtype=float))
    if np.any(flows < 0):
        raise DataError(f"{folder}: negative trade or domestic values")
    if np.any(flows[np.arange(n_r), np.arange(n_r), :] <= 0):
        raise DataError(f"{folder / 'domestic.csv'}: every region and sector needs domestic sales")

    kinds = tuple(sectors_df["kind"])
    goods = [k == "goods" for k in kinds]
    base_tariff = _expand_tariffs(tariffs, regions, sectors, goods, folder / "base_tariffs.csv")
    gdp = regions_df["gdp_usd_bn"].to_numpy(dtype=float)
    growth_map = dict(zip(growth_df["region"], growth_df["nominal_growth_pct"], strict=True))
    missing = [r for r in regions if r not in growth_map]
    if missing:
        raise DataError(f"{folder / 'growth.csv'}: no growth rate for {missing}")
    growth = np.array([growth_map[r] / 100.0 for r in regions])
    groups = _read_groups(folder / "groups.csv", regions)
    coefficients = _read_inputs(folder / "inputs.csv", regions, sectors)
    share, margin = _read_consumption(folder / "consumption.csv", regions, sectors)
    households = _read_households(folder, regions, sectors)
    ai_hardware = _read_ai_hardware(folder / "ai_hardware_origins.csv", regions, sectors)
    parameters = {
        str(k): float(v) for k, v in zip(params_df["parameter"], params_df["value"], strict=True)
    }
    goods_classes = _read_goods_classes(folder / "goods_classes.csv", sectors, parameters)
    class_elasticities = _read_class_elasticities(folder / "goods_class_elasticities.csv")
    supplier_groups = _read_supplier_groups(
        folder / "supplier_groups.csv", regions, sectors, parameters
    )
    return BaseData(
        name=name or folder.name,
        regions=regions,
        sectors=sectors,
        sector_kind=kinds,
        flows=flows,
        base_tariff=base_tariff,
        elasticity=sectors_df["armington_elasticity"].to_numpy(dtype=float),
        growth=growth,
        gdp=gdp,
        parameters=parameters,
        groups=groups,
        input_coefficients=coefficients,
        consumption_share=share,
        margin_share=margin,
        households=households,
        ai_hardware=ai_hardware,
        goods_classes=goods_classes,
        class_elasticities=class_elasticities,
        supplier_groups=supplier_groups,
    )


CLASS_NAMES = ("homogeneous", "reference", "differentiated")
CLASS_COLUMNS = tuple(f"share_{name}" for name in CLASS_NAMES)


def _read_goods_classes(
    path: Path, sectors: tuple[str, ...], parameters: dict[str, float]
) -> np.ndarray | None:
    """``[sector, class]``: the Rauch (1999) classes' shares of each sector's base-year US
    imports from all origins (conservative classification; ``importer,partner,sector,
    classification,share_*`` rows). A sector the table does not cover (services) trades its
    own class, ``rauch_class_<s>`` of parameters.csv. None without the table."""
    table = _read_optional(
        path, ["importer", "partner", "sector", "classification", *CLASS_COLUMNS]
    )
    if table is None:
        return None
    rows = table[
        (table["importer"] == "USA")
        & (table["partner"] == "ALL")
        & (table["classification"] == "conservative")
    ].reset_index(drop=True)
    s_idx = {s: i for i, s in enumerate(sectors)}
    shares = np.full((len(sectors), len(CLASS_COLUMNS)), np.nan)
    for c, column in enumerate(CLASS_COLUMNS):
        (sec,), value = _cell(rows, path, {"sector": s_idx}, column, 0.0, 1.0)
        shares[sec, c] = value
    covered = ~np.isnan(shares).any(axis=1)
    if np.any(np.abs(shares[covered].sum(axis=1) - 1.0) > 1e-3):
        raise DataError(f"{path}: class shares of a sector must sum to 1")
    shares[covered] /= shares[covered].sum(axis=1, keepdims=True)
    for s in np.flatnonzero(~covered):
        own = parameters.get(f"rauch_class_{sectors[s]}")
        if own not in (0.0, 1.0, 2.0):
            raise DataError(
                f"{path}: no row for sector {sectors[s]}, and parameters.csv gives it no "
                f"rauch_class_{sectors[s]} (0, 1 or 2)"
            )
        shares[s] = np.eye(len(CLASS_COLUMNS))[int(own)]
    return shares


def _read_supplier_groups(
    path: Path, regions: tuple[str, ...], sectors: tuple[str, ...], parameters: dict[str, float]
) -> SupplierGroups | None:
    """``importer,sector,group,goods_class,partner,imports_usd_m``: an importer's base-year
    imports of each sector by supplier group, Rauch class and partner (one importer). The
    lines without a class (``unclassified``) are spread over their group's classes for the
    partner, or put in the sector's own class (``rauch_class_<s>`` of parameters.csv) when it
    has none. None without the table."""
    table = _read_optional(
        path, ["importer", "sector", "group", "goods_class", "partner", "imports_usd_m"]
    )
    if table is None:
        return None
    importers = set(table["importer"].tolist())
    if len(importers) != 1 or not importers <= set(regions):
        raise DataError(f"{path}: one importer, a region of the data set, is needed")
    (importer,) = importers
    s_idx = {s: i for i, s in enumerate(sectors)}
    r_idx = {r: i for i, r in enumerate(regions)}
    c_idx = {c: i for i, c in enumerate([*CLASS_NAMES, "unclassified"])}
    groups = table["group"].tolist()
    named = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    keys = {"sector": s_idx, "group": named, "goods_class": c_idx, "partner": r_idx}
    (sector, _, cls, origin), value = _cell(table, path, keys, "imports_usd_m", 0.0, 1e7)
    if np.any(origin == r_idx[importer]):
        raise DataError(f"{path}: the importer {importer} cannot be a partner")
    labels: list[list[str]] = [[] for _ in sectors]  # each sector's groups, in file order
    for s, g in dict.fromkeys(zip(sector.tolist(), groups, strict=True)):
        labels[s].append(g)
    group = [labels[s].index(g) for s, g in zip(sector.tolist(), groups, strict=True)]
    n_groups = max(len(g) for g in labels)
    raw = np.zeros((len(regions), len(sectors), n_groups, len(c_idx)))
    raw[origin, sector, group, cls] = value
    imports = _classed(raw, path, sectors, parameters)
    home_path = path.with_name("supplier_groups_home.csv")
    home = _read_supplier_home(home_path, importer, sectors, labels, c_idx)
    if home is not None:
        home = _classed(home, home_path, sectors, parameters)
    padded = tuple(tuple(g) + ("",) * (n_groups - len(g)) if g else () for g in labels)
    return SupplierGroups(importer=importer, labels=padded, imports=imports, home=home)


def _read_supplier_home(
    path: Path,
    importer: str,
    sectors: tuple[str, ...],
    labels: list[list[str]],
    c_idx: dict[str, int],
) -> np.ndarray | None:
    """``importer,sector,group,goods_class,domestic_usd_m``: the importer's producers'
    domestic supply by the groups of supplier_groups.csv and class, ``[sector, group, class]``
    (unclassified last). None without the table."""
    table = _read_optional(path, ["importer", "sector", "group", "goods_class", "domestic_usd_m"])
    if table is None:
        return None
    if set(table["importer"].tolist()) != {importer}:
        raise DataError(f"{path}: the importer must be supplier_groups.csv's, {importer}")
    s_idx = {s: i for i, s in enumerate(sectors)}
    groups = table["group"].tolist()
    named = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    keys = {"sector": s_idx, "group": named, "goods_class": c_idx}
    (sector, _, cls), value = _cell(table, path, keys, "domestic_usd_m", 0.0, 1e8)
    home = np.zeros((len(sectors), max(len(g) for g in labels), len(c_idx)))
    for row, (s, g) in enumerate(zip(sector.tolist(), groups, strict=True)):
        if g not in labels[s]:
            raise DataError(
                f"{path}, row {row + 2}: {sectors[s]} has no group {g!r} in supplier_groups.csv"
            )
        home[s, labels[s].index(g), cls[row]] = value[row]
    return home


def _classed(
    raw: np.ndarray, path: Path, sectors: tuple[str, ...], parameters: dict[str, float]
) -> np.ndarray:
    """``raw[..., sector, group, class]`` with unclassified values last -> the three classes:
    the unclassified spread over a cell's classes in its proportions, or put in the sector's
    own class (``rauch_class_<s>``) where the cell has no classed value."""
    classed, unclassified = raw[..., :-1], raw[..., -1]
    total = classed.sum(axis=-1)
    spread = np.where(total > 0, (total + unclassified) / np.where(total > 0, total, 1.0), 1.0)
    out = classed * spread[..., None]
    alone = (total == 0) & (unclassified > 0)  # a cell of unclassified lines only
    for *lead, s, g in zip(*np.nonzero(alone), strict=True):
        own = parameters.get(f"rauch_class_{sectors[s]}")
        if own not in (0.0, 1.0, 2.0):
            raise DataError(
                f"{path}: {sectors[s]} has lines without a class only, and parameters.csv "
                f"gives it no rauch_class_{sectors[s]} (0, 1 or 2)"
            )
        out[(*lead, s, g, int(own))] = unclassified[(*lead, s, g)]
    return out


def _read_class_elasticities(path: Path) -> np.ndarray | None:
    """``[class]``: the median elasticity of substitution of each Rauch class
    (``goods_class,classification,sigma_median`` rows, the conservative classification). None
    without the table."""
    table = _read_optional(path, ["goods_class", "classification", "sigma_median"])
    if table is None:
        return None
    rows = table[table["classification"] == "conservative"].reset_index(drop=True)
    (index,), values = _cell(
        rows,
        path,
        {"goods_class": {n: i for i, n in enumerate(CLASS_NAMES)}},
        "sigma_median",
        1.0,
        50.0,
    )
    if np.any(values <= 1.0):
        raise DataError(f"{path}: an elasticity of substitution must be above 1")
    out = np.full(len(CLASS_NAMES), np.nan)
    out[index] = values
    if np.isnan(out).any():
        raise DataError(f"{path}: needs a conservative row for each class {list(CLASS_NAMES)}")
    return out


def _read_optional(path: Path, columns: list[str]) -> pd.DataFrame | None:
    """An optional table with the given columns, each row sourced; None when absent."""
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in [*columns, "source"] if c not in table]
    if missing:
        raise DataError(f"{path}: missing columns {missing}")
    for i, text in enumerate(table["source"].tolist()):  # a list: iterating a column is slow
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{path}, row {i + 2}: no source")
    return table


def _cell(
    table: pd.DataFrame,
    path: Path,
    keys: dict[str, dict[str, int]],
    value: str,
    low: float,
    high: float,
    high_open: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays for ``keys`` and the checked numbers of column ``value`` (file row named)."""
    index = []
    for column, known in keys.items():
        codes = table[column].astype(str).tolist()  # a list: iterating a column is slow
        for i, code in enumerate(codes):
            if code not in known:
                raise DataError(f"{path}, row {i + 2}: unknown {column} {code!r}")
        index.append(np.array([known[code] for code in codes], dtype=int))
    numbers = pd.to_numeric(table[value], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # NaN compares False: caught by isfinite
        bad = (
            ~np.isfinite(numbers)
            | (numbers < low)
            | (numbers >= high if high_open else numbers > high)
        )
    if bad.any():
        i = int(np.argmax(bad))
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise DataError(f"{path}, row {i + 2}: {value} {table[value].iloc[i]!r} not in {bound}")
    seen = pd.DataFrame(dict(zip(keys, index, strict=True))).duplicated()
    if seen.any():
        raise DataError(f"{path}, row {int(np.argmax(seen.to_numpy())) + 2}: duplicate row")
    return np.stack(index), numbers


def _read_inputs(
    path: Path, regions: tuple[str, ...], sectors: tuple[str, ...]
) -> np.ndarray | None:
    """``region,input_sector,using_sector,coefficient,source``: one row per cell."""
    table = _read_optional(path, ["region", "input_sector", "using_sector", "coefficient"])
    if table is None:
        return None
    r_idx = {r: i for i, r in enumerate(regions)}
    s_idx = {s: i for i, s in enumerate(sectors)}
    keys = {"region": r_idx, "input_sector": s_idx, "using_sector": s_idx}
    (r, i, j), value = _cell(table, path, keys, "coefficient", 0.0, 1.0, high_open=True)
    n_r, n_s = len(regions), len(sectors)
    if len(table) != n_r * n_s * n_s:
        raise DataError(
            f"{path}: {len(table)} rows; every region x input sector x using sector "
            f"needs one ({n_r * n_s * n_s})"
        )
    a = np.zeros((n_r, n_s, n_s))
    a[r, i, j] = value
    total = a.sum(axis=1)
    if np.any(total >= 1.0):
        rr, jj = np.argwhere(total >= 1.0)[0]
        raise DataError(
            f"{path}: inputs of {regions[rr]} {sectors[jj]} sum to {total[rr, jj]:.3f} "
            "per $1 of output (must be < 1: the rest is value added)"
        )
    return a


def _read_consumption(
    path: Path, regions: tuple[str, ...], sectors: tuple[str, ...]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``region,sector,share,margin_share,source``: shares of each region sum to 1."""
    table = _read_optional(path, ["region", "sector", "share", "margin_share"])
    if table is None:
        return None, None
    r_idx = {r: i for i, r in enumerate(regions)}
    s_idx = {s: i for i, s in enumerate(sectors)}
    keys = {"region": r_idx, "sector": s_idx}
    (r, s), share = _cell(table, path, keys, "share", 0.0, 1.0)
    _, margin = _cell(table, path, keys, "margin_share", 0.0, 1.0, high_open=True)
    n_r, n_s = len(regions), len(sectors)
    if len(table) != n_r * n_s:
        raise DataError(f"{path}: {len(table)} rows; every region x sector needs one ({n_r * n_s})")
    a = np.zeros((n_r, n_s))
    m = np.zeros((n_r, n_s))
    a[r, s] = share
    m[r, s] = margin
    total = a.sum(axis=1)
    bad = np.flatnonzero(np.abs(total - 1.0) > 1e-4)
    if bad.size:
        raise DataError(
            f"{path}: consumption shares of {regions[bad[0]]} sum to {total[bad[0]]:.6f}, not 1"
        )
    return a / total[:, None], m


def _read_households(
    folder: Path, regions: tuple[str, ...], sectors: tuple[str, ...]
) -> Households | None:
    """``households.csv`` (``region,decile,households,income_usd,source``) and
    ``household_spending.csv`` (``region,decile,sector,spending_usd,source``); one region."""
    path = folder / "households.csv"
    table = _read_optional(path, ["region", "decile", "households", "income_usd"])
    spend_path = folder / "household_spending.csv"
    spend = _read_optional(spend_path, ["region", "decile", "sector", "spending_usd"])
    if table is None and spend is None:
        return None
    if table is None or spend is None:
        raise DataError(f"{folder}: households.csv and household_spending.csv come together")
    region_set = set(table["region"].astype(str))
    if len(region_set) != 1:
        raise DataError(f"{path}: one region expected, found {sorted(region_set)}")
    region = region_set.pop()
    r_idx = {region: 0} if region in regions else {}
    labels = tuple(dict.fromkeys(table["decile"].astype(str)))
    g_idx = {g: i for i, g in enumerate(labels)}
    s_idx = {s: i for i, s in enumerate(sectors)}
    (_, g), count = _cell(table, path, {"region": r_idx, "decile": g_idx}, "households", 1, 1e12)
    _, income = _cell(table, path, {"region": r_idx, "decile": g_idx}, "income_usd", 0, 1e9)
    keys = {"region": r_idx, "decile": g_idx, "sector": s_idx}
    (_, gs, ss), value = _cell(spend, spend_path, keys, "spending_usd", 0, 1e9)
    if len(spend) != len(labels) * len(sectors):
        raise DataError(
            f"{spend_path}: {len(spend)} rows; every decile x sector needs one "
            f"({len(labels) * len(sectors)})"
        )
    spending = np.zeros((len(labels), len(sectors)))
    spending[gs, ss] = value
    return Households(
        region=region,
        labels=labels,
        count=count[np.argsort(g)],
        income=income[np.argsort(g)],
        spending=spending,
    )


def _read_ai_hardware(
    path: Path, regions: tuple[str, ...], sectors: tuple[str, ...]
) -> dict[tuple[str, str], np.ndarray]:
    """``importer,sector,basis,origin,share,source``: base-year origin shares of an importer's
    AI-related imports. Rows whose sector is ``*`` (lines across sectors, reported beside) are
    not read: the model buys AI hardware of one sector."""
    table = _read_optional(path, ["importer", "sector", "origin", "share"])
    if table is None:
        return {}
    table = table[table["sector"] != "*"].reset_index(drop=True)
    r_idx = {r: i for i, r in enumerate(regions)}
    s_idx = {s: i for i, s in enumerate(sectors)}
    keys = {"importer": r_idx, "sector": s_idx, "origin": r_idx}
    (imp, sec, origin), share = _cell(table, path, keys, "share", 0.0, 1.0)
    out: dict[tuple[str, str], np.ndarray] = {}
    for i, k in sorted(set(zip(imp.tolist(), sec.tolist(), strict=True))):
        rows = (imp == i) & (sec == k)
        shares = np.zeros(len(regions))
        shares[origin[rows]] = share[rows]
        if shares[i] > 0 or abs(shares.sum() - 1.0) > 1e-4:
            raise DataError(
                f"{path}: AI-hardware shares of {regions[i]} {sectors[k]} must sum to 1 over "
                f"foreign origins (sum {shares.sum():.6f}, home {shares[i]:g})"
            )
        out[regions[i], sectors[k]] = shares / shares.sum()
    return out


def _read_groups(path: Path, regions: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """``group,member`` rows (optional file); members in file order, the rest member last."""
    if not path.is_file():
        return {}
    try:
        table = pd.read_csv(path)
    except (OSError, pd.errors.ParserError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    groups: dict[str, tuple[str, ...]] = {}
    for group, rows in table.groupby("group", sort=False):
        members = tuple(rows["member"])
        unknown = [m for m in members if m not in regions]
        if unknown or group in regions or len(members) < 2:
            raise DataError(
                f"{path}: group {group!r} needs two or more member regions and a code that is "
                f"not a region (unknown members: {unknown or 'none'})"
            )
        groups[str(group)] = members
    member_of = [m for ms in groups.values() for m in ms]
    if len(member_of) != len(set(member_of)):
        raise DataError(f"{path}: a region belongs to two groups")
    return groups


def _expand_tariffs(
    table: pd.DataFrame,
    regions: tuple[str, ...],
    sectors: tuple[str, ...],
    goods: list[bool],
    path: Path,
) -> np.ndarray:
    """Dense ``[origin, destination, sector]`` rates; the most specific row wins.

    Specificity: an exact partner beats a partner wildcard, then an exact sector beats a
    sector wildcard. A sector wildcard covers goods only: services pay no tariffs unless a
    row names them. Rates are in percent in the file and fractions in the array.
    """
    n_r, n_s = len(regions), len(sectors)
    rate = np.zeros((n_r, n_r, n_s))
    rank = np.full((n_r, n_r, n_s), -1)
    for row in table.itertuples(index=False):
        if row.imposer not in regions:
            raise DataError(f"{path}: unknown imposer {row.imposer!r}")
        d = regions.index(row.imposer)
        partners = range(n_r) if row.partner == "*" else [regions.index(row.partner)]
        if row.sector == "*":
            secs = [i for i in range(n_s) if goods[i]]
        elif row.sector in sectors:
            secs = [sectors.index(row.sector)]
        else:
            raise DataError(f"{path}: unknown sector {row.sector!r}")
        if row.partner != "*" and row.partner not in regions:
            raise DataError(f"{path}: unknown partner {row.partner!r}")
        level = 2 * (row.partner != "*") + (row.sector != "*")
        for o in partners:
            if o == d:
                continue
            for s in secs:
                if level >= rank[o, d, s]:
                    rate[o, d, s] = float(row.rate_pct) / 100.0
                    rank[o, d, s] = level
    return rate
