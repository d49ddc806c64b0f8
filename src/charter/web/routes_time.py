"""A person's "my work" page (assigned tasks, this week's timesheet grid), the approvals page and a project's
time (its logged hours, filtered, with totals and a CSV). Every change goes through services.timesheets; a
failed save re-renders the page with the input kept."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError, ValidationError
from charter.domain.roles import Perm
from charter.services import projects, time_entries, timesheets, work_packages
from charter.services.authz import can_in_packages
from charter.services.context import now
from charter.web.app import render
from charter.web.forms import (
    DB,
    Checked,
    FormData,
    Session,
    errors_of,
    opt_date,
    opt_int,
    req_int,
    unknown_action,
)

router = APIRouter()


def cell_name(task_id: int, day: dt.date | str) -> str:
    return f"h-{task_id}-{day if isinstance(day, str) else day.isoformat()}"


def _work_page(
    request: Request,
    db: DB,
    info: Any,
    week: str | None,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    submitted: int | None = None,
) -> HTMLResponse:
    actor = info.actor
    try:
        monday = timesheets.parse_week(week)
    except ValidationError:
        monday = timesheets.parse_week(None)
    with db.uow(readonly=True) as s:
        grid = timesheets.my_week(s, actor, timesheets.week_label(monday))
        assigned = timesheets.assigned_tasks(s, actor)
        locks = {r["project_id"]: timesheets.lock_date(s, r["project_id"]) for r in grid["rows"]}
    today = now().date()
    for r in grid["rows"]:
        lock = locks.get(r["project_id"])
        r["cells"] = []
        for d in grid["days"]:
            e = r["entries"].get(d.isoformat())
            frozen = (
                (e is not None and e["status"] == "approved") or (lock is not None and d <= lock) or d > today
            )
            r["cells"].append({
                "day": d, "name": cell_name(r["task_id"], d), "entry": e, "frozen": frozen,
                "value": timesheets.fmt_hours(e["minutes"]) if e else "",
            })  # fmt: skip
    ctx = {
        "title": "My work",
        "tasks": assigned,
        "grid": grid,
        "fmt_hours": timesheets.fmt_hours,
        "error": error,
        "values": values or {},
        "today": today,
        "submitted": submitted,
        "rejected": sum(1 for r in grid["rows"] for e in r["entries"].values() if e["status"] == "rejected"),
    }
    return render(request, "my_work.html", ctx, status)


@router.get("/me/work", response_class=HTMLResponse)
def my_work(
    request: Request, db: DB, info: Session, week: str | None = None, submitted: int | None = None
) -> HTMLResponse:
    return _work_page(
        request,
        db,
        info,
        week,
        submitted=submitted if submitted is not None and submitted >= 0 else None,
    )


def _save_cell(s: Any, actor: Any, row: dict[str, Any], day: str, text: str, form: dict[str, str]) -> None:
    e = row["entries"].get(day)
    if e is None:
        if text:
            timesheets.log_entry(
                s,
                actor,
                row["project_id"],
                task_id=row["task_id"],
                day=dt.date.fromisoformat(day),
                hours=text,
            )
        return
    if e["status"] == "approved":
        return
    version = int(form.get(f"v-{e['id']}") or e["version"])
    if not text:
        timesheets.delete_entry(s, actor, row["project_id"], e["id"], version)
    elif timesheets.parse_hours(text) != e["minutes"]:
        timesheets.update_entry(s, actor, row["project_id"], e["id"], version, hours=text)


class GridRefused(Exception):
    """Cells of the grid that were refused: [(input name, "task on day", the refusal)], in grid order."""

    def __init__(self, refusals: list[tuple[str, str, CharterError]]) -> None:
        super().__init__(f"{len(refusals)} cells refused")
        self.refusals = refusals


def _save_grid(s: Any, actor: Any, form: dict[str, str]) -> str:
    """Log, change or clear the grid's cells in the caller's transaction. Every cell is tried, so that all the
    refused ones are named at once (GridRefused, which the caller lets roll the whole save back); the services
    check a cell before they write it, so a refused cell leaves nothing behind for the next ones to count.
    Returns the week's label."""
    grid = timesheets.my_week(s, actor, form.get("week"))
    refusals: list[tuple[str, str, CharterError]] = []
    for row in grid["rows"]:
        for d in grid["days"]:
            key = cell_name(row["task_id"], d)
            if key not in form:
                continue
            try:
                _save_cell(s, actor, row, d.isoformat(), form[key].strip(), form)
            except CharterError as exc:
                refusals.append((key, f"{row['task_name']} on {d.isoformat()}", exc))
    if refusals:
        raise GridRefused(refusals)
    return str(grid["week"])


