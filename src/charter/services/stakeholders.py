"""The stakeholder register (with its interest/influence grid) and stakeholder concerns.

A concern is routed like any message to the PM (charter.domain.communications.route_to_pm): from a department
with a current Relationship Liaison it reaches the liaison first, otherwise (and always from a department head
or the project's Sponsor) the PM directly; a communications
thread (kind "concern", linked to the concern) carries the conversation. It must be acknowledged within the
project's deadline (quality plan, working days) or it is flagged. It is answered, or turned into a change
request or a risk (the link is kept both ways), or into a conflict-log entry (services.conflicts.from_concern);
its raiser sees what became of it.

The concern and its thread move together: acknowledging the concern is the thread's first response;
answering the concern answers the thread (same text, journaled with the concern as cause) while it is still
open, and answering the thread answers the concern while it waits for an answer (journaled with the thread as
cause). A concern turned into a change request or a risk keeps that outcome.

The register is kept by the PM (every entry) and the liaisons (the entries of their own department: they add
and edit those, journaled like the PM's changes; another department's entries are not found for them).

Visibility: the PM sees every concern; a liaison their department's; everyone their own and the concerns not
marked confidential.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from charter.domain import communications as C
from charter.domain import quality as Q
from charter.domain.change import ChangeStatus
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Perm
from charter.persistence.models import ChangeRequest, Concern, Department, Risk, Stakeholder, User
from charter.services import journal
from charter.services.accounts import find_user_id
from charter.services.authz import can, project_for
from charter.services.comms_common import (
    goes_direct,
    is_manager,
    liaison_departments,
    liaison_of,
    names,
    notify,
    pm_id,
)
from charter.services.context import Actor, now
from charter.services.quality import _rec, ack_days

# --------------------------------------------------------------------------------------------- register


def stakeholder_dict(s: Session, x: Stakeholder) -> dict[str, Any]:
    dept = s.get(Department, x.department_id) if x.department_id else None
    return {
        "id": x.id, "project_id": x.project_id, "name": x.name, "kind": x.kind, "user_id": x.user_id,
        "department_id": x.department_id, "department": dept.name if dept else None, "interest": x.interest,
        "influence": x.influence, "attitude": x.attitude, "current_engagement": x.current_engagement,
        "desired_engagement": x.desired_engagement, "communication_needs": x.communication_needs,
        "quadrant": Q.grid_quadrant(x.interest, x.influence),
        "engagement_gap": x.current_engagement != x.desired_engagement, "version": x.version,
    }  # fmt: skip


def _register_scope(s: Session, actor: Actor, project_id: int) -> set[int] | None:
    """None: the whole register (the PM); else the departments the actor is liaison of."""
    project_for(s, actor, project_id)
    if is_manager(s, actor, project_id):
        return None
    depts = liaison_departments(s, actor, project_id)
    if not depts:
        raise PermissionDenied("the stakeholder register is kept by the Project Manager and the liaisons")
    return depts


def find_linked_user_id(s: Session, actor: Actor, project_id: int, username_or_id: str) -> int:
    """The user a register entry links to, for whoever keeps the register (the PM, a liaison): checked before
    the look-up, so a refusal does not say whether the name exists."""
    _register_scope(s, actor, project_id)
    return find_user_id(s, username_or_id)


def _own_department(scope: set[int] | None, department_id: int | None) -> None:
    """A liaison keeps the entries of their own department(s) only (the PM: any entry)."""
    if scope is not None and department_id not in scope:
        raise PermissionDenied(
            "a liaison keeps the register entries of their own department: choose it", field="department_id"
        )


def register(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    scope = _register_scope(s, actor, project_id)
    q = select(Stakeholder).where(Stakeholder.project_id == project_id)
    if scope is not None:
        q = q.where(Stakeholder.department_id.in_(scope))
    rows = [stakeholder_dict(s, x) for x in s.scalars(q.order_by(Stakeholder.name))]
    grid = [[[x["name"] for x in rows if x["influence"] == inf and x["interest"] == i] for i in range(1, 6)]
            for inf in range(5, 0, -1)]  # fmt: skip
    return {"project_id": project_id, "stakeholders": rows, "grid": grid}


def _values(s: Session, v: dict[str, Any]) -> dict[str, Any]:
    out = dict(v)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise ValidationError("is required", field="name")
    if "kind" in out and out["kind"] not in ("person", "group"):
        raise ValidationError("person or group", field="kind")
    for k in ("interest", "influence"):
        if k in out:
            out[k] = Q.check_scale(out[k], k)
    if "attitude" in out:
        out["attitude"] = Q.parse_enum(Q.Attitude, out["attitude"], "attitude").value
    for k in ("current_engagement", "desired_engagement"):
        if k in out:
            out[k] = Q.parse_enum(Q.Engagement, out[k], k).value
    if out.get("user_id") is not None and s.get(User, out["user_id"]) is None:
        raise ValidationError("no such user", field="user_id")
    if out.get("department_id") is not None and s.get(Department, out["department_id"]) is None:
        raise ValidationError("no such department", field="department_id")
    return out


def create_stakeholder(
    s: Session, actor: Actor, project_id: int, *, name: str, kind: str = "person", user_id: int | None = None,
    department_id: int | None = None, interest: int = 3, influence: int = 3, attitude: str = "neutral",
    current_engagement: str = "neutral", desired_engagement: str = "supportive", communication_needs: str = "",
) -> dict[str, Any]:  # fmt: skip
    scope = _register_scope(s, actor, project_id)
    if department_id is None and user_id is not None:
        department_id = s.scalar(select(User.department_id).where(User.id == user_id))
    _own_department(scope, department_id)
    v = _values(s, dict(name=name, kind=kind, user_id=user_id, department_id=department_id, interest=interest,
                        influence=influence, attitude=attitude, current_engagement=current_engagement,
                        desired_engagement=desired_engagement, communication_needs=communication_needs))  # fmt: skip
    x = Stakeholder(project_id=project_id, created_at=now(), **v)
    s.add(x)
    _rec(s, actor, x, "stakeholder", "create", project_id)
    return stakeholder_dict(s, x)


def update_stakeholder(
    s: Session, actor: Actor, project_id: int, stakeholder_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    scope = _register_scope(s, actor, project_id)
    x = s.get(Stakeholder, stakeholder_id)
    if x is None or x.project_id != project_id or (scope is not None and x.department_id not in scope):
        raise NotFound(f"stakeholder {stakeholder_id} not found in this project", field="stakeholder_id")
    if x.version != version:
        raise stale("stakeholder", version, stakeholder_dict(s, x))
    values = _values(s, changes)
    if "department_id" in values:
        _own_department(scope, values["department_id"])
    before = journal.snapshot(x)
    for k, v in values.items():
        setattr(x, k, v)
    _rec(s, actor, x, "stakeholder", "update", project_id, before)
    return stakeholder_dict(s, x)


# --------------------------------------------------------------------------------------------- concerns


def _risk_outcome(s: Session, c: Concern) -> dict[str, Any] | None:
    r = s.scalars(select(Risk).where(Risk.concern_id == c.id).order_by(Risk.id)).first()
    if r is None:
        return None
    return {"type": "risk", "id": r.id, "number": r.number, "ref": f"R-{r.number}", "title": r.title,
            "status": r.status, "strategy": r.strategy, "response": r.response}  # fmt: skip


def _latest_cr(s: Session, c: Concern) -> ChangeRequest | None:
    """The concern's change request: the latest one (an earlier one was withdrawn)."""
    q = select(ChangeRequest).where(ChangeRequest.concern_id == c.id).order_by(ChangeRequest.id.desc())
    return s.scalars(q.limit(1)).first()


