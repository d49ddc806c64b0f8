"""`charter po add|status|receipt|show` (`po list`: budget.py) and `charter invoice list|add|decide`: orders,
receipts and invoices from the command line as on the procurement page and through …/purchase-orders and
…/invoices — the same services, so the same three-way match and journal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from charter.cli.budget import ProjectArg, _m, po_app
from charter.cli.common import (
    JsonFlag,
    check_length,
    console,
    parse_date,
    print_json,
    print_result,
    run_in_project,
)
from charter.cli.procurement import (
    Version,
    choice,
    find_order_id,
    find_vendor_id,
    optional,
    required_date,
)
from charter.domain.errors import ValidationError
from charter.domain.money import without_spaces
from charter.domain.procurement import InvoiceStatus
from charter.services import procurement
from charter.services.context import Actor, now

invoice_app = typer.Typer(
    help="Vendor invoices, matched three ways against their order and its receipts: list, add, release or "
    "reject a held one.",
    no_args_is_help=True,
)

OrderArg = Annotated[
    str, typer.Argument(help="The order: its number (PO-KEY-0001) or id (`charter po list`).")
]

# --------------------------------------------------------------------------------------------- orders


def _quantity(raw: str) -> Decimal:
    """A quantity as the order line's column holds it: above zero, at most 4 decimals and 14 digits before."""
    text = without_spaces(raw.strip())
    try:
        if not text.isascii():  # Decimal reads full-width and Arabic-Indic digits as 0-9
            raise InvalidOperation
        q = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{raw!r} is not a number (digits 0-9)", field="quantity") from None
    if not q.is_finite() or q <= 0:
        raise ValidationError("quantity must be more than zero", field="quantity")
    exponent = q.as_tuple().exponent
    if (isinstance(exponent, int) and exponent < -4) or q >= Decimal(10) ** 14:
        raise ValidationError("a quantity has at most 14 digits and 4 decimals", field="quantity")
    return q


def _order_text(o: dict[str, Any]) -> str:
    return (
        f"{o['number']} ({o['status']}): total {_m(o['total'])}, received {_m(o['received'])}, invoiced "
        f"{_m(o['invoiced'])}, committed {_m(o['committed'])} (version {o['version']})"
    )


