"""Budget lines and versions, fixed costs, expenses, the time-phased plan, earned value and exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from charter.api import schemas_budget as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute, delete_versioned, in_uow, patch_versioned
from charter.domain.errors import ValidationError
from charter.engine.evm import Thresholds
from charter.services import attachments, budget, evm

router = APIRouter(responses=ERRORS, tags=["budget"], route_class=AmountsRoute)
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TABLE_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}, "description": "the table as a file"}
}


def _thresholds(amber: float, red: float) -> Thresholds:
    if not 0 < red <= amber:
        raise ValidationError("thresholds need 0 < red <= amber", field="red")
    return Thresholds(amber, red)


@router.get("/projects/{project_id}/budget")
def get_budget(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The budget table: lines with budget, committed, actual, held and remaining; totals; the cost baseline."""
    with db.uow(readonly=True) as s:
        return budget.summary(s, actor, project_id)


@router.get("/projects/{project_id}/budget/lines", response_model=list[S.BudgetLineOut])
def list_lines(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return budget.list_lines(s, actor, project_id)


@router.post("/projects/{project_id}/budget/lines", response_model=S.BudgetLineOut, status_code=201)
def create_line(project_id: int, body: S.BudgetLineIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return budget.create_line(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/budget/lines/{line_id}", response_model=S.BudgetLineOut)
def update_line(
    project_id: int, line_id: int, body: S.BudgetLinePatch, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    return patch_versioned(db, actor, budget.update_line, project_id, line_id, body=body)


@router.delete("/projects/{project_id}/budget/lines/{line_id}", status_code=204, response_class=Response)
def delete_line(
    project_id: int, line_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    """Refused (409) while the line has commitments or actuals."""
    delete_versioned(db, actor, budget.delete_line, project_id, line_id, version=version)


@router.get("/projects/{project_id}/budget/lines/{line_id}/records")
def line_records(project_id: int, line_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The records behind a line's numbers: orders (committed), invoices (actual or held), expenses with
    receipts, fixed costs, labour per task and approved requests not yet ordered."""
    with db.uow(readonly=True) as s:
        return budget.line_records(s, actor, project_id, line_id)


@router.get("/projects/{project_id}/budget/versions", response_model=list[S.BudgetVersionOut])
def list_versions(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return budget.list_versions(s, actor, project_id)


@router.post("/projects/{project_id}/budget/versions", response_model=S.BudgetVersionOut, status_code=201)
def propose_version(project_id: int, body: S.VersionProposeIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The PM proposes the current lines as a new budget version."""
    with db.uow() as s:
        return budget.propose_version(s, actor, project_id, body.note)


@router.post("/projects/{project_id}/budget/versions/{number}/approve", response_model=S.BudgetVersionOut)
def approve_version(
    project_id: int, number: int, body: S.DecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """The Sponsor approves: the version becomes the cost baseline."""
    with db.uow() as s:
        return budget.decide_version(s, actor, project_id, number, approve=True, reason=body.reason)


@router.post("/projects/{project_id}/budget/versions/{number}/reject", response_model=S.BudgetVersionOut)
def reject_version(
    project_id: int, number: int, body: S.DecisionIn, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    with db.uow() as s:
        return budget.decide_version(s, actor, project_id, number, approve=False, reason=body.reason)


@router.post("/projects/{project_id}/budget/versions/{number}/withdraw", response_model=S.BudgetVersionOut)
def withdraw_version(project_id: int, number: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return budget.withdraw_version(s, actor, project_id, number)


@router.get("/projects/{project_id}/fixed-costs", response_model=list[S.FixedCostOut])
def list_fixed_costs(
    project_id: int, actor: CurrentActor, db: DB, task_id: int | None = Query(None)
) -> list[dict[str, Any]]:
    """Fixed costs on the project's tasks (or on one task), each with the part accrued so far."""
    with db.uow(readonly=True) as s:
        return budget.list_fixed_costs(s, actor, project_id, task_id)


@router.post("/projects/{project_id}/fixed-costs", response_model=S.FixedCostOut, status_code=201)
def add_fixed_cost(project_id: int, body: S.FixedCostIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return budget.add_fixed_cost(s, actor, project_id, **body.model_dump())


@router.patch("/projects/{project_id}/fixed-costs/{cost_id}", response_model=S.FixedCostOut)
def update_fixed_cost(
    project_id: int, cost_id: int, body: S.FixedCostPatch, actor: CurrentActor, db: DB
) -> dict[str, Any]:
    """Change a fixed cost read at `version` (stale: 409 with the current state)."""
    return patch_versioned(db, actor, budget.update_fixed_cost, project_id, cost_id, body=body)


@router.delete("/projects/{project_id}/fixed-costs/{cost_id}", status_code=204, response_class=Response)
def delete_fixed_cost(
    project_id: int, cost_id: int, actor: CurrentActor, db: DB, version: int = Query(...)
) -> None:
    delete_versioned(db, actor, budget.delete_fixed_cost, project_id, cost_id, version=version)


@router.get("/projects/{project_id}/expenses", response_model=list[S.ExpenseOut])
def list_expenses(project_id: int, actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return budget.list_expenses(s, actor, project_id)


@router.post("/projects/{project_id}/expenses", response_model=S.ExpenseOut, status_code=201)
def add_expense(project_id: int, body: S.ExpenseIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return budget.add_expense(s, actor, project_id, **body.model_dump())


@router.post(
    "/projects/{project_id}/expenses/{expense_id}/receipts", response_model=S.ExpenseOut, status_code=201
)
async def add_receipt(
    project_id: int, expense_id: int, actor: CurrentActor, db: DB, file: UploadFile = File(...)
) -> dict[str, Any]:
    """Attach a receipt (PDF, PNG or JPEG, checked from its content; at most the attachment size limit)."""
    upload = attachments.Upload(file.filename or "", await file.read(attachments.max_bytes() + 1))
    await run_in_threadpool(attachments.read_ahead, upload)
    return await in_uow(db, lambda s: budget.add_receipt(s, actor, project_id, expense_id, upload))


@router.get(
    "/projects/{project_id}/expenses/{expense_id}/receipts/{attachment_id}", response_class=Response,
    responses={200: {"content": {c: {} for c in sorted(attachments.RECEIPT_TYPES)},
                     "description": "the receipt, always as a download"}},
)  # fmt: skip
def get_receipt(
    project_id: int, expense_id: int, attachment_id: int, actor: CurrentActor, db: DB
) -> Response:
    with db.uow(readonly=True) as s:
        f = budget.receipt_file(s, actor, project_id, expense_id, attachment_id)
    return Response(f.data, media_type=f.content_type, headers=attachments.download_headers(f.filename))


@router.delete(
    "/projects/{project_id}/expenses/{expense_id}/receipts/{attachment_id}", status_code=204,
    response_class=Response,
)  # fmt: skip
def delete_receipt(project_id: int, expense_id: int, attachment_id: int, actor: CurrentActor, db: DB) -> None:
    with db.uow() as s:
        budget.delete_receipt(s, actor, project_id, expense_id, attachment_id)


@router.get(
    "/projects/{project_id}/evm/s-curve.png", response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "the S-curve as a PNG image"}},
)  # fmt: skip
def scurve_png(project_id: int, actor: CurrentActor, db: DB, as_of: dt.date | None = Query(None)) -> Response:
    """The S-curve: cumulative PV, EV and AC by month to the status date, with the EAC forecast and the BAC."""
    with db.uow(readonly=True) as s:
        data = evm.scurve_png(s, actor, project_id, as_of)
    return Response(data, media_type="image/png",
                    headers={"Content-Disposition": f'attachment; filename="s-curve-{project_id}.png"'})  # fmt: skip


@router.get("/projects/{project_id}/budget/plan")
def get_plan(project_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """The time-phased cost plan by month (bottom-up from rates and fixed costs) beside the baseline PV."""
    with db.uow(readonly=True) as s:
        return evm.plan(s, actor, project_id)


@router.get("/projects/{project_id}/evm")
def get_evm(
    project_id: int, actor: CurrentActor, db: DB, as_of: dt.date | None = Query(None),
    amber: float = Query(0.9, gt=0, le=2), red: float = Query(0.8, gt=0, le=2),
) -> dict[str, Any]:  # fmt: skip
    """PV, EV, AC, SV, CV, SPI, CPI, the four EACs, ETC, VAC and TCPI for the project, each work package and
    each line, with the status (green/amber/red) and the rule that set it."""
    with db.uow(readonly=True) as s:
        return evm.compute(s, actor, project_id, as_of, _thresholds(amber, red))


@router.get("/projects/{project_id}/evm/trend")
def get_trend(
    project_id: int, actor: CurrentActor, db: DB, as_of: dt.date | None = Query(None),
    amber: float = Query(0.9, gt=0, le=2), red: float = Query(0.8, gt=0, le=2),
) -> dict[str, Any]:  # fmt: skip
    with db.uow(readonly=True) as s:
        return evm.trend(s, actor, project_id, as_of, _thresholds(amber, red))


@router.post("/projects/{project_id}/evm/snapshots", status_code=201)
def save_snapshot(project_id: int, body: S.SnapshotIn, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return evm.save_snapshot(s, actor, project_id, body.as_of)


@router.get("/projects/{project_id}/budget/export", response_class=Response, responses=TABLE_FILE)
def export_budget(
    project_id: int, actor: CurrentActor, db: DB, format: str = Query("csv", pattern="^(csv|xlsx)$")
) -> Response:
    with db.uow(readonly=True) as s:
        data = evm.write_table(
            evm.BUDGET_COLUMNS, evm.budget_rows(budget.summary(s, actor, project_id)), format, "Budget"
        )
    return Response(data, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="budget-{project_id}.{format}"'})  # fmt: skip


@router.get("/projects/{project_id}/evm/export", response_class=Response, responses=TABLE_FILE)
def export_evm(
    project_id: int, actor: CurrentActor, db: DB, as_of: dt.date | None = Query(None),
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
) -> Response:  # fmt: skip
    with db.uow(readonly=True) as s:
        data = evm.write_table(
            evm.EVM_COLUMNS, evm.evm_rows(evm.compute(s, actor, project_id, as_of)), format, "EVM"
        )
    return Response(data, media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="evm-{project_id}.{format}"'})  # fmt: skip
