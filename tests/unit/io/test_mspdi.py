"""MSPDI import/export: a hand-written MS Project 2019 file, hostile XML, bad rows, round trips."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.domain.errors import BadRequest, ValidationError
from charter.domain.schedule import (
    AssignmentSpec,
    BaselineSpec,
    CalendarException,
    CalendarSpec,
    ConstraintType,
    DurationUnit,
    LagKind,
    LinkSpec,
    LinkType,
    PlanSpec,
    ResourceSpec,
    TaskSpec,
)
from charter.io.mspdi import read_mspdi, write_mspdi

DATA = Path(__file__).parent / "data"
D = dt.datetime


def fixture() -> PlanSpec:
    return read_mspdi((DATA / "relaunch.xml").read_bytes())


def strip_lines(plan: PlanSpec) -> PlanSpec:
    for t in plan.tasks:
        t.line = None
    for link in plan.links:
        link.line = None
    plan.links.sort(key=lambda lk: (lk.succ_ref, lk.pred_ref))  # the order of links carries no meaning
    return plan


def test_project_header() -> None:
    plan = fixture()
    assert plan.name == "Website relaunch"
    assert plan.start == D(2024, 3, 4, 8)
    assert plan.status_date == D(2024, 3, 15, 17)
    assert plan.calendar_ref == "1" and plan.minutes_per_day == 480


def test_calendars_weekdays_shifts_exceptions_and_inheritance() -> None:
    cals = {c.ref: c for c in fixture().calendars}
    assert set(cals) == {"1", "3"}  # the unreferenced resource calendar 2 is left out
    std = cals["1"]
    assert std.weekdays == (0, 1, 2, 3, 4)  # DayType 2..6 = Monday..Friday -> 0..4
    assert std.shifts == ((480, 720), (780, 1020))
    days = {x.date: x for x in std.exceptions}
    easter = [dt.date(2024, 3, 29) + dt.timedelta(days=i) for i in range(4)]
    assert all(not days[d].working and days[d].name == "Easter" for d in easter)
    assert days[dt.date(2024, 4, 13)].working  # a working exception
    assert days[dt.date(2024, 5, 1)] == CalendarException(dt.date(2024, 5, 1), False, "")  # legacy DayType 0
    assert len(std.exceptions) == 6  # legacy duplicates of <Exceptions> are not doubled
    four = cals["3"]  # derived: Friday off, rest of the week and the exceptions from Standard
    assert four.weekdays == (0, 1, 2, 3) and four.shifts == std.shifts
    assert four.exceptions == std.exceptions


def test_tasks_hierarchy_and_fields() -> None:
    plan = fixture()
    tasks = {t.ref: t for t in plan.tasks}
    assert [t.ref for t in plan.tasks] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
    ]  # no project summary, no blank row
    assert [(t.ref, t.parent_ref, t.summary) for t in plan.tasks if t.summary] == [
        ("1", None, True),
        ("4", None, True),
    ]
    assert tasks["2"].parent_ref == "1" and tasks["6"].parent_ref == "4" and tasks["7"].parent_ref is None
    req = tasks["2"]
    assert req.name == "Requirements & scope" and req.priority == 700
    assert (req.duration, req.duration_unit, req.work) == (2400, DurationUnit.DAYS, 2400)
    assert (
        req.percent_complete == 100
        and req.actual_start == D(2024, 3, 4, 8)
        and req.actual_finish == D(2024, 3, 8, 17)
    )
    assert req.description == "Interview the\neditors first."
    assert req.constraint_type is ConstraintType.ASAP and req.constraint_date is None
    assert req.baselines == [
        BaselineSpec(0, D(2024, 3, 4, 8), D(2024, 3, 8, 17), 2400, 2400, "3200.00"),
        BaselineSpec(1, D(2024, 3, 5, 8), D(2024, 3, 11, 17), 2400, 2400, "3250.50"),
    ]
    assert req.assignments == [AssignmentSpec("1", 1.0, 2400)]
    mock = tasks["3"]
    assert (mock.duration, mock.duration_unit, mock.calendar_ref) == (720, DurationUnit.HOURS, "3")
    assert mock.constraint_type is ConstraintType.SNET and mock.constraint_date == D(2024, 3, 11, 8)
    assert mock.start == D(2024, 3, 13, 8) and mock.finish == D(2024, 3, 14, 12)
    assert tasks["5"].deadline == D(2024, 3, 29, 17)
    assert tasks["6"].constraint_type is ConstraintType.FNLT
    assert (
        tasks["7"].milestone
        and tasks["7"].duration == 0
        and tasks["7"].constraint_type is ConstraintType.FNET
    )


def test_links_types_and_lags() -> None:
    got = {(lk.pred_ref, lk.succ_ref): (lk.type, lk.lag, lk.lag_kind) for lk in fixture().links}
    assert got == {
        ("2", "3"): (LinkType.FS, 960, LagKind.WORKING),  # 9600 tenths of a minute = 2 days
        ("3", "5"): (LinkType.SS, -480, LagKind.WORKING),
        ("2", "5"): (LinkType.FF, 50, LagKind.PERCENT),  # MSPDI Type 0 is FF
        ("3", "6"): (LinkType.FS, 4320, LagKind.ELAPSED),  # 3 elapsed days
        ("5", "6"): (LinkType.SF, 120, LagKind.ELAPSED),  # Type 2 is SF, 2 elapsed hours
        ("4", "7"): (LinkType.FS, 0, LagKind.WORKING),
    }


def test_resources_and_assignments() -> None:
    plan = fixture()
    assert plan.resources == [
        ResourceSpec("1", "Ana Silva", "work", 1.0, "ana.silva@example.org"),
        ResourceSpec("2", "Server racks", "material", 0.0, None),
        ResourceSpec("3", "Travel", "cost", 1.0, None),
    ]
    tasks = {t.ref: t for t in plan.tasks}
    assert tasks["6"].assignments == [AssignmentSpec("2", 4.0, None)]
    assert tasks["7"].assignments == []  # the -65535 placeholder is skipped


def test_fixture_round_trip() -> None:
    plan = strip_lines(fixture())
    again = strip_lines(read_mspdi(write_mspdi(plan)))
    assert again == plan


# ------------------------------------------------------------------------------------------ hostile input


def _rejected(data: bytes, match: str) -> None:
    started = time.perf_counter()
    with pytest.raises(BadRequest, match=match):
        read_mspdi(data)
    assert time.perf_counter() - started < 1.0


def test_xxe_file_entity_is_rejected() -> None:
    _rejected(
        b'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Project xmlns="http://schemas.microsoft.com/project"><Name>&x;</Name></Project>',
        "DTD or entities",
    )


def test_billion_laughs_is_rejected() -> None:
    ents = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY l0 "lol">{ents}]><Project>&l9;</Project>'
    _rejected(data.encode(), "DTD or entities")


def test_external_dtd_is_rejected() -> None:
    _rejected(b'<?xml version="1.0"?><!DOCTYPE Project SYSTEM "http://example.com/p.dtd"><Project/>', "DTD")


def test_utf16_doctype_is_rejected_after_parsing() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Project SYSTEM "x.dtd"><Project/>'.encode(
        "utf-16"
    )
    _rejected(data, "DTD")


def test_oversize_is_rejected_before_parsing() -> None:
    with pytest.raises(BadRequest, match="limit"):
        read_mspdi(b"<Project/>" + b" " * 100, max_bytes=50)


@pytest.mark.parametrize(
    "data", [b"", b"Name,Duration\nA,5d\n", b"\x89PNG\r\n", b"<Project><Name></Project>"]
)
def test_not_xml_is_rejected(data: bytes) -> None:
    with pytest.raises(BadRequest, match="not well-formed XML"):
        read_mspdi(data)


def test_other_xml_is_rejected() -> None:
    with pytest.raises(BadRequest, match="not an MS Project"):
        read_mspdi(b"<html><body/></html>")


# --------------------------------------------------------------------------------------------- bad rows

BAD = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
<Name>Bad</Name>
<Tasks>
<Task><UID>1</UID><ID>1</ID><Name>ok</Name><OutlineLevel>1</OutlineLevel><Duration>PT8H0M0S</Duration></Task>
<Task><UID>2</UID><ID>2</ID><Name>negative</Name><OutlineLevel>1</OutlineLevel><Duration>-PT8H0M0S</Duration></Task>
<Task><UID>3</UID><ID>3</ID><Name>no date</Name><OutlineLevel>1</OutlineLevel><ConstraintType>4</ConstraintType></Task>
<Task><UID>4</UID><ID>4</ID><Name>bad date</Name><OutlineLevel>1</OutlineLevel><Deadline>2024-13-45T08:00:00</Deadline></Task>
<Task><UID>5</UID><ID>5</ID><Name>links</Name><OutlineLevel>1</OutlineLevel>
<PredecessorLink><PredecessorUID>1</PredecessorUID><Type>7</Type></PredecessorLink>
<PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type><LinkLag>two days</LinkLag><LagFormat>7</LagFormat></PredecessorLink>
<PredecessorLink><PredecessorUID>42</PredecessorUID><Type>1</Type></PredecessorLink>
</Task>
</Tasks>
</Project>
"""


