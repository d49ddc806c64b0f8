"""CSV and Excel import/export of a plan's tasks and links, with a column mapping.

One row per task. Hierarchy: a `parent` column (the parent row's id) or, failing that, a `wbs` column with
outline numbers ("1.2.3": the parent is the row whose wbs is "1.2"); exports write both. Links live in the
`predecessors` column in MS Project style: ``3FS+2d;5SS-1d;7FF+50%;9FS+3ed`` (``d``/``h``/``m``/``w`` working
days/hours/minutes/weeks, ``ed``/``eh``/``em``/``ew`` elapsed, ``%`` percent of the predecessor's duration;
a bare ``3`` is finish-to-start without lag). Durations and estimates are ``5d``, ``4h``, ``2.5d``, ``90m`` or a
plain number of days; a working day is the plan's `minutes_per_day`. Dates are ISO 8601 (``2024-03-01`` or
``2024-03-01 09:00``) or native Excel dates.

Everything is read before anything is returned: problems are collected per row and raised together.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

from charter.domain.custom_fields import format_value
from charter.domain.errors import BadRequest, ValidationError
from charter.domain.figures import counted
from charter.domain.schedule import (
    ConstraintType,
    DurationUnit,
    ImportProblem,
    LagKind,
    LinkSpec,
    LinkType,
    PlanSpec,
    TaskSpec,
    check_actuals,
    check_constraint,
    check_task_numbers,
    elapsed_suffix,
    elapsed_unit_minutes,
    parse_enum,
)
from charter.domain.schedule import parse_duration as parse_elapsed_or_working

__all__ = [
    "COLUMNS",
    "format_duration",
    "format_lag",
    "outline_order",
    "parse_datetime",
    "parse_duration",
    "raise_if_problems",
    "read_csv",
    "read_xlsx",
    "safe_cell",
    "write_csv",
    "write_xlsx",
]

COLUMNS = (
    "id", "wbs", "parent", "name", "type", "duration", "optimistic", "most_likely", "pessimistic",
    "percent_complete", "constraint_type", "constraint_date", "deadline", "priority", "predecessors",
    "start", "finish", "notes",
)  # fmt: skip
MAX_BYTES = 50_000_000
MAX_XLSX_UNPACKED = 300_000_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XLSX cannot store (tab, LF, CR can)
_MAX_LISTED = 20

# ------------------------------------------------------------------------------------- shared helpers


def safe_cell(value: Any) -> Any:
    """A value safe to put in a spreadsheet cell: text that a spreadsheet would take as a formula gets a
    leading single quote (OWASP "CSV injection"); control characters a worksheet cannot hold are dropped;
    other values pass unchanged."""
    if not isinstance(value, str):
        return value
    value = _CONTROL.sub("", value)
    if value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value  # also before an existing quote, so that reading back strips exactly one
    return value


def _unquote(text: str) -> str:
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_START) else text


def raise_if_problems(problems: list[ImportProblem], what: str) -> None:
    """Raise one ValidationError listing the first problems, so an import lands whole or not at all."""
    if not problems:
        return
    listed = [str(p) for p in problems[:_MAX_LISTED]]
    more = f"\n... and {len(problems) - _MAX_LISTED} more" if len(problems) > _MAX_LISTED else ""
    raise ValidationError(
        f"the {what} could not be imported ({counted(len(problems), 'problem')}):\n"
        + "\n".join(listed)
        + more,
        details={"problems": [str(p) for p in problems]},
    )


_UNIT_MINUTES = {"m": 1, "min": 1, "h": 60, "hr": 60, "w": 5}  # "w": days; "d" uses minutes_per_day
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(d|day|days|h|hr|hrs|hours?|m|min|w|wk|weeks?)?\s*$", re.I)


_ELAPSED_DURATION = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*e(mo|d|h|m|w)\s*$", re.I)


def parse_duration(text: Any, minutes_per_day: int = 480) -> tuple[int, DurationUnit]:
    """``"5d"`` / ``"4h"`` / ``"90m"`` / ``"2w"`` / a number of days -> (working minutes, display unit);
    ``"3ed"`` / ``"12eh"`` / ``"90em"`` / ``"1ew"`` / ``"1emo"`` -> (wall-clock minutes, an elapsed unit)."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, int | float):
        text = repr(text)
    if _ELAPSED_DURATION.match(str(text)):
        try:
            return parse_elapsed_or_working(str(text), minutes_per_day)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a duration (use e.g. 5d, 4h, 2.5d, or 3ed for elapsed days)")
    value, unit = float(m.group(1)), (m.group(2) or "d").lower()
    if value < 0:
        raise ValueError(f"the duration {text!r} cannot be negative")
    if unit[0] == "h":
        return round(value * 60), DurationUnit.HOURS
    if unit[0] == "m":
        return round(value), DurationUnit.HOURS
    factor = 5 * minutes_per_day if unit[0] == "w" else minutes_per_day
    return round(value * factor), DurationUnit.DAYS


