"""Tables of the foundation: organisation, projects, work packages, roles, RACI, accounts and the journal.

Declarative models kept out of the domain: services turn rows into domain values where rules apply and
return plain data; no row leaves the service layer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from charter.persistence.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class Versioned:
    """Optimistic concurrency: every UPDATE names the version it read and bumps it."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Department(Versioned, Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    head_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Project(Versioned, Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    objectives: Mapped[str] = mapped_column(Text, default="")
    scope_statement: Mapped[str] = mapped_column(Text, default="")
    success_criteria: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WorkPackage(Versioned, Base):
    __tablename__ = "work_packages"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    wbs_code: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime]


class Role(Versioned, Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    key: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    scope_kind: Mapped[str] = mapped_column(String(20))
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    permissions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class RoleAssignment(Versioned, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (Index("ix_role_assignments_project_user", "project_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    @property
    def scope_id(self) -> int | None:
        return self.work_package_id or self.department_id


class RaciCell(Versioned, Base):
    __tablename__ = "raci_cells"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    area: Mapped[str] = mapped_column(String(20), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    letter: Mapped[str] = mapped_column(String(1))


class JournalEntry(Base):
    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_entity", "entity_type", "entity_id"),
        Index("ix_journal_project_at", "project_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cause: Mapped[str | None] = mapped_column(Text)


class WebSession(Base):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ApiToken(Versioned, Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    success: Mapped[bool] = mapped_column(Boolean)


# --------------------------------------------------------------------------------------------- scheduling
# Schedule instants (constraint dates, actuals, computed dates) are project wall-clock: naive DateTime.


class Calendar(Versioned, Base):
    __tablename__ = "calendars"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_project_default: Mapped[bool] = mapped_column(Boolean, default=False)
    weekdays: Mapped[list[Any]] = mapped_column(JSON, default=list)
    shifts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    country: Mapped[str | None] = mapped_column(String(8))
    subdiv: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class CalendarExceptionRow(Base):
    __tablename__ = "calendar_exceptions"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(120), default="")


class ProjectSchedule(Base):
    """Scheduling settings and results of one project (one row per project). `version` counts changes of
    the settings only (status date, threshold); the results are rewritten on every recompute."""

    __tablename__ = "project_schedules"
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    status_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    critical_threshold: Mapped[int] = mapped_column(Integer, default=0)
    finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    computed_at: Mapped[datetime | None]
    plan_revision: Mapped[int] = mapped_column(Integer, default=0)  # bumps on every plan change


class Task(Versioned, Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_project_wp", "project_id", "work_package_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    wbs_code: Mapped[str] = mapped_column(String(64), default="")
    milestone: Mapped[bool] = mapped_column(Boolean, default=False)
    duration: Mapped[int] = mapped_column(Integer, default=0)  # working minutes
    duration_unit: Mapped[str] = mapped_column(String(8), default="days")
    optimistic: Mapped[int | None] = mapped_column(Integer)
    most_likely: Mapped[int | None] = mapped_column(Integer)
    pessimistic: Mapped[int | None] = mapped_column(Integer)
    work: Mapped[int | None] = mapped_column(Integer)
    percent_complete: Mapped[float] = mapped_column(Float, default=0.0)
    actual_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    actual_finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    priority: Mapped[int] = mapped_column(Integer, default=500)
    constraint_type: Mapped[str] = mapped_column(String(8), default="asap")
    constraint_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id", ondelete="SET NULL"))
    task_type: Mapped[str] = mapped_column(
        String(16), default="fixed_units"
    )  # fixed_units|fixed_duration|fixed_work
    effort_driven: Mapped[bool] = mapped_column(Boolean, default=True)
    levelled_start: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=False)
    )  # set by resource levelling
    created_at: Mapped[datetime]


class TaskComputed(Base):
    """The engine's results for a task; rewritten on every recompute, so not versioned."""

    __tablename__ = "task_computed"
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    early_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    early_finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    late_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    late_finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    total_float: Mapped[int] = mapped_column(Integer, default=0)
    free_float: Mapped[int] = mapped_column(Integer, default=0)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    violation: Mapped[str | None] = mapped_column(Text)


class TaskLink(Versioned, Base):
    __tablename__ = "task_links"
    __table_args__ = (UniqueConstraint("pred_id", "succ_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    pred_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    succ_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(2), default="FS")
    lag: Mapped[int] = mapped_column(Integer, default=0)
    lag_kind: Mapped[str] = mapped_column(String(8), default="working")
    created_at: Mapped[datetime]


class Baseline(Base):
    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    saved_at: Mapped[datetime]
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))


class BaselineTask(Base):
    __tablename__ = "baseline_tasks"
    baseline_id: Mapped[int] = mapped_column(ForeignKey("baselines.id", ondelete="CASCADE"), primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    finish: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    duration: Mapped[int] = mapped_column(Integer, default=0)
    work: Mapped[int | None] = mapped_column(Integer)


# --------------------------------------------------------------------------------------------- team and resources


class Resource(Versioned, Base):
    """A person, a non-human resource (equipment, environment, licence) or a material. Organisation-wide:
    a person's load is counted across every project."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(
        String(16), default="person"
    )  # person|equipment|environment|licence|material
    name: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    max_units: Mapped[float] = mapped_column(Float, default=1.0)  # 1.0 = one full-time person
    weekdays: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: the project's calendar
    shifts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit: Mapped[str] = mapped_column(String(20), default="")  # materials: "licence", "GB", ...
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ResourceException(Base):
    """A vacation or other day off (or an extra working day) of one resource."""

    __tablename__ = "resource_exceptions"
    __table_args__ = (UniqueConstraint("resource_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    working: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(120), default="")


class ResourceRate(Base):
    """A cost rate valid from a date on (the latest one not after a day applies to that day)."""

    __tablename__ = "resource_rates"
    __table_args__ = (UniqueConstraint("resource_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    standard: Mapped[Decimal] = mapped_column(Numeric(18, 4))  # per hour (people, equipment) or per unit
    overtime: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))


class Assignment(Versioned, Base):
    """A resource working on a task with units (1.0 = full time) and work (minutes)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("task_id", "resource_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    units: Mapped[float] = mapped_column(Float, default=1.0)
    work: Mapped[int] = mapped_column(Integer, default=0)  # minutes
    created_at: Mapped[datetime]


class TimesheetEntry(Versioned, Base):
    __tablename__ = "timesheet_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "task_id", "day"),
        Index("ix_timesheet_entries_project_day", "project_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    overtime: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft|submitted|approved|rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class TimesheetLock(Base):
    """Days up to and including `until` are locked in a project: entries there cannot change."""

    __tablename__ = "timesheet_locks"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    until: Mapped[date] = mapped_column(Date)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    locked_at: Mapped[datetime]


class LevellingRun(Base):
    """A levelling computed for preview; accepting applies it, undoing restores the dates it replaced."""

    __tablename__ = "levelling_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="preview")  # preview|applied|undone|stale
    plan_revision: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]


# --------------------------------------------------------------------------------------------- budget and procurement
# Money columns are Numeric(18, 3): enough for every currency's minor units (KWD has three); services quantise
# to the project currency's minor units before writing.

MONEY = Numeric(18, 3)


class BudgetLine(Versioned, Base):
    """A cost account: a category of cost for one work package (or the whole project)."""

    __tablename__ = "budget_lines"
    __table_args__ = (Index("ix_budget_lines_project_wp", "project_id", "work_package_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class BudgetVersion(Versioned, Base):
    """A snapshot of the budget lines, proposed by the PM and approved (the cost baseline) or rejected."""

    __tablename__ = "budget_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))  # proposed|approved|rejected|superseded|withdrawn
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")


class TaskFixedCost(Versioned, Base):
    """A fixed cost of a task (a licence, a device), accrued at its start, its end or pro rata with progress."""

    __tablename__ = "task_fixed_costs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    accrual: Mapped[str] = mapped_column(String(10), default="prorated")  # start|prorated|end
    created_at: Mapped[datetime]


class Expense(Versioned, Base):
    __tablename__ = "expenses"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="RESTRICT"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    description: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Vendor(Versioned, Base):
    """A supplier, organisation-wide."""

    __tablename__ = "vendors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contacts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rating: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class ApprovalRule(Base):
    """Purchase requests up to `up_to` (inclusive; None = any amount) are approved by the holder of `role_key`."""

    __tablename__ = "approval_rules"
    __table_args__ = (UniqueConstraint("project_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    up_to: Mapped[Decimal | None] = mapped_column(MONEY)
    role_key: Mapped[str] = mapped_column(String(40))


class PurchaseRequest(Versioned, Base):
    __tablename__ = "purchase_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="RESTRICT"), index=True
    )
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(12))  # submitted|approved|rejected|ordered|cancelled
    approver_role: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(Text, default="")
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")


class PurchaseOrder(Versioned, Base):
    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(40))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_requests.id", ondelete="RESTRICT"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    budget_line_id: Mapped[int] = mapped_column(
        ForeignKey("budget_lines.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(12))  # open|received|closed|cancelled
    expected_delivery: Mapped[date | None] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(MONEY)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    amount: Mapped[Decimal] = mapped_column(MONEY)


class GoodsReceipt(Base):
    """Goods or a service received against an order, valued at the order's prices."""

    __tablename__ = "goods_receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    note: Mapped[str] = mapped_column(Text, default="")
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Invoice(Versioned, Base):
    """A vendor's invoice against an order: accepted only when order, receipt and invoice match."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="RESTRICT"), index=True)
    number: Mapped[str] = mapped_column(String(60))
    day: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(12))  # accepted|held|released|rejected
    hold_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Contract(Versioned, Base):
    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))  # fixed_price|time_and_materials|subscription
    value: Mapped[Decimal] = mapped_column(MONEY)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    renewal_date: Mapped[date | None] = mapped_column(Date)
    notice_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class EvmSnapshot(Base):
    """Earned-value figures saved at a status date: the points of the EV trend."""

    __tablename__ = "evm_snapshots"
    __table_args__ = (UniqueConstraint("project_id", "as_of"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------- notifications
# In-app inbox, per-user preferences, the durable outbox drained by notify/worker.py, and project webhooks.


class Notification(Base):
    """One entry of a user's inbox; `in_app` False keeps it only for the daily digest."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_key"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    event_key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(1000))
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationPreference(Base):
    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))  # a notification kind, or "*" for every kind
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str] = mapped_column(String(12), default="immediate")  # immediate|digest|off


class Webhook(Versioned, Base):
    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[Any]] = mapped_column(JSON, default=list)  # kinds; empty means every kind
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """One delivery (event x recipient x channel). Written in the caller's transaction; the worker sends it."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", "channel"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(300))  # user:<id> | webhook:<id> | addr:<email>
    channel: Mapped[str] = mapped_column(String(12))  # email|webhook
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending|sending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
