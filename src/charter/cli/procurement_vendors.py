"""`charter vendor list|add|update|show` (the organisation-wide vendor list) and `charter contract
add|show|update|close` (`contract list`: budget.py), as on the procurement, vendor and contract pages and through
/vendors and …/contracts — the same services, so the same keepers of the list, checks and journal."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.budget import ProjectArg, _m, contract_app
from charter.cli.common import (
    JsonFlag,
    check_length,
    console,
    fmt_time,
    parse_date,
    print_json,
    print_result,
    run_in_project,
    run_in_session,
)
from charter.cli.procurement import (
    Version,
    find_order_id,
    find_vendor_id,
    required_date,
)
from charter.domain.errors import NotFound, ValidationError
from charter.services import procurement, projects
from charter.services.context import Actor

vendor_app = typer.Typer(
    help="Vendors, organisation-wide (kept by PMs, Sponsors and admins): list, add, update, show.",
    no_args_is_help=True,
)

VendorArg = Annotated[str, typer.Argument(help="The vendor: id or exact name (`charter vendor list`).")]
ContactOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--contact",
        help='A contact "NAME; EMAIL; PHONE" (email and phone optional); repeat for more.',
    ),
]
CategoriesOpt = Annotated[
    str | None,
    typer.Option("--categories", help='What they supply, comma-separated, e.g. "hardware, cloud".'),
]
RatingOpt = Annotated[str | None, typer.Option("--rating", help="1 (poor) to 5 (excellent).")]
NotesOpt = Annotated[str | None, typer.Option("--notes", help="Notes.")]

CONTACT_LIMITS = (("name", 200), ("email", 254), ("phone", 60))
MAX_CONTACTS = 50
MAX_CATEGORIES = 20

# --------------------------------------------------------------------------------------------- vendors


def _contacts(raw: list[str]) -> list[dict[str, str | None]]:
    """Each "NAME; EMAIL; PHONE" as the pages keep a contact (an empty part is none)."""
    if len(raw) > MAX_CONTACTS:
        raise ValidationError(f"at most {MAX_CONTACTS} contacts", field="contacts")
    out: list[dict[str, str | None]] = []
    for i, text in enumerate(raw, start=1):
        parts = [p.strip() for p in text.split(";")]
        if len(parts) > len(CONTACT_LIMITS):
            raise ValidationError(f'contact {i}: give "NAME; EMAIL; PHONE"', field="contacts")
        if not parts[0]:
            raise ValidationError(f"contact {i} needs a name", field="contacts")
        c: dict[str, str | None] = {}
        for (key, limit), value in zip(CONTACT_LIMITS, parts + [""] * len(CONTACT_LIMITS), strict=False):
            check_length(value, limit, f"contact {key}")
            c[key] = value or None
        out.append(c)
    return out


def _categories(raw: str) -> list[str]:
    cats = [c.strip() for c in raw.split(",") if c.strip()]
    if len(cats) > MAX_CATEGORIES:
        raise ValidationError(f"at most {MAX_CATEGORIES} categories", field="categories")
    return cats


def _rating(raw: str) -> int | None:
    text = raw.strip().lower()
    if text in ("", "none"):
        return None
    if not text.isdecimal():
        raise ValidationError(f"{raw!r} is not a rating: 1 to 5 (or none)", field="rating")
    return int(text)


def _values(
    contacts: list[str] | None, categories: str | None, rating: str | None, notes: str | None
) -> dict[str, Any]:
    """The options given, as the service takes them."""
    values: dict[str, Any] = {}
    if contacts:
        values["contacts"] = _contacts(contacts)
    if categories is not None:
        values["categories"] = _categories(categories)
    if rating is not None:
        values["rating"] = _rating(rating)
    if notes is not None:
        values["notes"] = notes
    return values


def _contact_text(c: dict[str, Any]) -> str:
    return ", ".join(str(c[k]) for k in ("name", "email", "phone") if c.get(k))


def _vendor_text(v: dict[str, Any]) -> str:
    rating = f"rating {v['rating']}/5" if v["rating"] else "not rated"
    cats = ", ".join(v["categories"]) or "no categories"
    return f"Vendor {v['id']} {escape(v['name'])}: {rating}, {escape(cats)}, {len(v['contacts'])} contact(s) (version {v['version']})"


@vendor_app.command("list")
def vendor_list(as_json: JsonFlag = False) -> None:
    """Every vendor, by name: categories, rating, contacts."""
    rows = run_in_session(procurement.list_vendors, write=False)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("No vendors yet: `charter vendor add NAME` adds one.")
        return
    t = Table("id", "name", "categories", "rating", "contacts", "version")
    for v in rows:
        t.add_row(str(v["id"]), escape(v["name"]), escape(", ".join(v["categories"])), str(v["rating"] or ""),
                  escape("; ".join(_contact_text(c) for c in v["contacts"])), str(v["version"]))  # fmt: skip
    console.print(t)


@vendor_app.command("add")
def vendor_add(
    name: Annotated[str, typer.Argument(help="The vendor's name (unique, whatever its case).")],
    contact: ContactOpt = None,
    categories: CategoriesOpt = None,
    rating: RatingOpt = None,
    notes: NotesOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a vendor (a PM, a Sponsor or an admin keeps the list)."""
    check_length(name, 200, "name")
    values = {"contacts": [], "categories": [], "rating": None, "notes": ""} | _values(contact, categories, rating,
                                                                                       notes)  # fmt: skip
    v = run_in_session(lambda s, a: procurement.create_vendor(s, a, name=name, **values))
    print_result(v, as_json, "Added " + _vendor_text(v))


