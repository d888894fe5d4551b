"""Who a campaign reaches: the members of some unit subtrees, each classified by the platform rules.

Lives here: one SQL classification of members (reachable, or skipped and why), used twice: by
``preview_audience`` (counts per channel and reason, nothing written) and by ``queue_audience``
(one ``INSERT ... SELECT`` writing the outbox rows: "queued" or "skipped" with the reason).
Works for 80,000 members without loading them into Python. Must not commit nor talk HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from backend.app.models.campaign import DELIVERY_QUEUED, DELIVERY_SKIPPED, CampaignDelivery
from backend.app.models.conversation import Conversation
from backend.app.models.member import Member
from backend.app.models.survey import RESPONSE_COMPLETED, SurveyResponse
from backend.app.models.unit import Unit
from backend.app.services.campaign_rules import (
    CHANNEL_MESSENGER,
    CHANNEL_ZALO,
    MESSENGER_WINDOW,
    PUSH_CHANNELS,
    REASON_CHANNEL_NOT_SELECTED,
    REASON_NO_PLATFORM_ID,
    REASON_NO_PUSH_CHANNEL,
    REASON_OUTSIDE_WINDOW,
    REASON_SURVEY_COMPLETED,
    REASON_UNREACHABLE,
    ZALO_FREE_WINDOW,
    ZALO_WINDOW,
)


@dataclass(frozen=True)
class Audience:
    """What a campaign targets.

    Attributes:
        unit_ids: Roots of the unit subtrees.
        channels: The channels chosen for the push.
        survey_id: The survey (members who completed it are skipped), or None.
    """

    unit_ids: Sequence[int]
    channels: Sequence[str]
    survey_id: int | None = None


@dataclass
class ChannelPreview:
    """Counts for one channel: pushable members (Zalo: free vs billable) and the others by reason."""

    channel: str
    reachable: int = 0
    billable: int = 0
    not_reachable: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every member of the audience on this channel."""
        return self.reachable + sum(self.not_reachable.values())


@dataclass
class AudiencePreview:
    """The preview of a campaign: per channel counts, in a fixed channel order."""

    channels: list[ChannelPreview]

    @property
    def total(self) -> int:
        """Every member of the audience."""
        return sum(channel.total for channel in self.channels)

    @property
    def reachable(self) -> int:
        """Members a push can reach."""
        return sum(channel.reachable for channel in self.channels)


def _subtree_condition(session: Session, unit_ids: Sequence[int]) -> ColumnElement[bool]:
    paths = list(session.scalars(select(Unit.path).where(Unit.id.in_(list(unit_ids)))))
    if not paths:
        return literal(False)
    in_tree = or_(*(Unit.path.startswith(path, autoescape=True) for path in paths))
    return Member.unit_id.in_(select(Unit.id).where(in_tree))


def _classified(session: Session, audience: Audience, now: datetime):  # type: ignore[no-untyped-def]
    """Builds ``SELECT member id, channel, platform id, reason, billable`` for the audience."""
    now = now.astimezone(UTC)  # SQLite compares the stored UTC wall-clock text
    senders = (
        select(Conversation.member_id.label("member_id"), func.max(Conversation.sender_id).label("sender_id"))
        .where(Conversation.member_id.is_not(None))
        .group_by(Conversation.member_id)
        .subquery()
    )
    selected = [channel for channel in audience.channels if channel in PUSH_CHANNELS]
    inside_window = or_(
        and_(Member.channel == CHANNEL_MESSENGER, Member.last_inbound_at >= now - MESSENGER_WINDOW),
        and_(Member.channel == CHANNEL_ZALO, Member.last_inbound_at >= now - ZALO_WINDOW),
    )
    whens: list[tuple[ColumnElement[bool], str]] = [
        (Member.channel.not_in(PUSH_CHANNELS), REASON_NO_PUSH_CHANNEL),
        (Member.channel.not_in(selected) if selected else literal(True), REASON_CHANNEL_NOT_SELECTED),
        (Member.reachable.is_(False), REASON_UNREACHABLE),
    ]
    if audience.survey_id is not None:
        completed = exists(
            select(SurveyResponse.id).where(
                SurveyResponse.survey_id == audience.survey_id,
                SurveyResponse.member_id == Member.id,
                SurveyResponse.status == RESPONSE_COMPLETED,
            )
        )
        whens.append((completed, REASON_SURVEY_COMPLETED))
    whens += [
        (senders.c.sender_id.is_(None), REASON_NO_PLATFORM_ID),
        (Member.last_inbound_at.is_(None), REASON_OUTSIDE_WINDOW),
        (~inside_window, REASON_OUTSIDE_WINDOW),
    ]
    reason = case(*whens, else_=null())
    billable = and_(Member.channel == CHANNEL_ZALO, Member.last_inbound_at < now - ZALO_FREE_WINDOW)
    return (
        select(
            Member.id.label("member_id"),
            Member.channel.label("channel"),
            senders.c.sender_id.label("recipient_id"),
            reason.label("reason"),
            case((billable, 1), else_=0).label("billable"),
        )
        .select_from(Member)
        .outerjoin(senders, senders.c.member_id == Member.id)
        .where(_subtree_condition(session, audience.unit_ids))
    )


