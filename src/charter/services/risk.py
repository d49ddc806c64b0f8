"""The risk register: threats and opportunities, their ratings on the project's scales, lifecycle, responses
(whose actions are real tasks), discussion, rating history, heat map, burndown and review reminders.

Any member who may raise risks (risk.raise) adds one; the risk's owner and whoever holds risk.manage (the
PM) change it. Score and exposure: see :mod:`charter.domain.risk`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain import risk as rules
from charter.domain.errors import NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import PM, Perm
from charter.persistence.models import (
    Risk,
    RiskAction,
    RiskComment,
    RiskRating,
    RiskScale,
    Role,
    RoleAssignment,
    Task,
    User,
    WorkPackage,
)
from charter.services import journal
from charter.services.accounts import find_user_id
from charter.services.authz import can, is_member, project_for
from charter.services.context import Actor, now

EDITABLE = frozenset({
    "kind", "title", "cause", "event", "effect", "category", "probability", "impact_schedule", "impact_cost",
    "impact_quality", "impact_scope", "probability_value", "residual_probability", "residual_impact",
    "owner_id", "work_package_id", "task_id", "proximity", "strategy", "response", "triggers", "review_date",
})  # fmt: skip
RATING_FIELDS = ("probability", "impact_schedule", "impact_cost", "impact_quality", "impact_scope",
                 "residual_probability", "residual_impact", "status", "kind")  # fmt: skip
TOP = 10


# --------------------------------------------------------------------------------------------- scales


def scale_levels(s: Session, project_id: int) -> dict[tuple[rules.Dimension, int], rules.ScaleLevel]:
    """The project's scale definitions (the defaults for any level the project has not set)."""
    out = {(lv.dimension, lv.level): lv for lv in rules.default_scales()}
    for r in s.scalars(select(RiskScale).where(RiskScale.project_id == project_id)):
        d = rules.Dimension(r.dimension)
        out[(d, r.level)] = rules.ScaleLevel(d, r.level, r.label, r.low, r.high)
    return out