def test_bad_rows_are_all_reported_with_lines() -> None:
    with pytest.raises(ValidationError) as err:
        read_mspdi(BAD.encode())
    problems = err.value.details["problems"]
    assert problems == [
        "line 6: task UID 2 ('negative'): the duration cannot be negative",
        "line 7: task UID 3 ('no date'): a SNET constraint needs a date",
        "line 8: task UID 4 ('bad date'): Deadline: '2024-13-45T08:00:00' is not a date-time like 2024-03-01T08:00:00",
        "line 10: link to task UID 5: link Type 7 is not 0 (FF), 1 (FS), 2 (SF) or 3 (SS)",
        "line 11: link to task UID 5: LinkLag: 'two days' is not a number",
        "line 12: link to task UID 5: the predecessor UID '42' is not a task in this file",
    ]
    assert "(6 problems)" in err.value.message and problems[0] in err.value.message


def test_outline_level_skip_is_reported() -> None:
    data = (
        '<Project xmlns="http://schemas.microsoft.com/project"><Tasks>'
        "<Task><UID>1</UID><Name>a</Name><OutlineLevel>1</OutlineLevel></Task>"
        "<Task><UID>2</UID><Name>b</Name><OutlineLevel>3</OutlineLevel></Task></Tasks></Project>"
    )
    with pytest.raises(ValidationError, match="OutlineLevel 3 skips a level"):
        read_mspdi(data.encode())


