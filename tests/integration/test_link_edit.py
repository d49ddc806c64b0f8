"""A link's type and lag changed in place (MS Project's Task Dependency dialog): the task page's per-link form
(POST /projects/{id}/links/{link_id}) and `charter task link-update`, over the same service as the API's
PATCH. The successor's dates move; a stale version, a lag that is not one and a caller who may not edit the
successor are refused, each shown where it belongs."""

from __future__ import annotations

import json
import re
from typing import Any

from webhelpers import csrf_of, signed_in


def _api_link(api: Any, as_: Any, seed: Any) -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/schedule", headers=as_("pm"))
    assert r.status_code == 200
    link: dict[str, Any] = next(lk for lk in r.json()["links"] if lk["id"] == seed.links["ab"])
    return link


def _api_task(api: Any, as_: Any, seed: Any, key: str) -> dict[str, Any]:
    r = api.get(f"/projects/{seed.p1}/tasks/{seed.tasks[key]}", headers=as_("pm"))
    assert r.status_code == 200
    task: dict[str, Any] = r.json()
    return task


def _edit_url(seed: Any) -> str:
    return f"/projects/{seed.p1}/links/{seed.links['ab']}"


def _page(client: Any, seed: Any, task: str) -> str:
    r = client.get(f"/projects/{seed.p1}/tasks/{seed.tasks[task]}")
    assert r.status_code == 200
    return str(r.text)


def _row(html: str, seed: Any) -> str:
    """The link A -> B's row of the task page's links tables."""
    m = re.search(rf'<tr id="link-{seed.links["ab"]}">(.*?)</tr>', html, re.S)
    assert m, "no row for the link"
    return m.group(1)


def _lag_input(row: str, seed: Any) -> str:
    m = re.search(rf'<input id="link-{seed.links["ab"]}-lag"[^>]*>', row)
    assert m, "no lag input in the link's row"
    return m.group(0)


def test_web_edit_changes_type_and_lag_and_moves_the_successor(seed: Any, api: Any, as_: Any) -> None:
    before = _api_task(api, as_, seed, "b")
    a = _api_task(api, as_, seed, "a")
    assert before["start"] >= a["finish"]  # FS: B waits for A
    with signed_in(seed, "pm") as client:
        page = _page(client, seed, "b")
        row = _row(page, seed)
        assert f'action="{_edit_url(seed)}"' in row and 'name="version" value="1"' in row
        assert "<option selected>FS</option>" in row
        r = client.post(_edit_url(seed), data={"csrf_token": csrf_of(page), "version": "1", "type": "SS",
                                               "lag": "1d", "back_task": str(seed.tasks["b"])})  # fmt: skip
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/projects/{seed.p1}/tasks/{seed.tasks['b']}#links"
        row = _row(_page(client, seed, "a"), seed)  # the successors table of A's page shows the change
        assert "<td>SS</td><td>+1d</td>" in row and 'name="version" value="2"' in row
    link = _api_link(api, as_, seed)
    assert (link["type"], link["lag_text"], link["version"]) == ("SS", "+1d", 2)
    after = _api_task(api, as_, seed, "b")
    assert after["start"] < before["start"] and after["start"] > a["start"]  # one working day after A starts
    assert after["finish"] < before["finish"]


def test_stale_version_is_409_beside_the_form_with_the_typed_lag_kept(seed: Any, api: Any, as_: Any) -> None:
    r = api.patch(_edit_url(seed), headers=as_("pm"),
                  json={"version": 1, "lag": "2d"})  # fmt: skip
    assert r.status_code == 200 and r.json()["version"] == 2
    with signed_in(seed, "pm") as client:
        page = _page(client, seed, "b")
        r = client.post(_edit_url(seed), data={"csrf_token": csrf_of(page), "version": "1", "type": "FF",
                                               "lag": "5d", "back_task": str(seed.tasks["b"])})  # fmt: skip
        assert r.status_code == 409
        row = _row(r.text, seed)
        assert f'id="link-{seed.links["ab"]}-error"' in row and "changed by someone else" in row
        assert 'value="5d"' in _lag_input(row, seed)
        assert "<option selected>FF</option>" in row  # what the user chose, kept
        assert 'name="version" value="2"' in row  # a second Save applies the change to what is stored now
    link = _api_link(api, as_, seed)
    assert (link["type"], link["lag_text"], link["version"]) == ("FS", "+2d", 2)


