"""What a desk asks of each role today, on the web and from the command line: a worker's tasks linked, with
what is overdue or due this week; the PM's approvals and responsibility gaps listed; a Task Leader's work
package with its board; `charter desk` and `charter portfolio`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from charter.domain.schedule import due_flags
from charter.services import desks, timesheets
from webhelpers import signed_in


def _task_a(seed: Any) -> dict[str, Any]:
    with seed.db.uow(readonly=True) as s:
        return next(t for t in timesheets.assigned_tasks(s, seed.actor("worker")) if t["name"] == "Task A")


def test_due_this_week_and_overdue() -> None:
    wed = dt.date(2030, 1, 9)  # a Wednesday
    assert due_flags(dt.date(2030, 1, 12), False, wed) == (True, False)  # Saturday of this week
    assert due_flags(dt.date(2030, 1, 13), False, wed) == (True, False)  # Sunday: still this ISO week
    assert due_flags(wed, False, wed) == (True, False)  # today
    assert due_flags(dt.date(2030, 1, 14), False, wed) == (False, False)  # next Monday
    assert due_flags(dt.date(2030, 1, 7), False, wed) == (False, True)  # Monday, passed: overdue, not due
    assert due_flags(dt.date(2029, 12, 1), False, wed) == (False, True)
    assert due_flags(dt.date(2029, 12, 1), True, wed) == (False, False)  # completed: neither
    assert due_flags(None, False, wed) == (False, False)  # not scheduled


def test_an_unfinished_task_past_its_finish_is_overdue(seed: Any, frozen_clock: Any) -> None:
    t = _task_a(seed)
    assert t["finish"].date() < frozen_clock.now.date() and t["status"] != "completed"
    assert t["overdue"] and not t["due_this_week"]


def test_the_web_desk_links_tasks_and_flags_the_overdue(seed: Any, frozen_clock: Any) -> None:
    t = _task_a(seed)  # it finished in 2020: overdue under the frozen clock
    with signed_in(seed, "worker") as client:
        page = client.get("/desk").text
        assert f'<a href="/projects/{seed.p1}/tasks/{t["id"]}">{t["wbs_code"]} Task A</a>' in page
        assert '<span class="gap-flag">overdue</span>' in page
        work = client.get("/me/work").text
        assert f'data-task="{t["id"]}"' in work and '<span class="gap-flag">overdue</span>' in work


def test_the_web_desk_lists_the_pm_gaps_and_the_leaders_work_package(seed: Any, frozen_clock: Any) -> None:
    with seed.db.uow(readonly=True) as s:
        pm = next(p for p in desks.desk(s, seed.actor("pm"))["projects"] if p["project_id"] == seed.p1)
        leader = next(
            p for p in desks.desk(s, seed.actor("task_leader"))["projects"] if p["project_id"] == seed.p1
        )
    gaps = pm["sections"]["project_manager"]["today"]["gaps"]
    with signed_in(seed, "pm") as client:
        page = client.get("/desk").text
    n = len(gaps)
    assert f"{n} responsibility gap{'' if n == 1 else 's'}" in page
    for g in gaps:
        assert g["message"] in page
    assert (f'href="/projects/{seed.p1}#raci-h"' in page) == bool(gaps)  # the matrix on the project's page
    wp = leader["sections"]["task_leader"][0]
    with signed_in(seed, "task_leader") as client:
        page = client.get("/desk").text
    assert f'href="/projects/{seed.p1}/work-packages/{wp["work_package_id"]}/board"' in page
    assert "2 tasks" in page and "task(s)" not in page and "entr(ies)" not in page


def test_cli_desk_and_portfolio(seed: Any, cli: Any, frozen_clock: Any) -> None:
    # Task A finished in 2020: overdue under the frozen clock
    out = cli("desk", who="worker").stdout
    assert "Your tasks" in out and "Task A" in out and "overdue" in out
    out = cli("desk", who="pm").stdout
    assert "Project Manager" in out and "schedule" in out and "approval" in out
    out = cli("desk", who="task-leader").stdout
    assert "Task Leader · WP-A" in out and "2 tasks" in out
    data = cli("desk", "--json", who="worker").stdout
    assert '"overdue": true' in data
    out = cli("portfolio", who="worker").stdout
    assert "P1" in out and "P2" not in out
    assert cli("desk", "--help").stdout.count("Task Leader") >= 1


def test_a_task_leader_who_works_on_a_task_sees_it_on_the_desk(seed: Any, frozen_clock: Any) -> None:
    """A Task Leader is sometimes the package's only worker: the tasks assigned to them show under "Your tasks"
    although they hold no Task Worker role."""
    from charter.services import tasks

    def sections() -> dict[str, Any]:
        with seed.db.uow(readonly=True) as s:
            d = desks.desk(s, seed.actor("task_leader"))
        return next(p for p in d["projects"] if p["project_id"] == seed.p1)["sections"]

    assert set(sections()) == {"task_leader"}
    with seed.db.uow() as s:
        tasks.set_assignees(s, seed.actor("pm"), seed.p1, seed.tasks["a"], [seed.users["task_leader"]])
    mine = sections()
    assert set(mine) == {"task_leader", "worker"}
    assert [t["name"] for t in mine["worker"]["tasks"]] == ["Task A"]


def test_the_desk_lists_what_is_left_to_do_and_counts_the_finished(
    seed: Any, cli: Any, frozen_clock: Any
) -> None:
    """A desk says what waits: finished tasks are counted, not listed (My work keeps them), and the tasks left
    are in the order they are due."""
    from charter.services import tasks

    pm = seed.actor("pm")
    with seed.db.uow() as s:  # the worker also works on Task C
        tasks.set_assignees(s, pm, seed.p1, seed.tasks["c"], [seed.users["worker"]])

    def worker() -> dict[str, Any]:
        with seed.db.uow(readonly=True) as s:
            d = desks.desk(s, seed.actor("worker"))
        return next(p for p in d["projects"] if p["project_id"] == seed.p1)["sections"]["worker"]

    mine = worker()
    assert sorted(t["name"] for t in mine["tasks"]) == ["Task A", "Task C"] and mine["finished"] == 0
    assert mine["tasks"][0]["finish"] < mine["tasks"][1]["finish"]  # the soonest first (not the WBS order)
    with seed.db.uow(readonly=True) as s:
        version = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])["version"]
    with seed.db.uow() as s:
        tasks.move_task(s, pm, seed.p1, seed.tasks["a"], version, "completed")
    mine = worker()
    assert [t["name"] for t in mine["tasks"]] == ["Task C"] and mine["finished"] == 1
    with signed_in(seed, "worker") as client:
        page = client.get("/desk").text
    assert "Task C</a>" in page and "Task A</a>" not in page
    assert '<span id="desk-P1-finished">1 finished task</span>' in page
    out = cli("desk", who="worker").stdout
    assert "Task C" in out and "Task A" not in out and "and 1 finished task" in out
    with seed.db.uow(readonly=True) as s:  # My work still lists both, the finished one included
        assert {t["name"] for t in timesheets.assigned_tasks(s, seed.actor("worker"))} == {"Task A", "Task C"}
