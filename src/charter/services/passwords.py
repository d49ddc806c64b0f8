"""Passwords: a user changes their own (knowing the current one), an instance admin sets someone's.

Either way the password is checked for strength, stored as an Argon2 hash (never journalled: the journal says
that it changed and how many web sessions that ended) and the user's other web sessions end, so a session
opened with the old password does not outlive it. API tokens are left alone: they are listed, and revoked,
on the account page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from charter.domain.errors import NotAuthenticated, ValidationError
from charter.persistence.models import User
from charter.services import accounts, journal
from charter.services.authz import require_admin, require_user
from charter.services.context import Actor


def change_password(
    s: Session, actor: Actor, current: str, new: str, *, keep_session: str | None = None, ip: str = "?"
) -> dict[str, Any]:
    """The actor's own password, from `current` to `new`; every web session of theirs but `keep_session` (the
    cookie of the session that asked) ends. A wrong current password is a 422 on `current_password`, and
    counts as a failed sign-in of the user (throttled like the login form): the caller commits the session
    after this raises (nothing else is written before the check), as the login does. Returns the user and
    `sessions_ended`."""
    require_user(actor)
    u = s.get(User, actor.user_id) if actor.user_id is not None else None
    if u is None or not u.is_active:
        raise NotAuthenticated("log in or send a valid API token")
    accounts.check_throttle(s, u.username, ip)
    if not u.password_hash:
        raise ValidationError(
            "your account has no password yet; an instance admin sets the first one", field="current_password"
        )
    if not accounts.verify_password(current, u.password_hash):
        accounts.record_attempt(s, u.username, ip, ok=False)
        raise ValidationError("the current password is wrong", field="current_password")
    accounts.check_password_strength(new, field="new_password")
    if new == current:
        raise ValidationError("the new password is the same as the current one", field="new_password")
    u.password_hash = accounts.hash_password(new)
    s.flush()
    ended = accounts.end_sessions(s, u.id, keep_cookie=keep_session)
    journal.record(s, actor, entity_type="user", entity_id=u.id, action="change_password",
                   after={"other_sessions_ended": ended})  # fmt: skip
    return {"user": accounts.get_user(s, actor, u.id), "sessions_ended": ended}


def reset_password(
    s: Session, actor: Actor, user_id: int, new: str, *, keep_session: str | None = None
) -> dict[str, Any]:
    """An instance admin sets a user's password (no current one needed, no version: it changes nothing else
    of the user); every web session of the user ends but `keep_session` (the admin's own, when the admin
    resets their own password on the web)."""
    require_admin(actor)
    accounts.check_password_strength(new)
    u = s.get(User, user_id)
    version = u.version if u is not None else 0
    return accounts.update_user(s, actor, user_id, version, keep_session=keep_session, password=new)
