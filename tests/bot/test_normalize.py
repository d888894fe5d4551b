"""Normaliser: Unicode clean-up, diacritics folding, repeats, teencode, full pipeline, variants."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.nlu.normalize import (
    collapse_repeats,
    expand_teencode,
    fold_diacritics,
    fold_with_offsets,
    load_teencode_table,
    normalize_text,
    normalize_unicode,
    parse_teencode_table,
    variants_of,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (nfd("Lương tối thiểu"), "Lương tối thiểu"),
        (nfd("ĐƯỢC KHÔNG"), "ĐƯỢC KHÔNG"),
        ("kh\u200bông\u200d đư\ufeffợc", "không được"),
        ("\u201cbảo hiểm\u201d \u2018xã hội\u2019", "\"bảo hiểm\" 'xã hội'"),
        ("8h\u201317h \u2014 ca 1", "8h-17h - ca 1"),
        ("6\u00a0triệu", "6 triệu"),
        ("\u00d0ược không, \u00f0ã", "Được không, đã"),
        ("soft\u00adhyphen", "softhyphen"),
    ],
)
def test_normalize_unicode_cleans_forms(raw: str, expected: str) -> None:
    assert normalize_unicode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lương tối thiểu vùng", "Luong toi thieu vung"),
        ("ĐƯỢC NGHỈ LỄ", "DUOC NGHI LE"),
        ("đ Đ", "d D"),
        ("ăâêôơư ĂÂÊÔƠƯ", "aaeoou AAEOOU"),
        ("ỳýỷỹỵ ÀÁẢÃẠ", "yyyyy AAAAA"),
        (nfd("Người lao động"), "Nguoi lao dong"),
        ("6.500.000đ, 150%!", "6.500.000d, 150%!"),
        ("plain ascii 123", "plain ascii 123"),
    ],
)
def test_fold_diacritics_gives_ascii(raw: str, expected: str) -> None:
    assert fold_diacritics(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("nhaaaa", "nha"),
        ("bnnnn", "bn"),
        ("NHAAA", "NHA"),
        ("okkkk nhéééé", "ok nhé"),
        ("xoong quoong", "xoong quoong"),
        ("1000 2222", "1000 2222"),
        ("vùng III", "vùng III"),
        ("vung iii va viii", "vung iii va viii"),
        ("aa ee", "aa ee"),
    ],
)
def test_collapse_repeats_keeps_doubles_digits_and_numerals(raw: str, expected: str) -> None:
    assert collapse_repeats(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ko dc", "không được"),
        ("k bik", "không biết"),
        ("hok hem khum", "không không không"),
        ("đc đk dk", "được được được"),
        ("BHXH bhyt Bhtn", "bảo hiểm xã hội bảo hiểm y tế bảo hiểm thất nghiệp"),
        ("bn", "bao nhiêu"),
        ("bao nhieu", "bao nhiêu"),
        ("ntn", "như thế nào"),
        ("nld nlđ", "người lao động người lao động"),
        ("hđld hdld", "hợp đồng lao động hợp đồng lao động"),
        ("t7 va cn", "thứ bảy va chủ nhật"),
        ("tc ot", "tăng ca làm thêm giờ"),
        ("cho e hoi a", "cho em hoi ạ"),
        ("a oi", "anh oi"),
        ("c oi", "chị oi"),
        ("met wa", "met quá"),
        ("hom wa", "hom qua"),
        ("6 tr", "6 triệu"),
        ("6tr5 800k", "6tr5 800k"),
        ("800 k", "800 k"),
        ("3 h", "3 giờ"),
        ("vung V", "vung V"),
        ("bằng cđ", "bằng cao đẳng"),
        ("đóng phí cđ", "đóng phí công đoàn"),
        ("bang tc", "bang trung cấp"),
        ("z ak", "vậy ạ"),
        ("thui r", "thôi rồi"),
        ("lm ở cty", "làm ở công ty"),
    ],
)
def test_expand_teencode_replaces_tokens(raw: str, expected: str) -> None:
    assert expand_teencode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("KO ĐC NGHỈ À???", "khong duoc nghi a???"),
        (nfd("Công ty KHÔNG trả lương"), "cong ty khong tra luong"),
        ("ko dc", "khong duoc"),
        ("không được", "khong duoc"),
        ("  nhiều    khoảng   trắng  ", "nhieu khoang trang"),
        ("nhaaaa bnnnn", "nha bao nhieu"),
        ("", ""),
        (
            "luong toi thieu vung 2 nam nay bn vay",
            "luong toi thieu vung 2 nam nay bao nhieu vay",
        ),
        (
            "e lam them 3 tieng ngay cn thi dc tinh luong ntn ak",
            "em lam them 3 tieng ngay chu nhat thi duoc tinh luong nhu the nao a",
        ),
        (
            "tang ca dem sau khi da tang ca ban ngay ngay thuong thi dc bn % ad",
            "tang ca dem sau khi da tang ca ban ngay ngay thuong thi duoc bao nhieu % admin",
        ),
        (
            "cty ko dong bhxh cho e thi phai lm j",
            "cong ty khong dong bao hiem xa hoi cho em thi phai lam gi",
        ),
        (
            "nld nghi viec dc tro cap j ko",
            "nguoi lao dong nghi viec duoc tro cap gi khong",
        ),
        (
            "HĐLĐ hết hạn mà cty ko kí tiếp thì sao ạ",
            "hop dong lao dong het han ma cong ty khong ki tiep thi sao a",
        ),
        ("Lương 6tr5 làm thêm 10 tiếng", "luong 6tr5 lam them 10 tieng"),
        ("vùng III", "vung iii"),
        ("cho em hỏi ạ", "cho em hoi a"),
        ("cho e hoi a", "cho em hoi a"),
        ("a ơi cho e hỏi", "anh oi cho em hoi"),
    ],
)
def test_normalize_text_folds_and_expands(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lương   Tối thiểu", "lương tối thiểu"),
        ("ko dc nghỉ", "không được nghỉ"),
        (nfd("Vậy À?"), "vậy à?"),
        ("bn tiền", "bao nhiêu tiền"),
    ],
)
def test_normalize_text_without_folding_keeps_diacritics(raw: str, expected: str) -> None:
    assert normalize_text(raw, fold=False) == expected


SENTENCES_WITH_DIACRITICS = [
    "Lương tối thiểu vùng 2 năm nay là bao nhiêu vậy ạ?",
    "Em làm thêm 3 tiếng ngày chủ nhật thì được tính lương như thế nào ạ?",
    "Công ty không đóng bảo hiểm xã hội cho em thì phải làm gì?",
    "Vậy à? Cảm ơn ạ",
    "À, cho em hỏi về phép năm",
    "Anh ơi, hợp đồng lao động hết hạn mà công ty không ký tiếp thì sao?",
    "Đoàn phí công đoàn bây giờ là bao nhiêu phần trăm?",
    "Tăng ca đêm sau khi đã tăng ca ban ngày thì được bao nhiêu %",
    "Phép năm có gộp nhiều năm lại nghỉ một lần được không chị, tối đa mấy năm?",
    "Lương 5.200.000 đồng/tháng, 26 ngày công, 8 giờ/ngày",
    "Tết này công ty bắt đi làm, có được trả 300% không?",
    "Ê, hôm qua mệt quá trời",
    "Bằng cao đẳng thì thử việc tối đa bao lâu?",
    nfd("Người lao động nghỉ việc được trợ cấp gì không?"),
]


@pytest.mark.parametrize("sentence", SENTENCES_WITH_DIACRITICS)
def test_normalize_text_same_with_or_without_diacritics(sentence: str) -> None:
    assert normalize_text(fold_diacritics(sentence)) == normalize_text(sentence)


@pytest.mark.parametrize("sentence", SENTENCES_WITH_DIACRITICS)
def test_variants_of_normalise_back_to_the_sentence(sentence: str) -> None:
    variants = variants_of(sentence)
    assert variants, sentence
    assert all(normalize_text(variant) == normalize_text(sentence) for variant in variants)
    assert len(set(variants)) == len(variants)
    assert normalize_unicode(sentence) not in variants


def test_variants_of_writes_folded_and_teencode_spellings() -> None:
    variants = variants_of("Công ty không đóng bảo hiểm xã hội cho em thì phải làm gì?")
    assert variants == [
        "Cong ty khong dong bao hiem xa hoi cho em thi phai lam gi?",
        "cty ko đóng bhxh cho e thì phải lm j?",
        "cty ko dong bhxh cho e thi phai lm j?",
    ]


def test_variants_of_reverses_no_diacritics_input() -> None:
    assert variants_of("khong duoc bao nhieu") == ["ko dc bn"]


def test_teencode_table_has_at_least_80_spellings() -> None:
    table = load_teencode_table()
    assert table.size >= 80
    assert table.phrases["ko"] == "không"
    assert table.contextual["k"].has_after_number and table.contextual["k"].after_number is None


def test_teencode_table_expansions_are_nfc_lowercase() -> None:
    table = load_teencode_table()
    expansions = [*table.phrases.values(), *(rule.default for rule in table.contextual.values())]
    for expansion in expansions:
        assert expansion == unicodedata.normalize("NFC", expansion).lower()


def test_parse_teencode_table_refuses_duplicate_spellings() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        parse_teencode_table({"expansions": {"không": ["ko"], "có": ["ko"]}})


def test_parse_teencode_table_requires_default_for_contextual() -> None:
    with pytest.raises(ValueError, match="default"):
        parse_teencode_table({"expansions": {"không": ["ko"]}, "contextual": {"k": {}}})


def test_expand_teencode_reads_the_table_from_data(tmp_path: Path) -> None:
    path = tmp_path / "teencode.yml"
    path.write_text(
        "expansions:\n  xin chào: [xc, hello bot]\ncontextual:\n  q:\n    default: quận\n"
        "    after_number: null\n",
        encoding="utf-8",
    )
    table = load_teencode_table(path)
    assert expand_teencode("hello bot, xc q 1 q", table) == "xin chào, xin chào quận 1 q"


@pytest.mark.parametrize(
    "raw",
    ["Lương tối thiểu", nfd("Lương tối thiểu"), "KHÔNG\u200b được", "a\u0301 b"],
)
def test_fold_with_offsets_maps_back_to_the_original(raw: str) -> None:
    view = fold_with_offsets(raw)
    assert view.text == fold_diacritics(normalize_unicode(raw)).lower().replace("\u200b", "")
    start, end = view.to_original(0, len(view.text))
    assert (start, end) == (0, len(raw))
    for index, char in enumerate(view.text):
        begin, finish = view.to_original(index, index + 1)
        assert fold_diacritics(normalize_unicode(raw[begin:finish])).lower() == char
