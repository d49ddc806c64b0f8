"""The plan's exports from the web pages: the task table and the Gantt link MS Project XML, CSV, Excel and the
milestones as iCalendar, downloaded with the session as the API's export gives them (the web app had import
only); a project one cannot see is a 404, a format Charter does not write a 422 page."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from charter.io.mspdi import read_mspdi
from charter.io.tabular import read_csv
from webhelpers import signed_in


@pytest.mark.parametrize("page", ["schedule", "gantt"])
def test_both_schedule_pages_link_every_export(seed: Any, page: str) -> None:
    with signed_in(seed, "observer") as c:
        html = c.get(f"/projects/{seed.p1}/{page}").text
    links = html.split('id="plan-exports"')[1].split("</p>")[0]
    for fmt in ("mspdi", "csv", "xlsx", "ics"):
        assert (
            f'href="/projects/{seed.p1}/export?format={fmt}" id="export-{fmt}" hx-boost="false" download'
            in links
        )


def test_the_files_are_the_plan(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}/export"
    with signed_in(seed, "observer") as c:  # reading the project is enough, as for the API's export
        r = c.get(url, params={"format": "mspdi"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
        assert r.headers["content-disposition"] == 'attachment; filename="P1.xml"'
        assert r.content == api.get(url, params={"format": "mspdi"}, headers=as_("observer")).content
        names = {t.name for t in read_mspdi(r.content).tasks if not t.summary}
        assert names == {"Task A", "Task B", "Task C"}
        r = c.get(url, params={"format": "csv"})
        assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbfid,wbs,parent,name")
        plan = read_csv(r.content, None)
        assert {t.name for t in plan.tasks if not t.summary} == names and len(plan.links) == 1
        r = c.get(url, params={"format": "xlsx"})
        assert r.headers["content-disposition"] == 'attachment; filename="P1.xlsx"'
        rows = list(openpyxl.load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0].values)
        assert rows[0][:4] == ("id", "wbs", "parent", "name") and {"Task A", "Task B", "Task C"} <= {
            row[3] for row in rows[1:]
        }
        r = c.get(url, params={"format": "ics"})
        assert r.status_code == 200 and r.content.startswith(b"BEGIN:VCALENDAR")
        # a format Charter does not write: a page saying so, not a file
        r = c.get(url, params={"format": "pdf"})
        assert r.status_code == 422 and "unknown format" in r.text and "Traceback" not in r.text
    with signed_in(seed, "outsider") as c:  # another project's manager
        assert c.get(url, params={"format": "csv"}).status_code == 404
    with signed_in(seed, "outsider") as c:  # signed out
        c.cookies.clear()
        r = c.get(url, params={"format": "csv"}, follow_redirects=False)
        assert r.status_code in (302, 303) and "/login" in r.headers["location"]
