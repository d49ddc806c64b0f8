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
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

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


# The plan revision at which a task, link or computed row last changed (services/plan_cache.py). A row written
# by any INSERT or UPDATE that does not set it gets PLAN_REV_PENDING, which the next plan change of the project
# (scheduling.plan_changed) replaces by its revision: "changed since revision r" is `plan_rev > r`.
PLAN_REV_PENDING = 2**31 - 1


def _plan_rev() -> Any:
    return mapped_column(
        Integer, nullable=False, default=PLAN_REV_PENDING, onupdate=PLAN_REV_PENDING,
        server_default=str(PLAN_REV_PENDING),
    )  # fmt: skip


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
    # the secret address of the user's calendar feed (services/feeds.py): its SHA-256 only, and since when
    feed_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    feed_key_created_at: Mapped[datetime | None]


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
    __table_args__ = (
        Index("ix_tasks_project_wp", "project_id", "work_package_id"),
        Index("ix_tasks_project_rev", "project_id", "plan_rev"),
    )
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
    plan_rev: Mapped[int] = _plan_rev()
    # the project's custom fields' values, by the field's id (as a string): {"3": "ACME", "4": 5}
    custom: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CustomField(Versioned, Base):
    """A field a project records on its tasks (domain.custom_fields); archived ones keep their values."""

    __tablename__ = "custom_fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # text|number|date|choice|multi_choice|flag
    choices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    default_value: Mapped[Any | None] = mapped_column(JSON, default=None)  # a new task's when none is given
    created_at: Mapped[datetime]


class SavedView(Versioned, Base):
    """A named task list of a project (its filters, sort and columns: domain.views), the owner's own or shared
    with everyone who sees the project."""

    __tablename__ = "saved_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
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
    plan_rev: Mapped[int] = _plan_rev()


