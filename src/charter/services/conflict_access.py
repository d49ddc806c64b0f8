"""Who sees and who changes a conflict (see services.conflicts for the rules), loading one for a reader, and
a conflict as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import conflicts as rules
from charter.domain.errors import NotFound, PermissionDenied, stale
from charter.domain.roles import SPONSOR, Perm, ScopeKind
from charter.persistence.models import Conflict, ConflictParty, Department, Risk, WorkPackage
from charter.services import work_packages
from charter.services.authz import can, grants, project_for
from charter.services.comms_common import holders, names
from charter.services.conflict_ladder import ENTITY
from charter.services.context import Actor, now

# --------------------------------------------------------------------------------------------- who sees what


@dataclass
class Viewer:
    user_id: int | None
    manager: bool = False
    sponsor: bool = False
    member: bool = False
    led: set[int] = field(default_factory=set)  # work packages the actor leads (with their sub-packages)
    departments: set[int] = field(default_factory=set)  # departments the actor is the liaison of

    def involved(self, c: Conflict, parties: list[ConflictParty]) -> bool:
        uid = self.user_id
        if uid is not None and uid in (c.owner_id, c.raised_by):
            return True
        if c.work_package_id is not None and c.work_package_id in self.led:
            return True
        for p in parties:
            if uid is not None and p.user_id == uid:
                return True
            if p.department_id is not None and p.department_id in self.departments:
                return True
            if p.work_package_id is not None and p.work_package_id in self.led:
                return True
        return False

    def sees(self, c: Conflict, parties: list[ConflictParty]) -> bool:
        if self.manager or self.sponsor or self.involved(c, parties):
            return True
        return self.member and rules.Kind(c.kind) not in rules.SENSITIVE

    def edits(self, c: Conflict) -> bool:
        if self.manager or (self.user_id is not None and c.owner_id == self.user_id):
            return True
        if c.level == rules.Level.TASK_LEADER.value and c.work_package_id in self.led:
            return True
        return c.level == rules.Level.SPONSOR.value and self.sponsor

    def escalates(self, c: Conflict, parties: list[ConflictParty]) -> bool:
        uid = self.user_id
        return self.edits(c) or (
            uid is not None and (c.raised_by == uid or any(p.user_id == uid for p in parties))
        )


def viewer(s: Session, actor: Actor, project_id: int) -> Viewer:
    v = Viewer(actor.user_id)
    if actor.is_admin or can(s, actor, project_id, Perm.CONFLICT_MANAGE):
        v.manager = v.member = True
        return v
    held = grants(s, actor, project_id)
    v.member = bool(held)
    led: set[int] = set()
    for g in held:
        if g.scope_kind is ScopeKind.WORK_PACKAGE and g.scope_id and Perm.TASK_EDIT in g.permissions:
            led.add(g.scope_id)
        if g.scope_kind is ScopeKind.DEPARTMENT and g.scope_id:
            v.departments.add(g.scope_id)
    v.led = work_packages.subtree(s, project_id, led) if led else set()
    v.sponsor = any(u == actor.user_id for u, _ in holders(s, project_id, SPONSOR))
    return v


def hidden_journal_types(s: Session, actor: Actor, project_id: int) -> tuple[str, ...]:
    """What the project-wide journal leaves out for this reader: conflict entries, unless the reader sees
    every conflict (the PM, the Sponsor, an admin); each conflict's page shows its own history."""
    v = viewer(s, actor, project_id)
    return () if v.manager or v.sponsor else (ENTITY,)


def _parties(s: Session, conflict_ids: list[int]) -> dict[int, list[ConflictParty]]:
    out: dict[int, list[ConflictParty]] = {i: [] for i in conflict_ids}
    if conflict_ids:
        for p in s.scalars(select(ConflictParty).where(ConflictParty.conflict_id.in_(conflict_ids)).order_by(ConflictParty.id)):  # fmt: skip
            out[p.conflict_id].append(p)
    return out


