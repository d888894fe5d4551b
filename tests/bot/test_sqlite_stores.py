"""Our SQLite-tuned tracker store and event broker keep Rasa's tables and every event, in order."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores.sqlite import SQLiteEventBroker, SQLiteTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  calc_kind:
    type: text
    mappings: [{type: custom}]
"""
)


def turn_events(text: str) -> list:
    return [
        UserUttered(text, {"name": "greet", "confidence": 0.9}),
        ActionExecuted("utter_greet"),
        BotUttered(f"Dạ, em chào anh/chị ({text})"),
        ActionExecuted("action_listen"),
    ]


@pytest.fixture()
def stores(tmp_path: Path) -> tuple[SQLiteTrackerStore, SQLiteEventBroker, Path, Path]:
    events_db = tmp_path / "events.sqlite3"
    tracker_db = tmp_path / "tracker.sqlite3"
    broker = SQLiteEventBroker(dialect="sqlite", db=str(events_db))
    store = SQLiteTrackerStore(DOMAIN, dialect="sqlite", db=str(tracker_db), event_broker=broker)
    return store, broker, tracker_db, events_db


def test_sqlite_stores_publish_every_event_once_in_order(stores) -> None:
    store, _broker, _tracker_db, events_db = stores
    tracker = DialogueStateTracker("worker-1", DOMAIN.slots)
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    for text in ("xin chào", "chào em", "alo"):
        for item in turn_events(text):
            tracker.update(item)
        tracker.update(SlotSet("calc_kind", text))
        asyncio.run(store.save(tracker))

    with sqlite3.connect(events_db) as connection:
        rows = connection.execute("SELECT id, sender_id, data FROM events ORDER BY id").fetchall()
    published = [json.loads(data) for _id, _sender, data in rows]
    assert [row[1] for row in rows] == ["worker-1"] * len(tracker.events)
    assert [event["event"] for event in published] == [event.as_dict()["event"] for event in tracker.events]
    assert [e.get("text") for e in published if e["event"] == "user"] == ["xin chào", "chào em", "alo"]
    assert all(event["sender_id"] == "worker-1" for event in published)


def test_sqlite_stores_round_trip_the_tracker(stores) -> None:
    store, *_ = stores
    tracker = DialogueStateTracker("worker-2", DOMAIN.slots)
    for item in turn_events("xin chào"):
        tracker.update(item)
    tracker.update(SlotSet("calc_kind", "overtime"))
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve("worker-2"))
    assert again is not None
    assert again.get_slot("calc_kind") == "overtime"
    assert len(again.events) == len(tracker.events)


def test_sqlite_stores_use_wal(stores) -> None:
    store, broker, tracker_db, events_db = stores
    tracker = DialogueStateTracker("worker-3", DOMAIN.slots)
    tracker.update(UserUttered("alo"))
    asyncio.run(store.save(tracker))
    for path in (tracker_db, events_db):
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
