"""Threads about an object ("discussions"): a thread about a task, work package, risk or change request must be
about an object of its own project; the object's page lists the threads about it that the viewer may see and
starts one; the thread names and links what it is about; the API and the CLI filter by it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.domain.errors import NotFound
from charter.persistence.models import CommItem
from charter.services import change, comms, risk, stakeholders
from webhelpers import comms_client, login, no_inline

World = Any


def _count(w: World) -> int:
    with w.db.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(CommItem)) or 0)


def _send(w: World, who: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("to", "pm")
    kw.setdefault("subject", "Question")
    kw.setdefault("body", "When does it start?")
    with w.db.uow() as s:
        return comms.send(s, w.actor(who), w.p1, **kw)


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with comms_client(seed) as client:
        yield client, seed


# --------------------------------------------------------------------------------------------- service / API


def test_api_refuses_a_thread_about_another_projects_task(seed: World, api: Any) -> None:
    w = seed
    before = _count(w)
    body = {"to": "pm", "subject": "Hi", "body": "About that task", "entity_type": "task",
            "entity_id": w.tasks["p2"]}  # fmt: skip
    r = api.post(f"/projects/{w.p1}/messages", json=body, headers=w.headers("worker"))
    assert r.status_code == 404, r.text
    assert r.json()["error"]["field"] == "entity_id", r.text
    assert _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_id": 999999},
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_type": "work_package",
                 "entity_id": w.wp_p2}, headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before
    r = api.post(f"/projects/{w.p1}/messages/with-attachments",
                 data={k: str(v) for k, v in body.items()}, files=[("files", ("a.txt", b"hello", "text/plain"))],
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 404 and _count(w) == before

    r = api.post(f"/projects/{w.p1}/messages", json={**body, "entity_id": w.tasks["a"]},
                 headers=w.headers("worker"))  # fmt: skip
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["entity_type"] == "task" and out["entity_id"] == w.tasks["a"]
    assert out["about"]["name"].endswith("Task A") and out["about"]["word"] == "task"
    listed = api.get(f"/projects/{w.p1}/messages", params={"entity_type": "task", "entity_id": w.tasks["a"]},
                     headers=w.headers("pm")).json()  # fmt: skip
    assert [i["id"] for i in listed] == [out["id"]]
    other = api.get(f"/projects/{w.p1}/messages", params={"entity_type": "task", "entity_id": w.tasks["b"]},
                    headers=w.headers("pm")).json()  # fmt: skip
    assert other == []
    assert api.get(f"/projects/{w.p1}/messages", params={"entity_type": "nonsense"},
                   headers=w.headers("pm")).status_code == 422  # fmt: skip


def test_service_checks_every_kind_of_object(seed: World) -> None:
    w = seed
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), w.p1, title="Supplier late")
        cr = change.create_change_request(s, w.actor("pm"), w.p1, title="More licences", description="d",
                                          reason="r", areas=["scope"])  # fmt: skip
    for etype, eid in (("risk", r["id"]), ("change_request", cr["id"]), ("work_package", w.wp_a)):
        item = _send(w, "worker", entity_type=etype, entity_id=eid)
        assert item["entity_type"] == etype and item["about"]["name"]
    for etype in ("risk", "change_request", "meeting", "concern", "purchase_order"):
        with pytest.raises(NotFound) as e:
            _send(w, "worker", entity_type=etype, entity_id=987654)
        assert e.value.field == "entity_id"


def test_a_thread_cannot_name_a_concern_its_sender_may_not_read(seed: World) -> None:
    """A confidential concern is read by its raiser and the PM only: another member cannot start a thread
    about it (its subject would show on the thread), and is told it is not found, as for a missing one."""
    w = seed
    with w.db.uow() as s:
        c = stakeholders.raise_concern(s, w.actor("stakeholder"), w.p1, subject="Audit finding on payroll",
                                       areas=["quality"], confidential=True)  # fmt: skip
    before = _count(w)
    with pytest.raises(NotFound) as e:
        _send(w, "worker", entity_type="concern", entity_id=c["id"])
    assert e.value.field == "entity_id" and _count(w) == before
    item = _send(w, "stakeholder", entity_type="concern", entity_id=c["id"])  # its raiser may
    assert item["about"]["name"] == "Audit finding on payroll"


# --------------------------------------------------------------------------------------------- web


def _rows(html: str, sid: str = "about-threads") -> list[int]:
    m = re.search(rf'<table class="data" id="{sid}-table">(.*?)</table>', html, re.S)
    return [int(x) for x in re.findall(r'data-item="(\d+)"', m.group(1))] if m else []


def test_task_page_lists_the_threads_about_it_and_starts_one(web: tuple[TestClient, World]) -> None:
    client, w = web
    p, a, b = w.p1, w.tasks["a"], w.tasks["b"]
    about_a = _send(w, "worker", subject="Start date of A", entity_type="task", entity_id=a)
    about_b = _send(w, "worker", subject="Start date of B", entity_type="task", entity_id=b)
    unrelated = _send(w, "worker", subject="Holiday")

    token = login(client, "worker")
    page = client.get(f"/projects/{p}/tasks/{a}")
    assert page.status_code == 200
    no_inline(page.text)
    assert _rows(page.text) == [about_a["id"]]
    assert (
        "Start date of A" in page.text and "Start date of B" not in page.text and "Holiday" not in page.text
    )
    assert f'href="/projects/{p}/messages/{about_a["id"]}"' in page.text
    assert 'id="about-threads-form"' in page.text and 'name="entity_type" value="task"' in page.text
    # the Task Leader of WP-A is offered (chosen) as the person to ask
    assert re.search(rf'<option value="{w.users["task_leader"]}" selected>', page.text)

    r = client.post(f"/projects/{p}/messages", data={
        "csrf_token": token, "to": "pm", "kind": "request", "subject": "Need a tester", "body": "For **A**",
        "entity_type": "task", "entity_id": str(a), "return_to": "discussion"})  # fmt: skip
    assert r.status_code == 303, r.text
    iid = int(r.headers["location"].rsplit("/", 1)[1])
    with w.db.uow(readonly=True) as s:
        item = s.get(CommItem, iid)
        assert item is not None and (item.entity_type, item.entity_id, item.kind) == ("task", a, "request")
    assert iid in _rows(client.get(f"/projects/{p}/tasks/{a}").text)
    assert iid not in _rows(client.get(f"/projects/{p}/tasks/{b}").text)

    # to the Task Leader in person
    r = client.post(f"/projects/{p}/messages", data={
        "csrf_token": token, "to": "user", "to_user_id": str(w.users["task_leader"]), "kind": "message",
        "subject": "Pairing?", "body": "Tomorrow", "entity_type": "task", "entity_id": str(a)})  # fmt: skip
    assert r.status_code == 303
    pid_ = int(r.headers["location"].rsplit("/", 1)[1])
    login(client, "task-leader")
    assert pid_ in _rows(client.get(f"/projects/{p}/tasks/{a}").text)

    # the thread page names the task and links to it
    login(client, "worker")
    thread = client.get(f"/projects/{p}/messages/{iid}")
    assert re.search(rf'<dd id="about">Task <a href="/projects/{p}/tasks/{a}">[^<]*Task A</a>', thread.text)
    assert unrelated["id"] not in _rows(page.text) and about_b["id"] not in _rows(page.text)


def test_a_refused_post_keeps_what_was_typed_and_the_object(web: tuple[TestClient, World]) -> None:
    client, w = web
    p, a = w.p1, w.tasks["a"]
    token = login(client, "worker")
    before = _count(w)
    r = client.post(f"/projects/{p}/messages", data={
        "csrf_token": token, "to": "user", "kind": "concern", "subject": "Typed subject",
        "body": "Typed body text", "entity_type": "task", "entity_id": str(a)})  # fmt: skip
    assert r.status_code == 422, r.text
    assert 'id="compose-error"' in r.text and "name the person" in r.text
    assert 'value="Typed subject"' in r.text and "Typed body text" in r.text
    assert 'name="entity_type" value="task"' in r.text and f'name="entity_id" value="{a}"' in r.text
    assert f'href="/projects/{p}/tasks/{a}"' in r.text
    no_inline(r.text)
    # another project's task: 404 naming the field, nothing written, what was typed kept
    r = client.post(f"/projects/{p}/messages", data={
        "csrf_token": token, "to": "pm", "subject": "Typed subject", "body": "Typed body text",
        "entity_type": "task", "entity_id": str(w.tasks["p2"])})  # fmt: skip
    assert r.status_code == 404 and 'id="compose-error"' in r.text and "Typed body text" in r.text
    assert "Task X" not in r.text
    assert _count(w) == before


def _objects(w: World) -> dict[str, tuple[int, str, str]]:
    """The four objects with a Discussion form: type -> (id, its page, the page's <title> start)."""
    p = w.p1
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), p, title="Supplier late")
        cr = change.create_change_request(s, w.actor("pm"), p, title="More licences", description="d",
                                          reason="r", areas=["scope"])  # fmt: skip
    return {
        "task": (w.tasks["a"], f"/projects/{p}/tasks/{w.tasks['a']}", "P1 · Task A"),
        "work_package": (w.wp_a, f"/projects/{p}/work-packages/{w.wp_a}/board", "P1 · 1 WP-A board"),
        "risk": (r["id"], f"/projects/{p}/risks/{r['id']}", f"P1 · {r['ref']}"),
        "change_request": (cr["id"], f"/projects/{p}/changes/{cr['id']}", f"P1 · CR-{cr['number']}"),
    }


