"""Request bodies for the conflict log (responses are the services' plain data). Kinds, severities, approaches
and lifecycle rules are checked by the services, which name the field."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from charter.api.schemas import In, Patch

KIND = "people, team, priority, resource, schedule, technical, budget, constraint or other"
APPROACH = "collaborate, compromise, accommodate, force or avoid"


class PartyIn(In):
    """One of user_id, department_id, work_package_id; or only a label (a named outside party)."""

    user_id: int | None = Field(None, description="a project member")
    department_id: int | None = None
    work_package_id: int | None = Field(None, description="a team: a work package of the project")
    label: str | None = Field(None, max_length=200, description="an outside party's name, or a note")


class ConflictIn(In):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = None
    kind: str | None = Field(None, description=KIND)
    severity: str | None = Field(None, description="low, medium, high or critical")
    work_package_id: int | None = Field(None, description="it starts with this package's Task Leader")
    parties: list[PartyIn] = Field(default_factory=list, max_length=50)


class ConflictPatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"work_package_id", "approach", "owner_id"})
    version: int
    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = None
    kind: str | None = Field(None, description=KIND)
    severity: str | None = None
    work_package_id: int | None = None
    approach: str | None = Field(None, description=APPROACH)
    owner_id: int | None = Field(None, description="the PM hands the conflict to another member")
    status: str | None = Field(None, description="open or resolving (use resolve/close/reopen for the rest)")


class VersionIn(In):
    version: int


class ResolveIn(In):
    version: int
    outcome: str = Field(min_length=1, description="what was decided, and who agreed")
    approach: str | None = Field(None, description=APPROACH + " (required unless set already)")


class ReasonIn(In):
    version: int
    reason: str | None = Field(None, max_length=2000)


class PolicyIn(In):
    version: int
    task_leader_hours: int = Field(description="hours with the Task Leader before it moves to the PM")
    pm_hours: int = Field(description="hours with the PM before it moves to the Sponsor")


class FromRecordIn(In):
    title: str | None = Field(None, min_length=1, max_length=300)
    kind: str | None = Field(None, description=KIND)
    severity: str | None = None
    work_package_id: int | None = None
