"""Turning a Rasa reply (text and buttons) into platform message objects within their limits.

Lives here: the documented limits (zalo.md §3.1, messenger.md §3) and pure functions that build
the ``message`` objects of Zalo's ``/v3.0/oa/message/cs`` and Messenger's Send API. Long text is
split on sentence boundaries; button titles are shortened at a word boundary; more buttons than
a message may carry are spread over follow-up messages, so no choice is ever dropped.
Must not send anything and must not know credentials.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from bot.channels.text_split import split_text

__all__ = [
    "MESSENGER_MAX_QUICK_REPLIES",
    "MESSENGER_MAX_TEMPLATE_BUTTONS",
    "MESSENGER_QUICK_REPLY_TITLE_LIMIT",
    "MESSENGER_TEMPLATE_TEXT_LIMIT",
    "MESSENGER_TEXT_LIMIT",
    "MORE_CHOICES_TEXT",
    "CHOOSE_PROMPT_TEXT",
    "ZALO_BUTTON_TITLE_LIMIT",
    "ZALO_MAX_BUTTONS",
    "ZALO_TEXT_LIMIT",
    "render_messenger_messages",
    "render_zalo_messages",
    "shorten_title",
]

ZALO_TEXT_LIMIT = 2000
"""Characters per consultation message (official: "Giới hạn tối đa là 2.000 ký tự")."""
ZALO_MAX_BUTTONS = 5
"""Buttons per message: UNVERIFIED on Zalo's side, the contract default (zalo.md §3.1)."""
ZALO_BUTTON_TITLE_LIMIT = 100
"""Button title length: UNVERIFIED, from a third-party SDK guide (zalo.md §3.1)."""

MESSENGER_TEXT_LIMIT = 2000
"""Characters per text message (messenger.md §3)."""
MESSENGER_MAX_QUICK_REPLIES = 13
"""Quick replies per message (VERIFIED, messenger.md §3)."""
MESSENGER_QUICK_REPLY_TITLE_LIMIT = 20
"""Quick reply and postback button titles are cut by Messenger after 20 characters."""
MESSENGER_MAX_TEMPLATE_BUTTONS = 3
"""Buttons per button template (messenger.md §3)."""
MESSENGER_TEMPLATE_TEXT_LIMIT = 640
"""Text of a button template (messenger.md §3)."""

# NOTE: shown above the second and later groups of buttons when a question has more choices
# than one message can carry.
MORE_CHOICES_TEXT = "Dạ, anh/chị có thể chọn thêm:"
# NOTE: shown above buttons when the reply itself has no text (or its text went out just before).
CHOOSE_PROMPT_TEXT = "Dạ, anh/chị chọn giúp em một mục dưới đây ạ:"

_ELLIPSIS = "…"


def shorten_title(title: str, limit: int) -> str:
    """Shortens a button title to the limit, cutting at a word boundary and adding "…".

    Args:
        title: The title as written in the domain (NFC-normalised here).
        limit: Maximum characters.

    Returns:
        The title unchanged when it fits, otherwise a shortened one of at most ``limit`` chars.
    """
    title = " ".join(unicodedata.normalize("NFC", title).split())
    if len(title) <= limit:
        return title
    room = limit - len(_ELLIPSIS)
    cut = title[:room]
    if " " in cut and title[room] != " ":
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + _ELLIPSIS


def _chunks(items: Sequence[Mapping[str, Any]], size: int) -> list[list[Mapping[str, Any]]]:
    return [list(items[index : index + size]) for index in range(0, len(items), size)]


def _button_payload(button: Mapping[str, Any]) -> str:
    return str(button.get("payload") or button.get("title") or "")


