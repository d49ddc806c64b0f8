"""The outbox worker against a real SMTP server (aiosmtpd on 127.0.0.1): delivery, SMTP down and back,
a crash between claim and mark-sent, two workers on PostgreSQL, give-up after M attempts, the daily digest."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from charter.notify import email as mail
from charter.notify.worker import Claimed, Worker, start_background_worker
from charter.persistence.db import Database
from charter.persistence.models import OutboxMessage
from charter.services import notifications
from charter.services.context import now

IS_POSTGRES = os.environ.get("CHARTER_TEST_DATABASE_URL", "").strip().startswith("postgresql")
World = Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def recipients(self) -> Counter[tuple[str, str]]:
        with self.lock:
            return Counter((str(m["To"]), str(m["Subject"])) for m in self.messages)


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(_free_port())
    server.start()
    yield server
    server.stop()


def worker(db: Database, port: int, **kw: Any) -> Worker:
    return Worker(db=db, smtp=mail.SmtpConfig(host="127.0.0.1", port=port, timeout=5), now=now, **kw)


def tell(w: World, names: list[str], key: str, subject: str = "Task assigned") -> None:
    with w.db.uow() as s:
        notifications.notify(
            s,
            recipients=[w.users[n] for n in names],
            kind="task.assigned",
            subject=subject,
            body="Task A is yours",
            project_id=w.p1,
            link="/projects/1",
            event_key=key,
        )


def statuses(db: Database) -> Counter[str]:
    with db.uow(readonly=True) as s:
        return Counter(s.scalars(select(OutboxMessage.status)))


def test_the_smtp_server_receives_the_email(seed: World, frozen_clock: Any, smtp: SmtpServer) -> None:
    tell(seed, ["worker", "pm"], "ev:1")
    stats = worker(seed.db, smtp.port).run_once()
    assert stats.sent == 2
    assert smtp.mailbox.recipients() == Counter(
        {("worker@example.test", "Task assigned"): 1, ("pm@example.test", "Task assigned"): 1}
    )
    assert "Task A is yours" in smtp.mailbox.messages[0].get_payload()
    assert statuses(seed.db) == Counter({"sent": 2})
    assert worker(seed.db, smtp.port).run_once().claimed == 0  # a sent row is never sent again
    assert len(smtp.mailbox.messages) == 2


def test_smtp_down_keeps_the_row_pending_with_backoff_then_delivers(seed: World, frozen_clock: Any) -> None:
    server = SmtpServer(_free_port())  # not started: connection refused
    tell(seed, ["worker"], "ev:down")
    w = worker(seed.db, server.port)
    assert w.run_once().retried == 1
    with seed.db.uow(readonly=True) as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == frozen_clock.now + w.backoff(1)
        assert row.last_error
    assert w.run_once().claimed == 0  # not due yet
    frozen_clock.advance(seconds=31)
    assert w.run_once().retried == 1  # still down: backoff doubles
    with seed.db.uow(readonly=True) as s:
        assert s.scalars(select(OutboxMessage.next_attempt_at)).one() == frozen_clock.now + w.backoff(2)
    server.start()
    try:
        frozen_clock.advance(seconds=61)
        assert w.run_once().sent == 1
        assert server.mailbox.recipients() == Counter({("worker@example.test", "Task assigned"): 1})
    finally:
        server.stop()
    assert statuses(seed.db) == Counter({"sent": 1})


class Crash(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no handler catches it."""


