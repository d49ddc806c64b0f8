"""Roles and responsibilities: the areas, RACI, role templates, time-bounded assignments and permissions.

Permissions are data: each role holds a set of permissions and a scope kind. One pure function, `permits`,
decides whether the grants a person holds cover an action on a target. Scoped roles (a Task Leader's work
package, a Liaison's department) reach beyond their scope only for the permissions in `PROJECT_WIDE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from charter.domain.errors import Conflict, ValidationError


class Area(StrEnum):
    BUDGET = "budget"
    SCHEDULE = "schedule"
    TEAM = "team"
    CONFLICT = "conflict"
    RISK = "risk"
    PROCUREMENT = "procurement"
    QUALITY = "quality"
    COMMUNICATIONS = "communications"
    SCOPE = "scope"
    TECHNOLOGY = "technology"


class Raci(StrEnum):
    RESPONSIBLE = "R"
    ACCOUNTABLE = "A"
    CONSULTED = "C"
    INFORMED = "I"


class ScopeKind(StrEnum):
    PROJECT = "project"
    WORK_PACKAGE = "work_package"
    DEPARTMENT = "department"


class Perm(StrEnum):
    PROJECT_READ = "project.read"
    PROJECT_EDIT = "project.edit"
    PROJECT_DELETE = "project.delete"
    ROLES_MANAGE = "roles.manage"
    JOURNAL_READ = "journal.read"
    WBS_EDIT = "wbs.edit"
    TASK_EDIT = "task.edit"
    TASK_PROGRESS = "task.progress"
    TEAM_MANAGE = "team.manage"
    TIMESHEET_LOG = "timesheet.log"
    TIMESHEET_APPROVE = "timesheet.approve"
    BUDGET_READ = "budget.read"
    BUDGET_EDIT = "budget.edit"
    BUDGET_APPROVE = "budget.approve"
    PROCUREMENT_REQUEST = "procurement.request"
    PROCUREMENT_APPROVE = "procurement.approve"
    RISK_RAISE = "risk.raise"
    RISK_MANAGE = "risk.manage"
    QUALITY_MANAGE = "quality.manage"
    CONCERN_RAISE = "concern.raise"
    CHANGE_REQUEST = "change.request"
    CHANGE_DECIDE = "change.decide"
    COMMS_SEND = "comms.send"
    COMMS_DEPARTMENT = "comms.department"
    CONFLICT_MANAGE = "conflict.manage"
    TECH_MANAGE = "tech.manage"
    REPORT_PUBLISH = "report.publish"


# Permissions that a scoped role holds across the whole project (reading, raising, logging own time).
PROJECT_WIDE: frozenset[Perm] = frozenset(
    {
        Perm.PROJECT_READ,
        Perm.JOURNAL_READ,
        Perm.TIMESHEET_LOG,
        Perm.RISK_RAISE,
        Perm.CONCERN_RAISE,
        Perm.CHANGE_REQUEST,
        Perm.COMMS_SEND,
    }
)

READER: frozenset[Perm] = frozenset({Perm.PROJECT_READ, Perm.JOURNAL_READ})
RAISER: frozenset[Perm] = frozenset(
    {Perm.RISK_RAISE, Perm.CONCERN_RAISE, Perm.CHANGE_REQUEST, Perm.COMMS_SEND}
)


@dataclass(frozen=True)
class RoleTemplate:
    key: str
    name: str
    scope_kind: ScopeKind
    exclusive: bool
    permissions: frozenset[Perm]
    description: str
    raci: Mapping[Area, Raci] = field(default_factory=dict)


def _all_areas(letter: Raci) -> dict[Area, Raci]:
    return {a: letter for a in Area}


PM = "project_manager"
TASK_LEADER = "task_leader"
TASK_WORKER = "task_worker"
STAKEHOLDER = "stakeholder"
LIAISON = "liaison"
SPONSOR = "sponsor"
OBSERVER = "observer"

BUILTIN_ROLES: tuple[RoleTemplate, ...] = (
    RoleTemplate(
        PM,
        "Project Manager",
        ScopeKind.PROJECT,
        exclusive=True,
        permissions=frozenset(Perm) - {Perm.BUDGET_APPROVE},
        description="Accountable for budget, schedule, team, conflict, risk, procurement, quality, "
        "communications, scope and technology updates.",
        raci=_all_areas(Raci.ACCOUNTABLE),
    ),
    RoleTemplate(
        TASK_LEADER,
        "Task Leader",
        ScopeKind.WORK_PACKAGE,
        exclusive=True,
        permissions=READER
        | RAISER
        | {
            Perm.WBS_EDIT,
            Perm.TASK_EDIT,
            Perm.TASK_PROGRESS,
            Perm.TEAM_MANAGE,
            Perm.TIMESHEET_LOG,
            Perm.TIMESHEET_APPROVE,
            Perm.PROCUREMENT_REQUEST,
            Perm.BUDGET_READ,
        },
        description="Runs one work package: how it gets done technically and coordinating its workers.",
        raci={
            Area.SCHEDULE: Raci.RESPONSIBLE,
            Area.TEAM: Raci.RESPONSIBLE,
            Area.QUALITY: Raci.RESPONSIBLE,
            Area.TECHNOLOGY: Raci.RESPONSIBLE,
            Area.RISK: Raci.CONSULTED,
            Area.PROCUREMENT: Raci.CONSULTED,
            Area.BUDGET: Raci.INFORMED,
            Area.SCOPE: Raci.CONSULTED,
            Area.CONFLICT: Raci.CONSULTED,
            Area.COMMUNICATIONS: Raci.INFORMED,
        },
    ),
    RoleTemplate(
        TASK_WORKER,
        "Task Worker",
        ScopeKind.PROJECT,
        exclusive=False,
        permissions=READER | RAISER | {Perm.TIMESHEET_LOG, Perm.TASK_PROGRESS},
        description="Does the work of assigned tasks, records progress and logs time.",
        raci={Area.SCHEDULE: Raci.INFORMED, Area.QUALITY: Raci.INFORMED, Area.TEAM: Raci.INFORMED},
    ),
    RoleTemplate(
        STAKEHOLDER,
        "Stakeholder",
        ScopeKind.PROJECT,
        exclusive=False,
        permissions=READER | RAISER,
        description="Raises, openly and early, anything that affects quality, budget, schedule or scope.",
        raci={
            Area.QUALITY: Raci.CONSULTED,
            Area.BUDGET: Raci.CONSULTED,
            Area.SCHEDULE: Raci.CONSULTED,
            Area.SCOPE: Raci.CONSULTED,
            Area.COMMUNICATIONS: Raci.INFORMED,
            Area.RISK: Raci.INFORMED,
        },
    ),
    RoleTemplate(
        LIAISON,
        "Relationship Liaison",
        ScopeKind.DEPARTMENT,
        exclusive=True,
        permissions=READER | RAISER | {Perm.COMMS_DEPARTMENT},
        description="Carries one department's communication to and from the Project Manager.",
        raci={
            Area.COMMUNICATIONS: Raci.RESPONSIBLE,
            Area.CONFLICT: Raci.CONSULTED,
            Area.SCOPE: Raci.CONSULTED,
            Area.QUALITY: Raci.INFORMED,
            Area.SCHEDULE: Raci.INFORMED,
        },
    ),
    RoleTemplate(
        SPONSOR,
        "Sponsor",
        ScopeKind.PROJECT,
        exclusive=True,
        permissions=READER
        | RAISER
        | {Perm.BUDGET_READ, Perm.BUDGET_APPROVE, Perm.PROCUREMENT_APPROVE, Perm.CHANGE_DECIDE},
        description="Funds the project, approves its budget and large purchases, decides escalations.",
        raci={
            Area.BUDGET: Raci.CONSULTED,
            Area.SCOPE: Raci.CONSULTED,
            Area.PROCUREMENT: Raci.CONSULTED,
            Area.CONFLICT: Raci.INFORMED,
            Area.RISK: Raci.INFORMED,
            Area.SCHEDULE: Raci.INFORMED,
            Area.QUALITY: Raci.INFORMED,
        },
    ),
    RoleTemplate(
        OBSERVER,
        "Observer",
        ScopeKind.PROJECT,
        exclusive=False,
        permissions=READER,
        description="Reads the project; changes nothing.",
        raci={},
    ),
)

BUILTIN_BY_KEY: dict[str, RoleTemplate] = {r.key: r for r in BUILTIN_ROLES}


def parse_permissions(values: Iterable[str]) -> frozenset[Perm]:
    out: set[Perm] = set()
    for v in values:
        try:
            out.add(Perm(v))
        except ValueError:
            known = ", ".join(p.value for p in Perm)
            raise ValidationError(f"unknown permission {v!r}; known: {known}", field="permissions") from None
    return frozenset(out)


# --------------------------------------------------------------------------------------------- permissions


@dataclass(frozen=True)
class Grant:
    """What one current role assignment lets its holder do."""

    permissions: frozenset[Perm]
    scope_kind: ScopeKind
    scope_id: int | None = None


@dataclass(frozen=True)
class Target:
    """Where an action lands inside a project: the work package path (the package and its ancestors) and the
    department the object belongs to. A project-level action has neither."""

    work_package_path: tuple[int, ...] = ()
    department_id: int | None = None


PROJECT_TARGET = Target()


def permits(grants: Iterable[Grant], perm: Perm, target: Target = PROJECT_TARGET) -> bool:
    for g in grants:
        if perm not in g.permissions:
            continue
        if g.scope_kind is ScopeKind.PROJECT or perm in PROJECT_WIDE:
            return True
        if g.scope_kind is ScopeKind.WORK_PACKAGE and g.scope_id in target.work_package_path:
            return True
        if g.scope_kind is ScopeKind.DEPARTMENT and g.scope_id == target.department_id and g.scope_id:
            return True
    return False


# --------------------------------------------------------------------------------------------- assignments


@dataclass(frozen=True)
class Assignment:
    role_id: int
    user_id: int
    scope_id: int | None
    valid_from: datetime
    valid_until: datetime | None = None
    id: int | None = None

    def is_current(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_until is None or at < self.valid_until)

    def overlaps(self, other: Assignment) -> bool:
        a_end = self.valid_until
        b_end = other.valid_until
        return (b_end is None or self.valid_from < b_end) and (a_end is None or other.valid_from < a_end)


@dataclass(frozen=True)
class RoleRules:
    """The parts of a role that assignment rules need."""

    id: int
    name: str
    scope_kind: ScopeKind
    exclusive: bool


def check_assignment(
    role: RoleRules, new: Assignment, existing: Iterable[Assignment], names: Mapping[int, str] | None = None
) -> None:
    """Refuse an assignment that breaks the rules: a missing or needless scope, an empty period, the same
    person holding the same role twice at once, or two holders of an exclusive role in one scope."""
    names = names or {}
    if new.valid_until is not None and new.valid_until <= new.valid_from:
        raise ValidationError("the assignment must end after it starts", field="valid_until")
    if role.scope_kind is ScopeKind.PROJECT and new.scope_id is not None:
        raise ValidationError(
            f"{role.name} applies to the whole project and takes no scope", field="scope_id"
        )
    if role.scope_kind is not ScopeKind.PROJECT and new.scope_id is None:
        what = "work package" if role.scope_kind is ScopeKind.WORK_PACKAGE else "department"
        raise ValidationError(f"{role.name} needs a {what} as its scope", field="scope_id")
    for old in existing:
        if old.id is not None and old.id == new.id:
            continue
        if old.role_id != role.id or old.scope_id != new.scope_id or not old.overlaps(new):
            continue
        holder = names.get(old.user_id, f"user {old.user_id}")
        if old.user_id == new.user_id:
            raise Conflict(f"{holder} already holds {role.name} for that period", field="user_id")
        if role.exclusive:
            raise Conflict(
                f"{role.name} is held by {holder} for that period; hand the role over or end that "
                "assignment first",
                field="user_id",
            )


def check_can_be_exclusive(
    role: RoleRules, existing: Iterable[Assignment], names: Mapping[int, str] | None = None
) -> None:
    """Refuse to make a role "one holder per scope" while two people hold it in one scope for overlapping
    periods (now or planned): one of them must be ended first."""
    names = names or {}
    rows = [a for a in existing if a.role_id == role.id]
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a.scope_id == b.scope_id and a.user_id != b.user_id and a.overlaps(b):
                who = " and ".join(sorted(names.get(u, f"user {u}") for u in (a.user_id, b.user_id)))
                raise Conflict(
                    f"{role.name} is held by {who} at the same time; end one of those assignments before "
                    "making it one holder per scope",
                    field="exclusive",
                )


def beyond_own(permissions: Iterable[Perm], own: Iterable[Grant]) -> list[Perm]:
    """The permissions among `permissions` that the holder of the grants `own` does not hold across the whole
    project, in the enum's order: what nobody may give to themselves."""
    wanted = set(permissions)
    return [p for p in Perm if p in wanted and not permits(own, p)]


