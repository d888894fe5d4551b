"""Reading a worker's typed answer to one survey question, and the loop's typed commands.

Lives here: pure parsing of a message against a compiled question (contract section 2): option
numbers and labels with or without diacritics (and teencode), several options ("1, 3", "1 3",
"1 và 3", labels), numbers ("48", "48 giờ", "6tr5", "6.500.000", "2 tiếng rưỡi"), dates
("15/3/1990", "15-03-1990", "ngày 15 tháng 3 năm 1990"), the 1–5 scale, yes/no (có, không, ừ,
ko, yes, no) and free text; plus the commands "bỏ qua", "quay lại", "tạm dừng", "khảo sát".
The result is the answer VALUE in the contract's JSON shape, or a reason code that
``render`` turns into a polite re-ask. Must not send anything, check constraints (the engine
does) or know about Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.nlu.normalize import fold_diacritics, normalize_text, normalize_unicode

__all__ = [
    "Accepted",
    "COMMANDS",
    "Rejected",
    "DEFAULT_TEXT_MAX_LENGTH",
    "match_option",
    "parse_answer",
    "parse_yes_no",
    "plain_words",
    "read_command",
]

DEFAULT_TEXT_MAX_LENGTH = 500
"""Longest free-text answer when the question sets no ``max_length``."""


@dataclass(frozen=True)
class Accepted:
    """A readable answer: ``value`` is in the contract's JSON shape for the question type."""

    value: Any


@dataclass(frozen=True)
class Rejected:
    """An answer that cannot be used, with the reason and details for the re-ask.

    Reasons: ``empty``, ``unreadable``, ``no_such_option`` (a number outside 1..n),
    ``ambiguous`` (several options fit; ``detail["options"]`` lists them), ``too_many``
    (more options than ``max_choices``), ``out_of_range``, ``not_integer``, ``too_long``,
    ``bad_date``.
    """

    reason: str
    detail: dict[str, Any] = field(default_factory=dict)


ParsedAnswer = Accepted | Rejected

# --- folding helpers ----------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_LEADING_CHOICE = re.compile(r"^(?:(?:em|toi|minh|chau|anh|chi|tao|to)\s+)?(?:xin\s+)?(?:chon|lay|tick)\s+")
_LEADING_NUMBER_WORD = re.compile(r"^(?:y|so|cau|phuong an|dap an|lua chon|muc|option)\s*(?=\d)")
_LEADING_POLITE = re.compile(r"^(?:da|vang|da vang|thua|admin oi|em oi)\s+")
_TRAILING = re.compile(r"\s+(?:a|nhe|nha|nhen|nhe admin|admin|oi|di|luon|thoi|ha|ak|ah|ạ|nhe em|em nhe|ban)$")


def plain_words(text: str) -> str:
    """Folds a text to lowercase words without diacritics, teencode expanded.

    Args:
        text: Any text as typed ("Dưới 30 tuổi", "duoi 30t", "ko").

    Returns:
        The words joined by single spaces ("duoi 30 tuoi", "khong"); punctuation dropped.
    """
    return " ".join(_WORD.findall(normalize_text(text)))


def _core(text: str) -> str:
    """Strips politeness and "em chọn ..." around an answer, keeping its words."""
    core = plain_words(text)
    previous = None
    while core != previous:
        previous = core
        core = _TRAILING.sub("", core)
        core = _LEADING_POLITE.sub("", core)
        core = _LEADING_CHOICE.sub("", core)
        core = _LEADING_NUMBER_WORD.sub("", core)
    return core.strip()


def _folded(text: str) -> str:
    """Lowercase, NFC, no diacritics; punctuation kept (for numbers and dates)."""
    return fold_diacritics(normalize_unicode(text).lower()).replace("đ", "d")


# --- commands -------------------------------------------------------------------------------

COMMANDS: dict[str, frozenset[str]] = {
    "pause": frozenset(
        {
            "tam dung",
            "tam dung khao sat",
            "tam dung lai",
            "dung",
            "dung lai",
            "dung khao sat",
            "de sau",
            "lam sau",
            "de luc khac",
            "luc khac",
            "luc khac lam tiep",
            "de sau lam tiep",
            "pause",
            "stop",
            "thoat",
            "thoat khao sat",
            "tam nghi",
            "tam ngung",
            "ngung",
            "ngung lai",
            "ngung khao sat",
            "de mai",
            "mai lam tiep",
        }
    ),
    "skip": frozenset(
        {
            "bo qua",
            "bo qua cau nay",
            "bo qua cau",
            "bo",
            "skip",
            "qua",
            "cau tiep",
            "cau tiep theo",
            "cau sau",
            "xin bo qua",
            "bo qua di",
            "next",
        }
    ),
    "back": frozenset(
        {
            "quay lai",
            "quay lai cau truoc",
            "tro lai",
            "tro lai cau truoc",
            "lui lai",
            "quay lui",
            "back",
            "cau truoc",
            "sua cau truoc",
            "sua lai cau truoc",
            "quay lai cau tren",
            "lui",
        }
    ),
    "resume": frozenset(
        {
            "khao sat",
            "lam khao sat",
            "tiep tuc",
            "tiep tuc khao sat",
            "lam tiep",
            "ks",
            "tiep",
            "lam tiep khao sat",
            "phieu khao sat",
        }
    ),
}
"""Whole-message commands of the survey loop (compared after folding, particles dropped)."""


