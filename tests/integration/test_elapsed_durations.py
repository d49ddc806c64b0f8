"""Elapsed (24x7) task durations end to end: the API and the CLI take "2ed", the schedule runs them through
the weekend, estimates follow the duration's kind, MSPDI keeps them, Monte Carlo and levelling read them right."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.integration.test_simulation import _all_at, _on, _run, _schedule_days

from charter.services import levelling, tasks

PM = "admin"


def _setup(api: Any, seed: Any, as_: Any) -> dict[str, Any]:
    """P1 from Friday 2030-01-11 (Mon-Fri, 09-13 + 14-18): E (2ed) -> W (1d)."""
    h = as_(PM)
    p = seed.p1
    r = api.patch(f"/projects/{p}", json={"version": 1, "start_date": "2030-01-11"}, headers=h)
    assert r.status_code == 200, r.text
    for name in ("a", "b", "c"):
        t = api.get(f"/projects/{p}/tasks/{seed.tasks[name]}", headers=h).json()
        api.delete(f"/projects/{p}/tasks/{t['id']}", params={"version": t["version"]}, headers=h)
    ids = {}
    for name, dur in (("E", "2ed"), ("W", "1d")):
        r = api.post(f"/projects/{p}/tasks", json={"name": name, "work_package_id": seed.wp_a, "duration": dur},
                     headers=h)  # fmt: skip
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    r = api.post(f"/projects/{p}/links", json={"pred_id": ids["E"], "succ_id": ids["W"]}, headers=h)
    assert r.status_code == 201, r.text
    return {"p": p, "h": h, **ids}


def _by_name(api: Any, p: int, h: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in api.get(f"/projects/{p}/schedule", headers=h).json()["tasks"]}


def _task(api: Any, x: dict[str, Any], name: str) -> dict[str, Any]:
    r = api.get(f"/projects/{x['p']}/tasks/{x[name]}", headers=x["h"])
    assert r.status_code == 200, r.text
    return dict(r.json())


def _patch(api: Any, x: dict[str, Any], name: str, **body: Any) -> Any:
    v = _task(api, x, name)["version"]
    return api.patch(f"/projects/{x['p']}/tasks/{x[name]}", json={"version": v, **body}, headers=x["h"])


def test_an_elapsed_task_runs_over_the_weekend_through_the_api(api: Any, seed: Any, as_: Any) -> None:
    x = _setup(api, seed, as_)
    e = _task(api, x, "E")
    assert (e["duration"], e["duration_unit"], e["duration_minutes"]) == ("2ed", "edays", 2880)
    assert e["start"] == "2030-01-11T09:00:00" and e["finish"] == "2030-01-13T09:00:00"  # Friday -> Sunday
    assert (e["total_float_days"], e["float_unit"]) == (1.0, "ed")  # until Monday 09:00, in wall-clock days
    t = _by_name(api, x["p"], x["h"])
    assert t["W"]["start"] == "2030-01-14T09:00:00" and t["W"]["finish"] == "2030-01-14T18:00:00"
    assert t["E"]["duration"] == "2ed" and t["W"]["float_unit"] == "d"
    # as working time the same two days would take Friday and Monday
    r = _patch(api, x, "E", duration="2d")
    assert r.status_code == 200, r.text
    t = _by_name(api, x["p"], x["h"])
    assert t["E"]["finish"] == "2030-01-14T18:00:00" and t["W"]["start"] == "2030-01-15T09:00:00"
    r = _patch(api, x, "E", duration="36eh")
    assert r.status_code == 200 and r.json()["duration"] == "36eh"
    assert _task(api, x, "E")["finish"] == "2030-01-12T21:00:00"


def test_bad_durations_and_estimates_of_the_other_kind_are_refused_by_field(
    api: Any, seed: Any, as_: Any
) -> None:
    x = _setup(api, seed, as_)
    r = _patch(api, x, "E", duration="2e")
    assert r.status_code == 422 and r.json()["error"]["field"] == "duration"
    r = _patch(api, x, "E", optimistic="1d", most_likely="2d", pessimistic="4d")
    assert r.status_code == 422 and r.json()["error"]["field"] == "optimistic", r.text
    assert "elapsed" in r.json()["error"]["message"]
    r = _patch(api, x, "E", work="3ed")
    assert r.status_code == 422 and r.json()["error"]["field"] == "work"
    r = _patch(api, x, "E", optimistic="1ed", most_likely="2ed", pessimistic="4ed")
    assert r.status_code == 200, r.text
    assert (r.json()["optimistic"], r.json()["pessimistic"]) == (1440, 4 * 1440)
    # the estimates are elapsed: turning the duration into working time alone would change their meaning
    r = _patch(api, x, "E", duration="2d")
    assert r.status_code == 422 and r.json()["error"]["field"] == "optimistic"
    r = _patch(api, x, "E", duration="2d", optimistic="1d", most_likely="2d", pessimistic="4d")
    assert r.status_code == 200 and r.json()["duration_unit"] == "days"


def test_completing_an_elapsed_task_with_a_new_duration_finishes_in_wall_clock_time(
    api: Any, seed: Any, as_: Any, frozen_clock: Any
) -> None:
    x = _setup(api, seed, as_)
    frozen_clock.set(datetime(2030, 1, 14, 12, 0, tzinfo=UTC))  # the actual dates are past
    r = _patch(api, x, "E", actual_start="2030-01-11T09:00:00")
    assert r.status_code == 200, r.text
    r = _patch(api, x, "E", status="completed", duration="3ed")  # "it took 3 elapsed days and it is done"
    assert r.status_code == 200, r.text
    assert r.json()["actual_finish"] == "2030-01-14T09:00:00"  # Friday + 72 h, not three working days
    assert _by_name(api, x["p"], x["h"])["W"]["start"] == "2030-01-14T09:00:00"


def test_mspdi_round_trip_keeps_the_elapsed_duration(api: Any, seed: Any, as_: Any) -> None:
    x = _setup(api, seed, as_)
    r = api.get(f"/projects/{x['p']}/export", params={"format": "mspdi"}, headers=x["h"])
    assert r.status_code == 200
    assert (
        b"<DurationFormat>8</DurationFormat>" in r.content and b"<Duration>PT48H0M0S</Duration>" in r.content
    )
    r2 = api.post("/imports", files={"file": ("p1.xml", r.content, "application/xml")}, data={"key": "COPY"},
                  headers=x["h"])  # fmt: skip
    assert r2.status_code == 201, r2.text
    res = r2.json()
    assert res["dates_compared"] == res["dates_matching"] == 2, res["mismatches"]
    copy = _by_name(api, res["project_id"], x["h"])
    assert copy["E"]["duration"] == "2ed" and copy["E"]["finish"] == "2030-01-13T09:00:00"
    assert copy["W"]["start"] == "2030-01-14T09:00:00"


def test_cli_adds_and_updates_an_elapsed_task(cli: Any, seed: Any) -> None:
    made = json.loads(cli("task", "add", "P1", "Curing", "--wp", "WP-B", "--duration", "3ed", "--after", "Task A",
                          "--json").stdout)  # fmt: skip
    assert (made["duration"], made["duration_unit"], made["duration_minutes"]) == ("3ed", "edays", 3 * 1440)
    a = json.loads(cli("task", "show", "P1", "Task A", "--json").stdout)
    assert made["start"] == a["finish"]  # right at its predecessor's finish, even at the end of the day
    upd = json.loads(cli("task", "update", "P1", made["wbs_code"], "--duration", "12eh", "--json").stdout)
    assert upd["duration"] == "12eh" and upd["duration_minutes"] == 720
    out = cli("task", "show", "P1", made["wbs_code"]).stdout
    assert "12eh" in out and "ed" in out
    r = cli("task", "update", "P1", made["wbs_code"], "--duration", "3ex", code=1)
    assert "duration" in r.stderr


def test_levelling_leaves_an_elapsed_task_where_the_schedule_put_it(cli: Any, seed: Any) -> None:
    """Task C (1d) alongside Task A, both the worker's: levelling delays C; as 1ed it is not moved."""
    cli("task", "assign", "P1", str(seed.tasks["c"]), "worker")
    pm, c = seed.actor("pm"), seed.tasks["c"]
    with seed.db.uow() as s:
        run = levelling.preview(s, pm, seed.p1)
    assert str(c) in run["moves"]
    with seed.db.uow() as s:
        t = tasks.get_task(s, pm, seed.p1, c)
        tasks.update_task(s, pm, seed.p1, c, t["version"], duration="1ed")
    with seed.db.uow() as s:
        run = levelling.preview(s, pm, seed.p1)
    assert str(c) not in run["moves"]


