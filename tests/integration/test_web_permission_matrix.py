"""The web permission matrix: every state-changing web route x every kind of caller -> the expected outcome.

ONE declarative table (`TABLE`) of the POST routes of the server-rendered pages (there are no PUT, PATCH or
DELETE web routes; the coverage test would list one); one test per (row, caller) cell is generated from it.
`test_table_covers_every_web_route` walks the app and fails when a state-changing web route has no row (or a
row names a route that is gone). Excluded, with the reason: POST /login (there is no caller yet: it is the
door, tested in test_web.py and test_security_headers.py) and POST /logout (ends the caller's own session and
touches no project data). The callers are the seeded world of tests/conftest.py, as in the API matrix
(test_permission_matrix.py), whose expectation helpers (`in_p1`, `but`, `READ_P1`, ...) and object-creating
helpers (`_bl`, `_pr`, `_risk`, ...) this module loads and reuses; web and API call the same services, so
a row's expectation is the API row's, written with the same helpers.

Outcome classes (requests are sent without following redirects):

- "ok": a 2xx answer, or a 303 redirect to anywhere but /login (a form that worked redirects back to its
  page, post/redirect/get). Where the route journals (every row unless it says `grows=False`), an "ok" cell
  must also have added journal entries: a form re-rendered with 200 but nothing saved would not pass.
- "login": anonymous (no session cookie) -> a 303 redirect to /login; nothing written.
- "403": a signed-in member whose role does not allow it -> the error page with status 403.
- "404": the outsider (who only holds a role in P2) or any caller for an object they cannot see -> 404.
- Any other status is named by its number ("409", "422"); a 500 is never expected.

Routes that end in an action name (`/quality/{what}`, `/conflicts/{conflict_id}/{action}`, ...) need a row per
action: a row's action is its variant's first word (or `action=`), checked against the URL it sends;
`test_every_action_has_a_row` compares them with the names the route module handles (`ACTION_ROUTES`), and
`test_unknown_action_is_404` checks that any other name is no page.

Every refused cell must write nothing: the journal count is unchanged. Signed-in cells carry the session's
CSRF token in the form (the gantt drag sends it in the X-CSRF-Token header, as the page does).

Speed: sessions are made with `accounts.start_session` (no password, no argon2) and the caller's cookie is set
on the client. On SQLite the seeded world and a session per user are built once per module into a template
file that every cell copies; on PostgreSQL they are seeded once per module into the test database and
snapshotted, and every cell puts the snapshot back (`pg_snapshot`, about 15 ms), so every cell runs on both.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from charter.app import create_app
from charter.domain.roles import OBSERVER, SPONSOR
from charter.persistence.db import Database
from charter.persistence.models import JournalEntry, User
from charter.services import accounts
from charter.web import routes_comms, routes_conflicts, routes_quality, routes_time
from charter.web.session import SESSION_COOKIE
from matrix_cells import callers_to_try


def _load_api_matrix() -> ModuleType:
    """The API matrix module, loaded by path (tests run with --import-mode=importlib: no package imports)."""
    name = "charter_tests_api_permission_matrix"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_permission_matrix.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


api = _load_api_matrix()
MEMBERS: tuple[str, ...] = api.MEMBERS
CALLERS: tuple[str, ...] = api.CALLERS
IS_POSTGRES: bool = api.IS_POSTGRES
World = Any
Expect = dict[str, str]
in_p1, but, nowhere, READ_P1 = api.in_p1, api.but, api.nowhere, api.READ_P1


def authenticated() -> Expect:
    return {**dict.fromkeys(CALLERS, "ok"), "anonymous": "login"}


def admin_only() -> Expect:
    return {**dict.fromkeys(CALLERS, "403"), "anonymous": "login", "admin": "ok"}


# --------------------------------------------------------------------------------------------- the table

Url = Callable[[World, str], str]
Form = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Op:
    path: str  # the route template, exactly as the web app declares it
    expect: Expect  # "401" (an API helper's anonymous) is read as "login"
    variant: str = "default"
    url: Url | None = None  # the concrete URL; default: `path`
    form: Form | None = None  # the minimal valid form (the CSRF token is added for signed-in callers)
    files: Callable[[World, str], dict[str, Any]] | None = None  # multipart uploads
    json: Form | None = None  # a JSON body (the gantt drag), CSRF in the X-CSRF-Token header
    prepare: Callable[[World, str], None] | None = None  # extra state the cell needs
    grows: bool = True  # an "ok" cell must add journal entries
    method: str = "POST"
    action: str = ""  # what a route ending in an action (`{what}`) is sent; default: the variant's first word

    def __post_init__(self) -> None:
        if _action_param(self.path) and not self.action:
            object.__setattr__(self, "action", self.variant.split()[0])

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def outcome(self, caller: str) -> str:
        got = self.expect[caller]
        return "login" if got == "401" else got


def _action_param(path: str) -> str | None:
    """The last segment of a route that dispatches on an action name (`{what}`, `{action}`, `{decision}`): a
    path parameter that is not an object's id or number."""
    last = path.rsplit("/", 1)[-1]
    if last.startswith("{") and not last.endswith(("_id}", "{number}")):
        return last
    return None


def p1(suffix: str = "") -> Url:
    return lambda w, c: f"/projects/{w.p1}{suffix}"


def _id(make: Callable[[World], Any], fmt: str) -> Url:
    """A URL naming a freshly made object: `fmt` with {p1} and {id}."""

    def url(w: World, c: str) -> str:
        made = make(w)
        return fmt.format(p1=w.p1, id=made[0] if isinstance(made, tuple) else made)

    return url


# ---- objects the API matrix has no helper for (made through the services, as the admin or the PM)


def _component(w: World) -> int:
    from charter.services import tech

    with w.db.uow() as s:
        return int(tech.create_component(s, w.actor("pm"), w.p1, name="Postgres", kind="platform")["id"])


def _tech_update(w: World) -> tuple[int, int]:
    from charter.services import tech

    cid = _component(w)
    with w.db.uow() as s:
        u = tech.create_update(s, w.actor("pm"), cid, kind="advisory", title="CVE-2030-0002")
    return int(u["id"]), cid


def _revoke_url(owner: Callable[[str], str]) -> Url:
    """A fresh API token of `owner(caller)`; the URL revokes it from the account page."""
    make = api._fresh_token_id(owner)
    return lambda w, c: make(w, c).replace("/me/tokens/", "/account/tokens/") + "/revoke"


def _stakeholder(w: World) -> int:
    return int(api._q_stakeholder(w))


def _proposed(w: World, c: str) -> None:
    api._proposed(w)


def _cal_exception(w: World) -> int:
    """A day off in P1's project calendar (made by the admin)."""
    import datetime as dt

    from charter.services import calendars

    with w.db.uow() as s:
        c = calendars.add_exception(s, w.actor("admin"), w.p1, w.calendars["p1"], day=dt.date(2020, 2, 14))
    return int(c["exceptions"][0]["id"])


def _web_field(w: World, suffix: str = "", *, archived: bool = False) -> str:
    """A custom field of P1 made for the cell (archived: version 2), as its page's URL."""
    from charter.services import custom_fields

    with w.db.uow() as s:
        f = custom_fields.create_field(s, w.actor("admin"), w.p1, name="Customer", kind="text")
        if archived:
            custom_fields.update_field(s, w.actor("admin"), w.p1, f["id"], 1, archived=True)
    return f"/projects/{w.p1}/fields/{f['id']}{suffix}"


def _p2_assignment(w: World) -> int:
    """An assignment on P2's task (a new piece of equipment, by the admin)."""
    from charter.services.assignments import add_assignment

    with w.db.uow() as s:
        rows = add_assignment(s, w.actor("admin"), w.p2, w.tasks["p2"], resource_id=api._new_resource(w))
    return int(rows[0]["assignment_id"])


def _task_a_assignment(w: World, assignment_id: int, suffix: str = "") -> str:
    return f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments/{assignment_id}{suffix}"


def _saved_baseline(w: World, c: str) -> None:
    from charter.services import scheduling

    with w.db.uow() as s:
        scheduling.save_baseline(s, w.actor("pm"), w.p1, number=1, name="Approved plan")


def _locked(w: World, c: str) -> None:
    """P1's timesheets locked up to 2020-01-31 (by the PM)."""
    import datetime as dt

    from charter.services import timesheets

    with w.db.uow() as s:
        timesheets.set_lock(s, w.actor("pm"), w.p1, dt.date(2020, 1, 31))


def _cal_form(w: World, c: str) -> dict[str, Any]:
    """The calendar form: every day, round the clock."""
    return {"version": "1", "name": "24x7", "shifts": "00:00-24:00", **{f"day_{i}": "on" for i in range(7)}}


# ---- the rows, by area; expectations as in the API matrix (the same services decide)

_RAISERS = api._RAISERS
_RISK_MANAGERS = api._RISK_MANAGERS
_CONFLICT_EDITORS = api._CONFLICT_EDITORS
_SEEN_BY, _UNSEEN = api._SEEN_BY, api._UNSEEN


def _own_password(w: World, c: str) -> dict[str, Any]:
    """The password form of the account page; the caller's current password is set for the cell."""
    body = api._own_password(w, c)
    return {**body, "new_password_again": body["new_password"]}


def _worker_feed_key(w: World, c: str) -> None:
    """The worker has a calendar feed address, for an admin to revoke."""
    api._feed_url(w, "worker")


def _user_form(who: str, **fields: str) -> Form:
    """The Edit form of a user's admin page: their current version and `fields`."""

    def form(w: World, c: str) -> dict[str, Any]:
        with w.db.uow() as s:
            version = s.get(User, w.users[who]).version
        return {"version": str(version), **fields}

    return form


NEW_PW = {"password": "a new long passphrase", "password_again": "a new long passphrase"}

