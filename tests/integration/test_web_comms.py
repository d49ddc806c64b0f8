"""The communication pages over HTTP: compose, thread, the liaison desk (forward), analytics (SVG chart), the
communication plan and meetings; visibility across departments; CSRF; no inline styles or scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from charter.domain.roles import LIAISON
from charter.persistence.models import User
from charter.services import comms, org, roles
from webhelpers import comms_client, login, no_inline

World = Any


@pytest.fixture
def web(seed: World) -> Iterator[tuple[TestClient, World]]:
    with comms_client(seed) as client:
        yield client, seed


def test_member_to_liaison_to_pm_through_the_pages(web: tuple[TestClient, World]) -> None:
    client, w = web
    p = w.p1
    token = login(client, "stakeholder")
    page = client.get(f"/projects/{p}/messages")
    assert page.status_code == 200 and "compose-form" in page.text
    no_inline(page.text)
    r = client.post(f"/projects/{p}/messages", data={"csrf_token": token, "to": "pm", "kind": "concern",
                                                     "subject": "Licences", "body": "We need **five** more."})  # fmt: skip
    assert r.status_code == 303
    thread = client.get(r.headers["location"])
    assert "via liaison" in thread.text and "<strong>five</strong>" in thread.text
    iid = int(r.headers["location"].rsplit("/", 1)[1])

    token = login(client, "liaison")
    desk = client.get(f"/projects/{p}/liaison")
    assert desk.status_code == 200 and f'value="{iid}"' in desk.text
    no_inline(desk.text)
    r = client.post(f"/projects/{p}/liaison/forward", data={"csrf_token": token, "item_ids": str(iid),
                                                            "note": "Sales needs this"})  # fmt: skip
    assert r.status_code == 303
    assert 'forwarded-count">1<' in client.get(f"/projects/{p}/liaison").text

    token = login(client, "pm")
    listing = client.get(f"/projects/{p}/messages")
    assert "Licences" in listing.text and "Forwarded" in listing.text
    r = client.post(f"/projects/{p}/messages/{iid}/answer", data={"csrf_token": token, "body": "Approved",
                                                                  "pm_minutes": "12"})  # fmt: skip
    assert r.status_code == 303
    thread = client.get(f"/projects/{p}/messages/{iid}")
    assert "PM time 12 min" in thread.text
    a = client.get(f"/projects/{p}/comms/analytics")
    assert a.status_code == 200
    assert re.search(r'<rect class="bar via"[^>]*height="140', a.text)
    assert "Sales" in a.text
    no_inline(a.text)
    assert f'href="/projects/{p}/messages"' in client.get(f"/projects/{p}").text


def test_liaison_cannot_open_other_departments_threads(web: tuple[TestClient, World]) -> None:
    client, w = web
    with w.db.uow() as s:
        fin = org.create_department(s, w.actor("admin"), name="Finance")["id"]
        s.execute(update(User).where(User.id == w.users["sponsor"]).values(department_id=fin))
        roles.assign_role(s, w.actor("admin"), w.p1, role_id=w.roles[LIAISON], user_id=w.users["task_leader_b"],
                          scope_id=fin)  # fmt: skip
        item = comms.send(s, w.actor("sponsor"), w.p1, to="pm", subject="Finance only", body="Budget")
    login(client, "liaison")
    assert client.get(f"/projects/{w.p1}/messages/{item['id']}").status_code == 404
    assert "Finance only" not in client.get(f"/projects/{w.p1}/messages").text
    assert "Finance only" not in client.get(f"/projects/{w.p1}/liaison").text
    login(client, "task-leader-b")
    assert "Finance only" in client.get(f"/projects/{w.p1}/liaison").text
    login(client, "worker")
    assert client.get(f"/projects/{w.p1}/liaison").status_code == 403


def test_compose_refuses_outsiders_and_needs_csrf(web: tuple[TestClient, World]) -> None:
    client, w = web
    token = login(client, "pm")
    r = client.post(f"/projects/{w.p1}/messages", data={"csrf_token": token, "to": "user",
                    "to_user_id": str(w.users["outsider"]), "subject": "Hi", "body": "Hello"})  # fmt: skip
    assert r.status_code == 422 and "Outsider (outsider) is not a member of this project" in r.text
    r = client.post(f"/projects/{w.p1}/messages", data={"to": "pm", "subject": "x", "body": "y"})
    assert r.status_code == 403


def test_plan_and_meeting_pages(web: tuple[TestClient, World], frozen_clock: Any) -> None:
    client, w = web
    p = w.p1
    token = login(client, "pm")
    start = (frozen_clock.now.date() - timedelta(days=3)).isoformat()
    r = client.post(f"/projects/{p}/comm-plan", data={
        "csrf_token": token, "information": "Weekly status", "audience": "department",
        "audience_department_id": str(w.sales), "frequency": "weekly", "channel": "email", "starts_on": start,
    })  # fmt: skip
    assert r.status_code == 303
    plan = client.get(f"/projects/{p}/comm-plan")
    assert "Weekly status" in plan.text and "overdue" in plan.text
    no_inline(plan.text)
    r = client.post(f"/projects/{p}/comm-plan/check", data={"csrf_token": token})
    assert r.status_code == 200 and "1 overdue communication flagged" in r.text

    r = client.post(f"/projects/{p}/meetings", data={
        "csrf_token": token, "title": "Steering", "starts_at": "2030-01-10T10:00", "ends_at": "2030-01-10T11:00",
        "agenda": "- budget", "attendee_ids": [str(w.users["worker"]), str(w.users["liaison"])],
    })  # fmt: skip
    assert r.status_code == 303
    url = r.headers["location"]
    r = client.post(url + "/actions", data={"csrf_token": token, "text": "Send the figures",
                                            "owner_id": str(w.users["worker"]), "due_on": "2030-01-17"})  # fmt: skip
    assert r.status_code == 303
    page = client.get(url)
    assert "Send the figures" in page.text and "task " in page.text
    no_inline(page.text)
    ics = client.get(url + "/invite.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "METHOD:REQUEST" in ics.text


def test_ticked_ids_that_are_not_ascii_digits_are_left_out(web: tuple[TestClient, World]) -> None:
    """ "²" is a digit to str.isdigit but not to int(): a crafted attendee or forwarded item is ignored, never a
    server error."""
    client, w = web
    p = w.p1
    token = login(client, "pm")
    r = client.post(f"/projects/{p}/meetings", data={
        "csrf_token": token, "title": "Crafted", "starts_at": "2030-01-10T10:00", "ends_at": "2030-01-10T11:00",
        "attendee_ids": ["²", "٣", str(w.users["worker"])],
    })  # fmt: skip
    assert r.status_code == 303, r.text
    assert "Crafted" in client.get(r.headers["location"]).text
    token = login(client, "liaison")
    r = client.post(f"/projects/{p}/liaison/forward", data={"csrf_token": token, "item_ids": ["²"]})
    assert r.status_code < 500, r.text


def test_an_answer_sent_from_a_stale_tab_says_why_and_keeps_the_text(web: tuple[TestClient, World]) -> None:
    """The thread was answered in another tab (or the form sent twice): the 409 said nothing at all, because
    its message sat in the Answer form, which an answered thread no longer shows, and the text was lost. The
    refusal is at the top now, and the text is in the Reply box."""
    client, w = web
    p = w.p1
    with w.db.uow() as s:
        item = comms.send(s, w.actor("stakeholder"), p, to="pm", subject="Licences", body="Five more?")
    token = login(client, "pm")
    url = f"/projects/{p}/messages/{item['id']}"
    assert client.post(url + "/answer", data={"csrf_token": token, "body": "Yes"}).status_code == 303
    r = client.post(
        url + "/answer", data={"csrf_token": token, "body": "My second thoughts", "pm_minutes": "5"}
    )
    assert r.status_code == 409
    assert 'id="page-error"' in r.text and 'id="unsent"' in r.text
    assert re.search(r'<textarea id="re-body"[^>]*>My second thoughts</textarea>', r.text)
    r = client.post(url + "/close", data={"csrf_token": token})
    assert r.status_code == 303
    r = client.post(url + "/close", data={"csrf_token": token})
    assert r.status_code == 409 and 'id="page-error"' in r.text


def test_a_refused_forward_keeps_the_note_and_the_ticks(web: tuple[TestClient, World]) -> None:
    """A forward refused (a file of a kind not accepted, nothing ticked) showed the desk again with the
    liaison's note gone and nothing ticked."""
    client, w = web
    p = w.p1
    with w.db.uow() as s:
        item = comms.send(s, w.actor("stakeholder"), p, to="pm", subject="Licences", body="Five more?")
    token = login(client, "liaison")
    r = client.post(f"/projects/{p}/liaison/forward",
                    data={"csrf_token": token, "item_ids": str(item["id"]), "note": "Sales needs this <soon>"},
                    files=[("files", ("page.html", b"<html><script>x</script></html>", "text/html"))])  # fmt: skip
    assert r.status_code == 422 and 'id="forward-error"' in r.text
    assert "Sales needs this &lt;soon&gt;</textarea>" in r.text
    assert re.search(rf'<input type="checkbox" name="item_ids" value="{item["id"]}"[^>]* checked', r.text)


def test_a_thread_names_its_recipient_and_the_senders_own_department(web: tuple[TestClient, World]) -> None:
    """The PM writing to a stakeholder directly read "Raised by <PM> (<the stakeholder's department>)", and no
    thread said whom it was addressed to."""
    client, w = web
    p = w.p1
    with w.db.uow() as s:
        dept = org.create_department(s, w.actor("admin"), name="Customer Care")
        s.execute(update(User).where(User.id == w.users["stakeholder"]).values(department_id=dept["id"]))
    with w.db.uow() as s:
        item = comms.send(s, w.actor("pm"), p, to="user", to_user_id=w.users["stakeholder"], subject="Hello",
                          body="A question")  # fmt: skip
    login(client, "pm")
    html = client.get(f"/projects/{p}/messages/{item['id']}").text
    assert not re.search(r"<dt>Raised by</dt><dd>[^<]*\(Customer Care\)", html)
    assert re.search(r'<dd id="to">[^<]*\(Customer Care\)</dd>', html)
