"""`charter worker` (deliver the outbox, run the daily digest) and `charter notify test EMAIL`."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from charter.cli.common import acting, console, open_db
from charter.config import get_settings
from charter.notify.worker import from_settings
from charter.services import notifications, scheduled
from charter.services.context import now

notify_app = typer.Typer(
    help="Notifications: test the mail set-up, compact the outbox.", no_args_is_help=True
)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="One pass (digests, then the outbox), then exit.")
    ] = False,
    poll: Annotated[
        float | None, typer.Option(help="Seconds between passes (default CHARTER_WORKER_POLL_SECONDS).")
    ] = None,
) -> None:
    """Deliver queued email and webhooks, retrying with backoff, and send the daily digests. Ctrl-C stops after
    the message in flight. On PostgreSQL several workers may run at once."""
    settings = get_settings()
    db = open_db()
    w = from_settings(
        db, settings, now=now, jobs=scheduled.jobs(), attachments=scheduled.attachment_resolvers()
    )
    if not w.smtp.host:
        console.print("[yellow]no SMTP host (CHARTER_SMTP_HOST): email stays queued; webhooks are sent[/]")

    def _stop(signum: int, _frame: Any) -> None:
        console.print("stopping after the message in flight ...")
        w.stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if once:
            stats = w.run_once()
            console.print(
                f"sent {stats.sent}, retry later {stats.retried}, failed {stats.failed}, digests queued {stats.digests}"
            )
        else:
            interval = poll if poll is not None else settings.worker_poll_seconds
            console.print(f"worker {w.name}: polling every {interval:g} s (Ctrl-C stops)")
            w.run_forever(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        db.dispose()


@notify_app.command("test")
def test_email(email: Annotated[str, typer.Argument(help="Where to send the test message.")]) -> None:
    """Send one test email now through the configured SMTP server (admins)."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            out = notifications.send_test_email(s, acting(s), email)
    finally:
        db.dispose()
    console.print(f"sent a test message to {out['to']} via {out['smtp']}")


@notify_app.command("compact")
def compact(
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=1,
            help="Days since sending (default CHARTER_OUTBOX_KEEP_DAYS, 90 unless set).",
        ),
    ] = None,
) -> None:
    """Drop the text of e-mails and webhook events delivered long ago (admins). Each delivery's row stays
    with its kind and subject: it keeps a reminder from being sent twice. The worker does this on every
    pass; run it by hand after lowering CHARTER_OUTBOX_KEEP_DAYS."""
    db = open_db()
    total, before = 0, None
    try:
        with console.status("compacting the outbox ...") as status:
            while True:
                with db.uow() as s:
                    out = notifications.compact_outbox(s, acting(s), older_than_days=older_than)
                total, before = total + out["compacted"], out["before"]
                status.update(f"compacting the outbox ... {total}")
                if not out["more"]:
                    break
    finally:
        db.dispose()
    if before is None:
        console.print("Nothing to compact: CHARTER_OUTBOX_KEEP_DAYS is 0 (keep everything).")
        return
    word = "delivery" if total == 1 else "deliveries"
    console.print(f"Compacted {total} {word} sent before {before:%Y-%m-%d %H:%M} UTC.")
