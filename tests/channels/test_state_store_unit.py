"""The SQLite channel state: dedupe across restarts, pending replay, failures, tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.channels.delivery import HttpClientSource
from bot.channels.state_store import (
    EVENT_DONE,
    EVENT_RECEIVED,
    ChannelStateStore,
    DeliveryFailure,
    StoredToken,
)
from bot.channels.zalo_client import ZaloCredentials, ZaloTokenManager


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "channel_state.sqlite3"


def test_claim_event_accepts_once(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    assert store.claim_event("zalo", "m1", {"text": "xin chào"}) is True
    assert store.claim_event("zalo", "m1", {"text": "xin chào"}) is False
    assert store.claim_event("messenger", "m1", {}) is True  # ids are per platform
    assert db_path.exists()


def test_claim_event_dedupes_across_reopen(db_path: Path) -> None:
    first = ChannelStateStore(db_path)
    assert first.claim_event("zalo", "m1", {"a": 1})
    first.mark_event("zalo", "m1", EVENT_DONE)
    first.close()
    restarted = ChannelStateStore(db_path)
    assert restarted.claim_event("zalo", "m1", {"a": 1}) is False
    assert restarted.read_event_status("zalo", "m1") == EVENT_DONE


def test_pending_events_survive_restart_until_marked(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    store.claim_event("zalo", "old", {"n": 1}, now=100.0)
    store.claim_event("zalo", "new", {"n": 2}, now=200.0)
    store.claim_event("zalo", "done", {"n": 3}, now=150.0)
    store.mark_event("zalo", "done", EVENT_DONE)
    store.close()
    pending = ChannelStateStore(db_path).list_pending_events("zalo")
    assert [(p.event_id, p.payload, p.received_at) for p in pending] == [
        ("old", {"n": 1}, 100.0),
        ("new", {"n": 2}, 200.0),
    ]


def test_prune_seen_events_keeps_recent_and_pending(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    now = time.time()
    for event_id, at in (("a", now - 10_000), ("b", now - 10_000), ("c", now)):
        store.claim_event("zalo", event_id, {}, now=at)
    store.mark_event("zalo", "a", EVENT_DONE)
    store.mark_event("zalo", "c", EVENT_DONE)
    assert store.prune_seen_events(now - 5_000) == 1
    assert store.read_event_status("zalo", "a") is None
    assert store.read_event_status("zalo", "b") == EVENT_RECEIVED
    assert store.read_event_status("zalo", "c") == EVENT_DONE


def test_delivery_failures_are_listed_per_platform(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    store.record_delivery_failure(
        DeliveryFailure(
            "zalo", "u1", "-230", "User has not interacted", 1, payload={"message": {"text": "Dạ"}}
        )
    )
    store.record_delivery_failure(DeliveryFailure("messenger", "p1", "10", "outside window", 1, "2018278"))
    zalo_rows = store.list_delivery_failures("zalo")
    assert [(r.recipient_id, r.error_code, r.payload) for r in zalo_rows] == [
        ("u1", "-230", {"message": {"text": "Dạ"}})
    ]
    assert zalo_rows[0].created_at > 0
    assert [r.error_subcode for r in store.list_delivery_failures()] == [None, "2018278"]


def test_record_inbound_keeps_latest(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    store.record_inbound("messenger", "p1", 200.0)
    store.record_inbound("messenger", "p1", 100.0)  # a late redelivery must not move it back
    assert store.read_last_inbound("messenger", "p1") == 200.0
    assert store.read_last_inbound("messenger", "p2") is None


def test_save_token_replaces_pair(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    store.save_token("zalo", StoredToken("a1", "r1", None, "seed"))
    store.save_token("zalo", StoredToken("a2", "r2", 123.0, "seed"))
    assert store.read_token("zalo") == StoredToken("a2", "r2", 123.0, "seed")
    assert store.read_token("other") is None


CREDENTIALS = ZaloCredentials(
    app_id="app",
    oa_secret_key="oa",
    app_secret="secret",
    access_token="env-access",
    refresh_token="env-refresh",
)


def make_manager(store: ChannelStateStore, credentials: ZaloCredentials = CREDENTIALS) -> ZaloTokenManager:
    return ZaloTokenManager(credentials, store, HttpClientSource(1.0), refresh_margin_seconds=18_000)


def test_token_manager_seeds_store_from_credentials(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    manager = make_manager(store)
    assert manager.access_token == "env-access"
    stored = store.read_token("zalo")
    assert stored is not None and (stored.access_token, stored.refresh_token) == (
        "env-access",
        "env-refresh",
    )
    assert manager.needs_refresh() is False  # expiry unknown: refresh on token error only


def test_token_manager_prefers_refreshed_pair_after_restart(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    assert store.read_token("zalo") is None
    make_manager(store)
    seeded = store.read_token("zalo")
    assert seeded is not None
    # A refresh happened before the restart: the env pair is spent, the stored one is current.
    store.save_token(
        "zalo",
        StoredToken("new-access", "new-refresh", time.time() + 90_000, seeded.seed_fingerprint),
    )
    store.close()
    restarted = make_manager(ChannelStateStore(db_path))
    assert restarted.access_token == "new-access"


def test_token_manager_reseeds_when_operator_changes_credentials(db_path: Path) -> None:
    store = ChannelStateStore(db_path)
    make_manager(store)
    seeded = store.read_token("zalo")
    assert seeded is not None
    store.save_token("zalo", StoredToken("new-access", "new-refresh", None, seeded.seed_fingerprint))
    reauthorised = ZaloCredentials(
        app_id="app",
        oa_secret_key="oa",
        app_secret="secret",
        access_token="fresh-access",
        refresh_token="fresh-refresh",
    )
    manager = make_manager(store, reauthorised)
    assert manager.access_token == "fresh-access"
    stored = store.read_token("zalo")
    assert stored is not None and stored.refresh_token == "fresh-refresh"


@pytest.mark.parametrize(
    ("seconds_left", "expected"),
    [(90_000, False), (18_001, False), (17_999, True), (-5, True)],
)
def test_token_manager_needs_refresh_inside_margin(db_path: Path, seconds_left: int, expected: bool) -> None:
    store = ChannelStateStore(db_path)
    manager = make_manager(store)
    seeded = store.read_token("zalo")
    assert seeded is not None
    now = 1_000_000.0
    store.save_token("zalo", StoredToken("x", "y", now + seconds_left, seeded.seed_fingerprint))
    manager = make_manager(store)
    assert manager.needs_refresh(now=now) is expected