def _discussion_post(token: str, etype: str, eid: int, **kw: str) -> dict[str, str]:
    """What the page's Discussion form posts (its hidden fields and the typed ones)."""
    return {"csrf_token": token, "entity_type": etype, "entity_id": str(eid), "return_to": "discussion",
            "kind": "concern", "to": "user", "subject": "Typed subject", "body": "Typed body <text>", **kw}  # fmt: skip


@pytest.mark.parametrize("etype", ["task", "work_package", "risk", "change_request"])
def test_a_refused_discussion_form_shows_its_own_page_again(
    web: tuple[TestClient, World], etype: str
) -> None:
    client, w = web
    eid, url, title = _objects(w)[etype]
    token = login(client, "worker")
    assert 'name="return_to" value="discussion"' in client.get(url).text
    before = _count(w)
    observer = w.users["observer"]

    # no subject: the object's page, the error at the Discussion form, what was typed kept
    r = client.post(f"/projects/{w.p1}/messages",
                    data=_discussion_post(token, etype, eid, subject="  ", to_user_id=str(observer)))  # fmt: skip
    assert r.status_code == 422, r.text
    assert "location" not in r.headers
    assert f"<title>{title} · Charter</title>" in r.text, r.text[:400]
    assert 'id="compose-form"' not in r.text  # not the messages page
    form = r.text.split('id="about-threads-form"', 1)[1].split("</form>", 1)[0]
    assert 'id="discussion-error"' in form and "is required" in form and "(Subject)" in form
    assert re.search(
        r'name="subject"[^>]* value="  " aria-invalid="true" aria-describedby="discussion-error"', form
    )
    assert "Typed body &lt;text&gt;</textarea>" in form
    assert '<option value="concern" selected>' in form and '<option value="user" selected>' in form
    assert f'<option value="{observer}" selected>' in form
    assert f'name="entity_type" value="{etype}"' in form and f'name="entity_id" value="{eid}"' in form
    assert r.text.count('id="discussion-error"') == 1 and 'id="move-error"' not in r.text  # at its form only
    no_inline(r.text)

    # no person named: the same, with the service's words
    r = client.post(f"/projects/{w.p1}/messages", data=_discussion_post(token, etype, eid))
    assert r.status_code == 422 and f"<title>{title} · Charter</title>" in r.text
    assert 'id="discussion-error"' in r.text and "name the person" in r.text
    assert 'value="Typed subject"' in r.text and "Typed body &lt;text&gt;" in r.text
    # a person who does not exist
    r = client.post(
        f"/projects/{w.p1}/messages", data=_discussion_post(token, etype, eid, to_user_id="987654")
    )
    assert r.status_code == 422 and "user 987654 does not exist" in r.text and f"<title>{title}" in r.text
    assert _count(w) == before

    # no CSRF token: refused as any form is, nothing written
    data = {k: v for k, v in _discussion_post(token, etype, eid, to_user_id=str(observer)).items()
            if k != "csrf_token"}  # fmt: skip
    assert client.post(f"/projects/{w.p1}/messages", data=data).status_code == 403
    assert _count(w) == before

    # accepted: on to the new thread, as before
    r = client.post(
        f"/projects/{w.p1}/messages", data=_discussion_post(token, etype, eid, to_user_id=str(observer))
    )
    assert r.status_code == 303, r.text
    iid = int(r.headers["location"].removeprefix(f"/projects/{w.p1}/messages/"))
    assert _rows(client.get(url).text) == [iid]


