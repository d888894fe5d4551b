"""The handoff inbox pages: open requests, one request with the conversation, reply, close.

Every write is audited in the same transaction. Texts are masked for non-admins.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from backend.app.api.deps import CsrfProtected, CurrentStaff, SessionDep
from backend.app.core.config import settings
from backend.app.core.i18n import render_page
from backend.app.services.audit import record_audit
from backend.app.services.handoff_inbox import (
    PUSH_CHANNELS,
    close_handoff,
    list_open_handoffs,
    read_handoff,
    read_thread,
    send_officer_reply,
)
from backend.app.services.masking import mask_for_viewer
from backend.app.services.rasa_client import RasaDeliveryError
from backend.app.workers.event_poller import EventPoller

router = APIRouter(prefix="/admin/handoffs", tags=["handoffs"])


@router.get("", response_class=HTMLResponse)
def read_handoffs(request: Request, session: SessionDep, staff: CurrentStaff) -> HTMLResponse:
    """Lists the open handoff requests the staff member may see."""
    with session.begin():
        handoffs = list_open_handoffs(session=session, staff=staff)
        rows = [
            {"handoff": h, "question": mask_for_viewer(h.question or h.request_text, is_admin=staff.is_admin)}
            for h in handoffs
        ]
    return render_page(request, "handoffs/list.html", {"rows": rows})


@router.get("/{handoff_id}", response_class=HTMLResponse)
def read_handoff_page(
    request: Request, handoff_id: int, session: SessionDep, staff: CurrentStaff
) -> HTMLResponse:
    """Shows a request with the conversation so far, the reply form and the close form."""
    handoff = read_handoff(session=session, staff=staff, handoff_id=handoff_id)
    if handoff is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="handoff not found")
    thread = [
        {"message": m, "text": mask_for_viewer(m.text, is_admin=staff.is_admin)}
        for m in read_thread(session=session, handoff=handoff)
    ]
    return render_page(
        request,
        "handoffs/detail.html",
        {
            "handoff": handoff,
            "question": mask_for_viewer(handoff.question, is_admin=staff.is_admin),
            "request_text": mask_for_viewer(handoff.request_text, is_admin=staff.is_admin),
            "close_note": mask_for_viewer(handoff.close_note, is_admin=staff.is_admin),
            "thread": thread,
            "pushed": handoff.channel in PUSH_CHANNELS,
            "error": request.query_params.get("error"),
            "sent": request.query_params.get("sent"),
        },
    )


def catch_up_conversation_log() -> None:
    """Ingests Rasa events not yet polled, so the reply is logged after the worker's last words."""
    if settings.rasa_events_db:
        poller = EventPoller(settings.rasa_events_db)
        try:
            poller.drain()
        finally:
            poller.close()


@router.post("/{handoff_id}/reply")
def create_handoff_reply(
    handoff_id: int,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    text: Annotated[str, Form(min_length=1, max_length=2000)],
) -> RedirectResponse:
    """Sends an officer's reply to the worker on their channel and logs it."""
    back = f"/admin/handoffs/{handoff_id}"
    catch_up_conversation_log()
    try:
        with session.begin():
            handoff = read_handoff(session=session, staff=staff, handoff_id=handoff_id)
            if handoff is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail="handoff not found")
            message = send_officer_reply(session=session, staff=staff, handoff=handoff, text=text)
            record_audit(
                session=session,
                actor=staff,
                action="handoff.reply",
                target_type="handoff",
                target_id=handoff.id,
                detail={"message_id": message.id, "channel": handoff.channel},
            )
    except RasaDeliveryError as error:
        return RedirectResponse(f"{back}?error={quote(str(error))}", status_code=status.HTTP_303_SEE_OTHER)
    except ValueError as error:
        return RedirectResponse(f"{back}?error={quote(str(error))}", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(f"{back}?sent=1", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/{handoff_id}/close")
def close_handoff_request(
    handoff_id: int,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> RedirectResponse:
    """Closes a request with a note."""
    with session.begin():
        handoff = read_handoff(session=session, staff=staff, handoff_id=handoff_id)
        if handoff is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="handoff not found")
        close_handoff(handoff=handoff, staff=staff, note=note)
        record_audit(
            session=session,
            actor=staff,
            action="handoff.close",
            target_type="handoff",
            target_id=handoff.id,
            detail={"note_chars": len(handoff.close_note)},
        )
    return RedirectResponse("/admin/handoffs", status_code=status.HTTP_303_SEE_OTHER)
