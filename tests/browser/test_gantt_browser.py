"""The Gantt chart in real Chromium: A(3d) -> B(2d) -> M and A -> C(1d) -> M, so A-B-M is critical and C has
two days of float. The PM drags C's bar right beyond its float with real mouse events: the milestone moves
later and the critical path switches from B to C. A Task Leader of another package is told they may not
edit a task, and a stale drag reloads the chart."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from charter.domain.roles import TASK_LEADER
from charter.services import accounts, projects, roles, tasks, work_packages
from charter.services.context import SYSTEM, clock

LANDED = re.compile(r"^Your (desk|projects)$")  # signed in: the desk if you hold a role

PASSWORD = "browser-test-pass"
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _world(db):  # type: ignore[no-untyped-def]
    clock.freeze(datetime.now(UTC) - timedelta(days=3))
    try:
        with db.uow() as s:
            ids = {
                n: accounts.create_user(s, SYSTEM, username=n, display_name=n.title(), password=PASSWORD)[
                    "id"
                ]
                for n in ("pat", "lee")
            }
            pid = projects.create_project(
                s, SYSTEM, key="GNT", name="Gantt project", manager_id=ids["pat"], start_date=date(2030, 1, 7)
            )["id"]
            wpa = work_packages.create_work_package(s, SYSTEM, pid, name="Build")["id"]
            wpb = work_packages.create_work_package(s, SYSTEM, pid, name="Launch")["id"]
            leader = next(r["id"] for r in roles.list_roles(s, SYSTEM, pid) if r["key"] == TASK_LEADER)
            roles.assign_role(s, SYSTEM, pid, role_id=leader, user_id=ids["lee"], scope_id=wpb)
            t = {}
            for name, wp, dur in (("Design", wpa, "3d"), ("Build it", wpa, "2d"), ("Check", wpb, "1d")):
                t[name[0]] = tasks.create_task(s, SYSTEM, pid, name=name, work_package_id=wp, duration=dur)[
                    "id"
                ]
            t["M"] = tasks.create_task(s, SYSTEM, pid, name="Go live", work_package_id=wpb, milestone=True)[
                "id"
            ]
            for a, b in (("D", "B"), ("B", "M"), ("D", "C"), ("C", "M")):
                tasks.create_link(s, SYSTEM, pid, pred_id=t[a], succ_id=t[b])
    finally:
        clock.freeze(None)
    return pid, t


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=LANDED)).to_be_visible()  # desk or project list


def _bar(page: Page, tid: int):  # type: ignore[no-untyped-def]
    return page.locator(f"#gantt .bars g.task[data-id='{tid}']")


def _x(page: Page, tid: int) -> float:
    box = _bar(page, tid).locator(".bar").bounding_box()
    assert box
    return float(box["x"])


def _drag(page: Page, tid: int, dx: float, *, end: bool = False) -> None:
    target = _bar(page, tid).locator(".handle" if end else ".bar")
    box = target.bounding_box()
    assert box
    x, y = box["x"] + (box["width"] / 2 if end else 6), box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 6):
        page.mouse.move(x + dx * i / 5, y)
    page.mouse.up()


def test_drag_moves_successor_and_critical_path(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    _pid, t = _world(live_server.db)
    base = live_server.url
    _login(page, base, "pat")
    page.get_by_role("link", name="Gantt project").click()
    page.get_by_role("link", name="Schedule").click()
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    page.get_by_role("button", name="Day", exact=True).click()
    expect(_bar(page, t["B"])).to_have_class(re.compile(r"\bcritical\b"))
    expect(_bar(page, t["C"])).not_to_have_class(re.compile(r"\bcritical\b"))
    expect(page.locator("#gantt path.link")).to_have_count(4)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "gantt-before.png"), full_page=True)
    m_before = _x(page, t["M"])

    _drag(page, t["C"], 30 * 4)  # four days at the day zoom: beyond C's two days of float
    expect(page.locator("#gantt-status")).to_contain_text("recalculated")
    expect(_bar(page, t["C"])).to_have_class(re.compile(r"\bcritical\b"))
    expect(_bar(page, t["B"])).not_to_have_class(re.compile(r"\bcritical\b"))
    assert _x(page, t["M"]) > m_before + 30
    page.screenshot(path=str(SHOTS / "gantt-after.png"), full_page=True)

    # Lengthen B by dragging its right end: B becomes critical again, M moves further.
    m_mid = _x(page, t["M"])
    _drag(page, t["B"], 30 * 7, end=True)
    expect(_bar(page, t["B"])).to_have_class(re.compile(r"\bcritical\b"))
    assert _x(page, t["M"]) > m_mid

    # Collapse a work package and expand it with the keyboard.
    toggle = page.locator("#gantt [data-toggle]").first
    toggle.click()
    expect(_bar(page, t["D"])).to_have_count(0)
    toggle = page.locator("#gantt [data-toggle]").first
    toggle.focus()
    page.keyboard.press("Enter")
    expect(_bar(page, t["D"])).to_have_count(1)


def test_forbidden_and_stale_drags(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    pid, t = _world(live_server.db)
    base = live_server.url
    _login(page, base, "lee")
    page.goto(f"{base}/projects/{pid}/gantt")
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    # Lee leads "Launch" only: the "Build" bars are not draggable, "Check" is.
    expect(_bar(page, t["D"])).not_to_have_class(re.compile(r"\beditable\b"))
    expect(_bar(page, t["C"])).to_have_class(re.compile(r"\beditable\b"))
    # A forbidden change (forced through the page's own request): the message is shown.
    status = page.evaluate(
        """async ([pid, tid]) => {
            const csrf = document.querySelector("meta[name=csrf-token]").content;
            const r = await fetch(`/projects/${pid}/gantt/tasks/${tid}`, {method: "POST",
              headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
              body: JSON.stringify({version: 1, duration: "9d"})});
            return [r.status, (await r.json()).message];
        }""",
        [pid, t["D"]],
    )
    assert status == [403, "You may not edit this task."]
    # Someone else changes C meanwhile: the drag is answered 409 and the chart reloads.
    with live_server.db.uow() as s:
        c = tasks.get_task(s, SYSTEM, pid, t["C"])
        tasks.update_task(s, SYSTEM, pid, t["C"], c["version"], name="Check (renamed)")
    page.get_by_role("button", name="Day", exact=True).click()
    _drag(page, t["C"], 30 * 2)
    expect(page.locator("#gantt-status")).to_contain_text("Someone else changed")
    expect(page.locator("#gantt")).to_contain_text("Check (renamed)")


def test_drag_after_someone_else_changed_the_plan_redraws_their_change(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The chart sends the plan revision it holds: a drag made after another change to the plan is answered
    with the whole chart, so the other change shows too (a drag from the current revision gets only what
    moved, as in the test above)."""
    pid, t = _world(live_server.db)
    base = live_server.url
    _login(page, base, "pat")
    page.goto(f"{base}/projects/{pid}/gantt")
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    page.get_by_role("button", name="Day", exact=True).click()
    width = _bar(page, t["B"]).locator(".bar").bounding_box()
    assert width
    m_before = _x(page, t["M"])
    with live_server.db.uow() as s:  # someone else lengthens "Build it" from 2 to 6 days
        b = tasks.get_task(s, SYSTEM, pid, t["B"])
        tasks.update_task(s, SYSTEM, pid, t["B"], b["version"], duration="6d")
    _drag(page, t["C"], 30 * 1)
    expect(page.locator("#gantt-status")).to_contain_text("changes others made meanwhile")
    box = _bar(page, t["B"]).locator(".bar").bounding_box()
    assert box and box["width"] > width["width"] + 60
    assert _x(page, t["M"]) > m_before + 60
    # The chart now holds the current revision: the next drag is answered with what moved only.
    _drag(page, t["C"], 30 * 1)
    expect(page.locator("#gantt-status")).to_have_text(
        re.compile(r"^Moved Check; the schedule was recalculated\.$")
    )