def _number(x: float) -> str:
    return f"{x:.10g}"


def format_duration(minutes: int, unit: DurationUnit, minutes_per_day: int = 480) -> str:
    if unit.elapsed:
        n = f"{minutes / elapsed_unit_minutes(unit):.10f}".rstrip("0").rstrip(".")  # no exponent: "1e-05ew"
        return f"{n}{elapsed_suffix(unit)}"
    if unit is DurationUnit.HOURS:
        return f"{_number(minutes / 60)}h" if minutes % 60 == 0 or minutes % 6 == 0 else f"{minutes}m"
    return f"{_number(minutes / minutes_per_day)}d"


def parse_datetime(value: Any) -> dt.datetime:
    """ISO date or date-time (naive wall-clock; an offset is dropped, the wall-clock kept)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "")).replace(tzinfo=None)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)") from None


def _format_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.isoformat(sep=" ", timespec="seconds" if value.second else "minutes")


_LAG = re.compile(r"^(.+?)\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*([^+\-]*?)\s*(e?%|e[dhmw]|[dhmw])?)?$", re.I)


def _parse_link(token: str, succ: str, known: set[str], mpd: int) -> LinkSpec:
    token = token.strip()
    if token in known:
        return LinkSpec(token, succ)
    m = _LAG.match(token)
    if not m:
        raise ValueError(f"cannot read the predecessor {token!r} (use e.g. 3FS+2d)")
    pred, kind, sign, amount, unit = m.groups()
    if pred not in known:
        tail = token[len(pred) :].strip()
        if tail and not kind:
            raise ValueError(f"unknown link type in {token!r} (use FS, SS, FF or SF)")
        raise ValueError(f"the predecessor {pred!r} is not a task in this file")
    link = LinkSpec(pred, succ, type=LinkType((kind or "FS").upper()))
    if sign:
        try:
            value = float(amount)
        except ValueError:
            raise ValueError(f"the lag {amount!r} in {token!r} is not a number") from None
        value = -value if sign == "-" else value
        unit = (unit or "d").lower()
        if unit.endswith("%"):
            link.lag, link.lag_kind = round(value), LagKind.PERCENT
        else:
            elapsed = unit.startswith("e")
            per = {"m": 1, "h": 60, "d": 1440 if elapsed else mpd, "w": 7 * 1440 if elapsed else 5 * mpd}
            link.lag = round(value * per[unit[-1]])
            link.lag_kind = LagKind.ELAPSED if elapsed else LagKind.WORKING
    return link


def format_lag(link: LinkSpec, mpd: int = 480) -> str:
    if link.lag == 0:
        return ""
    sign = "-" if link.lag < 0 else "+"
    lag = abs(link.lag)
    if link.lag_kind is LagKind.PERCENT:
        return f"{sign}{lag}%"
    e = "e" if link.lag_kind is LagKind.ELAPSED else ""
    day = 1440 if e else mpd
    if lag % day == 0:
        return f"{sign}{lag // day}{e}d"
    return f"{sign}{_number(lag / 60)}{e}h" if lag % 60 == 0 else f"{sign}{lag}{e}m"


def _format_link(link: LinkSpec, mpd: int) -> str:
    lag = format_lag(link, mpd)
    if not lag and link.type is LinkType.FS:
        return link.pred_ref
    return f"{link.pred_ref}{link.type.value}{lag}"


# ------------------------------------------------------------------------------------------- reading

_TYPES = ("task", "milestone", "summary")
_CONSTRAINT_NAMES = {
    "as soon as possible": "asap", "as late as possible": "alap", "must start on": "mso",
    "must finish on": "mfo", "start no earlier than": "snet", "start no later than": "snlt",
    "finish no earlier than": "fnet", "finish no later than": "fnlt",
}  # fmt: skip


def _columns(header: list[Any], mapping: dict[str, str] | None) -> dict[str, int]:
    unknown = set(mapping or {}) - set(COLUMNS)
    if unknown:
        raise ValidationError(
            f"unknown {'field' if len(unknown) == 1 else 'fields'} in the column mapping: {', '.join(sorted(unknown))}"
        )
    names: dict[str, int] = {}  # a header named twice is the first (an export puts custom fields after)
    for i, h in enumerate(header):
        if h is not None and str(h).strip():
            names.setdefault(str(h).strip().lower(), i)
    cols = {}
    for field in COLUMNS:
        wanted = (mapping or {}).get(field, field).strip().lower()
        if wanted in names:
            cols[field] = names[wanted]
        elif mapping and field in mapping:
            raise ValidationError(f"the column {mapping[field]!r} mapped to {field!r} is not in the header")
    if "name" not in cols:
        shown = ", ".join(str(h) for h in header if h is not None) or "none"
        raise ValidationError(
            f"the file has no {(mapping or {}).get('name', 'name')!r} column (headers: {shown})"
        )
    return cols


def _cell(row: tuple[Any, ...], cols: dict[str, int], field: str) -> Any:
    i = cols.get(field)
    if i is None or i >= len(row) or row[i] is None:
        return None
    v = row[i]
    if isinstance(v, str):
        v = _unquote(v.strip())
        return v or None
    return v


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_rows(
    rows: Iterable[tuple[int, tuple[Any, ...]]], mapping: dict[str, str] | None, **plan: Any
) -> PlanSpec:
    it = iter(rows)
    try:
        _, header = next(it)
    except StopIteration:
        raise ValidationError("the file is empty (no header row)") from None
    cols = _columns(list(header), mapping)
    taken = set(cols.values())
    # the other named columns: a project's custom fields by name (import_plan keeps those the project has)
    extra = {
        str(h).strip(): i
        for i, h in enumerate(header)
        if i not in taken and h is not None and str(h).strip() and str(h).strip().lower() not in COLUMNS
    }
    spec = PlanSpec(**plan)
    mpd = spec.minutes_per_day
    problems: list[ImportProblem] = []
    parsed: list[tuple[TaskSpec, dict[str, Any]]] = []
    seen: set[str] = set()
    for line, row in it:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        raw = {f: _cell(row, cols, f) for f in cols}
        ref = _text(raw["id"]) if "id" in cols and raw["id"] is not None else str(line - 1)
        try:
            if "id" in cols and raw["id"] is None:
                raise ValueError("the id is empty")
            if ref in seen:
                raise ValueError(f"the id {ref!r} appears twice")
            seen.add(ref)
            task = _task(raw, ref, line, mpd)
            task.custom = {k: v for k, i in extra.items() if (v := _cell(row, {k: i}, k)) is not None}
            parsed.append((task, raw))
        except (ValueError, ValidationError) as e:
            msg = e.message if isinstance(e, ValidationError) else str(e)
            problems.append(ImportProblem(line, f"task {ref!r}: {msg}", ref))
    by_wbs = {_text(raw["wbs"]): t.ref for t, raw in parsed if raw.get("wbs") is not None}
    for task, raw in parsed:
        parent = raw.get("parent")
        wbs = _text(raw["wbs"]) if raw.get("wbs") is not None else None
        if parent is not None:
            task.parent_ref = _text(parent)
            if task.parent_ref not in seen:
                problems.append(
                    ImportProblem(task.line, f"task {task.ref!r}: the parent {parent!r} is not in this file")
                )
        elif wbs and "." in wbs:
            up = wbs.rsplit(".", 1)[0]
            task.parent_ref = by_wbs.get(up)
            if task.parent_ref is None:
                problems.append(
                    ImportProblem(task.line, f"task {task.ref!r}: no row has the parent WBS {up!r}")
                )
        for token in re.split(r"[;,]", _text(raw.get("predecessors") or "")):
            if token.strip():
                try:
                    link = _parse_link(token, task.ref, seen, mpd)
                    link.line = task.line
                    spec.links.append(link)
                except ValueError as e:
                    problems.append(ImportProblem(task.line, f"task {task.ref!r}: {e}"))
    spec.tasks = outline_order([t for t, _ in parsed])
    parents, placed = {t.parent_ref for t in spec.tasks}, {t.ref for t in spec.tasks}
    for t, _ in parsed:
        t.summary = t.summary or t.ref in parents
        if t.ref not in placed and t.parent_ref in seen:
            problems.append(ImportProblem(t.line, f"task {t.ref!r}: its parents form a cycle"))
    raise_if_problems(problems, "plan")
    return spec


def _task(raw: dict[str, Any], ref: str, line: int, mpd: int) -> TaskSpec:
    name = raw.get("name")
    if name is None:
        raise ValueError("the name is empty")
    task = TaskSpec(ref=ref, name=_text(name), line=line, description=_text(raw.get("notes") or ""))
    kind = _text(raw.get("type") or "task").strip().lower()
    if kind not in _TYPES:
        raise ValueError(f"type {kind!r} is not one of: {', '.join(_TYPES)}")
    task.milestone, task.summary = kind == "milestone", kind == "summary"
    if raw.get("duration") is not None:
        task.duration, task.duration_unit = parse_duration(raw["duration"], mpd)
    for f in ("optimistic", "most_likely", "pessimistic"):
        if raw.get(f) is not None:
            value, unit = parse_duration(raw[f], mpd)
            if unit.elapsed != task.duration_unit.elapsed:
                raise ValueError(
                    f"{f.replace('_', ' ')} {raw[f]!r}: the estimates are counted as the duration is "
                    f"({'elapsed' if task.duration_unit.elapsed else 'working'} time)"
                )
            setattr(task, f, value)
    for f in ("constraint_date", "deadline", "start", "finish"):
        if raw.get(f) is not None:
            setattr(task, f, parse_datetime(raw[f]))
    if raw.get("constraint_type") is not None:
        text = _text(raw["constraint_type"]).strip().lower()
        task.constraint_type = parse_enum(
            ConstraintType, _CONSTRAINT_NAMES.get(text, text), "constraint_type"
        )
    if raw.get("percent_complete") is not None:
        try:
            task.percent_complete = float(_text(raw["percent_complete"]).rstrip("% "))
        except ValueError:
            raise ValueError(f"% complete {raw['percent_complete']!r} is not a number") from None
    if raw.get("priority") is not None:
        try:
            task.priority = int(float(_text(raw["priority"])))
        except ValueError:
            raise ValueError(f"priority {raw['priority']!r} is not a number") from None
    check_task_numbers(
        duration=task.duration,
        percent_complete=task.percent_complete,
        optimistic=task.optimistic,
        most_likely=task.most_likely,
        pessimistic=task.pessimistic,
        priority=task.priority,
    )
    check_constraint(task.constraint_type, task.constraint_date)
    check_actuals(task.actual_start, task.actual_finish)
    return task


def outline_order(tasks: list[TaskSpec]) -> list[TaskSpec]:
    """Parents before children, depth first, siblings in the given order; orphans and cycles left out."""
    children: dict[str | None, list[TaskSpec]] = {}
    for t in tasks:
        children.setdefault(t.parent_ref, []).append(t)
    out: list[TaskSpec] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(reversed(children.get(t.ref, [])))
    return out


def _decode(data: bytes, max_bytes: int) -> str:
    if len(data) > max_bytes:
        raise BadRequest(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv(
    data: bytes,
    mapping: dict[str, str] | None = None,
    *,
    name: str = "Imported plan",
    minutes_per_day: int = 480,
    max_bytes: int = MAX_BYTES,
) -> PlanSpec:
    text = _decode(data, max_bytes)
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for i, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            yield i, tuple(row)

    try:
        return _read_rows(rows(), mapping, name=name, minutes_per_day=minutes_per_day)
    except csv.Error as e:
        raise BadRequest(f"the file is not valid CSV: {e}") from None


def read_xlsx(
    data: bytes,
    mapping: dict[str, str] | None = None,
    *,
    name: str = "Imported plan",
    minutes_per_day: int = 480,
    max_bytes: int = MAX_BYTES,
) -> PlanSpec:
    """The first sheet of an .xlsx workbook (cached values of formulas; openpyxl parses with defusedxml)."""
    import openpyxl

    if len(data) > max_bytes:
        raise BadRequest(f"the file is {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_XLSX_UNPACKED:
                raise BadRequest("the workbook unpacks to more than the allowed size")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise BadRequest(f"the file is not an Excel .xlsx workbook ({e})") from None
    try:
        ws = wb.worksheets[0]
        rows = ((i, tuple(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
        return _read_rows(rows, mapping, name=name, minutes_per_day=minutes_per_day)
    finally:
        wb.close()


# ------------------------------------------------------------------------------------------- writing


def _export_rows(plan: PlanSpec, native_dates: bool) -> Iterator[list[Any]]:
    mpd = plan.minutes_per_day
    preds: dict[str, list[str]] = {}
    for link in plan.links:
        preds.setdefault(link.succ_ref, []).append(_format_link(link, mpd))
    wbs: dict[str, str] = {}
    counters: dict[str | None, int] = {}
    yield [*COLUMNS, *(f.name for f in plan.custom_fields)]
    for t in outline_order(plan.tasks):
        counters[t.parent_ref] = counters.get(t.parent_ref, 0) + 1
        up = wbs.get(t.parent_ref or "")
        wbs[t.ref] = f"{up}.{counters[t.parent_ref]}" if up else str(counters[t.parent_ref])
        kind = "summary" if t.summary else "milestone" if t.milestone else "task"

        def est(v: int | None, t: TaskSpec = t) -> str:
            return "" if v is None else format_duration(v, t.duration_unit, mpd)

        def when(v: dt.datetime | None) -> Any:
            return v if native_dates else _format_datetime(v)

        yield [
            t.ref, wbs[t.ref], t.parent_ref or "", t.name, kind, format_duration(t.duration, t.duration_unit, mpd),
            est(t.optimistic), est(t.most_likely), est(t.pessimistic), _number(t.percent_complete),
            t.constraint_type.value, when(t.constraint_date), when(t.deadline), t.priority,
            ";".join(preds.get(t.ref, [])), when(t.start), when(t.finish), t.description,
            *(_custom(f.kind, t.custom.get(f.name), native_dates) for f in plan.custom_fields),
        ]  # fmt: skip


def _custom(kind: str, value: Any, native: bool) -> Any:
    """A custom field's cell: a number and a date as themselves in a workbook, text in CSV; a flag yes/no."""
    if value is None:
        return ""
    if native and kind == "number":
        return value
    if native and kind == "date":
        return dt.date.fromisoformat(value)
    return format_value(kind, value)


def write_csv(plan: PlanSpec) -> bytes:
    """UTF-8 with a BOM (so Excel detects the encoding), comma-separated, formula-safe cells."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in _export_rows(plan, native_dates=False):
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(plan: PlanSpec) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Tasks")
    for row in _export_rows(plan, native_dates=True):
        ws.append([safe_cell(None if v == "" else v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
