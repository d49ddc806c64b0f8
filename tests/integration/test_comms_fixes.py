"""Communications fixes: a department head and the Sponsor reach the PM directly; a concern and its thread
move together; a PM hand-over passes the outgoing PM's communication-plan entries on; publishing a report
journals the plan entries it marks done; meeting action items start no earlier than the meeting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from charter.persistence.models import CommItem, Department, User
from charter.services import (
    comm_plan,
    comms,
    meetings,
    org,
    projects,
    reports,
    roles,
    scheduling,
    stakeholders,
)
from charter.services.context import SYSTEM

World = Any


def _in_sales(w: World, *names: str, head: str | None = None) -> None:
    with w.db.uow() as s:
        for n in names:
            s.execute(update(User).where(User.id == w.users[n]).values(department_id=w.sales))
        if head is not None:
            s.execute(update(Department).where(Department.id == w.sales).values(head_user_id=w.users[head]))


# --------------------------------------------------------------------------------------------- routing


def test_department_head_and_sponsor_message_the_pm_directly(seed: World) -> None:
    w = seed
    _in_sales(w, "worker", "sponsor", "stakeholder", head="worker")
    with w.db.uow() as s:
        head = comms.send(s, w.actor("worker"), w.p1, to="pm", subject="Head", body="From the head")
        sponsor = comms.send(s, w.actor("sponsor"), w.p1, to="pm", subject="Sponsor", body="From the sponsor")
        member = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="Member", body="From a member")
    for item in (head, sponsor):
        assert item["route"] == "direct" and item["status"] == "open" and item["liaison_id"] is None
        assert item["department_id"] == w.sales
        assert {p["user_id"] for p in item["participants"]} == {item["raised_by"], w.users["pm"]}
    assert member["route"] == "via_liaison" and member["status"] == "with_liaison"
    with w.db.uow(readonly=True) as s:
        inbox = comms.desk(s, w.actor("liaison"), w.p1)["departments"][0]["inbox"]
    assert [i["id"] for i in inbox] == [member["id"]]


def test_department_head_and_sponsor_concerns_go_to_the_pm_directly(seed: World) -> None:
    w = seed
    _in_sales(w, "worker", "sponsor", "stakeholder", head="worker")
    out = {}
    with w.db.uow() as s:
        for who in ("worker", "sponsor", "stakeholder"):
            out[who] = stakeholders.raise_concern(
                s, w.actor(who), w.p1, subject=f"By {who}", areas=["budget"]
            )
        status = {k: s.get(CommItem, c["comm_item_id"]).status for k, c in out.items()}  # type: ignore[union-attr]
    for who in ("worker", "sponsor"):
        assert out[who]["route"] == "direct" and out[who]["liaison_id"] is None
        assert status[who] == "open"
    assert out["stakeholder"]["route"] == "via_liaison" and status["stakeholder"] == "with_liaison"


# --------------------------------------------------------------------------------------------- concern <-> thread


def _causes(w: World, entity_type: str, entity_id: int) -> list[str | None]:
    """The causes of an entity's journal entries, oldest first."""
    from charter.persistence.models import JournalEntry

    with w.db.uow(readonly=True) as s:
        return list(
            s.scalars(
                select(JournalEntry.cause)
                .where(JournalEntry.entity_type == entity_type, JournalEntry.entity_id == str(entity_id))
                .order_by(JournalEntry.id)
            )
        )


def test_answering_a_concern_answers_its_thread_and_back(seed: World) -> None:
    w = seed
    _in_sales(w, "stakeholder")
    with w.db.uow() as s:
        c = stakeholders.raise_concern(s, w.actor("stakeholder"), w.p1, subject="Go-live", areas=["schedule"],
                                       body="Too early")  # fmt: skip
        stakeholders.acknowledge(s, w.actor("liaison"), w.p1, c["id"])
        item = s.get(CommItem, c["comm_item_id"])
        assert item is not None and item.first_response_at is not None and item.status == "with_liaison"
    with w.db.uow() as s:
        stakeholders.answer(s, w.actor("liaison"), w.p1, c["id"], text="It moves a week later.")
    with w.db.uow(readonly=True) as s:
        thread = comms.get_item(s, w.actor("pm"), w.p1, c["comm_item_id"])
        inbox = comms.desk(s, w.actor("liaison"), w.p1)["departments"][0]["inbox"]
    assert thread["status"] == "answered" and thread["answered_by"] == w.users["liaison"]
    assert (
        thread["messages"][-1]["kind"] == "answer"
        and thread["messages"][-1]["body"] == "It moves a week later."
    )
    assert inbox == []
    causes = _causes(w, "comm_item", c["comm_item_id"])
    assert f"concern {c['id']} acknowledged" in causes and f"concern {c['id']} answered" in causes

    # the other way round: the PM answers a concern's thread; the concern shows the answer
    with w.db.uow() as s:
        d = stakeholders.raise_concern(s, w.actor("stakeholder"), w.p1, subject="Budget", areas=["budget"])
        comms.forward(s, w.actor("liaison"), w.p1, item_ids=[d["comm_item_id"]])
    with w.db.uow() as s:
        comms.answer(
            s, w.actor("pm"), w.p1, d["comm_item_id"], body="Covered by the contingency.", pm_minutes=5
        )
    with w.db.uow(readonly=True) as s:
        got = stakeholders.get_concern(s, w.actor("stakeholder"), w.p1, d["id"])
    assert got["status"] == "answered" and got["answer"] == "Covered by the contingency."
    assert got["answered_by"] == "Pm" and got["acknowledged_at"] is not None
    assert _causes(w, "concern", d["id"])[-1] == f"message {d['comm_item_id']} answered"


