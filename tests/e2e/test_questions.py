"""Workers' questions as they type them, over the REST channel: cited answers, calculators, handoff."""

from __future__ import annotations

import uuid

import pytest

from tests.support.stack import Stack


def _text(replies: list[dict]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


@pytest.mark.parametrize(
    ("question", "must_contain"),
    [
        ("luong toi thieu vung 2 nam nay bn vay", ["4.730.000", "293/2025/NĐ-CP", "01/01/2026"]),
        ("e lam them 3 tieng ngay cn thi dc tinh luong ntn ak", ["200%", "Điều 98"]),
        ("nghỉ việc thì báo trước mấy ngày", ["45 ngày", "Điều 35"]),
        ("Công ty nợ BHXH em phải làm sao", ["VssID", "Luật Bảo hiểm xã hội 2024"]),
        ("doan phi bay gio dong bao nhieu %", ["0,5%", "61/QĐ-TLĐ"]),
    ],
)
def test_worker_question_gets_cited_dated_answer(
    stack: Stack, question: str, must_contain: list[str]
) -> None:
    text = _text(stack.say(f"worker-{uuid.uuid4()}", question))
    assert text.startswith("Dạ")
    for expected in must_contain:
        assert expected in text, f"{expected!r} missing from: {text}"
    assert "Căn cứ:" in text and "áp dụng từ" in text


def test_overtime_question_with_numbers_is_calculated(stack: Stack) -> None:
    text = _text(
        stack.say(
            f"worker-{uuid.uuid4()}",
            "lương 6 triệu làm thêm 10 tiếng ngày thường thì được bao nhiêu",
        )
    )
    assert "432.692" in text
    assert "Căn cứ:" in text


def test_calculator_asks_missing_inputs_and_reasks_unreadable(stack: Stack) -> None:
    sender = f"worker-{uuid.uuid4()}"
    general = stack.say(sender, "tien lam them gio tinh sao ad")
    assert any(b["title"] == "Tính giúp em" for b in general[0].get("buttons", []))
    asked_money = _text(stack.say(sender, '/start_calculation{"calc_kind": "overtime"}'))
    assert "lương tháng" in asked_money.lower()
    reasked = _text(stack.say(sender, "luong em thap lam"))
    assert "chưa đọc được" in reasked and "6 triệu" in reasked
    assert "giờ" in _text(stack.say(sender, "6tr"))
    day_question = stack.say(sender, "10 tiếng")
    assert "ngày" in _text(day_question)
    result = _text(stack.say(sender, "ngày thường"))
    assert "432.692" in result


def test_calculation_can_be_cancelled(stack: Stack) -> None:
    sender = f"worker-{uuid.uuid4()}"
    stack.say(sender, '/start_calculation{"calc_kind": "severance"}')
    cancelled = _text(stack.say(sender, "thôi không cần đâu"))
    assert "dừng" in cancelled


@pytest.mark.parametrize("message", ["thời tiết hà nội mai thế nào", "toi nay xem phim gi hay"])
def test_out_of_scope_cites_no_law(stack: Stack, message: str) -> None:
    text = _text(stack.say(f"worker-{uuid.uuid4()}", message))
    assert text.startswith("Dạ")
    assert "Căn cứ" not in text


def test_unclear_message_is_clarified_then_officer_offered(stack: Stack) -> None:
    sender = f"worker-{uuid.uuid4()}"
    first = stack.say(sender, "asdkj qwe zxc")
    assert first and first[0]["text"].startswith("Dạ")
    second = stack.say(sender, "qwe asd zxc")
    payloads = [b["payload"] for r in second for b in r.get("buttons", [])]
    assert "/request_human" in payloads


def test_question_in_the_middle_of_a_calculation_is_answered(stack: Stack) -> None:
    sender = f"worker-{uuid.uuid4()}"
    stack.say(sender, '/start_calculation{"calc_kind": "union_dues"}')
    answer = _text(stack.say(sender, "nghỉ việc thì phải báo trước bao nhiêu ngày"))
    assert "45 ngày" in answer
