"""Technology inventory, update items, project closure, lessons learned, role desks, portfolio and search."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute, delete_versioned, in_uow, patch_versioned
from charter.api.routers.interchange import _read
from charter.api.schemas import Out, Patch, refuse_bool
from charter.services import closure, desks, search, tech, tech_plans

router = APIRouter(responses=ERRORS, tags=["technology"], route_class=AmountsRoute)

Kind = Literal["software", "library", "platform", "hardware", "saas", "certificate", "domain"]


_PURL = (
    "Package URL, e.g. pkg:npm/debug@4.3.4 (pkg:TYPE/[NAMESPACE/]NAME[@VERSION]); stored in canonical form, "
    "and an SBOM import matches on it before name + version"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool(cls, v: Any, info: ValidationInfo) -> Any:
        return refuse_bool(cls, v, info)


class ComponentIn(_In):
    project_id: int | None = Field(None, description="empty: an organisation-wide component (admin only)")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "software"
    vendor: str = Field("", max_length=200)
    current_version: str = Field("", max_length=100)
    purl: str | None = Field(None, max_length=500, description=_PURL)
    licence: str = Field("", max_length=200)
    release_date: dt.date | None = None
    support_end: dt.date | None = None
    eol_date: dt.date | None = None
    owner_id: int | None = None
    systems: list[str] = Field(default_factory=list, max_length=100)
    departments: list[str] = Field(default_factory=list, max_length=100)


class ComponentPatch(_In):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Kind | None = None
    vendor: str | None = Field(None, max_length=200)
    current_version: str | None = Field(None, max_length=100)
    purl: str | None = Field(None, max_length=500, description=_PURL + "; empty or null clears it")
    licence: str | None = Field(None, max_length=200)
    release_date: dt.date | None = None
    support_end: dt.date | None = None
    eol_date: dt.date | None = None
    owner_id: int | None = None
    systems: list[str] | None = Field(None, max_length=100)
    departments: list[str] | None = Field(None, max_length=100)


class UpdateIn(_In):
    kind: Literal["new_version", "advisory", "end_of_life", "certificate"]
    title: str = Field(min_length=1, max_length=300)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    due_on: dt.date | None = None
    make_task: bool = False
    work_package_id: int | None = None


class PlanStepIn(_In):
    name: str = Field(min_length=1, max_length=200)
    days: int = Field(1, ge=0, le=365, description="working days; 0 makes the step a milestone")
    owner_id: int | None = Field(None, description="empty: the plan's owner")


class PlanIn(_In):
    version: int = Field(description="the update item's version as read")
    steps: list[PlanStepIn] | None = Field(
        None, min_length=1, max_length=12, description="empty: the template for the item's kind"
    )
    work_package_id: int | None = Field(
        None, description='empty: the project\'s "Technology updates" package'
    )
    owner_id: int | None = Field(None, description="empty: the component's owner")
    project_id: int | None = Field(
        None,
        description="an organisation-wide component: the project that carries the plan's tasks (required; "
        "its owner or an admin plans, with tech.manage there); a project's component: its own project",
    )


class UpdateStatusIn(_In):
    version: int = Field(description="the update item's version as read")
    status: Literal["done", "dismissed"]
    note: str = Field("", max_length=2000, description="why; required to dismiss")


class HandoverIn(_In):
    owner_id: int


class LessonIn(_In):
    title: str = Field(min_length=1, max_length=300)
    body: str = Field("", max_length=20_000)
    category: str = Field("", max_length=40)


class LessonPatch(Patch):
    version: int = Field(description="the lesson's version as read")
    title: str | None = Field(None, min_length=1, max_length=300)
    body: str | None = Field(None, max_length=20_000)
    category: str | None = Field(None, max_length=40)


class LessonOut(Out):
    id: int
    project_id: int
    project_key: str | None
    title: str
    body: str
    category: str
    created_by: int | None = Field(description="the author's user id (empty once the account is removed)")
    created_at: dt.datetime
    version: int


@router.get("/tech/components")
def list_components(
    actor: CurrentActor, db: DB, project_id: int | None = None, organisation: bool = False
) -> list[dict[str, Any]]:
    """A project's inventory, the organisation's own components, or (no filter) everything you can see."""
    with db.uow(readonly=True) as s:
        return tech.list_components(s, actor, project_id, organisation=organisation)


@router.post("/tech/components", status_code=201)
def create_component(body: ComponentIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    d = body.model_dump()
    pid = d.pop("project_id")
    with db.uow() as s:
        return tech.create_component(s, actor, pid, **d)


@router.get("/tech/components/{component_id}")
def get_component(component_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return tech.get_component(s, actor, component_id)


@router.patch("/tech/components/{component_id}")
def update_component(component_id: int, body: ComponentPatch, actor: CurrentActor, db: DB) -> dict[str, Any]:
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return tech.update_component(s, actor, component_id, version, **d)


@router.post("/tech/import", status_code=201)
async def import_inventory(
    actor: CurrentActor, db: DB, file: UploadFile = File(...), project_id: int | None = Query(None)
) -> dict[str, Any]:
    """A CSV inventory or a CycloneDX (JSON/XML) / SPDX (JSON/tag-value) SBOM: every component or none."""
    data = await _read(file)
    filename = file.filename or ""
    return await in_uow(db, lambda s: tech.import_file(s, actor, project_id, data, filename))


@router.post("/tech/components/{component_id}/updates", status_code=201)
def create_update(component_id: int, body: UpdateIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return tech.create_update(s, actor, component_id, **body.model_dump())


@router.get("/tech/updates/{update_id}/plan-template")
def plan_template(
    update_id: int, actor: CurrentActor, db: DB, project_id: int | None = None
) -> dict[str, Any]:
    """The built-in plan for the item's kind (assess, test in staging, deploy, verify, ...) to edit and post.
    An organisation-wide component's item lists in `projects` where the plan may go; `project_id` picks one
    (its "Technology updates" package is then shown)."""
    with db.uow(readonly=True) as s:
        return tech_plans.proposal(s, actor, update_id, project_id)


@router.get("/tech/updates/{update_id}/plan")
def get_plan(update_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The item's plan: its tasks in order with dates, progress and assignees."""
    with db.uow(readonly=True) as s:
        return tech_plans.plan(s, actor, update_id)


