"""Risk pages: the register (filters, heat map, top risks, burndown, risks per work package), a risk's page
(ratings history, response actions, discussion, journal link) and the Monte Carlo simulation page (form,
results as SVG charts, runs for comparison). Every page reads services only."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from charter.domain import risk as rules
from charter.domain.errors import CharterError, ValidationError
from charter.domain.roles import Perm
from charter.services import conflicts, projects, risk, simulation, work_packages
from charter.services.authz import can
from charter.web.app import render
from charter.web.discussion import discussion
from charter.web.forms import DB, Checked, FormData, Session

router = APIRouter()
W, H = 640, 160  # chart drawing area, SVG units

LEVEL_FIELDS = ("probability", "impact_schedule", "impact_cost", "impact_quality", "impact_scope",
                "residual_probability", "residual_impact")  # fmt: skip
TEXT_FIELDS = ("title", "cause", "event", "effect", "response", "triggers", "kind", "category", "strategy")


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _int(v: str | None, field: str) -> int | None:
    v = (v or "").strip()
    if not v:
        return None
    try:
        return int(v)
    except ValueError:
        raise ValidationError("must be a whole number", field=field) from None


def _date(v: str | None, field: str) -> dt.date | None:
    v = (v or "").strip()
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be a date (YYYY-MM-DD)", field=field) from None


def _fields(form: dict[str, str], *, partial: bool) -> dict[str, Any]:
    """Form fields as service fields; `partial`: only the fields the form carries (an edit)."""
    out: dict[str, Any] = {}
    for k in TEXT_FIELDS:
        if k in form or not partial:
            v = (form.get(k) or "").strip()
            if k == "strategy":
                out[k] = v or None
            elif v or k not in ("kind", "category"):
                out[k] = v
    for k in (*LEVEL_FIELDS, "owner_id", "work_package_id", "task_id"):
        if k in form:
            out[k] = _int(form.get(k), k)
    if "probability_value" in form:
        v = (form.get("probability_value") or "").strip()
        try:
            out["probability_value"] = float(v) if v else None
        except ValueError:
            raise ValidationError("must be a number between 0 and 1", field="probability_value") from None
    for k in ("proximity", "review_date"):
        if k in form:
            out[k] = _date(form.get(k), k)
    return {k: v for k, v in out.items() if partial or v not in (None, "")}


def _members(s: Any, actor: Any, project_id: int) -> list[dict[str, Any]]:
    from charter.services import roles

    seen: dict[int, dict[str, Any]] = {}
    for a in roles.list_assignments(s, actor, project_id, current_only=True):
        seen.setdefault(a["user_id"], {"id": a["user_id"], "name": a["user"] or f"user {a['user_id']}"})
    return sorted(seen.values(), key=lambda m: m["name"])


def _tasks(s: Any, actor: Any, project_id: int) -> list[dict[str, Any]]:
    from charter.services import scheduling

    return [{"id": t["id"], "name": t["name"], "wbs_code": t["wbs_code"]}
            for t in scheduling.get_schedule(s, actor, project_id)["tasks"]]  # fmt: skip


# --------------------------------------------------------------------------------------------- charts


def burndown_chart(weeks: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not weeks:
        return None
    top = max([w["exposure"] for w in weeks] + [w["opportunity"] for w in weeks] + [1])
    step = W / max(len(weeks) - 1, 1)

    def pts(key: str) -> str:
        return " ".join(f"{round(i * step, 1)},{round(H - w[key] / top * H, 1)}" for i, w in enumerate(weeks))

    ticks = [{"x": round(i * step, 1), "label": w["label"]} for i, w in enumerate(weeks)
             if i % max(1, len(weeks) // 8) == 0]  # fmt: skip
    dots = [{"x": round(i * step, 1), "y": round(H - w["exposure"] / top * H, 1), "label": w["label"],
             "value": w["exposure"]} for i, w in enumerate(weeks)]  # fmt: skip
    return {"w": W, "h": H, "top": top, "threats": pts("exposure"), "opportunities": pts("opportunity"),
            "ticks": ticks, "dots": dots}  # fmt: skip


def histogram_chart(hist: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    counts = hist["counts"]
    n = max(len(counts), 1)
    bw = W / n
    top = max([*counts, 1])
    bars = [{"x": round(i * bw, 1), "w": round(max(bw - 1, 1), 1), "y": round(H - c / top * H, 1),
             "h": round(c / top * H, 1), "count": c, "label": labels[i] if i < len(labels) else ""}
            for i, c in enumerate(counts)]  # fmt: skip
    cum = " ".join(
        f"{round((i + 1) * bw, 1)},{round(H - c * H, 1)}" for i, c in enumerate(hist["cumulative"])
    )
    return {"w": W, "h": H, "bars": bars, "cumulative": f"0,{H} " + cum, "first": labels[0] if labels else "",
            "last": labels[-1] if labels else ""}  # fmt: skip


def tornado_chart(drivers: list[dict[str, Any]], centre: float | None) -> dict[str, Any] | None:
    rows = [d for d in drivers if d["low_days"] is not None and d["high_days"] is not None]
    if not rows or centre is None:
        return None
    vals = [float(v) for d in rows for v in (d["low_days"], d["high_days"])] + [float(centre)]
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    label_w, bar_h = 220, 22
    area = W - label_w

    def x(v: float) -> float:
        return round(label_w + (float(v) - lo) / span * area, 1)

    out = []
    for i, d in enumerate(rows):
        a, b = sorted((d["low_days"], d["high_days"]))
        out.append({"y": i * bar_h, "x": x(a), "w": max(round(x(b) - x(a), 1), 1), "name": d["name"][:32],
                    "low": d["low_days"], "high": d["high_days"], "kind": d["kind"],
                    "sensitivity": d["sensitivity"]})  # fmt: skip
    return {"w": W, "h": len(out) * bar_h, "rows": out, "centre": x(centre), "lo": lo, "hi": hi}


# --------------------------------------------------------------------------------------------- register


@router.get("/projects/{project_id}/risks", response_class=HTMLResponse)
def register(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _register(request, db, info, project_id)


def _register(request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
              values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    qp = request.query_params
    filters: dict[str, Any] = {}
    for k in ("status", "kind", "category"):
        if qp.get(k):
            filters[k] = qp[k]
    for k in ("owner_id", "work_package_id", "probability", "impact"):
        try:
            v = _int(qp.get(k), k)
        except ValidationError:
            v = None
        if v is not None:
            filters[k] = v
    if qp.get("open_only") and "status" not in filters:  # a status chosen in the filter says it all
        filters["open_only"] = True
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        rows = risk.list_risks(s, actor, project_id, **filters)
        ov = risk.overview(s, actor, project_id)
        bd = risk.burndown(s, actor, project_id)
        wps = work_packages.list_work_packages(s, actor, project_id)
        members = _members(s, actor, project_id)
        may_raise = can(s, actor, project_id, Perm.RISK_RAISE)
    return render(request, "risk_register.html", {
        "project": project, "risks": rows, "overview": ov, "burndown": burndown_chart(bd), "weeks": bd,
        "filters": filters, "wps": wps, "members": members, "may_raise": may_raise, "error": error,
        "values": values or {}, "statuses": [x.value for x in rules.Status], "kinds": [x.value for x in rules.Kind],
        "categories": [x.value for x in rules.Category], "strategies": [x.value for x in rules.Strategy],
        "cell_url": lambda p, i: f"/projects/{project_id}/risks?"
        + urlencode({"probability": p, "impact": i, "open_only": 1}),  # the cell counts open risks
    }, status)  # fmt: skip


@router.post("/projects/{project_id}/risks", response_class=HTMLResponse)
def create(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        fields = _fields(form, partial=False)
        title = fields.pop("title", "")
        with db.uow() as s:
            r = risk.create_risk(s, info.actor, project_id, title=title, **fields)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project"):
            raise
        err = {"form": "add", "message": exc.message, "field": exc.field}
        return _register(request, db, info, project_id, err, {**form, "_form": "add"}, exc.http_status)
    return _back(f"/projects/{project_id}/risks/{r['id']}")


# --------------------------------------------------------------------------------------------- one risk


@router.get("/projects/{project_id}/risks/{risk_id}", response_class=HTMLResponse)
def risk_page(request: Request, project_id: int, risk_id: int, db: DB, info: Session) -> HTMLResponse:
    return _page(request, db, info, project_id, risk_id)


def _page(request: Request, db: Any, info: Any, project_id: int, risk_id: int, error: dict[str, Any] | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        r = risk.get_risk(s, actor, project_id, risk_id)
        scales = risk.get_scales(s, actor, project_id)["scales"]
        members = _members(s, actor, project_id) if r["may_manage"] else []
        task_list = _tasks(s, actor, project_id) if r["may_manage"] else []
        wps = work_packages.list_work_packages(s, actor, project_id) if r["may_manage"] else []
        may_comment = can(s, actor, project_id, Perm.RISK_RAISE)
        may_journal = can(s, actor, project_id, Perm.JOURNAL_READ)
        about = discussion(s, actor, project_id, "risk", risk_id)
    allowed = sorted(x.value for x in rules.TRANSITIONS[rules.Status(r["status"])])
    strategies = sorted(x.value for x in rules.STRATEGIES[rules.Kind(r["kind"])])
    return render(request, "risk_page.html", {
        "project": project, "r": r, "scales": scales, "members": members, "tasks": task_list, "wps": wps,
        "may_comment": may_comment, "may_journal": may_journal, "next_statuses": allowed,
        "strategies": strategies, "categories": [x.value for x in rules.Category], "error": error,
        "kinds": [x.value for x in rules.Kind], "discussion": about,
        "values": values or {}, "levels": list(rules.LEVELS),
    }, status)  # fmt: skip


def _post(request: Request, db: Any, info: Any, project_id: int, risk_id: int, name: str, form: dict[str, str],
          fn: Any) -> Response:  # fmt: skip
    try:
        with db.uow() as s:
            fn(s)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project", "risk_id"):
            raise
        err = {"form": name, "message": exc.message, "field": exc.field}
        return _page(request, db, info, project_id, risk_id, err, {**form, "_form": name}, exc.http_status)
    return _back(f"/projects/{project_id}/risks/{risk_id}")


@router.post("/projects/{project_id}/risks/{risk_id}", response_class=HTMLResponse)
def edit(request: Request, project_id: int, risk_id: int, form: FormData, db: DB, info: Checked) -> Response:
    def run(s: Any) -> None:
        version = _int(form.get("version"), "version") or 0
        fields = _fields({k: v for k, v in form.items() if k not in ("csrf_token", "version")}, partial=True)
        if form.get("status"):
            fields["status"] = form["status"]
            fields["occurred_on"] = _date(form.get("occurred_on"), "occurred_on")
            fields["issue_note"] = form.get("issue_note") or None
        risk.update_risk(s, info.actor, project_id, risk_id, version, **fields)
        if form.get("status") == "occurred" and form.get("open_conflict"):
            conflicts.from_risk(s, info.actor, project_id, risk_id)

    return _post(request, db, info, project_id, risk_id, "edit", form, run)


@router.post("/projects/{project_id}/risks/{risk_id}/conflict", response_class=HTMLResponse)
def to_conflict(
    request: Request, project_id: int, risk_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """An occurred risk becomes a conflict-log entry; on to its page."""
    made: dict[str, Any] = {}

    def run(s: Any) -> None:
        made.update(conflicts.from_risk(s, info.actor, project_id, risk_id))

    out = _post(request, db, info, project_id, risk_id, "conflict", form, run)
    return _back(f"/projects/{project_id}/conflicts/{made['id']}") if made else out


@router.post("/projects/{project_id}/risks/{risk_id}/comments", response_class=HTMLResponse)
def comment(
    request: Request, project_id: int, risk_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    return _post(request, db, info, project_id, risk_id, "comment", form,
                 lambda s: risk.add_comment(s, info.actor, project_id, risk_id, form.get("body") or ""))  # fmt: skip


@router.post("/projects/{project_id}/risks/{risk_id}/actions", response_class=HTMLResponse)
def action(
    request: Request, project_id: int, risk_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    def run(s: Any) -> None:
        tid = _int(form.get("task_id"), "task_id")
        if tid is not None:
            risk.add_action(s, info.actor, project_id, risk_id, task_id=tid)
        else:
            risk.add_action(s, info.actor, project_id, risk_id, name=form.get("name") or "",
                            duration=(form.get("duration") or "1d").strip())  # fmt: skip

    return _post(request, db, info, project_id, risk_id, "action", form, run)


# --------------------------------------------------------------------------------------------- scales


@router.get("/projects/{project_id}/risk-scales", response_class=HTMLResponse)
def scales_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _scales(request, db, info, project_id)


def _scales(request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
            values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        scales = risk.get_scales(s, info.actor, project_id)
        may_manage = can(s, info.actor, project_id, Perm.RISK_MANAGE)
    return render(request, "risk_scales.html", {
        "project": project, "scales": scales["scales"], "units": scales["units"], "may_manage": may_manage,
        "error": error, "values": values or {}, "view": "scales", "levels": list(rules.LEVELS),
    }, status)  # fmt: skip


def _scale_levels(form: dict[str, str]) -> list[dict[str, Any]]:
    """The scales form: ``{dimension}_{level}_{label|low|high}`` for every cell; an empty bound is open."""
    out = []
    for d in rules.Dimension:
        for i in rules.LEVELS:
            key = f"{d.value}_{i}"
            if f"{key}_label" not in form:
                continue
            item: dict[str, Any] = {"dimension": d.value, "level": i, "label": form[f"{key}_label"].strip()}
            for b in ("low", "high"):
                v = (form.get(f"{key}_{b}") or "").strip()
                try:
                    item[b] = float(v) if v else None
                except ValueError:
                    raise ValidationError(
                        f"{d.value} level {i}: {b} must be a number", field=f"{key}_{b}"
                    ) from None
            out.append(item)
    return out


@router.post("/projects/{project_id}/risk-scales", response_class=HTMLResponse)
def scales_save(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        levels = _scale_levels(form)
        with db.uow() as s:
            risk.set_scales(s, info.actor, project_id, levels)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project"):
            raise
        err = {"form": "scales", "message": exc.message, "field": exc.field}
        return _scales(request, db, info, project_id, err, {**form, "_form": "scales"}, exc.http_status)
    return _back(f"/projects/{project_id}/risk-scales")


# --------------------------------------------------------------------------------------------- simulation


@router.get("/projects/{project_id}/simulation", response_class=HTMLResponse)
def simulation_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    try:
        run_id = _int(request.query_params.get("run"), "run")
        compare_id = _int(request.query_params.get("compare"), "compare")
    except ValidationError:
        run_id = compare_id = None
    return _simulation(request, db, info, project_id, run_id, compare_id=compare_id)


def correlation_groups(text: str) -> list[dict[str, Any]]:
    """The form's correlation groups, one a line: ``rho: task id, task id, ...`` (e.g. ``0.8: 12, 13``)."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        rho, sep, ids = line.partition(":")
        try:
            if not sep:
                raise ValueError
            task_ids = [int(x) for x in ids.replace(";", ",").split(",") if x.strip()]
            coefficient = float(rho)
        except ValueError:
            raise ValidationError(f"line {n}: write 'coefficient: task id, task id' (e.g. 0.8: 12, 13)",
                                  field="correlation_groups") from None  # fmt: skip
        if len(task_ids) < 2:
            raise ValidationError(f"line {n}: a group needs at least two tasks", field="correlation_groups")
        out.append({"rho": coefficient, "task_ids": task_ids})
    return out


