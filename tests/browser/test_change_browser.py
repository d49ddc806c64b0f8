"""A stakeholder raises a schedule concern; the PM turns it into a change request, proposes a duration change,
previews the impact and approves it; the stakeholder sees what became of the concern — in real Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from charter.domain.roles import STAKEHOLDER
from charter.services import accounts, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    clock.freeze(datetime.now(UTC) - timedelta(days=7))
    try:
        with db.uow() as s:
            ids = {
                name: accounts.create_user(
                    s, SYSTEM, username=name, display_name=name.capitalize(), password=PASSWORD
                )["id"]
                for name in ("pat", "stella")
            }
            p = projects.create_project(s, SYSTEM, key="ERP", name="ERP upgrade", manager_id=ids["pat"],
                                        status="active", phase="execution")  # fmt: skip
            role_ids = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, p["id"]) if r["key"]}
            roles.assign_role(s, SYSTEM, p["id"], role_id=role_ids[STAKEHOLDER], user_id=ids["stella"])
            wp = work_packages.create_work_package(s, SYSTEM, p["id"], name="Rollout")["id"]
            a = tasks.create_task(s, SYSTEM, p["id"], name="Migrate data", work_package_id=wp, duration="3d")
            b = tasks.create_task(s, SYSTEM, p["id"], name="Train users", work_package_id=wp, duration="2d")
            tasks.create_link(s, SYSTEM, p["id"], pred_id=a["id"], succ_id=b["id"])
    finally:
        clock.freeze(None)
    return p["id"]


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Username")).to_be_visible()


def test_concern_becomes_an_approved_change(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url

    _login(page, base, "stella")
    page.goto(f"{base}/projects/{pid}/concerns")
    form = page.locator("#raise-form")
    form.get_by_label("Subject").fill("Training starts too early")
    form.get_by_label("Schedule").check()
    form.get_by_label("Severity").select_option("high")
    form.get_by_role("button", name="Raise concern").click()
    row = page.locator("#concerns-table tr", has_text="Training starts too early")
    expect(row).to_contain_text("Open")
    expect(row).to_contain_text("direct")
    _logout(page)

    _login(page, base, "pat")
    page.goto(f"{base}/projects/{pid}/concerns")
    page.locator("#concerns-table tr", has_text="Training starts too early").get_by_role(
        "button", name="Turn into change request"
    ).click()
    expect(page.locator("#cr-status")).to_contain_text("Open")
    dur = page.locator("#op-duration")
    dur.get_by_label("Task").select_option(label="1.1 Migrate data (3d)")
    dur.get_by_label("New duration").fill("5d")
    dur.get_by_role("button", name="Add duration change").click()
    expect(page.locator("#ops")).to_contain_text("Change the duration of 1.1 Migrate data to 5d")
    page.get_by_role("button", name="Preview impact").click()
    finish = page.locator("#impact-finish")
    expect(finish).to_be_visible()
    before, after = finish.locator("td").nth(0).inner_text(), finish.locator("td").nth(1).inner_text()
    assert after > before
    page.get_by_label("Reason", exact=True).fill("Two more days for migration")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#cr-status")).to_contain_text("Approved")
    expect(page.locator("#applied")).to_contain_text(after)
    _logout(page)

    _login(page, base, "stella")
    page.goto(f"{base}/projects/{pid}/concerns")
    row = page.locator("#concerns-table tr", has_text="Training starts too early")
    expect(row.locator(".status")).to_contain_text("Change requested")
    expect(row.locator(".outcome")).to_contain_text("CR-1")
    expect(row.locator(".outcome")).to_contain_text("Approved")
    expect(row.locator(".outcome")).to_contain_text("Two more days for migration")