def test_day_zoom_draws_the_scale_of_the_visible_dates_only(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """A project of two years: at the Day zoom the scale holds the days in view (and a margin), not the
    seven hundred of the whole span; scrolling right draws the dates that come into view, aligned with the
    chart below, and the scale names them for assistive technology."""
    pid, t = _world(live_server.db)
    with live_server.db.uow() as s:
        tasks.create_task(s, SYSTEM, pid, name="Long haul", duration="500d")
    _login(page, live_server.url, "pat")
    page.goto(f"{live_server.url}/projects/{pid}/gantt")
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    page.get_by_role("button", name="Day", exact=True).click()
    head = page.locator("#gantt .time-head")
    expect(head.locator("text.tier2").first).to_be_attached()
    assert head.locator("line.tick").count() < 200
    assert page.locator("#gantt .bg rect.weekend").count() < 60

    scroll = page.locator("#gantt .gantt-scroll")
    scroll.evaluate("el => { el.scrollLeft = 30 * 400; }")  # four hundred days on
    # the date at 100 px right of the grid's edge, as the chart computes it
    when = page.evaluate(
        """() => { const g = document.getElementById("gantt").ganttInstance, s = g.scroller;
                   return new Date(g.t0 + (s.scrollLeft + 100) / g.ppd * 86400000).toISOString().slice(0, 10); }"""
    )
    label = head.locator(f"text.tier2[data-date='{when}']")
    expect(label).to_be_attached()
    assert head.locator("line.tick").count() < 200
    box, view = label.bounding_box(), scroll.bounding_box()
    assert box and view and view["x"] < box["x"] < view["x"] + view["width"]  # in view, not off-screen
    expect(head).to_have_attribute(
        "aria-label", re.compile(rf"^Time scale, \d{{4}}-\d\d-\d\d to .*{when[:4]}")
    )
    # the header's month lines stand over the chart's month lines
    top = head.locator("line.tick").first.bounding_box()
    below = page.locator("#gantt .bg line.major").first.bounding_box()
    assert top and below and abs(top["x"] - below["x"]) < 1
    # the task bars still draw and the keyboard still moves them at this position
    expect(_bar(page, t["C"])).to_have_attribute("aria-label", re.compile(r"^Check, "))


def test_the_status_date_is_a_line_where_remaining_work_starts(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Set on the task table page, the status date moves work not yet done to it; the Gantt draws it as a
    line at the left end of the first task's bar (which now starts there)."""
    _pid, t = _world(live_server.db)
    base = live_server.url
    _login(page, base, "pat")
    page.goto(f"{base}/projects/{_pid}/schedule")
    page.get_by_role("textbox", name="Status date").fill("2030-01-09T09:00")
    page.get_by_role("button", name="Set status date").click()
    expect(page.locator("#status-date-now")).to_have_text("2030-01-09 09:00")
    page.goto(f"{base}/projects/{_pid}/gantt")
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    expect(page.locator("#head-status-date")).to_have_text("2030-01-09 09:00")
    page.get_by_role("button", name="Day", exact=True).click()
    line = page.locator("#gantt line.status-date").bounding_box()
    assert line and line["height"] > 20
    assert abs(line["x"] + line["width"] / 2 - _x(page, t["D"])) < 3
    # cleared: no line
    page.goto(f"{base}/projects/{_pid}/schedule")
    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#status-date-now")).to_have_text("None set")
    page.goto(f"{base}/projects/{_pid}/gantt")
    expect(page.locator("#gantt[data-ready='1']")).to_be_attached()
    assert page.locator("#gantt line.status-date").get_attribute("y2") == "0"
