"""Request and response bodies of the JSON API. Separate from the domain: a column change is not silently
an API change. Request bodies reject unknown fields (422)."""

from __future__ import annotations

import types
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema, field_validator

from charter.domain.money import for_display

# Schedule instants are project wall-clock time without a zone ("2030-01-07T09:00:00"), not RFC 3339
# date-times; the schema says so, so that clients do not expect an offset.
WallClock = Annotated[
    datetime,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$",
            "description": "project wall-clock date and time, without a zone",
            "examples": ["2030-01-07T09:00:00"],
        },
        mode="serialization",
    ),
]


def _has_nul(v: Any) -> bool:
    if isinstance(v, str):
        return "\x00" in v
    if isinstance(v, dict):
        return any(_has_nul(k) or _has_nul(x) for k, x in v.items())
    if isinstance(v, list | tuple | set | frozenset):
        return any(_has_nul(x) for x in v)
    return False


def _takes_bool(annotation: Any) -> bool:
    """Whether a field's type admits true/false (bool, Any, a Literal of them, or a union with one)."""
    if annotation is bool or annotation is Any or annotation is object:
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return any(isinstance(a, bool) for a in get_args(annotation))
    if origin is Annotated:
        return _takes_bool(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_bool(a) for a in get_args(annotation))
    return False


def _item_type(annotation: Any) -> Any:
    """The element type of a list/set/tuple field (through Optional and Annotated), else None."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _item_type(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        items = [_item_type(a) for a in get_args(annotation) if a is not type(None)]
        return items[0] if len(items) == 1 else None
    if origin in (list, set, frozenset) or (origin is tuple and len(get_args(annotation)) == 2):
        return get_args(annotation)[0]
    return None


def _takes_str(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_str(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(_takes_str(a) for a in get_args(annotation))
    return annotation is str


def _not_bool(annotation: Any) -> str:
    if _takes_str(annotation):
        return "must be a number or a text (e.g. 5d, 4h or 12.50), not true or false"
    return "must be a number, not true or false"


def refuse_bool(model: type[BaseModel], v: Any, info: ValidationInfo) -> Any:
    """Refuse JSON true/false for a field that does not take one: Pydantic reads true as 1 for an int or float
    (bool is an int), so {"duration": true} made a 1-day task and {"work": false} an assignment of no work."""
    field = model.model_fields.get(info.field_name or "")
    if field is None:
        return v
    if isinstance(v, bool) and not _takes_bool(field.annotation):
        raise ValueError(_not_bool(field.annotation))
    if isinstance(v, list | tuple | set | frozenset) and any(isinstance(x, bool) for x in v):
        item = _item_type(field.annotation)
        if item is not None and not _takes_bool(item):
            raise ValueError(_not_bool(item))
    return v


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20000)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool(cls, v: Any, info: ValidationInfo) -> Any:
        return refuse_bool(cls, v, info)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, v: Any) -> Any:
        # PostgreSQL's text cannot hold NUL: the insert failed as "a number in the request is out of range"
        # (SQLite stored it); a NUL is never meant in a name or a text
        if _has_nul(v):
            raise ValueError("must not contain NUL (\\x00) characters")
        return v


class Patch(In):
    """A partial update: fields left out are unchanged; null is accepted only where the record allows it."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_null(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return v


