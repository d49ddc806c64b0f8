"""A multi choice field's values: several of the field's options, kept in the field's order, each once; read
from a list, from a page's form (one per line) or from text (comma-separated, as exports write them)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.domain.custom_fields import FieldKind, clean_choices, format_value, parse_kind, parse_value
from charter.domain.errors import ValidationError

MULTI = FieldKind.MULTI_CHOICE
SYSTEMS = ["CRM", "Billing", "Data warehouse"]


def test_the_kind_is_named_several_ways() -> None:
    for word in ("multi_choice", "multi-choice", "Multi choice", "multichoice"):
        assert parse_kind(word) is MULTI
    with pytest.raises(ValidationError, match="multi_choice"):
        parse_kind("multi")


def test_values_from_a_list_a_form_and_text_in_the_fields_order() -> None:
    assert parse_value(MULTI, SYSTEMS, ["billing", "CRM", "crm"], "f") == ["CRM", "Billing"]
    assert parse_value(MULTI, SYSTEMS, "\nData warehouse\nCRM", "f") == ["CRM", "Data warehouse"]
    assert parse_value(MULTI, SYSTEMS, " data  warehouse , billing", "f") == ["Billing", "Data warehouse"]
    for nothing in (None, "", "  ", [], "\n", ","):
        assert parse_value(MULTI, SYSTEMS, nothing, "f") is None


def test_a_value_not_listed_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as e:
        parse_value(MULTI, SYSTEMS, "CRM, ERP", "custom_fields.Systems")
    assert e.value.field == "custom_fields.Systems" and "'ERP' is not one of: CRM, Billing" in e.value.message
    with pytest.raises(ValidationError, match="a list of"):
        parse_value(MULTI, SYSTEMS, 5, "f")
    with pytest.raises(ValidationError, match="a list of"):
        parse_value(MULTI, SYSTEMS, ["CRM", 5], "f")


def test_a_multi_choice_needs_choices() -> None:
    with pytest.raises(ValidationError, match="multi choice field needs at least one choice"):
        clean_choices(MULTI, [])
    assert clean_choices(MULTI, "CRM, Billing") == ["CRM", "Billing"]


def test_an_option_with_a_comma_is_read_whole() -> None:
    options = ["Sales, EMEA", "Sales", "EMEA", "Support"]
    assert parse_value(MULTI, options, "Sales, EMEA, Support", "f") == ["Sales, EMEA", "Support"]
    assert parse_value(MULTI, options, "EMEA, Sales", "f") == ["Sales", "EMEA"]


# an option: a word, or two joined by a comma ("Sales, EMEA")
_option = st.lists(st.text(alphabet="abcXYZ-", min_size=1, max_size=4), min_size=1, max_size=2).map(", ".join)


@given(st.lists(_option, min_size=1, max_size=6, unique_by=str.casefold), st.data())
def test_what_an_export_writes_reads_back_the_same(options: list[str], data: st.DataObject) -> None:
    """Options without commas come back from the export's text; the form's one-per-line text always does."""
    picked = data.draw(st.lists(st.sampled_from(options), unique=True))
    value = parse_value(MULTI, options, picked, "f")
    text = format_value(MULTI, value)
    if all("," not in o for o in options):
        assert parse_value(MULTI, options, text, "f") == value
    assert parse_value(MULTI, options, "\n".join(value or []), "f") == value  # the form's way: exact