def compare_runs(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Side by side headline figures of two finished runs (the shown one and another), with the change."""
    ra, rb = a.get("result") or {}, b.get("result") or {}
    rows: list[dict[str, Any]] = []
    fa = {f["p"]: f for f in ra.get("finish") or []}
    fb = {f["p"]: f for f in rb.get("finish") or []}
    for p in sorted(set(fa) & set(fb)):
        x, y = fa[p]["days"], fb[p]["days"]
        rows.append({"label": f"P{p} finish", "a": f"{x} d ({(fa[p]['date'] or '')[:10]})",
                     "b": f"{y} d ({(fb[p]['date'] or '')[:10]})",
                     "delta": None if x is None or y is None else round(y - x, 2), "unit": " d"})  # fmt: skip
    ca = {c["p"]: c["value"] for c in ((ra.get("cost") or {}).get("percentiles") or [])}
    cb = {c["p"]: c["value"] for c in ((rb.get("cost") or {}).get("percentiles") or [])}
    for p in sorted(set(ca) & set(cb)):
        rows.append({"label": f"P{p} cost", "a": f"{ca[p]:,.2f}", "b": f"{cb[p]:,.2f}",
                     "delta": round(cb[p] - ca[p], 2), "unit": ""})  # fmt: skip
    for key, label in (("p_target_date", "P(target date)"), ("p_target_cost", "P(within budget)")):
        x, y = ra.get(key), rb.get(key)
        if x is not None and y is not None:
            rows.append({"label": label, "a": f"{x:.1%}", "b": f"{y:.1%}", "delta": round((y - x) * 100, 1),
                         "unit": " pts"})  # fmt: skip
    return rows


def _simulation(request: Request, db: Any, info: Any, project_id: int, run_id: int | None,
                error: dict[str, Any] | None = None, values: dict[str, str] | None = None,
                status: int = 200, compare_id: int | None = None) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    with db.uow() as s:  # reading a run may mark it failed (its process stopped)
        project = projects.get_project(s, actor, project_id)
        runs = simulation.list_runs(s, actor, project_id)
        if run_id is None and runs:
            run_id = runs[0]["id"]
        run = simulation.get_run(s, actor, project_id, run_id) if run_id is not None else None
        may_run = can(s, actor, project_id, Perm.RISK_MANAGE)
        other_id = (
            compare_id if compare_id is not None and run is not None and compare_id != run["id"] else None
        )
        other = simulation.get_run(s, actor, project_id, other_id) if other_id is not None else None
    comparison = compare_runs(run, other) if run and other and run["result"] and other["result"] else None
    charts: dict[str, Any] = {}
    if run and run["result"]:
        res = run["result"]
        h = res["histogram"]
        labels = [(d or "")[:10] for d in h["edges_dates"][1:]]
        charts["finish"] = histogram_chart(h, labels)
        if res.get("cost"):
            ch = res["cost"]["histogram"]
            charts["cost"] = histogram_chart(ch, [f"{e:,.0f}" for e in ch["edges"][1:]])
        charts["tornado"] = tornado_chart(res["tornado"], res["mean"]["days"])
    return render(request, "risk_simulation.html", {
        "project": project, "runs": runs, "run": run, "charts": charts, "may_run": may_run, "error": error,
        "values": values or {}, "refresh": run is not None and run["status"] in ("queued", "running"),
        "max_iterations": simulation.MAX_ITERATIONS, "other": other, "comparison": comparison,
    }, status)  # fmt: skip


@router.post("/projects/{project_id}/simulation", response_class=HTMLResponse)
def run_simulation(request: Request, project_id: int, form: FormData, db: DB, info: Checked) -> Response:
    try:
        iterations = _int(form.get("iterations"), "iterations")
        iterations = 10_000 if iterations is None else iterations
        seed = _int(form.get("seed"), "seed")
        params: dict[str, Any] = {k: form[k] for k in ("distribution", "spread_low", "spread_high",
                                                       "work_package_correlation", "target_cost")
                                  if (form.get(k) or "").strip()}  # fmt: skip
        groups = correlation_groups(form.get("correlation_groups") or "")
        if groups:
            params["correlation_groups"] = groups
        with db.uow() as s:
            run = simulation.create_run(s, info.actor, project_id, iterations=iterations, seed=seed, **params)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project"):
            raise
        err = {"form": "run", "message": exc.message, "field": exc.field}
        return _simulation(
            request, db, info, project_id, None, err, {**form, "_form": "run"}, exc.http_status
        )
    simulation.launch(db, run["id"], background=not run["inline"])
    return _back(f"/projects/{project_id}/simulation?run={run['id']}")


@router.post("/projects/{project_id}/simulation/{run_id}/cancel", response_class=HTMLResponse)
def cancel_simulation(
    request: Request, project_id: int, run_id: int, form: FormData, db: DB, info: Checked
) -> Response:
    """Cancel a queued or running run; the page then shows it stopping (cancelled at its next batch)."""
    try:
        with db.uow() as s:
            simulation.cancel_run(s, info.actor, project_id, run_id)
    except CharterError as exc:
        if exc.http_status in (403, 404) and exc.field in (None, "project", "run_id"):
            raise
        err = {"form": "cancel", "message": exc.message, "field": exc.field}
        return _simulation(request, db, info, project_id, run_id, err, None, exc.http_status)
    return _back(f"/projects/{project_id}/simulation?run={run_id}")
