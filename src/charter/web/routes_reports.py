"""Status report pages: the project's reports (with the PM's "new draft" form), a report's page (overall
colour, the RAG table with each rule, milestones, critical path, risks, concerns, change requests, earned
value and chart), the narrative form, publishing, and PDF/HTML downloads. Views read services only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError, ValidationError
from charter.io import report_render
from charter.services import projects, reports
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session

router = APIRouter()
P = "/projects/{project_id}/reports"


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _refusal(exc: CharterError) -> bool:
    return exc.http_status in (401, 403, 404) and exc.field in (None, "project", "report_id")


def _int(v: str | None, field: str) -> int:
    try:
        return int((v or "").strip())
    except ValueError:
        raise ValidationError("must be a whole number", field=field) from None


def _list_page(request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
               values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        rows = reports.list_reports(s, info.actor, project_id)
        may = reports.may_publish(s, info.actor, project_id)
        th = reports.get_thresholds(s, info.actor, project_id)
    return render(request, "reports.html", {"project": project, "rows": rows, "may_publish": may, "error": error,
                                            "th": th,
                                            "values": values or {}}, status)  # fmt: skip


def _report_page(request: Request, db: Any, info: Any, project_id: int, report_id: int,
                 error: dict[str, Any] | None = None, values: dict[str, str] | None = None,
                 status: int = 200) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        r = reports.get_report(s, info.actor, project_id, report_id)
        may = reports.may_publish(s, info.actor, project_id)
    return render(request, "report.html", {"project": project, "r": r, "may_publish": may, "error": error,
                                           "values": values or {}, "chart": report_render.chart_svg(r.get("trend") or [])},
                  status)  # fmt: skip


@router.get(P, response_class=HTMLResponse)
def list_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _list_page(request, db, info, project_id)


@router.post(P, response_class=HTMLResponse)
def create(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        raw = (form.get("date") or "").strip()
        try:
            day = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise ValidationError("must be a date (YYYY-MM-DD)", field="date") from None
        with db.uow() as s:
            r = reports.create_draft(s, info.actor, project_id, period=form.get("period", ""), day=day)
    except CharterError as exc:
        if _refusal(exc):
            raise
        err = {"form": "new", "message": exc.message, "field": exc.field}
        return _list_page(request, db, info, project_id, err, {**form, "_form": "new"}, exc.http_status)
    return _back(f"/projects/{project_id}/reports/{r['id']}")


@router.post(P + "/thresholds", response_class=HTMLResponse)
def thresholds(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """The project's RAG thresholds: an empty field or the default value keeps the default."""
    try:
        version = _int(form.get("version"), "version")
        with db.uow() as s:
            defaults = reports.get_thresholds(s, info.actor, project_id)["defaults"]
            overrides: dict[str, Any] = {}
            for name, default in defaults.items():
                raw = (form.get(name) or "").strip()
                if not raw:
                    continue
                try:
                    value = float(raw) if isinstance(default, float) else int(raw)
                except ValueError:
                    raise ValidationError("must be a number", field=name) from None
                if value != default:
                    overrides[name] = value
            reports.set_thresholds(s, info.actor, project_id, version, overrides)
    except CharterError as exc:
        if _refusal(exc):
            raise
        err = {"form": "thresholds", "message": exc.message, "field": exc.field}
        return _list_page(
            request, db, info, project_id, err, {**form, "_form": "thresholds"}, exc.http_status
        )
    return _back(f"/projects/{project_id}/reports#thresholds-h")


@router.get(P + "/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, project_id: int, report_id: int, db: DB, info: Session) -> HTMLResponse:
    return _report_page(request, db, info, project_id, report_id)


def _post(request: Request, db: Any, info: Any, project_id: int, report_id: int, name: str,
          form: dict[str, str], fn: Any) -> Response:  # fmt: skip
    try:
        version = _int(form.get("version"), "version")
        with db.uow() as s:
            fn(s, version)
    except CharterError as exc:
        if _refusal(exc):
            raise
        err = {"form": name, "message": exc.message, "field": exc.field}
        return _report_page(request, db, info, project_id, report_id, err, {**form, "_form": name},
                            exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/reports/{report_id}")


@router.post(P + "/{report_id}/narrative", response_class=HTMLResponse)
def narrative(
    request: Request, project_id: int, report_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _post(request, db, info, project_id, report_id, "narrative", form,
                 lambda s, v: reports.update_narrative(s, info.actor, project_id, report_id, v,
                                                       form.get("narrative", "")))  # fmt: skip


@router.post(P + "/{report_id}/publish", response_class=HTMLResponse)
def publish(
    request: Request, project_id: int, report_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _post(request, db, info, project_id, report_id, "publish", form,
                 lambda s, v: reports.publish(s, info.actor, project_id, report_id, v))  # fmt: skip


@router.get(P + "/{report_id}/pdf")
def pdf(project_id: int, report_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        r = reports.get_report(s, info.actor, project_id, report_id)
    name = f"{r['project_key']}-{r['period']}-{r['period_start']}.pdf"
    return Response(report_render.to_pdf(r), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get(P + "/{report_id}/html")
def html(project_id: int, report_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        r = reports.get_report(s, info.actor, project_id, report_id)
    name = f"{r['project_key']}-{r['period']}-{r['period_start']}.html"
    return Response(report_render.to_html(r), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
