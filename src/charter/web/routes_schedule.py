"""The schedule pages: the Gantt chart (and its JSON), the task table with inline edits, a task's own page
(built by web.task_page), links and baselines (its assignments: routes_assignments). Every change goes
through services.tasks / services.scheduling."""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from charter import etag
from charter.domain import recurrence
from charter.domain.errors import BadRequest, CharterError, Conflict, PermissionDenied, ValidationError
from charter.services import (
    gantt_rows,
    interchange,
    plan_export,
    projects,
    recurring,
    scheduling,
    tasks,
)
from charter.services.context import now
from charter.web.app import render, templates
from charter.web.forms import DB, Checked, FormData, Session, opt_int, req_int, uploaded_file
from charter.web.session import check_csrf
from charter.web.task_page import dtl, render_task_page
from charter.web.task_table import edit_map, failed_page, table_page

router = APIRouter()

NOSCRIPT_ROWS = 200
WHEN_FIELDS = ("constraint_date", "deadline", "actual_start", "actual_finish")
TEXT_FIELDS = ("name", "description", "duration", "constraint_type", "status")
ESTIMATES = ("optimistic", "most_likely", "pessimistic")
PROGRESS = ("percent_complete", "actual_start", "actual_finish", "status")
SLIM_TASK = (
    "id", "wbs_code", "name", "work_package_id", "milestone", "duration", "duration_minutes", "duration_unit",
    "start", "finish",
    "total_float_days", "free_float_days", "float_unit", "critical", "percent_complete", "constraint_type", "constraint_date",
    "violation", "version",
)  # fmt: skip
SLIM_SUMMARY = ("id", "wbs_code", "name", "parent_id", "start", "finish", "percent_complete", "critical")


# --------------------------------------------------------------------------------------------- helpers