def _scales_dict(
    levels: dict[tuple[rules.Dimension, int], rules.ScaleLevel],
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for d in rules.Dimension:
        out[d.value] = [
            {
                "level": i,
                "label": levels[(d, i)].label,
                "low": levels[(d, i)].low,
                "high": levels[(d, i)].high,
            }
            for i in rules.LEVELS
        ]
    return out


def get_scales(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return {"project_id": project_id, "units": {"probability": "fraction 0-1", "schedule": "working days",
            "cost": "project currency"}, "scales": _scales_dict(scale_levels(s, project_id))}  # fmt: skip


def _bound(value: Any, field: str) -> float | None:
    """A scale level's low or high: a number or None (open); true/false is no number (Python reads it as 1/0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("must be a number, not true or false", field=field)
    if not isinstance(value, int | float | str):
        raise ValidationError(f"{value!r} is not a number", field=field)
    try:
        return float(value)
    except ValueError:
        raise ValidationError(f"{value!r} is not a number", field=field) from None


def set_scales(s: Session, actor: Actor, project_id: int, levels: list[dict[str, Any]]) -> dict[str, Any]:
    """Set some or all levels ({dimension, level, label, low, high}); the merged scales must be valid."""
    project_for(s, actor, project_id, Perm.RISK_MANAGE)
    merged = scale_levels(s, project_id)
    for n, item in enumerate(levels):
        d = _enum(rules.Dimension, item.get("dimension"), "dimension")
        lv = item.get("level")
        if isinstance(lv, bool):  # Python reads true as 1
            raise ValidationError("must be a number 1-5, not true or false", field=f"levels.{n}.level")
        if not isinstance(lv, int) or lv not in rules.LEVELS:
            raise ValidationError(f"scale level {lv!r} is outside 1..5", field=f"levels.{n}.level")
        merged[(d, lv)] = rules.ScaleLevel(d, lv, str(item.get("label") or merged[(d, lv)].label),
                                           _bound(item.get("low"), f"levels.{n}.low"),
                                           _bound(item.get("high"), f"levels.{n}.high"))  # fmt: skip
    rules.check_scale(list(merged.values()))
    before = _scales_dict(scale_levels(s, project_id))
    existing = {(r.dimension, r.level): r for r in s.scalars(select(RiskScale).where(RiskScale.project_id == project_id))}  # fmt: skip
    for (d, i), lv in merged.items():
        row = existing.get((d.value, i))
        if row is None:
            row = RiskScale(project_id=project_id, dimension=d.value, level=i)
            s.add(row)
        row.label, row.low, row.high = lv.label, lv.low, lv.high
    s.flush()
    after = _scales_dict(scale_levels(s, project_id))
    journal.record(s, actor, entity_type="risk_scales", entity_id=project_id, action="update",
                   before={"scales": before}, after={"scales": after}, project_id=project_id)  # fmt: skip
    return get_scales(s, actor, project_id)


# --------------------------------------------------------------------------------------------- helpers


def _enum(cls: Any, value: Any, field: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ValidationError(f"{value!r} is not one of: {allowed}", field=field) from None


def _get(s: Session, project_id: int, risk_id: int) -> Risk:
    r = s.get(Risk, risk_id)
    if r is None or r.project_id != project_id:
        raise NotFound(f"risk {risk_id} not found in this project", field="risk_id")
    return r


def find_owner_id(s: Session, actor: Actor, project_id: int, risk_id: int, username_or_id: str) -> int:
    """The user a new owner of the risk names, for whoever may change it (`update_risk`'s check, made before
    the look-up so that the refusal does not say whether the name exists)."""
    project_for(s, actor, project_id)
    _check_manage(s, actor, _get(s, project_id, risk_id))
    return find_user_id(s, username_or_id)


def may_manage(s: Session, actor: Actor, r: Risk) -> bool:
    if actor.is_admin or (actor.user_id is not None and r.owner_id == actor.user_id):
        return True
    return can(s, actor, r.project_id, Perm.RISK_MANAGE)


def _check_manage(s: Session, actor: Actor, r: Risk) -> None:
    if not may_manage(s, actor, r):
        raise PermissionDenied("only the risk's owner or whoever manages risks (the PM) may change it")


def _apply(s: Session, r: Risk, fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(f"cannot set {', '.join(sorted(unknown))}", field=sorted(unknown)[0])
    if "kind" in fields:
        fields["kind"] = _enum(rules.Kind, fields["kind"], "kind").value
    if "category" in fields:
        fields["category"] = _enum(rules.Category, fields["category"], "category").value
    if fields.get("strategy") is not None:
        fields["strategy"] = _enum(rules.Strategy, fields["strategy"], "strategy").value
    if "title" in fields and not (fields["title"] or "").strip():
        raise ValidationError("the risk needs a title", field="title")
    for k in ("probability", "impact_schedule", "impact_cost", "impact_quality", "impact_scope",
              "residual_probability", "residual_impact"):  # fmt: skip
        if k in fields:
            rules.check_level(fields[k], k)
    pv = fields.get("probability_value")
    if pv is not None and not 0.0 <= float(pv) <= 1.0:
        raise ValidationError(f"probability_value ({pv}) must lie in [0, 1]", field="probability_value")
    if fields.get("owner_id") is not None and not is_member(s, r.project_id, fields["owner_id"]):
        raise ValidationError("the owner must be a member of the project", field="owner_id")
    if fields.get("work_package_id") is not None:
        w = s.get(WorkPackage, fields["work_package_id"])
        if w is None or w.project_id != r.project_id:
            raise ValidationError("the work package is not in this project", field="work_package_id")
    if fields.get("task_id") is not None:
        t = s.get(Task, fields["task_id"])
        if t is None or t.project_id != r.project_id:
            raise ValidationError("the task is not in this project", field="task_id")
        if fields.get("work_package_id") is None and r.work_package_id is None:
            fields["work_package_id"] = t.work_package_id
    for k, v in fields.items():
        if isinstance(v, str) and k not in ("kind", "category", "strategy"):
            v = v.strip()
        setattr(r, k, v)
    rules.check_strategy(rules.Kind(r.kind), rules.Strategy(r.strategy) if r.strategy else None)


def _check_status(r: Risk) -> None:
    st = rules.Status(r.status)
    if st is rules.Status.ASSESSED and (r.probability is None or _impact(r) is None):
        raise ValidationError(
            "an assessed risk needs a probability and at least one impact", field="probability"
        )
    if st is rules.Status.RESPONDING and not r.strategy:
        raise ValidationError("a risk being responded to needs a response strategy", field="strategy")


def _impact(r: Any) -> int | None:
    return rules.impact(r.impact_schedule, r.impact_cost, r.impact_quality, r.impact_scope)


def _snapshot_rating(s: Session, actor: Actor, r: Risk) -> None:
    imp = _impact(r)
    s.add(RiskRating(risk_id=r.id, project_id=r.project_id, at=now(), by_id=actor.user_id, status=r.status,
                     kind=r.kind, probability=r.probability, impact=imp, score=rules.score(r.probability, imp),
                     residual_score=rules.score(r.residual_probability, r.residual_impact)))  # fmt: skip


def _names(s: Session, ids: set[int | None]) -> dict[int, str]:
    real = {i for i in ids if i is not None}
    if not real:
        return {}
    return dict(s.execute(select(User.id, User.display_name).where(User.id.in_(real))).all())


def risk_dict(r: Risk, users: dict[int, str], wps: dict[int, str], tasks: dict[int, str]) -> dict[str, Any]:
    imp = _impact(r)
    sc = rules.score(r.probability, imp)
    res = rules.score(r.residual_probability, r.residual_impact)
    return {
        "id": r.id, "project_id": r.project_id, "number": r.number, "ref": f"R-{r.number}", "kind": r.kind,
        "title": r.title, "cause": r.cause, "event": r.event, "effect": r.effect, "category": r.category,
        "probability": r.probability, "impact_schedule": r.impact_schedule, "impact_cost": r.impact_cost,
        "impact_quality": r.impact_quality, "impact_scope": r.impact_scope, "impact": imp, "score": sc,
        "band": rules.band(sc), "probability_value": r.probability_value,
        "residual_probability": r.residual_probability, "residual_impact": r.residual_impact,
        "residual_score": res, "residual_band": rules.band(res),
        "owner_id": r.owner_id, "owner": users.get(r.owner_id) if r.owner_id else None,
        "raised_by": r.raised_by, "raised_by_name": users.get(r.raised_by) if r.raised_by else None,
        "work_package_id": r.work_package_id,
        "work_package": wps.get(r.work_package_id) if r.work_package_id else None,
        "task_id": r.task_id, "task": tasks.get(r.task_id) if r.task_id else None,
        "proximity": r.proximity, "status": r.status, "strategy": r.strategy, "response": r.response,
        "triggers": r.triggers, "review_date": r.review_date, "occurred_on": r.occurred_on,
        "issue_note": r.issue_note, "concern_id": r.concern_id, "closed_at": r.closed_at,
        "created_at": r.created_at, "updated_at": r.updated_at, "version": r.version,
    }  # fmt: skip


def _dicts(s: Session, project_id: int, risks: list[Risk]) -> list[dict[str, Any]]:
    users = _names(s, {r.owner_id for r in risks} | {r.raised_by for r in risks})
    wps = dict(s.execute(select(WorkPackage.id, WorkPackage.name).where(WorkPackage.project_id == project_id)).all())  # fmt: skip
    tids = {r.task_id for r in risks if r.task_id}
    tasks = dict(s.execute(select(Task.id, Task.name).where(Task.id.in_(tids))).all()) if tids else {}  # fmt: skip
    return [risk_dict(r, users, wps, tasks) for r in risks]


# --------------------------------------------------------------------------------------------- register


FILTERS = ("status", "kind", "category", "owner_id", "work_package_id", "probability", "impact", "open_only")


def list_risks(s: Session, actor: Actor, project_id: int, **filters: Any) -> list[dict[str, Any]]:
    """The register, highest score first. Filters: status, kind, category, owner_id, work_package_id,
    probability and impact (a heat map cell: impact is the largest impact), open_only."""
    project_for(s, actor, project_id)
    q = select(Risk).where(Risk.project_id == project_id)
    for k in ("status", "kind", "category", "owner_id", "work_package_id", "probability"):
        if filters.get(k) is not None:
            q = q.where(getattr(Risk, k) == filters[k])
    if filters.get("open_only"):
        q = q.where(Risk.status.in_([x.value for x in rules.OPEN]))
    out = _dicts(s, project_id, list(s.scalars(q.order_by(Risk.number))))
    if filters.get("impact") is not None:
        out = [r for r in out if r["impact"] == filters["impact"]]
    out.sort(key=lambda r: (-(r["score"] or 0), r["number"]))
    return out


def get_risk(s: Session, actor: Actor, project_id: int, risk_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    r = _get(s, project_id, risk_id)
    out = _dicts(s, project_id, [r])[0]
    actions = s.execute(
        select(Task.id, Task.name, Task.status, Task.percent_complete, Task.wbs_code)
        .join(RiskAction, RiskAction.task_id == Task.id).where(RiskAction.risk_id == r.id).order_by(RiskAction.id)
    ).all()  # fmt: skip
    out["actions"] = [{"task_id": a[0], "name": a[1], "status": a[2], "percent_complete": a[3], "wbs_code": a[4]}
                      for a in actions]  # fmt: skip
    out["comments"] = comments(s, actor, project_id, risk_id)
    out["ratings"] = ratings(s, actor, project_id, risk_id)
    out["may_manage"] = may_manage(s, actor, r)
    from charter.services import conflicts

    out["conflict"] = conflicts.conflict_for(s, risk_id=r.id)
    return out


def create_risk(
    s: Session, actor: Actor, project_id: int, *, title: str, concern_id: int | None = None, **fields: Any
) -> dict[str, Any]:
    """Raise a risk. `concern_id`: the stakeholder concern it comes from (set by
    stakeholders.to_risk, which checks the concern; never from a client)."""
    project_for(s, actor, project_id, Perm.RISK_RAISE)
    fields.setdefault("kind", rules.Kind.THREAT.value)
    fields.setdefault("category", rules.Category.OTHER.value)
    number = (s.scalar(select(func.max(Risk.number)).where(Risk.project_id == project_id)) or 0) + 1
    t = now()
    r = Risk(project_id=project_id, number=number, title="", status=rules.Status.IDENTIFIED.value,
             raised_by=actor.user_id, created_at=t, updated_at=t, cause="", event="", effect="", response="",
             triggers="", issue_note="", kind=rules.Kind.THREAT.value, concern_id=concern_id)  # fmt: skip
    if (
        fields.get("owner_id") is None
        and actor.user_id is not None
        and is_member(s, project_id, actor.user_id)
    ):
        fields["owner_id"] = actor.user_id
    _apply(s, r, {"title": title, **fields})
    if r.probability is not None and _impact(r) is not None:
        r.status = rules.Status.ASSESSED.value
    s.add(r)
    s.flush()
    _snapshot_rating(s, actor, r)
    journal.record(s, actor, entity_type="risk", entity_id=r.id, action="create", after=journal.snapshot(r),
                   project_id=project_id)  # fmt: skip
    _tell_owner(s, actor, r)
    return get_risk(s, actor, project_id, r.id)


def _tell_owner(s: Session, actor: Actor, r: Risk) -> None:
    if r.owner_id is None or r.owner_id == actor.user_id:
        return
    from charter.services.notifications import notify

    notify(s, recipients=[r.owner_id], kind="risk.owner", subject=f"You own risk R-{r.number}: {r.title}",
           body=f"{actor.label} made you the owner of risk R-{r.number} ({r.title}).", project_id=r.project_id,
           link=f"/projects/{r.project_id}/risks/{r.id}", event_key=f"risk.owner:{r.id}:{r.owner_id}")  # fmt: skip


def update_risk(
    s: Session, actor: Actor, project_id: int, risk_id: int, version: int, **fields: Any
) -> dict[str, Any]:
    """Change a risk (owner or PM); `status` moves it through its lifecycle (see set_status)."""
    project_for(s, actor, project_id)
    r = _get(s, project_id, risk_id)
    _check_manage(s, actor, r)
    if r.version != version:
        raise stale("risk", version, get_risk(s, actor, project_id, risk_id))
    before = journal.snapshot(r)
    old_owner = r.owner_id
    status = fields.pop("status", None)
    occurred_on = fields.pop("occurred_on", None)
    issue_note = fields.pop("issue_note", None)
    _apply(s, r, fields)
    if status is not None:
        _move(r, _enum(rules.Status, status, "status"), occurred_on, issue_note)
    _check_status(r)
    r.updated_at = now()
    s.flush()
    after = journal.snapshot(r)
    if any(before.get(k) != after.get(k) for k in RATING_FIELDS):
        _snapshot_rating(s, actor, r)
    journal.record(s, actor, entity_type="risk", entity_id=r.id, action="update", before=before, after=after,
                   project_id=project_id)  # fmt: skip
    if r.owner_id != old_owner:
        _tell_owner(s, actor, r)
    return get_risk(s, actor, project_id, risk_id)


def _move(r: Risk, new: rules.Status, occurred_on: dt.date | None, note: str | None) -> None:
    old = rules.Status(r.status)
    rules.check_transition(old, new)
    r.status = new.value
    if new is rules.Status.OCCURRED:
        r.occurred_on = occurred_on or now().date()
        r.issue_note = (note or r.issue_note or "").strip()
    if new is rules.Status.CLOSED:
        r.closed_at = now()
    if new is rules.Status.IDENTIFIED and old is rules.Status.CLOSED:
        r.closed_at = None


def set_status(s: Session, actor: Actor, project_id: int, risk_id: int, version: int, status: str,
               occurred_on: dt.date | None = None, note: str | None = None,
               open_conflict: bool = False) -> dict[str, Any]:  # fmt: skip
    """identified -> assessed -> responding -> closed; an open risk that happens becomes `occurred` (an issue,
    with the date it occurred and a note; `open_conflict` logs it in the conflict log at once); closed risks
    may be reopened."""
    out = update_risk(s, actor, project_id, risk_id, version, status=status, occurred_on=occurred_on,
                      issue_note=note)  # fmt: skip
    if open_conflict:
        from charter.services import conflicts

        conflicts.from_risk(s, actor, project_id, risk_id)
        out = get_risk(s, actor, project_id, risk_id)
    return out


# --------------------------------------------------------------------------------------------- actions, comments


def add_action(
    s: Session, actor: Actor, project_id: int, risk_id: int, *, task_id: int | None = None, **task_fields: Any
) -> dict[str, Any]:
    """Link a response action: an existing task (`task_id`) or a new one created in the schedule (name,
    duration, work_package_id ... as for tasks.create_task). Whoever may manage the risk (its owner, a
    risk.manage holder) may add one: in the risk's own work package the task is created on their behalf
    (journaled as theirs) without task.edit - a Security Officer who owns a risk but plans no tasks still
    records the response; in another package task.edit there is needed."""
    from charter.services import tasks

    project_for(s, actor, project_id)
    r = _get(s, project_id, risk_id)
    _check_manage(s, actor, r)
    if task_id is None:
        if not (task_fields.get("name") or "").strip():
            raise ValidationError(
                "a response action needs a task name (or an existing task_id)", field="name"
            )
        wp = task_fields.setdefault("work_package_id", r.work_package_id)
        create = tasks.create_task_on_behalf if wp == r.work_package_id else tasks.create_task
        task_id = int(create(s, actor, project_id, **task_fields)["id"])
    else:
        t = s.get(Task, task_id)
        if t is None or t.project_id != project_id:
            raise ValidationError("the task is not in this project", field="task_id")
    if s.scalars(select(RiskAction).where(RiskAction.risk_id == r.id, RiskAction.task_id == task_id)).first():
        raise ValidationError("this task is already a response action of the risk", field="task_id")
    s.add(RiskAction(risk_id=r.id, task_id=task_id, created_at=now()))
    s.flush()
    journal.record(s, actor, entity_type="risk", entity_id=r.id, action="add_action",
                   after={"task_id": task_id}, project_id=project_id)  # fmt: skip
    return get_risk(s, actor, project_id, risk_id)


def comments(s: Session, actor: Actor, project_id: int, risk_id: int) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    _get(s, project_id, risk_id)
    rows = s.execute(
        select(RiskComment, User.display_name).outerjoin(User, User.id == RiskComment.author_id)
        .where(RiskComment.risk_id == risk_id).order_by(RiskComment.id)
    ).all()  # fmt: skip
    return [{"id": c.id, "author_id": c.author_id, "author": name or "system", "body": c.body, "at": c.at}
            for c, name in rows]  # fmt: skip


def add_comment(s: Session, actor: Actor, project_id: int, risk_id: int, body: str) -> dict[str, Any]:
    project_for(s, actor, project_id, Perm.RISK_RAISE)
    _get(s, project_id, risk_id)
    text = (body or "").strip()
    if not text:
        raise ValidationError("the comment is empty", field="body")
    c = RiskComment(risk_id=risk_id, author_id=actor.user_id, body=text, at=now())
    s.add(c)
    s.flush()
    journal.record(s, actor, entity_type="risk", entity_id=risk_id, action="comment",
                   after={"comment_id": c.id}, project_id=project_id)  # fmt: skip
    return {"id": c.id, "author_id": c.author_id, "author": actor.label, "body": c.body, "at": c.at}


def ratings(s: Session, actor: Actor, project_id: int, risk_id: int) -> list[dict[str, Any]]:
    """The rating history, oldest first."""
    project_for(s, actor, project_id)
    _get(s, project_id, risk_id)
    rows = s.scalars(
        select(RiskRating).where(RiskRating.risk_id == risk_id).order_by(RiskRating.at, RiskRating.id)
    )
    return [{"at": x.at, "status": x.status, "probability": x.probability, "impact": x.impact, "score": x.score,
             "residual_score": x.residual_score, "by_id": x.by_id} for x in rows]  # fmt: skip


# --------------------------------------------------------------------------------------------- views


def heatmap(s: Session, actor: Actor, project_id: int, *, residual: bool = False) -> dict[str, Any]:
    """Open risks on a probability x impact grid: rows 5..1 (probability), columns 1..5 (impact)."""
    risks = list_risks(s, actor, project_id, open_only=True)
    levels = scale_levels(s, project_id)
    cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
    unrated = 0
    for r in risks:
        p, i = (
            (r["residual_probability"], r["residual_impact"]) if residual else (r["probability"], r["impact"])
        )
        if p is None or i is None:
            unrated += 1
            continue
        cells.setdefault((p, i), []).append(
            {"id": r["id"], "ref": r["ref"], "title": r["title"], "kind": r["kind"]}
        )
    rows = []
    for p in reversed(rules.LEVELS):
        rows.append({"probability": p, "label": levels[(rules.Dimension.PROBABILITY, p)].label,
                     "cells": [{"probability": p, "impact": i, "score": p * i, "band": rules.band(p * i),
                                "count": len(cells.get((p, i), [])), "risks": cells.get((p, i), [])}
                               for i in rules.LEVELS]})  # fmt: skip
    return {"residual": residual, "rows": rows, "unrated": unrated,
            "impact_labels": [_impact_label(levels, i) for i in rules.LEVELS]}  # fmt: skip


def _impact_label(levels: dict[tuple[rules.Dimension, int], rules.ScaleLevel], level: int) -> str:
    """A heat-map column's label: its impact is the largest of the four, so the label is the impact scales'
    at that level — theirs when the four agree, else each dimension's ("schedule: ...; cost: ...")."""
    labels = {d: levels[(d, level)].label for d in rules.IMPACTS}
    if len(set(labels.values())) == 1:
        return labels[rules.IMPACTS[0]]
    return "; ".join(f"{d.value}: {label}" for d, label in labels.items())


def overview(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The heat map, the top open risks and the open risks per work package."""
    risks = list_risks(s, actor, project_id, open_only=True)
    by_wp: dict[Any, dict[str, Any]] = {}
    for r in risks:
        b = by_wp.setdefault(r["work_package_id"], {"work_package_id": r["work_package_id"],
                             "work_package": r["work_package"] or "(project-wide)", "threats": 0,
                             "opportunities": 0, "exposure": 0, "max_score": 0})  # fmt: skip
        b["threats" if r["kind"] == "threat" else "opportunities"] += 1
        if r["kind"] == "threat":
            b["exposure"] += r["score"] or 0
        b["max_score"] = max(b["max_score"], r["score"] or 0)
    return {
        "heatmap": heatmap(s, actor, project_id),
        "top": [r for r in risks if r["kind"] == "threat"][:TOP],
        "top_opportunities": [r for r in risks if r["kind"] == "opportunity"][:TOP],
        "by_work_package": sorted(by_wp.values(), key=lambda b: (-b["exposure"], b["work_package"])),
        "open": len(risks),
    }


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def burndown(s: Session, actor: Actor, project_id: int, weeks: int = 26) -> list[dict[str, Any]]:
    """Total exposure at the end of each week (the last `weeks` up to this week, from the first rating on):
    each risk counts with its latest rating snapshot at that time; closed and occurred risks count 0.
    `exposure` sums open threats' scores, `opportunity` open opportunities' scores."""
    project_for(s, actor, project_id)
    snaps = list(s.execute(
        select(RiskRating.risk_id, RiskRating.at, RiskRating.status, RiskRating.kind, RiskRating.score)
        .where(RiskRating.project_id == project_id).order_by(RiskRating.at, RiskRating.id)
    ).all())  # fmt: skip
    if not snaps:
        return []
    this = _monday(now().date())
    first = max(_monday(snaps[0][1].date()), this - dt.timedelta(weeks=weeks - 1))
    out = []
    state: dict[int, tuple[str, str, int]] = {}
    k = 0
    week = first
    while week <= this:
        end = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(), tzinfo=dt.UTC)
        while k < len(snaps) and snaps[k][1] < end:
            rid, _at, status, kind, sc = snaps[k]
            state[rid] = (status, kind, sc or 0)
            k += 1
        open_ = [v for v in state.values() if rules.Status(v[0]) in rules.OPEN]
        out.append({"week": week, "label": f"{week.isocalendar().year}-W{week.isocalendar().week:02d}",
                    "exposure": sum(v[2] for v in open_ if v[1] == "threat"),
                    "opportunity": sum(v[2] for v in open_ if v[1] == "opportunity"),
                    "open": len(open_)})  # fmt: skip
        week += dt.timedelta(days=7)
    return out


# --------------------------------------------------------------------------------------------- reminders


def _managers(s: Session, project_id: int) -> list[int]:
    t = now()
    q = (
        select(RoleAssignment.user_id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(RoleAssignment.project_id == project_id, Role.key == PM, RoleAssignment.valid_from <= t,
               or_(RoleAssignment.valid_until.is_(None), RoleAssignment.valid_until > t))
    )  # fmt: skip
    return list(s.scalars(q))


def due_reminders(s: Session, at: dt.datetime | None = None) -> list[int]:
    """For the worker: remind the owner (and the PM when there is no owner) of every open risk whose review
    date has passed. Each review date is reminded once (the event key names it). Returns the risk ids."""
    from charter.services.notifications import notify

    today = (at or now()).date()
    q = select(Risk).where(Risk.review_date.is_not(None), Risk.review_date < today,
                           Risk.status.in_([x.value for x in rules.OPEN]))  # fmt: skip
    done = []
    for r in s.scalars(q.order_by(Risk.id)):
        who = [r.owner_id] if r.owner_id else []
        if not who:
            who = _managers(s, r.project_id)
        if not who:
            continue
        notify(s, recipients=who, kind="risk.review", subject=f"Risk R-{r.number} is due for review",
               body=f"The review date of risk R-{r.number} ({r.title}) was {r.review_date}.",
               project_id=r.project_id, link=f"/projects/{r.project_id}/risks/{r.id}",
               event_key=f"risk.review:{r.id}:{r.review_date}")  # fmt: skip
        done.append(r.id)
    return done