@router.post("/tech/updates/{update_id}/plan", status_code=201)
def create_plan(update_id: int, body: PlanIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Turn the item into linked tasks (finish-to-start) in a work package, all or nothing; 409 when the item
    is already planned or was changed since it was read."""
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return tech_plans.create_plan(s, actor, update_id, version, **d)


@router.post("/tech/updates/{update_id}/status")
def set_update_status(update_id: int, body: UpdateStatusIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Mark an update item done or dismissed by hand, with a note (journaled); 409 when it was changed since
    it was read or is already closed. Items whose plan's tasks all complete become done by themselves."""
    with db.uow() as s:
        return tech.set_update_status(s, actor, update_id, body.version, body.status, body.note)


@router.get("/tech/due")
def list_due(
    actor: CurrentActor,
    db: DB,
    days: int = Query(90, ge=0, le=3650),
    project_id: int | None = Query(None),
) -> list[dict[str, Any]]:
    """Components you can see whose end of life, expiry or end of support falls within `days`, soonest first."""
    with db.uow(readonly=True) as s:
        return tech.due_within(s, actor, days, project_id)


@router.post("/tech/due")
def run_due(
    actor: CurrentActor, db: DB, days: list[int] = Query([90, 30], max_length=5)
) -> list[dict[str, Any]]:
    """Run the scheduled due-date check now (admin): alerts owners of components nearing a date."""
    thresholds = tuple(sorted({d for d in days if 0 <= d <= 3650})) or tech.DEFAULT_THRESHOLDS
    with db.uow() as s:
        return tech.run_due_check(s, actor, thresholds)


@router.post("/projects/{project_id}/tech/handover")
def hand_over(project_id: int, body: HandoverIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return tech.hand_over(s, actor, project_id, body.owner_id)


@router.get("/projects/{project_id}/closure")
def closure_checklist(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return closure.checklist(s, actor, project_id)


@router.post("/projects/{project_id}/close")
def close_project(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Close the project; refused (409) listing every checklist item that fails."""
    with db.uow() as s:
        return closure.close_project(s, actor, project_id)


@router.get("/lessons", response_model=list[LessonOut])
def list_lessons(
    actor: CurrentActor, db: DB, q: str = Query("", max_length=200), project_id: int | None = None
) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return closure.list_lessons(s, actor, project_id, search.clean(q))


@router.post("/projects/{project_id}/lessons", status_code=201, response_model=LessonOut)
def add_lesson(project_id: int, body: LessonIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return closure.add_lesson(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/lessons/{lesson_id}", response_model=LessonOut)
def update_lesson(
    project_id: int, lesson_id: int, body: LessonPatch, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Correct a lesson's title, body or category: its author or whoever manages quality in the project
    (stale version: 409 with the lesson as it is now)."""
    return patch_versioned(db, actor, closure.update_lesson, project_id, lesson_id, body=body)


@router.delete("/projects/{project_id}/lessons/{lesson_id}", status_code=204, response_class=Response)
def delete_lesson(
    project_id: int, lesson_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Remove a lesson: its author or whoever manages quality (stale version: 409). The only lesson of a
    closed project is kept (409)."""
    delete_versioned(db, actor, closure.delete_lesson, project_id, lesson_id, version=version)


@router.get("/me/desk")
def my_desk(actor: CurrentActor, db: DB) -> dict[str, Any]:
    """For each project where you hold roles now, the sections of those roles."""
    with db.uow(readonly=True) as s:
        return desks.desk(s, actor)


@router.get("/portfolio")
def portfolio(actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return desks.portfolio(s, actor)


@router.get("/search")
def run_search(
    actor: CurrentActor, db: DB, q: str = Query("", max_length=200), kind: list[str] | None = Query(None)
) -> dict[str, Any]:
    """Full-text search across what you can see (documents included: `deliverable`, and `attachment` with its
    owner's page as `link` and the file as `download`); `total` counts only visible results; quotes and
    operators are searched as plain words."""
    with db.uow(readonly=True) as s:
        return search.search(s, actor, q, kinds=kind)
