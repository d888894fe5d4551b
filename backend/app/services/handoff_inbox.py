"""The handoff inbox: open requests a staff member may see, officer replies, closing.

Lives here: scoping of handoff requests (their unit comes from the worker's Member; unknown
unit → admins only), delivering a reply through the worker's channel, logging it as an
officer message, and the web chat's polling read. Must not commit (callers do, with the audit
entry in the same transaction).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from backend.app.core.config import settings
from backend.app.models import HandoffRequest, Staff
from backend.app.models.conversation import Conversation, Message
from backend.app.models.member import Member
from backend.app.services.event_ingest import append_message, derive_pseudonym
from backend.app.services.rasa_client import send_officer_reply as send_through_rasa
from backend.app.services.scope import visible_unit_ids

# Channels whose replies go through Rasa to the platform; the others (rest = web chat) poll.
PUSH_CHANNELS = frozenset({"zalo", "messenger"})
MAX_REPLY_CHARS = 2000


def _fill_unknown_units(session: Session) -> None:
    pending = session.scalars(
        select(HandoffRequest).where(HandoffRequest.unit_id.is_(None), HandoffRequest.status == "open")
    ).all()
    for handoff in pending:
        pseudonym = derive_pseudonym(handoff.channel, handoff.conversation_id)
        unit_id = session.scalar(select(Member.unit_id).where(Member.pseudonym == pseudonym))
        if unit_id is not None:
            handoff.unit_id = unit_id


def _scoped(query, *, session: Session, staff: Staff):  # type: ignore[no-untyped-def]
    unit_ids = visible_unit_ids(session, staff)
    if unit_ids is None:
        return query
    return query.where(HandoffRequest.unit_id.in_(unit_ids)) if unit_ids else query.where(false())


def list_open_handoffs(*, session: Session, staff: Staff) -> list[HandoffRequest]:
    """Returns the open requests a staff member may see, oldest first.

    Resolves the unit of requests that have none yet from the worker's Member (flushed; the
    caller commits).

    Args:
        session: An open session inside a transaction.
        staff: The viewer.

    Returns:
        The open requests.
    """
    _fill_unknown_units(session)
    session.flush()
    query = select(HandoffRequest).where(HandoffRequest.status == "open").order_by(HandoffRequest.id)
    return list(session.scalars(_scoped(query, session=session, staff=staff)))


def read_handoff(*, session: Session, staff: Staff, handoff_id: int) -> HandoffRequest | None:
    """Returns a request the staff member may see, or None.

    Args:
        session: An open session.
        staff: The viewer.
        handoff_id: The id asked for.

    Returns:
        The request or None.
    """
    query = select(HandoffRequest).where(HandoffRequest.id == handoff_id)
    return session.scalars(_scoped(query, session=session, staff=staff)).first()


def read_thread(*, session: Session, handoff: HandoffRequest, limit: int = 200) -> list[Message]:
    """Returns the worker's conversation so far (every session of this sender), oldest first.

    Args:
        session: An open session.
        handoff: The request.
        limit: At most this many latest messages.

    Returns:
        Messages in order.
    """
    rows = session.scalars(
        select(Message)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.sender_id == handoff.conversation_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def _conversation_for(session: Session, handoff: HandoffRequest) -> Conversation:
    conversation = session.scalars(
        select(Conversation)
        .where(Conversation.sender_id == handoff.conversation_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).first()
    if conversation is None:
        conversation = Conversation(
            sender_id=handoff.conversation_id, channel=handoff.channel, unit_id=handoff.unit_id
        )
        session.add(conversation)
        session.flush()
    conversation.handoff_requested = True
    return conversation


def send_officer_reply(*, session: Session, staff: Staff, handoff: HandoffRequest, text: str) -> Message:
    """Delivers an officer's reply on the worker's channel and logs it as an officer message.

    Zalo and Messenger replies go through Rasa (``action_officer_reply`` executed on the
    worker's channel, see ``rasa_client``); web chat (REST) replies are stored and
    served by ``read_officer_messages``. The request is assigned to the officer.

    Args:
        session: An open session inside a transaction.
        staff: The officer.
        handoff: An open request the officer may see.
        text: The reply.

    Returns:
        The logged message.

    Raises:
        ValueError: When the text is empty/too long or the request is closed.
        RasaDeliveryError: When Rasa could not deliver it (nothing is logged then).
    """
    text = text.strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        raise ValueError("reply must be 1..2000 characters")
    if handoff.status != "open":
        raise ValueError("request is closed")
    if handoff.channel in PUSH_CHANNELS:
        send_through_rasa(
            rasa_url=settings.rasa_url,
            sender_id=handoff.conversation_id,
            text=text,
            output_channel=handoff.channel,
            auth_token=settings.rasa_auth_token,
            timeout_seconds=settings.rasa_reply_timeout_seconds,
        )
    conversation = _conversation_for(session, handoff)
    handoff.assigned_staff_id = staff.id
    return append_message(
        session,
        conversation=conversation,
        role="officer",
        text=text,
        at=datetime.now(UTC),
        author_staff_id=staff.id,
    )


def close_handoff(*, handoff: HandoffRequest, staff: Staff, note: str) -> None:
    """Closes a request with a note (the caller commits and audits).

    Args:
        handoff: The request.
        staff: Who closes it.
        note: Why / how it ended.
    """
    handoff.status = "closed"
    handoff.closed_at = datetime.now(UTC)
    handoff.close_note = note.strip()[:4000]
    if handoff.assigned_staff_id is None:
        handoff.assigned_staff_id = staff.id


def read_officer_messages(
    *, session: Session, sender_id: str, after_id: int, limit: int = 50
) -> list[Message]:
    """Returns officer replies to a web-chat sender newer than ``after_id`` (the chat page polls).

    Args:
        session: An open session.
        sender_id: The web chat's sender id.
        after_id: The last message id the page has.
        limit: At most this many.

    Returns:
        Officer messages, oldest first.
    """
    return list(
        session.scalars(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(
                Conversation.sender_id == sender_id,
                Conversation.channel.not_in(PUSH_CHANNELS),
                Message.role == "officer",
                Message.id > after_id,
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )
