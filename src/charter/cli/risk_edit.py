"""`charter risk update|status|action|comment PROJECT R-n ...`: working a risk from the command line as on its
page and through PATCH …/risks/{id}, POST …/status, …/actions and …/comments (its owner or whoever manages
risks; the same services, so the same checks, the rating history and the journal)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape

from charter.cli.common import JsonFlag, console, print_json, print_result, ref_number, run_in_project
from charter.cli.risk import Project, risk_app
from charter.domain.errors import NotFound, ValidationError
from charter.services import risk, work_packages
from charter.services.timesheets import find_task_id

Ref = Annotated[str, typer.Argument(help="The risk: R-n or n.")]
Version = Annotated[
    int | None, typer.Option("--version", help="The version you read (default: the current one).")
]
Level = Annotated[int | None, typer.Option(min=1, max=5)]


def find_risk(s: Any, a: Any, pid: int, ref: str) -> dict[str, Any]:
    """The risk R-n of the project (as `risk.get_risk` gives it)."""
    number = ref_number(ref, "R", "risk")
    match = [r for r in risk.list_risks(s, a, pid) if r["number"] == number]
    if not match:
        raise NotFound(f"risk R-{number} not found in this project", field="risk")
    return risk.get_risk(s, a, pid, match[0]["id"])


def _day(value: str | None, field: str) -> dt.date | None:
    if value is None or value.strip().lower() in ("", "none"):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)", field=field) from None


def _summary(r: dict[str, Any]) -> str:
    return (
        f"{r['ref']} {escape(r['title'])}: {r['status']}, score {r['score'] or '-'} (residual "
        f"{r['residual_score'] or '-'}), owner {escape(r['owner'] or '-')}, strategy {r['strategy'] or '-'} "
        f"(version {r['version']})"
    )


@risk_app.command("update")
def update_cmd(
    project: Project,
    ref: Ref,
    title: Annotated[str | None, typer.Option(help="What might happen.")] = None,
    kind: Annotated[str | None, typer.Option(help="threat or opportunity")] = None,
    category: Annotated[str | None, typer.Option(help="technical, vendor, people, security, ...")] = None,
    cause: Annotated[str | None, typer.Option()] = None,
    event: Annotated[str | None, typer.Option()] = None,
    effect: Annotated[str | None, typer.Option()] = None,
    probability: Level = None,
    schedule: Annotated[int | None, typer.Option(min=1, max=5, help="schedule impact 1-5")] = None,
    cost: Annotated[int | None, typer.Option(min=1, max=5, help="cost impact 1-5")] = None,
    quality: Annotated[int | None, typer.Option(min=1, max=5, help="quality impact 1-5")] = None,
    scope: Annotated[int | None, typer.Option(min=1, max=5, help="scope impact 1-5")] = None,
    residual_probability: Annotated[
        int | None, typer.Option(min=1, max=5, help="probability 1-5 once the response works")
    ] = None,
    residual_impact: Annotated[
        int | None, typer.Option(min=1, max=5, help="impact 1-5 once the response works")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="username of a project member")] = None,
    task: Annotated[
        str | None, typer.Option(help="the task a risk event would delay: id, WBS code or name")
    ] = None,
    strategy: Annotated[
        str | None,
        typer.Option(help="avoid, mitigate, transfer, accept (threats); exploit, enhance, share, accept"),
    ] = None,
    response: Annotated[str | None, typer.Option(help="what is done about it")] = None,
    triggers: Annotated[str | None, typer.Option(help="the signs that it is about to happen")] = None,
    review: Annotated[str | None, typer.Option(help="next review date YYYY-MM-DD ('none' clears it)")] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-rate or rewrite a risk (its owner, or whoever manages risks): what is not given stays as it is; every
    rating change is kept in its history."""
    given: dict[str, Any] = {
        "title": title, "kind": kind, "category": category, "cause": cause, "event": event, "effect": effect,
        "probability": probability, "impact_schedule": schedule, "impact_cost": cost, "impact_quality": quality,
        "impact_scope": scope, "residual_probability": residual_probability, "residual_impact": residual_impact,
        "strategy": strategy, "response": response, "triggers": triggers,
    }  # fmt: skip
    fields = {k: v for k, v in given.items() if v is not None}
    if review is not None:
        fields["review_date"] = _day(review, "review_date")
    if not fields and owner is None and task is None:
        raise ValidationError(
            "nothing to change: give an option such as --probability or --owner", field="risk"
        )

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        r = find_risk(s, a, pid, ref)
        if owner is not None:
            fields["owner_id"] = risk.find_owner_id(s, a, pid, r["id"], owner)
        if task is not None:
            fields["task_id"] = find_task_id(s, a, pid, task)
        return risk.update_risk(
            s, a, pid, r["id"], version if version is not None else r["version"], **fields
        )

    r = run_in_project(project, go)
    print_result(r, as_json, "Updated " + _summary(r))