ACCOUNT_ROWS: tuple[Op, ...] = (
    Op("/account/password", authenticated(), form=_own_password),
    Op("/account/tokens", authenticated(), form=lambda w, c: {"name": "ci", "expires_in_days": "30"}),
    Op("/account/tokens/{token_id}/revoke", authenticated(), "own token",
       url=lambda w, c: _revoke_url(lambda x: "worker" if x == "anonymous" else x)(w, c)),
    Op("/account/tokens/{token_id}/revoke", but(nowhere(), admin="ok", pm="ok"), "the PM's token",
       url=lambda w, c: _revoke_url(lambda x: "pm")(w, c)),
    Op("/account/feed-key", authenticated()),
    # the caller's own key (made for the cell) is revoked: there is no way to name another's
    Op("/account/feed-key/revoke", authenticated(), prepare=lambda w, c: api._feed_url(w, c)),
)  # fmt: skip

# the instance admin's pages: the services refuse anyone else (403) before they look for the user
ADMIN_ROWS: tuple[Op, ...] = (
    Op("/admin/users", admin_only(), form=lambda w, c: {"username": "newbie", "display_name": "New Bie", **NEW_PW}),
    Op("/admin/users/{user_id}", admin_only(), url=lambda w, c: f"/admin/users/{w.users['worker']}",
       form=_user_form("worker", display_name="Renamed", email="w@example.test", is_active="on")),
    Op("/admin/users/{user_id}", but(admin_only(), admin="404"), "missing user", url=lambda w, c: "/admin/users/999999",
       form=lambda w, c: {"version": "1", "display_name": "Ghost", "is_active": "on"}),
    Op("/admin/users/{user_id}/password", admin_only(), url=lambda w, c: f"/admin/users/{w.users['worker']}/password",
       form=lambda w, c: NEW_PW),
    Op("/admin/users/{user_id}/feed-key/revoke", admin_only(), url=lambda w, c: f"/admin/users/{w.users['worker']}/feed-key/revoke",
       form=lambda w, c: {}, prepare=_worker_feed_key),
    Op("/admin/users/{user_id}/feed-key/revoke", but(admin_only(), admin="404"), "missing user",
       url=lambda w, c: "/admin/users/999999/feed-key/revoke", form=lambda w, c: {}, grows=False),
    Op("/admin/departments", admin_only(), form=lambda w, c: {"name": "Legal"}),
    Op("/admin/departments/{dept_id}", admin_only(), url=lambda w, c: f"/admin/departments/{w.sales}",
       form=lambda w, c: {"version": "1", "name": "Sales EMEA", "head_user_id": str(w.users["liaison"])}),
)  # fmt: skip

WP_EDIT = "/projects/{project_id}/work-packages/{wp_id}"


def _wp_url(wp: Callable[[World], int]) -> Url:
    return lambda w, c: f"/projects/{w.p1}/work-packages/{wp(w)}"


def _wp_form(wp: Callable[[World], int], **fields: str | Callable[[World], str]) -> Form:
    """The Edit form of a package: its current version and `fields` (a callable is given the world)."""
    return lambda w, c: {"version": str(api._wp_version(w, wp(w))),
                         **{k: v(w) if callable(v) else v for k, v in fields.items()}}  # fmt: skip


PROJECT_ROWS: tuple[Op, ...] = (
    Op("/projects", authenticated(), form=lambda w, c: {"key": "NEW", "name": "New project"}),
    Op("/projects/import", authenticated(), "a two-task CSV plan as a new project",
       form=lambda w, c: {"key": "NEW", "format": "csv"}, files=lambda w, c: api._plan_csv()),
    Op("/projects/{project_id}/charter", in_p1("pm"), url=p1("/charter"),
       form=lambda w, c: {"version": "1", "objectives": "Ship it"}),
    Op("/projects/{project_id}/charter", api.in_p2("outsider"), "P2", url=lambda w, c: f"/projects/{w.p2}/charter",
       form=lambda w, c: {"version": "1", "objectives": "Ship it"}),
    Op("/projects/{project_id}/delete", in_p1("pm"), url=p1("/delete"), form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/restore", admin_only(), url=p1("/restore"), prepare=api._delete_p1),
    Op("/projects/{project_id}/work-packages", in_p1("pm"), "top level", url=p1("/work-packages"),
       form=lambda w, c: {"name": "New package"}),
    Op("/projects/{project_id}/work-packages", in_p1("pm", "task_leader"), "under WP-A", url=p1("/work-packages"),
       form=lambda w, c: {"name": "Sub", "parent_id": str(w.wp_a)}),
    Op("/projects/{project_id}/work-packages", but(nowhere(), outsider="404"), "under P2's package through P1",
       url=p1("/work-packages"), form=lambda w, c: {"name": "Sneaky", "parent_id": str(w.wp_p2)}),
    # the project page's Edit form of a package, as PATCH …/work-packages/{wp_id}
    Op(WP_EDIT, in_p1("pm", "task_leader"), "WP-A", url=_wp_url(lambda w: w.wp_a),
       form=_wp_form(lambda w: w.wp_a, description="How we do it", parent_id="")),
    Op(WP_EDIT, in_p1("pm", "task_leader"), "WP-A.1", url=_wp_url(lambda w: w.wp_a1),
       form=_wp_form(lambda w: w.wp_a1, name="Renamed", parent_id=lambda w: str(w.wp_a))),
    Op(WP_EDIT, in_p1("pm", "task_leader_b"), "WP-B", url=_wp_url(lambda w: w.wp_b),
       form=_wp_form(lambda w: w.wp_b, name="Renamed")),
    Op(WP_EDIT, in_p1("pm"), "move WP-A.1 to the top level", url=_wp_url(lambda w: w.wp_a1),
       form=_wp_form(lambda w: w.wp_a1, parent_id="")),
    Op(WP_EDIT, but(nowhere(), outsider="404"), "P2's package through P1", url=_wp_url(lambda w: w.wp_p2),
       form=_wp_form(lambda w: w.wp_p2, name="Hijacked")),
)  # fmt: skip

ROLE_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/assignments", in_p1("pm"), url=p1("/assignments"),
       form=lambda w, c: {"role_id": str(w.roles[OBSERVER]), "user_id": str(w.users["outsider"])}),
    Op("/projects/{project_id}/assignments/{assignment_id}/end", in_p1("pm"),
       url=lambda w, c: f"/projects/{w.p1}/assignments/{w.assignments['worker']}/end",
       form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/handover", in_p1("pm"), url=p1("/handover"),
       form=lambda w, c: {"role_id": str(w.roles[SPONSOR]), "to_user_id": str(w.users["stakeholder"])}),
    Op("/projects/{project_id}/roles", in_p1("pm"), url=p1("/roles"),
       form=lambda w, c: {"name": "Auditor", "based_on": "observer"}),
    Op("/projects/{project_id}/roles/{role_id}", in_p1("pm"), "a built-in role's description",
       url=lambda w, c: f"/projects/{w.p1}/roles/{w.roles[OBSERVER]}",
       form=lambda w, c: {"version": "1", "description": "Reads everything"}),
    Op("/projects/{project_id}/roles/{role_id}", but(in_p1(), admin="404", pm="404"), "P2's role through P1",
       url=lambda w, c: f"/projects/{w.p1}/roles/{w.p2_roles[OBSERVER]}",
       form=lambda w, c: {"version": "1", "description": "x"}),
    Op("/projects/{project_id}/raci", in_p1("pm"), url=p1("/raci"),
       form=lambda w, c: {"area": "budget", "role_id": str(w.roles[OBSERVER]), "letter": "C"}),
)  # fmt: skip