def read_command(text: str) -> str | None:
    """Tells whether a message is a loop command rather than an answer.

    Args:
        text: The message as typed ("Bỏ qua ạ", "quay lai", "tạm dừng nhé").

    Returns:
        "pause", "skip", "back" or "resume", or None for anything else.
    """
    core = _core(text)
    for name, phrases in COMMANDS.items():
        if core in phrases:
            return name
    return None


# --- yes / no -------------------------------------------------------------------------------

_YES = frozenset(
    {
        "co",
        "yes",
        "y",
        "u",
        "uh",
        "um",
        "uhm",
        "uk",
        "uki",
        "vang",
        "da",
        "da co",
        "co chu",
        "dong y",
        "toi dong y",
        "em dong y",
        "ok",
        "oke",
        "okie",
        "okay",
        "duoc",
        "dung",
        "dung roi",
        "roi",
        "da roi",
        "chac chan",
        "tat nhien",
        "co roi",
        "1",
        "co dong y",
        "dong y tham gia",
        "co tham gia",
        "tham gia",
    }
)
_NO = frozenset(
    {
        "khong",
        "no",
        "n",
        "khong co",
        "chua",
        "chua co",
        "khong dong y",
        "sai",
        "khong a",
        "khong muon",
        "tu choi",
        "khong tham gia",
        "thoi",
        "thoi khong",
        "khong phai",
        "chua tung",
        "2",
        "nope",
    }
)


def parse_yes_no(text: str) -> str | None:
    """Reads có/không in its many spellings.

    Args:
        text: The message ("Có ạ", "ừ", "ko", "yes", "dạ không", or the button numbers 1/2).

    Returns:
        "yes", "no", or None when it is neither.
    """
    core = _core(text)
    if core in _YES:
        return "yes"
    if core in _NO:
        return "no"
    return None


# --- options --------------------------------------------------------------------------------


def _option_keys(choice: Mapping[str, Any]) -> set[str]:
    keys = {plain_words(str(choice.get("label") or ""))}
    keys.add(plain_words(str(choice.get("value") or "").replace("_", " ")))
    return {key for key in keys if key}


def _contains_words(haystack: str, needle: str) -> bool:
    return f" {needle} " in f" {haystack} "


def match_option(choices: Sequence[Mapping[str, Any]], text: str) -> int | Rejected:
    """Finds the option a worker meant: its number, or its label (value) typed loosely.

    Args:
        choices: The question's choices, in order.
        text: The message ("2", "số 2", "Dưới 30 tuổi", "duoi 30", "em chọn khong thoi han").

    Returns:
        The 0-based index of the option, or a Rejected reason (``no_such_option``,
        ``ambiguous``, ``unreadable``).
    """
    core = _core(text)
    if not core:
        return Rejected("empty")
    if core.isdigit():
        number = int(core)
        if 1 <= number <= len(choices):
            return number - 1
        return Rejected("no_such_option", {"count": len(choices)})
    keys = [_option_keys(choice) for choice in choices]
    whole = plain_words(text)
    exact = [i for i, option in enumerate(keys) if core in option or whole in option]
    if len(exact) == 1:
        return exact[0]
    leading = re.match(r"^(\d+)\s+(.+)$", core)
    if leading and 1 <= int(leading.group(1)) <= len(choices):
        index = int(leading.group(1)) - 1
        if any(_contains_words(key, leading.group(2)) for key in keys[index]):
            return index
    if len(core) >= 2:
        inside = [i for i, option in enumerate(keys) if any(_contains_words(k, core) for k in option)]
        if len(inside) == 1:
            return inside[0]
        if len(inside) > 1:
            return Rejected("ambiguous", {"options": [i + 1 for i in inside]})
    around = [
        (i, max(len(k) for k in option if _contains_words(core, k)))
        for i, option in enumerate(keys)
        if any(len(k) >= 2 and _contains_words(core, k) for k in option)
    ]
    if around:
        longest = max(length for _, length in around)
        best = [i for i, length in around if length == longest]
        if len(best) == 1:
            return best[0]
        return Rejected("ambiguous", {"options": [i + 1 for i in best]})
    return Rejected("unreadable")


