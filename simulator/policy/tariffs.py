"""Tariff schedules: scenario tariff entries turned into monthly rate arrays.

Rates are arrays indexed ``[origin, destination, sector]`` holding fractions (0.25 = 25%).
A tariff that takes effect mid-month counts for the share of the month's days it is in force,
so a monthly rate is the day-weighted average rate of that month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np

from simulator.scenario.schema import Tariff, month_index


def month_start(month_idx: int) -> dt.date:
    return dt.date(month_idx // 12, month_idx % 12 + 1, 1)


def month_of(date: dt.date) -> int:
    return date.year * 12 + date.month - 1


def active_fraction(start: dt.date, end: dt.date | None, first_month: int, n: int) -> np.ndarray:
    """Share of each of ``n`` months (from ``first_month``) inside ``[start, end)``."""
    out = np.zeros(n)
    for t in range(n):
        m0 = month_start(first_month + t)
        days = calendar.monthrange(m0.year, m0.month)[1]
        m1 = m0 + dt.timedelta(days=days)
        lo = max(start, m0)
        hi = m1 if end is None else min(end, m1)
        out[t] = max((hi - lo).days, 0) / days
    return out


def cell_mask(
    imposer: int,
    partners: list[int],
    sectors: list[int],
    n_regions: int,
    n_sectors: int,
) -> np.ndarray:
    """Boolean ``[origin, destination, sector]`` mask of the cells a measure covers."""
    mask = np.zeros((n_regions, n_regions, n_sectors), dtype=bool)
    origins = [p for p in partners if p != imposer]
    mask[np.ix_(origins, [imposer], sectors)] = True
    return mask


@dataclass(frozen=True)
class ScheduledTariff:
    """One scenario tariff in array form."""

    mask: np.ndarray
    rate: float
    mode: str
    active: np.ndarray  # share of each model month in force
    announced: int  # model month in which importers learn of it (may be negative)
    withdrawn: int | None  # model month from which it is no longer expected (cancelled)


class TariffSchedule:
    """The scenario's tariffs over the model's horizon, as known at each month."""

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
    ) -> None:
        """``sectors: all`` in a tariff means every goods sector (services pay no tariffs).

        Entries marked ``retaliation`` are left out when ``include_retaliation`` is false.
        """
        first = month_index(start_month)
        n_r, n_s = len(regions), len(sectors)
        self.base_rates = base_rates
        self.n_months = n_months
        self.shape = (n_r, n_r, n_s)
        self.entries: list[ScheduledTariff] = []
        goods_sectors = [s for s, g in zip(sectors, goods, strict=True) if g]
        for tariff in tariffs:
            if tariff.retaliation and not include_retaliation:
                continue
            imposer = regions.index(tariff.imposer)
            partners = regions if tariff.partners == "all" else tariff.partners
            secs = goods_sectors if tariff.sectors == "all" else tariff.sectors
            p_idx = [regions.index(p) for p in partners if p not in tariff.exempt_partners]
            s_idx = [sectors.index(s) for s in secs if s not in tariff.exempt_sectors]
            announced = tariff.announced or tariff.effective
            self.entries.append(
                ScheduledTariff(
                    mask=cell_mask(imposer, p_idx, s_idx, n_r, n_s),
                    rate=tariff.rate * tariff.coverage / 100.0,
                    mode=tariff.mode,
                    active=active_fraction(tariff.effective, tariff.end, first, n_months),
                    announced=month_of(announced) - first,
                    withdrawn=None
                    if tariff.cancelled is None
                    else month_of(tariff.cancelled) - first,
                )
            )
        self.path = self._path([e for e in self.entries if e.withdrawn is None])
        events = {e.announced for e in self.entries}
        events |= {e.withdrawn for e in self.entries if e.withdrawn is not None}
        cutoffs = sorted(events)
        self._known = {c: self._path(self._expected(c)) for c in cutoffs}
        self._cutoffs = np.array(cutoffs, dtype=int)

    def _expected(self, t: int) -> list[ScheduledTariff]:
        """Entries importers expect in month ``t``: announced and not (yet) withdrawn."""
        return [
            e for e in self.entries if e.announced <= t and (e.withdrawn is None or e.withdrawn > t)
        ]

    def _path(self, entries: list[ScheduledTariff]) -> np.ndarray:
        """Rates above the base year for every month, ``[month, origin, destination, sector]``.

        An 'add' entry adds its rate; a 'set' entry makes the whole rate equal its rate, so its
        extra is the rate less the base-year rate (negative if a deal cuts below the base).
        """
        path = np.zeros((self.n_months, *self.shape))
        for e in entries:
            f = e.active[:, None, None, None]
            if e.mode == "add":
                path += np.where(e.mask, e.rate * f, 0.0)
            else:
                extra = e.rate - self.base_rates
                path = np.where(e.mask, path * (1.0 - f) + extra * f, path)
        return path

    def extra(self, t: int) -> np.ndarray:
        """The scheduled extra rates in force in month ``t``."""
        return self.path[t]

    def known_path(self, t: int) -> np.ndarray:
        """The whole extra-rate path as importers know it in month ``t`` (announced by then)."""
        known = self._cutoffs[self._cutoffs <= t]
        if known.size == 0:
            return np.zeros_like(self.path)
        return self._known[int(known[-1])]
