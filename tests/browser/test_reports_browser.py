"""The PM opens Reports, creates this week's draft, sees each area's colour with its rule and the earned-value
chart, writes the narrative and publishes — in real Chromium, with the strict CSP reporting no violation."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from charter.services import accounts, projects, risk, tasks
from charter.services.context import SYSTEM, Actor

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=PASSWORD)["id"]
        p = projects.create_project(s, SYSTEM, key="ERP", name="ERP upgrade", manager_id=pat,
                                    start_date=date.today(), status="active", phase="execution")  # fmt: skip
        pid = p["id"]
        tasks.create_task(s, SYSTEM, pid, name="Design", duration="3d")
        risk.create_risk(s, Actor(user_id=pat, username="pat"), pid, title="Vendor API changes", probability=4,
                         impact_schedule=5)  # fmt: skip
    return pid


def test_draft_narrative_and_publish(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    pid = _world(live_server.db)
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Your (desk|projects)$"))).to_be_visible()
    page.goto(f"{base}/projects/{pid}")
    page.locator(".project-head nav.tabs").get_by_role("link", name="Reports").click()
    page.get_by_role("button", name="Create draft").click()
    table = page.locator("#rag-table")
    expect(table).to_be_visible()
    risk = table.locator("tr[data-area='risk']")
    expect(risk).to_contain_text("an open threat scores 20 >= 20")  # each reason listed with its colour
    expect(risk.get_by_role("listitem").filter(has_text="an open threat scores 20 >= 20")).to_contain_text(
        "red"
    )
    expect(table.locator("tr[data-area='conflict']")).to_contain_text("no data")
    page.get_by_label("Narrative (Markdown)").fill("**Steady** week; vendor risk escalated.")
    page.get_by_role("button", name="Save narrative").click()
    expect(page.locator("#narrative strong")).to_have_text("Steady")
    page.get_by_role("button", name="Publish and send to the plan's audience").click()
    expect(page.get_by_text("the figures are frozen")).to_be_visible()
    expect(page.locator("#overall")).to_have_text("red")
    assert not [p for p in problems if "Content Security Policy" in p], problems
