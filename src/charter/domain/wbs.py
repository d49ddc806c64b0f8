"""The work breakdown structure as a tree of package ids: the walks services share (pure; the package tree is
given as each package's parent)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def subtree(parent: Mapping[int, int | None], roots: Iterable[int]) -> set[int]:
    """The packages `roots` and every package below them. A root need not be in `parent`; a cycle in bad data
    ends the walk instead of looping."""
    children: dict[int | None, list[int]] = {}
    for wp, up in parent.items():
        children.setdefault(up, []).append(wp)
    out: set[int] = set()
    todo = list(roots)
    while todo:
        w = todo.pop()
        if w not in out:
            out.add(w)
            todo.extend(children.get(w, []))
    return out


def code_key(code: str) -> tuple[int, ...]:
    """A WBS code's sort key: "1.10" after "1.9" (text order puts it before)."""
    return tuple(int(x) for x in code.split(".") if x.isdecimal())
