"""Recording handoff requests exactly once.

Must not talk HTTP; routes call it with a session.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import HandoffRequest
from backend.app.schemas.handoff import HandoffCreate


def record_handoff(
    *, session: Session, handoff_create: HandoffCreate, idempotency_key: str
) -> tuple[HandoffRequest, bool]:
    """Stores a handoff request unless one with the same key exists.

    Args:
        session: An open session inside a transaction.
        handoff_create: The request.
        idempotency_key: The caller's key for this request.

    Returns:
        The stored request and whether it was created now.
    """
    existing = session.scalars(
        select(HandoffRequest).where(HandoffRequest.idempotency_key == idempotency_key)
    ).first()
    if existing is not None:
        return existing, False
    handoff = HandoffRequest(idempotency_key=idempotency_key, **handoff_create.model_dump())
    session.add(handoff)
    session.flush()
    return handoff, True
