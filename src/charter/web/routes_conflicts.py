"""Conflict-log pages: the log (filters, the ladder rung and the time left, detected entries marked, raise
form, "detect now" and the ladder's limits for the PM) and a conflict's page (parties, journal, edit,
resolve, close, reopen, escalate). Every page reads services only; forms keep what was typed on error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import conflicts as rules
from charter.domain.errors import CharterError, ValidationError
from charter.domain.roles import Perm
from charter.services import conflict_detect, conflicts, org, projects, work_packages
from charter.services.authz import can
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_int, req_int, unknown_action

router = APIRouter()
P = "/projects/{project_id}"
FILTERS = ("status", "level", "severity", "kind", "source")
RUNGS = {"task_leader": "Task Leader", "pm": "Project Manager", "sponsor": "Sponsor"}


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _members(s: Any, actor: Any, project_id: int) -> list[dict[str, Any]]:
    from charter.services import roles

    seen: dict[int, dict[str, Any]] = {}
    for a in roles.list_assignments(s, actor, project_id, current_only=True):
        seen.setdefault(a["user_id"], {"id": a["user_id"], "name": a["user"] or f"user {a['user_id']}"})
    return sorted(seen.values(), key=lambda m: m["name"])


def _choices() -> dict[str, Any]:
    return {"kinds": [x.value for x in rules.Kind], "severities": [x.value for x in rules.Severity],
            "statuses": [x.value for x in rules.Status], "levels": [x.value for x in rules.Level],
            "approaches": [x.value for x in rules.Approach], "sources": [x.value for x in rules.Source],
            "rung": RUNGS}  # fmt: skip


def _party(form: dict[str, str], prefix: str = "party_") -> dict[str, Any] | None:
    """The party a form names (a member, a department, a work package, or an outside party's name)."""
    out: dict[str, Any] = {}
    for k in ("user_id", "department_id", "work_package_id"):
        v = opt_int(form, prefix + k)
        if v is not None:
            out[k] = v
    label = (form.get(prefix + "label") or "").strip()
    if label:
        out["label"] = label
    return out or None


# --------------------------------------------------------------------------------------------- the log


@router.get(P + "/conflicts", response_class=HTMLResponse)
def log_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _log(request, db, info, project_id)


def _log(request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
         values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    qp = request.query_params
    allowed = {"status": rules.Status, "level": rules.Level, "severity": rules.Severity, "kind": rules.Kind,
               "source": rules.Source}  # fmt: skip
    filters: dict[str, Any] = {k: qp[k] for k in FILTERS if qp.get(k) in {x.value for x in allowed[k]}}
    if qp.get("active_only"):
        filters["active_only"] = True
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        rows = conflicts.list_conflicts(s, actor, project_id, **filters)
        manager = can(s, actor, project_id, Perm.CONFLICT_MANAGE)
        may_raise = can(s, actor, project_id, Perm.CONCERN_RAISE)
        policy = conflicts.get_policy(s, actor, project_id)
        wps = work_packages.list_work_packages(s, actor, project_id) if may_raise else []
        members = _members(s, actor, project_id) if may_raise else []
        depts = org.list_departments(s, actor) if may_raise else []
    return render(request, "conflicts.html", {
        "project": project, "conflicts": rows, "filters": filters, "manager": manager, "may_raise": may_raise,
        "policy": policy, "wps": wps, "members": members, "departments": depts, "error": error,
        "values": values or {}, **_choices(),
    }, status)  # fmt: skip


def _on_log(request: Request, db: Any, info: Any, project_id: int, name: str, form: dict[str, str], fn: Any,
            back: str | None = None) -> Response:  # fmt: skip
    try:
        with db.uow() as s:
            out = fn(s)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project"):
            raise
        err = {"form": name, "message": exc.message, "field": exc.field}
        return _log(request, db, info, project_id, err, {**form, "_form": name}, exc.http_status)
    if back and isinstance(out, dict) and "id" in out:
        return _back(back.replace("{id}", str(out["id"])))
    return _back(back or f"/projects/{project_id}/conflicts")


@router.post(P + "/conflicts", response_class=HTMLResponse)
def raise_conflict(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    def run(s: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {k: form[k] for k in ("kind", "severity", "description") if form.get(k)}
        wp = opt_int(form, "work_package_id")
        if wp is not None:
            fields["work_package_id"] = wp
        party = _party(form)
        return conflicts.raise_conflict(s, info.actor, project_id, title=form.get("title") or "",
                                        parties=[party] if party else [], **fields)  # fmt: skip

    return _on_log(
        request, db, info, project_id, "raise", form, run, f"/projects/{project_id}/conflicts/{{id}}"
    )


@router.post(P + "/conflicts/detect", response_class=HTMLResponse)
def detect(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    return _on_log(request, db, info, project_id, "detect", form,
                   lambda s: conflict_detect.detect(s, info.actor, project_id) and None)  # fmt: skip


@router.post(P + "/conflict-policy", response_class=HTMLResponse)
def set_policy(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    return _on_log(request, db, info, project_id, "policy", form, lambda s: conflicts.set_policy(
        s, info.actor, project_id, req_int(form, "version"), task_leader_hours=req_int(form, "task_leader_hours"),
        pm_hours=req_int(form, "pm_hours")) and None)  # fmt: skip


# --------------------------------------------------------------------------------------------- one conflict


@router.get(P + "/conflicts/{conflict_id}", response_class=HTMLResponse)
def conflict_page(request: Request, project_id: int, conflict_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, conflict_id)


def _page(request: Request, db: Any, info: Any, project_id: int, conflict_id: int,
          error: dict[str, Any] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        c = conflicts.get_conflict(s, actor, project_id, conflict_id)
        manager = can(s, actor, project_id, Perm.CONFLICT_MANAGE)
        wps = work_packages.list_work_packages(s, actor, project_id) if c["may_edit"] else []
        members = _members(s, actor, project_id) if c["may_edit"] else []
        depts = org.list_departments(s, actor) if c["may_edit"] else []
    return render(request, "conflict_page.html", {
        "project": project, "c": c, "manager": manager, "wps": wps, "members": members, "departments": depts,
        "error": error, "values": values or {}, **_choices(),
    }, status)  # fmt: skip


def _on_page(request: Request, db: Any, info: Any, project_id: int, conflict_id: int, name: str,
             form: dict[str, str], fn: Any) -> Response:  # fmt: skip
    try:
        with db.uow() as s:
            fn(s)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project", "conflict_id"):
            raise
        err = {"form": name, "message": exc.message, "field": exc.field}
        return _page(
            request, db, info, project_id, conflict_id, err, {**form, "_form": name}, exc.http_status
        )
    return _back(f"/projects/{project_id}/conflicts/{conflict_id}")


@router.post(P + "/conflicts/{conflict_id}", response_class=HTMLResponse)
def edit(
    request: Request, project_id: int, conflict_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    def run(s: Any) -> None:
        fields: dict[str, Any] = {k: form.get(k, "") for k in ("title", "description") if k in form}
        for k in ("kind", "severity", "status"):
            if form.get(k):
                fields[k] = form[k]
        if "work_package_id" in form:
            fields["work_package_id"] = opt_int(form, "work_package_id")
        if form.get("owner_id"):
            fields["owner_id"] = opt_int(form, "owner_id")
        conflicts.update_conflict(s, info.actor, project_id, conflict_id, req_int(form, "version"), **fields)

    return _on_page(request, db, info, project_id, conflict_id, "edit", form, run)


def _add_party(s: Any, a: Any, pid: int, cid: int, form: dict[str, str]) -> Any:
    party = _party(form)
    if party is None:
        raise ValidationError("choose a member, a department or a work package, or name the party",
                              field="party_label")  # fmt: skip
    return conflicts.add_party(s, a, pid, cid, **party)


# A conflict page's forms: name -> the change (session, actor, project id, conflict id, form).
_ACTIONS: dict[str, Callable[[Any, Any, int, int, dict[str, str]], Any]] = {
    "resolve": lambda s, a, pid, cid, f: conflicts.resolve(s, a, pid, cid, req_int(f, "version"),
                                                           outcome=f.get("outcome") or "",
                                                           approach=f.get("approach") or None),
    "close": lambda s, a, pid, cid, f: conflicts.close(s, a, pid, cid, req_int(f, "version")),
    "reopen": lambda s, a, pid, cid, f: conflicts.reopen(s, a, pid, cid, req_int(f, "version"),
                                                         f.get("reason") or ""),
    "escalate": lambda s, a, pid, cid, f: conflicts.escalate(s, a, pid, cid, req_int(f, "version"),
                                                             f.get("reason") or ""),
    "parties": _add_party,
}  # fmt: skip
CONFLICT_ACTIONS = frozenset(
    _ACTIONS
)  # the `{action}` of POST /projects/{id}/conflicts/{conflict_id}/{action}


@router.post(P + "/conflicts/{conflict_id}/{action}", response_class=HTMLResponse)
def act(request: Request, project_id: int, conflict_id: int, action: str, form: FormData, db: DB,
        info: Checked) -> Response:  # fmt: skip
    run = _ACTIONS.get(action)
    if run is None:
        raise unknown_action(action)
    return _on_page(request, db, info, project_id, conflict_id, action, form,
                    lambda s: run(s, info.actor, project_id, conflict_id, form))  # fmt: skip


@router.post(P + "/conflicts/{conflict_id}/parties/{party_id}/remove", response_class=HTMLResponse)
def remove_party(request: Request, project_id: int, conflict_id: int, party_id: int, form: FormData, db: DB,
                 info: Checked) -> Response:  # fmt: skip
    return _on_page(request, db, info, project_id, conflict_id, "parties", form,
                    lambda s: conflicts.remove_party(s, info.actor, project_id, conflict_id, party_id))  # fmt: skip