def test_a_crafted_return_target_goes_nowhere_else(web: tuple[TestClient, World]) -> None:
    """The form names no URL: `return_to` only asks for the posted object's page, rebuilt from its type and id in
    the path's project; anything else is the messages page, and an object of another project is not found."""
    client, w = web
    p = w.p1
    with w.db.uow() as s:
        c = stakeholders.raise_concern(s, w.actor("worker"), p, subject="Noise", areas=["quality"])
    token = login(client, "worker")
    before = _count(w)
    for target in ("https://evil.example/", "//evil.example", f"/projects/{w.p2}/tasks/{w.tasks['p2']}"):
        r = client.post(
            f"/projects/{p}/messages", data=_discussion_post(token, "task", w.tasks["a"], return_to=target)
        )
        assert r.status_code == 422 and "location" not in r.headers
        assert 'id="compose-error"' in r.text and "Typed subject" in r.text and "evil" not in r.text
    # another project's task (or package) named as the object: 404, its name nowhere, nothing written
    for etype, eid in (("task", w.tasks["p2"]), ("work_package", w.wp_p2)):
        for extra in ({}, {"to_user_id": str(w.users["observer"])}):
            r = client.post(f"/projects/{p}/messages", data=_discussion_post(token, etype, eid, **extra))
            assert r.status_code == 404 and "location" not in r.headers
            assert "Task X" not in r.text and "WP-X" not in r.text and 'id="discussion-error"' not in r.text
    # an object without a Discussion page, or an id that is not one: the messages page
    for etype, eid in (
        ("concern", str(c["id"])),
        ("meeting", "1"),
        ("task", "²"),
        ("task", f"{w.tasks['a']}/../x"),
    ):
        data = {**_discussion_post(token, etype, 0), "entity_id": eid}
        r = client.post(f"/projects/{p}/messages", data=data)
        assert r.status_code in (404, 422) and "location" not in r.headers, (etype, eid, r.status_code)
        assert 'id="compose-error"' in r.text, (etype, eid)
    assert _count(w) == before
    # accepted with a crafted target: still on to the thread, in this project
    r = client.post(f"/projects/{p}/messages", data=_discussion_post(
        token, "task", w.tasks["a"], return_to="https://evil.example/", to_user_id=str(w.users["observer"])))  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith(f"/projects/{p}/messages/")