def _cr_live(s: Session, c: Concern) -> bool:
    """Whether the concern is with a change request still in play (not withdrawn): its decision answers it."""
    if c.status != Q.ConcernStatus.CHANGE_REQUESTED.value:
        return False
    cr = _latest_cr(s, c)
    return cr is None or cr.status != ChangeStatus.WITHDRAWN.value


def _outcome(s: Session, c: Concern) -> dict[str, Any] | None:
    cr = _latest_cr(s, c)
    if cr is None:
        return _risk_outcome(s, c)
    return {"type": "change_request", "id": cr.id, "number": cr.number, "title": cr.title, "status": cr.status,
            "decision_reason": cr.decision_reason, "baseline_number": cr.baseline_number,
            "finish": (cr.applied or {}).get("finish")}  # fmt: skip


def _conflict(s: Session, c: Concern) -> dict[str, Any] | None:
    from charter.services import conflicts

    return conflicts.conflict_for(s, concern_id=c.id)


def concern_dict(s: Session, c: Concern) -> dict[str, Any]:
    who = names(s, [c.raised_by, c.liaison_id, c.pm_id, c.acknowledged_by, c.answered_by])
    dept = s.get(Department, c.department_id) if c.department_id else None
    t = now()
    return {
        "id": c.id, "project_id": c.project_id, "subject": c.subject, "body": c.body, "areas": c.areas,
        "severity": c.severity, "needed_by": c.needed_by, "confidential": c.confidential, "status": c.status,
        "raised_by": c.raised_by, "raised_by_name": who.get(c.raised_by) if c.raised_by else None,
        "department_id": c.department_id, "department": dept.name if dept else None, "route": c.route,
        "liaison_id": c.liaison_id, "liaison": who.get(c.liaison_id) if c.liaison_id else None,
        "pm_id": c.pm_id, "comm_item_id": c.comm_item_id, "raised_at": c.raised_at, "ack_due_at": c.ack_due_at,
        "acknowledged_at": c.acknowledged_at,
        "acknowledged_by": who.get(c.acknowledged_by) if c.acknowledged_by else None,
        "overdue": c.acknowledged_at is None and t > c.ack_due_at,
        "answer": c.answer, "answered_at": c.answered_at,
        "answered_by": who.get(c.answered_by) if c.answered_by else None,
        "outcome": _outcome(s, c), "conflict": _conflict(s, c), "risk": _risk_outcome(s, c),
        "with_change_request": _cr_live(s, c),
        "version": c.version,
    }  # fmt: skip


