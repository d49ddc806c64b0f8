"""What a thread is about: a task, work package, risk, concern, change request, purchase order or meeting of
the same project (`CommItem.entity_type` / `entity_id`, see `domain.communications.ENTITY_TYPES`).

`check` refuses an object that does not exist in the project (404, like any object the caller cannot see),
`describe` names it for a thread's "About" line, and `find` reads the CLI's `--about KIND:REF`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import communications as C
from charter.domain.errors import NotFound, PermissionDenied, ValidationError
from charter.domain.ids import as_id
from charter.persistence.models import (
    ChangeRequest,
    Concern,
    Meeting,
    PurchaseOrder,
    Risk,
    Task,
    WorkPackage,
)
from charter.services.authz import project_for
from charter.services.comms_common import task_leader_of
from charter.services.context import Actor
from charter.services.timesheets import find_task_id
from charter.services.work_packages import find_work_package_id

MODELS: dict[str, Any] = {
    "task": Task,
    "work_package": WorkPackage,
    "risk": Risk,
    "concern": Concern,
    "change_request": ChangeRequest,
    "purchase_order": PurchaseOrder,
    "meeting": Meeting,
}
WORDS = {  # how an object is called in a sentence
    "task": "task",
    "work_package": "work package",
    "risk": "risk",
    "concern": "concern",
    "change_request": "change request",
    "purchase_order": "purchase order",
    "meeting": "meeting",
}
# the KIND of `--about KIND:REF`, and the entity type it stands for
ALIASES = {
    "task": "task",
    "wp": "work_package",
    "work_package": "work_package",
    "work-package": "work_package",
    "risk": "risk",
    "concern": "concern",
    "change": "change_request",
    "cr": "change_request",
    "change_request": "change_request",
    "change-request": "change_request",
    "po": "purchase_order",
    "purchase_order": "purchase_order",
    "purchase-order": "purchase_order",
    "meeting": "meeting",
}
assert set(MODELS) == set(C.ENTITY_TYPES) == set(WORDS) == set(ALIASES.values())


def _object(s: Session, project_id: int, entity_type: str, entity_id: int) -> Any:
    obj = s.get(MODELS[entity_type], entity_id)
    return obj if obj is not None and obj.project_id == project_id else None


def _readable(s: Session, actor: Actor, project_id: int, entity_type: str, entity_id: int) -> bool:
    """Whether the sender may read the object where its reads are narrower than the project's: a concern
    (confidential ones: its raiser, the PM, the department's liaison) and a purchase order (those who read
    the procurement of its budget line's package). Every member reads the other kinds."""
    from charter.services import procurement_orders, stakeholders  # they send messages themselves

    readers = {"concern": stakeholders.get_concern, "purchase_order": procurement_orders.get_order}
    if entity_type not in readers:
        return True
    try:
        readers[entity_type](s, actor, project_id, entity_id)
    except (NotFound, PermissionDenied):
        return False
    return True


def check(s: Session, actor: Actor, project_id: int, entity_type: str | None, entity_id: int | None) -> None:
    """Both or neither; a known type; an object of that type in this project that the sender may read (else
    not found, field entity_id: an object of another project, or one the sender may not read, is not told
    apart from one that does not exist — its name would show on the thread)."""
    if (entity_type is None) != (entity_id is None):
        raise ValidationError("give both entity_type and entity_id, or neither", field="entity_type")
    if entity_type is None or entity_id is None:
        return
    if entity_type not in MODELS:
        raise ValidationError(f"entity_type must be one of: {', '.join(C.ENTITY_TYPES)}", field="entity_type")
    if _object(s, project_id, entity_type, entity_id) is None or not _readable(
        s, actor, project_id, entity_type, entity_id
    ):
        raise NotFound(f"{WORDS[entity_type]} {entity_id} not found in this project", field="entity_id")


def _name(entity_type: str, obj: Any) -> str:
    if entity_type in ("task", "work_package"):
        return f"{obj.wbs_code} {obj.name}".strip()
    if entity_type == "risk":
        return f"R-{obj.number} {obj.title}"
    if entity_type == "change_request":
        return f"CR-{obj.number} {obj.title}"
    if entity_type == "purchase_order":
        return f"PO {obj.number}"
    if entity_type == "concern":
        return str(obj.subject)
    return str(obj.title)


def describe(
    s: Session, project_id: int, entity_type: str | None, entity_id: int | None
) -> dict[str, Any] | None:
    """What the thread is about, named: {type, id, word, name}; the name is None when the object is gone."""
    if entity_type is None or entity_id is None:
        return None
    obj = _object(s, project_id, entity_type, entity_id) if entity_type in MODELS else None
    return {
        "type": entity_type,
        "id": entity_id,
        "word": WORDS.get(entity_type, entity_type),
        "name": _name(entity_type, obj) if obj is not None else None,
    }


def _number(ref: str, prefix: str) -> int | None:
    v = ref.strip().upper().removeprefix(f"{prefix}-")
    return as_id(v)


def find(s: Session, actor: Actor, project_id: int, about: str) -> tuple[str, int]:
    """`KIND:REF` → (entity type, id). KIND: task, wp, risk, change (cr), concern, po, meeting. REF: a task
    by id, WBS code or name; a work package by WBS code, id or name; a risk R-n; a change request CR-n; a
    purchase order by its number; a concern or a meeting by id."""
    project_for(s, actor, project_id)
    kind, sep, ref = about.partition(":")
    entity_type = ALIASES.get(kind.strip().lower())
    if not sep or entity_type is None or not ref.strip():
        raise ValidationError(
            f"{about!r} is not KIND:REF with KIND one of task, wp, risk, change, concern, po, meeting "
            "(e.g. task:1.2, wp:1, risk:R-3, change:CR-2)",
            field="about",
        )
    ref = ref.strip()
    word = WORDS[entity_type]
    if entity_type == "task":
        return entity_type, find_task_id(s, actor, project_id, ref)
    if entity_type == "work_package":
        return entity_type, find_work_package_id(s, actor, project_id, ref)
    model = MODELS[entity_type]
    if entity_type in ("risk", "change_request"):
        n = _number(ref, "R" if entity_type == "risk" else "CR")
        found = (
            s.scalar(select(model.id).where(model.project_id == project_id, model.number == n)) if n else None
        )
    elif entity_type == "purchase_order":
        found = s.scalar(select(model.id).where(model.project_id == project_id,
                                                func.lower(model.number) == ref.lower()))  # fmt: skip
    else:
        n = as_id(ref)
        obj = _object(s, project_id, entity_type, n) if n is not None else None
        found = obj.id if obj is not None else None
    if found is None:
        raise NotFound(f"no {word} {ref!r} in this project", field="about")
    return entity_type, int(found)


def contact(s: Session, actor: Actor, project_id: int, entity_type: str, entity_id: int) -> int | None:
    """Who answers for the object, offered as the addressee of a question about it (besides the PM): the Task
    Leader of a task's or a work package's package, a risk's owner; None otherwise."""
    project_for(s, actor, project_id)
    obj = _object(s, project_id, entity_type, entity_id) if entity_type in MODELS else None
    if obj is None:
        return None
    if entity_type == "task":
        return task_leader_of(s, project_id, obj.work_package_id)
    if entity_type == "work_package":
        return task_leader_of(s, project_id, obj.id)
    if entity_type == "risk":
        return int(obj.owner_id) if obj.owner_id is not None else None
    return None
