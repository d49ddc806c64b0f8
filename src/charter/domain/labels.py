"""Names people give things (a view, a custom field): spaces collapsed, required, of a bounded length, and
the form they are looked up by."""

from __future__ import annotations

from charter.domain.errors import ValidationError


def clean_label(value: object, what: str, limit: int, field: str = "name") -> str:
    """`value` with its spaces collapsed; empty or longer than `limit` characters is a 422 on `field` saying
    that `what` ("the view", "the field") needs one."""
    label = " ".join(str(value or "").split())
    if not label:
        raise ValidationError(f"{what} needs a {field}", field=field)
    if len(label) > limit:
        raise ValidationError(f"the {field} is {len(label)} characters; the limit is {limit}", field=field)
    return label


def label_key(value: object) -> str:
    """A name as it is looked up and compared: spaces collapsed, any case."""
    return " ".join(str(value).split()).casefold()
