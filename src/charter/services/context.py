"""Who acts, and what time it is (a clock tests can freeze)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    is_admin: bool = False

    @property
    def label(self) -> str:
        return self.username


SYSTEM = Actor(user_id=None, username="system", is_admin=True)


class Clock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen or datetime.now(UTC)

    def freeze(self, at: datetime | None) -> None:
        self._frozen = at


clock = Clock()


def now() -> datetime:
    return clock.now()
