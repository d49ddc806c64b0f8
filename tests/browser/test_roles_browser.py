"""Log in, hand the PM role over mid-project, see the role history, end the only holder of an accountable
role and see the responsibility gap appear, assign someone and see it disappear — in real Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from charter.services import accounts, projects, roles
from charter.services.context import SYSTEM, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    start = datetime.now(UTC) - timedelta(days=30)
    clock.freeze(start)
    try:
        with db.uow() as s:
            ids = {}
            for name, admin in [
                ("ada", True),
                ("pat", False),
                ("quinn", False),
                ("sam", False),
                ("kim", False),
            ]:
                ids[name] = accounts.create_user(
                    s,
                    SYSTEM,
                    username=name,
                    display_name=name.capitalize(),
                    password=PASSWORD,
                    is_admin=admin,
                )["id"]
            p = projects.create_project(
                s,
                SYSTEM,
                key="ERP",
                name="ERP upgrade",
                manager_id=ids["pat"],
                status="active",
                phase="execution",
            )
            sec = roles.create_role(s, SYSTEM, p["id"], name="Security Officer", raci={"technology": "A"})
            roles.assign_role(s, SYSTEM, p["id"], role_id=sec["id"], user_id=ids["sam"])
    finally:
        clock.freeze(None)
    return p["id"]


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list


def test_handover_history_and_gap(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url
    _login(page, base, "ada")
    page.get_by_role("link", name="ERP upgrade").click()
    expect(page.locator("#no-gaps")).to_be_visible()

    # Hand the Project Manager role from Pat to Quinn.
    handover = page.locator("form[action$='/handover']")
    handover.get_by_label("Role", exact=True).select_option(label="Project Manager")
    handover.get_by_label("To", exact=True).select_option(label="Quinn (quinn)")
    handover.get_by_role("button", name="Hand over").click()
    expect(page.locator(".project-head")).to_contain_text("PM: Quinn")
    history = page.locator("#history-table")
    expect(history.locator("tr.current", has_text="Quinn")).to_contain_text("Project Manager")
    past = history.locator("tr.past", has_text="Pat")
    expect(past).to_contain_text("Project Manager")
    expect(past.locator("td").nth(4)).not_to_have_text("—")

    # End the only holder of the role accountable for technology: a gap appears.
    page.get_by_role("button", name="End Security Officer for Sam").click()
    expect(page.locator("li.gap[data-area='technology']")).to_contain_text("Security Officer")
    expect(page.locator("#raci-table tr[data-area='technology']")).to_have_class(re.compile(r"\bgap\b"))

    # Assign someone: the gap disappears.
    assign = page.locator("form[action$='/assignments']")
    assign.get_by_label("Role", exact=True).select_option(label="Security Officer")
    assign.get_by_label("Person", exact=True).select_option(label="Kim (kim)")
    assign.get_by_role("button", name="Assign").click()
    expect(page.locator("#no-gaps")).to_be_visible()
    expect(page.locator("#raci-table tr[data-area='technology']")).not_to_have_class(re.compile(r"\bgap\b"))
    expect(page.locator("#roles-table tr[data-role='Security Officer']")).to_contain_text("Kim")
    assert pid
