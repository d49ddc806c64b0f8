"""Durations and lags as people type and read them: bounded, and shown so that they read back unchanged."""

from __future__ import annotations

import pytest

from charter.domain.errors import ValidationError
from charter.domain.schedule import (
    MAX_DAYS,
    DurationUnit,
    LagKind,
    format_lag,
    format_minutes,
    parse_duration,
    parse_lag,
)


@pytest.mark.parametrize("mpd", [480, 450, 420, 1440])
def test_every_duration_shown_reads_back_as_the_same_minutes(mpd: int) -> None:
    for minutes in [*range(0, 3000), 1120, 12345, MAX_DAYS * mpd]:
        for unit in (DurationUnit.DAYS, DurationUnit.HOURS):
            text = format_minutes(minutes, unit, mpd)
            assert "e" not in text, text
            assert parse_duration(text, mpd)[0] == minutes, (minutes, unit, text)


def test_durations_are_shown_short() -> None:
    assert format_minutes(2400, DurationUnit.DAYS, 480) == "5d"
    assert format_minutes(1200, DurationUnit.DAYS, 480) == "2.5d"
    assert format_minutes(90, DurationUnit.HOURS, 480) == "1.5h"
    assert format_minutes(1120, DurationUnit.DAYS, 480) == "2.333d"
    assert format_minutes(480 * 4000, DurationUnit.DAYS, 480) == "4000d"


@pytest.mark.parametrize("lag", [-1120, -480, 0, 1, 1120, 2400])
def test_working_lags_read_back(lag: int) -> None:
    text = format_lag(lag, LagKind.WORKING, 480)
    assert parse_lag(text, 480) == (lag, LagKind.WORKING), text


@pytest.mark.parametrize("text", ["99999999d", f"{MAX_DAYS + 1}d", "1001w", f"{MAX_DAYS * 8 + 1}h"])
def test_a_duration_beyond_the_limit_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_duration(text, 480, "most_likely")
    assert exc.value.field == "most_likely" and str(MAX_DAYS) in exc.value.message


def test_the_limit_itself_is_taken() -> None:
    assert parse_duration(f"{MAX_DAYS}d", 480)[0] == MAX_DAYS * 480


@pytest.mark.parametrize("text", ["99999999d", "-99999999d", "9999999ed", "20000%"])
def test_a_lag_beyond_the_limit_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_lag(text, 480)
    assert exc.value.field == "lag"
