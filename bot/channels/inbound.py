"""Parsing verified webhook payloads of Zalo OA and Messenger into platform-neutral events.

Lives here: the ``InboundEvent`` record, what each platform event means for the bot (a text for
Rasa, a conversation start from a referral/follow, a "text only" notice, or nothing), the
dedupe key of each event and the metadata passed to the tracker. Pure functions; a payload of
unknown shape raises ``MalformedEvent`` (the webhook answers 400). Must not check signatures
(done before parsing) and must not send anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "EventKind",
    "InboundEvent",
    "MalformedEvent",
    "START_INTENT",
    "build_start_message",
    "clean_ref",
    "parse_messenger_payload",
    "parse_zalo_event",
]

START_INTENT = "start"
"""Intent a conversation opened from a referral link or a follow begins with."""
REF_ENTITY = "ref"
"""Entity (and metadata key) carrying the referral value, e.g. ``survey``."""

_REF_UNSAFE = re.compile(r"[^0-9A-Za-z_\-=.:]")
_REF_MAX_LENGTH = 250


class EventKind(str, Enum):
    """What the connector does with an event."""

    TEXT = "text"  # typed text or a tapped quick reply / query button → Rasa
    POSTBACK = "postback"  # Messenger button template / Get Started payload → Rasa
    START = "start"  # referral link or follow → Rasa gets /start{"ref": ...}
    UNSUPPORTED = "unsupported"  # sticker, image, voice... → polite "text only" reply
    UNFOLLOW = "unfollow"  # recorded and logged, never reaches Rasa
    IGNORED = "ignored"  # echoes, deliveries, reads, standby, handover → acknowledged only


class MalformedEvent(ValueError):
    """The payload is not JSON of a shape the platform documents."""


@dataclass(frozen=True)
class InboundEvent:
    """One user-side occurrence from a webhook, ready to be handled.

    Attributes:
        platform: "zalo" or "messenger".
        event_id: Deduplication key: the platform message id, or a key derived from the event.
        kind: What to do with it.
        sender_id: The user's platform id (Zalo user id / Messenger PSID); empty if none.
        text: What Rasa receives (empty for kinds that never reach Rasa).
        timestamp_ms: When the platform says the event happened.
        metadata: Platform details stored with the user message in the tracker.
    """

    platform: str
    event_id: str
    kind: EventKind
    sender_id: str
    text: str
    timestamp_ms: int
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Returns a JSON-able dict (for the replay store).

        Returns:
            The event as plain data.
        """
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InboundEvent:
        """Rebuilds an event saved with ``to_json``.

        Args:
            data: The saved dict.

        Returns:
            The event.
        """
        return cls(
            platform=str(data["platform"]),
            event_id=str(data["event_id"]),
            kind=EventKind(data["kind"]),
            sender_id=str(data["sender_id"]),
            text=str(data["text"]),
            timestamp_ms=int(data["timestamp_ms"]),
            metadata=dict(data.get("metadata") or {}),
        )


def clean_ref(ref: str | None) -> str:
    """Keeps only the characters a referral value may hold (letters, digits, ``_-=.:``).

    Args:
        ref: The raw value from the platform.

    Returns:
        The cleaned value, at most 250 characters; empty when nothing is left.
    """
    return _REF_UNSAFE.sub("", ref or "")[:_REF_MAX_LENGTH]


def build_start_message(ref: str | None) -> str:
    """Builds the user message that starts a conversation, e.g. ``/start{"ref": "survey"}``.

    Rasa's regex message handler turns it into intent ``start`` with entity ``ref``.

    Args:
        ref: Referral value from the link (unsafe characters are dropped), or None.

    Returns:
        The message text.
    """
    clean = clean_ref(ref)
    if not clean:
        return f"/{START_INTENT}"
    return f"/{START_INTENT}" + json.dumps({REF_ENTITY: clean})


