"""Editing a work package on the project page: each package of the WBS list has an "Edit" disclosure (name,
description, the package it is under) for those who may change it, posting to
POST /projects/{id}/work-packages/{wp_id} as PATCH /api/v1/projects/{id}/work-packages/{wp_id} and
`charter wp update` do. A refusal re-renders the page with the error beside that package's form, the input
kept."""

from __future__ import annotations

import re
from typing import Any

from charter.domain.roles import TASK_LEADER
from charter.services import roles, work_packages
from webhelpers import csrf_of, signed_in


def _wps(api: Any, seed: Any, as_: Any) -> dict[str, dict[str, Any]]:
    r = api.get(f"/projects/{seed.p1}/work-packages", headers=as_("pm"))
    assert r.status_code == 200
    return {w["name"]: w for w in r.json()}


def _form(page: str, wp_id: int) -> str:
    """The Edit disclosure of one package on the project page."""
    assert f'id="wpe-{wp_id}"' in page, f"no edit form for package {wp_id}"
    return page.split(f'<details id="wpe-{wp_id}"')[1].split("</details>")[0]


def _version(page: str, wp_id: int) -> str:
    m = re.search(r'name="version" value="(\d+)"', _form(page, wp_id))
    assert m
    return m.group(1)


def _post(c: Any, seed: Any, wp_id: int, page: str, **fields: str) -> Any:
    data = {"csrf_token": csrf_of(page), "version": _version(page, wp_id), **fields}
    return c.post(f"/projects/{seed.p1}/work-packages/{wp_id}", data=data)


def test_pm_renames_describes_and_moves_a_package(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        form = _form(page, seed.wp_b)
        # the form shows the package as it is: its name, top level chosen, itself not offered as a parent
        assert 'name="name" required maxlength="200" value="WP-B"' in form
        assert re.search(r'<option value=""\s*selected>\(top level\)', form)
        assert f'<option value="{seed.wp_b}"' not in form and f'<option value="{seed.wp_a}"' in form
        r = _post(c, seed, seed.wp_b, page, name="Build", description="The build pipeline", parent_id="")
        assert r.status_code == 303 and r.headers["location"] == f"{url}#work", r.text
        wps = _wps(api, seed, as_)
        assert wps["Build"]["description"] == "The build pipeline" and wps["Build"]["wbs_code"] == "2"
        # moved under WP-A: after WP-A.1 and WP-A's two tasks, its code and its task's are renumbered
        page = c.get(url).text
        r = _post(c, seed, seed.wp_b, page, name="Build", description="The build pipeline",
                  parent_id=str(seed.wp_a))  # fmt: skip
        assert r.status_code == 303, r.text
        wps = _wps(api, seed, as_)
        assert wps["Build"]["parent_id"] == seed.wp_a and wps["Build"]["wbs_code"].startswith("1.")
        task_b = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['b']}", headers=as_("pm")).json()
        assert task_b["wbs_code"] == wps["Build"]["wbs_code"] + ".1"
        page = c.get(url).text
        assert f'<span class="code">{wps["Build"]["wbs_code"]}</span> Build' in page
        assert re.search(rf'<option value="{seed.wp_a}"\s*selected>', _form(page, seed.wp_b))
        # and back to the top level
        r = _post(c, seed, seed.wp_b, page, parent_id="")
        assert r.status_code == 303, r.text
        wps = _wps(api, seed, as_)
        assert wps["Build"]["parent_id"] is None and wps["Build"]["wbs_code"] == "2"


