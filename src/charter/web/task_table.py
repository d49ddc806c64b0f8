"""The task table page (/projects/{id}/schedule): its query parameters, the rows they select and sort, and the
page itself, which the schedule routes (the table, a row's edit, the import) and the saved-view routes render.

The table's parameters: `q` (words in the name), `wp` (a work package), `critical`, `baseline`, `cf`/`cv`
pairs (custom field filters, repeated for several: every one must hold), `cols=custom`, `sort`/`dir`, `page`
and `view` (the saved view open). A saved view's query (domain.views) maps to them and back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from charter.domain.errors import CharterError, ValidationError
from charter.domain.roles import Perm
from charter.domain.schedule import as_working_minutes
from charter.services import custom_fields, projects, scheduling, views, work_packages
from charter.services.authz import can_in_packages
from charter.web.app import render

PAGE_ROWS = 500
MAX_FILTERS = 20  # custom field filters at once, as a saved view holds
SORTS = {
    "wbs": None,
    "name": "name",
    "duration": "duration_minutes",
    "start": "start",
    "finish": "finish",
    "total_float": "total_float_days",
    "free_float": "free_float_days",
    "percent_complete": "percent_complete",
    "variance": "finish_variance",
}
SINGLE = ("sort", "dir", "critical", "wp", "q", "baseline", "page", "cols", "view")


def edit_map(s: Any, actor: Any, project_id: int, sched: dict[str, Any]) -> dict[int | None, bool]:
    """Which work packages' tasks the actor may edit (None: tasks outside any package)."""
    return can_in_packages(s, actor, project_id, Perm.TASK_EDIT, [wp["id"] for wp in sched["summaries"]])


# ------------------------------------------------------------------------------------- views <-> parameters


def _pairs(names: Sequence[str], values: Sequence[str]) -> list[tuple[str, str]]:
    """The custom field filters: each `cf` with the `cv` at its place; a pair without a field is left out, as
    is a field named twice after its first."""
    out: dict[str, str] = {}
    for i, name in enumerate(names[: MAX_FILTERS * 2]):
        name = " ".join(name.split())
        if name and custom_fields.name_key(name) not in {custom_fields.name_key(n) for n in out}:
            out[name] = values[i] if i < len(values) else ""
    return list(out.items())[:MAX_FILTERS]


def query_of(form: dict[str, str]) -> dict[str, Any]:
    """A view form's fields (the table's parameters, several `cf`/`cv` one per line as web.forms joins them)
    as a view's query (domain.views); what the view checks is left to it."""
    out: dict[str, Any] = {}
    if (form.get("q") or "").strip():
        out["q"] = form["q"]
    for key, name in (("wp", "work_package_id"), ("baseline", "baseline")):
        if (form.get(key) or "").strip():
            out[name] = form[key].strip()
    if form.get("critical"):
        out["critical"] = True
    if form.get("cols") == "custom":
        out["custom_columns"] = True
    pairs = _pairs((form.get("cf") or "").split("\n"), (form.get("cv") or "").split("\n"))
    if pairs:
        out["fields"] = dict(pairs)
    sort = form.get("sort") or "wbs"
    if sort != "wbs" or form.get("dir") == "desc":
        out["sort"] = ("-" if form.get("dir") == "desc" else "") + sort
    return out


def params_of(query: dict[str, Any]) -> list[tuple[str, str]]:
    """A view's query as the task table's parameters, in order (a `cf`/`cv` pair per custom field filter)."""
    out: list[tuple[str, str]] = []
    if query.get("q"):
        out.append(("q", query["q"]))
    if query.get("work_package_id") is not None:
        out.append(("wp", str(query["work_package_id"])))
    if query.get("critical"):
        out.append(("critical", "1"))
    if query.get("baseline") is not None:
        out.append(("baseline", str(query["baseline"])))
    for name, value in (query.get("fields") or {}).items():
        out += [("cf", name), ("cv", value)]
    if query.get("custom_columns"):
        out.append(("cols", "custom"))
    sort = str(query.get("sort") or "")
    if sort:
        out.append(("sort", sort.lstrip("-")))
        if sort.startswith("-"):
            out.append(("dir", "desc"))
    return out


def link_of(project_id: int, view: dict[str, Any]) -> str:
    return f"/projects/{project_id}/schedule?" + urlencode([*params_of(view["query"]), ("view", view["id"])])


# ------------------------------------------------------------------------------------------------ the rows


def table_rows(
    sched: dict[str, Any], q: dict[str, Any], tests: Sequence[Any] = (), custom_sort: Any = None
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = sched["tasks"]
    if tests:  # the custom field filters (custom_fields.value_tests): every one holds
        rows = [t for t in rows if all(test(t["custom_fields"].get(name)) for _, name, test in tests)]
    for t in rows:
        b = t.get("baseline")
        t["finish_variance"] = b["finish_variance_days"] if b else None
    if q.get("critical"):
        rows = [t for t in rows if t["critical"]]
    wp = q.get("wp", "")
    if wp.isdecimal():
        rows = [t for t in rows if t["work_package_id"] == int(wp)]
    words = q.get("q", "").lower().split()
    if words:
        rows = [t for t in rows if all(w in t["name"].lower() for w in words)]
    key = SORTS.get(q.get("sort", "wbs"))
    if custom_sort is not None:  # by a custom field (custom_fields.sort_key); tasks without a value last
        _, name, value_key = custom_sort
        present = [t for t in rows if t["custom_fields"].get(name) is not None]
        missing = [t for t in rows if t["custom_fields"].get(name) is None]
        present.sort(key=lambda t: value_key(t["custom_fields"][name]))
        rows = present + missing
    elif key == "duration_minutes":  # an elapsed task's wall-clock minutes as working ones (each day a day)
        mpd = sched["minutes_per_day"]
        rows = sorted(rows, key=lambda t: as_working_minutes(t[key], t["duration_unit"], mpd))
    elif key:  # floats are in days: an elapsed task's elapsed days weigh as working days
        present = [t for t in rows if t[key] is not None]
        missing = [t for t in rows if t[key] is None]
        present.sort(key=lambda t: t[key].lower() if isinstance(t[key], str) else t[key])
        rows = present + missing
    if q.get("dir") == "desc":
        rows = list(reversed(rows))
    return rows


def _field_tests(s: Any, project_id: int, filters: list[tuple[str, str]]) -> tuple[list[Any], Any]:
    """The tests of the filters that read, and the first that does not (its place and why) or None."""
    tests: list[Any] = []
    for i, (name, value) in enumerate(filters):
        try:
            tests += custom_fields.value_tests(s, project_id, {name: value})
        except ValidationError as exc:
            return tests, {"index": i, "message": exc.message}
    return tests, None


# -------------------------------------------------------------------------------------------- the page


def table_page(
    request: Request,
    db: Any,
    info: Any,
    project_id: int,
    *,
    error: dict[str, Any] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    imported: dict[str, Any] | None = None,
) -> HTMLResponse:
    qp = request.query_params
    q: dict[str, Any] = {k: qp.get(k, "") for k in SINGLE}
    if q["sort"] not in SORTS and not q["sort"].startswith(custom_fields.SORT_PREFIX):
        q["sort"] = "wbs"
    q["dir"] = "desc" if q["dir"] == "desc" else "asc"
    filters = _pairs(qp.getlist("cf"), qp.getlist("cv"))
    baseline = int(q["baseline"]) if q["baseline"].isdecimal() else None
    page = max(1, int(q["page"])) if q["page"].isdecimal() else 1
    with db.uow(readonly=True) as s:
        project = projects.get_project(s, info.actor, project_id)
        caps = projects.capabilities(s, info.actor, project_id)
        sched = scheduling.get_schedule(s, info.actor, project_id, baseline=baseline)
        baselines = scheduling.list_baselines(s, info.actor, project_id)
        edit = edit_map(s, info.actor, project_id, sched)
        wps = work_packages.list_work_packages(s, info.actor, project_id)
        fields = custom_fields.list_fields(s, info.actor, project_id)
        saved = views.list_views(s, info.actor, project_id)
        tests, filter_error = _field_tests(s, project_id, filters)
        custom_sort = None
        if q["sort"].startswith(custom_fields.SORT_PREFIX):
            try:
                custom_sort = custom_fields.sort_key(
                    s, project_id, q["sort"][len(custom_fields.SORT_PREFIX) :]
                )
            except ValidationError:  # a field renamed or archived since the link was made: the WBS order
                q["sort"] = "wbs"
    rows = table_rows(sched, q, tests, custom_sort)
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page = min(page, pages)
    kept = [(k, v) for k, v in q.items() if k not in ("page", "view") and v]
    kept += [p for name, value in filters for p in (("cf", name), ("cv", value))]

    def link(**over: Any) -> str:
        params = [(k, v) for k, v in {**q, "page": "", **over}.items() if v not in ("", None)]
        params += [p for name, value in filters for p in (("cf", name), ("cv", value))]
        return f"/projects/{project_id}/schedule" + (f"?{urlencode(params)}" if params else "")

    return render(
        request,
        "schedule_table.html",
        {
            "project": project,
            "caps": caps,
            "sched": sched,
            "rows": rows[(page - 1) * PAGE_ROWS : page * PAGE_ROWS],
            "total": len(rows),
            "page": page,
            "pages": pages,
            "q": q,
            "filters": filters,
            "filter_rows": [*filters, ("", "")] if len(filters) < MAX_FILTERS else filters,
            "link": link,
            "edit": edit,
            "baselines": baselines,
            "baseline": baseline,
            "wps": wps,
            "fields": fields,
            "custom_cols": [f["name"] for f in fields] if q["cols"] == "custom" else [],
            "filter_error": filter_error,
            "error": error,
            "values": values or {},
            "can_add": any(edit.values()),
            "imported": imported,
            "views": [{**v, "link": link_of(project_id, v)} for v in saved],
            "active_view": next((v for v in saved if str(v["id"]) == q["view"]), None),
            "may_share": "project.edit" in caps,
            "table_params": kept,
        },
        status,
    )


def failed_page(
    request: Request,
    db: Any,
    info: Any,
    project_id: int,
    form_name: str,
    exc: CharterError,
    form: dict[str, str],
) -> HTMLResponse:
    """The table again after one of its forms failed: the error beside that form (`form_name`), what was typed
    kept, the error's status; a project or an object the actor cannot see stays a 404."""
    if exc.http_status == 404 and exc.field is None:
        raise exc
    err = {"form": form_name, "message": exc.message, "field": exc.field}
    return table_page(request, db, info, project_id, error=err, values={**form, "_form": form_name},
                      status=exc.http_status)  # fmt: skip
