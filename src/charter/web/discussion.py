"""The discussion of an object on its page (task, work package, risk, change request): the message threads about
it that the viewer may see, and a short form that starts one (posted to the messages route with the object in
hidden fields, so routing through liaisons is the same as from the messages page). Also where an object's page
is, for a thread's "About" line."""

from __future__ import annotations

from typing import Any

from charter.services import accounts, comms, comms_about, projects
from charter.services.comms_common import members, pm_id

PAGES = {  # entity type -> its page (None: no page of its own)
    "task": "/projects/{p}/tasks/{id}",
    "work_package": "/projects/{p}/work-packages/{id}/board",
    "risk": "/projects/{p}/risks/{id}",
    "change_request": "/projects/{p}/changes/{id}",
    "meeting": "/projects/{p}/meetings/{id}",
    "concern": "/projects/{p}/concerns#concern-{id}",
}
KINDS = ("message", "concern", "request")


def url_of(project_id: int, about: dict[str, Any] | None) -> str | None:
    """The page of what a thread is about (None when it has no page, or is gone)."""
    if not about or about.get("name") is None:
        return None
    page = PAGES.get(about["type"])
    return page.format(p=project_id, id=about["id"]) if page else None


def discussion(s: Any, actor: Any, project_id: int, entity_type: str, entity_id: int) -> dict[str, Any]:
    """What the page's Discussion section shows: the threads about the object the viewer may see and, when
    the viewer may write, the people to address (the object's Task Leader or owner offered first)."""
    threads = comms.list_items(s, actor, project_id, entity_type=entity_type, entity_id=entity_id)
    may_send = "comms.send" in projects.capabilities(s, actor, project_id)
    people: list[dict[str, Any]] = []
    contact = None
    pm = None
    if may_send:
        inside = members(s, project_id)
        people = [u for u in accounts.list_users(s, actor) if u["id"] in inside and u["id"] != actor.user_id]
        contact = comms_about.contact(s, actor, project_id, entity_type, entity_id)
        pm = pm_id(s, project_id)
    is_pm = pm is not None and pm == actor.user_id
    return {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "word": comms_about.WORDS[entity_type],
        "threads": threads,
        "may_send": may_send,
        "people": people,
        "contact": contact if contact != actor.user_id else None,
        "has_pm": pm is not None and not is_pm,  # the PM writes to a person
        "kinds": KINDS,
    }
