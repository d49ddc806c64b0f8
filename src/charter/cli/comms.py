"""`charter messages list|send (post)|reply|forward|answer PROJECT ...` and `charter comms analytics PROJECT`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, console, fmt_time, print_json, print_result, run_in_project
from charter.domain.figures import counted
from charter.domain.roles import Perm
from charter.services import accounts, attachments, comms, comms_about, comms_analytics, org

messages_app = typer.Typer(
    help="Project messages, routed to the PM through each department's liaison.", no_args_is_help=True
)
comms_app = typer.Typer(help="Communication analytics.", no_args_is_help=True)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
About = Annotated[
    str | None,
    typer.Option(
        "--about", metavar="KIND:REF",
        help="The object the thread is about, in this project: task:ID|WBS|NAME (e.g. task:1.2), "
        "wp:WBS|ID|NAME, risk:R-n, change:CR-n, concern:ID, po:NUMBER or meeting:ID.",
    ),
]  # fmt: skip


def _about(s: Any, a: Any, pid: int, about: str | None) -> tuple[str | None, int | None]:
    return comms_about.find(s, a, pid, about) if about is not None else (None, None)


_run = run_in_project


def _about_text(about: dict[str, Any] | None) -> str:
    """What a thread is about, for a table cell: "task 1.2 Build API", "risk R-3 Supplier late"; "" for none."""
    if not about:
        return ""
    return (
        f"{about['word']} {about['name']}"
        if about["name"] is not None
        else f"{about['word']} {about['id']} (gone)"
    )


def _items_table(items: list[dict[str, Any]]) -> Table:
    t = Table("id", "received", "from", "department", "subject", "about", "route", "status")
    for i in items:
        t.add_row(str(i["id"]), fmt_time(i["received_at"]), escape(i["raised_by_name"] or ""),
                  escape(i["department"] or "—"), escape(i["subject"]), escape(_about_text(i["about"])),
                  i["route"], i["status"])  # fmt: skip
    return t


@messages_app.command("list")
def list_cmd(
    project: Project,
    status: Annotated[
        str | None,
        typer.Option(
            help="open, or one status (with_liaison, open, forwarded, delivered, answered, closed)."
        ),
    ] = None,
    about: About = None,
    as_json: JsonFlag = False,
) -> None:
    """The threads you may see (the PM: all; a liaison: their department's; others: their own); with --about,
    only those about that object (e.g. --about task:1.2)."""

    def go(s: Any, a: Any, pid: int) -> list[dict[str, Any]]:
        etype, eid = _about(s, a, pid, about)
        return comms.list_items(s, a, pid, status=status, entity_type=etype, entity_id=eid)

    items = _run(project, go)
    print_result(items, as_json, _items_table(items) if items else "No messages.")


Attach = Annotated[
    list[Path] | None,
    typer.Option(
        "--attach", exists=True, dir_okay=False, readable=True,
        help="A file to attach (repeat for several, at most 10). Accepted, checked from the content: "
        + attachments.kinds(attachments.MESSAGE_TYPES) + "; each within CHARTER_ATTACHMENT_MAX_BYTES.",
    ),
]  # fmt: skip


def _files(paths: list[Path] | None) -> list[attachments.Upload]:
    """The files as uploads; only one byte past the limit is read, so an oversized file is refused without
    reading it whole."""
    out = []
    for p in paths or []:
        with open(p, "rb") as f:
            out.append(attachments.Upload(p.name, f.read(attachments.max_bytes() + 1)))
    attachments.read_ahead(out)  # before the transaction: it never waits on a slow document
    return out


def _attached(item: dict[str, Any]) -> str:
    files = [f for m in item["messages"][-1:] for f in m["attachments"]]
    return f" with {counted(len(files), 'attachment')}" if files else ""


@messages_app.command("send")
def send_cmd(
    project: Project,
    subject: Annotated[str, typer.Option(help="Subject line.")],
    body: Annotated[str, typer.Option(help="Markdown text; @username mentions a member.")],
    to: Annotated[str, typer.Option(help="pm, user, department, role or project.")] = "pm",
    user: Annotated[str | None, typer.Option(help="The person (username or id) with --to user.")] = None,
    department: Annotated[
        str | None, typer.Option(help="Department name or id with --to department.")
    ] = None,
    role: Annotated[int | None, typer.Option(help="Role id with --to role.")] = None,
    kind: Annotated[str, typer.Option(help="message, concern, request or announcement.")] = "message",
    about: About = None,
    attach: Attach = None,
    as_json: JsonFlag = False,
) -> None:
    """Start a thread (optionally with attachments, optionally about a task, work package, risk, change
    request ... with --about). To the PM from a department with a liaison, it reaches the liaison first."""
    files = _files(attach)

    def go(s: Any, actor: Any, pid: int) -> dict[str, Any]:
        uid = accounts.find_user_id_in(s, actor, pid, Perm.COMMS_SEND, user) if user else None
        did = org.find_department_id(s, department) if department else None
        etype, eid = _about(s, actor, pid, about)
        return comms.send(s, actor, pid, to=to, subject=subject, body=body, kind=kind, to_user_id=uid,
                          to_department_id=did, to_role_id=role, entity_type=etype, entity_id=eid,
                          files=files)  # fmt: skip

    item = _run(project, go)
    if as_json:
        print_json(item)
        return
    via = f" via {item['liaison']}" if item["route"] == "via_liaison" else ""
    what = f" about the {item['about']['word']} {item['about']['name']}" if item["about"] else ""
    console.print(
        f"Message {item['id']} sent{escape(what)}{_attached(item)} ({item['route']}{via}; {item['status']})."
    )


messages_app.command("post", help="Start a thread, optionally with attachments (the same as `send`).")(
    send_cmd
)


@messages_app.command("reply")
def reply_cmd(
    project: Project,
    item: Annotated[int, typer.Argument(help="Id of the thread.")],
    body: Annotated[str, typer.Option(help="Markdown text; @username mentions a member.")],
    attach: Attach = None,
    as_json: JsonFlag = False,
) -> None:
    """Reply to a thread you can see, optionally with attachments."""
    files = _files(attach)
    out = _run(project, lambda s, a, pid: comms.reply(s, a, pid, item, body=body, files=files))
    print_result(out, as_json, f"Replied to message {out['id']}{_attached(out)}.")


@messages_app.command("forward")
def forward_cmd(
    project: Project,
    items: Annotated[list[int], typer.Argument(help="Ids of the items to forward together.")],
    note: Annotated[str, typer.Option(help="A note for the PM.")] = "",
    attach: Attach = None,
    as_json: JsonFlag = False,
) -> None:
    """As a department's liaison: forward one or several of its items in one go, optionally with files
    (they go with each item's forward note)."""
    files = _files(attach)
    fw = _run(project, lambda s, a, pid: comms.forward(s, a, pid, item_ids=items, note=note, files=files))
    if as_json:
        print_json(fw)
        return
    extra = f" with {counted(len(files), 'attachment')}" if files else ""
    console.print(f"Forward {fw['id']}: {counted(len(fw['items']), 'item')} passed on{extra}.")


@messages_app.command("answer")
def answer_cmd(
    project: Project,
    item: Annotated[int, typer.Argument(help="Id of the item.")],
    body: Annotated[str, typer.Option(help="The answer (Markdown).")],
    minutes: Annotated[int | None, typer.Option(help="PM only: minutes it took (default 10).")] = None,
    attach: Attach = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer an item (the liaison, the PM or the addressee), optionally with attachments."""
    files = _files(attach)
    out = _run(project, lambda s, a, pid: comms.answer(s, a, pid, item, body=body, pm_minutes=minutes,
                                                       files=files))  # fmt: skip
    print_result(out, as_json, f"Message {out['id']} answered{_attached(out)}.")


def _num(v: Any) -> str:
    return "—" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


@comms_app.command("analytics")
def analytics_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Items reaching the PM directly vs through a liaison, per ISO week and department; before/after each
    liaison; an estimate for departments without one."""
    data = _run(project, comms_analytics.analytics)
    if as_json:
        print_json(data)
        return
    t = Table("week", "department", "raised", "direct", "via liaison", "resolved by liaison", "PM min",
              "1st resp h", "answer h")  # fmt: skip
    for r in data["table"]:
        t.add_row(r["week"], escape(r["department"]), *(_num(r[k]) for k in (
            "raised", "direct", "via_liaison", "resolved_by_liaison", "pm_minutes", "avg_first_response_hours",
            "avg_answer_hours")))  # fmt: skip
    console.print(t if data["table"] else "No items have been raised to the PM yet.")
    for c in data["before_after"]:
        b, a = c["before"], c["after"]
        console.print(
            f"{escape(c['department'] or '')}: liaison since {fmt_time(c['liaison_since'])} — PM min/item "
            f"{_num(b['pm_minutes_per_item'])} → {_num(a['pm_minutes_per_item'])} (reduction {_num(c['reduction'])})"
        )
    for e in data["estimates"]:
        console.print(
            f"{escape(e['department'] or '')} (no liaison): {_num(e['current']['pm_minutes_per_week'])} PM min/week "
            f"now, estimated {_num(e['estimated_pm_minutes_per_week'])} with a liaison"
        )
    if not data["table"] and not data["before_after"]:
        return
    console.print(f"[dim]{escape(data['method'])}[/dim]")
