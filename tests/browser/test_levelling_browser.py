"""Resource levelling in real Chromium: Wendy works full time on Design (3d) and Review (2d) at once from
Mon 2030-01-07, so the workload page shows her over-allocated on the 7th and 8th. The PM previews a
levelling, sees what moves and the new finish, accepts it, and the workload page shows the overload gone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from charter.domain.roles import TASK_WORKER
from charter.services import accounts, projects, roles, tasks
from charter.services.context import SYSTEM, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PERIOD = "from=2030-01-07&to=2030-01-20"


def _world(db):  # type: ignore[no-untyped-def]
    clock.freeze(datetime.now(UTC) - timedelta(days=3))
    try:
        with db.uow() as s:
            ids = {
                n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PASSWORD)[
                    "id"
                ]
                for n in ("pat", "wendy")
            }
            pid = projects.create_project(
                s,
                SYSTEM,
                key="LVL",
                name="Levelling project",
                manager_id=ids["pat"],
                start_date=date(2030, 1, 7),
            )["id"]
            worker = next(r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"] == TASK_WORKER)
            roles.assign_role(s, SYSTEM, pid, role_id=worker, user_id=ids["wendy"])
            for name, dur in (("Design", "3d"), ("Review", "2d")):
                tid = tasks.create_task(s, SYSTEM, pid, name=name, duration=dur)["id"]
                tasks.set_assignees(s, SYSTEM, pid, tid, [ids["wendy"]])
    finally:
        clock.freeze(None)
    return pid


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list


def test_pm_levels_an_overallocated_person(live_server, page: Page) -> None:
    pid = _world(live_server.db)
    base = live_server.url
    _login(page, base, "pat")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{base}/projects/{pid}/team")
    expect(page.locator("#team-table")).to_contain_text("Wendy")  # (this week lies years before the plan)
    page.goto(f"{base}/projects/{pid}/workload?{PERIOD}")
    over = page.locator("#over-table tbody tr")
    expect(over).to_have_count(2)
    expect(over.first).to_contain_text("Wendy")
    expect(over.first).to_contain_text("Design")
    expect(over.first).to_contain_text("Review")
    expect(page.locator("#chart-team rect.load.over")).to_have_count(2)
    page.screenshot(path=str(SHOTS / "workload-before.png"), full_page=True)

    page.get_by_role("navigation", name="Team views").get_by_role(
        "link", name="Levelling", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Level the resources")).to_be_visible()
    page.get_by_role("radio", name=re.compile("^Heuristic")).check()
    page.get_by_role("button", name="Preview levelling").click()
    # the first levelling in a process compiles the engine's kernels: allow for it
    expect(page.locator("#run-status")).to_have_text("Preview", timeout=90_000)
    moves = page.locator("#moves tbody tr")
    expect(moves).to_have_count(1)
    expect(moves.first).to_contain_text("Review")
    expect(page.locator("#new-finish")).to_have_text(re.compile(r"^2030-01-1\d"))
    expect(page.locator("#none-remaining")).to_be_visible()
    new_finish = page.locator("#new-finish").inner_text()
    assert new_finish > page.locator("#old-finish").inner_text()
    page.screenshot(path=str(SHOTS / "levelling-preview.png"), full_page=True)

    page.get_by_role("button", name="Accept this levelling").click()
    expect(page.locator("#run-status")).to_have_text("Applied", timeout=60_000)
    expect(page.locator("#current-finish")).to_have_text(new_finish)
    expect(page.get_by_role("button", name=re.compile("Undo"))).to_be_visible()

    page.goto(f"{base}/projects/{pid}/workload?{PERIOD}")
    expect(page.locator("#no-over")).to_be_visible()
    expect(page.locator("#over-table")).to_have_count(0)
    expect(page.locator("rect.load.over")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "workload-after.png"), full_page=True)
