"""The platform rules a push must follow, written from /work/shared/platforms/*.md.

Lives here: the push channels and their messaging windows (Messenger 24 h since the member's
last message, no message tag fits an automated survey; Zalo consultation messages within 7 days
of the last interaction, free for 48 h, billable after), the reasons a member is not pushed or a
push failed, quiet hours, the survey reference and the push message of each platform. Pure
functions and constants: must not query the database nor talk HTTP.

Why no Messenger message tag: ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE and POST_PURCHASE_UPDATE
are for narrow non-promotional updates and HUMAN_AGENT is for people, not bots (messenger.md
§4); misusing a tag risks the page's messaging. Members outside the 24 h window get the
invitation link instead. Why the Zalo consultation message ("tin tư vấn", /message/cs): the
transaction/promotion UID messages stop in 2026 and need templates (zalo.md §3.2); a
consultation message is what the OA may send within 7 days of the member's last interaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a string for extraction; it is translated where it is shown."""
    return message


CHANNEL_ZALO = "zalo"
CHANNEL_MESSENGER = "messenger"
PUSH_CHANNELS = (CHANNEL_ZALO, CHANNEL_MESSENGER)
CHANNEL_LABELS = {CHANNEL_ZALO: "Zalo OA", CHANNEL_MESSENGER: "Messenger", "rest": N_("Web chat")}

MESSENGER_WINDOW = timedelta(hours=24)
ZALO_WINDOW = timedelta(days=7)
ZALO_FREE_WINDOW = timedelta(hours=48)
MESSAGE_TEXT_LIMIT = 2000
"""Both platforms refuse a text longer than 2,000 characters."""

START_BUTTON_TITLE = "Bắt đầu khảo sát"
"""16 characters: under Messenger's 20-character quick reply title and Zalo's button limit."""
START_INTENT = "start"
_REF_UNSAFE = re.compile(r"[^A-Za-z0-9_\-=.:]")

# Why a member gets no push (delivery status "skipped").
REASON_NO_PUSH_CHANNEL = "no_push_channel"
REASON_CHANNEL_NOT_SELECTED = "channel_not_selected"
REASON_UNREACHABLE = "unreachable"
REASON_SURVEY_COMPLETED = "survey_completed"
REASON_NO_PLATFORM_ID = "no_platform_id"
REASON_OUTSIDE_WINDOW = "outside_window"
REASON_CANCELLED = "cancelled"
# Why a push failed (delivery status "failed"), from the platform's answer.
REASON_BLOCKED = "blocked"
REASON_UNKNOWN_RECIPIENT = "unknown_recipient"
REASON_TOKEN = "token"
REASON_QUOTA = "quota"
REASON_INVALID_REQUEST = "invalid_request"
REASON_PLATFORM_ERROR = "platform_error"
REASON_TEMPORARY = "temporary_error"
# Why a push's outcome is unknown (delivery status "unknown").
REASON_INTERRUPTED = "interrupted"
REASON_NO_ANSWER = "no_answer"

REASON_LABELS = {
    REASON_NO_PUSH_CHANNEL: N_("Web chat only: no push channel (use the invitation link)"),
    REASON_CHANNEL_NOT_SELECTED: N_("Channel not selected for this campaign"),
    REASON_UNREACHABLE: N_("Marked unreachable (blocked or unfollowed)"),
    REASON_SURVEY_COMPLETED: N_("Already completed the survey"),
    REASON_NO_PLATFORM_ID: N_("No chat with the bot yet: platform id unknown"),
    REASON_OUTSIDE_WINDOW: N_("Outside the platform's messaging window"),
    REASON_CANCELLED: N_("Campaign cancelled before sending"),
    REASON_BLOCKED: N_("Blocked the page or OA, or cannot receive messages"),
    REASON_UNKNOWN_RECIPIENT: N_("Unknown to the platform"),
    REASON_TOKEN: N_("Access token invalid or expired"),
    REASON_QUOTA: N_("Platform quota used up"),
    REASON_INVALID_REQUEST: N_("Message refused as invalid"),
    REASON_PLATFORM_ERROR: N_("Platform error (account or permission)"),
    REASON_TEMPORARY: N_("Temporary errors, retries used up"),
    REASON_INTERRUPTED: N_("Dispatcher stopped during the send"),
    REASON_NO_ANSWER: N_("Connection lost before the platform answered"),
}

REQUEUE_ON_RESUME = frozenset({REASON_TOKEN, REASON_QUOTA, REASON_PLATFORM_ERROR})
"""Failures the platform refused for the whole account (nothing was delivered): resuming the
campaign after fixing the account sends those rows again."""


def window_of(channel: str) -> timedelta | None:
    """Returns how long after a member's last message a push may still reach them.

    Args:
        channel: The member's channel.

    Returns:
        The window, or None for a channel that cannot be pushed.
    """
    return {CHANNEL_MESSENGER: MESSENGER_WINDOW, CHANNEL_ZALO: ZALO_WINDOW}.get(channel)


