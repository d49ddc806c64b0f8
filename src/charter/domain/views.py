"""Saved views of a project's task list: a name and the list's filters, sort and columns, as MS Project's
views and filters, Jira's saved filters and Redmine's queries keep them.

A view's query is plain JSON with these keys, each optional: `q` (words in the name), `work_package_id`,
`critical` (true: the critical tasks only), `baseline` (the number compared with), `fields` ({custom field
name: value}, as the list's `field` filters), `sort` (a sort key, "-" first for descending; `field:NAME` for a
custom field) and `custom_columns` (the task table shows a column per custom field).
"""

from __future__ import annotations

from typing import Any

from charter.domain.errors import ValidationError
from charter.domain.labels import clean_label, label_key

MAX_NAME = 80
MAX_VIEWS = 100  # per person and project: the task table lists them all
# the sorts of the task table and of the API's list (a surface without one shows the WBS order)
SORTS = frozenset({"wbs", "name", "start", "finish", "total_float", "free_float", "duration", "priority",
                   "percent_complete", "variance"})  # fmt: skip
FIELD_SORT = "field:"
KEYS = ("q", "work_package_id", "critical", "baseline", "fields", "sort", "custom_columns")


def clean_name(value: object) -> str:
    return clean_label(value, "the view", MAX_NAME)


def rename_field(query: dict[str, Any], old: str, new: str) -> dict[str, Any] | None:
    """The query with the custom field `old` (as it is looked up: any case, spaces collapsed) named `new` in
    its filters and its sort, or None when it does not name that field."""
    key = label_key(old)
    out = dict(query)
    fields = query.get("fields") or {}
    if any(label_key(name) == key for name in fields):
        out["fields"] = {new if label_key(name) == key else name: v for name, v in fields.items()}
    sort = str(query.get("sort") or "")
    bare = sort.lstrip("-")
    if bare.startswith(FIELD_SORT) and label_key(bare[len(FIELD_SORT) :]) == key:
        out["sort"] = sort[: len(sort) - len(bare)] + FIELD_SORT + new
    return out if out != query else None


def clean_query(value: object) -> dict[str, Any]:
    """A view's query with only the keys a task list knows, each checked; empty values left out."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("the query is an object of the task list's filters", field="query")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise ValidationError(
            f"a view has no {unknown[0]!r}; use {', '.join(KEYS)}", field=f"query.{unknown[0]}"
        )
    out: dict[str, Any] = {}
    q = value.get("q")
    if q not in (None, ""):
        if not isinstance(q, str) or len(q) > 200:
            raise ValidationError("words in the name: text of at most 200 characters", field="query.q")
        if q.strip():
            out["q"] = " ".join(q.split())
    for key, top in (("work_package_id", 2**31 - 1), ("baseline", 10)):
        v = value.get(key)
        if v in (None, ""):
            continue
        if isinstance(v, str) and v.strip().isdecimal():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= top:
            raise ValidationError(f"a whole number from 0 to {top}", field=f"query.{key}")
        out[key] = v
    for key in ("critical", "custom_columns"):
        v = value.get(key)
        if v in (None, False, ""):
            continue
        if v is not True:
            raise ValidationError("true or false", field=f"query.{key}")
        out[key] = True
    fields = value.get("fields")
    if fields:
        if not isinstance(fields, dict) or len(fields) > 20:
            raise ValidationError(
                "an object of at most 20 custom field names and values", field="query.fields"
            )
        for name, v in fields.items():
            if not isinstance(v, str) or len(v) > 2000 or len(name) > 80 or not name.strip():
                raise ValidationError("each custom field's value is text of at most 2,000 characters",
                                      field="query.fields")  # fmt: skip
        out["fields"] = {name.strip(): v for name, v in fields.items()}
    sort = value.get("sort")
    if sort not in (None, "", "wbs"):
        key = sort.lstrip("-") if isinstance(sort, str) else ""
        if key not in SORTS and not (key.startswith(FIELD_SORT) and 0 < len(key) - len(FIELD_SORT) <= 80):
            raise ValidationError(
                f"cannot sort by {str(sort)[:40]!r}; use one of {', '.join(sorted(SORTS))} or field:NAME",
                field="query.sort",
            )
        out["sort"] = sort
    return out
