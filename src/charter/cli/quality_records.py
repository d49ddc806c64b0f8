"""Writing the quality records from the command line: `charter quality phase-edit|plan-set|metric-add|measure|
metric-remove|deliverable-add|accept|reject|resubmit|defect-add|defect-edit PROJECT ...` (merged into
`charter quality`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, console, fail, fmt_time, parse_when, print_json, print_result
from charter.cli.quality import Project, Version, current_version, run
from charter.domain.roles import Perm
from charter.services import accounts, quality

records_app = typer.Typer()

DeliverableId = Annotated[int, typer.Argument(help="The deliverable's id (see `quality deliverables`).")]
MetricId = Annotated[int, typer.Argument(help="The metric's id (see `quality plan`).")]
DefectId = Annotated[int, typer.Argument(help="The defect's id (see `quality defects`).")]


# --------------------------------------------------------------------------------------------- lifecycle, plan


@records_app.command("phase-edit")
def phase_edit(
    project: Project, phase: Annotated[str, typer.Argument(help="initiation, planning, execution, monitoring, "
                                                                "closing or operations.")],
    entry: Annotated[str | None, typer.Option(help="Entry criteria.")] = None,
    exit_: Annotated[str | None, typer.Option("--exit", help="Exit criteria.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Set a lifecycle phase's entry and exit criteria."""
    if entry is None and exit_ is None:
        fail("error: nothing to change: give --entry or --exit")
    life = run(project, lambda s, a, pid: quality.update_phase(s, a, pid, phase, entry_criteria=entry,
                                                              exit_criteria=exit_, version=version))  # fmt: skip
    if as_json:
        print_json(life)
        return
    ph = next(x for x in life["phases"] if x["phase"] == phase.strip().lower())
    console.print(f"Phase {ph['phase']} saved (version {ph['version']}): entry "
                  f"{escape(ph['entry_criteria'] or '-')}; exit {escape(ph['exit_criteria'] or '-')}")  # fmt: skip