SCHEDULE_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/import", in_p1("pm"), "a two-task CSV plan", url=p1("/import"),
       form=lambda w, c: {"format": "csv"}, files=lambda w, c: api._plan_csv()),
    Op("/projects/{project_id}/gantt/tasks/{task_id}", in_p1("pm", "task_leader"), "drag task A longer",
       url=lambda w, c: f"/projects/{w.p1}/gantt/tasks/{w.tasks['a']}",
       json=lambda w, c: {"version": 1, "duration": "4d"}),
    Op("/projects/{project_id}/schedule/rows/{task_id}", in_p1("pm", "task_leader", "worker"),
       "progress of task A (worker assigned)", url=lambda w, c: f"/projects/{w.p1}/schedule/rows/{w.tasks['a']}",
       form=lambda w, c: {"version": "1", "percent_complete": "50"}),
    Op("/projects/{project_id}/tasks", in_p1("pm", "task_leader"), "in WP-A.1", url=p1("/tasks"),
       form=lambda w, c: {"name": "New", "work_package_id": str(w.wp_a1), "duration": "2d"}),
    Op("/projects/{project_id}/tasks", but(nowhere(), outsider="404"), "into P2's package through P1",
       url=p1("/tasks"), form=lambda w, c: {"name": "Sneaky", "work_package_id": str(w.wp_p2)}),
    Op("/projects/{project_id}/recurring-tasks", in_p1("pm", "task_leader"), "under WP-A.1",
       url=p1("/recurring-tasks"), form=lambda w, c: {"name": "Weekly sync", "work_package_id": str(w.wp_a1),
       "pattern": "weekly", "start": "2020-01-06", "occurrences": "2", "duration": "1h"}),
    Op("/projects/{project_id}/recurring-tasks", but(nowhere(), outsider="404"), "under P2's package through P1",
       url=p1("/recurring-tasks"), form=lambda w, c: {"name": "Sneaky", "work_package_id": str(w.wp_p2),
       "pattern": "daily", "start": "2020-01-06", "occurrences": "2"}),
    Op("/projects/{project_id}/links", in_p1("pm", "task_leader"), "B -> C (C's leader edits)", url=p1("/links"),
       form=lambda w, c: {"pred": f"#{w.tasks['b']}", "succ": f"#{w.tasks['c']}", "type": "SS"}),
    Op("/projects/{project_id}/links/{link_id}", in_p1("pm", "task_leader_b"), "A -> B as SS +1d (B's leader edits)",
       url=lambda w, c: f"/projects/{w.p1}/links/{w.links['ab']}",
       form=lambda w, c: {"version": "1", "type": "SS", "lag": "1d", "back_task": str(w.tasks["b"])}),
    Op("/projects/{project_id}/links/{link_id}/delete", in_p1("pm", "task_leader_b"),
       url=lambda w, c: f"/projects/{w.p1}/links/{w.links['ab']}/delete",
       form=lambda w, c: {"version": "1", "back_task": str(w.tasks["b"])}),
    Op("/projects/{project_id}/baselines", in_p1("pm"), url=p1("/baselines"), form=lambda w, c: {"number": "1"}),
    Op("/projects/{project_id}/baselines/{number}/delete", in_p1("pm"), "baseline 1, saved first",
       url=p1("/baselines/1/delete"), prepare=_saved_baseline),
    Op("/projects/{project_id}/schedule/status-date", in_p1("pm"), url=p1("/schedule/status-date"),
       form=lambda w, c: {"version": "1", "status_date": "2031-01-06T09:00"}),
    Op("/projects/{project_id}/tasks/{task_id}", in_p1("pm", "task_leader", "worker"),
       "progress of task A (worker assigned)", url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}",
       form=lambda w, c: {"version": "1", "percent_complete": "50"}),
    Op("/projects/{project_id}/tasks/{task_id}", in_p1("pm", "task_leader_b"),
       "progress of task B (worker not assigned)", url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['b']}",
       form=lambda w, c: {"version": "1", "percent_complete": "50"}),
    Op("/projects/{project_id}/tasks/{task_id}", but(nowhere(), outsider="404"), "P2's task through P1",
       url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['p2']}",
       form=lambda w, c: {"version": "1", "percent_complete": "50"}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments", in_p1("pm", "task_leader"), "equipment half time",
       url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments",
       form=lambda w, c: {"resource": f"resource:{api._new_resource(w)}", "units": "50", "work": ""}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments", in_p1("pm", "task_leader"),
       "a member without a resource yet", url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['a']}/assignments",
       form=lambda w, c: {"resource": f"user:{w.users['stakeholder']}", "units": "100", "work": "4"}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments", but(nowhere(), outsider="404"),
       "P2's task through P1", url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['p2']}/assignments",
       form=lambda w, c: {"resource": f"resource:{api._new_resource(w)}", "units": "50"}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}", in_p1("pm", "task_leader"),
       "the worker's units on task A", url=lambda w, c: _task_a_assignment(w, api._assignment_of_worker(w)[0]),
       form=lambda w, c: {"version": str(api._assignment_of_worker(w)[1]), "units": "50", "work": "24"}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}",
       but(in_p1(), pm="404", task_leader="404", admin="404"), "P2's assignment through P1's task A",
       url=lambda w, c: _task_a_assignment(w, _p2_assignment(w)),
       form=lambda w, c: {"version": "1", "units": "50", "work": "8"}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}/delete", in_p1("pm", "task_leader"),
       "the worker off task A",
       url=lambda w, c: _task_a_assignment(w, api._assignment_of_worker(w)[0], "/delete"),
       form=lambda w, c: {"version": str(api._assignment_of_worker(w)[1])}),
    Op("/projects/{project_id}/tasks/{task_id}/assignments/{assignment_id}/delete",
       but(in_p1(), pm="404", task_leader="404", admin="404"), "P2's assignment through P1's task A",
       url=lambda w, c: _task_a_assignment(w, _p2_assignment(w), "/delete"), form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/tasks/{task_id}/delete", in_p1("pm", "task_leader_b"),
       url=lambda w, c: f"/projects/{w.p1}/tasks/{w.tasks['b']}/delete", form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/fields", in_p1("pm"), url=p1("/fields"),
       form=lambda w, c: {"name": "Component", "kind": "choice", "choices": "Backend\nFrontend"}),
    Op("/projects/{project_id}/fields/{field_id}", in_p1("pm"), url=lambda w, c: _web_field(w),
       form=lambda w, c: {"version": "1", "name": "Client"}),
    Op("/projects/{project_id}/fields/{field_id}/archive", in_p1("pm"), url=lambda w, c: _web_field(w, "/archive"),
       form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/fields/{field_id}/restore", in_p1("pm"),
       url=lambda w, c: _web_field(w, "/restore", archived=True), form=lambda w, c: {"version": "2"}),
    Op("/projects/{project_id}/views", READ_P1, "a view of one's own", url=p1("/views"),
       form=lambda w, c: {"name": "Mine", "critical": "1", "sort": "finish", "dir": "desc"}),
    Op("/projects/{project_id}/views", in_p1("pm"), "a shared view", url=p1("/views"),
       form=lambda w, c: {"name": "Team", "shared": "on"}),
    Op("/projects/{project_id}/views/{view_id}", in_p1("pm"), "shared", url=lambda w, c: api._saved_view(w),
       form=lambda w, c: {"version": "1", "filters": "1", "q": "task"}),
    Op("/projects/{project_id}/views/{view_id}", but(api.nowhere(), pm="ok"), "the PM's own",
       url=lambda w, c: api._saved_view(w, shared=False), form=lambda w, c: {"version": "1", "name": "Late"}),
    Op("/projects/{project_id}/views/{view_id}/delete", in_p1("pm"), "shared",
       url=lambda w, c: api._saved_view(w) + "/delete", form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/calendars", in_p1("pm"), url=p1("/calendars"), form=_cal_form),
    Op("/projects/{project_id}/calendars/{calendar_id}", in_p1("pm"),
       url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}", form=_cal_form),
    Op("/projects/{project_id}/calendars/{calendar_id}/exceptions", in_p1("pm"), "a range of two days",
       url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}/exceptions",
       form=lambda w, c: {"from": "2020-02-13", "to": "2020-02-14", "name": "Offsite"}),
    Op("/projects/{project_id}/calendars/{calendar_id}/exceptions/{exception_id}/delete", in_p1("pm"),
       url=lambda w, c: f"/projects/{w.p1}/calendars/{w.calendars['p1']}/exceptions/{_cal_exception(w)}/delete"),
)  # fmt: skip

BOARD_MOVE = "/projects/{project_id}/work-packages/{wp_id}/board/move"


def _move_form(task: str, status: str = "in_progress") -> Form:
    """A card of the seeded world moved on its work package's board."""
    return lambda w, c: {"task_id": str(w.tasks[task]), "version": "1", "status": status}


TEAM_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/levelling", in_p1("pm"), url=p1("/levelling"), form=lambda w, c: {}, grows=False),
    Op("/projects/{project_id}/levelling/{run_id}/accept", in_p1("pm"), grows=False,
       url=lambda w, c: f"/projects/{w.p1}/levelling/{api._levelling_run(w, False)}/accept"),
    Op("/projects/{project_id}/levelling/{run_id}/undo", in_p1("pm"), grows=False,
       url=lambda w, c: f"/projects/{w.p1}/levelling/{api._levelling_run(w, True)}/undo"),
    Op(BOARD_MOVE, in_p1("pm", "task_leader", "worker"), "task A to in progress (worker assigned)",
       url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_a}/board/move", form=_move_form("a")),
    Op(BOARD_MOVE, in_p1("pm", "task_leader_b"), "task B on hold (worker not assigned)",
       url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_b}/board/move", form=_move_form("b", "on_hold")),
    Op(BOARD_MOVE, nowhere(), "P2's task through P1's board",
       url=lambda w, c: f"/projects/{w.p1}/work-packages/{w.wp_a}/board/move", form=_move_form("p2")),
    Op(BOARD_MOVE, nowhere(), "P1's task through P2's board",
       url=lambda w, c: f"/projects/{w.p2}/work-packages/{w.wp_p2}/board/move", form=_move_form("a")),
)  # fmt: skip


def _worker_resource(suffix: str = "") -> Url:
    """The worker's person resource's page (made on first use), with `suffix`."""
    return lambda w, c: f"/resources/{api._resource_of(w, 'worker')}{suffix}"


# The Resources pages: the admin's; a person enters their own days off and working week
RESOURCE_ROWS: tuple[Op, ...] = (
    Op("/resources", admin_only(), form=lambda w, c: {"name": "Staging env", "kind": "environment",
                                                      "max_units": "1"}),
    Op("/resources/{resource_id}", admin_only(), "the worker's name and units (Edit)", url=_worker_resource(),
       form=lambda w, c: {"version": "1", "name": "Wendy", "max_units": "0.5"}),
    Op("/resources/{resource_id}", but(admin_only(), worker="ok"), "own working week",
       url=_worker_resource(), form=lambda w, c: {"version": "1", "scope": "hours", "day_0": "on", "day_1": "on"}),
    Op("/resources/{resource_id}/rates", admin_only(), url=_worker_resource("/rates"),
       form=lambda w, c: {"valid_from": "2020-01-01", "standard": "80.00", "currency": "EUR"}),
    Op("/resources/{resource_id}/exceptions", but(admin_only(), worker="ok"), "own vacation",
       url=_worker_resource("/exceptions"),
       form=lambda w, c: {"day": "2020-03-02", "until": "2020-03-03", "name": "Vacation"}),
    Op("/resources/{resource_id}/exceptions/{exception_id}/delete", but(admin_only(), worker="ok"),
       "own vacation day", url=lambda w, c: api._resource_exception_url(w, c) + "/delete"),
)  # fmt: skip