# --------------------------------------------------------------------------------------------- concerns page


def test_concerns_page_shows_body_and_answer_as_sanitised_markdown(seed: World) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.services import accounts
    from webhelpers import PW, login

    w = seed
    with w.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
        c = stakeholders.raise_concern(s, w.actor("stakeholder"), w.p1, subject="Data loss", areas=["quality"],
                                       body="Old cases are **lost** <script>alert('x')</script>")  # fmt: skip
        stakeholders.answer(
            s, w.actor("pm"), w.p1, c["id"], text="They are _archived_ <img src=x onerror=alert(1)>"
        )
    with TestClient(create_app(w.db), follow_redirects=False) as client:
        login(client, "stakeholder")
        page = client.get(f"/projects/{w.p1}/concerns").text
    row = page.split(f'id="concern-{c["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Old cases are <strong>lost</strong>" in row
    assert "They are <em>archived</em>" in row
    assert "<script" not in row and "<img" not in row  # escaped by the sanitiser, not executed
    assert "&lt;script&gt;alert(" in row


# --------------------------------------------------------------------------------------------- register


def test_liaison_keeps_their_departments_part_of_the_register(seed: World) -> None:
    import pytest

    from charter.domain.errors import NotFound, PermissionDenied

    w = seed
    liaison = w.actor("liaison")
    with w.db.uow() as s:
        other = org.create_department(s, SYSTEM, name="Finance")["id"]
        x = stakeholders.create_stakeholder(s, liaison, w.p1, name="Sales reps", kind="group",
                                            department_id=w.sales)  # fmt: skip
        x = stakeholders.update_stakeholder(
            s, liaison, w.p1, x["id"], x["version"], current_engagement="supportive"
        )
        theirs = stakeholders.create_stakeholder(
            s, w.actor("pm"), w.p1, name="Controllers", department_id=other
        )
    assert x["department"] == "Sales" and x["current_engagement"] == "supportive" and x["version"] == 2
    assert [c for c in _causes(w, "stakeholder", x["id"])] == [None, None]  # create and update, journaled
    with w.db.uow() as s, pytest.raises(PermissionDenied) as e:
        stakeholders.create_stakeholder(s, liaison, w.p1, name="Controllers 2", department_id=other)
    assert e.value.field == "department_id"
    with w.db.uow() as s, pytest.raises(PermissionDenied):
        stakeholders.create_stakeholder(s, liaison, w.p1, name="Nobody's")  # no department: the PM's
    with w.db.uow() as s, pytest.raises(PermissionDenied):  # moving an entry out of Sales
        stakeholders.update_stakeholder(s, liaison, w.p1, x["id"], x["version"], department_id=other)
    with w.db.uow() as s, pytest.raises(NotFound):  # another department's entry is not theirs to see
        stakeholders.update_stakeholder(s, liaison, w.p1, theirs["id"], theirs["version"], interest=5)
    with w.db.uow() as s, pytest.raises(PermissionDenied):
        stakeholders.create_stakeholder(s, w.actor("worker"), w.p1, name="Mine", department_id=w.sales)
    with w.db.uow(readonly=True) as s:
        names = [r["name"] for r in stakeholders.register(s, liaison, w.p1)["stakeholders"]]
    assert names == ["Sales reps"]


# --------------------------------------------------------------------------------------------- hand-over, reports


def test_pm_hand_over_passes_the_outgoing_pms_plan_entries(seed: World) -> None:
    from charter.domain.roles import PM

    w = seed
    pm = w.actor("pm")
    with w.db.uow() as s:
        mine = comm_plan.create_entry(s, pm, w.p1, information="Weekly status", audience="project",
                                      frequency="weekly", channel="email", owner_id=w.users["pm"])  # fmt: skip
        idle = comm_plan.create_entry(s, pm, w.p1, information="Old digest", audience="project",
                                      frequency="weekly", channel="email", owner_id=w.users["pm"], active=False)  # fmt: skip
        hers = comm_plan.create_entry(s, pm, w.p1, information="Sales sync", audience="project",
                                      frequency="weekly", channel="meeting", owner_id=w.users["liaison"])  # fmt: skip
        roles.hand_over(s, w.actor("admin"), w.p1, role_id=w.roles[PM], to_user_id=w.users["task_leader_b"])
    with w.db.uow(readonly=True) as s:
        owners = {e["id"]: e["owner_id"] for e in comm_plan.list_plan(s, w.actor("admin"), w.p1)}
    assert owners[mine["id"]] == w.users["task_leader_b"]
    assert owners[idle["id"]] == w.users["pm"] and owners[hers["id"]] == w.users["liaison"]
    assert _causes(w, "comm_plan_entry", mine["id"])[-1] == "PM hand-over from Pm to Task Leader B"


def test_publishing_a_report_journals_the_plan_entries_it_marks_done(seed: World, frozen_clock: Any) -> None:
    import datetime as dt

    from charter.persistence.models import Project

    w = seed
    with w.db.uow() as s:
        version = s.get(Project, w.p1).version  # type: ignore[union-attr]
        projects.update_project(s, w.actor("admin"), w.p1, version, start_date=dt.date(2030, 1, 7))
        e = comm_plan.create_entry(s, w.actor("pm"), w.p1, information="Portfolio summary", audience="user",
                                   audience_user_id=w.users["stakeholder"], frequency="monthly", channel="report")  # fmt: skip
    frozen_clock.advance(days=7)
    with w.db.uow() as s:
        r = reports.create_draft(s, w.actor("pm"), w.p1, period="week", day=dt.date(2030, 1, 8))
        reports.publish(s, w.actor("pm"), w.p1, r["id"], r["version"])
    with w.db.uow(readonly=True) as s:
        (got,) = comm_plan.list_plan(s, w.actor("pm"), w.p1)
    assert got["id"] == e["id"] and got["last_done_on"] == frozen_clock.now.date()
    assert _causes(w, "comm_plan_entry", e["id"]) == [None, "report published"]


# --------------------------------------------------------------------------------------------- meetings


def test_action_item_starts_no_earlier_than_its_meeting(seed: World, frozen_clock: Any) -> None:
    import datetime as dt

    import pytest

    from charter.domain.errors import ValidationError
    from charter.persistence.models import Project, Task, TaskComputed

    w = seed
    at = dt.datetime(2030, 1, 10, 14, 0, tzinfo=dt.UTC)  # a Thursday; the project starts on Monday the 7th
    with w.db.uow() as s:
        version = s.get(Project, w.p1).version  # type: ignore[union-attr]
        projects.update_project(s, w.actor("admin"), w.p1, version, start_date=dt.date(2030, 1, 7))
        m = meetings.create_meeting(s, w.actor("pm"), w.p1, title="Steering", starts_at=at,
                                    ends_at=at + dt.timedelta(hours=1))  # fmt: skip
        m = meetings.add_action(s, w.actor("pm"), w.p1, m["id"], text="Book the rooms",
                                owner_id=w.users["worker"], due_on=dt.date(2030, 1, 16))  # fmt: skip
        with pytest.raises(ValidationError) as e:
            meetings.add_action(s, w.actor("pm"), w.p1, m["id"], text="Too early", owner_id=w.users["worker"],
                                due_on=dt.date(2030, 1, 9))  # fmt: skip
        assert e.value.field == "due_on"
    (action,) = m["actions"]
    with w.db.uow() as s:
        scheduling.recompute(s, w.p1)
    with w.db.uow(readonly=True) as s:
        task = s.get(Task, action["task_id"])
        computed = s.get(TaskComputed, action["task_id"])
        assert task is not None and computed is not None and computed.start is not None
        assert (task.constraint_type, task.constraint_date) == ("snet", dt.datetime(2030, 1, 10))
        assert task.deadline is not None and task.deadline.date() == dt.date(2030, 1, 16)
        assert computed.start.date() == dt.date(2030, 1, 10)  # not the project's start (the 7th)


def test_liaison_gets_the_register_forms_for_their_department_only(seed: World) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app
    from charter.services import accounts
    from webhelpers import PW, login

    w = seed
    with w.db.uow() as s:
        s.execute(update(User).values(password_hash=accounts.hash_password(PW)))
        org.create_department(s, SYSTEM, name="Finance")
    with TestClient(create_app(w.db), follow_redirects=False) as client:
        token = login(client, "liaison")
        page = client.get(f"/projects/{w.p1}/stakeholders").text
        form = page.split('id="stakeholder-form"', 1)[1].split("</form>", 1)[0]
        assert f'<option value="{w.sales}">Sales</option>' in form and "Finance" not in form
        r = client.post(f"/projects/{w.p1}/stakeholders",
                        data={"csrf_token": token, "name": "Sales reps", "kind": "group"})  # fmt: skip
        assert r.status_code == 403 and 'value="Sales reps"' in r.text  # no department: kept what was typed
        r = client.post(f"/projects/{w.p1}/stakeholders",
                        data={"csrf_token": token, "name": "Sales reps", "kind": "group",
                              "department_id": str(w.sales)})  # fmt: skip
        assert r.status_code == 303
