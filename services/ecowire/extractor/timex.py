"""ecowire's time values: ISO points, closed intervals and open ends, and their arithmetic.

One format for every date a fact carries (quantity `period`, target `deadline` / `baseline`,
event and document `date`); `docs/time.md` states it for consumers:

- a point names one calendar unit: 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD';
- an interval 'A/B' runs from the first day of A to the last day of B: both ends are included,
  at their own precision ('2016/2018' covers 2018; '2024-01/2024-11' covers November);
- an open end: '..B' (截至B: up to and including B, start unknown), 'A..' (A以来 / 自A起: from
  the start of A, end open).

`bounds` turns any of these into half-open day bounds [first day, day after the last day), which
is how they compare with calendars that use exclusive ends.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def first_day(point: str) -> date:
    """The first day of an ISO point ('2018' → 2018-01-01, '2018-10' → 2018-10-01)."""
    if len(point) == 4:
        return date(int(point), 1, 1)
    if len(point) == 7:
        return date(int(point[:4]), int(point[5:7]), 1)
    return date.fromisoformat(point)


def day_after(point: str) -> date:
    """The day after the last day of an ISO point ('2018' → 2019-01-01, '2018-12' → 2019-01-01)."""
    if len(point) == 4:
        return date(int(point) + 1, 1, 1)
    if len(point) == 7:
        return shift_months(first_day(point), 1)
    return date.fromisoformat(point) + timedelta(days=1)


def bounds(value: str) -> tuple[date | None, date | None]:
    """Half-open day bounds [start, end) of a point, an interval or an open end (None: open)."""
    if value.startswith(".."):
        return None, day_after(value[2:])
    if value.endswith(".."):
        return first_day(value[:-2]), None
    lo, _, hi = value.partition("/")
    return first_day(lo), day_after(hi or lo)


def last_year(value: str) -> int:
    """The year a value ends in (deadline of 到2025年 / 十四五 → 2025; 'A..' → A's year)."""
    return int(value.rsplit("/", 1)[-1].strip(".")[:4])


def shift_months(d: date, months: int) -> date:
    """`d` moved by whole months, the day clamped to the target month (03-31 − 1 month → 02-28)."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def shift(d: date, n: int, unit: str) -> date:
    """`d` moved by `n` units: 'year', 'quarter', 'month', 'week' or 'day'."""
    if unit == "year":
        return shift_months(d, 12 * n)
    if unit == "quarter":
        return shift_months(d, 3 * n)
    if unit == "month":
        return shift_months(d, n)
    return d + timedelta(days=7 * n if unit == "week" else n)


def month(y: int, m: int) -> str:
    """The ISO month point of a (year, month) that may run past December or before January."""
    yy, mm = divmod(y * 12 + m - 1, 12)
    return f"{yy:04d}-{mm + 1:02d}"


def interval(lo: str, hi: str) -> str:
    """'lo/hi', or the point itself when both ends name the same unit."""
    return lo if lo == hi else f"{lo}/{hi}"