def clean_ref(ref: str) -> str:
    """Keeps the characters a referral value may hold (letters, digits, ``_-=.:``).

    Args:
        ref: A raw value.

    Returns:
        The cleaned value.
    """
    return _REF_UNSAFE.sub("", ref)


def survey_ref(survey_slug: str, unit_code: str | None = None) -> str:
    """Builds the chat reference of a survey invitation, ``ks.<survey>[.<unit code>]``.

    A unit code with characters a referral cannot carry is left out (the bot then asks nothing
    about the unit and the member's unit stays as it was).

    Args:
        survey_slug: The survey id.
        unit_code: The unit the invitation is for, if any.

    Returns:
        The reference.
    """
    ref = f"ks.{survey_slug}"
    if unit_code and clean_ref(unit_code) == unit_code:
        ref += f".{unit_code}"
    return ref


def start_payload(ref: str) -> str:
    """Builds the message a tap on "Bắt đầu khảo sát" sends to the bot: ``/start{"ref": ...}``.

    The channels turn referral links into exactly this text, so the chat handles both alike.

    Args:
        ref: The survey reference.

    Returns:
        The payload text.
    """
    return f"/{START_INTENT}" + json.dumps({"ref": clean_ref(ref)})


def build_zalo_message(text: str, button_payload: str | None) -> dict[str, Any]:
    """Builds the ``message`` object of a Zalo consultation message (zalo.md §3.1).

    The button is ``oa.query.hide``: the tap sends the payload as a hidden user message.

    Args:
        text: The message text (at most 2,000 characters).
        button_payload: The survey start payload, or None for a plain announcement.

    Returns:
        The message object.
    """
    if button_payload is None:
        return {"text": text}
    button = {"title": START_BUTTON_TITLE, "type": "oa.query.hide", "payload": button_payload}
    return {
        "text": text,
        "attachment": {"type": "template", "payload": {"template_type": "button", "buttons": [button]}},
    }


def build_messenger_message(text: str, button_payload: str | None) -> dict[str, Any]:
    """Builds the ``message`` object of a Messenger push (messenger.md §3): text + quick reply.

    Args:
        text: The message text (at most 2,000 characters).
        button_payload: The survey start payload, or None for a plain announcement.

    Returns:
        The message object.
    """
    if button_payload is None:
        return {"text": text}
    reply = {"content_type": "text", "title": START_BUTTON_TITLE, "payload": button_payload}
    return {"text": text, "quick_replies": [reply]}


def build_push_message(channel: str, text: str, survey_slug: str | None) -> dict[str, Any]:
    """Builds the platform message of a campaign for one channel.

    Args:
        channel: ``zalo`` or ``messenger``.
        text: The campaign text.
        survey_slug: The survey to start, or None for an announcement.

    Returns:
        The ``message`` object.

    Raises:
        ValueError: For a channel that cannot be pushed.
    """
    payload = start_payload(survey_ref(survey_slug)) if survey_slug else None
    if channel == CHANNEL_ZALO:
        return build_zalo_message(text, payload)
    if channel == CHANNEL_MESSENGER:
        return build_messenger_message(text, payload)
    raise ValueError(f"no push on channel {channel!r}")


@dataclass(frozen=True)
class QuietHours:
    """A daily local-time span when a platform's rows wait (may wrap past midnight)."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Tells whether a local time of day is inside the span.

        Args:
            moment: The local time of day.

        Returns:
            True inside [start, end).
        """
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def parse_quiet_hours(text: str) -> QuietHours | None:
    """Reads ``"22:00-06:00"``; an empty text, ``off`` or ``none`` means no quiet hours.

    Args:
        text: The setting's value.

    Returns:
        The span, or None.

    Raises:
        ValueError: When the text is not ``HH:MM-HH:MM``.
    """
    cleaned = text.strip()
    if cleaned.lower() in ("", "off", "none", "-"):
        return None
    found = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", cleaned)
    if found is None:
        raise ValueError(f"quiet hours must look like 22:00-06:00, got {text!r}")
    hour_a, minute_a, hour_b, minute_b = (int(part) for part in found.groups())
    return QuietHours(time(hour_a, minute_a), time(hour_b, minute_b))


def quiet_until(quiet: QuietHours | None, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Returns when the quiet span containing ``now`` ends, or None when ``now`` is not quiet.

    Args:
        quiet: The span, or None.
        now: An aware moment.
        zone: The local time zone.

    Returns:
        The aware end of the span, or None.
    """
    if quiet is None:
        return None
    local = now.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end


def default_invitation_text(survey_title: str) -> str:
    """The suggested push text of a survey campaign (staff may edit it).

    Args:
        survey_title: The survey's title.

    Returns:
        A short, polite Vietnamese invitation.
    """
    return (
        f"Dạ, Công đoàn kính mời anh/chị dành vài phút trả lời khảo sát “{survey_title}”. "
        "Câu trả lời được giữ kín, anh/chị có thể tạm dừng và làm tiếp bất cứ lúc nào ạ. "
        "Anh/chị bấm “Bắt đầu khảo sát” bên dưới để bắt đầu nhé."
    )