def plan_handover(current: Assignment, to_user_id: int, at: datetime) -> tuple[Assignment, Assignment]:
    """End `current` at `at` and start the same role and scope for `to_user_id` at the same instant."""
    if not current.is_current(at):
        raise ValidationError(
            "the hand-over time must fall while the current holder holds the role", field="at"
        )
    if to_user_id == current.user_id:
        raise ValidationError("the role is already held by that person", field="to_user_id")
    ended = Assignment(current.role_id, current.user_id, current.scope_id, current.valid_from, at, current.id)
    started = Assignment(current.role_id, to_user_id, current.scope_id, at, current.valid_until)
    return ended, started


# --------------------------------------------------------------------------------------------- RACI


@dataclass
class RaciMatrix:
    """area x role -> letter. At most one Accountable role per area, always."""

    cells: dict[tuple[Area, int], Raci] = field(default_factory=dict)

    def accountable(self, area: Area) -> int | None:
        for (a, role_id), letter in self.cells.items():
            if a is area and letter is Raci.ACCOUNTABLE:
                return role_id
        return None

    def get(self, area: Area, role_id: int) -> Raci | None:
        return self.cells.get((area, role_id))

    def set(
        self, area: Area, role_id: int, letter: Raci | None
    ) -> list[tuple[Area, int, Raci | None, Raci | None]]:
        """Set one cell. Making a role Accountable moves accountability: the previous Accountable role
        becomes Responsible. Returns every cell changed as (area, role, before, after)."""
        changes: list[tuple[Area, int, Raci | None, Raci | None]] = []
        if letter is Raci.ACCOUNTABLE:
            prev = self.accountable(area)
            if prev is not None and prev != role_id:
                self.cells[(area, prev)] = Raci.RESPONSIBLE
                changes.append((area, prev, Raci.ACCOUNTABLE, Raci.RESPONSIBLE))
        before = self.cells.get((area, role_id))
        if letter is None:
            self.cells.pop((area, role_id), None)
        else:
            self.cells[(area, role_id)] = letter
        if before is not letter:
            changes.append((area, role_id, before, letter))
        return changes


class GapKind(StrEnum):
    NO_ACCOUNTABLE = "no_accountable_role"
    UNHELD = "accountable_role_unheld"


@dataclass(frozen=True)
class Gap:
    area: Area
    kind: GapKind
    role_id: int | None
    role_name: str | None

    @property
    def message(self) -> str:
        if self.kind is GapKind.NO_ACCOUNTABLE:
            return f"No role is accountable for {self.area.value}"
        return f"{self.role_name}, accountable for {self.area.value}, has no current holder"


def find_gaps(
    matrix: RaciMatrix, role_names: Mapping[int, str], current_holders: Mapping[int, int]
) -> list[Gap]:
    """Areas with no Accountable role, or whose Accountable role nobody holds right now."""
    gaps: list[Gap] = []
    for area in Area:
        role_id = matrix.accountable(area)
        if role_id is None:
            gaps.append(Gap(area, GapKind.NO_ACCOUNTABLE, None, None))
        elif current_holders.get(role_id, 0) == 0:
            gaps.append(Gap(area, GapKind.UNHELD, role_id, role_names.get(role_id)))
    return gaps
