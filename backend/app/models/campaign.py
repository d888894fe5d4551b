"""Push campaigns and their durable outbox (one delivery row per member and campaign).

Lives here: the tables and the status vocabularies only. A campaign pushes a survey invitation
(or an announcement) to the members of some unit subtrees on some channels, now or at a set
time. ``CampaignDelivery`` is the outbox the dispatcher works through: the UNIQUE
(campaign_id, member_id) pair is what makes "one push per member per campaign" hold in the
database itself. ``recipient_id`` is the platform id the Send API needs (copied from the
member's conversation when the campaign starts); survey answers never see it. Must not hold
queries, sending or permission logic (see services/campaign_*.py and workers/dispatcher.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
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

KIND_SURVEY = "survey"
KIND_ANNOUNCEMENT = "announcement"
CAMPAIGN_KINDS = (KIND_SURVEY, KIND_ANNOUNCEMENT)

CAMPAIGN_DRAFT = "draft"
CAMPAIGN_SCHEDULED = "scheduled"
CAMPAIGN_RUNNING = "running"
CAMPAIGN_PAUSED = "paused"
CAMPAIGN_CANCELLED = "cancelled"
CAMPAIGN_DONE = "done"
CAMPAIGN_STATUSES = (
    CAMPAIGN_DRAFT,
    CAMPAIGN_SCHEDULED,
    CAMPAIGN_RUNNING,
    CAMPAIGN_PAUSED,
    CAMPAIGN_CANCELLED,
    CAMPAIGN_DONE,
)

DELIVERY_QUEUED = "queued"
"""Waiting for a dispatcher (``next_attempt_at`` says from when)."""
DELIVERY_CLAIMED = "claimed"
"""Taken by one dispatcher (``claimed_by``) until ``lease_until``; nothing sent yet."""
DELIVERY_SENDING = "sending"
"""Recorded just before the Send API call: from here on the row is never sent again."""
DELIVERY_SENT = "sent"
DELIVERY_DELIVERED = "delivered"
DELIVERY_READ = "read"
DELIVERY_FAILED = "failed"
DELIVERY_SKIPPED = "skipped"
DELIVERY_UNKNOWN = "unknown"
"""A send whose outcome nobody saw (dispatcher killed mid-call, or the connection dropped after
the request left): maybe delivered, never retried automatically (at most one push)."""
DELIVERY_STATUSES = (
    DELIVERY_QUEUED,
    DELIVERY_CLAIMED,
    DELIVERY_SENDING,
    DELIVERY_SENT,
    DELIVERY_DELIVERED,
    DELIVERY_READ,
    DELIVERY_FAILED,
    DELIVERY_SKIPPED,
    DELIVERY_UNKNOWN,
)


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Campaign(Base):
    """One push: what (survey invitation or announcement), to whom (unit subtrees, channels), when."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint(_in_list("status", CAMPAIGN_STATUSES), name="status_known"),
        CheckConstraint(_in_list("kind", CAMPAIGN_KINDS), name="kind_known"),
        Index("ix_campaigns_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=KIND_SURVEY)
    survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("surveys.id", ondelete="SET NULL"), index=True, default=None
    )
    survey_slug: Mapped[str | None] = mapped_column(String(64), default=None)
    message_text: Mapped[str] = mapped_column(Text)
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    status: Mapped[str] = mapped_column(String(16), default=CAMPAIGN_DRAFT)
    status_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class CampaignDelivery(Base):
    """The outbox row of one member in one campaign: its state, attempts and the platform's word."""

    __tablename__ = "campaign_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id", name="uq_campaign_deliveries_campaign_member"),
        CheckConstraint(_in_list("status", DELIVERY_STATUSES), name="status_known"),
        Index("ix_campaign_deliveries_claim", "status", "channel", "next_attempt_at"),
        Index("ix_campaign_deliveries_campaign_status", "campaign_id", "status"),
        Index("ix_campaign_deliveries_platform_message_id", "platform_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str | None] = mapped_column(String(255), default=None)
    status: Mapped[str] = mapped_column(String(16), default=DELIVERY_QUEUED)
    reason: Mapped[str | None] = mapped_column(String(64), default=None)
    error_code: Mapped[str | None] = mapped_column(String(32), default=None)
    error_message: Mapped[str | None] = mapped_column(String(500), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    platform_message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
