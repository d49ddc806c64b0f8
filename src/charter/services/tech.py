"""Technology inventory: components per project and organisation-wide, imports (CSV, CycloneDX, SPDX), update
items turned into tasks, the scheduled due-date check and the handover at closure.

A component with `project_id` NULL belongs to the organisation: every signed-in user may read it, only an
instance admin may change it. A project's components are read with project.read and changed with tech.manage.
Whoever did a planned update may record it done (not dismiss it) without tech.manage: the Task Leader of a
work package its tasks are in (task.edit there) or an assignee of one of them (task.progress there) - the
people who may record those tasks' progress (the default RACI makes Task Leaders Responsible for technology).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.figures import counted
from charter.domain.purl import normalise as normalise_purl
from charter.domain.roles import Perm, permits
from charter.io import inventory as inv
from charter.persistence.models import (
    Department,
    Project,
    Task,
    TechComponent,
    TechUpdate,
    TechUpdateTask,
    User,
)
from charter.services import journal, notifications, tasks, tech_plans
from charter.services.accounts import find_user_id
from charter.services.authz import (
    grants,
    project_for,
    require_admin,
    require_user,
    visible_project_ids,
    work_package_target,
)
from charter.services.context import Actor, now
from charter.services.resources import is_assigned

KINDS = inv.KINDS
UPDATE_KINDS = ("new_version", "advisory", "end_of_life", "certificate")
UPDATE_STATUSES = ("open", "planned", "done", "dismissed")
CLOSING_STATUSES = ("done", "dismissed")
SEVERITIES = ("low", "medium", "high", "critical")
DEFAULT_THRESHOLDS = (90, 30)
_DATES = ("release_date", "support_end", "eol_date")
EDITABLE = {
    "name", "kind", "vendor", "current_version", "purl", "licence", "release_date", "support_end", "eol_date",
    "owner_id", "systems", "departments",
}  # fmt: skip


def component_dict(c: TechComponent) -> dict[str, Any]:
    return {
        "id": c.id,
        "project_id": c.project_id,
        "name": c.name,
        "kind": c.kind,
        "vendor": c.vendor,
        "current_version": c.current_version,
        "purl": c.purl,
        "licence": c.licence,
        "release_date": c.release_date,
        "support_end": c.support_end,
        "eol_date": c.eol_date,
        "owner_id": c.owner_id,
        "systems": list(c.systems or []),
        "departments": list(c.departments or []),
        "source": c.source,
        "handed_over_at": c.handed_over_at,
        "version": c.version,
    }


def update_dict(u: TechUpdate) -> dict[str, Any]:
    return {
        "id": u.id,
        "component_id": u.component_id,
        "kind": u.kind,
        "title": u.title,
        "severity": u.severity,
        "due_on": u.due_on,
        "status": u.status,
        "task_id": u.task_id,
        "version": u.version,
    }


def find_owner_id(s: Session, actor: Actor, component_id: int, username_or_id: str) -> int:
    """The user a component's new owner names, for whoever may change the component (`update_component`'s
    check, before the look-up: a refusal does not say whether the name exists)."""
    _may_manage(s, actor, _component(s, actor, component_id).project_id)
    return find_user_id(s, username_or_id)


def _may_manage(s: Session, actor: Actor, project_id: int | None) -> None:
    require_user(actor)
    if project_id is None:
        require_admin(actor)
    else:
        project_for(s, actor, project_id, Perm.TECH_MANAGE)


def did_the_work(s: Session, actor: Actor, u: TechUpdate) -> bool:
    """Whether the actor may record this update's tasks' progress: the Task Leader of a work package they are
    in (task.edit there) or an assignee of one of them with task.progress there (as tasks.update_task allows)."""
    if actor.user_id is None:
        return False
    ids = set(s.scalars(select(TechUpdateTask.task_id).where(TechUpdateTask.update_id == u.id)))
    if u.task_id is not None:
        ids.add(u.task_id)
    if not ids:
        return False
    held: dict[int, Any] = {}
    rows = s.execute(select(Task.id, Task.project_id, Task.work_package_id).where(Task.id.in_(sorted(ids))))
    for tid, pid, wp in rows.all():
        if pid not in held:
            held[pid] = grants(s, actor, pid)
        target = work_package_target(s, wp)
        if permits(held[pid], Perm.TASK_EDIT, target):
            return True
        if permits(held[pid], Perm.TASK_PROGRESS, target) and is_assigned(s, tid, actor.user_id):
            return True
    return False


def _date(value: Any, name: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{name} must be a date (YYYY-MM-DD)", field=name) from None


def _check(values: dict[str, Any], where: str = "") -> None:
    prefix = f"{where}: " if where else ""
    name = str(values.get("name") or "").strip()
    if not name:
        raise ValidationError(f"{prefix}name is required", field="name")
    if values.get("kind") not in KINDS:
        raise ValidationError(f"{prefix}kind must be one of {', '.join(KINDS)}", field="kind")
    release = values.get("release_date")
    for f in ("support_end", "eol_date"):
        d = values.get(f)
        if release and d and d < release:
            raise ValidationError(f"{prefix}{f} ({d}) is before release_date ({release})", field=f)


def _owner(s: Session, owner_id: int | None) -> None:
    if owner_id is not None and s.get(User, owner_id) is None:
        raise ValidationError(f"user {owner_id} does not exist", field="owner_id")


def list_components(
    s: Session, actor: Actor, project_id: int | None = None, *, organisation: bool = False
) -> list[dict[str, Any]]:
    """A project's inventory, or (project_id None) the organisation-wide inventory: org components plus
    every visible project's."""
    require_user(actor)
    q = select(TechComponent).order_by(TechComponent.name, TechComponent.id)
    if project_id is not None:
        project_for(s, actor, project_id)
        q = q.where(TechComponent.project_id == project_id)
    elif organisation:
        q = q.where(TechComponent.project_id.is_(None))
    else:
        q = q.where(
            or_(
                TechComponent.project_id.is_(None),
                TechComponent.project_id.in_(visible_project_ids(s, actor)),
            )
        )
    return [component_dict(c) for c in s.scalars(q)]


