"""Working-time calendars for the scheduling engine.

A :class:`WorkCalendar` describes when work can happen: working weekdays, the working hours of a working
day (one or more shifts, e.g. 09:00-13:00 and 14:00-18:00), public holidays taken from the ``holidays``
package (country and optional subdivision), and custom exceptions (extra non-working dates, extra working
dates).  Project, task and resource calendars are all instances of this class.

Time model
----------
The calendar covers a finite range of dates ``[start, end]`` (both inclusive).  Instants are naive
``datetime`` values in the project's local wall-clock time (time-zone conversion is the caller's job);
inside the calendar they are *elapsed minutes* counted from ``start`` 00:00.

*Working time* is an integer number of working minutes counted from ``start`` 00:00.  The map instant ->
working time (:meth:`WorkCalendar.to_working`) counts the working minutes that have elapsed by the
instant; it is monotone and constant over non-working time.  The inverse is ambiguous at the boundaries
of working periods (13:00 and 14:00 carry the same working time), so it takes a *side*:

- ``finish=False`` ("start side"): the latest instant with that working time, i.e. the instant at which
  the next working minute starts (a task starting at working time ``w`` shows this instant);
- ``finish=True`` ("finish side"): the earliest instant with that working time, i.e. the instant at
  which the previous working minute ended (a task finishing at ``w`` shows this instant, so a one-day
  task started Monday 09:00 finishes Monday 18:00, not Tuesday 09:00 - as in MS Project).

Everything is precomputed as per-day cumulative working-minute tables, so the vectorised methods are a
``searchsorted`` plus a little arithmetic over numpy arrays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "MINUTES_PER_DAY",
    "CalendarRangeError",
    "CalendarTables",
    "WorkCalendar",
]

MINUTES_PER_DAY = 1440

I64 = npt.NDArray[np.int64]
DT64 = npt.NDArray[np.datetime64]

Shift = tuple["dt.time | int", "dt.time | int"]


class CalendarRangeError(ValueError):
    """An instant or a working time falls outside the calendar's finite date range."""

    def __init__(self, when: dt.date | dt.datetime | str, start: dt.date, end: dt.date) -> None:
        self.when = when
        self.start = start
        self.end = end
        super().__init__(f"{when} is outside the calendar range {start.isoformat()} .. {end.isoformat()}")


@dataclass(frozen=True)
class CalendarTables:
    """The numeric form of a calendar (what the engine kernels consume).

    ``cum[d]`` is the number of working minutes before day ``d`` (``len(cum) == ndays + 1``);
    ``shift_start``/``shift_end`` are minute-of-day bounds of the shifts of a working day and
    ``shift_cum[j]`` the working minutes of a working day before shift ``j`` (``len == nshifts + 1``);
    ``wday[j]`` is the day index of the ``j``-th working day (every working day has the same hours, so
    working time ``w`` falls on working day ``w // minutes_per_day``).
    """

    cum: I64
    shift_start: I64
    shift_end: I64
    shift_cum: I64
    wday: I64

    @property
    def ndays(self) -> int:
        return int(self.cum.size - 1)

    @property
    def minutes_per_day(self) -> int:
        return int(self.shift_cum[-1])

    @property
    def total(self) -> int:
        return int(self.cum[-1])


def _minute_of_day(x: dt.time | int) -> int:
    if isinstance(x, dt.time):
        return x.hour * 60 + x.minute
    return int(x)


