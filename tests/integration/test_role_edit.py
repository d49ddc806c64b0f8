"""Editing a role after it was created: on the project page (an "Edit" disclosure per role for those who manage
roles, POST /projects/{id}/roles/{role_id}), as PATCH /api/v1/projects/{id}/roles/{role_id} and
`charter role update`. A built-in role keeps its name and permissions (its description may change); a custom
role's name, description, one-holder-per-scope and permissions change. Nobody but an admin gives themselves a
permission they do not hold, through a role they hold or take."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from charter.domain.roles import OBSERVER, SPONSOR, TASK_WORKER
from charter.persistence.models import JournalEntry, User
from charter.services import accounts, roles
from webhelpers import csrf_of, signed_in


def _custom(seed: Any, name: str = "Security Officer") -> dict[str, Any]:
    """A custom role in P1 made by the PM, holding risk.raise."""
    with seed.db.uow() as s:
        pm = accounts.actor_for(s.get(User, seed.users["pm"]))
        return roles.create_role(s, pm, seed.p1, name=name, permissions=["risk.raise"])


def _role(api: Any, seed: Any, as_: Any, role_id: int) -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/roles", headers=as_("pm"))
    assert r.status_code == 200
    return next(x for x in r.json() if x["id"] == role_id)


def _form(page: str, role_id: int) -> str:
    assert f'id="re-{role_id}"' in page, f"no edit form for role {role_id}"
    return page.split(f'<details id="re-{role_id}"')[1].split("</details>")[0]


def _post(c: Any, seed: Any, role_id: int, page: str, **fields: str) -> Any:
    m = re.search(r'name="version" value="(\d+)"', _form(page, role_id))
    assert m
    data = {"csrf_token": csrf_of(page), "version": m.group(1), **fields}
    return c.post(f"/projects/{seed.p1}/roles/{role_id}", data=data)


def _journal(seed: Any, role_id: int) -> int:
    with seed.db.uow(readonly=True) as s:
        q = select(func.count()).where(
            JournalEntry.entity_type == "role", JournalEntry.entity_id == str(role_id)
        )
        return int(s.scalar(q) or 0)


def test_pm_renames_a_custom_role_and_sets_its_permissions(api: Any, seed: Any, as_: Any) -> None:
    role = _custom(seed)
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        form = _form(page, role["id"])
        # the form shows the role as it is: its name, its permissions ticked, project.read always on
        assert 'value="Security Officer"' in form
        assert re.search(r'name="perm:risk.raise"\s*checked', form)
        assert not re.search(r'name="perm:tech.manage"\s*checked', form)
        assert re.search(r'name="perm:project.read"\s*checked\s*disabled', form)
        before = _journal(seed, role["id"])
        r = _post(c, seed, role["id"], page, permissions_shown="1", name="Security Lead",
                  description="Owns the security review", exclusive="on",
                  **{"perm:tech.manage": "on", "perm:risk.manage": "on"})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/projects/{seed.p1}#roles", r.text
    after = _role(api, seed, as_, role["id"])
    assert after["name"] == "Security Lead" and after["description"] == "Owns the security review"
    assert after["exclusive"] is True
    # the boxes are the whole set: risk.raise was not ticked, so it is gone; project.read stays
    assert after["permissions"] == ["project.read", "risk.manage", "tech.manage"]
    assert _journal(seed, role["id"]) == before + 1
    # none ticked leaves reading only
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        r = _post(c, seed, role["id"], page, permissions_shown="1", name="Security Lead")
        assert r.status_code == 303, r.text
    after = _role(api, seed, as_, role["id"])
    assert after["permissions"] == ["project.read"] and after["exclusive"] is False


def test_builtin_role_changes_its_description_only(api: Any, seed: Any, as_: Any) -> None:
    rid = seed.roles[OBSERVER]
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        form = _form(page, rid)
        assert 'name="name"' not in form and "perm:" not in form
        assert "A built-in role keeps its name and permissions" in form
        r = _post(c, seed, rid, page, description="Reads the plan, nothing more")
        assert r.status_code == 303, r.text
        assert _role(api, seed, as_, rid)["description"] == "Reads the plan, nothing more"
        # a forged name on a built-in role: 422 beside that role's form, the input kept, nothing saved
        page = c.get(f"/projects/{seed.p1}").text
        r = _post(c, seed, rid, page, name="Viewer", description="Typed text")
        assert r.status_code == 422
        assert f'id="re-{rid}-error"' in r.text and "built-in role keeps its name" in r.text
        assert 'value="Typed text"' in _form(r.text, rid) and re.search(
            rf'<details id="re-{rid}"[^>]*open', r.text
        )
    assert _role(api, seed, as_, rid)["name"] == "Observer"


def test_stale_edit_is_409_with_the_saved_role(api: Any, seed: Any, as_: Any) -> None:
    role = _custom(seed, "Auditor")
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        assert _post(c, seed, role["id"], page, name="Internal Auditor").status_code == 303
        r = _post(c, seed, role["id"], page, name="External Auditor")  # the version of the first read
        assert r.status_code == 409
        assert f'id="re-{role["id"]}-conflict"' in r.text and "Internal Auditor" in r.text
        assert 'value="External Auditor"' in _form(r.text, role["id"])
    assert _role(api, seed, as_, role["id"])["name"] == "Internal Auditor"


def test_making_a_role_exclusive_while_two_hold_it_is_409(api: Any, seed: Any, as_: Any) -> None:
    rid = _custom(seed, "Reviewer")["id"]
    for who in ("worker", "stakeholder"):
        r = api.post(f"/projects/{seed.p1}/assignments", headers=as_("pm"),
                     json={"role_id": rid, "user_id": seed.users[who]})  # fmt: skip
        assert r.status_code == 201, r.text
    r = api.patch(
        f"/projects/{seed.p1}/roles/{rid}", headers=as_("pm"), json={"version": 1, "exclusive": True}
    )
    assert r.status_code == 409 and r.json()["error"]["field"] == "exclusive", r.text
    assert "end one of those assignments" in r.json()["error"]["message"]
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        r = _post(c, seed, rid, page, permissions_shown="1", name="Reviewer", exclusive="on")
        assert r.status_code == 409 and f'id="re-{rid}-error"' in r.text
    assert _role(api, seed, as_, rid)["exclusive"] is False


def test_nobody_gives_themselves_a_permission_they_lack(api: Any, seed: Any, as_: Any) -> None:
    # the PM lacks budget.approve (the sponsor's): taking the Sponsor role is refused, as is a hand-over to self
    r = api.post(f"/projects/{seed.p1}/assignments", headers=as_("pm"),
                 json={"role_id": seed.roles[SPONSOR], "user_id": seed.users["pm"]})  # fmt: skip
    assert r.status_code == 403 and "budget.approve" in r.json()["error"]["message"], r.text
    r = api.post(f"/projects/{seed.p1}/handovers", headers=as_("pm"),
                 json={"role_id": seed.roles[SPONSOR], "to_user_id": seed.users["pm"]})  # fmt: skip
    assert r.status_code == 403, r.text
    # a custom role the PM holds: adding a permission the PM has is fine, budget.approve is not
    rid = _custom(seed, "Deputy")["id"]
    r = api.post(f"/projects/{seed.p1}/assignments", headers=as_("pm"),
                 json={"role_id": rid, "user_id": seed.users["pm"]})  # fmt: skip
    assert r.status_code == 201, r.text
    r = api.patch(f"/projects/{seed.p1}/roles/{rid}", headers=as_("pm"),
                  json={"version": 1, "permissions": ["risk.raise", "tech.manage"]})  # fmt: skip
    assert r.status_code == 200, r.text
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        r = _post(c, seed, rid, page, permissions_shown="1", name="Deputy",
                  **{"perm:tech.manage": "on", "perm:budget.approve": "on"})  # fmt: skip
        assert r.status_code == 403 and "budget.approve" in r.text
        assert re.search(r'name="perm:budget.approve"\s*checked', _form(r.text, rid))  # the ticks are kept
    assert "budget.approve" not in _role(api, seed, as_, rid)["permissions"]
    # a role the PM does not hold may carry it (given to someone else, as the Sponsor role is)
    other = _custom(seed, "Budget Approver")["id"]
    r = api.patch(f"/projects/{seed.p1}/roles/{other}", headers=as_("pm"),
                  json={"version": 1, "permissions": ["budget.approve"]})  # fmt: skip
    assert r.status_code == 200, r.text
    # the admin may give themselves anything
    r = api.post(f"/projects/{seed.p1}/assignments", headers=as_("admin"),
                 json={"role_id": other, "user_id": seed.users["admin"]})  # fmt: skip
    assert r.status_code == 201, r.text


def test_who_may_not_manage_roles_sees_no_form_and_gets_403(api: Any, seed: Any, as_: Any) -> None:
    rid = seed.roles[TASK_WORKER]
    with signed_in(seed, "task_leader") as c:
        page = c.get(f"/projects/{seed.p1}").text
        assert 'id="re-' not in page
        r = c.post(f"/projects/{seed.p1}/roles/{rid}",
                   data={"csrf_token": csrf_of(page), "version": "1", "description": "x"})  # fmt: skip
        assert r.status_code == 403
    with signed_in(seed, "pm") as c:  # P2's role through P1: not found
        page = c.get(f"/projects/{seed.p1}").text
        r = c.post(f"/projects/{seed.p1}/roles/{seed.p2_roles[OBSERVER]}",
                   data={"csrf_token": csrf_of(page), "version": "1", "description": "x"})  # fmt: skip
        assert r.status_code == 404
    assert _role(api, seed, as_, rid)["description"] != "x"


def test_cli_role_update(api: Any, seed: Any, as_: Any, cli: Any) -> None:
    rid = _custom(seed, "Release Manager")["id"]
    r = cli("role", "update", "P1", "Release Manager", "--grant", "tech.manage", "--grant", "change.request",
            "--revoke", "risk.raise", "--exclusive", "--description", "Ships releases")  # fmt: skip
    assert "Release Manager" in r.stdout and "tech.manage" in r.stdout and "one holder per scope" in r.stdout
    role = _role(api, seed, as_, rid)
    assert role["permissions"] == ["change.request", "project.read", "tech.manage"] and role["exclusive"]
    cli("role", "update", "P1", str(rid), "--name", "Release Lead", "--permission", "quality.manage")
    role = _role(api, seed, as_, rid)
    assert role["name"] == "Release Lead" and role["permissions"] == ["project.read", "quality.manage"]
    # refusals: a built-in role's name, nothing to change, both ways of giving permissions, a stale version
    r = cli("role", "update", "P1", "observer", "--name", "Viewer", code=1)
    assert "built-in role keeps its name" in r.output
    assert "nothing to change" in cli("role", "update", "P1", "Release Lead", code=1).output
    r = cli(
        "role", "update", "P1", "Release Lead", "--permission", "tech.manage", "--grant", "risk.raise", code=1
    )
    assert "not both" in r.output
    r = cli("role", "update", "P1", "Release Lead", "--description", "x", "--version", "1", code=1)
    assert "version" in r.output
    assert cli("role", "update", "--help").exit_code == 0