_SEPARATORS = re.compile(r"\s*(?:[,;/+&]|\bva\b|\bvoi\b|\bhoac\b|\bcung\b|\bvoi lai\b)\s*")
_ALL = frozenset({"tat ca", "tat ca cac y", "ca", "het", "chon het", "tat ca luon", "all"})


def _parse_multiple(question: Mapping[str, Any], text: str) -> ParsedAnswer:
    choices = list(question.get("choices") or [])
    core = _core(text)
    if not core:
        return Rejected("empty")
    if core in _ALL:
        indexes = list(range(len(choices)))
    else:
        indexes = _multiple_indexes(choices, text, core)
        if isinstance(indexes, Rejected):
            return indexes
    limit = question.get("max_choices")
    unique = sorted(set(indexes))
    if isinstance(limit, int) and len(unique) > limit:
        return Rejected("too_many", {"max_choices": limit})
    return Accepted([str(choices[i]["value"]) for i in unique])


def _multiple_indexes(choices: Sequence[Mapping[str, Any]], text: str, core: str) -> list[int] | Rejected:
    if re.fullmatch(r"\d+(?:\s+\d+)*", core):
        numbers = core.split()
        if len(numbers) == 1 and len(choices) < 10 and int(numbers[0]) > len(choices):
            numbers = list(numbers[0])  # "13" typed for options 1 and 3
        picked = [int(n) for n in numbers]
        if any(not 1 <= n <= len(choices) for n in picked):
            return Rejected("no_such_option", {"count": len(choices)})
        return [n - 1 for n in picked]
    folded = normalize_text(text)
    parts = [part for part in _SEPARATORS.split(folded) if plain_words(part)]
    if len(parts) <= 1:
        single = match_option(choices, text)
        return single if isinstance(single, Rejected) else [single]
    indexes: list[int] = []
    for part in parts:
        found = match_option(choices, part)
        if isinstance(found, Rejected):
            return found
        indexes.append(found)
    return indexes


# --- numbers --------------------------------------------------------------------------------

_MONEY_WORDS: dict[str, int] = {
    "ty": 1_000_000_000,
    "ti": 1_000_000_000,
    "trieu": 1_000_000,
    "tr": 1_000_000,
    "cu": 1_000_000,
    "nghin": 1_000,
    "ngan": 1_000,
    "ng": 1_000,
    "k": 1_000,
}
_NUMBER = re.compile(
    r"(?<![\d/])((?:(?<![^\s])-)?\d+(?:[.,]\d+)*)"
    r"(?:\s*(ty|ti|trieu|tr|cu|nghin|ngan|ng|k)(?![a-z])(?:\s*(\d+)(?![\d.,/]))?)?"
)
_HALF = re.compile(r"^\s*(?:[a-z]+\s+)?ruoi\b")
_NUMBER_WORDS: dict[str, int] = {
    "khong": 0,
    "khong co": 0,
    "chua co": 0,
    "mot": 1,
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,
    "nam": 5,
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
    "muoi": 10,
}


def _decimal(raw: str) -> float:
    """Reads "6.500.000", "2,5", "48.5", "1.500" (thousands) the Vietnamese way."""
    if "." in raw and "," in raw:
        decimal_mark = "." if raw.rfind(".") > raw.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        return float(raw.replace(thousands, "").replace(decimal_mark, "."))
    for mark in (".", ","):
        count = raw.count(mark)
        if count > 1:
            return float(raw.replace(mark, ""))
        if count == 1:
            head, tail = raw.split(mark)
            if len(tail) == 3 and head not in ("", "0"):
                return float(head + tail)
            return float(f"{head}.{tail}")
    return float(raw)


def _unit_scale(unit: Any) -> int | None:
    """How many đồng one unit of a money question is (None when the unit is not money)."""
    words = plain_words(str(unit or "")).split()
    if "trieu" in words or "tr" in words:
        return 1_000_000
    if "nghin" in words or "ngan" in words:
        return 1_000
    if {"dong", "vnd", "d"} & set(words):
        return 1
    return None


