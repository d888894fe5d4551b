"""Writing real Rasa SQL event broker rows (the exact ``events`` table shape of Rasa 3.6).

Test helper shared by the conversation-log tests; Rasa's SQLEventBroker creates the same table
(id INTEGER primary key, sender_id VARCHAR(255), data TEXT with the event JSON).
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

EVENTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS events "
    "(id INTEGER NOT NULL, sender_id VARCHAR(255), data TEXT, PRIMARY KEY (id))"
)


def publish_events(db_path: Path, events: list[dict[str, Any]]) -> None:
    """Appends events as Rasa's broker does: one row per event, JSON in ``data``."""
    with sqlite3.connect(db_path) as connection:
        connection.execute(EVENTS_TABLE)
        connection.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [(event.get("sender_id"), json.dumps(event, ensure_ascii=False)) for event in events],
        )


def user_event(
    sender: str,
    text: str,
    intent: str,
    confidence: float,
    *,
    channel: str = "rest",
    entities: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A ``user`` event as Rasa publishes it."""
    return {
        "event": "user",
        "timestamp": time.time(),
        "sender_id": sender,
        "text": text,
        "input_channel": channel,
        "message_id": f"m-{time.monotonic_ns()}",
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
            "text": text,
        },
    }


def action_event(sender: str, name: str) -> dict[str, Any]:
    """An ``action`` event."""
    return {
        "event": "action",
        "timestamp": time.time(),
        "sender_id": sender,
        "name": name,
        "policy": "RulePolicy",
        "confidence": 1.0,
    }


def bot_event(sender: str, text: str, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A ``bot`` event."""
    return {
        "event": "bot",
        "timestamp": time.time(),
        "sender_id": sender,
        "text": text,
        "data": {"buttons": buttons, "elements": None},
        "metadata": {},
    }


def turn(
    sender: str, text: str, intent: str, confidence: float, action: str, answer: str, *, channel: str = "rest"
) -> list[dict[str, Any]]:
    """One exchange: action_listen, the user's message, the action, the bot's answer."""
    return [
        action_event(sender, "action_listen"),
        user_event(sender, text, intent, confidence, channel=channel),
        action_event(sender, action),
        bot_event(sender, answer),
        action_event(sender, "action_listen"),
    ]
