"""Reading typed answers: numbers, labels with/without diacritics, teencode, dates, commands."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import pytest

from actions.survey.answers import Accepted, Rejected, parse_answer, parse_yes_no, read_command
from tests.actions.test_survey_definitions import SAMPLE_DEFINITION

QUESTIONS = {q["id"]: q for q in SAMPLE_DEFINITION["questions"]}
TODAY = date(2026, 11, 24)


def _answer(question_id: str, text: str) -> Accepted | Rejected:
    return parse_answer(QUESTIONS[question_id], text, TODAY)


@pytest.mark.parametrize(
    ("question_id", "text", "value"),
    [
        # single choice: number, payload, label with/without diacritics, teencode, politeness
        ("nhom_tuoi", "1", "duoi_30"),
        ("nhom_tuoi", "2", "tu_30_45"),
        ("nhom_tuoi", "số 3", "tren_45"),
        ("nhom_tuoi", "3.", "tren_45"),
        ("nhom_tuoi", "Dưới 30 tuổi", "duoi_30"),
        ("nhom_tuoi", "duoi 30 tuoi", "duoi_30"),
        ("nhom_tuoi", "DƯỚI 30", "duoi_30"),
        ("nhom_tuoi", "e chon tren 45 nhe ad", "tren_45"),
        ("nhom_tuoi", "Dạ từ 30 đến 45 ạ", "tu_30_45"),
        ("loai_hd", "khong xac dinh thoi han", "khong_thoi_han"),
        ("loai_hd", "hđ ko xác định thời hạn", "khong_thoi_han"),
        ("loai_hd", "xac dinh thoi han", "co_thoi_han"),
        ("loai_hd", "thoi vu", "khong_hd"),
        ("gioi_tinh", "nữ", "nu"),
        ("gioi_tinh", "nu", "nu"),
        # NFD input (decomposed diacritics) reads like NFC
        ("gioi_tinh", unicodedata.normalize("NFD", "Nữ"), "nu"),
        ("nhom_tuoi", unicodedata.normalize("NFD", "dưới 30 tuổi"), "duoi_30"),
        # multiple choice: numbers in several spellings, labels, both orders
        ("mong_muon", "1, 3", ["luong", "y_te"]),
        ("mong_muon", "1 3", ["luong", "y_te"]),
        ("mong_muon", "3,1", ["luong", "y_te"]),
        ("mong_muon", "1 và 3", ["luong", "y_te"]),
        ("mong_muon", "13", ["luong", "y_te"]),
        ("mong_muon", "tăng lương, y tế", ["luong", "y_te"]),
        ("mong_muon", "tang luong va nha o", ["luong", "nha_o"]),
        ("mong_muon", "nhà ở", ["nha_o"]),
        ("mong_muon", "2", ["nha_o"]),
        # numbers with units, money words, Vietnamese separators
        ("gio_lam_them", "48", 48),
        ("gio_lam_them", "48 giờ", 48),
        ("gio_lam_them", "khoang 20 tieng", 20),
        ("gio_lam_them", "không", 0),
        ("thu_nhap", "6tr5", 6.5),
        ("thu_nhap", "6,5 triệu", 6.5),
        ("thu_nhap", "6.500.000", 6.5),
        ("thu_nhap", "6500000đ", 6.5),
        ("thu_nhap", "7 củ", 7),
        ("thu_nhap", "1 triệu rưỡi", 1.5),
        ("thu_nhap", "8", 8),
        ("thu_nhap", "12,75", 12.75),
        # dates
        ("ngay_vao_lam", "15/3/1990", "1990-03-15"),
        ("ngay_vao_lam", "15-03-1990", "1990-03-15"),
        ("ngay_vao_lam", "1990-03-15", "1990-03-15"),
        ("ngay_vao_lam", "15.3.90", "1990-03-15"),
        ("ngay_vao_lam", "1/2/25", "2025-02-01"),
        ("ngay_vao_lam", "ngày 15 tháng 3 năm 1990", "1990-03-15"),
        ("ngay_vao_lam", "ngay 2 thang 9 nam 2019", "2019-09-02"),
        # scale: digit, label, words
        ("hai_long", "4", 4),
        ("hai_long", "5 sao", 5),
        ("hai_long", "rat hai long", 5),
        ("hai_long", "Rất không hài lòng", 1),
        ("hai_long", "bốn", 4),
        # yes / no in many spellings
        ("lam_them", "có", "yes"),
        ("lam_them", "Có ạ", "yes"),
        ("lam_them", "co", "yes"),
        ("lam_them", "ừ", "yes"),
        ("lam_them", "uh", "yes"),
        ("lam_them", "vâng", "yes"),
        ("lam_them", "yes", "yes"),
        ("lam_them", "không", "no"),
        ("lam_them", "ko", "no"),
        ("lam_them", "k", "no"),
        ("lam_them", "hok", "no"),
        ("lam_them", "dạ không", "no"),
        ("lam_them", "chưa", "no"),
        ("lam_them", "no", "no"),
        # free text is kept as typed
        ("y_kien", "  Mong có nhà trẻ gần khu trọ  ", "Mong có nhà trẻ gần khu trọ"),
    ],
)
def test_answer_accepted(question_id: str, text: str, value: Any) -> None:
    assert _answer(question_id, text) == Accepted(value)


@pytest.mark.parametrize(
    ("question_id", "text", "reason"),
    [
        ("nhom_tuoi", "", "empty"),
        ("nhom_tuoi", "   ", "empty"),
        ("nhom_tuoi", "4", "no_such_option"),
        ("nhom_tuoi", "0", "no_such_option"),
        ("nhom_tuoi", "tuổi", "ambiguous"),
        ("nhom_tuoi", "luong toi thieu vung 1", "unreadable"),
        ("loai_hd", "thời hạn", "ambiguous"),
        ("mong_muon", "1, 2, 3", "too_many"),
        ("mong_muon", "tất cả", "too_many"),
        ("mong_muon", "1, 9", "no_such_option"),
        ("mong_muon", "luong, xe buyt", "unreadable"),
        ("gio_lam_them", "nhiều lắm", "unreadable"),
        ("gio_lam_them", "500", "out_of_range"),
        ("gio_lam_them", "-3", "out_of_range"),
        ("gio_lam_them", "2,5", "not_integer"),
        ("thu_nhap", "250 triệu", "out_of_range"),
        ("ngay_vao_lam", "31/2/2020", "bad_date"),
        ("ngay_vao_lam", "hôm qua", "bad_date"),
        ("ngay_vao_lam", "3/2020", "bad_date"),
        ("hai_long", "6", "out_of_range"),
        ("hai_long", "0", "out_of_range"),
        ("hai_long", "tạm được", "unreadable"),
        ("lam_them", "hmm", "unreadable"),
        ("lam_them", "lương tối thiểu bao nhiêu", "unreadable"),
        ("y_kien", "x" * 301, "too_long"),
    ],
)
def test_answer_rejected_with_reason(question_id: str, text: str, reason: str) -> None:
    result = _answer(question_id, text)
    assert isinstance(result, Rejected) and result.reason == reason, result


def test_answer_ambiguous_lists_the_matching_options() -> None:
    assert _answer("loai_hd", "thoi han") == Rejected("ambiguous", {"options": [1, 2]})


def test_answer_out_of_range_reports_bounds() -> None:
    assert _answer("gio_lam_them", "500") == Rejected("out_of_range", {"min": 0, "max": 300})


def test_answer_multiple_keeps_choice_order_and_drops_repeats() -> None:
    assert _answer("mong_muon", "3, 1, 3") == Accepted(["luong", "y_te"])


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("bỏ qua", "skip"),
        ("Bỏ qua ạ", "skip"),
        ("bo qua cau nay", "skip"),
        ("skip", "skip"),
        ("quay lại", "back"),
        ("quay lai cau truoc", "back"),
        ("trở lại", "back"),
        ("tạm dừng", "pause"),
        ("Tạm dừng nhé", "pause"),
        ("tam dung", "pause"),
        ("để sau", "pause"),
        ("dừng lại", "pause"),
        ("khảo sát", "resume"),
        ("khao sat", "resume"),
        ("tiếp tục", "resume"),
        ("ks", "resume"),
        ("không muốn trả lời", None),
        ("1", None),
        ("có", None),
        ("không", None),
        ("quay lại công ty cũ được không", None),
        ("em muốn bỏ qua phần lương vì lương thấp", None),
    ],
)
def test_read_command(text: str, command: str | None) -> None:
    assert read_command(text) == command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có", "yes"),
        ("dong y", "yes"),
        ("ok", "yes"),
        ("1", "yes"),
        ("Không ạ", "no"),
        ("2", "no"),
        ("ờm", None),
    ],
)
def test_parse_yes_no(text: str, expected: str | None) -> None:
    assert parse_yes_no(text) == expected
