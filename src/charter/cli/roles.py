"""`charter role assign|end|handover|create|update|list`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.common import (
    JsonFlag,
    acting,
    console,
    fmt_time,
    open_db,
    parse_when,
    print_json,
    print_result,
)
from charter.domain.errors import NotFound, ValidationError
from charter.domain.roles import Perm
from charter.services import accounts, org, projects, roles, work_packages
from charter.services.context import Actor

role_app = typer.Typer(
    help="Roles of a project: assignments over time, hand-overs, custom roles.", no_args_is_help=True
)

KeyArg = Annotated[str, typer.Argument(help="Project key (e.g. CRM) or id.")]
RoleArg = Annotated[str, typer.Argument(help='Role name ("Task Leader"), built-in key (task_leader) or id.')]
ScopeOpt = Annotated[
    str | None,
    typer.Option(
        "--scope",
        help="For a work-package role: the WBS code (2.1), name or id of the package; for a department "
        "role: the department name or id.",
    ),
]


def find_role(s: Session, actor: Actor, project_id: int, ref: str) -> dict[str, Any]:
    """A role of the project by id, built-in key or name (case-insensitive)."""
    all_roles = roles.list_roles(s, actor, project_id)
    wanted = ref.strip().lower()
    for r in all_roles:
        if str(r["id"]) == wanted or (r["key"] or "") == wanted.replace(" ", "_").replace("-", "_"):
            return r
    for r in all_roles:
        if r["name"].lower() == wanted:
            return r
    names = ", ".join(r["name"] for r in all_roles)
    raise NotFound(f"no role {ref!r} in this project; roles: {names}", field="role")


def find_scope(
    s: Session, actor: Actor, project_id: int, role: dict[str, Any], ref: str | None
) -> int | None:
    """The id of the scope named by `ref` for this role's scope kind (the service checks the rest)."""
    if ref is None:
        return None
    if role["scope_kind"] == "department":
        return org.find_department_id(s, ref)
    wps = work_packages.list_work_packages(s, actor, project_id)
    for w in wps:
        if w["wbs_code"] == ref or w["name"].lower() == ref.lower():
            return int(w["id"])
    if ref.isdecimal() and any(w["id"] == int(ref) for w in wps):
        return int(ref)
    if role["scope_kind"] == "project":
        try:
            return org.find_department_id(s, ref)
        except NotFound:
            pass
    raise NotFound(f"no work package {ref!r} in this project", field="scope")


def assignment_row(a: dict[str, Any]) -> list[str]:
    return [
        str(a["id"]),
        escape(a["role"]),
        escape(a["user"] or str(a["user_id"])),
        escape(a["scope"] or ""),
        fmt_time(a["valid_from"]),
        fmt_time(a["valid_until"]),
        "[green]now[/green]" if a["current"] else "",
        escape(a["note"] or ""),
    ]


def assignment_table(rows: list[dict[str, Any]], title: str | None = None) -> Table:
    t = Table("id", "role", "holder", "scope", "from", "until", "", "note", title=title, title_justify="left")
    for a in rows:
        t.add_row(*assignment_row(a))
    return t