class TaskLink(Versioned, Base):
    __tablename__ = "task_links"
    __table_args__ = (
        UniqueConstraint("pred_id", "succ_id"),
        Index("ix_task_links_project_rev", "project_id", "plan_rev"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    pred_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    succ_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(2), default="FS")
    lag: Mapped[int] = mapped_column(Integer, default=0)
    lag_kind: Mapped[str] = mapped_column(String(8), default="working")
    created_at: Mapped[datetime]
    plan_rev: Mapped[int] = _plan_rev()


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


class ApprovalRuleSet(Versioned, Base):
    """The version of a project's approval rules (replaced as a whole): absent = never saved, version 0."""

    __tablename__ = "approval_rule_sets"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    updated_at: Mapped[datetime]


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
    status: Mapped[str] = mapped_column(
        String(12), default="active", server_default="active"
    )  # active|closed
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


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


# the sent deliveries whose text is still there: what a compaction pass reads (a partial index on both databases)
OUTBOX_TO_COMPACT = "status = 'sent' AND compacted_at IS NULL"


class OutboxMessage(Base):
    """One delivery (event x recipient x channel). Written in the caller's transaction; the worker sends it."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("event_key", "recipient", "channel"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_recipient_id", "recipient", "id"),
        Index(
            "ix_outbox_to_compact",
            "sent_at",
            sqlite_where=text(OUTBOX_TO_COMPACT),
            postgresql_where=text(OUTBOX_TO_COMPACT),
        ),
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
    # when a sent row's payload was cut down to its kind and subject (notifications.compact_outbox)
    compacted_at: Mapped[datetime | None]
    # a change-feed delivery's journal entry (services/change_feed.py): the entry has no id until the
    # use-case's flush, which fills this in; the worker sends it as the event's `journal_id`
    journal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal.id", ondelete="SET NULL"))
    journal_entry: Mapped[JournalEntry | None] = relationship(JournalEntry)


# --------------------------------------------------------------------------------------------- communications
# (messages routed through department liaisons, the communication plan, meetings; migration 0006_comms)


class CommItem(Versioned, Base):
    """One thread: a message, concern or request (routed to the PM directly or through a liaison), the PM's
    message to a department or a person, or an announcement. Carries the routing facts and the timestamps
    the communication-load analytics read."""

    __tablename__ = "comm_items"
    __table_args__ = (
        Index("ix_comm_items_project_department", "project_id", "department_id"),
        Index("ix_comm_items_entity", "entity_type", "entity_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # message|concern|request|announcement
    subject: Mapped[str] = mapped_column(String(300))
    entity_type: Mapped[str | None] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(String(20))  # inbound|outbound|peer|announcement
    audience: Mapped[str] = mapped_column(String(20))  # pm|user|department|role|project
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    to_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    route: Mapped[str] = mapped_column(String(20))  # direct|via_liaison
    direct_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pm_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    forward_id: Mapped[int | None] = mapped_column(ForeignKey("comm_forwards.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pm_minutes: Mapped[int | None] = mapped_column(Integer)


class CommMessage(Base):
    __tablename__ = "comm_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("comm_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # post|reply|forward|answer|relay|close
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class CommParticipant(Base):
    """Who an item is visible to beyond the PM and the department's liaison, and why."""

    __tablename__ = "comm_participants"
    __table_args__ = (UniqueConstraint("item_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("comm_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # author|recipient|liaison|mention|pm
    added_at: Mapped[datetime]


class CommForward(Base):
    """A liaison's forward: one or several items of their department passed on in one go."""

    __tablename__ = "comm_forwards"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class CommPlanEntry(Versioned, Base):
    """One line of the communication plan: what information goes to whom, how often, how, and who owns it."""

    __tablename__ = "comm_plan_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    information: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(20))  # user (a stakeholder)|department|role|project
    audience_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    audience_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    audience_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    frequency: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    starts_on: Mapped[date] = mapped_column(Date)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Meeting(Versioned, Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    plan_entry_id: Mapped[int | None] = mapped_column(ForeignKey("comm_plan_entries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class MeetingItem(Base):
    """A decision, or an action item (which becomes a task with an owner and a deadline)."""

    __tablename__ = "meeting_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # decision|action
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------- quality and change control
# (lifecycle gates, quality plan and metrics, deliverables, reviews, defects, stakeholders, concerns, change
# requests; migration 0007_quality)


class PhaseGate(Versioned, Base):
    """One phase of one project: its entry and exit criteria (editable text) and how it was closed."""

    __tablename__ = "phase_gates"
    __table_args__ = (UniqueConstraint("project_id", "phase"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(40))
    entry_criteria: Mapped[str] = mapped_column(Text, default="")
    exit_criteria: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    failed: Mapped[list[Any]] = mapped_column(JSON, default=list)  # the criteria that failed at closing
    override_reason: Mapped[str | None] = mapped_column(Text)


class QualityPlan(Versioned, Base):
    """The quality plan of a project (one row): standards that apply, the responsible role, and the time a
    stakeholder concern must be acknowledged in (working days)."""

    __tablename__ = "quality_plans"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    standards: Mapped[list[Any]] = mapped_column(JSON, default=list)
    responsible_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    concern_ack_days: Mapped[int] = mapped_column(Integer, default=3)


class QualityMetric(Versioned, Base):
    __tablename__ = "quality_metrics"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(30), default="")
    direction: Mapped[str] = mapped_column(String(10))  # at_least|at_most
    target: Mapped[float] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(40))  # the gate it counts for; None: every gate
    responsible_role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class MetricMeasurement(Base):
    __tablename__ = "metric_measurements"
    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("quality_metrics.id", ondelete="CASCADE"), index=True)
    measured_at: Mapped[datetime]
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Deliverable(Versioned, Base):
    __tablename__ = "deliverables"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    work_package_id: Mapped[int] = mapped_column(
        ForeignKey("work_packages.id", ondelete="CASCADE"), index=True
    )
    phase: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    acceptance_criteria: Mapped[str] = mapped_column(Text, default="")
    acceptor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12))  # pending|accepted|rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    rejections: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{by, at, reason}]
    created_at: Mapped[datetime]


class ChecklistTemplate(Versioned, Base):
    """A review or inspection checklist, organisation-wide (reused across projects)."""

    __tablename__ = "checklist_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Review(Versioned, Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # review|inspection
    phase: Mapped[str] = mapped_column(String(40))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_templates.id", ondelete="SET NULL"))
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverables.id", ondelete="SET NULL"))
    checklist: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{item, result}]
    reviewer_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    signoffs: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{user_id, at}]
    status: Mapped[str] = mapped_column(String(12))  # open|signed_off
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class ReviewFinding(Base):
    __tablename__ = "review_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    defect_id: Mapped[int | None] = mapped_column(ForeignKey("defects.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Defect(Versioned, Base):
    __tablename__ = "defects"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 (highest) .. 5
    found_in: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverables.id", ondelete="SET NULL"))
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)  # why it is closed as won't fix (None otherwise)


