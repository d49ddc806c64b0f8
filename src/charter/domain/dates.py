"""Days of things that already happened: a goods receipt, a vendor's invoice, an expense is dated when it
happened, so a day ahead of today is a typo (2031 for 2021) that would count as done now — in the three-way
match, in earned value's actual cost. The server's today is UTC's; a day's grace lets a person east of it type
their own today."""

from __future__ import annotations

from datetime import date, timedelta

from charter.domain.errors import ValidationError

# A day's grace for a date "in the future": the server's today is UTC's, and a person east of it types their own.
FUTURE_GRACE = timedelta(days=1)


def check_not_future(day: date, today: date, field: str, what: str) -> None:
    """Something already done is dated when it happened: more than a day after `today` is refused, naming
    `field` (an invoice dated ahead would pass the three-way match against goods not yet arrived; an expense
    dated ahead would count as actual cost before it is spent)."""
    if day > today + FUTURE_GRACE:
        raise ValidationError(f"{what} cannot be dated in the future ({day.isoformat()})", field=field)