def _grid_refused(
    request: Request, db: DB, info: Any, form: dict[str, str], refused: GridRefused
) -> HTMLResponse:
    """The page again with every refused cell listed (task and day) and marked, all typed values kept."""
    cells = {key: f"{place}: {exc.message}" for key, place, exc in refused.refusals}
    first = refused.refusals[0]
    n = len(cells)
    message = cells[first[0]] if n == 1 else f"Nothing was saved: {n} cells need a change."
    error = {"form": "week", "message": message, "field": first[0], "named": True,
             "cells": cells if n > 1 else {}, "invalid": set(cells)}  # fmt: skip
    return _work_page(request, db, info, form.get("week"), error=error, values=form,
                      status=first[2].http_status)  # fmt: skip


@router.post("/me/work/timesheet", response_class=HTMLResponse)
def save_week(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    """Save the whole grid in one transaction: new cells are logged, changed ones updated, cleared ones
    deleted. Any refusal saves nothing; every refused cell is named by its task and day."""
    try:
        with db.uow() as s:
            week = _save_grid(s, info.actor, form)
    except GridRefused as refused:
        return _grid_refused(request, db, info, form, refused)
    return RedirectResponse("/me/work?" + urlencode({"week": week}), status_code=303)


@router.post("/me/work/submit", response_class=HTMLResponse)
def submit_week(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    """Save the grid's cells, when the form carries them, and submit the week's drafts, in one transaction:
    hours typed and then *Submit week* pressed were lost, the grid being another form. The page then says
    how many entries went for approval and how many rejected ones wait for a change."""
    week = form.get("week")
    try:
        with db.uow() as s:
            _save_grid(s, info.actor, form)
            result = timesheets.submit_week(s, info.actor, week)
    except GridRefused as refused:
        return _grid_refused(request, db, info, form, refused)
    except CharterError as exc:
        error = {"form": "submit", "message": exc.message, "field": exc.field}
        return _work_page(request, db, info, week, error=error, values=form, status=exc.http_status)
    query = {"week": result["week"], "submitted": str(result["submitted"])}
    return RedirectResponse("/me/work?" + urlencode(query), status_code=303)


# --------------------------------------------------------------------------------------------- approvals


def _approvals_page(
    request: Request,
    db: DB,
    info: Any,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    from charter.services import approvals

    with db.uow(readonly=True) as s:
        waiting = approvals.waiting_for(s, info.actor)
    ctx = {"title": "Approvals", "items": waiting["timesheets"], "waiting": waiting,
           "fmt_hours": timesheets.fmt_hours, "error": error, "values": values or {}}  # fmt: skip
    return render(request, "approvals.html", ctx, status)


@router.get("/me/approvals", response_class=HTMLResponse)
def approvals(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _approvals_page(request, db, info)


DECISIONS = frozenset({"approve", "reject"})  # the `{decision}` of POST /me/approvals/{entry_id}/{decision}


@router.post("/me/approvals/{entry_id}/{decision}", response_class=HTMLResponse)
def decide(request: Request, entry_id: int, decision: str, form: FormData, db: DB, info: Checked) -> Response:
    if decision not in DECISIONS:
        raise unknown_action(decision)
    try:
        project_id = req_int(form, "project_id")
        with db.uow() as s:
            if decision == "approve":
                timesheets.approve_entry(s, info.actor, entry_id, project_id)
            else:
                timesheets.reject_entry(s, info.actor, entry_id, form.get("reason", ""), project_id)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        error = {"form": f"e{entry_id}", "message": exc.message, "field": exc.field, "entry_id": entry_id}
        return _approvals_page(request, db, info, error=error, values={**form, "_form": f"e{entry_id}"},
                               status=exc.http_status)  # fmt: skip
    return RedirectResponse("/me/approvals", status_code=303)


# --------------------------------------------------------------------------------------------- a project's time

PAGE_SIZE = 200
TIME_FILTERS = ("date_from", "date_to", "user_id", "work_package_id", "status")


def _time_filters(q: dict[str, str]) -> dict[str, Any]:
    """The filter form's values (GET) as service arguments; a malformed one names its field."""
    status = (q.get("status") or "").strip() or None
    return {"date_from": opt_date(q, "date_from"), "date_to": opt_date(q, "date_to"),
            "user_id": opt_int(q, "user_id"), "work_package_id": opt_int(q, "work_package_id"),
            "status": status}  # fmt: skip


@router.get("/projects/{project_id}/time", response_class=HTMLResponse)
def project_time(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    """The project's logged hours for those who run it: a filter form (GET, keeps its values), the entries,
    totals per person, work package and status, and the same entries as CSV; for the PM, the timesheet lock."""
    return _time_page(request, db, info, project_id)


def _time_page(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    *,
    lock_error: dict[str, Any] | None = None,
    lock_values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    q = dict(request.query_params) if request.method == "GET" else {}
    values = {k: (q.get(k) or "").strip() for k in TIME_FILTERS}
    offset = int(q["offset"]) if (q.get("offset") or "").strip().isdecimal() else 0
    error: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        choices = time_entries.filter_choices(s, info.actor, project_id)
        caps = projects.capabilities(s, info.actor, project_id)
        may_lock = "timesheet.approve" in caps
        locked_until = timesheets.lock_date(s, project_id)
        # planned against actual work per task (the tasks with hours), for those who plan or approve the work
        # (a Task Leader: the tasks of the packages they lead)
        actuals = None
        leads: dict[int | None, bool] = {}
        if not ("task.edit" in caps or may_lock):
            wp_ids = [w["id"] for w in work_packages.list_work_packages(s, info.actor, project_id)]
            leads = can_in_packages(s, info.actor, project_id, Perm.TASK_EDIT, wp_ids)
        if "task.edit" in caps or may_lock or any(leads.values()):
            actuals = [t for t in timesheets.actuals(s, info.actor, project_id)["tasks"]
                       if (t["actual_minutes"] or t["submitted_minutes"])
                       and (not leads or leads.get(t["work_package_id"]))]  # fmt: skip
        try:
            filters = _time_filters(q)
            data = time_entries.project_entries(
                s, info.actor, project_id, limit=PAGE_SIZE, offset=offset, **filters
            )
        except ValidationError as exc:
            error, status = errors_of(exc, "time-filters"), exc.http_status
    query = urlencode({k: v for k, v in values.items() if v})
    ctx = {
        "title": f"{project['key']} · Time", "project": project, "choices": choices, "data": data,
        "values": values, "error": error, "query": query, "fmt_hours": timesheets.fmt_hours,
        "page_size": PAGE_SIZE, "offset": offset, "may_lock": may_lock, "locked_until": locked_until,
        "lock_error": lock_error, "lock_values": {**(lock_values or {}), "_form": "lock"}, "actuals": actuals,
        "actuals_in_packages": bool(leads),
    }  # fmt: skip
    return render(request, "project_time.html", ctx, status)


@router.post("/projects/{project_id}/time/lock", response_class=HTMLResponse)
def lock_time(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """Close a period: lock the project's timesheets up to and including `until` (or lift the lock with
    `unlock`), as PUT /api/v1/projects/{id}/timesheet-lock and `charter timesheet lock` do; Project Manager only."""
    try:
        until = None if form.get("unlock") else opt_date(form, "until")
        if until is None and not form.get("unlock"):
            raise ValidationError("give the day to lock the timesheets up to, or unlock them", field="until")
        with db.uow() as s:
            timesheets.set_lock(s, info.actor, project_id, until)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        return _time_page(request, db, info, project_id, lock_error=errors_of(exc, "lock"), lock_values=form,
                          status=exc.http_status)  # fmt: skip
    return RedirectResponse(f"/projects/{project_id}/time#time-lock", status_code=303)


@router.get("/projects/{project_id}/time.csv")
def project_time_csv(request: Request, project_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        data = time_entries.export(
            s, info.actor, project_id, "csv", **_time_filters(dict(request.query_params))
        )
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="time-{project_id}.csv"'})  # fmt: skip
