from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import in_uow
from charter.config import get_settings
from charter.domain.errors import ValidationError
from charter.services import interchange, plan_export

router = APIRouter(responses=ERRORS, tags=["interchange"])


async def _read(upload: UploadFile) -> bytes:
    limit = get_settings().max_upload_bytes
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"the file is larger than the limit of {limit // (1024 * 1024)} MB", field="file"
        )
    if not data:
        raise ValidationError("the file is empty", field="file")
    return data


def _mapping(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationError("the column mapping must be a JSON object", field="mapping") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError("the column mapping maps field names to column headers", field="mapping")
    return value


@router.post("/projects/{project_id}/import", response_model=S.ImportOut)
async def import_into(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    file: UploadFile = File(...),
    format: Literal["mspdi", "csv", "xlsx", "mpxj"] | None = Form(None),
    mapping: str | None = Form(None, description='JSON: {"name": "Task Name", "duration": "Dur"}'),
) -> dict[str, Any]:
    """Import an MS Project XML, CSV or Excel plan into this project: all rows or none. With the optional
    MPXJ extra and a Java runtime also .mpp, .xer, .pmxml, .mpx and the other files MPXJ reads (format mpxj)."""
    data = await _read(file)
    fmt = interchange.guess_format(file.filename, format)
    plan = await run_in_threadpool(interchange.read_plan, data, fmt, mapping=_mapping(mapping))
    source = file.filename or fmt
    return await in_uow(
        db, lambda s: interchange.import_plan(s, actor, plan, project_id=project_id, source=source)
    )


@router.post("/imports", response_model=S.ImportOut, status_code=201)
async def import_new(
    actor: CurrentActor,
    db: DB,
    file: UploadFile = File(...),
    key: str = Form(..., min_length=2, max_length=10),
    name: str | None = Form(None, max_length=200),
    format: Literal["mspdi", "csv", "xlsx", "mpxj"] | None = Form(None),
    mapping: str | None = Form(None),
) -> dict[str, Any]:
    """Create a project from a plan file."""
    data = await _read(file)
    fmt = interchange.guess_format(file.filename, format)
    plan = await run_in_threadpool(interchange.read_plan, data, fmt, mapping=_mapping(mapping))
    source = file.filename or fmt
    return await in_uow(
        db, lambda s: interchange.import_plan(s, actor, plan, key=key, name=name, source=source)
    )


@router.get(
    "/projects/{project_id}/export",
    response_class=Response,
    responses={
        200: {
            "content": {m.split(";")[0]: {} for m, _ in plan_export.EXPORTS.values()},
            "description": "the file",
        }
    },
)
def export(
    project_id: int,
    actor: CurrentActor,
    db: DB,
    format: Literal["mspdi", "csv", "xlsx", "ics"] = Query("mspdi"),
) -> Response:
    """The plan as MS Project XML, CSV, Excel, or an iCalendar feed of its milestones."""
    with db.uow(readonly=True) as s:
        data, media, filename = plan_export.export_file(s, actor, project_id, format)
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.get(
    "/me/tasks.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "iCalendar feed"}},
)
def my_tasks(actor: CurrentActor, db: DB) -> Response:
    """An iCalendar feed of the tasks assigned to you, across your projects."""
    with db.uow(readonly=True) as s:
        data = plan_export.my_tasks_feed(s, actor)
    return Response(data, media_type="text/calendar; charset=utf-8")
