"""Custom fields: a project's own fields on its tasks (domain.custom_fields).

The Project Manager (project.edit) defines them; whoever may edit a task (task.edit on its work package) sets
its values, as part of the task's own update: the values live on the task row (`tasks.custom`, by field id),
so a value changes with the task's version, is journaled with it, and a stale write of it gets 409. A field
is archived, never deleted: its values stay on the tasks and come back when it is restored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import custom_fields as rules
from charter.domain.errors import Conflict, NotFound, ValidationError, stale
from charter.domain.labels import label_key
from charter.domain.roles import Perm
from charter.persistence.db import get_for_update
from charter.persistence.models import CustomField, Task
from charter.services import journal, views
from charter.services.authz import project_for
from charter.services.context import Actor, now

CHANGEABLE = frozenset({"name", "choices", "position", "archived", "required", "default"})


def field_dict(f: CustomField) -> dict[str, Any]:
    return {
        "id": f.id,
        "project_id": f.project_id,
        "name": f.name,
        "kind": f.kind,
        "choices": list(f.choices or []),
        "position": f.position,
        "archived": f.archived,
        "required": bool(f.required),
        "default": f.default_value,
        "version": f.version,
    }


def definitions(s: Session, project_id: int) -> list[CustomField]:
    """The project's fields in use (not archived), in their order: what a task shows and accepts."""
    return list(
        s.scalars(
            select(CustomField)
            .where(CustomField.project_id == project_id, CustomField.archived.is_(False))
            .order_by(CustomField.position, CustomField.id)
        )
    )


name_key = label_key  # a field's name as it is looked up: spaces collapsed, any case


def _by_name(s: Session, project_id: int) -> dict[str, CustomField]:
    """The fields in use by their looked-up name (_key)."""
    return {name_key(f.name): f for f in definitions(s, project_id)}


def list_fields(s: Session, actor: Actor, project_id: int, *, archived: bool = False) -> list[dict[str, Any]]:
    """The fields in use, in order; with `archived`, the archived ones after them."""
    project_for(s, actor, project_id)
    q = select(CustomField).where(CustomField.project_id == project_id)
    if not archived:
        q = q.where(CustomField.archived.is_(False))
    rows = s.scalars(q.order_by(CustomField.archived, CustomField.position, CustomField.id))
    return [field_dict(f) for f in rows]


def _get(s: Session, project_id: int, field_id: int, *, lock: bool = False) -> CustomField:
    f = get_for_update(s, CustomField, field_id) if lock else s.get(CustomField, field_id)
    if f is None or f.project_id != project_id:
        raise NotFound(f"custom field {field_id} not found in this project", field="field_id")
    return f


def get_field(s: Session, actor: Actor, project_id: int, field_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    return field_dict(_get(s, project_id, field_id))


def _check_name_free(s: Session, project_id: int, name: str, but: int | None = None) -> None:
    for other in definitions(s, project_id):
        if other.id != but and other.name.casefold() == name.casefold():
            raise Conflict(f"this project already has a field named {other.name!r}", field="name")


def _check_room(s: Session, project_id: int) -> None:
    if len(definitions(s, project_id)) >= rules.MAX_FIELDS:
        raise Conflict(
            f"a project has at most {rules.MAX_FIELDS} custom fields in use; archive one first", field="name"
        )


def create_field(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    name: str,
    kind: str,
    choices: Any = None,
    required: bool = False,
    default: Any = None,
) -> dict[str, Any]:
    """A new field at the end of the list. `required`: every task made from now on needs a value (tasks that
    exist keep theirs, or none); `default`: the value a new task gets when none is given."""
    # the project's row lock: two people adding "Customer" at once get one field and one 409
    project_for(s, actor, project_id, Perm.PROJECT_EDIT, for_update=True)
    clean = rules.clean_name(name)
    k = rules.parse_kind(kind)
    options = rules.clean_choices(k, choices)
    must = rules.check_required(k, required)
    fallback = rules.clean_default(k, options, default)
    _check_name_free(s, project_id, clean)
    _check_room(s, project_id)
    last = s.scalar(select(func.max(CustomField.position)).where(CustomField.project_id == project_id))
    f = CustomField(
        project_id=project_id,
        name=clean,
        kind=k.value,
        choices=options,
        position=(last or 0) + 1,
        archived=False,
        required=must,
        default_value=fallback,
        created_at=now(),
    )
    s.add(f)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="custom_field",
        entity_id=f.id,
        action="create",
        project_id=project_id,
        after=journal.snapshot(f),
    )
    return field_dict(f)


def _tasks_with(s: Session, project_id: int, field_id: int) -> list[tuple[int, Any]]:
    """(task id, value) of the project's tasks that hold a value of this field (read in Python: JSON
    querying differs between the databases, and a project has thousands of tasks at most)."""
    key = str(field_id)
    rows = s.execute(
        select(Task.id, Task.custom).where(Task.project_id == project_id, Task.custom.is_not(None))
    )
    return [(tid, custom[key]) for tid, custom in rows if custom and custom.get(key) is not None]