def test_a_viewer_sees_only_the_threads_they_may_see(web: tuple[TestClient, World]) -> None:
    client, w = web
    p, a = w.p1, w.tasks["a"]
    mine = _send(w, "worker", subject="Private to the PM", entity_type="task", entity_id=a)
    login(client, "observer")
    page = client.get(f"/projects/{p}/tasks/{a}")
    assert page.status_code == 200
    assert mine["id"] not in _rows(page.text) and "Private to the PM" not in page.text
    assert 'id="about-threads-form"' not in page.text  # an observer does not write
    login(client, "pm")
    assert _rows(client.get(f"/projects/{p}/tasks/{a}").text) == [mine["id"]]


def test_work_package_risk_and_change_pages_have_their_discussion(web: tuple[TestClient, World]) -> None:
    client, w = web
    p = w.p1
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), p, title="Supplier late")
        cr = change.create_change_request(s, w.actor("pm"), p, title="More licences", description="d",
                                          reason="r", areas=["scope"])  # fmt: skip
    items = {
        "work_package": (_send(w, "stakeholder", entity_type="work_package", entity_id=w.wp_a),
                         f"/projects/{p}/work-packages/{w.wp_a}/board"),
        "risk": (_send(w, "worker", entity_type="risk", entity_id=r["id"]), f"/projects/{p}/risks/{r['id']}"),
        "change_request": (_send(w, "worker", entity_type="change_request", entity_id=cr["id"]),
                           f"/projects/{p}/changes/{cr['id']}"),
    }  # fmt: skip
    login(client, "pm")
    for etype, (item, url) in items.items():
        page = client.get(url)
        assert page.status_code == 200, (url, page.text[:500])
        no_inline(page.text)
        assert _rows(page.text) == [item["id"]], url
        assert f'name="entity_type" value="{etype}"' in page.text
        thread = client.get(f"/projects/{p}/messages/{item['id']}")
        assert '<dd id="about">' in thread.text and f'href="{url}"' in thread.text
    # the stakeholder's message about WP-A went through the Sales liaison, as from the messages page
    assert items["work_package"][0]["route"] == "via_liaison"


