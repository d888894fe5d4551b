"""Conversation review pages: the filtered list, one conversation, "mark reviewed".

Handlers stay thin: services/conversations.py queries with unit scoping; texts are masked for
non-admins here, at the edge, so no page shows an unmasked number to staff.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from backend.app.api.deps import CsrfProtected, CurrentStaff, SessionDep
from backend.app.core.config import settings
from backend.app.core.i18n import render_page
from backend.app.models import Unit
from backend.app.schemas.conversation import ConversationQuery
from backend.app.services.audit import record_audit
from backend.app.services.conversations import (
    list_channels,
    list_conversations,
    mark_reviewed,
    read_conversation,
    read_messages,
)
from backend.app.services.masking import mask_for_viewer
from backend.app.services.review import corrections_by_message, read_domain_entities, read_domain_intents
from backend.app.services.scope import visible_unit_ids

router = APIRouter(prefix="/admin/conversations", tags=["conversations"])
PAGE_SIZE = 25


def _visible_units(session: SessionDep, staff: CurrentStaff) -> list[Unit]:
    unit_ids = visible_unit_ids(session, staff)
    query = select(Unit).order_by(Unit.path)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids or [-1]))
    return list(session.scalars(query))


@router.get("", response_class=HTMLResponse)
def read_conversations(
    request: Request, session: SessionDep, staff: CurrentStaff, query: Annotated[ConversationQuery, Query()]
) -> HTMLResponse:
    """Lists conversations with filters and paging."""
    page = query.page_number()
    threshold = settings.low_confidence_threshold
    conversations, total = list_conversations(
        session=session,
        staff=staff,
        filters=query.to_filters(),
        low_threshold=threshold,
        skip=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    params = {key: value for key, value in query.model_dump().items() if value and key != "page"}
    return render_page(
        request,
        "conversations/list.html",
        {
            "conversations": conversations,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "params": params,
            "channels": list_channels(session=session),
            "intents": read_domain_intents(settings.rasa_domain_path),
            "units": _visible_units(session, staff),
            "threshold": threshold,
        },
    )


@router.get("/{conversation_id}", response_class=HTMLResponse)
def read_conversation_page(
    request: Request, conversation_id: int, session: SessionDep, staff: CurrentStaff
) -> HTMLResponse:
    """Shows every message of a conversation with its intent and confidence."""
    conversation = read_conversation(session=session, staff=staff, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="conversation not found")
    messages = read_messages(session=session, conversation=conversation)
    corrections = corrections_by_message(session=session, message_ids=[m.id for m in messages])
    shown = [
        {"message": message, "text": mask_for_viewer(message.text, is_admin=staff.is_admin)}
        for message in messages
    ]
    return render_page(
        request,
        "conversations/detail.html",
        {
            "conversation": conversation,
            "messages": shown,
            "corrections": corrections,
            "intents": read_domain_intents(settings.rasa_domain_path),
            "entities": read_domain_entities(settings.rasa_domain_path),
            "threshold": settings.low_confidence_threshold,
            "error": request.query_params.get("error"),
            "saved": request.query_params.get("saved"),
        },
    )


@router.post("/{conversation_id}/reviewed")
def update_conversation_reviewed(
    conversation_id: int,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    reviewed: Annotated[str, Form(max_length=8)] = "1",
) -> RedirectResponse:
    """Marks a conversation reviewed (or not reviewed again)."""
    with session.begin():
        conversation = read_conversation(session=session, staff=staff, conversation_id=conversation_id)
        if conversation is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="conversation not found")
        value = reviewed not in ("0", "false", "")
        mark_reviewed(conversation=conversation, reviewed=value)
        record_audit(
            session=session,
            actor=staff,
            action="conversation.review",
            target_type="conversation",
            target_id=conversation.id,
            detail={"reviewed": value},
        )
    return RedirectResponse(f"/admin/conversations/{conversation_id}", status_code=status.HTTP_303_SEE_OTHER)
