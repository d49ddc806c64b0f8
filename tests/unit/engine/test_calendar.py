"""Working-time calendar: conversions, holidays, exceptions, vectorised forms, range errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.engine.calendar import CalendarRangeError, WorkCalendar

D = dt.datetime


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    # 2024-01-01 is a Monday; Wednesday 2024-01-10 is a company closure; Saturday 2024-01-13 is worked
    return WorkCalendar(
        dt.date(2024, 1, 1),
        dt.date(2024, 12, 31),
        holidays=[dt.date(2024, 1, 10)],
        working_dates=[dt.date(2024, 1, 13)],
    )


def test_minutes_per_day_and_units(cal: WorkCalendar) -> None:
    assert cal.minutes_per_day == 480
    assert cal.days(2.5) == 1200
    assert cal.hours(3) == 180


def test_to_working_counts_working_minutes_only(cal: WorkCalendar) -> None:
    assert cal.to_working(D(2024, 1, 1, 9)) == 0
    assert cal.to_working(D(2024, 1, 1, 12)) == 180
    assert cal.to_working(D(2024, 1, 1, 13, 30)) == 240  # lunch break
    assert cal.to_working(D(2024, 1, 1, 18)) == 480
    assert cal.to_working(D(2024, 1, 1, 23)) == 480
    assert cal.to_working(dt.date(2024, 1, 2)) == 480
    assert cal.to_working(D(2024, 1, 6, 12)) == 5 * 480  # Saturday


def test_start_and_finish_sides(cal: WorkCalendar) -> None:
    assert cal.to_datetime(480) == D(2024, 1, 2, 9)  # start side: next working instant
    assert cal.to_datetime(480, finish=True) == D(2024, 1, 1, 18)  # finish side: end of the day's work
    assert cal.to_datetime(240) == D(2024, 1, 1, 14)
    assert cal.to_datetime(240, finish=True) == D(2024, 1, 1, 13)
    assert cal.to_datetime(5 * 480, finish=True) == D(2024, 1, 5, 18)  # Friday evening
    assert cal.to_datetime(5 * 480) == D(2024, 1, 8, 9)  # ... start side is Monday
    assert cal.to_datetime(0, finish=True) == D(2024, 1, 1, 9)  # nothing before: start side


def test_next_working_instant(cal: WorkCalendar) -> None:
    assert cal.next_working_instant(D(2024, 1, 6, 10)) == D(2024, 1, 8, 9)  # Saturday -> Monday
    assert cal.next_working_instant(D(2024, 1, 2, 13, 15)) == D(2024, 1, 2, 14)  # lunch
    assert cal.next_working_instant(D(2024, 1, 2, 10, 5)) == D(2024, 1, 2, 10, 5)  # already working
    assert cal.next_working_instant(D(2024, 1, 9, 19)) == D(2024, 1, 11, 9)  # evening before a closure


def test_add_working_crosses_weekend_and_holiday(cal: WorkCalendar) -> None:
    assert cal.add_working(D(2024, 1, 1, 9), 480) == D(2024, 1, 1, 18)
    assert cal.add_working(D(2024, 1, 1, 9), 480, finish=False) == D(2024, 1, 2, 9)
    assert cal.add_working(D(2024, 1, 4, 9), 3 * 480) == D(2024, 1, 8, 18)  # Thu + 3 days = Mon
    # Tue 9 Jan + 2 days skips the closure on Wed 10 Jan
    assert cal.add_working(D(2024, 1, 9, 9), 2 * 480) == D(2024, 1, 11, 18)
    assert cal.add_working(D(2024, 1, 8, 12), -240) == D(2024, 1, 5, 17)  # backwards over a weekend


def test_extra_working_date(cal: WorkCalendar) -> None:
    assert cal.is_working_day(dt.date(2024, 1, 13))  # Saturday made working
    assert not cal.is_working_day(dt.date(2024, 1, 14))
    assert not cal.is_working_day(dt.date(2024, 1, 10))
    assert cal.add_working(D(2024, 1, 12, 9), 2 * 480) == D(2024, 1, 13, 18)


def test_working_between(cal: WorkCalendar) -> None:
    assert cal.working_between(D(2024, 1, 1, 9), D(2024, 1, 8, 9)) == 5 * 480
    assert cal.working_between(D(2024, 1, 8, 9), D(2024, 1, 1, 9)) == -5 * 480
    assert cal.working_between(D(2024, 1, 1, 12), D(2024, 1, 1, 15)) == 120


def test_public_holidays_by_country_and_region() -> None:
    fr = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), country="FR")
    assert not fr.is_working_day(dt.date(2024, 5, 1))  # Labour Day
    assert fr.is_working_day(dt.date(2024, 3, 29))  # Good Friday is not a holiday in most of France
    alsace = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), country="FR", subdiv="57")
    assert not alsace.is_working_day(dt.date(2024, 3, 29))  # ... but it is in Moselle
    # an extra working date wins over a public holiday
    open_may_day = WorkCalendar(
        dt.date(2024, 1, 1), dt.date(2024, 12, 31), country="FR", working_dates=[dt.date(2024, 5, 1)]
    )
    assert open_may_day.is_working_day(dt.date(2024, 5, 1))


def test_custom_weekdays_and_shifts() -> None:
    c = WorkCalendar(
        dt.date(2024, 1, 1),
        dt.date(2024, 1, 31),
        weekdays=range(7),
        shifts=((dt.time(0, 0), 1440),),
    )
    assert c.minutes_per_day == 1440
    assert c.to_working(D(2024, 1, 6, 12)) == 5 * 1440 + 720
    assert c.to_datetime(2 * 1440, finish=True) == D(2024, 1, 3, 0)


def test_range_errors_name_the_date(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarRangeError, match="2025-02-03"):
        cal.to_working(dt.date(2025, 2, 3))
    with pytest.raises(CalendarRangeError, match="2023-12-31"):
        cal.to_working_array(np.array(["2024-03-01T10:00", "2023-12-31T10:00"], dtype="datetime64[m]"))
    with pytest.raises(CalendarRangeError):
        cal.to_datetime(cal.total_working_minutes + 1)
    with pytest.raises(ValueError, match="shifts"):
        WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 1, 2), shifts=((600, 540),))
    with pytest.raises(ValueError, match="aware"):
        cal.to_working(D(2024, 1, 2, tzinfo=dt.UTC))


def test_vectorised_forms(cal: WorkCalendar) -> None:
    at = np.array(["2024-01-06T10:00", "2024-01-02T13:15", "2024-01-09T09:00"], dtype="datetime64[m]")
    w = cal.to_working_array(at)
    assert w.tolist() == [5 * 480, 480 + 240, 6 * 480]
    assert cal.next_working_array(at).tolist() == [D(2024, 1, 8, 9), D(2024, 1, 2, 14), D(2024, 1, 9, 9)]
    got = cal.add_working_array(at, [480, 240, 2 * 480]).tolist()
    assert got == [D(2024, 1, 8, 18), D(2024, 1, 2, 18), D(2024, 1, 11, 18)]
    sides = cal.to_datetime_array(np.array([480, 480]), finish=np.array([False, True]))
    assert sides.tolist() == [D(2024, 1, 2, 9), D(2024, 1, 1, 18)]
    assert cal.working_between_array(at[:1], at[2:]).tolist() == [480]


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.lists(st.integers(0, 300 * 1440), min_size=1, max_size=20),
    finish=st.booleans(),
)
def test_vectorised_matches_scalar_and_round_trips(minutes: list[int], finish: bool) -> None:
    cal = WorkCalendar(dt.date(2024, 1, 1), dt.date(2024, 12, 31), country="DE", subdiv="BY")
    at = cal.origin + np.array(minutes, dtype="timedelta64[m]")
    w = cal.to_working_array(at)
    for a, wi in zip(at.tolist(), w.tolist(), strict=True):
        assert cal.to_working(a) == wi
        back = cal.to_datetime(wi, finish=finish)
        assert cal.to_working(back) == wi  # the instant carries the same working time
        if not finish:
            assert back >= a or cal.to_working(a) == cal.total_working_minutes
        assert cal.is_working_day(back.date()) or back.time() == dt.time(0, 0)
    assert np.array_equal(
        cal.to_datetime_array(w, finish=finish),
        np.array([cal.to_datetime(x, finish=finish) for x in w.tolist()]),
    )
