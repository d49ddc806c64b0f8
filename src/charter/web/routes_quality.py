"""Quality pages: the lifecycle and its gates, the quality plan and metrics, deliverables, reviews, defects (with
the weekly trend), the stakeholder register with its interest/influence grid, concerns, and change control
(requests, the side-by-side impact preview, the decision, the since-baseline report). Pages read services only;
every change goes through services.quality / stakeholders / change."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.errors import CharterError, ValidationError
from charter.domain.quality import PHASES, ConcernArea
from charter.domain.risk import Category as RiskCategory
from charter.services import change, org, projects, quality, roles, scheduling, stakeholders
from charter.services.comms_common import is_manager, liaison_departments, members, names, sees_departments
from charter.web.app import render
from charter.web.discussion import discussion
from charter.web.forms import (
    DB,
    Checked,
    FormData,
    Session,
    opt_date,
    opt_datetime,
    opt_int,
    req_int,
    unknown_action,
)

router = APIRouter()
P = "/projects/{project_id}"


def _people(s: Any, project_id: int) -> list[dict[str, Any]]:
    ids = members(s, project_id)
    return [{"id": k, "name": v} for k, v in sorted(names(s, ids).items(), key=lambda x: x[1])]


def _head(s: Any, actor: Any, project_id: int) -> dict[str, Any]:
    return {"project": projects.get_project(s, actor, project_id), "caps": projects.capabilities(s, actor, project_id),
            "phases": [p.value for p in PHASES], "sees_departments": sees_departments(s, actor, project_id)}  # fmt: skip


def _quality_ctx(s: Any, actor: Any, pid: int) -> dict[str, Any]:
    sched = scheduling.get_schedule(s, actor, pid)
    ctx = {
        "life": quality.lifecycle(s, actor, pid), "plan": quality.plan(s, actor, pid),
        "deliverables": quality.list_deliverables(s, actor, pid), "reviews": quality.list_reviews(s, actor, pid),
        "defects": quality.list_defects(s, actor, pid), "trend": quality.defect_trend(s, actor, pid, weeks=12)["weeks"],
        "templates": quality.list_templates(s, actor), "people": _people(s, pid),
        "wps": sched["summaries"], "roles": roles.list_roles(s, actor, pid),
        "tasks": sched["tasks"], "me_id": actor.user_id,
    }  # fmt: skip
    ctx["trend_svg"] = trend_chart(ctx["trend"])
    return ctx


def _stakeholders_ctx(s: Any, actor: Any, pid: int) -> dict[str, Any]:
    """The register; `keeps`: may add and edit entries (the PM, a liaison); a liaison chooses only among their
    own departments (`any_dept`: the PM may leave the department empty or pick any)."""
    manager = is_manager(s, actor, pid)
    mine = liaison_departments(s, actor, pid)
    depts = [d for d in org.list_departments(s, actor) if manager or d["id"] in mine]
    return {"register": stakeholders.register(s, actor, pid), "people": _people(s, pid), "depts": depts,
            "keeps": manager or bool(mine), "any_dept": manager}  # fmt: skip


def _concerns_ctx(s: Any, actor: Any, pid: int) -> dict[str, Any]:
    return {"concerns": stakeholders.list_concerns(s, actor, pid), "areas": [a.value for a in ConcernArea],
            "manager": is_manager(s, actor, pid), "liaison_of": liaison_departments(s, actor, pid),
            "me_id": actor.user_id, "risk_categories": [x.value for x in RiskCategory]}  # fmt: skip


def _changes_ctx(s: Any, actor: Any, pid: int) -> dict[str, Any]:
    return {"changes": change.list_change_requests(s, actor, pid), "baselines": scheduling.list_baselines(s, actor, pid),
            "report": None, "areas": [a.value for a in ConcernArea]}  # fmt: skip


def trend_chart(weeks: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Defects per week as SVG geometry: opened and closed bars side by side, the open count as a line."""
    if not weeks:
        return None
    w, h = 640, 140
    top = max([x["opened"] for x in weeks] + [x["closed"] for x in weeks] + [x["open"] for x in weeks] + [1])
    step = w / len(weeks)
    bw = max(step / 2 - 2, 1)
    bars, ticks, pts = [], [], []
    for i, x in enumerate(weeks):
        x0 = i * step
        for k, (key, cls) in enumerate((("opened", "opened"), ("closed", "closed"))):
            bh = x[key] / top * h
            bars.append({"x": round(x0 + 1 + k * (bw + 1), 1), "y": round(h - bh, 1), "w": round(bw, 1),
                         "h": round(bh, 1), "cls": cls, "title": f"{x['week']}: {x[key]} {key}"})  # fmt: skip
        pts.append(f"{round(x0 + step / 2, 1)},{round(h - x['open'] / top * h, 1)}")
        if i % max(1, len(weeks) // 6) == 0:
            ticks.append({"x": round(x0, 1), "label": x["week"]})
    return {"w": w, "h": h, "top": top, "bars": bars, "open": " ".join(pts), "ticks": ticks}


VIEWS: dict[str, tuple[str, Callable[[Any, Any, int], dict[str, Any]]]] = {
    "quality": ("quality.html", _quality_ctx),
    "stakeholders": ("quality_stakeholders.html", _stakeholders_ctx),
    "concerns": ("quality_concerns.html", _concerns_ctx),
    "changes": ("quality_changes.html", _changes_ctx),
}


def _page(request: Request, db: DB, info: Any, pid: int, view: str, *, error: dict[str, Any] | None = None,
          status: int = 200, extra: Callable[[Any, Any], dict[str, Any]] | None = None,
          values: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    template, build = VIEWS[view]
    with db.uow(readonly=True) as s:
        ctx = {**_head(s, info.actor, pid), **build(s, info.actor, pid)}
        if extra:
            ctx.update(extra(s, info.actor))
    return render(request, template, {**ctx, "view": view, "error": error, "values": values or {}}, status)


def _act(request: Request, db: DB, info: Any, pid: int, view: str, form_name: str, fn: Callable[[Any], Any],
         back: str | None = None, render_view: Callable[..., HTMLResponse] | None = None,
         form: dict[str, str] | None = None) -> Response:  # fmt: skip
    """Run one change; on a refusal re-render the page with the error next to the form and (given `form`) what
    the user typed. A stale version (409) says the row changed meanwhile; the page shows the current state."""
    try:
        with db.uow() as s:
            out = fn(s)
    except CharterError as exc:
        msg = exc.message
        if exc.http_status == 409 and exc.field == "version":
            msg += ". The page now shows the current version."
        err = {"form": form_name, "message": msg, "field": exc.field}
        values = {**(form or {}), "_form": form_name}
        values.pop("csrf_token", None)
        if exc.http_status == 409:
            values.pop("version", None)
        if render_view is not None:
            return render_view(error=err, status=exc.http_status, values=values)
        return _page(request, db, info, pid, view, error=err, status=exc.http_status, values=values)
    target = back or f"/projects/{pid}/{view}"
    if "{id}" in target and isinstance(out, dict):
        target = target.replace("{id}", str(out["id"]))
    return RedirectResponse(target, status_code=303)


def _num(form: dict[str, str], key: str) -> float:
    v = (form.get(key) or "").strip()
    try:
        return float(v)
    except ValueError:
        raise ValidationError("must be a number", field=key) from None


def _reviewers(form: dict[str, str]) -> list[int]:
    """The reviewers ticked on the form (``reviewer_{user id}``), or typed as a list of user ids."""
    ticked = sorted(
        int(k[9:]) for k, v in form.items() if k.startswith("reviewer_") and k[9:].isdecimal() and v
    )
    return ticked or _ids(form.get("reviewer_ids", ""))


def _ids(value: str) -> list[int]:
    try:
        return [int(x) for x in value.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        raise ValidationError("a list of user ids", field="reviewer_ids") from None


# --------------------------------------------------------------------------------------------- quality


@router.get(P + "/quality", response_class=HTMLResponse)
def quality_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, "quality")


# One change on the quality page: (session, actor, project id, form) -> the service's answer.
Action = Callable[[Any, Any, int, dict[str, str]], Any]


def _review_changes(f: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"title": f.get("title", ""), "reviewer_ids": _reviewers(f)}
    if "items" in f:  # the form offers the checklist only while nobody has signed
        out["items"] = _lines(f, "items")
    return out


_QUALITY: dict[str, Action] = {
    "phase": lambda s, a, pid, f: quality.update_phase(s, a, pid, f.get("phase", ""), entry_criteria=f.get("entry_criteria", ""),
                                                       exit_criteria=f.get("exit_criteria", ""),
                                                       version=opt_int(f, f"version_{f.get('phase', '')}")),
    "close": lambda s, a, pid, f: quality.close_phase(s, a, pid, override_reason=f.get("override_reason") or None),
    "plan": lambda s, a, pid, f: quality.set_plan(s, a, pid, standards=f.get("standards", "").splitlines(),
                                                  responsible_role_id=opt_int(f, "responsible_role_id"), notes=f.get("notes", ""),
                                                  concern_ack_days=opt_int(f, "concern_ack_days")),
    "metric": lambda s, a, pid, f: quality.create_metric(s, a, pid, name=f.get("name", ""), direction=f.get("direction", ""),
                                                         target=_num(f, "target"), unit=f.get("unit", ""),
                                                         phase=f.get("phase") or None,
                                                         responsible_role_id=opt_int(f, "responsible_role_id")),
    "measure": lambda s, a, pid, f: quality.record_measurement(s, a, pid, req_int(f, "metric_id"),
                                                               value=_num(f, "value"), note=f.get("note", ""),
                                                               measured_at=opt_datetime(f, "measured_at")),
    "deliverable": lambda s, a, pid, f: quality.create_deliverable(
        s, a, pid, work_package_id=req_int(f, "work_package_id"), name=f.get("name", ""),
        acceptor_id=req_int(f, "acceptor_id"), acceptance_criteria=f.get("acceptance_criteria", ""),
        description=f.get("description", ""), phase=f.get("phase") or None),
    "accept": lambda s, a, pid, f: quality.accept_deliverable(s, a, pid, req_int(f, "deliverable_id"),
                                                              comment=f.get("comment", ""), version=opt_int(f, "version")),
    "reject": lambda s, a, pid, f: quality.reject_deliverable(s, a, pid, req_int(f, "deliverable_id"),
                                                              f.get("reason", ""), version=opt_int(f, "version")),
    "resubmit": lambda s, a, pid, f: quality.resubmit_deliverable(s, a, pid, req_int(f, "deliverable_id")),
    "template": lambda s, a, pid, f: quality.create_template(s, a, name=f.get("name", ""),
                                                             items=f.get("items", "").splitlines()),
    "review": lambda s, a, pid, f: quality.create_review(s, a, pid, title=f.get("title", ""), kind=f.get("kind") or "review",
                                                         reviewer_ids=_reviewers(f),
                                                         template_id=opt_int(f, "template_id"), phase=f.get("phase") or None,
                                                         deliverable_id=opt_int(f, "deliverable_id"),
                                                         items=_lines(f, "items") or None),
    "finding": lambda s, a, pid, f: quality.add_finding(s, a, pid, req_int(f, "review_id"), text=f.get("text", ""),
                                                        severity=f.get("severity") or "minor",
                                                        raise_defect=f.get("raise_defect") == "on"),
    "signoff": lambda s, a, pid, f: quality.sign_off(s, a, pid, req_int(f, "review_id"), results={
        k.removeprefix("result_"): v for k, v in f.items() if k.startswith("result_") and v} or None,
        version=opt_int(f, "version")),
    "defect": lambda s, a, pid, f: quality.create_defect(s, a, pid, title=f.get("title", ""), severity=f.get("severity", ""),
                                                         found_in=f.get("found_in", ""), priority=opt_int(f, "priority") or 3,
                                                         task_id=opt_int(f, "task_id"), owner_id=opt_int(f, "owner_id"),
                                                         description=f.get("description", ""),
                                                         deliverable_id=opt_int(f, "deliverable_id")),
    "defect-status": lambda s, a, pid, f: quality.update_defect(s, a, pid, req_int(f, "defect_id"), req_int(f, "version"),
                                                                status=f.get("status", "")),
    "defect-wont-fix": lambda s, a, pid, f: quality.update_defect(
        s, a, pid, req_int(f, "defect_id"), req_int(f, "version"), status="wont_fix", reason=f.get("reason", "")),
    "defect-edit": lambda s, a, pid, f: quality.update_defect(s, a, pid, req_int(f, "defect_id"), req_int(f, "version"),
                                                              **_defect_fields(f)),
    # editing and removing metrics, deliverables, checklists and reviews (each form carries the version)
    "metric-edit": lambda s, a, pid, f: quality.update_metric(
        s, a, pid, req_int(f, "metric_id"), req_int(f, "version"), name=f.get("name", ""),
        unit=f.get("unit", ""), direction=f.get("direction", ""), target=_num(f, "target"),
        phase=f.get("phase") or None, responsible_role_id=opt_int(f, "responsible_role_id")),
    "metric-delete": lambda s, a, pid, f: quality.delete_metric(s, a, pid, req_int(f, "metric_id"),
                                                                req_int(f, "version")),
    "deliverable-edit": lambda s, a, pid, f: quality.update_deliverable(
        s, a, pid, req_int(f, "deliverable_id"), req_int(f, "version"), name=f.get("name", ""),
        description=f.get("description", ""), acceptance_criteria=f.get("acceptance_criteria", ""),
        acceptor_id=req_int(f, "acceptor_id"), work_package_id=req_int(f, "work_package_id"),
        phase=f.get("phase", "")),
    "deliverable-delete": lambda s, a, pid, f: quality.delete_deliverable(s, a, pid, req_int(f, "deliverable_id"),
                                                                          req_int(f, "version")),
    "template-edit": lambda s, a, pid, f: quality.update_template(s, a, req_int(f, "template_id"), req_int(f, "version"),
                                                                  name=f.get("name", ""), items=_lines(f, "items")),
    "template-delete": lambda s, a, pid, f: quality.delete_template(s, a, req_int(f, "template_id"),
                                                                    req_int(f, "version")),
    "review-edit": lambda s, a, pid, f: quality.update_review(s, a, pid, req_int(f, "review_id"), req_int(f, "version"),
                                                              **_review_changes(f)),
    "review-delete": lambda s, a, pid, f: quality.delete_review(s, a, pid, req_int(f, "review_id"),
                                                                req_int(f, "version")),
}  # fmt: skip
QUALITY_ACTIONS = frozenset(_QUALITY)  # the `{what}` of POST /projects/{id}/quality/{what}; others are 404

_EDITABLE = {"metric": "metric_id", "deliverable": "deliverable_id", "template": "template_id",
             "review": "review_id"}  # fmt: skip


@router.post(P + "/quality/{what}", response_class=HTMLResponse)
def quality_post(
    request: Request, project_id: int, what: str, form: FormData, db: DB, info: Checked
) -> Response:
    run = _QUALITY.get(what)
    if run is None:
        raise unknown_action(what)
    name = f"{what}-{form.get('defect_id', '')}" if what in ("defect-edit", "defect-wont-fix") else what
    kind = what.split("-")[0]
    if kind in _EDITABLE and what != kind:  # an edit form and its delete button share the error slot
        name = f"{kind}-edit-{form.get(_EDITABLE[kind], '')}"
    return _act(request, db, info, project_id, "quality", name,
                lambda s: run(s, info.actor, project_id, form), form=form)  # fmt: skip


def _lines(f: dict[str, str], key: str) -> list[str]:
    return [x.strip() for x in f.get(key, "").splitlines() if x.strip()]


def _defect_fields(f: dict[str, str]) -> dict[str, Any]:
    """The defect edit form: every field it carries; an empty link (owner, task, deliverable) clears it."""
    out: dict[str, Any] = {}
    for k in ("title", "description", "severity", "found_in", "status"):
        if k in f:
            out[k] = f[k].strip()
    if "priority" in f:
        out["priority"] = req_int(f, "priority")
    for k in ("owner_id", "task_id", "deliverable_id"):
        if k in f:
            out[k] = opt_int(f, k)
    return out


# --------------------------------------------------------------------------------------------- stakeholders


@router.get(P + "/stakeholders", response_class=HTMLResponse)
def stakeholders_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, "stakeholders")


@router.post(P + "/stakeholders", response_class=HTMLResponse)
def stakeholders_add(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    f = form
    return _act(request, db, info, project_id, "stakeholders", "stakeholder", lambda s: stakeholders.create_stakeholder(
        s, info.actor, project_id, name=f.get("name", ""), kind=f.get("kind") or "person", user_id=opt_int(f, "user_id"),
        department_id=opt_int(f, "department_id"), interest=opt_int(f, "interest") or 3,
        influence=opt_int(f, "influence") or 3, attitude=f.get("attitude") or "neutral",
        current_engagement=f.get("current_engagement") or "neutral",
        desired_engagement=f.get("desired_engagement") or "supportive",
        communication_needs=f.get("communication_needs", "")), form=f)  # fmt: skip


@router.post(P + "/stakeholders/{stakeholder_id}", response_class=HTMLResponse)
def stakeholders_edit(request: Request, project_id: int, stakeholder_id: int, form: FormData, db: DB,
                      info: Checked) -> Response:  # fmt: skip
    """Edit a register entry (the version it was read at; a stale one is refused with the current state)."""
    f = form
    fields: dict[str, Any] = {k: f[k].strip() for k in ("name", "kind", "attitude", "current_engagement",
                                                        "desired_engagement", "communication_needs") if k in f}  # fmt: skip
    for k in ("user_id", "department_id"):
        if k in f:
            fields[k] = opt_int(f, k)
    for k in ("interest", "influence"):
        if k in f:
            fields[k] = req_int(f, k)
    return _act(request, db, info, project_id, "stakeholders", f"stakeholder-{stakeholder_id}",
                lambda s: stakeholders.update_stakeholder(s, info.actor, project_id, stakeholder_id,
                                                          req_int(f, "version"), **fields), form=f)  # fmt: skip


# --------------------------------------------------------------------------------------------- concerns


@router.get(P + "/concerns", response_class=HTMLResponse)
def concerns_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, "concerns")


@router.post(P + "/concerns", response_class=HTMLResponse)
def concerns_raise(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    areas = [
        a.value for a in ConcernArea if form.get(f"area_{a.value}") == "on" or form.get("area") == a.value
    ]
    return _act(request, db, info, project_id, "concerns", "concern", lambda s: stakeholders.raise_concern(
        s, info.actor, project_id, subject=form.get("subject", ""), areas=areas,
        severity=form.get("severity") or "medium", body=form.get("body", ""), needed_by=opt_date(form, "needed_by"),
        confidential=form.get("confidential") == "on"), form=form)  # fmt: skip


def _concern_conflict(s: Any, a: Any, pid: int, cid: int, f: dict[str, str]) -> Any:
    from charter.services import conflicts

    return conflicts.from_concern(s, a, pid, cid)


# What a concern's buttons do: name -> (the change, where it leads ({id}: the record made), keep the form).
_CONCERN: dict[str, tuple[Callable[[Any, Any, int, int, dict[str, str]], Any], str | None, bool]] = {
    "acknowledge": (lambda s, a, pid, cid, f: stakeholders.acknowledge(s, a, pid, cid), None, False),
    "answer": (lambda s, a, pid, cid, f: stakeholders.answer(s, a, pid, cid, text=f.get("text", "")), None, False),
    "change-request": (lambda s, a, pid, cid, f: stakeholders.to_change_request(s, a, pid, cid), "changes", False),
    "conflict": (_concern_conflict, "conflicts", False),
    "risk": (lambda s, a, pid, cid, f: stakeholders.to_risk(s, a, pid, cid, category=f.get("category") or None,
                                                            title=f.get("title") or None), "risks", True),
}  # fmt: skip
CONCERN_ACTIONS = frozenset(_CONCERN)  # the `{what}` of POST /projects/{id}/concerns/{concern_id}/{what}


@router.post(P + "/concerns/{concern_id}/{what}", response_class=HTMLResponse)
def concerns_act(request: Request, project_id: int, concern_id: int, what: str, form: FormData, db: DB,
                 info: Checked) -> Response:  # fmt: skip
    if what not in _CONCERN:
        raise unknown_action(what)
    run, leads_to, keep = _CONCERN[what]
    return _act(request, db, info, project_id, "concerns", f"c{concern_id}",
                lambda s: run(s, info.actor, project_id, concern_id, form),
                back=f"/projects/{project_id}/{leads_to}/{{id}}" if leads_to else None,
                form=form if keep else None)  # fmt: skip


# --------------------------------------------------------------------------------------------- changes


@router.get(P + "/changes", response_class=HTMLResponse)
def changes_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    n = request.query_params.get("baseline")
    extra = None
    if n not in (None, ""):
        num = int(n) if n.isdecimal() else -1
        extra = lambda s, a: {"report": change.since_baseline(s, a, project_id, num)}  # noqa: E731
    return _page(request, db, info, project_id, "changes", extra=extra)


@router.post(P + "/changes", response_class=HTMLResponse)
def changes_create(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    return _act(request, db, info, project_id, "changes", "create", lambda s: change.create_change_request(
        s, info.actor, project_id, title=form.get("title", ""), description=form.get("description", ""),
        reason=form.get("reason", ""), areas=[a.value for a in ConcernArea if form.get(f"area_{a.value}") == "on"]),
        back=f"/projects/{project_id}/changes/{{id}}", form=form)  # fmt: skip


def _cr_page(request: Request, db: DB, info: Any, pid: int, cr_id: int, *, error: dict[str, Any] | None = None,
             status: int = 200, values: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        ctx = _head(s, info.actor, pid)
        cr = change.get_change_request(s, info.actor, pid, cr_id)
        about = discussion(s, info.actor, pid, "change_request", cr["id"])
        sched = scheduling.get_schedule(s, info.actor, pid)
        people = _people(s, pid)
        from charter.services import budget

        try:
            lines = budget.list_lines(s, info.actor, pid)
        except CharterError:
            lines = []
    return render(request, "quality_change.html", {**ctx, "view": "changes", "cr": cr, "tasks": sched["tasks"],
                                                   "lines": lines, "wps": sched["summaries"], "error": error,
                                                   "discussion": about,
                                                   "values": values or {}, "people": people,
                                                   "areas": [x.value for x in ConcernArea],
                                                   "can_decide": "change.decide" in ctx["caps"],
                                                   "can_withdraw": "change.decide" in ctx["caps"]
                                                   or (cr["requested_by"] is not None
                                                       and cr["requested_by"] == info.actor.user_id)}, status)  # fmt: skip


@router.get(P + "/changes/{cr_id}", response_class=HTMLResponse)
def change_page(request: Request, project_id: int, cr_id: int, db: DB, info: Session) -> HTMLResponse:
    return _cr_page(request, db, info, project_id, cr_id)


def _op(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("op", "")
    if kind == "task_duration":
        return {"op": kind, "task_id": req_int(form, "task_id"), "duration": form.get("duration", "")}
    if kind == "add_task":
        op: dict[str, Any] = {"op": kind, "name": form.get("name", ""), "duration": form.get("duration") or None,
                              "work_package_id": opt_int(form, "work_package_id")}  # fmt: skip
        if opt_int(form, "pred_id"):
            op["predecessors"] = [opt_int(form, "pred_id")]
        return {k: v for k, v in op.items() if v is not None}
    if kind == "add_link":
        return {"op": kind, "pred_id": req_int(form, "pred_id"), "succ_id": req_int(form, "succ_id")}
    if kind == "budget_line":
        return {
            "op": kind,
            "budget_line_id": req_int(form, "budget_line_id"),
            "amount": form.get("amount", ""),
        }
    if kind == "json":
        try:
            ops = json.loads(form.get("changes") or "[]")
        except ValueError:
            raise ValidationError("not valid JSON", field="changes") from None
        return {"op": "json", "ops": ops}
    raise ValidationError("choose a kind of change", field="op")


def _cr_add(s: Any, a: Any, pid: int, cr_id: int, form: dict[str, str]) -> Any:
    op = _op(form)
    if op["op"] == "json":
        cur = change.get_change_request(s, a, pid, cr_id)
        return change.update_change_request(
            s, a, pid, cr_id, cur["version"], changes=[*cur["changes"], *op["ops"]]
        )
    return change.add_change(s, a, pid, cr_id, op)


def _cr_clear(s: Any, a: Any, pid: int, cr_id: int, form: dict[str, str]) -> Any:
    # the version the page showed: clearing must not remove changes someone added since (409 instead)
    return change.update_change_request(s, a, pid, cr_id, req_int(form, "version"), changes=[])


def _cr_edit(s: Any, a: Any, pid: int, cr_id: int, form: dict[str, str]) -> Any:
    fields: dict[str, Any] = {k: form[k].strip() for k in ("title", "description", "reason") if k in form}
    if form.get("board") == "1":
        fields["areas"] = [x.value for x in ConcernArea if form.get(f"area_{x.value}") == "on"]
    if form.get("set_board") == "1":  # shown to those who decide changes, until voting starts
        fields["approver_ids"] = sorted(int(k[9:]) for k, v in form.items()
                                        if k.startswith("approver_") and k[9:].isdecimal() and v == "on")  # fmt: skip
        fields["quorum"] = opt_int(form, "quorum") or 0
    return change.update_change_request(s, a, pid, cr_id, req_int(form, "version"), **fields)


_CHANGE: dict[str, Callable[[Any, Any, int, int, dict[str, str]], Any]] = {
    "edit": _cr_edit,
    "add": _cr_add,
    "clear": _cr_clear,
    "preview": lambda s, a, pid, cr_id, f: change.preview(s, a, pid, cr_id),
    "approve": lambda s, a, pid, cr_id, f: change.decide(s, a, pid, cr_id, approve=True, reason=f.get("reason", ""),
                                                         baseline_number=opt_int(f, "baseline_number")),
    "reject": lambda s, a, pid, cr_id, f: change.decide(s, a, pid, cr_id, approve=False, reason=f.get("reason", "")),
    "withdraw": lambda s, a, pid, cr_id, f: change.withdraw(s, a, pid, cr_id, req_int(f, "version"),
                                                            reason=f.get("reason", "")),
}  # fmt: skip
CHANGE_ACTIONS = frozenset(_CHANGE)  # the `{what}` of POST /projects/{id}/changes/{cr_id}/{what}


@router.post(P + "/changes/{cr_id}/{what}", response_class=HTMLResponse)
def change_act(request: Request, project_id: int, cr_id: int, what: str, form: FormData, db: DB,
               info: Checked) -> Response:  # fmt: skip
    pid = project_id
    run = _CHANGE.get(what)
    if run is None:
        raise unknown_action(what)
    return _act(request, db, info, pid, "changes", what, lambda s: run(s, info.actor, pid, cr_id, form),
                back=f"/projects/{pid}/changes/{cr_id}",
                render_view=lambda error, status, values: _cr_page(request, db, info, pid, cr_id, error=error,
                                                                   status=status, values=values), form=form)  # fmt: skip
