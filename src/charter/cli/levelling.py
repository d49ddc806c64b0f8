"""`charter level PROJECT [options]` (a preview, or --apply) and the stored levelling runs:
`charter level runs|show|accept|undo PROJECT ...`, as on the project's Levelling page and through
…/levelling (the same services: task editors accept and undo, one transaction each, journaled per task).

`charter level` stays the command it was: when its first word is not one of these commands it is the
project, and the words go to `charter level run`. A project key equal to a command's name (RUNS, UNDO ...)
is given in capitals, as keys are shown."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from charter.cli import team
from charter.cli.common import JsonFlag, console, fmt_time, print_json, print_rows, run_in_project
from charter.domain.errors import NotFound
from charter.services import levelling


class LevelGroup(TyperGroup):
    """A group whose default command is `run`: `charter level CRM --apply` reads as before."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click's Context
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


level_app = typer.Typer(
    cls=LevelGroup,
    help="Resource levelling: `charter level PROJECT [OPTIONS]` (the `run` command: see `charter level run "
    "--help`) previews a levelled schedule, or accepts it at once with --apply; the other commands list the "
    "stored runs, show one, accept a preview and undo an applied run.",
    no_args_is_help=True,
)
level_app.command("run")(team.level)

Project = Annotated[str, typer.Argument(help="Project key or id.")]
Run = Annotated[int, typer.Argument(help="The run's id (`charter level runs` lists them).")]


def _when(v: Any) -> str:
    if v is None:
        return ""
    return fmt_time(v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v)))


def _cells(r: dict[str, Any]) -> list[str]:
    return [
        str(r["id"]), _when(r["created_at"]), r["method"], r["status"], _when(r["old_finish"]),
        _when(r["new_finish"]), str(len(r.get("changes") or [])),
        str(len(r.get("remaining_overallocations") or [])), _when(r["applied_at"]),
    ]  # fmt: skip


@level_app.command("runs")
def runs_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """The levelling runs, newest first (the last 50): preview, stale (the plan changed since: preview again),
    applied or undone, with the finish before and after and how many tasks move."""
    rows = run_in_project(project, levelling.list_runs)
    print_rows(rows, ("run", "when", "method", "status", "old finish", "new finish", "moves",
                      "over-allocations left", "applied"), _cells, as_json=as_json,
               empty="No levelling runs yet: `charter level PROJECT` previews one.")  # fmt: skip


def _find(s: Any, a: Any, pid: int, run_id: int) -> dict[str, Any]:
    for r in levelling.list_runs(s, a, pid):
        if r["id"] == run_id:
            return r
    raise NotFound(f"levelling run {run_id} not found in this project", field="run_id")


@level_app.command("show")
def show_cmd(project: Project, run_id: Run, as_json: JsonFlag = False) -> None:
    """One run: its status, the finish before and after, each task that moves and by how much, and the
    over-allocations it leaves."""
    r = run_in_project(project, lambda s, a, pid: _find(s, a, pid, run_id))
    if as_json:
        print_json(r)
        return
    console.print(
        f"Levelling run {r['id']} ({r['method']}, {r['status']}, {_when(r['created_at'])}): finish "
        f"{_when(r['old_finish'])} → {_when(r['new_finish'])}"
    )
    t = Table("WBS", "task", "old start", "new start", "delay")
    for c in r.get("changes") or []:
        t.add_row(c["wbs_code"], escape(c["name"]), _when(c["old_start"]), _when(c["new_start"]),
                  f"{c['delay_days']:+g}d")  # fmt: skip
    console.print(t if r.get("changes") else "Nothing moves.")
    left = r.get("remaining_overallocations") or []
    console.print(f"Over-allocations left: {len(left)}")
    team.print_elapsed_left(left)
    for w in r.get("warnings") or []:
        console.print(f"[yellow]{escape(w)}[/yellow]")


def _outcome(r: dict[str, Any], what: str, tasks: str) -> str:
    return (
        f"Levelling run {r['id']} {what}: {len(r.get('changes') or [])} task(s) {tasks}; the project now "
        f"finishes {_when(r['finish']) or '-'}."
    )


@level_app.command("accept")
def accept_cmd(project: Project, run_id: Run, as_json: JsonFlag = False) -> None:
    """Apply a previewed run (who may edit tasks): its moves become the tasks' levelled starts, each journaled.
    Refused when the plan changed since the preview: preview again."""
    r = run_in_project(project, lambda s, a, pid: levelling.accept(s, a, pid, run_id))
    if as_json:
        print_json(r)
        return
    console.print(_outcome(r, "applied", "moved"))


@level_app.command("undo")
def undo_cmd(project: Project, run_id: Run, as_json: JsonFlag = False) -> None:
    """Restore the levelled starts an applied run replaced (who may edit tasks), each journaled."""
    r = run_in_project(project, lambda s, a, pid: levelling.undo(s, a, pid, run_id))
    if as_json:
        print_json(r)
        return
    console.print(_outcome(r, "undone", "back where they were"))