def _load(s: Session, actor: Actor, project_id: int, conflict_id: int) -> tuple[Conflict, Viewer, list[ConflictParty]]:  # fmt: skip
    project_for(s, actor, project_id)
    c = s.get(Conflict, conflict_id)
    v = viewer(s, actor, project_id)
    parties = _parties(s, [conflict_id])[conflict_id] if c is not None else []
    if c is None or c.project_id != project_id or not v.sees(c, parties):
        raise NotFound(f"conflict {conflict_id} not found in this project", field="conflict_id")
    return c, v, parties


def _editable(s: Session, actor: Actor, project_id: int, conflict_id: int, version: int | None) -> tuple[Conflict, Viewer, list[ConflictParty]]:  # fmt: skip
    c, v, parties = _load(s, actor, project_id, conflict_id)
    if not v.edits(c):
        raise PermissionDenied("the conflict's owner, the PM, or the holder of its current rung changes it")
    if version is not None and version != c.version:
        raise stale("conflict", version, conflict_dict(s, c, parties))
    return c, v, parties


# --------------------------------------------------------------------------------------------- plain data


def party_dict(p: ConflictParty, users: dict[int, str], depts: dict[int, str], wps: dict[int, str]) -> dict[str, Any]:  # fmt: skip
    if p.user_id is not None:
        kind, name = "user", users.get(p.user_id, f"user {p.user_id}")
    elif p.department_id is not None:
        kind, name = "department", depts.get(p.department_id, f"department {p.department_id}")
    elif p.work_package_id is not None:
        kind, name = "work_package", wps.get(p.work_package_id, f"work package {p.work_package_id}")
    else:
        kind, name = "outside", p.label
    return {"id": p.id, "kind": kind, "user_id": p.user_id, "department_id": p.department_id,
            "work_package_id": p.work_package_id, "name": name, "label": p.label}  # fmt: skip


def conflict_dict(s: Session, c: Conflict, parties: list[ConflictParty] | None = None) -> dict[str, Any]:
    if parties is None:
        parties = _parties(s, [c.id])[c.id]
    users = names(s, [c.owner_id, c.raised_by, c.resolved_by, *(p.user_id for p in parties)])
    wp_ids = {w for w in [c.work_package_id, *(p.work_package_id for p in parties)] if w is not None}
    wps = {i: f"{code} {n}".strip() for i, code, n in s.execute(
        select(WorkPackage.id, WorkPackage.wbs_code, WorkPackage.name).where(WorkPackage.id.in_(wp_ids)))} if wp_ids else {}  # fmt: skip
    dept_ids = {p.department_id for p in parties if p.department_id is not None}
    depts = dict(s.execute(select(Department.id, Department.name).where(Department.id.in_(dept_ids))).all()) if dept_ids else {}  # fmt: skip
    risk_ref = None
    if c.risk_id is not None:
        n = s.scalar(select(Risk.number).where(Risk.id == c.risk_id))
        risk_ref = f"R-{n}" if n is not None else None
    t = now()
    return {
        "id": c.id, "project_id": c.project_id, "number": c.number, "ref": f"C-{c.number}", "title": c.title,
        "description": c.description, "kind": c.kind, "severity": c.severity, "status": c.status,
        "approach": c.approach, "level": c.level, "level_since": c.level_since, "escalate_at": c.escalate_at,
        "time_left": rules.time_left(c.escalate_at, t),
        "overdue": c.escalate_at is not None and c.escalate_at <= t,
        "work_package_id": c.work_package_id,
        "work_package": wps.get(c.work_package_id) if c.work_package_id else None,
        "owner_id": c.owner_id, "owner": users.get(c.owner_id) if c.owner_id else None,
        "raised_by": c.raised_by, "raised_by_name": users.get(c.raised_by) if c.raised_by else None,
        "source": c.source, "detected": c.source == rules.Source.DETECTED.value, "detector_key": c.detector_key,
        "risk_id": c.risk_id, "risk_ref": risk_ref, "concern_id": c.concern_id, "details": c.details or {},
        "outcome": c.outcome, "resolved_at": c.resolved_at,
        "resolved_by": users.get(c.resolved_by) if c.resolved_by else None,
        "parties": [party_dict(p, users, depts, wps) for p in parties],
        "created_at": c.created_at, "updated_at": c.updated_at, "version": c.version,
    }  # fmt: skip
