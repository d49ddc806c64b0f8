"""Budget and procurement pages: the budget table (budget, committed, actual, forecast, remaining per line),
the earned-value figures with their threshold status, an S-curve of PV, EV and AC with the EAC forecast
(exportable as SVG), budget versions for the Sponsor, and the procurement pipeline from requests to
invoices with vendors and contracts. Every page reads services only; every change goes through them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from charter.domain.budget import Accrual, Category
from charter.domain.errors import Conflict, PermissionDenied, ValidationError
from charter.domain.procurement import ContractKind
from charter.domain.roles import PM, SPONSOR, Perm
from charter.services import attachments, authz, budget, evm, procurement, projects, work_packages
from charter.services.context import now
from charter.web.app import render, templates
from charter.web.forms import DB, Checked, FormData, Session, decision, errors_of, opt_date, opt_int, req_int

router = APIRouter()
T = TypeVar("T")

CHART_W, CHART_H, PAD = 640, 220, 40  # drawing size of the S-curve, in SVG units
RENEWAL_WINDOW = dt.timedelta(days=90)
APPROVE = {"approve": True, "reject": False}  # the buttons of a decide form
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip


# --------------------------------------------------------------------------------------------- helpers


def _as_of(request: Request) -> dt.date | None:
    v = (request.query_params.get("as_of") or "").strip()
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValidationError("must be a date (YYYY-MM-DD)", field="as_of") from None


def _f(v: Any) -> float | None:
    return None if v is None else float(Decimal(str(v)))


def scurve(trend: dict[str, Any], project: dict[str, Any]) -> dict[str, Any]:
    """The geometry of the S-curve: a polyline per series over the months, and the EAC forecast as a line
    from the last actual cost to the EAC at the right edge."""
    months = trend["months"]
    n = len(months)
    eac, bac = _f(project.get("eac")), _f(project.get("bac"))
    values = [_f(m[k]) for m in months for k in ("pv", "ev", "ac")] + [eac, bac, 1.0]
    top = max(v for v in values if v is not None)
    plot_w = (CHART_W - 2 * PAD) * 0.85  # the rest, to the right, holds the forecast
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return round(PAD + i * step, 1)

    def y(v: float) -> float:
        return round(CHART_H - PAD - v / top * (CHART_H - 2 * PAD), 1)

    series, dots = {}, []
    for key in ("pv", "ev", "ac"):
        pts = [f"{x(i)},{y(v)}" for i, m in enumerate(months) if (v := _f(m[key])) is not None]
        series[key] = " ".join(pts)
        if pts:  # a dot at the status date, so a single point still shows
            dots.append({"key": key, "x": pts[-1].split(",")[0], "y": pts[-1].split(",")[1]})
    forecast = None
    if n and eac is not None and (last := _f(months[-1]["ac"])) is not None:
        forecast = {"x1": x(n - 1), "y1": y(last), "x2": CHART_W - PAD, "y2": y(eac)}
    ticks = [{"x": x(i), "label": m["month"]} for i, m in enumerate(months)
             if n <= 12 or i % max(n // 12, 1) == 0]  # fmt: skip
    return {"width": CHART_W, "height": CHART_H, "pad": PAD, "series": series, "dots": dots, "forecast": forecast,
            "ticks": ticks, "top": round(top, 2), "base_y": CHART_H - PAD, "right": CHART_W - PAD,
            "bac_y": y(bac) if bac else None, "eac": eac, "currency": trend["currency"]}  # fmt: skip


def _optional(call: Callable[[], T]) -> T | None:
    """A part of a page that needs project-wide rights: None when the service refuses it (a Task Leader
    reads only their own package's lines; the page itself was already allowed)."""
    try:
        return call()
    except PermissionDenied:
        return None


def _budget_ctx(s: Any, actor: Any, project_id: int, as_of: dt.date | None) -> dict[str, Any]:
    project = projects.get_project(s, actor, project_id)
    summ = budget.summary(s, actor, project_id)
    figs = _optional(lambda: evm.compute(s, actor, project_id, as_of))
    chart, forecast = None, {}
    if figs is not None and summ["lines"]:  # nothing to draw without a budget
        chart = scurve(evm.trend(s, actor, project_id, figs["as_of"]), figs["project"])
    if figs is not None:
        forecast = {x["budget_line_id"]: x.get("eac") for x in figs["lines"]}
    lines = [{**ln, "forecast": forecast.get(ln["id"])} for ln in summ["lines"]]
    return {
        "project": project, "view": "budget", "summary": summ, "lines": lines, "figs": figs,
        "p": figs["project"] if figs else {}, "chart": chart,
        "versions": _optional(lambda: budget.list_versions(s, actor, project_id)) or [],
        "expenses": _optional(lambda: budget.list_expenses(s, actor, project_id)),
        "fixed_costs": _optional(lambda: budget.list_fixed_costs(s, actor, project_id)),
        "fc_tasks": _optional(lambda: budget.fixed_cost_tasks(s, actor, project_id)) or [],
        "accruals": [a.value for a in Accrual],
        "plan": _optional(lambda: evm.plan(s, actor, project_id)),
        "receipt_limit": attachments.limit_text(), "today": now().date(),
        "wps": work_packages.list_work_packages(s, actor, project_id),
        "may_edit": authz.can(s, actor, project_id, Perm.BUDGET_EDIT),
        "may_approve": authz.can(s, actor, project_id, Perm.BUDGET_APPROVE),
        "categories": [c.value for c in Category], "as_of": figs["as_of"] if figs else as_of or now().date(),
    }  # fmt: skip


def _budget_page(
    request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
    form: dict[str, str] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    with db.uow(readonly=True) as s:
        ctx = _budget_ctx(s, info.actor, project_id, _as_of(request))
    values = _values(error, form)
    if not values and (task := request.query_params.get("task", "")).isdecimal():  # from a task: preselect it
        values = {"_form": "fixed-cost", "task_id": task}
    return render(request, "budget.html", {**ctx, "error": error, "values": values}, status)


def _values(error: dict[str, Any] | None, form: dict[str, str] | None) -> dict[str, str]:
    """The submitted input, tagged with its form so only that form shows it again."""
    return {**(form or {}), "_form": error["form"]} if error else {}


def _back(url: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


# --------------------------------------------------------------------------------------------- budget


@router.get("/projects/{project_id}/budget", response_class=HTMLResponse)
def budget_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _budget_page(request, db, info, project_id)


@router.get("/projects/{project_id}/budget/lines/{line_id}", response_class=HTMLResponse)
def line_page(request: Request, project_id: int, line_id: int, db: DB, info: Session) -> HTMLResponse:
    """Drill-down: the records behind one line's committed, actual and held numbers."""
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        rec = budget.line_records(s, info.actor, project_id, line_id)
    return render(request, "budget_line.html", {"project": project, "view": "budget", "r": rec})


@router.get("/projects/{project_id}/budget/s-curve.svg")
def scurve_svg(request: Request, project_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        figs = evm.compute(s, info.actor, project_id, _as_of(request))
        trend = evm.trend(s, info.actor, project_id, figs["as_of"])
    body = templates.get_template("budget_scurve.html").render(chart=scurve(trend, figs["project"]),
                                                               standalone=True)  # fmt: skip
    return Response(body, media_type="image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="s-curve-{project_id}.svg"'})  # fmt: skip


@router.get("/projects/{project_id}/budget/s-curve.png")
def scurve_png(request: Request, project_id: int, db: DB, info: Session) -> Response:
    with db.uow(readonly=True) as s:
        data = evm.scurve_png(s, info.actor, project_id, _as_of(request))
    return Response(data, media_type="image/png", headers={
        "Content-Disposition": f'attachment; filename="s-curve-{project_id}.png"'})  # fmt: skip


async def _upload(request: Request, key: str) -> attachments.Upload | None:
    """The file of a multipart form field (None when no file was chosen); the form is already parsed."""
    f = (await request.form()).get(key)
    if f is None or isinstance(f, str):
        return None
    data = await f.read(attachments.max_bytes() + 1)
    if not data and not f.filename:
        return None
    upload = attachments.Upload(f.filename or "", data)
    await run_in_threadpool(attachments.read_ahead, upload)  # before the transaction, off the event loop
    return upload


@router.post("/projects/{project_id}/budget/expenses", response_class=HTMLResponse)
async def add_expense(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """An expense with (optionally) its receipt, in one step."""
    receipt = await _upload(request, "receipt")

    def go() -> Response:  # in a worker thread: the transaction never holds up the event loop
        try:
            day = opt_date(form, "day")
            if day is None:
                raise ValidationError("is required", field="day")
            with db.uow() as s:
                budget.add_expense(s, info.actor, project_id, budget_line_id=req_int(form, "budget_line_id"),
                                   day=day, amount=form.get("amount", ""), description=form.get("description", ""),
                                   receipt=receipt)  # fmt: skip
        except (ValidationError, Conflict) as exc:
            return _budget_page(
                request, db, info, project_id, errors_of(exc, "expense"), form, exc.http_status
            )
        return _back(f"/projects/{project_id}/budget", "expenses")

    return await run_in_threadpool(go)


@router.post("/projects/{project_id}/budget/expenses/{expense_id}/receipts", response_class=HTMLResponse)
async def add_receipt(
    request: Request, project_id: int, expense_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    upload = await _upload(request, "receipt")

    def go() -> Response:  # in a worker thread: the transaction never holds up the event loop
        try:
            if upload is None:
                raise ValidationError("choose a file", field="receipt")
            with db.uow() as s:
                budget.add_receipt(s, info.actor, project_id, expense_id, upload)
        except (ValidationError, Conflict) as exc:
            err = errors_of(exc, f"receipt-{expense_id}")
            return _budget_page(request, db, info, project_id, err, form, exc.http_status)
        return _back(f"/projects/{project_id}/budget", "expenses")

    return await run_in_threadpool(go)


@router.post(
    "/projects/{project_id}/budget/expenses/{expense_id}/receipts/{attachment_id}/delete",
    response_class=HTMLResponse,
)
def remove_receipt(
    request: Request,
    project_id: int,
    expense_id: int,
    attachment_id: int,
    db: DB,
    info: Checked,
    form: FormData,
) -> Response:
    """Remove a receipt attached by mistake (the journal keeps its name, size and digest)."""
    try:
        with db.uow() as s:
            budget.delete_receipt(s, info.actor, project_id, expense_id, attachment_id)
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"receipt-{expense_id}")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "expenses")


@router.get("/projects/{project_id}/budget/expenses/{expense_id}/receipts/{attachment_id}")
def get_receipt(project_id: int, expense_id: int, attachment_id: int, db: DB, info: Session) -> Response:
    """Always a download (Content-Disposition: attachment, nosniff): an upload is never shown inline."""
    with db.uow(readonly=True) as s:
        f = budget.receipt_file(s, info.actor, project_id, expense_id, attachment_id)
    return Response(f.data, media_type=f.content_type, headers=attachments.download_headers(f.filename))


def _fixed_cost_fields(form: dict[str, str]) -> dict[str, Any]:
    """The fields of a fixed-cost form: task, description, amount, accrual and budget line ("" = none)."""
    return {"task_id": req_int(form, "task_id"), "description": form.get("description", ""),
            "amount": form.get("amount", ""), "accrual": form.get("accrual", "prorated"),
            "budget_line_id": opt_int(form, "budget_line_id")}  # fmt: skip


@router.post("/projects/{project_id}/budget/fixed-costs", response_class=HTMLResponse)
def add_fixed_cost(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """A fixed cost on a task (a licence, a device), charged to a line at the task's start, pro rata with its
    progress, or at its end."""
    try:
        with db.uow() as s:
            budget.add_fixed_cost(s, info.actor, project_id, **_fixed_cost_fields(form))
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, "fixed-cost")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "fixed-costs")


@router.post("/projects/{project_id}/budget/fixed-costs/{cost_id}/edit", response_class=HTMLResponse)
def edit_fixed_cost(
    request: Request, project_id: int, cost_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Change a fixed cost (with the version it was read at) or delete it; someone else's change first: 409,
    the form shows what was typed and the message says to reload."""
    try:
        version = req_int(form, "version")
        with db.uow() as s:
            if form.get("action") == "delete":
                budget.delete_fixed_cost(s, info.actor, project_id, cost_id, version)
            else:
                budget.update_fixed_cost(
                    s, info.actor, project_id, cost_id, version, **_fixed_cost_fields(form)
                )
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"fixed-cost-{cost_id}")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "fixed-costs")


@router.get("/projects/{project_id}/budget/export")
def export_budget(request: Request, project_id: int, db: DB, info: Session) -> Response:
    fmt = request.query_params.get("format", "csv")
    with db.uow(readonly=True) as s:
        data = evm.write_table(evm.BUDGET_COLUMNS, evm.budget_rows(budget.summary(s, info.actor, project_id)),
                               fmt, "Budget")  # fmt: skip
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="budget-{project_id}.{fmt}"'})  # fmt: skip


@router.get("/projects/{project_id}/budget/evm-export")
def export_evm(request: Request, project_id: int, db: DB, info: Session) -> Response:
    fmt = request.query_params.get("format", "csv")
    with db.uow(readonly=True) as s:
        figs = evm.compute(s, info.actor, project_id, _as_of(request))
        data = evm.write_table(evm.EVM_COLUMNS, evm.evm_rows(figs), fmt, "EVM")
    return Response(data, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="evm-{project_id}.{fmt}"'})  # fmt: skip


@router.post("/projects/{project_id}/budget/lines", response_class=HTMLResponse)
def add_line(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    try:
        with db.uow() as s:
            budget.create_line(s, info.actor, project_id, category=form.get("category", ""),
                               name=form.get("name", ""), amount=form.get("amount", ""),
                               work_package_id=opt_int(form, "work_package_id"),
                               description=form.get("description", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        return _budget_page(request, db, info, project_id, errors_of(exc, "line"), form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "lines")


@router.post("/projects/{project_id}/budget/versions", response_class=HTMLResponse)
def propose(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    try:
        with db.uow() as s:
            budget.propose_version(s, info.actor, project_id, note=form.get("note", ""))
    except (ValidationError, Conflict) as exc:
        return _budget_page(request, db, info, project_id, errors_of(exc, "propose"), form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "versions")


@router.post("/projects/{project_id}/budget/versions/{number}/decide", response_class=HTMLResponse)
def decide_version(
    request: Request, project_id: int, number: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        with db.uow() as s:
            budget.decide_version(s, info.actor, project_id, number, approve=decision(form, APPROVE),
                                  reason=form.get("reason", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"version-{number}")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "versions")


@router.post("/projects/{project_id}/budget/versions/{number}/withdraw", response_class=HTMLResponse)
def withdraw_version(
    request: Request, project_id: int, number: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        with db.uow() as s:
            budget.withdraw_version(s, info.actor, project_id, number)
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"version-{number}")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "versions")


@router.post("/projects/{project_id}/budget/lines/{line_id}/edit", response_class=HTMLResponse)
def edit_line(
    request: Request, project_id: int, line_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    """Change a line's name or amount (with the version it was read at), or delete it (refused while anything
    is committed or charged to it)."""
    try:
        version = req_int(form, "version")
        with db.uow() as s:
            if form.get("action") == "delete":
                budget.delete_line(s, info.actor, project_id, line_id, version)
            else:
                budget.update_line(s, info.actor, project_id, line_id, version, name=form.get("name", ""),
                                   amount=form.get("amount", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"line-{line_id}")
        return _budget_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/budget", "lines")


@router.post("/projects/{project_id}/budget/snapshots", response_class=HTMLResponse)
def save_snapshot(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    """Save the earned-value figures at the status date: the EV points of the trend and the S-curve."""
    try:
        day = opt_date(form, "as_of")
        with db.uow() as s:
            saved = evm.save_snapshot(s, info.actor, project_id, day)
    except (ValidationError, Conflict) as exc:
        return _budget_page(request, db, info, project_id, errors_of(exc, "snapshot"), form, exc.http_status)
    return _back(f"/projects/{project_id}/budget?as_of={saved['as_of']}", "evm")


# --------------------------------------------------------------------------------------------- procurement


RULE_ROWS = 10  # the rows the approval-rules form may carry: the API's limit


def _rule_rows(approval: dict[str, Any] | None, form: dict[str, str] | None) -> int:
    """Rows of the approval-rules form: every rule saved and one more to add (three at least), or as many as
    a refused form sent back; never more than RULE_ROWS, so a save from the page keeps every rule."""
    saved = len((approval or {}).get("rules") or [])
    sent = max((i + 1 for i in range(RULE_ROWS) if (form or {}).get(f"role_{i}") or (form or {}).get(f"up_to_{i}")),
               default=0)  # fmt: skip
    return min(RULE_ROWS, max(3, saved + 1, sent))


def _procurement_page(
    request: Request, db: Any, info: Any, project_id: int, error: dict[str, Any] | None = None,
    form: dict[str, str] | None = None, status: int = 200,
) -> HTMLResponse:  # fmt: skip
    actor = info.actor
    today = now().date()
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, actor, project_id)
        lines = budget.list_lines(s, actor, project_id)
        reqs = procurement.list_requests(s, actor, project_id)
        mine = {
            r: procurement.holds_role(s, actor, project_id, r) for r in {x["approver_role"] for x in reqs}
        }
        orders = procurement.list_orders(s, actor, project_id)
        invoices = _optional(lambda: procurement.list_invoices(s, actor, project_id)) or []
        contracts = _optional(lambda: procurement.list_contracts(s, actor, project_id)) or []
        upcoming = _optional(lambda: procurement.upcoming_contracts(s, actor, project_id)) or []
        vendors = procurement.list_vendors(s, actor)
        approval = _optional(lambda: procurement.get_rules(s, actor, project_id))
        may_order = authz.can(s, actor, project_id, Perm.PROCUREMENT_REQUEST)
        may_release = authz.can(s, actor, project_id, Perm.PROCUREMENT_APPROVE)
        may_set_rules = authz.can(s, actor, project_id, Perm.BUDGET_APPROVE)
    names = {v["id"]: v["name"] for v in vendors}
    line_names = {ln["id"]: ln["name"] for ln in lines}
    for r in reqs:
        r["may_decide"] = (r["status"] == "submitted" and mine.get(r["approver_role"], False)
                           and r["requested_by"] != actor.user_id)  # fmt: skip
    for c in contracts:
        c["soon"] = c["status"] != "closed" and any(d is not None and today <= d <= today + RENEWAL_WINDOW
                        for d in (c["renewal_date"], c["notice_date"]))  # fmt: skip
    return render(request, "procurement.html", {
        "project": project, "view": "procurement", "lines": lines, "line_names": line_names, "requests": reqs,
        "orders": orders, "invoices": invoices, "contracts": contracts, "upcoming": upcoming, "vendors": vendors, "vendor_names": names,
        "rules": approval, "today": today, "error": error, "values": _values(error, form),
        "may_order": may_order, "may_release": may_release, "contract_kinds": [k.value for k in ContractKind],
        "may_set_rules": may_set_rules, "rule_roles": [PM, SPONSOR], "rule_rows": range(_rule_rows(approval, form)), "me_id": actor.user_id,
    }, status)  # fmt: skip


@router.get("/projects/{project_id}/procurement", response_class=HTMLResponse)
def procurement_page(request: Request, project_id: int, db: DB, info: Session) -> HTMLResponse:
    return _procurement_page(request, db, info, project_id)


@router.post("/projects/{project_id}/procurement/requests", response_class=HTMLResponse)
def raise_request(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    try:
        with db.uow() as s:
            procurement.create_request(s, info.actor, project_id, budget_line_id=req_int(form, "budget_line_id"),
                                       title=form.get("title", ""), amount=form.get("amount", ""),
                                       description=form.get("description", ""),
                                       vendor_id=opt_int(form, "vendor_id"))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        return _procurement_page(
            request, db, info, project_id, errors_of(exc, "request"), form, exc.http_status
        )
    return _back(f"/projects/{project_id}/procurement", "requests")


@router.post("/projects/{project_id}/procurement/requests/{request_id}/decide", response_class=HTMLResponse)
def decide_request(
    request: Request, project_id: int, request_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        with db.uow() as s:
            procurement.decide_request(s, info.actor, project_id, request_id,
                                       approve=decision(form, APPROVE), reason=form.get("reason", ""),
                                       version=opt_int(form, "version"))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"request-{request_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    if form.get("back") == "approvals":  # decided from "Approvals waiting for me"
        return _back("/me/approvals", "purchase-requests")
    return _back(f"/projects/{project_id}/procurement", "requests")


@router.post("/projects/{project_id}/procurement/orders/{order_id}/receipts", response_class=HTMLResponse)
def record_receipt(
    request: Request, project_id: int, order_id: int, db: DB, info: Checked, form: FormData
) -> Response:
    try:
        with db.uow() as s:  # the service reads the day after its permission check
            procurement.add_receipt(s, info.actor, project_id, order_id, day=form.get("day"),
                                    amount=(form.get("amount") or "").strip() or None, note=form.get("note", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        err = errors_of(exc, f"receipt-{order_id}")
        return _procurement_page(request, db, info, project_id, err, form, exc.http_status)
    return _back(f"/projects/{project_id}/procurement", "orders")


@router.post("/projects/{project_id}/procurement/invoices", response_class=HTMLResponse)
def register_invoice(request: Request, project_id: int, db: DB, info: Checked, form: FormData) -> Response:
    try:
        with db.uow() as s:  # the service checks the permission first, then what was typed
            procurement.add_invoice(s, info.actor, project_id, order_id=opt_int(form, "order_id"),
                                    number=form.get("number", ""), day=form.get("day"),
                                    amount=form.get("amount", ""))  # fmt: skip
    except (ValidationError, Conflict) as exc:
        return _procurement_page(
            request, db, info, project_id, errors_of(exc, "invoice"), form, exc.http_status
        )
    return _back(f"/projects/{project_id}/procurement", "invoices")
