"""ecowire's time values (docs/time.md): points, closed intervals, open ends and their arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from ecowire.extractor import timex


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [
        ("2018", date(2018, 1, 1), date(2019, 1, 1)),
        ("2018-12", date(2018, 12, 1), date(2019, 1, 1)),
        ("2016-02-29", date(2016, 2, 29), date(2016, 3, 1)),
        ("2016/2018", date(2016, 1, 1), date(2019, 1, 1)),  # the last year is included
        ("2024-01/2024-11", date(2024, 1, 1), date(2024, 12, 1)),
        ("2024-05-20/2024-05-22", date(2024, 5, 20), date(2024, 5, 23)),
        ("..2024-11", None, date(2024, 12, 1)),  # 截至11月: November included
        ("2013..", date(2013, 1, 1), None),
    ],
)
def test_bounds_are_half_open_days(value: str, start: date | None, end: date | None) -> None:
    assert timex.bounds(value) == (start, end)


def test_shift_clamps_to_the_month() -> None:
    assert timex.shift(date(2024, 3, 31), -1, "month") == date(2024, 2, 29)
    assert timex.shift(date(2024, 2, 29), 1, "year") == date(2025, 2, 28)
    assert timex.shift(date(2024, 11, 22), -1, "quarter") == date(2024, 8, 22)
    assert timex.shift(date(2024, 11, 22), 2, "week") == date(2024, 12, 6)
    assert timex.shift(date(2024, 12, 31), 1, "day") == date(2025, 1, 1)


def test_months_roll_over_years_and_intervals_collapse() -> None:
    assert timex.month(2024, 14) == "2025-02"
    assert timex.month(2024, 0) == "2023-12"
    assert timex.interval("2024-06", "2024-06") == "2024-06"
    assert timex.interval("2024-06", "2024-08") == "2024-06/2024-08"


@pytest.mark.parametrize(
    ("value", "year"), [("2025", 2025), ("2021/2025", 2025), ("..2024-11", 2024), ("2013..", 2013)]
)
def test_last_year(value: str, year: int) -> None:
    assert timex.last_year(value) == year
