"""`charter quality review list|show|create|finding|sign-off|edit|delete PROJECT ...` and
`charter quality checklist list|create|edit|delete|apply ...` (checklist templates are organisation-wide)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, acting, console, fail, open_db, print_json, print_result, print_rows
from charter.cli.quality import Project, Version, current_version, run
from charter.domain.roles import Perm
from charter.services import accounts, quality

review_app = typer.Typer(help="Reviews and inspections: reviewers, checklist, findings, sign-off.",
                         no_args_is_help=True)  # fmt: skip
checklist_app = typer.Typer(help="Checklist templates, reusable across projects.", no_args_is_help=True)

ReviewId = Annotated[int, typer.Argument(help="The review's id (see `quality review list`).")]
Template = Annotated[str, typer.Argument(help="The checklist template's id or exact name.")]
Reviewers = Annotated[
    list[str] | None, typer.Option("--reviewer", help="Reviewer, username or id (repeatable).")
]
Items = Annotated[list[str] | None, typer.Option("--item", help="A checklist item (repeatable).")]


def _users(s: Any, a: Any, pid: int, names: list[str] | None) -> list[int]:
    """Reviewers by username or id, for whoever manages quality (checked before the look-up)."""
    return [accounts.find_user_id_in(s, a, pid, Perm.QUALITY_MANAGE, u) for u in names or []]


def _template_id(s: Any, actor: Any, ref: str) -> dict[str, Any]:
    for t in quality.list_templates(s, actor):
        if str(t["id"]) == ref or t["name"] == ref:
            return t
    fail(
        f"error: checklist template {ref!r} not found (see `charter quality checklist list`) (field: template)"
    )


def _review_version(s: Any, a: Any, pid: int, review_id: int, version: int | None) -> int:
    return (
        version
        if version is not None
        else current_version(quality.list_reviews(s, a, pid), review_id, "review")
    )


def _print_review(r: dict[str, Any]) -> None:
    console.print(f"[bold]Review {r['id']}[/bold] {escape(r['title'])} ({r['kind']}, phase {r['phase']}) — "
                  f"{r['status']}, version {r['version']}")  # fmt: skip
    console.print("Reviewers: " + ", ".join(
        f"{escape(x['name'] or str(x['user_id']))}{' (signed)' if x['signed'] else ''}" for x in r["reviewers"]))  # fmt: skip
    if r["checklist"]:
        t = Table("#", "item", "result", title="Checklist")
        for n, x in enumerate(r["checklist"]):
            t.add_row(str(n), escape(x["item"]), x.get("result") or "-")
        console.print(t)
    if r["findings"]:
        t = Table("id", "severity", "finding", "defect", title="Findings")
        for f in r["findings"]:
            t.add_row(
                str(f["id"]), f["severity"], escape(f["text"]), f"#{f['defect_id']}" if f["defect_id"] else ""
            )
        console.print(t)


# --------------------------------------------------------------------------------------------- reviews


@review_app.command("list")
def review_list(project: Project, as_json: JsonFlag = False) -> None:
    """Reviews and inspections of the project with their reviewers, findings and sign-off status."""
    rows = run(project, quality.list_reviews)

    def cells(r: dict[str, Any]) -> tuple[str, ...]:
        who = ", ".join(f"{x['name']}{'*' if x['signed'] else ''}" for x in r["reviewers"])
        return (str(r["id"]), r["kind"], r["phase"], escape(r["title"]), escape(who), str(len(r["findings"])),
                r["status"])  # fmt: skip

    print_rows(rows, ("id", "kind", "phase", "title", "reviewers", "findings", "status"), cells,
               as_json=as_json, empty="No reviews.")  # fmt: skip
    if rows and not as_json:
        console.print("* signed off")


@review_app.command("show")
def review_show(project: Project, review_id: ReviewId, as_json: JsonFlag = False) -> None:
    """One review: its checklist with results, findings and who has signed."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        for r in quality.list_reviews(s, a, pid):
            if r["id"] == review_id:
                return r
        fail(f"error: review {review_id} not found in this project (field: review_id)")

    r = run(project, go)
    print_json(r) if as_json else _print_review(r)


