"""Change control: change requests with proposed plan changes as data, an impact preview computed by the real
engines, the decision (the PM / a holder of change.decide, or a change board by quorum), and approval that
applies the change in one transaction and records a new schedule baseline.

The preview applies the proposed changes inside a SAVEPOINT through the ordinary task / link / budget
services (each recomputes the schedule), reads the new finish, critical path, milestones, EVM figures and the
deliverables touched, and rolls the savepoint back. It is stored with the plan revision it was computed on;
once the plan changes (another change, any task edit) the preview is stale and approval is refused (409)
until it is previewed again.

The change carries the decision's authority: once change.decide (or the board) approves, the changes are
applied on the decider's behalf even where their own roles would not allow editing the tasks (a Sponsor).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import change as rules
from charter.domain import risk as rrules
from charter.domain.errors import CharterError, Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.money import parse_amount
from charter.domain.quality import parse_areas, parse_enum
from charter.domain.roles import Perm
from charter.domain.schedule import parse_duration
from charter.persistence.models import (
    Baseline,
    BudgetLine,
    ChangeRequest,
    ChangeVote,
    Deliverable,
    JournalEntry,
    ProjectSchedule,
    Risk,
    Task,
    TaskLink,
    WorkPackage,
)
from charter.services import budget, evm, journal, scheduling, tasks
from charter.services.accounts import find_user_id
from charter.services.authz import can, project_for
from charter.services.comms_common import names, notify
from charter.services.context import Actor, now
from charter.services.quality import _rec, require_members

COST_KEYS = ("bac", "eac", "eac_bottom_up", "etc", "vac")


def _json(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, Enum):
        return v.value
    return v


# --------------------------------------------------------------------------------------------- reading


def _task_label(t: Task | None, task_id: Any) -> str:
    if t is None:
        return f"task {task_id} (not in the plan any more)"
    return f"{t.wbs_code} {t.name}".strip()


def describe_changes(s: Session, project_id: int, ops: list[dict[str, Any]]) -> list[str]:
    """Each proposed change in words, with the names of the tasks, work packages and budget lines it refers to
    (not their ids); a reference that no longer resolves says so."""

    def get(model: Any, ref: Any) -> Any:
        try:
            row = s.get(model, int(ref))
        except (TypeError, ValueError):
            return None
        return row if row is not None and row.project_id == project_id else None

    def task(tid: Any) -> str:
        return _task_label(get(Task, tid), tid)

    out: list[str] = []
    for op in ops:
        kind = op.get("op")
        if kind == "task_duration":
            out.append(f"Change the duration of {task(op.get('task_id'))} to {op.get('duration')}")
        elif kind == "task_update":
            fields = op.get("fields") or {}
            sets = ", ".join(f"{str(k).replace('_', ' ')} to {v}" for k, v in fields.items())
            out.append(f"Change {task(op.get('task_id'))}: {sets}")
        elif kind == "add_task":
            text = f"Add the {'milestone' if op.get('milestone') else 'task'} {op.get('name')!s}"
            if op.get("work_package_id") is not None:
                wp = get(WorkPackage, op["work_package_id"])
                text += (f" in work package {wp.wbs_code} {wp.name}".rstrip() if wp is not None
                         else f" in work package {op['work_package_id']} (not in the plan any more)")  # fmt: skip
            if op.get("duration"):
                text += f", {op['duration']}"
            if op.get("predecessors"):
                text += ", after " + "; ".join(task(p) for p in op["predecessors"])
            out.append(text)
        elif kind == "add_link":
            kind_lag = f"{op.get('type') or 'FS'}" + (f", lag {op['lag']}" if op.get("lag") else "")
            out.append(f"Link {task(op.get('pred_id'))} → {task(op.get('succ_id'))} ({kind_lag})")
        elif kind == "remove_link":
            lk = get(TaskLink, op.get("link_id"))
            if lk is None:
                out.append(f"Remove link {op.get('link_id')} (not in the plan any more)")
            else:
                out.append(f"Remove the link {task(lk.pred_id)} → {task(lk.succ_id)}")
        elif kind == "budget_line":
            ln = get(BudgetLine, op.get("budget_line_id"))
            name = ln.name if ln is not None else f"{op.get('budget_line_id')} (not in the budget any more)"
            out.append(f"Set the budget line {name} to {op.get('amount')}")
        else:
            out.append(str(kind))
    return out


def cr_dict(s: Session, c: ChangeRequest) -> dict[str, Any]:
    votes = list(
        s.scalars(select(ChangeVote).where(ChangeVote.change_request_id == c.id).order_by(ChangeVote.id))
    )
    who = names(s, [c.requested_by, c.decided_by, *c.approver_ids, *(v.user_id for v in votes)])
    sched_row = s.get(ProjectSchedule, c.project_id)
    rev = (sched_row.plan_revision if sched_row else 0) if c.preview is not None else None
    return {
        "id": c.id, "project_id": c.project_id, "number": c.number, "title": c.title,
        "description": c.description, "reason": c.reason, "areas": c.areas, "requested_by": c.requested_by,
        "requested_by_name": who.get(c.requested_by) if c.requested_by else None, "concern_id": c.concern_id,
        "changes": c.changes, "changes_described": describe_changes(s, c.project_id, list(c.changes)),
        "approvers": [{"user_id": u, "name": who.get(u)} for u in c.approver_ids],
        "quorum": c.quorum, "status": c.status, "preview": c.preview, "preview_revision": c.preview_revision,
        "previewed_at": c.previewed_at,
        "preview_stale": c.preview is not None and c.status == rules.ChangeStatus.OPEN.value
        and rev != c.preview_revision,
        "votes": [{"user_id": v.user_id, "name": who.get(v.user_id), "vote": v.vote, "reason": v.reason,
                   "at": v.at} for v in votes],
        "decided_at": c.decided_at, "decided_by": who.get(c.decided_by) if c.decided_by else None,
        "decision_reason": c.decision_reason, "baseline_number": c.baseline_number, "applied": c.applied,
        "version": c.version,
    }  # fmt: skip


def list_change_requests(
    s: Session, actor: Actor, project_id: int, status: str | None = None
) -> list[dict[str, Any]]:
    project_for(s, actor, project_id)
    q = select(ChangeRequest).where(ChangeRequest.project_id == project_id)
    if status:
        q = q.where(ChangeRequest.status == parse_enum(rules.ChangeStatus, status, "status").value)
    return [cr_dict(s, c) for c in s.scalars(q.order_by(ChangeRequest.number.desc()))]


def _cr(s: Session, project_id: int, cr_id: int) -> ChangeRequest:
    c = s.get(ChangeRequest, cr_id)
    if c is None or c.project_id != project_id:
        raise NotFound(f"change request {cr_id} not found in this project", field="change_request_id")
    return c


def get_change_request(s: Session, actor: Actor, project_id: int, cr_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return cr_dict(s, _cr(s, project_id, cr_id))


# --------------------------------------------------------------------------------------------- writing


def _board(
    s: Session, project_id: int, approver_ids: list[int] | None, quorum: int | None
) -> tuple[list[int], int]:
    ids = sorted(set(approver_ids or []))
    if ids:
        require_members(s, project_id, ids, "approver_ids")
    return ids, rules.check_board(ids, quorum)


def create_change_request(
    s: Session, actor: Actor, project_id: int, *, title: str, description: str = "", reason: str = "",
    areas: list[str] | None = None, changes: list[dict[str, Any]] | None = None,
    approver_ids: list[int] | None = None, quorum: int | None = None, concern_id: int | None = None,
    requested_by: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    p = project_for(s, actor, project_id, Perm.CHANGE_REQUEST)
    t = (title or "").strip()
    if not t or len(t) > 300:
        raise ValidationError("a title of 1 to 300 characters", field="title")
    ids, q = _board(s, project_id, approver_ids, quorum)
    if ids:
        _may_convene(s, actor, project_id)
    number = (
        s.scalar(select(func.max(ChangeRequest.number)).where(ChangeRequest.project_id == project_id)) or 0
    ) + 1
    c = ChangeRequest(
        project_id=project_id, number=number, title=t, description=description, reason=reason,
        areas=parse_areas(areas) if areas else [], requested_by=requested_by or actor.user_id,
        concern_id=concern_id, changes=_checked(p.currency, changes or []), approver_ids=ids, quorum=q,
        status=rules.ChangeStatus.OPEN.value, created_at=now(),
    )  # fmt: skip
    s.add(c)
    _rec(s, actor, c, "change_request", "create", project_id)
    return cr_dict(s, c)


def _checked(currency: str, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes' shape (`rules.check_ops`) and the values people type in them — an amount in the project's
    currency, a duration — checked when the request is raised or edited, not first when the PM previews it.
    Whether the task, link or line exists is decided when the changes are applied."""
    out = rules.check_ops(ops)
    for n, op in enumerate(out, 1):
        try:
            if op["op"] == "budget_line":
                op["amount"] = str(parse_amount(op["amount"], currency, "amount"))
            for key in ("duration",):
                if op.get(key) is not None or op["op"] == "task_duration":
                    parse_duration(op.get(key), 480, key)  # the format only: the calendar converts it
        except ValidationError as e:
            raise ValidationError(f"change {n} ({op['op']}): {e.message}", field="changes") from None
    return out


