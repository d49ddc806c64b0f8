"""The organisation's resources, MS Project's Resource Sheet: the list (kind, linked user, maximum units,
working time, the rate in force today, calendar entries) and a resource's page with its rates over time and
its days off. Any signed-in user reads them; the instance admin adds a resource, changes one, adds a rate
and enters days off, and a person enters (and takes back) their own days off and working week. Everything
goes through services.resources, as the API and the CLI do: the service decides who may, the pages only
leave out the forms that would be refused."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain.calendars import DAY_NAMES, FULL_DAY_NAMES, format_shifts, parse_shifts
from charter.domain.errors import CharterError, Conflict, ValidationError
from charter.domain.money import for_display, grouped, without_spaces
from charter.services import accounts, org, resources
from charter.web.app import render
from charter.web.forms import DB, Checked, FormData, Session, opt_date, opt_int, req_int

router = APIRouter()

SKILLS_MAX = 50  # the API's limit
EDIT_FIELDS = ("name", "department", "skills", "max_units", "weekdays", "shifts", "active")
HOURS_FIELDS = ("weekdays", "shifts")  # what a person may change of their own resource


def _money(amount: str, currency: str) -> str:
    """A rate with its currency's minor units, and any further digits that carry a value."""
    return grouped(for_display(Decimal(amount).quantize(Decimal(1).scaleb(-resources.RATE_PLACES)), currency))


def _current_rate(rates: list[dict[str, Any]], today: dt.date) -> dict[str, Any] | None:
    """The rate in force today: the latest that starts on or before it (rates come sorted by valid_from)."""
    valid = [x for x in rates if x["valid_from"] <= today]
    return valid[-1] if valid else None


def _view(r: dict[str, Any], users: dict[int, dict[str, Any]], depts: dict[int, str]) -> dict[str, Any]:
    """A resource as the pages show it: its working time as text ("standard" when it keeps the standard
    week), its user and department by name, its rates with their amounts formatted and the one in force."""
    today = dt.date.today()
    rates = [{**x, "standard_text": _money(x["standard"], x["currency"]),
              "overtime_text": _money(x["overtime"], x["currency"])} for x in r["rates"]]  # fmt: skip
    current = _current_rate(rates, today)
    user = users.get(r["user_id"]) if r["user_id"] is not None else None
    return {
        **r,
        "rates": rates,
        "current_rate": current,
        "user": user,
        "department": depts.get(r["department_id"]) if r["department_id"] is not None else None,
        "days_text": ", ".join(DAY_NAMES[d] for d in r["weekdays"]) or "standard (mon .. fri)",
        "shifts_text": format_shifts(r["shifts"]),
        "skills_text": ", ".join(r["skills"]),
        "upcoming": [e for e in r["exceptions"] if e["day"] >= today],
    }


def _page(
    request: Request,
    db: DB,
    info: Any,
    resource_id: int | None = None,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The list (resource_id None) or one resource's page."""
    actor = info.actor
    with db.uow(readonly=True) as s:
        rows = (
            [resources.get_resource(s, actor, resource_id)]
            if resource_id is not None
            else resources.list_resources(s, actor)
        )
        user_rows = accounts.list_users(s, actor)
        dept_rows = org.list_departments(s, actor)
    taken = {r["user_id"] for r in rows}  # (the list's: a user has one resource at most)
    users = {u["id"]: u for u in user_rows}
    depts = {d["id"]: d["name"] for d in dept_rows}
    views = [_view(r, users, depts) for r in rows]
    res = views[0] if resource_id is not None else None
    ctx = {
        "resources": views,
        "res": res,
        "is_admin": actor.is_admin,
        # the person a resource is enters their own days off and working week (services.resources)
        "is_own": res is not None and res["user_id"] is not None and res["user_id"] == actor.user_id,
        "kinds": resources.KINDS,
        "departments": dept_rows,
        "free_users": [u for u in user_rows if u["id"] not in taken and u["is_active"]],
        "day_names": FULL_DAY_NAMES,
        "error": error,
        "values": values or {},
        **extra,
    }
    return render(request, "resource.html" if res else "resources.html", ctx, status)


def _failed(
    request: Request, db: DB, info: Any, resource_id: int | None, form_name: str, exc: CharterError,
    form: dict[str, str], **extra: Any,
) -> HTMLResponse:  # fmt: skip
    """The page again with the message beside the form and what was typed kept. A refusal of the whole action
    (403: the forms are not shown to this user) is said at the top of the page; a resource that is not there
    (404) is the error page."""
    if exc.http_status == 404 and exc.field in (None, "resource_id"):
        raise exc
    if exc.http_status == 403 and exc.field is None:
        form_name = "page"
    return _page(request, db, info, resource_id, status=exc.http_status,
                 error={"form": form_name, "message": exc.message, "field": exc.field},
                 values={**form, "_form": form_name}, **extra)  # fmt: skip


def _back(resource_id: int | None = None, anchor: str = "") -> RedirectResponse:
    url = "/resources" + (f"/{resource_id}" if resource_id else "")
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


# --------------------------------------------------------------------------------------------- form fields


def _units(form: dict[str, str]) -> float:
    """Maximum units: 1 = one full-time unit; "50%" is 0.5, as MS Project shows it."""
    v = without_spaces(form.get("max_units") or "").strip()
    if not v:
        raise ValidationError("give the maximum units (1 = full time)", field="max_units")
    pct = v.endswith("%")
    try:
        n = float(v.removesuffix("%"))
    except ValueError:
        raise ValidationError(f"{v!r} is not a number (e.g. 1, 0.5 or 50%)", field="max_units") from None
    if not math.isfinite(n):
        raise ValidationError(f"{v!r} is not a number (e.g. 1, 0.5 or 50%)", field="max_units")
    return n / 100 if pct else n


def _skills(form: dict[str, str]) -> list[str]:
    skills = list(dict.fromkeys(x.strip() for x in (form.get("skills") or "").split(",") if x.strip()))
    if len(skills) > SKILLS_MAX:
        raise ValidationError(f"at most {SKILLS_MAX} skills", field="skills")
    return skills


def _hours(form: dict[str, str]) -> dict[str, Any]:
    """The working week: the ticked weekdays (day_0 .. day_6) and the working hours as text; none ticked and
    no hours: the standard week."""
    return {"weekdays": [i for i in range(7) if form.get(f"day_{i}") == "on"],
            "shifts": parse_shifts(form.get("shifts") or "") or []}  # fmt: skip


# --------------------------------------------------------------------------------------------- pages


@router.get("/resources", response_class=HTMLResponse)
def resources_page(request: Request, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info)


@router.get("/resources/{resource_id}", response_class=HTMLResponse)
def resource_page(request: Request, resource_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, resource_id)


@router.post("/resources", response_class=HTMLResponse)
def create_resource(request: Request, form: FormData, db: DB, info: Checked) -> Response:
    try:
        units, skills = _units(form), _skills(form)
        with db.uow() as s:
            r = resources.create_resource(
                s, info.actor, name=form.get("name") or "", kind=form.get("kind") or "person", max_units=units,
                user_id=opt_int(form, "user_id"), department_id=opt_int(form, "department_id"), skills=skills,
                unit=(form.get("unit") or "").strip(),
            )  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, None, "create", exc, form)
    return _back(r["id"])


