"""Accounts: users, passwords, login throttling, web sessions and API tokens."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from charter.config import get_settings
from charter.domain.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
    ValidationError,
    stale,
)
from charter.domain.ids import as_id
from charter.domain.roles import PROJECT_TARGET, Perm, Target
from charter.persistence.models import ApiToken, Department, LoginAttempt, User, WebSession
from charter.services import journal
from charter.services.authz import project_for, require_admin, require_user
from charter.services.context import Actor, now

_hasher = PasswordHash((Argon2Hasher(),))
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "chr_"  # noqa: S105 (a public prefix, not a secret)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """What an unknown username's password is checked against, so that a login takes as long whether or not
    the user exists. Made on the first failed lookup, not at import (every CLI command imports this module,
    and one Argon2 hash costs about 150 ms)."""
    return _hasher.hash("not-a-real-password")


PASSWORD_MIN, PASSWORD_MAX = 10, 1024


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"the password must be at least {PASSWORD_MIN} characters long", field=field)
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"the password may be at most {PASSWORD_MAX} characters long", field=field)


def verify_password(password: str, password_hash: str) -> bool:
    return _hasher.verify(password, password_hash)


def secret_hash(value: str) -> str:
    """The SHA-256 (hex) under which a secret (a session cookie, an API token, a feed key) is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def user_dict(u: User, dept_name: str | None = None) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "is_admin": u.is_admin,
        "is_active": u.is_active,
        "department_id": u.department_id,
        "department": dept_name,
        "version": u.version,
    }


def actor_for(u: User) -> Actor:
    return Actor(user_id=u.id, username=u.username, is_admin=u.is_admin)


