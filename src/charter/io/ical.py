"""iCalendar (RFC 5545) feeds: a project's milestones (all-day events) and a person's tasks (timed events).

Schedule times are project wall-clock: without `tz` they are written as floating local times; with an IANA
zone name (``"Europe/Berlin"``) they are converted to UTC (``...Z``), which needs no VTIMEZONE block.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from charter.domain.errors import ValidationError

__all__ = ["UID_DOMAIN", "CalendarItem", "milestones_feed", "tasks_feed"]

UID_DOMAIN = "charter"
PRODID = "-//Charter//Charter project management//EN"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarItem:
    uid: str
    summary: str
    start: dt.date | dt.datetime
    finish: dt.date | dt.datetime | None = None
    description: str = ""
    url: str | None = None


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1) without splitting a UTF-8 character."""
    out: list[str] = []
    chunk, size, limit = "", 0, 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(chunk)
            chunk, size, limit = "", 0, 74  # continuation lines start with one space
        chunk += ch
        size += n
    out.append(chunk)
    return "\r\n ".join(out)


def _item(value: CalendarItem | Mapping[str, Any]) -> CalendarItem:
    return value if isinstance(value, CalendarItem) else CalendarItem(**dict(value))


def _uid(uid: str | int) -> str:
    uid = str(uid)
    return uid if "@" in uid else f"{uid}@{UID_DOMAIN}"


def _utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _as_datetime(when: dt.date | dt.datetime) -> dt.datetime:
    return when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time())


def _instant(when: dt.datetime, zone: ZoneInfo | None) -> str:
    if when.tzinfo is not None:
        return _utc(when)
    if zone is not None:
        return _utc(when.replace(tzinfo=zone))
    return when.strftime("%Y%m%dT%H%M%S")


def _day(when: dt.date | dt.datetime) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


def _calendar(name: str, events: list[list[str]], stamp: dt.datetime | None) -> bytes:
    now = _utc(stamp or dt.datetime.now(dt.UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for props in events:
        lines += ["BEGIN:VEVENT", f"DTSTAMP:{now}", *props, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("".join(fold(line) + "\r\n" for line in lines)).encode("utf-8")


def _common(item: CalendarItem) -> list[str]:
    props = [f"UID:{escape_text(_uid(item.uid))}", f"SUMMARY:{escape_text(item.summary)}"]
    if item.description:
        props.append(f"DESCRIPTION:{escape_text(item.description)}")
    if item.url:
        if _CONTROL.search(item.url) or any(c in item.url for c in "\r\n\t "):
            raise ValidationError(f"the link {item.url!r} contains spaces or control characters", field="url")
        props.append(f"URL:{item.url}")
    return props


def milestones_feed(
    project_name: str, items: Iterable[CalendarItem | Mapping[str, Any]], *, stamp: dt.datetime | None = None
) -> bytes:
    """All-day events (VALUE=DATE); an item with a later finish spans through its finish day."""
    events = []
    for item in map(_item, items):
        first = _day(item.start)
        last = max(first, _day(item.finish)) if item.finish else first
        events.append([
            *_common(item),
            f"DTSTART;VALUE=DATE:{first:%Y%m%d}",
            f"DTEND;VALUE=DATE:{last + dt.timedelta(days=1):%Y%m%d}",  # exclusive end
            "TRANSP:TRANSPARENT",
        ])  # fmt: skip
    return _calendar(f"{project_name} — milestones", events, stamp)


def tasks_feed(
    person_name: str,
    items: Iterable[CalendarItem | Mapping[str, Any]],
    *,
    tz: str | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """Timed events from start to finish (floating wall-clock, or UTC when `tz` names the project's zone)."""
    try:
        zone = ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{tz!r} is not a known time zone", field="tz") from None
    events = []
    for item in map(_item, items):
        start = _as_datetime(item.start)
        finish = _as_datetime(item.finish or item.start)
        if (finish.tzinfo is None) != (start.tzinfo is None) or finish < start:
            raise ValidationError(f"{item.summary!r} finishes before it starts", field="finish")
        events.append([*_common(item), f"DTSTART:{_instant(start, zone)}", f"DTEND:{_instant(finish, zone)}"])
    return _calendar(f"{person_name} — tasks", events, stamp)
