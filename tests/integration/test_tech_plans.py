"""Update plans: an update item becomes a few finish-to-start linked tasks from an editable template, in a
work package, with the owner and due date from the item, during the project and after its closure."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from sqlalchemy import select

from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from charter.persistence.models import Project, Task, TaskLink
from charter.services import roles, tasks, tech, tech_plans, work_packages


def _item(seed: Any, *, owner: str = "task_leader", kind: str = "advisory", due: str = "2030-02-01") -> Any:
    with seed.db.uow() as s:
        c = tech.create_component(s, seed.actor("pm"), seed.p1, name="Django", current_version="4.2",
                                  owner_id=seed.users[owner])  # fmt: skip
        u = tech.create_update(s, seed.actor("pm"), c["id"], kind=kind, title="CVE-2030-1", severity="high",
                               due_on=due)  # fmt: skip
    return c, u


def test_template_per_kind_is_proposed_with_owner_and_due_date(seed: Any) -> None:
    _, u = _item(seed, kind="certificate")
    with seed.db.uow(readonly=True) as s:
        p = tech_plans.proposal(s, seed.actor("pm"), u["id"])
    assert [x["name"].split(":")[0] for x in p["steps"]] == [
        n for n, _ in tech_plans.TEMPLATES["certificate"]
    ]
    assert all("Django 4.2" in x["name"] for x in p["steps"])
    assert p["owner_id"] == seed.users["task_leader"] and p["due_on"] == dt.date(2030, 2, 1)
    assert p["work_package_name"] == "Technology updates" and p["work_package_id"] is None


def test_an_edited_plan_lands_as_linked_tasks_in_a_work_package(seed: Any, frozen_clock: Any) -> None:
    c, u = _item(seed, owner="worker")
    pm = seed.actor("pm")
    steps = [{"name": "Assess CVE exposure", "days": 1}, {"name": "Patch staging", "days": 2},
             {"name": "Roll out", "days": 1}, {"name": "Verify", "days": 0}]  # fmt: skip
    with seed.db.uow() as s:
        out = tech_plans.create_plan(s, pm, u["id"], u["version"], steps=steps)
    assert out["status"] == "planned" and out["notes"] == []
    names = [t["name"] for t in out["tasks"]]
    assert names == ["Assess CVE exposure", "Patch staging", "Roll out", "Verify"]
    ids = [t["task_id"] for t in out["tasks"]]
    with seed.db.uow(readonly=True) as s:
        links = {(lk.pred_id, lk.succ_id, lk.type) for lk in s.scalars(select(TaskLink))}
        assert {(a, b, "FS") for a, b in itertools.pairwise(ids)} <= links
        first, last = (tasks.get_task(s, pm, seed.p1, i) for i in (ids[0], ids[-1]))
        wps = {w["id"]: w["name"] for w in work_packages.list_work_packages(s, pm, seed.p1)}
        comp = tech.get_component(s, pm, c["id"])
    assert first["constraint_type"] == "snet" and first["constraint_date"].date() == frozen_clock.now.date()
    assert last["deadline"] == dt.datetime(2030, 2, 1, 17, 0) and last["milestone"] is True
    assert {wps[t["work_package_id"]] for t in out["tasks"]} == {"Technology updates"}
    assert all(t["assignees"] == [seed.users["worker"]] for t in out["tasks"])
    assert comp["updates"][0]["status"] == "planned" and len(comp["updates"][0]["plan"]) == 4
    assert comp["updates"][0]["task_id"] == ids[0]
    with pytest.raises(Conflict), seed.db.uow() as s:  # planned once
        tech_plans.create_plan(s, pm, u["id"], out["version"])
    assert out["done"] is False
    with seed.db.uow() as s:
        for i in ids:
            t = tasks.get_task(s, pm, seed.p1, i)
            tasks.update_task(s, pm, seed.p1, i, t["version"], percent_complete=100)
        assert tech_plans.plan(s, pm, u["id"])["done"] is True


@pytest.mark.parametrize(
    ("owner", "package", "assigned"),
    [("observer", None, False), ("observer", "wp_a", False), ("task_leader", None, False),
     ("task_leader", "wp_a", True), ("task_leader", "wp_a1", True), ("worker", None, True)],
)  # fmt: skip
def test_the_owner_is_assigned_only_where_they_may_work_on_tasks(
    seed: Any, owner: str, package: str | None, assigned: bool
) -> None:
    """An Observer holds a role but cannot record progress, and a Task Leader works only in their package
    (here WP-A and its sub-package; the default "Technology updates" package is not theirs): the tasks stay
    unassigned then, with a note; named explicitly, such an owner is refused (422, nothing created)."""
    _, u = _item(seed, owner=owner)
    pm = seed.actor("pm")
    wp = getattr(seed, package) if package else None
    with seed.db.uow() as s:
        out = tech_plans.create_plan(s, pm, u["id"], u["version"], work_package_id=wp)
    want = [seed.users[owner]] if assigned else []
    assert all(t["assignees"] == want for t in out["tasks"])
    assert bool(out["notes"]) is not assigned
    if not assigned:
        assert "task progress or task edit" in out["notes"][0]
    _, u2 = _item(seed, owner=owner)
    if assigned:
        return
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech_plans.create_plan(s, pm, u2["id"], u2["version"], work_package_id=wp, owner_id=seed.users[owner])
    assert e.value.field == "owner_id" and "task progress or task edit" in e.value.message
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        tech_plans.create_plan(s, pm, u2["id"], u2["version"], work_package_id=wp,
                               steps=[{"name": "Patch", "days": 1, "owner_id": seed.users[owner]}])  # fmt: skip
    assert e.value.field == "steps[0].owner_id"
    with seed.db.uow(readonly=True) as s:
        assert s.scalars(select(Task.id).where(Task.name == "Patch")).all() == []


def test_bad_plans_are_refused_whole_naming_the_step(seed: Any) -> None:
    c, u = _item(seed)
    pm = seed.actor("pm")
    for steps, field in (([], "steps"), ([{"name": "ok", "days": 1}, {"name": " ", "days": 1}], "steps[1].name"),
                         ([{"name": "x", "days": -1}], "steps[0].days"),
                         ([{"name": "x", "days": "2"}], "steps[0].days")):  # fmt: skip
        with pytest.raises(ValidationError) as e, seed.db.uow() as s:
            tech_plans.create_plan(s, pm, u["id"], u["version"], steps=steps)
        assert e.value.field == field
    with pytest.raises(Conflict), seed.db.uow() as s:
        tech_plans.create_plan(s, pm, u["id"], u["version"] + 5)
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:  # an outsider cannot be the owner
        tech_plans.create_plan(s, pm, u["id"], u["version"], owner_id=seed.users["outsider"])
    assert "holds no role" in e.value.message
    with seed.db.uow(readonly=True) as s:
        assert tech.get_component(s, pm, c["id"])["updates"][0]["status"] == "open"
        assert s.scalars(select(Task.id).where(Task.name.in_(["ok", "x"]))).all() == []  # nothing half-made


def test_only_tech_managers_plan_and_strangers_do_not_see_the_item(seed: Any) -> None:
    _, u = _item(seed)
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        tech_plans.create_plan(s, seed.actor("worker"), u["id"], u["version"])
    with pytest.raises(NotFound), seed.db.uow() as s:
        tech_plans.proposal(s, seed.actor("outsider"), u["id"])


def test_after_closure_the_pm_plans_post_project_work_and_the_owner_follows_it(seed: Any) -> None:
    c, u = _item(seed)
    admin = seed.actor("admin")
    with seed.db.uow() as s:  # closure released the owner's role; the project is closed
        a = next(
            x for x in roles.list_assignments(s, admin, seed.p1) if x["id"] == seed.assignments["task_leader"]
        )
        roles.end_assignment(s, admin, seed.p1, a["id"], a["version"])
        s.get(Project, seed.p1).status = "closed"
    with seed.db.uow() as s:
        out = tech_plans.create_plan(s, seed.actor("pm"), u["id"], u["version"])
    assert len(out["tasks"]) == 4 and all(t["assignees"] == [] for t in out["tasks"])
    assert "holds no role" in out["notes"][0]
    with seed.db.uow(readonly=True) as s:  # the post-project owner still reads their component and its plan
        comp = tech.get_component(s, seed.actor("task_leader"), c["id"])
        assert comp["updates"][0]["status"] == "planned"
        with pytest.raises(NotFound):
            tech.get_component(s, seed.actor("outsider"), c["id"])


def test_api_and_cli_plan(api: Any, as_: Any, seed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, u = _item(seed)
    h = as_("pm")
    r = api.get(f"/tech/updates/{u['id']}/plan-template", headers=h)
    assert r.status_code == 200 and len(r.json()["steps"]) == 4
    r = api.post(f"/tech/updates/{u['id']}/plan", headers=h, json={"version": u["version"], "steps": [
        {"name": "Assess", "days": 1}, {"name": "Deploy", "days": 1}], "id": 5})  # fmt: skip
    assert r.status_code == 422  # mass assignment refused
    r = api.post(f"/tech/updates/{u['id']}/plan", headers=h, json={"version": u["version"], "steps": [
        {"name": "Assess", "days": 1}, {"name": "Deploy", "days": 1}]})  # fmt: skip
    assert r.status_code == 201, r.text
    assert [t["name"] for t in r.json()["tasks"]] == ["Assess", "Deploy"]
    assert api.get(f"/tech/updates/{u['id']}/plan", headers=h).json()["status"] == "planned"
    assert api.post(f"/tech/updates/{u['id']}/plan", headers=h, json={"version": 2}).status_code == 409
    assert api.get(f"/tech/updates/{u['id']}/plan", headers=as_("outsider")).status_code == 404

    from typer.testing import CliRunner

    from charter.cli.main import app
    from charter.config import get_settings

    _, u2 = _item(seed, kind="end_of_life")
    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    monkeypatch.setenv("CHARTER_USER", "pm")
    get_settings.cache_clear()
    runner = CliRunner()
    r = runner.invoke(app, ["tech", "plan", str(u2["id"]), "--json"])
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert len(json.loads(r.stdout)["tasks"]) == 4
    r = runner.invoke(app, ["tech", "plan", str(u2["id"])])
    assert r.exit_code != 0 and "already planned" in r.stderr


def test_whoever_did_the_work_may_mark_the_item_done(seed: Any) -> None:
    """Task Leaders are Responsible for technology (default RACI) without tech.manage: the Task Leader of the
    package a plan's tasks are in, or an assignee of one of them, may mark the item done (journaled as
    theirs); dismissing stays with tech.manage, and another package's Task Leader or an unplanned item is
    refused (403)."""
    from charter.persistence.models import JournalEntry

    pm = seed.actor("pm")
    _, u = _item(seed)
    _, unplanned = _item(seed)
    _, by_worker = _item(seed, owner="worker")
    with seed.db.uow() as s:
        p = tech_plans.create_plan(s, pm, u["id"], u["version"], work_package_id=seed.wp_a)
        w = tech_plans.create_plan(s, pm, by_worker["id"], by_worker["version"])  # worker assigned
    for who in ("task_leader_b", "observer", "worker"):
        with pytest.raises(PermissionDenied), seed.db.uow() as s:
            tech.set_update_status(s, seed.actor(who), u["id"], p["version"], "done")
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        tech.set_update_status(s, seed.actor("task_leader"), u["id"], p["version"], "dismissed", "not needed")
    with pytest.raises(PermissionDenied), seed.db.uow() as s:
        tech.set_update_status(s, seed.actor("task_leader"), unplanned["id"], unplanned["version"], "done")
    with seed.db.uow() as s:
        out = tech.set_update_status(s, seed.actor("task_leader"), u["id"], p["version"], "done", "patched")
        assert out["status"] == "done"
        out = tech.set_update_status(s, seed.actor("worker"), by_worker["id"], w["version"], "done")
        assert out["status"] == "done"
    with seed.db.uow(readonly=True) as s:
        e = s.scalars(select(JournalEntry).where(JournalEntry.entity_type == "tech_update",
                                                 JournalEntry.entity_id == str(u["id"]))
                      .order_by(JournalEntry.id.desc())).first()  # fmt: skip
        assert e is not None and e.actor_id == seed.users["task_leader"] and "done" in str(e.changes)
