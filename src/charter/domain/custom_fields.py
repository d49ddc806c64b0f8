"""Custom fields: what a project records on its tasks beyond the built-in fields (a customer, story points, a
release date, a component chosen from a list, the systems a change touches, a "needs security review" flag).

A definition has a name, a kind and, for a choice or a multi choice, its options. A task's values are plain
JSON: text and a choice as strings, a multi choice as a list of its options in the field's order, numbers as
numbers, dates as ISO strings ("2030-01-07"), flags as true/false; an empty value clears the field.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from charter.domain.errors import ValidationError
from charter.domain.labels import clean_label

MAX_NAME = 80
MAX_TEXT = 2000
MAX_CHOICES = 100
MAX_CHOICE = 120
MAX_FIELDS = 50  # per project: the task page and the export get one row or column each
_TRUE = {"true", "yes", "on", "1", "y", "x"}
_FALSE = {"false", "no", "off", "0", "n", ""}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class FieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"  # several of the listed options (Jira's multi-select, OpenProject's list)
    FLAG = "flag"


LISTED = (FieldKind.CHOICE, FieldKind.MULTI_CHOICE)  # the kinds whose values come from the field's options


def parse_kind(value: object) -> FieldKind:
    try:  # "multi-choice", "multi choice" and "multichoice" are the multi choice as well
        word = "_".join(str(value).strip().lower().replace("-", " ").split())
        return FieldKind("multi_choice" if word == "multichoice" else word)
    except ValueError:
        allowed = ", ".join(k.value for k in FieldKind)
        raise ValidationError(f"{value!r} is not a field kind; use one of: {allowed}", field="kind") from None


def clean_name(value: object) -> str:
    name = clean_label(value, "the field", MAX_NAME)
    if "=" in name:  # `--field NAME=VALUE` and `?field=NAME=VALUE` split at the first "="
        raise ValidationError("a field's name cannot contain '='", field="name")
    return name


def clean_choices(kind: FieldKind, value: object) -> list[str]:
    """A choice field's options, in order, each once; other kinds have none."""
    if value is None or value == "":
        items: list[Any] = []
    elif isinstance(value, str):  # a form or the CLI: one option per line, or comma-separated on one line
        items = value.splitlines() if "\n" in value else value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValidationError("the choices are a list of words", field="choices")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError("the choices are a list of words", field="choices")
        c = " ".join(item.split())
        if not c:
            continue
        if len(c) > MAX_CHOICE:
            raise ValidationError(
                f"the choice {c[:20]!r}… is {len(c)} characters; the limit is {MAX_CHOICE}", field="choices"
            )
        if c.casefold() in (o.casefold() for o in out):
            raise ValidationError(f"the choice {c!r} is listed twice", field="choices")
        out.append(c)
    if kind in LISTED and not out:
        raise ValidationError(
            f"a {kind.value.replace('_', ' ')} field needs at least one choice", field="choices"
        )
    if kind not in LISTED and out:
        raise ValidationError(f"a {kind.value} field has no choices", field="choices")
    if len(out) > MAX_CHOICES:
        raise ValidationError(f"{len(out)} choices; the limit is {MAX_CHOICES}", field="choices")
    return out


def clean_default(kind: FieldKind, choices: list[str], value: object) -> Any:
    """A field's default (the value a new task gets when none is given): a value of its kind, or None for
    none. A flag's default is yes or none (a flag left unset reads no)."""
    parsed = parse_value(kind, choices, value, "default")
    return None if parsed is False else parsed


def check_required(kind: FieldKind, required: bool) -> bool:
    if required and kind is FieldKind.FLAG:
        raise ValidationError("a flag is always yes or no; it cannot be required", field="required")
    return bool(required)


