"""Team leadership pages: the team (who, role, department, load this week and next), the workload histograms
with their over-allocations, resource levelling (preview, accept, undo) and a Task Leader's work-package
board, whose cards move between status columns. Every page reads services only; every change goes through
services (levelling; tasks.move_task for a card)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import wbs
from charter.domain.errors import CharterError, Conflict, NotFound, ValidationError
from charter.services import (
    accounts,
    levelling,
    org,
    projects,
    roles,
    scheduling,
    tasks,
    work_packages,
    workload,
)
from charter.services.context import now
from charter.web.app import render
from charter.web.discussion import discussion
from charter.web.forms import DB, Checked, FormData, Session, req_int

router = APIRouter()

DEFAULT_DAYS = 28
DAY_BARS = 62  # longer periods are drawn per week
CHART_H = 120  # drawing height of a histogram, in SVG units
STATUSES = (("not_started", "Not started"), ("in_progress", "In progress"), ("completed", "Completed"),
            ("on_hold", "On hold"))  # fmt: skip


# --------------------------------------------------------------------------------------------- helpers


def _monday(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def _pct(load: int, cap: int) -> int | None:
    return round(load * 100 / cap) if cap else None


def _when(value: Any) -> Any:
    """An ISO text from a stored levelling result as a datetime (other values unchanged)."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _date_param(value: str | None, field: str) -> dt.date | None:
    v = (value or "").strip()
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be a date (YYYY-MM-DD)", field=field) from None


def _buckets(days: list[dict[str, Any]], by_week: bool) -> list[dict[str, Any]]:
    """Days (load, capacity, over) as bars: one per day, or summed per ISO week (over if any day is)."""
    if not by_week:
        return [{"label": d["day"].isoformat(), "short": d["day"].strftime("%a %d"), "load": d["load_minutes"],
                 "cap": d["capacity_minutes"], "over": d["over"]} for d in days]  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for d in days:
        iso = d["day"].isocalendar()
        key = f"{iso.year}-W{iso.week:02d}"
        b = out.setdefault(
            key, {"label": key, "short": f"W{iso.week:02d}", "load": 0, "cap": 0, "over": False}
        )
        b["load"] += d["load_minutes"]
        b["cap"] += d["capacity_minutes"]
        b["over"] = b["over"] or d["over"]
    return list(out.values())


