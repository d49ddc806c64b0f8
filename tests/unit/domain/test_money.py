"""Money: exact sums and roundings across minor units (JPY none, USD two, KWD three); currencies never mix."""

from __future__ import annotations

from decimal import Decimal

import pytest

from charter.domain.errors import ValidationError
from charter.domain.money import Money, allocate, parse_amount, quantise, total


@pytest.mark.parametrize(
    ("currency", "text", "expected"),
    [("JPY", "1500", "1500"), ("USD", "19.99", "19.99"), ("USD", "7", "7.00"), ("KWD", "1.125", "1.125")],
)
def test_entered_amounts_keep_the_currency_minor_units(currency: str, text: str, expected: str) -> None:
    d = parse_amount(text, currency)
    assert d == Decimal(expected) and str(d) == expected


@pytest.mark.parametrize(("currency", "text"), [("JPY", "1.5"), ("USD", "0.005"), ("KWD", "0.0001")])
def test_more_decimals_than_minor_units_are_refused_not_rounded(currency: str, text: str) -> None:
    with pytest.raises(ValidationError) as e:
        parse_amount(text, currency, "unit_price")
    assert e.value.field == "unit_price"


def test_negative_and_garbage_amounts_name_the_field() -> None:
    with pytest.raises(ValidationError) as e:
        parse_amount("-0.01", "USD", "amount")
    assert e.value.field == "amount" and "negative" in e.value.message
    with pytest.raises(ValidationError) as e:
        parse_amount("ten", "USD", "value")
    assert e.value.field == "value"
    with pytest.raises(ValidationError):
        parse_amount("NaN", "USD")
    assert parse_amount(0.1, "USD") == Decimal("0.10")  # a float is read from its shortest text


@pytest.mark.parametrize("text", ["1e400", "1E+30", "-1e30", "1" * 40, "1e999999999"])
def test_amounts_too_large_to_quantise_are_refused_naming_the_field(text: str) -> None:
    """Typed in an amount field they were an internal error (decimal.InvalidOperation while quantising)."""
    with pytest.raises(ValidationError) as e:
        parse_amount(text, "EUR", "amount", allow_negative=True)
    assert e.value.field == "amount" and "too large" in e.value.message


def test_sums_are_exact() -> None:
    assert total([Money.of("0.10", "USD")] * 10, "USD") == Money.of("1.00", "USD")
    assert total([Money.of("0.001", "KWD")] * 1000, "KWD").amount == Decimal("1.000")
    assert total([Money.of("1", "JPY")] * 3, "JPY").amount == Decimal("3")


def test_derived_amounts_round_half_to_even_at_each_minor_unit() -> None:
    assert quantise(Decimal("2.5"), "JPY") == Decimal("2") and quantise(Decimal("3.5"), "JPY") == Decimal("4")
    assert quantise(Decimal("0.125"), "USD") == Decimal("0.12") and quantise(
        Decimal("0.135"), "USD"
    ) == Decimal("0.14")
    assert quantise(Decimal("0.0005"), "KWD") == Decimal("0.000") and quantise(
        Decimal("0.0015"), "KWD"
    ) == Decimal("0.002")
    assert Money.of("10.00", "USD").times(Decimal("0.3333")).amount == Decimal("3.33")


def test_currencies_never_mix_without_a_rate() -> None:
    with pytest.raises(ValidationError) as e:
        Money.of("1", "EUR") + Money.of("1", "USD")
    assert e.value.field == "currency" and "EUR" in e.value.message and "USD" in e.value.message
    with pytest.raises(ValidationError) as e:
        Money.of("1", "EUR").add(Money.of("1", "USD"), field="amount")
    assert e.value.field == "amount"
    with pytest.raises(ValidationError):
        total([Money.of("1", "USD"), Money.of("1", "JPY")], "USD")
    assert Money.of("10.00", "USD").convert(Decimal("151.237"), "JPY") == Money.of("1512", "JPY")
    with pytest.raises(ValidationError) as e:
        Money.of("1", "USD").convert(Decimal(0), "EUR")
    assert e.value.field == "rate"


@pytest.mark.parametrize(
    ("currency", "amount"), [("JPY", "100"), ("USD", "100.00"), ("KWD", "100.000"), ("USD", "-0.05")]
)
def test_allocation_adds_up_to_the_whole(currency: str, amount: str) -> None:
    parts = allocate(Decimal(amount), [1, 1, 1], currency)
    assert sum(parts) == Decimal(amount)
    assert max(parts) - min(parts) <= Decimal(1).scaleb(-{"JPY": 0, "USD": 2, "KWD": 3}[currency])
    assert allocate(Decimal("100"), [1, 1, 1], "JPY") == [Decimal(34), Decimal(33), Decimal(33)]
    assert allocate(Decimal("1.00"), [0, 0], "USD") == [Decimal("0.50"), Decimal("0.50")]
    assert allocate(Decimal("10.00"), [3, 1], "USD") == [Decimal("7.50"), Decimal("2.50")]


def test_unknown_currency() -> None:
    with pytest.raises(ValidationError) as e:
        parse_amount("1", "XXX")
    assert e.value.field == "currency"


@pytest.mark.parametrize("typed", ["１２３", "١٢٣", "12\u0663", "１,000"])
def test_amounts_and_quantities_are_typed_with_the_digits_0_to_9(typed: str) -> None:
    """Decimal() reads full-width and Arabic-Indic digits as 0-9, so "１２３" was stored as 123: what a person
    sees typed is not what is kept, and a look-alike slips through review; refused, naming the field."""
    from charter.services.procurement_orders import _quantity

    with pytest.raises(ValidationError) as e:
        parse_amount(typed, "USD", "unit_price")
    assert e.value.field == "unit_price" and "0-9" in e.value.message
    with pytest.raises(ValidationError) as e:
        _quantity(typed, 0)
    assert e.value.field == "quantity"
    assert parse_amount("1\u202f234.50", "EUR") == Decimal("1234.50")  # a narrow no-break space groups digits
