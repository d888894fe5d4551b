"""Handing a conversation to a human union officer.

Lives here: ``action_request_handoff``, which records a handoff request in the backend (via
the durable outbox, so a backend outage loses nothing) and tells the worker what happens
next. Must not promise a reply time the union has not set, and must not drop the request
when the backend is down.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import post_to_backend

HANDOFF_PATH = "/api/ingest/handoffs"

ACCEPTED_REPLY = (
    "Dạ, em đã chuyển yêu cầu của anh/chị tới cán bộ công đoàn. Cán bộ sẽ trả lời anh/chị ngay "
    "trong cuộc trò chuyện này khi có thể. Trong lúc chờ, anh/chị vẫn có thể hỏi em các câu khác ạ."
)


def _last_user_question(tracker: Tracker) -> str:
    """Finds the latest user text that was not the handoff request itself."""
    texts = [
        str(event.get("text") or "")
        for event in tracker.events
        if event.get("event") == "user"
        and (event.get("parse_data") or {}).get("intent", {}).get("name") != "request_human"
    ]
    return texts[-1] if texts else ""


class ActionRequestHandoff(Action):
    """Records a request for a human officer and confirms it to the worker."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_request_handoff"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Posts the handoff request and confirms it.

        Args:
            dispatcher: Where replies go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            No events.
        """
        latest = tracker.latest_message or {}
        message_id = latest.get("message_id") or str(len(tracker.events))
        channel = tracker.get_latest_input_channel() or "rest"
        payload = {
            "conversation_id": tracker.sender_id,
            "channel": channel,
            "reason": "worker_request",
            "question": _last_user_question(tracker),
            "request_text": latest.get("text") or "",
        }
        await post_to_backend(HANDOFF_PATH, payload, f"handoff:{tracker.sender_id}:{message_id}")
        dispatcher.utter_message(text=ACCEPTED_REPLY)
        return []


class ActionOfficerReply(Action):
    """Delivers a union officer's reply (from the backend's handoff inbox) to the worker.

    The backend sets the slot ``officer_reply_text`` through Rasa's HTTP API and then executes
    this action with the worker's own output channel, so the reply travels like any bot
    message (Zalo, Messenger) and stays in the conversation history.
    """

    def name(self) -> str:
        """Returns the action name the backend executes."""
        return "action_officer_reply"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Sends the officer's text, marked as coming from a person, and clears the slot.

        Args:
            dispatcher: Where replies go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            The event clearing ``officer_reply_text``.
        """
        text = str(tracker.get_slot("officer_reply_text") or "").strip()
        if text:
            dispatcher.utter_message(text=f"[Cán bộ công đoàn] {text}")
        return [SlotSet("officer_reply_text", None)]