class Stakeholder(Versioned, Base):
    """A person or group in the stakeholder register (linked to a user or not)."""

    __tablename__ = "stakeholders"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # person|group
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    interest: Mapped[int] = mapped_column(Integer)
    influence: Mapped[int] = mapped_column(Integer)
    attitude: Mapped[str] = mapped_column(String(12))
    current_engagement: Mapped[str] = mapped_column(String(12))
    desired_engagement: Mapped[str] = mapped_column(String(12))
    communication_needs: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class Concern(Versioned, Base):
    """A stakeholder's concern: routed to the PM (through the department's liaison when there is one, as a
    communications thread), acknowledged within the project's deadline, answered or turned into a change
    request."""

    __tablename__ = "concerns"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    severity: Mapped[str] = mapped_column(String(10))
    needed_by: Mapped[date | None] = mapped_column(Date)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    route: Mapped[str] = mapped_column(String(20))  # direct|via_liaison
    liaison_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pm_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    comm_item_id: Mapped[int | None] = mapped_column(ForeignKey("comm_items.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime]
    ack_due_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ChangeRequest(Versioned, Base):
    __tablename__ = "change_requests"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # what
    reason: Mapped[str] = mapped_column(Text, default="")  # why
    areas: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="SET NULL"))
    changes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    approver_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # empty: decided by change.decide
    quorum: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12))
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    preview_revision: Mapped[int | None] = mapped_column(Integer)
    previewed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    baseline_number: Mapped[int | None] = mapped_column(Integer)
    applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the plan right after approval
    created_at: Mapped[datetime]