def read_number(text: str, unit: Any = None) -> float | None:
    """Reads the first number of a message, with money words and "rưỡi".

    Args:
        text: The message ("48", "48 giờ", "6tr5", "6,5 triệu", "6.500.000đ", "hai con").
        unit: The question's unit ("giờ", "triệu đồng", ...), used to express money amounts.

    Returns:
        The number in the question's unit, or None when there is none.
    """
    folded = _folded(text)
    scale = _unit_scale(unit)
    match = _NUMBER.search(folded)
    if match is None:
        core = _core(text)
        return float(_NUMBER_WORDS[core]) if core in _NUMBER_WORDS else None
    raw, word, tail = match.groups()
    half = _HALF.match(folded[match.end() :])
    try:
        number = _decimal(raw)
    except ValueError:
        return None
    if word and tail:
        number += int(tail) / 10 ** len(tail)
    if half:
        number += 0.5
    if word:
        amount = number * _MONEY_WORDS[word]
        return amount / scale if scale else amount
    if scale and scale >= 1_000 and number >= 100_000:
        return number / scale  # typed in đồng for a question asked in nghìn/triệu
    return number


def _parse_number(question: Mapping[str, Any], text: str) -> ParsedAnswer:
    number = read_number(text, question.get("unit"))
    if number is None:
        return Rejected("unreadable")
    value: int | float = int(number) if float(number).is_integer() else round(number, 6)
    if question.get("integer") and not isinstance(value, int):
        return Rejected("not_integer")
    low, high = question.get("min"), question.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return Rejected("out_of_range", {"min": low, "max": high})
    return Accepted(value)


# --- scale, dates, text ---------------------------------------------------------------------


def _parse_scale(question: Mapping[str, Any], text: str) -> ParsedAnswer:
    core = _core(text)
    if not core:
        return Rejected("empty")
    labels = question.get("scale_labels") or {}
    for key, label in labels.items():
        if core == plain_words(str(label)):
            return Accepted(int(key))
    digits = re.findall(r"\d+", core)
    if digits:
        value = int(digits[0])
    elif core in _NUMBER_WORDS:
        value = _NUMBER_WORDS[core]
    else:
        return Rejected("unreadable")
    if not 1 <= value <= 5:
        return Rejected("out_of_range", {"min": 1, "max": 5})
    return Accepted(value)


_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?!\d)")
_WORDS_DATE = re.compile(r"(?:ngay\s*)?(\d{1,2})\s+thang\s+(\d{1,2})\s*(?:nam|,|/)?\s*(\d{4})")


def _full_year(year: int, today: date) -> int:
    if year >= 100:
        return year
    return 2000 + year if 2000 + year <= today.year else 1900 + year


def _parse_date(text: str, today: date | None = None) -> ParsedAnswer:
    today = today or date.today()
    folded = _folded(text)
    found: tuple[int, int, int] | None = None
    if match := _YMD.search(folded):
        found = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    elif match := (_DMY.search(folded) or _WORDS_DATE.search(folded)):
        day, month, year = (int(part) for part in match.groups())
        found = (_full_year(year, today), month, day)
    if found is None:
        return Rejected("bad_date")
    try:
        return Accepted(date(*found).isoformat())
    except ValueError:
        return Rejected("bad_date")


def _parse_text(question: Mapping[str, Any], text: str) -> ParsedAnswer:
    value = normalize_unicode(text).strip()
    if not value:
        return Rejected("empty")
    limit = question.get("max_length") or DEFAULT_TEXT_MAX_LENGTH
    if len(value) > limit:
        return Rejected("too_long", {"max_length": limit})
    return Accepted(value)


def parse_answer(question: Mapping[str, Any], text: str, today: date | None = None) -> ParsedAnswer:
    """Reads a typed answer for one question.

    Args:
        question: The compiled question (contract section 2).
        text: What the worker typed or the button payload (an option number as text).
        today: The date two-digit years are read against (default: today).

    Returns:
        Accepted(value) with the value in the contract's shape (single_choice → choice
        value, multiple_choice → list in choice order, number → int/float, scale → 1..5,
        yes_no → "yes"/"no", date → "YYYY-MM-DD", text → string), or Rejected(reason).
    """
    if not normalize_unicode(text or "").strip():
        return Rejected("empty")
    kind = question.get("type")
    if kind == "single_choice":
        choices = list(question.get("choices") or [])
        found = match_option(choices, text)
        return found if isinstance(found, Rejected) else Accepted(str(choices[found]["value"]))
    if kind == "multiple_choice":
        return _parse_multiple(question, text)
    if kind == "number":
        return _parse_number(question, text)
    if kind == "scale":
        return _parse_scale(question, text)
    if kind == "yes_no":
        answer = parse_yes_no(text)
        return Accepted(answer) if answer else Rejected("unreadable")
    if kind == "date":
        return _parse_date(text, today)
    return _parse_text(question, text)
