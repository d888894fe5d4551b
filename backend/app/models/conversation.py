"""Conversations, their messages, review corrections and the event-stream cursor.

Lives here: tables only. Filling them from Rasa's events is services/event_ingest.py; reading
them with unit scoping is services/conversations.py. Must not hold query logic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.app.models.base import Base, utcnow


class Conversation(Base):
    """One Rasa session of one worker; flags summarise it for the review filters."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True, default=None
    )
    sender_id: Mapped[str] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True, default="unknown")
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True, default=None
    )
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    min_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    # Running state of the event stream: the last user turn and the last action, so each bot
    # message keeps the intent it answers and the action that produced it.
    last_intent: Mapped[str | None] = mapped_column(String(128), default=None)
    last_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    last_action: Mapped[str | None] = mapped_column(String(128), default=None)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.seq", cascade="all, delete-orphan"
    )


class Message(Base):
    """One message of a conversation: the worker's (user), the bot's, or an officer's."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    entities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    action: Mapped[str | None] = mapped_column(String(128), default=None)
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rasa_event_id: Mapped[int | None] = mapped_column(Integer, unique=True, default=None)
    author_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class ReviewCorrection(Base):
    """A reviewer's verdict on one user message: the right intent and entities."""

    __tablename__ = "review_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(128), index=True)
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True, default=None
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EventCursor(Base):
    """How far an event source has been read (the id of the last row ingested)."""

    __tablename__ = "event_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
