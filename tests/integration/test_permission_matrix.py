"""The permission matrix: every API operation x every kind of caller -> the expected outcome class.

ONE declarative table (`TABLE`) says what each caller may do; one test per cell is generated from it.
`test_table_covers_every_route` fails when an endpoint has no row, so a new endpoint cannot ship untested.

Outcome classes: "ok" (any 2xx), "401", "403", "404". Objects of a project the caller cannot see are 404,
never 403. A refused call must write nothing (the journal count is unchanged).

Speed: the seeded world is built once per test process (conftest's `_seeded_world`); every cell gets a copy
of its file (SQLite) or puts its snapshot back (PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from charter.api.app import create_api
from charter.domain.roles import OBSERVER, SPONSOR, TASK_LEADER
from charter.persistence.db import Database
from charter.persistence.models import JournalEntry, User, WorkPackage
from charter.services import accounts, projects
from charter.services.context import SYSTEM
from matrix_cells import callers_to_try

# The seeded world of tests/conftest.py (`test_callers_are_the_seeded_users` keeps these in step).
MEMBERS = ("pm", "task_leader", "task_leader_b", "worker", "stakeholder", "liaison", "sponsor", "observer")
CALLERS = ("anonymous", "admin", *MEMBERS, "outsider")
IS_POSTGRES = os.environ.get("CHARTER_TEST_DATABASE_URL", "").strip().startswith("postgresql")
World = Any  # conftest.World: users, tokens, p1, p2, wp_a, wp_a1, wp_b, wp_p2, sales, roles, assignments

# --------------------------------------------------------------------------------------------- outcomes

Expect = dict[str, str]


def public() -> Expect:
    return dict.fromkeys(CALLERS, "ok")


def authenticated() -> Expect:
    return {**dict.fromkeys(CALLERS, "ok"), "anonymous": "401"}


def admin_only() -> Expect:
    return {**dict.fromkeys(CALLERS, "403"), "anonymous": "401", "admin": "ok"}


def in_p1(*allowed: str) -> Expect:
    """A P1 operation: admin and the named members succeed, other members are refused (403), the outsider
    (who cannot see P1) gets 404."""
    out = {c: ("ok" if c in allowed else "403") for c in MEMBERS}
    return {**out, "anonymous": "401", "admin": "ok", "outsider": "404"}


def in_p2(*allowed: str) -> Expect:
    """A P2 operation: every P1 member cannot see P2 -> 404."""
    return {
        **dict.fromkeys(MEMBERS, "404"),
        "anonymous": "401",
        "admin": "ok",
        "outsider": "ok" if "outsider" in allowed else "403",
    }


def nowhere() -> Expect:
    """An object that does not exist (or not where the path says): 404 for every authenticated caller."""
    return {**dict.fromkeys(CALLERS, "404"), "anonymous": "401"}


def but(base: Expect, **overrides: str) -> Expect:
    return {**base, **overrides}


READ_P1 = in_p1(*MEMBERS)

# --------------------------------------------------------------------------------------------- the table

Url = Callable[[World, str], str]
Body = Callable[[World, str], Any]


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # the route template, exactly as FastAPI declares it
    expect: Expect
    variant: str = "default"
    url: Url | None = None  # the concrete URL; default: `path` (no parameters)
    body: Body | None = None
    params: dict[str, Any] | None = None
    prepare: Callable[[World, str], None] | None = None  # extra state the cell needs
    files: Callable[[World, str], dict[str, Any]] | None = None  # multipart uploads
    form: dict[str, str] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def _own_user(w: World, caller: str) -> int:
    return w.users.get(caller, w.users["worker"])


def _fresh_token_id(owner: Callable[[str], str]) -> Url:
    def url(w: World, caller: str) -> str:
        who = owner(caller)
        with w.db.uow() as s:
            tok = accounts.create_token(s, w.actor(who), name="to revoke", expires_in_days=None)
        return f"/me/tokens/{tok['id']}"

    return url


@functools.cache
def _password_hash(password: str) -> str:
    return accounts.hash_password(password)  # argon2 is slow on purpose: hash once per run


def _worker_password(w: World, caller: str) -> dict[str, Any]:
    with w.db.uow() as s:
        s.execute(
            update(User)
            .where(User.id == w.users["worker"])
            .values(password_hash=_password_hash("correct horse battery"))
        )
    return {"username": "worker", "password": "correct horse battery", "name": "cli"}


def _own_password(w: World, caller: str) -> dict[str, Any]:
    """The caller knows their password (set for the cell); the body changes it."""
    if caller != "anonymous":
        with w.db.uow() as s:
            s.execute(
                update(User)
                .where(User.id == w.users[caller])
                .values(password_hash=_password_hash("correct horse battery"))
            )
    return {"current_password": "correct horse battery", "new_password": "a new long passphrase"}


def _wp_version(w: World, wp_id: int) -> int:
    """Creating a work package renumbers the tree, so its version is not always 1."""
    with w.db.uow(readonly=True) as s:
        return s.scalar(select(WorkPackage.version).where(WorkPackage.id == wp_id)) or 0


def _delete_p1(w: World, caller: str) -> None:
    with w.db.uow() as s:
        projects.delete_project(s, w.actor("admin"), w.p1, 1)


def _plan_csv() -> dict[str, Any]:
    csv = b"id,name,duration,predecessors\r\n1,Imported A,2d,\r\n2,Imported B,1d,1FS+1d\r\n"
    return {"file": ("plan.csv", csv, "text/csv")}


def _resource_of(w: World, name: str) -> int:
    from charter.services.resources import person_resource

    with w.db.uow() as s:
        return person_resource(s, w.users[name], SYSTEM).id


def _new_resource(w: World) -> int:
    from charter.services.resources import create_resource

    with w.db.uow() as s:
        return create_resource(s, w.actor("admin"), name="Test rig", kind="equipment")["id"]


def _resource_exception_url(w: World, c: str) -> str:
    """A day off of the worker's person resource (entered by the admin), as its API URL."""
    import datetime as dt

    from charter.services.resources import add_exception

    rid = _resource_of(w, "worker")
    with w.db.uow() as s:
        r = add_exception(s, w.actor("admin"), rid, day=dt.date(2020, 3, 2), name="Vacation")
    return f"/resources/{rid}/exceptions/{r['exceptions'][0]['id']}"


def _assignment_of_worker(w: World) -> tuple[int, int]:
    from charter.services.resources import assignees_of

    with w.db.uow(readonly=True) as s:
        a = assignees_of(s, [w.tasks["a"]])[w.tasks["a"]][0]
    return a["assignment_id"], a["version"]


def _levelling_run(w: World, apply: bool) -> int:
    from charter.services import levelling

    with w.db.uow() as s:
        run = levelling.preview(s, w.actor("admin"), w.p1)["id"]
    if apply:
        with w.db.uow() as s:
            levelling.accept(s, w.actor("admin"), w.p1, run)
    return int(run)


def _custom_field(w: World) -> str:
    """A custom field of P1 (made for the cell), as its URL."""
    from charter.services import custom_fields

    with w.db.uow() as s:
        fid = custom_fields.create_field(s, w.actor("admin"), w.p1, name="Customer", kind="text")["id"]
    return f"/projects/{w.p1}/custom-fields/{fid}"


def _saved_view(w: World, *, shared: bool = True) -> str:
    """A view of P1's task list the PM made for the cell: shared with the project, or the PM's own."""
    from charter.services import views

    with w.db.uow() as s:
        vid = views.create_view(
            s, w.actor("pm"), w.p1, name="Critical", query={"critical": True}, shared=shared
        )["id"]
    return f"/projects/{w.p1}/views/{vid}"


def _feed_url(w: World, caller: str, *, revoke: bool = False) -> str:
    """The address of a feed key the caller (anonymous: the worker) made for the cell, revoked or not."""
    from charter.services import feeds

    who = "worker" if caller == "anonymous" else caller
    with w.db.uow() as s:
        path = feeds.make_feed_key(s, w.actor(who))["path"]
        if revoke:
            feeds.revoke_feed_key(s, w.actor(who))
    return path.removeprefix("/api/v1")


def p1(suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}{suffix}"


