"""Search: filtered by permission before counting; any user input (quotes, operators) is safe."""

from __future__ import annotations

import re
from typing import Any

import pytest

from charter.services import closure, comms, search, stakeholders, tasks, tech


@pytest.fixture
def indexed(seed: Any, frozen_clock: Any) -> Any:
    with seed.db.uow() as s:
        admin = seed.actor("admin")
        tasks.create_task(s, admin, seed.p1, name="Migrate zephyr cluster", work_package_id=seed.wp_a)
        tasks.create_task(s, admin, seed.p2, name="Zephyr secret rollout", work_package_id=seed.wp_p2)
        tech.create_component(s, seed.actor("pm"), seed.p1, name="Zephyr DB", licence="MIT")
        tech.create_component(s, seed.actor("outsider"), seed.p2, name="Zephyr vault")
        closure.add_lesson(s, seed.actor("outsider"), seed.p2, title="Zephyr lesson in P2")
        stakeholders.raise_concern(s, seed.actor("stakeholder"), seed.p1, subject="Zephyr confidential worry",
                                   areas=["schedule"], confidential=True)  # fmt: skip
        comms.send(s, seed.actor("pm"), seed.p1, to="user", to_user_id=seed.users["task_leader"],
                   subject="Zephyr handover", body="Please review the zephyr runbook")  # fmt: skip
    return seed


def _hits(seed: Any, who: str, q: str) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return search.search(s, seed.actor(who), q)


def test_search_never_returns_items_of_projects_the_user_cannot_see(indexed: Any) -> None:
    seed = indexed
    worker = _hits(seed, "worker", "zephyr")
    assert {h["project_id"] for h in worker["results"]} == {seed.p1}
    assert worker["total"] == len(worker["results"])
    kinds = {h["kind"] for h in worker["results"]}
    assert {"task", "component"} <= kinds
    assert "concern" not in kinds and "message" not in kinds  # confidential, and not addressed to the worker
    outsider = _hits(seed, "outsider", "zephyr")
    assert {h["project_id"] for h in outsider["results"]} == {seed.p2}
    assert {h["kind"] for h in outsider["results"]} == {"task", "component", "lesson"}
    pm_kinds = {h["kind"] for h in _hits(seed, "pm", "zephyr")["results"]}
    assert {"task", "component", "concern", "message"} <= pm_kinds
    leader = _hits(seed, "task_leader", "runbook")["results"]
    assert [h["kind"] for h in leader] == ["message"]
    admin = _hits(seed, "admin", "zephyr")
    assert {h["project_id"] for h in admin["results"]} == {seed.p1, seed.p2}


@pytest.mark.parametrize(
    "q",
    ['"foo', "a OR", "NEAR(", "*", "zephyr*", '"zephyr', "zephyr OR", "AND", "-zephyr", "col:zephyr", "(", "'",
     "zephyr NOT", "\x00zephyr", "", "   ", "^zephyr", "{}", "ẞ ß 漢字"],
)  # fmt: skip
def test_quotes_and_operators_never_error(indexed: Any, q: str) -> None:
    out = _hits(indexed, "worker", q)
    assert out["total"] == len(out["results"])
    if re.findall(r"\w+", q.lower()) == ["zephyr"]:  # operators are plain words: only these must match
        assert out["total"] >= 1


def test_fts5_query_quotes_every_word() -> None:
    assert search.fts5_query('a "b OR NEAR(c') == '"a" "b" "OR" "NEAR" "c"'
    assert search.fts5_query("*") == ""


def test_api_search(api: Any, indexed: Any, as_: Any) -> None:
    r = api.get("/search", params={"q": 'zephyr "OR'}, headers=as_("observer"))
    assert r.status_code == 200, r.text
    assert all(h["project_id"] == indexed.p1 for h in r.json()["results"])
    assert api.get("/search", params={"q": "zephyr"}).status_code == 401
