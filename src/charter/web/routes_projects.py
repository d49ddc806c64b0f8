"""The project list and a project's home: charter, roles and holders, RACI with gaps, role history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from charter.domain.errors import CharterError, Conflict
from charter.domain.roles import Perm
from charter.services import accounts, interchange, org, projects, roles, time_entries, work_packages
from charter.services import project_journal as journal_view
from charter.services.authz import can_in_packages
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_date, opt_int, req_int, uploaded_file
from charter.web.task_table import table_page

router = APIRouter()


def home_context(db: DB, info: Any, project_id: int) -> dict[str, Any]:
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        caps = projects.capabilities(s, actor, project_id)
        ctx: dict[str, Any] = {
            "project": project,
            "caps": caps,
            "sees_time": time_entries.may_list(s, actor, project_id),
            **roles.overview(s, actor, project_id),
            "wps": work_packages.list_work_packages(s, actor, project_id),
        }
        # per package: may the actor edit it (the PM any, a Task Leader their own and what is below it)
        ctx["wp_edit"] = can_in_packages(s, actor, project_id, Perm.WBS_EDIT, [w["id"] for w in ctx["wps"]])
        if "roles.manage" in caps:
            ctx["users"] = accounts.list_users(s, actor)
            ctx["departments"] = org.list_departments(s, actor)
            ctx["all_perms"] = [p.value for p in Perm]
    cells = {(c["area"], c["role_id"]): c for c in ctx["raci"]["cells"]}
    ctx["cell"] = cells
    ctx["gap_areas"] = {g["area"] for g in ctx["raci"]["gaps"]}
    return ctx


def render_home(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ctx = home_context(db, info, project_id)
    ctx.update(error=error, values=values or {}, **extra)
    return render(request, "project.html", ctx, status)


def form_failed(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    form_name: str,
    exc: CharterError,
    form: dict[str, str],
    **extra: Any,
) -> HTMLResponse:
    return render_home(
        request,
        db,
        info,
        project_id,
        status=exc.http_status,
        error={"form": form_name, "message": exc.message, "field": exc.field},
        values={**form, "_form": form_name},
        **extra,
    )


@router.get("/projects", response_class=HTMLResponse)
def project_list(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _list(request, db, info)


def _list(
    request: Request,
    db: DB,
    info: Any,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        items = projects.list_projects(s, info.actor)
        deleted = []
        if info.actor.is_admin:
            deleted = [p for p in projects.list_projects(s, info.actor, include_deleted=True) if p["deleted"]]
    return render(
        request,
        "projects.html",
        {"projects": items, "deleted": deleted, "error": error, "values": values or {}},
        status,
    )


@router.post("/projects", response_class=HTMLResponse)
def create_project(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            p = projects.create_project(
                s,
                info.actor,
                key=form.get("key", ""),
                name=form.get("name", ""),
                objectives=form.get("objectives", ""),
                scope_statement=form.get("scope_statement", ""),
                success_criteria=form.get("success_criteria", ""),
                start_date=opt_date(form, "start_date"),
                target_date=opt_date(form, "target_date"),
                currency=(form.get("currency") or "USD").upper(),
            )
    except CharterError as exc:
        return _list(
            request,
            db,
            info,
            error={"form": "new", "message": exc.message, "field": exc.field},
            values=form,
            status=exc.http_status,
        )
    return RedirectResponse(f"/projects/{p['id']}", status_code=303)


@router.post("/projects/import", response_class=HTMLResponse)
async def import_project(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    """A new project from a plan file (MS Project XML, CSV, Excel, or with charter[mpxj] and Java what MPXJ
    reads), as `charter import FILE --key KEY` and POST /api/v1/imports make it: all rows or none. Answers with
    the new project's task table and what the import did."""
    try:
        data, source = await uploaded_file(request, "a plan file")
        fmt = interchange.guess_format(source, form.get("format") or None)
        plan = await run_in_threadpool(interchange.read_plan, data, fmt)
        key, name = (form.get("key") or "").strip(), (form.get("name") or "").strip() or None

        def write() -> dict[str, Any]:  # in a worker thread: the transaction never holds up the event loop
            with db.uow() as s:
                return interchange.import_plan(s, info.actor, plan, key=key, name=name, source=source)

        result = await run_in_threadpool(write)
    except CharterError as exc:
        err = {"form": "import", "message": exc.message.split("\n")[0], "field": exc.field or "file",
               "problems": (exc.details or {}).get("problems") or []}  # fmt: skip
        status = exc.http_status
        return await run_in_threadpool(
            lambda: _list(request, db, info, error=err, values=form, status=status)
        )
    return await run_in_threadpool(
        lambda: table_page(request, db, info, result["project_id"], imported={**result, "source": source})
    )


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_home(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return render_home(request, db, info, project_id)


CHARTER_TEXT = ("name", "objectives", "scope_statement", "success_criteria", "status", "currency")


@router.post("/projects/{project_id}/charter", response_class=HTMLResponse)
def edit_charter(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        changes: dict[str, Any] = {k: form[k] for k in CHARTER_TEXT if k in form}
        if isinstance(changes.get("currency"), str):
            changes["currency"] = changes["currency"].strip().upper()  # as the new-project form takes it
        changes["start_date"] = opt_date(form, "start_date")
        changes["target_date"] = opt_date(form, "target_date")
        version = opt_int(form, "version") or 0
        with db.uow() as s:
            projects.update_project(s, info.actor, project_id, version, **changes)
    except Conflict as exc:
        current = exc.current or {}
        changed = [
            k
            for k in (*CHARTER_TEXT, "start_date", "target_date")
            if k in form and str(current.get(k) or "") != (form.get(k) or "")
        ]
        return form_failed(
            request, db, info, project_id, "charter", exc, form, conflict_fields=changed, current=current
        )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "charter", exc, form)
    return RedirectResponse(f"/projects/{project_id}#charter", status_code=303)


@router.post("/projects/{project_id}/delete")
def delete_project(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            projects.delete_project(s, info.actor, project_id, opt_int(form, "version") or 0)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        return form_failed(request, db, info, project_id, "delete", exc, form)
    return RedirectResponse("/projects", status_code=303)


@router.post("/projects/{project_id}/restore")
def restore_project(project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        projects.restore_project(s, info.actor, project_id)
    return RedirectResponse(f"/projects/{project_id}", status_code=303)


@router.post("/projects/{project_id}/work-packages", response_class=HTMLResponse)
def add_work_package(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            work_packages.create_work_package(
                s,
                info.actor,
                project_id,
                name=form.get("name", ""),
                parent_id=opt_int(form, "parent_id"),
                description=form.get("description", ""),
            )
    except CharterError as exc:
        return form_failed(request, db, info, project_id, "wp", exc, form)
    return RedirectResponse(f"/projects/{project_id}#work", status_code=303)


@router.post("/projects/{project_id}/work-packages/{wp_id}", response_class=HTMLResponse)
def edit_work_package(
    request: Request, project_id: int, wp_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Rename a package, describe it or move it (under another package, or with an empty `parent_id` to the
    top level), as PATCH …/work-packages/{wp_id} and `charter wp update` do; the fields sent are the changes."""
    form_name = f"wpe-{wp_id}"
    try:
        changes: dict[str, Any] = {k: form[k] for k in ("name", "description") if k in form}
        if "parent_id" in form:
            changes["parent_id"] = opt_int(form, "parent_id")
        version = req_int(form, "version")
        with db.uow() as s:
            work_packages.update_work_package(s, info.actor, project_id, wp_id, version, **changes)
    except Conflict as exc:
        return form_failed(request, db, info, project_id, form_name, exc, form, current=exc.current or {})
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        return form_failed(request, db, info, project_id, form_name, exc, form)
    return RedirectResponse(f"/projects/{project_id}#work", status_code=303)


@router.get("/projects/{project_id}/journal", response_class=HTMLResponse)
def project_journal(
    request: Request,
    project_id: int,
    db: DB,
    info: Session,
    entity_type: str | None = None,
    entity_id: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    page = max(1, page)
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        entries = journal_view.entries(
            s,
            info.actor,
            project_id,
            entity_type=entity_type,
            entity_id=entity_id,
            limit=101,
            offset=(page - 1) * 100,
        )
    return render(
        request,
        "journal.html",
        {
            "project": project,
            "entries": entries[:100],
            "more": len(entries) > 100,
            "page": page,
            "entity_type": entity_type,
            "entity_id": entity_id,
        },
    )