def parse_value(kind: FieldKind, choices: list[str], value: object, field: str) -> Any:
    """The stored form of a value typed or sent for a field of this kind; None (nothing, an empty string)
    clears it. `field` names the field in the error ("custom_fields.Customer")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if kind is not FieldKind.FLAG else False
    if kind is FieldKind.MULTI_CHOICE:
        return _several(choices, value, field)
    if kind is FieldKind.TEXT:
        if not isinstance(value, str):
            raise ValidationError("must be text", field=field)
        text = value.strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(f"the text is {len(text)} characters; the limit is {MAX_TEXT}", field=field)
        if "\x00" in text:
            raise ValidationError("must not contain NUL characters", field=field)
        return text
    if kind is FieldKind.NUMBER:
        return _number(value, field)
    if kind is FieldKind.DATE:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip()
        try:
            day = dt.date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(f"{text!r} is not a date (YYYY-MM-DD)", field=field)
        return day.isoformat()
    if kind is FieldKind.CHOICE:
        if not isinstance(value, str):
            raise ValidationError(f"must be one of: {', '.join(choices)}", field=field)
        wanted = " ".join(value.split()).casefold()
        for c in choices:
            if c.casefold() == wanted:
                return c
        raise ValidationError(f"{value.strip()!r} is not one of: {', '.join(choices)}", field=field)
    # a flag
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValidationError("must be yes or no", field=field)


def _several(choices: list[str], value: object, field: str) -> list[str] | None:
    """A multi choice's options from a list, or from text: one per line (a page's form), or separated by
    commas ("Backend, Frontend", as `format_value` writes them; an option with a comma in it is matched
    whole). Each option once, in the field's order; none clears the field."""
    if isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, str):
        items = (
            [line for line in value.splitlines() if line.strip()] if "\n" in value else _split(choices, value)
        )
    else:
        raise ValidationError(f"must be a list of: {', '.join(choices)}", field=field)
    by_key = {c.casefold(): c for c in choices}
    picked: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(f"must be a list of: {', '.join(choices)}", field=field)
        c = by_key.get(" ".join(item.split()).casefold())
        if c is None:
            raise ValidationError(f"{item.strip()!r} is not one of: {', '.join(choices)}", field=field)
        picked.add(c)
    return [c for c in choices if c in picked] or None


def _split(choices: list[str], text: str) -> list[str]:
    """Comma-separated options, an option that itself holds commas taken whole (the longest that fits)."""
    keys = {" ".join(c.split()).casefold() for c in choices}
    parts = text.split(",")
    out: list[str] = []
    i = 0
    while i < len(parts):
        for j in range(len(parts), i, -1):
            joined = ",".join(parts[i:j])
            if j == i + 1 or " ".join(joined.split()).casefold() in keys:
                if joined.strip():
                    out.append(joined)
                i = j
                break
    return out


def _number(value: object, field: str) -> int | float:
    if isinstance(value, bool):
        raise ValidationError("must be a number", field=field)
    if isinstance(value, int):
        n: int | float = value
    elif isinstance(value, float):
        n = value
    else:
        text = str(value).strip()
        if not _NUMBER.match(text):
            raise ValidationError(f"{text!r} is not a number (write 1500 or 2.5)", field=field)
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"{text!r} is not a number", field=field) from None
        n = int(d) if d == d.to_integral_value() and abs(d) < 10**15 else float(d)
    if isinstance(n, float) and not math.isfinite(n):
        raise ValidationError("must be a finite number", field=field)
    if abs(n) >= 10**15:
        raise ValidationError("must be less than 10^15 in size", field=field)
    if isinstance(n, float) and n == int(n):
        return int(n)
    return n


def from_cell(kind: str, value: Any) -> Any:
    """A spreadsheet cell as a value to parse: a number in a text or choice column is its text (42, not
    42.0); a date-time in a date column is its day; anything else as it is."""
    if kind in (FieldKind.TEXT, *LISTED) and isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    if kind == FieldKind.DATE and isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value


def value_text(value: Any) -> str:
    """A stored value as a person reads it, whatever its field's kind: a flag yes or no, a multi choice its
    options separated by commas, no value empty (the pages' `field_text`, `charter task show`)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def format_value(kind: str, value: Any) -> str:
    """A stored value as an export cell and `charter field list` write it: `value_text`, a number without a
    float's noise (2.5, not 2.500000; 1e+06 as 1000000)."""
    if value is None:
        return ""
    if kind == FieldKind.FLAG:
        return "yes" if value else "no"
    if kind == FieldKind.NUMBER and isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:f}".rstrip("0").rstrip(".")
    return value_text(value)