TIME_ROWS: tuple[Op, ...] = (
    # Only the worker has a row (task A) in the grid; for the others the cell is not theirs and is ignored.
    Op("/me/work/timesheet", authenticated(), "own week", grows=False,
       form=lambda w, c: {"week": "2020-W02", f"h-{w.tasks['a']}-2020-01-07": "2h"}),
    Op("/me/work/submit", authenticated(), "own week", grows=False, form=lambda w, c: {"week": "2020-W02"},
       prepare=api._ts_prepare("worker", "a", submit=False)),
    Op("/me/approvals/{entry_id}/{decision}",
       but(in_p1("pm", "task_leader"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"),
       "the worker's hours on task A",
       action="approve",
       url=lambda w, c: f"/me/approvals/{api._ts_entry('worker', 'a', submit=True)(w, c)}/approve",
       form=lambda w, c: {"project_id": str(w.p1)}),
    Op("/me/approvals/{entry_id}/{decision}",
       but(in_p1("pm", "task_leader"), task_leader_b="404", stakeholder="404", liaison="404", observer="404"),
       "reject the worker's hours",
       action="reject",
       url=lambda w, c: f"/me/approvals/{api._ts_entry('worker', 'a', submit=True)(w, c)}/reject",
       form=lambda w, c: {"project_id": str(w.p1), "reason": "wrong task"}),
    Op("/me/approvals/{entry_id}/{decision}", nowhere(), "P2's hours through P1", action="approve",
       url=lambda w, c: f"/me/approvals/{api._ts_entry('outsider', 'p2', submit=True)(w, c)}/approve",
       form=lambda w, c: {"project_id": str(w.p1)}),
    # the Time page's lock form, as PUT …/timesheet-lock: the Project Manager's
    Op("/projects/{project_id}/time/lock", in_p1("pm"), "lock", url=p1("/time/lock"),
       form=lambda w, c: {"until": "2020-01-31"}),
    Op("/projects/{project_id}/time/lock", in_p1("pm"), "unlock (locked up to 2020-01-31)", url=p1("/time/lock"),
       prepare=_locked, form=lambda w, c: {"unlock": "1"}),
)  # fmt: skip

BUDGET_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/budget/expenses", in_p1("pm"), url=p1("/budget/expenses"),
       form=lambda w, c: {"budget_line_id": str(api._bl(w, "")), "day": "2026-01-08", "amount": "12.00",
                          "description": "Taxi"}),
    Op("/projects/{project_id}/budget/expenses/{expense_id}/receipts", in_p1("pm"),
       url=_id(lambda w: api._expense(w), "/projects/{p1}/budget/expenses/{id}/receipts"),
       files=lambda w, c: {"receipt": ("r.pdf", b"%PDF-1.4 receipt", "application/pdf")}),
    Op("/projects/{project_id}/budget/expenses/{expense_id}/receipts/{attachment_id}/delete", in_p1("pm"),
       url=lambda w, c: "/projects/{p1}/budget/expenses/{}/receipts/{}/delete".format(
           *api._expense(w, receipt=True), p1=w.p1)),
    Op("/projects/{project_id}/budget/fixed-costs", in_p1("pm"), url=p1("/budget/fixed-costs"),
       form=lambda w, c: {"task_id": str(w.tasks["a"]), "description": "Licence", "amount": "50.00"}),
    Op("/projects/{project_id}/budget/fixed-costs/{cost_id}/edit", in_p1("pm"), "change",
       url=_id(api._fixed_cost, "/projects/{p1}/budget/fixed-costs/{id}/edit"),
       form=lambda w, c: {"version": "1", "task_id": str(w.tasks["a"]), "description": "Licence",
                          "amount": "60.00", "accrual": "end"}),
    Op("/projects/{project_id}/budget/fixed-costs/{cost_id}/edit", in_p1("pm"), "delete",
       url=_id(api._fixed_cost, "/projects/{p1}/budget/fixed-costs/{id}/edit"),
       form=lambda w, c: {"version": "1", "action": "delete"}),
    Op("/projects/{project_id}/budget/lines", in_p1("pm"), url=p1("/budget/lines"),
       form=lambda w, c: {"category": "travel", "name": "Trips", "amount": "100.00"}),
    Op("/projects/{project_id}/budget/versions", in_p1("pm"), url=p1("/budget/versions"),
       prepare=lambda w, c: api._prepare_line(w)),
    Op("/projects/{project_id}/budget/versions/{number}/decide", in_p1("sponsor"), "approve",
       url=p1("/budget/versions/1/decide"), form=lambda w, c: {"decision": "approve"}, prepare=_proposed),
    Op("/projects/{project_id}/budget/versions/{number}/decide", in_p1("sponsor"), "reject",
       url=p1("/budget/versions/1/decide"), form=lambda w, c: {"decision": "reject", "reason": "no"},
       prepare=_proposed),
    Op("/projects/{project_id}/budget/versions/{number}/withdraw", in_p1("pm"),
       url=p1("/budget/versions/1/withdraw"), prepare=_proposed),
    Op("/projects/{project_id}/budget/lines/{line_id}/edit", in_p1("pm"), "change",
       url=_id(lambda w: api._bl(w), "/projects/{p1}/budget/lines/{id}/edit"),
       form=lambda w, c: {"version": "1", "name": "Kit", "amount": "7"}),
    Op("/projects/{project_id}/budget/lines/{line_id}/edit", in_p1("pm"), "delete",
       url=_id(lambda w: api._bl(w), "/projects/{p1}/budget/lines/{id}/edit"),
       form=lambda w, c: {"version": "1", "action": "delete"}),
    Op("/projects/{project_id}/budget/snapshots", in_p1("pm"), url=p1("/budget/snapshots"),
       form=lambda w, c: {"as_of": "2030-01-31"}),
)  # fmt: skip

PROCUREMENT_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/procurement/requests", in_p1("pm", "task_leader"), "a WP-A line",
       url=p1("/procurement/requests"),
       form=lambda w, c: {"budget_line_id": str(api._bl(w)), "title": "RAM", "amount": "80"}),
    Op("/projects/{project_id}/procurement/requests/{request_id}/decide", api.ONLY_NAMED_APPROVER, "approve",
       url=_id(api._pr, "/projects/{p1}/procurement/requests/{id}/decide"),
       form=lambda w, c: {"decision": "approve"}),
    Op("/projects/{project_id}/procurement/requests/{request_id}/decide", api.ONLY_NAMED_APPROVER, "reject",
       url=_id(api._pr, "/projects/{p1}/procurement/requests/{id}/decide"),
       form=lambda w, c: {"decision": "reject", "reason": "no"}),
    Op("/projects/{project_id}/procurement/requests/{request_id}/cancel", in_p1("pm"),
       "by the requester (the PM) or the PM", url=_id(api._pr, "/projects/{p1}/procurement/requests/{id}/cancel"),
       form=lambda w, c: {"version": "1", "reason": "bought elsewhere"}),
    Op("/projects/{project_id}/procurement/orders", in_p1("pm"), url=p1("/procurement/orders"),
       form=lambda w, c: {"request_id": str(api._pr(w, approve=True)[0]), "unit_price": "100.00"}),
    Op("/projects/{project_id}/procurement/orders/{order_id}/receipts", in_p1("pm", "task_leader"),
       "charged to WP-A", url=_id(api._po, "/projects/{p1}/procurement/orders/{id}/receipts"),
       form=lambda w, c: {"day": "2026-01-08"}),
    Op("/projects/{project_id}/procurement/orders/{order_id}/status", in_p1("pm"), "cancel",
       url=_id(api._po, "/projects/{p1}/procurement/orders/{id}/status"),
       form=lambda w, c: {"version": "1", "status": "cancelled"}),
    Op("/projects/{project_id}/procurement/invoices", in_p1("pm"), url=p1("/procurement/invoices"),
       form=lambda w, c: {"order_id": str(api._po(w, received=True)), "number": "A-1", "day": "2026-01-09",
                          "amount": "100"}),
    Op("/projects/{project_id}/procurement/invoices/{invoice_id}/decide", in_p1("sponsor"),
       "release (registered by the PM, who does not release it)",
       url=_id(api._held_invoice, "/projects/{p1}/procurement/invoices/{id}/decide"),
       form=lambda w, c: {"decision": "release", "reason": "ok"}),
    Op("/projects/{project_id}/procurement/contracts", in_p1("pm"), url=p1("/procurement/contracts"),
       form=lambda w, c: {"vendor_id": str(api._vendor(w)), "title": "Support", "kind": "subscription",
                          "value": "1200", "start": "2030-01-01"}),
    Op("/projects/{project_id}/procurement/contracts/{contract_id}", in_p1("pm"),
       url=_id(api._contract, "/projects/{p1}/procurement/contracts/{id}"),
       form=lambda w, c: {"version": "1", "title": "Support", "kind": "subscription", "value": "1500",
                          "start": "2020-01-01"}),
    Op("/projects/{project_id}/procurement/contracts/{contract_id}/close", in_p1("pm"),
       url=_id(api._contract, "/projects/{p1}/procurement/contracts/{id}/close"),
       form=lambda w, c: {"version": "1", "reason": "ended"}),
    # Vendors are organisation-wide: the PM or Sponsor of any project keeps them (the path's project only
    # picks the page to return to), so P2's PM may too, as through the API.
    Op("/projects/{project_id}/procurement/vendors", api.VENDOR_KEEPERS, url=p1("/procurement/vendors"),
       form=lambda w, c: {"name": "Globex"}),
    Op("/projects/{project_id}/procurement/vendors/{vendor_id}", api.VENDOR_KEEPERS,
       url=_id(api._vendor, "/projects/{p1}/procurement/vendors/{id}"),
       form=lambda w, c: {"version": "1", "name": "Acme", "rating": "5"}),
    Op("/projects/{project_id}/procurement/rules", in_p1("sponsor"), url=p1("/procurement/rules"),
       form=lambda w, c: {"version": "0", "role_0": "project_manager", "up_to_0": "1000", "role_1": "sponsor"}),
)  # fmt: skip