def histogram(days: list[dict[str, Any]], by_week: bool) -> dict[str, Any]:
    """The geometry of one SVG histogram: a bar per bucket (load) and a step line (capacity)."""
    bars = _buckets(days, by_week)
    bw = max(14 if not by_week else 28, min(40, 640 // max(len(bars), 1)))
    top = max([b["load"] for b in bars] + [b["cap"] for b in bars] + [60])
    cap_path = []
    for i, b in enumerate(bars):
        h = round(b["load"] / top * CHART_H, 1)
        cap_y = round(CHART_H - b["cap"] / top * CHART_H, 1)
        tick = bw >= 30 or by_week or i % 7 == 0 or (i == 0)
        b.update(x=i * bw + 1, w=bw - 2, tick=b["short"] if tick else "", mid=i * bw + bw / 2, y=round(CHART_H - h, 1), h=h, cap_y=cap_y,
                 load_h=_hours(b["load"]), cap_h=_hours(b["cap"]), off=b["cap"] == 0)  # fmt: skip
        cap_path.append(f"{'M' if i == 0 else 'L'}{i * bw},{cap_y} H{(i + 1) * bw}")
    return {
        "bars": bars,
        "width": max(len(bars) * bw, bw),
        "height": CHART_H,
        "top_h": _hours(top),
        "cap_path": " ".join(cap_path),
        "over": sum(1 for b in bars if b["over"]),
    }


def _team_days(people: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The team's total per day; a day is over when someone is over-allocated on it."""
    out = []
    for i in range(n):
        rows = [p["days"][i] for p in people]
        out.append({"day": rows[0]["day"], "load_minutes": sum(r["load_minutes"] for r in rows),
                    "capacity_minutes": sum(r["capacity_minutes"] for r in rows),
                    "over": any(r["over"] for r in rows)})  # fmt: skip
    return out


def _week_load(person: dict[str, Any], monday: dt.date) -> dict[str, Any]:
    days = [d for d in person["days"] if monday <= d["day"] < monday + dt.timedelta(days=7)]
    load = sum(d["load_minutes"] for d in days)
    cap = sum(d["capacity_minutes"] for d in days)
    return {"load_h": _hours(load), "cap_h": _hours(cap), "pct": _pct(load, cap),
            "over": any(d["over"] for d in days)}  # fmt: skip


def _directory(s: Any, actor: Any) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    users = {u["id"]: u for u in accounts.list_users(s, actor)}
    depts = {d["id"]: d["name"] for d in org.list_departments(s, actor)}
    return users, depts


def _back(url: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


# --------------------------------------------------------------------------------------------- team


@router.get("/projects/{project_id}/team", response_class=HTMLResponse)
def team_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    actor = info.actor
    this_week = _monday(now().date())
    next_week = this_week + dt.timedelta(days=7)
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        held = roles.list_assignments(s, actor, project_id, current_only=True)
        wl = workload.workload(s, actor, start=this_week, end=next_week + dt.timedelta(days=6),
                               project_id=project_id)  # fmt: skip
        users, depts = _directory(s, actor)
        wps = work_packages.list_work_packages(s, actor, project_id)
    members: dict[Any, dict[str, Any]] = {}

    def member(key: Any, name: str, user_id: int | None) -> dict[str, Any]:
        u = users.get(user_id) if user_id is not None else None
        return members.setdefault(key, {"user_id": user_id, "name": name, "roles": [], "person": None,
                                        "department": (u or {}).get("department")})  # fmt: skip

    for a in held:
        m = member(a["user_id"], a["user"] or f"user {a['user_id']}", a["user_id"])
        m["roles"].append(a["role"] + (f" ({a['scope']})" if a["scope"] else ""))
    for p in wl["resources"]:
        m = member(
            p["user_id"] if p["user_id"] is not None else f"r{p['resource_id']}", p["name"], p["user_id"]
        )
        m["person"] = p
        if p["department_id"] is not None:
            m["department"] = depts.get(p["department_id"], m["department"])
        m["this_week"] = _week_load(p, this_week)
        m["next_week"] = _week_load(p, next_week)
    rows = sorted(members.values(), key=lambda m: m["name"].lower())
    return render(request, "team.html", {
        "project": project, "view": "team", "members": rows, "this_week": this_week, "next_week": next_week,
        "over_people": [m for m in rows if m["person"] and m["person"]["over_days"]], "wps": wps,
    })  # fmt: skip


# --------------------------------------------------------------------------------------------- workload


@router.get("/projects/{project_id}/workload", response_class=HTMLResponse)
def workload_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    actor = info.actor
    qp = request.query_params
    error = None
    try:
        start = _date_param(qp.get("from"), "from")
        end = _date_param(qp.get("to"), "to")
    except ValidationError as exc:
        error, start, end = {"form": "period", "message": exc.message, "field": exc.field}, None, None
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        if start is None:
            start = _monday(now().date())
            sched = scheduling.get_schedule(s, actor, project_id)
            first, last = sched["start"], sched["finish"]
            if first and last and (last.date() < start or first > start + dt.timedelta(days=DEFAULT_DAYS)):
                start = _monday(first)  # the plan lies elsewhere: show its first weeks
        end = end or start + dt.timedelta(days=DEFAULT_DAYS - 1)
        try:
            wl = workload.workload(s, actor, start=start, end=end, project_id=project_id)
        except ValidationError as exc:
            error = {"form": "period", "message": exc.message, "field": exc.field}
            end = start + dt.timedelta(days=DEFAULT_DAYS - 1)
            wl = workload.workload(s, actor, start=start, end=end, project_id=project_id)
    n = (end - start).days + 1
    by_week = qp.get("by") == "week" or (qp.get("by") != "day" and n > DAY_BARS)
    people = [{**p, "chart": histogram(p["days"], by_week)} for p in wl["resources"]]
    team = histogram(_team_days(wl["resources"], n), by_week) if people else None
    span = dt.timedelta(days=n)

    def period(a: dt.date, b: dt.date) -> str:
        return f"/projects/{project_id}/workload?" + urlencode({"from": a.isoformat(), "to": b.isoformat()})

    return render(request, "workload.html", {
        "project": project, "view": "workload", "people": people, "team": team, "start": start, "end": end,
        "by_week": by_week, "over": wl["overallocations"], "error": error, "hours": _hours,
        "prev_url": period(start - span, end - span), "next_url": period(start + span, end + span),
    }, 422 if error else 200)  # fmt: skip


# --------------------------------------------------------------------------------------------- levelling


def _run_view(run: dict[str, Any]) -> dict[str, Any]:
    changes = [{**c, **{k: _when(c[k]) for k in ("old_start", "new_start", "old_finish", "new_finish")}}
               for c in run.get("changes", [])]  # fmt: skip
    return {**run, "changes": changes, "old_finish": _when(run.get("old_finish")),
            "new_finish": _when(run.get("new_finish")), "finish": _when(run.get("finish"))}  # fmt: skip


def _levelling(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    run_id: int | None = None,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        caps = projects.capabilities(s, actor, project_id)
        runs = [_run_view(r) for r in levelling.list_runs(s, actor, project_id)]
        sched = scheduling.get_schedule(s, actor, project_id)
    run = None
    if run_id is not None:
        run = next((r for r in runs if r["id"] == run_id), None)
        if run is None:
            raise NotFound(f"levelling run {run_id} not found in this project", field="run_id")
    return render(request, "levelling.html", {
        "project": project, "view": "levelling", "may_level": "task.edit" in caps, "runs": runs, "run": run,
        "finish": sched["finish"], "plan_revision": sched["plan_revision"], "error": error,
        "values": values or {},
    }, status)  # fmt: skip


@router.get("/projects/{project_id}/levelling", response_class=HTMLResponse)
def levelling_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _levelling(request, db, info, project_id)


@router.post("/projects/{project_id}/levelling", response_class=HTMLResponse)
def levelling_preview(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        raw = (form.get("time_limit") or "10").strip()
        try:
            limit = float(raw)
        except ValueError:
            raise ValidationError("must be a number of seconds", field="time_limit") from None
        with db.uow() as s:
            run = levelling.preview(s, info.actor, project_id, method=form.get("method") or "heuristic",
                                    time_limit=limit, within_slack=form.get("within_slack") == "on")  # fmt: skip
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project"):
            raise
        err = {"form": "level", "message": exc.message, "field": exc.field}
        return _levelling(request, db, info, project_id, error=err, values={**form, "_form": "level"},
                          status=exc.http_status)  # fmt: skip
    return _back(f"/projects/{project_id}/levelling/{run['id']}")


@router.get("/projects/{project_id}/levelling/{run_id}", response_class=HTMLResponse)
def levelling_run(request: Request, project_id: int, run_id: int, db: DB, info: Session) -> HTMLResponse:
    return _levelling(request, db, info, project_id, run_id)


def _decide(request: Request, db: DB, info: Any, project_id: int, run_id: int, action: str) -> Response:
    try:
        with db.uow() as s:
            (levelling.accept if action == "accept" else levelling.undo)(s, info.actor, project_id, run_id)
    except Conflict as exc:
        err = {"form": "decide", "message": exc.message, "field": exc.field, "stale": True}
        return _levelling(request, db, info, project_id, run_id, error=err, status=409)
    return _back(f"/projects/{project_id}/levelling/{run_id}", "result")


@router.post("/projects/{project_id}/levelling/{run_id}/accept", response_class=HTMLResponse)
def levelling_accept(request: Request, project_id: int, run_id: int, db: DB, info: Checked) -> Response:
    return _decide(request, db, info, project_id, run_id, "accept")


@router.post("/projects/{project_id}/levelling/{run_id}/undo", response_class=HTMLResponse)
def levelling_undo(request: Request, project_id: int, run_id: int, db: DB, info: Checked) -> Response:
    return _decide(request, db, info, project_id, run_id, "undo")


# --------------------------------------------------------------------------------------------- board


def _pending_hours(s: Any, actor: Any, project_id: int, task_ids: set[int]) -> list[dict[str, Any]] | None:
    """Submitted hours on the package's tasks the actor may approve; None when timesheets are unavailable."""
    try:
        from charter.services import timesheets
    except ImportError:
        return None
    pending = getattr(timesheets, "approvals_for", None)
    if pending is None:
        return None
    return [e for e in pending(s, actor) if e["project_id"] == project_id and e["task_id"] in task_ids]


def _board(
    request: Request,
    db: DB,
    info: Any,
    project_id: int,
    wp_id: int,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    actor = info.actor
    today = now().replace(tzinfo=None)
    start = _monday(today.date())
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        wps = work_packages.list_work_packages(s, actor, project_id)
        wp = next((w for w in wps if w["id"] == wp_id), None)
        if wp is None:
            raise NotFound(f"work package {wp_id} not found in this project", field="wp_id")
        sched = scheduling.get_schedule(s, actor, project_id)
        inside = wbs.subtree({w["id"]: w["parent_id"] for w in wps}, [wp_id])
        mine = [t for t in sched["tasks"] if t["work_package_id"] in inside]
        rids = sorted({a["resource_id"] for t in mine for a in t["assignees"]})
        wl = (workload.workload(s, actor, start=start, end=start + dt.timedelta(days=DEFAULT_DAYS - 1),
                                resource_ids=rids) if rids else {"resources": [], "overallocations": []})  # fmt: skip
        approvals = _pending_hours(s, actor, project_id, {t["id"] for t in mine})
        movable = tasks.progress_editable(s, actor, project_id, [t["id"] for t in mine])
        about = discussion(s, actor, project_id, "work_package", wp_id)
    by_id = {t["id"]: t for t in sched["tasks"]}
    blocked = []
    for t in mine:
        if t["status"] in ("completed", "cancelled") or t["percent_complete"] >= 100:
            continue
        waiting = [by_id[lk["pred_id"]] for lk in sched["links"] if lk["succ_id"] == t["id"]
                   and by_id[lk["pred_id"]]["percent_complete"] < 100
                   and by_id[lk["pred_id"]]["status"] != "completed"]  # fmt: skip
        late = waiting and t["start"] is not None and t["start"] <= today and t["percent_complete"] == 0
        if late or t["violation"]:
            blocked.append({"task": t, "waiting": waiting if late else [], "violation": t["violation"]})
    columns = [(key, label, [t for t in mine if t["status"] == key]) for key, label in STATUSES]
    overloaded = [p for p in wl["resources"] if p["over_days"]]
    over_days = {p["resource_id"]: [o for o in wl["overallocations"] if o["resource_id"] == p["resource_id"]]
                 for p in overloaded}  # fmt: skip
    return render(request, "wp_board.html", {
        "project": project, "view": "board", "wp": wp, "columns": columns, "tasks": mine, "blocked": blocked,
        "overloaded": overloaded, "over_days": over_days, "approvals": approvals, "period_start": start,
        "period_end": start + dt.timedelta(days=DEFAULT_DAYS - 1), "hours": _hours,
        "cancelled": [t for t in mine if t["status"] == "cancelled"], "wps": wps, "discussion": about,
        "movable": movable, "statuses": STATUSES, "error": error, "values": values or {},
        "error_on_board": error is not None and any(t["id"] == error.get("task_id") for _, _, c in columns for t in c),
    }, status)  # fmt: skip


@router.get("/projects/{project_id}/work-packages/{wp_id}/board", response_class=HTMLResponse)
def board_page(request: Request, project_id: int, wp_id: int, db: DB, info: Session) -> HTMLResponse:
    return _board(request, db, info, project_id, wp_id)


@router.post("/projects/{project_id}/work-packages/{wp_id}/board/move", response_class=HTMLResponse)
def board_move(
    request: Request, project_id: int, wp_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """A card moved to another column (the form, or the drag that submits it): tasks.move_task decides what the
    status means for progress. A refusal or a stale version shows the board as it is now, the error at the card."""
    task_id = None
    try:
        task_id = req_int(form, "task_id")
        with db.uow() as s:
            card = tasks.get_task(s, info.actor, project_id, task_id)
            if card["work_package_id"] not in work_packages.subtree(s, project_id, [wp_id]):
                raise NotFound(f"task {task_id} is not on this board", field="task_id")
            tasks.move_task(
                s, info.actor, project_id, task_id, req_int(form, "version"), form.get("status") or ""
            )
    except CharterError as exc:
        if exc.http_status in (401, 403, 404):
            raise
        err = {
            "form": "move",
            "task_id": task_id,
            "message": exc.message,
            "field": exc.field,
            "stale": exc.field == "version",
        }
        return _board(request, db, info, project_id, wp_id, error=err, status=exc.http_status)
    return _back(f"/projects/{project_id}/work-packages/{wp_id}/board", f"task-{task_id}")