def shown(value: Any) -> Any:
    """Amounts as people enter them: every Decimal as `domain.money.for_display` shows it without a currency
    (two places, more only where they carry a value: a stored 12000.000 EUR is "12000.00", a rate of 85.1250
    is "85.125"), inside lists and dicts too; the value is the same. Money columns store three decimals, the
    most any currency has (e.g. KWD). `routers._common.AmountsRoute` applies it to what a route returns."""
    kind = type(value)
    if kind is Decimal:
        return for_display(value, None)
    if kind is dict:
        return {k: shown(v) if type(v) in _NESTED else v for k, v in value.items()}
    if kind is list:
        return [shown(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (Decimal, dict, list)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    current: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    error: ErrorBody


# --- accounts ------------------------------------------------------------------------------------------------


class TokenRequest(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    name: str = Field(default="api", min_length=1, max_length=80)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenCreate(In):
    name: str = Field(min_length=1, max_length=80)
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    version: int


class TokenCreated(TokenOut):
    token: str = Field(
        description="The secret, shown only in this response. Send it as `Authorization: Bearer`."
    )


class FeedKeyOut(Out):
    active: bool = Field(description="Whether you have a calendar feed address.")
    created_at: datetime | None = Field(description="When the address was made (null without one).")


class UserFeedKeyOut(FeedKeyOut):
    user_id: int


class UserFeedKeyRevoked(UserFeedKeyOut):
    revoked: bool = Field(
        description="Whether the user had an address (now revoked); false: nothing changed."
    )


class ProjectFeedOut(Out):
    project_id: int
    project_key: str
    name: str
    url: str = Field(description="The project's milestones at your secret address (read as you).")


class FeedKeyCreated(FeedKeyOut):
    replaced: bool = Field(description="Whether an earlier address was replaced (it no longer works).")
    url: str = Field(
        description="The feed's secret address, shown only in this response: subscribe to it in a calendar "
        "application. It needs no token; anyone who has it reads your tasks."
    )
    projects: list[ProjectFeedOut] = Field(
        description="The milestone feed of each project you may see, at the same secret key (a project you "
        "join later: `…/feeds/KEY/projects/ID/milestones.ics`)."
    )


class PasswordChange(In):
    current_password: str = Field(min_length=1, max_length=1024, description="Your password now.")
    new_password: str = Field(min_length=10, max_length=1024, description="At least 10 characters.")


class PasswordChanged(Out):
    sessions_ended: int = Field(description="How many of your web sessions were signed out.")


class UserOut(Out):
    id: int
    username: str
    display_name: str
    email: str | None
    is_admin: bool
    is_active: bool
    department_id: int | None
    department: str | None = None
    version: int


class UserCreate(In):
    username: str = Field(min_length=2, max_length=64)
    display_name: str = Field(min_length=1, max_length=120)
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    email: str | None = Field(default=None, max_length=254)
    is_admin: bool = False
    department_id: int | None = None


class UserUpdate(Patch):
    nullable = frozenset({"email", "department_id"})
    version: int
    display_name: str | None = Field(default=None, min_length=1, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, min_length=10, max_length=1024)
    is_admin: bool | None = None
    is_active: bool | None = None
    department_id: int | None = None


class DepartmentOut(Out):
    id: int
    name: str
    head_user_id: int | None
    head: str | None = None
    version: int


class DepartmentCreate(In):
    name: str = Field(min_length=1, max_length=120)
    head_user_id: int | None = None


class DepartmentUpdate(Patch):
    nullable = frozenset({"head_user_id"})
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=120)
    head_user_id: int | None = None


# --- projects ------------------------------------------------------------------------------------------------

Status = Literal["proposed", "active", "on_hold", "closed", "cancelled"]
PhaseName = Literal[
    "initiation", "planning", "execution", "monitoring_and_control", "closing", "post_project_operations"
]


class ProjectBrief(Out):
    id: int
    key: str
    name: str
    status: str
    phase: str
    start_date: date | None
    target_date: date | None
    currency: str
    deleted: bool
    project_manager: str | None
    sponsor: str | None
    version: int


class ProjectOut(ProjectBrief):
    objectives: str
    scope_statement: str
    success_criteria: str
    created_at: datetime
    deleted_at: datetime | None


class ProjectCreate(In):
    key: str = Field(min_length=2, max_length=10, pattern=r"^[A-Za-z][A-Za-z0-9]{1,9}$")
    name: str = Field(min_length=1, max_length=200)
    objectives: str = ""
    scope_statement: str = ""
    success_criteria: str = ""
    start_date: date | None = None
    target_date: date | None = None
    currency: str = Field(default="USD", min_length=3, max_length=3)
    status: Status = "proposed"
    phase: PhaseName = "initiation"
    manager_id: int | None = None


class ProjectUpdate(Patch):
    nullable = frozenset({"start_date", "target_date"})
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    objectives: str | None = None
    scope_statement: str | None = None
    success_criteria: str | None = None
    start_date: date | None = None
    target_date: date | None = None
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    status: Status | None = Field(
        default=None,
        description="not `closed`: a project closes by POST /projects/{id}/close (its checklist)",
    )
    phase: PhaseName | None = Field(
        default=None,
        description="only the current phase: the phase moves on by closing it at its gate (POST /projects/{id}/lifecycle/close)",
    )


class WorkPackageOut(Out):
    id: int
    project_id: int
    parent_id: int | None
    name: str
    description: str
    wbs_code: str
    position: int
    leader: str | None = Field(
        description="the Task Leader who runs the package: its own, else that of the nearest package above it"
    )
    leader_via: str | None = Field(
        default=None, description="WBS code of the package whose Task Leader this is, when not this one's own"
    )
    version: int


class WorkPackageCreate(In):
    name: str = Field(min_length=1, max_length=200)
    parent_id: int | None = None
    description: str = ""


class WorkPackageUpdate(Patch):
    nullable = frozenset({"parent_id"})
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
    parent_id: int | None = None
    position: int | None = Field(default=None, ge=0)


# --- roles -----------------------------------------------------------------------------------------------------

ScopeKindName = Literal["project", "work_package", "department"]


class HolderOut(Out):
    assignment_id: int
    user_id: int
    user: str | None
    scope: str | None
    scope_id: int | None
    since: datetime
    until: datetime | None


class RoleOut(Out):
    id: int
    project_id: int
    key: str | None
    name: str
    description: str
    scope_kind: str
    exclusive: bool
    permissions: list[str]
    builtin: bool
    holders: list[HolderOut]
    version: int


class RoleCreate(In):
    name: str = Field(min_length=1, max_length=80)
    scope_kind: ScopeKindName = "project"
    permissions: list[str] = Field(default_factory=list, max_length=100)
    exclusive: bool = False
    description: str = ""
    based_on: str | None = Field(
        default=None, description="copy permissions and scope of a built-in role key"
    )
    raci: dict[str, Literal["R", "A", "C", "I"]] = Field(default_factory=dict, description="area -> letter")


class RoleUpdate(Patch):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=80)
    description: str | None = None
    permissions: list[str] | None = Field(default=None, max_length=100)
    exclusive: bool | None = None


class AssignmentOut(Out):
    id: int
    project_id: int
    role_id: int
    role: str
    role_key: str | None
    user_id: int
    user: str | None
    scope_kind: str
    scope_id: int | None
    scope: str | None
    valid_from: datetime
    valid_until: datetime | None
    current: bool
    note: str
    version: int


class AssignmentCreate(In):
    role_id: int
    user_id: int
    scope_id: int | None = Field(default=None, description="work package or department, as the role needs")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    note: str = Field(default="", max_length=2000)


class AssignmentEnd(In):
    version: int
    at: datetime | None = None
    note: str = Field(default="", max_length=2000)


class HandoverCreate(In):
    role_id: int
    to_user_id: int
    scope_id: int | None = None
    at: datetime | None = None
    note: str = Field(default="", max_length=2000)


class HandoverOut(Out):
    ended: AssignmentOut
    started: AssignmentOut


class GapOut(Out):
    area: str
    kind: str
    role_id: int | None
    role: str | None
    message: str


class RaciRoleOut(Out):
    id: int
    name: str
    holders: int


class RaciCellOut(Out):
    area: str
    role_id: int
    letter: str
    version: int


class RaciOut(Out):
    areas: list[str]
    roles: list[RaciRoleOut]
    cells: list[RaciCellOut]
    gaps: list[GapOut]


class RaciSet(In):
    letter: Literal["R", "A", "C", "I"] | None
    version: int | None = Field(default=None, description="the cell's version; 0 when it is empty")


class JournalOut(Out):
    id: int
    at: datetime
    actor: str
    actor_id: int | None
    project_id: int | None
    entity_type: str
    entity_id: str
    action: str
    changes: dict[str, list[Any]]
    cause: str | None


# --- scheduling ------------------------------------------------------------------------------------------------

DurationIn = str | float | int
ConstraintName = Literal["asap", "alap", "snet", "snlt", "fnet", "fnlt", "mso", "mfo"]
TaskStatusName = Literal["not_started", "in_progress", "completed", "on_hold", "cancelled"]


CustomValue = Annotated[
    str
    | int
    | float
    | bool
    | Annotated[list[Annotated[str, Field(max_length=120)]], Field(max_length=100)]
    | None,
    Field(
        description="text or a choice: a string; a multi choice: a list of its options (or one string, "
        "comma-separated); a number; a date: YYYY-MM-DD; a flag: true or false",
    ),
]


class CustomFieldIn(In):
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["text", "number", "date", "choice", "multi_choice", "flag"]
    choices: list[Annotated[str, Field(max_length=120)]] | None = Field(
        default=None, max_length=100, description="a choice or multi choice field's options, in order"
    )
    required: bool = Field(
        default=False, description="every task made from now on needs a value (not for a flag)"
    )
    default: CustomValue = Field(
        default=None, description="the value a new task gets when none is given (of the field's kind)"
    )


class CustomFieldUpdate(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"default"})
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=80)
    choices: list[Annotated[str, Field(max_length=120)]] | None = Field(default=None, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10000)
    archived: bool | None = Field(default=None, description="archived fields keep their values, hidden")
    required: bool | None = None
    default: CustomValue = Field(default=None, description="null: no default")