@po_app.command("add")
def po_add(
    project: ProjectArg,
    request: Annotated[int, typer.Option("--request", help="The approved purchase request's id.")],
    vendor: Annotated[
        str | None, typer.Option("--vendor", help="Vendor: id or exact name (default: the request's).")
    ] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="The line's text (default: the request's title).")
    ] = None,
    quantity: Annotated[str | None, typer.Option("--quantity", help="How many (default 1).")] = None,
    unit_price: Annotated[
        str | None,
        typer.Option("--unit-price", help="Price of one (default: the approved amount, quantity 1)."),
    ] = None,
    expected_delivery: Annotated[
        str | None, typer.Option("--expected-delivery", "--delivery", help="Expected delivery (YYYY-MM-DD).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Place a purchase order from an approved request (the PM), as the procurement page's *Place the order*:
    one line of quantity × unit price, at most the approved amount; its line then counts it as committed."""
    if quantity is not None and unit_price is None:
        raise ValidationError("give --unit-price with --quantity", field="unit_price")
    qty = _quantity(quantity) if quantity is not None else Decimal(1)
    delivery = parse_date(expected_delivery, "expected_delivery")
    check_length(description, 300, "description")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        price = unit_price
        if price is None:  # the approved amount, as the page's form offers it; else the service says why not
            visible = optional(lambda: procurement.list_requests(s, a, pid)) or []
            price = next((str(r["amount"]) for r in visible if r["id"] == request), "")
        return procurement.create_order(
            s, a, pid, request_id=request, vendor_id=find_vendor_id(s, a, vendor) if vendor else None,
            expected_delivery=delivery, lines=[{"description": description or "", "quantity": qty, "unit_price": price}],
        )  # fmt: skip

    o = run_in_project(project, go)
    print_result(o, as_json, "Placed " + _order_text(o))


@po_app.command("status")
def po_status(
    project: ProjectArg,
    order: OrderArg,
    status: Annotated[
        str,
        typer.Argument(
            help="closed (nothing more is expected: what is still committed is released) or cancelled "
            "(only if nothing was received or invoiced)"
        ),
    ],
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Close or cancel an open order (who places orders: the PM)."""
    wanted = {"close": "closed", "cancel": "cancelled"}.get(status.strip().lower(), status.strip().lower())

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        oid = find_order_id(s, a, pid, order)
        v = version if version is not None else int(procurement.get_order(s, a, pid, oid)["version"])
        return procurement.set_order_status(s, a, pid, oid, v, wanted)

    o = run_in_project(project, go)
    print_result(o, as_json, _order_text(o))


@po_app.command("receipt")
def po_receipt(
    project: ProjectArg,
    order: OrderArg,
    amount: Annotated[
        str | None, typer.Option("--amount", help="Value received (default: the rest of the order).")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--day", help="Day received (YYYY-MM-DD; default today).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="What arrived.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Record goods or a service received on an open order (whoever may request for its line); held invoices
    of the order are matched again."""
    received_on = parse_date(day, "day") or now().date()

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        return procurement.add_receipt(s, a, pid, find_order_id(s, a, pid, order), day=received_on,
                                       amount=amount.strip() if amount and amount.strip() else None, note=note)  # fmt: skip

    o = run_in_project(project, go)
    print_result(o, as_json, "Receipt recorded: " + _order_text(o))


@po_app.command("show")
def po_show(project: ProjectArg, order: OrderArg, as_json: JsonFlag = False) -> None:
    """One order: vendor, request, lines (quantity × unit price), totals and its invoices (for those who read
    the whole budget)."""

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        o = procurement.get_order(s, a, pid, find_order_id(s, a, pid, order))
        o["vendor"] = next(
            (v["name"] for v in procurement.list_vendors(s, a) if v["id"] == o["vendor_id"]), None
        )
        invoices = optional(lambda: procurement.list_invoices(s, a, pid))
        o["invoices"] = None if invoices is None else [i for i in invoices if i["order_id"] == o["id"]]
        return o

    o = run_in_project(project, go, write=False)
    if as_json:
        print_json(o)
        return
    console.print(_order_text(o))
    console.print(f"Vendor {escape(o['vendor'] or str(o['vendor_id']))}, request #{o['request_id']}, budget line "
                  f"{o['budget_line_id']}, expected delivery {o['expected_delivery'] or '-'}.")  # fmt: skip
    t = Table("description", "quantity", "unit price", "amount", title="Lines")
    for x in o["lines"]:
        t.add_row(
            escape(x["description"]), str(x["quantity"].normalize()), _m(x["unit_price"]), _m(x["amount"])
        )
    console.print(t)
    if o["invoices"]:
        console.print(_invoice_table(o["invoices"], {o["id"]: o["number"]}))


# --------------------------------------------------------------------------------------------- invoices


def _invoice_table(rows: list[dict[str, Any]], numbers: dict[int, str]) -> Table:
    t = Table("id", "number", "order", "day", "amount", "status", "reasons", "version", title="Invoices")
    for i in rows:
        why = "; ".join(i["hold_reasons"]) if i["status"] == InvoiceStatus.HELD else i["reason"]
        t.add_row(str(i["id"]), escape(i["number"]), numbers.get(i["order_id"], str(i["order_id"])), str(i["day"]),
                  _m(i["amount"]), i["status"], escape(why or ""), str(i["version"]))  # fmt: skip
    return t


def _invoice_text(i: dict[str, Any]) -> str:
    text = f"Invoice {escape(i['number'])} (id {i['id']}, {_m(i['amount'])}): {i['status']}"
    if i["status"] == InvoiceStatus.HELD:
        text += f" — {escape('; '.join(i['hold_reasons']))}"
    elif i["reason"]:
        text += f" — {escape(i['reason'])}"
    return text


@invoice_app.command("list")
def invoice_list(
    project: ProjectArg,
    status: Annotated[
        str | None, typer.Option(help="Only these: accepted, held, released or rejected.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Invoices with their order, status and why one is held (or was released or rejected)."""
    wanted = choice(status, {x.value: x.value for x in InvoiceStatus}, "status") if status else None

    def go(s: Session, a: Actor, pid: int) -> tuple[list[dict[str, Any]], dict[int, str]]:
        rows = [i for i in procurement.list_invoices(s, a, pid) if wanted is None or i["status"] == wanted]
        return rows, {int(o["id"]): str(o["number"]) for o in procurement.list_orders(s, a, pid)}

    rows, numbers = run_in_project(project, go, write=False)
    if as_json:
        print_json(rows)
        return
    console.print(_invoice_table(rows, numbers) if rows else "No invoices.")


@invoice_app.command("add")
def invoice_add(
    project: ProjectArg,
    number: Annotated[str, typer.Argument(help="The vendor's invoice number.")],
    order: Annotated[str, typer.Option("--order", help="The order: its number (PO-KEY-0001) or id.")],
    amount: Annotated[str, typer.Option("--amount", help="The invoiced amount in the project's currency.")],
    day: Annotated[str, typer.Option("--day", help="The invoice's date (YYYY-MM-DD).")],
    as_json: JsonFlag = False,
) -> None:
    """Register a vendor's invoice (who places orders): one above its order, above what was received or
    without any receipt is held, never accepted silently."""
    check_length(number, 60, "number")
    when = required_date(day, "day")

    def go(s: Session, a: Actor, pid: int) -> dict[str, Any]:
        return procurement.add_invoice(s, a, pid, order_id=find_order_id(s, a, pid, order), number=number,
                                       day=when, amount=amount)  # fmt: skip

    i = run_in_project(project, go)
    print_result(i, as_json, "Registered " + _invoice_text(i))


@invoice_app.command("decide")
def invoice_decide(
    project: ProjectArg,
    invoice: Annotated[int, typer.Argument(help="The invoice's id (`charter invoice list`).")],
    decision: Annotated[str, typer.Argument(help="release (pay it despite the hold) or reject")],
    reason: Annotated[str, typer.Option("--reason", "--note", help="Why (required).")] = "",
    version: Version = None,
    as_json: JsonFlag = False,
) -> None:
    """Release a held invoice for payment or reject it, with a reason (a holder of procurement.approve; an
    invoice you registered is released by someone else). With --version, an invoice changed since you read it
    is refused."""
    release = choice(decision, {"release": True, "reject": False}, "decision")
    i = run_in_project(project, lambda s, a, pid: procurement.decide_invoice(s, a, pid, invoice, release=release,
                                                                         reason=reason, version=version))  # fmt: skip
    print_result(i, as_json, _invoice_text(i))