def _require_str_id(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
        raise MalformedEvent(f"{what} is missing or not an id")
    return str(value)


def _require_mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is missing or not an object")
    return value


def _read_timestamp(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise MalformedEvent(f"{what} is not a timestamp")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise MalformedEvent(f"{what} is not a timestamp")


# --- Zalo -----------------------------------------------------------------------------------

_ZALO_IGNORED_PREFIXES = ("oa_send_",)
_ZALO_TEXT_WITH_ATTACHMENT = frozenset({"user_send_image", "user_send_link"})


def parse_zalo_event(payload: Any) -> InboundEvent:
    """Interprets one Zalo OA webhook event (zalo.md §2.3).

    Args:
        payload: The parsed JSON body.

    Returns:
        The event. Unknown event names with a valid envelope are ``IGNORED``.

    Raises:
        MalformedEvent: When the envelope or a known event lacks documented fields.
    """
    body = _require_mapping(payload, "body")
    event_name = body.get("event_name")
    if not isinstance(event_name, str) or not event_name:
        raise MalformedEvent("event_name is missing")
    _require_str_id(body.get("app_id"), "app_id")
    timestamp_ms = _read_timestamp(body.get("timestamp"), "timestamp")
    base_metadata: dict[str, Any] = {
        "channel": "zalo",
        "event_name": event_name,
        "timestamp": timestamp_ms,
    }

    if event_name in ("follow", "unfollow"):
        follower = _require_mapping(body.get("follower"), "follower")
        user_id = _require_str_id(follower.get("id"), "follower.id")
        source = body.get("source") if isinstance(body.get("source"), str) else ""
        metadata = {**base_metadata, "source": source}
        event_id = f"{event_name}:{user_id}:{timestamp_ms}"
        if event_name == "unfollow":
            return InboundEvent("zalo", event_id, EventKind.UNFOLLOW, user_id, "", timestamp_ms, metadata)
        # Zalo links carry no ref parameter; the follow source (OA profile, QR code, article...)
        # is the closest equivalent of Messenger's m.me ?ref=.
        start_text = build_start_message(source)
        if clean_ref(source):
            metadata[REF_ENTITY] = clean_ref(source)
        return InboundEvent("zalo", event_id, EventKind.START, user_id, start_text, timestamp_ms, metadata)

    if event_name.startswith("user_send_"):
        sender = _require_mapping(body.get("sender"), "sender")
        user_id = _require_str_id(sender.get("id"), "sender.id")
        message = _require_mapping(body.get("message"), "message")
        msg_id = _require_str_id(message.get("msg_id"), "message.msg_id")
        text = message.get("text")
        metadata = {**base_metadata, "msg_id": msg_id}
        if event_name == "user_send_text":
            if not isinstance(text, str):
                raise MalformedEvent("message.text is missing")
            if text.startswith("/"):
                # Taps on oa.query buttons arrive as the button payload.
                metadata["quick_reply_payload"] = text
            return InboundEvent("zalo", msg_id, EventKind.TEXT, user_id, text, timestamp_ms, metadata)
        if event_name in _ZALO_TEXT_WITH_ATTACHMENT and isinstance(text, str) and text.strip():
            metadata["attachments"] = _attachment_types(message.get("attachments"))
            return InboundEvent("zalo", msg_id, EventKind.TEXT, user_id, text, timestamp_ms, metadata)
        metadata["attachments"] = _attachment_types(message.get("attachments"))
        return InboundEvent("zalo", msg_id, EventKind.UNSUPPORTED, user_id, "", timestamp_ms, metadata)

    sender_id = ""
    sender = body.get("sender")
    if isinstance(sender, Mapping) and sender.get("id") is not None:
        sender_id = str(sender["id"])
    event_id = f"{event_name}:{sender_id or body.get('user_id', '')}:{timestamp_ms}"
    if event_name.startswith(_ZALO_IGNORED_PREFIXES):
        base_metadata["echo"] = True
    return InboundEvent("zalo", event_id, EventKind.IGNORED, sender_id, "", timestamp_ms, base_metadata)


def _attachment_types(attachments: Any) -> list[str]:
    if not isinstance(attachments, list):
        return []
    return [str(item.get("type", "")) for item in attachments if isinstance(item, Mapping)]


# --- Messenger ------------------------------------------------------------------------------

_MESSENGER_IGNORED_KEYS = (
    "delivery",
    "read",
    "reaction",
    "optin",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
    "app_roles",
    "policy_enforcement",
)


def parse_messenger_payload(payload: Any) -> list[InboundEvent]:
    """Interprets a Messenger webhook body: every entry and every messaging item (batched).

    Args:
        payload: The parsed JSON body.

    Returns:
        The events in delivery order, ``IGNORED`` ones included (echoes, deliveries, reads,
        standby items of a thread we do not own, handover notices).

    Raises:
        MalformedEvent: When the body is not a ``page`` object with well-formed entries.
    """
    body = _require_mapping(payload, "body")
    if body.get("object") != "page":
        raise MalformedEvent("object is not 'page'")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise MalformedEvent("entry is not a list")
    events: list[InboundEvent] = []
    for entry in entries:
        entry_map = _require_mapping(entry, "entry item")
        page_id = str(entry_map.get("id", ""))
        for key in ("messaging", "standby"):
            items = entry_map.get(key, [])
            if not isinstance(items, list):
                raise MalformedEvent(f"entry.{key} is not a list")
            for item in items:
                event = _parse_messenger_item(_require_mapping(item, f"{key} item"), page_id)
                if key == "standby":
                    event = InboundEvent(
                        "messenger",
                        event.event_id,
                        EventKind.IGNORED,
                        event.sender_id,
                        "",
                        event.timestamp_ms,
                        {**event.metadata, "standby": True},
                    )
                events.append(event)
    return events


def _parse_messenger_item(item: Mapping[str, Any], page_id: str) -> InboundEvent:
    sender_id = _require_str_id(_require_mapping(item.get("sender"), "sender").get("id"), "sender.id")
    timestamp_ms = _read_timestamp(item.get("timestamp"), "timestamp")
    metadata: dict[str, Any] = {
        "channel": "messenger",
        "page_id": page_id,
        "timestamp": timestamp_ms,
    }

    if "message" in item:
        message = _require_mapping(item["message"], "message")
        mid = _require_str_id(message.get("mid"), "message.mid")
        metadata.update(event_name="message", msg_id=mid)
        if message.get("is_echo"):
            metadata["echo"] = True
            return InboundEvent("messenger", mid, EventKind.IGNORED, sender_id, "", timestamp_ms, metadata)
        quick_reply = message.get("quick_reply")
        if isinstance(quick_reply, Mapping) and isinstance(quick_reply.get("payload"), str):
            payload = quick_reply["payload"]
            metadata.update(event_name="quick_reply", quick_reply_payload=payload)
            if isinstance(message.get("text"), str):
                metadata["quick_reply_title"] = message["text"]
            return InboundEvent("messenger", mid, EventKind.TEXT, sender_id, payload, timestamp_ms, metadata)
        text = message.get("text")
        if isinstance(text, str) and text.strip():
            return InboundEvent("messenger", mid, EventKind.TEXT, sender_id, text, timestamp_ms, metadata)
        if "attachments" in message or "sticker_id" in message:
            metadata["attachments"] = _attachment_types(message.get("attachments"))
            return InboundEvent(
                "messenger", mid, EventKind.UNSUPPORTED, sender_id, "", timestamp_ms, metadata
            )
        raise MalformedEvent("message has neither text nor attachments")

    if "postback" in item:
        postback = _require_mapping(item["postback"], "postback")
        payload = postback.get("payload")
        mid = postback.get("mid")
        event_id = str(mid) if mid else f"postback:{sender_id}:{timestamp_ms}:{payload}"
        metadata.update(event_name="postback", msg_id=event_id, postback_payload=payload)
        if isinstance(postback.get("title"), str):
            metadata["postback_title"] = postback["title"]
        referral = postback.get("referral")
        if isinstance(referral, Mapping):
            return _messenger_start(event_id, sender_id, timestamp_ms, metadata, referral)
        if not isinstance(payload, str):
            raise MalformedEvent("postback.payload is missing")
        return InboundEvent(
            "messenger", event_id, EventKind.POSTBACK, sender_id, payload, timestamp_ms, metadata
        )

    if "referral" in item:
        referral = _require_mapping(item["referral"], "referral")
        event_id = f"referral:{sender_id}:{timestamp_ms}:{referral.get('ref', '')}"
        metadata.update(event_name="referral", msg_id=event_id)
        return _messenger_start(event_id, sender_id, timestamp_ms, metadata, referral)

    known = next((key for key in _MESSENGER_IGNORED_KEYS if key in item), "unknown")
    metadata["event_name"] = known
    return InboundEvent(
        "messenger",
        f"{known}:{sender_id}:{timestamp_ms}",
        EventKind.IGNORED,
        sender_id,
        "",
        timestamp_ms,
        metadata,
    )


def _messenger_start(
    event_id: str,
    sender_id: str,
    timestamp_ms: int,
    metadata: dict[str, Any],
    referral: Mapping[str, Any],
) -> InboundEvent:
    ref = referral.get("ref") if isinstance(referral.get("ref"), str) else ""
    metadata.update(ref_source=str(referral.get("source", "")), ref_type=str(referral.get("type", "")))
    if clean_ref(ref):
        metadata[REF_ENTITY] = clean_ref(ref)
    return InboundEvent(
        "messenger",
        event_id,
        EventKind.START,
        sender_id,
        build_start_message(ref),
        timestamp_ms,
        metadata,
    )
