"""Request and response bodies for resources, assignments, workload and levelling."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from charter.api.schemas import In, Out, Patch, WallClock

Kind = Literal["person", "equipment", "environment", "licence", "material"]


class ResourceExceptionOut(Out):
    id: int
    day: date
    working: bool
    name: str


class RateOut(Out):
    id: int
    valid_from: date
    standard: str
    overtime: str
    currency: str


class ResourceOut(Out):
    id: int
    kind: str
    name: str
    user_id: int | None
    department_id: int | None
    skills: list[str]
    max_units: float
    weekdays: list[int]
    shifts: list[list[int]]
    unit: str
    active: bool
    exceptions: list[ResourceExceptionOut]
    rates: list[RateOut]
    version: int


class ResourceCreate(In):
    name: str = Field(min_length=1, max_length=120)
    kind: Kind = "person"
    user_id: int | None = None
    department_id: int | None = None
    skills: list[str] = Field(default_factory=list, max_length=50)
    max_units: float = Field(default=1.0, ge=0, le=1000)
    weekdays: list[int] | None = Field(default=None, max_length=7)
    shifts: list[list[int]] | None = Field(default=None, max_length=8)
    unit: str = Field(default="", max_length=20)


class ResourceUpdate(Patch):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=120)
    department_id: int | None = None
    skills: list[str] | None = Field(default=None, max_length=50)
    max_units: float | None = Field(default=None, ge=0, le=1000)
    weekdays: list[int] | None = Field(default=None, max_length=7)
    shifts: list[list[int]] | None = Field(default=None, max_length=8)
    active: bool | None = None
    nullable = frozenset({"department_id"})


class ResourceExceptionIn(In):
    day: date
    until: date | None = Field(
        default=None, description="the last day of a range (a vacation): one entry per day, at most 366"
    )
    working: bool = False
    name: str = Field(default="", max_length=120)


class RateIn(In):
    valid_from: date
    standard: str = Field(
        pattern=r"^\d{1,12}(\.\d{1,4})?$", description="per hour (or per unit for materials)"
    )
    overtime: str | None = Field(default=None, pattern=r"^\d{1,12}(\.\d{1,4})?$")
    currency: str | None = Field(
        default=None,
        min_length=3,
        max_length=3,
        description="default: the resource's previous rate's, else the currency of its projects",
    )


class AssignmentIn(In):
    resource_id: int
    units: float = Field(default=1.0, gt=0, le=100)
    work: str | float | int | None = Field(default=None, description="5d, 12h; default: duration x units")


class AssignmentUpdate(Patch):
    version: int
    units: float | None = Field(default=None, gt=0, le=100)
    work: str | float | int | None = None
    remaining_work: str | float | int | None = Field(
        default=None,
        description="what is left, as MS Project's Remaining Work (6h, 2d): the work becomes the hours logged + "
        "this; not with a changed work",
    )


class AssignmentOut(Out):
    assignment_id: int
    resource_id: int
    user_id: int | None
    name: str
    kind: str
    units: float
    work_minutes: int
    actual_work: str = Field(
        "0h",
        description="hours the person logged on the task (approved entries); 0 for a resource with no account",
    )
    actual_work_minutes: int = 0
    remaining_work: str = Field(
        "0h", description="work - actual work, never below 0 (MS Project's Remaining Work)"
    )
    remaining_work_minutes: int = 0
    version: int


class WorkloadDay(Out):
    day: date
    load_minutes: int
    capacity_minutes: int
    over: bool


class WorkloadWeek(Out):
    week: str
    load_minutes: int
    capacity_minutes: int


class WorkloadPerson(Out):
    resource_id: int
    name: str
    user_id: int | None
    department_id: int | None
    max_units: float
    days: list[WorkloadDay]
    weeks: list[WorkloadWeek]
    over_days: int


class OverTask(Out):
    project_id: int | None
    project: str | None
    task_id: int | None
    task: str
    minutes: int
    units: float
    elapsed: bool = Field(
        default=False,
        description="an elapsed (24x7) task: its load runs round the clock and levelling never moves it",
    )
    own_calendar: bool = Field(
        default=False,
        description="a task on a task calendar of its own (not the project's): levelling never moves it",
    )


class Overallocation(Out):
    resource_id: int
    resource: str
    day: date
    load_minutes: int
    capacity_minutes: int
    tasks: list[OverTask]


class WorkloadOut(Out):
    from_: date = Field(alias="from")
    to: date
    resources: list[WorkloadPerson]
    overallocations: list[Overallocation]


class LevelIn(In):
    method: Literal["heuristic", "optimal"] = "heuristic"
    time_limit: float = Field(default=10.0, gt=0, le=600)
    within_slack: bool = False


class LevelChange(Out):
    task_id: int
    name: str
    wbs_code: str
    old_start: WallClock | None
    new_start: WallClock | None
    old_finish: WallClock | None
    new_finish: WallClock | None
    delay_days: float


class LevelRunOut(Out):
    id: int
    project_id: int
    method: str
    status: str
    created_at: datetime
    applied_at: datetime | None
    changes: list[LevelChange]
    old_finish: WallClock | None
    new_finish: WallClock | None
    makespan_days: int
    lower_bound_days: int | None
    engine_status: str
    solve_seconds: float
    remaining_overallocations: list[dict[str, Any]]
    not_levelled: list[str]
    warnings: list[str]
    moves: dict[str, str | None]
    previous: dict[str, str | None]
    finish: WallClock | None = None