def _may_convene(s: Session, actor: Actor, project_id: int) -> None:
    """Naming a change board (and its quorum) decides who decides: it is for those who hold change.decide,
    never for a requester alone (who could otherwise name themselves and approve their own request)."""
    if not can(s, actor, project_id, Perm.CHANGE_DECIDE):
        raise PermissionDenied("only those who decide changes name a change board", field="approver_ids")


def find_approver_ids(
    s: Session, actor: Actor, project_id: int, names: list[str], cr_id: int | None = None
) -> list[int]:
    """The users a change board names (usernames or ids), for a new request (`cr_id` None) or change request
    `cr_id`, checked as `create_change_request` / `update_change_request` check them and before the look-up,
    so a refusal does not say whether a name exists: naming a board is for those who decide changes; on an
    existing request its editor may pass its current members back unchanged."""
    if cr_id is None:
        project_for(s, actor, project_id, Perm.CHANGE_REQUEST)
        _may_convene(s, actor, project_id)
        return [find_user_id(s, n) for n in names]
    project_for(s, actor, project_id)
    c = _cr(s, project_id, cr_id)
    _may_edit(s, actor, project_id, c)
    if can(s, actor, project_id, Perm.CHANGE_DECIDE):
        return [find_user_id(s, n) for n in names]
    out: list[int] = []
    for n in names:
        try:
            uid: int | None = find_user_id(s, n)
        except NotFound:
            uid = None
        if uid is None or uid not in c.approver_ids:
            _may_convene(s, actor, project_id)  # refuses: anyone else on the board makes a new board
            continue
        out.append(uid)
    return out


