"""A task's own page, shared by the routes that change the task (routes_schedule), its links, its assignments
(routes_assignments) and the discussions about it (routes_comms)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from charter.domain.errors import PermissionDenied
from charter.domain.roles import Perm
from charter.services import (
    assignments,
    budget,
    calendars,
    custom_fields,
    projects,
    scheduling,
    tasks,
    work_packages,
)
from charter.services.authz import can, work_package_target
from charter.web.app import render
from charter.web.discussion import discussion
from charter.web.forms import DB
from charter.web.task_table import edit_map


def dtl(value: Any) -> str:
    """A datetime as the value of a datetime-local input."""
    return value.strftime("%Y-%m-%dT%H:%M") if isinstance(value, datetime) else (value or "")


def render_task_page(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    task_id: int,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """A task's page (what it is, its links, assignments, progress, fixed costs, custom fields, discussion)
    with `error` beside the form it names and `values` as typed; the routes that change a task, its links and
    its assignments answer a refusal with it."""
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        task = tasks.get_task(s, actor, project_id, task_id)
        sched = scheduling.get_schedule(s, actor, project_id)
        edit = edit_map(s, actor, project_id, sched)
        wps = work_packages.list_work_packages(s, actor, project_id)
        cals = calendars.calendar_choices(s, actor, project_id)
        team = can(s, actor, project_id, Perm.TEAM_MANAGE, work_package_target(s, task["work_package_id"]))
        progress = can(
            s, actor, project_id, Perm.TASK_PROGRESS, work_package_target(s, task["work_package_id"])
        )
        try:  # the task's fixed costs, for whoever may read the project's budget
            fixed_costs: list[dict[str, Any]] | None = budget.list_fixed_costs(s, actor, project_id, task_id)
        except PermissionDenied:
            fixed_costs = None
        about = discussion(s, actor, project_id, "task", task_id)
        fields = custom_fields.list_fields(s, actor, project_id)
        assignable = assignments.assignable(s, actor, project_id, task_id) if team else []
    by_id = {t["id"]: t for t in sched["tasks"]}
    preds = [(lk, by_id.get(lk["pred_id"])) for lk in sched["links"] if lk["succ_id"] == task_id]
    succs = [(lk, by_id.get(lk["succ_id"])) for lk in sched["links"] if lk["pred_id"] == task_id]
    editable = edit.get(task["work_package_id"], False)
    # a link is changed by whoever may edit its successor (this task for a predecessor, the other task for a
    # successor)
    link_edit = {lk["id"]: editable for lk, _ in preds}
    link_edit |= {lk["id"]: bool(o and edit.get(o["work_package_id"], False)) for lk, o in succs}
    assigned = any(a["user_id"] == actor.user_id for a in task["assignees"])
    return render(
        request,
        "task.html",
        {
            "project": project,
            "sched": sched,
            "t": task,
            "preds": preds,
            "succs": succs,
            "editable": editable,
            "link_edit": link_edit,
            "may_progress": editable or (progress and assigned),
            "may_assign": team,
            "assignable": assignable,
            "wps": wps,
            "calendars": cals,
            "dtl": dtl,
            "fixed_costs": fixed_costs,
            "discussion": about,
            "fields": fields,
            "constraint_types": ["asap", "alap", "snet", "snlt", "fnet", "fnlt", "mso", "mfo"],
            "statuses": ["not_started", "in_progress", "completed", "on_hold", "cancelled"],
            "error": error,
            "values": values or {},
            **extra,
        },
        status,
    )
