"""Rasa buttons and long text → Zalo / Messenger message objects within platform limits."""

from __future__ import annotations

import unicodedata

import pytest

from bot.channels.rendering import (
    CHOOSE_PROMPT_TEXT,
    MORE_CHOICES_TEXT,
    render_messenger_messages,
    render_zalo_messages,
    shorten_title,
)

SENTENCE = "Người lao động làm thêm giờ vào ngày thường được trả ít nhất bằng 150% tiền lương."
LONG_TEXT = " ".join([SENTENCE] * 40)  # about 3,400 characters


def make_buttons(count: int) -> list[dict[str, str]]:
    return [{"title": f"Lựa chọn {index}", "payload": f'/choose{{"n": {index}}}'} for index in range(count)]


@pytest.mark.parametrize(
    ("title", "limit", "expected"),
    [
        ("Chế độ thai sản", 20, "Chế độ thai sản"),
        ("Lương tối thiểu vùng năm nay", 20, "Lương tối thiểu…"),
        ("Trợ cấp thôi việc khi nghỉ", 20, "Trợ cấp thôi việc…"),
        ("Bảohiểmxãhộibắtbuộcdài", 20, "Bảohiểmxãhộibắtbuộc…"),
        (unicodedata.normalize("NFD", "Đóng đoàn phí"), 20, "Đóng đoàn phí"),
        ("  Khảo   sát  ", 20, "Khảo sát"),
        ("Một hai ba", 10, "Một hai ba"),
    ],
)
def test_shorten_title_table(title: str, limit: int, expected: str) -> None:
    result = shorten_title(title, limit)
    assert result == expected
    assert len(result) <= limit


def test_render_zalo_text_only_splits_at_2000() -> None:
    messages = render_zalo_messages(LONG_TEXT)
    assert len(messages) == 2
    assert all(set(message) == {"text"} and len(message["text"]) <= 2000 for message in messages)


@pytest.mark.parametrize(
    ("count", "expected_groups"),
    [(1, [1]), (5, [5]), (6, [5, 1]), (12, [5, 5, 2])],
)
def test_render_zalo_buttons_spread_five_per_message(count: int, expected_groups: list[int]) -> None:
    messages = render_zalo_messages("Dạ, anh/chị chọn giúp em:", make_buttons(count))
    groups = [len(m["attachment"]["payload"]["buttons"]) for m in messages]
    assert groups == expected_groups
    assert messages[0]["text"] == "Dạ, anh/chị chọn giúp em:"
    assert all(m["text"] == MORE_CHOICES_TEXT for m in messages[1:])
    payloads = [b["payload"] for m in messages for b in m["attachment"]["payload"]["buttons"]]
    assert payloads == [b["payload"] for b in make_buttons(count)]


def test_render_zalo_button_types_follow_payload() -> None:
    buttons = [
        {"title": "Thai sản", "payload": "/ask_maternity"},
        {"title": "Có", "payload": "có"},
        {"title": "Trang công đoàn", "url": "https://example.org/cong-doan"},
    ]
    rendered = render_zalo_messages("Chọn:", buttons)[0]["attachment"]["payload"]["buttons"]
    assert rendered == [
        {"title": "Thai sản", "type": "oa.query.hide", "payload": "/ask_maternity"},
        {"title": "Có", "type": "oa.query.show", "payload": "có"},
        {
            "title": "Trang công đoàn",
            "type": "oa.open.url",
            "payload": {"url": "https://example.org/cong-doan"},
        },
    ]


def test_render_zalo_long_text_with_buttons_puts_buttons_on_last_part() -> None:
    messages = render_zalo_messages(LONG_TEXT, make_buttons(2))
    assert [("attachment" in m) for m in messages] == [False, True]
    assert all(len(m["text"]) <= 2000 for m in messages)


def test_render_zalo_buttons_without_text_get_prompt() -> None:
    assert render_zalo_messages("", make_buttons(1))[0]["text"] == CHOOSE_PROMPT_TEXT


@pytest.mark.parametrize("count", [1, 13])
def test_render_messenger_up_to_13_buttons_become_quick_replies(count: int) -> None:
    buttons = make_buttons(count)
    buttons[0]["title"] = "Lương tối thiểu vùng năm nay"
    messages = render_messenger_messages("Dạ, anh/chị chọn:", buttons)
    assert len(messages) == 1
    quick_replies = messages[0]["quick_replies"]
    assert len(quick_replies) == count
    assert all(q["content_type"] == "text" and len(q["title"]) <= 20 for q in quick_replies)
    assert quick_replies[0]["title"] == "Lương tối thiểu…"
    assert [q["payload"] for q in quick_replies] == [b["payload"] for b in buttons]


def test_render_messenger_more_than_13_buttons_become_templates_of_three() -> None:
    messages = render_messenger_messages("Dạ, anh/chị chọn:", make_buttons(14))
    groups = [m["attachment"]["payload"]["buttons"] for m in messages]
    assert [len(group) for group in groups] == [3, 3, 3, 3, 2]
    assert messages[0]["attachment"]["payload"]["text"] == "Dạ, anh/chị chọn:"
    assert all(m["attachment"]["payload"]["text"] == MORE_CHOICES_TEXT for m in messages[1:])
    assert all(b["type"] == "postback" for group in groups for b in group)


def test_render_messenger_link_button_uses_template() -> None:
    buttons = [
        {"title": "Trang công đoàn", "url": "https://example.org"},
        {"title": "Có", "payload": "/affirm"},
    ]
    (message,) = render_messenger_messages("Xem thêm:", buttons)
    assert message["attachment"]["payload"]["buttons"] == [
        {"type": "web_url", "url": "https://example.org", "title": "Trang công đoàn"},
        {"type": "postback", "title": "Có", "payload": "/affirm"},
    ]


def test_render_messenger_template_text_over_640_goes_out_as_text_first() -> None:
    text = " ".join([SENTENCE] * 10)  # about 850 characters
    messages = render_messenger_messages(text, [{"title": "Mở", "url": "https://example.org"}])
    assert messages[0] == {"text": text}
    assert messages[1]["attachment"]["payload"]["text"] == CHOOSE_PROMPT_TEXT


def test_render_messenger_long_text_with_quick_replies_on_last_part() -> None:
    messages = render_messenger_messages(LONG_TEXT, make_buttons(2))
    assert ["quick_replies" in m for m in messages] == [False, True]
    assert all(len(m["text"]) <= 2000 for m in messages)
