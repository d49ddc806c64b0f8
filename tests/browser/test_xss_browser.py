"""Stored XSS in real Chromium: script, event-handler, javascript:-link, svg and Markdown-link payloads in
every rich-text and name field (project charter, names of the project, role, work package, tasks, calendar,
the manager's display name, task descriptions, custom fields' names, choices and values) run nothing on the
project page, the schedule table, the Gantt chart, the task page or the custom fields page: no dialog opens, the window flag stays unset, no injected element exists in
the DOM, and no link points at javascript:."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Page, expect

from charter.services import accounts, calendars, custom_fields, projects, roles, tasks, views, work_packages
from charter.services.context import SYSTEM, Actor, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-xss-pass"
PAYLOADS = [
    "<script>window.__xss=1;alert(1)</script>",
    '<img src=x onerror="window.__xss=1;alert(2)">',
    '"><svg onload="window.__xss=1;alert(3)">',
    "javascript:window.__xss=1",
    "[click me](javascript:window.__xss=1)",
    '<a href="javascript:window.__xss=1">link</a>',
    "'><iframe src=javascript:alert(4)>",
]
ALL = "\n\n".join(PAYLOADS)
INJECTED = (
    "script:not([src]):not([type='application/json']), img[onerror], svg[onload], iframe, "
    "a[href^='javascript' i], [onload], [onerror], [onclick]"
)


def _world(db):  # type: ignore[no-untyped-def]
    clock.freeze(datetime.now(UTC) - timedelta(days=3))
    try:
        with db.uow() as s:
            uid = accounts.create_user(
                s, SYSTEM, username="mallory", display_name=PAYLOADS[2], password=PASSWORD
            )["id"]
            pid = projects.create_project(
                s,
                SYSTEM,
                key="XSS",
                name=PAYLOADS[1],
                objectives=ALL,
                scope_statement=ALL,
                success_criteria=ALL,
                manager_id=uid,
                start_date=date(2030, 1, 7),
            )["id"]
            roles.create_role(s, SYSTEM, pid, name=PAYLOADS[2])
            wp = work_packages.create_work_package(s, SYSTEM, pid, name=PAYLOADS[0])["id"]
            # a field's name cannot hold "=" (NAME=VALUE splits there), so no attribute payload: scripts and
            # closing tags; its choices and values take every payload
            names = [
                "<script>alert(11)</script>",
                "</th></td><script>alert(12)</script>",
                "</select><script>",
            ]
            custom_fields.create_field(s, SYSTEM, pid, name=names[0], kind="text")
            custom_fields.create_field(s, SYSTEM, pid, name=names[1], kind="choice", choices=PAYLOADS[1:6])
            custom_fields.create_field(
                s, SYSTEM, pid, name=names[2], kind="multi_choice", choices=PAYLOADS[:6]
            )
            values = {names[0]: ALL, names[1]: PAYLOADS[2], names[2]: PAYLOADS[:4]}
            tids = [
                tasks.create_task(
                    s,
                    SYSTEM,
                    pid,
                    name=p,
                    work_package_id=wp,
                    duration="1d",
                    description=ALL,
                    custom_fields=values,
                )["id"]
                for p in PAYLOADS
            ]
            for a, b in itertools.pairwise(tids):
                tasks.create_link(s, SYSTEM, pid, pred_id=a, succ_id=b)
            calendars.create_calendar(s, SYSTEM, pid, name=PAYLOADS[1])
            mallory = Actor(user_id=uid, username="mallory")
            for i, p in enumerate(PAYLOADS[:3]):  # saved views: their names in the task table's *Views*
                views.create_view(s, mallory, pid, name=p, shared=i == 0, query={"q": p[:200]})
    finally:
        clock.freeze(None)
    return pid, tids


def test_stored_payloads_run_no_script(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid, tids = _world(live_server.db)
    base = live_server.url
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("mallory")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list

    urls = [
        "/projects",
        f"/projects/{pid}",
        f"/projects/{pid}/schedule",
        f"/projects/{pid}/schedule?cols=custom",
        f"/projects/{pid}/gantt",
        f"/projects/{pid}/tasks/{tids[0]}",
        f"/projects/{pid}/tasks/{tids[4]}",
        f"/projects/{pid}/fields",
        f"/projects/{pid}/journal",
    ]
    for url in urls:
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status == 200, url
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp
        page.wait_for_load_state("networkidle")
        if url.endswith("/gantt"):
            expect(page.locator("#gantt .bars g.task").first).to_be_visible()
        # the payloads are on the page as text ...
        assert "window.__xss" in page.content(), url
        # ... and nothing ran or was created from them
        assert page.evaluate("() => window.__xss") is None, url
        bad = page.eval_on_selector_all(INJECTED, "els => els.map(e => e.outerHTML.slice(0, 120))")
        assert not bad, f"{url}: injected elements {bad}"
        # hovering and clicking around the payload text triggers nothing either
        for link in page.locator("main a").all()[:5]:
            href = link.get_attribute("href") or ""
            assert not href.strip().lower().startswith("javascript:"), (url, href)
    assert not dialogs, dialogs
    assert page.evaluate("() => window.__xss") is None
