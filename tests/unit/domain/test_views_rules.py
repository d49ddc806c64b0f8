"""Saved views' rules (domain.views): names, and a renamed custom field carried into a query."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.domain.errors import ValidationError
from charter.domain.labels import clean_label, label_key
from charter.domain.views import clean_name, rename_field


def test_names_are_collapsed_required_and_bounded() -> None:
    assert clean_name("  My   critical\tlist ") == "My critical list"
    with pytest.raises(ValidationError, match="the view needs a name"):
        clean_name("   ")
    with pytest.raises(ValidationError, match="the name is 81 characters; the limit is 80"):
        clean_name("x" * 81)
    with pytest.raises(ValidationError, match="the thing needs a title") as caught:
        clean_label(None, "the thing", 10, field="title")
    assert caught.value.field == "title"


def test_a_renamed_field_is_renamed_in_the_filters_and_the_sort_only_where_named() -> None:
    query = {"fields": {"story  POINTS": "5", "Tier": "Gold"}, "sort": "-field:Story points", "q": "api"}
    assert rename_field(query, "Story points", "Points") == {
        "fields": {"Points": "5", "Tier": "Gold"},
        "sort": "-field:Points",
        "q": "api",
    }
    assert query["fields"] == {"story  POINTS": "5", "Tier": "Gold"}  # the query given is left as it was
    assert rename_field({"sort": "field:Tier"}, "Tie", "X") is None  # a prefix is another field
    assert rename_field({"sort": "field:Tiers", "fields": {"Tiers": ""}}, "Tier", "X") is None
    assert rename_field({"sort": "name"}, "name", "X") is None  # a built-in sort is no field
    assert rename_field({}, "Tier", "X") is None
    assert rename_field({"sort": "field:tier"}, "Tier", "Tier") == {"sort": "field:Tier"}  # its case


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_renaming_there_and_back_is_the_field_as_named(old: str, new: str) -> None:
    if not old.strip() or not new.strip() or label_key(old) == label_key(new):
        return
    query = {"fields": {old: "v"}, "sort": "field:" + old}
    there = rename_field(query, old, new)
    assert there == {"fields": {new: "v"}, "sort": "field:" + new}
    assert rename_field(there, new, old) == query
