"""Role desks, the portfolio, search, the technology inventory (import, components, update items and update
plans), the closing checklist with hand-over and closure, and the lessons-learned log. Views call services
only; a refused form is shown again with what was typed and the error."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from charter.domain.errors import CharterError, ValidationError
from charter.domain.quality import ConcernArea
from charter.services import accounts, closure, desks, projects, search, tech, tech_plans, work_packages
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, uploaded_file

router = APIRouter()
MAX_STEPS = tech_plans.MAX_STEPS


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _refusal(exc: CharterError) -> bool:
    """Not found / not allowed on the page's object itself: the error page, not the form."""
    return exc.http_status in (403, 404) and exc.field is None


def _err(exc: CharterError, form: str) -> dict[str, Any]:
    problems = (exc.details or {}).get("problems") if isinstance(exc.details, dict) else None
    return {
        "form": form,
        "message": exc.message.split("\n")[0],
        "field": exc.field,
        "problems": problems or [],
    }


def _int(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError(f"{field} must be a whole number", field=field) from None


@router.get("/desk", response_class=HTMLResponse)
def desk_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        d = desks.desk(s, info.actor)
    return render(request, "desk.html", {"desk": d, "concern_areas": [a.value for a in ConcernArea]})


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        p = desks.portfolio(s, info.actor)
    return render(request, "portfolio.html", {"portfolio": p})


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, db: DB, info: Session, q: str = "") -> HTMLResponse:
    with db.uow(readonly=True) as s:
        out = search.search(s, info.actor, q[:200])
    return render(request, "search.html", {"q": out["query"], "out": out})


# --------------------------------------------------------------------------------------------- inventory


def _inventory(request: Request, db: Any, info: Any, project: int | None = None,
               error: dict[str, Any] | None = None, values: dict[str, str] | None = None,
               status: int = 200, imported: dict[str, int] | None = None) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        rows = tech.list_components(s, info.actor, project)
        due = tech.due_within(s, info.actor, 90, project)
        visible = projects.list_projects(s, info.actor)
        users = accounts.list_users(s, info.actor)
    return render(request, "tech.html", {"rows": rows, "due": due, "projects": visible, "project": project, "users": users,
                                         "kinds": tech.KINDS, "error": error, "values": values or {},
                                         "imported": imported},
                  status)  # fmt: skip


@router.get("/tech", response_class=HTMLResponse)
def inventory_page(request: Request, db: DB, info: Session, project: int | None = None) -> HTMLResponse:
    return _inventory(request, db, info, project, imported=_import_counts(request))


def _import_counts(request: Request) -> dict[str, int] | None:
    """What the import just redirected here said it did (added, updated, unchanged), if it did."""
    q = request.query_params
    try:
        counts = {k: int(q[k]) for k in ("added", "updated", "unchanged")}
    except (KeyError, ValueError):
        return None
    return counts if all(0 <= v <= 1_000_000 for v in counts.values()) else None


