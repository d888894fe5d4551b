"""The dispatcher against the simulated platforms (real HTTP on loopback, real database).

A campaign reaches exactly the reachable members once; members the platform refuses are
reported with the platform's error, not retried; rate limits slow it down instead of failing
members; pause/resume/cancel, quiet hours, token errors, temporary errors, receipts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.app.core.db import session_scope
from backend.app.models.campaign import Campaign
from backend.app.services.campaign_lifecycle import (
    CampaignCreate,
    cancel_campaign,
    create_campaign,
    pause_campaign,
    resume_campaign,
)
from backend.app.services.campaign_pacing import PlatformLimit
from backend.app.services.campaign_progress import read_progress
from backend.app.services.campaign_rules import parse_quiet_hours
from tests.backend.campaign_world import (
    DispatcherThread,
    Platforms,
    add_member,
    add_survey,
    delivery_rows,
    dispatcher_config,
    member_on_platform,
    run_until_idle,
    running_platforms,
    start_campaign_now,
    wait_for,
)
from tests.backend.factories import create_unit_tree


@pytest.fixture()
def platforms() -> Iterator[Platforms]:
    """Both simulated platforms on loopback, fresh for each test."""
    yield from running_platforms()


def _statuses(campaign_id: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in delivery_rows(campaign_id):
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def _campaign(campaign_id: int) -> Campaign:
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign


def test_campaign_dispatch_reaches_exactly_the_reachable_members_once(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    reachable = {}
    for index in range(12):
        reachable[f"z{index}"] = "zalo"
        member_on_platform(platforms, "zalo", f"z{index}", tree.grassroots_a, hours_ago=1 + index)
        reachable[f"p{index}"] = "messenger"
        member_on_platform(platforms, "messenger", f"p{index}", tree.district_a, hours_ago=1)
    member_on_platform(platforms, "messenger", "p-old", tree.grassroots_a, hours_ago=30)
    member_on_platform(platforms, "zalo", "z-old", tree.grassroots_a, hours_ago=24 * 9)
    member_on_platform(platforms, "messenger", "p-elsewhere", tree.grassroots_b, hours_ago=1)
    add_member("rest", "web-1", tree.grassroots_a)
    campaign_id = start_campaign_now([tree.province_a])

    stats = run_until_idle(dispatcher_config(platforms))

    assert stats.sent == 24 and stats.failed == 0
    for sender, channel in reachable.items():
        assert platforms.received(channel, sender) == 1, sender
    for sender, channel in (("p-old", "messenger"), ("z-old", "zalo"), ("p-elsewhere", "messenger")):
        assert platforms.received(channel, sender) == 0
    assert platforms.zalo.duplicates() == {} and platforms.messenger.duplicates() == {}
    zalo_message = platforms.zalo.received("z0")[0]["message"]
    assert (
        zalo_message["attachment"]["payload"]["buttons"][0]["payload"]
        == '/start{"ref": "ks.khao_sat_dau_nam"}'
    )
    messenger_entry = platforms.messenger.received("p0")[0]
    assert messenger_entry["messaging_type"] == "UPDATE" and messenger_entry["tag"] is None
    assert messenger_entry["message"]["quick_replies"][0]["title"] == "Bắt đầu khảo sát"
    rows = delivery_rows(campaign_id)
    assert all(row.platform_message_id for row in rows if row.status == "sent")
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "done"
        progress = read_progress(session=session, campaign=campaign)
    assert progress.count("sent") == 24
    assert progress.reasons["skipped"] == {"outside_window": 2, "no_push_channel": 1}


def test_campaign_dispatch_platform_refusals_are_reported_not_resent(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "messenger", "p-ok", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "messenger", "p-closed", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "messenger", "p-blocked", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "zalo", "z-unfollowed", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "zalo", "z-restricted", tree.grassroots_a, hours_ago=1)
    campaign_id = start_campaign_now([tree.province_a])
    # Between the preview and the send, the platform's view changed:
    platforms.messenger.set_last_message("p-closed", hours_ago=25)  # window closed meanwhile
    platforms.messenger.block_page("p-blocked")
    platforms.zalo.register_users(["z-unfollowed"], followed=False)
    platforms.zalo.restrict_user("z-restricted")

    stats = run_until_idle(dispatcher_config(platforms))

    assert stats.sent == 1 and stats.failed == 4
    by_recipient = {row.recipient_id: row for row in delivery_rows(campaign_id)}
    assert by_recipient["p-ok"].status == "sent"
    assert (by_recipient["p-closed"].status, by_recipient["p-closed"].reason) == ("failed", "outside_window")
    assert by_recipient["p-closed"].error_code == "10/2018278"
    assert (by_recipient["p-blocked"].reason, by_recipient["p-blocked"].error_code) == ("blocked", "551")
    assert (by_recipient["z-unfollowed"].reason, by_recipient["z-unfollowed"].error_code) == (
        "blocked",
        "-213",
    )
    assert by_recipient["z-restricted"].error_code == "-244"
    for sender in ("p-closed", "p-blocked"):
        assert len(platforms.messenger.api_calls(sender)) == 1  # a permanent refusal is not retried
    assert platforms.received("messenger", "p-closed") == 0


def test_campaign_dispatch_rate_limit_slows_down_instead_of_failing(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    for index in range(90):
        member_on_platform(platforms, "messenger", f"p{index}", tree.grassroots_a, hours_ago=1)
    platforms.messenger.set_rate_limit(20)  # the page allows 20/s; the dispatcher believes 300/s
    campaign_id = start_campaign_now([tree.province_a], channels=("messenger",))

    thread = DispatcherThread(dispatcher_config(platforms, rate_limit_pause_seconds=0.5)).start(
        exit_when_idle=True
    )
    stats = thread.join(120)

    assert platforms.messenger.calls_with_error(613) >= 1
    assert stats.rate_limited >= 1 and stats.failed == 0
    assert thread.dispatcher.limiters["messenger"].slow_downs >= 1
    assert thread.dispatcher.limiters["messenger"].rate < 300 * 0.95
    assert _statuses(campaign_id) == {"sent": 90}
    assert platforms.messenger.duplicates() == {}
    assert len(platforms.messenger.delivery_counts()) == 90


def test_campaign_dispatch_temporary_errors_are_retried_with_backoff(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "zalo", "z1", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "zalo", "z2", tree.grassroots_a, hours_ago=1)
    platforms.zalo.fail_next(3, 503)
    campaign_id = start_campaign_now([tree.province_a], channels=("zalo",))

    stats = run_until_idle(dispatcher_config(platforms))

    assert stats.retried == 3 and stats.sent == 2
    rows = delivery_rows(campaign_id)
    assert {row.status for row in rows} == {"sent"}
    assert sum(row.attempts for row in rows) == 5
    assert platforms.zalo.duplicates() == {}


def test_campaign_dispatch_gives_up_after_max_attempts(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "messenger", "p1", tree.grassroots_a, hours_ago=1)
    platforms.messenger.fail_next(10, 500)
    campaign_id = start_campaign_now([tree.province_a], channels=("messenger",))

    run_until_idle(dispatcher_config(platforms, max_attempts=3))

    (row,) = delivery_rows(campaign_id)
    assert (row.status, row.reason, row.attempts) == ("failed", "temporary_error", 3)


def test_campaign_dispatch_pause_resume_cancel(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    for index in range(40):
        member_on_platform(platforms, "zalo", f"z{index}", tree.grassroots_a, hours_ago=1)
    campaign_id = start_campaign_now([tree.province_a], channels=("zalo",))
    # 600/min = 9.5/s at 95 %: 40 members take about four seconds.
    limits = {"zalo": PlatformLimit(600, 60.0), "messenger": PlatformLimit(300, 1.0)}
    thread = DispatcherThread(dispatcher_config(platforms, limits=limits)).start()
    try:
        wait_for(lambda: len(platforms.zalo.delivery_counts()) >= 3, what="first sends")
        with session_scope() as session:
            pause_campaign(
                session=session, campaign=session.get(Campaign, campaign_id), now=datetime.now(UTC)
            )
        time.sleep(0.5)  # sends already under way finish
        paused_count = len(platforms.zalo.delivery_counts())
        time.sleep(1.0)
        assert len(platforms.zalo.delivery_counts()) == paused_count < 40
        assert _campaign(campaign_id).status == "paused"

        with session_scope() as session:
            resume_campaign(
                session=session, campaign=session.get(Campaign, campaign_id), now=datetime.now(UTC)
            )
        wait_for(lambda: len(platforms.zalo.delivery_counts()) >= paused_count + 3, what="sends after resume")
        with session_scope() as session:
            skipped = cancel_campaign(
                session=session, campaign=session.get(Campaign, campaign_id), now=datetime.now(UTC)
            )
        time.sleep(0.5)
        sent = len(platforms.zalo.delivery_counts())
        time.sleep(1.0)
        assert len(platforms.zalo.delivery_counts()) == sent < 40
    finally:
        thread.stop()
    statuses = _statuses(campaign_id)
    assert statuses.get("queued", 0) == statuses.get("claimed", 0) == statuses.get("sending", 0) == 0
    assert statuses["sent"] == sent and statuses["skipped"] == 40 - sent >= skipped > 0
    assert platforms.zalo.duplicates() == {}
    assert _campaign(campaign_id).status == "cancelled"


def test_campaign_dispatch_quiet_hours_make_rows_wait(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "zalo", "z1", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "messenger", "p1", tree.grassroots_a, hours_ago=1)
    campaign_id = start_campaign_now([tree.province_a])
    always_quiet = parse_quiet_hours("00:00-23:59")
    thread = DispatcherThread(
        dispatcher_config(platforms, quiet_hours={"zalo": always_quiet, "messenger": None})
    )
    thread.start()
    try:
        wait_for(lambda: platforms.received("messenger", "p1") == 1, what="the messenger send")
        time.sleep(0.5)
        assert platforms.received("zalo", "z1") == 0  # Zalo is in its quiet hours: the row waits
        assert _statuses(campaign_id) == {"sent": 1, "queued": 1}
    finally:
        thread.stop()
    run_until_idle(dispatcher_config(platforms))  # morning came
    assert platforms.received("zalo", "z1") == 1


def test_campaign_dispatch_scheduled_campaign_starts_on_time(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "messenger", "p1", tree.grassroots_a, hours_ago=1)
    with session_scope() as session:
        campaign = create_campaign(
            session=session,
            staff=None,
            request=CampaignCreate(
                title="Hẹn giờ",
                unit_ids=[tree.province_a],
                channels=["messenger"],
                message_text="Dạ, mời anh/chị ạ.",
                survey_slug="khao_sat_dau_nam",
                scheduled_at=datetime.now(UTC) + timedelta(seconds=1.5),
            ),
            now=datetime.now(UTC),
        )
        campaign_id = campaign.id
        assert campaign.status == "scheduled"
    assert delivery_rows(campaign_id) == []
    run_until_idle(dispatcher_config(platforms))
    assert platforms.received("messenger", "p1") == 1
    assert _campaign(campaign_id).status == "done"


def test_campaign_dispatch_token_error_pauses_and_resume_sends_again(platforms: Platforms) -> None:
    tree = create_unit_tree()
    add_survey()
    for index in range(3):
        member_on_platform(platforms, "messenger", f"p{index}", tree.grassroots_a, hours_ago=1)
    platforms.messenger.revoke_page_token()
    campaign_id = start_campaign_now([tree.province_a], channels=("messenger",))

    run_until_idle(dispatcher_config(platforms))

    campaign = _campaign(campaign_id)
    assert (campaign.status, campaign.status_reason) == ("paused", "token")
    assert {row.reason for row in delivery_rows(campaign_id) if row.status == "failed"} == {"token"}
    with platforms.messenger.lock:
        platforms.messenger.token_valid = True  # the operator issued a new page token
    with session_scope() as session:
        requeued = resume_campaign(
            session=session, campaign=session.get(Campaign, campaign_id), now=datetime.now(UTC)
        )
    assert requeued >= 1
    run_until_idle(dispatcher_config(platforms))
    assert _statuses(campaign_id) == {"sent": 3}
    assert platforms.messenger.duplicates() == {}


def test_campaign_dispatch_zalo_token_is_taken_from_the_bot_state(platforms: Platforms, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "zalo", "z1", tree.grassroots_a, hours_ago=1)
    fresh, _ = platforms.zalo.issue_tokens()
    platforms.zalo.expire_access_tokens()  # the configured token is stale...
    fresh, _ = platforms.zalo.issue_tokens()  # ...the bot refreshed and stored a new pair
    state_db = tmp_path / "channel_state.sqlite3"
    with sqlite3.connect(state_db) as connection:
        connection.execute(
            "CREATE TABLE oauth_tokens (platform TEXT PRIMARY KEY, access_token TEXT, refresh_token TEXT,"
            " expires_at REAL, seed_fingerprint TEXT, updated_at REAL)"
        )
        connection.execute("INSERT INTO oauth_tokens VALUES ('zalo', ?, 'r', NULL, 'f', 0)", (fresh,))
    start_campaign_now([tree.province_a], channels=("zalo",))
    run_until_idle(dispatcher_config(platforms, channel_state_db=str(state_db)))
    assert platforms.received("zalo", "z1") == 1


def test_campaign_dispatch_receipts_move_status_forward(
    platforms: Platforms, client: TestClient, service_headers: dict[str, str]
) -> None:
    tree = create_unit_tree()
    add_survey()
    member_on_platform(platforms, "zalo", "z1", tree.grassroots_a, hours_ago=1)
    member_on_platform(platforms, "messenger", "p1", tree.grassroots_a, hours_ago=1)
    campaign_id = start_campaign_now([tree.province_a])
    run_until_idle(dispatcher_config(platforms))
    rows = {row.recipient_id: row for row in delivery_rows(campaign_id)}
    zalo_mid = rows["z1"].platform_message_id
    body = {"channel": "zalo", "kind": "delivered", "message_ids": [zalo_mid]}
    assert client.post("/api/ingest/push-receipts", json=body).status_code == 401
    assert client.post("/api/ingest/push-receipts", json=body, headers=service_headers).json() == {
        "updated": 1
    }
    read = {
        "channel": "messenger",
        "kind": "read",
        "recipient_id": "p1",
        "watermark_ms": int(time.time() * 1000),
    }
    assert client.post("/api/ingest/push-receipts", json=read, headers=service_headers).json() == {
        "updated": 1
    }
    again = client.post("/api/ingest/push-receipts", json=body, headers=service_headers)
    assert again.json() == {"updated": 0}  # already delivered: nothing moves back or twice
    statuses = {row.recipient_id: row.status for row in delivery_rows(campaign_id)}
    assert statuses == {"z1": "delivered", "p1": "read"}
    with session_scope() as session:
        session.execute(update(Campaign).where(Campaign.id == campaign_id).values(title="x"))
