"""`charter quality gate|lifecycle|plan|stakeholders|close|defects|trend|deliverables|deliverable-edit|
deliverable-remove|metric-edit PROJECT`, and what the other quality-area modules share (`Project`, `Version`,
`current_version`, `run`). More `quality` commands: cli/quality_records.py, cli/reviews.py, cli/stakeholders.py;
`change` and `concern`: cli/change_control.py."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import (
    JsonFlag,
    console,
    fail,
    fmt_time,
    print_json,
    print_result,
    print_rows,
    run_in_project,
)
from charter.services import quality, stakeholders

quality_app = typer.Typer(
    help="Lifecycle and gates, quality plan and metrics, deliverables, reviews, defects, stakeholders.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]


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
    print_result(out, as_json, f"Now in phase [bold]{out['current_phase']}[/bold].")


@quality_app.command("defects")
def defects_cmd(
    project: Project,
    status: Annotated[str | None, typer.Option(help="open (default), all, or one status: new, triaged, "
                                                    "in_progress, resolved, verified, closed, wont_fix.")] = "open",
    severity: Annotated[str | None, typer.Option(help="Only this severity: critical, major, minor, trivial.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """List defects (by default the open ones)."""
    only = None if status == "all" else status
    rows = run(project, lambda s, a, pid: quality.list_defects(s, a, pid, status=only, severity=severity))
    print_rows(rows, ("id", "severity", "priority", "found in", "status", "owner", "title"),
               lambda d: (str(d["id"]), d["severity"], str(d["priority"]), d["found_in"], d["status"],
                          escape(d["owner"] or "—"), escape(d["title"])),
               as_json=as_json, empty="No defects.")  # fmt: skip


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
    print_rows(rows, ("id", "phase", "work package", "deliverable", "acceptor", "status"),
               lambda d: (str(d["id"]), d["phase"], escape(d["work_package"] or ""), escape(d["name"]),
                          escape(d["acceptor"] or "—"), d["status"]),
               as_json=as_json, empty="No deliverables.")  # fmt: skip


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
    print_result(d, as_json, f"Deliverable {d['id']} {escape(d['name'])} saved (version {d['version']}).")


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
    print_result(
        m,
        as_json,
        f"Metric {m['id']} {escape(m['name'])}: target {m['target']} {escape(m['unit'])} (version {m['version']}).",
    )
