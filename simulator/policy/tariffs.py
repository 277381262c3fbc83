"""Tariff schedules: scenario tariff entries turned into monthly rate arrays.

Rates are arrays indexed ``[origin, destination, sector]`` holding fractions (0.25 = 25%).
A tariff that takes effect mid-month counts for the share of the month's days it is in force,
so a monthly rate is the day-weighted average rate of that month.

Each entry reaches a share of each covered cell's imports, its *weight*:

    w[t, cell] = active[t] * coverage * (1 - exempt[t, cell]) * (1 - yielded[t, cell])

``exempt`` combines the qualifying share (USMCA claims) and the product-exempt share (Annex
II) as independent shares, ``1 - (1 - q)(1 - p)``; ``yielded`` is the share of the cell
covered by measures of the authorities the entry is not stacked with (at most 1). A cell's
rate is the average over its imports, so revenue = rate x dutiable value still holds, with
the exempt share paying no part of the entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

import numpy as np
import pandas as pd

from simulator.calendar import month_index, month_of, month_start
from simulator.scenario.schema import Tariff

DAYS_PER_MONTH = 365.25 / 12.0
BASE = "base_2024"  # the base-year rates: MFN and the pre-2025 Section 232 and 301 duties
UNATTRIBUTED = "unattributed"  # entries without an 'authority'


@cache
def _policy_table(name: str) -> pd.DataFrame:
    with resources.files("simulator.data").joinpath(f"policy/{name}.csv").open() as f:
        return pd.read_csv(f)


@cache
def qualifying_shares(
    table: str, regions: tuple[str, ...], sectors: tuple[str, ...], first: int, n: int
) -> np.ndarray:
    """Share of each partner x sector's imports that qualifies, ``[month, origin, sector]``.

    ``usmca``: the share of US imports from Canada and Mexico entered under USMCA, averaged
    over July-December 2025 (import-weighted) and applied to every month, the Budget Lab
    tracker's baseline method ("h2_average": claims rose mid-2025 as firms learned to claim,
    and the second half reflects the regime). ``usmca_monthly``: the raw share of each month of
    2025; months before the table take its first month, months after it its last.
    """
    frame = _policy_table("usmca_shares")
    out = np.zeros((n, len(regions), len(sectors)))
    if table == "usmca":
        h2 = frame[frame["month"] >= "2025-07"].assign(
            claimed=lambda f: f["usmca_share"] * f["imports_usd_m"]
        )
        sums = h2.groupby(["partner", "sector"])[["claimed", "imports_usd_m"]].sum()
        for (partner, sector), row in sums.iterrows():
            if partner in regions and sector in sectors:
                share = row.claimed / row.imports_usd_m
                out[:, regions.index(partner), sectors.index(sector)] = share
        out.flags.writeable = False  # cached: shared by every entry that uses it
        return out
    months = sorted(frame["month"].unique())
    idx = np.clip(np.arange(first, first + n), month_index(months[0]), month_index(months[-1]))
    for row in frame.itertuples():
        if row.partner in regions and row.sector in sectors:
            hit = idx == month_index(row.month)
            out[hit, regions.index(row.partner), sectors.index(row.sector)] = row.usmca_share
    out.flags.writeable = False
    return out


@cache
def product_exempt_shares(table: str, sectors: tuple[str, ...]) -> np.ndarray:
    """Share of each sector's imports on a bundled exempt-product list, ``[sector]``."""
    frame = _policy_table(table).set_index("sector")["exempt_share"]
    out = np.array([float(frame.get(s, 0.0)) for s in sectors])
    out.flags.writeable = False  # cached: shared by every entry that uses it
    return out


def active_fraction(start: dt.date, end: dt.date | None, first_month: int, n: int) -> np.ndarray:
    """Share of each of ``n`` months (from ``first_month``) inside ``[start, end)``."""
    bounds = np.datetime64(month_start(first_month), "M") + np.arange(n + 1)
    days = bounds.astype("datetime64[D]")
    m0, m1 = days[:-1], days[1:]
    lo = np.maximum(m0, np.datetime64(start, "D"))
    hi = m1 if end is None else np.minimum(m1, np.datetime64(end, "D"))
    return np.maximum((hi - lo).astype(np.int64), 0) / (m1 - m0).astype(np.int64)


