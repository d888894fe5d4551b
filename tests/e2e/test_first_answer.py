"""A worker's first questions over the REST channel: a cited legal answer, greetings, thanks."""

from __future__ import annotations

import unicodedata
import uuid

import pytest

from tests.support.stack import Stack


def _texts(replies: list[dict]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


@pytest.mark.parametrize(
    "question",
    [
        "Lương tối thiểu vùng 1 năm 2026 là bao nhiêu?",
        "luong toi thieu vung 1 nam 2026 la bao nhieu",
        unicodedata.normalize("NFD", "Lương tối thiểu vùng I năm 2026 là bao nhiêu?"),
    ],
)
def test_rest_min_wage_answer_has_figure_basis_and_date(stack: Stack, question: str) -> None:
    replies = stack.say(f"worker-{uuid.uuid4()}", question)
    text = _texts(replies)
    assert "5.310.000" in text
    assert "293/2025/NĐ-CP" in text
    assert "01/01/2026" in text
    assert text.startswith("Dạ")


def test_rest_min_wage_answer_for_another_region_and_year(stack: Stack) -> None:
    text = _texts(stack.say(f"worker-{uuid.uuid4()}", "luong toi thieu vung 3 nam 2025 bn vay ad"))
    assert "3.860.000" in text
    assert "74/2024/NĐ-CP" in text


@pytest.mark.parametrize("greeting", ["Xin chào", "chao ad", "hello bot"])
def test_rest_greeting_gets_polite_vietnamese(stack: Stack, greeting: str) -> None:
    replies = stack.say(f"worker-{uuid.uuid4()}", greeting)
    assert replies, "no reply to a greeting"
    assert replies[0]["text"].startswith("Dạ")
    assert "anh/chị" in replies[0]["text"]


@pytest.mark.parametrize("thanks", ["Cảm ơn trợ lý nhé", "cam on nha", "tks ad"])
def test_rest_thanks_gets_polite_reply(stack: Stack, thanks: str) -> None:
    replies = stack.say(f"worker-{uuid.uuid4()}", thanks)
    assert replies and replies[0]["text"].startswith("Dạ")
    assert "không có gì" in replies[0]["text"].lower()