COMMS_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/messages", _RAISERS, "to a member", url=p1("/messages"),
       form=lambda w, c: {"to": "user", "to_user_id": str(w.users["observer"]), "subject": "Hi", "body": "Hello"}),
    Op("/projects/{project_id}/messages", _RAISERS, "from a task's Discussion form", url=p1("/messages"),
       form=lambda w, c: {"to": "user", "to_user_id": str(w.users["observer"]), "subject": "Hi", "body": "Hello",
                          "entity_type": "task", "entity_id": str(w.tasks["a"]), "return_to": "discussion"}),
    Op("/projects/{project_id}/messages", in_p1("pm", "liaison"), "to the Sales department", url=p1("/messages"),
       form=lambda w, c: {"to": "department", "to_department_id": str(w.sales), "subject": "Hi", "body": "Hello"}),
    Op("/projects/{project_id}/messages", in_p1("pm"), "announcement to the project", url=p1("/messages"),
       form=lambda w, c: {"to": "project", "subject": "News", "body": "Go-live"}),
    Op("/projects/{project_id}/messages/{item_id}/reply", but(in_p1(*_SEEN_BY), **{**_UNSEEN, "observer": "403"}),
       url=api._comms_url("/reply"), form=lambda w, c: {"body": "More"}),
    Op("/projects/{project_id}/messages/{item_id}/answer",
       but(in_p1("pm", "liaison"), **{**_UNSEEN, "observer": "403"}), url=api._comms_url("/answer"),
       form=lambda w, c: {"body": "Done"}),
    Op("/projects/{project_id}/messages/{item_id}/forward", but(in_p1("pm", "liaison"), **_UNSEEN),
       url=api._comms_url("/forward"), form=lambda w, c: {"note": "FYI"}),
    Op("/projects/{project_id}/messages/{item_id}/close", but(in_p1(*_SEEN_BY), **_UNSEEN),
       url=api._comms_url("/close")),
    Op("/projects/{project_id}/liaison/forward", but(in_p1("pm", "liaison"), **_UNSEEN), "a Sales item",
       url=p1("/liaison/forward"), form=lambda w, c: {"item_ids": str(api._comms_item(w))}),
    Op("/projects/{project_id}/comm-plan", in_p1("pm"), url=p1("/comm-plan"),
       form=lambda w, c: {"information": "Report", "audience": "project", "frequency": "monthly",
                          "channel": "report"}),
    Op("/projects/{project_id}/comm-plan/{entry_id}/done", in_p1("pm", "liaison"), "owned by the liaison",
       url=_id(api._plan_entry, "/projects/{p1}/comm-plan/{id}/done")),
    Op("/projects/{project_id}/comm-plan/{entry_id}", in_p1("pm"), url=_id(api._plan_entry, "/projects/{p1}/comm-plan/{id}"),
       form=lambda w, c: {"version": "1", "information": "Status, fortnightly", "audience": "project",
                          "frequency": "biweekly", "channel": "email", "active": "on"}),
    Op("/projects/{project_id}/comm-plan/{entry_id}/delete", in_p1("pm"),
       url=_id(api._plan_entry, "/projects/{p1}/comm-plan/{id}/delete"), form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/comm-plan/check", READ_P1, url=p1("/comm-plan/check"), grows=False),
    Op("/projects/{project_id}/meetings", _RAISERS, url=p1("/meetings"),
       form=lambda w, c: {"title": "Sync", "starts_at": "2030-01-08T10:00", "ends_at": "2030-01-08T11:00"}),
    Op("/projects/{project_id}/meetings/{meeting_id}/{what}", in_p1("pm"), "minutes",
       url=api._meeting_url("/minutes"), form=lambda w, c: {"version": "1", "minutes": "Agreed"}),
    Op("/projects/{project_id}/meetings/{meeting_id}/{what}", in_p1("pm"), "decisions",
       url=api._meeting_url("/decisions"), form=lambda w, c: {"text": "Go"}),
    Op("/projects/{project_id}/meetings/{meeting_id}/{what}", in_p1("pm"), "actions",
       url=api._meeting_url("/actions"),
       form=lambda w, c: {"text": "Do it", "owner_id": str(w.users["worker"]), "due_on": "2030-01-20"}),
)  # fmt: skip

NOTIFY_ROWS: tuple[Op, ...] = (
    Op("/me/inbox/{notification_id}/read", authenticated(), "own notification", grows=False,
       url=lambda w, c: api._notification_for(lambda x: "worker" if x == "anonymous" else x)(w, c)
       .replace("/me/notifications/", "/me/inbox/")),
    Op("/me/inbox/{notification_id}/read", but(nowhere(), pm="ok"), "the PM's notification", grows=False,
       url=lambda w, c: api._notification_for(lambda x: "pm")(w, c).replace("/me/notifications/", "/me/inbox/")),
    Op("/me/inbox/read-all", authenticated(), grows=False),
    Op("/me/inbox/preferences", authenticated(), grows=False,
       form=lambda w, c: {"kind_0": "*", "in_app_0": "on", "email_0": "digest"}),
    Op("/projects/{project_id}/webhooks", in_p1("pm"), url=p1("/webhooks"),
       form=lambda w, c: {"url": "https://93.184.215.14/hook", "active": "on", "ev_task.assigned": "on"}),
    Op("/projects/{project_id}/webhooks/{webhook_id}", in_p1("pm"), url=api._webhook_url,
       form=lambda w, c: {"version": "1", "url": "https://93.184.215.14/other"}),
    Op("/projects/{project_id}/webhooks/{webhook_id}/rotate", in_p1("pm"),
       url=lambda w, c: api._webhook_url(w, c) + "/rotate", form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/webhooks/{webhook_id}/ping", in_p1("pm"), grows=False,
       url=lambda w, c: api._webhook_url(w, c) + "/ping"),
    Op("/projects/{project_id}/webhooks/{webhook_id}/delete", in_p1("pm"),
       url=lambda w, c: api._webhook_url(w, c) + "/delete", form=lambda w, c: {"version": "1"}),
)  # fmt: skip


def _q(path: str, make: Callable[[World], Any], key: str, extra: Form | None = None) -> Form:
    """A quality form naming a freshly made object by `key` (plus `extra` fields)."""

    def form(w: World, c: str) -> dict[str, Any]:
        return {key: str(make(w)), **(extra(w, c) if extra else {})}

    return form


def _metric(w: World) -> int:
    return int(api._q_metric(w, "").split("/")[-2])


def _template(w: World) -> int:
    return int(api._q_template_url(w, "").split("/")[-1])


def _owned_defect(w: World) -> int:
    """A defect on task A (WP-A) that the worker owns."""
    from charter.services import quality

    with w.db.uow() as s:
        d = quality.create_defect(s, w.actor("admin"), w.p1, title="Slow", severity="minor", found_in="test",
                                  task_id=w.tasks["a"], owner_id=w.users["worker"])  # fmt: skip
    return int(d["id"])


def _defect_form(owner: str | None) -> Form:
    """The defect edit form as the page sends it: every field, the links kept (an empty owner stays empty)."""
    return lambda w, c: {"version": "1", "title": "Crash on save", "description": "Seen twice", "severity": "major",
                         "found_in": "test", "priority": "1", "task_id": str(w.tasks["a"]), "deliverable_id": "",
                         "owner_id": str(w.users[owner]) if owner else ""}  # fmt: skip


def _deliverable_form(wp: Callable[[World], int]) -> Form:
    """The deliverable edit form as the page sends it, naming the package `wp(world)`."""
    return lambda w, c: {"version": "1", "name": "Spec", "description": "", "phase": "execution",
                         "acceptance_criteria": "Signed by the sponsor", "acceptor_id": str(w.users["stakeholder"]),
                         "work_package_id": str(wp(w))}  # fmt: skip


