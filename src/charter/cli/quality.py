"""`charter quality gate|close|defects|trend|deliverables|deliverable-edit|deliverable-remove|metric-edit PROJECT`,
`charter change list|show|preview|approve|reject PROJECT ...`, `charter concern raise|list PROJECT ...`."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import (
    JsonFlag,
    console,
    fail,
    fmt_time,
    parse_when,
    print_json,
    run_in_project,
)
from charter.services import accounts, change, quality, stakeholders

quality_app = typer.Typer(
    help="Lifecycle and gates, quality plan and metrics, deliverables, reviews, defects, stakeholders.",
    no_args_is_help=True,
)
change_app = typer.Typer(help="Change requests: impact preview and decision.", no_args_is_help=True)
concern_app = typer.Typer(help="Stakeholder concerns.", no_args_is_help=True)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Number = Annotated[int, typer.Argument(help="Change request number (CR-n) in the project.")]


run = run_in_project  # `fn(session, actor, project_id)` in one transaction, in the named project


# --------------------------------------------------------------------------------------------- quality


def _print_gate(g: dict[str, Any]) -> None:
    if g["passed"]:
        console.print(f"Gate of {g['phase']}: [green]passes[/green]")
        return
    console.print(f"Gate of {g['phase']}: [red]fails[/red]")
    for c in g["failed"]:
        console.print(f"  {c['label']}: " + "; ".join(escape(str(i)) for i in c["items"]))


@quality_app.command("gate")
def gate_cmd(project: Project, phase: Annotated[str | None, typer.Option(help="Default: the current phase.")] = None,
             as_json: JsonFlag = False) -> None:  # fmt: skip
    """Evaluate a phase's quality gate."""
    g = run(project, lambda s, a, pid: quality.gate(s, a, pid, phase))
    print_json(g) if as_json else _print_gate(g)


@quality_app.command("lifecycle")
def lifecycle_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The phases (the current one marked), the current gate, and every gate override with who, when, which
    criteria failed and the written reason."""
    life = run(project, lambda s, a, pid: quality.lifecycle(s, a, pid))
    if as_json:
        print_json(life)
        return
    for ph in life["phases"]:
        mark = "->" if ph["current"] else ("ok" if ph["done"] else "  ")
        closed = f" closed {fmt_time(ph['closed_at'])} by {ph['closed_by'] or '?'}" if ph["closed_at"] else ""
        console.print(f"{mark} {ph['phase']}{closed}")
    _print_gate(life["gate"])
    if life["overrides"]:
        t = Table("phase", "closed", "by", "failed criteria", "reason", title="Gate overrides")
        for o in life["overrides"]:
            failed = ", ".join(
                str(c.get("label", c)) if isinstance(c, dict) else str(c) for c in o["failed"] or []
            )
            t.add_row(o["phase"], fmt_time(o["closed_at"]), escape(o["closed_by"] or ""), escape(failed),
                      escape(o["reason"] or ""))  # fmt: skip
        console.print(t)


@quality_app.command("plan")
def plan_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The quality plan: standards, the responsible role, metrics with target, latest value and whether met."""
    p = run(project, lambda s, a, pid: quality.plan(s, a, pid))
    if as_json:
        print_json(p)
        return
    console.print("Standards: " + (", ".join(escape(x) for x in p["standards"]) or "none"))
    console.print(f"Responsible: {escape(p['responsible_role'] or '-')}; concerns acknowledged within "
                  f"{p['concern_ack_days']} working days")  # fmt: skip
    t = Table("id", "metric", "target", "latest", "met", "gate")
    for m in p["metrics"]:
        t.add_row(str(m["id"]), escape(m["name"]), f"{'>=' if m['direction'] == 'at_least' else '<='} {m['target']} {m['unit']}",
                  "-" if m["latest"] is None else str(m["latest"]), "yes" if m["met"] else "no",
                  m["phase"] or "every phase")  # fmt: skip
    console.print(t)


