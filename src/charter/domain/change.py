"""Change control: a change request carries its proposed plan changes as data; a board decides by quorum."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from charter.domain.errors import ValidationError


class ChangeStatus(StrEnum):
    OPEN = "open"  # proposed; may be edited, previewed, voted on
    APPROVED = "approved"  # applied, baseline saved
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Vote(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


# op -> (required keys, optional keys)
OPS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "task_duration": (frozenset({"task_id", "duration"}), frozenset()),
    "task_update": (frozenset({"task_id", "fields"}), frozenset()),
    "add_task": (
        frozenset({"name"}),
        frozenset({"work_package_id", "duration", "predecessors", "milestone"}),
    ),
    "add_link": (frozenset({"pred_id", "succ_id"}), frozenset({"type", "lag"})),
    "remove_link": (frozenset({"link_id"}), frozenset()),
    "budget_line": (frozenset({"budget_line_id", "amount"}), frozenset()),
}
TASK_FIELDS = frozenset(
    {"name", "duration", "milestone", "constraint_type", "constraint_date", "deadline", "priority"}
)


def check_ops(ops: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The shape of the proposed changes (what they refer to is checked when they are applied)."""
    out: list[dict[str, Any]] = []
    for n, raw in enumerate(ops, 1):
        if not isinstance(raw, Mapping):
            raise ValidationError(f"change {n} must be an object", field="changes")
        op = raw.get("op")
        if op not in OPS:
            raise ValidationError(f"change {n}: op must be one of {', '.join(OPS)}", field="changes")
        required, optional = OPS[op]
        keys = set(raw) - {"op"}
        if missing := required - keys:
            raise ValidationError(f"change {n} ({op}) needs {', '.join(sorted(missing))}", field="changes")
        if extra := keys - required - optional:
            raise ValidationError(f"change {n} ({op}): unknown {', '.join(sorted(extra))}", field="changes")
        if op == "task_update":
            fields = raw["fields"]
            if not isinstance(fields, Mapping) or not fields or set(fields) - TASK_FIELDS:
                raise ValidationError(
                    f"change {n}: fields may set {', '.join(sorted(TASK_FIELDS))}", field="changes"
                )
        if op == "add_task" and not str(raw["name"]).strip():
            raise ValidationError(f"change {n}: the new task needs a name", field="changes")
        clean = dict(raw)
        for key in ID_KEYS & keys:
            if key == "work_package_id" and raw[key] is None:
                continue
            clean[key] = _id(raw[key], f"change {n} ({op}): {key}")
        if "predecessors" in keys and raw["predecessors"] is not None:
            if not isinstance(raw["predecessors"], list | tuple):
                raise ValidationError(
                    f"change {n} ({op}): predecessors is a list of task ids", field="changes"
                )
            clean["predecessors"] = [_id(v, f"change {n} ({op}): predecessors") for v in raw["predecessors"]]
        out.append(clean)
    return out


# The keys of a change that name a record: whole numbers (an id typed as text, "17", is read as one).
ID_KEYS = frozenset({"task_id", "pred_id", "succ_id", "link_id", "budget_line_id", "work_package_id"})


def _id(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and int(value) > 0:
        return int(value)
    raise ValidationError(f"{what} must be an id (a whole number), not {value!r}", field="changes")


def tally(votes: Mapping[int, Vote], approvers: Sequence[int], quorum: int) -> ChangeStatus:
    """A board decides when `quorum` approvers approve (approved), or when enough reject that the quorum can
    no longer be reached (rejected); otherwise it stays open."""
    yes = sum(1 for u, v in votes.items() if u in approvers and v is Vote.APPROVE)
    no = sum(1 for u, v in votes.items() if u in approvers and v is Vote.REJECT)
    if yes >= quorum:
        return ChangeStatus.APPROVED
    if len(approvers) - no < quorum:
        return ChangeStatus.REJECTED
    return ChangeStatus.OPEN


def check_board(approvers: Sequence[int], quorum: int | None) -> int:
    if not approvers:
        return 0
    q = len(approvers) // 2 + 1 if quorum is None or quorum == 0 else quorum
    if not 1 <= q <= len(approvers):
        raise ValidationError(f"the quorum must be 1 to {len(approvers)}", field="quorum")
    return q
