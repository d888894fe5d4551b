"""Writing and reading the audit log of admin actions.

Must not talk HTTP and never updates or deletes entries; callers write inside their own
transaction so the action and its entry are stored together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app.models import AuditLog, Staff


def record_audit(
    *,
    session: Session,
    actor: Staff | None,
    action: str,
    target_type: str = "",
    target_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Adds one audit entry to the session (flushed, not committed).

    Args:
        session: An open session inside the caller's transaction.
        actor: The admin (or staff member) who acted; None for the system (CLI, startup).
        action: A dotted name, e.g. ``staff.create``, ``unit.import``, ``review.correct``.
        target_type: What was acted on, e.g. ``staff``, ``unit``, ``message``.
        target_id: Its id.
        detail: JSON-serialisable facts worth keeping (never passwords).

    Returns:
        The new entry.
    """
    entry = AuditLog(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=target_type,
        target_id="" if target_id is None else str(target_id),
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    *,
    session: Session,
    action: str | None = None,
    actor_id: int | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    skip: int = 0,
    limit: int = 50,
) -> tuple[list[AuditLog], int]:
    """Returns audit entries, newest first, with the total count for paging.

    Args:
        session: An open session.
        action: Only entries whose action starts with this (e.g. ``staff``).
        actor_id: Only entries by this staff member.
        date_from: Only entries at or after this time.
        date_to: Only entries before this time.
        skip: Entries to skip.
        limit: Entries to return.

    Returns:
        The entries and the total matching count.
    """
    query = select(AuditLog)
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if date_from is not None:
        query = query.where(AuditLog.created_at >= date_from)
    if date_to is not None:
        query = query.where(AuditLog.created_at < date_to)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(query.order_by(AuditLog.id.desc()).offset(skip).limit(limit))
    return list(rows), total
