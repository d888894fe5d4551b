"""Campaign progress for staff: outbox counts by status, channel and reason, and survey uptake.

Lives here: ``read_progress`` (grouped counts, one query, plus survey responses started and
completed by the members the push reached, from S2's survey_responses table) and
``record_receipts`` (delivery and read receipts the platforms report, forwarded by the bot's
channels). Counts only: never lists who answered. Must not talk HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.app.models.campaign import (
    DELIVERY_CLAIMED,
    DELIVERY_DELIVERED,
    DELIVERY_FAILED,
    DELIVERY_QUEUED,
    DELIVERY_READ,
    DELIVERY_SENDING,
    DELIVERY_SENT,
    DELIVERY_SKIPPED,
    DELIVERY_UNKNOWN,
    Campaign,
    CampaignDelivery,
)
from backend.app.models.survey import RESPONSE_COMPLETED, SurveyResponse
from backend.app.services.campaign_rules import PUSH_CHANNELS

REACHED_STATUSES = (DELIVERY_SENT, DELIVERY_DELIVERED, DELIVERY_READ)
SHOWN_STATUSES = (
    DELIVERY_QUEUED,
    DELIVERY_SENDING,
    DELIVERY_SENT,
    DELIVERY_DELIVERED,
    DELIVERY_READ,
    DELIVERY_FAILED,
    DELIVERY_UNKNOWN,
    DELIVERY_SKIPPED,
)


@dataclass
class CampaignProgress:
    """Where a campaign stands.

    Attributes:
        total: Rows (members of the audience).
        by_status: Rows per shown status ("queued" includes rows claimed by a dispatcher).
        by_channel: The same per channel.
        reasons: Per status (failed, skipped, unknown), rows per reason.
        survey_started: Responses (any state) of members the push reached; None for announcements.
        survey_completed: Completed responses among them; None for announcements.
    """

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    survey_started: int | None = None
    survey_completed: int | None = None

    def count(self, status: str) -> int:
        """Rows in a status."""
        return self.by_status.get(status, 0)

    @property
    def pushable(self) -> int:
        """Rows meant to be sent (everything but skipped)."""
        return self.total - self.count(DELIVERY_SKIPPED)

    @property
    def reached(self) -> int:
        """Rows the platform accepted (sent, delivered or read)."""
        return sum(self.count(status) for status in REACHED_STATUSES)

    @property
    def pending(self) -> int:
        """Rows still waiting or being sent."""
        return self.count(DELIVERY_QUEUED) + self.count(DELIVERY_SENDING)

    @property
    def percent_done(self) -> int:
        """Share of pushable rows settled (sent, failed or unknown), in whole percent."""
        if self.pushable == 0:
            return 100
        return int(100 * (self.pushable - self.pending) / self.pushable)


def _shown(status: str) -> str:
    return DELIVERY_QUEUED if status == DELIVERY_CLAIMED else status


def read_progress(*, session: Session, campaign: Campaign) -> CampaignProgress:
    """Counts a campaign's outbox and, for a survey, the responses of the members it reached.

    Args:
        session: An open session.
        campaign: The campaign.

    Returns:
        The progress.
    """
    progress = CampaignProgress()
    rows = session.execute(
        select(CampaignDelivery.channel, CampaignDelivery.status, CampaignDelivery.reason, func.count())
        .where(CampaignDelivery.campaign_id == campaign.id)
        .group_by(CampaignDelivery.channel, CampaignDelivery.status, CampaignDelivery.reason)
    ).all()
    for channel, status, reason, count in rows:
        shown = _shown(status)
        progress.total += count
        progress.by_status[shown] = progress.by_status.get(shown, 0) + count
        per_channel = progress.by_channel.setdefault(channel, {})
        per_channel[shown] = per_channel.get(shown, 0) + count
        if reason and shown in (DELIVERY_FAILED, DELIVERY_SKIPPED, DELIVERY_UNKNOWN):
            per_reason = progress.reasons.setdefault(shown, {})
            per_reason[reason] = per_reason.get(reason, 0) + count
    order = {channel: position for position, channel in enumerate(PUSH_CHANNELS)}
    progress.by_channel = dict(
        sorted(progress.by_channel.items(), key=lambda item: (order.get(item[0], 9), item[0]))
    )
    for status, per_reason in progress.reasons.items():
        progress.reasons[status] = dict(sorted(per_reason.items(), key=lambda item: -item[1]))
    if campaign.survey_id is not None:
        reached = select(CampaignDelivery.member_id).where(
            CampaignDelivery.campaign_id == campaign.id,
            CampaignDelivery.status.in_([*REACHED_STATUSES, DELIVERY_UNKNOWN]),
        )
        responses = session.execute(
            select(SurveyResponse.status, func.count())
            .where(SurveyResponse.survey_id == campaign.survey_id, SurveyResponse.member_id.in_(reached))
            .group_by(SurveyResponse.status)
        ).all()
        counts = {status: count for status, count in responses}
        progress.survey_started = sum(counts.values())
        progress.survey_completed = counts.get(RESPONSE_COMPLETED, 0)
    return progress


def record_receipts(
    *,
    session: Session,
    channel: str,
    kind: str,
    message_ids: Sequence[str] = (),
    recipient_id: str | None = None,
    watermark: datetime | None = None,
) -> int:
    """Marks pushes delivered or read, as the platform reported.

    Zalo and Messenger delivery receipts name message ids; Messenger read receipts give a
    watermark instead (every message to that user sent before it was read). A status only
    moves forward (sent → delivered → read).

    Args:
        session: An open session inside the caller's transaction.
        channel: ``zalo`` or ``messenger``.
        kind: ``delivered`` or ``read``.
        message_ids: Platform message ids.
        recipient_id: The user, for a watermark receipt.
        watermark: Messages sent up to this moment are covered.

    Returns:
        How many rows changed.

    Raises:
        ValueError: For an unknown kind or a receipt naming neither ids nor a watermark.
    """
    if kind not in (DELIVERY_DELIVERED, DELIVERY_READ):
        raise ValueError(f"unknown receipt kind {kind!r}")
    now = datetime.now(UTC)
    earlier = [DELIVERY_SENT] if kind == DELIVERY_DELIVERED else [DELIVERY_SENT, DELIVERY_DELIVERED]
    stamp = {"delivered_at": now} if kind == DELIVERY_DELIVERED else {"read_at": now}
    conditions = [CampaignDelivery.channel == channel, CampaignDelivery.status.in_(earlier)]
    if message_ids:
        conditions.append(CampaignDelivery.platform_message_id.in_(list(message_ids)))
    elif recipient_id and watermark is not None:
        conditions += [CampaignDelivery.recipient_id == recipient_id, CampaignDelivery.sent_at <= watermark]
    else:
        raise ValueError("a receipt needs message ids, or a recipient and a watermark")
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(*conditions)
            .values(status=kind, updated_at=now, **stamp)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )
