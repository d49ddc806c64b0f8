"""The server-rendered web app: Jinja2 pages, progressively enhanced with htmx (every core form works without
JavaScript). Views are built from service results, never from ORM rows."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from charter.domain.custom_fields import value_text
from charter.domain.errors import CharterError, NotAuthenticated
from charter.domain.figures import counted, figure_texts
from charter.domain.money import for_display, grouped, quantise
from charter.domain.projects import CURRENCY_MINOR_UNITS
from charter.io import markdown
from charter.persistence.db import Database
from charter.web.session import current_session

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
log = logging.getLogger("charter.web")


def _md(text: str | None) -> Markup:
    return Markup(markdown.render(text))  # noqa: S704 (sanitised by nh3)


def _dt(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return value.strftime(fmt) + " UTC"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _currency_of(ctx: Context) -> str | None:
    """The currency a page shows its amounts in: its `currency` (or `cur`), else its project's."""
    for key in ("currency", "cur"):
        v = ctx.get(key)
        if isinstance(v, str) and v:
            return v
    for key in ("project", "summary", "r"):
        v = ctx.get(key)
        if isinstance(v, dict) and isinstance(v.get("currency"), str):
            return str(v["currency"])
    return None


@pass_context
def _finalize(ctx: Context, value: Any) -> Any:
    """Every Decimal a page prints is an amount shown with its currency's minor units and its thousands set
    apart (a stored 15480.000 EUR as "15 480.00", see money.grouped; digits that carry a value are kept); the
    values themselves are untouched. A form's input shows the amount without grouping (`plain`, in the
    `value` macro)."""
    if isinstance(value, Decimal):
        return grouped(for_display(value, _currency_of(ctx)))
    return value


@pass_context
def _plain(ctx: Context, value: Any) -> Any:
    """`{{ amount | plain }}`: an amount for a form's input, with the minor units but no grouping."""
    if isinstance(value, Decimal):
        return str(for_display(value, _currency_of(ctx)))
    return value


@pass_context
def _money(ctx: Context, value: Any, currency: str | None = None) -> str:
    """`{{ amount | money }}` (or `money(currency)`): the amount rounded to the currency's minor units."""
    if value is None or value == "":
        return ""
    cur = currency or _currency_of(ctx)
    d = Decimal(str(value))
    return grouped(quantise(d, cur) if cur in CURRENCY_MINOR_UNITS else for_display(d, None))


def _label(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


def _filesize(n: int | None) -> str:
    n = n or 0
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


templates.env.filters["md"] = _md
templates.env.filters["filesize"] = _filesize
templates.env.filters["dt"] = _dt
templates.env.filters["label"] = _label
templates.env.filters["field_text"] = value_text  # a custom field's value: yes/no, "CRM, Billing", ""
templates.env.filters["money"] = _money
templates.env.filters["plain"] = _plain
templates.env.filters["figures"] = lambda figures, keep_none=False: figure_texts(
    figures, keep_none, group=True
)
templates.env.globals["counted"] = counted
templates.env.finalize = _finalize


class LoginRequired(Exception):
    pass


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    info = current_session(request)
    base: dict[str, Any] = {"me": info, "csrf": info.csrf_token if info else ctx.get("csrf", ""),
            "shown_forms": []}  # the forms whose error macros.form_error showed (see base.html)  # fmt: skip
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)


NOT_FOUND = "There is no page at this address, or it belongs to a project you cannot see."


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "error.html", {"title": "Page not found", "message": NOT_FOUND}, 404)


def install_web(app: FastAPI, db: Database) -> None:
    from charter.web import (
        routes_account,
        routes_budget,
        routes_comms,
        routes_projects,
        routes_risk,
        routes_roles,
        routes_schedule,
        routes_team,
        routes_time,
    )

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for r in (routes_account.router, routes_projects.router, routes_roles.router, routes_schedule.router):
        app.include_router(r, include_in_schema=False)
    app.include_router(routes_time.router, include_in_schema=False)
    from charter.web import routes_views

    app.include_router(routes_views.router, include_in_schema=False)
    app.include_router(routes_team.router, include_in_schema=False)
    app.include_router(routes_budget.router, include_in_schema=False)
    from charter.web import routes_procurement

    app.include_router(routes_procurement.router, include_in_schema=False)
    app.include_router(routes_comms.router, include_in_schema=False)
    app.include_router(routes_risk.router, include_in_schema=False)
    from charter.web import routes_notify

    app.include_router(routes_notify.router, include_in_schema=False)
    from charter.web import routes_quality

    app.include_router(routes_quality.router, include_in_schema=False)
    from charter.web import routes_tech

    app.include_router(routes_tech.router, include_in_schema=False)
    from charter.web import routes_conflicts

    app.include_router(routes_conflicts.router, include_in_schema=False)
    from charter.web import routes_reports

    app.include_router(routes_reports.router, include_in_schema=False)
    from charter.web import routes_calendars

    app.include_router(routes_calendars.router, include_in_schema=False)
    from charter.web import routes_fields

    app.include_router(routes_fields.router, include_in_schema=False)
    from charter.web import routes_webhooks

    app.include_router(routes_webhooks.router, include_in_schema=False)
    from charter.web import routes_resources

    app.include_router(routes_resources.router, include_in_schema=False)
    from charter.web import routes_assignments

    app.include_router(routes_assignments.router, include_in_schema=False)
    from charter.web import routes_admin

    app.include_router(routes_admin.router, include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(NotAuthenticated)
    async def _not_auth(request: Request, _: NotAuthenticated) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(CharterError)
    async def _charter(request: Request, exc: CharterError) -> HTMLResponse:
        return render(
            request, "error.html", {"title": "Cannot do that", "message": exc.message}, exc.http_status
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            return _not_found(request)
        msg = str(exc.detail)
        return render(request, "error.html", {"title": msg, "message": msg}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        # a page's address with a word where an id goes (/projects/1/risks/simulation) is a page that does not
        # exist; a bad query parameter says which one (the API answers the same in JSON)
        errs = exc.errors()
        first = errs[0] if errs else {}
        where = first.get("loc", ())
        if where[:1] == ("path",):
            return _not_found(request)
        field = ".".join(str(p) for p in where[1:]) or "the request"
        message = f"{field}: {first.get('msg', 'not valid')}"
        return render(request, "error.html", {"title": "Cannot do that", "message": message}, 422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> HTMLResponse:
        # an id or number beyond what a database column holds (SQLite: OverflowError on binding; PostgreSQL:
        # DataError) is bad input, as the API answers (422): a page's address with such an id is a page that
        # does not exist, a form's value is refused; it was a 500
        log.warning("out-of-range value on %s: %s", request.url.path, type(exc).__name__)
        if request.method in ("GET", "HEAD"):
            return _not_found(request)
        message = "A number or text in the form is too large for Charter to store; nothing was saved."
        return render(request, "error.html", {"title": "Cannot do that", "message": message}, 422)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> HTMLResponse:
        # a service that missed a check: the database refused the change, so nothing was written (the API: 409)
        log.warning("integrity error reached the web pages: %s", str(exc.orig).splitlines()[0])
        message = "The change refers to a record that does not exist or duplicates one; nothing was saved."
        return render(request, "error.html", {"title": "Cannot do that", "message": message}, 409)

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> HTMLResponse:
        # SQLite's busy timeout ran out, a PostgreSQL deadlock or lock timeout, or no database: the
        # transaction was rolled back, so retrying is safe (the API answers the same with JSON)
        log.warning("database busy on %s: %s", request.url.path, str(exc.orig or exc).splitlines()[0])
        message = "The database is busy or unavailable; nothing was saved. Try again in a moment."
        resp = render(request, "error.html", {"title": "Busy, try again", "message": message}, 503)
        resp.headers["Retry-After"] = "2"
        return resp

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> HTMLResponse:
        message = "The record was changed by someone else at the same time; nothing was saved. Reload and try again."
        return render(request, "error.html", {"title": "Changed meanwhile", "message": message}, 409)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> HTMLResponse:
        log.exception("unhandled error on %s", request.url.path)
        return render(
            request,
            "error.html",
            {"title": "Something went wrong", "message": "An internal error occurred; it has been logged."},
            500,
        )
