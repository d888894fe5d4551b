"""Review corrections: "correct this message" and the NLU export download.

The export holds only the viewer's unit subtree (admins: all) and is masked for non-admins.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Response, status
from fastapi.responses import RedirectResponse

from backend.app.api.deps import CsrfProtected, CurrentStaff, SessionDep
from backend.app.core.config import settings
from backend.app.models import Message
from backend.app.services.audit import record_audit
from backend.app.services.conversations import read_conversation
from backend.app.services.review import (
    CorrectionError,
    export_review_set,
    parse_entity_lines,
    save_correction,
)

router = APIRouter(tags=["review"])


@router.post("/admin/conversations/{conversation_id}/messages/{message_id}/correction")
def create_correction(
    conversation_id: int,
    message_id: int,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    intent: Annotated[str, Form(min_length=1, max_length=128)],
    entities: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Stores the right intent and entities of a user message in the review set."""
    back = f"/admin/conversations/{conversation_id}"
    try:
        with session.begin():
            conversation = read_conversation(session=session, staff=staff, conversation_id=conversation_id)
            message = session.get(Message, message_id)
            if conversation is None or message is None or message.conversation_id != conversation.id:
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail="message not found")
            correction = save_correction(
                session=session,
                staff=staff,
                message=message,
                conversation=conversation,
                intent=intent,
                entities=parse_entity_lines(entities),
                domain_path=settings.rasa_domain_path,
            )
            record_audit(
                session=session,
                actor=staff,
                action="review.correct",
                target_type="message",
                target_id=message.id,
                detail={"intent": correction.intent, "entities": [e["entity"] for e in correction.entities]},
            )
    except CorrectionError as error:
        return RedirectResponse(
            f"{back}?error={quote(str(error))}#m{message_id}", status_code=status.HTTP_303_SEE_OTHER
        )
    return RedirectResponse(f"{back}?saved={message_id}#m{message_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/admin/review/export.yml")
def read_review_export(session: SessionDep, staff: CurrentStaff) -> Response:
    """Downloads the review set as Rasa NLU YAML (version 3.1, grouped by intent)."""
    with session.begin():
        text = export_review_set(session=session, staff=staff)
        record_audit(session=session, actor=staff, action="review.export", target_type="review_set")
    return Response(
        text,
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="corrections.yml"'},
    )
