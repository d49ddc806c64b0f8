"""Microsoft Project XML (MSPDI) import and export.

Untrusted input is parsed by lxml with entity resolution, DTD loading and network access off, and any
document type declaration is refused, so external entities, external DTDs and entity bombs never expand.
MSPDI facts used here: dates are local wall-clock ``YYYY-MM-DDTHH:MM:SS``; durations and work are ISO 8601
``PTnHnMnS`` of working time; link types are 0=FF 1=FS 2=SF 3=SS; LinkLag is in tenths of a minute except for
the percent formats 19/20 (whole percent); WeekDay DayType 1..7 is Sunday..Saturday (0 = legacy exception).
Task, calendar and resource refs are the file's UIDs; on export numeric refs are kept, others renumbered.
PERT estimates travel as Duration1..3 custom fields (aliases Optimistic / Most likely / Pessimistic).
Charter's custom fields travel as MS Project's local task fields: text and choice fields as Text1..30 (a choice
with its value list), numbers as Number1..20, dates as Date1..10, flags as Flag1..20; the field's name is the
Alias. On import, a local field with an alias or with a value on some task becomes a custom field.
An assignment is written with its Work, ActualWork (the approved hours its person logged), RemainingWork and
PercentWorkComplete, in the schema's element order, and a task with the sums of its assignments' ActualWork
and RemainingWork; an import reads an assignment's Work only: actual work in Charter comes from timesheets.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from charter.domain.custom_fields import MAX_NAME, FieldKind, format_value
from charter.domain.errors import BadRequest, ValidationError
from charter.domain.schedule import (
    AssignmentSpec,
    BaselineSpec,
    CalendarException,
    CalendarSpec,
    ConstraintType,
    DurationUnit,
    FieldSpec,
    ImportProblem,
    LagKind,
    LinkSpec,
    LinkType,
    PlanSpec,
    ResourceSpec,
    TaskSpec,
    check_actuals,
    check_constraint,
    check_task_numbers,
    percent_work_complete,
)
from charter.io.tabular import outline_order, raise_if_problems

__all__ = ["NS", "read_mspdi", "write_mspdi"]

NS = "http://schemas.microsoft.com/project"
LINK_TYPES = {0: LinkType.FF, 1: LinkType.FS, 2: LinkType.SF, 3: LinkType.SS}
CONSTRAINTS = dict(enumerate(["asap", "alap", "mso", "mfo", "snet", "snlt", "fnet", "fnlt"]))
RESOURCE_KINDS = {0: "material", 1: "work", 2: "cost"}
PERT = {"188743783": "optimistic", "188743784": "most_likely", "188743785": "pessimistic"}
PERT_ALIAS = {"optimistic": "Optimistic", "most_likely": "Most likely", "pessimistic": "Pessimistic"}
# MS Project's local task custom fields (PjCustomField values): the slots a Charter field of each kind takes.
_B = 188743000
CUSTOM_SLOTS: dict[str, list[int]] = {
    "Text": [_B + n for n in (731, 734, 737, 740, 743, 746, 747, 748, 749, 750, *range(997, 1017))],
    "Number": [_B + n for n in (*range(767, 772), *range(982, 997))],
    "Date": [_B + n for n in range(945, 955)],
    "Flag": [_B + n for n in (*range(752, 762), *range(972, 982))],
}
SLOT_OF_KIND = {FieldKind.TEXT: "Text", FieldKind.CHOICE: "Text", FieldKind.MULTI_CHOICE: "Text",
                FieldKind.NUMBER: "Number", FieldKind.DATE: "Date", FieldKind.FLAG: "Flag"}  # fmt: skip
CUSTOM_IDS = {str(fid): (family, n) for family, ids in CUSTOM_SLOTS.items() for n, fid in enumerate(ids, 1)}
_ELAPSED, _PERCENT, _HOURS = {4, 6, 8, 10, 12}, {19, 20}, {3, 4, 5, 6}
# a task's elapsed DurationFormat (minutes, hours, days, weeks, months) <-> its elapsed unit, both ways
_ELAPSED_UNIT = {
    4: DurationUnit.ELAPSED_MINUTES,
    6: DurationUnit.ELAPSED_HOURS,
    8: DurationUnit.ELAPSED_DAYS,
    10: DurationUnit.ELAPSED_WEEKS,
    12: DurationUnit.ELAPSED_MONTHS,
}
_ELAPSED_FORMAT = {u: f for f, u in _ELAPSED_UNIT.items()}
_MAX_EXCEPTION_DAYS = 3660
# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF): dropped on
# export, else one stray control character in a task name makes the whole export fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_PT = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


class _Bad(ValueError):
    pass


# ------------------------------------------------------------------------------------------- parsing


def parse_untrusted_xml(data: bytes, max_bytes: int, what: str = "file") -> Any:
    """Parse an untrusted XML document, refusing DTDs and entities; returns the root element."""
    if len(data) > max_bytes:
        raise BadRequest(f"the {what} is {len(data):,} bytes; the limit is {max_bytes:,}")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise BadRequest(f"the {what} declares a DTD or entities, which are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise BadRequest(f"the {what} is not well-formed XML (line {e.lineno}): {e.msg}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.system_url:
        raise BadRequest(f"the {what} declares a DTD or entities, which are not allowed")
    return root


def _minutes(text: str) -> int:
    m = _PT.match(text.strip())
    if not m:
        raise _Bad(f"{text!r} is not a duration like PT8H0M0S")
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups()[1:])
    return (-1 if m.group(1) else 1) * round(d * 1440 + h * 60 + mi + s / 60)


def _pt(minutes: int) -> str:
    return f"PT{minutes // 60}H{minutes % 60}M0S"


def _dt(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise _Bad(f"{text!r} is not a date-time like 2024-03-01T08:00:00") from None


def _when(value: dt.datetime | dt.date) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _num(text: str, kind: type[int] | type[float] = int) -> Any:
    try:
        return kind(float(text)) if kind is int and "." in text else kind(text)
    except (ValueError, OverflowError):
        raise _Bad(f"{text!r} is not a number") from None


def _real(text: str) -> float:
    value = float(_num(text, float))
    if value != value or value in (float("inf"), float("-inf")):
        raise _Bad(f"{text!r} is not a number")
    return value


def _hhmm(text: str, end: bool = False) -> int:
    try:
        h, m, *_ = (int(x) for x in text.split(":"))
    except ValueError:
        raise _Bad(f"{text!r} is not a time like 08:00:00") from None
    return 1440 if end and h == m == 0 else h * 60 + m


class _Reader:
    def __init__(self, root: Any) -> None:
        self.ns = root.nsmap.get(None, "")
        self.root = root
        self.problems: list[ImportProblem] = []
        self.pert: set[str] = set()
        self.fields: dict[str, dict[str, Any]] = {}  # FieldID -> alias, value list of a local custom field
        self.values: dict[str, dict[str, tuple[str, int | None]]] = {}  # task UID -> FieldID -> (value, line)

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}" if self.ns else name

    def all(self, el: Any, path: str) -> list[Any]:
        return list(el.iterfind("/".join(self.q(p) for p in path.split("/"))))

    def get(self, el: Any, name: str, strip: bool = True) -> str | None:
        child = el.find(self.q(name))
        text = child.text or "" if child is not None else ""
        return (text.strip() if strip else text) or None

    def conv(self, el: Any, name: str, fn: Any, default: Any = None) -> Any:
        text = self.get(el, name)
        if text is None:
            return default
        try:
            return fn(text)
        except _Bad as e:
            raise _Bad(f"{name}: {e}") from None

    def problem(self, el: Any, message: str, ref: str | None = None) -> None:
        self.problems.append(ImportProblem(el.sourceline, message, ref))

    # -- calendars
    def calendars(self) -> dict[str, tuple[CalendarSpec, bool]]:
        raw: dict[str, tuple[Any, Any, dict[int, Any], dict[dt.date, CalendarException]]] = {}
        for el in self.all(self.root, "Calendars/Calendar"):
            uid = self.get(el, "UID") or "?"
            try:
                week: dict[int, tuple[tuple[int, int], ...]] = {}
                exc: dict[dt.date, CalendarException] = {}
                for wd in self.all(el, "WeekDays/WeekDay"):
                    day = self.conv(wd, "DayType", _num, 0)
                    working = self.get(wd, "DayWorking") == "1"
                    if day == 0:
                        self._exceptions(wd, working, self.get(wd, "Name") or "", exc)
                    elif 1 <= day <= 7:
                        week[(day - 2) % 7] = self._shifts(wd) if working else ()
                    else:
                        raise _Bad(f"DayType {day} is not 0..7")
                for ex in self.all(el, "Exceptions/Exception"):
                    if (self.get(ex, "Type") or "1") == "1":  # daily; other recurrences are not read
                        self._exceptions(
                            ex, self.get(ex, "DayWorking") == "1", self.get(ex, "Name") or "", exc
                        )
                base = self.get(el, "BaseCalendarUID")
                raw[uid] = (el, base if base not in (None, "-1", uid) else None, week, exc)
            except (_Bad, ValueError) as e:
                self.problem(el, f"calendar UID {uid}: {e}", uid)
        out = {}
        for uid, (el, _, _, _) in raw.items():
            week, exc, seen, cur = {}, {}, set(), uid
            while cur in raw and cur not in seen:  # own definitions win over the base's
                seen.add(cur)
                _, base, w, x = raw[cur]
                week = w | week
                exc = x | exc
                cur = base
            spec = CalendarSpec(uid, self.get(el, "Name") or f"Calendar {uid}")
            if week:
                spec.weekdays = tuple(d for d in range(7) if week.get(d))
                spec.shifts = next((week[d] for d in spec.weekdays), ())
            spec.exceptions = [exc[d] for d in sorted(exc)]
            out[uid] = (spec, self.get(el, "IsBaseCalendar") != "0")
        return out

    def _shifts(self, el: Any) -> tuple[tuple[int, int], ...]:
        times = self.all(el, "WorkingTimes/WorkingTime")
        return tuple(
            (_hhmm(self.get(t, "FromTime") or "0:0"), _hhmm(self.get(t, "ToTime") or "0:0", end=True))
            for t in times
        )

    def _exceptions(self, el: Any, working: bool, name: str, into: dict[dt.date, CalendarException]) -> None:
        period = el.find(self.q("TimePeriod"))
        if period is None:
            return
        start = self.conv(period, "FromDate", _dt)
        if start is None:
            raise _Bad("an exception has no FromDate")
        first, end = start.date(), self.conv(period, "ToDate", _dt, start)
        last = (
            end - dt.timedelta(minutes=1) if end.time() == dt.time() and end.date() > first else end
        ).date()
        if (last - first).days > _MAX_EXCEPTION_DAYS:
            raise _Bad(f"an exception from {first} to {last} spans more than ten years")
        for i in range((last - first).days + 1):
            day = first + dt.timedelta(days=i)
            into[day] = CalendarException(day, working, name)

    # -- tasks
    def task(self, el: Any, mpd: int) -> tuple[TaskSpec, int]:
        uid = self.get(el, "UID") or ""
        t = TaskSpec(ref=uid, name=self.get(el, "Name", strip=False) or "", line=el.sourceline)
        if not uid.lstrip("-").isdecimal():
            raise _Bad("the task has no numeric UID")
        level = self.conv(el, "OutlineLevel", _num, 1)
        t.summary = self.get(el, "Summary") == "1"
        t.milestone = self.get(el, "Milestone") == "1"
        t.duration = self.conv(el, "Duration", _minutes, 0)
        fmt = self.conv(el, "DurationFormat", _num, 7)
        fmt = fmt - 32 if fmt > 32 else fmt  # 35..53: the same units, estimated
        # elapsed formats: Duration is wall-clock time, scheduled 24x7
        t.duration_unit = _ELAPSED_UNIT.get(fmt, DurationUnit.HOURS if fmt in _HOURS else DurationUnit.DAYS)
        t.work = self.conv(el, "Work", _minutes)
        t.percent_complete = self.conv(el, "PercentComplete", _real, 0.0)
        code = self.conv(el, "ConstraintType", _num, 0)
        if code not in CONSTRAINTS:
            raise _Bad(f"ConstraintType {code} is not 0..7")
        t.constraint_type = ConstraintType(CONSTRAINTS[code])
        for attr, name in (("constraint_date", "ConstraintDate"), ("deadline", "Deadline"), ("start", "Start"),
                           ("finish", "Finish"), ("actual_start", "ActualStart"), ("actual_finish", "ActualFinish")):  # fmt: skip
            setattr(t, attr, self.conv(el, name, _dt))
        if t.constraint_type in (ConstraintType.ASAP, ConstraintType.ALAP):
            t.constraint_date = None  # MS Project writes a meaningless date with ASAP
        t.priority = self.conv(el, "Priority", _num, 500)
        t.description = self.get(el, "Notes", strip=False) or ""
        cal = self.get(el, "CalendarUID")
        t.calendar_ref = cal if cal not in (None, "-1") else None
        for b in self.all(el, "Baseline"):
            cost = self.conv(b, "Cost", _cost)
            t.baselines.append(BaselineSpec(
                self.conv(b, "Number", _num, 0), self.conv(b, "Start", _dt), self.conv(b, "Finish", _dt),
                self.conv(b, "Duration", _minutes), self.conv(b, "Work", _minutes), cost,
            ))  # fmt: skip
        pert = {
            PERT[f]: a
            for a in self.all(el, "ExtendedAttribute")
            if (f := self.get(a, "FieldID")) in self.pert
        }
        if len(pert) == 3:
            for attr, a in pert.items():
                setattr(t, attr, self.conv(a, "Value", _minutes))
        for a in self.all(el, "ExtendedAttribute"):
            fid = self.get(a, "FieldID") or ""
            if fid in CUSTOM_IDS:
                value = self.get(a, "Value", strip=False)
                guid = self.get(a, "ValueGUID")
                if value is None and guid:
                    value = self.fields.get(fid, {}).get("guids", {}).get(guid.upper())
                if value is not None and value.strip():
                    self.values.setdefault(uid, {})[fid] = (value, a.sourceline)
        check_task_numbers(duration=t.duration, work=t.work, percent_complete=t.percent_complete,
                           optimistic=t.optimistic, most_likely=t.most_likely, pessimistic=t.pessimistic,
                           priority=t.priority)  # fmt: skip
        check_constraint(t.constraint_type, t.constraint_date)
        check_actuals(t.actual_start, t.actual_finish)
        return t, level

    def link(self, el: Any, succ: str, uids: set[str], mpd: int) -> LinkSpec:
        pred = self.get(el, "PredecessorUID") or ""
        if pred not in uids:
            raise _Bad(f"the predecessor UID {pred!r} is not a task in this file")
        if pred == succ:
            raise _Bad("a task cannot be its own predecessor")
        if self.get(el, "CrossProject") == "1":
            raise _Bad("links to other projects are not supported")
        code = self.conv(el, "Type", _num, 1)
        if code not in LINK_TYPES:
            raise _Bad(f"link Type {code} is not 0 (FF), 1 (FS), 2 (SF) or 3 (SS)")
        lag = self.conv(el, "LinkLag", _real, 0.0)
        fmt = self.conv(el, "LagFormat", _num, 7)
        fmt = fmt - 32 if fmt > 32 else fmt
        link = LinkSpec(pred, succ, LINK_TYPES[code], line=el.sourceline)
        if fmt in _PERCENT:
            link.lag, link.lag_kind = round(lag), LagKind.PERCENT
        else:
            link.lag = round(lag / 10)
            link.lag_kind = LagKind.ELAPSED if fmt in _ELAPSED else LagKind.WORKING
        return link

    def read(self) -> PlanSpec:
        r, g = self.root, self.get
        plan = PlanSpec(name=g(r, "Title") or g(r, "Name") or "Imported plan")
        try:
            plan.start = self.conv(r, "StartDate", _dt)
            plan.status_date = self.conv(r, "StatusDate", _dt)
            plan.minutes_per_day = self.conv(r, "MinutesPerDay", _num, 480)
            if not 0 < plan.minutes_per_day <= 1440:
                raise _Bad(f"MinutesPerDay {plan.minutes_per_day} is not 1..1440")
        except _Bad as e:
            self.problem(r, f"project: {e}")
        self.pert = {
            f for a in self.all(r, "ExtendedAttributes/ExtendedAttribute")
            if (f := g(a, "FieldID")) in PERT
            and (g(a, "Alias") or "").lower().startswith(PERT_ALIAS[PERT[f]].lower()[:4])
        }  # fmt: skip
        if len(self.pert) < 3:
            self.pert = set()
        self._field_definitions()
        calendars = self.calendars()
        plan.calendar_ref = g(r, "CalendarUID")
        stack: list[tuple[int, str]] = []
        pending: list[tuple[Any, str]] = []
        by_ref: dict[str, TaskSpec] = {}
        # MS Project writes its project summary task (UID 0) at OutlineLevel 0; some writers (MPXJ converting
        # a Primavera file) put it at 1 and the tasks one level deeper: levels count from below it.
        root_level = next(
            (g(el, "OutlineLevel") for el in self.all(r, "Tasks/Task") if g(el, "UID") == "0"), None
        )
        offset = int(root_level) if root_level and root_level.isdecimal() and int(root_level) < 3 else 0
        for el in self.all(r, "Tasks/Task"):
            uid = g(el, "UID") or "?"
            if g(el, "IsNull") == "1" or uid == "0" or g(el, "OutlineLevel") == "0":
                continue
            try:
                task, level = self.task(el, plan.minutes_per_day)
                level -= offset
                if task.ref in by_ref:
                    raise _Bad("the UID appears twice")
                while stack and stack[-1][0] >= level:
                    stack.pop()
                if level > (stack[-1][0] if stack else 0) + 1:
                    raise _Bad(f"OutlineLevel {level} skips a level")
                task.parent_ref = stack[-1][1] if stack else None
                stack.append((level, task.ref))
                by_ref[task.ref] = task
                plan.tasks.append(task)
                pending += [(lk, task.ref) for lk in self.all(el, "PredecessorLink")]
            except (_Bad, ValidationError) as e:
                self.problem(el, f"task UID {uid} ({g(el, 'Name') or ''!r}): {getattr(e, 'message', e)}", uid)
        for t in plan.tasks:
            if t.parent_ref:
                by_ref[t.parent_ref].summary = True
        for el, succ in pending:
            try:
                plan.links.append(self.link(el, succ, set(by_ref), plan.minutes_per_day))
            except _Bad as e:
                self.problem(el, f"link to task UID {succ}: {e}", succ)
        self._resources(plan, by_ref)
        self._custom_fields(plan, by_ref)
        used = {t.calendar_ref for t in plan.tasks} | {plan.calendar_ref}
        plan.calendars = [cal for uid, (cal, is_base) in calendars.items() if is_base or uid in used]
        for ref in sorted(used - set(calendars) - {None}, key=str):
            self.problem(r, f"calendar UID {ref} is used but not defined", ref)
        return plan

    # -- custom fields
    def _field_definitions(self) -> None:
        g = self.get
        for a in self.all(self.root, "ExtendedAttributes/ExtendedAttribute"):
            fid = g(a, "FieldID") or ""
            if fid not in CUSTOM_IDS or fid in self.fields:
                continue
            choices: list[str] = []
            guids: dict[str, str] = {}
            for v in self.all(a, "ValueList/Value"):
                text = g(v, "Value")
                if text:
                    choices.append(text)
                    for tag in ("FieldGUID", "Guid"):
                        if g(v, tag):
                            guids[(g(v, tag) or "").upper()] = text
            self.fields[fid] = {"alias": g(a, "Alias"), "choices": choices, "guids": guids}

    def _custom_fields(self, plan: PlanSpec, tasks: dict[str, TaskSpec]) -> None:
        """The local fields named (an alias) or used by a task, as custom fields; their values by name."""
        used = {fid for values in self.values.values() for fid in values}
        wanted = [f for f in self.fields if self.fields[f]["alias"] or f in used]
        wanted += sorted(used - set(wanted), key=lambda f: (CUSTOM_IDS[f][0], CUSTOM_IDS[f][1]))
        names: dict[str, str] = {}
        taken: set[str] = set()
        for fid in wanted:
            family, n = CUSTOM_IDS[fid]
            slot = f"{family}{n}"
            name = " ".join((self.fields.get(fid, {}).get("alias") or slot).replace("=", "-").split())[
                :MAX_NAME
            ]
            if name.casefold() in taken:
                name = f"{name[: MAX_NAME - len(slot) - 3]} ({slot})"
            taken.add(name.casefold())
            names[fid] = name
            choices = list(self.fields.get(fid, {}).get("choices", []))
            kind = {"Number": FieldKind.NUMBER, "Date": FieldKind.DATE, "Flag": FieldKind.FLAG}.get(
                family, FieldKind.CHOICE if choices else FieldKind.TEXT
            )
            if kind is FieldKind.CHOICE:  # a value MS Project let in without listing it joins the list
                seen = {c.casefold() for c in choices}
                for values in self.values.values():
                    v = " ".join(values[fid][0].split()) if fid in values else ""
                    if v and v.casefold() not in seen:
                        seen.add(v.casefold())
                        choices.append(v)
            plan.custom_fields.append(
                FieldSpec(name, kind.value, choices if kind is FieldKind.CHOICE else [])
            )
        kinds = {f.name: f.kind for f in plan.custom_fields}
        for uid, values in self.values.items():
            task = tasks.get(uid)
            if task is None:
                continue
            for fid, (value, _line) in values.items():
                name = names[fid]
                task.custom[name] = _custom_value(kinds[name], value)

    def _resources(self, plan: PlanSpec, tasks: dict[str, TaskSpec]) -> None:
        g = self.get
        for el in self.all(self.root, "Resources/Resource"):
            uid = g(el, "UID") or "?"
            if uid == "0" or g(el, "IsNull") == "1":
                continue
            try:
                kind = RESOURCE_KINDS.get(self.conv(el, "Type", _num, 1), "work")
                kind = "cost" if g(el, "IsCostResource") == "1" else kind
                units = self.conv(el, "MaxUnits", _real, 1.0)
                plan.resources.append(
                    ResourceSpec(uid, g(el, "Name") or "", kind, units, g(el, "EmailAddress"))
                )
            except _Bad as e:
                self.problem(el, f"resource UID {uid}: {e}", uid)
        refs = {r.ref for r in plan.resources}
        for el in self.all(self.root, "Assignments/Assignment"):
            task, res = g(el, "TaskUID") or "", g(el, "ResourceUID") or ""
            if res in ("-65535", "0"):
                continue  # MS Project's placeholder for "no resource"
            try:
                if task not in tasks or res not in refs:
                    raise _Bad(f"task UID {task!r} or resource UID {res!r} is not in this file")
                units = self.conv(el, "Units", _real, 1.0)  # ActualWork/RemainingWork: not read (timesheets)
                tasks[task].assignments.append(AssignmentSpec(res, units, self.conv(el, "Work", _minutes)))
            except _Bad as e:
                self.problem(el, f"assignment UID {g(el, 'UID')}: {e}", g(el, "UID"))


def _custom_value(kind: str, text: str) -> Any:
    """A local field's stored text as a custom field value to check: a date's day, a flag as yes/no."""
    text = text.strip() if kind != FieldKind.TEXT else text
    if kind == FieldKind.DATE:
        return text[:10]
    if kind == FieldKind.FLAG:
        return {"1": True, "0": False, "true": True, "false": False}.get(text.lower(), text)
    return text


def _cost(text: str) -> str:
    try:
        value = Decimal(text) / 100  # MSPDI costs are in hundredths of the currency unit
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):
            raise InvalidOperation
    except InvalidOperation:
        raise _Bad(f"{text!r} is not a number") from None
    return str(value.quantize(Decimal("0.01")) if exponent > -2 else value)


def read_mspdi(data: bytes, *, max_bytes: int = 50_000_000, lines: bool = True) -> PlanSpec:
    """Read a Microsoft Project XML file. Raises BadRequest for unreadable files, ValidationError (with
    ``details["problems"]``) when any task, link, calendar, resource or assignment cannot be taken.
    ``lines=False`` leaves line numbers out of problems (for XML converted from another format)."""
    root = parse_untrusted_xml(data, max_bytes, "MS Project XML file")
    if etree.QName(root).localname != "Project":
        raise BadRequest(f"the root element is <{etree.QName(root).localname}>, not an MS Project <Project>")
    reader = _Reader(root)
    plan = reader.read()
    if not lines:
        reader.problems = [ImportProblem(None, p.message, p.ref) for p in reader.problems]
        for t in plan.tasks:
            t.line = None
        for lk in plan.links:
            lk.line = None
    raise_if_problems(reader.problems, "MS Project file")
    return plan


# ------------------------------------------------------------------------------------------- writing


def _ids(refs: list[str]) -> dict[str, int]:
    if all(r.isdecimal() and int(r) > 0 for r in refs) and len(set(refs)) == len(refs):
        return {r: int(r) for r in refs}
    return {r: i for i, r in enumerate(refs, start=1)}


def _add(parent: Any, name: str, *pairs: tuple[str, Any]) -> Any:
    """Append <name> with one child per (tag, value) pair; None values are left out."""
    return _put(etree.SubElement(parent, f"{{{NS}}}{name}"), *pairs)


def _put(el: Any, *pairs: tuple[str, Any]) -> Any:
    for tag, value in pairs:
        if value is not None:
            text = (
                _when(value)
                if isinstance(value, dt.date)
                else int(value)
                if isinstance(value, bool)
                else value
            )
            etree.SubElement(el, f"{{{NS}}}{tag}").text = _NOT_XML.sub("", str(text))
    return el


def write_mspdi(plan: PlanSpec) -> bytes:
    """An MSPDI document MS Project 2010+ opens; `read_mspdi` reads back every field Charter models."""
    root = etree.Element(f"{{{NS}}}Project", nsmap={None: NS})
    cal_ids = _ids([c.ref for c in plan.calendars])
    task_ids = _ids([t.ref for t in plan.tasks])
    res_ids = _ids([r.ref for r in plan.resources])
    mpd = plan.minutes_per_day
    _put(root, ("SaveVersion", 14), ("Name", f"{plan.name}.xml"), ("Title", plan.name), ("StartDate", plan.start),
         ("CalendarUID", cal_ids.get(plan.calendar_ref or "")), ("MinutesPerDay", mpd),
         ("MinutesPerWeek", 5 * mpd), ("StatusDate", plan.status_date))  # fmt: skip
    ext = _add(root, "ExtendedAttributes")
    for field, attr in PERT.items():
        _add(ext, "ExtendedAttribute", ("FieldID", field), ("FieldName", f"Duration{int(field) - 188743782}"),
             ("Alias", PERT_ALIAS[attr]))  # fmt: skip
    slots = _custom_slots(plan.custom_fields)
    for f in plan.custom_fields:
        if f.name not in slots:
            continue
        fid = slots[f.name]
        family, n = CUSTOM_IDS[str(fid)]
        de = _add(ext, "ExtendedAttribute", ("FieldID", fid), ("FieldName", f"{family}{n}"),
                  ("CFType", _CF_TYPE[family]), ("Alias", f.name))  # fmt: skip
        if f.kind == FieldKind.CHOICE:
            _put(de, ("RestrictValues", 1), ("AppendNewValues", 0))
            values = _add(de, "ValueList")
            for i, choice in enumerate(f.choices, start=1):
                _add(values, "Value", ("ID", i), ("Value", choice), ("Description", ""))
    cals = _add(root, "Calendars")
    for c in plan.calendars:
        ce = _add(cals, "Calendar", ("UID", cal_ids[c.ref]), ("Name", c.name), ("IsBaseCalendar", 1),
                  ("BaseCalendarUID", -1))  # fmt: skip
        days = _add(ce, "WeekDays")
        for day_type in range(1, 8):
            working = (day_type - 2) % 7 in c.weekdays
            wd = _add(days, "WeekDay", ("DayType", day_type), ("DayWorking", working))
            if working:
                _working_times(wd, c.shifts)
        excs = _add(ce, "Exceptions")
        for x in c.exceptions:
            xe = _add(excs, "Exception", ("EnteredByOccurrences", 0))
            _add(
                xe,
                "TimePeriod",
                ("FromDate", x.date),
                ("ToDate", dt.datetime.combine(x.date, dt.time(23, 59))),
            )
            _put(xe, ("Occurrences", 1), ("Name", x.name), ("Type", 1), ("DayWorking", x.working))
            if x.working:
                _working_times(xe, c.shifts)
    tasks = _add(root, "Tasks")
    _add(tasks, "Task", ("UID", 0), ("ID", 0), ("Name", plan.name), ("OutlineLevel", 0), ("Summary", 1))
    level: dict[str | None, int] = {None: 0}
    preds: dict[str, list[LinkSpec]] = {}
    for link in plan.links:
        preds.setdefault(link.succ_ref, []).append(link)
    constraint_codes = {v: k for k, v in CONSTRAINTS.items()}
    link_codes = {v: k for k, v in LINK_TYPES.items()}
    for n, t in enumerate(outline_order(plan.tasks), start=1):
        level[t.ref] = level.get(t.parent_ref, 0) + 1
        actual, remaining = _work_sums(t)
        te = _add(
            tasks, "Task", ("UID", task_ids[t.ref]), ("ID", n), ("Name", t.name), ("OutlineLevel", level[t.ref]),
            ("Priority", t.priority), ("Start", t.start), ("Finish", t.finish), ("Duration", _pt(t.duration)),
            ("DurationFormat", _ELAPSED_FORMAT.get(t.duration_unit, 5 if t.duration_unit is DurationUnit.HOURS else 7)),
            ("Work", None if t.work is None else _pt(t.work)), ("Milestone", t.milestone), ("Summary", t.summary),
            ("PercentComplete", f"{t.percent_complete:g}"), ("ActualStart", t.actual_start),
            ("ActualFinish", t.actual_finish), ("ActualWork", actual),
            ("RemainingDuration", None if t.summary else _pt(round(t.duration * (1 - t.percent_complete / 100)))),
            ("RemainingWork", remaining), ("ConstraintType", constraint_codes[t.constraint_type.value]),
            ("CalendarUID", cal_ids.get(t.calendar_ref or "", -1)), ("ConstraintDate", t.constraint_date),
            ("Deadline", t.deadline), ("Notes", t.description or None),
        )  # fmt: skip
        for link in preds.get(t.ref, []):
            lag = link.lag if link.lag_kind is LagKind.PERCENT else link.lag * 10
            _add(te, "PredecessorLink", ("PredecessorUID", task_ids[link.pred_ref]), ("Type", link_codes[link.type]),
                 ("CrossProject", 0), ("LinkLag", lag), ("LagFormat", _lag_format(link, mpd)))  # fmt: skip
        for field, attr in PERT.items():
            if getattr(t, attr) is not None:
                _add(te, "ExtendedAttribute", ("FieldID", field), ("Value", _pt(getattr(t, attr))))
        for f in plan.custom_fields:
            value = t.custom.get(f.name)
            if f.name in slots and value is not None and value is not False:
                _add(
                    te,
                    "ExtendedAttribute",
                    ("FieldID", slots[f.name]),
                    ("Value", _custom_text(f.kind, value)),
                )
        for b in t.baselines:
            _add(te, "Baseline", ("Number", b.number), ("Start", b.start), ("Finish", b.finish),
                 ("Duration", None if b.duration is None else _pt(b.duration)),
                 ("Work", None if b.work is None else _pt(b.work)),
                 ("Cost", None if b.cost is None else f"{Decimal(b.cost) * 100:f}"))  # fmt: skip
    res = _add(root, "Resources")
    kinds = {v: k for k, v in RESOURCE_KINDS.items()}
    for r in plan.resources:
        _add(res, "Resource", ("UID", res_ids[r.ref]), ("ID", res_ids[r.ref]), ("Name", r.name),
             ("Type", kinds.get(r.kind, 1)), ("IsNull", 0), ("EmailAddress", r.email),
             ("MaxUnits", repr(float(r.max_units))), ("IsCostResource", r.kind == "cost"))  # fmt: skip
    assignments = _add(root, "Assignments")
    pairs = [(t, a) for t in plan.tasks for a in t.assignments]
    for uid, (t, a) in enumerate(pairs, start=1):
        _add(assignments, "Assignment", ("UID", uid), ("TaskUID", task_ids[t.ref]),
             ("ResourceUID", res_ids[a.resource_ref]),
             ("PercentWorkComplete",
              None if a.actual_work is None else percent_work_complete(a.work, a.actual_work)),
             ("ActualWork", None if a.actual_work is None else _pt(a.actual_work)),
             ("RemainingWork", None if a.remaining_work is None else _pt(a.remaining_work)),
             ("Units", repr(float(a.units))), ("Work", None if a.work is None else _pt(a.work)))  # fmt: skip
    return bytes(
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True, pretty_print=True)
    )


def _work_sums(t: TaskSpec) -> tuple[str | None, str | None]:
    """A task's ActualWork and RemainingWork (PT…): the sums of its assignments' (MS Project's Task Actual /
    Remaining Work); None, left out, when no assignment carries them (no assignments, or a plan read from a
    file, which has no actual work)."""
    known = [a for a in t.assignments if a.actual_work is not None and a.remaining_work is not None]
    if not known:
        return None, None
    return _pt(sum(a.actual_work or 0 for a in known)), _pt(sum(a.remaining_work or 0 for a in known))


_CF_TYPE = {"Date": 1, "Flag": 4, "Number": 5, "Text": 7}  # MSPDI CFType


def _custom_slots(fields: list[FieldSpec]) -> dict[str, int]:
    """Each custom field's local MS Project field, in order by kind; fields past the last slot of their kind
    (more than 30 text and choice, 20 number, 10 date or 20 flag fields) are left out of the file."""
    taken: dict[str, int] = {}
    out: dict[str, int] = {}
    for f in fields:
        family = SLOT_OF_KIND[FieldKind(f.kind)]
        n = taken.get(family, 0)
        if n < len(CUSTOM_SLOTS[family]):
            out[f.name] = CUSTOM_SLOTS[family][n]
            taken[family] = n + 1
    return out


def _custom_text(kind: str, value: Any) -> str:
    if kind == FieldKind.FLAG:
        return "1" if value else "0"
    if kind == FieldKind.DATE:
        return f"{value}T00:00:00"
    if kind == FieldKind.NUMBER:
        return f"{Decimal(str(value)):f}"
    return format_value(kind, value)  # a multi choice as "CRM, Billing": MS Project has no multi-select field


def _working_times(parent: Any, shifts: tuple[tuple[int, int], ...]) -> None:
    times = _add(parent, "WorkingTimes")
    for a, b in shifts:
        _add(times, "WorkingTime", ("FromTime", f"{a // 60:02d}:{a % 60:02d}:00"),
             ("ToTime", f"{b // 60 % 24:02d}:{b % 60:02d}:00"))  # fmt: skip


def _lag_format(link: LinkSpec, mpd: int) -> int:
    if link.lag_kind is LagKind.PERCENT:
        return 19
    if link.lag_kind is LagKind.ELAPSED:
        return 8 if link.lag % 1440 == 0 else 6
    return 7 if link.lag % mpd == 0 else 5
