"""Request and response bodies of the timesheet API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from charter.api.schemas import In, Out, Patch

Hours = float | str


class EntryCreate(In):
    task_id: int
    day: date
    hours: Hours = Field(description='"2h", "90m", "1.5h" or a number of hours')
    note: str = Field(default="", max_length=2000)
    overtime: bool = False


class EntryUpdate(Patch):
    version: int
    hours: Hours | None = None
    note: str | None = Field(default=None, max_length=2000)
    overtime: bool | None = None


class RejectIn(In):
    reason: str = Field(min_length=1, max_length=2000)


class LockIn(In):
    until: date | None = Field(description="Days up to and including this one are locked; null unlocks.")


class EntryOut(Out):
    id: int
    user_id: int
    project_id: int
    task_id: int
    task_name: str | None
    day: date
    minutes: int
    hours: float
    overtime: bool
    note: str
    status: str
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str
    version: int


class ApprovalOut(EntryOut):
    project_key: str
    user: str


class WeekRowOut(Out):
    task_id: int
    project_id: int
    project_key: str
    task_name: str
    wbs_code: str
    entries: dict[str, EntryOut]
    total_minutes: int


class WeekOut(Out):
    week: str
    days: list[date]
    rows: list[WeekRowOut]
    day_totals: dict[str, int]
    total_minutes: int
    previous: str
    next: str


class SubmitOut(Out):
    week: str
    submitted: int
    entry_ids: list[int]


class LockOut(Out):
    project_id: int
    until: date | None
    locked_by: int | None


class ActualOut(Out):
    task_id: int
    wbs_code: str
    name: str
    work_package_id: int | None
    planned_minutes: int
    actual_minutes: int
    actual_hours: float
    submitted_minutes: int
    percent_complete: float
    suggested_percent: float | None


class ActualsOut(Out):
    project_id: int
    locked_until: date | None
    tasks: list[ActualOut]


class ProjectTimeEntryOut(Out):
    id: int
    day: date
    user_id: int
    user: str
    username: str
    task_id: int
    task_wbs: str
    task_name: str
    work_package_id: int | None
    work_package: str | None
    minutes: int
    hours: float
    overtime: bool
    status: str
    note: str
    version: int


class UserTimeOut(Out):
    user_id: int
    user: str
    minutes: int
    hours: float


class WorkPackageTimeOut(Out):
    work_package_id: int | None = Field(description="null: tasks outside any work package")
    work_package: str | None
    minutes: int
    hours: float


class StatusTimeOut(Out):
    status: str
    minutes: int
    hours: float


class TimeTotalsOut(Out):
    minutes: int
    hours: float
    by_user: list[UserTimeOut]
    by_work_package: list[WorkPackageTimeOut]
    by_status: list[StatusTimeOut]


class ProjectTimeOut(Out):
    project_id: int
    project_key: str
    scope: str = Field(
        description='"all", "work_packages" (a Task Leader: their packages and own hours) or "own"'
    )
    items: list[ProjectTimeEntryOut]
    total_count: int = Field(description="entries matching the filters (every page)")
    limit: int | None
    offset: int
    totals: TimeTotalsOut = Field(description="over every matching entry, not only this page")
