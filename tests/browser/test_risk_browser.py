"""Open the risk heat map, click a cell to list its risks, run a small Monte Carlo simulation and see its
charts — in real Chromium."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect

from charter.services import accounts, projects, risk, tasks
from charter.services.context import SYSTEM, Actor

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        pat = accounts.create_user(s, SYSTEM, username="pat", display_name="Pat", password=PASSWORD)["id"]
        p = projects.create_project(s, SYSTEM, key="ERP", name="ERP upgrade", manager_id=pat,
                                    start_date=date(2030, 1, 7), status="active", phase="execution")  # fmt: skip
        pid = p["id"]
        a = tasks.create_task(s, SYSTEM, pid, name="Design", duration="3d", optimistic="2d", most_likely="3d",
                              pessimistic="6d")["id"]  # fmt: skip
        b = tasks.create_task(s, SYSTEM, pid, name="Build", duration="5d", optimistic="4d", most_likely="5d",
                              pessimistic="9d")["id"]  # fmt: skip
        tasks.create_link(s, SYSTEM, pid, pred_id=a, succ_id=b)
        actor = Actor(user_id=pat, username="pat")
        risk.create_risk(s, actor, pid, title="Vendor API changes", probability=4, impact_schedule=5,
                         task_id=b, category="vendor")  # fmt: skip
        risk.create_risk(s, actor, pid, title="Flaky test rig", probability=2, impact_quality=2)
    return pid


def test_heatmap_and_simulation(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list
    page.goto(f"{base}/projects/{pid}")
    page.locator(".project-head nav.tabs").get_by_role("link", name="Risks").click()
    heat = page.locator("#heatmap-table")
    expect(heat).to_be_visible()
    expect(page.locator("#top-risks")).to_contain_text("Vendor API changes")
    heat.locator("td[data-p='4'][data-i='5'] a").click()
    expect(page.locator("#cell-filter")).to_contain_text("probability 4")
    rows = page.locator("#risk-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Vendor API changes")
    expect(page.locator("#burndown-chart")).to_be_visible()

    page.get_by_role("link", name="Simulation").click()
    form = page.locator("#sim-form")
    form.get_by_label("Iterations").fill("500")
    form.get_by_label("Seed").fill("1")
    form.get_by_role("button", name="Run simulation").click()
    expect(page.locator("#run-status")).to_have_text("Done")
    expect(page.locator("#finish-chart rect.bar").first).to_be_attached()
    expect(page.locator("#finish-chart polyline.cumulative")).to_be_attached()
    expect(page.locator("#percentiles")).to_contain_text("P80")
    expect(page.locator("#tornado-chart")).to_be_visible()
    expect(page.locator("#runs-table tbody tr")).to_have_count(1)


def test_cancel_a_run_and_turn_a_concern_into_a_risk(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    from charter.services import simulation, stakeholders

    pid = _world(live_server.db)
    with live_server.db.uow() as s:
        pat = Actor(user_id=accounts.find_user_id(s, "pat"), username="pat")
        run = simulation.create_run(s, pat, pid, iterations=1000, seed=1)  # queued, not launched yet
        stakeholders.raise_concern(s, pat, pid, subject="Go-live in audit week", areas=["schedule"],
                                   body="The audit ties up the admins")  # fmt: skip
    base = live_server.url
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name=re.compile(r"^Your (desk|projects)$"))
    ).to_be_visible()  # signed in before moving on
    page.goto(f"{base}/projects/{pid}/simulation?run={run['id']}")
    page.get_by_role("button", name="Cancel this run").click()
    expect(page.locator("#run-status")).to_have_text("Cancelled")
    expect(page.locator("#run-cancelled")).to_contain_text("no results are kept")

    page.goto(f"{base}/projects/{pid}/concerns")
    row = page.locator("#concerns-table tbody tr").first
    row.get_by_label("Category").select_option("people")
    row.get_by_role("button", name="Turn into risk").click()
    expect(page.locator("#risk-status")).to_have_text("Identified")
    expect(page.locator("#concern-link")).to_be_visible()
    page.locator("#concern-link").click()
    expect(page.locator("#concerns-table .risk-outcome")).to_contain_text("R-3")
