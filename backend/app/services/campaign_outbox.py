"""The dispatcher's database side of the outbox: claim, record "sending", record outcomes, sweep.

Lives here: every statement a dispatcher runs, each a short transaction of the caller's.
The protocol that keeps "at most one push per member per campaign":
1. ``claim_deliveries``: queued rows of running campaigns become ``claimed`` by one worker
   with a lease. PostgreSQL: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``,
   so several dispatchers take disjoint rows without waiting on each other; SQLite runs one
   dispatcher and the single UPDATE is atomic there.
2. ``mark_sending``: just before the Send API call, claimed rows become ``sending``, only if
   still claimed by this worker (a fencing check: a row whose lease expired and was taken by
   another worker is not sent) and only if the campaign still runs (pause/cancel take effect
   at once). This is committed BEFORE the call.
3. ``record_outcomes``: the platform's answer (sent, failed with its error, queued again
   after a temporary error or a rate limit).
A row in ``sending`` whose worker vanished (killed between 2 and 3) is never sent again:
``sweep_stale_sending`` marks it ``unknown`` ("sent or not, nobody saw the answer") and staff
see it; neither platform offers an idempotency key that would make a resend safe. A
``claimed`` row whose worker vanished was never sent, so ``sweep_expired_claims`` safely puts
it back in the queue. Must not talk HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, exists, or_, select, update
from sqlalchemy.orm import Session

from backend.app.models.campaign import (
    CAMPAIGN_DONE,
    CAMPAIGN_PAUSED,
    CAMPAIGN_RUNNING,
    CAMPAIGN_SCHEDULED,
    DELIVERY_CLAIMED,
    DELIVERY_QUEUED,
    DELIVERY_SENDING,
    DELIVERY_UNKNOWN,
    Campaign,
    CampaignDelivery,
)
from backend.app.services.campaign_rules import REASON_INTERRUPTED

OPEN_STATUSES = (DELIVERY_QUEUED, DELIVERY_CLAIMED, DELIVERY_SENDING)
_TABLE = CampaignDelivery.__table__


@dataclass(frozen=True)
class ClaimedDelivery:
    """A row a worker holds: enough to send without another query."""

    id: int
    campaign_id: int
    channel: str
    recipient_id: str
    attempts: int = 0
    """Send API calls made for this row before this claim."""


@dataclass(frozen=True)
class CampaignMessage:
    """What a campaign says (the same for every member)."""

    campaign_id: int
    text: str
    survey_slug: str | None


@dataclass(frozen=True)
class DeliveryOutcome:
    """How one send ended, as stored on its row.

    Attributes:
        delivery_id: The row.
        status: The new status (sent, failed, queued again, unknown).
        reason: Why (failed/unknown), or None.
        error_code: The platform's error code, if any.
        error_message: The platform's error message, if any (cut to 500 characters).
        platform_message_id: The platform's message id when sent.
        sent_at: When it was sent.
        next_attempt_at: When a queued-again row is due.
        refund_attempt: True when the call does not count as an attempt (rate limit, night).
    """

    delivery_id: int
    status: str
    reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    platform_message_id: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None
    refund_attempt: bool = False


def _running_campaigns() -> Any:  # noqa: ANN401 - a select
    return select(Campaign.id).where(Campaign.status == CAMPAIGN_RUNNING)


def claim_deliveries(
    *, session: Session, channel: str, worker_id: str, limit: int, now: datetime, lease_seconds: float
) -> list[ClaimedDelivery]:
    """Claims up to ``limit`` due queued rows of running campaigns on one channel.

    Args:
        session: An open session inside the caller's (short) transaction.
        channel: ``zalo`` or ``messenger``.
        worker_id: This dispatcher's id.
        limit: At most this many rows.
        now: The current moment (aware UTC).
        lease_seconds: How long the claim holds before another worker may take the rows back.

    Returns:
        The claimed rows, oldest first.
    """
    candidates = (
        select(CampaignDelivery.id)
        .where(
            CampaignDelivery.status == DELIVERY_QUEUED,
            CampaignDelivery.channel == channel,
            CampaignDelivery.next_attempt_at <= now,
            CampaignDelivery.campaign_id.in_(_running_campaigns()),
        )
        .order_by(CampaignDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CampaignDelivery)  # lock outbox rows only, not campaigns
    )
    if session.get_bind().dialect.name == "postgresql":
        # A materialized CTE runs the locking SELECT exactly once. Inside "id IN (SELECT ...)"
        # PostgreSQL may rescan it while updating, and each rescan finds further queued rows:
        # the LIMIT would not hold.
        picked = candidates.cte("picked").prefix_with("MATERIALIZED")
        chosen = CampaignDelivery.id.in_(select(picked.c.id))
    else:
        chosen = CampaignDelivery.id.in_(candidates.scalar_subquery())
    rows = session.execute(
        update(CampaignDelivery)
        .where(chosen, CampaignDelivery.status == DELIVERY_QUEUED)
        .values(
            status=DELIVERY_CLAIMED,
            claimed_by=worker_id,
            claimed_at=now,
            lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .returning(
            CampaignDelivery.id,
            CampaignDelivery.campaign_id,
            CampaignDelivery.channel,
            CampaignDelivery.recipient_id,
            CampaignDelivery.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    claimed = [ClaimedDelivery(row[0], row[1], row[2], row[3] or "", int(row[4])) for row in rows]
    return sorted(claimed, key=lambda row: row.id)


def mark_sending(*, session: Session, delivery_ids: Sequence[int], worker_id: str, now: datetime) -> set[int]:
    """Records "about to send" for claimed rows; rows this worker no longer may send are released.

    Only rows still claimed by this worker, in a campaign still running, become ``sending``.
    The others go back to the queue when this worker still holds them (campaign paused), or
    are left alone (another worker took them after the lease expired; cancelled).

    Args:
        session: An open session inside the caller's transaction (commit before sending!).
        delivery_ids: The rows about to be sent.
        worker_id: This dispatcher's id.
        now: The current moment.

    Returns:
        The ids that may be sent now.
    """
    if not delivery_ids:
        return set()
    allowed = {
        row[0]
        for row in session.execute(
            update(CampaignDelivery)
            .where(
                CampaignDelivery.id.in_(list(delivery_ids)),
                CampaignDelivery.status == DELIVERY_CLAIMED,
                CampaignDelivery.claimed_by == worker_id,
                CampaignDelivery.campaign_id.in_(_running_campaigns()),
            )
            .values(
                status=DELIVERY_SENDING,
                sending_at=now,
                attempts=CampaignDelivery.attempts + 1,
                updated_at=now,
            )
            .returning(CampaignDelivery.id)
            .execution_options(synchronize_session=False)
        )
    }
    refused = [delivery_id for delivery_id in delivery_ids if delivery_id not in allowed]
    if refused:
        release_claims(session=session, delivery_ids=refused, worker_id=worker_id, now=now)
    return allowed


def release_claims(*, session: Session, delivery_ids: Sequence[int], worker_id: str, now: datetime) -> int:
    """Puts rows this worker claimed but will not send back in the queue.

    Args:
        session: An open session inside the caller's transaction.
        delivery_ids: The rows.
        worker_id: This dispatcher's id.
        now: The current moment.

    Returns:
        How many rows went back.
    """
    if not delivery_ids:
        return 0
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(
                CampaignDelivery.id.in_(list(delivery_ids)),
                CampaignDelivery.status == DELIVERY_CLAIMED,
                CampaignDelivery.claimed_by == worker_id,
            )
            .values(status=DELIVERY_QUEUED, claimed_by=None, lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def unmark_sending(*, session: Session, delivery_ids: Sequence[int], worker_id: str, now: datetime) -> int:
    """Puts rows marked "sending" whose call this (live) worker never made back in the queue.

    Used on a graceful stop: the worker knows these calls did not happen.

    Args:
        session: An open session inside the caller's transaction.
        delivery_ids: The rows.
        worker_id: This dispatcher's id.
        now: The current moment.

    Returns:
        How many rows went back.
    """
    if not delivery_ids:
        return 0
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(
                CampaignDelivery.id.in_(list(delivery_ids)),
                CampaignDelivery.status == DELIVERY_SENDING,
                CampaignDelivery.claimed_by == worker_id,
            )
            .values(
                status=DELIVERY_QUEUED,
                claimed_by=None,
                sending_at=None,
                attempts=CampaignDelivery.attempts - 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


_RECORD = (
    update(_TABLE)
    .where(
        _TABLE.c.id == bindparam("b_id"),
        _TABLE.c.claimed_by == bindparam("b_worker"),
        or_(_TABLE.c.status == DELIVERY_SENDING, _TABLE.c.status == DELIVERY_UNKNOWN),  # no IN: executemany
    )
    .values(
        status=bindparam("b_status"),
        reason=bindparam("b_reason", type_=String),
        error_code=bindparam("b_code", type_=String),
        error_message=bindparam("b_message", type_=String),
        platform_message_id=bindparam("b_mid", type_=String),
        sent_at=bindparam("b_sent_at", type_=CampaignDelivery.sent_at.type),
        next_attempt_at=bindparam("b_next", type_=CampaignDelivery.next_attempt_at.type),
        attempts=_TABLE.c.attempts - bindparam("b_refund"),
        claimed_by=bindparam("b_owner", type_=String),
        updated_at=bindparam("b_now", type_=CampaignDelivery.updated_at.type),
    )
)


def record_outcomes(
    *, session: Session, outcomes: Iterable[DeliveryOutcome], worker_id: str, now: datetime
) -> int:
    """Stores the platform's answers (one executemany); a row another process settled is left alone.

    Rows this worker marked ``sending`` are updated, and so are those a sweep meanwhile marked
    ``unknown`` (the answer arrived after all).

    Args:
        session: An open session inside the caller's transaction.
        outcomes: The outcomes.
        worker_id: This dispatcher's id.
        now: The current moment.

    Returns:
        How many outcomes were given.
    """
    params: list[dict[str, Any]] = []
    for outcome in outcomes:
        queued = outcome.status == DELIVERY_QUEUED
        params.append(
            {
                "b_id": outcome.delivery_id,
                "b_worker": worker_id,
                "b_status": outcome.status,
                "b_reason": outcome.reason,
                "b_code": outcome.error_code,
                "b_message": (outcome.error_message or "")[:500] or None,
                "b_mid": outcome.platform_message_id,
                "b_sent_at": outcome.sent_at,
                "b_next": outcome.next_attempt_at or now,
                "b_refund": 1 if outcome.refund_attempt else 0,
                "b_owner": None if queued else worker_id,
                "b_now": now,
            }
        )
    if params:
        session.connection().execute(_RECORD, params)
    return len(params)


def sweep_expired_claims(*, session: Session, now: datetime) -> int:
    """Puts claimed rows whose lease ran out back in the queue (their worker never sent them).

    Args:
        session: An open session inside the caller's transaction.
        now: The current moment.

    Returns:
        How many rows went back.
    """
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(CampaignDelivery.status == DELIVERY_CLAIMED, CampaignDelivery.lease_until < now)
            .values(status=DELIVERY_QUEUED, claimed_by=None, lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def sweep_stale_sending(*, session: Session, now: datetime, stale_seconds: float) -> int:
    """Marks rows left in "sending" longer than any live send takes as ``unknown`` (never resent).

    Args:
        session: An open session inside the caller's transaction.
        now: The current moment.
        stale_seconds: Older "sending" marks than this belong to a worker that died mid-send.

    Returns:
        How many rows became unknown.
    """
    return int(
        session.execute(
            update(CampaignDelivery)
            .where(
                CampaignDelivery.status == DELIVERY_SENDING,
                CampaignDelivery.sending_at < now - timedelta(seconds=stale_seconds),
            )
            .values(status=DELIVERY_UNKNOWN, reason=REASON_INTERRUPTED, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def finish_campaigns(*, session: Session, now: datetime) -> list[int]:
    """Marks running campaigns with nothing left to send (queued, claimed or sending) as done.

    Args:
        session: An open session inside the caller's transaction.
        now: The current moment.

    Returns:
        The ids finished by this call.
    """
    open_rows = exists(
        select(CampaignDelivery.id).where(
            CampaignDelivery.campaign_id == Campaign.id, CampaignDelivery.status.in_(OPEN_STATUSES)
        )
    )
    finished = session.execute(
        update(Campaign)
        .where(Campaign.status == CAMPAIGN_RUNNING, ~open_rows)
        .values(status=CAMPAIGN_DONE, finished_at=now, updated_at=now)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).all()
    return [row[0] for row in finished]


def pause_for_account_problem(
    *, session: Session, campaign_ids: Iterable[int], reason: str, now: datetime
) -> int:
    """Pauses running campaigns because the platform refused the account (token, quota...).

    Args:
        session: An open session inside the caller's transaction.
        campaign_ids: The campaigns whose sends hit the problem.
        reason: The failure reason (shown to staff; resuming sends those rows again).
        now: The current moment.

    Returns:
        How many campaigns were paused.
    """
    ids = sorted(set(campaign_ids))
    if not ids:
        return 0
    return int(
        session.execute(
            update(Campaign)
            .where(Campaign.id.in_(ids), Campaign.status == CAMPAIGN_RUNNING)
            .values(status=CAMPAIGN_PAUSED, status_reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


def read_campaign_messages(*, session: Session, campaign_ids: Iterable[int]) -> dict[int, CampaignMessage]:
    """Reads what campaigns say.

    Args:
        session: An open session.
        campaign_ids: The campaigns.

    Returns:
        Their messages by id.
    """
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Campaign.id, Campaign.message_text, Campaign.survey_slug).where(Campaign.id.in_(ids))
    ).all()
    return {row[0]: CampaignMessage(row[0], row[1], row[2]) for row in rows}


def has_open_work(*, session: Session) -> bool:
    """Tells whether any campaign is scheduled or running (a dispatcher has or will have work).

    Args:
        session: An open session.

    Returns:
        True when a dispatcher should keep running.
    """
    return (
        session.scalar(
            select(Campaign.id).where(Campaign.status.in_([CAMPAIGN_SCHEDULED, CAMPAIGN_RUNNING])).limit(1)
        )
        is not None
    )