Groups = Mapping[str, tuple[str, ...]]


def region_indices(code: str, regions: tuple[str, ...], groups: Groups) -> list[int]:
    """Indices of the regions a code stands for: the region itself, or a group's members."""
    return [regions.index(r) for r in groups.get(code, (code,))]


def customs_union(imposers: list[int], regions: tuple[str, ...], groups: Groups) -> list[int]:
    """The imposers and every member of a group one of them belongs to."""
    inside = set(imposers)
    for members in groups.values():
        idx = [regions.index(r) for r in members]
        if inside & set(idx):
            inside |= set(idx)
    return sorted(inside)


def cell_mask(
    imposer: int | list[int],
    partners: list[int],
    sectors: list[int],
    n_regions: int,
    n_sectors: int,
    union: list[int] | None = None,
) -> np.ndarray:
    """Boolean ``[origin, destination, sector]`` mask of the cells a measure covers.

    ``imposer`` may be several regions (a group's members, one external tariff); partners in
    the imposers' ``union`` (the imposers themselves by default) are never covered.
    """
    imposers = [imposer] if isinstance(imposer, int) else imposer
    inside = set(imposers if union is None else union)
    mask = np.zeros((n_regions, n_regions, n_sectors), dtype=bool)
    origins = [p for p in partners if p not in inside]
    mask[np.ix_(origins, imposers, sectors)] = True
    return mask


def application_start(tariff: Tariff, transit_days: float) -> dt.date:
    """First day the tariff applies to goods entering: later for goods in transit.

    Goods take ``transit_days`` to arrive, so those entered before ``loaded_before`` plus the
    shipping time were shipped in time, and are exempt if entered before the deadline.
    """
    rule = tariff.in_transit
    if rule is None:
        return tariff.effective
    loaded = rule.loaded_before or tariff.effective
    shipped_in_time = loaded + dt.timedelta(days=round(transit_days))
    return max(tariff.effective, min(shipped_in_time, rule.entered_before))


@dataclass(frozen=True)
class ScheduledTariff:
    """One scenario tariff in array form.

    Its arrays over cells hold only the cells it covers (:attr:`cells`, flat indices into
    ``[origin, destination, sector]``): a measure reaches a few hundred of the thousands.
    """

    mask: np.ndarray  # covered cells, times coverage and (1 - product-exempt share)
    rate: float
    mode: str
    active: np.ndarray  # share of each model month in force
    announced: int  # model month in which importers learn of it (may be negative)
    withdrawn: int | None  # model month from which it is no longer expected (cancelled)
    authority: str = UNATTRIBUTED
    qualifying: np.ndarray | None = None  # [month, origin, destination, sector] exempt share
    not_stacked_with: tuple[str, ...] = ()

    @cached_property
    def months(self) -> slice:
        """The months in which the entry is in force for at least a day."""
        live = np.flatnonzero(self.active)
        return slice(0, 0) if live.size == 0 else slice(int(live[0]), int(live[-1]) + 1)

    @cached_property
    def cells(self) -> np.ndarray:
        """Flat indices of the cells the entry reaches (a nonzero :attr:`mask`)."""
        return np.flatnonzero(self.mask)

    @cached_property
    def reach(self) -> np.ndarray:
        """Share of each of :attr:`cells`' imports covered in each of :attr:`months`, ``[month,
        cell]``: in force times the mask (coverage and product exemptions)."""
        return self.active[self.months, None] * self.mask.reshape(-1)[self.cells][None]

    @cached_property
    def weight(self) -> np.ndarray:
        """Share of each of :attr:`cells`' imports the entry reaches in each of
        :attr:`months` (before non-stacking): its :attr:`reach` less the qualifying share."""
        if self.qualifying is None:
            return self.reach
        qualifying = self.qualifying[self.months].reshape(len(self.reach), -1)[:, self.cells]
        return self.reach * (1.0 - qualifying)


