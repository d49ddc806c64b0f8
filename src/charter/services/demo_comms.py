"""The demo's comms history: events merged into the demo's timeline (see `demo.Event`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.services.demo import Event


def events() -> list[Event]:
    return []