def _as_datetime(at: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(at, dt.datetime):
        if at.tzinfo is not None:
            raise ValueError(f"{at} is time-zone aware; calendars work in naive local wall-clock time")
        return at
    return dt.datetime(at.year, at.month, at.day)


class WorkCalendar:
    """A working-time calendar over a finite date range (see the module docstring for the time model).

    :param start: first date of the range (working time 0 is ``start`` 00:00).
    :param end: last date of the range (inclusive).
    :param weekdays: working weekdays, Monday = 0 .. Sunday = 6.
    :param shifts: working hours of a working day, as ``(from, to)`` pairs of ``datetime.time`` or
        minutes-of-day; ``to`` may be 24:00 given as ``1440``.  Sorted and non-overlapping.
    :param country: ISO country code for public holidays from the ``holidays`` package (or ``None``).
    :param subdiv: subdivision (region/state) code for the holidays.
    :param holidays: extra non-working dates (company closures, ...).
    :param working_dates: extra working dates (they win over weekends, holidays and ``holidays``).
    """

    def __init__(
        self,
        start: dt.date,
        end: dt.date,
        *,
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        shifts: Sequence[Shift] = ((540, 780), (840, 1080)),
        country: str | None = None,
        subdiv: str | None = None,
        holidays: Iterable[dt.date] = (),
        working_dates: Iterable[dt.date] = (),
        name: str = "",
    ) -> None:
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime):
            raise TypeError("calendar range bounds are dates, not datetimes")
        if end < start:
            raise ValueError(f"calendar range end {end} is before start {start}")
        self.name = name
        self.start = start
        self.end = end
        self.weekdays = frozenset(int(w) for w in weekdays)
        if not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be in 0..6, got {sorted(self.weekdays)}")
        bounds = [(_minute_of_day(a), _minute_of_day(b)) for a, b in shifts]
        prev = 0
        for a, b in bounds:
            if not (prev <= a < b <= MINUTES_PER_DAY):
                raise ValueError(f"shifts must be sorted, non-overlapping and within a day: {bounds}")
            prev = b
        if not bounds:
            raise ValueError("a calendar needs at least one shift")
        self.shifts: tuple[tuple[int, int], ...] = tuple(bounds)
        self.country = country
        self.subdiv = subdiv

        ndays = (end - start).days + 1
        self.origin = np.datetime64(start, "m")
        days = np.datetime64(start, "D") + np.arange(ndays)
        # numpy: 1970-01-01 was a Thursday (weekday 3)
        wd = (days.astype(np.int64) + 3) % 7
        working = np.isin(wd, np.fromiter(self.weekdays, dtype=np.int64, count=len(self.weekdays)))
        off: set[dt.date] = set()
        if country:
            import holidays as holidays_pkg

            cal = holidays_pkg.country_holidays(country, subdiv=subdiv, years=range(start.year, end.year + 1))
            off.update(cal.keys())
        off.update(holidays)
        self.holidays: frozenset[dt.date] = frozenset(d for d in off if start <= d <= end)
        self.working_dates: frozenset[dt.date] = frozenset(d for d in working_dates if start <= d <= end)
        if self.holidays:
            idx = np.array([(d - start).days for d in self.holidays], dtype=np.int64)
            working[idx] = False
        if self.working_dates:
            idx = np.array([(d - start).days for d in self.working_dates], dtype=np.int64)
            working[idx] = True
        self.working_day: npt.NDArray[np.bool_] = working

        shift_start = np.array([a for a, _ in bounds], dtype=np.int64)
        shift_end = np.array([b for _, b in bounds], dtype=np.int64)
        shift_cum = np.zeros(len(bounds) + 1, dtype=np.int64)
        np.cumsum(shift_end - shift_start, out=shift_cum[1:])
        mpd = int(shift_cum[-1])
        cum = np.zeros(ndays + 1, dtype=np.int64)
        np.cumsum(working.astype(np.int64) * mpd, out=cum[1:])
        wday = np.flatnonzero(working).astype(np.int64)
        self.tables = CalendarTables(
            cum=cum, shift_start=shift_start, shift_end=shift_end, shift_cum=shift_cum, wday=wday
        )
        self.minutes_per_day = mpd

    # ------------------------------------------------------------------ misc

    def __repr__(self) -> str:
        return (
            f"WorkCalendar({self.name!r}, {self.start}..{self.end}, weekdays={sorted(self.weekdays)}, "
            f"shifts={self.shifts}, country={self.country!r}, subdiv={self.subdiv!r})"
        )

    @property
    def ndays(self) -> int:
        return self.tables.ndays

    @property
    def total_working_minutes(self) -> int:
        return self.tables.total

    def same_range(self, other: WorkCalendar) -> bool:
        return self.start == other.start and self.end == other.end

    def days(self, n: float) -> int:
        """``n`` working days of this calendar in working minutes."""
        return round(n * self.minutes_per_day)

    def hours(self, n: float) -> int:
        """``n`` working hours in working minutes."""
        return round(n * 60)

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.working_day[self._day_index(day)])

    def _day_index(self, day: dt.date) -> int:
        if isinstance(day, dt.datetime):
            day = day.date()
        if not (self.start <= day <= self.end):
            raise CalendarRangeError(day, self.start, self.end)
        return (day - self.start).days

    # ------------------------------------------------------- scalar interface

    def to_minutes(self, at: dt.datetime | dt.date) -> int:
        """Elapsed minutes from the calendar start to ``at`` (range-checked)."""
        at = _as_datetime(at)
        delta = at - dt.datetime(self.start.year, self.start.month, self.start.day)
        m = delta.days * MINUTES_PER_DAY + delta.seconds // 60
        if not (0 <= m <= self.ndays * MINUTES_PER_DAY):
            raise CalendarRangeError(at, self.start, self.end)
        return m

    def from_minutes(self, m: int) -> dt.datetime:
        return dt.datetime(self.start.year, self.start.month, self.start.day) + dt.timedelta(minutes=int(m))

    def to_working(self, at: dt.datetime | dt.date) -> int:
        """Working minutes elapsed from the calendar start up to the instant ``at`` (a date means 00:00)."""
        return int(working_from_minutes(self.tables, np.array([self.to_minutes(at)], dtype=np.int64))[0])

    def to_datetime(self, w: int, *, finish: bool = False) -> dt.datetime:
        """The instant of working time ``w`` (start side unless ``finish``; see the module docstring)."""
        self._check_working(np.array([w], dtype=np.int64))
        m = minutes_from_working(self.tables, np.array([w], dtype=np.int64), finish)
        return self.from_minutes(int(m[0]))

    def next_working_instant(self, at: dt.datetime | dt.date) -> dt.datetime:
        """``at`` itself if work can happen right then, else the start of the next working period."""
        return self.to_datetime(self.to_working(at), finish=False)

    def add_working(self, at: dt.datetime | dt.date, minutes: int, *, finish: bool = True) -> dt.datetime:
        """The instant ``minutes`` working minutes after ``at`` (before it if negative).

        With ``finish`` (default) the result is the end of the last working minute (Mon 09:00 + 1 day =
        Mon 18:00); otherwise the start of the next working period (Tue 09:00).
        """
        return self.to_datetime(self.to_working(at) + int(minutes), finish=finish)

    def working_between(self, a: dt.datetime | dt.date, b: dt.datetime | dt.date) -> int:
        """Working minutes from ``a`` to ``b`` (negative if ``b`` is before ``a``)."""
        return self.to_working(b) - self.to_working(a)

    # ----------------------------------------------------- vector interface

    def minutes_array(self, at: DT64 | Sequence[dt.datetime]) -> I64:
        """Elapsed minutes from the calendar start for an array of instants (range-checked)."""
        a = np.asarray(at, dtype="datetime64[m]")
        m: I64 = (a - self.origin).astype(np.int64)
        bad = (m < 0) | (m > self.ndays * MINUTES_PER_DAY) | np.isnat(a)
        if bad.any():
            raise CalendarRangeError(str(a[np.argmax(bad)]), self.start, self.end)
        return m

    def to_working_array(self, at: DT64 | Sequence[dt.datetime]) -> I64:
        """Vectorised :meth:`to_working` over ``datetime64`` instants."""
        return working_from_minutes(self.tables, self.minutes_array(at))

    def to_datetime_array(self, w: npt.ArrayLike, *, finish: bool | npt.NDArray[np.bool_] = False) -> DT64:
        """Vectorised :meth:`to_datetime`; ``finish`` may be a boolean array (per element side)."""
        wa = np.asarray(w, dtype=np.int64)
        self._check_working(wa)
        out: DT64 = self.origin + minutes_from_working(self.tables, wa, finish).astype("timedelta64[m]")
        return out

    def next_working_array(self, at: DT64 | Sequence[dt.datetime]) -> DT64:
        return self.to_datetime_array(self.to_working_array(at), finish=False)

    def add_working_array(
        self, at: DT64 | Sequence[dt.datetime], minutes: npt.ArrayLike, *, finish: bool = True
    ) -> DT64:
        return self.to_datetime_array(
            self.to_working_array(at) + np.asarray(minutes, np.int64), finish=finish
        )

    def working_between_array(self, a: DT64 | Sequence[dt.datetime], b: DT64 | Sequence[dt.datetime]) -> I64:
        out: I64 = self.to_working_array(b) - self.to_working_array(a)
        return out

    def _check_working(self, w: I64) -> None:
        if w.size and (int(w.min()) < 0 or int(w.max()) > self.tables.total):
            bad = int(w.min()) if int(w.min()) < 0 else int(w.max())
            raise CalendarRangeError(f"working time {bad} min", self.start, self.end)


