"""Calendars as people type and read them: working weekdays ("mon-fri", "mon,wed" or 0 = Monday .. 6) and
working hours ("09:00-13:00,14:00-18:00", minutes of the day in the services). Shared by the CLI and the web
pages; the calendar service checks the values themselves (sorted, non-overlapping, within a day)."""

from __future__ import annotations

from charter.domain.errors import ValidationError

FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_NAMES = tuple(d[:3] for d in FULL_DAY_NAMES)
SHIFTS_MAX = 8  # working periods a day (the API's limit)


def parse_weekday(token: str) -> int:
    t = token.strip().lower()
    if t.isdecimal() and 0 <= int(t) <= 6:
        return int(t)
    if len(t) >= 3:
        for i, full in enumerate(FULL_DAY_NAMES):
            if full.startswith(t):
                return i
    raise ValidationError(
        f"{token.strip()!r} is not a weekday (mon .. sun, or 0 = Monday .. 6 = Sunday)", field="weekdays"
    )


def parse_weekdays(value: str | None) -> list[int] | None:
    """ "mon-fri", "mon,wed,fri", "0-4" or "0,2,4" as sorted weekday numbers (0 = Monday)."""
    if value is None:
        return None
    days: set[int] = set()
    for part in value.split(","):
        if not part.strip():
            continue
        lo, sep, hi = part.partition("-")
        if sep:
            a, b = parse_weekday(lo), parse_weekday(hi)
            if b < a:
                raise ValidationError(
                    f"{part.strip()!r} runs backwards (Monday is the first day)", field="weekdays"
                )
            days.update(range(a, b + 1))
        else:
            days.add(parse_weekday(part))
    if not days:
        raise ValidationError("name at least one working weekday", field="weekdays")
    return sorted(days)


def parse_minute(text: str, part: str) -> int:
    h, sep, m = text.strip().partition(":")
    if not (h.isdecimal() and (not sep or (m.isdecimal() and len(m) == 2))):
        raise ValidationError(f"{part.strip()!r} is not a period like 09:00-13:00", field="shifts")
    minutes = int(h) * 60 + (int(m) if sep else 0)
    if minutes > 1440 or (sep and int(m) > 59):
        raise ValidationError(f"{part.strip()!r} is not a time of day (00:00 .. 24:00)", field="shifts")
    return minutes


def parse_shifts(value: str | None) -> list[list[int]] | None:
    """ "09:00-13:00,14:00-18:00" as [[540, 780], [840, 1080]] (minutes of the day); the service checks they
    are sorted and do not overlap."""
    if value is None:
        return None
    shifts = []
    for part in value.split(","):
        if not part.strip():
            continue
        a, sep, b = part.partition("-")
        if not sep:
            raise ValidationError(f"{part.strip()!r} is not a period like 09:00-13:00", field="shifts")
        shifts.append([parse_minute(a, part), parse_minute(b, part)])
    if len(shifts) > SHIFTS_MAX:
        raise ValidationError(f"at most {SHIFTS_MAX} working periods a day", field="shifts")
    return shifts


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def format_shifts(shifts: list[list[int]]) -> str:
    """[[540, 780], [840, 1080]] as "09:00-13:00,14:00-18:00" (what parse_shifts reads)."""
    return ",".join(f"{hhmm(a)}-{hhmm(b)}" for a, b in shifts)
