"""Webhook payloads → platform-neutral events, built from the documented samples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.channels.inbound import (
    EventKind,
    InboundEvent,
    MalformedEvent,
    build_start_message,
    parse_messenger_payload,
    parse_zalo_event,
)

SAMPLES = Path("/work/shared/platforms")


def load_sample(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"shared sample {name} not available")
    return dict(json.loads(path.read_text()))


ZALO_TEXT = {
    "app_id": "3608465248940903967",
    "user_id_by_app": "552177279717587730",
    "event_name": "user_send_text",
    "timestamp": "1718000000000",
    "sender": {"id": "2468458835296197922"},
    "recipient": {"id": "388613280878808645"},
    "message": {"msg_id": "96d3cdf3af150460909", "text": "Tôi muốn hỏi về chế độ thai sản"},
}


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("survey", '/start{"ref": "survey"}'),
        (None, "/start"),
        ("", "/start"),
        ('x"}{/evil', '/start{"ref": "xevil"}'),
        ("khao_sat-2026=A", '/start{"ref": "khao_sat-2026=A"}'),
    ],
)
def test_build_start_message_table(ref: str | None, expected: str) -> None:
    assert build_start_message(ref) == expected


def test_parse_zalo_text_sample() -> None:
    event = parse_zalo_event(load_sample("zalo_user_send_text.json"))
    assert (event.kind, event.sender_id, event.event_id) == (
        EventKind.TEXT,
        "2468458835296197922",
        "96d3cdf3af150460909",
    )
    assert event.text == "Tôi muốn hỏi về chế độ thai sản"
    assert event.metadata["channel"] == "zalo"
    assert event.metadata["msg_id"] == "96d3cdf3af150460909"
    assert event.timestamp_ms == 1718000000000


def test_parse_zalo_follow_sample_starts_with_source_ref() -> None:
    event = parse_zalo_event(load_sample("zalo_follow.json"))
    assert event.kind is EventKind.START
    assert event.sender_id == "2468458835296197922"
    assert event.text == '/start{"ref": "oa_profile"}'
    assert event.metadata["ref"] == "oa_profile"


def test_parse_zalo_button_tap_keeps_payload() -> None:
    payload = copy.deepcopy(ZALO_TEXT)
    payload["message"]["text"] = "/ask_maternity"
    event = parse_zalo_event(payload)
    assert event.text == "/ask_maternity"
    assert event.metadata["quick_reply_payload"] == "/ask_maternity"


@pytest.mark.parametrize(
    ("event_name", "message", "kind"),
    [
        (
            "user_send_sticker",
            {"msg_id": "a1", "attachments": [{"type": "sticker"}]},
            EventKind.UNSUPPORTED,
        ),
        (
            "user_send_image",
            {"msg_id": "a2", "attachments": [{"type": "image"}]},
            EventKind.UNSUPPORTED,
        ),
        (
            "user_send_image",
            {"msg_id": "a3", "text": "ảnh hợp đồng", "attachments": [{"type": "image"}]},
            EventKind.TEXT,
        ),
        (
            "user_send_audio",
            {"msg_id": "a4", "attachments": [{"type": "audio"}]},
            EventKind.UNSUPPORTED,
        ),
        (
            "user_send_location",
            {"msg_id": "a5", "attachments": [{"type": "location"}]},
            EventKind.UNSUPPORTED,
        ),
    ],
)
def test_parse_zalo_attachment_events(event_name: str, message: dict[str, Any], kind: EventKind) -> None:
    payload = {**ZALO_TEXT, "event_name": event_name, "message": message}
    event = parse_zalo_event(payload)
    assert event.kind is kind
    assert event.event_id == message["msg_id"]


@pytest.mark.parametrize(
    "event_name",
    [
        "oa_send_text",
        "user_received_message",
        "user_seen_message",
        "user_click_chatnow",
        "add_user_to_tag",
    ],
)
def test_parse_zalo_other_events_are_ignored(event_name: str) -> None:
    payload = {**ZALO_TEXT, "event_name": event_name}
    assert parse_zalo_event(payload).kind is EventKind.IGNORED


def test_parse_zalo_unfollow() -> None:
    payload = {**load_sample("zalo_follow.json"), "event_name": "unfollow"}
    event = parse_zalo_event(payload)
    assert event.kind is EventKind.UNFOLLOW
    assert event.event_id.startswith("unfollow:2468458835296197922:")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.pop("event_name"),
        lambda p: p.pop("app_id"),
        lambda p: p.update(timestamp="yesterday"),
        lambda p: p.pop("sender"),
        lambda p: p.update(sender={"id": ""}),
        lambda p: p.pop("message"),
        lambda p: p["message"].pop("msg_id"),
        lambda p: p["message"].pop("text"),
        lambda p: p.update(event_name="follow"),  # follow without follower
    ],
)
def test_parse_zalo_malformed_table(mutate: Any) -> None:
    payload = copy.deepcopy(ZALO_TEXT)
    mutate(payload)
    with pytest.raises(MalformedEvent):
        parse_zalo_event(payload)


@pytest.mark.parametrize("payload", [None, [], "text", 42])
def test_parse_zalo_non_object_is_malformed(payload: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_zalo_event(payload)


def test_parse_messenger_text_sample() -> None:
    (event,) = parse_messenger_payload(load_sample("messenger_text.json"))
    assert (event.kind, event.sender_id, event.text) == (
        EventKind.TEXT,
        "6543210987654321",
        "Xin chào, tôi cần hỗ trợ",
    )
    assert event.event_id.startswith("m_AG5Hz2")
    assert event.metadata["page_id"] == "104567890123456"


def test_parse_messenger_quick_reply_sample_uses_payload() -> None:
    (event,) = parse_messenger_payload(load_sample("messenger_quick_reply.json"))
    assert event.text == "/ask_maternity"
    assert event.metadata["quick_reply_payload"] == "/ask_maternity"
    assert event.metadata["quick_reply_title"] == "Chế độ thai sản"
    assert event.metadata["event_name"] == "quick_reply"


def test_parse_messenger_postback_sample() -> None:
    (event,) = parse_messenger_payload(load_sample("messenger_postback.json"))
    assert (event.kind, event.text) == (EventKind.POSTBACK, "/start_survey")
    assert event.event_id == "m_PB9zY8x7WvUtSrQpOnMlKjIhGfEdCbA9876543210"
    assert event.metadata["postback_title"] == "Bắt đầu khảo sát"


def test_parse_messenger_get_started_with_referral_starts_with_ref() -> None:
    body = load_sample("messenger_postback.json")
    body["entry"][0]["messaging"][0]["postback"]["referral"] = {
        "ref": "survey",
        "source": "SHORTLINK",
        "type": "OPEN_THREAD",
    }
    (event,) = parse_messenger_payload(body)
    assert (event.kind, event.text) == (EventKind.START, '/start{"ref": "survey"}')
    assert event.metadata["ref"] == "survey"
    assert event.metadata["ref_source"] == "SHORTLINK"


def _page(items: list[dict[str, Any]], key: str = "messaging") -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": "P", "time": 1, key: items}]}


def _item(**fields: Any) -> dict[str, Any]:
    return {"sender": {"id": "U1"}, "recipient": {"id": "P"}, "timestamp": 1718000000001, **fields}


def test_parse_messenger_batch_keeps_every_item_in_order() -> None:
    body = {
        "object": "page",
        "entry": [
            {
                "id": "P",
                "time": 1,
                "messaging": [
                    _item(message={"mid": "m1", "text": "một"}),
                    _item(message={"mid": "m2", "text": "hai"}),
                ],
            },
            {
                "id": "P",
                "time": 2,
                "messaging": [
                    _item(referral={"ref": "survey", "source": "SHORTLINK", "type": "OPEN_THREAD"})
                ],
            },
        ],
    }
    events = parse_messenger_payload(body)
    assert [(e.kind, e.text) for e in events] == [
        (EventKind.TEXT, "một"),
        (EventKind.TEXT, "hai"),
        (EventKind.START, '/start{"ref": "survey"}'),
    ]


@pytest.mark.parametrize(
    "item",
    [
        _item(message={"mid": "m9", "text": "bot reply", "is_echo": True, "app_id": 1}),
        _item(delivery={"mids": ["m1"], "watermark": 1}),
        _item(read={"watermark": 1}),
        _item(pass_thread_control={"new_owner_app_id": "1"}),
        _item(something_new={"x": 1}),
    ],
)
def test_parse_messenger_non_user_items_are_ignored(item: dict[str, Any]) -> None:
    (event,) = parse_messenger_payload(_page([item]))
    assert event.kind is EventKind.IGNORED


def test_parse_messenger_standby_is_ignored_not_crashing() -> None:
    (event,) = parse_messenger_payload(_page([_item(message={"mid": "m3", "text": "hi"})], key="standby"))
    assert event.kind is EventKind.IGNORED
    assert event.metadata["standby"] is True


@pytest.mark.parametrize("kind", ["image", "audio", "video", "file", "location", "fallback"])
def test_parse_messenger_attachments_are_unsupported(kind: str) -> None:
    item = _item(message={"mid": "m4", "attachments": [{"type": kind, "payload": {}}]})
    (event,) = parse_messenger_payload(_page([item]))
    assert event.kind is EventKind.UNSUPPORTED
    assert event.metadata["attachments"] == [kind]


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"object": "instagram", "entry": []},
        {"object": "page"},
        {"object": "page", "entry": {"messaging": []}},
        {"object": "page", "entry": ["x"]},
        {"object": "page", "entry": [{"messaging": {"a": 1}}]},
        _page([{"recipient": {"id": "P"}, "timestamp": 1, "message": {"mid": "m", "text": "x"}}]),
        _page([_item(message={"text": "no mid"})]),
        _page([_item(message={"mid": "m5"})]),
        _page([_item(postback={"title": "no payload"})]),
        _page([{**_item(message={"mid": "m6", "text": "x"}), "timestamp": "soon"}]),
    ],
)
def test_parse_messenger_malformed_table(body: Any) -> None:
    with pytest.raises(MalformedEvent):
        parse_messenger_payload(body)


def test_inbound_event_json_round_trip() -> None:
    event = parse_zalo_event(ZALO_TEXT)
    assert InboundEvent.from_json(json.loads(json.dumps(event.to_json()))) == event