def _has_votes(s: Session, c: ChangeRequest) -> bool:
    return s.scalar(select(ChangeVote.id).where(ChangeVote.change_request_id == c.id).limit(1)) is not None


def _open(c: ChangeRequest) -> None:
    if c.status != rules.ChangeStatus.OPEN.value:
        raise Conflict(f"change request {c.number} is {c.status}", field="status")


def _may_edit(s: Session, actor: Actor, project_id: int, c: ChangeRequest) -> None:
    if actor.user_id is not None and actor.user_id == c.requested_by:
        return
    if can(s, actor, project_id, Perm.CHANGE_DECIDE) or can(s, actor, project_id, Perm.TASK_EDIT):
        return
    raise PermissionDenied("only the requester or those who decide changes edit this change request")


def update_change_request(
    s: Session, actor: Actor, project_id: int, cr_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    p = project_for(s, actor, project_id)
    c = _cr(s, project_id, cr_id)
    _may_edit(s, actor, project_id, c)
    if c.version != version:
        raise stale("change request", version, cr_dict(s, c))
    _open(c)
    before = journal.snapshot(c)
    if "title" in changes:
        if not (changes["title"] or "").strip():
            raise ValidationError("a title is required", field="title")
        c.title = changes["title"].strip()[:300]
    for k in ("description", "reason"):
        if k in changes:
            setattr(c, k, changes[k] or "")
    if "areas" in changes:
        c.areas = parse_areas(changes["areas"]) if changes["areas"] else []
    voted = _has_votes(s, c)
    if "changes" in changes:
        ops = _checked(p.currency, changes["changes"] or [])
        if ops != c.changes:
            if voted:
                raise Conflict("the change board has started voting on these changes; raise a new request "
                               "for different ones", field="changes")  # fmt: skip
            c.changes = ops
            c.preview, c.preview_revision, c.previewed_at = None, None, None
    if "approver_ids" in changes or "quorum" in changes:
        board = _board(
            s, project_id, changes.get("approver_ids", c.approver_ids), changes.get("quorum", c.quorum)
        )
        if board != (sorted(c.approver_ids), c.quorum):
            _may_convene(s, actor, project_id)
            if voted:
                raise Conflict("the change board has started voting; its members and quorum stay",
                               field="approver_ids")  # fmt: skip
            c.approver_ids, c.quorum = board
    _rec(s, actor, c, "change_request", "update", project_id, before)
    return cr_dict(s, c)


def add_change(s: Session, actor: Actor, project_id: int, cr_id: int, op: dict[str, Any]) -> dict[str, Any]:
    """Append one proposed change (the web form's way of building the list)."""
    c = _cr(s, project_id, cr_id)
    return update_change_request(s, actor, project_id, cr_id, c.version, changes=[*c.changes, op])


# --------------------------------------------------------------------------------------------- engines


def _authority(actor: Actor) -> Actor:
    return Actor(user_id=actor.user_id, username=actor.username, is_admin=True)


def _apply(s: Session, actor: Actor, project_id: int, ops: list[dict[str, Any]]) -> None:
    ops = rules.check_ops(ops)  # again: a request stored before a rule was added is refused, not an error
    for n, op in enumerate(ops, 1):
        try:
            _apply_one(s, actor, project_id, op)
        except CharterError as e:
            raise ValidationError(f"change {n} ({op['op']}): {e.message}", field="changes") from None


def _apply_one(s: Session, actor: Actor, project_id: int, op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind in ("task_duration", "task_update"):
        t = s.get(Task, int(op["task_id"]))
        if t is None or t.project_id != project_id:
            raise NotFound(f"task {op['task_id']} not found in this project")
        fields = {"duration": op["duration"]} if kind == "task_duration" else dict(op["fields"])
        tasks.update_task(s, actor, project_id, t.id, t.version, **fields)
    elif kind == "add_task":
        extra = {k: op[k] for k in ("duration", "milestone") if op.get(k) is not None}
        new = tasks.create_task(s, actor, project_id, name=str(op["name"]),
                                work_package_id=op.get("work_package_id"), **extra)  # fmt: skip
        for pred in op.get("predecessors") or []:
            tasks.create_link(s, actor, project_id, pred_id=int(pred), succ_id=new["id"])
    elif kind == "add_link":
        tasks.create_link(s, actor, project_id, pred_id=int(op["pred_id"]), succ_id=int(op["succ_id"]),
                          type=op.get("type") or "FS", lag=op.get("lag") or 0)  # fmt: skip
    elif kind == "remove_link":
        lk = s.get(TaskLink, int(op["link_id"]))
        if lk is None or lk.project_id != project_id:
            raise NotFound(f"link {op['link_id']} not found in this project")
        tasks.delete_link(s, actor, project_id, lk.id, lk.version)
    elif kind == "budget_line":
        ln = s.get(BudgetLine, int(op["budget_line_id"]))
        if ln is None or ln.project_id != project_id:
            raise NotFound(f"budget line {op['budget_line_id']} not found in this project")
        budget.update_line(s, actor, project_id, ln.id, ln.version, amount=op["amount"])


def measure(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The plan as the engines see it now: finish, critical path, milestones, task dates, cost figures."""
    scheduling.recompute(s, project_id)
    sched = scheduling.get_schedule(s, actor, project_id)
    figs = evm.compute(s, actor, project_id)["project"]
    total = budget.summary(s, actor, project_id)["totals"]["budget"]
    ts = sched["tasks"]
    out: dict[str, Any] = _json({
        "finish": sched["finish"],
        "plan_revision": sched["plan_revision"],
        "critical_path": [{"id": t["id"], "name": t["name"]} for t in ts if t["critical"]],
        "milestones": [{"id": t["id"], "name": t["name"], "finish": t["finish"]} for t in ts if t["milestone"]],
        "tasks": {str(t["id"]): {"name": t["name"], "wbs_code": t["wbs_code"], "start": t["start"],
                                 "finish": t["finish"], "duration_days": t["duration_days"],
                                 "work_package_id": t["work_package_id"]} for t in ts},
        "cost": {**{k: figs.get(k) for k in COST_KEYS}, "budget_total": total},
    })  # fmt: skip
    return out


def _dec(v: Any) -> Decimal | None:
    try:
        return None if v is None else Decimal(str(v))
    except ArithmeticError:
        return None


def _impact(s: Session, project_id: int, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    bt, at = before["tasks"], after["tasks"]
    moved = [
        {"id": int(k), "name": v["name"], "before_start": bt[k]["start"], "after_start": v["start"],
         "before_finish": bt[k]["finish"], "after_finish": v["finish"]}
        for k, v in at.items() if k in bt and (bt[k]["start"], bt[k]["finish"], bt[k]["duration_days"])
        != (v["start"], v["finish"], v["duration_days"])
    ]  # fmt: skip
    added = [{"id": int(k), "name": v["name"]} for k, v in at.items() if k not in bt]
    touched_wps = {at[str(m["id"])]["work_package_id"] for m in moved} | {
        at[str(a["id"])]["work_package_id"] for a in added
    }
    parents = dict(
        s.execute(
            select(WorkPackage.id, WorkPackage.parent_id).where(WorkPackage.project_id == project_id)
        ).all()
    )
    reach: set[int] = set()
    for w in touched_wps:
        while w is not None and w not in reach:
            reach.add(w)
            w = parents.get(w)
    dels = s.scalars(
        select(Deliverable).where(
            Deliverable.project_id == project_id, Deliverable.work_package_id.in_(reach)
        )
    )
    ms_before = {m["id"]: m["finish"] for m in before["milestones"]}
    cost = {}
    for k, v in after["cost"].items():
        a, b = _dec(v), _dec(before["cost"].get(k))
        cost[k] = {"before": before["cost"].get(k), "after": v,
                   "change": str(a - b) if a is not None and b is not None else None}  # fmt: skip
    return {
        "finish": {"before": before["finish"], "after": after["finish"], "changed": before["finish"] != after["finish"]},
        "critical_path": {"before": before["critical_path"], "after": after["critical_path"]},
        "cost": cost,
        "milestones": [{**m, "before_finish": ms_before.get(m["id"])} for m in after["milestones"]
                       if ms_before.get(m["id"]) != m["finish"]],
        "tasks_moved": moved,
        "tasks_added": added,
        "deliverables": [{"id": d.id, "name": d.name, "status": d.status} for d in dels],
        "risks": _affected_risks(s, project_id, {m["id"] for m in moved}, reach),
    }  # fmt: skip


def _affected_risks(s: Session, project_id: int, moved: set[int], packages: set[int]) -> list[dict[str, Any]]:
    """Open risks the change touches: attached to a task that moves, or to a work package (or a parent of one)
    whose tasks move or gain tasks."""
    q = select(Risk).where(Risk.project_id == project_id, Risk.status.in_([x.value for x in rrules.OPEN]))
    out = []
    for r in s.scalars(q.order_by(Risk.number)):
        if r.task_id in moved:
            why = "its task moves"
        elif r.work_package_id in packages:
            why = "its work package changes"
        else:
            continue
        imp = rrules.impact(r.impact_schedule, r.impact_cost, r.impact_quality, r.impact_scope)
        out.append({"id": r.id, "ref": f"R-{r.number}", "title": r.title, "status": r.status,
                    "score": rrules.score(r.probability, imp), "why": why})  # fmt: skip
    return out


def preview(s: Session, actor: Actor, project_id: int, cr_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    c = _cr(s, project_id, cr_id)
    _may_edit(s, actor, project_id, c)
    _open(c)
    if not c.changes:
        raise ValidationError("the change request proposes no plan changes yet", field="changes")
    ops = list(c.changes)
    power = _authority(actor)
    before = measure(s, power, project_id)
    revision = scheduling.settings_row(s, project_id).plan_revision
    sp = s.begin_nested()
    try:
        _apply(s, power, project_id, ops)
        after = measure(s, power, project_id)
        impact = _impact(s, project_id, before, after)
    finally:
        sp.rollback()
    c = _cr(s, project_id, cr_id)  # the rollback expired everything
    scheduling.recompute(s, project_id)  # the stored results are the current plan's again (no-op normally)
    prev = journal.snapshot(c)
    c.preview = {"current": before, "proposed": after, "impact": impact}
    c.preview_revision = revision
    c.previewed_at = now()
    _rec(
        s,
        actor,
        c,
        "change_request",
        "preview",
        project_id,
        {k: prev[k] for k in ("preview_revision", "previewed_at")},
    )
    return cr_dict(s, c)


# --------------------------------------------------------------------------------------------- decision


def _fresh(s: Session, c: ChangeRequest) -> None:
    if c.preview is None:
        raise Conflict("preview the change request's impact before deciding", field="preview")
    rev = scheduling.settings_row(s, c.project_id).plan_revision
    if rev != c.preview_revision:
        raise Conflict(
            f"the plan changed since the impact was previewed (revision {c.preview_revision}, now {rev}); "
            "preview it again before approving",
            field="preview",
        )


def _next_baseline(s: Session, project_id: int) -> int:
    used = set(s.scalars(select(Baseline.number).where(Baseline.project_id == project_id)))
    free = [n for n in range(scheduling.MAX_BASELINES) if n not in used]
    if not free:
        raise ValidationError(
            "every baseline number 0-10 is used; choose one to replace", field="baseline_number"
        )
    return free[0]


def _conclude(
    s: Session, actor: Actor, c: ChangeRequest, status: rules.ChangeStatus, reason: str,
    baseline_number: int | None,
) -> None:  # fmt: skip
    pid = c.project_id
    before = journal.snapshot(c)
    if status is rules.ChangeStatus.APPROVED:
        power = _authority(actor)
        number = _next_baseline(s, pid) if baseline_number is None else baseline_number
        _apply(s, power, pid, list(c.changes))
        c = _cr(s, pid, c.id)
        c.applied = measure(s, power, pid)
        scheduling.save_baseline(s, power, pid, number=number, name=f"CR-{c.number}: {c.title}"[:120])
        c.baseline_number = number
    c.status = status.value
    c.decided_at = now()
    c.decided_by = actor.user_id
    c.decision_reason = reason
    _rec(s, actor, c, "change_request", status.value, pid, before, reason or None)
    notify(s, recipients=[c.requested_by], kind="change.decided", subject=f"CR-{c.number} {status.value}: {c.title}",
           body=reason, project_id=pid, link=f"/projects/{pid}/changes/{c.id}",
           event_key=f"cr:{c.id}:{status.value}", exclude=actor.user_id)  # fmt: skip


def decide(
    s: Session, actor: Actor, project_id: int, cr_id: int, *, approve: bool, reason: str = "",
    baseline_number: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Approve or reject. Without a board: whoever holds change.decide decides. With a board: a named
    approver votes; the request is decided when the quorum is reached (or can no longer be)."""
    project_for(s, actor, project_id)
    c = s.scalars(select(ChangeRequest).where(ChangeRequest.id == cr_id).with_for_update()).first()
    if c is None or c.project_id != project_id:
        raise NotFound(f"change request {cr_id} not found in this project", field="change_request_id")
    if baseline_number is not None and not 0 <= baseline_number < scheduling.MAX_BASELINES:
        raise ValidationError("a baseline number is 0 to 10", field="baseline_number")
    if not approve and not reason.strip():
        raise ValidationError("say why the change is rejected", field="reason")
    if c.approver_ids:
        if actor.user_id not in c.approver_ids:
            raise PermissionDenied(
                f"change request {c.number} is decided by its change board; you are not on it"
            )
    else:
        project_for(s, actor, project_id, Perm.CHANGE_DECIDE)
    _open(c)
    if approve:
        _fresh(s, c)
    if not c.approver_ids:
        _conclude(s, actor, c, rules.ChangeStatus.APPROVED if approve else rules.ChangeStatus.REJECTED,
                  reason.strip(), baseline_number)  # fmt: skip
        return cr_dict(s, _cr(s, project_id, cr_id))
    if s.scalar(
        select(ChangeVote.id).where(ChangeVote.change_request_id == c.id, ChangeVote.user_id == actor.user_id)
    ):
        raise Conflict("you have voted on this change request already", field="vote")
    v = ChangeVote(change_request_id=c.id, user_id=actor.user_id or 0,
                   vote=(rules.Vote.APPROVE if approve else rules.Vote.REJECT).value, reason=reason.strip(), at=now())  # fmt: skip
    s.add(v)
    _rec(s, actor, v, "change_vote", "create", project_id)
    votes = {
        x.user_id: rules.Vote(x.vote)
        for x in s.scalars(select(ChangeVote).where(ChangeVote.change_request_id == c.id))
    }
    outcome = rules.tally(votes, c.approver_ids, c.quorum)
    if outcome is not rules.ChangeStatus.OPEN:
        side = (rules.Vote.APPROVE if outcome is rules.ChangeStatus.APPROVED else rules.Vote.REJECT).value
        q = select(ChangeVote.reason).where(ChangeVote.change_request_id == c.id, ChangeVote.vote == side)
        reasons = "; ".join(r for r in s.scalars(q) if r)
        _conclude(s, actor, c, outcome, reasons, baseline_number)
    return cr_dict(s, _cr(s, project_id, cr_id))


def withdraw(
    s: Session, actor: Actor, project_id: int, cr_id: int, version: int, *, reason: str = ""
) -> dict[str, Any]:
    """Withdraw an open change request: its requester or a holder of change.decide, at the version they read
    (409 when stale, or once it is decided). Nothing is applied; the board's votes so far stay on record, the
    requester is told, and a concern the request came from shows it withdrawn as its outcome."""
    project_for(s, actor, project_id)
    c = s.scalars(select(ChangeRequest).where(ChangeRequest.id == cr_id).with_for_update()).first()
    if c is None or c.project_id != project_id:
        raise NotFound(f"change request {cr_id} not found in this project", field="change_request_id")
    mine = actor.user_id is not None and actor.user_id == c.requested_by
    if not mine and not can(s, actor, project_id, Perm.CHANGE_DECIDE):
        raise PermissionDenied("only the requester or those who decide changes withdraw this change request")
    if c.version != version:
        raise stale("change request", version, cr_dict(s, c))
    if c.status != rules.ChangeStatus.OPEN.value:
        raise Conflict(f"change request {c.number} is {c.status}; only an open request is withdrawn",
                       field="status", current=cr_dict(s, c))  # fmt: skip
    text = (reason or "").strip()
    if len(text) > 2000:
        raise ValidationError("a reason of at most 2000 characters", field="reason")
    before = journal.snapshot(c)
    c.status = rules.ChangeStatus.WITHDRAWN.value
    c.decided_at = now()
    c.decided_by = actor.user_id
    c.decision_reason = text
    _rec(s, actor, c, "change_request", "withdraw", project_id, before, text or None)
    notify(s, recipients=[c.requested_by], kind="change.decided", subject=f"CR-{c.number} withdrawn: {c.title}",
           body=text, project_id=project_id, link=f"/projects/{project_id}/changes/{c.id}",
           event_key=f"cr:{c.id}:withdrawn", exclude=actor.user_id)  # fmt: skip
    return cr_dict(s, c)


# --------------------------------------------------------------------------------------------- report


def since_baseline(s: Session, actor: Actor, project_id: int, number: int) -> dict[str, Any]:
    """What changed since baseline `number`: tasks whose dates or duration differ, tasks added since, and
    tasks removed since (from the journal: a baseline keeps no rows of deleted tasks)."""
    sched = scheduling.get_schedule(s, actor, project_id, baseline=number)
    b = s.scalars(select(Baseline).where(Baseline.project_id == project_id, Baseline.number == number)).one()
    changed, added = [], []
    for t in sched["tasks"]:
        base = t["baseline"]
        if base is None:
            added.append({"id": t["id"], "wbs_code": t["wbs_code"], "name": t["name"], "start": t["start"],
                          "finish": t["finish"]})  # fmt: skip
        elif (base["start"], base["finish"], base["duration_minutes"]) != (
            t["start"],
            t["finish"],
            t["duration_minutes"],
        ):
            changed.append({"id": t["id"], "wbs_code": t["wbs_code"], "name": t["name"],
                            "baseline_start": base["start"], "start": t["start"], "baseline_finish": base["finish"],
                            "finish": t["finish"], "finish_variance_days": base["finish_variance_days"],
                            "duration_variance_days": base["duration_variance_days"]})  # fmt: skip
    removed = [
        {"id": int(j.entity_id), "name": (j.changes.get("name") or [None])[0], "at": j.at}
        for j in s.scalars(select(JournalEntry).where(
            JournalEntry.project_id == project_id, JournalEntry.entity_type == "task",
            JournalEntry.action == "delete", JournalEntry.at >= b.saved_at))
    ]  # fmt: skip
    return {"project_id": project_id, "baseline": number, "baseline_name": b.name, "saved_at": b.saved_at,
            "baseline_finish": b.finish, "finish": sched["finish"], "changed": changed, "added": added,
            "removed": removed}  # fmt: skip
