"""The conflict log (the PM's conflict responsibility): entries, parties, lifecycle, and turning an occurred
risk or a stakeholder's concern into a conflict. The escalation ladder and its time limits:
services.conflict_ladder; who sees and changes an entry: services.conflict_access (both re-exported here, so
callers use this module). Detectors: services.conflict_detect.

Who sees a conflict (`Viewer.sees`): the PM (conflict.manage) and an admin see every entry; the Sponsor sees
every entry (the top of the ladder); the owner, whoever raised it, the Task Leader of its work package (or of a
work-package party) and the parties (a user party; the liaison of a department party) see it. Conflicts of
the kinds `people` and `team` stay with those: other members (workers, stakeholders, observers, other
departments' liaisons) see only the other kinds. Who changes it (`Viewer.edits`): the PM, the current owner,
the Task Leader while it is on the Task Leader rung, the Sponsor while it is on the Sponsor rung. The raiser
and the user parties may also escalate it or reopen it. Conflicts of other projects are 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import conflicts as rules
from charter.domain.errors import Conflict as StateConflict
from charter.domain.errors import NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Perm
from charter.persistence.models import Conflict, ConflictParty, Department, Risk, WorkPackage
from charter.services import journal
from charter.services.accounts import find_user_id
from charter.services.authz import project_for
from charter.services.comms_common import members, notify, task_leader_of
from charter.services.conflict_access import (
    Viewer,
    _editable,
    _load,
    _parties,
    conflict_dict,
    hidden_journal_types,
    party_dict,
    viewer,
)
from charter.services.conflict_ladder import (
    ENTITY,
    _policy_row,
    _put_on,
    _start,
    _tell_escalated,
    _up,
    due_escalations,
    get_policy,
    holder,
    policy,
    policy_dict,
    set_policy,
    sponsor_of,
)
from charter.services.context import Actor, now

__all__ = [
    "ENTITY",
    "FILTERS",
    "RISK_KINDS",
    "Viewer",
    "add_party",
    "awaiting",
    "close",
    "conflict_dict",
    "conflict_for",
    "due_escalations",
    "escalate",
    "from_concern",
    "from_risk",
    "get_conflict",
    "get_policy",
    "hidden_journal_types",
    "holder",
    "list_conflicts",
    "party_dict",
    "policy",
    "policy_dict",
    "raise_conflict",
    "remove_party",
    "reopen",
    "resolve",
    "set_policy",
    "sponsor_of",
    "task_leader_of",
    "update_conflict",
    "viewer",
]

EDITABLE = frozenset({"title", "description", "kind", "severity", "work_package_id", "approach", "owner_id"})


# --------------------------------------------------------------------------------------------- the log


FILTERS = ("status", "level", "severity", "kind", "work_package_id", "owner_id", "source", "active_only")


def list_conflicts(s: Session, actor: Actor, project_id: int, **filters: Any) -> list[dict[str, Any]]:
    """The entries the actor may see, most severe and most urgent first. Filters: status, level, severity,
    kind (checked against their values), work_package_id, owner_id, source, active_only."""
    project_for(s, actor, project_id)
    q = select(Conflict).where(Conflict.project_id == project_id)
    for k, cls in (("status", rules.Status), ("level", rules.Level), ("severity", rules.Severity),
                   ("kind", rules.Kind), ("source", rules.Source)):  # fmt: skip
        if filters.get(k) is not None:
            q = q.where(getattr(Conflict, k) == rules.parse(cls, filters[k], k).value)
    for k in ("work_package_id", "owner_id"):
        if filters.get(k) is not None:
            q = q.where(getattr(Conflict, k) == filters[k])
    if filters.get("active_only"):
        q = q.where(Conflict.status.in_([x.value for x in rules.ACTIVE]))
    rows = list(s.scalars(q.order_by(Conflict.number)))
    parties = _parties(s, [c.id for c in rows])
    v = viewer(s, actor, project_id)
    out = [conflict_dict(s, c, parties[c.id]) for c in rows if v.sees(c, parties[c.id])]
    order = {x.value: i for i, x in enumerate(reversed(list(rules.Severity)))}
    active = {x.value for x in rules.ACTIVE}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    out.sort(
        key=lambda d: (d["status"] not in active, order[d["severity"]], d["escalate_at"] or far, d["number"])
    )
    return out


def get_conflict(s: Session, actor: Actor, project_id: int, conflict_id: int) -> dict[str, Any]:
    c, v, parties = _load(s, actor, project_id, conflict_id)
    out = conflict_dict(s, c, parties)
    out["may_edit"] = v.edits(c)
    out["may_escalate"] = v.escalates(c, parties) and c.status in {x.value for x in rules.ACTIVE} and c.level != rules.Level.SPONSOR.value  # fmt: skip
    out["may_reopen"] = v.escalates(c, parties) and c.status not in {x.value for x in rules.ACTIVE}
    out["next_statuses"] = sorted(x.value for x in rules.TRANSITIONS[rules.Status(c.status)])
    out["journal"] = journal.entries(s, project_id=project_id, entity_type=ENTITY, entity_id=c.id, limit=100)
    return out


def _apply(s: Session, c: Conflict, fields: dict[str, Any], v: Viewer) -> None:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(f"cannot set {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title or len(title) > 300:
            raise ValidationError("the conflict needs a title of 1 to 300 characters", field="title")
        fields["title"] = title
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
    for k, cls in (("kind", rules.Kind), ("severity", rules.Severity)):
        if k in fields:
            fields[k] = rules.parse(cls, fields[k], k).value
    if fields.get("approach") is not None:
        fields["approach"] = rules.parse(rules.Approach, fields["approach"], "approach").value
    if fields.get("work_package_id") is not None:
        w = s.get(WorkPackage, fields["work_package_id"])
        if w is None or w.project_id != c.project_id:
            raise ValidationError("the work package is not in this project", field="work_package_id")
    if "owner_id" in fields:
        if not v.manager:
            raise PermissionDenied("only the PM hands a conflict to another owner")
        if fields["owner_id"] is not None and fields["owner_id"] not in members(s, c.project_id):
            raise ValidationError("the owner must be a member of the project", field="owner_id")
    for k, val in fields.items():
        setattr(c, k, val)


def _next_number(s: Session, project_id: int) -> int:
    _policy_row(s, project_id, lock=True)
    return (s.scalar(select(func.max(Conflict.number)).where(Conflict.project_id == project_id)) or 0) + 1


def _new(s: Session, actor: Actor, project_id: int, *, title: str, source: rules.Source, fields: dict[str, Any],
         parties: list[dict[str, Any]], **links: Any) -> Conflict:  # fmt: skip
    t = now()
    fields.setdefault("kind", rules.Kind.OTHER.value)
    fields.setdefault("severity", rules.Severity.MEDIUM.value)
    c = Conflict(project_id=project_id, number=_next_number(s, project_id), title="", description="", kind="other",
                 severity="medium", status=rules.Status.OPEN.value, level=rules.Level.PM.value, level_since=t,
                 raised_by=actor.user_id, source=source.value, details={}, outcome="", created_at=t, updated_at=t,
                 **links)  # fmt: skip
    _apply(s, c, {"title": title, **fields}, Viewer(actor.user_id, manager=True))
    _start(s, c, policy(_policy_row(s, project_id)))
    s.add(c)
    s.flush()
    for p in parties:
        _add_party(s, c, **p)
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="create", after=journal.snapshot(c),
                   project_id=project_id, cause=None if source is rules.Source.MANUAL else f"from {source.value}")  # fmt: skip
    notify(s, recipients=[c.owner_id], kind="conflict.new", subject=f"Conflict C-{c.number} is yours: {c.title}",
           body=f"{actor.label} logged conflict C-{c.number} ({c.kind}, {c.severity}). It moves up the ladder "
                f"{'at ' + c.escalate_at.strftime('%Y-%m-%d %H:%M UTC') if c.escalate_at else 'no further'}.",
           project_id=project_id, link=f"/projects/{project_id}/conflicts/{c.id}",
           event_key=f"conflict.new:{c.id}", exclude=actor.user_id)  # fmt: skip
    return c


def find_parties(s: Session, actor: Actor, project_id: int, names: list[str]) -> list[dict[str, Any]]:
    """The parties of a new conflict as `raise_conflict` takes them: a name that is a user's (username or id)
    is that user, any other an outside party's label; for whoever may raise a conflict (its check, made first,
    so the look-up happens only for them)."""
    project_for(s, actor, project_id, Perm.CONCERN_RAISE)
    out: list[dict[str, Any]] = []
    for n in names:
        try:
            out.append({"user_id": find_user_id(s, n)})
        except NotFound:
            out.append({"label": n})
    return out


def raise_conflict(
    s: Session, actor: Actor, project_id: int, *, title: str, parties: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:  # fmt: skip
    """Any member who may raise concerns logs a conflict (kind, severity, description, work package, parties).
    It starts with the Task Leader of its work package, or the PM."""
    project_for(s, actor, project_id, Perm.CONCERN_RAISE)
    if "owner_id" in fields or "approach" in fields:
        raise ValidationError("the ladder chooses the owner; the approach is set when resolving",
                              field="owner_id" if "owner_id" in fields else "approach")  # fmt: skip
    c = _new(s, actor, project_id, title=title, source=rules.Source.MANUAL, fields=fields, parties=parties or [])  # fmt: skip
    return get_conflict(s, actor, project_id, c.id)


def update_conflict(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int,
                    **fields: Any) -> dict[str, Any]:  # fmt: skip
    """Change the entry (owner, PM or the current rung's holder); `status` moves open <-> resolving (use
    resolve/close/reopen for the rest)."""
    c, v, _ = _editable(s, actor, project_id, conflict_id, version)
    before = journal.snapshot(c)
    status = fields.pop("status", None)
    _apply(s, c, fields, v)
    if status is not None:
        new = rules.parse(rules.Status, status, "status")
        if new not in (rules.Status.OPEN, rules.Status.RESOLVING):
            raise ValidationError("use resolve, close or reopen for that", field="status")
        if new.value != c.status:
            rules.check_transition(rules.Status(c.status), new)  # type: ignore[arg-type]
            c.status = new.value
    c.updated_at = now()
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="update", before=before,
                   after=journal.snapshot(c), project_id=project_id)  # fmt: skip
    if c.owner_id != before["owner_id"]:
        notify(s, recipients=[c.owner_id], kind="conflict.new", subject=f"Conflict C-{c.number} is yours: {c.title}",
               body=f"{actor.label} handed conflict C-{c.number} to you.", project_id=project_id,
               link=f"/projects/{project_id}/conflicts/{c.id}",
               event_key=f"conflict.owner:{c.id}:{c.owner_id}:{c.version}", exclude=actor.user_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


def _settle(s: Session, c: Conflict, status: rules.Status, by: int | None) -> None:
    rules.check_transition(rules.Status(c.status), status)
    c.status = status.value
    c.escalate_at = None
    if c.resolved_at is None or status is rules.Status.RESOLVED:
        c.resolved_at, c.resolved_by = now(), by
    c.updated_at = now()


def resolve(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int, *, outcome: str,
            approach: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Record how it was resolved (the approach) and the outcome (required)."""
    c, _, parties = _editable(s, actor, project_id, conflict_id, version)
    before = journal.snapshot(c)
    chosen = rules.parse(rules.Approach, approach, "approach") if approach else (
        rules.Approach(c.approach) if c.approach else None)  # fmt: skip
    rules.check_resolution(chosen, outcome or "")  # type: ignore[arg-type]
    _settle(s, c, rules.Status.RESOLVED, actor.user_id)
    c.approach, c.outcome = chosen.value, outcome.strip()  # type: ignore[union-attr]
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="resolve", before=before,
                   after=journal.snapshot(c), project_id=project_id)  # fmt: skip
    notify(s, recipients=[c.raised_by, *(p.user_id for p in parties)], kind="conflict.resolved",
           subject=f"Conflict C-{c.number} resolved: {c.title}", body=c.outcome, project_id=project_id,
           link=f"/projects/{project_id}/conflicts/{c.id}",
           event_key=f"conflict.resolved:{c.id}:{int(now().timestamp())}", exclude=actor.user_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


def close(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int) -> dict[str, Any]:
    """A resolved conflict is closed once the outcome holds."""
    c, _, _ = _editable(s, actor, project_id, conflict_id, version)
    before = journal.snapshot(c)
    _settle(s, c, rules.Status.CLOSED, actor.user_id)
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="close", before=before,
                   after=journal.snapshot(c), project_id=project_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


def _reopen(s: Session, c: Conflict) -> None:
    rules.check_transition(rules.Status(c.status), rules.Status.OPEN)
    c.status = rules.Status.OPEN.value
    c.resolved_at = c.resolved_by = None
    pol = policy(_policy_row(s, c.project_id))
    _put_on(s, c, rules.Level(c.level), c.owner_id, pol)
    c.updated_at = now()


def reopen(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int,
           reason: str = "") -> dict[str, Any]:  # fmt: skip
    """It flared up again: back to open on the rung it was on, with a fresh time limit."""
    c, v, parties = _load(s, actor, project_id, conflict_id)
    if not v.escalates(c, parties):
        raise PermissionDenied("the owner, the PM, whoever raised it or a party reopens a conflict")
    if version != c.version:
        raise stale("conflict", version, conflict_dict(s, c, parties))
    before = journal.snapshot(c)
    _reopen(s, c)
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="reopen", before=before,
                   after=journal.snapshot(c), project_id=project_id, cause=(reason or "").strip() or None)  # fmt: skip
    notify(s, recipients=[c.owner_id], kind="conflict.new", subject=f"Conflict C-{c.number} reopened: {c.title}",
           body=reason or "", project_id=project_id, link=f"/projects/{project_id}/conflicts/{c.id}",
           event_key=f"conflict.reopened:{c.id}:{int(c.level_since.timestamp())}", exclude=actor.user_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


def escalate(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int,
             reason: str = "") -> dict[str, Any]:  # fmt: skip
    """Move it one rung up now (the owner, the PM, the current rung's holder, whoever raised it or a party)."""
    c, v, parties = _load(s, actor, project_id, conflict_id)
    if not v.escalates(c, parties):
        raise PermissionDenied("the owner, the PM, whoever raised it or a party escalates a conflict")
    if version != c.version:
        raise stale("conflict", version, conflict_dict(s, c, parties))
    if c.status not in {x.value for x in rules.ACTIVE}:
        raise StateConflict(f"a {c.status} conflict is not escalated; reopen it first", field="status")
    if rules.next_level(rules.Level(c.level)) is None:
        raise StateConflict("the conflict is with the Sponsor already: the top of the ladder", field="level")
    before = journal.snapshot(c)
    old_owner = c.owner_id
    if not _up(s, c, policy(_policy_row(s, project_id))):
        raise StateConflict("nobody holds a higher rung of the ladder (no Sponsor?)", field="level")
    c.updated_at = now()
    s.flush()
    why = (reason or "").strip()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="escalate", before=before,
                   after=journal.snapshot(c), project_id=project_id, cause=why or "escalated by hand")  # fmt: skip
    _tell_escalated(s, c, old_owner, f"{actor.label} escalated it." + (f" {why}" if why else ""))
    return get_conflict(s, actor, project_id, conflict_id)


