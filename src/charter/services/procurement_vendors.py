"""The organisation-wide vendor list (kept by an admin, a PM or a Sponsor), and the journal helper the
procurement modules share. The rest of procurement: services.procurement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter.domain import procurement as rules
from charter.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError, stale
from charter.domain.roles import PROJECT_TARGET, Perm, permits
from charter.persistence.models import Vendor
from charter.services import journal
from charter.services.authz import grants, require_user, visible_project_ids
from charter.services.context import Actor, now


def _record(
    s: Session, actor: Actor, row: Any, kind: str, action: str, before: Any = None, **kw: Any
) -> None:
    journal.record(s, actor, entity_type=kind, entity_id=row.id, action=action,
                   project_id=getattr(row, "project_id", None), before=before, after=journal.snapshot(row), **kw)  # fmt: skip


# --------------------------------------------------------------------------------------------- vendors


def vendor_dict(v: Vendor) -> dict[str, Any]:
    return {"id": v.id, "name": v.name, "contacts": v.contacts, "categories": v.categories, "rating": v.rating,
            "notes": v.notes, "version": v.version}  # fmt: skip


def _may_manage_vendors(s: Session, actor: Actor) -> None:
    """Vendors are organisation-wide: an admin, or anyone who requests or approves purchases for a whole
    project (a PM, a Sponsor) somewhere, keeps them."""
    require_user(actor)
    if actor.is_admin:
        return
    for pid in s.scalars(visible_project_ids(s, actor)):
        held = grants(s, actor, pid)
        if permits(held, Perm.PROCUREMENT_APPROVE) or permits(held, Perm.PROCUREMENT_REQUEST, PROJECT_TARGET):
            return
    raise PermissionDenied("only a project manager, a sponsor or an admin may keep the vendor list")


def _check_vendor(values: dict[str, Any]) -> None:
    if "name" in values:
        values["name"] = rules.text(values["name"], rules.TITLE_MAX, "name", "the vendor's name")
    r = values.get("rating")
    if r is not None and not (isinstance(r, int) and 1 <= r <= 5):
        raise ValidationError("a rating is 1 to 5", field="rating")


def list_vendors(s: Session, actor: Actor) -> list[dict[str, Any]]:
    require_user(actor)
    return [vendor_dict(v) for v in s.scalars(select(Vendor).order_by(Vendor.name))]


def _vendor(s: Session, vendor_id: int, field: str = "vendor_id") -> Vendor:
    v = s.get(Vendor, vendor_id)
    if v is None:
        raise NotFound(f"vendor {vendor_id} not found", field=field)
    return v


def create_vendor(s: Session, actor: Actor, **values: Any) -> dict[str, Any]:
    _may_manage_vendors(s, actor)
    _check_vendor(values)
    values["name"] = values["name"].strip()
    if s.scalar(select(Vendor.id).where(func.lower(Vendor.name) == values["name"].lower())):
        raise Conflict(f"a vendor named {values['name']!r} exists", field="name")
    v = Vendor(**values, created_at=now())
    s.add(v)
    s.flush()
    _record(s, actor, v, "vendor", "create")
    return vendor_dict(v)


def update_vendor(s: Session, actor: Actor, vendor_id: int, version: int, **changes: Any) -> dict[str, Any]:
    _may_manage_vendors(s, actor)
    v = _vendor(s, vendor_id)
    if v.version != version:
        raise stale("vendor", version, vendor_dict(v))
    _check_vendor(changes)
    before = journal.snapshot(v)
    for k, val in changes.items():
        setattr(v, k, val.strip() if k == "name" else val)
    s.flush()
    _record(s, actor, v, "vendor", "update", before)
    return vendor_dict(v)
