"""Saved views of a project's task list (domain.views): a member's own, or shared with everyone who sees the
project.

Anyone who sees the project keeps views of their own; sharing a view, and changing or deleting a shared
view someone else made, needs project.edit (the Project Manager), as Redmine's public queries do. A view of
one's own that is not shared is seen by its owner only: to anyone else it does not exist (404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from charter.domain import views as rules
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import Perm
from charter.persistence.db import get_for_update
from charter.persistence.models import SavedView, User, WorkPackage
from charter.services import journal, scheduling
from charter.services.authz import can, project_for, require_user
from charter.services.context import Actor, now


def view_dict(
    v: SavedView, owner: str | None = None, *, mine: bool = False, may_change: bool = False
) -> dict[str, Any]:
    return {
        "id": v.id,
        "project_id": v.project_id,
        "name": v.name,
        "shared": bool(v.shared),
        "owner_id": v.owner_id,
        "owner": owner,
        "mine": mine,
        "may_change": may_change,
        "query": dict(v.query or {}),
        "version": v.version,
    }


def list_filters(query: dict[str, Any]) -> dict[str, Any]:
    """A view's query as `scheduling.list_tasks` takes it (the API's and the CLI's task list): a sort that list
    lacks (a baseline's variance: the task table's) is the WBS order."""
    sort = str(query.get("sort") or "wbs")
    key = sort.lstrip("-")
    if key not in scheduling.LIST_SORTS and not key.startswith(rules.FIELD_SORT):
        sort = "wbs"
    return {"sort": sort, "critical": True if query.get("critical") else None,
            "work_package_id": query.get("work_package_id"), "q": query.get("q"),
            "custom": dict(query.get("fields") or {}) or None}  # fmt: skip


def over_view(
    s: Session, actor: Actor, project_id: int, view_id: int, given: dict[str, Any]
) -> dict[str, Any]:
    """A task list's arguments (`list_tasks`'s sort, critical, work_package_id, q, custom) from a saved view,
    with those the caller gave over them (a sort other than the WBS order, a filter that is set)."""
    saved = list_filters(get_view(s, actor, project_id, view_id)["query"])
    return {k: given[k] if given.get(k) not in (None, {}, "wbs") else saved[k] for k in saved}


def _visible(actor: Actor) -> Any:
    return or_(SavedView.shared.is_(True), SavedView.owner_id == actor.user_id)


def list_views(s: Session, actor: Actor, project_id: int) -> list[dict[str, Any]]:
    """The views the actor sees in the project: their own and the shared ones, by name."""
    project_for(s, actor, project_id)
    editor = can(s, actor, project_id, Perm.PROJECT_EDIT)
    rows = s.execute(
        select(SavedView, User.display_name)
        .join(User, User.id == SavedView.owner_id)
        .where(SavedView.project_id == project_id, _visible(actor))
        .order_by(func.lower(SavedView.name), SavedView.id)
    )
    return [_out(v, who, actor, editor) for v, who in rows]


def _out(v: SavedView, owner: str | None, actor: Actor, editor: bool) -> dict[str, Any]:
    mine = v.owner_id == actor.user_id
    return view_dict(v, owner, mine=mine, may_change=mine or (editor and v.shared))


def _get(s: Session, actor: Actor, project_id: int, view_id: int, *, lock: bool = False) -> SavedView:
    v = get_for_update(s, SavedView, view_id) if lock else s.get(SavedView, view_id)
    if v is None or v.project_id != project_id or not (v.shared or v.owner_id == actor.user_id):
        raise NotFound(f"view {view_id} not found in this project", field="view_id")
    return v


def get_view(s: Session, actor: Actor, project_id: int, view_id: int) -> dict[str, Any]:
    project_for(s, actor, project_id)
    v = _get(s, actor, project_id, view_id)
    return _out(v, _owner_name(s, v), actor, can(s, actor, project_id, Perm.PROJECT_EDIT))


def find_view(s: Session, actor: Actor, project_id: int, name: str) -> dict[str, Any]:
    """A view the actor sees, by its name in any case (their own first): for `charter task list --view`."""
    wanted = " ".join(name.split()).casefold()
    found = [v for v in list_views(s, actor, project_id) if v["name"].casefold() == wanted]
    found.sort(key=lambda v: not v["mine"])
    if not found:
        raise NotFound(f"no view named {name[:80]!r} in this project", field="view")
    return found[0]


def _owner_name(s: Session, v: SavedView) -> str | None:
    return s.scalar(select(User.display_name).where(User.id == v.owner_id))


def _check_share(s: Session, actor: Actor, project_id: int) -> None:
    if not can(s, actor, project_id, Perm.PROJECT_EDIT):
        raise PermissionDenied("sharing views with the project needs project.edit (the Project Manager)")


def _check_name_free(s: Session, actor: Actor, project_id: int, name: str, but: int | None = None) -> None:
    for other in s.scalars(
        select(SavedView).where(SavedView.project_id == project_id, SavedView.owner_id == actor.user_id)
    ):
        if other.id != but and other.name.casefold() == name.casefold():
            raise Conflict(f"you already have a view named {other.name!r} in this project", field="name")


def create_view(
    s: Session, actor: Actor, project_id: int, *, name: str, query: Any = None, shared: bool = False
) -> dict[str, Any]:
    """A view of the actor's own (`shared`: everyone who sees the project sees it; needs project.edit)."""
    require_user(actor)
    project_for(s, actor, project_id, for_update=True)  # the project's row: one of two same names wins
    if actor.user_id is None:
        raise PermissionDenied("views belong to a person; the system account has none")
    clean = rules.clean_name(name)
    q = _checked_query(s, project_id, query)
    if shared:
        _check_share(s, actor, project_id)
    _check_name_free(s, actor, project_id, clean)
    count = s.scalar(
        select(func.count()).where(SavedView.project_id == project_id, SavedView.owner_id == actor.user_id)
    )
    if (count or 0) >= rules.MAX_VIEWS:
        raise Conflict(f"you have {rules.MAX_VIEWS} views in this project; delete one first", field="name")
    v = SavedView(project_id=project_id, owner_id=actor.user_id, name=clean, shared=bool(shared), query=q,
                  created_at=now())  # fmt: skip
    s.add(v)
    s.flush()
    journal.record(s, actor, entity_type="saved_view", entity_id=v.id, action="create",
                   project_id=_in(v.shared, project_id), after=journal.snapshot(v))  # fmt: skip
    return _out(v, _owner_name(s, v), actor, can(s, actor, project_id, Perm.PROJECT_EDIT))


