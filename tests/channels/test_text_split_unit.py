"""Splitting long replies at the platform limit on natural boundaries."""

from __future__ import annotations

import unicodedata

import pytest

from bot.channels.text_split import split_text

SENTENCE = "Người lao động làm thêm giờ vào ngày thường được trả ít nhất bằng 150% tiền lương."


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("", 10, []),
        ("   \n ", 10, []),
        ("Dạ, em chào anh/chị.", 2000, ["Dạ, em chào anh/chị."]),
        ("Câu một. Câu hai. Câu ba.", 10, ["Câu một.", "Câu hai.", "Câu ba."]),
        ("Câu một. Câu hai. Câu ba.", 18, ["Câu một. Câu hai.", "Câu ba."]),
        ("Đoạn một.\n\nĐoạn hai dài hơn.", 20, ["Đoạn một.", "Đoạn hai dài hơn."]),
        ("Dòng 1\nDòng 2\nDòng 3", 14, ["Dòng 1\nDòng 2", "Dòng 3"]),
        ("Mức lương 3.860.000 đồng. Hết.", 26, ["Mức lương 3.860.000 đồng.", "Hết."]),
        ("Hỏi gì? Dạ! Vâng… Được.", 8, ["Hỏi gì?", "Dạ!", "Vâng…", "Được."]),
        ("một hai ba bốn năm", 8, ["một hai", "ba bốn", "năm"]),
        ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
    ],
)
def test_split_text_table(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, limit) == expected


@pytest.mark.parametrize("limit", [50, 100, 640, 2000])
def test_split_text_parts_fit_limit_and_keep_every_word(limit: int) -> None:
    text = "\n\n".join(" ".join([SENTENCE] * 12) for _ in range(4))
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit for part in parts)
    assert " ".join(parts).split() == text.split()


def test_split_text_prefers_sentence_end_over_word() -> None:
    text = " ".join([SENTENCE] * 40)
    parts = split_text(text, 2000)
    assert len(parts) == 2
    assert all(part.endswith(".") for part in parts)


def test_split_text_counts_nfc_characters() -> None:
    nfd = unicodedata.normalize("NFD", "Điều 25 Bộ luật Lao động. " * 3).strip()
    assert len(nfd) > 80  # NFD would overflow an 80-character limit
    parts = split_text(nfd, 80)
    assert parts == [unicodedata.normalize("NFC", nfd)]


def test_split_text_hard_cut_never_separates_combining_mark() -> None:
    text = "aaaq\u0301b"  # "q" + combining acute has no precomposed form
    assert split_text(text, 4) == ["aaa", "q\u0301b"]


def test_split_text_rejects_non_positive_limit() -> None:
    with pytest.raises(ValueError):
        split_text("x", 0)
