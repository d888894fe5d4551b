"""Reading the conversation log with filters, paging and unit scoping; marking reviewed.

Lives here: the queries behind the review pages. Scoping rule: a staff member sees the
conversations whose unit lies in their unit's subtree; conversations of an unknown unit are
for admins only; anything else is reported as "not found". Must not talk HTTP nor mask text
(callers mask for the viewer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from backend.app.models import HandoffRequest, Staff
from backend.app.models.conversation import Conversation, Message
from backend.app.services.scope import visible_unit_ids

VIETNAM_TZ = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class ConversationFilters:
    """The review list's filters; None means "any"."""

    channel: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    unit_id: int | None = None
    intent: str | None = None
    low_confidence: bool = False
    fallback: bool = False
    handoff_requested: bool = False
    reviewed: bool | None = None


def scope_conversations(query: Select, *, session: Session, staff: Staff) -> Select:  # type: ignore[type-arg]
    """Restricts a query on Conversation to what a staff member may see.

    Args:
        query: A select over Conversation.
        session: An open session.
        staff: The viewer.

    Returns:
        The restricted query (unchanged for admins).
    """
    unit_ids = visible_unit_ids(session, staff)
    if unit_ids is None:
        return query
    if not unit_ids:
        return query.where(false())
    return query.where(Conversation.unit_id.in_(unit_ids))


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=VIETNAM_TZ)


def _apply_filters(query: Select, filters: ConversationFilters, low_threshold: float) -> Select:  # type: ignore[type-arg]
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    if filters.date_from:
        query = query.where(Conversation.last_message_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(Conversation.started_at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.unit_id is not None:
        query = query.where(Conversation.unit_id == filters.unit_id)
    if filters.intent:
        query = query.where(
            exists().where(
                and_(
                    Message.conversation_id == Conversation.id,
                    Message.role == "user",
                    Message.intent == filters.intent,
                )
            )
        )
    if filters.low_confidence:
        query = query.where(Conversation.min_confidence < low_threshold)
    if filters.fallback:
        query = query.where(Conversation.fallback.is_(True))
    if filters.handoff_requested:
        query = query.where(
            or_(
                Conversation.handoff_requested.is_(True),
                exists().where(HandoffRequest.conversation_id == Conversation.sender_id),
            )
        )
    if filters.reviewed is not None:
        query = query.where(Conversation.reviewed.is_(filters.reviewed))
    return query


def list_conversations(
    *,
    session: Session,
    staff: Staff,
    filters: ConversationFilters,
    low_threshold: float,
    skip: int = 0,
    limit: int = 25,
) -> tuple[list[Conversation], int]:
    """Returns one page of the conversations a staff member may see, newest first.

    Args:
        session: An open session.
        staff: The viewer.
        filters: The filters.
        low_threshold: Confidence below which a conversation counts as "low confidence".
        skip: Rows to skip.
        limit: Page size.

    Returns:
        The page and the total count matching.
    """
    query = _apply_filters(
        scope_conversations(select(Conversation), session=session, staff=staff), filters, low_threshold
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).offset(skip).limit(limit)
    ).all()
    return list(page), total


def read_conversation(*, session: Session, staff: Staff, conversation_id: int) -> Conversation | None:
    """Returns a conversation the staff member may see, or None (also when it exists elsewhere).

    Args:
        session: An open session.
        staff: The viewer.
        conversation_id: The id asked for.

    Returns:
        The conversation, or None.
    """
    query = scope_conversations(
        select(Conversation).where(Conversation.id == conversation_id), session=session, staff=staff
    )
    return session.scalars(query).first()


def read_messages(*, session: Session, conversation: Conversation) -> list[Message]:
    """Returns the messages of a conversation in order.

    Args:
        session: An open session.
        conversation: The conversation.

    Returns:
        Its messages by ``seq``.
    """
    return list(
        session.scalars(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq)
        )
    )


def list_channels(*, session: Session) -> list[str]:
    """Returns the channels seen in the log, for the filter select.

    Args:
        session: An open session.

    Returns:
        Channel names, sorted.
    """
    return sorted(session.scalars(select(Conversation.channel).distinct()))


def mark_reviewed(*, conversation: Conversation, reviewed: bool = True) -> None:
    """Sets the reviewed flag (the caller commits and audits).

    Args:
        conversation: The conversation.
        reviewed: The new value.
    """
    conversation.reviewed = reviewed
