"""Money: a Decimal amount in one currency, quantised to that currency's minor units (ISO 4217).

Rules:
- Amounts entered by people must fit the currency's minor units exactly (12.345 USD is refused, naming the
  field) — nothing typed is silently rounded.
- Derived amounts (rate x hours, a share of a line, a conversion) are rounded with ROUND_HALF_EVEN (banker's
  rounding), which has no upward bias when many amounts are rounded and summed.
- Sums are exact: quantised Decimals add without error. Splitting an amount (`allocate`) hands out the minor
  units left over by rounding so that the parts always add up to the whole.
- Currencies never mix: adding EUR to USD is a ValidationError naming the field; `convert` needs an explicit
  rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from charter.domain.errors import ValidationError
from charter.domain.projects import CURRENCY_MINOR_UNITS

ROUNDING = ROUND_HALF_EVEN


def minor_units(currency: str) -> int:
    try:
        return CURRENCY_MINOR_UNITS[currency]
    except KeyError:
        raise ValidationError(f"unknown currency {currency!r}", field="currency") from None


# The thousands separator of the pages: a narrow no-break space, as SI and ISO 80000 write 325 200.00. A comma or
# a point would mean a decimal separator to half the readers ("1,500" is 1.5 in German); a space reads the
# same everywhere, and the amount parser takes it back (people may type it too).
GROUP = "\u202f"
_SPACES = str.maketrans("", "", " \u00a0\u2009\u202f")


def grouped(value: Decimal) -> str:
    """An amount as a page shows it: "325 200.00" (thousands set apart by GROUP), "-1 250.5", "980.00"."""
    text = format(value, "f")
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, frac = digits.partition(".")
    if len(whole) <= 3 or not whole.isdigit():
        return text
    head = len(whole) % 3 or 3
    parts = [whole[:head]] + [whole[i : i + 3] for i in range(head, len(whole), 3)]
    return sign + GROUP.join(parts) + dot + frac


def without_spaces(value: str) -> str:
    """A typed number with its grouping spaces removed ("325 200.00" -> "325200.00")."""
    return value.translate(_SPACES)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def quantise(value: Decimal, currency: str) -> Decimal:
    """Round a derived amount to the currency's minor units (half to even)."""
    return value.quantize(quantum(currency), rounding=ROUNDING)


def parse_amount(
    value: object, currency: str, field: str = "amount", *, allow_negative: bool = False
) -> Decimal:
    """An amount someone entered: a decimal string, int or Decimal (a float by its shortest text), not negative unless
    allowed, and with no more decimals than the currency has minor units."""
    if isinstance(value, float):
        value = repr(value)  # the shortest text that round-trips, e.g. 0.1 -> "0.1"
    if isinstance(value, bool) or value is None:
        raise ValidationError("an amount is a decimal number", field=field)
    text = without_spaces(str(value))
    if (
        not text.isascii()
    ):  # Decimal reads "１２３" and "١٢٣" as 123: what was typed is not what a person sees
        raise ValidationError(f"{value!r}: type the amount with the digits 0-9", field=field)
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{value!r} is not an amount of money", field=field) from None
    if not d.is_finite():
        raise ValidationError("an amount must be a finite number", field=field)
    if d < 0 and not allow_negative:
        raise ValidationError(f"{field} cannot be negative", field=field)
    if d.adjusted() >= 15:  # before quantising or abs(): 1e30 has more digits than the context holds
        raise ValidationError("the amount is too large", field=field)
    q = quantum(currency)
    if d != d.quantize(q, rounding=ROUNDING):
        places = minor_units(currency)
        raise ValidationError(
            f"{currency} amounts have {places} decimal place{'s' if places != 1 else ''}; {value} has more",
            field=field,
        )
    return d.quantize(q)


@dataclass(frozen=True, order=False)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, value: object, currency: str, field: str = "amount") -> Money:
        return cls(parse_amount(value, currency, field, allow_negative=True), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(quantise(Decimal(0), currency), currency)

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", quantise(Decimal(self.amount), self.currency))

    def _same(self, other: Money, field: str) -> None:
        if other.currency != self.currency:
            raise ValidationError(
                f"cannot combine {self.currency} with {other.currency} without an exchange rate", field=field
            )

    def add(self, other: Money, field: str = "currency") -> Money:
        self._same(other, field)
        return Money(self.amount + other.amount, self.currency)

    def sub(self, other: Money, field: str = "currency") -> Money:
        self._same(other, field)
        return Money(self.amount - other.amount, self.currency)

    def __add__(self, other: Money) -> Money:
        return self.add(other)

    def __sub__(self, other: Money) -> Money:
        return self.sub(other)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """A derived amount: rounded half to even."""
        return Money(self.amount * Decimal(factor), self.currency)

    def convert(self, rate: Decimal, to_currency: str) -> Money:
        """This amount in another currency at an explicit rate (units of `to_currency` per unit of this)."""
        if rate <= 0:
            raise ValidationError("an exchange rate must be positive", field="rate")
        return Money(self.amount * rate, to_currency)

    def allocate(self, weights: Sequence[Decimal | int]) -> list[Money]:
        return [Money(a, self.currency) for a in allocate(self.amount, weights, self.currency)]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def for_display(value: Decimal, currency: str | None = None) -> Decimal:
    """An amount as it is shown: with the currency's minor units (two when the currency is not known) —
    a stored 15480.000 EUR shows as 15480.00. Digits that carry a value are never dropped (a rate of
    85.1250 per hour shows as 85.125); the stored value is untouched."""
    places = CURRENCY_MINOR_UNITS.get(currency or "", 2)
    if not value.is_finite():
        return value
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -places:
        return value
    q = Decimal(1).scaleb(-places)
    shown = value.quantize(q, rounding=ROUNDING)
    if shown.is_zero():
        shown = shown.copy_abs()
    return shown if shown == value else value.normalize()


def fmt_money(value: Decimal | int | str, currency: str) -> str:
    """An amount in a message: '15480.00 EUR' (the currency's minor units, rounded half to even)."""
    return f"{quantise(Decimal(value), currency)} {currency}"


def total(items: Iterable[Money], currency: str, field: str = "currency") -> Money:
    out = Money.zero(currency)
    for m in items:
        out = out.add(m, field)
    return out


def allocate(amount: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split `amount` in proportion to `weights` into amounts of whole minor units that add up to `amount`
    exactly (largest remainder first; ties go to the earlier part). All-zero weights split evenly."""
    if not weights:
        return []
    ws = [Decimal(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValidationError("weights cannot be negative", field="weights")
    if sum(ws) == 0:
        ws = [Decimal(1)] * len(ws)
    q = quantum(currency)
    units = int((quantise(amount, currency) / q).to_integral_value())
    sign = -1 if units < 0 else 1
    units = abs(units)
    w_total = sum(ws)
    exact = [Decimal(units) * w / w_total for w in ws]
    floors = [int(e) for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(sign * f) * q).quantize(q) for f in floors]
