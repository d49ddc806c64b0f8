"""Task durations: working time (5d, 4h, 90m, 2w) and elapsed wall-clock time (3ed, 12eh, 90em, 1ew, 1emo)."""

from __future__ import annotations

import pytest

from charter.domain.errors import ValidationError
from charter.domain.schedule import (
    DurationUnit,
    as_working_minutes,
    format_minutes,
    is_elapsed,
    parse_duration,
    parse_lag,
)

MPD = 480


@pytest.mark.parametrize(
    ("text", "minutes", "unit", "shown"),
    [
        ("5d", 2400, DurationUnit.DAYS, "5d"),
        ("4h", 240, DurationUnit.HOURS, "4h"),
        ("90m", 90, DurationUnit.HOURS, "1.5h"),
        ("2w", 4800, DurationUnit.DAYS, "10d"),
        (3, 1440, DurationUnit.DAYS, "3d"),
        ("3ed", 3 * 1440, DurationUnit.ELAPSED_DAYS, "3ed"),
        ("12eh", 720, DurationUnit.ELAPSED_HOURS, "12eh"),
        ("90em", 90, DurationUnit.ELAPSED_MINUTES, "90em"),
        ("1ew", 7 * 1440, DurationUnit.ELAPSED_WEEKS, "1ew"),
        ("1emo", 30 * 1440, DurationUnit.ELAPSED_MONTHS, "1emo"),
        (" 1.5 ED ", 2160, DurationUnit.ELAPSED_DAYS, "1.5ed"),
    ],
)
def test_parse_and_show(text: object, minutes: int, unit: DurationUnit, shown: str) -> None:
    got, u = parse_duration(text, MPD)
    assert (got, u) == (minutes, unit)
    assert format_minutes(got, u, MPD) == shown
    assert format_minutes(got, u.value, MPD) == shown  # as stored (text)
    assert u.elapsed is is_elapsed(u.value) is shown.endswith(("ed", "eh", "em", "ew", "emo"))


def test_elapsed_days_do_not_depend_on_the_working_day() -> None:
    assert parse_duration("2ed", 480) == parse_duration("2ed", 450) == (2880, DurationUnit.ELAPSED_DAYS)
    assert parse_duration("2d", 450)[0] == 900


@pytest.mark.parametrize("text", ["3mo", "3e", "50%", "3e%", "-1ed", "ed", True, "3 days"])
def test_bad_durations_name_the_field(text: object) -> None:
    with pytest.raises(ValidationError) as e:
        parse_duration(text, MPD, "most_likely")
    assert e.value.field == "most_likely"


def test_work_is_never_elapsed() -> None:
    with pytest.raises(ValidationError, match="working time, not elapsed") as e:
        parse_duration("3ed", MPD, "work", elapsed=False)
    assert e.value.field == "work"
    assert parse_duration("3d", MPD, "work", elapsed=False) == (1440, DurationUnit.DAYS)


def test_lags_keep_their_elapsed_kinds_and_refuse_months() -> None:
    assert parse_lag("3ed", MPD)[0] == 3 * 1440
    with pytest.raises(ValidationError):
        parse_lag("1emo", MPD)


def test_an_elapsed_duration_as_working_minutes_counts_its_days_as_working_days() -> None:
    assert as_working_minutes(2 * 1440, DurationUnit.ELAPSED_DAYS, 480) == 960
    assert as_working_minutes(12 * 60, "ehours", 450) == 225
    assert as_working_minutes(960, DurationUnit.DAYS, 480) == 960
    assert as_working_minutes(90, "hours", 480) == 90
