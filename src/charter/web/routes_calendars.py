"""A project's working calendars: the list (working days, hours, public holidays, the project default, how
many tasks use each, exceptions) and a calendar's page with its forms (change the working time, add an
exception for a day or a range of days, remove one). Every change goes through services.calendars and
reschedules the project in the same transaction, as the API and the CLI do."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.calendars import DAY_NAMES, FULL_DAY_NAMES, format_shifts, parse_shifts
from charter.domain.errors import CharterError, Conflict, NotFound, ValidationError
from charter.services import calendars, projects, scheduling
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_date, req_int

router = APIRouter()

NAME_MAX, COUNTRY_MAX, SUBDIV_MAX = 120, 8, 16  # the columns' limits
EDIT_FIELDS = ("name", "weekdays", "shifts", "country", "subdiv")


def _view(c: dict[str, Any], uses: dict[int | None, int]) -> dict[str, Any]:
    """A calendar as the pages show it: days and hours as text, and how many tasks use it (a task without
    a calendar of its own follows the project default)."""
    tasks = uses.get(c["id"], 0) + (uses.get(None, 0) if c["is_project_default"] else 0)
    return {
        **c,
        "days_text": ", ".join(DAY_NAMES[d] for d in c["weekdays"]),
        "shifts_text": format_shifts(c["shifts"]),
        "holidays_text": (c["country"] or "") + (f"-{c['subdiv']}" if c["subdiv"] else ""),
        "hours_a_day": f"{c['minutes_per_day'] / 60:g}",
        "tasks": tasks,
    }


def _page(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    calendar_id: int | None = None,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        caps = projects.capabilities(s, actor, project_id)
        rows = calendars.list_calendars(s, actor, project_id)
        sched = scheduling.get_schedule(s, actor, project_id)
    uses: dict[int | None, int] = {}
    for t in sched["tasks"]:
        uses[t["calendar_id"]] = uses.get(t["calendar_id"], 0) + 1
    cals = [_view(c, uses) for c in rows]
    cal = None
    if calendar_id is not None:
        cal = next((c for c in cals if c["id"] == calendar_id), None)
        if cal is None:
            raise NotFound(f"calendar {calendar_id} not found in this project", field="calendar_id")
    return render(
        request,
        "calendar.html" if cal else "calendars.html",
        {
            "project": project,
            "sched": sched,
            "view": "calendars",
            "calendars": cals,
            "cal": cal,
            "may_edit": "task.edit" in caps,
            "day_names": FULL_DAY_NAMES,
            "error": error,
            "values": values or {},
            **extra,
        },
        status,
    )


def _failed(
    request: Request, db: DB, info: Any, project_id: int, calendar_id: int | None, form_name: str,
    exc: CharterError, form: dict[str, str], **extra: Any,
) -> HTMLResponse:  # fmt: skip
    """The page again with the message beside the field and the typed values kept. A refusal of the whole
    action (a role that may not edit calendars: 403) and a calendar of another project (404) are the error
    page, as on the other pages."""
    if exc.http_status in (403, 404) and exc.field in (None, "calendar_id", "project"):
        raise exc
    return _page(request, db, info, project_id, calendar_id, status=exc.http_status,
                 error={"form": form_name, "message": exc.message, "field": exc.field},
                 values={**form, "_form": form_name}, **extra)  # fmt: skip


def _text(form: dict[str, str], key: str, limit: int) -> str:
    v = (form.get(key) or "").strip()
    if len(v) > limit:
        raise ValidationError(f"at most {limit} characters", field=key)
    return v


def _fields(form: dict[str, str]) -> dict[str, Any]:
    """The calendar form as the service's fields: the ticked weekdays (day_0 .. day_6), the working hours as
    text ("09:00-13:00,14:00-18:00"), a country and region of public holidays (empty: none)."""
    if not (form.get("name") or "").strip():
        raise ValidationError("the calendar needs a name", field="name")
    days = [i for i in range(7) if form.get(f"day_{i}") == "on"]
    if not days:
        raise ValidationError("tick at least one working day", field="weekdays")
    shifts = parse_shifts(form.get("shifts") or "")
    if not shifts:
        raise ValidationError('give the working hours, e.g. "09:00-13:00,14:00-18:00"', field="shifts")
    country = _text(form, "country", COUNTRY_MAX).upper()
    subdiv = _text(form, "subdiv", SUBDIV_MAX)
    if subdiv and not country:
        raise ValidationError("a region needs its country", field="subdiv")
    return {"name": _text(form, "name", NAME_MAX), "weekdays": days, "shifts": shifts,
            "country": country or None, "subdiv": subdiv or None}  # fmt: skip


def _back(project_id: int, calendar_id: int | None = None, anchor: str = "") -> RedirectResponse:
    url = f"/projects/{project_id}/calendars" + (f"/{calendar_id}" if calendar_id else "")
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


@router.get("/projects/{project_id}/calendars", response_class=HTMLResponse)
def calendars_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id)


@router.get("/projects/{project_id}/calendars/{calendar_id}", response_class=HTMLResponse)
def calendar_page(request: Request, project_id: int, calendar_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, calendar_id)


@router.post("/projects/{project_id}/calendars", response_class=HTMLResponse)
def create_calendar(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        fields = _fields(form)
        with db.uow() as s:  # a new calendar is used by no task yet: nothing to reschedule
            c = calendars.create_calendar(s, info.actor, project_id, **fields)
    except CharterError as exc:
        return _failed(request, db, info, project_id, None, "create", exc, form)
    return _back(project_id, c["id"])


@router.post("/projects/{project_id}/calendars/{calendar_id}", response_class=HTMLResponse)
def update_calendar(
    request: Request, project_id: int, calendar_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        fields = _fields(form)
        with db.uow() as s:
            calendars.update_calendar(
                s, info.actor, project_id, calendar_id, req_int(form, "version"), **fields
            )
    except Conflict as exc:
        current = _view(exc.current, {}) if exc.current else {}
        saved = {"name": current.get("name"), "weekdays": current.get("days_text"),
                 "shifts": current.get("shifts_text"), "country": current.get("country"),
                 "subdiv": current.get("subdiv")}  # fmt: skip
        return _failed(request, db, info, project_id, calendar_id, "edit", exc, form,
                       conflict=[(k, saved[k] or "") for k in EDIT_FIELDS])  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, project_id, calendar_id, "edit", exc, form)
    return _back(project_id, calendar_id)


@router.post("/projects/{project_id}/calendars/{calendar_id}/exceptions", response_class=HTMLResponse)
def add_exception(
    request: Request, project_id: int, calendar_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        first = opt_date(form, "from")
        if first is None:
            raise ValidationError("give the first day", field="from")
        name = _text(form, "name", NAME_MAX)
        working = form.get("working") == "on"
        with db.uow() as s:  # every day or none
            calendars.add_exception(s, info.actor, project_id, calendar_id, day=first, until=opt_date(form, "to"),
                                    working=working, name=name)  # fmt: skip
    except CharterError as exc:
        if exc.field in ("day", "until"):  # the service's names of the form's "from" / "to"
            exc.field = "from" if exc.field == "day" else "to"
        return _failed(request, db, info, project_id, calendar_id, "exception", exc, form)
    return _back(project_id, calendar_id, "exceptions")


@router.post(
    "/projects/{project_id}/calendars/{calendar_id}/exceptions/{exception_id}/delete",
    response_class=HTMLResponse,
)
def remove_exception(
    request: Request,
    project_id: int,
    calendar_id: int,
    exception_id: int,
    form: FormData,
    db: DB,
    info: Checked,
) -> Response:
    try:
        with db.uow() as s:
            calendars.remove_exception(s, info.actor, project_id, calendar_id, exception_id)
    except CharterError as exc:
        if exc.http_status == 404:
            raise
        return _failed(request, db, info, project_id, calendar_id, "exceptions", exc, form)
    return _back(project_id, calendar_id, "exceptions")