QUALITY = "/projects/{project_id}/quality/{what}"
QUALITY_ROWS: tuple[Op, ...] = (
    Op(QUALITY, in_p1("pm"), "phase", url=p1("/quality/phase"),
       form=lambda w, c: {"phase": "planning", "exit_criteria": "Plan signed"}),
    Op(QUALITY, in_p1("pm"), "close", url=p1("/quality/close")),
    Op(QUALITY, in_p1("pm"), "plan", url=p1("/quality/plan"),
       form=lambda w, c: {"standards": "ISO 9001", "concern_ack_days": "2"}),
    Op(QUALITY, in_p1("pm"), "metric", url=p1("/quality/metric"),
       form=lambda w, c: {"name": "Availability", "direction": "at_least", "target": "99.5", "unit": "%"}),
    Op(QUALITY, in_p1("pm"), "measure", url=p1("/quality/measure"),
       form=_q(QUALITY, _metric, "metric_id", lambda w, c: {"value": "97"})),
    Op(QUALITY, in_p1("pm"), "metric-edit", url=p1("/quality/metric-edit"),
       form=_q(QUALITY, _metric, "metric_id", lambda w, c: {"version": "1", "name": "Pass rate", "unit": "%",
                                                            "direction": "at_least", "target": "90"})),
    Op(QUALITY, in_p1("pm"), "metric-delete", url=p1("/quality/metric-delete"),
       form=_q(QUALITY, _metric, "metric_id", lambda w, c: {"version": "1"})),
    Op(QUALITY, in_p1("pm", "task_leader"), "deliverable in WP-A", url=p1("/quality/deliverable"),
       form=lambda w, c: {"work_package_id": str(w.wp_a), "name": "Build", "acceptor_id": str(w.users["sponsor"])}),
    Op(QUALITY, but(in_p1("stakeholder"), admin="403"), "accept (the stakeholder is named)",
       url=p1("/quality/accept"), form=_q(QUALITY, api._q_deliverable, "deliverable_id")),
    Op(QUALITY, but(in_p1("stakeholder"), admin="403"), "reject (the stakeholder is named)",
       url=p1("/quality/reject"), form=_q(QUALITY, api._q_deliverable, "deliverable_id",
                                          lambda w, c: {"reason": "Missing tests"})),
    Op(QUALITY, in_p1("pm", "task_leader"), "resubmit", url=p1("/quality/resubmit"),
       form=_q(QUALITY, lambda w: api._q_deliverable(w, rejected=True), "deliverable_id")),
    Op(QUALITY, in_p1("pm", "task_leader"), "deliverable-edit in WP-A", url=p1("/quality/deliverable-edit"),
       form=_q(QUALITY, api._q_deliverable, "deliverable_id", _deliverable_form(lambda w: w.wp_a))),
    # Moving it needs the right on both packages: WP-A's leader may not hand it to WP-B, nor WP-B's take it.
    Op(QUALITY, in_p1("pm"), "deliverable-edit from WP-A to WP-B", url=p1("/quality/deliverable-edit"),
       form=_q(QUALITY, api._q_deliverable, "deliverable_id", _deliverable_form(lambda w: w.wp_b))),
    Op(QUALITY, in_p1("pm", "task_leader"), "deliverable-delete in WP-A", url=p1("/quality/deliverable-delete"),
       form=_q(QUALITY, api._q_deliverable, "deliverable_id", lambda w, c: {"version": "1"})),
    # Checklist templates are organisation-wide: quality managers anywhere (P2's PM too), as through the API.
    Op(QUALITY, but(admin_only(), pm="ok", outsider="ok"), "template", url=p1("/quality/template"),
       form=lambda w, c: {"name": "Code review", "items": "Tests pass\nDocs updated"}),
    Op(QUALITY, but(admin_only(), pm="ok", outsider="ok"), "template-edit", url=p1("/quality/template-edit"),
       form=_q(QUALITY, _template, "template_id",
               lambda w, c: {"version": "1", "name": "Design checklist", "items": "Complete\nReviewed"})),
    Op(QUALITY, but(admin_only(), pm="ok", outsider="ok"), "template-delete", url=p1("/quality/template-delete"),
       form=_q(QUALITY, _template, "template_id", lambda w, c: {"version": "1"})),
    Op(QUALITY, in_p1("pm"), "review", url=p1("/quality/review"),
       form=lambda w, c: {"title": "Design review", f"reviewer_{w.users['worker']}": "on",
                          "reviewer_ids": str(w.users["worker"]), "items": "Complete"}),
    Op(QUALITY, in_p1("pm", "worker"), "finding (worker reviews)", url=p1("/quality/finding"),
       form=_q(QUALITY, api._q_review, "review_id", lambda w, c: {"text": "Missing diagram"})),
    Op(QUALITY, but(in_p1("worker"), admin="403"), "signoff (worker reviews)", url=p1("/quality/signoff"),
       form=_q(QUALITY, api._q_review, "review_id")),
    Op(QUALITY, in_p1("pm"), "review-edit", url=p1("/quality/review-edit"),
       form=_q(QUALITY, api._q_review, "review_id",
               lambda w, c: {"version": "1", "title": "Design review", "items": "Complete",
                             f"reviewer_{w.users['worker']}": "on", f"reviewer_{w.users['task_leader']}": "on"})),
    Op(QUALITY, in_p1("pm"), "review-delete", url=p1("/quality/review-delete"),
       form=_q(QUALITY, api._q_review, "review_id", lambda w, c: {"version": "1"})),
    Op(QUALITY, _RAISERS, "defect", url=p1("/quality/defect"),
       form=lambda w, c: {"title": "Login fails", "severity": "major", "found_in": "test"}),
    Op(QUALITY, in_p1("pm", "task_leader"), "defect-status (task A, WP-A)", url=p1("/quality/defect-status"),
       form=_q(QUALITY, api._q_defect, "defect_id", lambda w, c: {"version": "1", "status": "triaged"})),
    # The defect's owner moves its status, and changes nothing else.
    Op(QUALITY, in_p1("pm", "task_leader", "worker"), "defect-status (task A, owned by the worker)",
       url=p1("/quality/defect-status"),
       form=_q(QUALITY, _owned_defect, "defect_id", lambda w, c: {"version": "1", "status": "triaged"})),
    Op(QUALITY, in_p1("pm", "task_leader"), "defect-edit (task A, WP-A)", url=p1("/quality/defect-edit"),
       form=_q(QUALITY, api._q_defect, "defect_id", _defect_form(owner=None))),
    Op(QUALITY, in_p1("pm", "task_leader"), "defect-edit (task A, owned by the worker)",
       url=p1("/quality/defect-edit"), form=_q(QUALITY, _owned_defect, "defect_id", _defect_form(owner="worker"))),
    # Closing as won't fix is the managers' decision, not the owner's alone.
    Op(QUALITY, in_p1("pm", "task_leader"), "defect-wont-fix (task A, owned by the worker)",
       url=p1("/quality/defect-wont-fix"),
       form=_q(QUALITY, _owned_defect, "defect_id", lambda w, c: {"version": "1", "reason": "Cosmetic"})),
    Op("/projects/{project_id}/stakeholders", in_p1("pm"), url=p1("/stakeholders"),
       form=lambda w, c: {"name": "Works council", "kind": "group", "interest": "4", "influence": "5"}),
    # A liaison keeps their own department's entries of the register.
    Op("/projects/{project_id}/stakeholders", in_p1("pm", "liaison"), "of Sales (the liaison's department)",
       url=p1("/stakeholders"), form=lambda w, c: {"name": "Sales reps", "kind": "group",
                                                   "department_id": str(w.sales)}),
    Op("/projects/{project_id}/stakeholders/{stakeholder_id}", but(in_p1("pm"), liaison="404"),
       "of no department (not the liaison's to see)", url=_id(_stakeholder, "/projects/{p1}/stakeholders/{id}"),
       form=lambda w, c: {"version": "1", "current_engagement": "supportive"}),
    Op("/projects/{project_id}/stakeholders/{stakeholder_id}", in_p1("pm", "liaison"),
       "of Sales (the liaison's department)",
       url=_id(api._q_sales_stakeholder, "/projects/{p1}/stakeholders/{id}"),
       form=lambda w, c: {"version": "1", "current_engagement": "supportive"}),
    Op("/projects/{project_id}/concerns", _RAISERS, url=p1("/concerns"),
       form=lambda w, c: {"subject": "Go-live too early", "area": "schedule", "severity": "high"}),
    Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1("pm"), "acknowledge",
       url=_id(api._q_concern, "/projects/{p1}/concerns/{id}/acknowledge")),
    Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1("pm"), "answer",
       url=_id(api._q_concern, "/projects/{p1}/concerns/{id}/answer"), form=lambda w, c: {"text": "Noted"}),
    Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1("pm"), "change-request",
       url=_id(api._q_concern, "/projects/{p1}/concerns/{id}/change-request")),
    Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1("pm"), "risk",
       url=_id(api._q_concern, "/projects/{p1}/concerns/{id}/risk"), form=lambda w, c: {"category": "people"}),
    Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1("pm"), "conflict", url=api._concern_url),
    # a concern of the Sales department: its liaison handles it too (turning it into a change request is the PM's)
    *(Op("/projects/{project_id}/concerns/{concern_id}/{what}", in_p1(*who), f"{what} (a Sales concern)",
         url=_id(api._q_sales_concern, "/projects/{p1}/concerns/{id}/" + what), form=form)
      for what, who, form in (
          ("acknowledge", ("pm", "liaison"), None),
          ("answer", ("pm", "liaison"), lambda w, c: {"text": "Noted"}),
          ("change-request", ("pm",), None),
          ("risk", ("pm", "liaison"), lambda w, c: {"category": "people"}),
          ("conflict", ("pm", "liaison"), None),
      )),
    Op("/projects/{project_id}/changes", _RAISERS, url=p1("/changes"),
       form=lambda w, c: {"title": "Add a pilot", "reason": "Users asked"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor", "stakeholder"),
       "edit (requested by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/edit"),
       form=lambda w, c: {"version": "1", "reason": "Testing needs it"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor"),
       "edit the board (of a request by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/edit"),
       form=lambda w, c: {"version": "1", "set_board": "1", f"approver_{w.users['stakeholder']}": "on", "quorum": "1"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor", "stakeholder"),
       "add (requested by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/add"),
       form=lambda w, c: {"op": "add_task", "name": "Pilot"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor", "stakeholder"),
       "clear (requested by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/clear"),
       form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor", "stakeholder"),
       "preview (requested by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/preview")),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor"), "approve (previewed)",
       url=_id(lambda w: api._q_change(w, previewed=True), "/projects/{p1}/changes/{id}/approve"),
       form=lambda w, c: {"reason": "Fine"}),
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor"), "reject",
       url=_id(api._q_change, "/projects/{p1}/changes/{id}/reject"), form=lambda w, c: {"reason": "No"}),
    # withdrawn by its requester or a holder of change.decide
    Op("/projects/{project_id}/changes/{cr_id}/{what}", in_p1("pm", "sponsor", "stakeholder"),
       "withdraw (requested by the stakeholder)", url=_id(api._q_change, "/projects/{p1}/changes/{id}/withdraw"),
       form=lambda w, c: {"version": "1", "reason": "Not needed"}),
)  # fmt: skip

TECH_ROWS: tuple[Op, ...] = (
    Op("/tech/import", in_p1("pm"), form=lambda w, c: {"project_id": str(w.p1)},
       files=lambda w, c: {"file": ("inventory.csv", b"name,kind,version\nNginx,software,1.25\n", "text/csv")}),
    Op("/tech/components", in_p1("pm"), form=lambda w, c: {"project_id": str(w.p1), "name": "Redis"}),
    Op("/tech/{component_id}/updates", in_p1("pm"), url=_id(_component, "/tech/{id}/updates"),
       form=lambda w, c: {"kind": "advisory", "title": "CVE-2030-0001", "severity": "high"}),
    Op("/tech/{component_id}/edit", in_p1("pm"), url=_id(_component, "/tech/{id}/edit"),
       form=lambda w, c: {"version": "1", "name": "Postgres", "kind": "platform", "current_version": "16.2"}),
    Op("/tech/updates/{update_id}/status", in_p1("pm"), url=_id(_tech_update, "/tech/updates/{id}/status"),
       form=lambda w, c: {"version": "1", "status": "dismissed", "note": "not exposed"}),
    Op("/tech/updates/{update_id}/status", in_p1("pm", "task_leader"), "done, planned in WP-A",
       url=api._planned_update_url, form=lambda w, c: {"version": str(api._PLANNED[c]), "status": "done"}),
    Op("/tech/updates/{update_id}/plan", in_p1("pm"), url=_id(_tech_update, "/tech/updates/{id}/plan"),
       form=lambda w, c: {"version": "1", "step_name_1": "Assess", "step_days_1": "1",
                          "step_name_2": "Deploy", "step_days_2": "1"}),
    Op("/projects/{project_id}/close", but(in_p1("pm"), pm="409", admin="409"), url=p1("/close")),
    Op("/projects/{project_id}/tech/handover", in_p1("pm"), "a component to hand over", url=p1("/tech/handover"),
       prepare=lambda w, c: _component(w) and None,
       form=lambda w, c: {"owner_id": str(w.users["sponsor"])}),
    Op("/projects/{project_id}/lessons", _RAISERS, url=p1("/lessons"),
       form=lambda w, c: {"title": "Freeze scope early"}),
    Op("/projects/{project_id}/lessons/{lesson_id}/edit", in_p1("pm"), "by the PM",
       url=lambda w, c: api._lesson_url("pm")(w, c) + "/edit",
       form=lambda w, c: {"version": "1", "title": "Freeze scope earlier", "body": "", "category": "scope"}),
    Op("/projects/{project_id}/lessons/{lesson_id}/edit", in_p1("pm", "worker"), "by the worker",
       url=lambda w, c: api._lesson_url("worker")(w, c) + "/edit",
       form=lambda w, c: {"version": "1", "title": "Freeze scope early", "body": "Agree it in week one."}),
    Op("/projects/{project_id}/lessons/{lesson_id}/delete", in_p1("pm"), "by the PM",
       url=lambda w, c: api._lesson_url("pm")(w, c) + "/delete", form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/lessons/{lesson_id}/delete", in_p1("pm", "worker"), "by the worker",
       url=lambda w, c: api._lesson_url("worker")(w, c) + "/delete", form=lambda w, c: {"version": "1"}),
)  # fmt: skip

