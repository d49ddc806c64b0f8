from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Query, Response
from pydantic import TypeAdapter

from charter import etag
from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.services import calendars, custom_fields, recurring, scheduling, tasks, views
from charter.services.authz import project_for

router = APIRouter(responses=ERRORS, tags=["schedule"])
_TASK_LIST = TypeAdapter(list[S.TaskOut])


def _task_fields(body: S.TaskFields, *, exclude_unset: bool) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=exclude_unset, exclude_none=not exclude_unset)
    for k in ("actual_start", "actual_finish", "constraint_date", "deadline"):
        if d.get(k) is not None:
            d[k] = tasks.parse_when(d[k], k)
    return d


@router.get("/projects/{project_id}/schedule", response_model=S.ScheduleOut)
def get_schedule(
    project_id: int, actor: CurrentActor, db: DB, baseline: int | None = Query(None, ge=0, le=10)
) -> dict[str, Any]:
    """Tasks with computed dates, floats and criticality; work packages rolled up; links; variances against a
    baseline when one is named."""
    with db.uow(readonly=True) as s:
        return scheduling.get_schedule(s, actor, project_id, baseline=baseline)


@router.post("/projects/{project_id}/schedule/recompute", response_model=S.RecomputeOut)
def recompute(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    from charter.domain.roles import Perm

    with db.uow() as s:
        project_for(s, actor, project_id, Perm.TASK_EDIT)
        return scheduling.plan_changed(s, project_id)


@router.put("/projects/{project_id}/schedule/status-date", response_model=S.StatusDateOut)
def set_status_date(project_id: int, body: S.StatusDateIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Set (or with null clear) the status date: completed work stays where it happened, remaining work is
    scheduled from it. `version`: the schedule's `settings_version`; a stale one is a 409 with the current."""
    with db.uow() as s:
        when = tasks.parse_when(body.status_date, "status_date")
        return scheduling.set_status_date(s, actor, project_id, when, body.version)


@router.get("/projects/{project_id}/tasks", response_model=list[S.TaskOut])
def list_tasks(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    sort: str = Query(
        "wbs",
        max_length=120,
        description="wbs, name, start, finish, total_float, free_float, duration, priority, percent_complete or "
        "field:NAME (a custom field: choices in their listed order); prefix - for descending",
    ),
    critical: bool | None = Query(None),
    work_package_id: int | None = Query(None),
    q: str | None = Query(None, max_length=200, description="words in the name"),
    field: list[str] = Query(
        [],
        max_length=20,
        description="a custom field's value, \"Name=value\" (repeat for several): a text field's value contains "
        'it, other kinds equal it; "Name=" matches the tasks without one',
    ),
    view: int | None = Query(
        None,
        description="a saved view's id (GET …/views): its filters and sort; the other parameters given "
        "here are applied over them",
    ),
    limit: int = Query(1000, ge=1, le=20000),
    offset: int = Query(0, ge=0),
    if_none_match: str | None = Header(None, include_in_schema=False),
) -> Response:
    """The project's tasks with computed dates and floats, filtered, sorted and paged in the database. Carries
    an ETag (a digest of the body); 304 Not Modified when If-None-Match names the same body."""
    given: dict[str, Any] = {"sort": sort, "critical": critical, "work_package_id": work_package_id, "q": q,
                             "custom": custom_fields.parse_pairs(field) or None}  # fmt: skip
    with db.uow(readonly=True) as s:
        if view is not None:
            given = views.over_view(s, actor, project_id, view, given)
        rows = scheduling.list_tasks(s, actor, project_id, **given, limit=limit, offset=offset)
    return etag.json_response(
        _TASK_LIST.dump_json(_TASK_LIST.validate_python(rows), by_alias=True), if_none_match
    )


@router.post("/projects/{project_id}/tasks", response_model=S.TaskOut, status_code=201)
def create_task(project_id: int, body: S.TaskCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    fields = _task_fields(body, exclude_unset=False)
    name = fields.pop("name")
    with db.uow() as s:
        return tasks.create_task(s, actor, project_id, name=name, **fields)


@router.post("/projects/{project_id}/recurring-tasks", response_model=S.RecurringTaskOut, status_code=201)
def create_recurring_task(
    project_id: int, body: S.RecurringTaskIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """A recurring task, as MS Project's: a work package named after it holding one task per occurrence, each
    starting no earlier than its day (SNET). An occurrence on a non-working day of the project's calendar moves
    to the next working day (`moved`) or is skipped (`skipped`); at most 200 occurrences. All or nothing."""
    with db.uow() as s:
        return recurring.create_recurring_task(s, actor, project_id, **body.model_dump())


@router.get("/projects/{project_id}/tasks/{task_id}", response_model=S.TaskOut)
def get_task(project_id: int, task_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return tasks.get_task(s, actor, project_id, task_id)


@router.patch("/projects/{project_id}/tasks/{task_id}", response_model=S.TaskOut)
def update_task(
    project_id: int, task_id: int, body: S.TaskUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Change a task; the schedule recomputes in the same transaction (a stale version is 409). A `status`
    sent without `percent_complete`, `actual_start` or `actual_finish` means what moving the task's card to
    that column means (see the move operation: `completed` also sets 100 % and the actuals it lacks); sending
    any of them sets the fields as given."""
    fields = _task_fields(body, exclude_unset=True)
    version = fields.pop("version")
    with db.uow() as s:
        return tasks.patch_task(s, actor, project_id, task_id, version, **fields)


@router.post("/projects/{project_id}/tasks/{task_id}/move", response_model=S.TaskOut)
def move_task(project_id: int, task_id: int, body: S.TaskMove, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Set the task's status as a card moved on its work package's board does, with what the status means for
    progress (as MS Project marks a task started or 100 % complete): `in_progress` records the actual start
    (the scheduled start) if there is none; `completed` sets 100 % and the actual start and finish it lacks
    (the scheduled dates); `on_hold` keeps the progress; `not_started` is refused (409) once progress or an
    actual start is recorded, and a completed task does not move back (409: lower its percent complete with
    PATCH to reopen it). Moving to the status it has changes nothing. Who may record the task's progress may
    move it (its package's Task Leader, a worker assigned to it). A stale version is 409 with the task as it
    is now."""
    with db.uow() as s:
        return tasks.move_task(s, actor, project_id, task_id, body.version, body.status)


@router.delete("/projects/{project_id}/tasks/{task_id}", status_code=204, response_class=Response)
def delete_task(
    project_id: int, task_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    with db.uow() as s:
        tasks.delete_task(s, actor, project_id, task_id, version)
    return Response(status_code=204)


@router.put("/projects/{project_id}/tasks/{task_id}/assignees", response_model=S.TaskOut)
def set_assignees(
    project_id: int, task_id: int, body: S.AssigneesIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return tasks.set_assignees(s, actor, project_id, task_id, body.user_ids)


@router.post("/projects/{project_id}/links", response_model=S.LinkOut, status_code=201)
def create_link(project_id: int, body: S.LinkCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Link two tasks; a link that would make a cycle is refused with the cycle named."""
    with db.uow() as s:
        return tasks.create_link(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/links/{link_id}", response_model=S.LinkOut)
def update_link(
    project_id: int, link_id: int, body: S.LinkUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return tasks.update_link(s, actor, project_id, link_id, version, **d)


@router.delete("/projects/{project_id}/links/{link_id}", status_code=204, response_class=Response)
def delete_link(
    project_id: int, link_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    with db.uow() as s:
        tasks.delete_link(s, actor, project_id, link_id, version)
    return Response(status_code=204)


@router.get("/projects/{project_id}/custom-fields", response_model=list[S.CustomFieldOut])
def list_custom_fields(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    archived: bool = Query(False, description="the archived fields too, after those in use"),
) -> list[dict[str, Any]]:
    """The fields the project records on its tasks, in their order. A task's values are in its
    `custom_fields`, by field name."""
    with db.uow(readonly=True) as s:
        return custom_fields.list_fields(s, actor, project_id, archived=archived)


@router.post("/projects/{project_id}/custom-fields", response_model=S.CustomFieldOut, status_code=201)
def create_custom_field(
    project_id: int, body: S.CustomFieldIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Add a field (project.edit): text, number, date, choice (with its choices) or flag. 409 when a field in
    use has the name."""
    with db.uow() as s:
        return custom_fields.create_field(s, actor, project_id, **body.model_dump())


@router.get("/projects/{project_id}/custom-fields/{field_id}", response_model=S.CustomFieldOut)
def get_custom_field(project_id: int, field_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return custom_fields.get_field(s, actor, project_id, field_id)


@router.patch("/projects/{project_id}/custom-fields/{field_id}", response_model=S.CustomFieldOut)
def update_custom_field(
    project_id: int, field_id: int, body: S.CustomFieldUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Rename, reorder, change the choices (a choice tasks still hold cannot go: 409), archive or restore.
    The kind never changes."""
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return custom_fields.update_field(s, actor, project_id, field_id, version, **d)


@router.get("/projects/{project_id}/calendars", response_model=list[S.CalendarOut])
def list_calendars(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return calendars.list_calendars(s, actor, project_id)


@router.post("/projects/{project_id}/calendars", response_model=S.CalendarOut, status_code=201)
def create_calendar(project_id: int, body: S.CalendarCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return calendars.create_calendar(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/calendars/{calendar_id}", response_model=S.CalendarOut)
def update_calendar(
    project_id: int, calendar_id: int, body: S.CalendarUpdate, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        out = calendars.update_calendar(s, actor, project_id, calendar_id, version, **d)
        return out


@router.post(
    "/projects/{project_id}/calendars/{calendar_id}/exceptions", response_model=S.CalendarOut, status_code=201
)
def add_exception(
    project_id: int, calendar_id: int, body: S.CalendarExceptionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        out = calendars.add_exception(s, actor, project_id, calendar_id, **body.model_dump())
        return out


@router.delete(
    "/projects/{project_id}/calendars/{calendar_id}/exceptions/{exception_id}", response_model=S.CalendarOut
)
def remove_exception(
    project_id: int, calendar_id: int, exception_id: int, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        out = calendars.remove_exception(s, actor, project_id, calendar_id, exception_id)
        return out


@router.get("/projects/{project_id}/baselines", response_model=list[S.BaselineOut])
def list_baselines(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return scheduling.list_baselines(s, actor, project_id)


@router.post("/projects/{project_id}/baselines", response_model=S.BaselineOut, status_code=201)
def save_baseline(project_id: int, body: S.BaselineIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Save the current schedule as baseline 0..10 (replacing what that number held)."""
    with db.uow() as s:
        return scheduling.save_baseline(s, actor, project_id, number=body.number, name=body.name)


@router.delete("/projects/{project_id}/baselines/{number}", status_code=204, response_class=Response)
def delete_baseline(project_id: int, number: int, actor: CurrentActor, db: DB) -> Response:
    with db.uow() as s:
        scheduling.delete_baseline(s, actor, project_id, number)
    return Response(status_code=204)
