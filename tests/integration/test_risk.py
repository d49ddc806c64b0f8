"""The risk register: lifecycle and validation (strategy vs kind, scales, owner must be a member), who may
raise and manage, the rating history and burndown, heat map cells, response actions as tasks, reminders."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.persistence.models import Notification, RiskAction, Task
from charter.services import risk


def _add(seed: Any, who: str = "pm", **kw: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        return risk.create_risk(s, seed.actor(who), seed.p1, **{"title": "Vendor late", **kw})


def test_lifecycle_score_and_occurred(seed: Any, frozen_clock: Any) -> None:
    r = _add(seed, category="vendor", cause="Single supplier", event="Delivery slips", effect="Go-live moves",
             owner_id=seed.users["task_leader"])  # fmt: skip
    assert r["status"] == "identified" and r["ref"] == "R-1" and r["score"] is None
    tl = seed.actor("task_leader")
    with seed.db.uow() as s:
        r = risk.update_risk(s, tl, seed.p1, r["id"], r["version"], probability=3, impact_schedule=4,
                             impact_cost=2, status="assessed")  # fmt: skip
    assert r["score"] == 12 and r["impact"] == 4 and r["band"] == "high"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        risk.set_status(s, tl, seed.p1, r["id"], r["version"], "responding")
    assert e.value.field == "strategy"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        risk.update_risk(s, tl, seed.p1, r["id"], r["version"], strategy="exploit")
    assert e.value.field == "strategy" and "threat" in e.value.message
    with seed.db.uow() as s:
        r = risk.update_risk(s, tl, seed.p1, r["id"], r["version"], strategy="mitigate", status="responding",
                             residual_probability=1, residual_impact=2)  # fmt: skip
    assert r["residual_score"] == 2
    with seed.db.uow() as s:
        r = risk.set_status(s, tl, seed.p1, r["id"], r["version"], "occurred", note="Supplier bankrupt")
    assert r["status"] == "occurred" and r["occurred_on"] == date(2030, 1, 7)
    assert r["issue_note"] == "Supplier bankrupt"
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        risk.set_status(s, tl, seed.p1, r["id"], r["version"], "responding")
    assert e.value.field == "status"
    statuses = [x["status"] for x in r["ratings"]]
    assert statuses == ["identified", "assessed", "responding", "occurred"]


def test_validation(seed: Any) -> None:
    with pytest.raises(ValidationError) as e:
        _add(seed, owner_id=seed.users["outsider"])
    assert e.value.field == "owner_id"
    with pytest.raises(ValidationError) as e:
        _add(seed, probability=6)
    assert e.value.field == "probability"
    with pytest.raises(ValidationError) as e:
        _add(seed, probability_value=1.5)
    assert e.value.field == "probability_value"
    with pytest.raises(ValidationError) as e:
        _add(seed, kind="opportunity", strategy="avoid")
    assert e.value.field == "strategy"
    o = _add(seed, kind="opportunity", strategy="enhance", title="Reuse a module")
    assert o["strategy"] == "enhance"
    with pytest.raises(ValidationError) as e:
        _add(seed, task_id=seed.tasks["p2"])
    assert e.value.field == "task_id"


def test_scales(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        out = risk.set_scales(s, pm, seed.p1, [{"dimension": "schedule", "level": 3, "label": "Weeks",
                                                "low": 5, "high": 15}])  # fmt: skip
    assert out["scales"]["schedule"][2] == {"level": 3, "label": "Weeks", "low": 5.0, "high": 15.0}
    bad = [
        ({"dimension": "probability", "level": 5, "label": "x", "low": 0.5, "high": 1.5}, "probability.5"),
        ({"dimension": "cost", "level": 2, "label": "x", "low": 9, "high": 1}, "cost.2"),
        ({"dimension": "schedule", "level": 1, "label": "x", "low": 50, "high": 60}, "schedule"),
    ]
    for item, field in bad:
        with pytest.raises(ValidationError) as e, seed.db.uow() as s:
            risk.set_scales(s, pm, seed.p1, [item])
        assert e.value.field == field
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.set_scales(s, seed.actor("worker"), seed.p1, [])


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"dimension": "probability", "level": True, "label": "Rare"}, "levels.1.level"),
        ({"dimension": "cost", "level": 2, "label": "x", "low": False}, "levels.1.low"),
        ({"dimension": "cost", "level": 2, "label": "x", "high": True}, "levels.1.high"),
        ({"dimension": "cost", "level": 2, "label": "x", "high": "a lot"}, "levels.1.high"),
    ],
)
def test_scales_refuse_true_false_and_words_for_numbers(seed: Any, item: dict[str, Any], field: str) -> None:
    """Python reads true as 1: {"level": true} changed level 1 and {"low": false} set a bound of 0; the
    service (which the API, the web form and the demo call with a list of dicts) now refuses them by field."""
    ok = {"dimension": "schedule", "level": 3, "label": "Weeks", "low": 5, "high": 15}
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        risk.set_scales(s, seed.actor("pm"), seed.p1, [ok, item])
    assert e.value.field == field
    with seed.db.uow() as s:
        assert risk.get_scales(s, seed.actor("pm"), seed.p1)["scales"]["schedule"][2]["label"] != "Weeks"


def test_scales_api_refuses_a_boolean_level_by_field(seed: Any, api: Any) -> None:
    url = f"/projects/{seed.p1}/risk-scales"
    before = api.get(url, headers=seed.headers("pm")).json()
    for body, field in (
        ({"levels": [{"dimension": "probability", "level": True, "label": "Rare"}]}, "levels.0.level"),
        ({"levels": [{"dimension": "cost", "level": 2, "low": False}]}, "levels.0.low"),
    ):
        r = api.put(url, json=body, headers=seed.headers("pm"))
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field
        assert "true or false" in r.json()["error"]["message"]
    assert api.get(url, headers=seed.headers("pm")).json() == before


def test_permissions(seed: Any) -> None:
    r = _add(seed, who="worker")  # any member raises; the raiser owns it by default
    assert r["owner_id"] == seed.users["worker"]
    with seed.db.uow() as s:  # the owner manages it
        r = risk.update_risk(s, seed.actor("worker"), seed.p1, r["id"], r["version"], probability=2)
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.update_risk(s, seed.actor("stakeholder"), seed.p1, r["id"], r["version"], probability=3)
    with seed.db.uow() as s:  # the PM manages every risk
        r = risk.update_risk(
            s, seed.actor("pm"), seed.p1, r["id"], r["version"], owner_id=seed.users["sponsor"]
        )
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.update_risk(s, seed.actor("worker"), seed.p1, r["id"], r["version"], probability=3)
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.create_risk(s, seed.actor("observer"), seed.p1, title="Nope")
    with pytest.raises(NotFound), seed.db.uow() as s:
        risk.get_risk(s, seed.actor("outsider"), seed.p1, r["id"])
    with pytest.raises(NotFound), seed.db.uow() as s:
        risk.create_risk(s, seed.actor("outsider"), seed.p1, title="Nope")
    with seed.db.uow(readonly=True) as s:  # the new owner was told
        n = s.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.user_id == seed.users["sponsor"], Notification.kind == "risk.owner"))  # fmt: skip
    assert n == 1


def test_api_raise_manage_and_outsider(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}/risks"
    r = api.post(url, json={"title": "Key person leaves", "category": "people", "probability": 2,
                            "impact_scope": 3}, headers=as_("stakeholder"))  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "assessed" and body["score"] == 6
    rid = body["id"]
    assert api.patch(f"{url}/{rid}", json={"version": body["version"], "probability": 4},
                     headers=as_("worker")).status_code == 403  # fmt: skip
    assert api.get(f"{url}/{rid}", headers=as_("outsider")).status_code == 404
    r = api.patch(f"{url}/{rid}", json={"version": body["version"], "probability": 6}, headers=as_("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "probability"
    assert (
        api.post(f"{url}/{rid}/comments", json={"body": "Cross-train"}, headers=as_("worker")).status_code
        == 201
    )
    got = api.get(f"{url}/{rid}", headers=as_("observer")).json()
    assert got["comments"][0]["body"] == "Cross-train"


def test_actions_are_tasks(seed: Any) -> None:
    r = _add(seed, work_package_id=seed.wp_a)
    with seed.db.uow() as s:
        out = risk.add_action(s, seed.actor("pm"), seed.p1, r["id"], name="Second supplier", duration="2d")
        out = risk.add_action(s, seed.actor("pm"), seed.p1, r["id"], task_id=seed.tasks["c"])
    assert [a["name"] for a in out["actions"]] == ["Second supplier", "Task C"]
    with seed.db.uow(readonly=True) as s:
        t = s.get(Task, out["actions"][0]["task_id"])
        assert t is not None and t.work_package_id == seed.wp_a and t.duration == 2 * 480
        assert s.scalar(select(func.count()).select_from(RiskAction)) == 2
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.add_action(s, seed.actor("worker"), seed.p1, r["id"], name="X")


def test_the_owner_or_a_risk_manager_adds_a_response_without_task_edit(seed: Any) -> None:
    """A Security Officer-like role (risk.manage, no task.edit) and a risk's owner who plans no tasks in the
    risk's package add a response action: the task is created in the risk's package on their behalf and
    journaled as theirs. Another package still needs task.edit there (403, nothing created); someone who
    neither owns the risk nor manages risks is refused as before."""
    from charter.persistence.models import JournalEntry
    from charter.services import roles

    admin = seed.actor("admin")
    with seed.db.uow() as s:
        role = roles.create_role(s, admin, seed.p1, name="Security Officer",
                                 permissions=["project.read", "risk.raise", "risk.manage"])  # fmt: skip
        roles.assign_role(s, admin, seed.p1, role_id=role["id"], user_id=seed.users["outsider"])
    r = _add(seed, work_package_id=seed.wp_a, owner_id=seed.users["task_leader_b"])
    cases = (("outsider", "Pen test the portal"), ("task_leader_b", "Second supplier"))
    for who, name in cases:
        with seed.db.uow() as s:
            out = risk.add_action(s, seed.actor(who), seed.p1, r["id"], name=name, duration="1d")
        with seed.db.uow(readonly=True) as s:
            tid = next(a["task_id"] for a in out["actions"] if a["name"] == name)
            t = s.get(Task, tid)
            assert t is not None and t.work_package_id == seed.wp_a
            entry = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "task",
                                                         JournalEntry.entity_id == str(tid))).one()  # fmt: skip
            assert entry.action == "create" and entry.actor_id == seed.users[who]
    with pytest.raises(PermissionDenied), seed.db.uow() as s:  # not the risk's package: task.edit there
        risk.add_action(
            s, seed.actor("outsider"), seed.p1, r["id"], name="Elsewhere", work_package_id=seed.wp_b
        )
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        risk.add_action(s, seed.actor("worker"), seed.p1, r["id"], name="Not mine")
    with seed.db.uow(readonly=True) as s:
        assert s.scalars(select(Task.id).where(Task.name.in_(["Elsewhere", "Not mine"]))).all() == []


def test_rating_history_burndown_and_heatmap(seed: Any, frozen_clock: Any) -> None:
    pm = seed.actor("pm")
    a = _add(seed, probability=4, impact_cost=5)  # 20
    b = _add(seed, probability=2, impact_quality=3, title="Flaky tests")  # 6
    _add(seed, kind="opportunity", probability=3, impact_cost=3, title="Bulk discount")  # 9
    frozen_clock.advance(days=7)
    with seed.db.uow() as s:
        a = risk.update_risk(s, pm, seed.p1, a["id"], a["version"], probability=2)  # 10
        risk.update_risk(s, pm, seed.p1, a["id"], a["version"], title="Renamed")  # not a rating change
    frozen_clock.advance(days=7)
    with seed.db.uow() as s:
        risk.set_status(s, pm, seed.p1, b["id"], b["version"], "closed")
    with seed.db.uow(readonly=True) as s:
        hist = risk.ratings(s, pm, seed.p1, a["id"])
        bd = risk.burndown(s, pm, seed.p1)
        hm = risk.heatmap(s, pm, seed.p1)
        cell = risk.list_risks(s, pm, seed.p1, probability=2, impact=5)
    assert [h["score"] for h in hist] == [20, 10]
    assert [w["exposure"] for w in bd] == [26, 16, 10]
    assert [w["opportunity"] for w in bd] == [9, 9, 9]
    counts = {(c["probability"], c["impact"]): c["count"] for row in hm["rows"] for c in row["cells"]}
    assert counts[(2, 5)] == 1 and counts[(3, 3)] == 1 and sum(counts.values()) == 2
    assert hm["rows"][0]["probability"] == 5
    assert [r["title"] for r in cell] == ["Renamed"]


def test_heatmap_columns_are_labelled_by_the_impact_scales_not_the_schedule_scale(seed: Any) -> None:
    """The columns are the largest of the four impacts; they were labelled with the schedule scale alone, so a
    project's own cost or quality wording never showed and a schedule wording stood for every impact."""
    from webhelpers import signed_in

    pm = seed.actor("pm")
    _add(seed, probability=4, impact_cost=3, title="Licence audit")
    severe = [{"dimension": d, "level": 5, "label": "Severe"} for d in ("quality", "scope")]
    severe += [{"dimension": "schedule", "level": 5, "label": "Severe", "low": 20, "high": 40},
               {"dimension": "cost", "level": 5, "label": "Severe", "low": 50000, "high": 150000}]  # fmt: skip
    with seed.db.uow() as s:
        risk.set_scales(s, pm, seed.p1, [{"dimension": "schedule", "level": 3, "label": "Weeks late",
                                          "low": 5, "high": 15}])  # fmt: skip
        risk.set_scales(s, pm, seed.p1, severe)
    with seed.db.uow(readonly=True) as s:
        labels = risk.heatmap(s, pm, seed.p1)["impact_labels"]
    assert labels[0] == "Very low" and labels[4] == "Severe"  # the four scales agree
    assert labels[2] == "schedule: Weeks late; cost: Medium; quality: Medium; scope: Medium"
    with signed_in(seed, "pm") as client:
        page = client.get(f"/projects/{seed.p1}/risks").text
    head = page.split('id="heatmap-table"')[1].split("</thead>")[0]
    assert "schedule: Weeks late; cost: Medium" in head and "Severe" in head