class ChangeVote(Base):
    __tablename__ = "change_votes"
    __table_args__ = (UniqueConstraint("change_request_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    vote: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


# --------------------------------------------------------------------------------------------- risk (issue 8)


class RiskScale(Base):
    """One level of one of a project's rating scales (probability, schedule, cost, quality, scope)."""

    __tablename__ = "risk_scales"
    __table_args__ = (UniqueConstraint("project_id", "dimension", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(80))
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)


class Risk(Versioned, Base):
    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("project_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # threat|opportunity
    title: Mapped[str] = mapped_column(String(300))
    cause: Mapped[str] = mapped_column(Text, default="")
    event: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(20))
    probability: Mapped[int | None] = mapped_column(Integer)
    impact_schedule: Mapped[int | None] = mapped_column(Integer)
    impact_cost: Mapped[int | None] = mapped_column(Integer)
    impact_quality: Mapped[int | None] = mapped_column(Integer)
    impact_scope: Mapped[int | None] = mapped_column(Integer)
    probability_value: Mapped[float | None] = mapped_column(Float)  # overrides the scale in simulations
    residual_probability: Mapped[int | None] = mapped_column(Integer)
    residual_impact: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    proximity: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    strategy: Mapped[str | None] = mapped_column(String(12))
    response: Mapped[str] = mapped_column(Text, default="")
    triggers: Mapped[str] = mapped_column(Text, default="")
    review_date: Mapped[date | None] = mapped_column(Date)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    issue_note: Mapped[str] = mapped_column(Text, default="")
    # the stakeholder concern this risk was raised from (issue 7; the concern shows it as its outcome)
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="SET NULL"), index=True)
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RiskRating(Base):
    """A snapshot of a risk's rating, written on every change (the history and the burndown)."""

    __tablename__ = "risk_ratings"
    __table_args__ = (Index("ix_risk_ratings_project_at", "project_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))
    probability: Mapped[int | None] = mapped_column(Integer)
    impact: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int | None] = mapped_column(Integer)
    residual_score: Mapped[int | None] = mapped_column(Integer)


class RiskAction(Base):
    """A response action: a real task of the schedule."""

    __tablename__ = "risk_actions"
    __table_args__ = (UniqueConstraint("risk_id", "task_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class RiskComment(Base):
    __tablename__ = "risk_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class SimulationRun(Base):
    """A Monte Carlo run: its parameters, progress and results (kept for comparison)."""

    __tablename__ = "simulation_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # queued|running|done|failed|cancelled
    iterations: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # set when someone cancels the run; the runner stops at its next batch of iterations
    cancel_requested_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # the runner's last sign of life (queued: when stored; running: its latest progress write); a queued or
    # running run whose heartbeat is older than simulation.STALE_AFTER is swept to failed
    heartbeat_at: Mapped[datetime | None]


# --------------------------------------------------------------------------------------------- technology, closure (issue 9)


class TechComponent(Versioned, Base):
    """A piece of technology in a project's inventory (project_id NULL: organisation-wide)."""

    __tablename__ = "tech_components"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # software|library|platform|hardware|saas|certificate|domain
    kind: Mapped[str] = mapped_column(String(20))
    vendor: Mapped[str] = mapped_column(String(200), default="")
    current_version: Mapped[str] = mapped_column(String(100), default="")
    # Package URL in its canonical form (domain/purl.py): an SBOM import matches on it before name + version
    purl: Mapped[str | None] = mapped_column(String(500))
    licence: Mapped[str] = mapped_column(String(200), default="")
    release_date: Mapped[date | None] = mapped_column(Date)
    support_end: Mapped[date | None] = mapped_column(Date)
    eol_date: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    systems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    departments: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual|csv|cyclonedx|spdx
    handed_over_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class TechUpdate(Versioned, Base):
    """An update item on a component: new version, security advisory, end of life, certificate expiry."""

    __tablename__ = "tech_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    component_id: Mapped[int] = mapped_column(
        ForeignKey("tech_components.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # new_version|advisory|end_of_life|certificate
    title: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10))  # low|medium|high|critical
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # open|planned|done
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class Lesson(Versioned, Base):
    """One lesson learned; changed and removed by its author and whoever manages quality (version-checked)."""

    __tablename__ = "lessons"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


# --------------------------------------------------------------------------------- conflict log (issue 6)


class ConflictPolicy(Versioned, Base):
    """A project's escalation ladder: how long a conflict may stay with the Task Leader and with the PM
    before it moves up by itself; the Sponsor is the top of the ladder."""

    __tablename__ = "conflict_policies"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    task_leader_hours: Mapped[int] = mapped_column(Integer, default=72)
    pm_hours: Mapped[int] = mapped_column(Integer, default=120)
    detected_at: Mapped[datetime | None]  # when the detectors last ran for the project
    updated_at: Mapped[datetime]


class Conflict(Versioned, Base):
    """An entry of the conflict log: raised by a person, opened by a detector (over-allocation, violated
    constraint, budget overrun), or carried over from an occurred risk or a stakeholder's concern."""

    __tablename__ = "conflicts"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        Index("ix_conflicts_project_id_detector_key", "project_id", "detector_key"),
        Index("ix_conflicts_status_escalate_at", "status", "escalate_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # people|team|priority|resource|schedule|technical|budget|constraint|other
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))  # low|medium|high|critical
    status: Mapped[str] = mapped_column(String(12))  # open|resolving|resolved|closed
    approach: Mapped[str | None] = mapped_column(String(12))  # collaborate|compromise|accommodate|force|avoid
    level: Mapped[str] = mapped_column(String(12))  # task_leader|pm|sponsor
    level_since: Mapped[datetime]
    escalate_at: Mapped[datetime | None]  # None at the top of the ladder or once resolved
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="SET NULL"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(12))  # manual|detected|risk|concern
    detector_key: Mapped[str | None] = mapped_column(String(200))
    risk_id: Mapped[int | None] = mapped_column(ForeignKey("risks.id", ondelete="SET NULL"))
    concern_id: Mapped[int | None] = mapped_column(ForeignKey("concerns.id", ondelete="SET NULL"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConflictParty(Base):
    """One party to a conflict: a person, a department, a work package (a team) or a named outside party."""

    __tablename__ = "conflict_parties"
    id: Mapped[int] = mapped_column(primary_key=True)
    conflict_id: Mapped[int] = mapped_column(ForeignKey("conflicts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    work_package_id: Mapped[int | None] = mapped_column(ForeignKey("work_packages.id", ondelete="SET NULL"))
    label: Mapped[str] = mapped_column(String(200), default="")


# --------------------------------------------------------------------------------- status reports (issue 6)


class StatusReport(Versioned, Base):
    """A weekly or monthly status report of one project. A draft's figures are computed when read; publishing
    freezes them in `figures` (with the critical-path snapshot the next report compares against)."""

    __tablename__ = "status_reports"
    __table_args__ = (UniqueConstraint("project_id", "period", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(8))  # week|month
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # draft|published
    narrative: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # frozen at publication
    critical: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {task_ids, finish} at publication
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]


class ReportSettings(Versioned, Base):
    """A project's overrides of the RAG thresholds (domain/reports.Thresholds); absent names keep defaults."""

    __tablename__ = "report_settings"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


# --------------------------------------------------------------------------------------------- attachments


class Attachment(Base):
    """A stored file (e.g. an expense's receipt): kept on disk under a server-generated name in the data
    dir's ``attachments`` folder (part of every backup); this row holds what the uploader called it, the
    content type checked from its magic bytes, its size and sha256, and the words inside it for search
    (`content_text`: read at upload by `io/document_text.py`; "" when the file has none or cannot be read,
    NULL for files stored before text was read, which `charter search reindex` fills). Immutable: deleted,
    never edited (except that one-time fill of `content_text`)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    owner_kind: Mapped[str] = mapped_column(String(32))  # expense|...
    owner_id: Mapped[int] = mapped_column(Integer)
    stored_name: Mapped[str] = mapped_column(String(120), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    content_text: Mapped[str | None] = mapped_column(Text, deferred=True)


# --------------------------------------------------------------------------- search index, update plans (issue 9)


class SearchDoc(Base):
    """One searchable row: the text of a task, work package, project, message, risk, concern, component,
    lesson, deliverable or attachment, rewritten by the service layer in the same transaction as the write
    (`services/search_index.py`). Derived data, so not versioned or journaled. Matched through the PostgreSQL column `tsv` (a stored
    to_tsvector of title and body, migration 0016) and its GIN index `ix_search_docs_fts`, or the SQLite FTS5
    table `search_fts` (external content over this table, kept in step by triggers, migration 0013); each
    exists in its own database only."""

    __tablename__ = "search_docs"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_search_docs_kind_target", "kind", "target_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref_id: Mapped[int] = mapped_column(Integer)  # the indexed row (a message for kind "message")
    target_id: Mapped[int] = mapped_column(Integer)  # the result's id (the message's thread)
    project_id: Mapped[int | None] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")


class TechUpdateTask(Base):
    """A task of an update plan (assess -> test in staging -> deploy -> verify): which step of which update
    item it carries. The tasks themselves are ordinary, versioned project tasks."""

    __tablename__ = "tech_update_tasks"
    __table_args__ = (UniqueConstraint("update_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("tech_updates.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(120))