@router.post("/tech/import", response_class=HTMLResponse)
async def import_page(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        pid = _int(form.get("project_id"), "project_id")
        data, filename = await uploaded_file(request, "a CSV, CycloneDX or SPDX file")

        def write() -> dict[str, Any]:  # in a worker thread: the import's transaction never holds up the loop
            with db.uow() as s:
                return tech.import_file(s, info.actor, pid, data, filename)

        out = await run_in_threadpool(write)
    except CharterError as exc:
        error = _err(exc, "import")
        return await run_in_threadpool(
            _inventory, request, db, info, None, error, {**form, "_form": "import"}, exc.http_status
        )
    counts = f"added={out['added']}&updated={out['updated']}&unchanged={out['unchanged']}"
    return _back(f"/tech?project={pid}&{counts}#imported" if pid else f"/tech?{counts}#imported")


@router.post("/tech/components", response_class=HTMLResponse)
def add_component(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        pid = _int(form.get("project_id"), "project_id")
        fields: dict[str, Any] = {k: form[k] for k in ("kind", "vendor", "current_version", "purl", "licence",
                                       "release_date", "support_end", "eol_date") if form.get(k)}  # fmt: skip
        owner = _int(form.get("owner_id"), "owner_id")
        if owner is not None:
            fields["owner_id"] = owner
        with db.uow() as s:
            c = tech.create_component(s, info.actor, pid, name=form.get("name") or "", **fields)
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _inventory(
            request, db, info, None, _err(exc, "add"), {**form, "_form": "add"}, exc.http_status
        )
    return _back(f"/tech/{c['id']}")


# --------------------------------------------------------------------------------------------- component


def _component(request: Request, db: Any, info: Any, component_id: int, error: dict[str, Any] | None = None,
               values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        c = tech.get_component(s, actor, component_id)
        proposals: dict[int, Any] = {}
        plans: dict[int, Any] = {}
        for u in c["updates"]:
            if u["status"] == "open":
                proposals[u["id"]] = tech_plans.proposal(s, actor, u["id"])
            elif u["plan"]:
                plans[u["id"]] = tech_plans.plan(s, actor, u["id"])
        wps: list[dict[str, Any]] = []
        if c["project_id"] is not None:
            try:
                wps = work_packages.list_work_packages(s, actor, c["project_id"])
            except CharterError:
                wps = []  # the post-project owner without a role: reads the component, not the project
        users = accounts.list_users(s, actor)
        plan_projects = projects.list_projects(s, actor) if c["project_id"] is None and plans else []
    return render(request, "tech_component.html", {
        "c": c, "proposals": proposals, "plans": plans, "wps": wps, "users": users, "error": error,
        "plan_projects": plan_projects,
        "values": values or {}, "update_kinds": tech.UPDATE_KINDS, "severities": tech.SEVERITIES,
        "max_steps": MAX_STEPS, "kinds": tech.KINDS,
    }, status)  # fmt: skip


@router.get("/tech/{component_id}", response_class=HTMLResponse)
def component_page(request: Request, db: DB, info: Session, component_id: int) -> HTMLResponse:
    return _component(request, db, info, component_id)


@router.post("/tech/{component_id}/updates", response_class=HTMLResponse)
def add_update(request: Request, component_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        with db.uow() as s:
            tech.create_update(s, info.actor, component_id, kind=form.get("kind") or "", title=form.get("title") or "",
                               severity=form.get("severity") or "medium", due_on=form.get("due_on") or None)  # fmt: skip
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _component(request, db, info, component_id, _err(exc, "update"), {**form, "_form": "update"},
                          exc.http_status)  # fmt: skip
    return _back(f"/tech/{component_id}#updates")


def _names(text: str | None) -> list[str]:
    """A list typed one per line (or comma-separated) into a textarea."""
    return [x.strip() for line in (text or "").splitlines() for x in line.split(",") if x.strip()]


def _stale(exc: CharterError, form: dict[str, str], name: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The error and the typed values to show again; after a 409 the page shows the current state and the
    form carries the current version, so saving again is a deliberate overwrite of what is now shown."""
    err = _err(exc, name)
    values = {**form, "_form": name}
    values.pop("csrf_token", None)
    if exc.http_status == 409:
        err["message"] += ". The page now shows the current state; your input is kept below."
        values.pop("version", None)
    return err, values


@router.post("/tech/{component_id}/edit", response_class=HTMLResponse)
def edit_component(request: Request, component_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        version = _int(form.get("version"), "version")
        if version is None:
            raise ValidationError(
                "the form lost the version it was read at; reload the page", field="version"
            )
        changes: dict[str, Any] = {k: (form.get(k) or "") for k in ("name", "kind", "vendor", "current_version",
                                                                 "purl", "licence")}  # fmt: skip
        for k in ("release_date", "support_end", "eol_date"):
            changes[k] = form.get(k) or None
        changes["owner_id"] = _int(form.get("owner_id"), "owner_id")
        changes["systems"] = _names(form.get("systems"))
        changes["departments"] = _names(form.get("departments"))
        with db.uow() as s:
            tech.update_component(s, info.actor, component_id, version, **changes)
    except CharterError as exc:
        if _refusal(exc):
            raise
        err, values = _stale(exc, form, "edit")
        return _component(request, db, info, component_id, err, values, exc.http_status)
    return _back(f"/tech/{component_id}")


@router.post("/tech/updates/{update_id}/status", response_class=HTMLResponse)
def set_update_status(request: Request, update_id: int, form: FormData, db: DB, info: Checked) -> Response:
    component_id = _int(form.get("component_id"), "component_id") or 0
    try:
        with db.uow() as s:
            tech.set_update_status(s, info.actor, update_id, _int(form.get("version"), "version") or 0,
                                   form.get("status") or "", form.get("note") or "")  # fmt: skip
    except CharterError as exc:
        if _refusal(exc) or not component_id:
            raise
        err, values = _stale(exc, form, f"status-{update_id}")
        return _component(request, db, info, component_id, err, values, exc.http_status)
    return _back(f"/tech/{component_id}#update-{update_id}")


def _plan_steps(form: dict[str, str]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for i in range(1, MAX_STEPS + 1):
        name = (form.get(f"step_name_{i}") or "").strip()
        if not name:
            continue
        days = _int(form.get(f"step_days_{i}"), f"step {i} days")
        steps.append({"name": name, "days": 1 if days is None else days})
    return steps


@router.post("/tech/updates/{update_id}/plan", response_class=HTMLResponse)
def create_plan(request: Request, update_id: int, form: FormData, db: DB, info: Checked) -> Response:
    component_id = _int(form.get("component_id"), "component_id") or 0
    try:
        with db.uow() as s:
            tech_plans.create_plan(
                s, info.actor, update_id, _int(form.get("version"), "version") or 0, steps=_plan_steps(form),
                work_package_id=_int(form.get("work_package_id"), "work_package_id"),
                owner_id=_int(form.get("owner_id"), "owner_id"), project_id=_int(form.get("project_id"), "project_id"),
            )  # fmt: skip
    except CharterError as exc:
        if _refusal(exc) or not component_id:
            raise
        return _component(request, db, info, component_id, _err(exc, f"plan-{update_id}"),
                          {**form, "_form": f"plan-{update_id}"}, exc.http_status)  # fmt: skip
    return _back(f"/tech/{component_id}#update-{update_id}")


# --------------------------------------------------------------------------------------------- closure


def _closure(request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
             values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        check = closure.checklist(s, actor, project_id)
        lessons = closure.list_lessons(s, actor, project_id)
        users = accounts.list_users(s, actor)
        may_lesson = closure.may_add_lesson(s, actor, project_id)
        changeable = closure.changeable_lessons(s, actor, lessons)
    return render(request, "closure.html", {"project": project, "check": check, "lessons": lessons,
                                            "may_lesson": may_lesson, "changeable": changeable,
                                            "users": users, "error": error, "values": values or {}},
                  status)  # fmt: skip


@router.get("/projects/{project_id}/closure", response_class=HTMLResponse)
def closure_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _closure(request, db, info, project_id)


def _closure_post(request: Request, db: Any, info: Any, project_id: int, form: dict[str, str], name: str,
                  run: Any) -> Response:  # fmt: skip
    try:
        with db.uow() as s:
            run(s)
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _closure(
            request, db, info, project_id, _err(exc, name), {**form, "_form": name}, exc.http_status
        )
    return _back(f"/projects/{project_id}/closure#{name}")


@router.post("/projects/{project_id}/close", response_class=HTMLResponse)
def close(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    return _closure_post(request, db, info, project_id, form, "close",
                         lambda s: closure.close_project(s, info.actor, project_id))  # fmt: skip


@router.post("/projects/{project_id}/tech/handover", response_class=HTMLResponse)
def handover(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    def run(s: Any) -> None:
        owner = _int(form.get("owner_id"), "owner_id")
        if owner is None:
            raise ValidationError("choose the post-project owner", field="owner_id")
        tech.hand_over(s, info.actor, project_id, owner)

    return _closure_post(request, db, info, project_id, form, "handover", run)


@router.post("/projects/{project_id}/lessons", response_class=HTMLResponse)
def add_lesson(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    return _closure_post(request, db, info, project_id, form, "lesson", lambda s: closure.add_lesson(
        s, info.actor, project_id, title=form.get("title") or "", body=form.get("body") or "",
        category=form.get("category") or ""))  # fmt: skip


def _lessons(request: Request, db: Any, info: Any, q: str = "", error: dict[str, Any] | None = None,
             values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        rows = closure.list_lessons(s, info.actor, None, q[:200])
        changeable = closure.changeable_lessons(s, info.actor, rows)
    return render(request, "lessons.html", {"rows": rows, "q": q[:200], "changeable": changeable,
                                            "error": error, "values": values or {}}, status)  # fmt: skip


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(request: Request, db: DB, info: Session, q: str = "") -> HTMLResponse:
    return _lessons(request, db, info, q)


def _lesson_post(request: Request, db: Any, info: Any, project_id: int, lesson_id: int, form: dict[str, str],
                 run: Any) -> Response:  # fmt: skip
    """An edit or a removal of a lesson, from its project's closure page or from /lessons (the form's `back`):
    a refusal shows that page again with the error by the lesson's form and what was typed there."""
    name = f"lesson-edit-{lesson_id}"
    across = form.get("back") == "lessons"
    q = (form.get("q") or "")[:200]
    try:
        with db.uow() as s:
            run(s, _int(form.get("version"), "version"))
    except CharterError as exc:
        if _refusal(exc):
            raise
        error = _err(exc, name)
        if exc.http_status == 409 and exc.field == "version":
            error["message"] += ". The form now carries the current version; check the lesson and save again."
        values = {k: v for k, v in form.items() if k not in ("csrf_token", "version")} | {"_form": name}
        if across:
            return _lessons(request, db, info, q, error, values, exc.http_status)
        return _closure(request, db, info, project_id, error, values, exc.http_status)
    if across:
        return _back(f"/lessons?q={quote(q)}" if q else "/lessons")
    return _back(f"/projects/{project_id}/closure#lesson-h")


def _version(v: int | None) -> int:
    if v is None:
        raise ValidationError("the form lacks the lesson's version; reload the page", field="version")
    return v


@router.post("/projects/{project_id}/lessons/{lesson_id}/edit", response_class=HTMLResponse)
def edit_lesson(
    request: Request, project_id: int, lesson_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _lesson_post(request, db, info, project_id, lesson_id, form, lambda s, v: closure.update_lesson(
        s, info.actor, project_id, lesson_id, _version(v), title=form.get("title") or "",
        body=form.get("body") or "", category=form.get("category") or ""))  # fmt: skip


@router.post("/projects/{project_id}/lessons/{lesson_id}/delete", response_class=HTMLResponse)
def delete_lesson(
    request: Request, project_id: int, lesson_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _lesson_post(request, db, info, project_id, lesson_id, form,
                        lambda s, v: closure.delete_lesson(s, info.actor, project_id, lesson_id, _version(v)))  # fmt: skip