def preview_audience(*, session: Session, audience: Audience, now: datetime) -> AudiencePreview:
    """Counts the audience per channel: who a push reaches now and, for the others, why not.

    Args:
        session: An open session.
        audience: Units, channels and survey.
        now: The moment the windows are measured from (aware).

    Returns:
        The preview; push channels first, then other channels members use (web chat).
    """
    rows = _classified(session, audience, now).subquery()
    grouped = session.execute(
        select(rows.c.channel, rows.c.reason, rows.c.billable, func.count()).group_by(
            rows.c.channel, rows.c.reason, rows.c.billable
        )
    ).all()
    by_channel: dict[str, ChannelPreview] = {}
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, reason, billable, count in grouped:
        preview = by_channel.setdefault(channel, ChannelPreview(channel))
        if reason is None:
            preview.reachable += count
            preview.billable += count if billable else 0
        else:
            counts[channel][reason] = counts[channel].get(reason, 0) + count
    for channel, reasons in counts.items():
        by_channel[channel].not_reachable = dict(sorted(reasons.items(), key=lambda item: -item[1]))
    ordered = [by_channel.get(channel) or ChannelPreview(channel) for channel in PUSH_CHANNELS]
    ordered += [preview for channel, preview in sorted(by_channel.items()) if channel not in PUSH_CHANNELS]
    return AudiencePreview(ordered)


def queue_audience(*, session: Session, campaign_id: int, audience: Audience, now: datetime) -> int:
    """Writes the campaign's outbox: one row per member of the audience, in one statement.

    Pushable members are ``queued`` (due now); the others are ``skipped`` with their reason, so
    progress shows everyone. The UNIQUE (campaign, member) constraint makes a second call fail
    instead of queueing anyone twice; callers queue once, when the campaign starts.

    Args:
        session: An open session inside the caller's transaction.
        campaign_id: The campaign.
        audience: Units, channels and survey.
        now: The start moment (aware).

    Returns:
        How many rows were written.
    """
    rows = _classified(session, audience, now).subquery()
    status = case((rows.c.reason.is_(None), literal(DELIVERY_QUEUED)), else_=literal(DELIVERY_SKIPPED))
    source = select(
        literal(campaign_id),
        rows.c.member_id,
        rows.c.channel,
        rows.c.recipient_id,
        status,
        rows.c.reason,
        literal(0),
        literal(now, CampaignDelivery.next_attempt_at.type),
        literal(now, CampaignDelivery.created_at.type),
        literal(now, CampaignDelivery.updated_at.type),
    )
    columns = [
        "campaign_id",
        "member_id",
        "channel",
        "recipient_id",
        "status",
        "reason",
        "attempts",
        "next_attempt_at",
        "created_at",
        "updated_at",
    ]
    result = session.execute(insert(CampaignDelivery).from_select(columns, source))
    return int(result.rowcount or 0)