# --------------------------------------------------------------------------------------------- CLI


def test_cli_send_and_list_about_an_object(cli: Any, seed: World) -> None:
    w = seed
    assert "--about" in cli("messages", "send", "--help").stdout
    assert "--about" in cli("messages", "list", "--help").stdout
    out = cli("message", "send", "P1", "--subject", "Start of A", "--body", "When?", "--about", "task:Task A",
              who="worker").stdout  # fmt: skip
    assert "about the task" in out and "Task A" in out
    by_id = json.loads(cli("messages", "send", "P1", "--subject", "Again", "--body", "Really?", "--about",
                           f"task:{w.tasks['a']}", "--json", who="worker").stdout)  # fmt: skip
    assert (by_id["entity_type"], by_id["entity_id"]) == ("task", w.tasks["a"])
    wp = json.loads(cli("messages", "send", "P1", "--subject", "WP", "--body", "Scope?", "--about", "wp:WP-B",
                        "--json", who="worker").stdout)  # fmt: skip
    assert (wp["entity_type"], wp["entity_id"]) == ("work_package", w.wp_b)
    _send(w, "worker", subject="Not about A", entity_type="task", entity_id=w.tasks["b"])

    listed = json.loads(cli("messages", "list", "P1", "--about", "task:Task A", "--json").stdout)
    assert sorted(i["subject"] for i in listed) == ["Again", "Start of A"]
    table = cli("messages", "list", "P1", "--about", "wp:WP-B").stdout
    assert "WP" in table and "Start of A" not in table

    before = _count(w)
    bad = cli("messages", "send", "P1", "--subject", "x", "--body", "y", "--about", "ticket:3", code=1)
    assert "ticket:3" in bad.stderr and "KIND:REF" in bad.stderr and "about" in bad.stderr
    bad = cli("messages", "send", "P1", "--subject", "x", "--body", "y", "--about", "task:Task X", code=1)
    assert "no task 'Task X' in this project" in bad.stderr  # Task X is P2's
    bad = cli("messages", "list", "P1", "--about", "risk:R-7", code=1)
    assert "no risk 'R-7' in this project" in bad.stderr
    assert _count(w) == before


def test_cli_list_says_what_each_thread_is_about(cli: Any, seed: World) -> None:
    w = seed
    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), w.p1, title="[bold red]Supplier[/] late")
    _send(w, "worker", subject="About A", entity_type="task", entity_id=w.tasks["a"])
    _send(w, "worker", subject="About the risk", entity_type="risk", entity_id=r["id"])
    _send(w, "worker", subject="About nothing")
    table = cli("messages", "list", "P1", who="pm").stdout
    assert re.search(r"\babout\b", table.splitlines()[1] + table.splitlines()[2]), table
    rows = {line.split("│")[5].strip(): line for line in table.splitlines() if line.count("│") > 6}
    assert rows["About A"].split("│")[6].strip() == "task 1.2 Task A"  # WBS: WP-A 1, WP-A.1 1.1, Task A 1.2
    # a title with console markup is shown as typed, not styled
    assert rows["About the risk"].split("│")[6].strip() == f"risk {r['ref']} [bold red]Supplier[/] late"
    assert rows["About nothing"].split("│")[6].strip() == ""
    listed = {i["subject"]: i for i in json.loads(cli("messages", "list", "P1", "--json", who="pm").stdout)}
    assert listed["About A"]["about"] == {"type": "task", "id": w.tasks["a"], "word": "task",
                                         "name": "1.2 Task A"}  # fmt: skip
    assert listed["About nothing"]["about"] is None