@role_app.command("assign")
def assign(
    key: KeyArg,
    role: RoleArg,
    user: Annotated[str, typer.Argument(help="Username (or id) of the person who takes the role.")],
    scope: ScopeOpt = None,
    valid_from: Annotated[
        str | None,
        typer.Option("--from", help="Start, ISO date or date-time (UTC unless zoned); default now."),
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--until", help="End, ISO date or date-time; default open-ended.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Why, for the role history.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Give someone a role in a project, from now (or --from) until further notice (or --until)."""
    start, end = parse_when(valid_from, "from"), parse_when(valid_until, "until")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            r = find_role(s, actor, pid, role)
            a = roles.assign_role(
                s,
                actor,
                pid,
                role_id=r["id"],
                user_id=accounts.find_user_id_in(s, actor, pid, Perm.ROLES_MANAGE, user),
                scope_id=find_scope(s, actor, pid, r, scope),
                valid_from=start,
                valid_until=end,
                note=note,
            )
    finally:
        db.dispose()
    if as_json:
        print_json(a)
        return
    where = f" for {a['scope']}" if a["scope"] else ""
    console.print(
        f"{escape(a['user'])} holds {escape(a['role'])}{escape(where)} from {fmt_time(a['valid_from'])}"
        + (f" until {fmt_time(a['valid_until'])}" if a["valid_until"] else "")
        + f" (assignment {a['id']})."
    )


@role_app.command("end")
def end(
    key: KeyArg,
    assignment_id: Annotated[int, typer.Argument(help="Assignment id (see `charter role list`).")],
    at: Annotated[str | None, typer.Option("--at", help="When it ends, ISO; default now.")] = None,
    note: Annotated[str, typer.Option("--note", help="Why, added to the assignment's note.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """End a role assignment. The history keeps it; `charter raci show` reports any gap it leaves."""
    when = parse_when(at, "at")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            history = roles.list_assignments(s, actor, pid)
            found = next((a for a in history if a["id"] == assignment_id), None)
            if found is None:
                raise NotFound(f"assignment {assignment_id} not found in this project", field="assignment_id")
            a = roles.end_assignment(s, actor, pid, assignment_id, found["version"], at=when, note=note)
            gaps = roles.gaps(s, actor, pid)
    finally:
        db.dispose()
    if as_json:
        print_json({**a, "gaps": gaps})
        return
    console.print(
        f"{escape(a['user'])} no longer holds {escape(a['role'])} from {fmt_time(a['valid_until'])}."
    )
    for g in gaps:
        if g["role_id"] == a["role_id"]:
            console.print(f"gap: {g['message']}", style="red", markup=False)


@role_app.command("handover")
def handover(
    key: KeyArg,
    role: RoleArg,
    to_user: Annotated[str, typer.Argument(help="Username (or id) of the new holder.")],
    scope: ScopeOpt = None,
    at: Annotated[
        str | None, typer.Option("--at", help="When the hand-over happens, ISO; default now.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note on the new assignment.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Hand a role to someone else in one step: the current holder's assignment ends as the new one
    starts."""
    when = parse_when(at, "at")
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            r = find_role(s, actor, pid, role)
            result = roles.hand_over(
                s,
                actor,
                pid,
                role_id=r["id"],
                to_user_id=accounts.find_user_id_in(s, actor, pid, Perm.ROLES_MANAGE, to_user),
                scope_id=find_scope(s, actor, pid, r, scope),
                at=when,
                note=note,
            )
    finally:
        db.dispose()
    if as_json:
        print_json(result)
        return
    ended, started = result["ended"], result["started"]
    console.print(
        f"{escape(started['role'])} handed over from {escape(ended['user'])} to {escape(started['user'])} "
        f"at {fmt_time(started['valid_from'])} (assignments {ended['id']} → {started['id']})."
    )


@role_app.command("create")
def create(
    key: KeyArg,
    name: Annotated[str, typer.Argument(help='Name of the new role, e.g. "Security Officer".')],
    scope_kind: Annotated[
        str, typer.Option("--scope-kind", help="project, work_package or department.")
    ] = "project",
    based_on: Annotated[
        str | None,
        typer.Option("--based-on", help="Copy permissions and scope kind of a built-in role (e.g. liaison)."),
    ] = None,
    permission: Annotated[
        list[str] | None,
        typer.Option("--permission", "-p", help="A permission (repeatable), e.g. tech.manage."),
    ] = None,
    exclusive: Annotated[
        bool, typer.Option("--exclusive", help="Only one holder per scope at a time.")
    ] = False,
    description: Annotated[str, typer.Option("--description", help="What the role is for.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Create a custom role in a project (at any time in its life)."""
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            r = roles.create_role(
                s,
                actor,
                pid,
                name=name,
                scope_kind=scope_kind,
                permissions=list(permission or []),
                exclusive=exclusive,
                description=description,
                based_on=based_on,
            )
    finally:
        db.dispose()
    print_result(
        r,
        as_json,
        f"Created role [bold]{escape(r['name'])}[/bold] (id {r['id']}, scope {r['scope_kind']}): "
        + escape(", ".join(r["permissions"])),
    )


@role_app.command("update")
def update(
    key: KeyArg,
    role: RoleArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name (custom roles only).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="What the role is for.")] = None,
    exclusive: Annotated[
        bool | None,
        typer.Option(
            "--exclusive/--not-exclusive", help="Only one holder per scope at a time (custom roles)."
        ),
    ] = None,
    permission: Annotated[
        list[str] | None,
        typer.Option(
            "--permission", "-p", help="The role's whole set of permissions (repeatable; replaces it)."
        ),
    ] = None,
    grant: Annotated[
        list[str] | None, typer.Option("--grant", help="A permission to add (repeatable), e.g. tech.manage.")
    ] = None,
    revoke: Annotated[
        list[str] | None, typer.Option("--revoke", help="A permission to take away (repeatable).")
    ] = None,
    version: Annotated[
        int | None, typer.Option("--version", help="The version you read (default: the current one).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a role: a built-in role's description; a custom role's name, description, exclusivity and
    permissions. What is not given stays as it is."""
    if permission is not None and (grant or revoke):
        raise ValidationError(
            "give --permission (the whole set) or --grant/--revoke, not both", field="permissions"
        )
    changes: dict[str, Any] = {
        k: v
        for k, v in (("name", name), ("description", description), ("exclusive", exclusive))
        if v is not None
    }
    db = open_db()
    try:
        with db.uow() as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            r = find_role(s, actor, pid, role)
            if permission is not None:
                changes["permissions"] = list(permission)
            elif grant or revoke:
                changes["permissions"] = sorted(
                    (set(r["permissions"]) | set(grant or [])) - set(revoke or [])
                )
            if not changes:
                raise ValidationError(
                    "nothing to change: give --name, --description, --exclusive/--not-exclusive, --permission, "
                    "--grant or --revoke",
                    field="role",
                )
            current = version if version is not None else r["version"]
            r = roles.update_role(s, actor, pid, r["id"], current, **changes)
    finally:
        db.dispose()
    print_result(
        r,
        as_json,
        f"Role [bold]{escape(r['name'])}[/bold] (id {r['id']}, version {r['version']})"
        + (", one holder per scope" if r["exclusive"] else "")
        + ": "
        + escape(", ".join(r["permissions"])),
    )


@role_app.command("list")
def list_(
    key: KeyArg,
    current: Annotated[bool, typer.Option("--current", help="Only what is held now.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The role history of a project (who held which role, from when until when), newest first."""
    db = open_db()
    try:
        with db.uow(readonly=True) as s:
            actor = acting(s)
            pid = projects.find_project_id(s, actor, key)
            rows = roles.list_assignments(s, actor, pid, current_only=current)
    finally:
        db.dispose()
    if as_json:
        print_json(rows)
        return
    title = "Current role holders" if current else "Role history"
    console.print(assignment_table(rows, title) if rows else "No role assignments.")
