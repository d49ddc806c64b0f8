"""Resources: people (linked to users), equipment, environments, licences and materials; their calendars
(working hours, vacations, part-time), cost rates over time, and their assignments to tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.ids import as_id
from charter.domain.projects import check_currency
from charter.domain.schedule import DurationUnit, format_minutes, split_work
from charter.persistence.models import (
    Assignment,
    Department,
    Project,
    Resource,
    ResourceException,
    ResourceRate,
    User,
)
from charter.services import journal
from charter.services.authz import require_admin, require_user
from charter.services.context import Actor, now

KINDS = ("person", "equipment", "environment", "licence", "material")
DEFAULT_CURRENCY = "USD"  # a new project's currency when none is named
NAME_MAX, UNIT_MAX, EXCEPTION_NAME_MAX = 120, 20, 120  # the columns' limits
MAX_UNITS_MAX = 1000.0  # the API's limit of max_units
RATE_DIGITS, RATE_PLACES = 12, 4  # a rate's digits before and after the point (the column's precision)
EXCEPTION_RANGE_MAX = 366  # days one request adds entries for, at most


def resource_dict(
    r: Resource, exceptions: list[ResourceException] | None = None, rates: list[ResourceRate] | None = None
) -> dict[str, Any]:
    return {
        "id": r.id, "kind": r.kind, "name": r.name, "user_id": r.user_id, "department_id": r.department_id,
        "skills": list(r.skills or []), "max_units": r.max_units, "weekdays": list(r.weekdays or []),
        "shifts": [list(x) for x in (r.shifts or [])], "unit": r.unit, "active": r.active,
        "exceptions": [{"id": e.id, "day": e.day, "working": e.working, "name": e.name}
                       for e in sorted(exceptions or [], key=lambda e: e.day)],
        "rates": [{"id": x.id, "valid_from": x.valid_from, "standard": str(x.standard), "overtime": str(x.overtime),
                   "currency": x.currency} for x in sorted(rates or [], key=lambda x: x.valid_from)],
        "version": r.version,
    }  # fmt: skip


def find_person_resource(s: Session, user_id: int) -> Resource | None:
    """The person resource of a user, if one was made."""
    return s.scalars(select(Resource).where(Resource.user_id == user_id)).first()


def person_resource_ids(s: Session, actor: Actor, ref: str) -> list[int]:
    """The resource `ref` names for the workload: a resource id, or a username's person resource ([] when that
    user was never booked). Anyone signed in sees anyone's load, and a name that is no user's is [] as well, so
    the answer does not say which usernames exist."""
    require_user(actor)
    if (n := as_id(ref)) is not None:
        return [n]
    uid = s.scalar(select(User.id).where(User.username == ref.strip().lower()))
    r = find_person_resource(s, uid) if uid is not None else None
    return [r.id] if r is not None else []


def person_resource(s: Session, user_id: int, actor: Actor) -> Resource:
    """The person resource of a user, created (and journaled, as `actor`'s doing) on first use."""
    r = find_person_resource(s, user_id)
    if r is None:
        u = s.get(User, user_id)
        if u is None:
            raise ValidationError(f"user {user_id} does not exist", field="user_id")
        r = Resource(
            kind="person",
            name=u.display_name,
            user_id=u.id,
            department_id=u.department_id,
            skills=[],
            max_units=1.0,
            weekdays=[],
            shifts=[],
            unit="",
            active=True,
            created_at=now(),
        )
        s.add(r)
        s.flush()
        journal.record(
            s, actor, entity_type="resource", entity_id=r.id, action="create", after=journal.snapshot(r),
            cause=f"first booking of {u.username}",
        )  # fmt: skip
    return r


def assignees_of(
    s: Session, task_ids: list[int] | None = None, project_id: int | None = None
) -> dict[int, list[dict[str, Any]]]:
    q = select(Assignment, Resource).join(Resource, Resource.id == Assignment.resource_id)
    if task_ids is not None:
        q = q.where(Assignment.task_id.in_(task_ids))
    if project_id is not None:
        q = q.where(Assignment.project_id == project_id)
    from charter.services.timesheets import approved_by_person  # it reads resources' rates

    if task_ids is not None and not task_ids:
        return {}
    logged = approved_by_person(s, task_ids, project_id)
    out: dict[int, list[dict[str, Any]]] = {}
    for a, r in s.execute(q.order_by(Assignment.id)):
        # MS Project's Actual / Remaining Work: what the person logged on the task (approved hours); a
        # resource with no account (equipment, material, a generic one) logs nothing
        actual, remaining = split_work(a.work, logged.get((a.task_id, r.user_id), 0) if r.user_id else 0)
        out.setdefault(a.task_id, []).append({
            "assignment_id": a.id, "resource_id": r.id, "user_id": r.user_id, "name": r.name, "kind": r.kind,
            "units": a.units, "work_minutes": a.work,
            "actual_work": format_minutes(actual, DurationUnit.HOURS, 0), "actual_work_minutes": actual,
            "remaining_work": format_minutes(remaining, DurationUnit.HOURS, 0), "remaining_work_minutes": remaining,
            "version": a.version,
        })  # fmt: skip
    return out


def is_assigned(s: Session, task_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    q = (select(Assignment.id).join(Resource, Resource.id == Assignment.resource_id)
         .where(Assignment.task_id == task_id, Resource.user_id == user_id))  # fmt: skip
    return s.scalar(q) is not None


# --------------------------------------------------------------------------------------------- the directory


def _check(s: Session, values: dict[str, Any]) -> None:
    if "kind" in values and values["kind"] not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if "name" in values:
        if not (values["name"] or "").strip():
            raise ValidationError("the resource needs a name", field="name")
        if len(values["name"].strip()) > NAME_MAX:
            raise ValidationError(f"a name has at most {NAME_MAX} characters", field="name")
    if "max_units" in values and (values["max_units"] is None or values["max_units"] < 0):
        raise ValidationError("maximum units cannot be negative", field="max_units")
    if "max_units" in values and not values["max_units"] <= MAX_UNITS_MAX:  # (also NaN)
        raise ValidationError(f"maximum units are at most {MAX_UNITS_MAX:g}", field="max_units")
    if len(values.get("unit") or "") > UNIT_MAX:
        raise ValidationError(f"a unit has at most {UNIT_MAX} characters", field="unit")
    if values.get("department_id") is not None and s.get(Department, values["department_id"]) is None:
        raise ValidationError(f"department {values['department_id']} does not exist", field="department_id")
    if values.get("weekdays") and any(not 0 <= w <= 6 for w in values["weekdays"]):
        raise ValidationError("working weekdays are 0 (Monday) .. 6 (Sunday)", field="weekdays")
    if values.get("shifts"):
        prev = 0
        for pair in values["shifts"]:
            if len(pair) != 2 or not prev <= pair[0] < pair[1] <= 1440:
                raise ValidationError(
                    "working hours are sorted [from, to] minute pairs within a day", field="shifts"
                )
            prev = pair[1]


def list_resources(s: Session, actor: Actor) -> list[dict[str, Any]]:
    require_user(actor)
    rows = list(s.scalars(select(Resource).order_by(Resource.kind, Resource.name)))
    exc: dict[int, list[ResourceException]] = {}
    for e in s.scalars(select(ResourceException)):
        exc.setdefault(e.resource_id, []).append(e)
    rates: dict[int, list[ResourceRate]] = {}
    for x in s.scalars(select(ResourceRate)):
        rates.setdefault(x.resource_id, []).append(x)
    return [resource_dict(r, exc.get(r.id), rates.get(r.id)) for r in rows]


def _get(s: Session, resource_id: int) -> Resource:
    r = s.get(Resource, resource_id)
    if r is None:
        raise NotFound(f"resource {resource_id} not found", field="resource_id")
    return r


def find_resource_id(s: Session, actor: Actor, ref: str) -> int:
    """The resource `ref` names: its name (any case), else its id, else its person's username; a name that
    several resources share is refused naming their ids."""
    require_user(actor)
    text = ref.strip()
    named = list(s.scalars(select(Resource.id).where(func.lower(Resource.name) == text.lower())
                           .order_by(Resource.id)))  # fmt: skip
    if len(named) > 1:
        raise ValidationError(
            f"{len(named)} resources are named {text!r} (ids {', '.join(map(str, named))}); give the id",
            field="resource",
        )
    if named:
        return named[0]
    if (n := as_id(text)) is not None and s.get(Resource, n) is not None:
        return n
    rid = s.scalar(select(Resource.id).join(User, User.id == Resource.user_id)
                   .where(User.username == text.lower()))  # fmt: skip
    if rid is None:
        raise NotFound(f"no resource {text!r}", field="resource")
    return rid


def get_resource(s: Session, actor: Actor, resource_id: int) -> dict[str, Any]:
    require_user(actor)
    r = _get(s, resource_id)
    exc = list(s.scalars(select(ResourceException).where(ResourceException.resource_id == r.id)))
    rates = list(s.scalars(select(ResourceRate).where(ResourceRate.resource_id == r.id)))
    return resource_dict(r, exc, rates)


def create_resource(
    s: Session,
    actor: Actor,
    *,
    name: str,
    kind: str = "person",
    user_id: int | None = None,
    department_id: int | None = None,
    skills: list[str] | None = None,
    max_units: float = 1.0,
    weekdays: list[int] | None = None,
    shifts: list[list[int]] | None = None,
    unit: str = "",
) -> dict[str, Any]:
    require_admin(actor)
    values = dict(name=name, kind=kind, max_units=max_units, weekdays=weekdays, shifts=shifts, unit=unit,
                  department_id=department_id)  # fmt: skip
    _check(s, values)
    if user_id is not None:
        if kind != "person":
            raise ValidationError("only a person resource is linked to a user", field="user_id")
        if s.get(User, user_id) is None:
            raise ValidationError(f"user {user_id} does not exist", field="user_id")
        if s.scalar(select(Resource.id).where(Resource.user_id == user_id)):
            raise Conflict("that user already has a resource", field="user_id")
    r = Resource(
        kind=kind,
        name=name.strip(),
        user_id=user_id,
        department_id=department_id,
        skills=skills or [],
        max_units=max_units,
        weekdays=weekdays or [],
        shifts=shifts or [],
        unit=unit,
        active=True,
        created_at=now(),
    )
    s.add(r)
    s.flush()
    journal.record(
        s, actor, entity_type="resource", entity_id=r.id, action="create", after=journal.snapshot(r)
    )
    return resource_dict(r)


def update_resource(
    s: Session, actor: Actor, resource_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Admins edit any resource; a person may edit their own working hours (part-time)."""
    r = _get(s, resource_id)
    own = r.user_id is not None and r.user_id == actor.user_id and set(changes) <= {"weekdays", "shifts"}
    if not own:
        require_admin(actor)
    if r.version != version:
        raise stale("resource", version, resource_dict(r))
    _check(s, changes)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    before = journal.snapshot(r)
    for k, v in changes.items():
        setattr(r, k, v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="resource",
        entity_id=r.id,
        action="update",
        before=before,
        after=journal.snapshot(r),
    )
    return get_resource(s, actor, r.id)


def _own_or_admin(actor: Actor, r: Resource) -> None:
    """The person a resource is, or an admin: who may enter its days off."""
    if not (r.user_id is not None and r.user_id == actor.user_id):
        require_admin(actor)


def add_exception(
    s: Session,
    actor: Actor,
    resource_id: int,
    *,
    day: dt.date,
    until: dt.date | None = None,
    working: bool = False,
    name: str = "",
) -> dict[str, Any]:
    """A vacation day (or an extra working day) of a resource, or one for every day from `day` to `until`
    (all of them or none, at most EXCEPTION_RANGE_MAX days): the person themselves or an admin."""
    r = _get(s, resource_id)
    _own_or_admin(actor, r)
    last = until or day
    if last < day:
        raise ValidationError(f"the last day {last} is before the first {day}", field="until")
    if (last - day).days >= EXCEPTION_RANGE_MAX:
        raise ValidationError(f"at most {EXCEPTION_RANGE_MAX} days at a time", field="until")
    name = (name or "").strip()
    if len(name) > EXCEPTION_NAME_MAX:
        raise ValidationError(f"a name has at most {EXCEPTION_NAME_MAX} characters", field="name")
    taken = set(
        s.scalars(
            select(ResourceException.day).where(
                ResourceException.resource_id == r.id,
                ResourceException.day >= day,
                ResourceException.day <= last,
            )
        )
    )
    if taken:
        raise Conflict(f"{min(taken)} already has an entry", field="day")
    for i in range((last - day).days + 1):
        e = ResourceException(resource_id=r.id, day=day + dt.timedelta(days=i), working=working, name=name)
        s.add(e)
        s.flush()
        journal.record(
            s, actor, entity_type="resource_exception", entity_id=e.id, action="create",
            after=journal.snapshot(e),
        )  # fmt: skip
    return get_resource(s, actor, r.id)


def remove_exception(s: Session, actor: Actor, resource_id: int, exception_id: int) -> dict[str, Any]:
    """Take back a day off (or an extra working day): the person themselves or an admin."""
    r = _get(s, resource_id)
    _own_or_admin(actor, r)
    e = s.get(ResourceException, exception_id)
    if e is None or e.resource_id != r.id:
        raise NotFound(f"entry {exception_id} not found in this resource's calendar", field="exception_id")
    before = journal.snapshot(e)
    s.delete(e)
    s.flush()
    journal.record(
        s, actor, entity_type="resource_exception", entity_id=exception_id, action="delete", before=before
    )
    return get_resource(s, actor, r.id)


def add_rate(
    s: Session,
    actor: Actor,
    resource_id: int,
    *,
    valid_from: dt.date,
    standard: str | Decimal,
    overtime: str | Decimal | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """A cost rate from a day on. Without a currency it takes the resource's previous rate's, else the one
    currency of the projects the resource works on (else of every project); labour is only costed to a
    project in that project's currency (services.timesheets.labour_warnings names hours that are not)."""
    require_admin(actor)
    r = _get(s, resource_id)
    currency = check_currency(currency.upper()) if currency else _default_currency(s, r.id, valid_from)
    std = _amount(standard, "standard")
    ot = _amount(overtime, "overtime") if overtime is not None else std
    if s.scalar(
        select(ResourceRate.id).where(ResourceRate.resource_id == r.id, ResourceRate.valid_from == valid_from)
    ):
        raise Conflict(f"a rate valid from {valid_from} exists", field="valid_from")
    x = ResourceRate(resource_id=r.id, valid_from=valid_from, standard=std, overtime=ot, currency=currency)
    s.add(x)
    s.flush()
    journal.record(
        s, actor, entity_type="resource_rate", entity_id=x.id, action="create", after=journal.snapshot(x)
    )
    return get_resource(s, actor, r.id)


def _amount(value: str | Decimal, field: str) -> Decimal:
    """A rate as the column holds it: a finite, non-negative decimal with at most RATE_DIGITS digits before
    the point and RATE_PLACES after it."""
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"{str(value).strip()!r} is not a decimal number", field=field) from None
    if not d.is_finite():
        raise ValidationError("a rate is a decimal number", field=field)
    if d < 0:
        raise ValidationError("a rate cannot be negative", field=field)
    if d >= Decimal(10) ** RATE_DIGITS:
        raise ValidationError(f"a rate has at most {RATE_DIGITS} digits before the point", field=field)
    if d != d.quantize(Decimal(1).scaleb(-RATE_PLACES)):
        raise ValidationError(f"a rate has at most {RATE_PLACES} decimal places", field=field)
    return d


def _default_currency(s: Session, resource_id: int, valid_from: dt.date) -> str:
    prev = (
        rate_on(s, resource_id, valid_from)
        or s.scalars(
            select(ResourceRate)
            .where(ResourceRate.resource_id == resource_id)
            .order_by(ResourceRate.valid_from)
        ).first()
    )
    if prev is not None:
        return prev.currency
    live = select(Project.currency).where(Project.deleted_at.is_(None))
    for q in (live.join(Assignment, Assignment.project_id == Project.id)
              .where(Assignment.resource_id == resource_id), live):  # fmt: skip
        found = sorted(set(s.scalars(q.distinct())))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValidationError(
                f"name the rate's currency: the projects use {', '.join(found)}", field="currency"
            )
    return DEFAULT_CURRENCY


def rate_on(s: Session, resource_id: int, day: dt.date) -> ResourceRate | None:
    """The rate valid on a day: the latest one that starts on or before it."""
    return s.scalars(select(ResourceRate).where(ResourceRate.resource_id == resource_id,
                                                ResourceRate.valid_from <= day)
                     .order_by(ResourceRate.valid_from.desc())).first()  # fmt: skip
