"""Campaign life: create (now or scheduled), start (queue the outbox), pause, resume, cancel, finish.

Lives here: the status transitions and who may see or change a campaign (admins: all; staff:
campaigns whose units all lie in their subtree). Every transition is one conditional UPDATE,
so a staff click and a dispatcher never both win. Callers own the transaction and the audit
entry. Must not talk HTTP nor send anything (workers/dispatcher.py sends).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from backend.app.models.campaign import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_DONE,
    CAMPAIGN_PAUSED,
    CAMPAIGN_RUNNING,
    CAMPAIGN_SCHEDULED,
    DELIVERY_CLAIMED,
    DELIVERY_FAILED,
    DELIVERY_QUEUED,
    DELIVERY_SKIPPED,
    DELIVERY_UNKNOWN,
    KIND_ANNOUNCEMENT,
    KIND_SURVEY,
    Campaign,
    CampaignDelivery,
)
from backend.app.models.staff import Staff
from backend.app.models.survey import STATUS_OPEN, Survey
from backend.app.models.unit import Unit
from backend.app.services.campaign_audience import Audience, queue_audience
from backend.app.services.campaign_rules import (
    MESSAGE_TEXT_LIMIT,
    N_,
    PUSH_CHANNELS,
    REASON_CANCELLED,
    REQUEUE_ON_RESUME,
)
from backend.app.services.scope import visible_unit_ids


class CampaignError(ValueError):
    """A campaign cannot be created or changed; the message is an English msgid (translated)."""


@dataclass(frozen=True)
class CampaignCreate:
    """What staff asked for in the form."""

    title: str
    unit_ids: Sequence[int]
    channels: Sequence[str]
    message_text: str
    survey_slug: str | None = None
    scheduled_at: datetime | None = None


def aware_utc(moment: datetime) -> datetime:
    """Returns a moment as aware UTC (SQLite gives naive UTC datetimes back).

    Args:
        moment: Naive (meaning UTC) or aware.

    Returns:
        The aware UTC moment.
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def audience_of(campaign: Campaign) -> Audience:
    """Returns the audience a campaign targets.

    Args:
        campaign: The campaign.

    Returns:
        Its units, channels and survey.
    """
    return Audience(
        unit_ids=list(campaign.unit_ids), channels=list(campaign.channels), survey_id=campaign.survey_id
    )


def can_see_campaign(*, session: Session, staff: Staff, campaign: Campaign) -> bool:
    """Tells whether a staff member may see and steer a campaign.

    Args:
        session: An open session.
        staff: The logged-in staff member or admin.
        campaign: The campaign.

    Returns:
        True for admins, or when every unit of the campaign lies in the staff member's subtree.
    """
    visible = visible_unit_ids(session, staff)
    if visible is None:
        return True
    return bool(campaign.unit_ids) and set(campaign.unit_ids) <= set(visible)


def list_campaigns(*, session: Session, staff: Staff, limit: int = 100) -> list[Campaign]:
    """Returns the campaigns a staff member may see, newest first.

    Args:
        session: An open session.
        staff: The logged-in staff member or admin.
        limit: At most this many.

    Returns:
        The campaigns.
    """
    campaigns = session.scalars(select(Campaign).order_by(Campaign.id.desc()))
    return [c for c in campaigns if can_see_campaign(session=session, staff=staff, campaign=c)][:limit]


