from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Response

from charter.api import schemas_team as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import assignments, levelling, resources, workload

router = APIRouter(responses=ERRORS, tags=["team"], route_class=AmountsRoute)


@router.get("/resources", response_model=list[S.ResourceOut])
def list_resources(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return resources.list_resources(s, actor)


@router.post("/resources", response_model=S.ResourceOut, status_code=201)
def create_resource(body: S.ResourceCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return resources.create_resource(s, actor, **body.model_dump())


@router.get("/resources/{resource_id}", response_model=S.ResourceOut)
def get_resource(resource_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return resources.get_resource(s, actor, resource_id)


@router.patch("/resources/{resource_id}", response_model=S.ResourceOut)
def update_resource(resource_id: int, body: S.ResourceUpdate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return resources.update_resource(s, actor, resource_id, version, **d)


@router.post("/resources/{resource_id}/exceptions", response_model=S.ResourceOut, status_code=201)
def add_exception(
    resource_id: int, body: S.ResourceExceptionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """A vacation or other day off (or an extra working day); with `until`, one for every day up to it (all of
    them or none)."""
    with db.uow() as s:
        return resources.add_exception(s, actor, resource_id, **body.model_dump())


@router.delete("/resources/{resource_id}/exceptions/{exception_id}", response_model=S.ResourceOut)
def remove_exception(resource_id: int, exception_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Take back a day off (or an extra working day): the person themselves or an admin."""
    with db.uow() as s:
        return resources.remove_exception(s, actor, resource_id, exception_id)


@router.post("/resources/{resource_id}/rates", response_model=S.ResourceOut, status_code=201)
def add_rate(resource_id: int, body: S.RateIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return resources.add_rate(s, actor, resource_id, **body.model_dump())


@router.get("/projects/{project_id}/tasks/{task_id}/assignments", response_model=list[S.AssignmentOut])
def list_assignments(project_id: int, task_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    from charter.services import tasks

    with db.uow(readonly=True) as s:
        out: list[dict[str, Any]] = tasks.get_task(s, actor, project_id, task_id)["assignees"]
        return out


@router.post(
    "/projects/{project_id}/tasks/{task_id}/assignments",
    response_model=list[S.AssignmentOut],
    status_code=201,
)
def add_assignment(
    project_id: int, task_id: int, body: S.AssignmentIn, actor: CurrentActor, db: DB
) -> list[dict[str, Any]]:
    """Assign a resource with units (1.0 = full time); duration, work and units follow the task type."""
    with db.uow() as s:
        return assignments.add_assignment(s, actor, project_id, task_id, **body.model_dump())


@router.patch(
    "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}", response_model=list[S.AssignmentOut]
)
def update_assignment(
    project_id: int, task_id: int, assignment_id: int, body: S.AssignmentUpdate, actor: CurrentActor, db: DB
) -> list[dict[str, Any]]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return assignments.update_assignment(s, actor, project_id, task_id, assignment_id, version, **d)


@router.delete(
    "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}",
    status_code=204,
    response_class=Response,
)
def remove_assignment(
    project_id: int, task_id: int, assignment_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> Response:
    """Take the resource off the task: the assignment at `version` (stale: 409 with it as it is now, nothing
    removed); the task follows its type, as adding does in reverse."""
    with db.uow() as s:
        assignments.remove_assignment(s, actor, project_id, task_id, assignment_id, version)
    return Response(status_code=204)


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    first = start or dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    return first, end or first + dt.timedelta(days=27)


@router.get("/workload", response_model=S.WorkloadOut, response_model_by_alias=True)
def get_workload(
    actor: CurrentActor,
    db: DB,
    start: dt.date | None = Query(None, alias="from", description="default: Monday of this week"),
    end: dt.date | None = Query(None, alias="to", description="default: four weeks on"),
    resource_id: list[int] | None = Query(None),
    project_id: int | None = Query(None, description="only the people assigned in this project"),
) -> dict[str, Any]:
    """Planned load per person and day against capacity, across every project; over-allocations with the tasks
    that cause them (tasks of projects you cannot see are counted, not named)."""
    a, b = _period(start, end)
    with db.uow(readonly=True) as s:
        return workload.workload(s, actor, start=a, end=b, resource_ids=resource_id, project_id=project_id)


@router.get("/projects/{project_id}/levelling", response_model=list[S.LevelRunOut])
def list_runs(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return levelling.list_runs(s, actor, project_id)


@router.post("/projects/{project_id}/levelling", response_model=S.LevelRunOut, status_code=201)
def preview(project_id: int, body: S.LevelIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Level the project (heuristic, or CP-SAT with a time limit) and return a preview: nothing moves yet."""
    with db.uow() as s:
        return levelling.preview(s, actor, project_id, **body.model_dump())


@router.post("/projects/{project_id}/levelling/{run_id}/accept", response_model=S.LevelRunOut)
def accept(project_id: int, run_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return levelling.accept(s, actor, project_id, run_id)


@router.post("/projects/{project_id}/levelling/{run_id}/undo", response_model=S.LevelRunOut)
def undo(project_id: int, run_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return levelling.undo(s, actor, project_id, run_id)
