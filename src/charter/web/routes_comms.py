"""Communication pages: project messages (threads, compose), the liaison's desk, the communication-load
analytics (an SVG bar chart per week, direct vs via liaison), the communication plan and meetings. Pages read
services only; every change goes through services.comms / comm_plan / meetings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from charter.domain.errors import CharterError, ValidationError
from charter.services import (
    accounts,
    attachments,
    comm_plan,
    comms,
    comms_about,
    comms_analytics,
    meetings,
    org,
    projects,
    roles,
)
from charter.services.comms_common import is_manager, liaison_departments, members, sees_departments
from charter.web import discussion, routes_quality, routes_risk, routes_team, task_page
from charter.web.app import render
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
from charter.web.forms import ids as form_ids

router = APIRouter()
P = "/projects/{project_id}"
CHART_H = 140


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _err(exc: CharterError, form: str) -> dict[str, Any]:
    return {"form": form, "message": exc.message, "field": exc.field}


def _refusal(exc: CharterError) -> bool:
    """Refusals about the page itself (not about a field) are rendered as the error page."""
    return exc.http_status in (401, 403, 404) and exc.field in (
        None,
        "project",
        "item_id",
        "meeting_id",
        "entry_id",
    )


def _people(s: Any, actor: Any, project_id: int) -> list[dict[str, Any]]:
    inside = members(s, project_id)
    return [u for u in accounts.list_users(s, actor) if u["id"] in inside]


def _head(s: Any, actor: Any, project_id: int) -> dict[str, Any]:
    caps = projects.capabilities(s, actor, project_id)
    return {"project": projects.get_project(s, actor, project_id), "caps": caps, **_ATTACH,
            "attach_limit": attachments.limit_text(),  # read per page: the setting may change
            "sees_departments": sees_departments(s, actor, project_id)}  # fmt: skip


_ATTACH = {  # what the file inputs say and accept (the server checks the content regardless)
    "attach_kinds": attachments.kinds(attachments.MESSAGE_TYPES),
    "attach_accept": ",".join(
        sorted(attachments.MESSAGE_TYPES | {".docx", ".xlsx", ".pptx", ".csv", ".txt"})
    ),
    "attach_most": attachments.MAX_FILES_PER_MESSAGE,
}


async def _uploads(request: Request) -> list[attachments.Upload]:
    """The files of the form's `files` input (an empty input sends one nameless empty part: skipped)."""
    out = []
    for f in (await request.form()).getlist("files"):
        if isinstance(f, str):
            continue
        data = await f.read(attachments.max_bytes() + 1)
        if data or f.filename:
            out.append(attachments.Upload(f.filename or "", data))
    await run_in_threadpool(attachments.read_ahead, out)  # before the transaction, off the event loop
    return out


# --------------------------------------------------------------------------------------------- messages


