"""A project's journal as a reader may see it: journal.read, without the records the reader may only see on
their own pages (conflicts for those who do not see every conflict; message threads for all but the PM)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from charter.domain.roles import Perm
from charter.persistence.models import CustomField
from charter.services import comms_common, conflicts, journal
from charter.services.authz import project_for
from charter.services.context import Actor


def hidden_types(s: Session, actor: Actor, project_id: int) -> tuple[str, ...]:
    return conflicts.hidden_journal_types(s, actor, project_id) + comms_common.hidden_journal_types(
        s, actor, project_id
    )


def entries(
    s: Session,
    actor: Actor,
    project_id: int,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first, as `journal.entries`, for a reader with journal.read on the project."""
    project_for(s, actor, project_id, Perm.JOURNAL_READ)
    out = journal.entries(s, project_id=project_id, entity_type=entity_type, entity_id=entity_id, limit=limit,
                          offset=offset, hide_entity_types=hidden_types(s, actor, project_id))  # fmt: skip
    return _custom_by_name(s, project_id, out)


def _custom_by_name(s: Session, project_id: int, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task's custom field values are stored by field id ({"3": "ACME"}): its entries show each value that
    changed under the field's name instead ("custom_fields.Customer": [None, "ACME"]), archived fields too."""
    if not any("custom" in (e["changes"] or {}) for e in out if e["entity_type"] == "task"):
        return out
    cf = CustomField.__table__.c
    names = {
        str(fid): name for fid, name in s.execute(select(cf.id, cf.name).where(cf.project_id == project_id))
    }
    for e in out:
        changes = e["changes"] or {}
        if e["entity_type"] != "task" or "custom" not in changes:
            continue
        before, after = (v or {} for v in changes["custom"])
        shown = {
            k: v for k, v in changes.items() if k != "custom"
        }  # a new dict: the entry's row stays as it is
        for key in dict.fromkeys([*before, *after]):
            if before.get(key) != after.get(key):
                shown[f"custom_fields.{names.get(key, '#' + key)}"] = [before.get(key), after.get(key)]
        e["changes"] = shown
    return out
