"""Turning Rasa tracker events into conversations and messages, exactly once.

Lives here: ``ingest_event`` (the shared entry point of every event source: the SQL event
broker poller today, a RabbitMQ consumer later), member pseudonyms, and ``ingest_event_rows``
which applies a batch of broker rows and advances the stored cursor in the caller's
transaction. Must not open transactions, sleep or read the broker's database itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app.core.config import settings
from backend.app.models.conversation import Conversation, EventCursor, Message
from backend.app.models.member import Member

FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})
HANDOFF_INTENTS = frozenset({"request_human"})
# Rasa writes intents triggered through its HTTP API as user events with this text prefix.
EXTERNAL_PREFIX = "EXTERNAL: "
OFFICER_REPLY_ACTION = "action_officer_reply"
# While the survey form asks, the worker's messages are survey answers: they reach the backend
# pseudonymously through the survey API and must not sit in the conversation log under the
# sender id. The log keeps that a survey step happened, not what was said.
SURVEY_FORM_ACTIONS = frozenset({"survey_form", "validate_survey_form", "action_ask_survey_answer"})
SURVEY_ACTIONS = SURVEY_FORM_ACTIONS | {"action_survey_finish"}
SURVEY_ANSWER_PLACEHOLDER = "[câu trả lời khảo sát — không lưu trong nhật ký]"
SURVEY_STEP_PLACEHOLDER = "[bước khảo sát — nội dung không lưu trong nhật ký]"


@dataclass(frozen=True)
class EventRow:
    """One row of Rasa's SQL event broker table ``events``."""

    id: int
    sender_id: str | None
    data: str


def derive_pseudonym(channel: str, sender_id: str) -> str:
    """Returns the member pseudonym of a platform id: keyed HMAC-SHA256, hex.

    Args:
        channel: The input channel (``rest``, ``zalo``, ``messenger``).
        sender_id: The platform's id of the worker.

    Returns:
        64 hex characters; the same inputs always give the same pseudonym.
    """
    key = hmac.new(settings.secret_key.encode(), b"member-pseudonym", hashlib.sha256).digest()
    return hmac.new(key, f"{channel}:{sender_id}".encode(), hashlib.sha256).hexdigest()


def _event_time(event: dict[str, Any]) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, UTC)
    return datetime.now(UTC)


def _upsert_member(session: Session, *, channel: str, sender_id: str, seen_at: datetime) -> Member:
    pseudonym = derive_pseudonym(channel, sender_id)
    member = session.scalars(select(Member).where(Member.pseudonym == pseudonym)).first()
    if member is None:
        member = Member(channel=channel, pseudonym=pseudonym)
        session.add(member)
    member.last_inbound_at = seen_at
    session.flush()
    return member


