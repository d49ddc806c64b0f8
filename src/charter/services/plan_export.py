"""A project's plan going out: as a PlanSpec for the file writers (MS Project XML, CSV, Excel), as a file, and
as iCalendar feeds (the project's milestones; a person's assigned tasks across their projects). Importing is
services/interchange.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain import schedule as rules
from charter.domain.errors import ValidationError
from charter.domain.schedule import PlanSpec
from charter.persistence.models import (
    Assignment,
    Baseline,
    BaselineTask,
    Calendar,
    CalendarExceptionRow,
    Project,
    Resource,
    Task,
    TaskComputed,
    TaskLink,
    User,
    WorkPackage,
)
from charter.services import custom_fields, projects
from charter.services.authz import project_for, visible_project_ids
from charter.services.context import Actor
from charter.services.resources import assignees_of
from charter.services.scheduling import settings_row


def export_plan(s: Session, actor: Actor, project_id: int) -> PlanSpec:
    """The project's plan as a PlanSpec, for the file writers."""
    project: Project = project_for(s, actor, project_id)
    settings = settings_row(s, project_id)
    cals = list(s.scalars(select(Calendar).where(Calendar.project_id == project_id).order_by(Calendar.id)))
    specs = []
    default_ref = None
    for c in cals:
        exc = s.scalars(select(CalendarExceptionRow).where(CalendarExceptionRow.calendar_id == c.id))
        specs.append(rules.CalendarSpec(
            ref=str(c.id), name=c.name, weekdays=tuple(c.weekdays), shifts=tuple(tuple(x) for x in c.shifts),
            country=c.country, subdiv=c.subdiv,
            exceptions=[rules.CalendarException(e.day, e.working, e.name) for e in sorted(exc, key=lambda e: e.day)],
        ))  # fmt: skip
        if c.is_project_default:
            default_ref = str(c.id)
    mpd = next((sum(b - a for a, b in c.shifts) for c in cals if c.is_project_default), 480)
    wps = list(s.scalars(select(WorkPackage).where(WorkPackage.project_id == project_id)))
    tasks = list(s.scalars(select(Task).where(Task.project_id == project_id)))
    computed = {
        c.task_id: c for c in s.scalars(select(TaskComputed).where(TaskComputed.project_id == project_id))
    }
    baselines = {b.id: b.number for b in s.scalars(select(Baseline).where(Baseline.project_id == project_id))}
    btasks: dict[int, list[rules.BaselineSpec]] = {}
    if baselines:
        for bt in s.scalars(select(BaselineTask).where(BaselineTask.baseline_id.in_(baselines))):
            btasks.setdefault(bt.task_id, []).append(
                rules.BaselineSpec(baselines[bt.baseline_id], bt.start, bt.finish, bt.duration, bt.work)
            )
    assigned = assignees_of(s, project_id=project_id)
    people = {x["resource_id"]: x for v in assigned.values() for x in v}
    users = {
        u.id: u
        for u in s.scalars(
            select(User).where(User.id.in_({x["user_id"] for x in people.values() if x["user_id"]}))
        )
    }
    fields = custom_fields.definitions(s, project_id)
    rows: list[tuple[list[int], rules.TaskSpec]] = []
    for w in wps:
        rows.append(
            (
                _key(w.wbs_code),
                rules.TaskSpec(
                    ref=f"W{w.id}",
                    name=w.name,
                    summary=True,
                    parent_ref=f"W{w.parent_id}" if w.parent_id else None,
                    description=w.description,
                ),
            )
        )
    for t in tasks:
        comp = computed.get(t.id)
        rows.append((_key(t.wbs_code), rules.TaskSpec(
            ref=f"T{t.id}", name=t.name, parent_ref=f"W{t.work_package_id}" if t.work_package_id else None,
            milestone=t.milestone, duration=t.duration, duration_unit=rules.DurationUnit(t.duration_unit),
            work=t.work, optimistic=t.optimistic, most_likely=t.most_likely, pessimistic=t.pessimistic,
            percent_complete=t.percent_complete, actual_start=t.actual_start, actual_finish=t.actual_finish,
            constraint_type=rules.ConstraintType(t.constraint_type), constraint_date=t.constraint_date,
            deadline=t.deadline, priority=t.priority, description=t.description,
            calendar_ref=str(t.calendar_id) if t.calendar_id else None,
            start=comp.start if comp else None, finish=comp.finish if comp else None,
            baselines=sorted(btasks.get(t.id, []), key=lambda b: b.number),
            custom={f.name: (t.custom or {}).get(str(f.id)) for f in fields},
            assignments=[rules.AssignmentSpec(resource_ref=f"R{x['resource_id']}", units=x["units"],
                                              work=x["work_minutes"], actual_work=x["actual_work_minutes"],
                                              remaining_work=x["remaining_work_minutes"])
                         for x in assigned.get(t.id, [])],
        )))  # fmt: skip
    rows.sort(key=lambda r: r[0])
    links = [
        rules.LinkSpec(
            f"T{lk.pred_id}", f"T{lk.succ_id}", rules.LinkType(lk.type), lk.lag, rules.LagKind(lk.lag_kind)
        )
        for lk in s.scalars(select(TaskLink).where(TaskLink.project_id == project_id).order_by(TaskLink.id))
    ]
    resources = [
        rules.ResourceSpec(
            ref=f"R{rid}",
            name=x["name"],
            kind="material" if x["kind"] == "material" else "work",
            email=users[x["user_id"]].email if x["user_id"] in users else None,
        )
        for rid, x in sorted(people.items())
    ]
    start = projects.project_dict(s, project)["start_date"] or project.created_at.date()
    return PlanSpec(
        name=project.name,
        start=dt.datetime(start.year, start.month, start.day),
        status_date=settings.status_date,
        calendars=specs,
        calendar_ref=default_ref,
        tasks=[r[1] for r in rows],
        links=links,
        resources=resources,
        custom_fields=[rules.FieldSpec(f.name, f.kind, list(f.choices or [])) for f in fields],
        minutes_per_day=mpd,
    )


