"""Attachments on messages: posted with a thread or a reply (API multipart, web form, CLI), checked before
anything is written, stored by the shared attachment store, downloaded only as attachments and only by who
sees the thread; named in notifications."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from charter.config import get_settings
from charter.persistence.models import Attachment, CommItem, CommMessage, JournalEntry, Notification, User
from charter.services import accounts, attachments, budget, comms

World = Any
PW = "attachments-web-test-password"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CSV = "day,hours\n2030-01-07,8\nnaïve,1\n".encode()
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.headers.get("content-type", "").startswith("application/json") else r


def err(r: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    e = r.json()["error"]
    if field is not None:
        assert e["field"] == field, e
    return e


@pytest.fixture
def w(seed: World) -> World:
    with seed.db.uow() as s:  # the stakeholder works in Sales, whose liaison is `liaison`
        s.execute(update(User).where(User.id == seed.users["stakeholder"]).values(department_id=seed.sales))
    return seed


def _stored(project_id: int) -> set[str]:
    folder = attachments.root() / str(project_id)
    return {f.name for f in folder.iterdir()} if folder.is_dir() else set()


def _counts(w: World) -> tuple[int, int, int]:
    with w.db.uow(readonly=True) as s:
        return (
            s.scalar(select(func.count()).select_from(CommItem)) or 0,
            s.scalar(select(func.count()).select_from(CommMessage)) or 0,
            s.scalar(select(func.count()).select_from(Attachment)) or 0,
        )


def _post(api: Any, w: World, who: str, files: list[tuple[str, bytes, str]], **form: str) -> Any:
    data = {"to": "pm", "subject": "Spec", "body": "See the files", **form}
    return api.post(f"/projects/{w.p1}/messages/with-attachments", headers=w.headers(who), data=data,
                    files=[("files", f) for f in files])  # fmt: skip


def test_a_thread_with_attachments_is_seen_and_downloaded_with_the_threads_visibility(
    api: Any, w: World
) -> None:
    before = _stored(w.p1)
    item = ok(_post(api, w, "stakeholder", [("../../etc/spec.pdf", PDF, "text/html"),
                                             ("hours.csv", CSV, "application/octet-stream")]), 201)  # fmt: skip
    assert item["route"] == "via_liaison" and item["status"] == "with_liaison"
    files = item["messages"][0]["attachments"]
    # the type is the content's, the name a label without its path; the size as stored
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("spec.pdf", "application/pdf", len(PDF)),
        ("hours.csv", "text/plain", len(CSV)),
    ]
    new = _stored(w.p1) - before
    assert len(new) == 2 and all(len(n) == 32 and "spec" not in n for n in new)
    url = f"/projects/{w.p1}/messages/{item['id']}/attachments/{files[0]['id']}"
    assert files[0]["url"] == "/api/v1" + url
    for who in ("stakeholder", "liaison", "pm", "admin"):
        got = ok(api.get(url, headers=w.headers(who)))
        assert got.content == PDF and got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith('attachment; filename="spec.pdf"')
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]
    # who does not see the thread does not see its files: another member, another project's PM
    for who in ("worker", "task_leader", "observer", "outsider"):
        err(api.get(url, headers=w.headers(who)), 404)
    err(api.get(url, headers=w.headers("anonymous")), 401)
    # an attachment is only reachable through its own thread and project
    other = ok(api.post(f"/projects/{w.p1}/messages", headers=w.headers("pm"),
                        json={"to": "user", "to_user_id": w.users["stakeholder"], "subject": "x", "body": "y"}), 201)  # fmt: skip
    err(api.get(f"/projects/{w.p1}/messages/{other['id']}/attachments/{files[0]['id']}", headers=w.headers("pm")),
        404, "attachment_id")  # fmt: skip
    err(api.get(f"/projects/{w.p2}/messages/{item['id']}/attachments/{files[0]['id']}", headers=w.headers("admin")),
        404)  # fmt: skip
    # the thread lists them; each upload is journaled
    thread = ok(api.get(f"/projects/{w.p1}/messages/{item['id']}", headers=w.headers("liaison")))
    assert [f["filename"] for f in thread["messages"][0]["attachments"]] == ["spec.pdf", "hours.csv"]
    with w.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).where(JournalEntry.entity_type == "comm_attachment")) == 2
        # the notification names the files (they are not mailed)
        note = s.scalars(select(Notification).where(Notification.user_id == w.users["liaison"])).one()
        assert "spec.pdf (0.1 KB, application/pdf)" in note.body and "hours.csv" in note.body


def test_a_long_file_name_is_shortened_in_its_stem_and_keeps_its_extension(api: Any, w: World) -> None:
    long = "Quarterly report " + "with many words " * 20  # 337 characters before the extension
    item = ok(_post(api, w, "pm", [(long + ".pdf", PDF, "application/pdf"), ("x" * 300, PNG, "image/png")],
                    to="user", to_user_id=str(w.users["stakeholder"])), 201)  # fmt: skip
    named, bare = (f["filename"] for f in item["messages"][0]["attachments"])
    assert len(named) == attachments.NAME_MAX and named.endswith(" wit.pdf") and named.startswith("Quarterly")
    assert bare == "x" * attachments.NAME_MAX  # no extension to keep
    assert attachments.clean_name("a." + "b" * 250, "application/pdf") == "a." + "b" * 198  # not an extension


def test_a_liaison_downloads_only_their_own_departments_files(api: Any, w: World) -> None:
    from charter.domain.roles import LIAISON
    from charter.services import org, roles
    from charter.services.context import SYSTEM

    with w.db.uow() as s:
        fin = org.create_department(s, SYSTEM, name="Finance")["id"]
        s.execute(update(User).where(User.id == w.users["worker"]).values(department_id=fin))
        roles.assign_role(s, w.actor("admin"), w.p1, role_id=w.roles[LIAISON], user_id=w.users["task_leader_b"],
                          scope_id=fin)  # fmt: skip
    sales = ok(_post(api, w, "stakeholder", [("sales.pdf", PDF, "application/pdf")]), 201)
    finance = ok(_post(api, w, "worker", [("finance.pdf", PDF, "application/pdf")]), 201)
    assert (sales["liaison_id"], finance["liaison_id"]) == (w.users["liaison"], w.users["task_leader_b"])

    def url(item: dict[str, Any]) -> str:
        return str(item["messages"][0]["attachments"][0]["url"]).removeprefix("/api/v1")

    ok(api.get(url(sales), headers=w.headers("liaison")))
    ok(api.get(url(finance), headers=w.headers("task_leader_b")))
    err(api.get(url(finance), headers=w.headers("liaison")), 404)
    err(api.get(url(sales), headers=w.headers("task_leader_b")), 404)


def test_a_reply_carries_attachments_and_notifies_with_their_names(api: Any, w: World) -> None:
    item = ok(_post(api, w, "stakeholder", [("a.pdf", PDF, "application/pdf")]), 201)
    url = f"/projects/{w.p1}/messages/{item['id']}/replies/with-attachments"
    out = ok(api.post(url, headers=w.headers("liaison"), data={"body": "Screenshot attached"},
                      files=[("files", ("screen.png", PNG, "image/png"))]), 201)  # fmt: skip
    reply = out["messages"][-1]
    assert reply["kind"] == "reply" and [f["filename"] for f in reply["attachments"]] == ["screen.png"]
    got = ok(
        api.get(reply["attachments"][0]["url"].removeprefix("/api/v1"), headers=w.headers("stakeholder"))
    )
    assert got.content == PNG
    with w.db.uow(readonly=True) as s:
        bodies = s.scalars(select(Notification.body).where(Notification.user_id == w.users["stakeholder"]))
        assert any("screen.png" in b for b in bodies)
    # a reply to a thread the caller cannot see is 404 and stores nothing
    before = _counts(w)
    err(api.post(url, headers=w.headers("worker"), data={"body": "x"},
                 files=[("files", ("s.png", PNG, "image/png"))]), 404)  # fmt: skip
    assert _counts(w) == before


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "only GIF, JPG, PDF, PNG, TXT, WEBP, ZIP files are accepted"),
        ("logo.svg", SVG, "HTML, SVG and XML files are not accepted"),
        ("page.pdf", HTML, "HTML, SVG and XML files are not accepted"),
        ("empty.txt", b"", "the file is empty"),
    ],
)  # fmt: skip
def test_disallowed_files_refuse_the_whole_post_and_leave_nothing(
    api: Any, w: World, name: str, data: bytes, needle: str
) -> None:
    before, files_before = _counts(w), _stored(w.p1)
    res = err(_post(api, w, "stakeholder", [("fine.pdf", PDF, "application/pdf"), (name, data, "x/y")]),
              422, "files")  # fmt: skip
    assert needle in res["message"] and res["message"].startswith(f"{name}:")
    assert _counts(w) == before and _stored(w.p1) == files_before


def test_an_oversized_file_is_refused_with_the_limit_named(
    api: Any, w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2048)
    before, files_before = _counts(w), _stored(w.p1)
    big = PDF + b"0" * 4096
    res = err(_post(api, w, "stakeholder", [("big.pdf", big, "application/pdf")]), 422, "files")
    assert "the limit is 2 KB" in res["message"] and "big.pdf" in res["message"]
    assert _counts(w) == before and _stored(w.p1) == files_before
    # at most 10 files in one post
    many = [(f"f{n}.pdf", PDF, "application/pdf") for n in range(11)]
    assert "at most 10 files" in err(_post(api, w, "stakeholder", many), 422, "files")["message"]
    assert _counts(w) == before


def test_a_refusal_after_the_files_were_written_removes_them(w: World) -> None:
    before, files_before = _counts(w), _stored(w.p1)
    with pytest.raises(RuntimeError), w.db.uow() as s:
        comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="S", body="B",
                   files=[attachments.Upload("a.pdf", PDF), attachments.Upload("b.png", PNG)])  # fmt: skip
        assert len(_stored(w.p1) - files_before) == 2  # written ...
        raise RuntimeError("the transaction fails after the files were written")
    assert _counts(w) == before and _stored(w.p1) == files_before  # ... and gone again
    # a message to someone outside the project is refused before anything is written
    with pytest.raises(Exception, match="not a member"), w.db.uow() as s:
        comms.send(s, w.actor("pm"), w.p1, to="user", to_user_id=w.users["outsider"], subject="S", body="B",
                   files=[attachments.Upload("a.pdf", PDF)])  # fmt: skip
    assert _counts(w) == before and _stored(w.p1) == files_before


def test_savepoints_neither_keep_nor_remove_a_file_only_the_outer_transaction_does(w: World) -> None:
    """On PostgreSQL the notification outbox writes through savepoints: their commit must not mark a file as
    kept (the outer transaction may still fail), their rollback must not remove it (it may still commit)."""
    files_before = _stored(w.p1)
    with pytest.raises(RuntimeError), w.db.uow() as s:
        comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="S", body="B",
                   files=[attachments.Upload("a.pdf", PDF)])  # fmt: skip
        with s.begin_nested():
            pass
        raise RuntimeError("the outer transaction fails after a savepoint committed")
    assert _stored(w.p1) == files_before
    with w.db.uow() as s:
        item = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="S", body="B",
                          files=[attachments.Upload("a.pdf", PDF)])  # fmt: skip
        sp = s.begin_nested()
        sp.rollback()
    assert len(_stored(w.p1) - files_before) == 1
    with w.db.uow(readonly=True) as s:  # and the file reads back
        aid = item["messages"][0]["attachments"][0]["id"]
        assert comms.attachment_file(s, w.actor("pm"), w.p1, item["id"], aid).data == PDF


def _login(c: Any, w: World, username: str) -> str:
    def csrf(html: str) -> str:
        m = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert m, "no CSRF token on the page"
        return m.group(1)

    with w.db.uow() as s:
        s.execute(update(User).where(User.username == username).values(password_hash=_hash()))
    c.cookies.clear()
    r = c.post("/login", data={"username": username, "password": PW, "next": "/projects",
                               "csrf_token": csrf(c.get("/login").text)}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    return csrf(c.get("/projects").text)


@functools.cache
def _hash() -> str:
    return accounts.hash_password(PW)


def test_web_compose_reply_and_download(w: World) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    with TestClient(create_app(w.db)) as c:
        token = _login(c, w, "stakeholder")
        page = c.get(f"/projects/{w.p1}/messages")
        assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
        r = c.post(f"/projects/{w.p1}/messages", data={"csrf_token": token, "to": "pm", "subject": "Web",
                   "body": "with a file"}, files=[("files", ("notes.txt", b"plain notes\n", "text/plain")),
                                                  ("files", ("", b"", "application/octet-stream"))],
                   follow_redirects=False)  # fmt: skip
        assert r.status_code == 303, r.text
        thread_url = r.headers["location"]
        html = c.get(thread_url).text
        assert "notes.txt" in html and "12 bytes" in html and "text/plain" in html
        with w.db.uow(readonly=True) as s:
            aid = s.scalars(select(Attachment.id)).one()
        got = c.get(f"{thread_url}/attachments/{aid}")
        assert got.status_code == 200 and got.content == b"plain notes\n"
        assert got.headers["content-disposition"].startswith("attachment;")
        # a refused file re-renders the form with the error and what was typed
        r = c.post(f"/projects/{w.p1}/messages", data={"csrf_token": token, "to": "pm", "subject": "Kept",
                   "body": "typed"}, files=[("files", ("x.svg", SVG, "image/svg+xml"))])  # fmt: skip
        assert r.status_code == 422 and "HTML, SVG and XML" in r.text and "Kept" in r.text
        # a reply with a file
        r = c.post(f"{thread_url}/reply", data={"csrf_token": token, "body": "and a scan"},
                   files=[("files", ("scan.png", PNG, "image/png"))], follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
        assert "scan.png" in c.get(thread_url).text
    with TestClient(create_app(w.db)) as c:
        _login(c, w, "worker")
        assert c.get(f"{thread_url}/attachments/{aid}").status_code == 404


def test_cli_post_and_reply_with_attach(w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", w.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    spec = tmp_path / "spec.pdf"
    spec.write_bytes(PDF)
    shot = tmp_path / "shot.png"
    shot.write_bytes(PNG)
    runner = CliRunner()
    r = runner.invoke(app, ["--as", "stakeholder", "messages", "post", "P1", "--subject", "Q", "--body", "See",
                            "--attach", str(spec), "--attach", str(shot)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "with 2 attachments" in r.stdout
    with w.db.uow(readonly=True) as s:
        iid = s.scalars(select(CommItem.id)).one()
    r = runner.invoke(app, ["--as", "liaison", "messages", "reply", "P1", str(iid), "--body", "Thanks",
                            "--attach", str(spec), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [[f["filename"] for f in m["attachments"]] for m in out["messages"]] == [
        ["spec.pdf", "shot.png"], ["spec.pdf"]]  # fmt: skip
    bad = tmp_path / "evil.svg"
    bad.write_bytes(SVG)
    r = runner.invoke(app, ["--as", "stakeholder", "messages", "send", "P1", "--subject", "Q", "--body", "x",
                            "--attach", str(bad)])  # fmt: skip
    assert r.exit_code != 0 and "HTML, SVG and XML" in r.output
    assert _counts(w)[0] == 1


def test_an_answer_carries_attachments_seen_by_who_sees_the_thread(api: Any, w: World) -> None:
    item = ok(_post(api, w, "stakeholder", [("q.pdf", PDF, "application/pdf")]), 201)
    url = f"/projects/{w.p1}/messages/{item['id']}/answer/with-attachments"
    # one refused file refuses the answer: status, messages and files unchanged
    before, stored = _counts(w), _stored(w.p1)
    err(api.post(url, headers=w.headers("liaison"), data={"body": "Here"},
                 files=[("files", ("a.pdf", PDF, "application/pdf")), ("files", ("x.svg", SVG, "image/svg"))]),
        422, "files")  # fmt: skip
    assert _counts(w) == before and _stored(w.p1) == stored
    assert ok(api.get(f"/projects/{w.p1}/messages/{item['id']}", headers=w.headers("pm")))["status"] == (
        "with_liaison"
    )
    out = ok(api.post(url, headers=w.headers("liaison"), data={"body": "The plan", "version": item["version"]},
                      files=[("files", ("plan.pdf", PDF, "application/pdf"))]))  # fmt: skip
    answer = out["messages"][-1]
    assert out["status"] == "answered" and answer["kind"] == "answer"
    assert [f["filename"] for f in answer["attachments"]] == ["plan.pdf"]
    got = ok(
        api.get(answer["attachments"][0]["url"].removeprefix("/api/v1"), headers=w.headers("stakeholder"))
    )
    assert got.content == PDF
    err(api.get(answer["attachments"][0]["url"].removeprefix("/api/v1"), headers=w.headers("worker")), 404)
    with w.db.uow(readonly=True) as s:
        bodies = s.scalars(select(Notification.body).where(Notification.user_id == w.users["stakeholder"]))
        assert any("plan.pdf" in b for b in bodies)
    # a stale version is refused
    item2 = ok(_post(api, w, "stakeholder", [("q2.pdf", PDF, "application/pdf")]), 201)
    err(api.post(f"/projects/{w.p1}/messages/{item2['id']}/answer/with-attachments", headers=w.headers("liaison"),
                 data={"body": "x", "version": item2["version"] + 5},
                 files=[("files", ("p.pdf", PDF, "application/pdf"))]), 409)  # fmt: skip


def test_a_forward_carries_attachments_to_each_item_for_the_pm(api: Any, w: World) -> None:
    a = ok(_post(api, w, "stakeholder", [("a.pdf", PDF, "application/pdf")], subject="A"), 201)
    b = ok(_post(api, w, "stakeholder", [("b.pdf", PDF, "application/pdf")], subject="B"), 201)
    url = f"/projects/{w.p1}/messages/forward/with-attachments"
    fw = ok(api.post(url, headers=w.headers("liaison"),
                     data={"item_ids": [str(a["id"]), str(b["id"])], "note": "Both need a decision"},
                     files=[("files", ("summary.pdf", PDF, "application/pdf"))]), 201)  # fmt: skip
    assert [i["status"] for i in fw["items"]] == ["forwarded", "forwarded"]
    for it in (a, b):
        thread = ok(api.get(f"/projects/{w.p1}/messages/{it['id']}", headers=w.headers("pm")))
        note = thread["messages"][-1]
        assert note["kind"] == "forward" and [f["filename"] for f in note["attachments"]] == ["summary.pdf"]
        assert ok(
            api.get(note["attachments"][0]["url"].removeprefix("/api/v1"), headers=w.headers("pm"))
        ).content == (PDF)
    with w.db.uow(readonly=True) as s:
        bodies = list(s.scalars(select(Notification.body).where(Notification.user_id == w.users["pm"])))
        assert any("summary.pdf" in b for b in bodies)
    # only the department's liaison forwards: the PM's attempt stores nothing
    c = ok(_post(api, w, "stakeholder", [("c.pdf", PDF, "application/pdf")], subject="C"), 201)
    before = _counts(w)
    r = api.post(url, headers=w.headers("worker"), data={"item_ids": [str(c["id"])]},
                 files=[("files", ("s.pdf", PDF, "application/pdf"))])  # fmt: skip
    assert r.status_code == 404, r.text
    assert _counts(w) == before


def test_web_answer_with_a_file_and_a_refusal_keeps_the_text(w: World) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    with w.db.uow() as s:
        item = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="Web answer", body="?")
    with TestClient(create_app(w.db)) as c:
        token = _login(c, w, "liaison")
        url = f"/projects/{w.p1}/messages/{item['id']}"
        page = c.get(url).text
        assert 'id="an-files"' in page and 'id="fw-files"' in page
        r = c.post(f"{url}/answer", data={"csrf_token": token, "body": "My typed answer"},
                   files=[("files", ("x.svg", SVG, "image/svg+xml"))])  # fmt: skip
        assert r.status_code == 422 and "HTML, SVG and XML" in r.text and "My typed answer" in r.text
        r = c.post(f"{url}/answer", data={"csrf_token": token, "body": "Answered"},
                   files=[("files", ("answer.txt", b"the answer\n", "text/plain"))], follow_redirects=False)  # fmt: skip
        assert r.status_code == 303, r.text
        assert "answer.txt" in c.get(url).text


def test_cli_answer_and_forward_with_attach(
    w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", w.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    with w.db.uow() as s:
        one = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="One", body="?")["id"]
        two = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="Two", body="?")["id"]
    spec = tmp_path / "spec.pdf"
    spec.write_bytes(PDF)
    runner = CliRunner()
    r = runner.invoke(app, ["--as", "liaison", "messages", "forward", "P1", str(one), "--note", "FYI",
                            "--attach", str(spec)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "with 1 attachment" in r.stdout
    r = runner.invoke(app, ["--as", "liaison", "messages", "answer", "P1", str(two), "--body", "Done",
                            "--attach", str(spec), "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "answered" and [f["filename"] for f in out["messages"][-1]["attachments"]] == [
        "spec.pdf"
    ]
    with w.db.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 2


def test_a_reply_is_journaled_and_thread_records_stay_out_of_other_readers_journal(
    api: Any, w: World
) -> None:
    item = ok(
        _post(api, w, "stakeholder", [("a.pdf", PDF, "application/pdf")], subject="Private subject"), 201
    )
    ok(api.post(f"/projects/{w.p1}/messages/{item['id']}/replies", headers=w.headers("liaison"),
                json={"body": "A private reply"}), 201)  # fmt: skip
    with w.db.uow(readonly=True) as s:
        rows = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "comm_message")).all()
        assert [r.actor_id for r in rows] == [w.users["liaison"]]

    def types(who: str) -> set[str]:
        return {e["entity_type"] for e in ok(api.get(f"/projects/{w.p1}/journal", headers=w.headers(who)))}

    assert {"comm_item", "comm_message", "comm_attachment"} <= types("pm")
    assert not types("worker") & {"comm_item", "comm_message", "comm_attachment"}
    body = api.get(f"/projects/{w.p1}/journal", headers=w.headers("worker")).text
    assert "Private subject" not in body and "A private reply" not in body and "a.pdf" not in body


def test_the_forms_name_the_size_limit(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every attachment input read "up to  each": the limit was never given to the pages. It is the one the
    refusal names; the expense receipt's said "up to 0 MB" under one megabyte."""
    from fastapi.testclient import TestClient

    from charter.app import create_app

    monkeypatch.setattr(get_settings(), "attachment_max_bytes", 2048)
    with w.db.uow() as s:
        item = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="S", body="B")
        budget.create_line(s, w.actor("pm"), w.p1, category="travel", name="Trips", amount="100")
    with TestClient(create_app(w.db), follow_redirects=False) as c:
        _login(c, w, "liaison")
        pages = {"messages": "pm", f"messages/{item['id']}": "pm", "liaison": "liaison"}
        for page, who in sorted(pages.items(), key=lambda kv: kv[1] != "liaison"):
            if who == "pm" and page == "messages":
                _login(c, w, "pm")
            html = c.get(f"/projects/{w.p1}/{page}").text
            assert "up to  each" not in html and "up to 2 KB each" in html, page
        assert "up to 2 KB)" in c.get(f"/projects/{w.p1}/budget").text