def _current_conversation(session: Session, sender_id: str) -> Conversation | None:
    return session.scalars(
        select(Conversation)
        .where(Conversation.sender_id == sender_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).first()


def _has_messages(session: Session, conversation: Conversation) -> bool:
    return (
        session.scalar(select(Message.id).where(Message.conversation_id == conversation.id).limit(1))
        is not None
    )


def _open_conversation(session: Session, sender_id: str, at: datetime) -> Conversation:
    conversation = Conversation(sender_id=sender_id, started_at=at, last_message_at=at)
    session.add(conversation)
    session.flush()
    return conversation


def append_message(
    session: Session, *, conversation: Conversation, role: str, text: str, at: datetime, **fields: Any
) -> Message:
    """Adds a message at the end of a conversation (next ``seq``) and touches the conversation.

    Args:
        session: An open session inside a transaction.
        conversation: The conversation.
        role: ``user``, ``bot`` or ``officer``.
        text: The message text.
        at: When it was sent.
        **fields: Other Message columns (intent, confidence, entities, action, ...).

    Returns:
        The new message (flushed, so it has an id).
    """
    last_seq = session.scalar(select(func.max(Message.seq)).where(Message.conversation_id == conversation.id))
    message = Message(
        conversation_id=conversation.id,
        seq=(last_seq or 0) + 1,
        role=role,
        text=text,
        created_at=at,
        **fields,
    )
    session.add(message)
    conversation.last_message_at = max(_aware(conversation.last_message_at), at)
    session.flush()
    return message


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ingest_user(
    session: Session, conversation: Conversation, event: dict[str, Any], at: datetime, event_id: int | None
) -> Message | None:
    text = str(event.get("text") or "")
    parse_data = event.get("parse_data") or {}
    if conversation.last_action in SURVEY_FORM_ACTIONS and not text.startswith(EXTERNAL_PREFIX):
        text, parse_data = SURVEY_ANSWER_PLACEHOLDER, {}
    intent = (parse_data.get("intent") or {}).get("name")
    confidence = (parse_data.get("intent") or {}).get("confidence")
    if text.startswith(EXTERNAL_PREFIX):
        # Triggered by the backend (e.g. an officer's reply), not typed by the worker.
        conversation.last_intent = intent
        conversation.last_confidence = None
        return None
    channel = str(event.get("input_channel") or conversation.channel or "unknown")
    if conversation.channel in ("", "unknown"):
        conversation.channel = channel
    member = _upsert_member(session, channel=channel, sender_id=conversation.sender_id, seen_at=at)
    if conversation.member_id is None:
        conversation.member_id = member.id
        conversation.unit_id = member.unit_id
    conversation.last_intent = intent
    conversation.last_confidence = confidence
    conversation.last_action = None
    if isinstance(confidence, (int, float)) and (
        conversation.min_confidence is None or confidence < conversation.min_confidence
    ):
        conversation.min_confidence = float(confidence)
    if intent in FALLBACK_INTENTS:
        conversation.fallback = True
    if intent in HANDOFF_INTENTS:
        conversation.handoff_requested = True
    entities = [
        {key: entity.get(key) for key in ("entity", "value", "start", "end") if key in entity}
        for entity in parse_data.get("entities") or []
        if isinstance(entity, dict)
    ]
    return append_message(
        session,
        conversation=conversation,
        role="user",
        text=text,
        at=at,
        intent=intent,
        confidence=confidence,
        entities=entities,
        rasa_event_id=event_id,
    )


def _ingest_bot(
    session: Session, conversation: Conversation, event: dict[str, Any], at: datetime, event_id: int | None
) -> Message | None:
    if conversation.last_action == OFFICER_REPLY_ACTION:
        return None  # the officer's words are already logged as an officer message
    data = event.get("data") or {}
    buttons = data.get("buttons") or data.get("quick_replies") or None
    text = str(event.get("text") or "")
    if not text and data.get("custom"):
        text = json.dumps(data["custom"], ensure_ascii=False)
    if conversation.last_action in SURVEY_ACTIONS:  # confirmations repeat the worker's answer
        text, buttons = SURVEY_STEP_PLACEHOLDER, None
    return append_message(
        session,
        conversation=conversation,
        role="bot",
        text=text,
        at=at,
        intent=conversation.last_intent,
        confidence=conversation.last_confidence,
        action=conversation.last_action,
        buttons=buttons,
        rasa_event_id=event_id,
    )


def ingest_event(session: Session, event: dict[str, Any], *, event_id: int | None = None) -> Message | None:
    """Applies one Rasa tracker event to the conversation log.

    User and bot events become messages; action events remember which action speaks next;
    ``session_started`` opens a new conversation. Other events are ignored. An event id seen
    before is ignored too, so replaying a source is harmless.

    Args:
        session: An open session inside the caller's transaction.
        event: The event as Rasa publishes it (with ``sender_id``).
        event_id: The source's id of the event (the broker row id), when it has one.

    Returns:
        The message written, or None when the event wrote no message.
    """
    sender_id = event.get("sender_id")
    kind = event.get("event")
    if not sender_id or kind not in ("user", "bot", "action", "session_started"):
        return None
    if event_id is not None and session.scalar(select(Message.id).where(Message.rasa_event_id == event_id)):
        return None
    at = _event_time(event)
    conversation = _current_conversation(session, str(sender_id))
    if kind == "session_started":
        if conversation is None or _has_messages(session, conversation):
            _open_conversation(session, str(sender_id), at)
        return None
    if conversation is None:
        conversation = _open_conversation(session, str(sender_id), at)
    if kind == "action":
        name = event.get("name")
        if name and name != "action_listen":
            conversation.last_action = str(name)[:128]
            if name in FALLBACK_ACTIONS:
                conversation.fallback = True
        return None
    if kind == "user":
        return _ingest_user(session, conversation, event, at, event_id)
    return _ingest_bot(session, conversation, event, at, event_id)


def read_cursor(session: Session, source: str, *, for_update: bool = False) -> EventCursor:
    """Returns the cursor of an event source, creating it at 0 when missing.

    Args:
        session: An open session inside a transaction.
        source: The source's name (e.g. ``rasa_sql_broker``).
        for_update: Lock the row (PostgreSQL) so concurrent pollers take turns.

    Returns:
        The cursor row.
    """
    query = select(EventCursor).where(EventCursor.source == source)
    if for_update:
        query = query.with_for_update()
    cursor = session.scalars(query).first()
    if cursor is None:
        cursor = EventCursor(source=source, last_event_id=0)
        session.add(cursor)
        session.flush()
    return cursor


def ingest_event_rows(session: Session, *, source: str, rows: Iterable[EventRow]) -> int:
    """Ingests broker rows newer than the stored cursor, in id order, and moves the cursor.

    Runs inside the caller's transaction: the messages and the cursor commit together, so a
    crash either keeps both or neither.

    Args:
        session: An open session inside a transaction.
        source: The cursor's name.
        rows: Rows as read from the broker table (any order; older ones are skipped).

    Returns:
        How many rows were applied.
    """
    cursor = read_cursor(session, source, for_update=True)
    applied = 0
    for row in sorted(rows, key=lambda item: item.id):
        if row.id <= cursor.last_event_id:
            continue
        try:
            event = json.loads(row.data)
        except (TypeError, ValueError):
            event = None
        if isinstance(event, dict):
            event.setdefault("sender_id", row.sender_id)
            ingest_event(session, event, event_id=row.id)
        cursor.last_event_id = row.id
        applied += 1
    session.flush()
    return applied


def assign_member_unit(session: Session, *, channel: str, sender_id: str, unit_id: int | None) -> Member:
    """Attaches a worker to a union unit (e.g. from an invitation link) and their conversations.

    Args:
        session: An open session inside a transaction.
        channel: The worker's channel.
        sender_id: The platform id.
        unit_id: The unit, or None to detach.

    Returns:
        The member (created when unknown).
    """
    member = _upsert_member(session, channel=channel, sender_id=sender_id, seen_at=datetime.now(UTC))
    member.unit_id = unit_id
    for conversation in session.scalars(select(Conversation).where(Conversation.sender_id == sender_id)):
        conversation.member_id = member.id
        conversation.unit_id = unit_id
    session.flush()
    return member
