"""Monte Carlo simulation through the service on the seeded project (Task A 3d -> Task B 2d; Task C 1d in
parallel): deterministic for a seed, risk events at probability 0 and 1, criticality, stored and comparable
runs, background execution with progress, bad input naming the task and field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from charter.config import get_settings
from charter.domain.errors import ValidationError
from charter.persistence.models import Project, Risk, SimulationRun, Task
from charter.services import risk, simulation, tasks

MPD = 480


def _run(seed: Any, iterations: int = 2000, rng_seed: int = 1, **params: Any) -> dict[str, Any]:
    with seed.db.uow() as s:
        run = simulation.create_run(
            s, seed.actor("pm"), seed.p1, iterations=iterations, seed=rng_seed, **params
        )
    assert run["inline"]
    simulation.launch(seed.db, run["id"], background=False)
    with seed.db.uow(readonly=True) as s:
        out = simulation.get_run(s, seed.actor("pm"), seed.p1, run["id"])
    assert out["status"] == "done", out["error"]
    return out


def _estimates(seed: Any) -> None:
    with seed.db.uow() as s:
        pm = seed.actor("pm")
        for key, (o, m, p) in {"a": ("2d", "3d", "6d"), "b": ("1d", "2d", "4d")}.items():
            t = tasks.get_task(s, pm, seed.p1, seed.tasks[key])
            tasks.update_task(s, pm, seed.p1, seed.tasks[key], t["version"], optimistic=o, most_likely=m,
                              pessimistic=p)  # fmt: skip


def _finish(run: dict[str, Any]) -> dict[int, float]:
    return {f["p"]: f["days"] for f in run["result"]["finish"]}


def test_deterministic_for_a_seed_and_stored(seed: Any) -> None:
    _estimates(seed)
    one = _run(seed, rng_seed=7)
    two = _run(seed, rng_seed=7)
    three = _run(seed, rng_seed=8)
    assert one["result"] == two["result"]
    assert one["result"]["histogram"] != three["result"]["histogram"]
    f = _finish(one)
    assert 3 <= f[10] <= f[50] <= f[80] <= f[90] <= 10
    assert one["result"]["deterministic"]["days"] == 5
    assert sum(one["result"]["histogram"]["counts"]) == 2000
    with seed.db.uow(readonly=True) as s:
        runs = simulation.list_runs(s, seed.actor("observer"), seed.p1)
    assert [r["id"] for r in runs] == [three["id"], two["id"], one["id"]]
    assert runs[2]["result"]["finish"] == one["result"]["finish"] and runs[2]["seed"] == 7


def test_criticality_of_an_always_critical_task(seed: Any) -> None:
    run = _run(seed, iterations=500)
    crit = {t["name"]: t["criticality"] for t in run["result"]["tasks"]}
    assert crit["Task A"] == 1 and crit["Task B"] == 1 and crit["Task C"] == 0
    assert _finish(run) == {10: 5, 50: 5, 80: 5, 90: 5}


def test_risk_probability_zero_and_one(seed: Any) -> None:
    pm = seed.actor("pm")
    with seed.db.uow() as s:  # a fixed 4-day delay for schedule impact level 3
        risk.set_scales(s, pm, seed.p1, [{"dimension": "schedule", "level": 3, "label": "Days", "low": 4,
                                          "high": 4}])  # fmt: skip
    _estimates(seed)
    base = _run(seed, rng_seed=3)
    with seed.db.uow() as s:
        r = risk.create_risk(s, pm, seed.p1, title="Supplier late", probability=1, impact_schedule=3,
                             probability_value=0.0, task_id=seed.tasks["a"])  # fmt: skip
    never = _run(seed, rng_seed=3)
    assert never["result"]["finish"] == base["result"]["finish"]
    assert never["result"]["histogram"] == base["result"]["histogram"]
    assert never["result"]["risks"][0]["occurrence"] == 0
    with seed.db.uow() as s:
        risk.update_risk(s, pm, seed.p1, r["id"], r["version"], probability_value=1.0)
    always = _run(seed, rng_seed=3)
    assert always["result"]["risks"][0]["occurrence"] == 1
    for p, days in _finish(base).items():
        assert _finish(always)[p] == pytest.approx(days + 4, abs=0.01)
    assert always["result"]["deterministic"] == base["result"]["deterministic"]


def test_risk_level_maps_to_scale_probability(seed: Any) -> None:
    with seed.db.uow() as s:  # probability level 5 = 70-90% by default: 80% occur
        risk.create_risk(s, seed.actor("pm"), seed.p1, title="Outage", probability=5, impact_schedule=1,
                         task_id=seed.tasks["b"])  # fmt: skip
        risk.create_risk(s, seed.actor("pm"), seed.p1, title="Unattached", probability=5, impact_schedule=1)
    run = _run(seed, iterations=4000)
    assert run["result"]["risks"][0]["occurrence"] == pytest.approx(0.8, abs=0.03)
    assert any("R-2" in w for w in run["result"]["warnings"])
    assert run["result"]["tornado"][0]["kind"] == "risk"


def test_target_date_probability(seed: Any) -> None:
    _estimates(seed)
    with seed.db.uow() as s:  # the project starts on its creation day, Monday 2020-01-06
        s.execute(update(Project).where(Project.id == seed.p1).values(start_date=date(2020, 1, 6),
                                                                      target_date=date(2020, 1, 10)))  # fmt: skip
    run = _run(seed)
    res = run["result"]
    assert res["target_date"] == "2020-01-10"
    assert 0 < res["p_target_date"] < 1  # 5 working days: between the fastest (3d) and slowest (10d)
    assert res["finish"][0]["date"].startswith("2020-01")


def test_background_run_with_progress(seed: Any) -> None:
    _estimates(seed)
    with seed.db.uow() as s:
        run = simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=3000, seed=5)
    with seed.db.uow(readonly=True) as s:
        assert simulation.get_run(s, seed.actor("pm"), seed.p1, run["id"])["status"] == "queued"
    thread = simulation.launch(seed.db, run["id"], background=True)
    assert thread is not None
    thread.join(60)
    with seed.db.uow(readonly=True) as s:
        out = simulation.get_run(s, seed.actor("pm"), seed.p1, run["id"])
    assert out["status"] == "done" and out["progress"] == 1 and out["finished_at"] is not None
    assert out["result"] == _run(seed, iterations=3000, rng_seed=5)["result"]


def test_bad_input_names_task_and_field(seed: Any, monkeypatch: Any) -> None:
    with seed.db.uow() as s:  # the task service refuses this; data imported elsewhere may not
        s.execute(update(Task).where(Task.id == seed.tasks["b"]).values(optimistic=4 * MPD, most_likely=5 * MPD,
                                                                       pessimistic=2 * MPD))  # fmt: skip
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=100, seed=1)
    assert e.value.field == "pessimistic" and "Task B" in e.value.message
    assert e.value.details["task_id"] == seed.tasks["b"]
    with seed.db.uow() as s:
        s.execute(update(Task).where(Task.id == seed.tasks["b"]).values(optimistic=None, most_likely=None,
                                                                       pessimistic=None))  # fmt: skip
        r = risk.create_risk(
            s, seed.actor("pm"), seed.p1, title="Bad", probability=2, task_id=seed.tasks["a"]
        )
        s.execute(update(Risk).where(Risk.id == r["id"]).values(probability_value=1.5))
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=100, seed=1)
    assert e.value.field == "probability_value" and "R-1" in e.value.message and "Task A" in e.value.message
    with seed.db.uow() as s:
        s.execute(update(Risk).where(Risk.id == r["id"]).values(probability_value=None, impact_cost=7))
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=100, seed=1)
    assert e.value.field == "impact_cost" and "R-1" in e.value.message
    with pytest.raises(ValidationError) as e, seed.db.uow() as s:
        simulation.create_run(s, seed.actor("pm"), seed.p1, iterations=simulation.MAX_ITERATIONS + 1, seed=1)
    assert e.value.field == "iterations"
    with seed.db.uow(readonly=True) as s:
        assert s.query(SimulationRun).count() == 0


def test_api_run_and_permissions(api: Any, seed: Any, as_: Any) -> None:
    url = f"/projects/{seed.p1}/simulations"
    r = api.post(url, json={"iterations": 500, "seed": 1, "spread_low": 10, "spread_high": 30},
                 headers=as_("pm"))  # fmt: skip
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "done" and len(run["result"]["finish"]) == 4
    assert api.post(url, json={"iterations": 10}, headers=as_("worker")).status_code == 403
    assert api.get(f"{url}/{run['id']}", headers=as_("outsider")).status_code == 404
    assert api.get(url, headers=as_("observer")).json()[0]["id"] == run["id"]
    r = api.post(url, json={"iterations": 10, "distribution": "normal"}, headers=as_("pm"))
    assert r.status_code == 422 and r.json()["error"]["field"] == "distribution"


def test_cli_risk_and_simulate(seed: Any, monkeypatch: Any) -> None:
    import json

    from typer.testing import CliRunner

    from charter.cli.main import app

    monkeypatch.setenv("CHARTER_DATABASE_URL", seed.db.url)
    get_settings.cache_clear()  # settings read before this test set the URL
    cli = CliRunner()
    out = cli.invoke(app, ["--as", "pm", "risk", "add", "P1", "Vendor late", "--probability", "3", "--schedule", "2",
                           "--owner", "worker", "--task", str(seed.tasks["a"])])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "R-1" in out.output
    out = cli.invoke(app, ["--as", "worker", "risk", "list", "P1", "--json"])
    assert json.loads(out.output)[0]["owner"] == "Worker"
    out = cli.invoke(app, ["--as", "pm", "risk", "show", "P1", "R-1"])
    assert out.exit_code == 0 and "score 6" in out.output
    out = cli.invoke(app, ["--as", "pm", "simulate", "P1", "--iterations", "300", "--seed", "1", "--json"])
    assert out.exit_code == 0, out.output
    run = json.loads(out.output)
    assert run["status"] == "done" and run["seed"] == 1 and run["result"]["risks_count"] == 1
    out = cli.invoke(app, ["--as", "pm", "simulate", "P1", "--iterations", "300", "--seed", "1"])
    assert out.exit_code == 0 and "P90" in out.output
    out = cli.invoke(app, ["--as", "pm", "simulate", "P1", "--iterations", "0"])
    assert out.exit_code == 1 and "iterations" in out.output


# --------------------------------------------------------------------------------------------- progress


def _half_done(seed: Any) -> str:
    """Task A done a day late (4 of 3 days), Task B half done since, status date at the start of day 7: the
    schedule puts B's remaining day on day 7 (the project finishes at its end), Task C (not started) no earlier
    than the status date. Returns the schedule's finish (ISO)."""
    from charter.persistence.models import ProjectSchedule
    from charter.services import scheduling

    pm = seed.actor("pm")
    with seed.db.uow() as s:
        inp = simulation.build_inputs(s, seed.p1, {})
        cal, w0 = inp.cal, inp.start_w
        a = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["a"], a["version"], actual_start=cal.to_datetime(w0),
                          actual_finish=cal.to_datetime(w0 + 4 * MPD, finish=True))  # fmt: skip
        b = tasks.get_task(s, pm, seed.p1, seed.tasks["b"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["b"], b["version"], percent_complete=50,
                          actual_start=cal.to_datetime(w0 + 4 * MPD))  # fmt: skip
        row = s.get(ProjectSchedule, seed.p1)
        scheduling.set_status_date(s, pm, seed.p1, cal.to_datetime(w0 + 6 * MPD), row.version if row else 0)
    with seed.db.uow(readonly=True) as s:
        row = s.get(ProjectSchedule, seed.p1)
        assert row is not None and row.finish == cal.to_datetime(w0 + 7 * MPD, finish=True)
        return row.finish.isoformat()


def test_progress_zero_variance_equals_the_schedule_with_progress(seed: Any) -> None:
    """Mid-project the remaining work is simulated from the status date: with min = most likely = max every
    iteration finishes when the schedule (with progress) does, not 5 days after the project start."""
    finish = _half_done(seed)
    run = _run(seed, iterations=500)
    res = run["result"]
    assert res["deterministic"] == {"days": 7, "date": finish}
    assert {f["p"]: (f["days"], f["date"]) for f in res["finish"]} == {
        p: (7, finish) for p in (10, 50, 80, 90)
    }
    assert res["histogram"]["edges_days"][0] == 7
    assert res["warnings"] == []


def test_progress_remaining_work_only_varies(seed: Any) -> None:
    """With estimates that can only be late (optimistic = most likely) no iteration finishes before the
    schedule; the complete task does not vary (no sensitivity, never critical, its certain risk delays
    nothing); the in-progress task samples only its remaining work (1 day, up to 1.5 days more)."""
    _estimates(seed)  # A 2/3/6 d (complete: ignored), B 1/2/4 d
    finish = _half_done(seed)
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        b = tasks.get_task(s, pm, seed.p1, seed.tasks["b"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["b"], b["version"], optimistic="2d")
        risk.create_risk(s, pm, seed.p1, title="Rework", probability=5, impact_schedule=5,
                         probability_value=1.0, task_id=seed.tasks["a"])  # fmt: skip
    run = _run(seed, iterations=2000, spread_high=50)
    res = run["result"]
    f = _finish(run)
    assert res["deterministic"]["date"] == finish
    assert res["histogram"]["edges_days"][0] >= 7 and f[50] >= 7 and f[90] <= 8
    assert f[90] > 7.5  # B's remaining day (1, 1, 2 days of 2/2/4 halved) varies
    by_name = {t["name"]: t for t in res["tasks"]}
    assert by_name["Task A"]["sensitivity"] == 0 and by_name["Task A"]["criticality"] == 0
    assert by_name["Task B"]["criticality"] > 0.9  # C (1 to 1.5 days from the status date) rarely drives
    assert res["p_target_date"] is None


def test_no_progress_same_results_as_before(seed: Any) -> None:
    """Without progress the run is what it was before progress was simulated (pinned for this seed)."""
    _estimates(seed)
    run = _run(seed, rng_seed=7)
    assert _finish(run) == {10: 4.74, 50: 5.94, 80: 6.92, 90: 7.38}
    assert run["result"]["mean"] == {"days": 6.03, "date": "2020-01-14T09:14:00"}
    assert run["result"]["std_days"] == 1.04


def test_execute_in_the_callers_session_sees_its_uncommitted_plan(seed: Any) -> None:
    """A caller holding a unit of work (a script, the demo) runs the simulation in it: the run sees the plan as
    the session has it and its result is stored when the caller commits (no adapter, no second connection)."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        a = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["a"], a["version"], duration="5d")  # not committed yet
        run = simulation.create_run(s, pm, seed.p1, iterations=200, seed=1)
        simulation.execute_in_session(s, run["id"])
        out = simulation.get_run(s, pm, seed.p1, run["id"])
        assert out["status"] == "done" and out["result"]["deterministic"]["days"] == 7
    with seed.db.uow(readonly=True) as s:
        stored = simulation.get_run(s, pm, seed.p1, run["id"])
    assert stored["status"] == "done" and stored["result"] == out["result"]


# ------------------------------------------------------------------------------------------ constraints


def _schedule_finish(seed: Any) -> str:
    from charter.persistence.models import ProjectSchedule

    with seed.db.uow(readonly=True) as s:
        row = s.get(ProjectSchedule, seed.p1)
        assert row is not None and row.finish is not None
        return row.finish.isoformat()


def test_snet_and_levelled_start_delay_the_simulated_finish(seed: Any) -> None:
    """An SNET on Task C (day 6) and a levelled start on Task A (day 2) hold them back in every iteration, as in
    the schedule: the P50 is later than without, and with fixed durations the run finishes when the schedule
    does (7 working days)."""
    from charter.services import scheduling

    _estimates(seed)
    base = _run(seed, rng_seed=4)
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        inp = simulation.build_inputs(s, seed.p1, {})
        assert inp.constraints is None  # nothing constrained: the engine gets no constraint arrays
        cal, w0 = inp.cal, inp.start_w
        c = tasks.get_task(s, pm, seed.p1, seed.tasks["c"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["c"], c["version"], constraint_type="snet",
                          constraint_date=cal.to_datetime(w0 + 6 * MPD))  # fmt: skip
    snet = _run(seed, rng_seed=4)
    assert _finish(snet)[50] > _finish(base)[50]
    assert min(_finish(snet).values()) >= 7  # C (1 day) starts at day 6 at the earliest
    assert snet["result"]["deterministic"] == {"days": 7, "date": _schedule_finish(seed)}
    assert snet["result"]["warnings"] == []

    with seed.db.uow() as s:  # levelling moved Task A to day 2 (C's SNET removed): A 2..5, B 5..7
        c = tasks.get_task(s, pm, seed.p1, seed.tasks["c"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["c"], c["version"], constraint_type="asap",
                          constraint_date=None)  # fmt: skip
        s.execute(
            update(Task)
            .where(Task.id == seed.tasks["a"])
            .values(levelled_start=cal.to_datetime(w0 + 2 * MPD))
        )
        scheduling.recompute(s, seed.p1)
    levelled = _run(seed, rng_seed=4)
    assert _finish(levelled)[50] > _finish(base)[50]
    for p, days in _finish(base).items():  # A and B shifted by two days (C has float)
        assert _finish(levelled)[p] >= days + 2 - 0.01
    assert levelled["result"]["deterministic"] == {"days": 7, "date": _schedule_finish(seed)}


def test_deterministic_finish_is_the_schedules_with_pins_and_deadlines(seed: Any) -> None:
    """MSO on Task B against the logic (day 1, while A ends at day 3), FNET on Task C (end of day 6), a missed
    deadline on Task A: the run's deterministic finish is the schedule's project finish, and A, which misses
    its deadline, is critical in every iteration."""
    pm = seed.actor("pm")
    with seed.db.uow() as s:
        inp = simulation.build_inputs(s, seed.p1, {})
        cal, w0 = inp.cal, inp.start_w
        for key, values in (
            ("b", {"constraint_type": "mso", "constraint_date": cal.to_datetime(w0 + MPD)}),
            ("c", {"constraint_type": "fnet", "constraint_date": cal.to_datetime(w0 + 6 * MPD, finish=True)}),
            ("a", {"deadline": cal.to_datetime(w0 + 2 * MPD, finish=True)}),
        ):
            t = tasks.get_task(s, pm, seed.p1, seed.tasks[key])
            tasks.update_task(s, pm, seed.p1, seed.tasks[key], t["version"], **values)
    _estimates(seed)
    run = _run(seed, iterations=1000, rng_seed=2)
    res = run["result"]
    assert res["deterministic"] == {"days": 6, "date": _schedule_finish(seed)}
    assert min(_finish(run).values()) >= 6  # C cannot finish before the end of day 6
    crit = {t["name"]: t["criticality"] for t in res["tasks"]}
    assert crit["Task A"] == 1 and crit["Task B"] == 1  # A misses its deadline; B is pinned


def test_constraint_outside_the_calendar_and_own_calendar_warning(seed: Any) -> None:
    """A deadline outside the project calendar's range is refused naming the field; a task on its own calendar
    that the schedule has placed needs no warning, one the schedule has not computed yet gets one."""
    from sqlalchemy import delete

    from charter.persistence.models import TaskComputed

    pm = seed.actor("pm")
    with seed.db.uow() as s:
        cid = _calendar(s, pm, seed, "24x7", [0, 1, 2, 3, 4, 5, 6], [[0, 1440]])
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["c"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["c"], t["version"], calendar_id=cid)
    run = _run(seed, iterations=100)
    assert run["result"]["warnings"] == []
    with seed.db.uow() as s:
        s.execute(delete(TaskComputed).where(TaskComputed.task_id == seed.tasks["c"]))
        assert simulation.build_inputs(s, seed.p1, {}).warnings == [
            "1 task on its own calendar has no computed schedule yet: its duration is simulated as "
            "project-calendar working time"
        ]
        s.rollback()
    with seed.db.uow() as s:
        s.execute(update(Task).where(Task.id == seed.tasks["b"]).values(deadline=date(2100, 1, 1)))
        with pytest.raises(ValidationError) as e:
            simulation.build_inputs(s, seed.p1, {})
        assert e.value.field == "deadline" and "Task B" in e.value.message
        s.rollback()


# ------------------------------------------------------------------------------------------- task calendars


def _calendar(s: Any, pm: Any, seed: Any, name: str, weekdays: list[int], shifts: list[list[int]]) -> int:
    from charter.services import calendars

    return int(calendars.create_calendar(s, pm, seed.p1, name=name, weekdays=weekdays, shifts=shifts)["id"])


def _on(seed: Any, key: str, **values: Any) -> None:
    with seed.db.uow() as s:
        t = tasks.get_task(s, seed.actor("pm"), seed.p1, seed.tasks[key])
        tasks.update_task(s, seed.actor("pm"), seed.p1, seed.tasks[key], t["version"], **values)


def _schedule_days(seed: Any) -> tuple[float, str]:
    """The schedule's project finish in working days of the project calendar from the project start, and as
    the run shows it (the finish side of the project calendar: a 24x7 task may end at night)."""
    from charter.persistence.models import ProjectSchedule

    with seed.db.uow(readonly=True) as s:
        inp = simulation.build_inputs(s, seed.p1, {})
        row = s.get(ProjectSchedule, seed.p1)
        assert row is not None and row.finish is not None
        w = inp.cal.to_working(row.finish)
        return round((w - inp.start_w) / MPD, 2), inp.cal.to_datetime(w, finish=True).isoformat()


def _all_at(run: dict[str, Any], days: float, when: str) -> None:
    res = run["result"]
    assert res["deterministic"] == {"days": days, "date": when}
    assert {f["p"]: (f["days"], f["date"]) for f in res["finish"]} == {
        p: (days, when) for p in (10, 50, 80, 90)
    }
    assert res["warnings"] == []


def test_a_24x7_task_is_simulated_at_its_scheduled_length(seed: Any) -> None:
    """Task A on a 24x7 calendar for 60 hours (3600 of its minutes) from Monday 00:00 ends Wednesday 12:00: 2.375
    project days, not 7.5. Task C follows it 12 working hours later (1.5 days on the project calendar, ending at
    4.875); moved to 24x7 for 48 hours, it starts 12 hours (of its calendar) after A, Thursday 00:00, and ends
    Saturday 00:00 (the end of day 5). With fixed durations every percentile is the schedule's finish."""
    with seed.db.uow() as s:
        cid = _calendar(s, seed.actor("pm"), seed, "24x7", [0, 1, 2, 3, 4, 5, 6], [[0, 1440]])
        tasks.create_link(
            s, seed.actor("pm"), seed.p1, pred_id=seed.tasks["a"], succ_id=seed.tasks["c"], lag="12h"
        )
    _on(seed, "a", calendar_id=cid, duration="60h")
    days, when = _schedule_days(seed)
    assert days == 4.88  # A, then C (B: 2 days from Wednesday 12:00 end at 4.375)
    _all_at(_run(seed, iterations=300), days, when)
    _on(seed, "c", calendar_id=cid, duration="48h")
    days, when = _schedule_days(seed)
    assert days == 5 and when.startswith("2020-01-10T18:00")  # C ends Saturday 00:00
    _all_at(_run(seed, iterations=300), days, when)


def test_a_part_time_task_takes_longer_in_project_time(seed: Any) -> None:
    """Task A on a 4-hour-day calendar (09:00-13:00): its 3 days (1440 minutes) take 6 of its days, so 5.5
    project days (to Monday 13:00), and B ends at 7.5. Task C, part-time too, after B (which ends Wednesday
    13:00) waits for its calendar until Thursday 09:00 and ends Friday 13:00: 9.5 project days."""
    with seed.db.uow() as s:
        cid = _calendar(s, seed.actor("pm"), seed, "Part time", [0, 1, 2, 3, 4], [[540, 780]])
    _on(seed, "a", calendar_id=cid)
    days, when = _schedule_days(seed)
    assert days == 7.5
    _all_at(_run(seed, iterations=300), days, when)
    with seed.db.uow() as s:
        tasks.create_link(s, seed.actor("pm"), seed.p1, pred_id=seed.tasks["b"], succ_id=seed.tasks["c"])
    _on(seed, "c", calendar_id=cid)
    days, when = _schedule_days(seed)
    assert days == 9.5
    _all_at(_run(seed, iterations=300), days, when)
    _estimates(seed)  # A 2/3/6 d of its calendar: 4 to 12 of its half days
    f = _finish(_run(seed, iterations=2000))
    assert 7.5 < f[50] < 12 and f[90] > 10


def test_a_constraint_date_counts_on_the_tasks_own_calendar(seed: Any) -> None:
    """Task C on a 09:00-13:00 calendar, start no earlier than Thursday 15:00: its calendar first works on Friday
    09:00, so its 2 half days end Monday 13:00 (5.5 project days, after B at 5), as in the schedule."""
    with seed.db.uow() as s:
        cid = _calendar(s, seed.actor("pm"), seed, "Part time", [0, 1, 2, 3, 4], [[540, 780]])
        inp = simulation.build_inputs(s, seed.p1, {})
        cal, w0 = inp.cal, inp.start_w
    _on(
        seed,
        "c",
        calendar_id=cid,
        constraint_type="snet",
        constraint_date=cal.to_datetime(w0 + 3 * MPD + 300),
    )
    days, when = _schedule_days(seed)
    assert days == 5.5
    _all_at(_run(seed, iterations=300), days, when)


def test_a_started_24x7_task_converts_work_done_and_remaining(seed: Any) -> None:
    """Task A, 24x7 for 72 hours, started Monday 09:00 and half done (36 hours: Tuesday 21:00); the status date
    Wednesday 11:00 holds its rest until then, so it ends Thursday 23:00 and B runs Friday and Monday: the run
    finishes at day 6 in every iteration (not 11, as 2160 + 2160 project minutes would make it)."""
    from charter.persistence.models import ProjectSchedule
    from charter.services import scheduling

    pm = seed.actor("pm")
    with seed.db.uow() as s:
        cid = _calendar(s, pm, seed, "24x7", [0, 1, 2, 3, 4, 5, 6], [[0, 1440]])
        inp = simulation.build_inputs(s, seed.p1, {})
        cal, w0 = inp.cal, inp.start_w
    _on(seed, "a", calendar_id=cid, duration="72h", actual_start=cal.to_datetime(w0), percent_complete=50)
    with seed.db.uow() as s:
        row = s.get(ProjectSchedule, seed.p1)
        scheduling.set_status_date(
            s, pm, seed.p1, cal.to_datetime(w0 + 2 * MPD + 120), row.version if row else 0
        )
    days, when = _schedule_days(seed)
    assert days == 6
    _all_at(_run(seed, iterations=300), days, when)


def test_a_percent_lag_varies_with_its_predecessors_sampled_duration(seed: Any) -> None:
    """Task A (2d/3d/6d) -> Task B (2d) with a 100 % lag: B starts after A's sampled duration again, so the
    finish spreads twice as wide as with no lag (the same samples for a seed); at the most likely durations
    the run finishes where the schedule does (3 + 3 + 2 days)."""
    from sqlalchemy import select

    from charter.persistence.models import TaskLink

    with seed.db.uow() as s:
        pm = seed.actor("pm")
        t = tasks.get_task(s, pm, seed.p1, seed.tasks["a"])
        tasks.update_task(s, pm, seed.p1, seed.tasks["a"], t["version"], optimistic="2d", most_likely="3d",
                          pessimistic="6d")  # fmt: skip
    plain = _finish(_run(seed, rng_seed=3))
    with seed.db.uow() as s:
        link = s.scalars(select(TaskLink).where(TaskLink.succ_id == seed.tasks["b"])).one()
        tasks.update_link(s, seed.actor("pm"), seed.p1, link.id, link.version, lag="100%")
    run = _run(seed, rng_seed=3)
    pct = _finish(run)
    assert run["result"]["deterministic"]["days"] == 8
    assert pct[90] - pct[10] == pytest.approx(2 * (plain[90] - plain[10]), abs=0.05)
    assert pct[50] - 2 == pytest.approx(2 * (plain[50] - 2), abs=0.05)
