"""Messages routed through department liaisons, the liaison desk, the communication-load analytics, the
communication plan and meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from charter.config import get_settings
from charter.domain import communications as C
from charter.domain.errors import Conflict, NotFound, ValidationError
from charter.domain.roles import LIAISON, STAKEHOLDER
from charter.persistence.models import Notification, Project, Task, User
from charter.services import comm_plan, comms, comms_analytics, meetings, org, roles, tasks
from charter.services.context import SYSTEM

World = Any


def _dept(w: World, name: str, *members: str) -> int:
    with w.db.uow() as s:
        d = org.create_department(s, SYSTEM, name=name)["id"]
        for m in members:
            s.execute(update(User).where(User.id == w.users[m]).values(department_id=d))
    return int(d)


def _join_sales(w: World, *names: str) -> None:
    with w.db.uow() as s:
        for n in names:
            s.execute(update(User).where(User.id == w.users[n]).values(department_id=w.sales))


def _send(w: World, who: str, **kw: Any) -> dict[str, Any]:
    kw.setdefault("subject", "Question")
    kw.setdefault("body", "Can we move the go-live?")
    with w.db.uow() as s:
        return comms.send(s, w.actor(who), w.p1, **kw)


def _liaise(w: World, user: str, dept: int, at: datetime | None = None) -> None:
    with w.db.uow() as s:
        roles.assign_role(s, w.actor("admin"), w.p1, role_id=w.roles[LIAISON], user_id=w.users[user],
                          scope_id=dept, valid_from=at)  # fmt: skip


def _analytics(w: World, who: str = "pm") -> dict[str, Any]:
    with w.db.uow(readonly=True) as s:
        return comms_analytics.analytics(s, w.actor(who), w.p1)


# --------------------------------------------------------------------------------------------- routing


def test_department_message_goes_through_liaison_to_pm(seed: World, frozen_clock: Any) -> None:
    w = seed
    _join_sales(w, "stakeholder")
    item = _send(w, "stakeholder", to="pm", kind="concern")
    assert item["route"] == "via_liaison"
    assert item["status"] == "with_liaison"
    assert item["liaison_id"] == w.users["liaison"]
    assert item["department_id"] == w.sales

    with w.db.uow(readonly=True) as s:
        inbox = comms.desk(s, w.actor("liaison"), w.p1)["departments"][0]["inbox"]
    assert [i["id"] for i in inbox] == [item["id"]]

    frozen_clock.advance(hours=2)
    with w.db.uow() as s:
        fw = comms.forward(s, w.actor("liaison"), w.p1, item_ids=[item["id"]], note="Sales asks")
    assert fw["items"][0]["status"] == "forwarded"
    assert fw["items"][0]["first_response_hours"] == 2.0

    frozen_clock.advance(hours=1)
    with w.db.uow() as s:
        done = comms.answer(s, w.actor("pm"), w.p1, item["id"], body="No.", pm_minutes=15)
    assert done["status"] == "answered"
    assert done["pm_minutes"] == 15
    assert done["reached_pm"] is True
    assert [m["kind"] for m in done["messages"]] == ["post", "forward", "answer"]

    a = _analytics(w)
    assert a["totals"]["via_liaison"] == 1 and a["totals"]["direct"] == 0
    row = a["table"][0]
    assert row["department"] == "Sales" and row["via_liaison"] == 1 and row["pm_minutes"] == 15
    assert row["avg_answer_hours"] == 3.0
    assert a["weeks"] == [{"week": C.iso_week(frozen_clock.now), "direct": 0, "via_liaison": 1,
                           "resolved_by_liaison": 0, "pm_minutes": 15}]  # fmt: skip


def test_forward_batches_several_items_and_notifies_pm_once(seed: World) -> None:
    w = seed
    _join_sales(w, "stakeholder", "worker")
    a = _send(w, "stakeholder", to="pm", subject="One")
    b = _send(w, "worker", to="pm", subject="Two")
    with w.db.uow() as s:
        fw = comms.forward(s, w.actor("liaison"), w.p1, item_ids=[a["id"], b["id"]])
    assert {i["forward_id"] for i in fw["items"]} == {fw["id"]}
    with w.db.uow(readonly=True) as s:
        pm_notes = s.scalars(select(Notification.subject).where(Notification.user_id == w.users["pm"])).all()
    assert [n for n in pm_notes if "forwarded" in n] == ["2 items forwarded by the liaison"]


def test_liaison_answers_without_pm(seed: World) -> None:
    w = seed
    _join_sales(w, "stakeholder")
    item = _send(w, "stakeholder", to="pm")
    with w.db.uow() as s:
        done = comms.answer(s, w.actor("liaison"), w.p1, item["id"], body="Already planned.")
    assert done["reached_pm"] is False and done["pm_minutes"] is None
    assert _analytics(w)["table"][0]["resolved_by_liaison"] == 1


def test_department_without_liaison_reaches_pm_directly(seed: World) -> None:
    w = seed
    _dept(w, "Ops", "worker")
    item = _send(w, "worker", to="pm")
    assert item["route"] == "direct" and item["status"] == "open" and item["liaison_id"] is None
    with w.db.uow() as s:
        comms.answer(s, w.actor("pm"), w.p1, item["id"], body="Yes")
    a = _analytics(w)
    assert a["totals"]["direct"] == 1 and a["totals"]["pm_minutes"] == C.DEFAULT_PM_MINUTES


def test_pm_direct_contact_and_department_message_through_liaison(seed: World) -> None:
    w = seed
    _join_sales(w, "stakeholder")
    direct = _send(w, "pm", to="user", to_user_id=w.users["stakeholder"])
    assert direct["direct_contact"] is True and direct["route"] == "direct"
    assert direct["department_id"] == w.sales
    out = _send(w, "pm", to="department", to_department_id=w.sales, subject="Training dates")
    assert out["route"] == "via_liaison" and out["status"] == "with_liaison"
    with w.db.uow(readonly=True) as s, pytest.raises(NotFound):  # not yet relayed: the member cannot see it
        comms.get_item(s, w.actor("stakeholder"), w.p1, out["id"])
    with w.db.uow() as s:
        comms.forward(s, w.actor("liaison"), w.p1, item_ids=[out["id"]], note="Please pick a date")
    with w.db.uow(readonly=True) as s:
        seen = comms.get_item(s, w.actor("stakeholder"), w.p1, out["id"])
    assert seen["status"] == "delivered"  # relayed to the department: it waits for nobody
    assert _analytics(w)["totals"]["pm_direct_contacts"] == 1
    with w.db.uow(readonly=True) as s:
        assert out["id"] not in [i["id"] for i in comms.list_items(s, w.actor("pm"), w.p1, status="open")]
        assert out["id"] in [i["id"] for i in comms.list_items(s, w.actor("pm"), w.p1, status="delivered")]
    with w.db.uow() as s:  # the department may still reply; there is nothing to answer
        comms.reply(s, w.actor("stakeholder"), w.p1, out["id"], body="The 14th suits us")
    with w.db.uow() as s, pytest.raises(Conflict):
        comms.answer(s, w.actor("pm"), w.p1, out["id"], body="Noted")
    with w.db.uow() as s:
        closed = comms.close(s, w.actor("pm"), w.p1, out["id"])
    assert closed["status"] == "closed"


def test_an_announcement_is_delivered_not_open(seed: World) -> None:
    w = seed
    a = _send(w, "pm", to="project", kind="announcement", subject="Go-live moved")
    assert a["status"] == "delivered" and a["direction"] == "announcement"
    with w.db.uow(readonly=True) as s:
        assert a["id"] not in [i["id"] for i in comms.list_items(s, w.actor("pm"), w.p1, status="open")]
        assert comms.get_item(s, w.actor("worker"), w.p1, a["id"])["status"] == "delivered"


def test_liaison_cannot_see_other_departments_items(seed: World, api: Any) -> None:
    w = seed
    fin = _dept(w, "Finance", "stakeholder")
    _liaise(w, "task_leader_b", fin)
    item = _send(w, "stakeholder", to="pm")
    assert item["liaison_id"] == w.users["task_leader_b"]
    with w.db.uow(readonly=True) as s:
        assert comms.list_items(s, w.actor("liaison"), w.p1) == []
        with pytest.raises(NotFound):
            comms.get_item(s, w.actor("liaison"), w.p1, item["id"])
        assert [i["id"] for i in comms.list_items(s, w.actor("pm"), w.p1)] == [item["id"]]
        assert [i["id"] for i in comms.list_items(s, w.actor("task_leader_b"), w.p1)] == [item["id"]]
    r = api.post(
        f"/projects/{w.p1}/messages/forward", json={"item_ids": [item["id"]]}, headers=w.headers("liaison")
    )
    assert r.status_code == 404
    r = api.get(f"/projects/{w.p1}/liaison-desk", params={"department_id": fin}, headers=w.headers("liaison"))
    assert r.status_code == 403
    r = api.get(f"/projects/{w.p1}/messages/{item['id']}", headers=w.headers("worker"))
    assert r.status_code == 404


def test_messages_to_people_outside_the_project_are_refused(seed: World, api: Any) -> None:
    w = seed
    r = api.post(f"/projects/{w.p1}/messages", headers=w.headers("pm"),
                 json={"to": "user", "to_user_id": w.users["outsider"], "subject": "Hi", "body": "Hello"})  # fmt: skip
    assert r.status_code == 422
    assert "Outsider (outsider)" in r.json()["error"]["message"]
    r = api.post(f"/projects/{w.p1}/messages", headers=w.headers("worker"),
                 json={"to": "pm", "subject": "Hi", "body": "cc @outsider"})  # fmt: skip
    assert r.status_code == 422 and "@outsider" in r.json()["error"]["message"]


def test_mentions_add_and_notify_members(seed: World) -> None:
    w = seed
    item = _send(w, "stakeholder", to="pm", body="Please look, @worker and @task-leader.")
    reasons = {p["user_id"]: p["reason"] for p in item["participants"]}
    assert reasons[w.users["worker"]] == "mention" and reasons[w.users["task_leader"]] == "mention"
    with w.db.uow(readonly=True) as s:
        assert comms.get_item(s, w.actor("worker"), w.p1, item["id"])["subject"] == "Question"
        note = s.scalars(select(Notification.subject).where(Notification.user_id == w.users["worker"])).all()
    assert any("mentioned you" in n for n in note)
    with w.db.uow() as s, pytest.raises(ValidationError, match="nobody"):
        comms.send(s, w.actor("worker"), w.p1, to="pm", subject="x", body="@nobody")


def test_markdown_is_sanitised_on_render(seed: World) -> None:
    from charter.io import markdown

    item = _send(seed, "worker", to="pm", body="**bold** <script>alert(1)</script>")
    html = markdown.render(item["messages"][0]["body"])
    assert "<strong>bold</strong>" in html and "<script>" not in html


def test_announcements(seed: World) -> None:
    w = seed
    ann = _send(w, "pm", to="project", kind="announcement", subject="Go-live moved")
    with w.db.uow(readonly=True) as s:
        assert [i["id"] for i in comms.list_items(s, w.actor("observer"), w.p1)] == [ann["id"]]
    with w.db.uow() as s, pytest.raises(Exception) as exc:
        comms.send(s, w.actor("worker"), w.p1, to="project", kind="announcement", subject="x", body="y")
    assert getattr(exc.value, "http_status", None) == 403
    _join_sales(w, "stakeholder")
    dept = _send(
        w, "liaison", to="department", to_department_id=w.sales, kind="announcement", subject="Sales"
    )
    role = _send(w, "pm", to="role", to_role_id=w.roles[STAKEHOLDER], kind="announcement", subject="Role")
    with w.db.uow(readonly=True) as s:
        seen = {i["id"] for i in comms.list_items(s, w.actor("stakeholder"), w.p1)}
        assert {dept["id"], role["id"], ann["id"]} <= seen
        assert dept["id"] not in {i["id"] for i in comms.list_items(s, w.actor("worker"), w.p1)}


def test_thread_attached_to_a_record(seed: World) -> None:
    w = seed
    item = _send(w, "worker", to="pm", entity_type="task", entity_id=w.tasks["a"])
    with w.db.uow(readonly=True) as s:
        found = comms.list_items(s, w.actor("pm"), w.p1, entity_type="task", entity_id=w.tasks["a"])
    assert [i["id"] for i in found] == [item["id"]]


# --------------------------------------------------------------------------------------------- analytics


def test_before_and_after_a_liaison_assigned_mid_project(seed: World, frozen_clock: Any) -> None:
    w = seed
    ops = _dept(w, "Ops", "worker")
    _dept(w, "Legal", "task_leader")
    start = frozen_clock.now

    def raise_and_answer(who: str, minutes: int) -> int:
        item = _send(w, who, to="pm")
        frozen_clock.advance(hours=4)
        with w.db.uow() as s:
            comms.answer(s, w.actor("pm"), w.p1, item["id"], body="ok", pm_minutes=minutes)
        return int(item["id"])

    for _ in range(2):  # weeks 1-2: Ops writes to the PM directly
        raise_and_answer("worker", 20)
        raise_and_answer("task_leader", 30)
        frozen_clock.advance(days=7)
    since = frozen_clock.now
    _liaise(w, "stakeholder", ops, since)
    for k in range(4):  # weeks 3-4: through the liaison, who resolves half of it
        item = _send(w, "worker", to="pm")
        assert item["route"] == "via_liaison"
        with w.db.uow() as s:
            if k % 2:
                comms.answer(s, w.actor("stakeholder"), w.p1, item["id"], body="handled")
            else:
                comms.forward(s, w.actor("stakeholder"), w.p1, item_ids=[item["id"]])
                comms.answer(s, w.actor("pm"), w.p1, item["id"], body="ok", pm_minutes=10)
        frozen_clock.advance(days=3)

    a = _analytics(w)
    ops_rows = [r for r in a["table"] if r["department"] == "Ops"]
    assert ops_rows[0]["week"] == C.iso_week(start)
    assert sum(r["direct"] for r in ops_rows) == 2 and sum(r["via_liaison"] for r in ops_rows) == 2
    assert sum(r["resolved_by_liaison"] for r in ops_rows) == 2
    (cmp,) = a["before_after"]
    assert cmp["department"] == "Ops" and cmp["liaison_since"] == since
    assert cmp["before"]["raised"] == 2 and cmp["before"]["pm_minutes_per_item"] == 20
    assert cmp["after"]["raised"] == 4 and cmp["after"]["pm_minutes_per_item"] == 5
    assert cmp["reduction"] == 0.75
    (est,) = a["estimates"]
    assert est["department"] == "Legal" and est["reduction_applied"] == 0.75
    per_week = est["current"]["pm_minutes_per_week"]
    assert est["estimated_pm_minutes_per_week"] == pytest.approx(per_week * 0.25, abs=0.01)
    assert est["estimated_items_reaching_pm_per_week"] == pytest.approx(
        est["raised_per_week"] * 0.5, abs=0.01
    )

    liaison_view = _analytics(w, "stakeholder")
    assert {r["department"] for r in liaison_view["table"]} == {"Ops"}
    with w.db.uow(readonly=True) as s, pytest.raises(Exception) as exc:
        comms_analytics.analytics(s, w.actor("worker"), w.p1)
    assert getattr(exc.value, "http_status", None) == 403


# --------------------------------------------------------------------------------------------- plan


def test_overdue_plan_entries_are_flagged_to_owner_and_pm(seed: World, frozen_clock: Any) -> None:
    w = seed
    today = frozen_clock.now.date()
    with w.db.uow() as s:
        weekly = comm_plan.create_entry(
            s, w.actor("pm"), w.p1, information="Status report", audience="department",
            audience_department_id=w.sales, frequency="weekly", channel="email",
            owner_id=w.users["liaison"], starts_on=today - timedelta(days=21),
        )  # fmt: skip
        monthly = comm_plan.create_entry(
            s, w.actor("pm"), w.p1, information="Steering", audience="role",
            audience_role_id=w.roles["sponsor"], frequency="monthly", channel="meeting",
        )  # fmt: skip
        comm_plan.mark_done(s, w.actor("liaison"), w.p1, weekly["id"], on=today - timedelta(days=14))
        comm_plan.mark_done(s, w.actor("pm"), w.p1, monthly["id"])
    with w.db.uow() as s:
        plan = {e["id"]: e for e in comm_plan.list_plan(s, w.actor("worker"), w.p1)}
        assert plan[weekly["id"]]["next_due"] == today - timedelta(days=7)
        assert plan[weekly["id"]]["overdue"] is True
        assert plan[monthly["id"]]["overdue"] is False and plan[monthly["id"]]["next_due"] > today
        flagged = comm_plan.flag_overdue(s, w.actor("pm"), w.p1)
    assert [e["id"] for e in flagged] == [weekly["id"]]
    with w.db.uow(readonly=True) as s:
        got = set(s.scalars(select(Notification.user_id).where(Notification.kind == "comms.plan_overdue")))
    assert got == {w.users["liaison"], w.users["pm"]}
    with w.db.uow() as s, pytest.raises(Exception) as exc:
        comm_plan.mark_done(s, w.actor("worker"), w.p1, weekly["id"])
    assert getattr(exc.value, "http_status", None) == 403


def test_the_workers_pass_flags_overdue_entries_once_and_skips_closed_projects(
    seed: World, frozen_clock: Any
) -> None:
    from charter.services import scheduled

    w = seed
    today = frozen_clock.now.date()
    with w.db.uow() as s:
        weekly = comm_plan.create_entry(
            s, w.actor("pm"), w.p1, information="Status report", audience="project", frequency="weekly",
            channel="email", owner_id=w.users["liaison"], starts_on=today - timedelta(days=21),
        )  # fmt: skip
        comm_plan.create_entry(
            s, w.actor("outsider"), w.p2, information="P2 digest", audience="project", frequency="weekly",
            channel="email", starts_on=today - timedelta(days=21),
        )  # fmt: skip
        s.execute(update(Project).where(Project.id == w.p2).values(status="closed"))
    (job,) = [j for j in scheduled.jobs() if j.__name__ == "_comm_plan_overdue"]
    for _ in range(2):  # the second pass tells nobody again
        with w.db.uow() as s:
            assert job(s, frozen_clock.now) == [weekly["id"]]
    with w.db.uow(readonly=True) as s:
        got = sorted(s.execute(select(Notification.user_id, Notification.event_key)
                               .where(Notification.kind == "comms.plan_overdue")).all())  # fmt: skip
    key = f"comm-plan:{weekly['id']}:{today - timedelta(days=21)}"
    assert got == sorted([(w.users["liaison"], key), (w.users["pm"], key)])
    with w.db.uow() as s:  # done today: nothing overdue on the next pass
        comm_plan.mark_done(s, w.actor("liaison"), w.p1, weekly["id"])
        assert job(s, frozen_clock.now) == []


def test_next_due_rules() -> None:
    d = date(2030, 1, 31)
    assert C.next_due(C.Frequency.MONTHLY, d, d) == date(2030, 2, 28)
    assert C.next_due(C.Frequency.ONCE, d, d) is None
    assert C.next_due(C.Frequency.ONCE, d, None) == d
    ms = [date(2030, 2, 1), date(2030, 3, 1)]
    assert C.next_due(C.Frequency.PER_MILESTONE, d, date(2030, 2, 1), ms) == date(2030, 3, 1)


# --------------------------------------------------------------------------------------------- meetings


def test_meeting_action_items_become_tasks_and_invitation(seed: World, frozen_clock: Any) -> None:
    w = seed
    at = datetime(2030, 1, 8, 10, 0, tzinfo=UTC)
    with w.db.uow() as s:
        m = meetings.create_meeting(s, w.actor("pm"), w.p1, title="Kick-off; phase 2", starts_at=at,
                                    ends_at=at + timedelta(hours=1), agenda="1. Scope\n2. Dates",
                                    attendee_ids=[w.users["worker"], w.users["liaison"]])  # fmt: skip
        m = meetings.update_meeting(s, w.actor("pm"), w.p1, m["id"], m["version"], minutes="We *agreed*.")
        meetings.add_decision(s, w.actor("pm"), w.p1, m["id"], text="Go with vendor B")
        m = meetings.add_action(s, w.actor("pm"), w.p1, m["id"], text="Draft the cut-over plan",
                                owner_id=w.users["worker"], due_on=date(2030, 1, 20))  # fmt: skip
    (action,) = m["actions"]
    assert m["decisions"][0]["text"] == "Go with vendor B"
    with w.db.uow(readonly=True) as s:
        t = tasks.get_task(s, w.actor("pm"), w.p1, action["task_id"])
        row = s.get(Task, action["task_id"])
        assert row is not None and row.deadline is not None and row.deadline.date() == date(2030, 1, 20)
        ics = meetings.invitation_ics(s, w.actor("worker"), w.p1, m["id"]).decode().replace("\r\n ", "")
    assert t["name"] == "Draft the cut-over plan"
    assert [a["user_id"] for a in t["assignees"]] == [w.users["worker"]]
    assert "METHOD:REQUEST" in ics and "DTSTART:20300108T100000Z" in ics
    assert "SUMMARY:P1 Kick-off\\; phase 2" in ics
    assert ics.count("ATTENDEE;") == 2 and "mailto:worker@example.test" in ics
    with w.db.uow() as s, pytest.raises(ValidationError, match="Outsider"):
        meetings.create_meeting(s, w.actor("pm"), w.p1, title="x", starts_at=at, ends_at=at + timedelta(hours=1),
                                attendee_ids=[w.users["outsider"]])  # fmt: skip
    with w.db.uow() as s, pytest.raises(Exception) as exc:
        meetings.add_decision(s, w.actor("worker"), w.p1, m["id"], text="mine")
    assert getattr(exc.value, "http_status", None) == 403


def test_api_end_to_end(seed: World, api: Any) -> None:
    w = seed
    _join_sales(w, "stakeholder")
    h = w.headers
    r = api.post(f"/projects/{w.p1}/messages", headers=h("stakeholder"),
                 json={"to": "pm", "subject": "Need", "body": "More *licences*", "kind": "request"})  # fmt: skip
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    r = api.post(f"/projects/{w.p1}/messages/{iid}/replies", headers=h("liaison"), json={"body": "On it"})
    assert r.status_code == 201 and r.json()["first_response_at"]
    r = api.post(f"/projects/{w.p1}/messages/forward", headers=h("liaison"), json={"item_ids": [iid]})
    assert r.status_code == 201
    r = api.post(
        f"/projects/{w.p1}/messages/{iid}/answer", headers=h("pm"), json={"body": "ok", "pm_minutes": 5}
    )
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = api.post(f"/projects/{w.p1}/messages/{iid}/close", headers=h("stakeholder"))
    assert r.status_code == 200 and r.json()["closed_at"]
    r = api.get(f"/projects/{w.p1}/comms/analytics", headers=h("pm"))
    assert r.json()["totals"]["via_liaison"] == 1
    r = api.get(f"/projects/{w.p1}/liaison-desk", headers=h("liaison"))
    assert r.json()["departments"][0]["stats"]["forwarded"] == 1


def test_cli_messages_and_analytics(seed: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from charter.cli.main import app

    w = seed
    _join_sales(w, "stakeholder")
    monkeypatch.setenv("CHARTER_DATABASE_URL", w.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    runner = CliRunner()
    r = runner.invoke(app, ["--as", "stakeholder", "messages", "send", "P1", "--to", "pm", "--subject", "Q",
                            "--body", "When?"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--as", "liaison", "messages", "list", "P1", "--json"])
    iid = __import__("json").loads(r.stdout)[0]["id"]
    r = runner.invoke(app, ["--as", "liaison", "messages", "forward", "P1", str(iid), "--note", "fyi"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app, ["--as", "pm", "messages", "answer", "P1", str(iid), "--body", "Soon", "--minutes", "7"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["--as", "pm", "comms", "analytics", "P1", "--json"])
    assert r.exit_code == 0, r.output
    assert __import__("json").loads(r.stdout)["totals"]["pm_minutes"] == 7
    r = runner.invoke(app, ["--as", "pm", "comms", "analytics", "P1"])
    assert r.exit_code == 0 and "Sales" in r.stdout
