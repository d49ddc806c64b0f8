"""The status date (MS Project's): completed work stays where it happened, remaining work is scheduled from
it. Set and cleared on the task table page (shown in the schedule pages' heading and as a line on the Gantt),
through the API (`settings_version` of the schedule is the version to send) and by `charter schedule
--status-date`; versioned (a stale write is a 409 with the current state) and journaled."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from charter.persistence.models import JournalEntry
from webhelpers import csrf_of, signed_in

LATER = "2031-01-06T09:00"  # a Monday far after the seed's plan


def _task_a(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    out: dict[str, Any] = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks['a']}", headers=as_("pm")).json()
    return out


def test_the_api_gives_the_version_to_send_and_answers_with_the_new_one(
    api: Any, seed: Any, as_: Any
) -> None:
    sched = api.get(f"/projects/{seed.p1}/schedule", headers=as_("observer")).json()
    assert sched["status_date"] is None and isinstance(sched["settings_version"], int)
    url = f"/projects/{seed.p1}/schedule/status-date"
    r = api.put(url, json={"status_date": LATER, "version": sched["settings_version"]}, headers=as_("pm"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status_date"] == LATER + ":00" and body["settings_version"] == sched["settings_version"] + 1
    assert (
        _task_a(api, seed, as_)["start"] >= LATER
    )  # not started: its work is scheduled from the status date
    r = api.put(url, json={"status_date": None, "version": sched["settings_version"]}, headers=as_("pm"))
    assert r.status_code == 409 and r.json()["error"]["current"]["status_date"] == LATER + ":00"
    r = api.put(url, json={"status_date": None, "version": body["settings_version"]}, headers=as_("pm"))
    assert r.status_code == 200 and r.json()["status_date"] is None
    assert _task_a(api, seed, as_)["start"] < LATER


def test_the_task_table_sets_and_clears_it(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}/schedule"
    with signed_in(seed, "pm") as c:
        page = c.get(url).text
        assert 'id="status-date-now">None set' in page and 'id="head-status-date"' not in page
        form = page.split('id="status-date-form"')[1].split("</form>")[0]
        version = re.search(r'name="version" value="(\d+)"', form).group(1)  # type: ignore[union-attr]
        assert "Clear" not in form  # nothing to clear yet
        r = c.post(f"{url}/status-date", data={"csrf_token": csrf_of(page), "version": version,
                                               "status_date": LATER})  # fmt: skip
        assert r.status_code == 303 and r.headers["location"].endswith("/schedule#status-date"), r.text
        page = c.get(url).text
        assert 'Progress is as of <strong id="status-date-now">2031-01-06 09:00</strong>' in page
        assert 'id="head-status-date">2031-01-06 09:00</a>' in page
        assert f'name="status_date" type="datetime-local" value="{LATER}"' in page
        assert _task_a(api, seed, as_)["start"] >= LATER
        gantt = c.get(f"/projects/{seed.p1}/gantt").text
        assert 'id="head-status-date"' in gantt and '<span class="swatch status-date"></span>' in gantt
        assert '"status_date":"2031-01-06T09:00:00"' in c.get(f"/projects/{seed.p1}/gantt.json").text
        # a stale version: the error beside the form, the typed date kept, nothing written
        r = c.post(f"{url}/status-date", data={"csrf_token": csrf_of(page), "version": version,
                                               "status_date": "2031-02-03T09:00"})  # fmt: skip
        assert r.status_code == 409 and 'id="status-date-error"' in r.text
        assert 'value="2031-02-03T09:00"' in r.text and 'id="status-date-now">2031-01-06 09:00' in r.text
        # not a date: 422 on the input
        fresh = re.search(r'name="version" value="(\d+)"', page.split('id="status-date-form"')[1]).group(1)  # type: ignore[union-attr]
        r = c.post(f"{url}/status-date", data={"csrf_token": csrf_of(page), "version": fresh,
                                               "status_date": "next week"})  # fmt: skip
        assert r.status_code == 422 and re.search(r'id="sd-when"[^>]*aria-invalid="true"', r.text)
        assert "&#39;next week&#39; is not a date or date-time" in r.text
        r = c.post(
            f"{url}/status-date", data={"csrf_token": csrf_of(page), "version": fresh, "status_date": ""}
        )
        assert r.status_code == 422 and "give the status date, or clear it" in r.text
        # cleared
        r = c.post(f"{url}/status-date", data={"csrf_token": csrf_of(page), "version": fresh, "clear": "1",
                                               "status_date": LATER})  # fmt: skip
        assert r.status_code == 303
        assert 'id="status-date-now">None set' in c.get(url).text
    with seed.db.uow(readonly=True) as s:
        changes = list(s.scalars(select(JournalEntry.changes).where(JournalEntry.entity_type == "schedule",
                                                                   JournalEntry.project_id == seed.p1)
                                 .order_by(JournalEntry.id)))  # fmt: skip
    assert [c["status_date"][1] for c in changes] == ["2031-01-06T09:00:00", None]
    # a member who may not change the plan sees the date, not the form
    with signed_in(seed, "worker") as c:
        page = c.get(url).text
        assert 'id="status-date-now"' in page and 'id="status-date-form"' not in page


def test_the_command_line_sets_and_clears_it(cli: Any, api: Any, seed: Any, as_: Any) -> None:
    out = cli("schedule", "P1", "--status-date", "2031-01-06").stdout
    assert "status date: 2031-01-06 00:00" in out
    assert _task_a(api, seed, as_)["start"] >= "2031-01-06"
    assert "status date" not in cli("schedule", "P1", "--status-date", "none").stdout
    err = cli("schedule", "P1", "--status-date", "soon", code=1)
    assert "'soon' is not a date or date-time" in err.output
    cli("schedule", "P1", "--status-date", "2031-01-06", who="worker", code=1)