def read_campaign(*, session: Session, staff: Staff, campaign_id: int) -> Campaign | None:
    """Returns a campaign the staff member may see, or None.

    Args:
        session: An open session.
        staff: The logged-in staff member or admin.
        campaign_id: The campaign id.

    Returns:
        The campaign, or None when missing or outside the staff member's units.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not can_see_campaign(session=session, staff=staff, campaign=campaign):
        return None
    return campaign


def check_request(*, session: Session, staff: Staff, request: CampaignCreate) -> Survey | None:
    """Validates a campaign request against the staff member's units and the survey.

    Args:
        session: An open session.
        staff: Who asks.
        request: The form.

    Returns:
        The survey to push, or None for an announcement.

    Raises:
        CampaignError: With an English msgid saying what is wrong.
    """
    if not request.title.strip():
        raise CampaignError(N_("Give the campaign a name."))
    if not request.unit_ids:
        raise CampaignError(N_("Choose at least one unit."))
    found = set(session.scalars(select(Unit.id).where(Unit.id.in_(list(request.unit_ids)))))
    visible = visible_unit_ids(session, staff)
    if found != set(request.unit_ids) or (visible is not None and not found <= set(visible)):
        raise CampaignError(N_("You may only push to your own units."))
    if not request.channels or any(channel not in PUSH_CHANNELS for channel in request.channels):
        raise CampaignError(N_("Choose at least one channel."))
    text = request.message_text.strip()
    if not text or len(text) > MESSAGE_TEXT_LIMIT:
        raise CampaignError(N_("The message must have between 1 and 2,000 characters."))
    if request.survey_slug is None:
        return None
    survey = session.scalars(select(Survey).where(Survey.slug == request.survey_slug)).first()
    if survey is None or survey.status != STATUS_OPEN:
        raise CampaignError(N_("Only an open survey can be pushed."))
    return survey


def create_campaign(
    *, session: Session, staff: Staff | None, request: CampaignCreate, now: datetime
) -> Campaign:
    """Creates a campaign; "now" starts it at once (outbox written), a later time schedules it.

    Args:
        session: An open session inside the caller's transaction.
        staff: The creator (None for tools such as the benchmark).
        request: The validated request (see ``check_request``).
        now: The current moment (aware).

    Returns:
        The campaign, running or scheduled.
    """
    survey = (
        session.scalars(select(Survey).where(Survey.slug == request.survey_slug)).first()
        if request.survey_slug
        else None
    )
    campaign = Campaign(
        title=request.title.strip()[:200],
        kind=KIND_SURVEY if survey is not None else KIND_ANNOUNCEMENT,
        survey_id=survey.id if survey is not None else None,
        survey_slug=survey.slug if survey is not None else None,
        message_text=request.message_text.strip(),
        unit_ids=sorted(set(request.unit_ids)),
        channels=[channel for channel in PUSH_CHANNELS if channel in request.channels],
        scheduled_at=aware_utc(request.scheduled_at) if request.scheduled_at else None,
        status=CAMPAIGN_SCHEDULED,
        created_by_id=staff.id if staff is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    session.flush()
    if campaign.scheduled_at is None or campaign.scheduled_at <= now:
        start_campaign(session=session, campaign_id=campaign.id, now=now)
        session.refresh(campaign)
    return campaign


def start_campaign(*, session: Session, campaign_id: int, now: datetime) -> bool:
    """Starts a scheduled campaign: running, and its outbox written (exactly once).

    The status change is a conditional UPDATE, so two dispatchers promoting the same scheduled
    campaign cannot both queue it.

    Args:
        session: An open session inside the caller's transaction.
        campaign_id: The campaign.
        now: The start moment (aware).

    Returns:
        True when this call started it.
    """
    changed = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CAMPAIGN_SCHEDULED)
        .values(status=CAMPAIGN_RUNNING, started_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    session.refresh(campaign)
    queue_audience(session=session, campaign_id=campaign_id, audience=audience_of(campaign), now=now)
    return True


def start_due_campaigns(*, session: Session, now: datetime) -> list[int]:
    """Starts every scheduled campaign whose time has come.

    Args:
        session: An open session inside the caller's transaction.
        now: The current moment (aware).

    Returns:
        The ids started by this call.
    """
    due = list(
        session.scalars(
            select(Campaign.id).where(
                Campaign.status == CAMPAIGN_SCHEDULED,
                or_(Campaign.scheduled_at.is_(None), Campaign.scheduled_at <= now),
            )
        )
    )
    return [
        campaign_id
        for campaign_id in due
        if start_campaign(session=session, campaign_id=campaign_id, now=now)
    ]


def _set_status(
    session: Session, campaign: Campaign, allowed_from: Sequence[str], status: str, now: datetime
) -> None:
    changed = session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_(list(allowed_from)))
        .values(status=status, status_reason=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise CampaignError(N_("This campaign cannot do that in its current state."))
    session.refresh(campaign)


def pause_campaign(*, session: Session, campaign: Campaign, now: datetime) -> None:
    """Pauses a running (or scheduled) campaign: queued rows wait, claimed ones are released.

    A send already under way finishes; nothing new starts (the dispatcher checks the campaign
    when it records "sending").

    Args:
        session: An open session inside the caller's transaction.
        campaign: The campaign.
        now: The current moment.

    Raises:
        CampaignError: When the campaign is not running or scheduled.
    """
    _set_status(session, campaign, (CAMPAIGN_RUNNING, CAMPAIGN_SCHEDULED), CAMPAIGN_PAUSED, now)


def resume_campaign(*, session: Session, campaign: Campaign, now: datetime) -> int:
    """Resumes a paused campaign; rows the platform refused for the whole account go out again.

    A campaign paused before it ever started goes back to scheduled (or starts when due).

    Args:
        session: An open session inside the caller's transaction.
        campaign: The campaign.
        now: The current moment.

    Returns:
        How many failed rows were queued again (token, quota or account errors).

    Raises:
        CampaignError: When the campaign is not paused.
    """
    if campaign.started_at is None:
        _set_status(session, campaign, (CAMPAIGN_PAUSED,), CAMPAIGN_SCHEDULED, now)
        start_due_campaigns(session=session, now=now)
        return 0
    _set_status(session, campaign, (CAMPAIGN_PAUSED,), CAMPAIGN_RUNNING, now)
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(
                CampaignDelivery.campaign_id == campaign.id,
                CampaignDelivery.status == DELIVERY_FAILED,
                CampaignDelivery.reason.in_(sorted(REQUEUE_ON_RESUME)),
            )
            .values(status=DELIVERY_QUEUED, reason=None, next_attempt_at=now, claimed_by=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def cancel_campaign(*, session: Session, campaign: Campaign, now: datetime) -> int:
    """Cancels a campaign: rows not yet being sent are skipped ("cancelled").

    Args:
        session: An open session inside the caller's transaction.
        campaign: The campaign.
        now: The current moment.

    Returns:
        How many rows were skipped.

    Raises:
        CampaignError: When the campaign is already finished or cancelled.
    """
    _set_status(
        session, campaign, (CAMPAIGN_SCHEDULED, CAMPAIGN_RUNNING, CAMPAIGN_PAUSED), CAMPAIGN_CANCELLED, now
    )
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(finished_at=now)
        .execution_options(synchronize_session=False)
    )
    skipped = session.execute(
        update(CampaignDelivery)
        .where(
            CampaignDelivery.campaign_id == campaign.id,
            CampaignDelivery.status.in_([DELIVERY_QUEUED, DELIVERY_CLAIMED]),
        )
        .values(status=DELIVERY_SKIPPED, reason=REASON_CANCELLED, claimed_by=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(campaign)
    return int(skipped or 0)


def resend_unknown(*, session: Session, campaign: Campaign, now: datetime) -> int:
    """Queues again the rows whose send outcome is unknown: staff accept a possible duplicate.

    The dispatcher never does this by itself (at most one push per member); this is the
    explicit, audited choice of a person who checked that those members did not get it.

    Args:
        session: An open session inside the caller's transaction.
        campaign: The campaign (running or paused).
        now: The current moment.

    Returns:
        How many rows were queued again.

    Raises:
        CampaignError: When the campaign is finished or cancelled.
    """
    if campaign.status not in (CAMPAIGN_RUNNING, CAMPAIGN_PAUSED, CAMPAIGN_DONE):
        raise CampaignError(N_("This campaign cannot do that in its current state."))
    requeued = session.execute(
        update(CampaignDelivery)
        .where(CampaignDelivery.campaign_id == campaign.id, CampaignDelivery.status == DELIVERY_UNKNOWN)
        .values(status=DELIVERY_QUEUED, reason=None, next_attempt_at=now, claimed_by=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if requeued and campaign.status == CAMPAIGN_DONE:
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(status=CAMPAIGN_RUNNING, finished_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    session.refresh(campaign)
    return int(requeued or 0)