def test_pert_estimates_round_trip() -> None:
    plan = PlanSpec(
        "p", tasks=[TaskSpec("1", "t", duration=960, optimistic=480, most_likely=960, pessimistic=2400)]
    )
    task = read_mspdi(write_mspdi(plan)).tasks[0]
    assert (task.optimistic, task.most_likely, task.pessimistic) == (480, 960, 2400)


# ---------------------------------------------------------------------------------- generated round trip

text = st.text(st.sampled_from("abcXYZ 019-&<>'\"é€"), min_size=1, max_size=12).map(str.strip).filter(bool)
when = st.datetimes(D(2020, 1, 1), D(2030, 12, 31)).map(lambda d: d.replace(second=0, microsecond=0))
minutes = st.integers(0, 20_000)


@st.composite
def plans(draw: st.DrawFn) -> PlanSpec:
    n_cal = draw(st.integers(0, 2))
    calendars = []
    for i in range(n_cal):
        cuts = sorted(
            draw(st.sets(st.integers(1, 1440), min_size=2, max_size=4).filter(lambda s: len(s) % 2 == 0))
        )
        days = draw(st.lists(st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31)), max_size=3, unique=True))
        calendars.append(CalendarSpec(
            str(i + 1), draw(text), tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))),
            tuple(zip(cuts[::2], cuts[1::2], strict=True)),
            exceptions=[CalendarException(d, draw(st.booleans()), draw(st.sampled_from(["", "Holiday"])))
                        for d in sorted(days)],
        ))  # fmt: skip
    cal_refs = [None, *(c.ref for c in calendars)]
    resources = [ResourceSpec(str(i), draw(text), draw(st.sampled_from(["work", "material", "cost"])),
                              draw(st.sampled_from([0.5, 1.0, 2.0])), draw(st.sampled_from([None, "a@b.org"])))
                 for i in range(1, draw(st.integers(0, 2)) + 1)]  # fmt: skip
    n = draw(st.integers(1, 6))
    tasks: list[TaskSpec] = []
    for i in range(1, n + 1):
        kind = draw(st.sampled_from(list(ConstraintType)))
        three = sorted(draw(st.lists(minutes, min_size=3, max_size=3))) if draw(st.booleans()) else [None] * 3
        tasks.append(TaskSpec(
            ref=str(i * 10), name=draw(text), parent_ref=draw(st.sampled_from([None, *(t.ref for t in tasks)])),
            milestone=draw(st.booleans()), duration=draw(minutes), duration_unit=draw(st.sampled_from(list(DurationUnit))),
            work=draw(st.none() | minutes), optimistic=three[0], most_likely=three[1], pessimistic=three[2],
            percent_complete=float(draw(st.integers(0, 100))), actual_start=draw(st.none() | when),
            constraint_type=kind,
            constraint_date=None if kind in (ConstraintType.ASAP, ConstraintType.ALAP) else draw(when),
            deadline=draw(st.none() | when), priority=draw(st.integers(0, 1000)),
            description=draw(st.sampled_from(["", "line 1\nline 2 <b>&amp;</b>"])),
            calendar_ref=draw(st.sampled_from(cal_refs)), start=draw(st.none() | when),
            baselines=[BaselineSpec(0, draw(when), None, draw(minutes), None, draw(st.sampled_from([None, "12.50"])))]
            if draw(st.booleans()) else [],
            assignments=[AssignmentSpec(r.ref, draw(st.sampled_from([0.5, 1.0])), draw(st.none() | minutes))
                         for r in resources[: draw(st.integers(0, len(resources)))]],
        ))  # fmt: skip
    refs = [t.ref for t in tasks]
    for t in tasks:
        t.summary = any(c.parent_ref == t.ref for c in tasks)
        t.milestone = t.milestone and not t.summary
    links = [
        LinkSpec(
            p,
            s,
            draw(st.sampled_from(list(LinkType))),
            draw(st.integers(-5000, 5000)),
            draw(st.sampled_from(list(LagKind))),
        )
        for p, s in draw(
            st.lists(st.tuples(st.sampled_from(refs), st.sampled_from(refs)), max_size=4, unique=True)
        )
        if p != s
    ]
    order: list[TaskSpec] = []

    def visit(parent: str | None) -> None:
        for t in tasks:
            if t.parent_ref == parent:
                order.append(t)
                visit(t.ref)

    visit(None)
    return PlanSpec(
        draw(text), start=draw(st.none() | when), status_date=draw(st.none() | when), calendars=calendars,
        calendar_ref=draw(st.sampled_from(cal_refs)), tasks=order, links=links, resources=resources,
    )  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_generated_round_trip(plan: PlanSpec) -> None:
    assert strip_lines(read_mspdi(write_mspdi(plan))) == strip_lines(plan)