def _component(s: Session, actor: Actor, component_id: int) -> TechComponent:
    """A component the actor may read: an organisation-wide one, one of a project they can see, or one
    they own (the post-project owner after a hand-over may hold no role in the project; the due-date
    alerts link them here)."""
    require_user(actor)
    c = s.get(TechComponent, component_id)
    if c is None:
        raise NotFound(f"component {component_id} not found")
    if c.project_id is not None:
        owner = actor.user_id is not None and c.owner_id == actor.user_id
        deleted = s.scalar(select(Project.deleted_at).where(Project.id == c.project_id)) is not None
        if not owner or deleted:
            project_for(s, actor, c.project_id)
    return c


def get_component(s: Session, actor: Actor, component_id: int) -> dict[str, Any]:
    c = _component(s, actor, component_id)
    out = component_dict(c)
    ups = s.scalars(select(TechUpdate).where(TechUpdate.component_id == c.id).order_by(TechUpdate.id))
    out["updates"] = [update_dict(u) for u in ups]
    steps = tech_plans.steps_of(s, [u["id"] for u in out["updates"]])
    for u in out["updates"]:
        u["plan"] = steps.get(u["id"], [])
    return out


def _values(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - EDITABLE
    if unknown:
        f = sorted(unknown)[0]
        raise ValidationError(f"unknown field {f}", field=f)
    out = dict(values)
    for f in _DATES:
        if f in out:
            out[f] = _date(out[f], f)
    for f in ("systems", "departments"):
        if f in out:
            v = out[f] or []
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ValidationError(f"{f} must be a list of names", field=f)
            out[f] = [x.strip()[:120] for x in v if x.strip()][:100]
    for f, limit in (("name", 200), ("vendor", 200), ("current_version", 100), ("licence", 200)):
        if f in out:
            out[f] = str(out[f] or "").strip()[:limit]
    if "purl" in out:
        out["purl"] = _purl(out["purl"])
    return out


def _purl(value: Any) -> str | None:
    """A purl as stored: its canonical form (domain/purl.py), None for none; 422 naming the field."""
    if value is not None and not isinstance(value, str):
        raise ValidationError("purl must be text (pkg:TYPE/[NAMESPACE/]NAME[@VERSION])", field="purl")
    try:
        return normalise_purl(value)
    except ValueError as e:
        raise ValidationError(str(e), field="purl") from None


def create_component(s: Session, actor: Actor, project_id: int | None, **values: Any) -> dict[str, Any]:
    _may_manage(s, actor, project_id)
    v = _values(values)
    v.setdefault("kind", "software")
    _check(v)
    _owner(s, v.get("owner_id"))
    c = TechComponent(project_id=project_id, created_at=now(), source="manual", **v)
    for attr, default in (("vendor", ""), ("current_version", ""), ("licence", ""), ("systems", []),
                          ("departments", [])):  # fmt: skip
        if getattr(c, attr) is None:
            setattr(c, attr, default)
    s.add(c)
    s.flush()
    journal.record(s, actor, entity_type="tech_component", entity_id=c.id, action="create",
                   project_id=project_id, after=journal.snapshot(c))  # fmt: skip
    return component_dict(c)


def update_component(
    s: Session, actor: Actor, component_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    c = _component(s, actor, component_id)
    _may_manage(s, actor, c.project_id)
    if c.version != version:
        raise stale(f"component {component_id}", version, component_dict(c))
    v = _values(changes)
    merged = {**component_dict(c), **v}
    _check(merged)
    _owner(s, v.get("owner_id"))
    before = journal.snapshot(c)
    for k, val in v.items():
        setattr(c, k, val)
    s.flush()
    journal.record(s, actor, entity_type="tech_component", entity_id=c.id, action="update",
                   project_id=c.project_id, before=before, after=journal.snapshot(c))  # fmt: skip
    return component_dict(c)


_MERGED = (
    "vendor",
    "licence",
    "release_date",
    "support_end",
    "eol_date",
    "owner_id",
    "systems",
    "departments",
)


def _import_key(name: str, version: str) -> tuple[str, str]:
    return name.strip().casefold(), version.strip()


class _Known:
    """The components an import may match: stored ones of the inventory and those the file adds, found by
    canonical purl and by name (any case) + version."""

    def __init__(self) -> None:
        self.by_purl: dict[str, TechComponent] = {}
        self.by_key: dict[tuple[str, str], list[TechComponent]] = {}

    def add(self, c: TechComponent) -> None:
        self.gave_purl(c)
        self.by_key.setdefault(_import_key(c.name, c.current_version), []).append(c)

    def gave_purl(self, c: TechComponent) -> None:
        if c.purl:
            self.by_purl.setdefault(c.purl, c)

    def match(self, name: str, version: str, purl: str | None) -> TechComponent | None:
        """With a purl: the component of that purl, else one of the same name and version that has no purl
        (one with another purl is another package); without: the first of the same name and version."""
        same = self.by_key.get(_import_key(name, version), [])
        if purl is None:
            return same[0] if same else None
        return self.by_purl.get(purl) or next((c for c in same if not c.purl), None)


def import_file(
    s: Session, actor: Actor, project_id: int | None, data: bytes, filename: str = ""
) -> dict[str, Any]:
    """Import a CSV inventory or a CycloneDX/SPDX SBOM, all or nothing. A component already in the inventory
    (the project's, or the organisation's without a project) is the same component when both have a Package
    URL and the purls are equal (canonical form, domain/purl.py); otherwise when it has the same name (any
    case) and version, and no other purl than the file's. What the file states of it (purl when it had none,
    vendor, licence, dates, owner, systems, departments; an empty cell or a missing field keeps the stored
    value) is merged into it rather than added again, so importing the same file again adds nothing. The
    answer counts what was added, updated and unchanged."""
    _may_manage(s, actor, project_id)
    fmt = "csv" if filename.lower().endswith(".csv") else inv.detect(data)
    problems: list[str] = []
    specs = inv.read_csv(data, problems) if fmt == "csv" else inv.read_sbom(data)[1]
    users = {u.username: u.id for u in s.scalars(select(User))}
    depts = {d.name for d in s.scalars(select(Department))}
    scope = (
        TechComponent.project_id.is_(None) if project_id is None else TechComponent.project_id == project_id
    )
    known = _Known()
    for c in s.scalars(select(TechComponent).where(scope).order_by(TechComponent.id)):
        known.add(c)
    added: list[TechComponent] = []
    changed: dict[int, tuple[TechComponent, dict[str, Any]]] = {}  # id -> (row, its state before)
    seen: dict[int, None] = {}  # stored components the file names, in file order
    for sp in specs:
        owner_id = None
        if sp.owner:
            owner_id = users.get(sp.owner)
            if owner_id is None:
                problems.append(f"{sp.where}: owner {sp.owner!r} is not a user")
        for d in sp.departments:
            if d not in depts:
                problems.append(f"{sp.where}: department {d!r} does not exist")
        given = {"vendor": sp.vendor, "licence": sp.licence, "release_date": sp.release_date,
                 "support_end": sp.support_end, "eol_date": sp.eol_date, "owner_id": owner_id,
                 "systems": sp.systems, "departments": sp.departments}  # fmt: skip
        given = {k: v for k, v in given.items() if v not in (None, "", [])}
        row = known.match(sp.name, sp.version, sp.purl)
        if sp.purl and (row is None or not row.purl):
            given["purl"] = sp.purl
        base = (
            {"name": sp.name, "kind": sp.kind, "release_date": None, "support_end": None, "eol_date": None}
            if row is None
            else {f: getattr(row, f) for f in ("name", "kind", "release_date", "support_end", "eol_date")}
        )
        try:
            _check({**base, **given}, sp.where)
        except ValidationError as e:
            problems.append(str(e))
            continue
        if row is None:
            fields: dict[str, Any] = {"vendor": "", "licence": "", "owner_id": None, "systems": [],
                                      "departments": [], **given}  # fmt: skip
            new = TechComponent(project_id=project_id, name=sp.name, kind=sp.kind, current_version=sp.version,
                                source=fmt.split("-")[0], created_at=now(), **fields)  # fmt: skip
            added.append(new)
            known.add(new)
            continue
        if row.id is not None:
            seen[row.id] = None
        diff = {k: v for k, v in given.items() if getattr(row, k) != v}
        if diff and row.id is not None and row.id not in changed:
            changed[row.id] = (row, journal.snapshot(row))
        for k, v in diff.items():
            setattr(row, k, v)
        known.gave_purl(row)
    inv._raise(problems, "inventory")
    rows = added
    s.add_all(rows)
    s.flush()
    for row, before in changed.values():
        journal.record(s, actor, entity_type="tech_component", entity_id=row.id, action="update",
                       project_id=project_id, before=before, after=journal.snapshot(row),
                       cause=f"import of {filename or fmt}")  # fmt: skip
    unchanged = [i for i in seen if i not in changed]
    counts = {"added": len(rows), "updated": len(changed), "unchanged": len(unchanged)}
    journal.record(s, actor, entity_type="tech_import", entity_id=project_id or 0, action="create",
                   project_id=project_id, after={"format": fmt, "components": len(rows), **counts})  # fmt: skip
    touched = rows + [r for r, _ in changed.values()]
    return {"format": fmt, "imported": sum(counts.values()), **counts,
            "components": [component_dict(c) for c in touched]}  # fmt: skip


# --------------------------------------------------------------------------------------------- updates


def create_update(
    s: Session,
    actor: Actor,
    component_id: int,
    *,
    kind: str,
    title: str,
    severity: str = "medium",
    due_on: Any = None,
    make_task: bool = False,
    work_package_id: int | None = None,
) -> dict[str, Any]:
    """An update item; with `make_task`, also an update task in the component's project."""
    c = _component(s, actor, component_id)
    _may_manage(s, actor, c.project_id)
    if kind not in UPDATE_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(UPDATE_KINDS)}", field="kind")
    if severity not in SEVERITIES:
        raise ValidationError(f"severity must be one of {', '.join(SEVERITIES)}", field="severity")
    title = (title or "").strip()
    if not title:
        raise ValidationError("title is required", field="title")
    u = TechUpdate(component_id=c.id, kind=kind, title=title[:300], severity=severity,
                   due_on=_date(due_on, "due_on"), status="open", created_at=now())  # fmt: skip
    s.add(u)
    s.flush()
    if make_task:
        if c.project_id is None:
            raise ValidationError("an organisation-wide component has no project to plan a task in",
                                  field="make_task")  # fmt: skip
        fields: dict[str, Any] = {"description": f"Update of {c.name} {c.current_version}: {title}"}
        if u.due_on:
            fields["deadline"] = dt.datetime.combine(u.due_on, dt.time(17, 0))
        t = tasks.create_task(s, actor, c.project_id, name=f"Update {c.name}: {title}"[:300],
                              work_package_id=work_package_id, **fields)  # fmt: skip
        u.task_id = t["id"]
        u.status = "planned"
        s.flush()
    journal.record(s, actor, entity_type="tech_update", entity_id=u.id, action="create",
                   project_id=c.project_id, after=journal.snapshot(u))  # fmt: skip
    return update_dict(u)


def set_update_status(
    s: Session, actor: Actor, update_id: int, version: int, status: str, note: str = ""
) -> dict[str, Any]:
    """Mark an update item done or dismissed by hand, with a note kept in the journal. An item whose plan's
    tasks all complete becomes done by itself (`tech_plans.complete_items`); this is for the rest: work
    done outside Charter, an advisory that does not apply, a version skipped. Dismissing needs tech.manage;
    marking done also whoever did the work (`did_the_work`: the Task Leader of its tasks' package, an
    assignee of one of them)."""
    require_user(actor)
    u = s.get(TechUpdate, update_id)
    if u is None:
        raise NotFound(f"update item {update_id} not found")
    c = _component(s, actor, u.component_id)
    if not (status == "done" and did_the_work(s, actor, u)):
        _may_manage(s, actor, c.project_id)
    if status not in CLOSING_STATUSES:
        raise ValidationError(f"status must be one of {', '.join(CLOSING_STATUSES)}", field="status")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError("note is longer than 2000 characters", field="note")
    if status == "dismissed" and not note:
        raise ValidationError("say why the item is dismissed", field="note")
    if u.version != version:
        raise stale(f"update item {u.id}", version, update_dict(u))
    if u.status in CLOSING_STATUSES:
        raise Conflict(f"update item {u.id} is already {u.status}", field="status", current=update_dict(u))
    before = journal.snapshot(u)
    u.status = status
    s.flush()
    after = {**journal.snapshot(u), "note": note} if note else journal.snapshot(u)
    journal.record(s, actor, entity_type="tech_update", entity_id=u.id, action="update",
                   project_id=c.project_id, before=before, after=after,
                   cause=f"marked {status} by hand")  # fmt: skip
    return update_dict(u)


# --------------------------------------------------------------------------------------------- due alerts


def due_within(
    s: Session, actor: Actor, days: int, project_id: int | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Components the actor can see whose end of life / expiry or end of support falls within `days` (or has
    passed without a newer date), soonest first, with their open update items' count."""
    require_user(actor)
    if not 0 <= days <= 3650:
        raise ValidationError("days must be between 0 and 3650", field="days")
    today = today or now().date()
    horizon = today + dt.timedelta(days=days)
    rows = list_components(s, actor, project_id)
    out: list[dict[str, Any]] = []
    for c in rows:
        dates = [(f, c[f]) for f in ("eol_date", "support_end") if c[f] is not None and c[f] <= horizon]
        if not dates:
            continue
        field, when = min(dates, key=lambda x: x[1])
        open_items = s.scalars(
            select(TechUpdate.id).where(TechUpdate.component_id == c["id"], TechUpdate.status == "open")
        ).all()
        out.append({**c, "due_field": field, "due_on": when, "days_left": (when - today).days,
                    "open_updates": len(open_items)})  # fmt: skip
    out.sort(key=lambda r: (r["due_on"], r["name"], r["id"]))
    return out


def run_due_check(
    s: Session, actor: Actor, thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
) -> list[dict[str, Any]]:
    """Run the scheduled due-date check now, on request: an instance admin only (the worker runs
    `due_alerts` itself on every pass)."""
    require_admin(actor)
    return due_alerts(s, thresholds=thresholds)


def due_alerts(
    s: Session, now_at: dt.datetime | None = None, thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
) -> list[dict[str, Any]]:
    """Alert each component's owner when an end-of-life, support-end or (certificate/domain) expiry date
    is within a threshold. Runs whatever the project's status (closed projects too); idempotent per
    component, date field and threshold through notify()'s event_key."""
    today = (now_at or now()).date()
    horizon = today + dt.timedelta(days=max(thresholds))
    q = select(TechComponent).where(
        TechComponent.owner_id.is_not(None),
        or_(TechComponent.eol_date <= horizon, TechComponent.support_end <= horizon),
    )
    raised: list[dict[str, Any]] = []
    for c in s.scalars(q.order_by(TechComponent.id)):
        if c.project_id is not None:
            deleted = s.scalar(select(Project.deleted_at).where(Project.id == c.project_id))
            if deleted is not None:
                continue
        for f, label in (("eol_date", "end of life"), ("support_end", "end of support")):
            when: dt.date | None = getattr(c, f)
            if when is None or when < today:
                continue
            if c.kind in ("certificate", "domain") and f == "eol_date":
                label = "expiry"
            left = (when - today).days
            hit = [t for t in sorted(thresholds) if left <= t]
            if not hit:
                continue
            threshold = hit[0]
            key = f"tech.due:{c.id}:{f}:{threshold}:{when.isoformat()}"
            counts = notifications.notify(
                s,
                recipients=[c.owner_id] if c.owner_id else [],
                kind="tech.due",
                subject=f"{c.name} {c.current_version}: {label} in {counted(left, 'day')} ({when})",
                body=f"The {label} date of {c.name} {c.current_version} is {when}. Plan the update.",
                project_id=c.project_id,
                link=f"/tech/{c.id}",
                event_key=key,
            )
            if counts["inbox"] or counts["email"]:
                raised.append({"component_id": c.id, "field": f, "threshold": threshold, "days_left": left,
                               "owner_id": c.owner_id})  # fmt: skip
    return raised


def hand_over(s: Session, actor: Actor, project_id: int, owner_id: int) -> dict[str, Any]:
    """Hand the project's technology to an owner for the post-project phase."""
    project_for(s, actor, project_id, Perm.TECH_MANAGE)
    _owner(s, owner_id)
    t = now()
    count = 0
    for c in s.scalars(select(TechComponent).where(TechComponent.project_id == project_id)):
        before = journal.snapshot(c)
        c.owner_id = owner_id
        c.handed_over_at = t
        count += 1
        s.flush()
        journal.record(s, actor, entity_type="tech_component", entity_id=c.id, action="update",
                       project_id=project_id, before=before, after=journal.snapshot(c), cause="handover")  # fmt: skip
    return {"project_id": project_id, "owner_id": owner_id, "handed_over": count}


def not_handed_over(s: Session, project_id: int) -> int:
    q = select(TechComponent.id).where(
        TechComponent.project_id == project_id, TechComponent.handed_over_at.is_(None)
    )
    return len(s.scalars(q).all())
