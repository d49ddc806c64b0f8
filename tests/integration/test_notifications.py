"""notify(): inbox + outbox in the caller's transaction, preferences, webhooks (SSRF guard at save and send
time, signature), the inbox API."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.notify import email as mail
from charter.notify import netguard, webhooks
from charter.notify.worker import Worker
from charter.persistence.db import Database
from charter.persistence.models import Notification, OutboxMessage
from charter.services import notifications
from charter.services import webhooks as webhook_admin
from charter.services.context import SYSTEM, now

World = Any


def tell(s: Any, w: World, names: list[str], key: str, kind: str = "task.assigned") -> dict[str, int]:
    return notifications.notify(
        s,
        recipients=[w.users[n] for n in names],
        kind=kind,
        subject="Task assigned",
        body="Task A is yours",
        project_id=w.p1,
        link="/projects/1",
        event_key=key,
    )


def count(db: Database, model: Any) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_an_emails_link_is_whole_under_the_public_url(
    seed: World, frozen_clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from charter.config import Settings, get_settings

    def bodies() -> list[str]:
        with seed.db.uow(readonly=True) as s:
            return [m.payload["body"] for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]

    with seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:path")
    assert bodies() == ["Task A is yours\n\n/projects/1"]  # no public address: the path, as the inbox has it
    monkeypatch.setenv("CHARTER_PUBLIC_URL", " https://pm.example.org/charter/ ")
    get_settings.cache_clear()
    with seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:whole")
    assert bodies()[-1] == "Task A is yours\n\nhttps://pm.example.org/charter/projects/1"
    for bad in ("pm.example.org", "ftp://pm.example.org", "https://pm.example.org/?a=1", "https://"):
        with pytest.raises(ValueError, match="CHARTER_PUBLIC_URL"):
            Settings(public_url=bad)


def test_notify_writes_inbox_and_outbox_in_the_callers_transaction(seed: World, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        assert tell(s, seed, ["worker", "pm"], "ev:1") == {"inbox": 2, "email": 2, "webhook": 0}
    assert (count(seed.db, Notification), count(seed.db, OutboxMessage)) == (2, 2)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:2")
        raise Boom
    assert (count(seed.db, Notification), count(seed.db, OutboxMessage)) == (2, 2)

    with seed.db.uow() as s:  # the same event again tells nobody twice
        assert tell(s, seed, ["worker", "pm", "worker"], "ev:1") == {"inbox": 0, "email": 0, "webhook": 0}
    assert (count(seed.db, Notification), count(seed.db, OutboxMessage)) == (2, 2)


def test_preferences_decide_the_channels(seed: World, frozen_clock: Any) -> None:
    with seed.db.uow() as s:
        notifications.set_preferences(
            s,
            seed.actor("worker"),
            [
                {"kind": "*", "in_app": True, "email": "off"},
                {"kind": "risk.owner", "in_app": False, "email": "digest"},
            ],
        )
        assert tell(s, seed, ["worker"], "ev:1") == {"inbox": 1, "email": 0, "webhook": 0}
        assert tell(s, seed, ["worker"], "ev:2", kind="risk.owner") == {"inbox": 1, "email": 0, "webhook": 0}
        inbox = notifications.list_inbox(s, seed.actor("worker"))
        assert [n["kind"] for n in inbox] == ["task.assigned"]  # the digest-only entry is not in the inbox
        assert notifications.get_preferences(s, seed.actor("worker"))[0]["kind"] == "*"
        assert notifications.get_preferences(s, seed.actor("pm")) == [notifications.DEFAULT_PREFERENCE]


def test_inbox_api_lists_counts_and_marks_own_read(
    seed: World, frozen_clock: Any, api: Any, as_: Any
) -> None:
    with seed.db.uow() as s:
        tell(s, seed, ["worker", "pm"], "ev:1")
        tell(s, seed, ["worker"], "ev:2")
    r = api.get("/me/notifications", headers=as_("worker"))
    assert r.status_code == 200 and r.json()["unread"] == 2
    first = r.json()["items"][0]["id"]
    assert api.post(f"/me/notifications/{first}/read", headers=as_("worker")).json()["read_at"]
    assert api.get("/me/notifications", headers=as_("worker")).json()["unread"] == 1
    pm_note = api.get("/me/notifications", headers=as_("pm")).json()["items"][0]["id"]
    assert api.post(f"/me/notifications/{pm_note}/read", headers=as_("worker")).status_code == 404
    r = api.put(
        "/me/notification-preferences", headers=as_("worker"), json=[{"kind": "*", "email": "sometimes"}]
    )
    assert r.status_code == 422


# --------------------------------------------------------------------------------------------- webhooks


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "https://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8080/",
    ],
)
def test_webhooks_to_internal_addresses_are_refused_at_save_time(
    seed: World, api: Any, as_: Any, url: str
) -> None:
    r = api.post(f"/projects/{seed.p1}/webhooks", headers=as_("pm"), json={"url": url})
    assert r.status_code == 422, r.text
    assert url in r.json()["error"]["message"]


def test_non_http_and_unresolvable_urls_are_refused(seed: World, api: Any, as_: Any) -> None:
    for url in ("file:///etc/passwd", "ftp://93.184.215.14/", "https://user:pw@93.184.215.14/"):
        assert (
            api.post(f"/projects/{seed.p1}/webhooks", headers=as_("pm"), json={"url": url}).status_code == 422
        )


def test_allow_listed_host_may_be_internal(
    seed: World, api: Any, as_: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from charter.config import get_settings

    monkeypatch.setenv("CHARTER_WEBHOOK_ALLOW_HOSTS", "127.0.0.1, intranet.example")
    get_settings.cache_clear()
    r = api.post(f"/projects/{seed.p1}/webhooks", headers=as_("pm"), json={"url": "http://127.0.0.1:9/hook"})
    assert r.status_code == 201, r.text
    assert len(r.json()["secret"]) >= 16
    listed = api.get(f"/projects/{seed.p1}/webhooks", headers=as_("pm")).json()
    assert "secret" not in listed[0] or listed[0]["secret"] is None


def test_address_rules() -> None:
    for ip in (
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "100.64.0.1",
        "fe80::1",
    ):
        assert netguard.address_problem(ip), ip
    assert netguard.address_problem("93.184.215.14") is None


class Receiver(http.server.BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(Receiver.status)
        if Receiver.status == 302:
            self.send_header("Location", "http://169.254.169.254/")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    Receiver.got, Receiver.status = [], 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _hook(w: World, url: str, events: list[str] | None = None) -> dict[str, Any]:
    with w.db.uow() as s:
        return webhook_admin.create_webhook(s, w.actor("pm"), w.p1, url=url, events=events)


def _worker(db: Database, allow: frozenset[str] = frozenset()) -> Worker:
    return Worker(db=db, smtp=mail.SmtpConfig(host=""), allow_hosts=allow, now=now)


def test_webhook_delivery_is_signed_and_only_for_subscribed_kinds(
    seed: World, frozen_clock: Any, receiver: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    from charter.config import get_settings

    get_settings.cache_clear()
    hook = _hook(seed, f"http://127.0.0.1:{receiver}/in?x=1", events=["task.assigned"])
    with seed.db.uow() as s:
        assert tell(s, seed, ["worker"], "ev:1")["webhook"] == 1
        assert tell(s, seed, ["worker"], "ev:2", kind="risk.raised")["webhook"] == 0
    stats = _worker(seed.db, frozenset({"127.0.0.1"})).run_once()
    assert stats.sent == 1
    [(headers, body)] = Receiver.got
    assert webhooks.verify(hook["secret"], body, headers["X-Charter-Signature"])
    assert not webhooks.verify("another-secret-0123456789", body, headers["X-Charter-Signature"])
    assert headers["X-Charter-Timestamp"].isdigit()
    assert b'"event_key":"ev:1"' in body


def test_webhook_redirects_are_not_followed(
    seed: World, frozen_clock: Any, receiver: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHARTER_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    from charter.config import get_settings

    get_settings.cache_clear()
    Receiver.status = 302
    _hook(seed, f"http://127.0.0.1:{receiver}/in")
    with seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:1")
    assert _worker(seed.db, frozenset({"127.0.0.1"})).run_once().retried == 1
    assert len(Receiver.got) == 1
    with seed.db.uow(readonly=True) as s:
        q = select(OutboxMessage.last_error).where(OutboxMessage.channel == "webhook")
        assert "redirect" in s.scalars(q).one()


def test_dns_rebinding_is_refused_at_send_time(
    seed: World, frozen_clock: Any, receiver: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = {"ip": "93.184.215.14"}
    real = socket.getaddrinfo

    def fake_getaddrinfo(host: str, port: Any, *args: Any, **kw: Any) -> Any:
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer["ip"], port))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    _hook(seed, f"http://hooks.example.test:{receiver}/in")  # public at save time
    answer["ip"] = "127.0.0.1"  # ... rebinds to loopback before the send
    with seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:1")
    assert _worker(seed.db).run_once().failed == 1
    assert Receiver.got == []
    with seed.db.uow(readonly=True) as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).one()
        assert row.status == "failed" and "loopback" in row.last_error


# --------------------------------------------------------------------------------------------- web


def test_inbox_page_lists_marks_read_and_saves_preferences(db: Database) -> None:
    import re

    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.services import accounts

    pw = "inbox-web-test-password"
    with db.uow() as s:
        uid = accounts.create_user(s, SYSTEM, username="ina", display_name="Ina", password=pw)["id"]
        notifications.notify(
            s, recipients=[uid], kind="task.assigned", subject="Alpha is yours", body="", event_key="ev:web"
        )
    with TestClient(create_app(db), follow_redirects=False) as client:

        def csrf(html: str) -> str:
            m = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert m
            return m.group(1)

        page = client.get("/login")
        r = client.post(
            "/login",
            data={"username": "ina", "password": pw, "csrf_token": csrf(page.text), "next": "/me/inbox"},
        )
        assert r.status_code == 303
        page = client.get("/me/inbox")
        assert page.status_code == 200 and "Alpha is yours" in page.text and "1 unread" in page.text
        token = csrf(page.text)
        nid = re.search(r'data-notification="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
        assert client.post(f"/me/inbox/{nid}/read", data={"csrf_token": token}).status_code == 303
        assert "0 unread" in client.get("/me/inbox").text
        form = {"csrf_token": token, "kind_1": "*", "in_app_1": "on", "email_1": "digest", "kind_2": ""}
        assert client.post("/me/inbox/preferences", data=form).status_code == 303
        with db.uow(readonly=True) as s:
            from charter.services.context import Actor

            prefs = notifications.get_preferences(s, Actor(uid, "ina"))
        assert prefs == [
            {"kind": "*", "label": "Every kind without a row of its own", "in_app": True, "email": "digest"}
        ]


def test_a_notification_of_a_project_left_behind_keeps_its_text_but_not_its_link(
    seed: World, frozen_clock: Any, api: Any, as_: Any
) -> None:
    """The worker's role ends: what they were told stays in their inbox, but its link (now a 404) goes, and the
    inbox says why, in the API and on the page."""
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from charter.app import create_app
    from charter.persistence.models import User
    from charter.services import roles
    from charter.services.accounts import hash_password
    from webhelpers import PW, sign_in

    with seed.db.uow() as s:
        tell(s, seed, ["worker"], "ev:1")
        notifications.notify(s, recipients=[seed.users["worker"]], kind="account", subject="Welcome",
                             body="", project_id=None, link="/account", event_key="ev:2")  # fmt: skip
    before = {n["subject"]: n for n in api.get("/me/notifications", headers=as_("worker")).json()["items"]}
    assert before["Task assigned"]["link"] == "/projects/1" and before["Task assigned"]["project_visible"]

    frozen_clock.advance(hours=1)
    with seed.db.uow() as s:
        admin = seed.actor("admin")
        version = next(a["version"] for a in roles.list_assignments(s, admin, seed.p1)
                       if a["id"] == seed.assignments["worker"])  # fmt: skip
        roles.end_assignment(s, admin, seed.p1, seed.assignments["worker"], version)
    frozen_clock.advance(hours=1)
    after = {n["subject"]: n for n in api.get("/me/notifications", headers=as_("worker")).json()["items"]}
    assert after["Task assigned"]["body"] == "Task A is yours"
    assert after["Task assigned"]["link"] is None and after["Task assigned"]["project_visible"] is False
    assert after["Welcome"]["link"] == "/account" and after["Welcome"]["project_visible"]  # no project: kept
    # an admin sees every project: their links stay
    with seed.db.uow() as s:
        tell(s, seed, ["admin"], "ev:3")
    assert api.get("/me/notifications", headers=as_("admin")).json()["items"][0]["link"] == "/projects/1"

    with seed.db.uow() as s:
        s.execute(update(User).where(User.id == seed.users["worker"]).values(password_hash=hash_password(PW)))
    with TestClient(create_app(seed.db)) as client:
        sign_in(client, "worker")
        page = client.get("/me/inbox").text
    assert "Task assigned" in page and 'href="/projects/1"' not in page
    assert "you no longer have access to this project" in page and '<a href="/account">Welcome</a>' in page


def test_preferences_name_known_kinds_only(seed: World, api: Any, as_: Any) -> None:
    """A misspelt kind would never apply: the service refuses it, naming the row; the API documents the kinds."""
    from charter.domain.errors import ValidationError

    with seed.db.uow() as s, pytest.raises(ValidationError) as e:
        notifications.set_preferences(
            s,
            seed.actor("worker"),
            [{"kind": "*", "email": "off"}, {"kind": "risk.raised", "in_app": True, "email": "off"}],
        )
    assert e.value.field == "kind" and "preference 2" in e.value.message and "risk.raised" in e.value.message
    r = api.put("/me/notification-preferences", headers=as_("worker"), json=[{"kind": "task.asigned"}])
    assert r.status_code == 422 and "task.asigned" in r.text
    r = api.put("/me/notification-preferences", headers=as_("worker"), json=[{"kind": "risk.owner"}])
    assert r.status_code == 200
    assert [(p["kind"], p["label"]) for p in r.json()] == [
        ("*", "Every kind without a row of its own"), ("risk.owner", "You own a risk")
    ]  # fmt: skip
    schema = api.get("/openapi.json").json()["components"]["schemas"]["PreferenceIn"]
    assert "risk.owner" in schema["properties"]["kind"]["description"]


def test_inbox_page_reads_kinds_in_words_renders_markdown_and_keeps_a_refused_form(
    seed: World, frozen_clock: Any
) -> None:
    from webhelpers import csrf_of, signed_in

    with seed.db.uow() as s:
        notifications.notify(s, recipients=[seed.users["worker"]], kind="risk.owner", subject="You own R-1",
                             body="**Supplier** late\n\n1. call them\n2. <script>x()</script>",
                             event_key="ev:md")  # fmt: skip
    with signed_in(seed, "worker") as client:
        page = client.get("/me/inbox").text
        assert '<span title="risk.owner">You own a risk</span>' in page
        assert (
            "<strong>Supplier</strong>" in page and "<li>call them</li>" in page and "<script>x()" not in page
        )
        assert '<optgroup label="Risk"><option value="risk.owner">You own a risk</option>' in page
        form = {"csrf_token": csrf_of(page), "kind_1": "*", "in_app_1": "on", "email_1": "digest",
                "kind_2": "risk.owner", "email_2": "off", "kind_3": "tech.due", "in_app_3": "on",
                "email_3": "sometimes"}  # fmt: skip
        r = client.post("/me/inbox/preferences", data=form)
        assert r.status_code == 422 and "preference 3: email must be one of" in r.text
        # what was typed stays: the digest default, the risk row without the inbox, the tech row
        assert '<tr data-kind="risk.owner">' in r.text and '<tr data-kind="tech.due">' in r.text
        assert '<option value="digest" selected>' in r.text
        with seed.db.uow(readonly=True) as s:  # nothing written
            assert notifications.get_preferences(s, seed.actor("worker")) == [
                notifications.DEFAULT_PREFERENCE
            ]
        form["email_3"] = "immediate"
        assert client.post("/me/inbox/preferences", data=form).status_code == 303
        with seed.db.uow(readonly=True) as s:
            got = notifications.get_preferences(s, seed.actor("worker"))
        assert [(p["kind"], p["in_app"], p["email"]) for p in got] == [
            ("*", True, "digest"), ("risk.owner", False, "off"), ("tech.due", True, "immediate")
        ]  # fmt: skip


def test_a_person_is_told_when_a_task_becomes_theirs(seed: World, frozen_clock: Any) -> None:
    """Assigning people to a task tells each new assignee (not the one who assigned, not those already on
    it), once per assignment, with a link to the task — from the task's assignees and from a resource
    assignment alike."""
    from charter.services import assignments, resources, tasks

    def inbox(who: str) -> list[dict[str, Any]]:
        with seed.db.uow(readonly=True) as s:
            return [n for n in notifications.list_inbox(s, seed.actor(who)) if n["kind"] == "task.assigned"]

    task_b = seed.tasks["b"]
    with seed.db.uow() as s:
        tasks.set_assignees(s, seed.actor("pm"), seed.p1, task_b, [seed.users["worker"], seed.users["pm"]])
    (note,) = inbox("worker")
    assert (
        note["link"] == f"/projects/{seed.p1}/tasks/{task_b}" and note["label"] == "A task is assigned to you"
    )
    assert "is yours" in note["subject"] and "pm assigned you" in note["body"]
    assert inbox("pm") == []  # the one who assigned is not told
    with seed.db.uow() as s:  # the same people again: nobody is told twice
        tasks.set_assignees(s, seed.actor("pm"), seed.p1, task_b, [seed.users["worker"], seed.users["pm"]])
    assert len(inbox("worker")) == 1
    with seed.db.uow() as s:  # through a resource assignment (the team page, the API)
        res = resources.person_resource(s, seed.users["stakeholder"], SYSTEM)
        assignments.add_assignment(s, seed.actor("pm"), seed.p1, task_b, resource_id=res.id)
    (note,) = inbox("stakeholder")
    assert note["link"] == f"/projects/{seed.p1}/tasks/{task_b}"
    # a person who holds no role in the project (the outsider is P2's) is booked without being told the
    # name of a task in a project they cannot see
    with seed.db.uow() as s:
        res = resources.person_resource(s, seed.users["outsider"], SYSTEM)
        assignments.add_assignment(s, seed.actor("pm"), seed.p1, task_b, resource_id=res.id)
    assert inbox("outsider") == []