def _zalo_button(button: Mapping[str, Any]) -> dict[str, Any]:
    title = shorten_title(str(button.get("title", "")), ZALO_BUTTON_TITLE_LIMIT)
    url = button.get("url")
    if url:
        return {"title": title, "type": "oa.open.url", "payload": {"url": str(url)}}
    payload = _button_payload(button)
    # Intent payloads ("/ask_x") would look odd echoed in the chat, so their tap stays hidden;
    # plain-text payloads read naturally and are shown as the user's message.
    kind = "oa.query.hide" if payload.startswith("/") else "oa.query.show"
    return {"title": title, "type": kind, "payload": payload}


def render_zalo_messages(text: str, buttons: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Builds the ``message`` objects for Zalo's consultation API.

    Args:
        text: Reply text (any length).
        buttons: Rasa buttons: ``title`` and ``payload`` (or ``url`` for a link button).

    Returns:
        Message objects in sending order: text parts of at most 2000 characters, the last one
        carrying up to 5 buttons as a ``button`` template, then one message per further 5
        buttons.
    """
    parts = split_text(text, ZALO_TEXT_LIMIT)
    if not buttons:
        return [{"text": part} for part in parts]
    messages: list[dict[str, Any]] = [{"text": part} for part in parts[:-1]]
    groups = _chunks(buttons, ZALO_MAX_BUTTONS)
    for index, group in enumerate(groups):
        if index == 0:
            group_text = parts[-1] if parts else CHOOSE_PROMPT_TEXT
        else:
            group_text = MORE_CHOICES_TEXT
        messages.append(
            {
                "text": group_text,
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "buttons": [_zalo_button(button) for button in group],
                    },
                },
            }
        )
    return messages


def _messenger_template_button(button: Mapping[str, Any]) -> dict[str, Any]:
    title = shorten_title(str(button.get("title", "")), MESSENGER_QUICK_REPLY_TITLE_LIMIT)
    url = button.get("url")
    if url:
        return {"type": "web_url", "url": str(url), "title": title}
    return {"type": "postback", "title": title, "payload": _button_payload(button)}


def render_messenger_messages(text: str, buttons: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """Builds the ``message`` objects for Messenger's Send API.

    Up to 13 payload buttons become quick replies on the last text part. Link buttons, or more
    than 13 choices, become button templates of 3 buttons each (they stay tappable in the chat
    history, whereas quick replies vanish at the next message).

    Args:
        text: Reply text (any length).
        buttons: Rasa buttons: ``title`` and ``payload`` (or ``url`` for a link button).

    Returns:
        Message objects in sending order, each within Messenger's limits.
    """
    parts = split_text(text, MESSENGER_TEXT_LIMIT)
    if not buttons:
        return [{"text": part} for part in parts]
    has_links = any(button.get("url") for button in buttons)
    if not has_links and len(buttons) <= MESSENGER_MAX_QUICK_REPLIES:
        messages: list[dict[str, Any]] = [{"text": part} for part in parts[:-1]]
        messages.append(
            {
                "text": parts[-1] if parts else CHOOSE_PROMPT_TEXT,
                "quick_replies": [
                    {
                        "content_type": "text",
                        "title": shorten_title(
                            str(button.get("title", "")), MESSENGER_QUICK_REPLY_TITLE_LIMIT
                        ),
                        "payload": _button_payload(button),
                    }
                    for button in buttons
                ],
            }
        )
        return messages

    messages = [{"text": part} for part in parts]
    first_text = CHOOSE_PROMPT_TEXT
    if parts and len(parts[-1]) <= MESSENGER_TEMPLATE_TEXT_LIMIT:
        first_text = messages.pop()["text"]
    for index, group in enumerate(_chunks(buttons, MESSENGER_MAX_TEMPLATE_BUTTONS)):
        messages.append(
            {
                "attachment": {
                    "type": "template",
                    "payload": {
                        "template_type": "button",
                        "text": first_text if index == 0 else MORE_CHOICES_TEXT,
                        "buttons": [_messenger_template_button(button) for button in group],
                    },
                }
            }
        )
    return messages