def test_overview_by_work_package(seed: Any) -> None:
    _add(seed, probability=3, impact_schedule=3, task_id=seed.tasks["b"])
    _add(seed, probability=1, impact_schedule=1, work_package_id=seed.wp_a)
    _add(seed, probability=5, impact_schedule=5)
    with seed.db.uow(readonly=True) as s:
        ov = risk.overview(s, seed.actor("observer"), seed.p1)
    assert [r["score"] for r in ov["top"]] == [25, 9, 1]
    by = {b["work_package"]: b["exposure"] for b in ov["by_work_package"]}
    assert by == {"WP-B": 9, "WP-A": 1, "(project-wide)": 25}


def test_review_reminders(seed: Any, frozen_clock: Any) -> None:
    r = _add(seed, review_date=date(2030, 1, 10), owner_id=seed.users["task_leader"])
    _add(seed, review_date=date(2030, 1, 20), title="Later")
    with seed.db.uow() as s:
        assert risk.due_reminders(s) == []
    frozen_clock.advance(days=5)
    with seed.db.uow() as s:
        assert risk.due_reminders(s) == [r["id"]]
    with seed.db.uow() as s:
        risk.due_reminders(s)  # the same review date is reminded once
    with seed.db.uow(readonly=True) as s:
        n = s.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "risk.review"))
    assert n == 1


