"""The package-tree walk: a subtree holds its roots and everything below them, and agrees with walking up
from each package to its ancestors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from charter.domain.wbs import subtree

#   1        6
#  / \       |
# 2   3      7
#     |
#     4 - 5
TREE: dict[int, int | None] = {1: None, 2: 1, 3: 1, 4: 3, 5: 4, 6: None, 7: 6}


def test_a_subtree_is_the_root_and_everything_below_it() -> None:
    assert subtree(TREE, [1]) == {1, 2, 3, 4, 5}
    assert subtree(TREE, [3]) == {3, 4, 5}
    assert subtree(TREE, [5]) == {5}


def test_several_roots_and_none() -> None:
    assert subtree(TREE, [2, 7]) == {2, 7}
    assert subtree(TREE, [3, 4]) == {3, 4, 5}
    assert subtree(TREE, []) == set()


def test_a_root_outside_the_tree_is_kept_alone() -> None:
    assert subtree(TREE, [99]) == {99}


def test_a_cycle_in_bad_data_ends_the_walk() -> None:
    assert subtree({1: 2, 2: 1, 3: 2}, [1]) == {1, 2, 3}


def _ancestors_or_self(parent: dict[int, int | None], wp: int) -> set[int]:
    seen: set[int] = set()
    at: int | None = wp
    while at is not None and at not in seen:
        seen.add(at)
        at = parent.get(at)
    return seen


@given(
    st.dictionaries(st.integers(0, 15), st.one_of(st.none(), st.integers(0, 15)), max_size=16),
    st.integers(0, 15),
)
def test_the_subtree_is_what_lies_under_the_root_walking_up(parent: dict[int, int | None], root: int) -> None:
    below = subtree(parent, [root])
    assert below == {wp for wp in {*parent, root} if root in _ancestors_or_self(parent, wp)}
