"""Who sees which union unit: a staff member sees their unit's subtree, an admin sees all.

Lives here: the subtree query on the materialised ``Unit.path`` and the visibility checks
every other service and route uses. Must not talk HTTP nor write anything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import Staff, Unit


def unit_subtree_ids(session: Session, unit_id: int) -> list[int]:
    """Returns the ids of a unit and of every unit below it.

    Args:
        session: An open session.
        unit_id: The root of the subtree.

    Returns:
        The ids, the unit itself included; empty when the unit does not exist.
    """
    root_path = session.scalar(select(Unit.path).where(Unit.id == unit_id))
    if root_path is None:
        return []
    return list(session.scalars(select(Unit.id).where(Unit.path.startswith(root_path, autoescape=True))))


def visible_unit_ids(session: Session, staff: Staff) -> list[int] | None:
    """Returns the unit ids a staff member may see, or None meaning "every unit" (admins).

    Args:
        session: An open session.
        staff: The logged-in staff member or admin.

    Returns:
        None for an admin; otherwise the ids of their unit's subtree (empty without a unit).
    """
    if staff.is_admin:
        return None
    if staff.unit_id is None:
        return []
    return unit_subtree_ids(session, staff.unit_id)


def can_see_unit(staff: Staff, unit: Unit | None) -> bool:
    """Tells whether a staff member may see records of a unit.

    Admins see everything (records without a unit too); a staff member sees a unit when it
    is their own unit or lies below it. Records without a unit are for admins only.

    Args:
        staff: The logged-in staff member or admin.
        unit: The unit a record belongs to, or None when unknown.

    Returns:
        True when the record may be shown.
    """
    if staff.is_admin:
        return True
    if unit is None or staff.unit_id is None:
        return False
    if unit.id == staff.unit_id:
        return True
    return f"/{staff.unit_id}/" in unit.path
