"""`charter risk list|show|add|runs|cancel-run PROJECT ...` (update, status, action, comment: risk_edit.py),
`charter simulate PROJECT --iterations N --seed S [--json]` (Ctrl-C cancels the run)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from charter.cli.common import (
    JsonFlag,
    acting,
    console,
    fail,
    open_db,
    print_json,
    print_result,
    ref_number,
    run_in_project,
)
from charter.domain.roles import Perm
from charter.services import accounts, projects, risk, simulation

risk_app = typer.Typer(help="The risk register: threats and opportunities.", no_args_is_help=True)

Project = Annotated[str, typer.Argument(help="Project key or id.")]


@risk_app.command("list")
def list_cmd(
    project: Project,
    status: Annotated[
        str | None, typer.Option(help="identified, assessed, responding, closed, occurred")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only open risks.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The register, highest score (probability x largest impact) first."""
    rows = run_in_project(
        project, lambda s, a, pid: risk.list_risks(s, a, pid, status=status, open_only=open_only)
    )
    if as_json:
        print_json(rows)
        return
    t = Table("ref", "kind", "title", "category", "P", "I", "score", "status", "owner", "strategy")
    for r in rows:
        t.add_row(r["ref"], r["kind"], escape(r["title"]), r["category"], str(r["probability"] or "-"),
                  str(r["impact"] or "-"), str(r["score"] or "-"), r["status"], escape(r["owner"] or "-"),
                  r["strategy"] or "-")  # fmt: skip
    console.print(t)


@risk_app.command("show")
def show_cmd(
    project: Project, ref: Annotated[str, typer.Argument(help="R-n or n")], as_json: JsonFlag = False
) -> None:
    """A risk with its response actions, discussion and rating history."""
    number = ref_number(ref, "R", "risk")

    def get(s: Any, a: Any, pid: int) -> dict[str, Any]:
        match = [r for r in risk.list_risks(s, a, pid) if r["number"] == number]
        if not match:
            fail(f"error: risk R-{number} not found")
        return risk.get_risk(s, a, pid, match[0]["id"])

    r = run_in_project(project, get)
    if as_json:
        print_json(r)
        return
    console.print(
        f"[bold]{r['ref']}[/bold] {escape(r['title'])} ({r['kind']}, {r['category']}, {r['status']})"
    )
    for k in ("cause", "event", "effect", "triggers", "response"):
        if r[k]:
            console.print(f"  {k}: {escape(r[k])}")
    console.print(f"  probability {r['probability'] or '-'} x impact {r['impact'] or '-'} = score {r['score'] or '-'}"
                  f"; residual {r['residual_score'] or '-'}; owner {escape(r['owner'] or '-')}; "
                  f"strategy {r['strategy'] or '-'}; review {r['review_date'] or '-'}")  # fmt: skip
    for act in r["actions"]:
        console.print(f"  action: {escape(act['name'])} ({act['status']}, {act['percent_complete']:g}%)")
    for c in r["comments"]:
        console.print(f"  {c['at']:%Y-%m-%d} {escape(c['author'])}: {escape(c['body'])}")
    if r["ratings"]:
        console.print("  rating history:")
    for h in r["ratings"]:
        console.print(f"    {h['at']:%Y-%m-%d %H:%M} {h['status']}: probability {h['probability'] or '-'} x impact "
                      f"{h['impact'] or '-'} = score {h['score'] or '-'}; residual {h['residual_score'] or '-'}")  # fmt: skip