def _checked_query(s: Session, project_id: int, query: Any) -> dict[str, Any]:
    """The query checked (domain.views), its work package one of this project's, and its custom field
    filters and sort what the task list takes: a view saved with a field the project does not have, or a
    value the field does not take, was kept and then showed only the table's error whenever it was opened."""
    from charter.services import custom_fields  # it follows field renames into the views: imported when used

    q = rules.clean_query(query)
    wp = q.get("work_package_id")
    if wp is not None:
        found = s.get(WorkPackage, wp)
        if found is None or found.project_id != project_id:
            raise ValidationError(f"this project has no work package {wp}", field="query.work_package_id")
    try:
        if q.get("fields"):
            custom_fields.value_tests(s, project_id, q["fields"])
    except ValidationError as exc:
        raise ValidationError(exc.message, field="query.fields") from None
    sort = str(q.get("sort") or "").lstrip("-")
    if sort.startswith(rules.FIELD_SORT):
        try:
            custom_fields.sort_key(s, project_id, sort[len(rules.FIELD_SORT) :])
        except ValidationError as exc:
            raise ValidationError(exc.message, field="query.sort") from None
    return q


def _in(shared: bool, project_id: int) -> int | None:
    """Where a view's change is journaled: a shared view's in the project's journal, a private view's in the
    instance's (the admin's audit), so that the project's readers do not see the names of others' own views."""
    return project_id if shared else None


def _to_change(s: Session, actor: Actor, project_id: int, view_id: int, version: int) -> SavedView:
    """The view, locked, when the actor may change it (its owner, or project.edit for a shared one) and
    `version` is the one stored (else 409 with the current state)."""
    project_for(s, actor, project_id)
    v = _get(s, actor, project_id, view_id, lock=True)
    if v.owner_id != actor.user_id and not can(s, actor, project_id, Perm.PROJECT_EDIT):
        raise PermissionDenied("only its owner or the Project Manager changes a shared view")
    if v.version != version:
        raise stale("view", version, view_dict(v, _owner_name(s, v)))
    return v


def update_view(
    s: Session, actor: Actor, project_id: int, view_id: int, version: int, **changes: Any
) -> dict[str, Any]:
    """Rename, share or stop sharing, or save new filters (`query`) in a view."""
    v = _to_change(s, actor, project_id, view_id, version)
    before = journal.snapshot(v)
    name = v.name if changes.get("name") is None else rules.clean_name(changes["name"])
    if name != v.name and v.owner_id == actor.user_id:
        _check_name_free(s, actor, project_id, name, but=v.id)
    shared = v.shared if changes.get("shared") is None else bool(changes["shared"])
    if shared != v.shared:
        _check_share(s, actor, project_id)
    query = v.query if changes.get("query") is None else _checked_query(s, project_id, changes["query"])
    v.name, v.shared, v.query = name, shared, query
    s.flush()
    journal.record(s, actor, entity_type="saved_view", entity_id=v.id, action="update",
                   project_id=_in(before["shared"] or v.shared, project_id),
                   before=before, after=journal.snapshot(v))  # fmt: skip
    return _out(v, _owner_name(s, v), actor, can(s, actor, project_id, Perm.PROJECT_EDIT))


def follow_field_rename(s: Session, actor: Actor, project_id: int, old: str, new: str) -> int:
    """A custom field renamed (custom_fields.update_field, in its transaction): every view of the project that
    filters or sorts by it, anyone's, names it anew, so that a saved view keeps working. Each one changed is a
    new version, journaled where its other changes are. Returns how many changed."""
    changed = 0
    for v in s.scalars(
        select(SavedView).where(SavedView.project_id == project_id).order_by(SavedView.id).with_for_update()
    ):
        query = rules.rename_field(dict(v.query or {}), old, new)
        if query is None:
            continue
        before = journal.snapshot(v)
        v.query = query
        s.flush()
        journal.record(s, actor, entity_type="saved_view", entity_id=v.id, action="update",
                       project_id=_in(v.shared, project_id), before=before, after=journal.snapshot(v),
                       cause=f"custom field {old!r} renamed {new!r}")  # fmt: skip
        changed += 1
    return changed


def delete_view(s: Session, actor: Actor, project_id: int, view_id: int, version: int) -> None:
    """A view is a person's way of looking at the list, not project data: deleted outright, its last state
    kept in the journal."""
    v = _to_change(s, actor, project_id, view_id, version)
    before = journal.snapshot(v)
    s.delete(v)
    s.flush()
    journal.record(s, actor, entity_type="saved_view", entity_id=view_id, action="delete",
                   project_id=_in(before["shared"], project_id),
                   before=before)  # fmt: skip
