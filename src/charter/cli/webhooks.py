"""`charter webhook list|add|update|remove|deliveries|ping PROJECT ...`: a project's webhooks, which send its
notifications (and, when subscribed, its recorded changes) to another system as signed JSON POSTs (delivered
by `charter worker`). Managing them needs project.edit (the Project Manager), as on the web page and the API."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from charter.cli.common import JsonFlag, console, fmt_time, print_result, print_rows, run_in_project
from charter.domain import notifications as kinds
from charter.domain.errors import NotFound, ValidationError
from charter.services import webhooks as webhook_admin
from charter.services.context import Actor

webhook_app = typer.Typer(
    help="Webhooks of a project: where its notifications are sent, which kinds, and how delivery went.",
    no_args_is_help=True,
)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Hook = Annotated[int, typer.Argument(help="The webhook's id (see `charter webhook list`).")]
Version = Annotated[int | None, typer.Option(help="The version you read (default: the current one).")]
EventsOpt = Annotated[
    str | None,
    typer.Option(
        "--events",
        help="Comma-separated events to send: notification kinds, e.g. 'task.assigned,risk.owner' ('' for every "
        "kind), and changes: 'change.*' (every recorded change) or 'change.<entity_type>', e.g. "
        "'change.task,change.risk'; changes are sent only when named. `charter webhook kinds` lists them.",
    ),
]


def _events(value: str | None) -> list[str] | None:
    return None if value is None else [e.strip() for e in value.split(",") if e.strip()]


def _sends(h: dict[str, Any]) -> str:
    return ", ".join(h["events"]) if h["events"] else "every kind"


def _find(s: Session, a: Actor, pid: int, webhook_id: int) -> dict[str, Any]:
    for h in webhook_admin.list_webhooks(s, a, pid):
        if h["id"] == webhook_id:
            return h
    raise NotFound(f"webhook {webhook_id} not found", field="webhook")


def _secret_line(h: dict[str, Any], what: str) -> str:
    return (
        f"Webhook {h['id']} {what}: {escape(h['url'])}.\n"
        f"Secret (shown once, copy it now): {escape(h['secret'])}"
    )


@webhook_app.command("kinds")
def kinds_cmd(as_json: JsonFlag = False) -> None:
    """The events a webhook can be sent: the notification kinds, by area, and the change feed's events."""
    rows = [{"kind": k, "area": area, "label": text} for k, (area, text) in kinds.KINDS.items()]
    rows += [
        {"kind": "change.*", "area": "Change feed", "label": "Every recorded change of the project"},
        {"kind": "change.<entity_type>", "area": "Change feed",
         "label": "Recorded changes of one kind of record: change.task, change.risk, change.budget_line ..."},
    ]  # fmt: skip
    print_rows(rows, ("Kind", "Area", "What"), lambda r: (r["kind"], r["area"], r["label"]), as_json=as_json,
               empty="No kinds.")  # fmt: skip


@webhook_app.command("list")
def list_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The project's webhooks: address, kinds sent, active or not."""
    rows = run_in_project(project, lambda s, a, pid: webhook_admin.list_webhooks(s, a, pid))
    print_rows(rows, ("Id", "Address", "Sends", "Active", "Version"),
               lambda h: (str(h["id"]), escape(h["url"]), _sends(h), "yes" if h["active"] else "no",
                          str(h["version"])),
               as_json=as_json, empty="No webhooks.")  # fmt: skip


@webhook_app.command("add")
def add_cmd(
    project: Project,
    url: Annotated[
        str, typer.Argument(help="Where to POST: an http(s) address that resolves to a public host.")
    ],
    events: EventsOpt = None,
    inactive: Annotated[bool, typer.Option("--inactive", help="Add it switched off.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a webhook. Its secret signs every delivery (X-Charter-Signature: sha256=HMAC of the body) and is
    printed once."""
    h = run_in_project(project, lambda s, a, pid: webhook_admin.create_webhook(
        s, a, pid, url=url, events=_events(events), active=not inactive))  # fmt: skip
    print_result(h, as_json, _secret_line(h, "added"))


@webhook_app.command("update")
def update_cmd(
    project: Project,
    webhook: Hook,
    url: Annotated[str | None, typer.Option(help="A new address.")] = None,
    events: EventsOpt = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Switch it on or off.")] = None,
    rotate_secret: Annotated[
        bool, typer.Option("--rotate-secret", help="Replace the secret (printed once).")
    ] = False,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a webhook: only the options given change."""
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = url
    if events is not None:
        changes["events"] = _events(events)
    if active is not None:
        changes["active"] = active
    if rotate_secret:
        changes["rotate_secret"] = True
    if not changes:
        raise ValidationError("nothing to change: give at least one option", field="webhook")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        current = _find(s, a, pid, webhook)
        v = version if version is not None else current["version"]
        return webhook_admin.update_webhook(s, a, pid, webhook, v, **changes)

    h = run_in_project(project, go)
    line = (_secret_line(h, "updated") if rotate_secret else
            f"Webhook {h['id']} updated: {escape(h['url'])}, sends {_sends(h)}, "
            f"{'active' if h['active'] else 'inactive'}.")  # fmt: skip
    print_result(h, as_json, line)


@webhook_app.command("remove")
def remove_cmd(project: Project, webhook: Hook, version: Version = None) -> None:
    """Remove a webhook; deliveries still queued for it fail."""

    def go(s: Session, a: Actor, pid: int) -> None:
        v = version if version is not None else _find(s, a, pid, webhook)["version"]  # the version it read
        webhook_admin.delete_webhook(s, a, pid, webhook, v)

    run_in_project(project, go)
    console.print(f"Webhook {webhook} removed.")


@webhook_app.command("deliveries")
def deliveries_cmd(
    project: Project,
    webhook: Hook,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """The webhook's latest deliveries: what was sent, status, attempts and the last error."""
    rows = run_in_project(
        project, lambda s, a, pid: webhook_admin.webhook_deliveries(s, a, pid, webhook, limit=limit)
    )
    print_rows(rows, ("Id", "Queued", "Event", "Status", "Attempts", "Last error"),
               lambda d: (str(d["id"]), fmt_time(d["created_at"]), escape(d["kind"] or ""), d["status"],
                          str(d["attempts"]), escape(d["last_error"] or "")),
               as_json=as_json, empty="Nothing sent yet.")  # fmt: skip


@webhook_app.command("ping")
def ping_cmd(project: Project, webhook: Hook, as_json: JsonFlag = False) -> None:
    """Queue a test event (kind webhook.ping) to the webhook; `charter worker` delivers it."""
    d = run_in_project(project, lambda s, a, pid: webhook_admin.ping_webhook(s, a, pid, webhook))
    print_result(d, as_json, f"Test event queued for webhook {webhook} (delivery {d['id']}).")