def _visible(s: Session, actor: Actor, project_id: int) -> Any:
    if is_manager(s, actor, project_id):
        return None
    conds = [Concern.raised_by == actor.user_id, Concern.confidential.is_(False)]
    depts = liaison_departments(s, actor, project_id)
    if depts:
        conds.append(Concern.department_id.in_(depts))
    return or_(*conds)


def list_concerns(
    s: Session, actor: Actor, project_id: int, *, mine: bool = False, overdue: bool = False
) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    q = select(Concern).where(Concern.project_id == project_id)
    cond = _visible(s, actor, project_id)
    if cond is not None:
        q = q.where(cond)
    if mine:
        q = q.where(Concern.raised_by == actor.user_id)
    if overdue:
        q = q.where(Concern.acknowledged_at.is_(None), Concern.ack_due_at < now())
    return [concern_dict(s, c) for c in s.scalars(q.order_by(Concern.raised_at.desc(), Concern.id.desc()))]


def _concern(s: Session, actor: Actor, project_id: int, concern_id: int) -> Concern:
    project_for(s, actor, project_id)
    q = select(Concern).where(Concern.id == concern_id, Concern.project_id == project_id)
    cond = _visible(s, actor, project_id)
    if cond is not None:
        q = q.where(cond)
    c = s.scalars(q).first()
    if c is None:
        raise NotFound(f"concern {concern_id} not found in this project", field="concern_id")
    return c


def get_concern(s: Session, actor: Actor, project_id: int, concern_id: int) -> dict[str, Any]:
    return concern_dict(s, _concern(s, actor, project_id, concern_id))