def _among(value: Any, options: list[str]) -> bool:
    return all(v in options for v in (value if isinstance(value, list) else [value]))


def update_field(
    s: Session, actor: Actor, project_id: int, field_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Rename, change the choices, move, archive or restore a field. Its kind never changes (the values
    were checked against it); a choice that tasks still hold cannot be removed."""
    project_for(s, actor, project_id, Perm.PROJECT_EDIT, for_update=True)
    if "kind" in changes:
        raise ValidationError(
            "a field's kind cannot change; add a new field and archive this one", field="kind"
        )
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    f = _get(s, project_id, field_id, lock=True)
    if f.version != version:
        raise stale("custom field", version, field_dict(f))
    before = journal.snapshot(f)
    kind = rules.FieldKind(f.kind)
    # every check reads before anything is set: a read would flush a half-made change (and bump the version)
    archived = f.archived if changes.get("archived") is None else bool(changes["archived"])
    name = f.name if changes.get("name") is None else rules.clean_name(changes["name"])
    if not archived and (f.archived or name != f.name):  # restored or renamed among the fields in use
        _check_name_free(s, project_id, name, but=f.id)
    if f.archived and not archived:
        _check_room(s, project_id)
    options = list(f.choices or [])
    if changes.get("choices") is not None:
        options = rules.clean_choices(kind, changes["choices"])
        kept = {c.casefold() for c in options}
        held = [
            (tid, gone)
            for tid, v in _tasks_with(s, project_id, f.id)
            if (
                gone := [str(c) for c in (v if isinstance(v, list) else [v]) if str(c).casefold() not in kept]
            )
        ]
        if held:
            values = sorted({c for _, gone in held for c in gone})
            raise Conflict(
                f"{len(held)} task(s) still have {', '.join(repr(v) for v in values[:5])}; "
                "change them before removing the choice",
                field="choices",
            )
    must = f.required if changes.get("required") is None else rules.check_required(kind, changes["required"])
    fallback = f.default_value
    if "default" in changes:
        fallback = rules.clean_default(kind, options, changes["default"])
    elif fallback is not None and kind in rules.LISTED and not _among(fallback, options):
        raise ValidationError(
            f"the default {rules.value_text(fallback)!r} is not one of the choices; change the default too",
            field="choices",
        )
    position = f.position
    if changes.get("position") is not None:
        position = changes["position"]
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 10_000:
            raise ValidationError("the position is a whole number from 0 to 10000", field="position")
    old_name = f.name
    f.archived, f.name, f.choices, f.position = archived, name, options, position
    f.required, f.default_value = must, fallback
    s.flush()
    if name != old_name:  # the saved views that filter or sort by it follow it
        views.follow_field_rename(s, actor, project_id, old_name, name)
    journal.record(
        s,
        actor,
        entity_type="custom_field",
        entity_id=f.id,
        action="update",
        project_id=project_id,
        before=before,
        after=journal.snapshot(f),
    )
    return field_dict(f)


# ------------------------------------------------------------------------------------------ task values


def parse_task_values(s: Session, project_id: int, values: Any) -> dict[str, Any]:
    """{field name: value as sent} → {field id as a string: stored value}, for the fields in use; a name the
    project does not have, or a value that does not fit its kind, is a 422 naming the field."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValidationError("custom_fields is an object of field names and values", field="custom_fields")
    by_name = _by_name(s, project_id)
    out: dict[str, Any] = {}
    for name, raw in values.items():
        f = by_name.get(name_key(name))
        if f is None:
            shown = str(name)[:80]
            raise ValidationError(
                f"this project has no custom field named {shown!r}", field=f"custom_fields.{shown}"
            )
        kind = rules.FieldKind(f.kind)
        out[str(f.id)] = rules.parse_value(kind, list(f.choices or []), raw, f"custom_fields.{f.name}")
    return out


def check_kept(
    s: Session, project_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    """A task's update may not clear a required field's value (a task made before the field was required,
    still without one, is saved as it is)."""
    for f in definitions(s, project_id):
        key = str(f.id)
        if f.required and (before or {}).get(key) is not None and (after or {}).get(key) is None:
            raise ValidationError("a value is required", field=f"custom_fields.{f.name}")


def for_new_task(
    s: Session,
    project_id: int,
    parsed: dict[str, Any],
    *,
    enforce: bool = True,
    defs: Sequence[CustomField] | None = None,
) -> dict[str, Any]:
    """A new task's values: those given, each field's default where none is given, and (`enforce`) a 422 for
    a required field left without a value. A task another record makes for its owner (a risk's response
    action) is made with `enforce=False`: the defaults, and the fields page counts what is missing."""
    out = dict(parsed)
    for f in definitions(s, project_id) if defs is None else defs:
        key = str(f.id)
        if out.get(key) is None and f.default_value is not None:
            out[key] = f.default_value
        if enforce and f.required and out.get(key) is None:
            raise ValidationError("a value is required", field=f"custom_fields.{f.name}")
    return out


def missing_required(s: Session, project_id: int) -> dict[int, int]:
    """{field id: how many of the project's tasks lack a value} for the required fields in use."""
    required = [f.id for f in definitions(s, project_id) if f.required]
    if not required:
        return {}
    counts = dict.fromkeys(required, 0)
    for (custom,) in s.execute(select(Task.custom).where(Task.project_id == project_id)):
        for fid in required:
            if (custom or {}).get(str(fid)) is None:
                counts[fid] += 1
    return counts


def merged(stored: dict[str, Any] | None, parsed: dict[str, Any]) -> dict[str, Any] | None:
    """A task's new values: the stored ones with the parsed ones over them (None clears); a new object, so
    that the journal's before-snapshot keeps the old one."""
    out = {k: v for k, v in (stored or {}).items()}
    for k, v in parsed.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out or None


def shown(custom: dict[str, Any] | None, defs: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """A task's values by field name, every field in use present (None where unset), in the fields' order."""
    held = custom or {}
    return {name: held.get(str(fid)) for fid, name in defs}


def name_map(s: Session, project_id: int) -> list[tuple[int, str]]:
    """(id, name) of the fields in use, in order: what task_dict needs to show a task's values."""
    cf = CustomField.__table__.c
    rows = s.connection().execute(
        select(cf.id, cf.name)
        .where(cf.project_id == project_id, cf.archived.is_(False))
        .order_by(cf.position, cf.id)
    )
    return [(fid, name) for fid, name in rows]


def value_tests(s: Session, project_id: int, wanted: dict[str, str]) -> list[tuple[int, str, Any]]:
    """(field id, field name, test of a stored value) for each `{field name: value}` a task list is filtered
    by: a text field's value contains the words (any case), another kind's equals the value as it is parsed
    for a task ("backend" is the choice "Backend", "5" the number 5), a flag "no" also matches a task that
    never had it set, a multi choice matches a task holding any of the options given, and an empty value
    matches the tasks without one."""
    by_name = _by_name(s, project_id)
    out: list[tuple[int, str, Any]] = []
    for name, raw in wanted.items():
        f = by_name.get(name_key(name))
        if f is None:
            raise ValidationError(f"this project has no custom field named {str(name)[:80]!r}", field="field")
        kind = rules.FieldKind(f.kind)
        want = rules.parse_value(kind, list(f.choices or []), raw, "field")
        test: Any
        if kind is rules.FieldKind.FLAG:
            test = lambda v, want=bool(want): bool(v) is want  # noqa: E731
        elif want is None:
            test = lambda v: v is None  # noqa: E731
        elif kind is rules.FieldKind.TEXT:
            test = lambda v, want=want.casefold(): v is not None and want in str(v).casefold()  # noqa: E731
        elif kind is rules.FieldKind.MULTI_CHOICE:
            test = lambda v, want=set(want): isinstance(v, list) and not want.isdisjoint(v)  # noqa: E731
        else:
            test = lambda v, want=want: v is not None and v == want  # noqa: E731
        out.append((f.id, f.name, test))
    return out


def parse_pairs(items: Sequence[str] | None) -> dict[str, str]:
    """`["Component=Backend", "Customer=ACME"]` as {name: value}: the API's `field` filters, and the CLI's
    `--field` options (filters in `task list`, values in `task add|update`)."""
    out: dict[str, str] = {}
    for item in items or ():
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise ValidationError(f'{item[:80]!r}: write NAME=VALUE (e.g. "Story points=5")', field="field")
        out[name.strip()] = value
    return out


SORT_PREFIX = "field:"  # a task list sorted by a custom field: sort=field:Story points (or -field:...)


def sort_key(s: Session, project_id: int, name: str) -> tuple[int, str, Any]:
    """(field id, field name, key of a stored value) to sort a task list by a custom field: numbers by value,
    text by its words in any case, dates in time, choices in the order the field lists them (as their
    meaning goes: Low, Medium, High), a multi choice by its options in that order, flags no before yes. Tasks
    without a value are the caller's to place."""
    f = _by_name(s, project_id).get(name_key(name))
    if f is None:
        raise ValidationError(
            f"this project has no custom field named {name[:80]!r} to sort by", field="sort"
        )
    kind = rules.FieldKind(f.kind)
    key: Any
    if kind is rules.FieldKind.CHOICE:
        order = {c.casefold(): i for i, c in enumerate(f.choices or [])}
        key = lambda v: order.get(str(v).casefold(), len(order))  # noqa: E731
    elif kind is rules.FieldKind.MULTI_CHOICE:
        order = {c.casefold(): i for i, c in enumerate(f.choices or [])}
        key = lambda v: [order.get(str(c).casefold(), len(order)) for c in v]  # noqa: E731
    elif kind is rules.FieldKind.TEXT:
        key = lambda v: str(v).casefold()  # noqa: E731
    elif kind is rules.FieldKind.FLAG:
        key = bool
    else:  # numbers; dates as ISO text sort in time
        key = lambda v: v  # noqa: E731
    return f.id, f.name, key