def _wall(value: Any) -> str:
    """A schedule instant (project wall-clock, no zone) as text; also one stored as ISO text (simulation
    results)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, date) else ""


def _json_default(o: Any) -> str:
    if isinstance(o, datetime | date):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def to_json(data: Any) -> str:
    return to_json_bytes(data).decode()


def to_json_bytes(data: Any) -> bytes:
    """Compact JSON; datetimes and dates in ISO form (a native encoder: the Gantt data of 10,000 tasks is
    about 1.5 MB, and the standard library's encoder spent more time on it than building it did)."""
    return orjson.dumps(data, default=_json_default)


def gantt_payload(
    sched: dict[str, Any], edit: dict[int | None, bool], *, full: bool = False
) -> dict[str, Any]:
    """What the Gantt needs: get_schedule's result, tasks trimmed to the drawn fields unless `full`."""
    if full:
        task_rows = [dict(t) for t in sched["tasks"]]
    else:
        task_rows = [{k: t[k] for k in SLIM_TASK} for t in sched["tasks"]]
        for row, t in zip(task_rows, sched["tasks"], strict=True):
            b = t.get("baseline")
            row["baseline"] = {"start": b["start"], "finish": b["finish"]} if b else None
    for row in task_rows:
        row["editable"] = edit.get(row["work_package_id"], False)
    summaries = sched["summaries"] if full else [{k: w[k] for k in SLIM_SUMMARY} for w in sched["summaries"]]
    links = sched["links"] if full else [
        {k: lk[k] for k in ("id", "pred_id", "succ_id", "type", "lag_text")} for lk in sched["links"]
    ]  # fmt: skip
    return {
        **{k: v for k, v in sched.items() if k not in ("tasks", "summaries", "links")},
        "tasks": task_rows,
        "summaries": summaries,
        "links": links,
        "today": now().replace(tzinfo=None),
    }


def _gantt_data(
    s: Any, actor: Any, project_id: int, baseline: int | None, *, warm: bool = False, encoded: bool = False
) -> dict[str, Any]:
    """gantt_payload's result (not `full`) read straight from the stored rows: the drawn fields only.
    `warm`: in a read-only transaction, fill the plan cache from those rows (see gantt_schedule).
    `encoded`: the tasks as encoded JSON fragments (for a response body; the same bytes as the dicts')."""
    slim = scheduling.gantt_schedule(s, actor, project_id, baseline=baseline, warm_cache=warm)
    cached = slim.pop("_rows")
    edit = edit_map(s, actor, project_id, slim)
    if encoded and cached is not None:
        slim["tasks"] = gantt_rows.task_fragments(cached, edit)
    else:  # the task dicts may be shared with other requests (gantt_rows): copies with the flag
        slim["tasks"] = [
            {**row, "editable": edit.get(row["work_package_id"], False)} for row in slim["tasks"]
        ]
    # to the minute (the chart's scale is days), so that the same plan gives the same body and ETag within it
    return {**slim, "today": now().replace(tzinfo=None, second=0, microsecond=0)}


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(to_json_bytes(data), status_code=status, media_type="application/json")


def _error_json(exc: CharterError) -> Response:
    body: dict[str, Any] = {"error": exc.code, "message": exc.message, "field": exc.field}
    if isinstance(exc, PermissionDenied):
        body["message"] = "You may not edit this task."
    if isinstance(exc, Conflict) and exc.current:
        body["current"] = {k: exc.current.get(k) for k in SLIM_TASK if k in exc.current}
    return _json_response(body, exc.http_status)


def _resolve(sched: dict[str, Any], ref: str, field: str) -> int:
    """A task named by its WBS code (as shown in the tables) or by '#id'."""
    ref = ref.strip()
    if not ref:
        raise ValidationError("name a task by its WBS code", field=field)
    for t in sched["tasks"]:
        if t["wbs_code"] == ref or f"#{t['id']}" == ref:
            return int(t["id"])
    raise ValidationError(f"no task with WBS code {ref!r}", field=field)


templates.env.filters["wall"] = _wall
templates.env.filters["dtl"] = dtl  # a datetime as a datetime-local input's value


def _back(url: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


# --------------------------------------------------------------------------------------------- Gantt


@router.get("/projects/{project_id}/gantt", response_class=HTMLResponse)
def gantt_page(
    request: Request, project_id: int, db: DB, info: Session, baseline: int | None = None
) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        sched = _gantt_data(s, info.actor, project_id, baseline, warm=True)
        baselines = scheduling.list_baselines(s, info.actor, project_id)
    data = to_json(sched)
    safe = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return render(
        request,
        "schedule_gantt.html",
        {
            "project": project,
            "sched": sched,
            "rows": sched["tasks"][:NOSCRIPT_ROWS],
            "more_rows": max(0, len(sched["tasks"]) - NOSCRIPT_ROWS),
            "baselines": baselines,
            "baseline": baseline,
            "gantt_json": Markup(safe),  # noqa: S704 (JSON with <, >, & escaped, in a data block)
        },
    )


@router.get("/projects/{project_id}/gantt.json")
def gantt_json(
    request: Request, project_id: int, db: DB, info: Session, baseline: int | None = None, full: bool = False
) -> Response:
    """The chart's data with an ETag (a digest of the body): 304 when If-None-Match names the same body."""
    with db.uow(readonly=True) as s:
        if full:
            sched = scheduling.get_schedule(s, info.actor, project_id, baseline=baseline)
            edit = edit_map(s, info.actor, project_id, sched)
            data = gantt_payload(sched, edit, full=True)
        else:
            data = _gantt_data(s, info.actor, project_id, baseline, warm=True, encoded=True)
    return etag.json_response(to_json_bytes(data), request.headers.get("if-none-match"))


@router.post("/projects/{project_id}/gantt/tasks/{task_id}")
async def gantt_move(request: Request, project_id: int, task_id: int, db: DB, info: Session) -> Response:
    """A drag on the chart: {"version", "start"} moves the task (a start-no-earlier-than constraint at the
    dropped start, as MS Project does), {"version", "duration"} changes its duration. With "revision" (the
    plan revision the chart holds) the answer is what moved since (see _gantt_delta); without it, the rows
    of the tasks this edit moved. A Server-Timing header tells where the server's time went. CSRF: the
    session token in the X-CSRF-Token header."""
    if not check_csrf(request, request.headers.get("x-csrf-token"), info):
        return _error_json(PermissionDenied("the page has expired; reload it and try again"))
    try:
        body = await request.json()
    except ValueError:
        return _error_json(BadRequest("the body must be JSON"))
    if not isinstance(body, dict):
        return _error_json(BadRequest("the body must be a JSON object"))
    baseline = request.query_params.get("baseline")
    return await run_in_threadpool(_gantt_change, db, info, project_id, task_id, body, baseline)


PARTIAL_LIMIT = 2000


def _gantt_change(
    db: DB, info: Any, project_id: int, task_id: int, body: dict[str, Any], baseline: str | None
) -> Response:
    clock0 = time.perf_counter()
    spans: dict[str, float] = {}
    try:
        version = body.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValidationError("the task's version is required", field="version")
        changes: dict[str, Any] = {}
        if body.get("start"):
            changes["constraint_type"] = "snet"
            changes["constraint_date"] = tasks.parse_when(body["start"], "start")
        if body.get("duration") is not None:
            changes["duration"] = str(body["duration"])
        if not changes:
            raise ValidationError("nothing to change: send a start or a duration", field="start")
        since = body.get("revision")
        if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
            raise ValidationError("the plan revision must be a whole number", field="revision")
        base = int(baseline) if baseline and baseline.isdecimal() else None
        with db.uow() as s:
            tasks.update_task(s, info.actor, project_id, task_id, version, **changes)
            spans["update"] = time.perf_counter()
            moved = {task_id, *s.info.get("charter.changed_tasks", [])}
            if since is not None:
                payload = _gantt_delta(s, info.actor, project_id, task_id, moved, since, base)
            elif len(moved) <= PARTIAL_LIMIT:  # a page that sends no revision: the tasks that moved, in full
                sched = scheduling.get_schedule(s, info.actor, project_id, baseline=base, only=moved)
                wps = {t["work_package_id"] for t in sched["tasks"]}
                edit = edit_map(s, info.actor, project_id, {"summaries": [{"id": w} for w in wps if w]})
                payload = gantt_payload({**sched, "summaries": [], "links": []}, edit)
                payload["partial"] = True
            else:
                sched = scheduling.get_schedule(s, info.actor, project_id, baseline=base)
                payload = gantt_payload(sched, edit_map(s, info.actor, project_id, sched))
            spans["read"] = time.perf_counter()
        spans["commit"] = time.perf_counter()
    except CharterError as exc:
        return _error_json(exc)
    response = _json_response({**payload, "changed_task_id": task_id})
    spans["json"] = time.perf_counter()
    response.headers["Server-Timing"] = _server_timing(clock0, spans)
    return response


def _gantt_delta(
    s: Any, actor: Any, project_id: int, task_id: int, moved: set[int], since: int, base: int | None
) -> dict[str, Any]:
    """The answer to a drag from a chart that holds the schedule of plan revision `since`. When this edit is
    the only change since then, the edited task's row and the computed fields of the tasks that moved
    (column-wise: a drag early in a chain moves thousands); otherwise (someone else changed the plan
    meanwhile, or the revision is unknown) the whole chart, as /gantt.json gives it, marked "refreshed"."""
    bumps = s.info.get("charter.plan_bumps", 0)  # changed_tasks names what the last recompute moved
    if bumps > 1 or scheduling.plan_revision(s, actor, project_id) != since + bumps:
        return {**_gantt_data(s, actor, project_id, base), "refreshed": True}
    row = scheduling.get_schedule(s, actor, project_id, baseline=base, only={task_id})
    wp = row["tasks"][0]["work_package_id"] if row["tasks"] else None
    edit = edit_map(s, actor, project_id, {"summaries": [{"id": wp}] if wp else []})
    return {
        **{k: row[k] for k in ("finish", "plan_revision", "computed_at")},
        "tasks": gantt_payload({**row, "summaries": [], "links": []}, edit)["tasks"],
        "changes": scheduling.computed_changes(s, actor, project_id, moved - {task_id}),
        "delta": True,
    }


def _server_timing(clock0: float, spans: dict[str, float]) -> str:
    """A Server-Timing header (milliseconds) of the consecutive spans ending at the given clock readings."""
    parts, last = [], clock0
    for name, at in spans.items():
        parts.append(f"{name};dur={(at - last) * 1000:.1f}")
        last = at
    return ", ".join([*parts, f"total;dur={(last - clock0) * 1000:.1f}"])


@router.get("/projects/{project_id}/schedule", response_class=HTMLResponse)
def schedule_table(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return table_page(request, db, info, project_id)


@router.post("/projects/{project_id}/schedule/rows/{task_id}", response_class=HTMLResponse)
def quick_edit(
    request: Request, project_id: int, task_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """The inline edit of one table row (name, duration, % complete); with htmx only the row is swapped."""
    htmx = request.headers.get("hx-request") == "true"
    error = None
    try:
        changes: dict[str, Any] = {k: form[k] for k in ("name", "duration") if k in form}
        if "percent_complete" in form:
            changes["percent_complete"] = tasks.parse_percent(form["percent_complete"])
        with db.uow() as s:
            task = tasks.update_task(s, info.actor, project_id, task_id, req_int(form, "version"), **changes)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        message = exc.message
        if isinstance(exc, Conflict) and exc.current:
            message += f" (saved now: {exc.current.get('name')}, {exc.current.get('duration')})"
        error = {"form": f"row-{task_id}", "message": message, "field": exc.field}
        if not htmx:
            values = {**form, "_form": f"row-{task_id}"}
            return table_page(
                request, db, info, project_id, error=error, values=values, status=exc.http_status
            )
        with db.uow(readonly=True) as s:
            task = tasks.get_task(s, info.actor, project_id, task_id)
    if not htmx:
        return _back(f"/projects/{project_id}/schedule", f"row-{task_id}")
    baseline = int(form["baseline"]) if (form.get("baseline") or "").isdecimal() else None
    if baseline is not None:  # the table compares with a baseline: the row keeps its variance cell
        with db.uow(readonly=True) as s:
            task = scheduling.get_schedule(s, info.actor, project_id, baseline=baseline, only={task_id})[
                "tasks"
            ][0]
    return render(
        request,
        "schedule_row.html",
        {"t": task, "project": {"id": project_id}, "editable": True, "error": error, "baseline": baseline,
         "custom_cols": list(task["custom_fields"]) if form.get("cols") == "custom" else [],
         "values": {**form, "_form": f"row-{task_id}"} if error else {}},
        422 if error else 200,
    )  # fmt: skip


@router.post("/projects/{project_id}/tasks", response_class=HTMLResponse)
def add_task(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            preds = [p for p in (form.get("predecessors") or "").replace(";", ",").split(",") if p.strip()]
            sched = scheduling.get_schedule(s, info.actor, project_id) if preds else None
            pred_ids = [_resolve(sched, p, "predecessors") for p in preds] if sched else []
            t = tasks.create_task(
                s,
                info.actor,
                project_id,
                name=form.get("name", ""),
                work_package_id=opt_int(form, "work_package_id"),
                duration=(form.get("duration") or "").strip() or "1d",
                milestone=form.get("milestone") == "on",
                **({"custom_fields": custom} if (custom := _custom_values(form)) else {}),
            )
            for pid in pred_ids:
                tasks.create_link(s, info.actor, project_id, pred_id=pid, succ_id=t["id"])
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "add", exc, form)
    return _back(f"/projects/{project_id}/schedule", f"row-{t['id']}")


@router.post("/projects/{project_id}/recurring-tasks", response_class=HTMLResponse)
def add_recurring_task(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """The schedule table's *Add a recurring task* form (services/recurring.py): the weekdays are checkboxes
    `weekday-mon` ... `weekday-sun` (or a `weekdays` text, "mon, thu")."""
    days = [d for d in recurrence.WEEKDAYS if form.get(f"weekday-{d}")] or form.get("weekdays") or None
    try:
        with db.uow() as s:
            made = recurring.create_recurring_task(
                s, info.actor, project_id, name=form.get("name", ""),
                work_package_id=opt_int(form, "work_package_id"), duration=(form.get("duration") or "").strip(),
                pattern=form.get("pattern"), every=form.get("every"), start=form.get("start"),
                end=form.get("end"), occurrences=form.get("occurrences"), weekdays=days,
                day_of_month=form.get("day_of_month"), week_of_month=form.get("week_of_month"),
                time=form.get("time"), non_working=form.get("non_working"),
            )  # fmt: skip
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "recurring", exc, form)
    return _back(f"/projects/{project_id}/schedule", f"row-{made['tasks'][0]['id']}")


def _custom_values(form: dict[str, str]) -> dict[str, str]:
    """The custom fields a task form sent ("cf:NAME" inputs), by name."""
    return {k[3:]: v for k, v in form.items() if k.startswith("cf:")}


@router.post("/projects/{project_id}/links", response_class=HTMLResponse)
def add_link(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    back_task = opt_int(form, "back_task")
    try:
        with db.uow() as s:
            sched = scheduling.get_schedule(s, info.actor, project_id)
            tasks.create_link(
                s,
                info.actor,
                project_id,
                pred_id=_resolve(sched, form.get("pred", ""), "pred_id"),
                succ_id=_resolve(sched, form.get("succ", ""), "succ_id"),
                type=form.get("type") or "FS",
                lag=(form.get("lag") or "0").strip() or "0",
            )
    except CharterError as exc:
        if exc.http_status == 404 and exc.field is None:
            raise
        err = {"form": "link", "message": exc.message, "field": exc.field}
        values = {**form, "_form": "link"}
        if back_task:
            return render_task_page(request, db, info, project_id, back_task, error=err, values=values,
                              status=exc.http_status)  # fmt: skip
        return table_page(request, db, info, project_id, error=err, values=values, status=exc.http_status)
    if back_task:
        return _back(f"/projects/{project_id}/tasks/{back_task}", "links")
    return _back(f"/projects/{project_id}/schedule", "add-link")


@router.post("/projects/{project_id}/links/{link_id}", response_class=HTMLResponse)
def edit_link(
    request: Request, project_id: int, link_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """A link's type and lag changed in place (MS Project's Task Dependency dialog), from the task page."""
    back_task = req_int(form, "back_task")
    name = f"link-{link_id}"
    try:
        version = req_int(form, "version")
        with db.uow() as s:
            tasks.update_link(s, info.actor, project_id, link_id, version, type=form.get("type") or None,
                              lag=(form.get("lag") or "").strip() or "0")  # fmt: skip
    except CharterError as exc:
        if exc.http_status == 404 and exc.field is None:
            raise
        if exc.http_status == 404:  # the link is gone: no row to show the error beside
            name = "link"
        err = {"form": name, "message": exc.message, "field": exc.field}
        return render_task_page(request, db, info, project_id, back_task, error=err, values={**form, "_form": name},
                          status=exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/tasks/{back_task}", "links")


@router.post("/projects/{project_id}/links/{link_id}/delete", response_class=HTMLResponse)
def remove_link(
    request: Request, project_id: int, link_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    back_task = req_int(form, "back_task")
    try:
        with db.uow() as s:
            tasks.delete_link(s, info.actor, project_id, link_id, req_int(form, "version"))
    except CharterError as exc:
        if exc.http_status == 404 and exc.field is None:
            raise
        err = {"form": "link", "message": exc.message, "field": exc.field}
        return render_task_page(request, db, info, project_id, back_task, error=err, status=exc.http_status)
    return _back(f"/projects/{project_id}/tasks/{back_task}", "links")


@router.post("/projects/{project_id}/baselines", response_class=HTMLResponse)
def save_baseline(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        number = req_int(form, "number")
        with db.uow() as s:
            scheduling.save_baseline(s, info.actor, project_id, number=number, name=form.get("name", ""))
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "baseline", exc, form)
    return _back(f"/projects/{project_id}/schedule?baseline={number}", "baselines")


@router.post("/projects/{project_id}/baselines/{number}/delete", response_class=HTMLResponse)
def remove_baseline(
    request: Request, project_id: int, number: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Clear a saved baseline (MS Project's Clear Baseline); the journal keeps what it held."""
    try:
        with db.uow() as s:
            scheduling.delete_baseline(s, info.actor, project_id, number)
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "baseline-delete", exc, form)
    return _back(f"/projects/{project_id}/schedule", "baselines")


@router.post("/projects/{project_id}/schedule/status-date", response_class=HTMLResponse)
def set_status_date(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """Set the status date (remaining work is scheduled from it, completed work stays where it happened), or
    clear it (`clear`)."""
    try:
        when = None
        if not form.get("clear"):
            when = tasks.parse_when(form.get("status_date") or "", "status_date")
            if when is None:
                raise ValidationError("give the status date, or clear it", field="status_date")
        with db.uow() as s:
            scheduling.set_status_date(s, info.actor, project_id, when, req_int(form, "version"))
    except CharterError as exc:
        return failed_page(request, db, info, project_id, "status-date", exc, form)
    return _back(f"/projects/{project_id}/schedule", "status-date")


@router.get("/projects/{project_id}/export")
def export_plan(request: Request, project_id: int, db: DB, info: Session, format: str = "mspdi") -> Response:
    """The plan as a file to download: MS Project XML, CSV, Excel, or its milestones as iCalendar (what the
    API's export and `charter export` give)."""
    with db.uow(readonly=True) as s:
        data, media, filename = plan_export.export_file(s, info.actor, project_id, format)
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


@router.post("/projects/{project_id}/import", response_class=HTMLResponse)
async def import_plan(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """A plan file appended to this project: MS Project XML, CSV, Excel, or (with charter[mpxj] and Java)
    .mpp, .xer, .pmxml, .mpx and the other formats MPXJ reads. All rows or none."""
    try:
        data, source = await uploaded_file(request, "a plan file")
        fmt = interchange.guess_format(source, form.get("format") or None)
        plan = await run_in_threadpool(interchange.read_plan, data, fmt)

        def write() -> dict[str, Any]:  # in a worker thread: the transaction never holds up the event loop
            with db.uow() as s:
                return interchange.import_plan(s, info.actor, plan, project_id=project_id, source=source)

        result = await run_in_threadpool(write)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field is None:
            raise
        problems = (exc.details or {}).get("problems") or []
        err = {"form": "import", "message": exc.message.split("\n")[0], "field": exc.field or "file",
               "problems": problems}  # fmt: skip
        status = exc.http_status
        return await run_in_threadpool(
            lambda: table_page(request, db, info, project_id, error=err, values={**form, "_form": "import"},
                               status=status)
        )  # fmt: skip
    # the table with what the import did (as `charter import` prints it): reloading the page asks the browser
    # to send the file again, which appends the rows once more, as the form says
    return await run_in_threadpool(
        lambda: table_page(request, db, info, project_id, imported={**result, "source": source})
    )


# --------------------------------------------------------------------------------------------- task page


@router.get("/projects/{project_id}/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, project_id: int, task_id: int, db: DB, info: Session) -> HTMLResponse:
    return render_task_page(request, db, info, project_id, task_id)


def _task_changes(form: dict[str, str]) -> dict[str, Any]:
    """The fields present in the form, parsed (the progress form carries only the progress fields)."""
    changes: dict[str, Any] = {}
    for k in TEXT_FIELDS:
        if k in form:
            changes[k] = form[k]
    if "name" in form:
        changes["milestone"] = form.get("milestone") == "on"
        wp = opt_int(form, "work_package_id")
        changes["work_package_id"] = wp
        if "calendar_id" in form:
            changes["calendar_id"] = opt_int(form, "calendar_id")
        changes["priority"] = req_int(form, "priority") if "priority" in form else 500
        for k in ESTIMATES:
            changes[k] = (form.get(k) or "").strip() or None
    if "percent_complete" in form:
        changes["percent_complete"] = tasks.parse_percent(form["percent_complete"])
    if (form.get("remaining_duration") or "").strip():  # empty: not stated (the duration and % complete rule)
        changes["remaining_duration"] = form["remaining_duration"].strip()
    for k in WHEN_FIELDS:
        if k in form:
            changes[k] = tasks.parse_when(form[k].strip(), k)
    values = _custom_values(form)
    if values and "name" in form:
        changes["custom_fields"] = values
    return changes


@router.post("/projects/{project_id}/tasks/{task_id}", response_class=HTMLResponse)
def edit_task(
    request: Request, project_id: int, task_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    form_name = "task" if "name" in form else "progress"
    try:
        changes = _task_changes(form)
        with db.uow() as s:  # a status chosen without touching the progress means what a board move means
            tasks.patch_task(s, info.actor, project_id, task_id, req_int(form, "version"), **changes)
    except Conflict as exc:
        current = exc.current or {}
        changed = []
        for k in (
            *TEXT_FIELDS,
            *ESTIMATES,
            "percent_complete",
            "remaining_duration",
            "priority",
            *WHEN_FIELDS,
        ):
            if k not in form:
                continue
            now_v = current.get(k)
            shown = dtl(now_v) if isinstance(now_v, datetime) else ("" if now_v is None else str(now_v))
            if shown != (form.get(k) or "").strip():
                changed.append((k, shown))
        return render_task_page(request, db, info, project_id, task_id, status=409,
                          error={"form": form_name, "message": exc.message, "field": exc.field},
                          values={**form, "_form": form_name}, conflict=changed)  # fmt: skip
    except CharterError as exc:
        if exc.http_status == 404 and exc.field is None:
            raise
        return render_task_page(request, db, info, project_id, task_id, status=exc.http_status,
                          error={"form": form_name, "message": exc.message, "field": exc.field},
                          values={**form, "_form": form_name})  # fmt: skip
    return _back(f"/projects/{project_id}/tasks/{task_id}")


@router.post("/projects/{project_id}/tasks/{task_id}/delete", response_class=HTMLResponse)
def remove_task(
    request: Request, project_id: int, task_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            tasks.delete_task(s, info.actor, project_id, task_id, req_int(form, "version"))
    except CharterError as exc:
        if exc.http_status == 404 and exc.field is None:
            raise
        return render_task_page(request, db, info, project_id, task_id, status=exc.http_status,
                          error={"form": "delete", "message": exc.message, "field": exc.field})  # fmt: skip
    return _back(f"/projects/{project_id}/schedule")