def _key(code: str) -> list[int]:
    return [int(x) for x in code.split(".") if x.isdecimal()]


EXPORTS = {
    "mspdi": ("application/xml", "xml"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ics": ("text/calendar; charset=utf-8", "ics"),
}


def export_file(s: Session, actor: Actor, project_id: int, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the project's plan in `fmt` (mspdi, csv, xlsx or ics = milestones)."""
    from charter.io import mspdi, tabular

    if fmt not in EXPORTS:
        raise ValidationError(f"unknown format {fmt!r}; use one of {', '.join(EXPORTS)}", field="format")
    project = project_for(s, actor, project_id)
    media, ext = EXPORTS[fmt]
    if fmt == "ics":
        return milestones_ics(s, actor, project_id), media, f"{project.key}.{ext}"
    plan = export_plan(s, actor, project_id)
    if fmt == "mspdi":
        data = mspdi.write_mspdi(plan)
    elif fmt == "csv":
        data = tabular.write_csv(plan)
    else:
        data = tabular.write_xlsx(plan)
    return data, media, f"{project.key}.{ext}"


def my_tasks_feed(s: Session, actor: Actor) -> bytes:
    """An iCalendar feed of the actor's assigned tasks across every project they can see."""
    from charter.io import ical

    rows = s.execute(
        select(Task, TaskComputed, Project.key)
        .join(Assignment, Assignment.task_id == Task.id)
        .join(Resource, Resource.id == Assignment.resource_id)
        .join(Project, Project.id == Task.project_id)
        .outerjoin(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Resource.user_id == actor.user_id, Task.project_id.in_(visible_project_ids(s, actor)))
    ).all()
    items = [
        ical.CalendarItem(uid=f"{key}-T{t.id}", summary=f"{key}: {t.name}", start=c.start, finish=c.finish,
                          description=t.description)
        for t, c, key in rows if c is not None and c.start is not None
    ]  # fmt: skip
    return ical.tasks_feed(actor.username, items)


def milestones_ics(s: Session, actor: Actor, project_id: int) -> bytes:
    """The project's milestones as an iCalendar feed (the export's `ics`, and the secret-address feed of
    services/feeds.py, which calendar applications poll): read from the milestones' own rows, not the whole
    plan."""
    from charter.io import ical

    project = project_for(s, actor, project_id)
    rows = s.execute(
        select(Task, TaskComputed)
        .join(TaskComputed, TaskComputed.task_id == Task.id)
        .where(Task.project_id == project_id, Task.milestone.is_(True))
        .order_by(Task.id)
    ).all()
    items = [
        ical.CalendarItem(uid=f"{project.key}-T{t.id}", summary=f"{project.key}: {t.name}", start=c.start,
                          finish=c.finish, description=t.description)
        for t, c in rows if c.start is not None
    ]  # fmt: skip
    return ical.milestones_feed(project.name, items)