@risk_app.command("add")
def add_cmd(
    project: Project,
    title: Annotated[str, typer.Argument(help="What might happen.")],
    kind: Annotated[str, typer.Option(help="threat or opportunity")] = "threat",
    category: Annotated[str, typer.Option(help="technical, vendor, people, security, ...")] = "other",
    cause: Annotated[str, typer.Option()] = "",
    event: Annotated[str, typer.Option()] = "",
    effect: Annotated[str, typer.Option()] = "",
    probability: Annotated[int | None, typer.Option(help="1-5")] = None,
    schedule: Annotated[int | None, typer.Option(help="schedule impact 1-5")] = None,
    cost: Annotated[int | None, typer.Option(help="cost impact 1-5")] = None,
    quality: Annotated[int | None, typer.Option(help="quality impact 1-5")] = None,
    scope: Annotated[int | None, typer.Option(help="scope impact 1-5")] = None,
    owner: Annotated[str | None, typer.Option(help="username of a project member")] = None,
    task: Annotated[int | None, typer.Option(help="id of the task a risk event would delay")] = None,
    strategy: Annotated[str | None, typer.Option()] = None,
    review: Annotated[str | None, typer.Option(help="review date YYYY-MM-DD")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Raise a risk (any member who may raise risks)."""

    def add(s: Any, a: Any, pid: int) -> dict[str, Any]:
        owner_id = accounts.find_user_id_in(s, a, pid, Perm.RISK_RAISE, owner) if owner else None
        review_date = dt.date.fromisoformat(review) if review else None
        return risk.create_risk(s, a, pid, title=title, kind=kind, category=category, cause=cause, event=event,
                                effect=effect, probability=probability, impact_schedule=schedule, impact_cost=cost,
                                impact_quality=quality, impact_scope=scope, owner_id=owner_id, task_id=task,
                                strategy=strategy, review_date=review_date)  # fmt: skip

    r = run_in_project(project, add)
    print_result(
        r, as_json, f"Raised {r['ref']}: {escape(r['title'])} (score {r['score'] or '-'}, {r['status']})"
    )


def simulate_cmd(
    project: Project,
    iterations: Annotated[int, typer.Option(help="Monte Carlo iterations.")] = 10_000,
    seed: Annotated[int | None, typer.Option(help="Same seed, same results (default: random).")] = None,
    distribution: Annotated[str, typer.Option(help="triangular, pert or uniform")] = "triangular",
    spread_low: Annotated[float, typer.Option(help="% below the duration of tasks without estimates")] = 0.0,
    spread_high: Annotated[float, typer.Option(help="% above the duration of tasks without estimates")] = 0.0,
    wp_correlation: Annotated[
        float | None,
        typer.Option(help="Correlate the tasks of each work package with this coefficient (0-1)."),
    ] = None,
    target_cost: Annotated[
        float | None, typer.Option(help="Budget to test against (default: approved).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Monte Carlo schedule and cost risk analysis; the run is stored for comparison."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, project)
            run = simulation.create_run(s, actor, pid, iterations=iterations, seed=seed, distribution=distribution,
                                        spread_low=spread_low, spread_high=spread_high,
                                        work_package_correlation=wp_correlation, target_cost=target_cost)  # fmt: skip
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                      console=console, transient=True, disable=as_json) as bar:  # fmt: skip
            job = bar.add_task("simulating (Ctrl-C cancels)", total=1.0)
            worker = threading.Thread(target=simulation.execute_run, args=(db, run["id"]), daemon=True,
                                      kwargs={"progress": lambda f, m: bar.update(job, completed=f, description=m)})  # fmt: skip
            worker.start()
            try:
                while worker.is_alive():
                    worker.join(0.2)
            except KeyboardInterrupt:
                with db.uow() as s:
                    simulation.cancel_run(s, acting(s), pid, run["id"])
                worker.join()
        with db.uow() as s:
            out = simulation.get_run(s, acting(s), pid, run["id"])
    finally:
        db.dispose()
    if as_json:
        print_json(out)
        return
    if out["status"] == "cancelled":
        fail(f"Run {out['id']} cancelled ({out['message']}); no results kept.")
    if out["status"] != "done":
        fail(f"error: the simulation failed: {out['error']}")
    res = out["result"]
    console.print(f"Run {out['id']}: {out['iterations']:,} iterations, seed {out['seed']}, {res['tasks_count']} tasks, "
                  f"{res['risks_count']} risk events")  # fmt: skip
    console.print(
        f"Deterministic finish: {res['deterministic']['date'] or '?'} ({res['deterministic']['days']} d)"
    )
    t = Table("percentile", "finish", "working days", "cost")
    costs = {c["p"]: c["value"] for c in (res["cost"] or {}).get("percentiles", [])}
    for f in res["finish"]:
        t.add_row(f"P{f['p']}", (f["date"] or "?")[:16], str(f["days"]), str(costs.get(f["p"], "-")))
    console.print(t)
    if res["p_target_date"] is not None:
        console.print(f"P(finish by {res['target_date']}): {res['p_target_date']:.0%}")
    if res["p_target_cost"] is not None:
        console.print(f"P(cost within {res['target_cost']:,.2f}): {res['p_target_cost']:.0%}")
    top = Table("driver", "sensitivity", "finish low (d)", "finish high (d)", title="Tornado")
    for d in res["tornado"]:
        top.add_row(escape(d["name"]), f"{d['sensitivity']:.2f}", str(d["low_days"]), str(d["high_days"]))
    console.print(top)
    for w in res["warnings"]:
        console.print(f"[yellow]{escape(w)}[/yellow]")


@risk_app.command("runs")
def runs_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The stored simulation runs, newest first, side by side: P50/P80/P90 finish, P80 cost, chances."""
    rows = run_in_project(project, lambda s, a, pid: simulation.list_runs(s, a, pid))
    if as_json:
        print_json(rows)
        return
    t = Table("run", "when", "iterations", "seed", "status", "P50 d", "P80 d", "P90 d", "P80 cost",
              "P(date)", "P(cost)", "params")  # fmt: skip
    for r in rows:
        res = r["result"] or {}
        f = {x["p"]: x["days"] for x in res.get("finish") or []}
        c = {x["p"]: x["value"] for x in res.get("cost_percentiles") or []}
        pd, pc = res.get("p_target_date"), res.get("p_target_cost")
        t.add_row(str(r["id"]), str(r["created_at"])[:16], f"{r['iterations']:,}", str(r["seed"]), r["status"],
                  *(str(f.get(p, "-")) for p in (50, 80, 90)), str(c.get(80, "-")),
                  "-" if pd is None else f"{pd:.0%}", "-" if pc is None else f"{pc:.0%}",
                  escape(" ".join(f"{k}={v}" for k, v in (r["params"] or {}).items())))  # fmt: skip
    console.print(t if rows else "No simulation runs yet.")


@risk_app.command("cancel-run")
def cancel_run_cmd(
    project: Project, run_id: Annotated[int, typer.Argument(help="The run's id (see `risk runs`).")],
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Cancel a queued or running simulation run (it stops at its next batch of iterations; nothing is kept)."""
    r = run_in_project(project, lambda s, a, pid: simulation.cancel_run(s, a, pid, run_id))
    print_result(r, as_json, f"Run {r['id']}: {r['status']} ({r['message']}).")


@risk_app.command("overview")
def overview_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The heat map (open risks per probability x impact cell, with their refs), the top risks and the open
    risks per work package."""
    ov = run_in_project(project, lambda s, a, pid: risk.overview(s, a, pid))
    if as_json:
        print_json(ov)
        return
    hm = Table("P \\ I", *(str(i) for i in range(1, 6)), title="Heat map (open risks)")
    for row in ov["heatmap"]["rows"]:
        hm.add_row(
            str(row["probability"]), *(" ".join(r["ref"] for r in c["risks"]) or "." for c in row["cells"])
        )
    console.print(hm)
    top = Table("ref", "title", "score", "owner", "status", title="Top threats")
    for r in ov["top"]:
        top.add_row(
            r["ref"], escape(r["title"]), str(r["score"] or "-"), escape(r["owner"] or "-"), r["status"]
        )
    console.print(top)
    wp = Table(
        "work package",
        "threats",
        "opportunities",
        "exposure",
        "max score",
        title="Open risks per work package",
    )
    for b in ov["by_work_package"]:
        wp.add_row(escape(b["work_package"]), str(b["threats"]), str(b["opportunities"]), str(b["exposure"]),
                   str(b["max_score"]))  # fmt: skip
    console.print(wp)


@risk_app.command("burndown")
def burndown_cmd(
    project: Project,
    weeks: Annotated[int, typer.Option(help="How many weeks back.")] = 12,
    as_json: JsonFlag = False,
) -> None:
    """Open threat exposure and opportunity per week (the risk burndown)."""
    rows = run_in_project(project, lambda s, a, pid: risk.burndown(s, a, pid, weeks))
    if as_json:
        print_json(rows)
        return
    t = Table("week", "exposure", "opportunity", "open")
    for w in rows:
        t.add_row(str(w["label"]), str(w["exposure"]), str(w["opportunity"]), str(w.get("open", "")))
    console.print(t)
