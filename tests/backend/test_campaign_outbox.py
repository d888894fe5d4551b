"""The outbox protocol in the database: claims hold their limit and never overlap, "sending" is
fenced by the claim and the campaign's state, stale sends become unknown, never queued again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.app.core.config import settings
from backend.app.core.db import SessionLocal, session_scope
from backend.app.models.campaign import Campaign
from backend.app.services.campaign_lifecycle import pause_campaign
from backend.app.services.campaign_outbox import (
    DeliveryOutcome,
    claim_deliveries,
    mark_sending,
    record_outcomes,
    sweep_expired_claims,
    sweep_stale_sending,
)
from tests.backend.campaign_world import add_member, add_survey, delivery_rows, start_campaign_now
from tests.backend.factories import create_unit_tree


def _campaign(members: int = 10) -> int:
    tree = create_unit_tree()
    add_survey()
    for index in range(members):
        add_member("messenger", f"p{index}", tree.grassroots_a, hours_ago=1)
    return start_campaign_now([tree.province_a], channels=("messenger",))


def _claim(worker: str, limit: int, now: datetime | None = None, lease: float = 60.0) -> list[int]:
    with session_scope() as session:
        rows = claim_deliveries(
            session=session,
            channel="messenger",
            worker_id=worker,
            limit=limit,
            now=now or datetime.now(UTC),
            lease_seconds=lease,
        )
        return [row.id for row in rows]


def test_campaign_outbox_claims_respect_limit_and_never_overlap() -> None:
    campaign_id = _campaign(10)
    first = _claim("A", 3)
    if settings.is_sqlite:  # one writer at a time: claims are simply serialised
        held, other = _claim("B", 3), _claim("C", 3)
    else:  # a worker claims while another one's claim is still uncommitted: SKIP LOCKED
        with SessionLocal() as open_session, open_session.begin():
            held = [
                row.id
                for row in claim_deliveries(
                    session=open_session,
                    channel="messenger",
                    worker_id="B",
                    limit=3,
                    now=datetime.now(UTC),
                    lease_seconds=60,
                )
            ]
            other = _claim("C", 3)
    assert len(first) == len(held) == len(other) == 3
    assert len(set(first) | set(held) | set(other)) == 9
    statuses = [row.status for row in delivery_rows(campaign_id)]
    assert statuses.count("claimed") == 9 and statuses.count("queued") == 1
    assert _claim("A", 0 + 5) and _claim("A", 5) == []


def test_campaign_outbox_sending_is_fenced_by_claim_and_campaign() -> None:
    campaign_id = _campaign(4)
    stolen = _claim("A", 2, lease=1.0)
    later = datetime.now(UTC) + timedelta(minutes=1)  # A's lease ran out
    with session_scope() as session:
        assert sweep_expired_claims(session=session, now=later) == 2
    assert sorted(_claim("B", 2, now=later)) == sorted(stolen)
    with session_scope() as session:  # A wakes up: it must not send rows B now holds
        assert (
            mark_sending(session=session, delivery_ids=stolen, worker_id="A", now=datetime.now(UTC)) == set()
        )
    held = _claim("A", 2)
    with session_scope() as session:
        pause_campaign(session=session, campaign=session.get(Campaign, campaign_id), now=datetime.now(UTC))
    with session_scope() as session:  # paused: nothing starts, A's claims go back to the queue
        assert mark_sending(session=session, delivery_ids=held, worker_id="A", now=datetime.now(UTC)) == set()
    by_id = {row.id: row for row in delivery_rows(campaign_id)}
    assert {by_id[i].status for i in held} == {"queued"}
    assert {by_id[i].claimed_by for i in stolen} == {"B"}


def test_campaign_outbox_stale_sending_becomes_unknown_and_is_never_requeued() -> None:
    campaign_id = _campaign(2)
    ids = _claim("A", 2)
    with session_scope() as session:
        assert mark_sending(session=session, delivery_ids=ids, worker_id="A", now=datetime.now(UTC)) == set(
            ids
        )
    later = datetime.now(UTC) + timedelta(minutes=10)
    with session_scope() as session:  # A died mid-send
        assert sweep_stale_sending(session=session, now=later, stale_seconds=120) == 2
        assert sweep_expired_claims(session=session, now=later + timedelta(hours=1)) == 0
    assert {row.status for row in delivery_rows(campaign_id)} == {"unknown"}
    assert _claim("B", 10, now=later) == []
    with session_scope() as session:  # A's answer arrives after all: it is kept
        record_outcomes(
            session=session,
            outcomes=[DeliveryOutcome(ids[0], "sent", platform_message_id="m_1", sent_at=later)],
            worker_id="A",
            now=later,
        )
        record_outcomes(  # a stranger cannot settle rows it never sent
            session=session, outcomes=[DeliveryOutcome(ids[1], "sent")], worker_id="B", now=later
        )
    statuses = {row.id: row.status for row in delivery_rows(campaign_id)}
    assert statuses == {ids[0]: "sent", ids[1]: "unknown"}
