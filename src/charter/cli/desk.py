"""`charter desk` (what your roles ask of you today, project by project) and `charter portfolio` (every project
you can see at a glance): the web's Desk and Portfolio pages in the terminal."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fmt_date, open_db, print_json
from charter.domain.figures import figure_texts
from charter.domain.money import for_display
from charter.services import desks

RAG_STYLE = {"green": "green", "amber": "yellow", "red": "bold red", "grey": "dim"}


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _rag(colour: str) -> str:
    return f"[{RAG_STYLE.get(colour, '')}]{colour}[/]"


def _read(fn: Any) -> dict[str, Any]:
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            result: dict[str, Any] = fn(s, acting(s))
            return result
    finally:
        db.dispose()


def _flag(t: dict[str, Any]) -> str:
    return (
        " [bold red]overdue[/]"
        if t.get("overdue")
        else " [yellow]due this week[/]"
        if t.get("due_this_week")
        else ""
    )


def _conflicts(items: list[dict[str, Any]]) -> None:
    for c in items:
        left = f"; moves up in {c['time_left']}" if c.get("time_left") else ""
        console.print(f"  conflict {c['ref']} {escape(c['title'])} ({c['severity']}){left}")


def _approval_items(items: list[dict[str, Any]], currency: str) -> None:
    for a in items:
        kind = a.get("kind")
        if kind == "purchase_request":
            console.print(f"    purchase request {a['id']}: {escape(a['title'])} — "
                          f"{for_display(a['amount'], currency)} {currency}")  # fmt: skip
        elif kind == "budget_version":
            console.print(
                f"    budget version {a['number']} — {for_display(a['total'], currency)} {currency}"
            )
        elif kind == "invoice":
            console.print(f"    held invoice {escape(a['number'])} ({escape(a['order'])}) — "
                          f"{for_display(a['amount'], currency)} {currency}")  # fmt: skip
        else:
            console.print(f"    hours of {escape(a.get('user') or '')} on {a['day']}: "
                          f"{escape(a.get('task_name') or '')} ({a['hours']:g} h)")  # fmt: skip


def _pm(pm: dict[str, Any], currency: str) -> None:
    console.print("[bold]Project Manager[/bold]")
    t = Table("area", "health", "numbers")
    for name, a in pm["health"]["areas"].items():
        t.add_row(name, _rag(a["rag"]), escape(" · ".join(f"{k} {v}" for k, v in figure_texts(a["figures"]))))
    console.print(t)
    today = pm["today"]
    console.print(f"  {_n(len(today['approvals']), 'approval', 'approvals')} waiting (charter approvals)")
    _approval_items(today["approvals"], currency)
    console.print(f"  {_n(len(today['gaps']), 'responsibility gap', 'responsibility gaps')}")
    for g in today["gaps"]:
        console.print(f"    [red]{escape(g['message'])}[/]")
    n = today["overdue_communications"]
    console.print(f"  {_n(n, 'overdue communication', 'overdue communications')}")
    console.print(f"  {_n(len(today['conflicts']), 'conflict', 'conflicts')} with you")
    _conflicts(today["conflicts"])


def _leader(tl: dict[str, Any]) -> None:
    console.print(f"[bold]Task Leader · {escape(tl['work_package'] or '')}[/bold]")
    progress = f", {tl['progress']:g}% complete on average" if tl["progress"] is not None else ""
    console.print(f"  {_n(tl['tasks'], 'task', 'tasks')}{progress}")
    blocked = ", ".join(escape(b["name"]) for b in tl["blocked"])
    console.print(f"  {_n(len(tl['blocked']), 'task', 'tasks')} on hold{': ' + blocked if blocked else ''}")
    over = ", ".join(f"{escape(r['name'])} ({_n(r['over_days'], 'day', 'days')})" for r in tl["overloaded"])
    console.print(f"  {_n(len(tl['overloaded']), 'person', 'people')} overloaded in the next two weeks"
                  f"{': ' + over if over else ''}")  # fmt: skip
    n = len(tl["timesheets_to_approve"])
    console.print(f"  {_n(n, 'timesheet entry', 'timesheet entries')} to approve")
    _conflicts(tl["conflicts"])


def _print_project(p: dict[str, Any]) -> None:
    console.rule(f"[bold]{escape(p['project_key'])} · {escape(p['project'])}[/bold]", align="left")
    sec = p["sections"]
    if sec.get("project_manager"):
        _pm(sec["project_manager"], p.get("currency") or "")
    for tl in sec.get("task_leader") or []:
        _leader(tl)
    if sec.get("stakeholder"):
        console.print("[bold]Stakeholder[/bold] — what you raised:")
        for c in sec["stakeholder"]["raised"] or [{"subject": "nothing yet", "status": ""}]:
            status = f" — {c['status'].replace('_', ' ')}" if c["status"] else ""
            console.print(f"  {escape(c['subject'])}{status}")
    for li in sec.get("liaison") or []:
        console.print(f"[bold]Liaison[/bold] — {_n(li['inbox'], 'item', 'items')} in your department's inbox")
    if sec.get("sponsor"):
        sp = sec["sponsor"]
        console.print(f"[bold]Sponsor[/bold] — overall health {_rag(sp['health'])}; "
                      f"{_n(len(sp['approvals']), 'approval', 'approvals')} waiting")  # fmt: skip
        _approval_items(sp["approvals"], p.get("currency") or "")
        _conflicts(sp["conflicts"])
    if sec.get("worker"):
        console.print("[bold]Your tasks[/bold]")
        for t in sec["worker"]["tasks"] or []:
            finish = (
                f", finishes {fmt_date(t['finish'].date())}"
                if t["finish"] and t["status"] != "completed"
                else ""
            )
            console.print(f"  {escape(t['wbs_code'] or '')} {escape(t['name'])} — {t['percent_complete']:g}% complete"
                          f"{finish}{_flag(t)}")  # fmt: skip
        finished = sec["worker"].get("finished", 0)
        if not sec["worker"]["tasks"]:
            console.print("  Nothing left to do." if finished else "  No tasks assigned.")
        if finished:
            console.print(f"  and {_n(finished, 'finished task', 'finished tasks')}")


def desk(as_json: JsonFlag = False) -> None:
    """What your roles ask of you today, project by project (`--as` names the user): the Project Manager's
    health, approvals, responsibility gaps and conflicts; each Task Leader's work package (tasks on hold,
    people overloaded, hours to approve); a liaison's inbox; a sponsor's approvals; a worker's tasks with
    what is overdue or due this week."""
    data = _read(desks.desk)
    if as_json:
        print_json(data)
        return
    if not data["projects"]:
        console.print("You hold no role in a project right now.")
    for p in data["projects"]:
        _print_project(p)


def portfolio(as_json: JsonFlag = False) -> None:
    """Every project you can see: health by area, upcoming milestones, budgets per currency and the people
    overloaded in the next four weeks."""
    data = _read(desks.portfolio)
    if as_json:
        print_json(data)
        return
    t = Table(
        "project", "status", "phase", "overall", *data["areas"], title=f"Portfolio, week {data['week']}"
    )
    for p in data["projects"]:
        t.add_row(escape(p["key"]), p["status"], p["phase"], _rag(p["overall"]),
                  *[_rag(p["areas"][a]["rag"]) if a in p["areas"] else "" for a in data["areas"]])  # fmt: skip
    console.print(t if data["projects"] else "No projects you can see.")
    open_ms = [m for m in data["milestones"] if m["status"] != "completed"][:10]
    if open_ms:
        m_t = Table("project", "milestone", "finish", title="Next milestones")
        for m in open_ms:
            m_t.add_row(
                escape(m["project_key"]),
                escape(m["name"]),
                fmt_date(m["finish"].date() if m["finish"] else None),
            )
        console.print(m_t)
    for b in data["budget"]:
        cur = b["currency"]
        console.print(f"Budget {cur}: planned {for_display(b['planned'], cur)}, invoiced "
                      f"{for_display(b['invoiced'], cur)}")  # fmt: skip
    over = [r for r in data["resource_load"] if r["over_days"]]
    if over:
        console.print("Overloaded in the next four weeks: " + ", ".join(
            f"{escape(r['name'])} ({_n(r['over_days'], 'day', 'days')})" for r in over))  # fmt: skip
