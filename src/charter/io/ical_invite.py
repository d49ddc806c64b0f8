"""An iCalendar (RFC 5545 / iTIP RFC 5546) meeting invitation: METHOD:REQUEST, one VEVENT with its organiser
and attendees, times in UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from charter.domain.errors import ValidationError
from charter.io.ical import PRODID, UID_DOMAIN, escape_text, fold


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None


def _utc(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValidationError("meeting times must carry a time zone", field="starts_at")
    return when.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _address(p: Person) -> str:
    email = (p.email or "").strip()
    if any(c in email for c in '\r\n\t :;,"') or not email:
        return f"CN={_param(p.name)}:urn:x-charter:{escape_text(p.name)}"
    return f"CN={_param(p.name)}:mailto:{email}"


def _param(value: str) -> str:
    """A parameter value (RFC 5545 3.2): quoted, without the characters quoting cannot carry."""
    return '"' + "".join(c for c in value if c not in '"\r\n\x7f' and (c >= " " or c == "\t")) + '"'


def invitation(
    *,
    uid: str,
    summary: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    organiser: Person,
    attendees: Iterable[Person],
    description: str = "",
    location: str = "",
    sequence: int = 0,
    stamp: dt.datetime | None = None,
    url: str | None = None,
) -> bytes:
    if ends_at <= starts_at:
        raise ValidationError("the meeting must end after it starts", field="ends_at")
    uid = uid if "@" in uid else f"{uid}@{UID_DOMAIN}"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:REQUEST"]
    lines += [
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid)}",
        f"DTSTAMP:{_utc(stamp or dt.datetime.now(dt.UTC))}",
        f"SEQUENCE:{int(sequence)}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(ends_at)}",
        f"SUMMARY:{escape_text(summary)}",
        f"ORGANIZER;{_address(organiser)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if url and not any(c in url for c in "\r\n\t "):
        lines.append(f"URL:{url}")
    for a in attendees:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;{_address(a)}")
    lines += ["STATUS:CONFIRMED", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