def raise_concern(
    s: Session, actor: Actor, project_id: int, *, subject: str, areas: list[str], severity: str = "medium",
    body: str = "", needed_by: date | None = None, confidential: bool = False,
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id, Perm.CONCERN_RAISE)
    subj = (subject or "").strip()
    if not subj or len(subj) > 300:
        raise ValidationError("a subject of 1 to 300 characters", field="subject")
    t = now()
    if needed_by is not None and needed_by < t.date():
        raise ValidationError(f"{needed_by.isoformat()} has passed: an answer can be needed by today or later",
                              field="needed_by")  # fmt: skip
    pm = pm_id(s, project_id)
    if pm is None:
        raise ValidationError("the project has no Project Manager right now", field="project")
    dept = s.scalar(select(User.department_id).where(User.id == actor.user_id)) if actor.user_id else None
    route = C.route_to_pm(sender_id=actor.user_id or 0, sender_department_id=dept,
                          liaison_id=liaison_of(s, project_id, dept),
                          direct=goes_direct(s, project_id, actor.user_id))  # fmt: skip
    c = Concern(
        project_id=project_id, raised_by=actor.user_id, department_id=dept, subject=subj, body=body or "",
        areas=Q.parse_areas(areas), severity=Q.parse_enum(Q.ConcernSeverity, severity, "severity").value,
        needed_by=needed_by, confidential=confidential, status=Q.ConcernStatus.OPEN.value,
        route=route.route.value, liaison_id=route.liaison_id, pm_id=pm, raised_at=t,
        ack_due_at=Q.add_working_days(t, ack_days(s, project_id)),
    )  # fmt: skip
    s.add(c)
    _rec(s, actor, c, "concern", "create", project_id)
    if actor.user_id != pm and can(s, actor, project_id, Perm.COMMS_SEND):
        from charter.services import comms

        item = comms.send(s, actor, project_id, to="pm", kind="concern", subject=f"Concern: {subj}"[:300],
                          body=body.strip() or subj, entity_type="concern", entity_id=c.id)  # fmt: skip
        c.comm_item_id = item["id"]
    else:
        first = route.liaison_id or pm
        notify(s, recipients=[first], kind="quality.concern", subject=f"{p.key} concern: {subj}", body=body,
               project_id=project_id, link=f"/projects/{project_id}/concerns", event_key=f"concern:{c.id}:new",
               exclude=actor.user_id)  # fmt: skip
    s.flush()
    return concern_dict(s, c)


def _handle(s: Session, actor: Actor, project_id: int, concern_id: int, version: int | None) -> Concern:
    """The PM or the department's liaison handles a concern."""
    c = _concern(s, actor, project_id, concern_id)
    if not (is_manager(s, actor, project_id) or c.department_id in liaison_departments(s, actor, project_id)):
        raise PermissionDenied("the Project Manager or the department's liaison handles this concern")
    if version is not None and version != c.version:
        raise stale("concern", version, concern_dict(s, c))
    return c


def acknowledge(
    s: Session, actor: Actor, project_id: int, concern_id: int, version: int | None = None
) -> dict[str, Any]:
    c = _handle(s, actor, project_id, concern_id, version)
    if c.acknowledged_at is not None:
        raise Conflict("the concern is acknowledged already", field="concern_id")
    before = journal.snapshot(c)
    c.acknowledged_at = now()
    c.acknowledged_by = actor.user_id
    c.status = Q.ConcernStatus.ACKNOWLEDGED.value
    _rec(s, actor, c, "concern", "acknowledge", project_id, before)
    from charter.services import comms

    comms.acknowledge_concern_thread(s, actor, c)
    notify(s, recipients=[c.raised_by], kind="quality.concern", subject=f"Concern acknowledged: {c.subject}",
           body="", project_id=project_id, link=f"/projects/{project_id}/concerns",
           event_key=f"concern:{c.id}:ack", exclude=actor.user_id)  # fmt: skip
    return concern_dict(s, c)