def _schedule_key(texts: list[str], arrays: tuple[np.ndarray, ...], rest: tuple) -> str:
    """A digest of everything a :class:`TariffSchedule` is built from: the entries (their
    JSON), the arrays (by dtype, shape and bytes) and the other inputs (by ``repr``)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    for array in arrays:
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(rest).encode())
    return digest.hexdigest()


# Schedules already built, by their inputs' digest: many runs of one scenario (ensembles,
# sweeps of other keys, the decomposition's channel subsets) share one schedule, read-only.
_BUILT: OrderedDict[str, dict[str, object]] = OrderedDict()
_BUILT_MAX = 4
# Entries already built, by their tariff's JSON and the inputs they are built from: schedules
# that differ in a few tariffs (a class's runs) share the others' entries, read-only.
_ENTRIES: OrderedDict[str, ScheduledTariff] = OrderedDict()
_ENTRIES_MAX = 256
# Paths as known at a cutoff, by the schedule's other inputs and the entries expected then (by
# identity: schedules share entries through _ENTRIES), with those entries (so that their ids
# stay theirs while cached): a class's schedules differ only in the tariffs their levers add,
# so until those are announced they know the same path, built once.
_KNOWN: OrderedDict[tuple, tuple[list[ScheduledTariff], np.ndarray, np.ndarray]] = OrderedDict()
_KNOWN_MAX = 32


def changed_months(path: np.ndarray) -> np.ndarray:
    """Whether each month's rates (first axis) differ anywhere from the month before's; the
    first month is False. A rate path is piecewise constant between these months."""
    flat = path.reshape(len(path), -1)
    return np.concatenate(([False], (flat[1:] != flat[:-1]).any(axis=1)))


class TariffSchedule:
    """The scenario's tariffs over the model's horizon, as known at each month.

    Built once for each distinct set of inputs in a process (later builds share its arrays,
    which are read-only).
    """

    def __init__(
        self,
        tariffs: list[Tariff],
        base_rates: np.ndarray,
        regions: tuple[str, ...],
        sectors: tuple[str, ...],
        goods: np.ndarray,
        start_month: str,
        n_months: int,
        include_retaliation: bool = True,
        transit_days: float = 0.0,
        groups: Groups | None = None,
    ) -> None:
        """``sectors: all`` in a tariff means every goods sector (services pay no tariffs).

        Entries marked ``retaliation`` are left out when ``include_retaliation`` is false.
        ``transit_days`` is the shipping time behind the entries' in-transit exemptions.
        ``groups`` (group code -> member regions) lets an imposer or partner be a group: a
        group's members levy the entry together, never on each other.
        """
        groups = groups or {}
        first = month_index(start_month)
        n_r, n_s = len(regions), len(sectors)
        self.base_rates = base_rates
        self.n_months = n_months
        self.shape = (n_r, n_r, n_s)
        members = sorted((code, tuple(regions_of)) for code, regions_of in groups.items())
        texts = [tariff.model_dump_json() for tariff in tariffs]
        key = _schedule_key(
            texts,
            (base_rates, goods),
            (regions, sectors, start_month, n_months, include_retaliation, transit_days, members),
        )
        self._built_as = key
        if key in _BUILT:
            _BUILT.move_to_end(key)
            self.__dict__.update(_BUILT[key])
            self.base_rates = base_rates
            return
        goods_sectors = tuple(s for s, g in zip(sectors, goods, strict=True) if g)
        inputs = (regions, sectors, goods_sectors, groups, first, n_months, transit_days)
        context = _schedule_key([], (), (*inputs[:3], members, *inputs[4:]))
        self._paths_key = _schedule_key([], (base_rates,), (context,))  # what else a path reads
        self.entries: list[ScheduledTariff] = []
        for tariff, text in zip(tariffs, texts, strict=True):
            if tariff.retaliation and not include_retaliation:
                continue
            entry_key = context + text
            if entry_key not in _ENTRIES:
                _ENTRIES[entry_key] = _scheduled(tariff, *inputs)
                if len(_ENTRIES) > _ENTRIES_MAX:
                    _ENTRIES.popitem(last=False)
            _ENTRIES.move_to_end(entry_key)
            self.entries.append(_ENTRIES[entry_key])
        self.path = self._path(self._in_force())
        events = {e.announced for e in self.entries}
        events |= {e.withdrawn for e in self.entries if e.withdrawn is not None}
        self._cutoffs = np.array(sorted(events), dtype=int)
        # the path as known after each cutoff, built when a month first asks for it (cutoffs
        # before the first month but the last are never asked for)
        self._known: dict[int | None, tuple[np.ndarray, np.ndarray]] = {}
        self.shared = len(self.entries)
        """How many of the first entries the other schedules of a batch have too (set by the
        batch; all of them for a schedule alone)."""
        self.path.flags.writeable = False  # shared by every model built with the same inputs
        _BUILT[key] = dict(self.__dict__)
        if len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)

    def _in_force(self) -> list[ScheduledTariff]:
        return [e for e in self.entries if e.withdrawn is None]

    @cached_property
    def by_authority(self) -> dict[str, np.ndarray]:
        """Each legal authority's part of :attr:`path` (the parts sum to it), made when first
        asked for (by the effective rates of a run's summary)."""
        parts: dict[str, np.ndarray] = {}
        self._path(self._in_force(), parts)
        for part in parts.values():
            part.flags.writeable = False
        if (built := _BUILT.get(self._built_as)) is not None:
            built["by_authority"] = parts  # later schedules with the same inputs share them
        return parts

    def _expected(self, t: int) -> list[ScheduledTariff]:
        """Entries importers expect in month ``t``: announced and not (yet) withdrawn."""
        return [
            e for e in self.entries if e.announced <= t and (e.withdrawn is None or e.withdrawn > t)
        ]

    def _path(
        self,
        entries: list[ScheduledTariff],
        by_authority: dict[str, np.ndarray] | None = None,
        start: tuple[np.ndarray, int] | None = None,
    ) -> np.ndarray:
        """Rates above the base year for every month, ``[month, origin, destination, sector]``.

        An 'add' entry adds its rate on the share it reaches; a 'set' entry makes the whole rate
        on that share equal its rate, so its extra is the rate less the base-year rate (negative
        if a deal cuts below the base). ``by_authority``, if given, receives each authority's
        part of the path (the parts sum to the path). ``start`` is the path of the first ``n``
        entries, from which the others carry on (the same numbers as the whole loop where no
        later entry's authority is one an earlier entry does not stack with).
        """
        flat = (self.n_months, int(np.prod(self.shape)))
        path, done = np.zeros(flat), 0
        if start is not None:
            path, done = start[0].reshape(flat).copy(), start[1]
        parts: dict[str, np.ndarray] = {}
        base = self.base_rates.reshape(-1)
        covered = self._covered(entries, entries[done:])
        entries = entries[done:]
        for e in entries:
            t, cells = e.months, e.cells
            w = e.weight
            for auth in e.not_stacked_with:
                if auth in covered:
                    w = w * (1.0 - np.minimum(covered[auth][t, cells], 1.0))
            if e.mode == "add":
                add = e.rate * w
            else:
                for part in parts.values():
                    part[t, cells] *= 1.0 - w
                add = (e.rate - base[cells]) * w
                path[t, cells] *= 1.0 - w
            path[t, cells] += add
            if by_authority is not None:
                if e.authority not in parts:
                    parts[e.authority] = np.zeros(flat)
                parts[e.authority][t, cells] += add
        if by_authority is not None:
            by_authority |= {
                a: part.reshape(self.n_months, *self.shape) for a, part in parts.items()
            }
        return path.reshape(self.n_months, *self.shape)

    def _covered(
        self, entries: list[ScheduledTariff], readers: list[ScheduledTariff]
    ) -> dict[str, np.ndarray]:
        """Share of each cell covered by each authority's measures in force, ``[month, flat
        cell]`` (summed over measures: capped at 1 where it is read), for the authorities that
        ``readers`` do not stack with."""
        wanted = {a for e in readers for a in e.not_stacked_with}
        covered: dict[str, np.ndarray] = {}
        for e in entries:
            if e.authority in wanted:
                if e.authority not in covered:
                    covered[e.authority] = np.zeros((self.n_months, int(np.prod(self.shape))))
                covered[e.authority][e.months, e.cells] += e.reach
        return covered

    def extra(self, t: int) -> np.ndarray:
        """The scheduled extra rates in force in month ``t``."""
        return self.path[t]

    def known_cutoff(self, t: int) -> int | None:
        """The month of the last announcement or withdrawal by month ``t`` (None before any):
        what importers know in ``t`` is the same as in that month."""
        known = self._cutoffs[self._cutoffs <= t]
        return int(known[-1]) if known.size else None

    def known_path(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """The whole extra-rate path as importers know it in month ``t`` (announced by then),
        and the months in which it differs from the month before (:func:`changed_months`)."""
        cutoff = self.known_cutoff(t)
        if cutoff not in self._known:
            # before the first announcement (cutoff None) nothing is known: a path of zeros
            entries = [] if cutoff is None else self._expected(cutoff)
            self._known[cutoff] = self._known_path_of(entries)[1:]
        return self._known[cutoff]

    def _known_path_of(self, entries: list[ScheduledTariff]) -> tuple:
        """The path of ``entries`` (expected ones), cached. Where they begin with entries the
        schedule shares with its batch's others (:attr:`shared`), it carries on from their
        path, made once for the batch."""
        key = (self._paths_key, tuple(map(id, entries)))
        if key not in _KNOWN:
            common = {id(e) for e in self.entries[: self.shared]}
            n = sum(1 for e in entries if id(e) in common)  # a prefix: entries keep their order
            wanted = {a for e in entries[:n] for a in e.not_stacked_with}
            start = None
            if 0 < n < len(entries) and not {e.authority for e in entries[n:]} & wanted:
                start = (self._known_path_of(entries[:n])[1], n)
            path = self._path(entries, start=start)
            path.flags.writeable = False  # shared by every model built with the same inputs
            _KNOWN[key] = (entries, path, changed_months(path))
            if len(_KNOWN) > _KNOWN_MAX:
                _KNOWN.popitem(last=False)
        _KNOWN.move_to_end(key)
        return _KNOWN[key]


def _scheduled(
    tariff: Tariff,
    regions: tuple[str, ...],
    sectors: tuple[str, ...],
    goods_sectors: tuple[str, ...],
    groups: Groups,
    first: int,
    n_months: int,
    transit_days: float,
) -> ScheduledTariff:
    """One scenario tariff in array form (see :class:`TariffSchedule`)."""
    n_r, n_s = len(regions), len(sectors)
    imposers = region_indices(tariff.imposer, regions, groups)
    partners = regions if tariff.partners == "all" else tariff.partners
    secs = goods_sectors if tariff.sectors == "all" else tariff.sectors
    exempt = {i for p in tariff.exempt_partners for i in region_indices(p, regions, groups)}
    p_idx = [i for p in partners for i in region_indices(p, regions, groups)]
    p_idx = [i for i in p_idx if i not in exempt]
    s_idx = [sectors.index(s) for s in secs if s not in tariff.exempt_sectors]
    announced = tariff.announced or tariff.effective
    union = customs_union(imposers, regions, groups)
    mask = cell_mask(imposers, p_idx, s_idx, n_r, n_s, union)
    reach = mask * tariff.coverage
    if tariff.product_exempt is not None:
        reach = reach * (1.0 - product_exempt_shares(tariff.product_exempt, sectors))
    qualifying = None
    if tariff.qualifying_exempt is not None:
        q = qualifying_shares(tariff.qualifying_exempt, regions, sectors, first, n_months)
        qualifying = np.zeros((n_months, n_r, n_r, n_s))
        qualifying[:, :, imposers, :] = q[:, :, None, :]
    start = application_start(tariff, transit_days)
    return ScheduledTariff(
        mask=reach,
        rate=tariff.rate / 100.0,
        mode=tariff.mode,
        active=active_fraction(start, tariff.end, first, n_months),
        announced=month_of(announced) - first,
        withdrawn=None if tariff.cancelled is None else month_of(tariff.cancelled) - first,
        authority=tariff.authority or UNATTRIBUTED,
        qualifying=qualifying,
        not_stacked_with=tuple(tariff.not_stacked_with),
    )
