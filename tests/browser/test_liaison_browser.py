"""The liaison flow in real Chromium: a department member writes to the PM, the message lands on the
department liaison's desk, the liaison forwards it, and the PM sees it forwarded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from charter.domain.roles import LIAISON, STAKEHOLDER
from charter.services import accounts, org, projects, roles
from charter.services.context import SYSTEM, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    clock.freeze(datetime.now(UTC) - timedelta(days=3))
    try:
        with db.uow() as s:
            sales = org.create_department(s, SYSTEM, name="Sales")["id"]
            ids = {
                name: accounts.create_user(
                    s,
                    SYSTEM,
                    username=name,
                    display_name=name.capitalize(),
                    password=PASSWORD,
                    department_id=dept,
                )["id"]
                for name, dept in (("pat", None), ("lia", sales), ("mel", sales))
            }
            p = projects.create_project(s, SYSTEM, key="CRM", name="CRM rollout", manager_id=ids["pat"],
                                        status="active", phase="execution")  # fmt: skip
            keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, p["id"]) if r["key"]}
            roles.assign_role(s, SYSTEM, p["id"], role_id=keys[LIAISON], user_id=ids["lia"], scope_id=sales)
            roles.assign_role(s, SYSTEM, p["id"], role_id=keys[STAKEHOLDER], user_id=ids["mel"])
    finally:
        clock.freeze(None)
    return p["id"]


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list


def test_member_message_forwarded_by_liaison_reaches_pm(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url

    _login(page, base, "mel")
    page.goto(f"{base}/projects/{pid}/messages")
    form = page.locator("#compose-form")
    form.get_by_label("To", exact=True).select_option("pm")
    form.get_by_label("Subject").fill("Need more licences")
    form.get_by_label("Message").fill("Sales needs **five** more seats.")
    form.get_by_role("button", name="Send").click()
    expect(page.locator("#route")).to_contain_text("via liaison")
    expect(page.locator("#status")).to_have_text("With liaison")

    _login(page, base, "lia")
    page.goto(f"{base}/projects/{pid}/liaison")
    desk = page.locator(".desk", has_text="Sales")
    row = desk.locator("tr", has_text="Need more licences").first
    row.get_by_role("checkbox").check()
    desk.get_by_label("Note for the Project Manager").fill("Urgent for the quarter")
    desk.get_by_role("button", name="Forward selected").click()
    expect(page.locator(".desk .forwarded-count")).to_have_text("1")

    _login(page, base, "pat")
    page.goto(f"{base}/projects/{pid}/messages")
    listing = page.locator("#threads-table tr", has_text="Need more licences")
    expect(listing.locator(".status")).to_have_text("Forwarded")
    listing.get_by_role("link", name="Need more licences").click()
    expect(page.locator(".messages")).to_contain_text("Urgent for the quarter")
    page.get_by_label("Answer (Markdown)").fill("Approved.")
    page.get_by_role("button", name="Answer").click()
    expect(page.locator("#status")).to_have_text("Answered")