def _messages_page(request: Request, db: DB, info: Any, project_id: int, *, error: dict[str, Any] | None = None,
                   values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    flt = request.query_params.get("status") or None
    with db.uow(readonly=True) as s:
        ctx = _head(s, actor, project_id)
        items = comms.list_items(s, actor, project_id, status=flt)
        people = _people(s, actor, project_id)
        depts = org.list_departments(s, actor)
        role_list = roles.list_roles(s, actor, project_id)
        about = _about(s, project_id, values or {})
    return render(request, "comms_messages.html", {
        **ctx, "view": "messages", "items": items, "people": people, "depts": depts, "roles": role_list,
        "filter": flt, "error": error, "values": values or {}, "about": about,
        "about_url": discussion.url_of(project_id, about),
    }, status)  # fmt: skip


def _about(s: Any, project_id: int, values: dict[str, str]) -> dict[str, Any] | None:
    """What a refused post from an object's Discussion form was about (it is kept in the compose form)."""
    etype, eid = values.get("entity_type") or "", (values.get("entity_id") or "").strip()
    if not etype or not (eid.isascii() and eid.isdigit()):
        return None
    return comms_about.describe(s, project_id, etype, int(eid))


@router.get(P + "/messages", response_class=HTMLResponse)
def messages_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _messages_page(request, db, info, project_id)


@router.post(P + "/messages", response_class=HTMLResponse)
async def messages_send(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    files = await _uploads(request)

    def go() -> Response:  # in a worker thread: the transaction never holds up the event loop
        try:
            to = form.get("to") or "pm"
            with db.uow() as s:
                item = comms.send(
                    s, info.actor, project_id, to=to, subject=form.get("subject", ""), body=form.get("body", ""),
                    kind=form.get("kind") or ("announcement" if to in ("project", "role") else "message"),
                    to_user_id=opt_int(form, "to_user_id") if to == "user" else None,
                    to_department_id=opt_int(form, "to_department_id") if to == "department" else None,
                    to_role_id=opt_int(form, "to_role_id") if to == "role" else None, files=files,
                    entity_type=form.get("entity_type") or None, entity_id=opt_int(form, "entity_id"),
                )  # fmt: skip
        except CharterError as exc:
            if _refusal(exc):
                raise
            page = _discussion_page(form)
            if page is not None:
                show, entity_id = page
                return show(request, db, info, project_id, entity_id, error=_err(exc, "discussion"),
                            values={**form, "_form": "discussion"}, status=exc.http_status)  # fmt: skip
            return _messages_page(request, db, info, project_id, error=_err(exc, "compose"),
                                  values={**form, "_form": "compose"}, status=exc.http_status)  # fmt: skip
        return _back(f"/projects/{project_id}/messages/{item['id']}")

    return await run_in_threadpool(go)


# The pages with a Discussion form (templates/discussion.html), by the type of their object; each renderer
# takes (request, db, info, project_id, object_id, error=, values=, status=) and reads the object through its
# service, so an object of another project, or one the viewer cannot see, is a 404 there as on a GET.
_DISCUSSION_PAGES: dict[str, Callable[..., HTMLResponse]] = {
    "task": task_page.render_task_page,
    "work_package": routes_team._board,
    "risk": routes_risk._page,
    "change_request": routes_quality._cr_page,
}


def _discussion_page(form: dict[str, str]) -> tuple[Callable[..., HTMLResponse], int] | None:
    """Where a refused post from an object's Discussion form is shown again: the object's own page, rebuilt
    from the posted object (a type of `_DISCUSSION_PAGES` and an id; the path's project); None (the messages
    page) for any other form. The form names no URL, so nothing it carries can send the browser elsewhere."""
    if form.get("return_to") != "discussion":
        return None
    show = _DISCUSSION_PAGES.get(form.get("entity_type") or "")
    entity_id = (form.get("entity_id") or "").strip()
    if show is None or not (entity_id.isascii() and entity_id.isdigit()):
        return None
    return show, int(entity_id)


def _thread_page(request: Request, db: DB, info: Any, project_id: int, item_id: int, *,
                 error: dict[str, Any] | None = None, status: int = 200,
                 values: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        ctx = _head(s, actor, project_id)
        item = comms.get_item(s, actor, project_id, item_id)
        liaison_of = liaison_departments(s, actor, project_id)
        manager = is_manager(s, actor, project_id)
    uid = actor.user_id
    may_forward = item["status"] == "with_liaison" and item["department_id"] in liaison_of
    may_answer = item["status"] in comms.OPEN_STATUSES and (
        manager or item["department_id"] in liaison_of or uid == item["to_user_id"]
    )
    may_close = item["status"] != "closed" and (
        manager or uid == item["raised_by"] or item["department_id"] in liaison_of
    )
    return render(request, "comms_thread.html", {
        **ctx, "view": "messages", "item": item, "may_forward": may_forward, "may_answer": may_answer,
        "may_close": may_close, "is_pm": uid is not None and uid == item["pm_id"], "error": error,
        "about_url": discussion.url_of(project_id, item["about"]),
        "values": values or {},
    }, status)  # fmt: skip


@router.get(P + "/messages/{item_id}", response_class=HTMLResponse)
def thread_page(request: Request, project_id: int, item_id: int, db: DB, info: Session) -> HTMLResponse:
    return _thread_page(request, db, info, project_id, item_id)


def _thread_action(request: Request, db: DB, info: Any, project_id: int, item_id: int, form_name: str,
                   fn: Callable[[Any], Any], form: Any = None) -> Response:  # fmt: skip
    """Run one thread use-case; on a refusal show the thread again with the error and what was typed."""
    try:
        with db.uow() as s:
            fn(s)
    except CharterError as exc:
        if _refusal(exc):
            raise
        typed = {k: v for k, v in (form or {}).items() if isinstance(v, str) and k != "csrf_token"}
        return _thread_page(request, db, info, project_id, item_id, error=_err(exc, form_name),
                            status=exc.http_status, values=typed)  # fmt: skip
    return _back(f"/projects/{project_id}/messages/{item_id}")


@router.post(P + "/messages/{item_id}/reply", response_class=HTMLResponse)
async def thread_reply(
    request: Request, project_id: int, item_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    files = await _uploads(request)
    return await run_in_threadpool(
        _thread_action, request, db, info, project_id, item_id, "reply",
        lambda s: comms.reply(s, info.actor, project_id, item_id, body=form.get("body", ""), files=files), form,
    )  # fmt: skip


@router.get(P + "/messages/{item_id}/attachments/{attachment_id}")
def thread_attachment(project_id: int, item_id: int, attachment_id: int, db: DB, info: Session) -> Response:
    """Always a download (Content-Disposition: attachment, nosniff, sandbox CSP), for whoever sees the
    thread; otherwise 404."""
    with db.uow(readonly=True) as s:
        f = comms.attachment_file(s, info.actor, project_id, item_id, attachment_id)
    return Response(f.data, media_type=f.content_type, headers=attachments.download_headers(f.filename))


@router.post(P + "/messages/{item_id}/answer", response_class=HTMLResponse)
async def thread_answer(
    request: Request, project_id: int, item_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    files = await _uploads(request)

    def go(s: Any) -> Any:
        return comms.answer(s, info.actor, project_id, item_id, body=form.get("body", ""),
                            pm_minutes=opt_int(form, "pm_minutes"), files=files)  # fmt: skip

    return await run_in_threadpool(_thread_action, request, db, info, project_id, item_id, "answer", go, form)


@router.post(P + "/messages/{item_id}/forward", response_class=HTMLResponse)
async def thread_forward(
    request: Request, project_id: int, item_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    files = await _uploads(request)

    def go(s: Any) -> Any:
        return comms.forward(s, info.actor, project_id, item_ids=[item_id], note=form.get("note", ""),
                             files=files)  # fmt: skip

    return await run_in_threadpool(
        _thread_action, request, db, info, project_id, item_id, "forward", go, form
    )


@router.post(P + "/messages/{item_id}/close", response_class=HTMLResponse)
def thread_close(request: Request, project_id: int, item_id: int, db: DB, info: Checked) -> Response:
    return _thread_action(request, db, info, project_id, item_id, "close",
                          lambda s: comms.close(s, info.actor, project_id, item_id))  # fmt: skip


# --------------------------------------------------------------------------------------------- liaison desk


def _desk_page(request: Request, db: DB, info: Any, project_id: int, *, error: dict[str, Any] | None = None,
               status: int = 200, note: str = "", picked: list[int] | None = None) -> HTMLResponse:  # fmt: skip
    """The liaison desk; after a refused forward, with the note typed and the messages ticked."""
    with db.uow(readonly=True) as s:
        ctx = _head(s, info.actor, project_id)
        desk = comms.desk(s, info.actor, project_id)
    return render(request, "comms_liaison.html", {**ctx, "view": "liaison", "desk": desk, "error": error,
                                                  "note": note, "picked": picked or []}, status)  # fmt: skip


@router.get(P + "/liaison", response_class=HTMLResponse)
def liaison_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _desk_page(request, db, info, project_id)


@router.post(P + "/liaison/forward", response_class=HTMLResponse)
async def liaison_forward(request: Request, project_id: int, db: DB, info: Checked) -> Response:
    raw = await request.form()
    ids = form_ids(raw.getlist("item_ids"))
    note = raw.get("note")
    files = await _uploads(request)

    def go() -> Response:  # in a worker thread: the transaction never holds up the event loop
        try:
            with db.uow() as s:
                comms.forward(s, info.actor, project_id, item_ids=ids, note=note if isinstance(note, str) else "",
                              files=files)  # fmt: skip
        except CharterError as exc:
            if _refusal(exc):
                raise
            return _desk_page(request, db, info, project_id, error=_err(exc, "forward"), status=exc.http_status,
                              note=note if isinstance(note, str) else "", picked=ids)  # fmt: skip
        return _back(f"/projects/{project_id}/liaison")

    return await run_in_threadpool(go)


# --------------------------------------------------------------------------------------------- analytics


def chart(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the weekly bar chart: for each week a bar of direct items and one of items via a liaison."""
    top = max([max(w["direct"], w["via_liaison"]) for w in weeks] + [1])
    bw, gap = 16, 10
    bars = []
    for n, w in enumerate(weeks):
        x = n * (2 * bw + gap)
        for k, (cls, value) in enumerate((("direct", w["direct"]), ("via", w["via_liaison"]))):
            h = round(value / top * CHART_H, 1)
            bars.append({"cls": cls, "x": x + k * bw, "y": round(CHART_H - h, 1), "w": bw - 2, "h": h,
                         "value": value, "week": w["week"]})  # fmt: skip
    labels = [{"x": n * (2 * bw + gap) + bw, "text": w["week"][-3:]} for n, w in enumerate(weeks)]
    return {"bars": bars, "labels": labels, "width": max(len(weeks) * (2 * bw + gap), 60), "height": CHART_H,
            "top": top}  # fmt: skip


@router.get(P + "/comms/analytics", response_class=HTMLResponse)
def analytics_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    with db.uow(readonly=True) as s:
        ctx = _head(s, info.actor, project_id)
        data = comms_analytics.analytics(s, info.actor, project_id)
    return render(request, "comms_analytics.html", {**ctx, "view": "analytics", "data": data,
                                                    "chart": chart(data["weeks"])})  # fmt: skip


# --------------------------------------------------------------------------------------------- plan


def _plan_page(request: Request, db: DB, info: Any, project_id: int, *, error: dict[str, Any] | None = None,
               values: dict[str, str] | None = None, flagged: int | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        ctx = _head(s, actor, project_id)
        plan = comm_plan.list_plan(s, actor, project_id)
        people = _people(s, actor, project_id)
        depts = org.list_departments(s, actor)
        role_list = roles.list_roles(s, actor, project_id)
    due = sorted((e for e in plan if e["due"]), key=lambda e: e["next_due"])
    return render(request, "comms_plan.html", {
        **ctx, "view": "plan", "plan": plan, "due": due, "people": people, "depts": depts, "roles": role_list,
        "error": error, "values": values or {}, "flagged": flagged,
    }, status)  # fmt: skip


@router.get(P + "/comm-plan", response_class=HTMLResponse)
def plan_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _plan_page(request, db, info, project_id)


def _plan_values(form: dict[str, str]) -> dict[str, Any]:
    """A plan entry's fields from its form (the add form and an entry's edit form): the audience's one id."""
    audience = form.get("audience") or "project"
    return {"information": form.get("information", ""), "audience": audience,
            "audience_user_id": opt_int(form, "audience_user_id") if audience == "user" else None,
            "audience_department_id": opt_int(form, "audience_department_id") if audience == "department" else None,
            "audience_role_id": opt_int(form, "audience_role_id") if audience == "role" else None,
            "frequency": form.get("frequency") or "weekly", "channel": form.get("channel") or "in_app",
            "owner_id": opt_int(form, "owner_id"), "starts_on": opt_date(form, "starts_on")}  # fmt: skip


@router.post(P + "/comm-plan", response_class=HTMLResponse)
def plan_create(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        values = _plan_values(form)
        with db.uow() as s:
            comm_plan.create_entry(s, info.actor, project_id, **values)
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _plan_page(request, db, info, project_id, error=_err(exc, "plan"),
                          values={**form, "_form": "plan"}, status=exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/comm-plan")


@router.post(P + "/comm-plan/{entry_id}/done", response_class=HTMLResponse)
def plan_done(request: Request, project_id: int, entry_id: int, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        comm_plan.mark_done(s, info.actor, project_id, entry_id)
    return _back(f"/projects/{project_id}/comm-plan")


@router.post(P + "/comm-plan/check", response_class=HTMLResponse)
def plan_check(request: Request, project_id: int, db: DB, info: Checked) -> Response:
    with db.uow() as s:
        flagged = comm_plan.flag_overdue(s, info.actor, project_id)
    return _plan_page(request, db, info, project_id, flagged=len(flagged))


@router.post(P + "/comm-plan/{entry_id}", response_class=HTMLResponse)
def plan_update(
    request: Request, project_id: int, entry_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Change an entry (what, to whom, how often, how, who owns it, from when; paused when not active)."""
    try:
        values = _plan_values(form)
        for key in ("owner_id", "starts_on"):  # left empty: as they were
            if values[key] is None:
                del values[key]
        values["active"] = form.get("active") == "on"
        with db.uow() as s:
            comm_plan.update_entry(s, info.actor, project_id, entry_id, req_int(form, "version"), **values)
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _plan_page(request, db, info, project_id, error=_err(exc, f"plan-{entry_id}"),
                          values={**form, "_form": f"plan-{entry_id}"}, status=exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/comm-plan#entry-{entry_id}")


@router.post(P + "/comm-plan/{entry_id}/delete", response_class=HTMLResponse)
def plan_delete(
    request: Request, project_id: int, entry_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Remove an entry made by mistake (the journal keeps it); one that ended is better paused. The form sends
    the version shown: changed since, the page shows the entry as it is now and nothing is removed."""
    try:
        with db.uow() as s:
            comm_plan.delete_entry(s, info.actor, project_id, entry_id, req_int(form, "version"))
    except CharterError as exc:
        if _refusal(exc):
            raise
        return _plan_page(request, db, info, project_id, error=_err(exc, f"plan-{entry_id}"),
                          values={"_form": f"plan-{entry_id}"}, status=exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/comm-plan")


# --------------------------------------------------------------------------------------------- meetings


def _meetings_page(request: Request, db: DB, info: Any, project_id: int, *, error: dict[str, Any] | None = None,
                   values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        ctx = _head(s, info.actor, project_id)
        rows = meetings.list_meetings(s, info.actor, project_id)
        people = _people(s, info.actor, project_id)
    return render(request, "comms_meetings.html", {**ctx, "view": "meetings", "meetings": rows, "people": people,
                                                   "error": error, "values": values or {}}, status)  # fmt: skip


@router.get(P + "/meetings", response_class=HTMLResponse)
def meetings_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _meetings_page(request, db, info, project_id)


@router.post(P + "/meetings", response_class=HTMLResponse)
async def meetings_create(request: Request, project_id: int, db: DB, info: Checked) -> Response:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    attendees = form_ids(raw.getlist("attendee_ids"))

    def go() -> Response:  # in a worker thread: the transaction never holds up the event loop
        try:
            starts, ends = opt_datetime(form, "starts_at"), opt_datetime(form, "ends_at")
            if starts is None or ends is None:
                raise ValidationError("give the start and the end", field="starts_at")
            with db.uow() as s:
                m = meetings.create_meeting(s, info.actor, project_id, title=form.get("title", ""),
                                            starts_at=starts, ends_at=ends, location=form.get("location", ""),
                                            agenda=form.get("agenda", ""), attendee_ids=attendees)  # fmt: skip
        except CharterError as exc:
            if _refusal(exc):
                raise
            return _meetings_page(request, db, info, project_id, error=_err(exc, "meeting"),
                                  values={**form, "_form": "meeting"}, status=exc.http_status)  # fmt: skip
        return _back(f"/projects/{project_id}/meetings/{m['id']}")

    return await run_in_threadpool(go)


def _meeting_page(request: Request, db: DB, info: Any, project_id: int, meeting_id: int, *,
                  error: dict[str, Any] | None = None, status: int = 200,
                  values: dict[str, Any] | None = None) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        ctx = _head(s, info.actor, project_id)
        m = meetings.get_meeting(s, info.actor, project_id, meeting_id)
        people = _people(s, info.actor, project_id)
        manager = is_manager(s, info.actor, project_id)
        may_edit = manager or info.actor.user_id == m["organiser_id"]
        targets = meetings.action_targets(s, info.actor, project_id) if may_edit else []
    return render(request, "comms_meeting.html", {**ctx, "view": "meetings", "m": m, "people": people,
                                                  "may_edit": may_edit, "action_targets": targets,
                                                  "error": error, "values": values}, status)  # fmt: skip


@router.get(P + "/meetings/{meeting_id}", response_class=HTMLResponse)
def meeting_page(request: Request, project_id: int, meeting_id: int, db: DB, info: Session) -> HTMLResponse:
    return _meeting_page(request, db, info, project_id, meeting_id)


@router.get(P + "/meetings/{meeting_id}/invite.ics")
def meeting_ics(project_id: int, meeting_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        ics = meetings.invitation_ics(s, info.actor, project_id, meeting_id)
    return Response(ics, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})  # fmt: skip


def _minutes(s: Any, a: Any, pid: int, mid: int, form: dict[str, str]) -> None:
    m = meetings.get_meeting(s, a, pid, mid)
    meetings.update_meeting(s, a, pid, mid, req_int(form, "version"), minutes=form.get("minutes", ""),
                            agenda=form.get("agenda", m["agenda"]))  # fmt: skip


def _meeting_action(s: Any, a: Any, pid: int, mid: int, form: dict[str, str]) -> None:
    due = opt_date(form, "due_on")
    if due is None:
        raise ValidationError("give a due date", field="due_on")
    meetings.add_action(s, a, pid, mid, text=form.get("text", ""), owner_id=req_int(form, "owner_id"), due_on=due,
                        work_package_id=opt_int(form, "work_package_id"),
                        duration=form.get("duration") or None)  # fmt: skip


_MEETING: dict[str, Callable[[Any, Any, int, int, dict[str, str]], Any]] = {
    "minutes": _minutes,
    "decisions": lambda s, a, pid, mid, f: meetings.add_decision(s, a, pid, mid, text=f.get("text", "")),
    "actions": _meeting_action,
}
MEETING_ACTIONS = frozenset(_MEETING)  # the `{what}` of POST /projects/{id}/meetings/{meeting_id}/{what}


@router.post(P + "/meetings/{meeting_id}/{what}", response_class=HTMLResponse)
def meeting_change(request: Request, project_id: int, meeting_id: int, what: str, form: FormData, db: DB,
                   info: Checked) -> Response:  # fmt: skip
    run = _MEETING.get(what)
    if run is None:
        raise unknown_action(what)
    try:
        with db.uow() as s:
            run(s, info.actor, project_id, meeting_id, form)
    except CharterError as exc:
        if _refusal(exc):
            raise
        typed = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return _meeting_page(request, db, info, project_id, meeting_id, error=_err(exc, what),
                             status=exc.http_status, values={**typed, "_form": what})  # fmt: skip
    return _back(f"/projects/{project_id}/meetings/{meeting_id}")
