"""Calendars in real Chromium: the PM finds the Calendars page from the schedule's sub-navigation, opens the
project calendar, adds a holiday on a day the only task spans and sees it listed and the finish a day
later."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from charter.services import accounts, projects, tasks
from charter.services.context import SYSTEM

LANDED = re.compile(r"^Your (desk|projects)$")
PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=PASSWORD)["id"]
        pid = projects.create_project(
            s, SYSTEM, key="CAL", name="Calendar project", manager_id=pat, start_date=date(2030, 1, 7)
        )["id"]
        tasks.create_task(s, SYSTEM, pid, name="Build", duration="5d")  # Mon 7 .. Fri 11 January 2030
    return pid


def test_pm_adds_a_holiday_and_sees_it_listed(live_server, page: Page) -> None:
    pid = _world(live_server.db)
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()

    page.goto(f"{base}/projects/{pid}/schedule")
    page.get_by_role("navigation", name="Schedule views").get_by_role("link", name="Calendars").click()
    expect(page.locator("#calendars-table")).to_contain_text("project default")
    page.get_by_role("link", name="Standard").click()
    expect(page.locator("#project-finish")).to_have_text("2030-01-11 18:00")
    expect(page.locator("#no-exceptions")).to_be_visible()

    page.get_by_label("First day", exact=True).fill("2030-01-09")
    page.locator("#ex-name").fill("Staff day")
    page.get_by_role("button", name="Add exception").click()

    rows = page.locator("#exceptions-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("2030-01-09")
    expect(rows.first).to_contain_text("Staff day")
    expect(rows.first).to_contain_text("day off")
    expect(page.locator("#project-finish")).to_have_text("2030-01-14 18:00")
