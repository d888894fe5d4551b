"""Union units: create, edit, list the tree, keep the materialised paths right.

Must not talk HTTP nor parse files (services/unit_import.py does); functions take keyword-only
arguments and flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app.models import Staff, Unit
from backend.app.models.unit import LEVEL_CENTRAL, LEVEL_GRASSROOTS
from backend.app.schemas.unit import UnitCreate, UnitUpdate
from backend.app.services.audit import record_audit


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a message for extraction; it is translated where it is shown."""
    return message


LEVEL_NAMES = {
    1: N_("General Confederation of Labour"),
    2: N_("Provincial labour federation or sector union"),
    3: N_("Union directly above grassroots"),
    4: N_("Grassroots union"),
}
UNIT_ERRORS = {
    "duplicate_code": N_("This code is already used by another unit."),
    "unknown_parent": N_("The parent unit does not exist."),
    "cycle": N_("A unit cannot be moved under itself or one of its own units."),
    "bad_level": N_(
        "This level is not possible here: it must be below the parent's level and above its children's."
    ),
}


class UnitError(ValueError):
    """A unit change that cannot be made; ``code`` names the reason for the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class TreeRow:
    """A unit with its depth in the tree, for indented lists."""

    unit: Unit
    depth: int


def get_unit_by_code(*, session: Session, code: str) -> Unit | None:
    """Returns the unit with this code, or None."""
    return session.scalars(select(Unit).where(Unit.code == code)).first()


def recompute_paths(*, session: Session) -> None:
    """Rewrites every unit's materialised path from the parent links (after imports/moves)."""
    units = {unit.id: unit for unit in session.scalars(select(Unit))}

    def path_of(unit_id: int, seen: frozenset[int] = frozenset()) -> str:
        unit = units[unit_id]
        if unit.parent_id is None or unit.parent_id in seen:
            return f"/{unit.id}/"
        return f"{path_of(unit.parent_id, seen | {unit_id})}{unit.id}/"

    for unit in units.values():
        path = path_of(unit.id)
        if unit.path != path:
            unit.path = path
    session.flush()


def _resolve_level(parent: Unit | None, level: int | None) -> int:
    parent_level = parent.level if parent is not None else 0
    resolved = level if level is not None else max(parent_level + 1, LEVEL_CENTRAL)
    if resolved <= parent_level or resolved > LEVEL_GRASSROOTS:
        raise UnitError("bad_level")
    return resolved


def _parent_of(session: Session, parent_id: int | None) -> Unit | None:
    if parent_id is None:
        return None
    parent = session.get(Unit, parent_id)
    if parent is None:
        raise UnitError("unknown_parent")
    return parent


def create_unit(*, session: Session, unit_create: UnitCreate, actor: Staff | None) -> Unit:
    """Creates a unit under its parent (audited as ``unit.create``).

    Args:
        session: An open session inside a transaction.
        unit_create: The new unit.
        actor: The admin; None for scripts and tests.

    Returns:
        The unit with its path set.

    Raises:
        UnitError: ``duplicate_code``, ``unknown_parent`` or ``bad_level``.
    """
    if get_unit_by_code(session=session, code=unit_create.code) is not None:
        raise UnitError("duplicate_code")
    parent = _parent_of(session, unit_create.parent_id)
    unit = Unit(
        code=unit_create.code,
        name=unit_create.name.strip(),
        parent_id=parent.id if parent is not None else None,
        level=_resolve_level(parent, unit_create.level),
        path="",
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent is not None else '/'}{unit.id}/"
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="unit.create",
        target_type="unit",
        target_id=unit.id,
        detail={"code": unit.code, "name": unit.name, "parent_id": unit.parent_id},
    )
    return unit


def update_unit(*, session: Session, unit: Unit, unit_update: UnitUpdate, actor: Staff) -> Unit:
    """Renames, re-codes or moves a unit (audited as ``unit.edit``).

    Args:
        session: An open session inside a transaction.
        unit: The unit.
        unit_update: Its new values.
        actor: The admin.

    Returns:
        The unit.

    Raises:
        UnitError: ``duplicate_code``, ``unknown_parent``, ``cycle`` (moving a unit under
            itself or its own subtree) or ``bad_level`` (a child would not stay below it).
    """
    other = get_unit_by_code(session=session, code=unit_update.code)
    if other is not None and other.id != unit.id:
        raise UnitError("duplicate_code")
    parent = _parent_of(session, unit_update.parent_id)
    if parent is not None and f"/{unit.id}/" in parent.path:
        raise UnitError("cycle")
    level = _resolve_level(parent, unit_update.level if unit_update.level is not None else unit.level)
    lowest_child_level = session.scalar(select(func.min(Unit.level)).where(Unit.parent_id == unit.id))
    if lowest_child_level is not None and lowest_child_level <= level:
        raise UnitError("bad_level")
    before = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id, "level": unit.level}
    unit.code = unit_update.code
    unit.name = unit_update.name.strip()
    unit.parent_id = parent.id if parent is not None else None
    unit.level = level
    session.flush()
    if before["parent_id"] != unit.parent_id:
        recompute_paths(session=session)
    after = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id, "level": unit.level}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    record_audit(
        session=session,
        actor=actor,
        action="unit.edit",
        target_type="unit",
        target_id=unit.id,
        detail=changed,
    )
    return unit


def list_units(*, session: Session, visible_ids: list[int] | None = None) -> list[Unit]:
    """Returns units ordered by code; ``visible_ids`` (from services/scope.py) limits them."""
    query = select(Unit).order_by(Unit.code)
    if visible_ids is not None:
        query = query.where(Unit.id.in_(visible_ids))
    return list(session.scalars(query))


def unit_tree_rows(*, session: Session, visible_ids: list[int] | None = None) -> list[TreeRow]:
    """Returns units depth-first (children under their parent, by name) with their depth.

    Args:
        session: An open session.
        visible_ids: Only these units (None: all).

    Returns:
        The rows in display order; a unit whose parent is hidden starts a new top level.
    """
    units = list_units(session=session, visible_ids=visible_ids)
    present = {unit.id for unit in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        key = unit.parent_id if unit.parent_id in present else None
        children.setdefault(key, []).append(unit)
    rows: list[TreeRow] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent_id, []), key=lambda item: item.name):
            rows.append(TreeRow(unit=unit, depth=depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return rows