# --------------------------------------------------------------------------------------------- parties


def _add_party(s: Session, c: Conflict, *, user_id: int | None = None, department_id: int | None = None,
               work_package_id: int | None = None, label: str | None = None) -> ConflictParty:  # fmt: skip
    given = [k for k, val in (("user_id", user_id), ("department_id", department_id),
                              ("work_package_id", work_package_id)) if val is not None]  # fmt: skip
    text = (label or "").strip()
    if len(given) > 1:
        raise ValidationError("a party is one user, one department or one work package", field=given[1])
    if not given and not text:
        raise ValidationError("name the party: a user, a department, a work package or an outside party's name",
                              field="label")  # fmt: skip
    if len(text) > 200:
        raise ValidationError("at most 200 characters", field="label")
    if user_id is not None and user_id not in members(s, c.project_id):
        raise ValidationError("the user is not a member of this project", field="user_id")
    if department_id is not None and s.get(Department, department_id) is None:
        raise ValidationError(f"department {department_id} does not exist", field="department_id")
    if work_package_id is not None:
        w = s.get(WorkPackage, work_package_id)
        if w is None or w.project_id != c.project_id:
            raise ValidationError("the work package is not in this project", field="work_package_id")
    for p in _parties(s, [c.id])[c.id]:
        if (p.user_id, p.department_id, p.work_package_id) == (user_id, department_id, work_package_id) and (
            given or p.label.lower() == text.lower()
        ):
            raise StateConflict("that party is already listed", field=given[0] if given else "label")
    p = ConflictParty(conflict_id=c.id, user_id=user_id, department_id=department_id,
                      work_package_id=work_package_id, label=text)  # fmt: skip
    s.add(p)
    s.flush()
    return p


