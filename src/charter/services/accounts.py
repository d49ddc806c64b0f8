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
from charter.persistence.models import ApiToken, Department, LoginAttempt, User, WebSession
from charter.services import journal
from charter.services.authz import require_admin, require_user
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


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise ValidationError("the password must be at least 10 characters long", field="password")


def _sha(value: str) -> str:
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
    if not display_name.strip():
        raise ValidationError("the display name is required", field="display_name")
    if password is not None:
        check_password_strength(password)
    if s.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"the username {username!r} is taken", field="username")
    if department_id is not None and s.get(Department, department_id) is None:
        raise ValidationError(f"department {department_id} does not exist", field="department_id")
    u = User(
        username=username,
        display_name=display_name.strip(),
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


def update_user(s: Session, actor: Actor, user_id: int, version: int, **changes: Any) -> dict[str, Any]:
    require_admin(actor)
    u = s.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} not found")
    if u.version != version:
        raise stale("user", version, user_dict(u))
    before = journal.snapshot(u)
    if "password" in changes:
        pw = changes.pop("password")
        if pw:
            check_password_strength(pw)
            u.password_hash = hash_password(pw)
    if changes.get("department_id") is not None and s.get(Department, changes["department_id"]) is None:
        raise ValidationError(f"department {changes['department_id']} does not exist", field="department_id")
    for k, v in changes.items():
        setattr(u, k, v)
    s.flush()
    journal.record(
        s,
        actor,
        entity_type="user",
        entity_id=u.id,
        action="update",
        before=before,
        after=journal.snapshot(u),
    )
    return user_dict(u)


def admin_count(s: Session) -> int:
    return s.scalar(select(func.count()).select_from(User).where(User.is_admin.is_(True))) or 0


# --------------------------------------------------------------------------------------------- login


def authenticate(s: Session, username: str, password: str, ip: str) -> User:
    """Check a password, with throttling per username and per address. Records every attempt."""
    settings = get_settings()
    username = username.strip().lower()
    t = now()
    since = t - timedelta(minutes=settings.login_window_minutes)
    failures = (
        s.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                LoginAttempt.username == username, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
            )
        )
        or 0
    )
    ip_failures = (
        s.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.success.is_(False))
        )
        or 0
    )
    if failures >= settings.login_max_failures or ip_failures >= settings.login_max_failures * 4:
        raise TooManyRequests(
            f"too many failed logins; try again in {settings.login_window_minutes} minutes",
            retry_after=settings.login_window_minutes * 60,
        )
    u = s.scalars(select(User).where(User.username == username)).first()
    ok = False
    if u is not None and u.password_hash and u.is_active:
        ok = _hasher.verify(password, u.password_hash)
    else:
        _hasher.verify(password, _dummy_hash())  # same time whether or not the user exists
    s.add(LoginAttempt(username=username[:64], ip=ip[:64], at=t, success=ok))
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
            id=_sha(cookie),
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
    ws = s.get(WebSession, _sha(cookie))
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
        s.execute(delete(WebSession).where(WebSession.id == _sha(cookie)))


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


def create_token(s: Session, actor: Actor, *, name: str, expires_in_days: int | None = 90) -> dict[str, Any]:
    """Create a token for the actor. The secret is in the result once and never stored."""
    if actor.user_id is None:
        raise NotAuthenticated("log in first")
    if not name.strip():
        raise ValidationError("give the token a name", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise ValidationError("expiry must be between 1 and 3650 days", field="expires_in_days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = now()
    tok = ApiToken(
        user_id=actor.user_id,
        name=name.strip(),
        token_hash=_sha(secret),
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
    tok = s.scalars(select(ApiToken).where(ApiToken.token_hash == _sha(secret))).first()
    t = now()
    if tok is None or tok.revoked_at is not None or (tok.expires_at is not None and tok.expires_at <= t):
        return None
    u = s.get(User, tok.user_id)
    if u is None or not u.is_active:
        return None
    return actor_for(u)