def _display_name(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("the display name is required", field="display_name")
    if len(value) > 120:
        raise ValidationError("the display name may be at most 120 characters long", field="display_name")
    return value


def _email(value: str | None) -> str | None:
    """An e-mail address, or None for none (an empty one too)."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 254:
        raise ValidationError("the e-mail address may be at most 254 characters long", field="email")
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in value):
        raise ValidationError(f"{value!r} is not an e-mail address (name@example.org)", field="email")
    return value


# --------------------------------------------------------------------------------------------- users


def create_user(
    s: Session,
    actor: Actor,
    *,
    username: str,
    display_name: str,
    password: str | None,
    email: str | None = None,
    is_admin: bool = False,
    department_id: int | None = None,
) -> dict[str, Any]:
    require_admin(actor)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "a username is 2-64 lower-case letters, digits, dots, dashes or underscores", field="username"
        )
    display_name = _display_name(display_name)
    email = _email(email)
    if password is not None:
        check_password_strength(password)
    if s.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"the username {username!r} is taken", field="username")
    if department_id is not None and s.get(Department, department_id) is None:
        raise ValidationError(f"department {department_id} does not exist", field="department_id")
    u = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=hash_password(password) if password else None,
        is_admin=is_admin,
        is_active=True,
        department_id=department_id,
        created_at=now(),
    )
    s.add(u)
    s.flush()
    journal.record(s, actor, entity_type="user", entity_id=u.id, action="create", after=journal.snapshot(u))
    return user_dict(u)


def list_users(s: Session, actor: Actor) -> list[dict[str, Any]]:
    """The organisation's directory: every signed-in user may read it (to find people to assign)."""
    require_user(actor)
    rows = s.execute(
        select(User, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .order_by(User.username)
    )
    return [user_dict(u, d) for u, d in rows]


def get_user(s: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    require_user(actor)
    row = s.execute(
        select(User, Department.name)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.id == user_id)
    ).first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return user_dict(row[0], row[1])


def find_user_id(s: Session, username_or_id: str) -> int:
    q = select(User.id).where(User.username == username_or_id.lower())
    uid = s.scalar(q)
    if uid is None and (n := as_id(username_or_id)) is not None:
        uid = s.scalar(select(User.id).where(User.id == n))
    if uid is None:
        raise NotFound(f"no user {username_or_id!r}", field="user")
    return uid


def is_self(actor: Actor, username_or_id: str) -> bool:
    """Whether the text names the acting user (username or id), without looking anyone else up."""
    ref = username_or_id.strip()
    return actor.user_id is not None and (
        ref.lower() == actor.username.lower() or as_id(ref) == actor.user_id
    )


def find_user_id_for_admin(s: Session, actor: Actor, username_or_id: str) -> int:
    """A user by name or id for an instance admin's command; anyone else is refused before the look-up, so
    the answer says nothing about which usernames exist."""
    require_admin(actor)
    return find_user_id(s, username_or_id)


def find_user_id_in(
    s: Session,
    actor: Actor,
    project_id: int,
    perm: Perm,
    username_or_id: str,
    target: Target = PROJECT_TARGET,
) -> int:
    """A user by name or id for a use-case of a project that needs `perm` there (the permission the service
    checks for it): whoever lacks it is refused before the look-up, so unknown and existing names get the same
    answer and the command tells nobody which usernames exist."""
    project_for(s, actor, project_id, perm, target)
    return find_user_id(s, username_or_id)


USER_FIELDS = frozenset({"display_name", "email", "password", "is_admin", "is_active", "department_id"})


def update_user(
    s: Session, actor: Actor, user_id: int, version: int, *, keep_session: str | None = None, **changes: Any
) -> dict[str, Any]:
    """Change a user (admins only). A new password ends the user's web sessions (but `keep_session`, the
    cookie of the admin's own session when they reset their own password); deactivating ends them all and
    revokes the user's API tokens and calendar feed address. The last active admin can be neither demoted nor
    deactivated (409)."""
    require_admin(actor)
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise ValidationError(f"a user has no field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    u = s.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} not found")
    if u.version != version:
        raise stale("user", version, get_user(s, actor, user_id))
    password = changes.pop("password", None)
    if password:
        check_password_strength(password)
    if "display_name" in changes:
        changes["display_name"] = _display_name(changes["display_name"])
    if "email" in changes:
        changes["email"] = _email(changes["email"])
    for flag in ("is_admin", "is_active"):
        if changes.get(flag) is None:
            changes.pop(flag, None)
    if changes.get("department_id") is not None and s.get(Department, changes["department_id"]) is None:
        raise ValidationError(f"department {changes['department_id']} does not exist", field="department_id")
    _keep_an_admin(s, u, changes)
    deactivated = u.is_active and changes.get("is_active") is False
    before = journal.snapshot(u)
    for k, v in changes.items():
        setattr(u, k, v)
    if password:
        u.password_hash = hash_password(password)
    s.flush()
    journal.record(s, actor, entity_type="user", entity_id=u.id, action="update", before=before,
                   after=journal.snapshot(u))  # fmt: skip
    if password:
        ended = end_sessions(s, u.id, keep_cookie=keep_session)
        journal.record(s, actor, entity_type="user", entity_id=u.id, action="reset_password",
                       after={"sessions_ended": ended})  # fmt: skip
    if deactivated:
        _lock_out(s, actor, u)
    return get_user(s, actor, u.id)


def _keep_an_admin(s: Session, u: User, changes: dict[str, Any]) -> None:
    """Refuse to demote or deactivate the last active instance admin: nobody could then manage users."""
    if not (u.is_admin and u.is_active):
        return
    leaving = [f for f in ("is_admin", "is_active") if changes.get(f) is False]
    if not leaving:
        return
    # the other active admins, locked (PostgreSQL) so that two admins cannot demote each other at once
    others = s.scalars(
        select(User.id)
        .where(User.is_admin.is_(True), User.is_active.is_(True), User.id != u.id)
        .with_for_update()
    ).all()
    if not others:
        what = "demoted" if leaving[0] == "is_admin" else "deactivated"
        raise Conflict(
            f"{u.username} is the last active instance admin and cannot be {what}; make another user an "
            "admin first",
            field=leaving[0],
        )


def _lock_out(s: Session, actor: Actor, u: User) -> None:
    """A deactivated user: every web session ended, every API token and their calendar feed's address revoked
    (journalled, with the cause)."""
    from charter.services import feeds  # feeds hashes its keys with this module's secret_hash

    ended = end_sessions(s, u.id)
    tokens = s.scalars(select(ApiToken).where(ApiToken.user_id == u.id, ApiToken.revoked_at.is_(None))).all()
    for tok in tokens:
        before = journal.snapshot(tok)
        tok.revoked_at = now()
        s.flush()
        journal.record(s, actor, entity_type="api_token", entity_id=tok.id, action="update", before=before,
                       after=journal.snapshot(tok), cause=f"user {u.username} was deactivated")  # fmt: skip
    if ended:
        journal.record(s, actor, entity_type="user", entity_id=u.id, action="sign_out",
                       after={"sessions_ended": ended}, cause=f"user {u.username} was deactivated")  # fmt: skip
    feeds.revoke_of(s, actor, u, cause=f"user {u.username} was deactivated")


def admin_count(s: Session) -> int:
    """Active instance admins (a deactivated admin cannot sign in: `charter init` makes one then)."""
    q = select(func.count()).select_from(User).where(User.is_admin.is_(True), User.is_active.is_(True))
    return s.scalar(q) or 0


# --------------------------------------------------------------------------------------------- login


def check_throttle(s: Session, username: str, ip: str) -> None:
    """Refuse (429) while a username, or an address, has too many failed password checks in the window."""
    settings = get_settings()
    since = now() - timedelta(minutes=settings.login_window_minutes)
    failed = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    )
    failures = s.scalar(failed.where(LoginAttempt.username == username)) or 0
    ip_failures = s.scalar(failed.where(LoginAttempt.ip == ip)) or 0
    if failures >= settings.login_max_failures or ip_failures >= settings.login_max_failures * 4:
        raise TooManyRequests(
            f"too many failed password checks; try again in {settings.login_window_minutes} minutes",
            retry_after=settings.login_window_minutes * 60,
        )


def record_attempt(s: Session, username: str, ip: str, ok: bool) -> None:
    s.add(LoginAttempt(username=username[:64], ip=ip[:64], at=now(), success=ok))


def authenticate(s: Session, username: str, password: str, ip: str) -> User:
    """Check a password, with throttling per username and per address. Records every attempt."""
    username = username.strip().lower()
    check_throttle(s, username, ip)
    u = s.scalars(select(User).where(User.username == username)).first()
    ok = False
    if u is not None and u.password_hash and u.is_active:
        ok = _hasher.verify(password, u.password_hash)
    else:
        _hasher.verify(password, _dummy_hash())  # same time whether or not the user exists
    record_attempt(s, username, ip, ok)
    if not ok or u is None:
        raise NotAuthenticated("wrong username or password")
    return u


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str
    expires_at: datetime


def start_session(s: Session, user: User) -> NewSession:
    settings = get_settings()
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    t = now()
    expires = t + timedelta(hours=settings.session_hours)
    s.add(
        WebSession(
            id=secret_hash(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=t,
            expires_at=expires,
            last_seen_at=t,
        )
    )
    s.execute(delete(WebSession).where(WebSession.expires_at < t))
    return NewSession(cookie, csrf, expires)


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf_token: str
    display_name: str


def resolve_session(s: Session, cookie: str | None) -> SessionInfo | None:
    if not cookie:
        return None
    settings = get_settings()
    ws = s.get(WebSession, secret_hash(cookie))
    t = now()
    if ws is None or ws.expires_at <= t:
        return None
    if ws.last_seen_at + timedelta(minutes=settings.session_idle_minutes) <= t:
        return None
    u = s.get(User, ws.user_id)
    if u is None or not u.is_active:
        return None
    if (t - ws.last_seen_at).total_seconds() > 60:
        ws.last_seen_at = t
    return SessionInfo(actor_for(u), ws.csrf_token, u.display_name)


def end_session(s: Session, cookie: str | None) -> None:
    if cookie:
        s.execute(delete(WebSession).where(WebSession.id == secret_hash(cookie)))


def end_sessions(s: Session, user_id: int, *, keep_cookie: str | None = None) -> int:
    """End every web session of a user but the one whose cookie is `keep_cookie`; how many were ended."""
    q = delete(WebSession).where(WebSession.user_id == user_id)
    if keep_cookie:
        q = q.where(WebSession.id != secret_hash(keep_cookie))
    return int(s.execute(q).rowcount or 0)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- API tokens


def token_dict(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "prefix": t.prefix,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "revoked_at": t.revoked_at,
        "last_used_at": t.last_used_at,
        "version": t.version,
    }


TOKEN_NAME_MAX = 80  # api_tokens.name


def create_token(s: Session, actor: Actor, *, name: str, expires_in_days: int | None = 90) -> dict[str, Any]:
    """Create a token for the actor. The secret is in the result once and never stored."""
    if actor.user_id is None:
        raise NotAuthenticated("log in first")
    if not name.strip():
        raise ValidationError("give the token a name", field="name")
    if len(name.strip()) > TOKEN_NAME_MAX:  # as the API's schema: the web form stored longer names
        raise ValidationError(
            f"the name is {len(name.strip())} characters; the limit is {TOKEN_NAME_MAX}", field="name"
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationError("expiry must be between 1 and 3650 days", field="expires_in_days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = now()
    tok = ApiToken(
        user_id=actor.user_id,
        name=name.strip(),
        token_hash=secret_hash(secret),
        prefix=secret[:10],
        created_at=t,
        expires_at=t + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    s.add(tok)
    s.flush()
    journal.record(
        s, actor, entity_type="api_token", entity_id=tok.id, action="create", after=journal.snapshot(tok)
    )
    return {**token_dict(tok), "token": secret}


def list_tokens(s: Session, actor: Actor) -> list[dict[str, Any]]:
    rows = s.scalars(select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id))
    return [token_dict(t) for t in rows]


def revoke_token(s: Session, actor: Actor, token_id: int) -> dict[str, Any]:
    tok = s.get(ApiToken, token_id)
    if tok is None or (tok.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"token {token_id} not found")
    if tok.revoked_at is None:
        before = journal.snapshot(tok)
        tok.revoked_at = now()
        s.flush()
        journal.record(
            s,
            actor,
            entity_type="api_token",
            entity_id=tok.id,
            action="update",
            before=before,
            after=journal.snapshot(tok),
        )
    return token_dict(tok)


def resolve_token(s: Session, secret: str) -> Actor | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    tok = s.scalars(select(ApiToken).where(ApiToken.token_hash == secret_hash(secret))).first()
    t = now()
    if tok is None or tok.revoked_at is not None or (tok.expires_at is not None and tok.expires_at <= t):
        return None
    u = s.get(User, tok.user_id)
    if u is None or not u.is_active:
        return None
    return actor_for(u)
