"""Log a conflict through the form, escalate it to the Sponsor, resolve it with an approach and an outcome —
in real Chromium."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Page, expect

from charter.domain.conflicts import add_weekday_time, time_left
from charter.services import accounts, projects, roles
from charter.services.context import SYSTEM

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=PASSWORD)["id"]
        sam = accounts.create_user(s, SYSTEM, username="sam", display_name="Sam Sponsor", password=PASSWORD)[
            "id"
        ]
        pid = projects.create_project(s, SYSTEM, key="ERP", name="ERP upgrade", manager_id=pat,
                                      start_date=date(2030, 1, 7), status="active", phase="execution")["id"]  # fmt: skip
        sponsor = next(r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"] == "sponsor")
        roles.assign_role(s, SYSTEM, pid, role_id=sponsor, user_id=sam)
    return pid


def test_raise_escalate_resolve(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Your (desk|projects)$"))).to_be_visible()
    page.goto(f"{base}/projects/{pid}")
    page.locator(".project-head nav.tabs").get_by_role("link", name="Conflicts").click()
    expect(page.locator("#no-conflicts")).to_be_visible()
    page.locator("#raise summary").click()
    form = page.locator("#raise-form")
    form.get_by_label("Title").fill("Finance and Sales both want the March release")
    form.get_by_label("Between").select_option("priority")
    form.get_by_label("Severity").select_option("high")
    form.get_by_label("or an outside party").fill("Auditor")
    form.get_by_role("button", name="Log conflict").click()
    expect(page.locator("#ladder li.current")).to_have_text("Project Manager")
    expect(page.locator("#parties")).to_contain_text("Auditor")
    # the PM's 120 hours count on weekdays: what is left depends on the day the test runs (a few minutes' slack)
    now = datetime.now(UTC)
    due = add_weekday_time(now, timedelta(hours=120))
    shown = {time_left(due, now + timedelta(minutes=m)) for m in (-1, 0, 2)}
    expect(page.locator("#time-left")).to_contain_text(
        re.compile("Moves up in (" + "|".join(re.escape(x or "") for x in sorted(shown)) + ")")
    )

    page.locator("#escalate-form").get_by_label("Why now").fill("Needs a business decision")
    page.get_by_role("button", name="Escalate one rung").click()
    expect(page.locator("#ladder li.current")).to_have_text("Sponsor")
    expect(page.locator("#conflict-owner")).to_have_text("Sam Sponsor")
    expect(page.locator("#journal")).to_contain_text("Needs a business decision")

    resolve = page.locator("#resolve-form")
    resolve.get_by_role(
        "button", name="Resolve"
    ).click()  # no approach, no outcome: refused, stays on the page
    expect(page.locator("#resolve-error")).to_be_visible()
    resolve = page.locator("#resolve-form")
    resolve.get_by_label("Approach").select_option("compromise")
    resolve.get_by_label("Outcome").fill("Finance in March, Sales in April")
    resolve.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conflict-status")).to_have_text("Resolved")
    expect(page.locator("#conflict-outcome")).to_contain_text("Finance in March")

    page.get_by_role("link", name="Conflict log").click()
    row = page.locator("#conflict-table tbody tr").first
    expect(row).to_contain_text("C-1")
    expect(row).to_contain_text("Resolved")
