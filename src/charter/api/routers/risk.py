"""The risk register and the Monte Carlo simulation. Every permission is checked in the services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from charter.api import schemas_risk as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.services import risk, simulation

router = APIRouter(responses=ERRORS, tags=["risk"], route_class=AmountsRoute)
P = "/projects/{project_id}"
Obj = dict[str, Any]


@router.get(P + "/risks", response_model=list[Obj])
def list_risks(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    status: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    owner_id: int | None = None,
    work_package_id: int | None = None,
    probability: int | None = Query(None, description="a heat map cell: probability level"),
    impact: int | None = Query(None, description="a heat map cell: the largest impact level"),
    open_only: bool = False,
) -> list[Obj]:
    """The register, highest score (probability x largest impact) first."""
    with db.uow(readonly=True) as s:
        return risk.list_risks(s, actor, project_id, status=status, kind=kind, category=category,
                               owner_id=owner_id, work_package_id=work_package_id, probability=probability,
                               impact=impact, open_only=open_only)  # fmt: skip


@router.post(P + "/risks", response_model=Obj, status_code=201)
def create_risk(project_id: int, body: S.RiskIn, actor: CurrentActor, db: DB) -> Obj:
    """Any member who may raise risks; the owner defaults to the raiser."""
    with db.uow() as s:
        return risk.create_risk(s, actor, project_id, **body.model_dump(exclude_none=True))


@router.get(P + "/risks/{risk_id}", response_model=Obj)
def get_risk(project_id: int, risk_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The risk with its response actions (tasks), discussion and rating history."""
    with db.uow(readonly=True) as s:
        return risk.get_risk(s, actor, project_id, risk_id)


@router.patch(P + "/risks/{risk_id}", response_model=Obj)
def update_risk(project_id: int, risk_id: int, body: S.RiskPatch, actor: CurrentActor, db: DB) -> Obj:
    """The owner or the PM; every rating change is kept in the history."""
    d = body.model_dump(exclude_unset=True)
    version = d.pop("version")
    with db.uow() as s:
        return risk.update_risk(s, actor, project_id, risk_id, version, **d)


@router.post(P + "/risks/{risk_id}/status", response_model=Obj)
def set_status(project_id: int, risk_id: int, body: S.StatusIn, actor: CurrentActor, db: DB) -> Obj:
    """identified -> assessed -> responding -> closed, or occurred (it became an issue; `open_conflict` also
    logs it in the conflict log)."""
    with db.uow() as s:
        return risk.set_status(s, actor, project_id, risk_id, body.version, body.status,
                               occurred_on=body.occurred_on, note=body.note,
                               open_conflict=body.open_conflict)  # fmt: skip


@router.get(P + "/risks/{risk_id}/comments", response_model=list[Obj])
def list_comments(project_id: int, risk_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return risk.comments(s, actor, project_id, risk_id)


@router.post(P + "/risks/{risk_id}/comments", response_model=Obj, status_code=201)
def add_comment(project_id: int, risk_id: int, body: S.CommentIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return risk.add_comment(s, actor, project_id, risk_id, body.body)


@router.post(P + "/risks/{risk_id}/actions", response_model=Obj, status_code=201)
def add_action(project_id: int, risk_id: int, body: S.ActionIn, actor: CurrentActor, db: DB) -> Obj:
    """A response action: an existing task, or a new task in the schedule."""
    with db.uow() as s:
        return risk.add_action(s, actor, project_id, risk_id, **body.model_dump(exclude_none=True))


@router.get(P + "/risks/{risk_id}/ratings", response_model=list[Obj])
def rating_history(project_id: int, risk_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow(readonly=True) as s:
        return risk.ratings(s, actor, project_id, risk_id)


@router.get(P + "/risk-scales", response_model=Obj)
def get_scales(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    with db.uow(readonly=True) as s:
        return risk.get_scales(s, actor, project_id)


@router.put(P + "/risk-scales", response_model=Obj)
def set_scales(project_id: int, body: S.ScalesIn, actor: CurrentActor, db: DB) -> Obj:
    """Define some or all levels: labels, and ranges for probability (0-1), schedule (working days), cost."""
    with db.uow() as s:
        return risk.set_scales(s, actor, project_id, [x.model_dump() for x in body.levels])


@router.get(P + "/risk-overview", response_model=Obj)
def overview(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The heat map (cells with their risks), top threats and opportunities, open risks per work package."""
    with db.uow(readonly=True) as s:
        return risk.overview(s, actor, project_id)


@router.get(P + "/risk-burndown", response_model=list[Obj])
def burndown(project_id: int, actor: CurrentActor, db: DB, weeks: int = Query(26, ge=1, le=260)) -> list[Obj]:
    """Total exposure of open threats (and opportunities) per week, from the rating history."""
    with db.uow(readonly=True) as s:
        return risk.burndown(s, actor, project_id, weeks)


@router.get(P + "/simulations", response_model=list[Obj])
def list_runs(project_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    with db.uow() as s:
        return simulation.list_runs(s, actor, project_id)


@router.post(P + "/simulations", response_model=Obj, status_code=201)
def create_run(project_id: int, body: S.SimulationIn, actor: CurrentActor, db: DB) -> Obj:
    """Run a Monte Carlo simulation. Small runs finish in the request (status done); large ones are
    queued and run in the background: poll GET .../simulations/{run_id} for progress."""
    params = body.params()
    iterations, seed = params.pop("iterations"), params.pop("seed", None)
    with db.uow() as s:
        run = simulation.create_run(s, actor, project_id, iterations=iterations, seed=seed, **params)
    simulation.launch(db, run["id"], background=not run["inline"])
    with db.uow() as s:
        return simulation.get_run(s, actor, project_id, run["id"])


@router.get(P + "/simulations/{run_id}", response_model=Obj)
def get_run(project_id: int, run_id: int, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return simulation.get_run(s, actor, project_id, run_id)


@router.post(P + "/simulations/{run_id}/cancel", response_model=Obj)
def cancel_run(project_id: int, run_id: int, actor: CurrentActor, db: DB) -> Obj:
    """Cancel a queued or running run: a queued one at once, a running one at its next batch of iterations
    (poll until its status is ``cancelled``; no partial result is kept). 409 for a finished run."""
    with db.uow() as s:
        return simulation.cancel_run(s, actor, project_id, run_id)