RISK_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/risks", _RAISERS, url=p1("/risks"), form=lambda w, c: {"title": "X"}),
    Op("/projects/{project_id}/risks/{risk_id}", _RISK_MANAGERS, "owned by task_leader", url=api._risk_url(),
       form=lambda w, c: {"version": "1", "probability": "2"}),
    Op("/projects/{project_id}/risks/{risk_id}/conflict", _RISK_MANAGERS, "an occurred risk",
       url=api._occurred_risk_url),
    Op("/projects/{project_id}/risks/{risk_id}/comments", _RAISERS, url=api._risk_url("/comments"),
       form=lambda w, c: {"body": "Noted"}),
    Op("/projects/{project_id}/risks/{risk_id}/actions", _RISK_MANAGERS, "an existing task",
       url=api._risk_url("/actions"), form=lambda w, c: {"task_id": str(w.tasks["c"])}),
    Op("/projects/{project_id}/risks/{risk_id}/actions", _RISK_MANAGERS, "a new task (owner, no task.edit)",
       url=api._risk_url("/actions"), form=lambda w, c: {"name": "Call the vendor", "duration": "1d"}),
    Op("/projects/{project_id}/risk-scales", in_p1("pm"), url=p1("/risk-scales"),
       form=lambda w, c: {"quality_1_label": "Cosmetic"}),
    Op("/projects/{project_id}/simulation", in_p1("pm"), url=p1("/simulation"),
       form=lambda w, c: {"iterations": "20", "seed": "1"}),
    Op("/projects/{project_id}/simulation/{run_id}/cancel", in_p1("pm"), "a queued run",
       url=lambda w, c: api._sim_run_url(w, c).replace("/simulations/", "/simulation/") + "/cancel"),
)  # fmt: skip

CONFLICT = "/projects/{project_id}/conflicts/{conflict_id}/{action}"
CONFLICT_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/conflicts", _RAISERS, url=p1("/conflicts"),
       form=lambda w, c: {"title": "Lab time", "kind": "resource"}),
    Op("/projects/{project_id}/conflicts/detect", in_p1("pm"), url=p1("/conflicts/detect"), grows=False),
    Op("/projects/{project_id}/conflict-policy", in_p1("pm"), url=p1("/conflict-policy"),
       form=lambda w, c: {"version": "1", "task_leader_hours": "24", "pm_hours": "48"}),
    Op("/projects/{project_id}/conflicts/{conflict_id}", _CONFLICT_EDITORS, url=api._conflict_url(),
       form=lambda w, c: {"version": "1", "severity": "high"}),
    Op(CONFLICT, _CONFLICT_EDITORS, "resolve", url=api._conflict_url("/resolve"),
       form=lambda w, c: {"version": "1", "outcome": "Rota", "approach": "compromise"}),
    Op(CONFLICT, _CONFLICT_EDITORS, "close", url=api._conflict_url("/close", resolved=True),
       form=lambda w, c: {"version": "2"}),
    Op(CONFLICT, _CONFLICT_EDITORS, "reopen", url=api._conflict_url("/reopen", resolved=True),
       form=lambda w, c: {"version": "2", "reason": "Again"}),
    Op(CONFLICT, _CONFLICT_EDITORS, "escalate", url=api._conflict_url("/escalate"),
       form=lambda w, c: {"version": "1"}),
    Op(CONFLICT, _CONFLICT_EDITORS, "parties", url=api._conflict_url("/parties"),
       form=lambda w, c: {"party_label": "Vendor"}),
    Op("/projects/{project_id}/conflicts/{conflict_id}/parties/{party_id}/remove", _CONFLICT_EDITORS,
       url=lambda w, c: api._party_url(w, c) + "/remove"),
)  # fmt: skip

REPORT_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/reports", in_p1("pm"), url=p1("/reports"), form=lambda w, c: {"period": "month"}),
    Op("/projects/{project_id}/reports/thresholds", in_p1("pm"), url=p1("/reports/thresholds"),
       form=lambda w, c: {"version": "0", "cpi_red": "0.85"}),
    Op("/projects/{project_id}/reports/{report_id}/narrative", in_p1("pm"), "draft",
       url=api._report_url(False, "/narrative"), form=lambda w, c: {"version": "1", "narrative": "On track."}),
    Op("/projects/{project_id}/reports/{report_id}/publish", in_p1("pm"), "draft",
       url=api._report_url(False, "/publish"), form=lambda w, c: {"version": "1"}),
)  # fmt: skip


def p2(fmt: str, make: Callable[[World], Any]) -> Url:
    """A P1 object (made by `make`) named through P2's URL: `fmt` with {p2} and {id}."""

    def url(w: World, c: str) -> str:
        made = make(w)
        return fmt.format(p2=w.p2, id=made[0] if isinstance(made, tuple) else made)

    return url


# P1's objects through P2's URLs: P2's PM (the outsider) and the admin see P2 but the object is not in it, and
# P1's members cannot see P2: 404 for every signed-in caller.
CROSS_ROWS: tuple[Op, ...] = (
    Op("/projects/{project_id}/views/{view_id}/delete", nowhere(), "P1's view through P2",
       url=lambda w, c: api._saved_view(w).replace(f"/projects/{w.p1}/", f"/projects/{w.p2}/") + "/delete",
       form=lambda w, c: {"version": "1"}),
    Op("/projects/{project_id}/fields/{field_id}", nowhere(), "P1's field through P2",
       url=lambda w, c: _web_field(w).replace(f"/projects/{w.p1}/", f"/projects/{w.p2}/"),
       form=lambda w, c: {"version": "1", "name": "Client"}),
    Op("/projects/{project_id}/calendars/{calendar_id}", nowhere(), "P1's calendar through P2",
       url=lambda w, c: f"/projects/{w.p2}/calendars/{w.calendars['p1']}", form=_cal_form),
    Op("/projects/{project_id}/calendars/{calendar_id}/exceptions", nowhere(), "P1's calendar through P2",
       url=lambda w, c: f"/projects/{w.p2}/calendars/{w.calendars['p1']}/exceptions",
       form=lambda w, c: {"from": "2020-02-14"}),
    Op("/projects/{project_id}/calendars/{calendar_id}/exceptions/{exception_id}/delete", nowhere(),
       "P1's exception through P2's calendar",
       url=lambda w, c: f"/projects/{w.p2}/calendars/{w.calendars['p2']}/exceptions/{_cal_exception(w)}/delete"),
    Op("/projects/{project_id}/webhooks/{webhook_id}/ping", nowhere(), "P1's webhook through P2", grows=False,
       url=lambda w, c: api._webhook_url(w, c).replace(f"/projects/{w.p1}/", f"/projects/{w.p2}/") + "/ping"),
    Op("/projects/{project_id}/risks/{risk_id}/comments", nowhere(), "P1's risk through P2",
       url=p2("/projects/{p2}/risks/{id}/comments", api._risk), form=lambda w, c: {"body": "Noted"}),
    Op("/projects/{project_id}/budget/lines/{line_id}/edit", nowhere(), "P1's line through P2",
       url=p2("/projects/{p2}/budget/lines/{id}/edit", lambda w: api._bl(w)),
       form=lambda w, c: {"version": "1", "name": "Kit", "amount": "7"}),
    Op("/projects/{project_id}/tasks/{task_id}", nowhere(), "P1's task through P2",
       url=p2("/projects/{p2}/tasks/{id}", lambda w: w.tasks["a"]),
       form=lambda w, c: {"version": "1", "percent_complete": "50"}),
    Op("/projects/{project_id}/conflicts/{conflict_id}", nowhere(), "P1's conflict through P2",
       url=p2("/projects/{p2}/conflicts/{id}", api._conflict), form=lambda w, c: {"version": "1", "severity": "high"}),
    Op("/projects/{project_id}/messages/{item_id}/reply", nowhere(), "P1's message through P2",
       url=p2("/projects/{p2}/messages/{id}/reply", api._comms_item), form=lambda w, c: {"body": "More"}),
    Op("/me/approvals/{entry_id}/{decision}", nowhere(), "P1's hours named as P2's", action="approve",
       url=lambda w, c: f"/me/approvals/{api._ts_entry('worker', 'a', submit=True)(w, c)}/approve",
       form=lambda w, c: {"project_id": str(w.p2)}),
    Op("/projects/{project_id}/procurement/orders/{order_id}/receipts", nowhere(), "P1's order through P2",
       url=p2("/projects/{p2}/procurement/orders/{id}/receipts", api._po), form=lambda w, c: {"day": "2026-01-08"}),
    Op("/projects/{project_id}/meetings/{meeting_id}/{what}", nowhere(), "P1's meeting through P2",
       action="decisions",
       url=p2("/projects/{p2}/meetings/{id}/decisions", api._meeting), form=lambda w, c: {"text": "Go"}),
)  # fmt: skip

