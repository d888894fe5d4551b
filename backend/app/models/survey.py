"""Surveys: definitions staff import, one response per worker, answers, ingestion keys.

Lives here: the tables only. A survey keeps its authored definition (``SurveyDefinition``
dumped as JSON) and the compiled JSON the bot and the results code read. A response belongs to
a member (pseudonym, never the platform id) and snapshots the member's unit when it starts.
Answers keep the value as JSON plus ``value_text``, a flat text form the results queries group
and filter on, and repeat their survey's id so those queries scan one index in order. Must
not hold ingestion, result or permission logic (see services/survey_*.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.app.models.base import Base, utcnow

STATUS_DRAFT = "draft"
STATUS_OPEN = "open"
STATUS_CLOSED = "closed"
SURVEY_STATUSES = (STATUS_DRAFT, STATUS_OPEN, STATUS_CLOSED)

RESPONSE_IN_PROGRESS = "in_progress"
RESPONSE_COMPLETED = "completed"
RESPONSE_STATUSES = (RESPONSE_IN_PROGRESS, RESPONSE_COMPLETED)


class Survey(Base):
    """One survey (identified by its slug), with the current version of its definition."""

    __tablename__ = "surveys"
    __table_args__ = (CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DRAFT)
    opens_on: Mapped[date | None] = mapped_column(Date, default=None)
    closes_on: Mapped[date | None] = mapped_column(Date, default=None)
    target_unit_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    compiled: Mapped[dict[str, Any]] = mapped_column(JSON)
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyResponse(Base):
    """One worker's response to one survey; at most one per (survey, member)."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "member_id", name="uq_survey_responses_survey_member"),
        CheckConstraint("status IN ('in_progress', 'completed')", name="status_known"),
        Index("ix_survey_responses_survey_status", "survey_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True, default=None
    )
    survey_version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=RESPONSE_IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyAnswer(Base):
    """The latest answer (highest ``seq``) of a response to one question; null value = skipped."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id", name="uq_survey_answers_response_question"),
        # Covers the results queries: one ordered scan per survey groups by question and value.
        Index(
            "ix_survey_answers_survey_question_value", "survey_id", "question_id", "value_text", "response_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True, default=None)
    value_text: Mapped[str | None] = mapped_column(Text, default=None)
    seq: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyIngestKey(Base):
    """An idempotency key already applied by a survey ingestion endpoint (each applies once)."""

    __tablename__ = "survey_ingest_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
