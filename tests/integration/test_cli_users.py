"""`charter user update` and `charter department list|add|update` (the admin's; `charter user passwd` is in
test_passwords.py): only the options given change, a refusal is one line naming the field, exit 1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from charter.persistence.models import User
from charter.services import accounts


def _user(cli: Any, name: str) -> dict[str, Any]:
    users = json.loads(cli("user", "list", "--json", who="admin").stdout)
    return next(u for u in users if u["username"] == name)


def test_user_update(cli: Any, seed: Any) -> None:
    r = cli("user", "update", "worker", "--display-name", "Wendy Worker", "--email", "wendy@example.test",
            "--department", "Sales", "--admin", who="admin")  # fmt: skip
    assert "User worker updated: Wendy Worker, Sales, instance admin." in r.stdout
    u = _user(cli, "worker")
    assert (u["display_name"], u["email"], u["department"], u["is_admin"], u["is_active"]) == (
        "Wendy Worker", "wendy@example.test", "Sales", True, True
    )  # fmt: skip
    out = json.loads(cli("user", "update", "worker", "--no-admin", "--department", "", "--email", "",
                         "--json", who="admin").stdout)  # fmt: skip
    assert (out["is_admin"], out["department"], out["email"], out["display_name"]) == (
        False,
        None,
        None,
        "Wendy Worker",
    )


def test_user_deactivate_signs_out_and_revokes(cli: Any, seed: Any) -> None:
    with seed.db.uow() as s:
        cookie = accounts.start_session(s, s.get(User, seed.users["worker"])).cookie
    r = cli("user", "update", "worker", "--inactive", who="admin")
    assert "deactivated" in r.stdout
    with seed.db.uow() as s:
        assert accounts.resolve_session(s, cookie) is None
        assert accounts.resolve_token(s, seed.tokens["worker"]) is None
    r = cli("--as", "worker", "user", "list", code=1, who="admin")
    assert "deactivated" in r.stderr
    cli("user", "update", "worker", "--active", who="admin")
    assert _user(cli, "worker")["is_active"]


@pytest.mark.parametrize(
    ("args", "who", "message"),
    [
        (["admin", "--no-admin"], "admin", "last active instance admin and cannot be demoted"),
        (["admin", "--inactive"], "admin", "cannot be deactivated; make another user an admin first (field: is_active)"),
        (["worker", "--email", "nope"], "admin", "(field: email)"),
        (["worker", "--display-name", " "], "admin", "(field: display_name)"),
        (["worker", "--department", "Nowhere"], "admin", "no department 'Nowhere'"),
        (["worker", "--version", "7", "--display-name", "X"], "admin", "changed by someone else"),
        (["nobody", "--admin"], "admin", "no user 'nobody'"),
        (["worker"], "admin", "nothing to change"),
        (["pm", "--admin"], "pm", "only an instance admin"),
    ],
    ids=["demote last admin", "deactivate last admin", "bad e-mail", "blank name", "no department", "stale",
         "no user", "nothing", "not an admin"],
)  # fmt: skip
def test_user_update_refusals(cli: Any, seed: Any, args: list[str], who: str, message: str) -> None:
    before = _user(cli, args[0]) if args[0] != "nobody" else None
    r = cli("user", "update", *args, code=1, who=who)
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    if before:
        assert _user(cli, args[0]) == before


def test_a_non_admin_learns_nothing_about_which_usernames_exist(cli: Any, seed: Any) -> None:
    for command in (["update", "{}", "--admin"], ["passwd", "{}", "--password-stdin"],
                    ["feed-key", "--user", "{}", "--revoke"]):  # fmt: skip
        said = {cli("user", *[a.format(name) for a in command], code=1, who="pm").stderr
                for name in ("worker", "nobody")}  # fmt: skip
        assert len(said) == 1 and "only an instance admin" in said.pop(), command
    assert "no user 'nobody'" in cli("user", "update", "nobody", "--admin", code=1, who="admin").stderr


def test_departments(cli: Any, seed: Any) -> None:
    listed = cli("department", "list", who="admin").stdout
    assert "Sales" in listed and "users" in listed
    r = cli("department", "add", "Legal", "--head", "sponsor", who="admin")
    assert "Added department Legal" in r.stdout
    rows = json.loads(cli("department", "list", "--json", who="pm").stdout)
    legal = next(d for d in rows if d["name"] == "Legal")
    assert legal["head"] == "Sponsor" and "members" not in legal  # the directory, for a non-admin
    r = cli("department", "update", "Legal", "--name", "Legal & Risk", "--head", "", who="admin")
    assert "Department Legal & Risk updated; head: none." in r.stdout
    admin_rows = json.loads(cli("department", "list", "--json", who="admin").stdout)
    assert {d["name"]: d["members"] for d in admin_rows} == {"Legal & Risk": 0, "Sales": 1}
    # refusals
    assert "(field: name)" in cli("department", "add", "Sales", code=1, who="admin").stderr
    assert "only an instance admin" in cli("department", "add", "Ops", code=1, who="pm").stderr
    r = cli("department", "update", "Sales", "--name", "Legal & Risk", code=1, who="admin")
    assert "exists (field: name)" in r.stderr
    assert "nothing to change" in cli("department", "update", "Sales", code=1, who="admin").stderr
    assert (
        "no user 'ghost'"
        in cli("department", "update", "Sales", "--head", "ghost", code=1, who="admin").stderr
    )


@pytest.mark.parametrize(
    "command", [["user", "update"], ["user", "passwd"], ["department", "list"], ["department", "add"],
                ["department", "update"], ["department"], ["user", "feed-key"]],
)  # fmt: skip
@pytest.mark.any_backend
def test_help(cli: Any, command: list[str]) -> None:
    out = cli(*command, "--help").stdout
    assert "Usage" in out and len(out.splitlines()) > 4
