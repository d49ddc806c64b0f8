"""Every page a demo user can reach, followed link by link: no server error, no link that leads nowhere.

The demo (`charter demo`) holds a realistic history in every area (plan, roles, budget, time, procurement,
communications through liaisons, quality, change control, risk, technology updates). Each demo user signs in
and follows every link, `hx-get` and `src` of every page they are shown (GET only, same site), breadth first,
a few variants of each path's query string at most. A page must answer 200 (or redirect to another page
that does); a link shown to the user that answers 403, 404 or sends them to the login page is a dead link;
any 5xx fails the test. Every HTML page also keeps the Content-Security-Policy's promise (no inline script or
style) and every form that posts carries a CSRF token.

The demo is seeded once per test process (conftest's `demo_db`) and each user crawls a copy of it."""

from __future__ import annotations

import html
import re
from collections import deque
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from charter.app import create_app
from charter.persistence.db import Database
from charter.services import demo
from matrix_cells import IS_POSTGRES
from webhelpers import csrf_of, no_inline

# the demo is seeded once per test process: its tests run in one process (make test: --dist loadgroup)
pytestmark = pytest.mark.xdist_group("demo")

LINK = re.compile(r'\s(?:href|hx-get|src)="([^"#]*)"')
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
DATA_BLOCK = re.compile(r'<script type="application/json"[^>]*>.*?</script>', re.S)
SKIP = ("/logout", "/static/", "/api/")
VARIANTS = 3  # distinct query strings followed per path
PER_ROUTE = 3  # pages of each route per user on PostgreSQL (see the test)
NUMBER = re.compile(r"/\d+(?=/|$)")
LIMIT = 1500  # pages per user, far above the demo's (a runaway link generator fails the test)
USERS = [demo.ADMIN, *(p.username for p in demo.PEOPLE)]


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    r = client.post(
        "/login",
        data={
            "username": username,
            "password": demo.DEMO_PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "/projects",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _links(page: str, base: str) -> Iterator[str]:
    for m in LINK.finditer(page):
        target = html.unescape(m.group(1)).strip()
        if not target:
            continue
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith(("mailto:", "javascript:")):
            continue
        full = urljoin(base, target)
        if "{" in full or full.startswith(SKIP):
            continue
        yield full


def pattern(path: str) -> str:
    """A page's route: its path with every number as {n} (/projects/3/tasks/57 -> /projects/{n}/tasks/{n})."""
    return NUMBER.sub("/{n}", urlsplit(path).path)


def crawl(
    client: TestClient, start: list[str], per_route: int | None = None
) -> tuple[dict[str, str], list[str]]:
    """Breadth-first over what the signed-in user is shown. Returns {page: the page that linked it} and the
    problems found. `per_route`: follow at most that many pages of each route (pattern)."""
    found_on: dict[str, str] = {p: "(start)" for p in start}
    variants: dict[str, int] = {}
    routes: dict[str, int] = {}
    queue = deque(start)
    problems: list[str] = []
    while queue:
        path = queue.popleft()
        assert len(found_on) <= LIMIT, f"more than {LIMIT} pages: a link generator runs away near {path}"
        r = client.get(path, follow_redirects=False)
        where = f"{path} (linked from {found_on[path]})"
        if r.status_code >= 500:
            problems.append(f"{r.status_code} server error: {where}")
            continue
        if r.status_code in (301, 302, 303, 307, 308):
            target = urljoin(path, r.headers["location"])
            if urlsplit(target).path == "/login":
                problems.append(f"sends a signed-in user to the login page: {where}")
            elif target not in found_on:
                found_on[target] = path
                queue.append(target)
            continue
        if r.status_code != 200:
            problems.append(f"{r.status_code}: {where}")
            continue
        if not r.headers.get("content-type", "").startswith("text/html"):
            continue
        page = r.text
        try:
            no_inline(DATA_BLOCK.sub("", page))  # a JSON data block is not script: CSP does not apply to it
        except AssertionError as exc:
            problems.append(f"inline script or style ({exc}): {path}")
        for form in FORM.findall(page):
            head = form[: form.index(">")].lower()
            if 'method="post"' in head and 'name="csrf_token"' not in form:
                problems.append(f"a form that posts without a CSRF token: {path}: {head}>")
        for target in _links(page, path):
            if target in found_on:
                continue
            base = urlsplit(target).path
            if variants.get(base, 0) >= VARIANTS:
                continue
            if per_route is not None:
                if routes.get(route := pattern(target), 0) >= per_route:
                    continue
                routes[route] = routes.get(route, 0) + 1
            variants[base] = variants.get(base, 0) + 1
            found_on[target] = path
            queue.append(target)
    return found_on, problems


@pytest.mark.parametrize("username", USERS)
def test_every_page_a_demo_user_can_reach_answers(demo_db: Database, username: str) -> None:
    # SQLite: every page. PostgreSQL (the same pages over other SQL): every route, PER_ROUTE pages of each,
    # except for the admin, who walks every page there too (every object, every query the pages run)
    per_route = PER_ROUTE if IS_POSTGRES and username != demo.ADMIN else None
    with TestClient(create_app(demo_db), raise_server_exceptions=False) as client:
        _sign_in(client, username)
        pages, problems = crawl(
            client, ["/projects", "/desk", "/me/work", "/me/inbox", "/account"], per_route
        )
    assert not problems, "\n".join(problems)
    # the crawl really walked the site: every demo user sees at least one project's pages
    assert sum(1 for p in pages if p.startswith("/projects/")) >= 10, sorted(pages)


def test_the_pages_of_a_project_with_an_elapsed_task_answer(demo_db: Database) -> None:
    """A 3ed burn-in test added to the demo's CRM from today, with a Task Worker on it at full time (so it
    over-allocates them round the clock): the PM's and that worker's pages around it (the task, schedule,
    Gantt, workload, levelling, Time, budget and EVM, conflicts after detection, their desks) all answer."""
    import datetime as dt

    from sqlalchemy import select

    from charter.persistence.models import Project, User
    from charter.services import assignments, conflict_detect, resources, tasks
    from charter.services.context import SYSTEM, Actor

    with demo_db.uow() as s:
        pid = s.scalar(select(Project.id).where(Project.key == "CRM"))
        assert pid is not None
        uid = {u.username: u.id for u in s.scalars(select(User))}
        pm = Actor(uid["priya.nair"], "priya.nair")
        today = dt.datetime.combine(dt.date.today(), dt.time(9))
        t = tasks.create_task(s, pm, pid, name="Burn-in test", duration="3ed", constraint_type="snet",
                              constraint_date=today)  # fmt: skip
        rid = resources.person_resource(s, uid["samuel.osei"], SYSTEM).id
        assignments.add_assignment(s, pm, pid, t["id"], resource_id=rid)
        conflict_detect.detect(s, pm, pid)
    assert t["duration"] == "3ed"
    start = [f"/projects/{pid}/tasks/{t['id']}", f"/projects/{pid}", f"/projects/{pid}/schedule",
             f"/projects/{pid}/workload", f"/projects/{pid}/levelling", f"/projects/{pid}/time",
             f"/projects/{pid}/conflicts", "/desk", "/me/work"]  # fmt: skip
    with TestClient(create_app(demo_db), raise_server_exceptions=False) as client:
        for who in ("priya.nair", "samuel.osei"):
            _sign_in(client, who)
            pages, problems = crawl(client, start, PER_ROUTE)
            assert not problems, "\n".join(problems)
            assert f"/projects/{pid}/tasks/{t['id']}" in pages
        _sign_in(client, "priya.nair")
        page = client.get(f"/projects/{pid}/workload").text
    assert "Burn-in test" in page and "(elapsed: round the clock)" in page
