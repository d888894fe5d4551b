"""Reading what the worker just said from a rasa_sdk Tracker.

Lives here: small pure helpers shared by the actions (latest intent, entities as a dict,
intent ranking). Must not send messages or call other services.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> str | None:
    """Returns the intent of the latest user message, if any.

    Args:
        tracker: The conversation tracker.

    Returns:
        The intent name or None.
    """
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_entities(tracker: Tracker) -> dict[str, Any]:
    """Returns the entities of the latest user message, first value per entity name.

    Args:
        tracker: The conversation tracker.

    Returns:
        A mapping such as ``{"region": 1, "year": 2026}``.
    """
    found: dict[str, Any] = {}
    for entity in (tracker.latest_message or {}).get("entities") or []:
        name = entity.get("entity")
        if name and name not in found:
            found[str(name)] = entity.get("value")
    return found


def intent_ranking(tracker: Tracker) -> list[tuple[str, float]]:
    """Returns the NLU's ranked intent guesses for the latest message, best first.

    Args:
        tracker: The conversation tracker.

    Returns:
        ``(intent, confidence)`` pairs, without the fallback pseudo-intent.
    """
    ranking = (tracker.latest_message or {}).get("intent_ranking") or []
    return [
        (str(item["name"]), float(item.get("confidence") or 0.0))
        for item in ranking
        if item.get("name") and item["name"] != "nlu_fallback"
    ]


def previous_bot_action(tracker: Tracker) -> str | None:
    """Returns the last action the bot ran before the latest user message.

    Args:
        tracker: The conversation tracker.

    Returns:
        The action name, ignoring ``action_listen``, or None.
    """
    seen_latest_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_latest_user:
                return None
            seen_latest_user = True
            continue
        if seen_latest_user and event.get("event") == "action":
            name = event.get("name")
            if name and name != "action_listen":
                return str(name)
    return None