def add_party(s: Session, actor: Actor, project_id: int, conflict_id: int, **party: Any) -> dict[str, Any]:
    c, _, _ = _editable(s, actor, project_id, conflict_id, None)
    p = _add_party(s, c, **party)
    c.updated_at = now()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="add_party",
                   after={"party": {"id": p.id, "user_id": p.user_id, "department_id": p.department_id,
                                    "work_package_id": p.work_package_id, "label": p.label}},
                   project_id=project_id)  # fmt: skip
    if p.user_id is not None:
        notify(s, recipients=[p.user_id], kind="conflict.party", subject=f"You are a party to conflict C-{c.number}",
               body=c.title, project_id=project_id, link=f"/projects/{project_id}/conflicts/{c.id}",
               event_key=f"conflict.party:{c.id}:{p.user_id}", exclude=actor.user_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


def remove_party(
    s: Session, actor: Actor, project_id: int, conflict_id: int, party_id: int
) -> dict[str, Any]:
    c, _, parties = _editable(s, actor, project_id, conflict_id, None)
    p = next((x for x in parties if x.id == party_id), None)
    if p is None:
        raise NotFound(f"party {party_id} not found on this conflict", field="party_id")
    gone = {"id": p.id, "user_id": p.user_id, "department_id": p.department_id,
            "work_package_id": p.work_package_id, "label": p.label}  # fmt: skip
    s.delete(p)
    c.updated_at = now()
    s.flush()
    journal.record(s, actor, entity_type=ENTITY, entity_id=c.id, action="remove_party", before={"party": gone},
                   project_id=project_id)  # fmt: skip
    return get_conflict(s, actor, project_id, conflict_id)


# --------------------------------------------------------------------------------------------- conversions


RISK_KINDS = {"people": "people", "technical": "technical", "schedule": "schedule", "financial": "budget",
              "vendor": "resource", "compliance": "constraint"}  # fmt: skip


def _severity_of_score(score: int | None) -> str:
    if score is None:
        return rules.Severity.MEDIUM.value
    return "critical" if score >= 20 else "high" if score >= 12 else "medium" if score >= 5 else "low"


def from_risk(s: Session, actor: Actor, project_id: int, risk_id: int, **fields: Any) -> dict[str, Any]:
    """An occurred risk (an issue now) becomes a conflict entry: the risk's owner or the PM; the link is kept
    and there is one open entry per risk."""
    from charter.services import risk as risk_svc

    project_for(s, actor, project_id)
    r = s.get(Risk, risk_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"risk {risk_id} not found in this project", field="risk_id")
    if not risk_svc.may_manage(s, actor, r):
        raise PermissionDenied("the risk's owner or the PM turns it into a conflict")
    if r.status != "occurred":
        raise StateConflict(f"only an occurred risk becomes a conflict; R-{r.number} is {r.status}",
                            field="risk_id")  # fmt: skip
    existing = s.scalars(select(Conflict).where(Conflict.risk_id == r.id, Conflict.status.in_(
        [x.value for x in rules.ACTIVE]))).first()  # fmt: skip
    if existing is not None:
        raise StateConflict(f"R-{r.number} is conflict C-{existing.number} already", field="risk_id")
    imp = risk_svc._impact(r)
    score = r.probability * imp if r.probability and imp else None
    fields.setdefault("kind", RISK_KINDS.get(r.category, rules.Kind.OTHER.value))
    fields.setdefault("severity", _severity_of_score(score))
    fields.setdefault("work_package_id", r.work_package_id)
    fields.setdefault("description", "\n\n".join(x for x in (r.issue_note, r.effect) if x))
    title = (fields.pop("title", None) or f"R-{r.number} occurred: {r.title}")[:300]
    parties = [{"user_id": r.owner_id}] if r.owner_id and r.owner_id != actor.user_id else []
    c = _new(s, actor, project_id, title=title, source=rules.Source.RISK, fields=fields, parties=parties, risk_id=r.id)  # fmt: skip
    journal.record(s, actor, entity_type="risk", entity_id=r.id, action="conflict",
                   after={"conflict_id": c.id, "conflict": f"C-{c.number}"}, project_id=project_id)  # fmt: skip
    return get_conflict(s, actor, project_id, c.id)


def from_concern(s: Session, actor: Actor, project_id: int, concern_id: int, **fields: Any) -> dict[str, Any]:
    """A stakeholder's concern becomes a conflict entry (the PM or the department's liaison); whoever raised
    it and their department become parties; the concern is acknowledged and keeps the link."""
    from charter.services import stakeholders

    c0 = stakeholders._handle(s, actor, project_id, concern_id, fields.pop("concern_version", None))
    existing = s.scalars(select(Conflict).where(Conflict.concern_id == c0.id, Conflict.status.in_(
        [x.value for x in rules.ACTIVE]))).first()  # fmt: skip
    if existing is not None:
        raise StateConflict(f"the concern is conflict C-{existing.number} already", field="concern_id")
    sev = {"low": "low", "medium": "medium", "high": "high", "critical": "critical"}.get(
        c0.severity, "medium"
    )
    fields.setdefault("severity", sev)
    fields.setdefault("kind", rules.Kind.PRIORITY.value)
    fields.setdefault("description", c0.body)
    title = (fields.pop("title", None) or f"Concern: {c0.subject}")[:300]
    parties: list[dict[str, Any]] = []
    if c0.raised_by is not None and c0.raised_by in members(s, project_id) and c0.raised_by != actor.user_id:
        parties.append({"user_id": c0.raised_by})
    if c0.department_id is not None:
        parties.append({"department_id": c0.department_id})
    c = _new(s, actor, project_id, title=title, source=rules.Source.CONCERN, fields=fields, parties=parties, concern_id=c0.id)  # fmt: skip
    before = journal.snapshot(c0)
    if c0.acknowledged_at is None:
        c0.acknowledged_at, c0.acknowledged_by = now(), actor.user_id
        c0.status = "acknowledged"
    s.flush()
    journal.record(s, actor, entity_type="concern", entity_id=c0.id, action="conflict", before=before,
                   after={**journal.snapshot(c0), "conflict_id": c.id}, project_id=project_id,
                   cause=f"conflict C-{c.number}")  # fmt: skip
    notify(s, recipients=[c0.raised_by], kind="quality.concern", subject=f"Concern logged as conflict C-{c.number}",
           body=c.title, project_id=project_id, link=f"/projects/{project_id}/concerns",
           event_key=f"concern:{c0.id}:conflict", exclude=actor.user_id)  # fmt: skip
    return get_conflict(s, actor, project_id, c.id)


def conflict_for(
    s: Session, *, risk_id: int | None = None, concern_id: int | None = None
) -> dict[str, Any] | None:
    """The latest conflict entry made from a risk or a concern (for their pages): id, ref, status."""
    q = select(Conflict.id, Conflict.number, Conflict.status)
    q = (
        q.where(Conflict.risk_id == risk_id)
        if risk_id is not None
        else q.where(Conflict.concern_id == concern_id)
    )
    row = s.execute(q.order_by(Conflict.id.desc())).first()
    return None if row is None else {"id": row[0], "ref": f"C-{row[1]}", "status": row[2]}


# --------------------------------------------------------------------------------------------- desks


def awaiting(s: Session, project_id: int, user_id: int | None) -> list[dict[str, Any]]:
    """The active conflicts the user owns in the project (what the PM / Sponsor / Task Leader desk lists)."""
    if user_id is None:
        return []
    q = select(Conflict).where(Conflict.project_id == project_id, Conflict.owner_id == user_id,
                               Conflict.status.in_([x.value for x in rules.ACTIVE]))  # fmt: skip
    t = now()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows = sorted(s.scalars(q), key=lambda c: (c.escalate_at or far, c.number))
    return [{"id": c.id, "ref": f"C-{c.number}", "title": c.title, "severity": c.severity, "level": c.level,
             "status": c.status, "work_package_id": c.work_package_id, "escalate_at": c.escalate_at, "time_left": rules.time_left(c.escalate_at, t),
             "detected": c.source == rules.Source.DETECTED.value,
             "link": f"/projects/{project_id}/conflicts/{c.id}"} for c in rows]  # fmt: skip