class CustomFieldOut(Out):
    id: int
    project_id: int
    name: str
    kind: str
    choices: list[str]
    position: int
    archived: bool
    required: bool
    default: CustomValue
    version: int


class ViewQuery(In):
    """A task list's filters, sort and columns (every key optional)."""

    q: str | None = Field(default=None, max_length=200, description="words in the name")
    work_package_id: int | None = Field(default=None, ge=0)
    critical: bool | None = Field(default=None, description="true: the critical tasks only")
    baseline: int | None = Field(
        default=None, ge=0, le=10, description="the baseline the task table compares with"
    )
    fields: dict[str, Annotated[str, Field(max_length=2000)]] | None = Field(
        default=None, max_length=20, description="custom field values, {name: value}, as the list's `field`"
    )
    sort: str | None = Field(
        default=None,
        max_length=90,
        description="wbs, name, start, finish, total_float, free_float, duration, priority, percent_complete, "
        "variance or field:NAME; - first for descending (a list without that sort shows the WBS order)",
    )
    custom_columns: bool | None = Field(default=None, description="the task table shows the custom fields")


class ViewIn(In):
    name: str = Field(min_length=1, max_length=80)
    query: ViewQuery = Field(default_factory=ViewQuery)
    shared: bool = Field(default=False, description="everyone who sees the project sees it (project.edit)")


