"""Edit quality records through the quality page's forms in real Chromium: a deliverable's acceptance
criteria, a defect's severity and status, a metric's target; an edit made on a page read before someone else
changed the record is refused, and the form keeps what was typed."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from charter.services import accounts, projects, quality, tasks, work_packages
from charter.services.context import SYSTEM, Actor

LANDED = re.compile(r"^Your (desk|projects)$")

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=PASSWORD)["id"]
        pid = projects.create_project(s, SYSTEM, key="ERP", name="ERP upgrade", manager_id=pat,
                                      start_date=date(2030, 1, 7), status="active", phase="execution")["id"]  # fmt: skip
        wp = work_packages.create_work_package(s, SYSTEM, pid, name="Build")["id"]
        task = tasks.create_task(s, SYSTEM, pid, name="Code", duration="3d", work_package_id=wp)["id"]
        pm = Actor(user_id=pat, username="pat")
        d = quality.create_deliverable(s, pm, pid, work_package_id=wp, name="Release notes", acceptor_id=pat,
                                       acceptance_criteria="Reviewed")  # fmt: skip
        f = quality.create_defect(s, pm, pid, title="Crash on save", severity="minor", found_in="test",
                                  task_id=task)  # fmt: skip
        m = quality.create_metric(
            s, pm, pid, name="Test pass rate", direction="at_least", target=95, unit="%"
        )
    return pid, pm, d["id"], f["id"], m["id"]


def _sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()


def test_edit_quality_records_and_a_stale_edit_keeps_the_typing(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid, pm, did, fid, mid = _world(live_server.db)
    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/projects/{pid}/quality")

    # A deliverable's acceptance criteria
    page.locator(f"details:has(#deliverable-edit-{did}) > summary").click()
    page.locator(f"#de-crit-{did}").fill("Reviewed and signed by support")
    page.locator(f"#deliverable-edit-{did}").get_by_role("button", name="Save deliverable").click()
    expect(page.locator(f"#deliverables-table tr[data-id='{did}']")).to_contain_text(
        "Reviewed and signed by support"
    )

    # A defect's severity (edit form) and status (workflow form)
    page.locator(f"details:has(#defect-edit-{fid}) > summary").click()
    page.locator(f"#de-sev-{fid}").select_option("major")
    page.locator(f"#defect-edit-{fid}").get_by_role("button", name="Save defect").click()
    row = page.locator(f"#defects-table tr[data-id='{fid}']")
    expect(row.locator("td").nth(2)).to_have_text("major")
    row.get_by_label(f"Status of defect {fid}").select_option("triaged")
    with page.expect_navigation():  # the select shows "triaged" already: wait for the page the server sends
        row.get_by_role("button", name="Set").click()
    expect(
        page.locator(f"#defects-table tr[data-id='{fid}']").get_by_label(f"Status of defect {fid}")
    ).to_have_value("triaged")

    # A metric's target
    page.locator(f"details:has(#metric-edit-{mid}) > summary").click()
    page.locator(f"#me-target-{mid}").fill("90")
    page.locator(f"#metric-edit-{mid}").get_by_role("button", name="Save metric").click()
    expect(page.locator("#metrics-table tbody tr").first).to_contain_text("90")

    with live_server.db.uow(readonly=True) as s:
        assert quality.list_defects(s, pm, pid)[0]["severity"] == "major"
        assert quality.list_defects(s, pm, pid)[0]["status"] == "triaged"
        assert quality.plan(s, pm, pid)["metrics"][0]["target"] == 90

    # Stale: the page is read, someone else changes the deliverable, then this edit is refused
    page.goto(f"{base}/projects/{pid}/quality")
    page.locator(f"details:has(#deliverable-edit-{did}) > summary").click()
    with live_server.db.uow() as s:
        d = next(x for x in quality.list_deliverables(s, pm, pid) if x["id"] == did)
        quality.update_deliverable(s, pm, pid, did, d["version"], name="Release notes v2")
    page.locator(f"#de-crit-{did}").fill("Typed on a stale page")
    page.locator(f"#deliverable-edit-{did}").get_by_role("button", name="Save deliverable").click()
    expect(page.locator(f"#deliverable-edit-{did}-error")).to_contain_text("changed by someone else")
    expect(page.locator(f"#de-crit-{did}")).to_have_value("Typed on a stale page")
    with live_server.db.uow(readonly=True) as s:
        d = next(x for x in quality.list_deliverables(s, pm, pid) if x["id"] == did)
    assert d["name"] == "Release notes v2" and d["acceptance_criteria"] == "Reviewed and signed by support"