def test_monte_carlo_runs_an_elapsed_task_at_its_scheduled_length(seed: Any) -> None:
    """Task A as 60 elapsed hours from Monday 09:00 ends Wednesday 21:00 (3 project days, not 7.5); Task B (2d)
    then takes Thursday and Friday: with fixed durations every percentile is the schedule's finish."""
    _on(seed, "a", duration="60eh")
    days, when = _schedule_days(seed)
    assert days == 5
    _all_at(_run(seed, iterations=300), days, when)


def test_monte_carlo_samples_elapsed_estimates_in_wall_clock_time(seed: Any) -> None:
    """Elapsed estimates 2ed / 2.5ed / 4ed on Task A: the simulated finishes lie about between what the schedule
    gives for A at 2ed and at 4ed (each sample is scaled to project working time at the ratio of A's scheduled
    span, as for a task on its own calendar); read as working minutes they would run to 8 days and more."""
    _on(seed, "a", duration="2ed")
    low, _ = _schedule_days(seed)
    _on(seed, "a", duration="4ed")
    high, _ = _schedule_days(seed)
    _on(seed, "a", duration="2.5ed", optimistic="2ed", most_likely="2.5ed", pessimistic="4ed")
    got = {f["p"]: f["days"] for f in _run(seed, iterations=500)["result"]["finish"]}
    assert low <= got[10] <= got[90] <= high * 1.1 < 8, (low, got, high)
    assert got[90] > got[10]


def test_baseline_duration_variance_of_an_elapsed_task_is_in_elapsed_days(
    api: Any, seed: Any, as_: Any
) -> None:
    x = _setup(api, seed, as_)
    r = api.post(f"/projects/{x['p']}/baselines", json={"number": 0, "name": "approved"}, headers=x["h"])
    assert r.status_code in (200, 201), r.text
    assert _patch(api, x, "E", duration="3ed").status_code == 200
    data = api.get(f"/projects/{x['p']}/schedule", headers=x["h"], params={"baseline": 0}).json()
    e = next(t for t in data["tasks"] if t["name"] == "E")
    assert e["baseline"]["duration_variance_days"] == 1.0  # one elapsed day longer (not 1440/480 = 3)
