"""Ingestion API for the action server (service token only): handoff requests, for now."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy.exc import IntegrityError

from backend.app.api.deps import IdempotencyKey, ServiceTokenDep, SessionDep
from backend.app.schemas.handoff import HandoffCreate, HandoffPublic
from backend.app.services.handoffs import record_handoff

router = APIRouter(prefix="/api/ingest", tags=["ingest"])


@router.post("/handoffs", status_code=status.HTTP_201_CREATED)
def create_handoff(
    handoff_create: HandoffCreate,
    session: SessionDep,
    _: ServiceTokenDep,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> HandoffPublic:
    """Records a worker's request for a union officer (once per idempotency key)."""
    try:
        with session.begin():
            handoff, created = record_handoff(
                session=session, handoff_create=handoff_create, idempotency_key=idempotency_key
            )
    except IntegrityError:
        with session.begin():
            handoff, created = record_handoff(
                session=session, handoff_create=handoff_create, idempotency_key=idempotency_key
            )
    if not created:
        response.status_code = status.HTTP_200_OK
    return HandoffPublic.model_validate(handoff)
