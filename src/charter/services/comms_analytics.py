"""Communication-load analytics: the measure of the claim that Relationship Liaisons save the PM's time.

Counted items are the inbound ones (a member's message, concern or request to the PM). Per ISO week (of
receipt) and department: how many reached the PM directly, how many through the liaison (forwarded), how many
the liaison resolved without the PM, the PM's handling time (minutes recorded on answer; an item not yet
answered counts 0) and the response times (receipt -> first response, receipt -> answer, in hours). The PM's
own direct contacts with a department's members are counted apart.

Before / after: for a department that got a liaison, the items received before the first Liaison assignment's
`valid_from` against those after it, as PM minutes per raised item and per week.

Estimate for a department without a liaison: the reduction observed in departments that got one — pooled over
them, 1 - (PM minutes per raised item after) / (PM minutes per raised item before) — applied to the
department's own direct PM load per week; the items that would still reach the PM use the pooled share of
items that reached the PM after a liaison was assigned.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import communications as C
from charter.domain.communications import Direction, PeriodLoad, Route
from charter.domain.errors import PermissionDenied
from charter.persistence.models import CommItem, Department
from charter.services.authz import project_for
from charter.services.comms import reached_pm
from charter.services.comms_common import (
    hours,
    is_manager,
    liaison_departments,
    liaison_history,
    liaison_of,
)
from charter.services.context import Actor, now

NO_DEPT = "No department"


def _avg(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 2) if xs else None


def _period(items: list[CommItem], start: datetime, end: datetime) -> PeriodLoad:
    return PeriodLoad(
        weeks=C.weeks_between(start, end),
        raised=len(items),
        reached_pm=sum(1 for i in items if reached_pm(i)),
        pm_minutes=sum(i.pm_minutes or 0 for i in items),
    )


def _load_dict(p: PeriodLoad) -> dict[str, Any]:
    return {
        "weeks": round(p.weeks, 2),
        "raised": p.raised,
        "reached_pm": p.reached_pm,
        "pm_minutes": p.pm_minutes,
        "pm_minutes_per_item": None if p.pm_minutes_per_item is None else round(p.pm_minutes_per_item, 2),
        "pm_minutes_per_week": round(p.pm_minutes_per_week, 2),
        "reach_share": None if p.reach_share is None else round(p.reach_share, 3),
    }


def analytics(s: Session, actor: Actor, project_id: int) -> dict[str, Any]:
    """The PM (or an admin) sees every department; a liaison sees the rows of their own departments."""
    project_for(s, actor, project_id)
    manager = is_manager(s, actor, project_id)
    mine = liaison_departments(s, actor, project_id)
    if not manager and not mine:
        raise PermissionDenied("communication analytics are for the Project Manager and the liaisons")
    t = now()
    depts = dict(s.execute(select(Department.id, Department.name)).all())
    rows = list(
        s.scalars(select(CommItem).where(CommItem.project_id == project_id).order_by(CommItem.received_at))
    )
    if not manager:
        rows = [i for i in rows if i.department_id in mine]
    inbound = [i for i in rows if i.direction == Direction.INBOUND.value]
    contacts = [i for i in rows if i.direct_contact]

    cells: dict[tuple[str, int | None], dict[str, Any]] = {}

    def cell(week: str, dept: int | None) -> dict[str, Any]:
        return cells.setdefault((week, dept), {
            "week": week, "department_id": dept, "department": depts.get(dept, NO_DEPT) if dept else NO_DEPT,
            "raised": 0, "direct": 0, "via_liaison": 0, "resolved_by_liaison": 0, "pending_with_liaison": 0,
            "pm_minutes": 0, "pm_direct_contacts": 0, "_first": [], "_answer": [],
        })  # fmt: skip

    for i in inbound:
        c = cell(C.iso_week(i.received_at), i.department_id)
        c["raised"] += 1
        if i.route == Route.DIRECT.value:
            c["direct"] += 1
        elif reached_pm(i):
            c["via_liaison"] += 1
        elif i.answered_at is not None or i.closed_at is not None:
            c["resolved_by_liaison"] += 1
        else:
            c["pending_with_liaison"] += 1
        c["pm_minutes"] += i.pm_minutes or 0
        for key, end in (("_first", i.first_response_at), ("_answer", i.answered_at)):
            h = hours(i.received_at, end)
            if h is not None:
                c[key].append(h)
    for i in contacts:
        cell(C.iso_week(i.received_at), i.department_id)["pm_direct_contacts"] += 1
    table = []
    for ck in sorted(cells, key=lambda k: (k[0], cells[k]["department"])):
        c = cells[ck]
        first, ans = c.pop("_first"), c.pop("_answer")
        table.append({**c, "avg_first_response_hours": _avg(first), "avg_answer_hours": _avg(ans)})

    weeks: dict[str, dict[str, Any]] = {}
    for r in table:
        w = weeks.setdefault(r["week"], {"week": r["week"], "direct": 0, "via_liaison": 0,
                                         "resolved_by_liaison": 0, "pm_minutes": 0})  # fmt: skip
        for k in ("direct", "via_liaison", "resolved_by_liaison", "pm_minutes"):
            w[k] += r[k]

    # Before / after the liaison, per department that got one.
    start = inbound[0].received_at if inbound else t
    since = liaison_history(s, project_id)
    by_dept: dict[int | None, list[CommItem]] = defaultdict(list)
    for i in inbound:
        by_dept[i.department_id].append(i)
    comparisons = []
    pairs: list[tuple[PeriodLoad, PeriodLoad]] = []
    for d, when in sorted(since.items(), key=lambda kv: depts.get(kv[0], "")):
        if not manager and d not in mine:
            continue
        items = by_dept.get(d, [])
        if not items:
            continue
        first = min([start, when])
        before = _period([i for i in items if i.received_at < when], first, when)
        after = _period([i for i in items if i.received_at >= when], when, max(t, when))
        pairs.append((before, after))
        red = C.reduction(before, after)
        comparisons.append({
            "department_id": d, "department": depts.get(d), "liaison_since": when,
            "current_liaison_id": liaison_of(s, project_id, d), "before": _load_dict(before),
            "after": _load_dict(after), "reduction": None if red is None else round(red, 3),
        })  # fmt: skip

    pooled = C.pooled_reduction(pairs)
    after_raised = sum(a.raised for _, a in pairs)
    after_share = sum(a.reached_pm for _, a in pairs) / after_raised if after_raised else None
    estimates = []
    for dep, items in sorted(by_dept.items(), key=lambda kv: depts.get(kv[0], NO_DEPT) if kv[0] else NO_DEPT):
        if dep is None or dep in since:
            continue
        load = _period(items, start, max(t, start))
        est: dict[str, Any] = {
            "department_id": dep,
            "department": depts.get(dep),
            "current": _load_dict(load),
            "raised_per_week": round(load.raised / load.weeks, 2),
            "reduction_applied": None if pooled is None else round(pooled, 3),
            "estimated_pm_minutes_per_week": None,
            "estimated_pm_minutes_saved_per_week": None,
            "estimated_items_reaching_pm_per_week": None,
        }
        if pooled is not None:
            est["estimated_pm_minutes_per_week"] = round(load.pm_minutes_per_week * (1 - pooled), 2)
            est["estimated_pm_minutes_saved_per_week"] = round(load.pm_minutes_per_week * pooled, 2)
        if after_share is not None:
            est["estimated_items_reaching_pm_per_week"] = round(load.raised / load.weeks * after_share, 2)
        estimates.append(est)

    return {
        "project_id": project_id,
        "generated_at": t,
        "scope": "all" if manager else "own_departments",
        "table": table,
        "weeks": [weeks[k] for k in sorted(weeks)],
        "totals": {
            "raised": len(inbound),
            "direct": sum(r["direct"] for r in table),
            "via_liaison": sum(r["via_liaison"] for r in table),
            "resolved_by_liaison": sum(r["resolved_by_liaison"] for r in table),
            "pm_minutes": sum(r["pm_minutes"] for r in table),
            "pm_direct_contacts": len(contacts),
        },
        "before_after": comparisons,
        "pooled_reduction": None if pooled is None else round(pooled, 3),
        "estimates": estimates,
        "method": (
            "Reduction = 1 - (PM minutes per raised item after the liaison) / (PM minutes per raised item "
            "before), pooled over the departments that got a liaison (split at the first Liaison "
            "assignment's valid_from). Estimate for a department without one: its PM minutes per week "
            "times (1 - reduction); items still reaching the PM per week = its items per week times the "
            "pooled share of items that reached the PM after a liaison. PM minutes are recorded by the PM "
            f"on answer (default {C.DEFAULT_PM_MINUTES}); unanswered items count 0."
        ),
    }
