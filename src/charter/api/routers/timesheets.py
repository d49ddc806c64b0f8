"""Timesheets: log hours, submit a week, approve or reject, lock a period, actual work per task."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from charter.api import schemas_time as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import time_entries, timesheets

router = APIRouter(responses=ERRORS, tags=["timesheets"], route_class=AmountsRoute)

Week = Query(None, max_length=10, description="ISO week, e.g. 2030-W02 (default: this week)")


@router.get("/me/timesheet", response_model=S.WeekOut)
def my_week(actor: CurrentActor, db: DB, week: str | None = Week) -> dict[str, Any]:
    """Your hours of a week, task x day, with totals (assigned tasks without hours are empty rows)."""
    with db.uow(readonly=True) as s:
        return timesheets.my_week(s, actor, week)


@router.post("/me/timesheet/submit", response_model=S.SubmitOut)
def submit_week(actor: CurrentActor, db: DB, week: str | None = Week) -> dict[str, Any]:
    """Submit your draft hours of a week for approval (all of them, or none when one is locked)."""
    with db.uow() as s:
        return timesheets.submit_week(s, actor, week)


@router.get("/me/approvals", response_model=list[S.ApprovalOut])
def my_approvals(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    """Submitted hours waiting for your approval, across your projects."""
    with db.uow(readonly=True) as s:
        return timesheets.approvals_for(s, actor)


@router.post("/projects/{project_id}/timesheet", response_model=S.EntryOut, status_code=201)
def log_entry(project_id: int, body: S.EntryCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Log your hours on a task for a day. You must be assigned to the task (or edit its work package); the
    day lies within the task's dates, not in the future nor in a locked period; a day holds at most 24 h."""
    with db.uow() as s:
        return timesheets.log_entry(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/timesheet/{entry_id}", response_model=S.EntryOut)
def update_entry(
    project_id: int, entry_id: int, body: S.EntryUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return timesheets.update_entry(s, actor, project_id, entry_id, version, **d)


@router.delete("/projects/{project_id}/timesheet/{entry_id}", status_code=204, response_class=Response)
def delete_entry(
    project_id: int, entry_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    with db.uow() as s:
        timesheets.delete_entry(s, actor, project_id, entry_id, version)
    return Response(status_code=204)


@router.post("/projects/{project_id}/timesheet/{entry_id}/approve", response_model=S.EntryOut)
def approve(project_id: int, entry_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Approve submitted hours: the Task Leader of the task's work package (or an ancestor's) or the PM."""
    with db.uow() as s:
        return timesheets.approve_entry(s, actor, entry_id, project_id)


@router.post("/projects/{project_id}/timesheet/{entry_id}/reject", response_model=S.EntryOut)
def reject(project_id: int, entry_id: int, body: S.RejectIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return timesheets.reject_entry(s, actor, entry_id, body.reason, project_id)


@router.put("/projects/{project_id}/timesheet-lock", response_model=S.LockOut)
def set_lock(project_id: int, body: S.LockIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Lock the project's timesheets up to a day (Project Manager only); raising or lowering is journaled."""
    with db.uow() as s:
        return timesheets.set_lock(s, actor, project_id, body.until)


@router.get("/projects/{project_id}/actuals", response_model=S.ActualsOut)
def actuals(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Actual work per task (approved hours) and a % complete suggestion (actual / planned, at most 99 %
    until the task is complete)."""
    with db.uow(readonly=True) as s:
        return timesheets.actuals(s, actor, project_id)


Status = Literal["draft", "submitted", "approved", "rejected"]


def _filters(
    date_from: dt.date | None = Query(None, description="first day (inclusive)"),
    date_to: dt.date | None = Query(None, description="last day (inclusive); not before date_from"),
    user_id: int | None = Query(None, description="only this person's hours"),
    work_package_id: int | None = Query(
        None, description="only tasks of this work package or its sub-packages"
    ),
    task_id: int | None = Query(None, description="only this task"),
    status: Status | None = Query(None),
) -> dict[str, Any]:
    return {"date_from": date_from, "date_to": date_to, "user_id": user_id, "work_package_id": work_package_id,
            "task_id": task_id, "status": status}  # fmt: skip


Filters = Annotated[dict[str, Any], Depends(_filters)]


@router.get("/projects/{project_id}/time-entries", response_model=S.ProjectTimeOut)
def project_time(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    filters: Filters,
    limit: int = Query(200, ge=1, le=time_entries.MAX_LIMIT),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """The project's logged hours, oldest day first, with totals per person, work package and status over
    every matching entry. The PM, the Sponsor and project-wide approvers see every entry; a Task Leader the
    entries of the packages they lead and their own; a worker their own; other members 403."""
    with db.uow(readonly=True) as s:
        return time_entries.project_entries(s, actor, project_id, limit=limit, offset=offset, **filters)


@router.get(
    "/projects/{project_id}/time-entries.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "every matching entry as CSV (UTF-8, BOM)"}},
)
def project_time_csv(project_id: int, actor: CurrentActor, db: DB, filters: Filters) -> Response:
    """The same entries as a CSV file (every page); cells a spreadsheet would run as formulas are neutralised."""
    with db.uow(readonly=True) as s:
        data = time_entries.export(s, actor, project_id, "csv", **filters)
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="time-{project_id}.csv"'})  # fmt: skip