@records_app.command("plan-set")
def plan_set(
    project: Project,
    standard: Annotated[list[str] | None, typer.Option(help="A quality standard that applies (repeatable; "
                                                            "replaces the list).")] = None,
    responsible_role_id: Annotated[int | None, typer.Option(help="Id of the role responsible for quality.")] = None,
    notes: Annotated[str | None, typer.Option(help="Notes of the plan.")] = None,
    ack_days: Annotated[int | None, typer.Option(help="Working days to acknowledge a concern (0-60).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Set the quality plan: standards, responsible role, notes, concern acknowledgement time."""
    if standard is None and responsible_role_id is None and notes is None and ack_days is None:
        fail("error: nothing to change: give --standard, --responsible-role-id, --notes or --ack-days")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        role = {} if responsible_role_id is None else {"responsible_role_id": responsible_role_id}
        return quality.set_plan(s, a, pid, standards=standard, notes=notes, concern_ack_days=ack_days, **role)

    p = run(project, go)
    print_result(
        p,
        as_json,
        f"Quality plan saved: standards {escape(', '.join(p['standards']) or 'none')}; responsible "
        f"{escape(p['responsible_role'] or '-')}; concerns acknowledged within "
        f"{p['concern_ack_days']} working days.",
    )


@records_app.command("metric-add")
def metric_add(
    project: Project, name: Annotated[str, typer.Option(help="e.g. Test pass rate.")],
    target: Annotated[float, typer.Option(help="The target value.")],
    direction: Annotated[str, typer.Option(help="at_least or at_most the target.")] = "at_least",
    unit: Annotated[str, typer.Option(help="e.g. %, defects/KLOC.")] = "",
    phase: Annotated[str | None, typer.Option(help="Gate only this phase (default: every phase).")] = None,
    responsible_role_id: Annotated[int | None, typer.Option(help="Id of the role that measures it.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Add a quality metric with its target to the quality plan."""
    m = run(project, lambda s, a, pid: quality.create_metric(s, a, pid, name=name, direction=direction, target=target,
                                                            unit=unit, phase=phase,
                                                            responsible_role_id=responsible_role_id))  # fmt: skip
    print_result(
        m,
        as_json,
        f"Metric {m['id']} {escape(m['name'])}: {m['direction']} {m['target']} {escape(m['unit'])}.",
    )


@records_app.command("measure")
def measure(
    project: Project, metric_id: MetricId, value: Annotated[float, typer.Argument(help="The measured value.")],
    at: Annotated[str | None, typer.Option(help="When measured, ISO date or date-time (default: now).")] = None,
    note: Annotated[str, typer.Option(help="A note.")] = "", as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Record a measurement of a metric (its responsible role, or a quality manager)."""
    when = parse_when(at, "at")
    m = run(project, lambda s, a, pid: quality.record_measurement(s, a, pid, metric_id, value=value,
                                                                 measured_at=when, note=note))  # fmt: skip
    print_result(
        m,
        as_json,
        f"{escape(m['name'])}: {m['latest']} {escape(m['unit'])} recorded "
        f"{fmt_time(m['measurements'][-1]['measured_at'])}; target "
        f"{'met' if m['met'] else 'not met'}.",
    )


@records_app.command("metric-remove")
def metric_remove(project: Project, metric_id: MetricId, version: Version = None) -> None:
    """Remove a metric and its measurements from the quality plan."""

    def go(s: Any, a: Any, pid: int) -> None:
        v = version if version is not None else current_version(quality.plan(s, a, pid)["metrics"], metric_id,
                                                                "metric")  # fmt: skip
        quality.delete_metric(s, a, pid, metric_id, v)

    run(project, go)
    console.print(f"Metric {metric_id} removed.")


# --------------------------------------------------------------------------------------------- deliverables


def _print_deliverable(d: dict[str, Any]) -> None:
    console.print(f"Deliverable {d['id']} {escape(d['name'])}: {d['status']}"
                  + (f" by {escape(d['decided_by'])}" if d["decided_by"] else "")
                  + (f" at {fmt_time(d['decided_at'])}" if d["decided_at"] else "")
                  + f"; acceptor {escape(d['acceptor'] or '-')}.")  # fmt: skip
    if d["status"] == "rejected" and d["rejections"]:
        console.print(f"Reason: {escape(d['rejections'][-1]['reason'])}")


@records_app.command("deliverable-add")
def deliverable_add(
    project: Project, name: Annotated[str, typer.Option(help="The deliverable.")],
    work_package_id: Annotated[int, typer.Option(help="The WBS element (work package) it belongs to.")],
    acceptor: Annotated[str, typer.Option(help="Who accepts it (username or id; a project member).")],
    criteria: Annotated[str, typer.Option(help="Acceptance criteria.")] = "",
    description: Annotated[str, typer.Option(help="Description.")] = "",
    phase: Annotated[str | None, typer.Option(help="Lifecycle phase (default: the current one).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Add a deliverable to a work package, with its acceptance criteria and acceptor."""
    d = run(project, lambda s, a, pid: quality.create_deliverable(
        s, a, pid, work_package_id=work_package_id, name=name,
        acceptor_id=quality.find_acceptor_id(s, a, pid, work_package_id, acceptor),
        acceptance_criteria=criteria, description=description, phase=phase))  # fmt: skip
    print_json(d) if as_json else _print_deliverable(d)


DecidedVersion = Annotated[
    int | None,
    typer.Option("--version", help="The deliverable's version as you read it: refused if it changed since."),
]


@records_app.command("accept")
def accept(
    project: Project, deliverable_id: DeliverableId,
    comment: Annotated[str, typer.Option(help="A comment.")] = "", version: DecidedVersion = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Accept a deliverable (only its named acceptor); who and when are recorded."""
    d = run(
        project, lambda s, a, pid: quality.accept_deliverable(s, a, pid, deliverable_id, comment, version)
    )
    print_json(d) if as_json else _print_deliverable(d)


@records_app.command("reject")
def reject(
    project: Project, deliverable_id: DeliverableId, reason: Annotated[str, typer.Option(help="Why (required).")],
    version: DecidedVersion = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Reject a deliverable with the reason (only its named acceptor); it goes back for rework."""
    d = run(project, lambda s, a, pid: quality.reject_deliverable(s, a, pid, deliverable_id, reason, version))
    print_json(d) if as_json else _print_deliverable(d)


@records_app.command("resubmit")
def resubmit(project: Project, deliverable_id: DeliverableId, as_json: JsonFlag = False) -> None:
    """Send a reworked, rejected deliverable back to its acceptor (the rejections stay on record)."""
    d = run(project, lambda s, a, pid: quality.resubmit_deliverable(s, a, pid, deliverable_id))
    print_json(d) if as_json else _print_deliverable(d)


# --------------------------------------------------------------------------------------------- defects


@records_app.command("defect-add")
def defect_add(
    project: Project, title: Annotated[str, typer.Option(help="What is wrong.")],
    severity: Annotated[str, typer.Option(help="critical, major, minor or trivial.")],
    found_in: Annotated[str, typer.Option(help="review, test or production.")],
    priority: Annotated[int, typer.Option(help="1 (highest) to 5.")] = 3,
    description: Annotated[str, typer.Option(help="Details.")] = "",
    task_id: Annotated[int | None, typer.Option(help="The task it is linked to.")] = None,
    deliverable_id: Annotated[int | None, typer.Option(help="The deliverable it is linked to.")] = None,
    owner: Annotated[str | None, typer.Option(help="Owner, username or id (a project member).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Report a defect."""
    d = run(project, lambda s, a, pid: quality.create_defect(
        s, a, pid, title=title, severity=severity, found_in=found_in, description=description, priority=priority,
        task_id=task_id, deliverable_id=deliverable_id,
        owner_id=accounts.find_user_id_in(s, a, pid, Perm.CONCERN_RAISE, owner) if owner else None))  # fmt: skip
    print_result(
        d, as_json, f"Defect {d['id']} {escape(d['title'])} reported ({d['severity']}, {d['status']})."
    )


@records_app.command("defect-edit")
def defect_edit(
    project: Project, defect_id: DefectId,
    status: Annotated[str | None, typer.Option(help="Move to: triaged, in_progress, resolved, verified, closed "
                                                    "(the workflow decides which moves are allowed), or "
                                                    "wont_fix from any open status (needs --reason).")] = None,
    reason: Annotated[str | None, typer.Option(help="Why the defect is closed as won't fix.")] = None,
    severity: Annotated[str | None, typer.Option(help="critical, major, minor or trivial.")] = None,
    priority: Annotated[int | None, typer.Option(help="1 (highest) to 5.")] = None,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    found_in: Annotated[str | None, typer.Option(help="review, test or production.")] = None,
    owner: Annotated[str | None, typer.Option(help="New owner, username or id.")] = None,
    task_id: Annotated[int | None, typer.Option(help="Link to this task.")] = None,
    deliverable_id: Annotated[int | None, typer.Option(help="Link to this deliverable.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Triage a defect or move it through its status workflow (the owner may change its status)."""
    given = {"status": status, "severity": severity, "priority": priority, "title": title,
             "description": description, "found_in": found_in, "task_id": task_id,
             "deliverable_id": deliverable_id, "reason": reason}  # fmt: skip
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if not changes and owner is None:
        fail("error: nothing to change: give --status, --severity, --priority, --title, --owner ...")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        if owner is not None:
            changes["owner_id"] = quality.find_defect_owner_id(s, a, pid, defect_id, owner) if owner else None
        if version is not None:
            v = version
        else:
            rows = quality.list_defects(s, a, pid, status=None)
            v = current_version(rows, defect_id, "defect")
        return quality.update_defect(s, a, pid, defect_id, v, **changes)

    d = run(project, go)
    print_result(
        d,
        as_json,
        f"Defect {d['id']} {escape(d['title'])}: {d['severity']}, priority {d['priority']}, {d['status']}"
        f"{', owner ' + escape(d['owner']) if d['owner'] else ''} (version {d['version']})."
        + (f" Won't fix: {escape(d['wont_fix_reason'])}" if d.get("wont_fix_reason") else ""),
    )