class ViewUpdate(Patch):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=80)
    query: ViewQuery | None = None
    shared: bool | None = None


class ViewOut(Out):
    id: int
    project_id: int
    name: str
    shared: bool
    owner_id: int
    owner: str | None = Field(default=None, description="the owner's display name")
    mine: bool = Field(description="the caller's own view")
    may_change: bool = Field(description="the caller may rename, share, change or delete it")
    query: ViewQuery
    version: int


class TaskFields(In):
    description: str | None = None
    work_package_id: int | None = None
    milestone: bool | None = None
    duration: DurationIn | None = Field(
        default=None, description="working time: 5d, 4h, 90m or a number of days"
    )
    optimistic: DurationIn | None = None
    most_likely: DurationIn | None = None
    pessimistic: DurationIn | None = None
    work: DurationIn | None = None
    percent_complete: float | None = Field(default=None, ge=0, le=100)
    actual_start: datetime | None = None
    actual_finish: datetime | None = None
    status: TaskStatusName | None = None
    priority: int | None = Field(default=None, ge=0, le=1000)
    constraint_type: ConstraintName | None = None
    constraint_date: datetime | None = Field(default=None, description="project wall-clock, no zone")
    deadline: datetime | None = None
    calendar_id: int | None = None
    position: int | None = Field(default=None, ge=0)
    task_type: Literal["fixed_units", "fixed_duration", "fixed_work"] | None = None
    effort_driven: bool | None = None
    custom_fields: dict[str, CustomValue] | None = Field(
        default=None,
        max_length=50,
        description='values of the project\'s custom fields by field name ({"Customer": "ACME", '
        '"Story points": 5}); fields left out keep their value, null or "" clears one',
    )


class TaskCreate(TaskFields):
    name: str = Field(min_length=1, max_length=300)


class TaskUpdate(TaskFields, Patch):
    nullable = frozenset(
        {
            "work_package_id",
            "optimistic",
            "most_likely",
            "pessimistic",
            "work",
            "actual_start",
            "actual_finish",
            "constraint_date",
            "deadline",
            "calendar_id",
        }
    )
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=300)
    remaining_duration: DurationIn | None = Field(
        default=None,
        description="what is left, as MS Project's Remaining Duration: the duration becomes actual duration + "
        "this and % complete actual / duration (0 completes the task); not with a changed duration or % complete",
    )