TABLE: tuple[Op, ...] = (
    # --- documentation (public) --------------------------------------------------------------------------
    Op("GET", "/openapi.json", public()),
    Op("GET", "/docs", public()),
    Op("GET", "/docs/oauth2-redirect", public()),
    # --- accounts ------------------------------------------------------------------------------------------
    Op("POST", "/auth/token", public(), body=_worker_password),
    Op("GET", "/me", authenticated()),
    Op("POST", "/me/password", authenticated(), body=_own_password),
    Op("GET", "/me/tokens", authenticated()),
    Op("POST", "/me/tokens", authenticated(), body=lambda w, c: {"name": "ci"}),
    Op(
        "DELETE",
        "/me/tokens/{token_id}",
        authenticated(),
        "own token",
        url=_fresh_token_id(lambda c: "worker" if c == "anonymous" else c),
    ),
    Op(
        "DELETE",
        "/me/tokens/{token_id}",
        but(nowhere(), admin="ok", pm="ok"),
        "the PM's token",
        url=_fresh_token_id(lambda c: "pm"),
    ),
    # --- organisation --------------------------------------------------------------------------------------
    Op("GET", "/users", authenticated()),
    Op(
        "POST",
        "/users",
        admin_only(),
        body=lambda w, c: {"username": "newbie", "display_name": "New Bie", "is_admin": False},
    ),
    Op("GET", "/users/{user_id}", authenticated(), url=lambda w, c: f"/users/{w.users['worker']}"),
    Op("GET", "/users/{user_id}", nowhere(), "missing user", url=lambda w, c: "/users/999999"),
    Op(
        "PATCH",
        "/users/{user_id}",
        admin_only(),
        url=lambda w, c: f"/users/{w.users['worker']}",
        body=lambda w, c: {"version": 1, "display_name": "Renamed"},
    ),
    Op(
        "PATCH",
        "/users/{user_id}",
        admin_only(),
        "make oneself admin",
        url=lambda w, c: f"/users/{_own_user(w, c)}",
        body=lambda w, c: {"version": 1, "is_admin": True},
    ),
    # an instance admin sees whether a user has a calendar feed address and revokes it (never sees or makes it)
    Op(
        "GET",
        "/users/{user_id}/feed-key",
        admin_only(),
        url=lambda w, c: f"/users/{w.users['worker']}/feed-key",
    ),
    Op(
        "GET",
        "/users/{user_id}/feed-key",
        but(admin_only(), admin="404"),
        "missing user",
        url=lambda w, c: "/users/999999/feed-key",
    ),
    Op(
        "DELETE",
        "/users/{user_id}/feed-key",
        admin_only(),
        "the worker's key",
        url=lambda w, c: f"/users/{w.users['worker']}/feed-key",
        prepare=lambda w, c: _feed_url(w, "worker"),
    ),
    Op(
        "DELETE",
        "/users/{user_id}/feed-key",
        but(admin_only(), admin="404"),
        "missing user",
        url=lambda w, c: "/users/999999/feed-key",
    ),
    Op("GET", "/departments", authenticated()),
    Op("POST", "/departments", admin_only(), body=lambda w, c: {"name": "Legal"}),
    Op(
        "PATCH",
        "/departments/{dept_id}",
        admin_only(),
        url=lambda w, c: f"/departments/{w.sales}",
        body=lambda w, c: {"version": 1, "name": "Sales EMEA"},
    ),
    # --- projects ------------------------------------------------------------------------------------------
    Op("GET", "/projects", authenticated()),
    Op("GET", "/projects", admin_only(), "include_deleted", params={"include_deleted": "true"}),
    Op("POST", "/projects", authenticated(), body=lambda w, c: {"key": "NEW", "name": "New project"}),
    Op("GET", "/projects/{project_id}", READ_P1, url=p1()),
    Op("GET", "/projects/{project_id}", in_p2("outsider"), "P2", url=lambda w, c: f"/projects/{w.p2}"),
    Op("GET", "/projects/{project_id}", nowhere(), "missing", url=lambda w, c: "/projects/999999"),
    Op(
        "GET",
        "/projects/{project_id}",
        but(nowhere(), admin="ok"),
        "deleted",
        url=p1(),
        prepare=_delete_p1,
    ),
    Op(
        "PATCH",
        "/projects/{project_id}",
        in_p1("pm"),
        url=p1(),
        body=lambda w, c: {"version": 1, "name": "Renamed"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}",
        in_p2("outsider"),
        "P2",
        url=lambda w, c: f"/projects/{w.p2}",
        body=lambda w, c: {"version": 1, "objectives": "Ship"},
    ),
    Op("DELETE", "/projects/{project_id}", in_p1("pm"), url=p1(), params={"version": 1}),
    # Restoring is an instance-admin operation refused before any project is looked up (same 403 for any id).
    Op("POST", "/projects/{project_id}/restore", admin_only(), url=p1("/restore"), prepare=_delete_p1),
    # --- work packages -------------------------------------------------------------------------------------
    Op("GET", "/projects/{project_id}/work-packages", READ_P1, url=p1("/work-packages")),
    Op(
        "POST",
        "/projects/{project_id}/work-packages",
        in_p1("pm"),
        "top level",
        url=p1("/work-packages"),
        body=lambda w, c: {"name": "New package"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/work-packages",
        in_p1("pm", "task_leader"),
        "under WP-A",
        url=p1("/work-packages"),
        body=lambda w, c: {"name": "Sub", "parent_id": w.wp_a},
    ),
    Op(
        "POST",
        "/projects/{project_id}/work-packages",
        in_p1("pm", "task_leader"),
        "under WP-A.1",
        url=p1("/work-packages"),
        body=lambda w, c: {"name": "Sub-sub", "parent_id": w.wp_a1},
    ),
    Op(
        "POST",
        "/projects/{project_id}/work-packages",
        in_p1("pm", "task_leader_b"),
        "under WP-B",
        url=p1("/work-packages"),
        body=lambda w, c: {"name": "Sub", "parent_id": w.wp_b},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/work-packages/{wp_id}",
        in_p1("pm", "task_leader"),
        "WP-A",
        url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_a}",
        body=lambda w, c: {"version": _wp_version(w, w.wp_a), "description": "How we do it"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/work-packages/{wp_id}",
        in_p1("pm", "task_leader"),
        "WP-A.1",
        url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_a1}",
        body=lambda w, c: {"version": _wp_version(w, w.wp_a1), "name": "Renamed"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/work-packages/{wp_id}",
        in_p1("pm", "task_leader_b"),
        "WP-B",
        url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_b}",
        body=lambda w, c: {"version": _wp_version(w, w.wp_b), "name": "Renamed"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/work-packages/{wp_id}",
        in_p1("pm"),
        "move WP-A.1 to the top level",
        url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_a1}",
        body=lambda w, c: {"version": _wp_version(w, w.wp_a1), "parent_id": None},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/work-packages/{wp_id}",
        but(nowhere(), outsider="404"),
        "P2's package through P1",
        url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_p2}",
        body=lambda w, c: {"version": _wp_version(w, w.wp_p2), "name": "Hijacked"},
    ),
    # --- journal -------------------------------------------------------------------------------------------
    Op("GET", "/projects/{project_id}/journal", READ_P1, url=p1("/journal")),
    Op("GET", "/journal", admin_only()),
    # --- roles, assignments, RACI, gaps -------------------------------------------------------------------
    Op("GET", "/projects/{project_id}/roles", READ_P1, url=p1("/roles")),
    Op(
        "POST",
        "/projects/{project_id}/roles",
        in_p1("pm"),
        url=p1("/roles"),
        body=lambda w, c: {"name": "Auditor", "permissions": ["quality.manage"], "raci": {"quality": "C"}},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/roles/{role_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/roles/{w.roles[OBSERVER]}",
        body=lambda w, c: {"version": 1, "description": "Reads everything"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/roles/{role_id}",
        but(in_p1(), admin="404", pm="404"),  # refused for lack of roles.manage before any lookup
        "P2's role through P1",
        url=lambda w, c: f"/projects/{w.p1}/roles/{w.p2_roles[OBSERVER]}",
        body=lambda w, c: {"version": 1, "description": "x"},
    ),
    Op("GET", "/projects/{project_id}/assignments", READ_P1, url=p1("/assignments")),
    Op(
        "POST",
        "/projects/{project_id}/assignments",
        in_p1("pm"),
        url=p1("/assignments"),
        body=lambda w, c: {"role_id": w.roles[OBSERVER], "user_id": w.users["outsider"]},
    ),
    Op(
        "POST",
        "/projects/{project_id}/assignments",
        in_p1("pm"),
        "task leader of WP-A.1",
        url=p1("/assignments"),
        body=lambda w, c: {
            "role_id": w.roles[TASK_LEADER],
            "user_id": w.users["worker"],
            "scope_id": w.wp_a1,
        },
    ),
    Op(
        "POST",
        "/projects/{project_id}/assignments/{assignment_id}/end",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/assignments/{w.assignments['worker']}/end",
        body=lambda w, c: {"version": 1},
    ),
    Op(
        "POST",
        "/projects/{project_id}/handovers",
        in_p1("pm"),
        url=p1("/handovers"),
        body=lambda w, c: {"role_id": w.roles[SPONSOR], "to_user_id": w.users["stakeholder"]},
    ),
    Op("GET", "/projects/{project_id}/raci", READ_P1, url=p1("/raci")),
    Op(
        "PUT",
        "/projects/{project_id}/raci/{area}/{role_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/raci/budget/{w.roles[OBSERVER]}",
        body=lambda w, c: {"letter": "C"},
    ),
    Op("GET", "/projects/{project_id}/gaps", READ_P1, url=p1("/gaps")),
    # --- schedule: tasks, links, calendars, baselines --------------------------------------------------------
    Op("GET", "/projects/{project_id}/schedule", READ_P1, url=p1("/schedule")),
    Op(
        "GET",
        "/projects/{project_id}/schedule",
        in_p2("outsider"),
        "P2",
        url=lambda w, c: f"/projects/{w.p2}/schedule",
    ),
    Op("POST", "/projects/{project_id}/schedule/recompute", in_p1("pm"), url=p1("/schedule/recompute")),
    Op(
        "PUT",
        "/projects/{project_id}/schedule/status-date",
        in_p1("pm"),
        url=p1("/schedule/status-date"),
        body=lambda w, c: {"status_date": "2020-02-03T09:00:00", "version": 1},
    ),
    Op("GET", "/projects/{project_id}/tasks", READ_P1, url=p1("/tasks")),
    Op(
        "POST",
        "/projects/{project_id}/tasks",
        in_p1("pm", "task_leader"),
        "in WP-A.1",
        url=p1("/tasks"),
        body=lambda w, c: {"name": "New", "work_package_id": w.wp_a1, "duration": "2d"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks",
        in_p1("pm"),
        "top level",
        url=p1("/tasks"),
        body=lambda w, c: {"name": "New", "duration": 1},
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks",
        but(nowhere(), outsider="404"),
        "into P2's package through P1",
        url=p1("/tasks"),
        body=lambda w, c: {"name": "Sneaky", "work_package_id": w.wp_p2},
    ),
    Op(
        "POST",
        "/projects/{project_id}/recurring-tasks",
        in_p1("pm", "task_leader"),
        "under WP-A.1",
        url=p1("/recurring-tasks"),
        body=lambda w, c: {
            "name": "Weekly sync",
            "work_package_id": w.wp_a1,
            "pattern": "weekly",
            "start": "2020-01-06",
            "occurrences": 2,
            "duration": "1h",
        },
    ),
    Op(
        "POST",
        "/projects/{project_id}/recurring-tasks",
        but(nowhere(), outsider="404"),
        "under P2's package through P1",
        url=p1("/recurring-tasks"),
        body=lambda w, c: {
            "name": "Sneaky",
            "work_package_id": w.wp_p2,
            "pattern": "daily",
            "start": "2020-01-06",
            "occurrences": 2,
        },
    ),
    Op(
        "GET",
        "/projects/{project_id}/tasks/{task_id}",
        READ_P1,
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}",
    ),
    Op(
        "GET",
        "/projects/{project_id}/tasks/{task_id}",
        but(nowhere(), outsider="404"),
        "P2's task through P1",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['p2']}",
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/tasks/{task_id}",
        in_p1("pm", "task_leader"),
        "plan of task A",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}",
        body=lambda w, c: {"version": 1, "duration": "4d"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/tasks/{task_id}",
        in_p1("pm", "task_leader", "worker"),
        "progress of task A (worker assigned)",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}",
        body=lambda w, c: {"version": 1, "percent_complete": 50},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/tasks/{task_id}",
        in_p1("pm", "task_leader_b"),
        "progress of task B (worker not assigned)",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['b']}",
        body=lambda w, c: {"version": 1, "percent_complete": 50},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/tasks/{task_id}",
        in_p1("pm", "task_leader", "worker"),
        "status alone of task A (a move; worker assigned)",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}",
        body=lambda w, c: {"version": 1, "status": "completed"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks/{task_id}/move",
        in_p1("pm", "task_leader", "worker"),
        "task A (worker assigned)",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/move",
        body=lambda w, c: {"version": 1, "status": "in_progress"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks/{task_id}/move",
        in_p1("pm", "task_leader_b"),
        "task B (worker not assigned)",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['b']}/move",
        body=lambda w, c: {"version": 1, "status": "completed"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks/{task_id}/move",
        but(nowhere(), outsider="404"),
        "P2's task through P1",
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['p2']}/move",
        body=lambda w, c: {"version": 1, "status": "on_hold"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/tasks/{task_id}",
        in_p1("pm", "task_leader_b"),
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['b']}",
        params={"version": 1},
    ),
    Op(
        "PUT",
        "/projects/{project_id}/tasks/{task_id}/assignees",
        in_p1("pm", "task_leader"),
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignees",
        body=lambda w, c: {"user_ids": [w.users["worker"], w.users["task_leader"]]},
    ),
    Op(
        "POST",
        "/projects/{project_id}/links",
        in_p1("pm", "task_leader"),
        "B -> C (C's leader edits)",
        url=p1("/links"),
        body=lambda w, c: {"pred_id": w.tasks["b"], "succ_id": w.tasks["c"], "type": "SS", "lag": "1d"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/links/{link_id}",
        in_p1("pm", "task_leader_b"),
        url=lambda w, c: f"/projects/{w.p1}/links/{w.links['ab']}",
        body=lambda w, c: {"version": 1, "lag": "2d"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/links/{link_id}",
        in_p1("pm", "task_leader_b"),
        url=lambda w, c: f"/projects/{w.p1}/links/{w.links['ab']}",
        params={"version": 1},
    ),
    Op("GET", "/projects/{project_id}/calendars", READ_P1, url=p1("/calendars")),
    Op(
        "POST",
        "/projects/{project_id}/calendars",
        in_p1("pm"),
        url=p1("/calendars"),
        body=lambda w, c: {"name": "24x7", "weekdays": [0, 1, 2, 3, 4, 5, 6], "shifts": [[0, 1440]]},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/calendars/{calendar_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}",
        body=lambda w, c: {"version": 1, "country": "DE", "subdiv": "BY"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/calendars/{calendar_id}/exceptions",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}/exceptions",
        body=lambda w, c: {"day": "2020-02-14", "name": "Offsite"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/calendars/{calendar_id}/exceptions/{exception_id}",
        but(in_p1("pm"), admin="404", pm="404"),
        "missing exception",
        url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}/exceptions/999999",
    ),
    Op("GET", "/projects/{project_id}/custom-fields", READ_P1, url=p1("/custom-fields")),
    Op(
        "POST",
        "/projects/{project_id}/custom-fields",
        in_p1("pm"),
        url=p1("/custom-fields"),
        body=lambda w, c: {"name": "Component", "kind": "choice", "choices": ["Backend", "Frontend"]},
    ),
    Op("GET", "/projects/{project_id}/custom-fields/{field_id}", READ_P1, url=lambda w, c: _custom_field(w)),
    Op(
        "PATCH",
        "/projects/{project_id}/custom-fields/{field_id}",
        in_p1("pm"),
        url=lambda w, c: _custom_field(w),
        body=lambda w, c: {"version": 1, "name": "Client", "archived": True},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/custom-fields/{field_id}",
        nowhere(),
        "P1's field through P2",
        url=lambda w, c: _custom_field(w).replace(f"/projects/{w.p1}/", f"/projects/{w.p2}/"),
        body=lambda w, c: {"version": 1, "name": "Client"},
    ),
    Op("GET", "/projects/{project_id}/baselines", READ_P1, url=p1("/baselines")),
    # saved views: anyone who sees the project keeps their own; sharing and changing shared ones is the PM's;
    # a member's own view is nobody else's to see (404, the admin too)
    Op("GET", "/projects/{project_id}/views", READ_P1, url=p1("/views")),
    Op(
        "POST",
        "/projects/{project_id}/views",
        READ_P1,
        "a view of one's own",
        url=p1("/views"),
        body=lambda w, c: {"name": "Mine", "query": {"critical": True}},
    ),
    Op(
        "POST",
        "/projects/{project_id}/views",
        in_p1("pm"),
        "a shared view",
        url=p1("/views"),
        body=lambda w, c: {"name": "Team", "shared": True},
    ),
    Op("GET", "/projects/{project_id}/views/{view_id}", READ_P1, "shared", url=lambda w, c: _saved_view(w)),
    Op(
        "GET",
        "/projects/{project_id}/views/{view_id}",
        but(nowhere(), pm="ok"),
        "the PM's own",
        url=lambda w, c: _saved_view(w, shared=False),
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/views/{view_id}",
        in_p1("pm"),
        "shared",
        url=lambda w, c: _saved_view(w),
        body=lambda w, c: {"version": 1, "name": "Late"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/views/{view_id}",
        but(nowhere(), pm="ok"),
        "the PM's own",
        url=lambda w, c: _saved_view(w, shared=False),
        body=lambda w, c: {"version": 1, "name": "Late"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/views/{view_id}",
        in_p1("pm"),
        "shared",
        url=lambda w, c: _saved_view(w) + "?version=1",
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/views/{view_id}",
        nowhere(),
        "P1's view through P2",
        url=lambda w, c: _saved_view(w).replace(f"/projects/{w.p1}/", f"/projects/{w.p2}/"),
        body=lambda w, c: {"version": 1, "name": "Late"},
    ),
    # --- team: resources, assignments, workload, levelling -------------------------------------------------
    Op("GET", "/resources", authenticated()),
    Op("POST", "/resources", admin_only(), body=lambda w, c: {"name": "Staging env", "kind": "environment"}),
    Op(
        "GET",
        "/resources/{resource_id}",
        authenticated(),
        url=lambda w, c: f"/resources/{_resource_of(w, 'worker')}",
    ),
    Op(
        "PATCH",
        "/resources/{resource_id}",
        but(admin_only(), worker="ok"),
        "own working week (part-time)",
        url=lambda w, c: f"/resources/{_resource_of(w, 'worker')}",
        body=lambda w, c: {"version": 1, "weekdays": [0, 1, 2, 3]},
    ),
    Op(
        "PATCH",
        "/resources/{resource_id}",
        admin_only(),
        "someone's units",
        url=lambda w, c: f"/resources/{_resource_of(w, 'worker')}",
        body=lambda w, c: {"version": 1, "max_units": 0.5},
    ),
    Op(
        "POST",
        "/resources/{resource_id}/exceptions",
        but(admin_only(), worker="ok"),
        "own vacation",
        url=lambda w, c: f"/resources/{_resource_of(w, 'worker')}/exceptions",
        body=lambda w, c: {"day": "2020-03-02", "name": "Vacation"},
    ),
    Op(
        "POST",
        "/resources/{resource_id}/exceptions",
        admin_only(),
        "someone's week off",
        url=lambda w, c: f"/resources/{_new_resource(w)}/exceptions",
        body=lambda w, c: {"day": "2020-03-02", "until": "2020-03-06", "name": "Maintenance"},
    ),
    Op(
        "DELETE",
        "/resources/{resource_id}/exceptions/{exception_id}",
        but(admin_only(), worker="ok"),
        "own vacation day",
        url=_resource_exception_url,
    ),
    Op(
        "POST",
        "/resources/{resource_id}/rates",
        admin_only(),
        url=lambda w, c: f"/resources/{_resource_of(w, 'worker')}/rates",
        body=lambda w, c: {"valid_from": "2020-01-01", "standard": "80.00", "currency": "EUR"},
    ),
    Op(
        "GET",
        "/projects/{project_id}/tasks/{task_id}/assignments",
        READ_P1,
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments",
    ),
    Op(
        "POST",
        "/projects/{project_id}/tasks/{task_id}/assignments",
        in_p1("pm", "task_leader"),
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments",
        body=lambda w, c: {"resource_id": _new_resource(w), "units": 0.5},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}",
        in_p1("pm", "task_leader"),
        url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments/{_assignment_of_worker(w)[0]}",
        body=lambda w, c: {"version": _assignment_of_worker(w)[1], "units": 0.5},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}",
        in_p1("pm", "task_leader"),
        url=lambda w, c: "/projects/{}/tasks/{}/assignments/{}?version={}".format(
            w.p1, w.tasks["a"], *_assignment_of_worker(w)
        ),
    ),
    Op("GET", "/workload", authenticated(), params={"from": "2020-01-06", "to": "2020-01-31"}),
    Op("GET", "/projects/{project_id}/levelling", READ_P1, url=p1("/levelling")),
    Op("POST", "/projects/{project_id}/levelling", in_p1("pm"), url=p1("/levelling"), body=lambda w, c: {}),
    Op(
        "POST",
        "/projects/{project_id}/levelling/{run_id}/accept",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/levelling/{_levelling_run(w, False)}/accept",
    ),
    Op(
        "POST",
        "/projects/{project_id}/levelling/{run_id}/undo",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/levelling/{_levelling_run(w, True)}/undo",
    ),
    # --- interchange -----------------------------------------------------------------------------------
    Op(
        "POST",
        "/projects/{project_id}/import",
        in_p1("pm"),
        url=p1("/import"),
        files=lambda w, c: _plan_csv(),
    ),
    Op("POST", "/imports", authenticated(), files=lambda w, c: _plan_csv(), form={"key": "IMP"}),
    Op("GET", "/projects/{project_id}/export", READ_P1, url=p1("/export"), params={"format": "csv"}),
    Op(
        "GET",
        "/projects/{project_id}/export",
        in_p2("outsider"),
        "P2 as MSPDI",
        url=lambda w, c: f"/projects/{w.p2}/export",
    ),
    Op("GET", "/me/tasks.ics", authenticated()),
    # the calendar feed's secret address: the key is the credential, whoever calls (a bearer token changes
    # nothing); anything else is 404 for everyone
    Op("GET", "/feeds/{key}/tasks.ics", public(), "the worker's key", url=_feed_url),
    Op(
        "GET",
        "/feeds/{key}/tasks.ics",
        dict.fromkeys(CALLERS, "404"),
        "a wrong key",
        url=lambda w, c: "/feeds/chf_" + "A" * 43 + "/tasks.ics",
    ),
    Op(
        "GET",
        "/feeds/{key}/tasks.ics",
        dict.fromkeys(CALLERS, "404"),
        "a revoked key",
        url=lambda w, c: _feed_url(w, c, revoke=True),
    ),
    # a project's milestones at the same key, read as the key's owner (anonymous: the worker's key): P1 is
    # seen by every member and the admin, never by the outsider; P2 by the outsider and the admin only
    Op(
        "GET",
        "/feeds/{key}/projects/{project_id}/milestones.ics",
        but(public(), outsider="404"),
        "P1 with the caller's key",
        url=lambda w, c: _feed_url(w, c).replace("/tasks.ics", f"/projects/{w.p1}/milestones.ics"),
    ),
    Op(
        "GET",
        "/feeds/{key}/projects/{project_id}/milestones.ics",
        {**dict.fromkeys(CALLERS, "404"), "admin": "ok", "outsider": "ok"},
        "P2 with the caller's key",
        url=lambda w, c: _feed_url(w, c).replace("/tasks.ics", f"/projects/{w.p2}/milestones.ics"),
    ),
    Op(
        "GET",
        "/feeds/{key}/projects/{project_id}/milestones.ics",
        dict.fromkeys(CALLERS, "404"),
        "a revoked key",
        url=lambda w, c: _feed_url(w, c, revoke=True).replace(
            "/tasks.ics", f"/projects/{w.p1}/milestones.ics"
        ),
    ),
    Op("GET", "/me/feed-key", authenticated()),
    Op("POST", "/me/feed-key", authenticated()),
    Op("DELETE", "/me/feed-key", authenticated(), prepare=lambda w, c: _feed_url(w, c)),
    Op(
        "POST",
        "/projects/{project_id}/baselines",
        in_p1("pm"),
        url=p1("/baselines"),
        body=lambda w, c: {"number": 1},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/baselines/{number}",
        but(in_p1("pm"), admin="404", pm="404"),
        "never saved",
        url=p1("/baselines/7"),
    ),
)


def _ts_entry(who: str, task: str, *, submit: bool) -> Callable[[World, str], int]:
    """Log 2 h in the week 2020-W02 (inside the seeded task's dates) as `who`, submitted or left a draft."""

    def make(w: World, caller: str) -> int:
        from datetime import date

        from charter.services import timesheets

        with w.db.uow() as s:
            pid = w.p2 if task == "p2" else w.p1
            day = date(2020, 1, 9 if task == "b" else 7)
            e = timesheets.log_entry(s, w.actor(who), pid, task_id=w.tasks[task], day=day, hours="2h")
            if submit:
                timesheets.submit_week(s, w.actor(who), "2020-W02")
        return int(e["id"])

    return make


def _ts_prepare(who: str, task: str, *, submit: bool) -> Callable[[World, str], None]:
    make = _ts_entry(who, task, submit=submit)

    def prepare(w: World, caller: str) -> None:
        make(w, caller)

    return prepare


def _ts_url(who: str, task: str, suffix: str = "", *, submit: bool = True) -> Url:
    make = _ts_entry(who, task, submit=submit)
    return lambda w, c: f"/projects/{w.p1}/timesheet/{make(w, c)}{suffix}"


TIME_READERS = ("pm", "task_leader", "task_leader_b", "worker", "sponsor")  # a project's time (own at least)

# Timesheets. Logging needs timesheet.log plus an assignment to the task (or task.edit on its package): a
# member who may log but is not assigned gets 403 (who you are, not what you sent). Approval needs
# timesheet.approve on the task's package: its Task Leader or the PM; who may see the entry (its package's
# approvers, the Sponsor) but not decide gets 403, whoever may not see another person's entry 404.
TIMESHEET_ROWS: tuple[Op, ...] = (
    Op("GET", "/me/timesheet", authenticated(), params={"week": "2020-W02"}),
    Op(
        "POST",
        "/me/timesheet/submit",
        authenticated(),
        params={"week": "2020-W02"},
        prepare=_ts_prepare("worker", "a", submit=False),
    ),
    Op("GET", "/me/approvals", authenticated(), prepare=_ts_prepare("worker", "a", submit=True)),
    Op(
        "POST",
        "/projects/{project_id}/timesheet",
        in_p1("pm", "task_leader", "worker"),
        "task A (worker assigned)",
        url=p1("/timesheet"),
        body=lambda w, c: {"task_id": w.tasks["a"], "day": "2020-01-07", "hours": "2h", "note": "setup"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/timesheet",
        in_p1("pm", "task_leader_b"),
        "task B (worker not assigned)",
        url=p1("/timesheet"),
        body=lambda w, c: {"task_id": w.tasks["b"], "day": "2020-01-09", "hours": 1.5},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/timesheet/{entry_id}",
        but(in_p1("worker"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"),
        "the worker's draft",
        url=_ts_url("worker", "a", submit=False),
        body=lambda w, c: {"version": 1, "hours": "3h"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/timesheet/{entry_id}",
        but(in_p1("worker"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"),
        "the worker's draft",
        url=_ts_url("worker", "a", submit=False),
        params={"version": 1},
    ),
    Op(
        "POST",
        "/projects/{project_id}/timesheet/{entry_id}/approve",
        but(
            in_p1("pm", "task_leader"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"
        ),
        "the worker's hours on task A (WP-A)",
        url=_ts_url("worker", "a", "/approve"),
    ),
    Op(
        "POST",
        "/projects/{project_id}/timesheet/{entry_id}/approve",
        but(
            in_p1("pm", "task_leader_b"),
            **dict.fromkeys(("task_leader", "worker", "stakeholder", "liaison", "observer"), "404"),
        ),
        "the PM's hours on task B (WP-B)",
        url=_ts_url("pm", "b", "/approve"),
    ),
    Op(
        "POST",
        "/projects/{project_id}/timesheet/{entry_id}/approve",
        nowhere(),
        "P2's hours through P1",
        url=_ts_url("outsider", "p2", "/approve"),
    ),
    Op(
        "POST",
        "/projects/{project_id}/timesheet/{entry_id}/reject",
        but(
            in_p1("pm", "task_leader"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"
        ),
        "the worker's hours on task A (WP-A)",
        url=_ts_url("worker", "a", "/reject"),
        body=lambda w, c: {"reason": "wrong task"},
    ),
    Op(
        "PUT",
        "/projects/{project_id}/timesheet-lock",
        in_p1("pm"),
        url=p1("/timesheet-lock"),
        body=lambda w, c: {"until": "2020-01-31"},
    ),
    Op("GET", "/projects/{project_id}/actuals", READ_P1, url=p1("/actuals")),
    # A project's time: every entry for the PM and the Sponsor (budget.read), a Task Leader's package(s), a
    # worker's own; members who may neither log hours nor read a budget are refused.
    Op(
        "GET",
        "/projects/{project_id}/time-entries",
        in_p1(*TIME_READERS),
        url=p1("/time-entries"),
        prepare=_ts_prepare("worker", "a", submit=True),
    ),
    Op(
        "GET",
        "/projects/{project_id}/time-entries",
        in_p2("outsider"),
        "P2",
        url=lambda w, c: f"/projects/{w.p2}/time-entries",
    ),
    Op(
        "GET",
        "/projects/{project_id}/time-entries.csv",
        in_p1(*TIME_READERS),
        url=p1("/time-entries.csv"),
        prepare=_ts_prepare("worker", "a", submit=True),
    ),
    Op(
        "GET",
        "/projects/{project_id}/time-entries.csv",
        in_p2("outsider"),
        "P2",
        url=lambda w, c: f"/projects/{w.p2}/time-entries.csv",
    ),
)
TABLE = TABLE + TIMESHEET_ROWS


def _bl(w: World, wp: str = "a", amount: str = "5000.00") -> int:
    from charter.services import budget

    with w.db.uow() as s:
        wp_id = {"a": w.wp_a, "b": w.wp_b, "": None}[wp]
        line = budget.create_line(
            s, w.actor("pm"), w.p1, category="hardware", name="Kit", amount=amount, work_package_id=wp_id
        )
    return int(line["id"])


def _vendor(w: World) -> int:
    from charter.services import procurement

    with w.db.uow() as s:
        return int(procurement.create_vendor(s, w.actor("admin"), name="Acme")["id"])


def _pr(w: World, *, approve: bool = False) -> tuple[int, int]:
    """A 100.00 request on a WP-A line (no rules: the Sponsor approves); returns (request, line)."""
    from charter.services import procurement

    line, vendor = _bl(w), _vendor(w)
    with w.db.uow() as s:
        r = procurement.create_request(
            s, w.actor("pm"), w.p1, budget_line_id=line, title="Disks", amount="100.00", vendor_id=vendor
        )
        if approve:
            procurement.decide_request(s, w.actor("sponsor"), w.p1, r["id"], approve=True)
    return int(r["id"]), line


def _po(w: World, *, received: bool = False) -> int:
    from charter.services import procurement

    req, _ = _pr(w, approve=True)
    with w.db.uow() as s:
        o = procurement.create_order(s, w.actor("pm"), w.p1, request_id=req, lines=[{"unit_price": "100.00"}])
        if received:
            from datetime import date

            procurement.add_receipt(s, w.actor("pm"), w.p1, o["id"], day=date(2026, 1, 8))
    return int(o["id"])


def _held_invoice(w: World) -> int:
    from datetime import date

    from charter.services import procurement

    order = _po(w)
    with w.db.uow() as s:
        inv = procurement.add_invoice(
            s, w.actor("pm"), w.p1, order_id=order, number="I-1", day=date(2026, 1, 9), amount="100.00"
        )
    return int(inv["id"])


def _prepare_line(w: World) -> None:
    _bl(w)


def _proposed(w: World) -> None:
    from charter.services import budget

    _bl(w)
    with w.db.uow() as s:
        budget.propose_version(s, w.actor("pm"), w.p1)


def _fixed_cost(w: World) -> int:
    from charter.services import budget

    with w.db.uow() as s:
        return int(
            budget.add_fixed_cost(
                s, w.actor("pm"), w.p1, task_id=w.tasks["a"], description="Licence", amount="50.00"
            )["id"]
        )


def _expense(w: World, *, receipt: bool = False) -> tuple[int, int | None]:
    """An expense on a project-level line (with a PDF receipt when asked): (expense id, receipt id)."""
    from datetime import date

    from charter.services import attachments, budget

    line = _bl(w, "")
    with w.db.uow() as s:
        e = budget.add_expense(
            s,
            w.actor("pm"),
            w.p1,
            budget_line_id=line,
            day=date(2026, 1, 8),
            amount="12.00",
            description="Taxi",
            receipt=attachments.Upload("taxi.pdf", b"%PDF-1.4 receipt") if receipt else None,
        )
    return int(e["id"]), (int(e["receipts"][0]["id"]) if receipt else None)


def _receipt_url(w: World, caller: str) -> str:
    e, r = _expense(w, receipt=True)
    return f"/projects/{w.p1}/expenses/{e}/receipts/{r}"


def _contract(w: World) -> int:
    from datetime import date

    from charter.services import procurement

    with w.db.uow() as s:
        c = procurement.create_contract(s, w.actor("pm"), w.p1, vendor_id=_vendor(w), title="Support",
                                        kind="subscription", value="1200", start=date(2020, 1, 1))  # fmt: skip
    return int(c["id"])


BUDGET_READERS = ("pm", "sponsor")  # project-wide budget.read
LINE_READERS = ("pm", "sponsor", "task_leader", "task_leader_b")  # Task Leaders: their own package's lines
VENDOR_KEEPERS = {
    **dict.fromkeys(CALLERS, "403"),
    "anonymous": "401",
    "admin": "ok",
    "pm": "ok",
    "sponsor": "ok",
    "outsider": "ok",
}  # a PM or Sponsor of some project (the outsider is P2's PM)
ONLY_NAMED_APPROVER = but(in_p1("sponsor"), admin="403")  # no rules: the Sponsor; nobody else, not even admin

# Budget, procurement and earned value. Reading needs budget.read (a Task Leader's is scoped to their package:
# they see that package's lines, requests and orders); lines, expenses and fixed costs budget.edit (the PM);
# versions are decided and approval rules set by budget.approve (the Sponsor); requests need
# procurement.request on the line's package; only the holder of the role the rules name decides a request.
BUDGET_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/budget", in_p1(*LINE_READERS), url=p1("/budget")),
    Op("GET", "/projects/{project_id}/budget/lines", in_p1(*LINE_READERS), url=p1("/budget/lines")),
    Op(
        "POST",
        "/projects/{project_id}/budget/lines",
        in_p1("pm"),
        url=p1("/budget/lines"),
        body=lambda w, c: {"category": "travel", "name": "Trips", "amount": "100.00"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/budget/lines/{line_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/budget/lines/{_bl(w)}",
        body=lambda w, c: {"version": 1, "amount": "7"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/budget/lines/{line_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/budget/lines/{_bl(w)}",
        params={"version": 1},
    ),
    Op("GET", "/projects/{project_id}/budget/versions", in_p1(*BUDGET_READERS), url=p1("/budget/versions")),
    Op(
        "POST",
        "/projects/{project_id}/budget/versions",
        in_p1("pm"),
        url=p1("/budget/versions"),
        body=lambda w, c: {},
        prepare=lambda w, c: _prepare_line(w),
    ),
    Op(
        "POST",
        "/projects/{project_id}/budget/versions/{number}/approve",
        in_p1("sponsor"),
        url=p1("/budget/versions/1/approve"),
        body=lambda w, c: {},
        prepare=lambda w, c: _proposed(w),
    ),
    Op(
        "POST",
        "/projects/{project_id}/budget/versions/{number}/reject",
        in_p1("sponsor"),
        url=p1("/budget/versions/1/reject"),
        body=lambda w, c: {"reason": "no"},
        prepare=lambda w, c: _proposed(w),
    ),
    Op(
        "POST",
        "/projects/{project_id}/budget/versions/{number}/withdraw",
        in_p1("pm"),
        url=p1("/budget/versions/1/withdraw"),
        prepare=lambda w, c: _proposed(w),
    ),
    Op("GET", "/projects/{project_id}/fixed-costs", in_p1(*BUDGET_READERS), url=p1("/fixed-costs")),
    Op(
        "POST",
        "/projects/{project_id}/fixed-costs",
        in_p1("pm"),
        url=p1("/fixed-costs"),
        body=lambda w, c: {"task_id": w.tasks["a"], "description": "Licence", "amount": "50.00"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/fixed-costs/{cost_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/fixed-costs/{_fixed_cost(w)}",
        body=lambda w, c: {"version": 1, "amount": "60.00", "accrual": "end"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/fixed-costs/{cost_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/fixed-costs/{_fixed_cost(w)}",
        params={"version": 1},
    ),
    Op("GET", "/projects/{project_id}/expenses", in_p1(*BUDGET_READERS), url=p1("/expenses")),
    Op(
        "POST",
        "/projects/{project_id}/expenses",
        in_p1("pm"),
        url=p1("/expenses"),
        body=lambda w, c: {
            "budget_line_id": _bl(w),
            "day": "2026-01-08",
            "amount": "12.00",
            "description": "Taxi",
        },
    ),
    Op("GET", "/projects/{project_id}/budget/plan", in_p1(*BUDGET_READERS), url=p1("/budget/plan")),
    Op(
        "GET",
        "/projects/{project_id}/evm",
        in_p1(*BUDGET_READERS),
        url=p1("/evm"),
        params={"as_of": "2030-01-31"},
    ),
    Op(
        "GET",
        "/projects/{project_id}/evm/trend",
        in_p1(*BUDGET_READERS),
        url=p1("/evm/trend"),
        params={"as_of": "2020-03-31"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/evm/snapshots",
        in_p1("pm"),
        url=p1("/evm/snapshots"),
        body=lambda w, c: {"as_of": "2030-01-31"},
    ),
    Op("GET", "/projects/{project_id}/budget/export", in_p1(*LINE_READERS), url=p1("/budget/export")),
    Op(
        "GET",
        "/projects/{project_id}/evm/export",
        in_p1(*BUDGET_READERS),
        url=p1("/evm/export"),
        params={"format": "xlsx", "as_of": "2030-01-31"},
    ),
    Op("GET", "/vendors", authenticated()),
    Op("POST", "/vendors", VENDOR_KEEPERS, body=lambda w, c: {"name": "Globex", "rating": 3}),
    Op(
        "PATCH",
        "/vendors/{vendor_id}",
        VENDOR_KEEPERS,
        url=lambda w, c: f"/vendors/{_vendor(w)}",
        body=lambda w, c: {"version": 1, "rating": 5},
    ),
    Op("GET", "/projects/{project_id}/approval-rules", in_p1(*BUDGET_READERS), url=p1("/approval-rules")),
    Op(
        "PUT",
        "/projects/{project_id}/approval-rules",
        in_p1("sponsor"),
        url=p1("/approval-rules"),
        body=lambda w, c: {
            "version": 0,
            "rules": [{"up_to": "1000", "role_key": "project_manager"}, {"role_key": "sponsor"}],
        },
    ),
    Op("GET", "/projects/{project_id}/purchase-requests", in_p1(*LINE_READERS), url=p1("/purchase-requests")),
    Op(
        "POST",
        "/projects/{project_id}/purchase-requests",
        in_p1("pm", "task_leader"),
        "a WP-A line",
        url=p1("/purchase-requests"),
        body=lambda w, c: {"budget_line_id": _bl(w), "title": "RAM", "amount": "80"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/purchase-requests/{request_id}/approve",
        ONLY_NAMED_APPROVER,
        url=lambda w, c: f"/projects/{w.p1}/purchase-requests/{_pr(w)[0]}/approve",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/purchase-requests/{request_id}/reject",
        ONLY_NAMED_APPROVER,
        url=lambda w, c: f"/projects/{w.p1}/purchase-requests/{_pr(w)[0]}/reject",
        body=lambda w, c: {"reason": "no"},
    ),
    Op(  # the requester (here the PM) or the PM; while not yet ordered
        "POST",
        "/projects/{project_id}/purchase-requests/{request_id}/cancel",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/purchase-requests/{_pr(w)[0]}/cancel",
        body=lambda w, c: {"version": 1, "reason": "bought elsewhere"},
    ),
    Op("GET", "/projects/{project_id}/purchase-orders", in_p1(*LINE_READERS), url=p1("/purchase-orders")),
    Op(
        "POST",
        "/projects/{project_id}/purchase-orders",
        in_p1("pm"),
        url=p1("/purchase-orders"),
        body=lambda w, c: {"request_id": _pr(w, approve=True)[0], "lines": [{"unit_price": "100.00"}]},
    ),
    Op(
        "GET",
        "/projects/{project_id}/purchase-orders/{order_id}",
        in_p1("pm", "sponsor", "task_leader"),
        "charged to WP-A",
        url=lambda w, c: f"/projects/{w.p1}/purchase-orders/{_po(w)}",
    ),
    Op(
        "PUT",
        "/projects/{project_id}/purchase-orders/{order_id}/status",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/purchase-orders/{_po(w)}/status",
        body=lambda w, c: {"version": 1, "status": "cancelled"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/purchase-orders/{order_id}/receipts",
        in_p1("pm", "task_leader"),
        "charged to WP-A",
        url=lambda w, c: f"/projects/{w.p1}/purchase-orders/{_po(w)}/receipts",
        body=lambda w, c: {"day": "2026-01-08"},
    ),
    Op("GET", "/projects/{project_id}/invoices", in_p1(*BUDGET_READERS), url=p1("/invoices")),
    Op(
        "POST",
        "/projects/{project_id}/invoices",
        in_p1("pm"),
        url=p1("/invoices"),
        body=lambda w, c: {
            "order_id": _po(w, received=True),
            "number": "A-1",
            "day": "2026-01-09",
            "amount": "100",
        },
    ),
    Op(
        "POST",
        "/projects/{project_id}/invoices/{invoice_id}/release",
        in_p1("sponsor"),
        "registered by the PM, who does not release it",
        url=lambda w, c: f"/projects/{w.p1}/invoices/{_held_invoice(w)}/release",
        body=lambda w, c: {"reason": "ok"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/invoices/{invoice_id}/reject",
        in_p1("pm", "sponsor"),
        url=lambda w, c: f"/projects/{w.p1}/invoices/{_held_invoice(w)}/reject",
        body=lambda w, c: {"reason": "dup"},
    ),
    Op("GET", "/projects/{project_id}/contracts", in_p1(*BUDGET_READERS), url=p1("/contracts")),
    Op(
        "POST",
        "/projects/{project_id}/contracts",
        in_p1("pm"),
        url=p1("/contracts"),
        body=lambda w, c: {
            "vendor_id": _vendor(w),
            "title": "Support",
            "kind": "subscription",
            "value": "1200",
            "start": "2030-01-01",
            "end": "2030-12-31",
            "renewal_date": "2030-12-31",
            "notice_date": "2030-10-01",
        },
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/contracts/{contract_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/contracts/{_contract(w)}",
        body=lambda w, c: {"version": 1, "value": "1500", "notice_date": "2030-10-01"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/contracts/{contract_id}/close",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/contracts/{_contract(w)}/close",
        body=lambda w, c: {"version": 1, "reason": "ended"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/expenses/{expense_id}/receipts",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/expenses/{_expense(w)[0]}/receipts",
        files=lambda w, c: {"file": ("r.pdf", b"%PDF-1.4 receipt", "application/pdf")},
    ),
    Op(
        "GET",
        "/projects/{project_id}/expenses/{expense_id}/receipts/{attachment_id}",
        in_p1(*BUDGET_READERS),
        url=_receipt_url,
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/expenses/{expense_id}/receipts/{attachment_id}",
        in_p1("pm"),
        url=_receipt_url,
    ),
    Op(
        "GET",
        "/projects/{project_id}/evm/s-curve.png",
        in_p1(*BUDGET_READERS),
        url=p1("/evm/s-curve.png"),
        params={"as_of": "2030-01-31"},
    ),
    Op("GET", "/me/approvals/all", authenticated()),
    Op(
        "GET",
        "/projects/{project_id}/budget/lines/{line_id}/records",
        in_p1("pm", "sponsor", "task_leader"),
        "a WP-A line",
        url=lambda w, c: f"/projects/{w.p1}/budget/lines/{_bl(w)}/records",
    ),
)
TABLE = TABLE + BUDGET_ROWS


# --- notifications ---------------------------------------------------------------------------------------


def _notification_for(owner: Callable[[str], str]) -> Url:
    """A fresh inbox entry of `owner(caller)`; the URL marks it read."""

    def url(w: World, caller: str) -> str:
        from charter.persistence.models import Notification
        from charter.services import notifications

        who = owner(caller)
        with w.db.uow() as s:
            key = f"matrix:{who}:{caller}"
            notifications.notify(
                s, recipients=[w.users[who]], kind="matrix", subject="hi", body="", event_key=key
            )
            s.flush()
            nid = s.scalar(select(Notification.id).where(Notification.event_key == key))
        return f"/me/notifications/{nid}/read"

    return url


def _webhook_url(w: World, caller: str) -> str:
    from charter.services import webhooks

    with w.db.uow() as s:
        hook = webhooks.create_webhook(s, w.actor("admin"), w.p1, url="https://93.184.215.14/hook")
    return f"/projects/{w.p1}/webhooks/{hook['id']}"


NOTIFY_ROWS: tuple[Op, ...] = (
    Op("GET", "/me/notifications", authenticated()),
    Op(
        "POST",
        "/me/notifications/{notification_id}/read",
        authenticated(),
        "own notification",
        url=_notification_for(lambda c: "worker" if c == "anonymous" else c),
    ),
    Op(
        "POST",
        "/me/notifications/{notification_id}/read",
        but(nowhere(), pm="ok"),
        "the PM's notification",
        url=_notification_for(lambda c: "pm"),
    ),
    Op("GET", "/me/notification-preferences", authenticated()),
    Op(
        "PUT",
        "/me/notification-preferences",
        authenticated(),
        body=lambda w, c: [{"kind": "*", "in_app": True, "email": "digest"}],
    ),
    Op("GET", "/projects/{project_id}/webhooks", in_p1("pm"), url=p1("/webhooks")),
    Op(
        "POST",
        "/projects/{project_id}/webhooks",
        in_p1("pm"),
        url=p1("/webhooks"),
        body=lambda w, c: {"url": "https://93.184.215.14/hook", "events": ["task.assigned"]},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/webhooks/{webhook_id}",
        in_p1("pm"),
        url=_webhook_url,
        body=lambda w, c: {"version": 1, "active": False},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/webhooks/{webhook_id}",
        in_p1("pm"),
        url=lambda w, c: _webhook_url(w, c) + "?version=1",
    ),
    Op(
        "GET",
        "/projects/{project_id}/webhooks/{webhook_id}/deliveries",
        in_p1("pm"),
        url=lambda w, c: _webhook_url(w, c) + "/deliveries",
    ),
    Op(
        "POST",
        "/projects/{project_id}/webhooks/{webhook_id}/ping",
        in_p1("pm"),
        url=lambda w, c: _webhook_url(w, c) + "/ping",
    ),
    Op("GET", "/outbox", admin_only()),
    Op("POST", "/outbox/compact", admin_only()),
)
TABLE = TABLE + NOTIFY_ROWS


def _comms_item(w: World) -> int:
    """A Sales member's message to the PM, waiting for the Sales liaison (stakeholder joins Sales)."""
    from charter.services import comms

    with w.db.uow() as s:
        s.execute(update(User).where(User.id == w.users["stakeholder"]).values(department_id=w.sales))
        return int(comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="Q", body="When?")["id"])


def _comms_url(suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}/messages/{_comms_item(w)}{suffix}"


_PDF = ("spec.pdf", b"%PDF-1.4 spec", "application/pdf")


def _comms_attachment_url(w: World, caller: str) -> str:
    """An attachment of a Sales member's message to the PM (seen by the PM, the liaison and its author)."""
    from charter.services import attachments, comms

    with w.db.uow() as s:
        s.execute(update(User).where(User.id == w.users["stakeholder"]).values(department_id=w.sales))
        item = comms.send(s, w.actor("stakeholder"), w.p1, to="pm", subject="Q", body="See",
                          files=[attachments.Upload(_PDF[0], _PDF[1])])  # fmt: skip
    return f"/projects/{w.p1}/messages/{item['id']}/attachments/{item['messages'][0]['attachments'][0]['id']}"


def _plan_entry(w: World) -> int:
    from charter.services import comm_plan

    with w.db.uow() as s:
        return int(
            comm_plan.create_entry(
                s,
                w.actor("pm"),
                w.p1,
                information="Status",
                audience="project",
                frequency="weekly",
                channel="email",
                owner_id=w.users["liaison"],
            )["id"]
        )


def _meeting(w: World) -> int:
    from datetime import UTC, datetime

    from charter.services import meetings

    at = datetime(2030, 1, 8, 10, tzinfo=UTC)
    with w.db.uow() as s:
        return int(
            meetings.create_meeting(
                s,
                w.actor("pm"),
                w.p1,
                title="Sync",
                starts_at=at,
                ends_at=at.replace(hour=11),
                attendee_ids=[w.users["worker"]],
            )["id"]
        )


def _meeting_url(suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}/meetings/{_meeting(w)}{suffix}"


# Communications. Sending needs comms.send (everyone but the Observer); a department message or announcement
# needs comms.department for it (the PM, that department's liaison). Items are visible to the PM, the
# department's liaison and their participants only: others get 404. The liaison desk and analytics are for
# the PM and liaisons; the plan is the PM's, an entry's owner records it done; meetings are changed by their
# organiser or the PM.
_SEEN_BY = ("pm", "liaison", "stakeholder")
_UNSEEN = {c: "404" for c in MEMBERS if c not in _SEEN_BY}
COMMS_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/messages", READ_P1, url=p1("/messages")),
    Op(
        "POST",
        "/projects/{project_id}/messages",
        but(READ_P1, observer="403"),
        "to a member",
        url=p1("/messages"),
        body=lambda w, c: {"to": "user", "to_user_id": w.users["observer"], "subject": "Hi", "body": "Hello"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages",
        in_p1("pm", "liaison"),
        "to the Sales department",
        url=p1("/messages"),
        body=lambda w, c: {"to": "department", "to_department_id": w.sales, "subject": "Hi", "body": "Hello"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages",
        in_p1("pm"),
        "announcement to the project",
        url=p1("/messages"),
        body=lambda w, c: {"to": "project", "kind": "announcement", "subject": "News", "body": "Go-live"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/with-attachments",
        but(READ_P1, observer="403"),
        "to a member, with a file",
        url=p1("/messages/with-attachments"),
        files=lambda w, c: {
            "to": (None, "user"),
            "to_user_id": (None, str(w.users["observer"])),
            "subject": (None, "Hi"),
            "body": (None, "Hello"),
            "files": _PDF,
        },
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/forward",
        but(in_p1("pm", "liaison"), **_UNSEEN),
        "a Sales item",
        url=p1("/messages/forward"),
        body=lambda w, c: {"item_ids": [_comms_item(w)]},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/forward/with-attachments",
        but(in_p1("pm", "liaison"), **_UNSEEN),
        "a Sales item, with a file",
        url=p1("/messages/forward/with-attachments"),
        files=lambda w, c: {"item_ids": (None, str(_comms_item(w))), "note": (None, "FYI"), "files": _PDF},
    ),
    Op(
        "GET", "/projects/{project_id}/messages/{item_id}", but(in_p1(*_SEEN_BY), **_UNSEEN), url=_comms_url()
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/{item_id}/replies",
        but(in_p1(*_SEEN_BY), **{**_UNSEEN, "observer": "403"}),
        url=_comms_url("/replies"),
        body=lambda w, c: {"body": "More"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/{item_id}/replies/with-attachments",
        but(in_p1(*_SEEN_BY), **{**_UNSEEN, "observer": "403"}),
        url=_comms_url("/replies/with-attachments"),
        files=lambda w, c: {"body": (None, "More"), "files": _PDF},
    ),
    Op(
        "GET",
        "/projects/{project_id}/messages/{item_id}/attachments/{attachment_id}",
        but(in_p1(*_SEEN_BY), **_UNSEEN),
        url=_comms_attachment_url,
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/{item_id}/answer",
        but(in_p1("pm", "liaison"), **{**_UNSEEN, "observer": "403"}),
        url=_comms_url("/answer"),
        body=lambda w, c: {"body": "Done"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/{item_id}/answer/with-attachments",
        but(in_p1("pm", "liaison"), **{**_UNSEEN, "observer": "403"}),
        url=_comms_url("/answer/with-attachments"),
        files=lambda w, c: {"body": (None, "Done"), "files": _PDF},
    ),
    Op(
        "POST",
        "/projects/{project_id}/messages/{item_id}/close",
        but(in_p1(*_SEEN_BY), **_UNSEEN),
        url=_comms_url("/close"),
    ),
    Op("GET", "/projects/{project_id}/liaison-desk", in_p1("pm", "liaison"), url=p1("/liaison-desk")),
    Op("GET", "/projects/{project_id}/comms/analytics", in_p1("pm", "liaison"), url=p1("/comms/analytics")),
    Op("GET", "/projects/{project_id}/comm-plan", READ_P1, url=p1("/comm-plan")),
    Op(
        "POST",
        "/projects/{project_id}/comm-plan",
        in_p1("pm"),
        url=p1("/comm-plan"),
        body=lambda w, c: {
            "information": "Report",
            "audience": "project",
            "frequency": "monthly",
            "channel": "report",
        },
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/comm-plan/{entry_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/comm-plan/{_plan_entry(w)}",
        body=lambda w, c: {"version": 1, "channel": "meeting"},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/comm-plan/{entry_id}",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/comm-plan/{_plan_entry(w)}?version=1",
    ),
    Op(
        "POST",
        "/projects/{project_id}/comm-plan/{entry_id}/done",
        in_p1("pm", "liaison"),
        "owned by the liaison",
        url=lambda w, c: f"/projects/{w.p1}/comm-plan/{_plan_entry(w)}/done",
        body=lambda w, c: {},
    ),
    Op("POST", "/projects/{project_id}/comm-plan/check-overdue", READ_P1, url=p1("/comm-plan/check-overdue")),
    Op("GET", "/projects/{project_id}/meetings", READ_P1, url=p1("/meetings")),
    Op(
        "POST",
        "/projects/{project_id}/meetings",
        but(READ_P1, observer="403"),
        url=p1("/meetings"),
        body=lambda w, c: {
            "title": "Sync",
            "starts_at": "2030-01-08T10:00:00Z",
            "ends_at": "2030-01-08T11:00:00Z",
        },
    ),
    Op("GET", "/projects/{project_id}/meetings/{meeting_id}", READ_P1, url=_meeting_url()),
    Op(
        "PATCH",
        "/projects/{project_id}/meetings/{meeting_id}",
        in_p1("pm"),
        url=_meeting_url(),
        body=lambda w, c: {"version": 1, "minutes": "Agreed"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/meetings/{meeting_id}/decisions",
        in_p1("pm"),
        url=_meeting_url("/decisions"),
        body=lambda w, c: {"text": "Go"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/meetings/{meeting_id}/actions",
        in_p1("pm"),
        url=_meeting_url("/actions"),
        body=lambda w, c: {"text": "Do it", "owner_id": w.users["worker"], "due_on": "2030-01-20"},
    ),
    Op(
        "GET",
        "/projects/{project_id}/meetings/{meeting_id}/invite.ics",
        READ_P1,
        url=_meeting_url("/invite.ics"),
    ),
)
TABLE = TABLE + COMMS_ROWS


def _q(w: World, fn: Callable[[Any, Any], Any], who: str = "admin") -> Any:
    with w.db.uow() as s:
        return fn(s, w.actor(who))


def _q_metric(w: World, c: str) -> str:
    from charter.services import quality

    m = _q(
        w, lambda s, a: quality.create_metric(s, a, w.p1, name="Pass rate", direction="at_least", target=95)
    )
    return f"/projects/{w.p1}/quality-metrics/{m['id']}/measurements"


def _q_deliverable(w: World, rejected: bool = False) -> int:
    from charter.services import quality

    d = _q(w, lambda s, a: quality.create_deliverable(s, a, w.p1, work_package_id=w.wp_a, name="Spec",
                                                      acceptor_id=w.users["stakeholder"]))  # fmt: skip
    if rejected:
        _q(w, lambda s, a: quality.reject_deliverable(s, a, w.p1, d["id"], "Incomplete"), "stakeholder")
    return int(d["id"])


def _q_review(w: World) -> int:
    from charter.services import quality

    return int(_q(w, lambda s, a: quality.create_review(s, a, w.p1, title="Design review",
                                                        reviewer_ids=[w.users["worker"]]))["id"])  # fmt: skip


def _q_defect(w: World) -> int:
    from charter.services import quality

    return int(_q(w, lambda s, a: quality.create_defect(s, a, w.p1, title="Crash", severity="major",
                                                        found_in="test", task_id=w.tasks["a"]))["id"])  # fmt: skip


def _q_stakeholder(w: World) -> int:
    from charter.services import stakeholders

    return int(_q(w, lambda s, a: stakeholders.create_stakeholder(s, a, w.p1, name="Finance"))["id"])


def _q_sales_stakeholder(w: World) -> int:
    """A register entry of Sales (the liaison's department)."""
    from charter.services import stakeholders

    return int(_q(w, lambda s, a: stakeholders.create_stakeholder(s, a, w.p1, name="Sales reps",
                                                                  department_id=w.sales))["id"])  # fmt: skip


def _q_concern(w: World) -> int:
    from charter.services import stakeholders

    return int(_q(w, lambda s, a: stakeholders.raise_concern(s, a, w.p1, subject="Late", areas=["schedule"]),
                  "stakeholder")["id"])  # fmt: skip


def _q_sales_concern(w: World) -> int:
    """A concern of the Sales department (raised by its member, the liaison): the liaison's to handle."""
    from charter.services import stakeholders

    return int(_q(w, lambda s, a: stakeholders.raise_concern(s, a, w.p1, subject="Quote tool", areas=["scope"]),
                  "liaison")["id"])  # fmt: skip


def _q_change(w: World, previewed: bool = False) -> int:
    from charter.services import change

    ops = [{"op": "task_duration", "task_id": w.tasks["a"], "duration": "4d"}]
    cr = _q(
        w, lambda s, a: change.create_change_request(s, a, w.p1, title="Longer A", changes=ops), "stakeholder"
    )
    if previewed:
        _q(w, lambda s, a: change.preview(s, a, w.p1, cr["id"]), "pm")
    return int(cr["id"])


def _q_baseline(w: World, c: str) -> str:
    from charter.services import scheduling

    _q(w, lambda s, a: scheduling.save_baseline(s, a, w.p1, number=0))
    return f"/projects/{w.p1}/baselines/0/changes"


def _q_metric_url(w: World, c: str) -> str:
    return _q_metric(w, c).removesuffix("/measurements")


def _q_template_url(w: World, c: str) -> str:
    from charter.services import quality

    t = _q(w, lambda s, a: quality.create_template(s, a, name="Design checklist", items=["Complete"]))
    return f"/checklist-templates/{t['id']}"


# Quality and change control. Reading is for every member; quality.manage (the PM) manages the lifecycle, plan,
# metrics and reviews; a deliverable is added by the PM or its package's Task Leader and decided ONLY by its named
# acceptor (even an admin is refused); a review is signed off only by its reviewers; defects are reported by anyone
# who may raise issues and triaged by the PM or the package's Task Leader; the register is the PM's (a liaison
# reads their department's part); concerns are handled by the PM (or the department's liaison); change requests
# are edited and previewed by their requester or change.decide holders, decided by change.decide (PM, Sponsor).
_CR = "/projects/{project_id}/change-requests/{cr_id}"
QUALITY_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/lifecycle", READ_P1, url=p1("/lifecycle")),
    Op(
        "PATCH",
        "/projects/{project_id}/lifecycle/{phase}",
        in_p1("pm"),
        url=p1("/lifecycle/planning"),
        body=lambda w, c: {"exit_criteria": "Plan signed"},
    ),
    Op("GET", "/projects/{project_id}/lifecycle/{phase}/gate", READ_P1, url=p1("/lifecycle/initiation/gate")),
    Op(
        "POST",
        "/projects/{project_id}/lifecycle/close",
        in_p1("pm"),
        url=p1("/lifecycle/close"),
        body=lambda w, c: {},
    ),
    Op("GET", "/projects/{project_id}/quality-plan", READ_P1, url=p1("/quality-plan")),
    Op(
        "PUT",
        "/projects/{project_id}/quality-plan",
        in_p1("pm"),
        url=p1("/quality-plan"),
        body=lambda w, c: {"standards": ["ISO 9001"], "concern_ack_days": 2},
    ),
    Op(
        "POST",
        "/projects/{project_id}/quality-metrics",
        in_p1("pm"),
        url=p1("/quality-metrics"),
        body=lambda w, c: {"name": "Availability", "direction": "at_least", "target": 99.5, "unit": "%"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/quality-metrics/{metric_id}/measurements",
        in_p1("pm"),
        url=_q_metric,
        body=lambda w, c: {"value": 97},
    ),
    Op("GET", "/projects/{project_id}/deliverables", READ_P1, url=p1("/deliverables")),
    Op(
        "POST",
        "/projects/{project_id}/deliverables",
        in_p1("pm", "task_leader"),
        "in WP-A",
        url=p1("/deliverables"),
        body=lambda w, c: {"work_package_id": w.wp_a, "name": "Build", "acceptor_id": w.users["sponsor"]},
    ),
    Op(
        "POST",
        "/projects/{project_id}/deliverables/{deliverable_id}/accept",
        but(in_p1("stakeholder"), admin="403"),
        "the stakeholder is named",
        url=lambda w, c: f"/projects/{w.p1}/deliverables/{_q_deliverable(w)}/accept",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/deliverables/{deliverable_id}/reject",
        but(in_p1("stakeholder"), admin="403"),
        "the stakeholder is named",
        url=lambda w, c: f"/projects/{w.p1}/deliverables/{_q_deliverable(w)}/reject",
        body=lambda w, c: {"reason": "Missing tests"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/deliverables/{deliverable_id}/resubmit",
        in_p1("pm", "task_leader"),
        url=lambda w, c: f"/projects/{w.p1}/deliverables/{_q_deliverable(w, rejected=True)}/resubmit",
        body=lambda w, c: {},
    ),
    Op("GET", "/checklist-templates", authenticated()),
    Op(
        "POST",
        "/checklist-templates",
        but(admin_only(), pm="ok", outsider="ok"),
        "quality managers anywhere",
        body=lambda w, c: {"name": "Code review", "items": ["Tests pass", "Docs updated"]},
    ),
    Op("GET", "/projects/{project_id}/reviews", READ_P1, url=p1("/reviews")),
    Op(
        "POST",
        "/projects/{project_id}/reviews",
        in_p1("pm"),
        url=p1("/reviews"),
        body=lambda w, c: {
            "title": "Design review",
            "reviewer_ids": [w.users["worker"]],
            "items": ["Complete"],
        },
    ),
    Op(
        "POST",
        "/projects/{project_id}/reviews/{review_id}/findings",
        in_p1("pm", "worker"),
        "worker reviews",
        url=lambda w, c: f"/projects/{w.p1}/reviews/{_q_review(w)}/findings",
        body=lambda w, c: {"text": "Missing diagram", "severity": "minor"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/reviews/{review_id}/sign-off",
        but(in_p1("worker"), admin="403"),
        "worker reviews",
        url=lambda w, c: f"/projects/{w.p1}/reviews/{_q_review(w)}/sign-off",
        body=lambda w, c: {},
    ),
    Op("GET", "/projects/{project_id}/defects", READ_P1, url=p1("/defects")),
    Op(
        "POST",
        "/projects/{project_id}/defects",
        but(READ_P1, observer="403"),
        url=p1("/defects"),
        body=lambda w, c: {"title": "Login fails", "severity": "major", "found_in": "test"},
    ),
    Op("GET", "/projects/{project_id}/defects/trend", READ_P1, url=p1("/defects/trend")),
    Op(
        "PATCH",
        "/projects/{project_id}/defects/{defect_id}",
        in_p1("pm", "task_leader"),
        "linked to task A (WP-A)",
        url=lambda w, c: f"/projects/{w.p1}/defects/{_q_defect(w)}",
        body=lambda w, c: {"version": 1, "status": "triaged", "priority": 1},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/defects/{defect_id}",
        in_p1("pm", "task_leader"),
        "closed as won't fix (linked to task A, WP-A)",
        url=lambda w, c: f"/projects/{w.p1}/defects/{_q_defect(w)}",
        body=lambda w, c: {"version": 1, "status": "wont_fix", "reason": "Cosmetic"},
    ),
    Op("GET", "/projects/{project_id}/stakeholders", in_p1("pm", "liaison"), url=p1("/stakeholders")),
    Op(
        "POST",
        "/projects/{project_id}/stakeholders",
        in_p1("pm"),
        url=p1("/stakeholders"),
        body=lambda w, c: {"name": "Works council", "kind": "group", "interest": 4, "influence": 5},
    ),
    # A liaison keeps their own department's entries of the register.
    Op(
        "POST",
        "/projects/{project_id}/stakeholders",
        in_p1("pm", "liaison"),
        "of Sales (the liaison's department)",
        url=p1("/stakeholders"),
        body=lambda w, c: {"name": "Sales reps", "kind": "group", "department_id": w.sales},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/stakeholders/{stakeholder_id}",
        but(in_p1("pm"), liaison="404"),
        "of no department (not the liaison's to see)",
        url=lambda w, c: f"/projects/{w.p1}/stakeholders/{_q_stakeholder(w)}",
        body=lambda w, c: {"version": 1, "current_engagement": "supportive"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/stakeholders/{stakeholder_id}",
        in_p1("pm", "liaison"),
        "of Sales (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/stakeholders/{_q_sales_stakeholder(w)}",
        body=lambda w, c: {"version": 1, "current_engagement": "supportive"},
    ),
    Op("GET", "/projects/{project_id}/concerns", READ_P1, url=p1("/concerns")),
    Op(
        "POST",
        "/projects/{project_id}/concerns",
        but(READ_P1, observer="403"),
        url=p1("/concerns"),
        body=lambda w, c: {"subject": "Go-live too early", "areas": ["schedule"], "severity": "high"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/acknowledge",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_concern(w)}/acknowledge",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/answer",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_concern(w)}/answer",
        body=lambda w, c: {"text": "Noted"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/change-request",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_concern(w)}/change-request",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/risk",
        in_p1("pm"),
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_concern(w)}/risk",
        body=lambda w, c: {"category": "people"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/acknowledge",
        in_p1("pm", "liaison"),
        "a Sales concern (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_sales_concern(w)}/acknowledge",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/answer",
        in_p1("pm", "liaison"),
        "a Sales concern (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_sales_concern(w)}/answer",
        body=lambda w, c: {"text": "Noted"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/change-request",
        in_p1("pm"),
        "a Sales concern (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_sales_concern(w)}/change-request",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/risk",
        in_p1("pm", "liaison"),
        "a Sales concern (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_sales_concern(w)}/risk",
        body=lambda w, c: {"category": "people"},
    ),
    Op(
        "POST",
        "/projects/{project_id}/concerns/{concern_id}/conflict",
        in_p1("pm", "liaison"),
        "a Sales concern (the liaison's department)",
        url=lambda w, c: f"/projects/{w.p1}/concerns/{_q_sales_concern(w)}/conflict",
        body=lambda w, c: {"kind": "priority"},
    ),
    Op("GET", "/projects/{project_id}/change-requests", READ_P1, url=p1("/change-requests")),
    Op(
        "POST",
        "/projects/{project_id}/change-requests",
        but(READ_P1, observer="403"),
        url=p1("/change-requests"),
        body=lambda w, c: {"title": "Add a pilot", "changes": [{"op": "add_task", "name": "Pilot"}]},
    ),
    Op("GET", _CR, READ_P1, url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}"),
    Op(
        "PATCH",
        _CR,
        in_p1("pm", "sponsor", "stakeholder"),
        "requested by the stakeholder",
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}",
        body=lambda w, c: {"version": 1, "reason": "Testing needs it"},
    ),
    Op(  # naming the board decides who decides: change.decide only, never the requester alone
        "PATCH",
        _CR,
        in_p1("pm", "sponsor"),
        "the board of a request by the stakeholder",
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}",
        body=lambda w, c: {"version": 1, "approver_ids": [w.users["stakeholder"]], "quorum": 1},
    ),
    Op(
        "POST",
        _CR + "/preview",
        in_p1("pm", "sponsor", "stakeholder"),
        "requested by the stakeholder",
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}/preview",
        body=lambda w, c: {},
    ),
    Op(
        "POST",
        _CR + "/approve",
        in_p1("pm", "sponsor"),
        "previewed",
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w, previewed=True)}/approve",
        body=lambda w, c: {"reason": "Fine"},
    ),
    Op(
        "POST",
        _CR + "/reject",
        in_p1("pm", "sponsor"),
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}/reject",
        body=lambda w, c: {"reason": "No"},
    ),
    Op(  # withdrawn by its requester or a holder of change.decide
        "POST",
        _CR + "/withdraw",
        in_p1("pm", "sponsor", "stakeholder"),
        "requested by the stakeholder",
        url=lambda w, c: f"/projects/{w.p1}/change-requests/{_q_change(w)}/withdraw",
        body=lambda w, c: {"version": 1, "reason": "Not needed"},
    ),
    Op("GET", "/projects/{project_id}/baselines/{number}/changes", READ_P1, url=_q_baseline),
)
# Editing and removing the quality records: who may create them may change and remove them (version-checked).
QUALITY_EDIT_ROWS: tuple[Op, ...] = (
    Op("PATCH", "/projects/{project_id}/quality-metrics/{metric_id}", in_p1("pm"), url=_q_metric_url,
       body=lambda w, c: {"version": 1, "target": 90, "responsible_role_id": None}),
    Op("DELETE", "/projects/{project_id}/quality-metrics/{metric_id}", in_p1("pm"), url=_q_metric_url,
       params={"version": 1}),
    Op("PATCH", "/projects/{project_id}/deliverables/{deliverable_id}", in_p1("pm", "task_leader"), "in WP-A",
       url=lambda w, c: f"/projects/{w.p1}/deliverables/{_q_deliverable(w)}",
       body=lambda w, c: {"version": 1, "acceptance_criteria": "Signed by the sponsor",
                          "acceptor_id": w.users["sponsor"]}),
    Op("DELETE", "/projects/{project_id}/deliverables/{deliverable_id}", in_p1("pm", "task_leader"), "in WP-A",
       url=lambda w, c: f"/projects/{w.p1}/deliverables/{_q_deliverable(w)}", params={"version": 1}),
    Op("PATCH", "/checklist-templates/{template_id}", but(admin_only(), pm="ok", outsider="ok"),
       "quality managers anywhere", url=_q_template_url,
       body=lambda w, c: {"version": 1, "items": ["Complete", "Reviewed"]}),
    Op("DELETE", "/checklist-templates/{template_id}", but(admin_only(), pm="ok", outsider="ok"),
       "quality managers anywhere", url=_q_template_url, params={"version": 1}),
    Op("PATCH", "/projects/{project_id}/reviews/{review_id}", in_p1("pm"),
       url=lambda w, c: f"/projects/{w.p1}/reviews/{_q_review(w)}",
       body=lambda w, c: {"version": 1, "reviewer_ids": [w.users["worker"], w.users["task_leader"]]}),
    Op("DELETE", "/projects/{project_id}/reviews/{review_id}", in_p1("pm"),
       url=lambda w, c: f"/projects/{w.p1}/reviews/{_q_review(w)}", params={"version": 1}),
)  # fmt: skip
TABLE = TABLE + QUALITY_ROWS + QUALITY_EDIT_ROWS


def _lesson_url(author: str) -> Url:
    """A fresh P1 lesson recorded by `author`."""

    def url(w: World, c: str) -> str:
        from charter.services import closure

        with w.db.uow() as s:
            x = closure.add_lesson(s, w.actor(author), w.p1, title="Freeze scope early")
        return f"/projects/{w.p1}/lessons/{x['id']}"

    return url


# --- technology, closure, desks, portfolio, search (issue 9) ----------------------------------------------


def _tech_component(suffix: str = "") -> Url:
    def url(w: World, caller: str) -> str:
        from charter.services import tech

        with w.db.uow() as s:
            c = tech.create_component(s, w.actor("pm"), w.p1, name="Postgres", kind="platform")
        return f"/tech/components/{c['id']}{suffix}"

    return url


def _tech_update(suffix: str) -> Url:
    def url(w: World, caller: str) -> str:
        from charter.services import tech

        with w.db.uow() as s:
            c = tech.create_component(s, w.actor("pm"), w.p1, name="OpenSSL", current_version="3.0")
            u = tech.create_update(s, w.actor("pm"), c["id"], kind="advisory", title="CVE-2030-0002")
        return f"/tech/updates/{u['id']}{suffix}"

    return url


_PLANNED: dict[str, int] = {}  # caller -> the version of the planned update item their cell marks done


def _planned_update_url(w: World, caller: str) -> str:
    """An update item planned into WP-A (task_leader's package; its tasks unassigned): whoever did the work
    (the package's Task Leader) may mark it done without tech.manage."""
    from charter.services import tech, tech_plans

    with w.db.uow() as s:
        c = tech.create_component(s, w.actor("pm"), w.p1, name="OpenSSL", current_version="3.0")
        u = tech.create_update(s, w.actor("pm"), c["id"], kind="advisory", title="CVE-2030-0003")
        out = tech_plans.create_plan(s, w.actor("pm"), u["id"], u["version"], work_package_id=w.wp_a,
                                     steps=[{"name": "Patch", "days": 1}])  # fmt: skip
    _PLANNED[caller] = int(out["version"])
    return f"/tech/updates/{u['id']}/status"


TECH_ROWS: tuple[Op, ...] = (
    Op("GET", "/tech/components", authenticated()),
    Op("POST", "/tech/components", in_p1("pm"), body=lambda w, c: {"project_id": w.p1, "name": "Redis"}),
    Op("GET", "/tech/components/{component_id}", READ_P1, url=_tech_component()),
    Op(
        "PATCH",
        "/tech/components/{component_id}",
        in_p1("pm"),
        url=_tech_component(),
        body=lambda w, c: {"version": 1, "current_version": "16.2"},
    ),
    Op(
        "POST",
        "/tech/import",
        in_p1("pm"),
        url=lambda w, c: f"/tech/import?project_id={w.p1}",
        files=lambda w, c: {
            "file": ("inventory.csv", b"name,kind,version\nNginx,software,1.25\n", "text/csv")
        },
    ),
    Op(
        "POST",
        "/tech/components/{component_id}/updates",
        in_p1("pm"),
        url=_tech_component("/updates"),
        body=lambda w, c: {"kind": "advisory", "title": "CVE-2030-0001", "severity": "high"},
    ),
    Op("GET", "/tech/updates/{update_id}/plan-template", READ_P1, url=_tech_update("/plan-template")),
    Op("GET", "/tech/updates/{update_id}/plan", READ_P1, url=_tech_update("/plan")),
    Op(
        "POST",
        "/tech/updates/{update_id}/plan",
        in_p1("pm"),
        url=_tech_update("/plan"),
        body=lambda w, c: {
            "version": 1,
            "steps": [{"name": "Assess", "days": 1}, {"name": "Deploy", "days": 1}],
        },
    ),
    Op(
        "POST",
        "/tech/updates/{update_id}/status",
        in_p1("pm"),
        url=_tech_update("/status"),
        body=lambda w, c: {"version": 1, "status": "dismissed", "note": "not exposed"},
    ),
    Op(
        "POST",
        "/tech/updates/{update_id}/status",
        in_p1("pm", "task_leader"),
        "done, planned in WP-A",
        url=_planned_update_url,
        body=lambda w, c: {"version": _PLANNED[c], "status": "done"},
    ),
    Op("GET", "/tech/due", authenticated(), params={"days": 400}),
    Op("POST", "/tech/due", admin_only()),
    Op(
        "POST",
        "/projects/{project_id}/tech/handover",
        in_p1("pm"),
        url=p1("/tech/handover"),
        body=lambda w, c: {"owner_id": w.users["sponsor"]},
    ),
    Op("GET", "/projects/{project_id}/closure", READ_P1, url=p1("/closure")),
    Op("POST", "/projects/{project_id}/close", but(in_p1("pm"), pm="409", admin="409"), url=p1("/close")),
    Op("GET", "/lessons", authenticated(), params={"q": "scope"}),
    Op(  # everyone who works on the project or raises issues records lessons (an Observer only reads them)
        "POST",
        "/projects/{project_id}/lessons",
        but(READ_P1, observer="403"),
        url=p1("/lessons"),
        body=lambda w, c: {"title": "Freeze scope early"},
    ),
    # a lesson is changed and removed by its author (while they still contribute) or whoever manages quality
    Op(
        "PATCH",
        "/projects/{project_id}/lessons/{lesson_id}",
        in_p1("pm"),
        "by the PM",
        url=_lesson_url("pm"),
        body=lambda w, c: {"version": 1, "title": "Freeze scope earlier", "category": "scope"},
    ),
    Op(
        "PATCH",
        "/projects/{project_id}/lessons/{lesson_id}",
        in_p1("pm", "worker"),
        "by the worker",
        url=_lesson_url("worker"),
        body=lambda w, c: {"version": 1, "body": "Agree the scope in week one."},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/lessons/{lesson_id}",
        in_p1("pm"),
        "by the PM",
        url=_lesson_url("pm"),
        params={"version": 1},
    ),
    Op(
        "DELETE",
        "/projects/{project_id}/lessons/{lesson_id}",
        in_p1("pm", "worker"),
        "by the worker",
        url=_lesson_url("worker"),
        params={"version": 1},
    ),
    Op("GET", "/me/desk", authenticated()),
    Op("GET", "/portfolio", authenticated()),
    Op("GET", "/search", authenticated(), params={"q": 'task "A OR NEAR('}),
)
TABLE = TABLE + TECH_ROWS


def _risk(w: World) -> int:
    """A P1 risk raised by the PM and owned by task_leader (the owner manages it)."""
    from charter.services import risk

    with w.db.uow() as s:
        r = risk.create_risk(s, w.actor("pm"), w.p1, title="Vendor late", owner_id=w.users["task_leader"])
        return int(r["id"])


def _risk_url(suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}/risks/{_risk(w)}{suffix}"


def _sim_run_url(w: World, c: str) -> str:
    from charter.services import simulation

    with w.db.uow() as s:
        run = simulation.create_run(s, w.actor("pm"), w.p1, iterations=10, seed=1)
    return f"/projects/{w.p1}/simulations/{run['id']}"


# Risks: any member who may raise (all but the Observer) raises and discusses; the risk's owner and the PM
# (risk.manage) change it; simulations are run by the PM and read by every member.
_RAISERS = but(READ_P1, observer="403")
_RISK_MANAGERS = in_p1("pm", "task_leader")
RISK_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/risks", READ_P1, url=p1("/risks")),
    Op("POST", "/projects/{project_id}/risks", _RAISERS, url=p1("/risks"), body=lambda w, c: {"title": "X"}),
    Op("GET", "/projects/{project_id}/risks/{risk_id}", READ_P1, url=_risk_url()),
    Op("PATCH", "/projects/{project_id}/risks/{risk_id}", _RISK_MANAGERS, "owned by task_leader",
       url=_risk_url(), body=lambda w, c: {"version": 1, "probability": 2}),
    Op("POST", "/projects/{project_id}/risks/{risk_id}/status", _RISK_MANAGERS, "owned by task_leader",
       url=_risk_url("/status"), body=lambda w, c: {"version": 1, "status": "closed"}),
    Op("GET", "/projects/{project_id}/risks/{risk_id}/comments", READ_P1, url=_risk_url("/comments")),
    Op("POST", "/projects/{project_id}/risks/{risk_id}/comments", _RAISERS, url=_risk_url("/comments"),
       body=lambda w, c: {"body": "Noted"}),
    Op("POST", "/projects/{project_id}/risks/{risk_id}/actions", _RISK_MANAGERS, "an existing task",
       url=_risk_url("/actions"), body=lambda w, c: {"task_id": w.tasks["c"]}),
    # a new task in the risk's package, created on the owner's behalf: task_leader owns the risk but has no
    # task.edit outside WP-A (the risk has no package), and may still add the response
    Op("POST", "/projects/{project_id}/risks/{risk_id}/actions", _RISK_MANAGERS, "a new task",
       url=_risk_url("/actions"), body=lambda w, c: {"name": "Call the vendor", "duration": "1d"}),
    Op("GET", "/projects/{project_id}/risks/{risk_id}/ratings", READ_P1, url=_risk_url("/ratings")),
    Op("GET", "/projects/{project_id}/risk-scales", READ_P1, url=p1("/risk-scales")),
    Op("PUT", "/projects/{project_id}/risk-scales", in_p1("pm"), url=p1("/risk-scales"),
       body=lambda w, c: {"levels": [{"dimension": "quality", "level": 1, "label": "Cosmetic"}]}),
    Op("GET", "/projects/{project_id}/risk-overview", READ_P1, url=p1("/risk-overview")),
    Op("GET", "/projects/{project_id}/risk-burndown", READ_P1, url=p1("/risk-burndown")),
    Op("GET", "/projects/{project_id}/simulations", READ_P1, url=p1("/simulations")),
    Op("POST", "/projects/{project_id}/simulations", in_p1("pm"), url=p1("/simulations"),
       body=lambda w, c: {"iterations": 20, "seed": 1}),
    Op("GET", "/projects/{project_id}/simulations/{run_id}", READ_P1, url=_sim_run_url),
    Op("POST", "/projects/{project_id}/simulations/{run_id}/cancel", in_p1("pm"), "a queued run",
       url=lambda w, c: _sim_run_url(w, c) + "/cancel"),
)  # fmt: skip
TABLE = TABLE + RISK_ROWS


def _conflict(w: World, *, kind: str = "schedule", resolved: bool = False, party: bool = False) -> int:
    """A P1 conflict raised by the PM in WP-A (so on task_leader's rung); `resolved` settles it first."""
    from charter.services import conflicts

    with w.db.uow() as s:
        c = conflicts.raise_conflict(s, w.actor("pm"), w.p1, title="Lab time", kind=kind, work_package_id=w.wp_a,
                                     parties=[{"label": "Facilities"}] if party else [])  # fmt: skip
        if resolved:
            c = conflicts.resolve(
                s, w.actor("pm"), w.p1, c["id"], c["version"], outcome="Rota", approach="avoid"
            )
        return int(c["id"])


def _conflict_url(suffix: str = "", **kw: Any) -> Url:
    return lambda w, c: f"/projects/{w.p1}/conflicts/{_conflict(w, **kw)}{suffix}"


def _party_url(w: World, c: str) -> str:
    from charter.services import conflicts

    cid = _conflict(w, party=True)
    with w.db.uow(readonly=True) as s:
        pid = conflicts.get_conflict(s, w.actor("pm"), w.p1, cid)["parties"][0]["id"]
    return f"/projects/{w.p1}/conflicts/{cid}/parties/{pid}"


def _occurred_risk_url(w: World, c: str) -> str:
    from charter.services import risk

    rid = _risk(w)
    with w.db.uow() as s:
        r = risk.get_risk(s, w.actor("pm"), w.p1, rid)
        risk.set_status(s, w.actor("pm"), w.p1, rid, r["version"], "occurred", note="It happened")
    return f"/projects/{w.p1}/risks/{rid}/conflict"


def _concern_url(w: World, c: str) -> str:
    from charter.services import stakeholders

    with w.db.uow() as s:
        con = stakeholders.raise_concern(s, w.actor("stakeholder"), w.p1, subject="Two teams, one slot",
                                         areas=["schedule"])  # fmt: skip
    return f"/projects/{w.p1}/concerns/{con['id']}/conflict"


# Conflicts: every member sees the kinds other than people/team and may raise one (not the Observer); the PM,
# the owner and the holder of the current rung (here task_leader, WP-A) change it; a people conflict is seen
# only by those involved (the PM, the Sponsor, WP-A's Task Leader): others get 404. The PM sets the policy and
# runs the detectors; an occurred risk's owner or the PM, and the PM (or the department's liaison) for a
# concern, turn them into conflicts.
_CONFLICT_EDITORS = in_p1("pm", "task_leader")
_PEOPLE_READERS = but(in_p1("pm", "task_leader", "sponsor"), task_leader_b="404", worker="404",
                      stakeholder="404", liaison="404", observer="404")  # fmt: skip
CONFLICT_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/conflicts", READ_P1, url=p1("/conflicts")),
    Op("POST", "/projects/{project_id}/conflicts", _RAISERS, url=p1("/conflicts"),
       body=lambda w, c: {"title": "Lab time", "kind": "resource"}),
    Op("GET", "/projects/{project_id}/conflicts/{conflict_id}", READ_P1, url=_conflict_url()),
    Op("GET", "/projects/{project_id}/conflicts/{conflict_id}", _PEOPLE_READERS, "a people conflict",
       url=_conflict_url(kind="people")),
    Op("PATCH", "/projects/{project_id}/conflicts/{conflict_id}", _CONFLICT_EDITORS, url=_conflict_url(),
       body=lambda w, c: {"version": 1, "severity": "high"}),
    Op("POST", "/projects/{project_id}/conflicts/{conflict_id}/resolve", _CONFLICT_EDITORS,
       url=_conflict_url("/resolve"), body=lambda w, c: {"version": 1, "outcome": "Rota", "approach": "compromise"}),
    Op("POST", "/projects/{project_id}/conflicts/{conflict_id}/close", _CONFLICT_EDITORS,
       url=_conflict_url("/close", resolved=True), body=lambda w, c: {"version": 2}),
    Op("POST", "/projects/{project_id}/conflicts/{conflict_id}/reopen", _CONFLICT_EDITORS,
       url=_conflict_url("/reopen", resolved=True), body=lambda w, c: {"version": 2, "reason": "Again"}),
    Op("POST", "/projects/{project_id}/conflicts/{conflict_id}/escalate", _CONFLICT_EDITORS,
       url=_conflict_url("/escalate"), body=lambda w, c: {"version": 1}),
    Op("POST", "/projects/{project_id}/conflicts/{conflict_id}/parties", _CONFLICT_EDITORS,
       url=_conflict_url("/parties"), body=lambda w, c: {"label": "Vendor"}),
    Op("DELETE", "/projects/{project_id}/conflicts/{conflict_id}/parties/{party_id}", _CONFLICT_EDITORS,
       url=_party_url),
    Op("GET", "/projects/{project_id}/conflict-policy", READ_P1, url=p1("/conflict-policy")),
    Op("PUT", "/projects/{project_id}/conflict-policy", in_p1("pm"), url=p1("/conflict-policy"),
       body=lambda w, c: {"version": 1, "task_leader_hours": 24, "pm_hours": 48}),
    Op("POST", "/projects/{project_id}/conflicts/detect", in_p1("pm"), url=p1("/conflicts/detect")),
    Op("POST", "/projects/{project_id}/risks/{risk_id}/conflict", _RISK_MANAGERS, "an occurred risk",
       url=_occurred_risk_url, body=lambda w, c: {}),
    Op("POST", "/projects/{project_id}/concerns/{concern_id}/conflict", in_p1("pm"), url=_concern_url,
       body=lambda w, c: {"kind": "priority"}),
)  # fmt: skip
TABLE = TABLE + CONFLICT_ROWS


def _report(w: World, published: bool) -> int:
    """A P1 weekly report made by the PM (published or still a draft)."""
    from charter.services import reports

    with w.db.uow() as s:
        r = reports.create_draft(s, w.actor("pm"), w.p1, period="week")
        if published:
            r = reports.publish(s, w.actor("pm"), w.p1, r["id"], r["version"])
        return int(r["id"])


def _report_url(published: bool, suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}/reports/{_report(w, published)}{suffix}"


# Status reports: the PM (report.publish) makes, edits and publishes; every member reads published reports;
# a draft does not exist for anyone who may not publish (404).
_DRAFT_READERS = but(in_p1("pm"), **{m: "404" for m in MEMBERS if m != "pm"})
REPORT_ROWS: tuple[Op, ...] = (
    Op("GET", "/projects/{project_id}/reports", READ_P1, url=p1("/reports")),
    Op("POST", "/projects/{project_id}/reports", in_p1("pm"), url=p1("/reports"),
       body=lambda w, c: {"period": "month"}),
    Op("GET", "/projects/{project_id}/reports/thresholds", READ_P1, url=p1("/reports/thresholds")),
    Op("PUT", "/projects/{project_id}/reports/thresholds", in_p1("pm"), url=p1("/reports/thresholds"),
       body=lambda w, c: {"version": 0, "overrides": {"cpi_red": 0.85}}),
    Op("GET", "/projects/{project_id}/reports/{report_id}", READ_P1, "published", url=_report_url(True)),
    Op("GET", "/projects/{project_id}/reports/{report_id}", _DRAFT_READERS, "draft", url=_report_url(False)),
    Op("PATCH", "/projects/{project_id}/reports/{report_id}", in_p1("pm"), "draft", url=_report_url(False),
       body=lambda w, c: {"version": 1, "narrative": "On track."}),
    Op("POST", "/projects/{project_id}/reports/{report_id}/publish", in_p1("pm"), "draft",
       url=_report_url(False, "/publish"), body=lambda w, c: {"version": 1}),
    Op("GET", "/projects/{project_id}/reports/{report_id}/pdf", READ_P1, "published", url=_report_url(True, "/pdf")),
    Op("GET", "/projects/{project_id}/reports/{report_id}/html", READ_P1, "published",
       url=_report_url(True, "/html")),
)  # fmt: skip
TABLE = TABLE + REPORT_ROWS


def _cells() -> list[Any]:
    cells = []
    for op in TABLE:
        assert set(op.expect) == set(CALLERS), f"{op.method} {op.path} [{op.variant}] misses callers"
        for caller in callers_to_try(op.expect, CALLERS):
            cells.append(pytest.param(op, caller, id=f"{op.method} {op.path} [{op.variant}] as {caller}"))
    return cells


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def world(_seeded_world: Any, sqlite_dir: Path) -> Iterator[World]:
    """A fresh copy of the seeded world (conftest's, built once per test process) for one cell."""
    ids, source = _seeded_world
    if IS_POSTGRES:
        yield dataclasses.replace(ids, db=source.restore())
        return
    path = sqlite_dir / "cell.db"
    shutil.copyfile(source, path)
    database = Database(f"sqlite:///{path}")
    yield dataclasses.replace(ids, db=database)
    database.dispose()


@pytest.fixture(scope="module")
def _client() -> Iterator[TestClient]:
    """One app for the module: FastAPI builds its routing lazily on the first request (~100 ms), so each
    cell points the same app at its own database instead of building a new one."""
    app = create_api(Database("sqlite://"))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def client(_client: TestClient, world: World) -> TestClient:
    _client.app.state.db = world.db  # type: ignore[attr-defined]
    return _client


def _journal_count(db: Database) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _outcome(status: int) -> str:
    return "ok" if 200 <= status < 300 else str(status)


def _served(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every operation the app serves (routers included lazily are flattened)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazily included routers: app.routes is already flat
        routes: Iterable[Any] = app.routes
    else:
        routes = iter_route_contexts(app.routes)
    served: set[tuple[str, str]] = set()
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        assert path and methods, f"cannot tell which operations {route!r} serves; extend this test"
        served |= {(m, path) for m in methods if m != "HEAD"}
    return served


# --------------------------------------------------------------------------------------------- tests


def test_callers_are_the_seeded_users(seed: World) -> None:
    assert set(CALLERS) == {"anonymous", *seed.users}


def test_table_covers_every_route() -> None:
    """Every (method, path) the API serves has a row, and every row names a route that exists."""
    served = _served(create_api(Database("sqlite://")))
    covered = {op.key for op in TABLE}
    missing = sorted(served - covered)
    stale = sorted(covered - served)
    assert not missing, f"operations without a row in the permission table: {missing}"
    assert not stale, f"rows for operations the API does not serve: {stale}"


@pytest.mark.parametrize(("op", "caller"), _cells())
def test_permission(op: Op, caller: str, world: World, client: TestClient) -> None:
    if op.prepare:
        op.prepare(world, caller)
    url = op.url(world, caller) if op.url else op.path
    body = op.body(world, caller) if op.body else None
    files = op.files(world, caller) if op.files else None
    before = _journal_count(world.db)
    r = client.request(
        op.method, url, json=body, params=op.params, headers=world.headers(caller), files=files, data=op.form
    )
    expected = op.expect[caller]
    got = _outcome(r.status_code)
    assert got == expected, (
        f"{op.method} {url} as {caller}: expected {expected}, got {r.status_code} {r.text}"
    )
    if expected != "ok":
        assert r.json()["error"]["code"], r.text
        assert _journal_count(world.db) == before, "a refused call wrote to the journal"
