"""The JSON API, mounted at /api/v1 (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from fastapi import FastAPI

from charter.api import errors
from charter.api.routers import (
    accounts,
    budget,
    comms,
    conflicts,
    feeds,
    interchange,
    notifications,
    procurement,
    projects,
    quality,
    reports,
    risk,
    roles,
    schedule,
    team,
    tech,
    timesheets,
    views,
)
from charter.persistence.db import Database


def create_api(db: Database) -> FastAPI:
    api = FastAPI(
        title="Charter API",
        version="1",
        description="IT project management organised around roles and responsibilities. "
        "Authenticate with `Authorization: Bearer <token>` (POST /auth/token).",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.db = db
    errors.install(api)
    for r in (
        accounts.router,
        projects.router,
        roles.router,
        schedule.router,
        interchange.router,
        feeds.router,
        timesheets.router,
        team.router,
        budget.router,
        procurement.router,
        notifications.router,
        comms.router,
        quality.router,
        risk.router,
        tech.router,
        conflicts.router,
        reports.router,
        views.router,
    ):
        api.include_router(r)
    return api