class RecurringTaskIn(In):
    name: str = Field(
        min_length=1, max_length=200, description="the package's name; occurrences are 'name 1', 'name 2' ..."
    )
    work_package_id: int | None = Field(
        default=None, description="the package it goes under (none: the top of the WBS)"
    )
    duration: DurationIn = Field(default="1d", description="each occurrence's duration: 1h, 30m, 1d")
    pattern: Literal["daily", "weekly", "monthly"]
    every: int = Field(default=1, ge=1, le=99, description="days, weeks or months between occurrences")
    start: date = Field(description="the first day the pattern may fall on")
    end: date | None = Field(default=None, description="the last day (or give occurrences)")
    occurrences: int | None = Field(default=None, ge=1, le=200, description="how many (or give end)")
    weekdays: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=list,
        max_length=7,
        description="weekly: the days (default: the start's weekday); monthly with week_of_month: one day",
    )
    day_of_month: int | None = Field(
        default=None, ge=1, le=31, description="monthly: the day (past the month's end: its last day)"
    )
    week_of_month: Literal["first", "second", "third", "fourth", "last"] | None = None
    time: str | None = Field(
        default=None, max_length=8, description="HH:MM each occurrence starts no earlier than"
    )
    non_working: Literal["next", "skip"] = Field(
        default="next",
        description="an occurrence on a non-working day: moved to the next working day, or skipped",
    )


class MovedOccurrence(Out):
    from_: date = Field(alias="from")
    to: date


class RecurringTaskOut(Out):
    project_id: int
    work_package_id: int
    wbs_code: str
    name: str
    rule: str = Field(description="the pattern in words")
    tasks: list[TaskOut]
    moved: list[MovedOccurrence]
    skipped: list[date]


class TaskMove(In):
    version: int
    status: Literal["not_started", "in_progress", "completed", "on_hold"] = Field(
        description="the board column the task moves to"
    )


class AssigneesIn(In):
    user_ids: list[int] = Field(max_length=200)


class PersonRef(Out):
    assignment_id: int
    resource_id: int
    user_id: int | None
    name: str
    kind: str
    units: float
    work_minutes: int
    actual_work: str = Field("0h", description="hours the person logged on the task (approved entries)")
    actual_work_minutes: int = 0
    remaining_work: str = Field("0h", description="work - actual work, never below 0 (MS Project's)")
    remaining_work_minutes: int = 0
    version: int


class BaselineValues(Out):
    start: WallClock | None
    finish: WallClock | None
    duration_minutes: int
    work_minutes: int | None
    start_variance_days: float | None
    finish_variance_days: float | None
    duration_variance_days: float
    work_variance_minutes: int


class TaskOut(Out):
    id: int
    project_id: int
    work_package_id: int | None
    wbs_code: str
    name: str
    description: str
    milestone: bool
    duration_minutes: int = Field(
        description="working minutes of the task's calendar; wall-clock minutes when the duration is elapsed"
    )
    duration: str = Field(
        description='as typed back: "5d", "4h", or elapsed (24x7) "3ed", "12eh", "90em", "1ew"'
    )
    duration_days: float = Field(
        description="working days; elapsed (wall-clock) days for an elapsed duration"
    )
    duration_unit: str = Field(description="days, hours, or elapsed: emins, ehours, edays, eweeks, emonths")
    optimistic: int | None
    most_likely: int | None
    pessimistic: int | None
    work_minutes: int | None
    percent_complete: float
    actual_duration: str = Field(
        "0d", description="duration x % complete, in the duration's unit (MS Project's Actual Duration)"
    )
    remaining_duration: str = Field("0d", description="duration - actual duration, in the duration's unit")
    remaining_duration_minutes: int = Field(0, description="the remaining duration in duration_minutes' kind")
    actual_work: str = Field(
        "0h", description="the hours logged on the task by its assigned people (approved)"
    )
    actual_work_minutes: int = Field(0, description="the sum of its assignments' actual_work_minutes")
    remaining_work: str = Field("0h", description="the sum of its assignments' remaining work, in hours")
    remaining_work_minutes: int = Field(0, description="the sum of its assignments' remaining_work_minutes")
    actual_start: WallClock | None
    actual_finish: WallClock | None
    status: str
    priority: int
    constraint_type: str
    constraint_date: WallClock | None
    deadline: WallClock | None
    calendar_id: int | None
    position: int
    task_type: str
    effort_driven: bool
    levelled_start: WallClock | None
    start: WallClock | None
    finish: WallClock | None
    early_start: WallClock | None
    early_finish: WallClock | None
    late_start: WallClock | None
    late_finish: WallClock | None
    total_float_minutes: int
    total_float_days: float = Field(
        description="in float_unit: working days, or wall-clock days when elapsed"
    )
    free_float_days: float
    float_unit: str = Field("d", description='"d" (working days) or "ed" (elapsed days, an elapsed task)')
    critical: bool
    violation: str | None
    assignees: list[PersonRef]
    custom_fields: dict[str, CustomValue] = Field(
        default_factory=dict, description="the project's custom fields in use, by name (null: not set)"
    )
    baseline: BaselineValues | None = None
    version: int