def test_a_crash_between_claim_and_mark_sent_loses_nothing_and_sends_once(
    seed: World, frozen_clock: Any, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["worker", "pm", "sponsor", "observer", "stakeholder"]
    tell(seed, names, "ev:a", subject="A")
    tell(seed, names, "ev:b", subject="B")

    # worker 1 claims everything and dies before sending anything
    def die(rows: list[Claimed]) -> None:
        raise Crash

    with pytest.raises(Crash):
        worker(seed.db, smtp.port, after_claim=die).run_once()
    assert statuses(seed.db) == Counter({"sending": 10})

    # worker 2 (a restart) must wait for the lock to expire, then sends some and dies in the middle
    real_send = mail.send
    calls = {"n": 0}

    def flaky_send(*args: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise Crash
        real_send(*args, **kw)

    w2 = worker(seed.db, smtp.port)
    assert w2.run_once().claimed == 0
    frozen_clock.advance(seconds=w2.lock_seconds + 1)
    monkeypatch.setattr(mail, "send", flaky_send)
    with pytest.raises(Crash):
        w2.run_once()
    monkeypatch.setattr(mail, "send", real_send)
    assert statuses(seed.db) == Counter({"sent": 3, "sending": 7})

    # worker 3 delivers the rest once the locks expire
    frozen_clock.advance(seconds=w2.lock_seconds + 1)
    assert worker(seed.db, smtp.port).run_once().sent == 7
    got = smtp.mailbox.recipients()
    expected = Counter({(f"{n}@example.test", subj): 1 for n in names for subj in ("A", "B")})
    assert got == expected
    assert statuses(seed.db) == Counter({"sent": 10})


def test_gives_up_after_max_attempts_and_admins_see_it(seed: World, frozen_clock: Any) -> None:
    tell(seed, ["worker"], "ev:never")
    w = worker(seed.db, _free_port(), max_attempts=3)
    for _ in range(3):
        w.run_once()
        frozen_clock.advance(hours=1)
    assert statuses(seed.db) == Counter({"failed": 1})
    assert w.run_once().claimed == 0
    with seed.db.uow(readonly=True) as s:
        rows = notifications.list_outbox(s, seed.actor("admin"))
    assert [(r["status"], r["attempts"]) for r in rows] == [("failed", 3)]
    assert rows[0]["last_error"]


@pytest.mark.skipif(not IS_POSTGRES, reason="several workers at once is a PostgreSQL setup (SKIP LOCKED)")
def test_two_workers_on_postgresql_never_send_the_same_email_twice(
    seed: World, frozen_clock: Any, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["worker", "pm", "sponsor", "observer", "stakeholder", "liaison", "task_leader", "task_leader_b"]
    for i in range(5):
        tell(seed, names, f"ev:{i}", subject=f"S{i}")
    real_send = mail.send

    def slow_send(*args: Any, **kw: Any) -> None:
        time.sleep(0.01)  # widen the window in which both workers look at the outbox
        real_send(*args, **kw)

    monkeypatch.setattr(mail, "send", slow_send)
    dbs = [Database(seed.db.url) for _ in range(2)]
    stats: list[Any] = []
    barrier = threading.Barrier(2)

    def run(database: Database) -> None:
        barrier.wait(timeout=10)
        stats.append(worker(database, smtp.port, batch=4).run_once())

    threads = [threading.Thread(target=run, args=(d,)) for d in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for d in dbs:
        d.dispose()
    assert len(stats) == 2
    assert sum(st.sent for st in stats) == 40
    got = smtp.mailbox.recipients()
    assert len(got) == 40 and set(got.values()) == {1}
    assert statuses(seed.db) == Counter({"sent": 40})


def test_the_digest_groups_a_days_notifications_into_one_email(
    seed: World, frozen_clock: Any, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_PUBLIC_URL", "https://pm.example.org")  # links in e-mails are whole addresses
    with seed.db.uow() as s:
        notifications.set_preferences(
            s, seed.actor("worker"), [{"kind": "*", "in_app": True, "email": "digest"}]
        )
    for i in range(3):
        tell(seed, ["worker"], f"ev:{i}", subject=f"Item {i}")
        frozen_clock.advance(hours=2)
    w = worker(seed.db, smtp.port)
    assert w.run_once().sent == 0  # the day is not over; no immediate mail either
    frozen_clock.advance(days=1)
    stats = w.run_once()
    assert (stats.digests, stats.sent) == (1, 1)
    assert len(smtp.mailbox.messages) == 1
    msg = smtp.mailbox.messages[0]
    assert msg["To"] == "worker@example.test" and "digest" in msg["Subject"]
    text = msg.get_payload()
    assert all(f"Item {i}" in text for i in range(3))
    assert text.count("  https://pm.example.org/projects/1\r\n") == 3
    assert w.run_once().digests == 0  # idempotent per user and day
    assert len(smtp.mailbox.messages) == 1


def test_background_worker_delivers_and_stops(seed: World, frozen_clock: Any, smtp: SmtpServer) -> None:
    class Settings:
        smtp_host, smtp_port, smtp_from, webhook_allow_hosts = "127.0.0.1", smtp.port, "c@example.test", ""

    tell(seed, ["worker"], "ev:bg")
    stop = start_background_worker(seed.db, settings=Settings(), poll_seconds=0.05, now=now)
    try:
        deadline = time.monotonic() + 10
        while not smtp.mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        started = time.monotonic()
        stop()
    assert time.monotonic() - started < 5
    assert len(smtp.mailbox.messages) == 1


# --------------------------------------------------------------------------------------------- attachments


def _publish_report(w: World, frozen_clock: Any) -> int:
    """P1's weekly report of 7-13 January 2030, published on the 14th to the Sponsor and the stakeholder."""
    import datetime as dt

    from charter.persistence.models import Project
    from charter.services import comm_plan, projects, reports, scheduling

    frozen_clock.set(dt.datetime(2030, 1, 7, 9, tzinfo=dt.UTC))
    pm = w.actor("pm")
    with w.db.uow() as s:
        version = s.get(Project, w.p1).version
        projects.update_project(s, w.actor("admin"), w.p1, version, start_date=dt.date(2030, 1, 7),
                                name="Zürich – Ωmega")  # fmt: skip
        scheduling.recompute(s, w.p1)
    frozen_clock.set(dt.datetime(2030, 1, 14, 9, tzinfo=dt.UTC))
    with w.db.uow() as s:
        comm_plan.create_entry(s, pm, w.p1, information="Weekly status report", audience="role",
                               audience_role_id=w.roles["sponsor"], frequency="weekly", channel="report")  # fmt: skip
        comm_plan.create_entry(s, pm, w.p1, information="Status report", audience="user",
                               audience_user_id=w.users["stakeholder"], frequency="weekly", channel="email")  # fmt: skip
        r = reports.create_draft(s, pm, w.p1, period="week", day=dt.date(2030, 1, 8))
        reports.publish(s, pm, w.p1, r["id"], r["version"])
    return int(r["id"])


def _body(msg: Message) -> str:
    part = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data.decode(part.get_content_charset() or "utf-8")


def _pdf_parts(msg: Message) -> list[Message]:
    return [p for p in msg.walk() if p.get_content_type() == "application/pdf"]


def report_worker(db: Database, port: int, **kw: Any) -> Worker:
    from charter.services import scheduled

    return worker(db, port, attachments=scheduled.attachment_resolvers(), **kw)


def test_a_published_report_arrives_with_its_pdf_once_even_after_a_worker_crash(
    seed: World, frozen_clock: Any, smtp: SmtpServer
) -> None:
    import io

    from pypdf import PdfReader

    report_id = _publish_report(seed, frozen_clock)
    with seed.db.uow(readonly=True) as s:  # the outbox holds a reference, never the file
        payloads = [m.payload for m in s.scalars(select(OutboxMessage))]
    refs = [p["attachments"] for p in payloads]
    assert (
        refs
        == [[{"kind": "status_report.pdf", "report_id": report_id, "filename": "P1-week-2030-01-07.pdf"}]] * 2
    )

    def die(rows: list[Claimed]) -> None:
        raise Crash

    with pytest.raises(Crash):  # the first worker claims both and dies before sending
        report_worker(seed.db, smtp.port, after_claim=die).run_once()
    restarted = report_worker(seed.db, smtp.port)
    frozen_clock.advance(seconds=restarted.lock_seconds + 1)
    assert restarted.run_once().sent == 2
    assert report_worker(seed.db, smtp.port).run_once().claimed == 0
    assert sorted(str(m["To"]) for m in smtp.mailbox.messages) == ["sponsor@example.test",
                                                                 "stakeholder@example.test"]  # fmt: skip
    for msg in smtp.mailbox.messages:
        (part,) = _pdf_parts(msg)
        assert part.get_filename() == "P1-week-2030-01-07.pdf"
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes) and data.startswith(b"%PDF")
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert "Zürich – Ωmega (P1)" in text and "Status by area" in text
        body = _body(msg)
        assert "The PDF is attached" in body and f"/reports/{report_id}" in body


def test_a_pdf_over_the_limit_or_gone_is_left_out_and_the_mail_says_so(
    seed: World, frozen_clock: Any, smtp: SmtpServer
) -> None:
    import dataclasses

    from charter.persistence.models import StatusReport

    report_id = _publish_report(seed, frozen_clock)
    small = report_worker(seed.db, smtp.port)
    small.smtp = dataclasses.replace(small.smtp, max_attachment_bytes=1000)
    with seed.db.uow() as s:  # one recipient's mail goes out now, under a 1000-byte limit
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        rows[1].next_attempt_at = now() + timedelta(hours=1)
    assert small.run_once().sent == 1
    msg = smtp.mailbox.messages[0]
    assert _pdf_parts(msg) == []
    body = _body(msg)
    assert "P1-week-2030-01-07.pdf" in body and "is not attached" in body and "limited to 1 KB" in body

    with seed.db.uow() as s:  # the report disappears before the other mail is sent
        s.delete(s.get(StatusReport, report_id))
    frozen_clock.advance(seconds=3601)
    assert report_worker(seed.db, smtp.port).run_once().sent == 1
    gone = smtp.mailbox.messages[1]
    assert _pdf_parts(gone) == [] and "is no longer available" in _body(gone)


def test_a_worker_that_cannot_produce_the_attachment_retries_instead_of_sending_without(
    seed: World, frozen_clock: Any, smtp: SmtpServer
) -> None:
    _publish_report(seed, frozen_clock)
    plain = worker(seed.db, smtp.port)  # no resolvers registered
    assert plain.run_once().retried == 2
    assert smtp.mailbox.messages == []
    with seed.db.uow(readonly=True) as s:
        assert {m.last_error for m in s.scalars(select(OutboxMessage))} == {
            "RuntimeError: this worker cannot produce attachments of kind 'status_report.pdf'"
        }
    frozen_clock.advance(seconds=plain.backoff(1).total_seconds() + 1)
    assert report_worker(seed.db, smtp.port).run_once().sent == 2
    assert all(len(_pdf_parts(m)) == 1 for m in smtp.mailbox.messages)
