"""Message attachments in real Chromium: a department member attaches a file to a message for the PM, the
thread lists it (name, size, type), the liaison forwards the thread and the PM downloads the file, served as
an attachment (never rendered)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from charter.domain.roles import LIAISON, STAKEHOLDER
from charter.services import accounts, org, projects, roles
from charter.services.context import SYSTEM

PASSWORD = "browser-attach-pass"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _world(db):  # type: ignore[no-untyped-def]
    with db.uow() as s:
        sales = org.create_department(s, SYSTEM, name="Sales")["id"]
        ids = {
            name: accounts.create_user(s, SYSTEM, username=name, display_name=name.capitalize(), password=PASSWORD,
                                       department_id=dept)["id"]
            for name, dept in (("pat", None), ("lia", sales), ("mel", sales))
        }  # fmt: skip
        p = projects.create_project(s, SYSTEM, key="CRM", name="CRM rollout", manager_id=ids["pat"],
                                    status="active", phase="execution")  # fmt: skip
        keys = {r["key"]: r["id"] for r in roles.list_roles(s, SYSTEM, p["id"]) if r["key"]}
        roles.assign_role(s, SYSTEM, p["id"], role_id=keys[LIAISON], user_id=ids["lia"], scope_id=sales)
        roles.assign_role(s, SYSTEM, p["id"], role_id=keys[STAKEHOLDER], user_id=ids["mel"])
    return p["id"]


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_member_attaches_a_file_and_the_pm_downloads_it(page: Page, live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = _world(live_server.db)
    base = live_server.url
    spec = tmp_path / "licences.pdf"
    spec.write_bytes(PDF)
    svg = tmp_path / "chart.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')

    _login(page, base, "mel")
    page.goto(f"{base}/projects/{pid}/messages")
    form = page.locator("#compose-form")
    form.get_by_label("Subject").fill("Need more licences")
    form.get_by_label("Message").fill("Quote attached.")
    # an SVG is refused with the reason, what was typed is kept
    form.get_by_label("Attachments").set_input_files(str(svg))
    form.get_by_role("button", name="Send").click()
    expect(page.locator("#compose-error")).to_contain_text("HTML, SVG and XML")
    form = page.locator("#compose-form")
    expect(form.get_by_label("Subject")).to_have_value("Need more licences")
    form.get_by_label("Attachments").set_input_files(str(spec))
    form.get_by_role("button", name="Send").click()
    expect(page.locator("#status")).to_have_text("With liaison")
    files = page.locator(".messages .attachments")
    expect(files).to_contain_text("licences.pdf")
    expect(files).to_contain_text("application/pdf")
    thread = page.url

    _login(page, base, "lia")
    page.goto(thread)
    page.get_by_role("button", name="Forward").click()
    expect(page.locator("#status")).to_have_text("Forwarded")

    _login(page, base, "pat")
    page.goto(thread)
    link = page.get_by_role("link", name="licences.pdf")
    assert link.get_attribute("download") is not None
    got = page.request.get(base + str(link.get_attribute("href")))  # with the PM's session
    assert got.status == 200 and got.body() == PDF
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"

    _login(page, base, "mel")  # the author still sees it; nobody outside the thread does (integration tests)
    page.goto(thread)
    expect(page.get_by_role("link", name="licences.pdf")).to_be_visible()
