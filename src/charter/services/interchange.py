"""Import a plan (MS Project XML, CSV, Excel) into a project, whole or not at all, and export a project's plan.

File formats live in `charter.io`; they hand over a `PlanSpec`. Importing writes the rows directly and
recomputes once at the end (per-row recomputation would make a 5,000-task import quadratic).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from charter.domain import custom_fields as custom_fields_rules
from charter.domain import schedule as rules
from charter.domain.errors import ValidationError
from charter.domain.roles import Perm
from charter.domain.schedule import ImportProblem, PlanSpec
from charter.engine import cpm
from charter.persistence.models import (
    Assignment,
    Baseline,
    BaselineTask,
    Calendar,
    CalendarExceptionRow,
    Task,
    TaskComputed,
    TaskLink,
    User,
    WorkPackage,
)
from charter.services import custom_fields, journal, projects
from charter.services.authz import can, project_for
from charter.services.calendars import calendar_range, project_calendar_row
from charter.services.context import Actor, now
from charter.services.resources import person_resource
from charter.services.scheduling import plan_changed, settings_row
from charter.services.work_packages import renumber

Progress = Callable[[float, str], None]
MAX_PROBLEMS = 20


def _fail(problems: list[ImportProblem]) -> None:
    shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS])
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    raise ValidationError(
        f"the file cannot be imported: {shown}{more}",
        field="file",
        details={"problems": [str(p) for p in problems]},
    )


def _expand_summary_links(plan: PlanSpec) -> None:
    """A link to or from a summary row (MS Project allows them) becomes links to or from each task under it:
    the summary starts with its first task and finishes with its last, so the same dates follow."""
    summaries = {t.ref for t in plan.tasks if t.summary}
    if not any(lk.pred_ref in summaries or lk.succ_ref in summaries for lk in plan.links):
        return
    children: dict[str, list[str]] = {}
    for t in plan.tasks:
        if t.parent_ref is not None:
            children.setdefault(t.parent_ref, []).append(t.ref)

    def leaves(ref: str) -> list[str]:
        if ref not in summaries:
            return [ref]
        return [x for c in children.get(ref, []) for x in leaves(c)]

    out: list[rules.LinkSpec] = []
    seen: set[tuple[str, str]] = set()
    for lk in plan.links:
        for p in leaves(lk.pred_ref):
            for q in leaves(lk.succ_ref):
                if (p, q) not in seen and p != q:
                    seen.add((p, q))
                    out.append(rules.LinkSpec(p, q, lk.type, lk.lag, lk.lag_kind, lk.line))
    plan.links = out


def _check(plan: PlanSpec, rng: tuple[dt.date, dt.date]) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    refs = set()
    for t in plan.tasks:
        where = f"task {t.ref} ({t.name})"
        if t.ref in refs:
            problems.append(ImportProblem(t.line, f"{where}: the id is used twice", t.ref))
        refs.add(t.ref)
        if not t.name.strip():
            problems.append(ImportProblem(t.line, f"task {t.ref}: the name is empty", t.ref))
        try:
            rules.check_task_numbers(
                duration=t.duration,
                work=t.work,
                percent_complete=t.percent_complete,
                optimistic=t.optimistic,
                most_likely=t.most_likely,
                pessimistic=t.pessimistic,
                priority=t.priority,
                where=where,
            )
            rules.check_constraint(t.constraint_type, t.constraint_date, where)
            rules.check_actuals(t.actual_start, t.actual_finish, where)
        except ValidationError as exc:
            problems.append(ImportProblem(t.line, exc.message, t.ref))
        for label, value in (
            ("constraint date", t.constraint_date),
            ("deadline", t.deadline),
            ("actual start", t.actual_start),
            ("actual finish", t.actual_finish),
        ):
            if value is not None and not rng[0] <= value.date() <= rng[1]:
                problems.append(
                    ImportProblem(
                        t.line,
                        f"{where}: the {label} {value:%Y-%m-%d} is outside the "
                        f"calendar range {rng[0]} .. {rng[1]}",
                        t.ref,
                    )
                )
        if t.parent_ref is not None and t.parent_ref not in refs:
            problems.append(
                ImportProblem(
                    t.line, f"{where}: its parent {t.parent_ref} is not a summary row before it", t.ref
                )
            )
    summaries = {t.ref for t in plan.tasks if t.summary}
    for t in plan.tasks:
        if t.parent_ref is not None and t.parent_ref in refs and t.parent_ref not in summaries:
            problems.append(
                ImportProblem(t.line, f"task {t.ref}: its parent {t.parent_ref} is not a summary", t.ref)
            )
    seen_links: set[tuple[str, str]] = set()
    for lk in plan.links:
        for r in (lk.pred_ref, lk.succ_ref):
            if r not in refs:
                problems.append(ImportProblem(lk.line, f"link {lk.pred_ref} -> {lk.succ_ref}: no task {r}"))
            elif r in summaries:
                problems.append(
                    ImportProblem(
                        lk.line,
                        f"link {lk.pred_ref} -> {lk.succ_ref}: {r} is a summary; link its tasks instead",
                    )
                )
        if lk.pred_ref == lk.succ_ref:
            problems.append(
                ImportProblem(lk.line, f"link {lk.pred_ref} -> {lk.succ_ref}: a task cannot depend on itself")
            )
        if (lk.pred_ref, lk.succ_ref) in seen_links:
            problems.append(ImportProblem(lk.line, f"link {lk.pred_ref} -> {lk.succ_ref} appears twice"))
        seen_links.add((lk.pred_ref, lk.succ_ref))
    if not problems:
        leaf = [t.ref for t in plan.tasks if not t.summary]
        index = {r: i for i, r in enumerate(leaf)}
        src = [index[lk.pred_ref] for lk in plan.links]
        dst = [index[lk.succ_ref] for lk in plan.links]
        cycle = cpm.find_cycle(len(leaf), src, dst)
        if cycle:
            names = {t.ref: t.name for t in plan.tasks}
            chain = " -> ".join(f"{leaf[i]} ({names[leaf[i]]})" for i in [*cycle, cycle[0]])
            problems.append(ImportProblem(None, f"the links form a cycle: {chain}"))
    return problems


def _custom_values(
    s: Session, project_id: int, plan: PlanSpec
) -> tuple[dict[str, dict[str, Any]], list[ImportProblem]]:
    """The values of the project's custom fields in a file's columns named like them (a CSV or Excel export
    of another project, or a sheet made by hand), by task: checked as a task's own update checks them, each
    problem with its line. Columns no field of the project has are left out, as any unknown column."""
    defs = custom_fields.definitions(s, project_id)
    names = {custom_fields.name_key(f.name): f for f in defs}
    rules_apply = any(f.required or f.default_value is not None for f in defs)
    out: dict[str, dict[str, Any]] = {}
    problems: list[ImportProblem] = []
    for t in plan.tasks:
        values = {  # an empty cell is no value: the field's default, if it has one, fills it
            name: custom_fields_rules.from_cell(names[custom_fields.name_key(name)].kind, v)
            for name, v in t.custom.items()
            if custom_fields.name_key(name) in names
            and v is not None
            and not (isinstance(v, str) and not v.strip())
        }
        if t.summary or not (values or rules_apply):
            continue
        try:
            parsed = custom_fields.parse_task_values(s, project_id, values)
            new = custom_fields.for_new_task(s, project_id, parsed, defs=defs)
            out[t.ref] = custom_fields.merged(None, new) or {}
        except ValidationError as e:
            problems.append(ImportProblem(t.line, f"task {t.ref!r}: {e.field}: {e.message}", t.ref))
    return {ref: v for ref, v in out.items() if v}, problems


def _add_file_fields(
    s: Session, actor: Actor, project_id: int, plan: PlanSpec
) -> tuple[list[str], list[str], list[ImportProblem]]:
    """The custom fields a file defines (MS Project's named local fields) that the project lacks, added to it
    when the actor may edit the project; else left out, with their values. (added, left out, problems)"""
    have = {custom_fields.name_key(f.name) for f in custom_fields.definitions(s, project_id)}
    new = [f for f in plan.custom_fields if custom_fields.name_key(f.name) not in have]
    if not new:
        return [], [], []
    if not can(s, actor, project_id, Perm.PROJECT_EDIT):
        return [], [f.name for f in new], []
    room = custom_fields_rules.MAX_FIELDS - len(have)
    if len(new) > room:
        names = ", ".join(f.name for f in new)
        return [], [], [ImportProblem(None, (
            f"the file has {len(new)} custom fields this project does not have ({names}); a project has at most "
            f"{custom_fields_rules.MAX_FIELDS} in use and this one has {len(have)}: archive some first"
        ))]  # fmt: skip
    added: list[str] = []
    problems: list[ImportProblem] = []
    for f in new:
        try:
            added.append(custom_fields.create_field(s, actor, project_id, name=f.name, kind=f.kind,
                                                    choices=f.choices or None)["name"])  # fmt: skip
        except ValidationError as e:
            problems.append(ImportProblem(None, f"custom field {f.name!r}: {e.field}: {e.message}"))
    return added, [], problems


def import_plan(
    s: Session,
    actor: Actor,
    plan: PlanSpec,
    *,
    project_id: int | None = None,
    key: str | None = None,
    name: str | None = None,
    source: str = "file",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Import into an existing project (appending to its plan) or into a new one (`key`). Returns what was
    created and how the recomputed dates compare with the dates the file carried."""
    if project_id is None:
        if not key:
            raise ValidationError("name the project to import into, or a key for a new project", field="key")
        start = plan.start.date() if plan.start else None
        created = projects.create_project(
            s,
            actor,
            key=key,
            name=name or plan.name or key,
            start_date=start,
            status="active",
            phase="planning",
        )
        project_id = created["id"]
    project = project_for(s, actor, project_id, Perm.TASK_EDIT)
    project_for(s, actor, project_id, Perm.WBS_EDIT)
    _expand_summary_links(plan)
    problems = _check(plan, calendar_range(project))
    fields_added, fields_left_out, field_problems = _add_file_fields(s, actor, project_id, plan)
    problems += field_problems
    custom, custom_problems = _custom_values(s, project_id, plan)
    problems += custom_problems
    if problems:
        _fail(problems)
    t0 = now()
    cause = f"imported from {source}"
    # calendars
    cal_ids: dict[str, int] = {}
    pcal = project_calendar_row(s, project_id)
    for spec in plan.calendars:
        if spec.ref == plan.calendar_ref:
            row = pcal
            row.weekdays, row.shifts = list(spec.weekdays), [list(x) for x in spec.shifts]
            row.country, row.subdiv = spec.country, spec.subdiv
        else:
            row = Calendar(
                project_id=project_id,
                name=spec.name or f"Calendar {spec.ref}",
                is_project_default=False,
                weekdays=list(spec.weekdays),
                shifts=[list(x) for x in spec.shifts],
                country=spec.country,
                subdiv=spec.subdiv,
                created_at=t0,
            )
            s.add(row)
        s.flush()
        cal_ids[spec.ref] = row.id
        existing = {
            e.day
            for e in s.scalars(select(CalendarExceptionRow).where(CalendarExceptionRow.calendar_id == row.id))
        }
        for e in spec.exceptions:
            if e.date not in existing:
                s.add(CalendarExceptionRow(calendar_id=row.id, day=e.date, working=e.working, name=e.name))
                existing.add(e.date)
    if plan.start and project.start_date is None:
        project.start_date = plan.start.date()
    if plan.status_date:
        settings_row(s, project_id).status_date = plan.status_date
    # work packages from summary rows, in outline order (parents first)
    wp_ids: dict[str, int] = {}
    base_pos = len(
        list(
            s.scalars(
                select(WorkPackage.id).where(
                    WorkPackage.project_id == project_id, WorkPackage.parent_id.is_(None)
                )
            )
        )
    )
    position = base_pos
    total = max(1, len(plan.tasks))
    task_ids: dict[str, int] = {}
    for i, t in enumerate(plan.tasks):
        position += 1
        parent = wp_ids.get(t.parent_ref) if t.parent_ref else None
        if t.summary:
            w = WorkPackage(
                project_id=project_id,
                parent_id=parent,
                name=t.name.strip()[:200],
                description=t.description,
                position=position,
                created_at=t0,
            )
            s.add(w)
            s.flush()
            wp_ids[t.ref] = w.id
            journal.record(
                s,
                actor,
                entity_type="work_package",
                entity_id=w.id,
                action="create",
                project_id=project_id,
                after=journal.snapshot(w),
                cause=cause,
            )
        else:
            task = Task(
                project_id=project_id, work_package_id=parent, name=t.name.strip()[:300], description=t.description,
                position=position, milestone=t.milestone, duration=0 if t.milestone else t.duration,
                duration_unit=t.duration_unit.value, optimistic=t.optimistic, most_likely=t.most_likely,
                pessimistic=t.pessimistic, work=t.work, percent_complete=t.percent_complete,
                actual_start=t.actual_start, actual_finish=t.actual_finish,
                status=_status(t.percent_complete, t.actual_start, t.actual_finish), priority=t.priority,
                constraint_type=t.constraint_type.value, constraint_date=t.constraint_date, deadline=t.deadline,
                calendar_id=cal_ids.get(t.calendar_ref) if t.calendar_ref and t.calendar_ref != plan.calendar_ref
                else None, created_at=t0, custom=custom.get(t.ref),
            )  # fmt: skip
            s.add(task)
            s.flush()
            task_ids[t.ref] = task.id
            journal.record(
                s,
                actor,
                entity_type="task",
                entity_id=task.id,
                action="create",
                project_id=project_id,
                after=journal.snapshot(task),
                cause=cause,
            )
        if progress and i % 200 == 0:
            progress(0.1 + 0.6 * i / total, f"{i}/{total} rows")
    if plan.links:
        s.execute(insert(TaskLink), [
            {"project_id": project_id, "pred_id": task_ids[lk.pred_ref], "succ_id": task_ids[lk.succ_ref],
             "type": lk.type.value, "lag": lk.lag, "lag_kind": lk.lag_kind.value, "created_at": t0, "version": 1}
            for lk in plan.links
        ])  # fmt: skip
        journal.record(
            s,
            actor,
            entity_type="project",
            entity_id=project_id,
            action="update",
            project_id=project_id,
            before={"links": None},
            after={"links": len(plan.links)},
            cause=cause,
        )
    # assignees: resources that are Charter users (matched by e-mail or name)
    users_by_email = {e.lower(): i for i, e in s.execute(select(User.id, User.email)).all() if e}
    users_by_name = {n.lower(): i for i, n in s.execute(select(User.id, User.display_name)).all()}
    res_user: dict[str, int] = {}
    unmatched: list[str] = []
    for r in plan.resources:
        uid = users_by_email.get((r.email or "").lower()) or users_by_name.get(r.name.lower())
        if uid:
            res_user[r.ref] = uid
        elif r.kind == "work":
            unmatched.append(r.name)
    for t in plan.tasks:
        for a in t.assignments:
            if a.resource_ref in res_user and t.ref in task_ids:
                res = person_resource(s, res_user[a.resource_ref], actor)
                exists = s.scalar(
                    select(Assignment.id).where(
                        Assignment.task_id == task_ids[t.ref], Assignment.resource_id == res.id
                    )
                )
                if not exists:
                    s.add(
                        Assignment(
                            project_id=project_id,
                            task_id=task_ids[t.ref],
                            resource_id=res.id,
                            units=a.units,
                            work=a.work if a.work is not None else t.duration,
                            created_at=t0,
                        )
                    )
    s.flush()
    renumber(s, project_id)
    if progress:
        progress(0.75, "scheduling")
    result = plan_changed(s, project_id)
    # baselines as the file carried them
    numbers = sorted({b.number for t in plan.tasks for b in t.baselines if 0 <= b.number <= 10})
    for number in numbers:
        old = s.scalars(
            select(Baseline).where(Baseline.project_id == project_id, Baseline.number == number)
        ).first()
        if old is not None:
            s.delete(old)
            s.flush()
        b = Baseline(
            project_id=project_id,
            number=number,
            name=f"Baseline {number} ({source})",
            saved_at=t0,
            saved_by=actor.user_id,
        )
        s.add(b)
        s.flush()
        rows = [
            {"baseline_id": b.id, "task_id": task_ids[t.ref], "start": bl.start, "finish": bl.finish,
             "duration": bl.duration or 0, "work": bl.work}
            for t in plan.tasks if t.ref in task_ids for bl in t.baselines if bl.number == number
        ]  # fmt: skip
        if rows:
            s.execute(insert(BaselineTask), rows)
    # compare with the dates the file carried (a file saved by MS Project holds its computed dates)
    computed = {
        c.task_id: c for c in s.scalars(select(TaskComputed).where(TaskComputed.project_id == project_id))
    }
    compared = 0
    mismatches: list[dict[str, Any]] = []
    for t in plan.tasks:
        tid = task_ids.get(t.ref)
        if tid is None or t.start is None or t.finish is None:
            continue
        compared += 1
        c = computed.get(tid)
        if c is None or c.start != t.start or c.finish != t.finish:
            mismatches.append(
                {
                    "ref": t.ref,
                    "name": t.name,
                    "file_start": t.start,
                    "file_finish": t.finish,
                    "start": c.start if c else None,
                    "finish": c.finish if c else None,
                }
            )
    if progress:
        progress(1.0, "done")
    return {
        "project_id": project_id,
        "work_packages": len(wp_ids),
        "tasks": len(task_ids),
        "links": len(plan.links),
        "calendars": len(cal_ids),
        "baselines": numbers,
        "finish": result["finish"],
        "dates_compared": compared,
        "dates_matching": compared - len(mismatches),
        "mismatches": mismatches[:50],
        "unmatched_resources": unmatched,
        "custom_fields_added": fields_added,
        "custom_fields_left_out": fields_left_out,
    }


def _status(pct: float, start: dt.datetime | None, finish: dt.datetime | None) -> str:
    if pct >= 100 or finish is not None:
        return rules.TaskStatus.COMPLETED.value
    if pct > 0 or start is not None:
        return rules.TaskStatus.IN_PROGRESS.value
    return rules.TaskStatus.NOT_STARTED.value


# --------------------------------------------------------------------------------------------- files

FORMATS = ("mspdi", "csv", "xlsx", "mpxj")


def guess_format(filename: str | None, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise ValidationError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
        return fmt
    from charter.io.mpxj_import import EXTENSIONS

    ext = (filename or "").rsplit(".", 1)[-1].lower()
    by_ext = {"xml": "mspdi", "csv": "csv", "txt": "csv", "xlsx": "xlsx"} | dict.fromkeys(EXTENSIONS, "mpxj")
    if ext not in by_ext:
        raise ValidationError(
            "cannot tell the file's format from its name; give the format (mspdi, csv, xlsx, or mpxj for "
            ".mpp, .xer, .pmxml, .mpx and the other files MPXJ reads)",
            field="format",
        )
    return by_ext[ext]


def read_plan(
    data: bytes,
    fmt: str,
    *,
    mapping: dict[str, str] | None = None,
    name: str = "Imported plan",
    minutes_per_day: int = 480,
) -> PlanSpec:
    from charter.config import get_settings
    from charter.io import mpxj_import, mspdi, tabular

    if fmt == "mspdi":
        return mspdi.read_mspdi(data)
    if fmt == "mpxj":
        return mpxj_import.read_mpxj(data, max_bytes=get_settings().max_upload_bytes)
    if fmt == "csv":
        return tabular.read_csv(data, mapping, name=name, minutes_per_day=minutes_per_day)
    return tabular.read_xlsx(data, mapping, name=name, minutes_per_day=minutes_per_day)
