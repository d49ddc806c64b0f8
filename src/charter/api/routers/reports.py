"""Status reports: list, create a draft, read, edit the narrative, publish, download as PDF or HTML, and
the project's RAG thresholds. Every permission is checked in the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from charter.api import schemas_reports as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.io import report_render
from charter.services import reports

router = APIRouter(responses=ERRORS, tags=["reports"], route_class=AmountsRoute)
P = "/projects/{project_id}/reports"
Obj = dict[str, Any]
PDF_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "the report as PDF"}
}
HTML_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "the report as HTML"}
}


def _name(r: Obj, ext: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{r["project_key"]}-{r["period"]}-{r["period_start"]}.{ext}"'
    }


@router.get(P, response_model=list[Obj])
def list_reports(project_id: int, actor: CurrentActor, db: DB) -> list[Obj]:
    """Newest first; drafts only for the Project Manager (and admins)."""
    with db.uow(readonly=True) as s:
        return reports.list_reports(s, actor, project_id)


@router.post(P, response_model=Obj, status_code=201)
def create_draft(project_id: int, body: S.DraftIn, actor: CurrentActor, db: DB) -> Obj:
    """A draft for the week or month containing `date`; 409 when that period already has a report."""
    with db.uow() as s:
        return reports.create_draft(s, actor, project_id, period=body.period, day=body.date)


@router.get(P + "/thresholds", response_model=Obj)
def get_thresholds(project_id: int, actor: CurrentActor, db: DB) -> Obj:
    """The RAG thresholds: defaults, this project's overrides and the effective values."""
    with db.uow(readonly=True) as s:
        return reports.get_thresholds(s, actor, project_id)


@router.put(P + "/thresholds", response_model=Obj)
def set_thresholds(project_id: int, body: S.ThresholdsIn, actor: CurrentActor, db: DB) -> Obj:
    with db.uow() as s:
        return reports.set_thresholds(s, actor, project_id, body.version, body.overrides)


@router.get(P + "/{report_id}", response_model=Obj)
def get_report(project_id: int, report_id: int, actor: CurrentActor, db: DB) -> Obj:
    """A published report's frozen figures, or a draft's live ones; each area's colour with its rule."""
    with db.uow(readonly=True) as s:
        return reports.get_report(s, actor, project_id, report_id)


@router.patch(P + "/{report_id}", response_model=Obj)
def update_narrative(
    project_id: int, report_id: int, body: S.NarrativePatch, actor: CurrentActor, db: DB
) -> Obj:
    with db.uow() as s:
        return reports.update_narrative(s, actor, project_id, report_id, body.version, body.narrative)


@router.post(P + "/{report_id}/publish", response_model=Obj)
def publish(project_id: int, report_id: int, body: S.PublishIn, actor: CurrentActor, db: DB) -> Obj:
    """Freeze the figures and send the report to the communication plan's audience."""
    with db.uow() as s:
        return reports.publish(s, actor, project_id, report_id, body.version)


@router.get(P + "/{report_id}/pdf", response_class=Response, responses=PDF_FILE)
def download_pdf(project_id: int, report_id: int, actor: CurrentActor, db: DB) -> Response:
    with db.uow(readonly=True) as s:
        r = reports.get_report(s, actor, project_id, report_id)
    return Response(report_render.to_pdf(r), media_type="application/pdf", headers=_name(r, "pdf"))


@router.get(P + "/{report_id}/html", response_class=Response, responses=HTML_FILE)
def download_html(project_id: int, report_id: int, actor: CurrentActor, db: DB) -> Response:
    with db.uow(readonly=True) as s:
        r = reports.get_report(s, actor, project_id, report_id)
    return Response(report_render.to_html(r), media_type="text/html; charset=utf-8", headers=_name(r, "html"))