# ------------------------------------------------------------------ numeric core (numpy)


def working_from_minutes(t: CalendarTables, m: I64) -> I64:
    """Working minutes elapsed by elapsed-minute instants ``m`` (clipped to the range)."""
    ndays = t.ndays
    m = np.clip(m, 0, ndays * MINUTES_PER_DAY)
    d = np.minimum(m // MINUTES_PER_DAY, ndays - 1)
    mod = m - d * MINUTES_PER_DAY
    within = np.zeros(m.shape, dtype=np.int64)
    for s, e in zip(t.shift_start.tolist(), t.shift_end.tolist(), strict=True):
        within += np.clip(mod - s, 0, e - s)
    base = t.cum[d]
    working_day = t.cum[d + 1] > base
    out: I64 = base + np.where(working_day, within, 0)
    return out


def minutes_from_working(t: CalendarTables, w: I64, finish: bool | npt.NDArray[np.bool_]) -> I64:
    """Elapsed-minute instants of working times ``w`` (start side, or finish side where ``finish``)."""
    mpd = t.minutes_per_day
    last = t.wday.size
    if last == 0:
        return np.zeros(w.shape, np.int64)
    w = np.clip(w, 0, last * mpd)
    fin = np.broadcast_to(np.asarray(finish, dtype=np.bool_), w.shape)
    j = w // mpd
    r = w - j * mpd
    # the finish side of a day boundary is the end of the previous working day; the range end too
    back = ((r == 0) & fin & (j > 0)) | (j >= last)
    j = np.where(back, j - 1, j)
    r = np.where(back, mpd, r)
    sc = t.shift_cum
    i_start = np.searchsorted(sc, r, side="right") - 1
    i_finish = np.searchsorted(sc, r, side="left") - 1
    i = np.where((r > 0) & (fin | (r == mpd)), i_finish, i_start)
    i = np.clip(i, 0, sc.size - 2)
    out: I64 = t.wday[j] * MINUTES_PER_DAY + t.shift_start[i] + (r - sc[i])
    return out