def test_a_lag_that_is_not_one_is_422_on_the_lag_input(seed: Any, api: Any, as_: Any) -> None:
    with signed_in(seed, "pm") as client:
        page = _page(client, seed, "a")
        r = client.post(_edit_url(seed), data={"csrf_token": csrf_of(page), "version": "1", "type": "SS",
                                               "lag": "soon", "back_task": str(seed.tasks["a"])})  # fmt: skip
        assert r.status_code == 422
        row = _row(r.text, seed)
        lag = _lag_input(row, seed)
        assert 'aria-invalid="true"' in lag and 'value="soon"' in lag
        assert "is not a lag" in row
    link = _api_link(api, as_, seed)
    assert (link["type"], link["lag"], link["version"]) == ("FS", 0, 1)


def test_only_who_may_edit_the_successor_sees_the_form(seed: Any, api: Any, as_: Any) -> None:
    form = f'action="{_edit_url(seed)}"'
    # task_leader leads WP-A (task A, the predecessor) but not WP-B (B, the successor)
    for who, task, shown in (("task_leader", "a", False), ("task_leader_b", "a", True),
                             ("task_leader_b", "b", True), ("worker", "b", False), ("observer", "b", False),
                             ("pm", "a", True)):  # fmt: skip
        with signed_in(seed, who) as client:
            assert (form in _page(client, seed, task)) is shown, (who, task)
    with signed_in(seed, "task_leader") as client:  # a forged post is refused, nothing changes
        page = _page(client, seed, "a")
        r = client.post(_edit_url(seed), data={"csrf_token": csrf_of(page), "version": "1", "type": "SS",
                                               "lag": "1d", "back_task": str(seed.tasks["a"])})  # fmt: skip
        assert r.status_code == 403
    with signed_in(seed, "outsider") as client:  # P1 is not theirs to see
        page = client.get("/projects").text
        r = client.post(_edit_url(seed), data={"csrf_token": csrf_of(page), "version": "1", "type": "SS",
                                               "lag": "1d", "back_task": str(seed.tasks["a"])})  # fmt: skip
        assert r.status_code == 404
    with signed_in(seed, "pm") as client:  # a link that is not there: said on the page, nothing half-done
        page = _page(client, seed, "a")
        r = client.post(f"/projects/{seed.p1}/links/999999", data={"csrf_token": csrf_of(page), "version": "1",
                        "type": "SS", "lag": "1d", "back_task": str(seed.tasks["a"])})  # fmt: skip
        assert r.status_code == 404 and 'id="link-error"' in r.text and "not found" in r.text
    assert _api_link(api, as_, seed)["version"] == 1


def test_cli_link_update(seed: Any, cli: Any, api: Any, as_: Any) -> None:
    assert "--type" in cli("task", "link-update", "--help").stdout
    shown = cli("task", "show", "P1", str(seed.tasks["b"])).stdout
    assert f"(link {seed.links['ab']})" in shown
    r = cli("task", "link-update", "P1", str(seed.links["ab"]), "--type", "ss", "--lag", "50%")
    assert "is now SS +50%" in r.stdout and "version 2" in r.stdout
    link = _api_link(api, as_, seed)
    assert (link["type"], link["lag"], link["lag_kind"], link["version"]) == ("SS", 50, "percent", 2)
    r = cli("task", "link-update", "P1", str(seed.links["ab"]), "--lag", "-1d", "--json")
    data = json.loads(r.stdout)
    assert (data["type"], data["lag_text"], data["version"]) == ("SS", "-1d", 3)  # the type stays as it was


def test_cli_link_update_refusals(seed: Any, cli: Any, api: Any, as_: Any) -> None:
    link = str(seed.links["ab"])
    r = cli("task", "link-update", "P1", link, "--lag", "soon", code=1)
    assert "'soon' is not a lag" in r.stderr and "(field: lag)" in r.stderr
    r = cli("task", "link-update", "P1", link, "--type", "XX", code=1)
    assert "type" in r.stderr
    r = cli("task", "link-update", "P1", link, code=1)
    assert "nothing to change" in r.stderr
    r = cli("task", "link-update", "P1", link, "--lag", "1d", who="worker", code=1)
    assert "error:" in r.stderr
    r = cli("task", "link-update", "P1", "999999", "--lag", "1d", code=1)
    assert "not found" in r.stderr
    assert _api_link(api, as_, seed)["version"] == 1