@quality_app.command("stakeholders")
def stakeholders_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The stakeholder register (a liaison sees their department's part) with each entry's grid quadrant."""
    reg = run(project, lambda s, a, pid: stakeholders.register(s, a, pid))
    if as_json:
        print_json(reg)
        return
    t = Table(
        "id", "name", "kind", "department", "interest", "influence", "attitude", "engagement", "quadrant"
    )
    for x in reg["stakeholders"]:
        t.add_row(str(x["id"]), escape(x["name"]), x["kind"], escape(x["department"] or "-"), str(x["interest"]),
                  str(x["influence"]), x["attitude"], f"{x['current_engagement']} -> {x['desired_engagement']}",
                  x["quadrant"])  # fmt: skip
    console.print(t if reg["stakeholders"] else "No stakeholders registered.")


@quality_app.command("close")
def close_cmd(
    project: Project,
    override: Annotated[
        str | None, typer.Option(help="Override a failed gate with this written reason.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Close the current phase (move to the next); refused while the gate fails, unless overridden."""
    out = run(project, lambda s, a, pid: quality.close_phase(s, a, pid, override_reason=override))
    if as_json:
        print_json(out)
        return
    console.print(f"Now in phase [bold]{out['current_phase']}[/bold].")


@quality_app.command("defects")
def defects_cmd(
    project: Project,
    status: Annotated[str | None, typer.Option(help="open (default), all, or one status: new, triaged, "
                                                    "in_progress, resolved, verified, closed.")] = "open",
    severity: Annotated[str | None, typer.Option(help="Only this severity: critical, major, minor, trivial.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """List defects (by default the open ones)."""
    only = None if status == "all" else status
    rows = run(project, lambda s, a, pid: quality.list_defects(s, a, pid, status=only, severity=severity))
    if as_json:
        print_json(rows)
        return
    t = Table("id", "severity", "priority", "found in", "status", "owner", "title")
    for d in rows:
        t.add_row(str(d["id"]), d["severity"], str(d["priority"]), d["found_in"], d["status"],
                  escape(d["owner"] or "—"), escape(d["title"]))  # fmt: skip
    console.print(t if rows else "No defects.")


@quality_app.command("trend")
def trend_cmd(project: Project, weeks: Annotated[int, typer.Option(help="How many weeks.")] = 12,
              as_json: JsonFlag = False) -> None:  # fmt: skip
    """Defects opened, closed and open per ISO week."""
    out = run(project, lambda s, a, pid: quality.defect_trend(s, a, pid, weeks=weeks))
    if as_json:
        print_json(out)
        return
    t = Table("week", "opened", "closed", "open")
    for w in out["weeks"]:
        t.add_row(w["week"], str(w["opened"]), str(w["closed"]), str(w["open"]))
    console.print(t)


@quality_app.command("deliverables")
def deliverables_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Deliverables with their acceptor and status."""
    rows = run(project, quality.list_deliverables)
    if as_json:
        print_json(rows)
        return
    t = Table("id", "phase", "work package", "deliverable", "acceptor", "status")
    for d in rows:
        t.add_row(str(d["id"]), d["phase"], escape(d["work_package"] or ""), escape(d["name"]),
                  escape(d["acceptor"] or "—"), d["status"])  # fmt: skip
    console.print(t if rows else "No deliverables.")


Version = Annotated[
    int | None, typer.Option(help="The version you read (stale: refused); default: the current one.")
]


def current_version(rows: list[dict[str, Any]], row_id: int, what: str) -> int:
    for r in rows:
        if r["id"] == row_id:
            return int(r["version"])
    fail(f"error: {what} {row_id} not found in this project")


@quality_app.command("deliverable-edit")
def deliverable_edit_cmd(
    project: Project, deliverable_id: Annotated[int, typer.Argument(help="The deliverable's id.")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    criteria: Annotated[str | None, typer.Option(help="New acceptance criteria.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    acceptor_id: Annotated[int | None, typer.Option(help="User id of the new acceptor.")] = None,
    work_package_id: Annotated[int | None, typer.Option(help="Move it to this work package.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change a deliverable that is not accepted yet."""
    changes = {k: v for k, v in {"name": name, "acceptance_criteria": criteria, "description": description,
                                 "acceptor_id": acceptor_id, "work_package_id": work_package_id}.items()
               if v is not None}  # fmt: skip
    if not changes:
        fail("nothing to change: give --name, --criteria, --description, --acceptor-id or --work-package-id")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        v = version if version is not None else current_version(quality.list_deliverables(s, a, pid),
                                                                 deliverable_id, "deliverable")  # fmt: skip
        return quality.update_deliverable(s, a, pid, deliverable_id, v, **changes)

    d = run(project, go)
    if as_json:
        print_json(d)
        return
    console.print(f"Deliverable {d['id']} {escape(d['name'])} saved (version {d['version']}).")


@quality_app.command("deliverable-remove")
def deliverable_remove_cmd(
    project: Project, deliverable_id: Annotated[int, typer.Argument(help="The deliverable's id.")],
    version: Version = None,
) -> None:  # fmt: skip
    """Remove a deliverable that was never accepted and that no review or defect refers to."""

    def go(s: Any, a: Any, pid: int) -> None:
        v = version if version is not None else current_version(quality.list_deliverables(s, a, pid),
                                                                 deliverable_id, "deliverable")  # fmt: skip
        quality.delete_deliverable(s, a, pid, deliverable_id, v)

    run(project, go)
    console.print(f"Deliverable {deliverable_id} removed.")


@quality_app.command("metric-edit")
def metric_edit_cmd(
    project: Project, metric_id: Annotated[int, typer.Argument(help="The metric's id (see `quality plan`).")],
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    target: Annotated[float | None, typer.Option(help="New target.")] = None,
    unit: Annotated[str | None, typer.Option(help="New unit.")] = None,
    direction: Annotated[str | None, typer.Option(help="at_least or at_most.")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change a quality metric's name, target, unit or direction."""
    changes = {k: v for k, v in {"name": name, "target": target, "unit": unit, "direction": direction}.items()
               if v is not None}  # fmt: skip
    if not changes:
        fail("nothing to change: give --name, --target, --unit or --direction")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        v = version if version is not None else current_version(quality.plan(s, a, pid)["metrics"], metric_id,
                                                                 "metric")  # fmt: skip
        return quality.update_metric(s, a, pid, metric_id, v, **changes)

    m = run(project, go)
    if as_json:
        print_json(m)
        return
    console.print(
        f"Metric {m['id']} {escape(m['name'])}: target {m['target']} {escape(m['unit'])} (version {m['version']})."
    )


# --------------------------------------------------------------------------------------------- change


def _by_number(s: Any, a: Any, pid: int, number: int) -> dict[str, Any]:
    for c in change.list_change_requests(s, a, pid):
        if c["number"] == number:
            return c
    fail(f"error: CR-{number} not found in this project")


def _print_cr(c: dict[str, Any]) -> None:
    console.print(f"[bold]CR-{c['number']}[/bold] {escape(c['title'])} — {c['status']}"
                  + (" (preview stale: preview again)" if c["preview_stale"] else ""))  # fmt: skip
    p = c.get("preview")
    if p:
        i = p["impact"]
        t = Table("", "current", "proposed")
        t.add_row("finish", str(i["finish"]["before"]), str(i["finish"]["after"]))
        for k, v in i["cost"].items():
            t.add_row(k, str(v["before"]), str(v["after"]))
        t.add_row("critical path", ", ".join(x["name"] for x in i["critical_path"]["before"]),
                  ", ".join(x["name"] for x in i["critical_path"]["after"]))  # fmt: skip
        console.print(t)
    if c["approvers"]:
        votes = ", ".join(f"{v['name']}: {v['vote']}" for v in c["votes"]) or "no votes yet"
        console.print(f"Board: {escape(', '.join(str(x['name']) for x in c['approvers']))}; quorum {c['quorum']}; "
                      f"{escape(votes)}")  # fmt: skip
    if c["decision_reason"]:
        console.print(f"Decision: {escape(c['decision_reason'])}")


@change_app.command("since")
def change_since(project: Project, baseline: Annotated[int, typer.Argument(help="Baseline number 0-10.")],
                 as_json: JsonFlag = False) -> None:  # fmt: skip
    """What changed since baseline N: tasks whose dates or duration differ, added and removed tasks."""
    rep = run(project, lambda s, a, pid: change.since_baseline(s, a, pid, baseline))
    if as_json:
        print_json(rep)
        return
    console.print(f"Since baseline {rep['baseline']} ({escape(rep['baseline_name'] or '')}): finish "
                  f"{fmt_time(rep['baseline_finish'])} -> {fmt_time(rep['finish'])}")  # fmt: skip
    t = Table("task", "change", "baseline finish", "finish")
    for x in rep["changed"]:
        t.add_row(escape(f"{x['wbs_code']} {x['name']}"), f"moved {x['finish_variance_days']} d",
                  fmt_time(x["baseline_finish"]), fmt_time(x["finish"]))  # fmt: skip
    for x in rep["added"]:
        t.add_row(escape(f"{x['wbs_code']} {x['name']}"), "added", "-", fmt_time(x["finish"]))
    for x in rep["removed"]:
        t.add_row(escape(x["name"] or f"task {x['id']}"), "removed", "", "-")
    console.print(t)


@change_app.command("list")
def change_list(project: Project, as_json: JsonFlag = False) -> None:
    """Change requests, newest first."""
    rows = run(project, change.list_change_requests)
    if as_json:
        print_json(rows)
        return
    t = Table("CR", "title", "requested by", "status", "previewed", "baseline")
    for c in rows:
        t.add_row(f"CR-{c['number']}", escape(c["title"]), escape(c["requested_by_name"] or ""), c["status"],
                  fmt_time(c["previewed_at"]) if c["previewed_at"] else "—",
                  str(c["baseline_number"]) if c["baseline_number"] is not None else "—")  # fmt: skip
    console.print(t if rows else "No change requests.")


@change_app.command("create")
def change_create(
    project: Project, title: Annotated[str, typer.Option(help="What changes.")],
    changes: Annotated[str, typer.Option(help='Proposed changes as JSON, e.g. [{"op":"task_duration","task_id":3,'
                                              '"duration":"5d"}].')] = "[]",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    description: Annotated[str, typer.Option(help="Details.")] = "",
    area: Annotated[list[str] | None, typer.Option(help="Affected area: quality, budget, schedule, scope ... "
                                                        "(repeatable).")] = None,
    approver: Annotated[list[str] | None, typer.Option(help="Change board member, username or id (repeatable); "
                                                            "none: whoever holds change.decide decides.")] = None,
    quorum: Annotated[int | None, typer.Option(help="Approving votes needed (default: all approvers).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Request a change, with its proposed plan changes as JSON and optionally a change board."""
    try:
        ops = json.loads(changes)
    except ValueError:
        fail("error: --changes must be JSON (field: changes)")

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        ids = [accounts.find_user_id(s, u) for u in approver or []]
        return change.create_change_request(s, a, pid, title=title, reason=reason, description=description,
                                            areas=area or None, changes=ops, approver_ids=ids or None,
                                            quorum=quorum)  # fmt: skip

    c = run(project, go)
    print_json(c) if as_json else _print_cr(c)


@change_app.command("show")
def change_show(project: Project, number: Number, as_json: JsonFlag = False) -> None:
    """A change request with its impact preview and decision."""
    c = run(project, lambda s, a, pid: _by_number(s, a, pid, number))
    print_json(c) if as_json else _print_cr(c)


@change_app.command("preview")
def change_preview(project: Project, number: Number, as_json: JsonFlag = False) -> None:
    """Compute the impact (the plan is not changed): current vs proposed finish, cost/EAC, critical path."""
    c = run(project, lambda s, a, pid: change.preview(s, a, pid, _by_number(s, a, pid, number)["id"]))
    print_json(c) if as_json else _print_cr(c)


@change_app.command("approve")
def change_approve(
    project: Project, number: Number, reason: Annotated[str, typer.Option(help="Why.")] = "",
    baseline: Annotated[int | None, typer.Option(help="Baseline number to record (default: the next free).")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Approve (on a board: vote). Refused while the preview is missing or stale."""
    c = run(project, lambda s, a, pid: change.decide(s, a, pid, _by_number(s, a, pid, number)["id"], approve=True,
                                                      reason=reason, baseline_number=baseline))  # fmt: skip
    print_json(c) if as_json else _print_cr(c)


@change_app.command("reject")
def change_reject(project: Project, number: Number, reason: Annotated[str, typer.Option(help="Why.")],
                  as_json: JsonFlag = False) -> None:  # fmt: skip
    """Reject (on a board: vote to reject), with the reason."""
    c = run(project, lambda s, a, pid: change.decide(s, a, pid, _by_number(s, a, pid, number)["id"], approve=False,
                                                      reason=reason))  # fmt: skip
    print_json(c) if as_json else _print_cr(c)


# --------------------------------------------------------------------------------------------- concerns


@concern_app.command("raise")
def concern_raise(
    project: Project, subject: Annotated[str, typer.Option(help="The concern in one line.")],
    area: Annotated[list[str], typer.Option(help="quality, budget, schedule, scope ... (repeatable).")],
    severity: Annotated[str, typer.Option(help="low, medium, high or critical.")] = "medium",
    body: Annotated[str, typer.Option(help="Details.")] = "",
    needed_by: Annotated[str | None, typer.Option(help="Needed by this date (YYYY-MM-DD).")] = None,
    confidential: Annotated[bool, typer.Option("--confidential", help="Only the PM and your liaison see it.")] = False,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Raise a concern; it reaches the PM through your department's liaison when there is one."""
    when = parse_when(needed_by, "needed_by")
    c = run(project, lambda s, a, pid: stakeholders.raise_concern(
        s, a, pid, subject=subject, areas=area, severity=severity, body=body,
        needed_by=when.date() if when else None, confidential=confidential))  # fmt: skip
    if as_json:
        print_json(c)
        return
    via = f"via {c['liaison']}" if c["liaison"] else "directly to the PM"
    console.print(f"Concern {c['id']} raised ({via}); to be acknowledged by {fmt_time(c['ack_due_at'])}.")


@concern_app.command("list")
def concern_list(
    project: Project, mine: Annotated[bool, typer.Option("--mine", help="Only those you raised.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those not acknowledged in time.")] = False,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Concerns you may see, with their deadline flag and what became of them."""
    rows = run(project, lambda s, a, pid: stakeholders.list_concerns(s, a, pid, mine=mine, overdue=overdue))
    if as_json:
        print_json(rows)
        return
    t = Table("id", "raised", "by", "areas", "severity", "status", "overdue", "outcome", "subject")
    for c in rows:
        o = c["outcome"]
        t.add_row(str(c["id"]), fmt_time(c["raised_at"]), escape(c["raised_by_name"] or ""), ", ".join(c["areas"]),
                  c["severity"], c["status"], "yes" if c["overdue"] else "",
                  _outcome(o), escape(c["subject"]))  # fmt: skip
    console.print(t if rows else "No concerns.")


def _outcome(o: dict[str, Any] | None) -> str:
    if not o:
        return ""
    if o.get("type") == "risk":
        return f"{o['ref']} {o['status']}"
    return f"CR-{o['number']} {o['status']}"


@concern_app.command("risk")
def concern_risk(
    project: Project, concern_id: Annotated[int, typer.Argument(help="The concern's id (see `concern list`).")],
    title: Annotated[str | None, typer.Option(help="Default: the concern's subject.")] = None,
    category: Annotated[str | None, typer.Option(help="technical, vendor, people, security, ...")] = None,
    kind: Annotated[str | None, typer.Option(help="threat (default) or opportunity.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Turn a concern into a risk (PM or the department's liaison): its subject becomes the risk's event, its
    text the cause; both keep the link and the raiser is told."""
    r = run(project, lambda s, a, pid: stakeholders.to_risk(s, a, pid, concern_id, title=title, category=category,
                                                            kind=kind))  # fmt: skip
    if as_json:
        print_json(r)
        return
    console.print(f"Concern {concern_id} became risk {r['ref']}: {escape(r['title'])} ({r['status']}).")
