"""iCalendar feeds: structure, escaping, folding, all-day milestones, timed tasks."""

from __future__ import annotations

import datetime as dt

import pytest

from charter.domain.errors import ValidationError
from charter.io.ical import CalendarItem, escape_text, fold, milestones_feed, tasks_feed

STAMP = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")  # every line ends in CRLF
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_milestones_are_all_day_events() -> None:
    items = [
        CalendarItem("m-1", "Go-live", dt.date(2024, 4, 26), url="https://charter.example/p/1"),
        {"uid": "m-2@elsewhere", "summary": "Review", "start": dt.datetime(2024, 5, 2, 17), "finish": None},
    ]
    lines = unfold(milestones_feed("Relaunch", items, stamp=STAMP))
    assert lines[:5] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Charter//Charter project management//EN",
                         "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]  # fmt: skip
    assert lines[-1] == "END:VCALENDAR" and lines.count("BEGIN:VEVENT") == 2 == lines.count("END:VEVENT")
    assert "X-WR-CALNAME:Relaunch — milestones" in lines
    assert "DTSTAMP:20240301T120000Z" in lines
    assert "UID:m-1@charter" in lines and "UID:m-2@elsewhere" in lines
    assert "DTSTART;VALUE=DATE:20240426" in lines and "DTEND;VALUE=DATE:20240427" in lines
    assert "DTSTART;VALUE=DATE:20240502" in lines and "DTEND;VALUE=DATE:20240503" in lines
    assert "URL:https://charter.example/p/1" in lines


def test_tasks_are_timed_floating_or_utc() -> None:
    item = CalendarItem(7, "Build", dt.datetime(2024, 7, 1, 9), dt.datetime(2024, 7, 3, 18), "Backend work")  # type: ignore[arg-type]
    floating = unfold(tasks_feed("Ana", [item], stamp=STAMP))
    assert "DTSTART:20240701T090000" in floating and "DTEND:20240703T180000" in floating
    assert "DESCRIPTION:Backend work" in floating and "X-WR-CALNAME:Ana — tasks" in floating
    utc = unfold(tasks_feed("Ana", [item], tz="Europe/Berlin", stamp=STAMP))
    assert "DTSTART:20240701T070000Z" in utc and "DTEND:20240703T160000Z" in utc  # CEST = UTC+2


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        tasks_feed("x", [], tz="Mars/Olympus")
    with pytest.raises(ValidationError, match="finishes before"):
        tasks_feed("x", [CalendarItem("1", "t", dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 1))])
    with pytest.raises(ValidationError, match="control characters"):
        milestones_feed("x", [CalendarItem("1", "t", dt.date(2024, 1, 2), url="https://a\r\nEND:VCALENDAR")])


def test_text_is_escaped_so_nothing_can_inject_properties() -> None:
    assert escape_text("a,b;c\\d\r\ne\nf\x07") == "a\\,b\\;c\\\\d\\ne\\nf"
    lines = unfold(
        milestones_feed(
            "P", [CalendarItem("1", "x\r\nEND:VEVENT\r\nBEGIN:VEVENT", dt.date(2024, 1, 1))], stamp=STAMP
        )
    )
    assert lines.count("BEGIN:VEVENT") == 1
    assert "SUMMARY:x\\nEND:VEVENT\\nBEGIN:VEVENT" in lines


def test_folding_at_75_octets_keeps_utf8_characters_whole() -> None:
    line = "DESCRIPTION:" + "é€" * 60
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
    data = milestones_feed("P", [CalendarItem("1", "ü" * 100, dt.date(2024, 1, 1))], stamp=STAMP)
    assert all(len(raw) <= 75 for raw in data.split(b"\r\n"))
    assert "SUMMARY:" + "ü" * 100 in unfold(data)
    assert fold("short") == "short"
