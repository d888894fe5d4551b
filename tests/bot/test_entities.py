"""Entity extractor: canonical values and offsets into the text exactly as the worker typed it."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from bot.nlu.entities import ENTITY_NAMES, Entity, extract_entities

TODAY = date(2026, 11, 24)

Row = tuple[str, list[tuple[str, object, str]]]

ROWS: list[Row] = [
    # Sentences from the task brief.
    (
        "luong toi thieu vung 2 nam nay bn vay",
        [("region", 2, "vung 2"), ("year", 2026, "nam nay")],
    ),
    (
        "e lam them 3 tieng ngay cn thi dc tinh luong ntn ak",
        [("hours", 3.0, "3 tieng"), ("day_type", "rest_day", "cn")],
    ),
    (
        "lương 6tr5 làm thêm 10 tiếng ngày thường",
        [
            ("money", 6_500_000, "6tr5"),
            ("hours", 10.0, "10 tiếng"),
            ("day_type", "weekday", "ngày thường"),
        ],
    ),
    (
        "lam 3 nam 6 thang luong binh quan 8 trieu",
        [("duration_months", 42, "3 nam 6 thang"), ("money", 8_000_000, "8 trieu")],
    ),
    # region
    ("Lương tối thiểu vùng 1", [("region", 1, "vùng 1")]),
    ("vung I la bao nhieu", [("region", 1, "vung I")]),
    ("vùng IV năm 2025", [("region", 4, "vùng IV"), ("year", 2025, "năm 2025")]),
    ("VÙNG III", [("region", 3, "VÙNG III")]),
    ("lttv v1 bn", [("region", 1, "v1")]),
    ("khu vực 2 lương bao nhiêu", [("region", 2, "khu vực 2")]),
    ("vùng hai", [("region", 2, "vùng hai")]),
    ("vung 5", []),
    ("khu vực Hai Bà Trưng", []),
    ("làm ở vùng Ba Vì", []),
    ("phien ban v1.2", []),
    # year
    ("năm 2024 lương tối thiểu", [("year", 2024, "năm 2024")]),
    ("2025 vung 3 bao nhieu", [("year", 2025, "2025"), ("region", 3, "vung 3")]),
    ("năm ngoái tăng bao nhiêu", [("year", 2025, "năm ngoái")]),
    ("nam ngoai", [("year", 2025, "nam ngoai")]),
    ("Năm sau có tăng không", [("year", 2027, "Năm sau")]),
    ("sang năm thì sao", [("year", 2027, "sang năm")]),
    ("năm tới", [("year", 2027, "năm tới")]),
    ("năm tôi 20 tuổi", []),
    ("từ 1/7/2025", [("year", 2025, "2025")]),
    ("2000 đồng", [("money", 2000, "2000 đồng")]),
    # month
    ("tháng 7 này", [("month", 7, "tháng 7")]),
    ("thang 12 nam ngoai", [("month", 12, "thang 12"), ("year", 2025, "nam ngoai")]),
    ("tháng 7/2025", [("month", 7, "tháng 7"), ("year", 2025, "2025")]),
    ("lương tháng này", [("month", 11, "tháng này")]),
    ("thang 13", []),
    ("luong thang 6 trieu", [("money", 6_000_000, "6 trieu")]),
    # money
    ("6 triệu", [("money", 6_000_000, "6 triệu")]),
    ("6tr", [("money", 6_000_000, "6tr")]),
    ("6,5 triệu", [("money", 6_500_000, "6,5 triệu")]),
    ("6.5tr", [("money", 6_500_000, "6.5tr")]),
    ("6tr25", [("money", 6_250_000, "6tr25")]),
    ("6.500.000đ", [("money", 6_500_000, "6.500.000đ")]),
    ("6500000 đồng", [("money", 6_500_000, "6500000 đồng")]),
    ("lương 8000000", [("money", 8_000_000, "8000000")]),
    ("6,500,000 VND", [("money", 6_500_000, "6,500,000 VND")]),
    ("800k", [("money", 800_000, "800k")]),
    ("800 nghìn", [("money", 800_000, "800 nghìn")]),
    ("800 ngàn", [("money", 800_000, "800 ngàn")]),
    ("800 k", [("money", 800_000, "800 k")]),
    ("15 củ", [("money", 15_000_000, "15 củ")]),
    ("lương 6 triệu 500k", [("money", 6_500_000, "6 triệu 500k")]),
    ("luong 7 trieu ruoi", [("money", 7_500_000, "7 trieu ruoi")]),
    ("lương 6 triệu 5 thì sao", [("money", 6_500_000, "6 triệu 5")]),
    ("6 triệu đồng", [("money", 6_000_000, "6 triệu đồng")]),
    ("sdt 0912345678", []),
    # hours
    ("3 tiếng", [("hours", 3.0, "3 tiếng")]),
    ("3 giờ", [("hours", 3.0, "3 giờ")]),
    ("lam them 3h", [("hours", 3.0, "3h")]),
    ("2,5 tiếng", [("hours", 2.5, "2,5 tiếng")]),
    ("10 tieng", [("hours", 10.0, "10 tieng")]),
    ("3 tiếng rưỡi", [("hours", 3.5, "3 tiếng rưỡi")]),
    ("1 tieng 30 phut", [("hours", 1.5, "1 tieng 30 phut")]),
    ("8 giờ/ngày", [("hours", 8.0, "8 giờ")]),
    ("lúc 22h", []),
    ("ca 22h30", []),
    ("5 giờ chiều", []),
    # days
    ("26 ngày công", [("days", 26, "26 ngày công")]),
    ("4 ngày phép", [("days", 4, "4 ngày phép")]),
    ("nghỉ 3 ngày", [("days", 3, "3 ngày")]),
    # duration_months
    ("làm 5 năm", [("duration_months", 60, "5 năm")]),
    ("5 năm làm việc", [("duration_months", 60, "5 năm")]),
    ("đóng bhxh được 10 năm", [("duration_months", 120, "10 năm")]),
    ("da cong tac 2 nam ruoi", [("duration_months", 30, "2 nam ruoi")]),
    ("48 tháng", [("duration_months", 48, "48 tháng")]),
    ("18 thang", [("duration_months", 18, "18 thang")]),
    ("5 năm nữa mới nghỉ hưu", []),
    ("lam 5 nam nay roi", [("duration_months", 60, "5 nam")]),
    ("luong binh quan 6 thang cuoi", []),
    # day_type
    ("ngày nghỉ hằng tuần", [("day_type", "rest_day", "ngày nghỉ hằng tuần")]),
    ("làm chủ nhật", [("day_type", "rest_day", "chủ nhật")]),
    ("tăng ca ngày lễ", [("day_type", "holiday", "ngày lễ")]),
    ("tết có được x3 lương ko", [("day_type", "holiday", "tết")]),
    ("đi làm ngày nghỉ lễ", [("day_type", "holiday", "ngày nghỉ lễ")]),
    ("ngay bt", [("day_type", "weekday", "ngay bt")]),
    ("ngày 30/4", [("day_type", "holiday", "ngày 30/4")]),
    ("thứ 7 em được nghỉ", [("day_type", "rest_day", "thứ 7")]),
    ("thứ 7 em vẫn làm bình thường", []),
    ("các cn trong xưởng", []),
    ("ngày nghỉ phép", []),
    ("ngày lẻ", []),
    # night
    ("làm ca đêm", [("night", True, "làm ca đêm")]),
    ("ban dem", [("night", True, "ban dem")]),
    ("làm đêm", [("night", True, "làm đêm")]),
    ("dem", [("night", True, "dem")]),
    ("đem theo giấy tờ", []),
    ("ca 3", [("night", True, "ca 3")]),
    # mixed
    (
        "Lương 5.200.000 đồng/tháng, 26 ngày công, 8 giờ/ngày, tăng ca 2 giờ ngày thường",
        [
            ("money", 5_200_000, "5.200.000 đồng"),
            ("days", 26, "26 ngày công"),
            ("hours", 8.0, "8 giờ"),
            ("hours", 2.0, "2 giờ"),
            ("day_type", "weekday", "ngày thường"),
        ],
    ),
    (
        "lam 2 nam khong dong bhtn luong binh quan 6 trieu",
        [("duration_months", 24, "2 nam"), ("money", 6_000_000, "6 trieu")],
    ),
    (
        "lam them 2 tieng ban dem ngay cn luong 6tr",
        [
            ("hours", 2.0, "2 tieng"),
            ("night", True, "ban dem"),
            ("day_type", "rest_day", "cn"),
            ("money", 6_000_000, "6tr"),
        ],
    ),
    ("lương 7tr2, nghỉ việc", [("money", 7_200_000, "7tr2")]),
    ("hợp đồng 3 năm hết hạn", []),
    ("tháng trước tăng ca 40 tiếng", [("month", 10, "tháng trước"), ("hours", 40.0, "40 tiếng")]),
    (
        "Em làm ở cty được 2 năm rồi, lương 7 triệu",
        [("duration_months", 24, "2 năm"), ("money", 7_000_000, "7 triệu")],
    ),
    ("năm 2025 tháng 13", [("year", 2025, "năm 2025")]),
    ("hello bot", []),
]


def as_tuples(entities: list[Entity]) -> list[tuple[str, object, str]]:
    return [(entity.entity, entity.value, entity.text) for entity in entities]


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[row[0][:40] for row in ROWS])
def test_extract_entities_reads_values(text: str, expected: list[tuple[str, object, str]]) -> None:
    assert as_tuples(extract_entities(text, today=TODAY)) == expected


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[row[0][:40] for row in ROWS])
def test_extract_entities_same_values_for_nfd_input(
    text: str, expected: list[tuple[str, object, str]]
) -> None:
    raw = unicodedata.normalize("NFD", text)
    entities = extract_entities(raw, today=TODAY)
    assert [(e.entity, e.value) for e in entities] == [(name, value) for name, value, _ in expected]
    for entity in entities:
        assert raw[entity.start : entity.end] == entity.text
        assert unicodedata.normalize("NFC", entity.text) in [text for _, _, text in expected]


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[row[0][:40] for row in ROWS])
def test_extract_entities_offsets_index_original(
    text: str, expected: list[tuple[str, object, str]]
) -> None:
    for entity in extract_entities(text, today=TODAY):
        assert text[entity.start : entity.end] == entity.text
        assert entity.entity in ENTITY_NAMES


def test_extract_entities_value_types_are_canonical() -> None:
    text = "vùng 2 năm 2026 tháng 7 lương 6tr5 làm 3 tiếng ngày lễ ban đêm 26 ngày công, làm 4 năm"
    by_name = {entity.entity: entity.value for entity in extract_entities(text, today=TODAY)}
    assert by_name == {
        "region": 2,
        "year": 2026,
        "month": 7,
        "money": 6_500_000,
        "hours": 3.0,
        "day_type": "holiday",
        "night": True,
        "days": 26,
        "duration_months": 48,
    }
    assert isinstance(by_name["hours"], float)
    assert all(type(by_name[name]) is int for name in ("region", "year", "month", "money", "days"))


def test_extract_entities_defaults_today_to_current_date() -> None:
    (entity,) = extract_entities("năm nay")
    assert entity.value == date.today().year


def test_extract_entities_with_zero_width_and_curly_quotes() -> None:
    text = "lương \u201c6\u200btr5\u201d vùng\u00a0II"
    entities = extract_entities(text, today=TODAY)
    assert [(e.entity, e.value) for e in entities] == [("money", 6_500_000), ("region", 2)]
    assert [text[e.start : e.end] for e in entities] == ["6\u200btr5", "vùng\u00a0II"]


@pytest.mark.parametrize(
    ("text", "months"),
    [("me e co 20 nam bhxh, ve huu thi lg huu tinh bn % ad", 240), ("co 17 nam bao hiem xa hoi", 204)],
)
def test_extract_entities_reads_years_of_insurance_as_duration(text: str, months: int) -> None:
    found = {e.entity: e.value for e in extract_entities(text)}
    assert found["duration_months"] == months
