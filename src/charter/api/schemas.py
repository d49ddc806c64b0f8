"""Request and response bodies of the JSON API. Separate from the domain: a column change is not silently
an API change. Request bodies reject unknown fields (422)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=20000)


class Patch(In):
    """A partial update: fields left out are unchanged; null is accepted only where the record allows it."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_null(cls, v: Any, info: ValidationInfo) -> Any:
        if v is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return v


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
    status: Status | None = None
    phase: PhaseName | None = None


class WorkPackageOut(Out):
    id: int
    project_id: int
    parent_id: int | None
    name: str
    description: str
    wbs_code: str
    position: int
    leader: str | None
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
