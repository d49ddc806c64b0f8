"""Deleting a saved baseline (MS Project's Clear Baseline) on the task table page (POST
/projects/{id}/baselines/{number}/delete) and with `charter baseline delete`, over the same service as the
API's DELETE: the baseline is gone from the list, a caller without task.edit sees no button and is refused,
a number never saved is said clearly."""

from __future__ import annotations

import re
from typing import Any

from charter.services import scheduling
from webhelpers import csrf_of, signed_in


def _save(seed: Any, *numbers: int) -> None:
    with seed.db.uow() as s:
        for n in numbers:
            scheduling.save_baseline(s, seed.actor("pm"), seed.p1, number=n, name=f"Plan {n}")


def _numbers(api: Any, as_: Any, seed: Any) -> list[int]:
    r = api.get(f"/projects/{seed.p1}/baselines", headers=as_("pm"))
    assert r.status_code == 200
    return sorted(b["number"] for b in r.json())


def _table(client: Any, seed: Any) -> str:
    r = client.get(f"/projects/{seed.p1}/schedule")
    assert r.status_code == 200
    return str(r.text)


def _section(html: str) -> str:
    m = re.search(r'<section id="baselines".*?</section>', html, re.S)
    assert m, "no baselines section"
    return m.group(0)


def test_web_delete_removes_the_baseline(seed: Any, api: Any, as_: Any) -> None:
    _save(seed, 0, 1)
    with seed.db.uow() as s:  # the task table compares against it until it is deleted
        assert scheduling.get_schedule(s, seed.actor("pm"), seed.p1, baseline=1)["tasks"][0]["baseline"]
    with signed_in(seed, "pm") as client:
        page = _table(client, seed)
        section = _section(page)
        assert 'aria-label="Delete baseline 0"' in section and 'aria-label="Delete baseline 1"' in section
        assert f'action="/projects/{seed.p1}/baselines/1/delete"' in section
        r = client.post(f"/projects/{seed.p1}/baselines/1/delete", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 303
        assert r.headers["location"] == f"/projects/{seed.p1}/schedule#baselines"
        section = _section(_table(client, seed))
        assert 'aria-label="Delete baseline 1"' not in section and 'aria-label="Delete baseline 0"' in section
    assert _numbers(api, as_, seed) == [0]


def test_worker_sees_no_delete_and_a_forged_post_is_refused(seed: Any, api: Any, as_: Any) -> None:
    _save(seed, 1)
    for who in ("worker", "task_leader", "observer"):
        with signed_in(seed, who) as client:
            page = _table(client, seed)
            assert "Delete baseline" not in page and "/baselines/1/delete" not in page
            r = client.post(f"/projects/{seed.p1}/baselines/1/delete", data={"csrf_token": csrf_of(page)})
            assert r.status_code == 403, who
    with signed_in(seed, "outsider") as client:
        page = client.get("/projects").text
        r = client.post(f"/projects/{seed.p1}/baselines/1/delete", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 404
    with signed_in(seed, "pm") as client:  # without the page's CSRF token nothing happens
        r = client.post(f"/projects/{seed.p1}/baselines/1/delete", data={"csrf_token": "forged"})
        assert r.status_code == 403
    assert _numbers(api, as_, seed) == [1]


def test_deleting_a_number_never_saved_is_said_beside_the_baselines(seed: Any, api: Any, as_: Any) -> None:
    _save(seed, 0)
    with signed_in(seed, "pm") as client:
        page = _table(client, seed)
        r = client.post(f"/projects/{seed.p1}/baselines/7/delete", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 404
        section = _section(r.text)
        assert 'id="baseline-delete-error"' in section and "baseline 7 has not been saved" in section
        assert 'aria-label="Delete baseline 0"' in section  # the rest of the page is there
    assert _numbers(api, as_, seed) == [0]


def test_cli_baseline_delete(seed: Any, cli: Any, api: Any, as_: Any) -> None:
    assert "charter baseline list" in cli("baseline", "delete", "--help").stdout
    _save(seed, 0, 2)
    r = cli("baseline", "delete", "P1", "2")
    assert "Baseline 2 deleted." in r.stdout
    assert _numbers(api, as_, seed) == [0]
    r = cli("baseline", "delete", "P1", "2", code=1)
    assert "baseline 2 has not been saved" in r.stderr and "(field: number)" in r.stderr
    r = cli("baseline", "delete", "P1", "0", who="worker", code=1)
    assert "error:" in r.stderr
    assert _numbers(api, as_, seed) == [0]