def test_task_leader_renames_own_package_only(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    with signed_in(seed, "task_leader") as c:
        page = c.get(url).text
        assert 'id="wp-h"' not in page  # adding at the top level is the PM's
        assert f'id="wpe-{seed.wp_b}"' not in page  # WP-B is not theirs: no form
        _form(page, seed.wp_a1)  # a sub-package of their own is theirs too
        r = _post(c, seed, seed.wp_a, page, name="Analysis", description="", parent_id="")
        assert r.status_code == 303, r.text
        assert "Analysis" in _wps(api, seed, as_)
    with signed_in(seed, "task_leader_b") as c:
        page = c.get(url).text
        assert f'id="wpe-{seed.wp_a}"' not in page and f'id="wpe-{seed.wp_b}"' in page
        # a forged form for WP-A: 403 beside that package's (otherwise hidden) form, nothing saved
        data = {"csrf_token": csrf_of(page), "version": "1", "name": "Mine now"}
        r = c.post(f"/projects/{seed.p1}/work-packages/{seed.wp_a}", data=data)
        assert r.status_code == 403 and 'id="wpe-' + str(seed.wp_a) + '-error"' in r.text, r.text
        assert f'<details id="wpe-{seed.wp_a}" open>' in r.text and 'value="Mine now"' in r.text
    assert "Mine now" not in _wps(api, seed, as_)
    # moving to the top level is a project change: not the Task Leader's, even for their own sub-package
    with signed_in(seed, "task_leader") as c:
        page = c.get(url).text
        r = _post(c, seed, seed.wp_a1, page, name="WP-A.1", parent_id="")
        assert r.status_code == 403 and f'id="wpe-{seed.wp_a1}-error"' in r.text
    assert _wps(api, seed, as_)["WP-A.1"]["parent_id"] == seed.wp_a


def test_leader_of_a_sub_package_keeps_it_where_it_is(api: Any, seed: Any, as_: Any) -> None:
    """The form sends the parent it shows: for the leader of a package under one they do not lead, staying
    there is no move (and needs no right on the parent)."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        sub = work_packages.create_work_package(s, pm, seed.p1, name="WP-B.1", parent_id=seed.wp_b)["id"]
        roles.assign_role(s, pm, seed.p1, role_id=seed.roles[TASK_LEADER], user_id=seed.users["worker"],
                          scope_id=sub)  # fmt: skip
    with signed_in(seed, "worker") as c:
        page = c.get(f"/projects/{seed.p1}").text
        assert f'id="wpe-{seed.wp_b}"' not in page
        r = _post(c, seed, sub, page, name="Pipelines", description="CI", parent_id=str(seed.wp_b))
        assert r.status_code == 303, r.text
        page = c.get(f"/projects/{seed.p1}").text
        r = _post(c, seed, sub, page, name="Pipelines", parent_id=str(seed.wp_a))  # a move needs WP-A's right
        assert r.status_code == 403, r.text
    wps = _wps(api, seed, as_)
    assert wps["Pipelines"]["description"] == "CI" and wps["Pipelines"]["parent_id"] == seed.wp_b


def test_stale_version_is_409_with_the_typed_name_kept(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        old = _version(page, seed.wp_b)
        r = api.patch(f"/projects/{seed.p1}/work-packages/{seed.wp_b}",
                      json={"version": int(old), "name": "Theirs"}, headers=as_("pm"))  # fmt: skip
        assert r.status_code == 200
        r = _post(c, seed, seed.wp_b, page, name="Mine", description="my words")
        assert r.status_code == 409, r.text
        form = _form(r.text, seed.wp_b)
        assert f'id="wpe-{seed.wp_b}-error"' in form and "changed by someone else" in form
        assert f'id="wpe-{seed.wp_b}-conflict"' in form and "it is now <strong>Theirs</strong>" in form
        assert 'value="Mine"' in form and ">my words</textarea>" in form
        assert f'<details id="wpe-{seed.wp_b}" open>' in r.text
        # the re-rendered form carries the current version: saving again puts the user's version over theirs
        assert _version(r.text, seed.wp_b) == str(int(old) + 1)
        r = _post(c, seed, seed.wp_b, r.text, name="Mine")
        assert r.status_code == 303
    assert "Mine" in _wps(api, seed, as_)


def test_bad_input_is_422_on_its_field(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        r = _post(c, seed, seed.wp_a, page, name="   ", description="kept")
        assert r.status_code == 422, r.text
        assert re.search(rf'id="wpe-{seed.wp_a}-name"[^>]*aria-invalid="true"', r.text)
        assert "the work package needs a name" in r.text and ">kept</textarea>" in r.text
        r = _post(c, seed, seed.wp_a, page, name="x" * 201)
        assert r.status_code == 422 and "at most 200 characters" in r.text
        # under its own sub-package: refused on the Under select, the choice kept
        r = _post(c, seed, seed.wp_a, page, name="WP-A", parent_id=str(seed.wp_a1))
        assert r.status_code == 422, r.text
        assert re.search(rf'id="wpe-{seed.wp_a}-parent"[^>]*aria-invalid="true"', r.text)
        assert "cannot move under itself or its own sub-package" in r.text
        assert re.search(rf'<option value="{seed.wp_a1}"\s*selected>', _form(r.text, seed.wp_a))
        r = _post(c, seed, seed.wp_a, page, name="WP-A", parent_id="first")
        assert r.status_code == 422 and "must be a whole number" in r.text
    wps = _wps(api, seed, as_)
    assert wps["WP-A"]["parent_id"] is None and wps["WP-A"]["description"] == ""


def test_other_projects_packages_are_404(seed: Any) -> None:
    with signed_in(seed, "pm") as c:
        page = c.get(f"/projects/{seed.p1}").text
        data = {"csrf_token": csrf_of(page), "version": "1", "name": "Hijacked"}
        r = c.post(f"/projects/{seed.p1}/work-packages/{seed.wp_p2}", data=data)
        assert r.status_code == 404 and "Traceback" not in r.text
        r = c.post(f"/projects/{seed.p2}/work-packages/{seed.wp_p2}", data=data)
        assert r.status_code == 404
        # a move under another project's package: 404 on the parent
        data = {"csrf_token": csrf_of(page), "version": "1", "parent_id": str(seed.wp_p2)}
        r = c.post(f"/projects/{seed.p1}/work-packages/{seed.wp_b}", data=data)
        assert r.status_code == 404
    with signed_in(seed, "outsider") as c:
        page = c.get(f"/projects/{seed.p2}").text
        data = {"csrf_token": csrf_of(page), "version": "1", "name": "Hijacked"}
        assert c.post(f"/projects/{seed.p1}/work-packages/{seed.wp_a}", data=data).status_code == 404


def test_forms_need_the_csrf_token(api: Any, seed: Any, as_: Any) -> None:
    with signed_in(seed, "pm") as c:
        r = c.post(
            f"/projects/{seed.p1}/work-packages/{seed.wp_a}", data={"version": "1", "name": "No token"}
        )
        assert r.status_code == 403
    assert "No token" not in _wps(api, seed, as_)


def test_observer_sees_no_edit_form(seed: Any) -> None:
    with signed_in(seed, "observer") as c:
        page = c.get(f"/projects/{seed.p1}").text
        assert "wpe-" not in page and '<span class="code">1</span> WP-A' in page


def test_a_moved_package_goes_last_among_its_new_siblings(api: Any, seed: Any, as_: Any) -> None:
    """It does not keep the position it had among its old siblings (which could put it first): a package moved
    under WP-A comes after everything WP-A holds, as a task moved into a package does."""
    h = as_("pm")
    top = api.post(f"/projects/{seed.p1}/work-packages", headers=h, json={"name": "First"})
    assert top.status_code == 201, top.text
    # a fresh top-level package has the highest position at the top level; WP-A's children have low ones
    before = {w["name"]: w for w in api.get(f"/projects/{seed.p1}/work-packages", headers=h).json()}
    children = [w for w in before.values() if w["parent_id"] == seed.wp_a]
    r = api.patch(f"/projects/{seed.p1}/work-packages/{seed.wp_b}", headers=h,
                  json={"version": before["WP-B"]["version"], "parent_id": seed.wp_a})  # fmt: skip
    assert r.status_code == 200, r.text
    moved = r.json()
    tasks = api.get(f"/projects/{seed.p1}/tasks", headers=h, params={"work_package_id": seed.wp_a}).json()
    in_a = [t for t in tasks if t["work_package_id"] == seed.wp_a]
    last = max(int(x["wbs_code"].split(".")[1]) for x in [*children, *in_a])
    assert moved["wbs_code"] == f"1.{last + 1}", (moved, children, in_a)
    # an explicit position still wins
    r = api.patch(f"/projects/{seed.p1}/work-packages/{seed.wp_b}", headers=h,
                  json={"version": moved["version"], "parent_id": None, "position": 0})  # fmt: skip
    assert r.status_code == 200 and r.json()["wbs_code"] == "1", r.text
