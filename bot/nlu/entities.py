"""Rule-based entities for labour questions: region, year, month, money, hours, days, ...

Lives here: ``extract_entities`` and its patterns. They run on a folded copy of the raw
message (lowercase, no diacritics, see ``normalize.fold_with_offsets``), so "vùng II",
"vung 2" and NFD text behave alike, and offsets are mapped back to the text as typed.
Must not import Rasa, and must not decide dialogue questions (which of two amounts is the
wage): it reports every value it can read and the dialogue chooses.

Documented simplifications:
- A number followed by "giờ"/"h" is a clock time, not a duration, when it comes after
  "lúc/từ/đến/tới/sau/trước", when it is followed by "sáng/chiều/tối/đêm/...", by minutes
  ("22h30") or by a range dash ("22h-6h"). "tiếng" is always a duration.
- "N năm" is service or contribution time only after làm/đóng/được/công tác/tham gia/làm
  việc/thâm niên (within four words) or when followed by such a word; "N năm M tháng" always.
- "thứ 7" is a rest day only when the same sentence says it is a day off ("nghỉ").
- "cn" is Sunday only next to day words ("ngày cn", "làm cn", "cn này"), else it may be
  "công nhân".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from bot.nlu.normalize import FoldedView, fold_with_offsets, normalize_unicode

__all__ = ["ENTITY_NAMES", "Entity", "extract_entities"]

EntityValue = int | float | str | bool

ENTITY_NAMES = (
    "region",
    "year",
    "month",
    "money",
    "hours",
    "days",
    "duration_months",
    "day_type",
    "night",
)
"""Every entity name this module can emit (also listed in domain.yml)."""


@dataclass(frozen=True)
class Entity:
    """One value read from the message, with its span in the original text.

    ``text == message[start:end]`` always holds for the message it was extracted from.
    """

    entity: str
    value: EntityValue
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Candidate:
    entity: str
    value: EntityValue
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


_NUM = r"\d+(?:[.,]\d+)*"
_NOT_AFTER_NUMBER = r"(?<![\d.,])"
_WORD_END = r"(?![a-z0-9])"
_DONG = r"(?:\s*(?:d|dong|vnd|vnđ)(?![a-z]))?"
_DURATION_WORDS = r"(?:nam|thang|ngay|tuan|tieng|gio|h|phut|lan|nguoi|%|phan)"

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_REGION_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4}
_REGION_WORD_SPELLINGS = {"một", "mot", "hai", "ba", "bốn", "bon", "tư", "tu"}
"""Typed lowercase, as written: a capitalised "Hai"/"Ba" starts a place name."""
_TOI_SPELLINGS = {"tới", "toi"}
"""'tới' (next), not 'tôi' (I) or 'tối' (evening)."""
_MILLION_UNITS = {"trieu": 1_000_000, "tr": 1_000_000, "cu": 1_000_000, "ty": 1_000_000_000}
_CLOCK_BEFORE = re.compile(r"(?:\b(?:luc|tu|den|toi|sau|truoc|vao|khoang tu)\s*|[-–]\s*)$")
_CLOCK_AFTER = re.compile(r"\s*(?:sang|trua|chieu|toi|dem|kem|dung|hon|[-–:]\s*\d)")
_SERVICE_BEFORE = re.compile(
    r"\b(?:lam|(?<!hop )(?<!lao )dong|duoc|tac|gia|viec|nien|hien)\b(?:\s+\S+){0,4}\s*$"
)
_SERVICE_AFTER = re.compile(
    r"\s*(?:lam|dong|cong tac|tham gia|lien tuc|tham nien|o cong ty|bhxh|bhtn|bao hiem)\b"
)
_MONTHS_NOT_DURATION_BEFORE = re.compile(r"\b(?:binh quan|trung binh|bq|cua|nam|ngay)\s*$")
_MONTHS_NOT_DURATION_AFTER = re.compile(
    r"\s*(?:cuoi|gan nhat|lien ke|lien truoc|truoc khi|luong|tien luong)\b"
)
_NUMBER_JUST_BEFORE = re.compile(r"\d\s*$")
_LABELLED_NUMBER_BEFORE = re.compile(
    r"(?:\b(?:vung|khu vuc|thang|ngay|quy|lan|ca|thu|dieu|khoan)\s*|\bv)\d+\s*$"
)
_CN_CONTEXT_BEFORE = re.compile(
    r"\b(?:ngay|vao|hom|lam|them|ca|moi|sang|chieu|toi|dem|tc|thu 7|t7|va)\s*$"
)
_CN_CONTEXT_AFTER = re.compile(r"\s*(?:nay|tuan|toi|truoc|sau|roi|thi|co|duoc|nghi|va)\b")
_LE_CONTEXT_BEFORE = re.compile(r"\b(?:ngay|nghi|dip|vao|lam|cac|nhung|trong|mung|tet)\s*$")
_LE_CONTEXT_AFTER = re.compile(r"\s*(?:tet|\d|quoc khanh|gio to|lao dong|30)")


def _parse_number(raw: str) -> Decimal:
    """Reads "6,5", "6.5", "6.500.000" or "6,500,000" (groups of three are thousands)."""
    parts = re.split(r"[.,]", raw)
    if len(parts) == 1:
        return Decimal(raw)
    if all(len(part) == 3 for part in parts[1:]) and (len(parts) > 2 or len(parts[0]) <= 3):
        return Decimal("".join(parts))
    if len(parts) == 2:
        return Decimal(f"{parts[0]}.{parts[1]}")
    raise InvalidOperation(raw)


class _Scanner:
    """Runs the patterns over one folded message and collects candidates."""

    def __init__(self, view: FoldedView, today: date) -> None:
        self.view = view
        self.text = view.text
        self.today = today
        self.found: list[_Candidate] = []

    def add(self, entity: str, value: EntityValue, start: int, end: int) -> None:
        self.found.append(_Candidate(entity, value, start, end))

    def before(self, position: int) -> str:
        return self.text[max(0, position - 60) : position]

    def after(self, position: int) -> str:
        return self.text[position : position + 60]

    def typed(self, start: int, end: int, lower: bool = True) -> str:
        """Returns the original characters for a folded span, NFC (and lowercase)."""
        begin, finish = self.view.to_original(start, end)
        typed = normalize_unicode(self.view.original[begin:finish])
        return typed.lower() if lower else typed

    def finditer(self, pattern: str) -> Iterator[re.Match[str]]:
        return re.finditer(pattern, self.text)


def _count_before(scan: _Scanner, position: int) -> bool:
    """Tells whether a bare count ("5 năm nay") precedes, not a label ("vùng 2 năm nay")."""
    before = scan.before(position)
    return bool(_NUMBER_JUST_BEFORE.search(before)) and not _LABELLED_NUMBER_BEFORE.search(before)


def _typed_as(
    scan: _Scanner, match: re.Match[str], group: str, spellings: set[str], lower: bool = True
) -> bool:
    """Tells whether a matched word was typed as one of ``spellings`` ("lễ", not "lẻ").

    With ``lower=False`` case counts, so a capitalised word (a place name) does not match.
    """
    return scan.typed(*match.span(group), lower=lower) in spellings


def _scan_region(scan: _Scanner) -> None:
    pattern = rf"\b(?:vung|khu vuc)\s*(?P<r>[1-4]|iv|iii|ii|i|mot|hai|ba|bon|tu){_WORD_END}"
    for match in scan.finditer(pattern):
        raw = match.group("r")
        spelled = _typed_as(scan, match, "r", _REGION_WORD_SPELLINGS, lower=False)
        if raw in _REGION_WORDS and not spelled:
            continue  # "khu vực Hai Bà Trưng" is a district, "vùng hai" a region
        value = int(raw) if raw.isdigit() else _ROMAN.get(raw) or _REGION_WORDS[raw]
        scan.add("region", value, *match.span())
    for match in scan.finditer(r"\bv(?P<r>[1-4])(?![a-z0-9]|[.,]\d)"):
        scan.add("region", int(match.group("r")), *match.span())


def _scan_year(scan: _Scanner) -> None:
    year_lookahead = (
        rf"(?![\d]|[.,]\d|\s*(?:d|dong|k|tr|trieu|nghin|ngan|vnd|{_DURATION_WORDS}){_WORD_END})"
    )
    for match in scan.finditer(r"\bnam\s*(?P<y>(?:19|20)\d\d)(?!\d)"):
        scan.add("year", int(match.group("y")), *match.span())
    for match in scan.finditer(rf"(?<![\d.,])(?P<y>(?:19|20)\d\d){year_lookahead}"):
        scan.add("year", int(match.group("y")), *match.span("y"))
    offsets = {"nay": 0, "ngoai": -1, "truoc": -1, "roi": -1, "sau": 1, "toi": 1}
    for match in scan.finditer(r"\bnam\s+(?P<rel>nay|ngoai|truoc|roi|sau|toi)\b"):
        if _count_before(scan, match.start()):
            continue  # "5 năm nay" is a duration, "3 năm sau" a delay
        if match.group("rel") == "toi" and not _typed_as(scan, match, "rel", _TOI_SPELLINGS):
            continue
        scan.add("year", scan.today.year + offsets[match.group("rel")], *match.span())
    for match in scan.finditer(r"\bsang\s+nam\b"):
        scan.add("year", scan.today.year + 1, *match.span())


def _scan_month(scan: _Scanner) -> None:
    money_after = r"(?!\d|[.,]\d|\s*(?:tr|trieu|cu|k|nghin|ngan|d|dong)(?![a-z]))"
    for match in scan.finditer(rf"\bthang\s*(?P<m>\d{{1,2}}){money_after}"):
        month = int(match.group("m"))
        if 1 <= month <= 12:
            scan.add("month", month, *match.span())
    for match in scan.finditer(r"\bthang\s+(?P<name>gieng|chap)\b"):
        scan.add("month", 1 if match.group("name") == "gieng" else 12, *match.span())
    shifts = {"nay": 0, "truoc": -1, "roi": -1, "sau": 1, "toi": 1}
    for match in scan.finditer(r"\bthang\s+(?P<rel>nay|truoc|roi|sau|toi)\b"):
        if _count_before(scan, match.start()):
            continue  # "3 tháng nay" is a duration
        if match.group("rel") == "toi" and not _typed_as(scan, match, "rel", _TOI_SPELLINGS):
            continue
        month = (scan.today.month - 1 + shifts[match.group("rel")]) % 12 + 1
        scan.add("month", month, *match.span())


def _money_from(number: Decimal, unit: int, tail: str | None = None) -> int:
    value = number * unit
    if tail:
        value += Decimal(tail) * unit / (10 ** len(tail))
    return int(value.to_integral_value())


def _scan_money(scan: _Scanner) -> None:
    millions = (
        rf"{_NOT_AFTER_NUMBER}(?P<num>{_NUM})\s*(?P<unit>trieu|tr|cu|ty)(?![a-z])"
        rf"(?:(?P<tail>\d{{1,3}})(?!\d|[.,]\d)"
        rf"|\s*(?P<ruoi>ruoi)\b"
        rf"|\s+(?P<thou>\d{{1,3}})\s*(?:k|nghin|ngan)(?![a-z])"
        rf"|\s+(?P<tail2>\d{{1,3}})(?![\d.,]|\s*{_DURATION_WORDS}(?![a-z])))?"
        rf"{_DONG}"
    )
    for match in scan.finditer(millions):
        try:
            number = _parse_number(match.group("num"))
        except InvalidOperation:
            continue
        unit = _MILLION_UNITS[match.group("unit")]
        value = _money_from(number, unit, match.group("tail") or match.group("tail2"))
        if match.group("ruoi"):
            value += unit // 2
        if match.group("thou"):
            value += int(match.group("thou")) * 1000
        scan.add("money", value, *match.span())
    thousands = rf"{_NOT_AFTER_NUMBER}(?P<num>{_NUM})\s*(?:k|nghin|ngan)(?![a-z]){_DONG}"
    for match in scan.finditer(thousands):
        try:
            scan.add("money", _money_from(_parse_number(match.group("num")), 1000), *match.span())
        except InvalidOperation:
            continue
    dong = (
        rf"{_NOT_AFTER_NUMBER}(?P<num>\d{{1,3}}(?:[.,]\d{{3}})+|\d+)\s*(?:d|dong|vnd|vnđ)(?![a-z])"
    )
    for match in scan.finditer(dong):
        value = int(_parse_number(match.group("num")))
        if value >= 1000:
            scan.add("money", value, *match.span())
    grouped = (
        r"(?<![\d.,])(?P<num>\d{1,3}(?:\.\d{3}){2,}|\d{1,3}(?:,\d{3}){2,}|[1-9]\d{5,9})(?![\d.,])"
    )
    for match in scan.finditer(grouped):
        scan.add("money", int(_parse_number(match.group("num"))), *match.span())


def _scan_hours(scan: _Scanner) -> None:
    pattern = (
        rf"{_NOT_AFTER_NUMBER}(?<![:/])(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>tieng|gio|h){_WORD_END}"
        r"(?:\s*(?P<ruoi>ruoi)\b|\s*(?P<min>\d{1,2})\s*(?:phut|p)\b)?"
    )
    for match in scan.finditer(pattern):
        if match.group("unit") != "tieng" and (
            _CLOCK_BEFORE.search(scan.before(match.start()))
            or (not match.group("min") and _CLOCK_AFTER.match(scan.text, match.end()))
        ):
            continue
        hours = float(_parse_number(match.group("num")))
        if match.group("ruoi"):
            hours += 0.5
        if match.group("min"):
            hours += int(match.group("min")) / 60
        scan.add("hours", round(hours, 4), *match.span())


def _scan_days(scan: _Scanner) -> None:
    pattern = (
        r"(?<![\d.,/])(?P<num>\d+)\s*ngay(?![a-z])"
        r"(?:\s+(?:cong|phep nam|phep|lam viec))?(?![a-z])"
    )
    for match in scan.finditer(pattern):
        scan.add("days", int(match.group("num")), *match.span())
    # "26 công" / "26 cong": working days in a month, as payroll slips write them
    for match in scan.finditer(r"(?<![\d.,/])(?P<num>\d{1,2})\s*cong(?![a-z])"):
        scan.add("days", int(match.group("num")), *match.span())


def _service_context(scan: _Scanner, start: int, end: int) -> bool:
    return bool(_SERVICE_BEFORE.search(scan.before(start)) or _SERVICE_AFTER.match(scan.text, end))


def _scan_duration(scan: _Scanner) -> None:
    years = (
        r"(?<![\d.,/])(?P<y>\d+(?:[.,]\d+)?)\s*nam(?![a-z])"
        r"(?:\s*(?P<ruoi>ruoi)\b|\s*(?P<m>\d{1,2})\s*thang(?![a-z]))?"
    )
    for match in scan.finditer(years):
        if not match.group("m") and not _service_context(scan, match.start(), match.end()):
            continue
        total = _parse_number(match.group("y")) * 12 + int(match.group("m") or 0)
        if match.group("ruoi"):
            total += 6
        scan.add("duration_months", int(total.to_integral_value()), *match.span())
    for match in scan.finditer(r"(?<![\d.,/])(?P<m>\d{1,3})\s*thang(?![a-z])"):
        if _MONTHS_NOT_DURATION_BEFORE.search(scan.before(match.start())):
            continue
        if _MONTHS_NOT_DURATION_AFTER.match(scan.text, match.end()):
            continue
        scan.add("duration_months", int(match.group("m")), *match.span())


def _scan_day_type(scan: _Scanner) -> None:
    simple = [
        ("holiday", r"\bngay\s+(?:nghi\s+)?(?P<le>le)(?:\s+tet)?\b"),
        ("holiday", r"\b(?:nghi\s+)?(?P<le>le)\s+tet\b"),
        ("holiday", r"\b(?:quoc khanh|gio to(?: hung vuong)?|quoc te lao dong)\b"),
        ("holiday", r"\b(?:ngay\s+)?(?:30\s*/\s*4|2\s*/\s*9)(?![\d/])"),
        (
            "rest_day",
            r"\bngay\s+nghi(?:\s+hang\s+tuan|\s+bu|\s+cuoi\s+tuan)?\b"
            r"(?!\s+(?:le|tet|phep|viec|om|khong luong|thai san|co luong|huong luong))",
        ),
        ("rest_day", r"\bnghi\s+hang\s+tuan\b"),
        ("rest_day", r"\bchu\s+nhat\b"),
        ("rest_day", r"\bcuoi\s+tuan\b"),
        ("weekday", r"\bngay\s+(?:lam\s+viec\s+)?(?:binh\s+thuong|thuong|bt|bth|bthg)\b"),
        ("weekday", r"\bngay\s+(?:lam\s+viec\s+)?trong\s+tuan\b"),
        ("weekday", r"\b(?:thu\s*(?:2|3|4|5|6|hai)|t[2-6])\b"),
    ]
    for value, pattern in simple:
        for match in scan.finditer(pattern):
            if "le" not in match.groupdict() or _typed_as(scan, match, "le", {"lễ", "le"}):
                scan.add("day_type", value, *match.span())
    for match in scan.finditer(r"\b(?:le|tet)\b"):
        start, end = match.span()
        typed = scan.typed(start, end)
        in_context = bool(
            _LE_CONTEXT_BEFORE.search(scan.before(start)) or _LE_CONTEXT_AFTER.match(scan.text, end)
        )
        if typed in {"tết", "lễ", "tet"} or (typed == "le" and in_context):
            scan.add("day_type", "holiday", start, end)
    for match in scan.finditer(r"\bcn\b"):
        start, end = match.span()
        if _CN_CONTEXT_BEFORE.search(scan.before(start)) or _CN_CONTEXT_AFTER.match(scan.text, end):
            scan.add("day_type", "rest_day", start, end)
    for match in scan.finditer(r"\b(?:ngay\s+)?(?:thu\s*(?:7|bay)|t7)\b"):
        window = scan.text[max(0, match.start() - 25) : match.end() + 25]
        if re.search(r"\bnghi\b", window):
            scan.add("day_type", "rest_day", *match.span())


def _scan_night(scan: _Scanner) -> None:
    pattern = r"\b(?:(?:lam|truc|tang ca|lam them)\s+)?(?:(?:ban|ca)\s+)?(?P<dem>dem)\b"
    for match in scan.finditer(pattern):
        if _typed_as(scan, match, "dem", {"đêm", "dem"}):
            scan.add("night", True, *match.span())
    for match in scan.finditer(r"\bca\s+(?:3|ba)\b|\b(?:tu|sau)\s+22\s*(?:h|gio)(?![a-z])"):
        scan.add("night", True, *match.span())


_SCANNERS: tuple[Callable[[_Scanner], None], ...] = (
    _scan_region,
    _scan_year,
    _scan_month,
    _scan_money,
    _scan_hours,
    _scan_days,
    _scan_duration,
    _scan_day_type,
    _scan_night,
)

_GROUP_OF = {"day_type": "day_type", "night": "night"}
"""Entities in the same group compete for their characters; the rest share the 'number' group."""


def _resolve_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keeps, per group, the longest candidates that do not overlap (earliest first on ties)."""
    kept: list[_Candidate] = []
    ordered = sorted(candidates, key=lambda c: (-c.length, c.start, ENTITY_NAMES.index(c.entity)))
    for candidate in ordered:
        group = _GROUP_OF.get(candidate.entity, "number")
        clash = any(
            _GROUP_OF.get(other.entity, "number") == group
            and other.start < candidate.end
            and candidate.start < other.end
            for other in kept
        )
        if not clash:
            kept.append(candidate)
    return sorted(kept, key=lambda c: (c.start, c.end))


def extract_entities(text: str, today: date | None = None) -> list[Entity]:
    """Reads the labour-question entities from a message as the worker typed it.

    Args:
        text: The raw message (NFC or NFD, with or without diacritics, teencode allowed).
        today: The date used for "năm nay", "năm ngoái", "tháng này"; defaults to today.

    Returns:
        Entities sorted by position, with canonical values: region 1–4, year and month as
        int, money as int đồng, hours as float, days and duration_months as int, day_type
        one of "weekday"/"rest_day"/"holiday", night True. Offsets index ``text``.
    """
    scan = _Scanner(fold_with_offsets(text), today or date.today())
    for scanner in _SCANNERS:
        scanner(scan)
    entities: list[Entity] = []
    for candidate in _resolve_overlaps(scan.found):
        start, end = scan.view.to_original(candidate.start, candidate.end)
        entities.append(Entity(candidate.entity, candidate.value, start, end, text[start:end]))
    return entities