@router.post("/resources/{resource_id}", response_class=HTMLResponse)
def update_resource(request: Request, resource_id: int, form: FormData, db: DB, info: Checked) -> Response:
    """The admin's Edit form, or (`scope=hours`) a person's own working week."""
    hours_only = form.get("scope") == "hours"
    name = "hours" if hours_only else "edit"
    try:
        changes = _hours(form)
        if not hours_only:
            changes |= {"name": form.get("name") or "", "department_id": opt_int(form, "department_id"),
                        "skills": _skills(form), "max_units": _units(form),
                        "active": form.get("active") == "on"}  # fmt: skip
        with db.uow() as s:
            resources.update_resource(s, info.actor, resource_id, req_int(form, "version"), **changes)
    except Conflict as exc:
        saved = _saved(request, db, info, exc.current or {})
        return _failed(request, db, info, resource_id, name, exc, form,
                       conflict=[(k, saved[k]) for k in (HOURS_FIELDS if hours_only else EDIT_FIELDS)])  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, resource_id, name, exc, form)
    return _back(resource_id)


def _saved(request: Request, db: DB, info: Any, current: dict[str, Any]) -> dict[str, str]:
    """The stored values of a resource that changed under an edit, as the conflict box lists them."""
    if not current:
        return dict.fromkeys(EDIT_FIELDS, "")
    with db.uow(readonly=True) as s:
        depts = {d["id"]: d["name"] for d in org.list_departments(s, info.actor)}
    v = _view({**current, "rates": [], "exceptions": []}, {}, depts)
    return {"name": v["name"], "department": v["department"] or "", "skills": v["skills_text"],
            "max_units": f"{v['max_units']:g}", "weekdays": v["days_text"],
            "shifts": v["shifts_text"] or "standard", "active": "yes" if v["active"] else "no"}  # fmt: skip


@router.post("/resources/{resource_id}/rates", response_class=HTMLResponse)
def add_rate(request: Request, resource_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        valid_from = opt_date(form, "valid_from")
        if valid_from is None:
            raise ValidationError("give the day the rate applies from", field="valid_from")
        standard = without_spaces(form.get("standard") or "").strip()
        if not standard:
            raise ValidationError("give the rate per hour (or per unit)", field="standard")
        overtime = without_spaces(form.get("overtime") or "").strip() or None
        currency = (form.get("currency") or "").strip() or None
        with db.uow() as s:
            resources.add_rate(s, info.actor, resource_id, valid_from=valid_from, standard=standard,
                               overtime=overtime, currency=currency)  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, resource_id, "rate", exc, form)
    return _back(resource_id, "rates")


@router.post("/resources/{resource_id}/exceptions", response_class=HTMLResponse)
def add_exception(request: Request, resource_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        day = opt_date(form, "day")
        if day is None:
            raise ValidationError("give the first day", field="day")
        with db.uow() as s:  # every day or none
            resources.add_exception(s, info.actor, resource_id, day=day, until=opt_date(form, "until"),
                                    working=form.get("working") == "on", name=form.get("name") or "")  # fmt: skip
    except CharterError as exc:
        return _failed(request, db, info, resource_id, "exception", exc, form)
    return _back(resource_id, "exceptions")


@router.post("/resources/{resource_id}/exceptions/{exception_id}/delete", response_class=HTMLResponse)
def remove_exception(
    request: Request, resource_id: int, exception_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    try:
        with db.uow() as s:
            resources.remove_exception(s, info.actor, resource_id, exception_id)
    except CharterError as exc:
        return _failed(request, db, info, resource_id, "exceptions", exc, form)
    return _back(resource_id, "exceptions")