@vendor_app.command("update")
def vendor_update(
    vendor: VendorArg,
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    contact: Annotated[
        list[str] | None,
        typer.Option("--contact", help='The contacts, replacing them all: "NAME; EMAIL; PHONE", repeated.'),
    ] = None,
    no_contacts: Annotated[bool, typer.Option("--no-contacts", help="Remove every contact.")] = False,
    categories: Annotated[
        str | None, typer.Option("--categories", help='The categories, comma-separated ("" removes them).')
    ] = None,
    rating: Annotated[str | None, typer.Option("--rating", help="1 to 5, or none.")] = None,
    notes: NotesOpt = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a vendor: what is not given stays as it is (journaled; a stale --version is refused)."""
    if contact and no_contacts:
        raise ValidationError("give --contact or --no-contacts, not both", field="contacts")
    check_length(name, 200, "name")
    changes = _values(contact, categories, rating, notes)
    if no_contacts:
        changes["contacts"] = []
    if name is not None:
        changes["name"] = name
    if not changes:
        raise ValidationError(
            "nothing to change: give --name, --contact, --no-contacts, --categories, --rating or --notes",
            field="vendor",
        )

    def go(s: Session, a: Actor) -> dict[str, Any]:
        vid = find_vendor_id(s, a, vendor, field="vendor")
        v = version
        if v is None:
            found = [x for x in procurement.list_vendors(s, a) if x["id"] == vid]
            if not found:
                raise NotFound(f"vendor {vid} not found", field="vendor")
            v = int(found[0]["version"])
        return procurement.update_vendor(s, a, vid, v, **changes)

    v = run_in_session(go)
    print_result(v, as_json, "Changed " + _vendor_text(v))


@vendor_app.command("show")
def vendor_show(
    vendor: VendorArg,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", help="Also its contracts, orders and invoices in this project (key or id)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A vendor's record — and, with --project, the vendor seen from that project as on its vendor page: its
    contracts there (notice and renewal dates within 30 or 90 days flagged), orders and invoices."""

    def go(s: Session, a: Actor) -> dict[str, Any]:
        vid = find_vendor_id(s, a, vendor, field="vendor")
        if project is not None:
            return procurement.vendor_overview(s, a, projects.find_project_id(s, a, project), vid)
        found = [x for x in procurement.list_vendors(s, a) if x["id"] == vid]
        if not found:
            raise NotFound(f"vendor {vid} not found", field="vendor")
        return {"vendor": found[0]}

    data = run_in_session(go, write=False)
    if as_json:
        print_json(data if project is not None else data["vendor"])
        return
    v = data["vendor"]
    console.print(_vendor_text(v))
    for c in v["contacts"]:
        console.print(f"  contact: {escape(_contact_text(c))}")
    if v["notes"]:
        console.print(f"  notes: {escape(v['notes'])}")
    if project is None:
        return
    console.print(
        _contract_table(data["contracts"]) if data["contracts"] else f"No contracts in {escape(project)}."
    )
    if data["orders"]:
        t = Table(
            "number", "status", "expected", "total", "received", "invoiced", "committed", title="Orders"
        )
        for o in data["orders"]:
            t.add_row(o["number"], o["status"], str(o["expected_delivery"] or ""),
                      *(_m(o[k]) for k in ("total", "received", "invoiced", "committed")))  # fmt: skip
        console.print(t)
    if data["invoices"]:
        t = Table("number", "order", "day", "amount", "status", title="Invoices")
        for i in data["invoices"]:
            t.add_row(escape(i["number"]), i["order_number"], str(i["day"]), _m(i["amount"]), i["status"])
        console.print(t)


# --------------------------------------------------------------------------------------------- contracts


def _upcoming(c: dict[str, Any]) -> str:
    return ", ".join(f"{u['kind']} {u['day']} (in {u['days']} days)" for u in c.get("upcoming") or [])


def _contract_table(rows: list[dict[str, Any]]) -> Table:
    t = Table("id", "title", "kind", "value", "start", "end", "renewal", "notice", "status", "due soon",
              title="Contracts")  # fmt: skip
    for c in rows:
        t.add_row(str(c["id"]), escape(c["title"]), c["kind"], _m(c["value"]), str(c["start"]), str(c["end"] or ""),
                  str(c["renewal_date"] or ""), str(c["notice_date"] or ""), c["status"], _upcoming(c))  # fmt: skip
    return t


def _contract_text(c: dict[str, Any]) -> str:
    term = f"from {c['start']}" + (f" to {c['end']}" if c["end"] else "")
    return f"Contract {c['id']} {escape(c['title'])} ({c['kind']}, {_m(c['value'])}, {term}): {c['status']} (version {c['version']})"


@contract_app.command("add")
def contract_add(
    project: ProjectArg,
    title: Annotated[str, typer.Argument(help='What it covers, e.g. "Hosting 2027".')],
    vendor: Annotated[str, typer.Option("--vendor", help="Vendor: id or exact name.")],
    kind: Annotated[str, typer.Option("--kind", help="fixed_price, time_and_materials or subscription.")],
    value: Annotated[str, typer.Option("--value", help="The contract's value in the project's currency.")],
    start: Annotated[str, typer.Option("--start", help="Start date (YYYY-MM-DD).")],
    end: Annotated[str | None, typer.Option("--end", help="End date (YYYY-MM-DD).")] = None,
    renewal: Annotated[str | None, typer.Option("--renewal", help="Renewal date (YYYY-MM-DD).")] = None,
    notice: Annotated[
        str | None, typer.Option("--notice", help="Last day to give notice (YYYY-MM-DD; not after renewal).")
    ] = None,
    order: Annotated[
        str | None,
        typer.Option("--order", help="The purchase order it belongs to (number or id; same vendor)."),
    ] = None,
    notes: Annotated[str, typer.Option("--notes", help="Notes.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Add a vendor contract (who places orders: the PM); thirty days before its notice or renewal date the
    PM is reminded."""
    check_length(title, 200, "title")
    starts, ends = required_date(start, "start"), parse_date(end, "end")
    renews, notify = parse_date(renewal, "renewal_date"), parse_date(notice, "notice_date")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        return procurement.create_contract(
            s, a, pid, vendor_id=find_vendor_id(s, a, vendor), title=title, kind=kind.strip().lower(), value=value,
            start=starts, end=ends, renewal_date=renews, notice_date=notify,
            order_id=find_order_id(s, a, pid, order) if order else None, notes=notes,
        )  # fmt: skip

    c = run_in_project(project, go)
    print_result(c, as_json, "Added " + _contract_text(c))


@contract_app.command("show")
def contract_show(
    project: ProjectArg,
    contract: Annotated[int, typer.Argument(help="Contract id (`charter contract list`).")],
    as_json: JsonFlag = False,
) -> None:
    """One contract as on its page: terms, vendor, linked order, notice and renewal dates due within 30 or 90
    days, and the journal of its changes."""
    data = run_in_project(
        project, lambda s, a, pid: procurement.contract_overview(s, a, pid, contract), write=False
    )
    if as_json:
        print_json(data)
        return
    c, v, o = data["contract"], data["vendor"], data["order"]
    console.print(_contract_text(c))
    console.print(f"  vendor: {escape(v['name'])} (id {v['id']})")
    if c["order_id"] is not None:
        console.print(f"  order: {o['number'] if o else c['order_id']}")
    for label, key in (("renewal", "renewal_date"), ("notice", "notice_date")):
        if c[key]:
            console.print(f"  {label}: {c[key]}")
    if c["upcoming"]:
        console.print(f"  due soon: {_upcoming(c)}")
    if c["status"] == "closed":
        console.print(
            f"  closed on {c['closed_on']}"
            + (f": {escape(c['closed_reason'])}" if c["closed_reason"] else "")
        )
    if c["notes"]:
        console.print(f"  notes: {escape(c['notes'])}")
    t = Table("at", "who", "action", "what", title="Changes")
    for e in data["history"]:
        what = e["cause"] or ("" if e["action"] == "create" else ", ".join(e["changes"]))
        t.add_row(fmt_time(e["at"]), escape(e["actor"]), e["action"], escape(what))
    console.print(t)


def _current_version(s: Session, a: Actor, pid: int, contract: int) -> int:
    for c in procurement.list_contracts(s, a, pid):
        if c["id"] == contract:
            return int(c["version"])
    raise NotFound(f"contract {contract} not found in this project", field="contract_id")


@contract_app.command("update")
def contract_update(
    project: ProjectArg,
    contract: Annotated[int, typer.Argument(help="Contract id (`charter contract list`).")],
    title: Annotated[str | None, typer.Option("--title", help="What it covers.")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="fixed_price, time_and_materials or subscription.")
    ] = None,
    value: Annotated[str | None, typer.Option("--value", help="New contract value.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Start date (YYYY-MM-DD).")] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="End date (YYYY-MM-DD; 'none' for open-ended).")
    ] = None,
    renewal: Annotated[
        str | None, typer.Option("--renewal", help="Renewal date (YYYY-MM-DD; 'none' for no renewal).")
    ] = None,
    notice: Annotated[
        str | None, typer.Option("--notice", help="Last day to give notice (YYYY-MM-DD; 'none').")
    ] = None,
    order: Annotated[
        str | None, typer.Option("--order", help="The purchase order it belongs to (number or id; 'none').")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes.")] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a contract's terms: only what you give changes (journaled; a closed contract is not changed; a
    stale --version is refused)."""
    changes: dict[str, Any] = {}
    if title is not None:
        check_length(title, 200, "title")
        changes["title"] = title
    if kind is not None:
        changes["kind"] = kind.strip().lower()
    if value is not None:
        changes["value"] = value
    if notes is not None:
        changes["notes"] = notes
    if start is not None:
        changes["start"] = required_date(start, "start")
    for key, raw in (("end", end), ("renewal_date", renewal), ("notice_date", notice)):
        if raw is not None:
            changes[key] = None if raw.strip().lower() == "none" else required_date(raw, key)
    if not changes and order is None:
        raise ValidationError(
            "nothing to change: give --title, --kind, --value, --start, --end, --renewal, --notice, --order or "
            "--notes", field="contract_id",
        )  # fmt: skip

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        if order is not None:
            changes["order_id"] = None if order.strip().lower() == "none" else find_order_id(s, a, pid, order)
        v = version if version is not None else _current_version(s, a, pid, contract)
        return procurement.update_contract(s, a, pid, contract, v, **changes)

    c = run_in_project(project, go)
    print_result(c, as_json, "Updated " + _contract_text(c))


@contract_app.command("close")
def contract_close(
    project: ProjectArg,
    contract: Annotated[int, typer.Argument(help="Contract id (`charter contract list`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (ended, terminated, not renewed).")] = "",
    day: Annotated[str | None, typer.Option("--day", help="Closing day (YYYY-MM-DD; default today).")] = None,
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Close a contract: no more reminders; it counts as closed on the closure checklist."""
    closing = parse_date(day, "day")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        v = version if version is not None else _current_version(s, a, pid, contract)
        return procurement.close_contract(s, a, pid, contract, v, day=closing, reason=reason)

    c = run_in_project(project, go)
    print_result(c, as_json, f"Contract {c['id']} closed on {c['closed_on']}.")
