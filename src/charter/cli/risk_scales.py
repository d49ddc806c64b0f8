"""`charter risk scale show|set PROJECT ...`: what probability and impact levels 1-5 mean in a project (labels,
and the ranges the simulation draws from), as on Risks → Scales and through …/risk-scales (the same service:
whoever manages risks changes them; the merged scales must be valid; the journal keeps before and after)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.common import JsonFlag, console, print_json, run_in_project
from charter.cli.risk import Project, risk_app
from charter.domain import risk as rules
from charter.domain.errors import ValidationError
from charter.services import risk

scale_app = typer.Typer(
    help="The risk scales: what each level 1-5 of probability and impact means in this project.",
    no_args_is_help=True,
)
risk_app.add_typer(scale_app, name="scale")

DIMENSIONS = ", ".join(d.value for d in rules.Dimension)


def _bound(text: str, current: float | None, field: str) -> float | None:
    """A range end as typed: empty keeps it, `none` leaves it open, else a number."""
    t = text.strip()
    if not t:
        return current
    if t.lower() == "none":
        return None
    try:
        return float(t)
    except ValueError:
        raise ValidationError(f"{t!r} is not a number", field=field) from None


def parse_level(spec: str, current: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """`DIMENSION:LEVEL:LABEL[:LOW:HIGH]` as one level for `risk.set_scales`; what is left empty (the label, a
    bound, or the range altogether) stays as it is now."""
    parts = spec.split(":")
    if len(parts) not in (3, 5):
        raise ValidationError(
            f"{spec!r} is not DIMENSION:LEVEL:LABEL or DIMENSION:LEVEL:LABEL:LOW:HIGH "
            "(e.g. probability:1:Rare:0.01:0.05)",
            field="level",
        )
    dim, lvl = parts[0].strip().lower(), parts[1].strip()
    if dim not in current:
        raise ValidationError(f"{parts[0]!r} is not one of: {DIMENSIONS}", field="dimension")
    if not lvl.isdigit() or int(lvl) not in rules.LEVELS:
        raise ValidationError(f"{dim} level {lvl!r} is not a level 1-5", field="level")
    now = current[dim][int(lvl) - 1]
    field = f"{dim}.{lvl}"
    label = parts[2].strip() or now["label"]
    low, high = (now["low"], now["high"]) if len(parts) == 3 else (
        _bound(parts[3], now["low"], f"{field}.low"), _bound(parts[4], now["high"], f"{field}.high"))  # fmt: skip
    return {"dimension": dim, "level": int(lvl), "label": label, "low": low, "high": high}


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


@scale_app.command("show")
def show_cmd(project: Project, as_json: JsonFlag = False) -> None:
    """Each dimension's levels 1-5: label and range (probability as a fraction 0-1, schedule in working days,
    cost in the project currency; quality and scope have labels only)."""
    sc = run_in_project(project, risk.get_scales)
    if as_json:
        print_json(sc)
        return
    _table(sc)


def _table(sc: dict[str, Any]) -> None:
    t = Table("dimension", "level", "label", "from", "to", "unit")
    for dim, rows in sc["scales"].items():
        for lv in rows:
            t.add_row(dim if lv["level"] == 1 else "", str(lv["level"]), escape(lv["label"]), _num(lv["low"]),
                      _num(lv["high"]), sc["units"].get(dim, ""))  # fmt: skip
    console.print(t)


@scale_app.command("set")
def set_cmd(
    project: Project,
    level: Annotated[
        list[str],
        typer.Option(
            "--level", metavar="DIM:LEVEL:LABEL[:LOW:HIGH]",
            help="One level, repeatable: the dimension (probability, schedule, cost, quality, scope), the level "
            "1-5, its label and, for probability (a fraction 0-1), schedule (working days) and cost (the project "
            "currency), its range. Empty parts stay as they are (probability:3::0.3:0.5 keeps the label); "
            "'none' leaves a bound open.",
        ),
    ],
    as_json: JsonFlag = False,
) -> None:  # fmt: skip
    """Change some levels of the project's scales (whoever manages risks, the PM): the levels not named stay as
    they are; the result must still rise with the level, and probabilities lie in 0-1."""

    def go(s: Any, a: Any, pid: int) -> dict[str, Any]:
        current = risk.get_scales(s, a, pid)["scales"]
        return risk.set_scales(s, a, pid, [parse_level(x, current) for x in level])

    sc = run_in_project(project, go)
    if as_json:
        print_json(sc)
        return
    console.print(f"Risk scales saved ({len(level)} level{'s' if len(level) != 1 else ''} set).")
    _table(sc)
