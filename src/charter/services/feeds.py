"""A person's calendar feed at a secret address: the tasks assigned to them across their projects, as
iCalendar (what `GET /api/v1/me/tasks.ics` gives with a token), for calendar applications, which subscribe to
a URL and cannot send a token or sign in. The same key also opens the milestones of each project its owner
may see (`…/projects/{id}/milestones.ics`, what the project's iCalendar export gives), read as that person: a
project they leave stops answering.

Each user has at most one feed key. As with API tokens only its SHA-256 is stored (`users.feed_key_hash`);
the key is in the answer that makes it, once. Making a key replaces the previous one (whose address stops
working at once), revoking removes it, and deactivating the user revokes it (`accounts.update_user`). An
instance admin sees whether a user has a key and since when, and may revoke it, but never makes one for
someone else nor sees one. The journal (on the user) says when a key was made, replaced or revoked and by
whom, never the key or its hash.

The key is kept on the user's row but is not part of the record an instance admin edits: writing it leaves
the user's version alone, so an admin's form open meanwhile is not made stale by someone subscribing a
calendar. It is replaced whole, never edited, so no change can be lost by that.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from charter.domain.errors import NotAuthenticated, NotFound
from charter.persistence.models import Project, User
from charter.services import journal, plan_export
from charter.services.accounts import actor_for, secret_hash
from charter.services.authz import require_admin, require_user, visible_project_ids
from charter.services.context import Actor, now

FEED_KEY_PREFIX = "chf_"  # a public prefix, as the API tokens' `chr_`: a leaked key is recognisable
# where the API serves a feed (api/routers/feeds.py; the API is mounted at /api/v1), for the CLI and the pages
FEED_PATH = "/api/v1/feeds/{key}/tasks.ics"
MILESTONES_PATH = "/api/v1/feeds/{key}/projects/{project_id}/milestones.ics"
NO_FEED = "there is no calendar feed at this address"


def feed_path(key: str) -> str:
    return FEED_PATH.format(key=key)


def milestones_path(key: str, project_id: int) -> str:
    return MILESTONES_PATH.format(key=key, project_id=project_id)


def _project_feeds(s: Session, actor: Actor, key: str) -> list[dict[str, Any]]:
    """The milestone feed address of each project the actor may see, by project key."""
    rows = s.execute(
        select(Project.id, Project.key, Project.name)
        .where(Project.id.in_(visible_project_ids(s, actor)), Project.deleted_at.is_(None))
        .order_by(Project.key)
    )
    return [{"project_id": pid, "project_key": pkey, "name": name, "path": milestones_path(key, pid)}
            for pid, pkey, name in rows]  # fmt: skip


def _status(u: User) -> dict[str, Any]:
    return {"active": u.feed_key_hash is not None, "created_at": u.feed_key_created_at}


def _me(s: Session, actor: Actor) -> User:
    require_user(actor)
    u = s.get(User, actor.user_id) if actor.user_id is not None else None
    if u is None or not u.is_active:
        raise NotAuthenticated("log in or send a valid API token")
    return u


def _store(s: Session, u: User, digest: str | None, at: datetime | None) -> None:
    """Set the key's hash and time without moving the user's version (an ORM update by primary key keeps the
    loaded row in step)."""
    s.execute(update(User).where(User.id == u.id).values(feed_key_hash=digest, feed_key_created_at=at))


def _since(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def feed_key_status(s: Session, actor: Actor) -> dict[str, Any]:
    """Whether the actor has a feed address, and since when (`active`, `created_at`)."""
    return _status(_me(s, actor))


def make_feed_key(s: Session, actor: Actor) -> dict[str, Any]:
    """A new feed key for the actor, replacing any previous one: the status, `replaced`, and the `key` and its
    `path`, with the milestone feed `path` of each project the actor may see in `projects` (the only time
    they are given)."""
    u = _me(s, actor)
    key = FEED_KEY_PREFIX + secrets.token_urlsafe(32)
    before = u.feed_key_created_at
    t = now()
    _store(s, u, secret_hash(key), t)
    journal.record(s, actor, entity_type="user", entity_id=u.id,
                   action="replace_feed_key" if before is not None else "make_feed_key",
                   before={"feed_key_created_at": _since(before)},
                   after={"feed_key_created_at": _since(t)})  # fmt: skip
    return {**_status(u), "replaced": before is not None, "key": key, "path": feed_path(key),
            "projects": _project_feeds(s, actor, key)}  # fmt: skip


def revoke_feed_key(s: Session, actor: Actor) -> dict[str, Any]:
    """Remove the actor's feed key (its address stops working); nothing to do without one."""
    u = _me(s, actor)
    revoke_of(s, actor, u)
    return _status(u)


def _user_for_admin(s: Session, actor: Actor, user_id: int) -> User:
    require_user(actor)
    require_admin(actor)
    u = s.get(User, user_id)
    if u is None:
        raise NotFound(f"user {user_id} not found", field="user_id")
    return u


def feed_key_status_of(s: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    """An instance admin: whether the user has a feed address and since when (never the address)."""
    return {"user_id": user_id, **_status(_user_for_admin(s, actor, user_id))}


def revoke_feed_key_of(s: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    """An instance admin revokes a user's feed address (a leaked one, say), journalled on the user with the
    admin as actor; `revoked` says whether there was one (without one nothing changes)."""
    u = _user_for_admin(s, actor, user_id)
    revoked = revoke_of(s, actor, u)
    return {"user_id": user_id, **_status(u), "revoked": revoked}


def revoke_of(s: Session, actor: Actor, u: User, *, cause: str | None = None) -> bool:
    """Remove `u`'s feed key, journalled (with `cause` when the system does it); whether there was one."""
    before = u.feed_key_created_at
    if u.feed_key_hash is None and before is None:
        return False
    _store(s, u, None, None)
    journal.record(s, actor, entity_type="user", entity_id=u.id, action="revoke_feed_key",
                   before={"feed_key_created_at": _since(before)}, after={"feed_key_created_at": None},
                   cause=cause)  # fmt: skip
    return True


def resolve_feed_key(s: Session, key: str) -> Actor | None:
    """The active user whose feed key `key` is, else None. Any text takes the same path: hashed, looked up by
    its hash, the stored hash compared in constant time."""
    digest = secret_hash(key)
    u = s.scalars(select(User).where(User.feed_key_hash == digest)).first()
    stored = u.feed_key_hash if u is not None else None
    if u is None or stored is None or not hmac.compare_digest(stored, digest) or not u.is_active:
        return None
    return actor_for(u)


def tasks_feed(s: Session, key: str) -> bytes:
    """The iCalendar feed of the tasks assigned to the owner of `key`, as they would see them signed in.
    Anything but a current key of an active user is NotFound, with one message whatever the reason."""
    actor = resolve_feed_key(s, key)
    if actor is None:
        raise NotFound(NO_FEED)
    return plan_export.my_tasks_feed(s, actor)


def milestones_feed(s: Session, key: str, project_id: int) -> bytes:
    """The iCalendar feed of a project's milestones (its iCalendar export), read as the owner of `key`. An
    unknown key, or a project its owner may not see (or that is gone), is the same NotFound."""
    actor = resolve_feed_key(s, key)
    if actor is None:
        raise NotFound(NO_FEED)
    try:
        data = plan_export.milestones_ics(s, actor, project_id)
    except NotFound:
        raise NotFound(NO_FEED) from None
    return data