@review_app.command("create")
def review_create(
    project: Project, title: Annotated[str, typer.Option(help="What is reviewed.")],
    reviewer: Reviewers = None,
    kind: Annotated[str, typer.Option(help="review or inspection.")] = "review",
    phase: Annotated[str | None, typer.Option(help="Lifecycle phase (default: the current one).")] = None,
    template: Annotated[str | None, typer.Option(help="Checklist template (id or name) to copy items from.")] = None,
    item: Items = None,
    deliverable_id: Annotated[int | None, typer.Option(help="The deliverable under review.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Start a review with named reviewers and a checklist (a template's items, then any --item)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        tid = _template_id(s, a, template)["id"] if template else None
        return quality.create_review(s, a, pid, title=title, reviewer_ids=_users(s, a, pid, reviewer),
                                     kind=kind, phase=phase, template_id=tid, deliverable_id=deliverable_id,
                                     items=item or [])  # fmt: skip

    r = run(project, go)
    print_json(r) if as_json else _print_review(r)


@review_app.command("finding")
def review_finding(
    project: Project, review_id: ReviewId, text: Annotated[str, typer.Option(help="The finding.")],
    severity: Annotated[str, typer.Option(help="critical, major, minor or trivial.")] = "minor",
    defect: Annotated[bool, typer.Option("--defect", help="Also raise a defect (found in review).")] = False,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Record a finding (a reviewer, or a quality manager); with --defect it is raised as a defect too."""
    r = run(project, lambda s, a, pid: quality.add_finding(s, a, pid, review_id, text=text, severity=severity,
                                                          raise_defect=defect))  # fmt: skip
    if as_json:
        print_json(r)
        return
    f = r["findings"][-1]
    console.print(f"Finding {f['id']} recorded on review {r['id']}"
                  + (f"; defect #{f['defect_id']} raised." if f["defect_id"] else "."))  # fmt: skip


def _results(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        k, sep, res = v.partition("=")
        if not sep or not k.strip().isdecimal() or res.strip() not in ("pass", "fail", "n/a"):
            fail(f"error: --result {v!r}: write ITEM=RESULT, e.g. 0=pass; results are pass, fail or n/a "
                 "(field: results)")  # fmt: skip
        out[k.strip()] = res.strip()
    return out


@review_app.command("sign-off")
def review_sign_off(
    project: Project, review_id: ReviewId,
    result: Annotated[list[str] | None, typer.Option(help="Checklist result ITEM=pass|fail|n/a, item numbers "
                                                          "from `review show` (repeatable).")] = None,
    version: Annotated[int | None, typer.Option("--version", help="The review's version as you read it "
                                                "(`review show`): refused if it changed since.")] = None,
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Sign a review off as one of its named reviewers; it is signed off when every reviewer has."""
    results = _results(result)
    r = run(project, lambda s, a, pid: quality.sign_off(s, a, pid, review_id, results=results or None,
                                                        version=version))  # fmt: skip
    print_result(r, as_json, f"Review {r['id']} signed; status {r['status']}.")


@review_app.command("edit")
def review_edit(
    project: Project, review_id: ReviewId, title: Annotated[str | None, typer.Option(help="New title.")] = None,
    reviewer: Reviewers = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="Replace the checklist with these items "
                                                                 "(repeatable; refused once someone signed).")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change a review's title, reviewers (replaces the list) or checklist before it is signed off."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = title
        if reviewer:
            changes["reviewer_ids"] = _users(s, a, pid, reviewer)
        if item:
            changes["items"] = item
        if not changes:
            fail("error: nothing to change: give --title, --reviewer or --item")
        v = _review_version(s, a, pid, review_id, version)
        return quality.update_review(s, a, pid, review_id, v, **changes)

    r = run(project, go)
    print_result(r, as_json, f"Review {r['id']} {escape(r['title'])} saved (version {r['version']}).")


@review_app.command("delete")
def review_delete(project: Project, review_id: ReviewId, version: Version = None) -> None:
    """Remove a review that is not signed off, with its findings (defects raised from them stay)."""
    run(project, lambda s, a, pid: quality.delete_review(s, a, pid, review_id,
                                                        _review_version(s, a, pid, review_id, version)))  # fmt: skip
    console.print(f"Review {review_id} removed.")


# --------------------------------------------------------------------------------------------- checklists


def _in_session(fn: Any) -> Any:
    db = open_db()
    try:
        with db.uow() as s:
            return fn(s, acting(s))
    finally:
        db.dispose()


def _print_template(t: dict[str, Any]) -> None:
    console.print(f"[bold]Checklist {t['id']}[/bold] {escape(t['name'])} (version {t['version']})")
    for n, i in enumerate(t["items"]):
        console.print(f"  {n}. {escape(i)}")


@checklist_app.command("list")
def checklist_list(as_json: JsonFlag = False) -> None:
    """Checklist templates with their items (shared by every project)."""
    rows = _in_session(quality.list_templates)
    print_rows(rows, ("id", "name", "items", "version"),
               lambda x: (str(x["id"]), escape(x["name"]), escape("; ".join(x["items"])), str(x["version"])),
               as_json=as_json, empty="No checklist templates.")  # fmt: skip


@checklist_app.command("create")
def checklist_create(
    name: Annotated[str, typer.Option(help="A unique name.")], item: Items = None, as_json: JsonFlag = False
) -> None:
    """Create a checklist template (admins, and anyone who manages quality in some project)."""
    t = _in_session(lambda s, a: quality.create_template(s, a, name=name, items=item or []))
    print_json(t) if as_json else _print_template(t)


@checklist_app.command("edit")
def checklist_edit(
    template: Template, name: Annotated[str | None, typer.Option(help="New name.")] = None,
    item: Annotated[list[str] | None, typer.Option("--item", help="Replace the items with these "
                                                                 "(repeatable).")] = None,
    version: Version = None, as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Rename a template or replace its items; reviews already started keep the items they copied."""
    changes: dict[str, Any] = {k: v for k, v in {"name": name, "items": item}.items() if v}
    if not changes:
        fail("error: nothing to change: give --name or --item")

    def go(s: Any, a: Any) -> dict[str, Any]:
        t = _template_id(s, a, template)
        return quality.update_template(
            s, a, t["id"], version if version is not None else t["version"], **changes
        )

    t = _in_session(go)
    print_json(t) if as_json else _print_template(t)


@checklist_app.command("delete")
def checklist_delete(template: Template, version: Version = None) -> None:
    """Remove a template no review was started from."""

    def go(s: Any, a: Any) -> str:
        t = _template_id(s, a, template)
        quality.delete_template(s, a, t["id"], version if version is not None else t["version"])
        return str(t["name"])

    name = _in_session(go)
    console.print(f"Checklist {escape(name)} removed.")


@checklist_app.command("apply")
def checklist_apply(
    project: Project,
    review_id: ReviewId,
    template: Template,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a template's items to a review's checklist (before anyone has signed it)."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        t = _template_id(s, a, template)
        v = _review_version(s, a, pid, review_id, version)
        r = next(x for x in quality.list_reviews(s, a, pid) if x["id"] == review_id)
        have = [x["item"] for x in r["checklist"]]
        return quality.update_review(
            s, a, pid, review_id, v, items=have + [i for i in t["items"] if i not in have]
        )

    r = run(project, go)
    print_json(r) if as_json else _print_review(r)
