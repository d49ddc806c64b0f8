"""A work package's board in real Chromium: the Task Leader drags a card from Not started to In progress, the
drop submits the card's own "Move to" form, and after a reload the card is in the In progress column with its
actual start recorded; the strict CSP reports no violation and no script error happens."""

from __future__ import annotations

import re
from datetime import date, datetime

from playwright.sync_api import Page, expect

from charter.domain.roles import TASK_LEADER
from charter.services import accounts, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=None)["id"]
        tess = accounts.create_user(s, SYSTEM, username="tess", display_name="Tess", password=PASSWORD)["id"]
        pid = projects.create_project(
            s, SYSTEM, key="BRD", name="Board project", manager_id=pat, start_date=date(2030, 1, 7)
        )["id"]
        wp = work_packages.create_work_package(s, SYSTEM, pid, name="Rollout")["id"]
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"]}
        roles.assign_role(s, SYSTEM, pid, role_id=keys[TASK_LEADER], user_id=tess, scope_id=wp)
        tid = tasks.create_task(s, SYSTEM, pid, name="Install agents", work_package_id=wp, duration="2d")[
            "id"
        ]
        tasks.create_task(s, SYSTEM, pid, name="Train the help desk", work_package_id=wp, duration="1d")
    return pid, wp, tid


def test_task_leader_drags_a_card_to_in_progress(live_server, page: Page, frozen_clock) -> None:
    # the clock at the plan's first morning (2030-01-07 09:00): the scheduled start is not in the future
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pid, wp, tid = _world(live_server.db)
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Your (desk|projects)$"))).to_be_visible()

    board = f"{base}/projects/{pid}/work-packages/{wp}/board"
    page.goto(board)
    card = page.locator(f"#task-{tid}")
    expect(page.locator("#col-not_started")).to_contain_text("Install agents")
    expect(card).to_have_attribute("draggable", "true")
    with page.expect_navigation(url=re.compile(rf"/board#task-{tid}$")):
        card.drag_to(page.locator("#col-in_progress"))
    expect(page.locator(".error")).to_have_count(0)

    page.goto(board)
    expect(page.locator("#col-in_progress").locator(f"#task-{tid}")).to_contain_text("Install agents")
    expect(page.locator("#col-not_started").locator(f"#task-{tid}")).to_have_count(0)
    expect(page.locator("#col-not_started")).to_contain_text("Train the help desk")
    expect(page.locator(f"#move-{tid}")).to_have_value("in_progress")
    with live_server.db.uow(readonly=True) as s:
        t = tasks.get_task(s, SYSTEM, pid, tid)
    assert t["status"] == "in_progress" and t["actual_start"] == t["start"] == datetime(2030, 1, 7, 9, 0)
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert not [p for p in problems if "board.js" in p], problems