@pytest.mark.parametrize(
    ("fmt", "unit"),
    [
        (4, DurationUnit.ELAPSED_MINUTES),
        (6, DurationUnit.ELAPSED_HOURS),
        (8, DurationUnit.ELAPSED_DAYS),
        (10, DurationUnit.ELAPSED_WEEKS),
        (12, DurationUnit.ELAPSED_MONTHS),
        (40, DurationUnit.ELAPSED_DAYS),  # estimated elapsed days
    ],
)
def test_elapsed_durations_are_read_as_elapsed_and_written_back_in_their_format(
    fmt: int, unit: DurationUnit
) -> None:
    """A task of 3 elapsed days (72 wall-clock hours) keeps being elapsed: not 72 working hours (9 days)."""
    plan = PlanSpec("p", tasks=[TaskSpec("1", "cure", duration=3 * 1440, duration_unit=DurationUnit.DAYS)])
    xml = write_mspdi(plan).replace(
        b"<DurationFormat>7</DurationFormat>", f"<DurationFormat>{fmt}</DurationFormat>".encode()
    )
    task = read_mspdi(xml).tasks[0]
    assert (task.duration, task.duration_unit) == (3 * 1440, unit)
    assert unit.elapsed
    out = write_mspdi(read_mspdi(xml))
    assert f"<DurationFormat>{fmt if fmt < 32 else fmt - 32}</DurationFormat>".encode() in out
    assert b"<Duration>PT72H0M0S</Duration>" in out
    again = read_mspdi(out).tasks[0]
    assert (again.duration, again.duration_unit) == (3 * 1440, unit)


def test_working_duration_formats_stay_working() -> None:
    plan = PlanSpec("p", tasks=[TaskSpec("1", "t", duration=960, duration_unit=DurationUnit.HOURS)])
    out = write_mspdi(plan)
    assert b"<DurationFormat>5</DurationFormat>" in out
    assert read_mspdi(out).tasks[0].duration_unit is DurationUnit.HOURS