def answer(
    s: Session, actor: Actor, project_id: int, concern_id: int, *, text: str, version: int | None = None
) -> dict[str, Any]:
    c = _handle(s, actor, project_id, concern_id, version)
    if not (text or "").strip():
        raise ValidationError("write the answer", field="text")
    if _cr_live(s, c):
        raise Conflict("the concern became a change request; its decision answers it", field="concern_id")
    before = journal.snapshot(c)
    t = now()
    c.acknowledged_at = c.acknowledged_at or t
    c.acknowledged_by = c.acknowledged_by or actor.user_id
    c.answer = text.strip()
    c.answered_at = t
    c.answered_by = actor.user_id
    c.status = Q.ConcernStatus.ANSWERED.value
    _rec(s, actor, c, "concern", "answer", project_id, before)
    from charter.services import comms

    comms.answer_concern_thread(s, actor, c, c.answer)
    notify(s, recipients=[c.raised_by], kind="quality.concern", subject=f"Concern answered: {c.subject}",
           body=c.answer, project_id=project_id, link=f"/projects/{project_id}/concerns",
           event_key=f"concern:{c.id}:answer", exclude=actor.user_id)  # fmt: skip
    return concern_dict(s, c)


def to_change_request(
    s: Session, actor: Actor, project_id: int, concern_id: int, *, title: str | None = None,
    changes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The PM turns a concern into a change request (requested on behalf of its raiser; the link is kept). A
    concern whose change request was withdrawn may become a new one (the concern shows the latest)."""
    c = _concern(s, actor, project_id, concern_id)
    if not is_manager(s, actor, project_id):
        raise PermissionDenied("the Project Manager turns a concern into a change request")
    if _cr_live(s, c):
        raise Conflict("the concern is a change request already", field="concern_id")
    from charter.services import change

    before = journal.snapshot(c)
    cr = change.create_change_request(
        s, actor, project_id, title=(title or c.subject).strip(), description=c.body, reason=f"Concern: {c.subject}",
        areas=list(c.areas), changes=changes or [], concern_id=c.id, requested_by=c.raised_by,
    )  # fmt: skip
    c.acknowledged_at = c.acknowledged_at or now()
    c.acknowledged_by = c.acknowledged_by or actor.user_id
    c.status = Q.ConcernStatus.CHANGE_REQUESTED.value
    _rec(s, actor, c, "concern", "change_request", project_id, before, f"change request {cr['number']}")
    notify(s, recipients=[c.raised_by], kind="quality.concern", subject=f"Concern became CR-{cr['number']}",
           body=cr["title"], project_id=project_id, link=f"/projects/{project_id}/concerns",
           event_key=f"concern:{c.id}:cr", exclude=actor.user_id)  # fmt: skip
    return cr


def to_risk(
    s: Session, actor: Actor, project_id: int, concern_id: int, *, title: str | None = None,
    category: str | None = None, kind: str | None = None, owner_id: int | None = None,
    version: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The PM (or the department's liaison) turns a concern into a risk: the concern's subject becomes the
    risk's event, its text the cause, its areas the effect; the risk keeps the concern (``concern_id``) and the
    concern shows the risk as its outcome. The raiser is told. Returns the new risk."""
    c = _handle(s, actor, project_id, concern_id, version)
    if s.scalars(select(Risk.id).where(Risk.concern_id == c.id)).first() is not None:
        raise Conflict("the concern is a risk already", field="concern_id")
    from charter.services import risk

    fields: dict[str, Any] = {"cause": c.body or c.subject, "event": c.subject,
                              "effect": ("Affects " + ", ".join(c.areas)) if c.areas else ""}  # fmt: skip
    for k, v in (("category", category), ("kind", kind), ("owner_id", owner_id)):
        if v is not None:
            fields[k] = v
    before = journal.snapshot(c)
    r = risk.create_risk(s, actor, project_id, title=(title or c.subject).strip(), concern_id=c.id, **fields)
    c.acknowledged_at = c.acknowledged_at or now()
    c.acknowledged_by = c.acknowledged_by or actor.user_id
    if c.status != Q.ConcernStatus.CHANGE_REQUESTED.value:
        c.status = Q.ConcernStatus.RISK.value
    _rec(s, actor, c, "concern", "risk", project_id, before, f"risk {r['ref']}")
    notify(s, recipients=[c.raised_by], kind="quality.concern", subject=f"Concern became risk {r['ref']}",
           body=r["title"], project_id=project_id, link=f"/projects/{project_id}/concerns",
           event_key=f"concern:{c.id}:risk", exclude=actor.user_id)  # fmt: skip
    return r
