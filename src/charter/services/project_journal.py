"""A project's journal as a reader may see it: journal.read, without the records the reader may only see on
their own pages (conflicts for those who do not see every conflict; message threads for all but the PM)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from charter.domain.roles import Perm
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
    return journal.entries(s, project_id=project_id, entity_type=entity_type, entity_id=entity_id, limit=limit,
                           offset=offset, hide_entity_types=hidden_types(s, actor, project_id))  # fmt: skip
