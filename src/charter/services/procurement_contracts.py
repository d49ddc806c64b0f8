"""Vendor contracts: their terms, closing them, the worker's notice and renewal reminders, and the upcoming
dates the procurement pages flag.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from charter.domain import procurement as rules
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.money import parse_amount
from charter.domain.roles import PM, Perm
from charter.persistence.models import Contract, Project, Role, RoleAssignment
from charter.services import journal
from charter.services.authz import project_for
from charter.services.context import Actor, now
from charter.services.procurement_orders import _order
from charter.services.procurement_vendors import _record, _vendor

# --------------------------------------------------------------------------------------------- contracts


def contract_dict(c: Contract) -> dict[str, Any]:
    return {"id": c.id, "project_id": c.project_id, "vendor_id": c.vendor_id, "order_id": c.order_id,
            "title": c.title, "kind": c.kind, "value": c.value, "start": c.start, "end": c.end,
            "renewal_date": c.renewal_date, "notice_date": c.notice_date, "notes": c.notes,
            "status": c.status, "closed_on": c.closed_on, "closed_reason": c.closed_reason,
            "version": c.version}  # fmt: skip


def _contract_kind(kind: str) -> str:
    try:
        return rules.ContractKind(kind).value
    except ValueError:
        raise ValidationError(
            "kind is fixed_price, time_and_materials or subscription", field="kind"
        ) from None


def list_contracts(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id, Perm.BUDGET_READ)
    q = select(Contract).where(Contract.project_id == project_id).order_by(Contract.start, Contract.id)
    return [contract_dict(c) for c in s.scalars(q)]


def create_contract(
    s: Session, actor: Actor, project_id: int, *, vendor_id: int, title: str, kind: str, value: Any,
    start: dt.date, end: dt.date | None = None, renewal_date: dt.date | None = None,
    notice_date: dt.date | None = None, order_id: int | None = None, notes: str = "",
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    _vendor(s, vendor_id)
    if order_id is not None and _order(s, project_id, order_id).vendor_id != vendor_id:
        raise ValidationError("the order is with another vendor", field="order_id")
    kind = _contract_kind(kind)
    title = rules.text(title, rules.TITLE_MAX, "title", "the contract's title")
    rules.check_contract_dates(start, end, renewal_date, notice_date)
    c = Contract(project_id=project_id, vendor_id=vendor_id, order_id=order_id, title=title, kind=kind,
                 value=parse_amount(value, p.currency, "value"), start=start, end=end, renewal_date=renewal_date,
                 notice_date=notice_date, notes=notes, created_at=now())  # fmt: skip
    s.add(c)
    s.flush()
    _record(s, actor, c, "contract", "create")
    return contract_dict(c)


def _contract(s: Session, project_id: int, contract_id: int) -> Contract:
    c = s.get(Contract, contract_id)
    if c is None or c.project_id != project_id:
        raise NotFound(f"contract {contract_id} not found", field="contract_id")
    return c


CONTRACT_FIELDS = frozenset({"title", "kind", "value", "start", "end", "renewal_date", "notice_date", "order_id",
                             "notes"})  # fmt: skip


def update_contract(
    s: Session, actor: Actor, project_id: int, contract_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Change a contract's terms (value, dates, kind, notes, linked order). A closed contract is not changed;
    a stale version is refused with the current state (409). Journaled with before and after."""
    p = project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    c = _contract(s, project_id, contract_id)
    if c.version != version:
        raise stale("contract", version, contract_dict(c))
    unknown = set(changes) - CONTRACT_FIELDS
    if unknown:
        raise ValidationError(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    if c.status == rules.ContractStatus.CLOSED:
        raise Conflict(f"the contract was closed on {c.closed_on}; it is no longer changed", field="status")
    if "kind" in changes:
        changes["kind"] = _contract_kind(changes["kind"])
    if "title" in changes:
        changes["title"] = rules.text(changes["title"], rules.TITLE_MAX, "title", "the contract's title")
    if "value" in changes:
        changes["value"] = parse_amount(changes["value"], p.currency, "value")
    if (
        changes.get("order_id") is not None
        and _order(s, project_id, changes["order_id"]).vendor_id != c.vendor_id
    ):
        raise ValidationError("the order is with another vendor", field="order_id")
    merged = {k: changes.get(k, getattr(c, k)) for k in ("start", "end", "renewal_date", "notice_date")}
    rules.check_contract_dates(merged["start"], merged["end"], merged["renewal_date"], merged["notice_date"])
    before = journal.snapshot(c)
    for k, v in changes.items():
        setattr(c, k, v)
    s.flush()
    _record(s, actor, c, "contract", "update", before)
    return contract_dict(c)


def close_contract(
    s: Session, actor: Actor, project_id: int, contract_id: int, version: int, *, day: dt.date | None = None,
    reason: str = "",
) -> dict[str, Any]:  # fmt: skip
    """Close a contract (ended, terminated or not renewed): it stops counting as running for the closure
    checklist and gets no more renewal or notice reminders."""
    project_for(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
    c = _contract(s, project_id, contract_id)
    if c.version != version:
        raise stale("contract", version, contract_dict(c))
    if c.status == rules.ContractStatus.CLOSED:
        raise Conflict(f"the contract was already closed on {c.closed_on}", field="status")
    day = day or now().date()
    if day < c.start:
        raise ValidationError(f"the contract starts on {c.start}; it cannot close before", field="day")
    before = journal.snapshot(c)
    c.status, c.closed_on, c.closed_reason = rules.ContractStatus.CLOSED.value, day, reason.strip()
    s.flush()
    _record(
        s,
        actor,
        c,
        "contract",
        "update",
        before,
        cause=f"closed{': ' + c.closed_reason if c.closed_reason else ''}",
    )
    return contract_dict(c)


def upcoming_dates(c: Contract, today: dt.date, window: dt.timedelta) -> list[tuple[str, dt.date]]:
    """The contract's notice and renewal dates from today to the end of the window."""
    out = [("notice", c.notice_date), ("renewal", c.renewal_date)]
    return [(k, d) for k, d in out if d is not None and today <= d <= today + window]


def due_contract_reminders(s: Session, at: dt.datetime | None = None) -> list[tuple[int, str]]:
    """For the worker: tell the project's PM(s) about each running contract whose notice or renewal date falls
    within the reminder window (``REMINDER_WINDOW``). Each (contract, kind, date) is reminded once — the
    event key names it, so a changed date is reminded again. Returns (contract id, kind) pairs."""
    from charter.services.notifications import notify

    today = (at or now()).date()
    q = (
        select(Contract).join(Project, Project.id == Contract.project_id)
        .where(Contract.status == rules.ContractStatus.ACTIVE.value, Project.deleted_at.is_(None),
               or_(Contract.notice_date.between(today, today + rules.REMINDER_WINDOW),
                   Contract.renewal_date.between(today, today + rules.REMINDER_WINDOW)))
        .order_by(Contract.id)
    )  # fmt: skip
    done: list[tuple[int, str]] = []
    for c in s.scalars(q):
        pms = _managers(s, c.project_id)
        if not pms:
            continue
        for kind, day in upcoming_dates(c, today, rules.REMINDER_WINDOW):
            what = "give notice (or the contract renews)" if kind == "notice" else "the contract renews"
            notify(s, recipients=pms, kind=f"contract.{kind}",
                   subject=f"Contract {c.title!r}: {kind} date {day}",
                   body=f"{day} is the {kind} date of contract {c.title!r} ({(day - today).days} days from now): "
                        f"by then {what}. Review it on the contract page.",
                   project_id=c.project_id, link=f"/projects/{c.project_id}/procurement/contracts/{c.id}",
                   event_key=f"contract.{kind}:{c.id}:{day.isoformat()}")  # fmt: skip
            done.append((c.id, kind))
    return done


def _managers(s: Session, project_id: int) -> list[int]:
    t = now()
    q = (
        select(RoleAssignment.user_id).join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id, Role.key == PM, RoleAssignment.valid_from <= t,
               or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t))
    )  # fmt: skip
    return list(dict.fromkeys(s.scalars(q)))


# --------------------------------------------------------------------------------------------- upcoming dates

UPCOMING_SOON = dt.timedelta(days=30)
UPCOMING_WINDOW = dt.timedelta(days=90)


def _flag_upcoming(c: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Mark a running contract's notice/renewal dates due within 30 days ("soon") or 90 days ("upcoming")."""
    dates = []
    if c["status"] != rules.ContractStatus.CLOSED:
        for kind in ("notice", "renewal"):
            d = c[f"{kind}_date"]
            if d is not None and today <= d <= today + UPCOMING_WINDOW:
                dates.append({"kind": kind, "day": d, "days": (d - today).days,
                              "within": 30 if d <= today + UPCOMING_SOON else 90})  # fmt: skip
    c["upcoming"] = dates
    return c


def upcoming_contracts(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """Running contracts of the project whose notice or renewal date falls in the next 90 days, soonest first."""
    today = now().date()
    out = [
        c for c in (_flag_upcoming(c, today) for c in list_contracts(s, actor, project_id)) if c["upcoming"]
    ]
    return sorted(out, key=lambda c: min(d["day"] for d in c["upcoming"]))