@risk_app.command("status")
def status_cmd(
    project: Project,
    ref: Ref,
    status: Annotated[str, typer.Argument(help="identified, assessed, responding, closed or occurred")],
    occurred_on: Annotated[
        str | None, typer.Option(help="occurred: the day it happened (default today)")
    ] = None,
    note: Annotated[str | None, typer.Option(help="occurred: what happened")] = None,
    open_conflict: Annotated[
        bool, typer.Option("--open-conflict", help="occurred: log it in the conflict log at once")
    ] = False,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Move a risk through its lifecycle (identified -> assessed -> responding -> closed; an open risk that
    happens becomes occurred, an issue; a closed one may be reopened as identified)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        r = find_risk(s, a, pid, ref)
        return risk.set_status(s, a, pid, r["id"], version if version is not None else r["version"], status,
                               occurred_on=_day(occurred_on, "occurred_on"), note=note,
                               open_conflict=open_conflict)  # fmt: skip

    r = run_in_project(project, go)
    print_result(r, as_json, _summary(r))


@risk_app.command("action")
def action_cmd(
    project: Project,
    ref: Ref,
    task: Annotated[str | None, typer.Option(help="an existing task: id, WBS code or name")] = None,
    name: Annotated[str | None, typer.Option(help="a new task's name (created in the schedule)")] = None,
    duration: Annotated[str, typer.Option(help="the new task's duration, e.g. 3d or 4h")] = "1d",
    wp: Annotated[
        str | None,
        typer.Option("--wp", help="the new task's work package (default: the risk's): code or name"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a response action to a risk: an existing task (--task) or a new task in the schedule (--name)."""
    if (task is None) == (name is None):
        raise ValidationError(
            "give --task (an existing task) or --name (a new one), one of them", field="task"
        )

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        r = find_risk(s, a, pid, ref)
        if task is not None:
            return risk.add_action(s, a, pid, r["id"], task_id=find_task_id(s, a, pid, task))
        extra: dict[str, Any] = {"name": name, "duration": duration}
        if wp is not None:
            extra["work_package_id"] = work_packages.find_work_package_id(s, a, pid, wp)
        return risk.add_action(s, a, pid, r["id"], **extra)

    r = run_in_project(project, go)
    if as_json:
        print_json(r)
        return
    console.print(f"{r['ref']} {escape(r['title'])}: {len(r['actions'])} response action(s)")
    for act in r["actions"]:
        console.print(f"  {escape(act['name'])} ({act['status']}, {act['percent_complete']:g}%)")


@risk_app.command("comment")
def comment_cmd(
    project: Project,
    ref: Ref,
    body: Annotated[str, typer.Argument(help="The comment (Markdown).")],
    as_json: JsonFlag = False,
) -> None:
    """Add to a risk's discussion (anyone who may raise risks in the project)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        return risk.add_comment(s, a, pid, find_risk(s, a, pid, ref)["id"], body)

    c = run_in_project(project, go)
    print_result(c, as_json, f"Comment added to R-{ref_number(ref, 'R', 'risk')}.")