TABLE: tuple[Op, ...] = (
    ACCOUNT_ROWS + ADMIN_ROWS + PROJECT_ROWS + ROLE_ROWS + SCHEDULE_ROWS + TEAM_ROWS + RESOURCE_ROWS + TIME_ROWS
    + BUDGET_ROWS
    + PROCUREMENT_ROWS + COMMS_ROWS + NOTIFY_ROWS + QUALITY_ROWS + TECH_ROWS + RISK_ROWS + CONFLICT_ROWS
    + REPORT_ROWS + CROSS_ROWS
)  # fmt: skip

# The routes that dispatch on an action name, with the names each handles (read from the route modules, which
# use these sets to answer 404 to any other name): every name needs a row (`test_every_action_has_a_row`).
ACTION_ROUTES: dict[str, frozenset[str]] = {
    QUALITY: routes_quality.QUALITY_ACTIONS,
    "/projects/{project_id}/concerns/{concern_id}/{what}": routes_quality.CONCERN_ACTIONS,
    "/projects/{project_id}/changes/{cr_id}/{what}": routes_quality.CHANGE_ACTIONS,
    CONFLICT: routes_conflicts.CONFLICT_ACTIONS,
    "/projects/{project_id}/meetings/{meeting_id}/{what}": routes_comms.MEETING_ACTIONS,
    "/me/approvals/{entry_id}/{decision}": routes_time.DECISIONS,
}

# Not in the table, and why (the coverage test reads this).
EXCLUDED = {
    ("POST", "/login"): "the door itself: no caller yet (test_web.py, test_security_headers.py)",
    ("POST", "/logout"): "ends the caller's own session; no project data",
}

# --------------------------------------------------------------------------------------------- cells


def _cells() -> list[Any]:
    cells = []
    for op in TABLE:
        assert set(op.expect) == set(CALLERS), f"{op.path} [{op.variant}] misses callers"
        for caller in callers_to_try(op.expect, CALLERS):
            cells.append(pytest.param(op, caller, id=f"POST {op.path} [{op.variant}] as {caller}"))
    return cells


# --------------------------------------------------------------------------------------------- fixtures

Sessions = dict[str, tuple[str, str]]  # user name -> (cookie, CSRF token)


def _start_sessions(db: Database, w: World, names: Any) -> Sessions:
    """Web sessions made through the service that /login uses (no password check: no argon2)."""
    out: Sessions = {}
    with db.uow() as s:
        for name in names:
            new = accounts.start_session(s, s.get(User, w.users[name]))
            out[name] = (new.cookie, new.csrf_token)
    return out


@pytest.fixture(scope="module")
def _seeded_template(
    _db_template: Any,
    world_builder: Callable[[Database], World],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Any:
    """SQLite: a file holding the migrated, seeded world with a web session per user, the world's ids and
    the sessions. PostgreSQL: a snapshot of that seeded database, the world's ids and the sessions."""
    if IS_POSTGRES:

        def seeded(database: Database) -> tuple[World, Sessions]:
            w = world_builder(database)
            return w, _start_sessions(database, w, w.users)

        return request.getfixturevalue("pg_snapshot")(seeded)
    path = tmp_path_factory.mktemp("web-seeded") / "seeded.db"
    shutil.copyfile(_db_template, path)
    database = Database(f"sqlite:///{path}")
    world = world_builder(database)
    sessions = _start_sessions(database, world, world.users)
    database.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=DELETE")
    con.close()
    return path, world, sessions


@pytest.fixture
def world(
    _seeded_template: Any, request: pytest.FixtureRequest, sqlite_dir: Path
) -> Iterator[tuple[World, Sessions]]:
    """A fresh copy of the seeded world for one cell, with the web sessions."""
    if IS_POSTGRES:
        (ids, sessions), snap = _seeded_template
        yield dataclasses.replace(ids, db=snap.restore()), sessions
        return
    template, ids, sessions = _seeded_template
    path = sqlite_dir / "cell.db"
    shutil.copyfile(template, path)
    database = Database(f"sqlite:///{path}")
    yield dataclasses.replace(ids, db=database), sessions
    database.dispose()


@pytest.fixture(scope="module")
def _client() -> Iterator[TestClient]:
    """One app for the module; each cell points it at its own database."""
    app = create_app(Database("sqlite://"), check_schema=False)
    with TestClient(app) as client:
        yield client


def _journal_count(db: Database) -> int:
    with db.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(JournalEntry)) or 0


def _outcome(status: int, location: str) -> str:
    if status == 303 and location.startswith("/login"):
        return "login"
    return "ok" if 200 <= status < 300 or status == 303 else str(status)


def _web_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every state-changing route of the pages (the API under /api/v1 and the static files
    are mounted apps, not routes)."""
    walk_routes = _load_hostile().walk_routes
    out: set[tuple[str, str]] = set()
    for path, methods in walk_routes(app.routes):
        if path.startswith(("/api/", "/static")):
            continue
        out |= {(m, path) for m in methods & {"POST", "PUT", "PATCH", "DELETE"}}
    return out


def _load_hostile() -> ModuleType:
    name = "charter_tests_hostile_input"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_hostile_input.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# --------------------------------------------------------------------------------------------- tests


def test_table_covers_every_web_route() -> None:
    """Every state-changing web route has a row (or a stated exclusion); every row names a served route."""
    served = _web_routes(create_app(Database("sqlite://"), check_schema=False))
    covered = {op.key for op in TABLE}
    missing = sorted(served - covered - set(EXCLUDED))
    stale = sorted((covered | set(EXCLUDED)) - served)
    assert not missing, f"state-changing web routes without a row in the web permission table: {missing}"
    assert not stale, f"rows for web routes the app does not serve: {stale}"
    assert len(served) >= 90


def test_every_action_has_a_row() -> None:
    """Each route ending in an action name is listed in ACTION_ROUTES, and the actions its rows send are
    exactly the names the route handles (a new action without a row, or a row for a removed one, fails)."""
    served = {path for _, path in _web_routes(create_app(Database("sqlite://"), check_schema=False))}
    assert {path for path in served if _action_param(path)} == set(ACTION_ROUTES)
    for path, handled in ACTION_ROUTES.items():
        rows = {op.action for op in TABLE if op.path == path}
        assert not handled - rows, f"POST {path}: actions without a row: {sorted(handled - rows)}"
        assert not rows - handled, (
            f"POST {path}: rows for actions the route does not handle: {sorted(rows - handled)}"
        )


def _with_action(op: Op, url: str, action: str) -> str:
    """`url` (a row's concrete URL) with its action segment replaced by `action`."""
    at = op.path.split("/").index(_action_param(op.path) or "")
    parts = url.split("/")
    assert parts[at] == op.action, (
        f"{op.path} [{op.variant}] sends {parts[at]!r}, not its action {op.action!r}"
    )
    parts[at] = action
    return "/".join(parts)


def _request(
    client: TestClient, op: Op, w: World, caller: str, sessions: Sessions, action: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A row's request as `caller` (with `action` in place of the row's own, when given): the URL and the
    arguments of `client.post`. Building it makes the objects the row needs (journalled: count after it)."""
    client.app.state.db = w.db  # type: ignore[attr-defined]
    client.cookies.clear()
    if op.prepare:
        op.prepare(w, caller)
    url = op.url(w, caller) if op.url else op.path
    if op.action:
        url = _with_action(op, url, action or op.action)
    form = {k: str(v) for k, v in (op.form(w, caller) if op.form else {}).items()}
    headers: dict[str, str] = {}
    if caller != "anonymous":
        cookie, csrf = sessions[caller]
        client.cookies.set(SESSION_COOKIE, cookie)
        form["csrf_token"] = csrf
        headers["X-CSRF-Token"] = csrf
    if op.json:
        return url, {"json": op.json(w, caller), "headers": headers, "follow_redirects": False}
    files = op.files(w, caller) if op.files else None
    return url, {"data": form, "files": files, "headers": headers, "follow_redirects": False}


@pytest.mark.parametrize("path", sorted(ACTION_ROUTES))
def test_unknown_action_is_404(path: str, world: tuple[World, Sessions], _client: TestClient) -> None:
    """A name the route does not handle is no page (404, nothing written), even for the PM on the objects of
    a row the PM may act on."""
    w, sessions = world
    op = next(op for op in TABLE if op.path == path and op.outcome("pm") == "ok")
    url, request = _request(_client, op, w, "pm", sessions, action="no-such-action")
    before = _journal_count(w.db)
    r = _client.post(url, **request)
    assert r.status_code == 404, f"POST {path} with an unknown action: {r.status_code} {_message(r.text)}"
    assert _journal_count(w.db) == before


@pytest.mark.parametrize(("op", "caller"), _cells())
def test_web_permission(op: Op, caller: str, world: tuple[World, Sessions], _client: TestClient) -> None:
    w, sessions = world
    url, request = _request(_client, op, w, caller, sessions)
    before = _journal_count(w.db)
    r = _client.post(url, **request)
    expected = op.outcome(caller)
    got = _outcome(r.status_code, r.headers.get("location", ""))
    assert got == expected, (
        f"POST {url} as {caller}: expected {expected}, got {r.status_code} "
        f"{r.headers.get('location', '')} {_message(r.text)}"
    )
    after = _journal_count(w.db)
    if expected != "ok":
        assert after == before, "a refused web request wrote to the journal"
    elif op.grows:
        assert after > before, f"POST {url} as {caller} answered {r.status_code} but journalled nothing"


def _message(html: str) -> str:
    """The error message of an error page or a re-rendered form, for the failure report."""
    m = re.search(r'class="(?:error|flash[^"]*|alert[^"]*)"[^>]*>(.*?)<', html, re.S)
    return (m.group(1).strip() if m else html[:300]).replace("\n", " ")
