from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from charter.api import schemas as S
from charter.api.deps import DB, CurrentActor
from charter.api.errors_doc import ERRORS
from charter.api.routers._common import AmountsRoute
from charter.domain.errors import ValidationError
from charter.services import accounts, feeds, org, passwords

router = APIRouter(responses=ERRORS, route_class=AmountsRoute)


@router.post("/auth/token", response_model=S.TokenCreated, status_code=201, tags=["accounts"])
def create_token_with_password(body: S.TokenRequest, request: Request, db: DB) -> dict[str, Any]:
    """Exchange a username and password for an API token (throttled like the login form)."""
    ip = request.client.host if request.client else "?"
    with db.uow() as s:
        try:
            user = accounts.authenticate(s, body.username, body.password, ip)
        except Exception:
            s.commit()  # keep the failed attempt on record for throttling
            raise
        return accounts.create_token(
            s, accounts.actor_for(user), name=body.name, expires_in_days=body.expires_in_days
        )


@router.get("/me", response_model=S.UserOut, tags=["accounts"])
def me(actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return accounts.get_user(s, actor, actor.user_id or 0)


@router.post("/me/password", response_model=S.PasswordChanged, tags=["accounts"])
def change_password(body: S.PasswordChange, request: Request, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """Change your own password. A wrong `current_password` is 422 on that field and counts as a failed
    sign-in (throttled: 429 after too many). Every web session of yours is signed out; API tokens stay."""
    ip = request.client.host if request.client else "?"
    with db.uow() as s:
        try:
            done = passwords.change_password(s, actor, body.current_password, body.new_password, ip=ip)
        except ValidationError as exc:
            if exc.field == "current_password":
                s.commit()  # keep the failed check on record for throttling (nothing else was written)
            raise
        return {"sessions_ended": done["sessions_ended"]}


@router.get("/me/tokens", response_model=list[S.TokenOut], tags=["accounts"])
def my_tokens(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return accounts.list_tokens(s, actor)


@router.post("/me/tokens", response_model=S.TokenCreated, status_code=201, tags=["accounts"])
def new_token(body: S.TokenCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return accounts.create_token(s, actor, name=body.name, expires_in_days=body.expires_in_days)


@router.delete("/me/tokens/{token_id}", response_model=S.TokenOut, tags=["accounts"])
def revoke(token_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return accounts.revoke_token(s, actor, token_id)


@router.get("/users", response_model=list[S.UserOut], tags=["organisation"])
def users(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return accounts.list_users(s, actor)


@router.post("/users", response_model=S.UserOut, status_code=201, tags=["organisation"])
def add_user(body: S.UserCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return accounts.create_user(s, actor, **body.model_dump())


@router.get("/users/{user_id}", response_model=S.UserOut, tags=["organisation"])
def user(user_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow(readonly=True) as s:
        return accounts.get_user(s, actor, user_id)


@router.patch("/users/{user_id}", response_model=S.UserOut, tags=["organisation"])
def edit_user(user_id: int, body: S.UserUpdate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with db.uow() as s:
        return accounts.update_user(s, actor, user_id, version, **changes)


@router.get("/users/{user_id}/feed-key", response_model=S.UserFeedKeyOut, tags=["organisation"])
def user_feed_key(user_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """An instance admin: whether the user has a calendar feed address, and since when (never the address)."""
    with db.uow(readonly=True) as s:
        return feeds.feed_key_status_of(s, actor, user_id)


@router.delete("/users/{user_id}/feed-key", response_model=S.UserFeedKeyRevoked, tags=["organisation"])
def revoke_user_feed_key(user_id: int, actor: CurrentActor, db: DB) -> dict[str, Any]:
    """An instance admin revokes the user's calendar feed address (calendars subscribed to it get 404 from
    now on); `revoked` is false when they had none. An admin never makes or sees someone else's address."""
    with db.uow() as s:
        return feeds.revoke_feed_key_of(s, actor, user_id)


@router.get("/departments", response_model=list[S.DepartmentOut], tags=["organisation"])
def departments(actor: CurrentActor, db: DB) -> list[dict[str, Any]]:
    with db.uow(readonly=True) as s:
        return org.list_departments(s, actor)


@router.post("/departments", response_model=S.DepartmentOut, status_code=201, tags=["organisation"])
def add_department(body: S.DepartmentCreate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    with db.uow() as s:
        return org.create_department(s, actor, **body.model_dump())


@router.patch("/departments/{dept_id}", response_model=S.DepartmentOut, tags=["organisation"])
def edit_department(dept_id: int, body: S.DepartmentUpdate, actor: CurrentActor, db: DB) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    version = changes.pop("version")
    with db.uow() as s:
        return org.update_department(s, actor, dept_id, version, **changes)