# --------------------------------------------------------------------------------------------- web pages

PW = "web-risk-pass-1"


def _login(client: Any, seed: Any, name: str) -> str:
    import re

    from sqlalchemy import update

    from charter.persistence.models import User
    from charter.services import accounts

    with seed.db.uow() as s:
        s.execute(
            update(User).where(User.id == seed.users[name]).values(password_hash=accounts.hash_password(PW))
        )
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    r = client.post("/login", data={"username": name.replace("_", "-"), "password": PW,
                                    "csrf_token": token.group(1), "next": "/projects"})  # fmt: skip
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects").text)
    assert m
    return m.group(1)


def test_web_register_heatmap_risk_page_and_simulation(seed: Any) -> None:
    from fastapi.testclient import TestClient

    from charter.app import create_app

    _add(seed, probability=4, impact_cost=5, title="Licence audit", task_id=seed.tasks["a"])
    _add(seed, probability=2, impact_quality=3, title="Flaky tests")
    with TestClient(create_app(seed.db), follow_redirects=False) as client:
        csrf = _login(client, seed, "worker")
        page = client.get(f"/projects/{seed.p1}/risks")
        assert page.status_code == 200 and 'id="heatmap-table"' in page.text and "burndown-chart" in page.text
        cell = client.get(f"/projects/{seed.p1}/risks?probability=4&impact=5")
        assert "Licence audit" in cell.text.split('id="risk-table"')[1]
        assert "Flaky tests" not in cell.text.split('id="risk-table"')[1]
        r = client.post(f"/projects/{seed.p1}/risks", data={"csrf_token": csrf, "title": "Key person leaves",
                        "category": "people", "probability": "3", "impact_scope": "4"})  # fmt: skip
        assert r.status_code == 303
        risk_url = r.headers["location"]
        page = client.get(risk_url)
        assert "Key person leaves" in page.text and 'id="edit-form"' in page.text  # the raiser owns it
        assert (
            client.post(risk_url + "/comments", data={"csrf_token": csrf, "body": "Pair up"}).status_code
            == 303
        )
        bad = client.post(risk_url, data={"csrf_token": csrf, "version": "1", "strategy": "exploit"})
        assert bad.status_code == 422 and "not a strategy for a threat" in bad.text
        assert "Pair up" in client.get(risk_url).text
        sim = client.get(f"/projects/{seed.p1}/simulation")
        assert sim.status_code == 200 and 'id="sim-form"' not in sim.text  # only the PM runs simulations
        csrf = _login(client, seed, "pm")
        r = client.post(f"/projects/{seed.p1}/simulation", data={"csrf_token": csrf, "iterations": "300",
                                                                  "seed": "4", "spread_high": "20"})  # fmt: skip
        assert r.status_code == 303
        sim = client.get(r.headers["location"])
        assert 'id="finish-chart"' in sim.text and 'id="tornado-chart"' in sim.text and "P90" in sim.text
        bad = client.post(f"/projects/{seed.p1}/simulation", data={"csrf_token": csrf, "iterations": "0"})
        assert bad.status_code == 422 and "iterations" in bad.text
