"""Month arithmetic: the model's calendar.

A month is written ``YYYY-MM`` in scenarios and outputs, and counted as a whole number, its
index: months since January of year 0 (``2024-01`` is ``2024 * 12``), so that months order and
subtract as numbers. Everything that needs months (the schema and loader, policies, shocks,
the model, the game) uses these functions; this module imports nothing of tradesim's.

(Inside the package, ``import calendar`` still means Python's own module: imports are
absolute. This module is ``simulator.calendar``.)
"""

from __future__ import annotations

import datetime as dt

__all__ = ["month_index", "month_label", "month_of", "month_start", "months_between"]


def month_index(month: str) -> int:
    """Months since year 0 of ``YYYY-MM``: a total order on months."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_label(index: int) -> str:
    """``YYYY-MM`` of a month index (the inverse of :func:`month_index`)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    """The first day of a month index."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_of(date: dt.date) -> int:
    """The month index of a date."""
    return date.year * 12 + date.month - 1


def months_between(start: str, end: str) -> int:
    """Months from ``start`` to ``end``, both included (``2024-01`` to ``2024-12`` is 12)."""
    return month_index(end) - month_index(start) + 1