class LinkCreate(In):
    pred_id: int
    succ_id: int
    type: Literal["FS", "SS", "FF", "SF"] = "FS"
    lag: str | int | float = Field(default=0, description="2d, -1d, 4h, 50% or 3ed; or minutes with lag_kind")
    lag_kind: Literal["working", "elapsed", "percent"] | None = None


class LinkUpdate(Patch):
    version: int
    type: Literal["FS", "SS", "FF", "SF"] | None = None
    lag: str | int | float | None = None
    lag_kind: Literal["working", "elapsed", "percent"] | None = None


class LinkOut(Out):
    id: int
    pred_id: int
    succ_id: int
    type: str
    lag: int
    lag_kind: str
    lag_text: str
    version: int


class SummaryOut(Out):
    id: int
    wbs_code: str
    name: str
    parent_id: int | None
    start: WallClock | None
    finish: WallClock | None
    work_minutes: int
    percent_complete: float
    tasks: int
    critical: bool
    late_tasks: int


class ViolationOut(Out):
    task_id: int
    name: str
    message: str | None


class ScheduleOut(Out):
    project_id: int
    start: date
    finish: WallClock | None
    status_date: WallClock | None
    settings_version: int = Field(description="the version to send with PUT …/schedule/status-date")
    minutes_per_day: int
    plan_revision: int
    computed_at: datetime | None
    baseline: int | None
    tasks: list[TaskOut]
    summaries: list[SummaryOut]
    links: list[LinkOut]
    critical_task_ids: list[int]
    violations: list[ViolationOut]


class StatusDateIn(In):
    status_date: datetime | None
    version: int


class RecomputeOut(Out):
    finish: WallClock | None
    tasks: int
    critical_paths: list[list[int]]
    violations: list[dict[str, Any]]


class StatusDateOut(RecomputeOut):
    status_date: WallClock | None
    settings_version: int


class CalendarExceptionOut(Out):
    id: int
    day: date
    working: bool
    name: str


class CalendarOut(Out):
    id: int
    project_id: int
    name: str
    is_project_default: bool
    weekdays: list[int]
    shifts: list[list[int]]
    minutes_per_day: int
    country: str | None
    subdiv: str | None
    exceptions: list[CalendarExceptionOut]
    version: int


class CalendarCreate(In):
    name: str = Field(min_length=1, max_length=120)
    weekdays: list[int] | None = Field(default=None, max_length=7, description="0 = Monday .. 6 = Sunday")
    shifts: list[list[int]] | None = Field(
        default=None, max_length=8, description="[[540, 780], [840, 1080]]"
    )
    country: str | None = Field(default=None, max_length=8)
    subdiv: str | None = Field(default=None, max_length=16)


class CalendarUpdate(Patch):
    nullable = frozenset({"country", "subdiv"})
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=120)
    weekdays: list[int] | None = Field(default=None, max_length=7)
    shifts: list[list[int]] | None = Field(default=None, max_length=8)
    country: str | None = Field(default=None, max_length=8)
    subdiv: str | None = Field(default=None, max_length=16)


class CalendarExceptionIn(In):
    day: date
    working: bool = False
    name: str = Field(default="", max_length=120)


class BaselineIn(In):
    number: int = Field(default=0, ge=0, le=10)
    name: str = Field(default="", max_length=120)


class BaselineOut(Out):
    id: int
    number: int
    name: str
    saved_at: datetime
    finish: WallClock | None
    tasks: int


class ImportOut(Out):
    project_id: int
    work_packages: int
    tasks: int
    links: int
    calendars: int
    baselines: list[int]
    finish: WallClock | None
    dates_compared: int
    dates_matching: int
    mismatches: list[dict[str, Any]]
    unmatched_resources: list[str]
    custom_fields_added: list[str] = Field(
        default_factory=list, description="Custom fields the file defined that were added to the project."
    )
    custom_fields_left_out: list[str] = Field(
        default_factory=list,
        description="Custom fields the file defined that the project lacks and the importer may not add "
        "(project.edit); their values were left out.",
    )
