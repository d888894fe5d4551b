"""Vietnamese text normalisation for the NLU: Unicode, case, repeats, teencode, diacritics.

Lives here: pure string functions and the loader of the teencode table
(``bot/nlu/data/teencode.yml``). Must not import Rasa, touch the network or hold word lists
in code: spellings belong in the data file so other tools can read the same table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ContextRule",
    "FoldedView",
    "TEENCODE_PATH",
    "TeencodeTable",
    "collapse_repeats",
    "expand_teencode",
    "fold_char",
    "fold_diacritics",
    "fold_with_offsets",
    "load_teencode_table",
    "normalize_text",
    "normalize_unicode",
    "parse_teencode_table",
    "variants_of",
]

TEENCODE_PATH = Path(__file__).with_name("data") / "teencode.yml"
"""The teencode table shipped with the bot."""

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_CHAR_MAP: dict[int, str | None] = {
    **{ord(ch): None for ch in _ZERO_WIDTH},
    **{ord(ch): "'" for ch in "\u2018\u2019\u201a\u201b\u2032\u00b4`"},
    **{ord(ch): '"' for ch in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
    **{ord(ch): "-" for ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"},
    **{ord(ch): " " for ch in "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"},
    **{ord(ch): " " for ch in "\u2009\u200a\u202f\u205f\u3000"},
    # Some keyboards type the Icelandic eth instead of the Vietnamese đ.
    ord("\u00d0"): "\u0110",
    ord("\u00f0"): "\u0111",
}

_WORD = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")
_REPEATED_LETTER = re.compile(r"([^\W\d_])\1{2,}", re.IGNORECASE)
_ROMAN_NUMERAL = re.compile(r"i{1,3}|iv|vi{0,3}|ix|x{1,3}", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(r"\d[\d.,]*\s*$")
_SENTENCE_END_AFTER = re.compile(r"\s*(?:[.?!…]|$)")


class _FoldTable(dict[int, Any]):
    """Translation table for ``str.translate`` that folds each character on first use."""

    def __missing__(self, codepoint: int) -> str:
        folded = fold_char(chr(codepoint))
        self[codepoint] = folded
        return folded


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """Folds one character to its letter without diacritics.

    Args:
        char: A single character.

    Returns:
        The base letter ("ệ" → "e", "Đ" → "D"), an empty string for a lone combining mark
        (as found in NFD text), or the character itself when it carries no diacritic.
    """
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    if unicodedata.combining(char):
        return ""
    decomposed = unicodedata.normalize("NFD", char)
    base = "".join(part for part in decomposed if not unicodedata.combining(part))
    return unicodedata.normalize("NFC", base) if base else char


_FOLD_TABLE = _FoldTable()


def normalize_unicode(text: str) -> str:
    """Brings text to one Unicode form: NFC, no zero-width characters, plain quotes and dashes.

    Args:
        text: Text as it arrived from the platform (NFC or NFD, any quote style).

    Returns:
        NFC text where zero-width characters are removed, curly quotes become ' or ",
        dash variants become "-", exotic spaces become " " and "Ð/ð" become "Đ/đ".
    """
    return unicodedata.normalize("NFC", text.translate(_CHAR_MAP))


def fold_diacritics(text: str) -> str:
    """Removes Vietnamese diacritics, keeping case, digits and punctuation.

    Args:
        text: Text in NFC or NFD.

    Returns:
        ASCII letters for Vietnamese ones ("Đường" → "Duong"); other characters unchanged.
    """
    return text.translate(_FOLD_TABLE)


@dataclass(frozen=True)
class FoldedView:
    """A lowercase, diacritic-free copy of a text that remembers where each character came from.

    ``text[i]`` was produced by ``original[starts[i]:ends[i]]`` (a combining mark that
    followed a letter in NFD input belongs to that letter), so a match in ``text`` can be
    mapped back to the exact characters the worker typed.
    """

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Maps a span of the folded text to the span of the original text.

        Args:
            start: Start offset in ``text``.
            end: End offset in ``text`` (exclusive, greater than ``start``).

        Returns:
            The (start, end) offsets in ``original`` covering the same characters.
        """
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"bad span {start}:{end} for a text of {len(self.text)} characters")
        return self.starts[start], self.ends[end - 1]


def fold_with_offsets(text: str) -> FoldedView:
    """Folds a text character by character (Unicode clean-up, lowercase, no diacritics).

    Args:
        text: The text exactly as received (NFC or NFD).

    Returns:
        The folded view with its offset map back into ``text``.
    """
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        folded = fold_diacritics(char.translate(_CHAR_MAP).lower())
        if not folded:
            if unicodedata.combining(char) and ends:
                ends[-1] = index + 1
            continue
        for piece in folded:
            chars.append(piece)
            starts.append(index)
            ends.append(index + 1)
    return FoldedView(text, "".join(chars), tuple(starts), tuple(ends))


def _collapse_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if _ROMAN_NUMERAL.fullmatch(word):
        return word
    return _REPEATED_LETTER.sub(r"\1", word)


def collapse_repeats(text: str) -> str:
    """Shrinks letters typed three or more times in a row to one ("nhaaaa" → "nha").

    Doubles are kept ("xoong", "quoong"), digits are never touched ("1000"), and words that
    are Roman numerals stay as typed ("vùng III").

    Args:
        text: Any text.

    Returns:
        The text with runs of ≥ 3 identical letters (case-insensitive) reduced to the first.
    """
    return _WORD.sub(_collapse_word, text)


@dataclass(frozen=True)
class ContextRule:
    """How an ambiguous short token is expanded, depending on its neighbours.

    ``after_number`` and the values of ``after`` may be None, meaning "keep the token".
    """

    default: str
    after_number: str | None = None
    has_after_number: bool = False
    after: Mapping[str, str | None] = field(default_factory=dict)
    at_end: str | None = None


@dataclass(frozen=True)
class TeencodeTable:
    """The teencode table, checked: every spelling is lowercase, NFC and listed once."""

    phrases: Mapping[str, str]
    """Spelling (one or more words, lowercase) → expansion with diacritics."""
    contextual: Mapping[str, ContextRule]
    """Single-token spelling → rule for ambiguous tokens."""
    reverse: Mapping[str, str]
    """Expansion → the spelling variants_of() writes for it."""
    max_words: int
    """Number of words in the longest spelling."""

    @property
    def size(self) -> int:
        """Returns the number of spellings in the table."""
        return len(self.phrases) + len(self.contextual)


def _clean_key(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"teencode table: {where} must be a non-empty string, got {raw!r}")
    key = normalize_unicode(raw).strip().lower()
    return _SPACES.sub(" ", key)


def _optional_text(raw: object, where: str) -> str | None:
    if raw is None:
        return None
    return _clean_key(raw, where)


def _parse_context_rule(token: str, raw: object) -> ContextRule:
    if not isinstance(raw, Mapping) or "default" not in raw:
        raise ValueError(f"teencode table: contextual '{token}' needs a 'default'")
    after_raw = raw.get("after") or {}
    if not isinstance(after_raw, Mapping):
        raise ValueError(f"teencode table: contextual '{token}'.after must be a mapping")
    after = {
        fold_diacritics(_clean_key(word, f"{token}.after")): _optional_text(value, token)
        for word, value in after_raw.items()
    }
    return ContextRule(
        default=_clean_key(raw["default"], f"{token}.default"),
        after_number=_optional_text(raw.get("after_number"), token),
        has_after_number="after_number" in raw,
        after=after,
        at_end=_optional_text(raw.get("at_end"), token),
    )


def parse_teencode_table(data: Mapping[str, Any]) -> TeencodeTable:
    """Builds a checked table from the parsed YAML document.

    Args:
        data: The document, with ``expansions`` and optional ``contextual`` sections.

    Returns:
        The table.

    Raises:
        ValueError: If a section has the wrong shape or a spelling is listed twice.
    """
    expansions = data.get("expansions")
    if not isinstance(expansions, Mapping):
        raise ValueError("teencode table: 'expansions' must map an expansion to its spellings")
    phrases: dict[str, str] = {}
    reverse: dict[str, str] = {}
    for raw_expansion, spellings in expansions.items():
        expansion = _clean_key(raw_expansion, "expansion")
        if not isinstance(spellings, list) or not spellings:
            raise ValueError(f"teencode table: '{expansion}' needs a list of spellings")
        for raw_spelling in spellings:
            spelling = _clean_key(raw_spelling, f"spelling of '{expansion}'")
            if spelling in phrases:
                raise ValueError(f"teencode table: spelling '{spelling}' is listed twice")
            phrases[spelling] = expansion
        reverse.setdefault(expansion, _clean_key(spellings[0], expansion))
    contextual: dict[str, ContextRule] = {}
    for raw_token, raw_rule in (data.get("contextual") or {}).items():
        token = _clean_key(raw_token, "contextual token")
        if token in phrases or token in contextual or " " in token:
            raise ValueError(f"teencode table: contextual '{token}' is listed twice or has spaces")
        rule = _parse_context_rule(token, raw_rule)
        contextual[token] = rule
        reverse.setdefault(rule.default, token)
    max_words = max(len(spelling.split()) for spelling in [*phrases, *contextual])
    return TeencodeTable(
        phrases=phrases, contextual=contextual, reverse=reverse, max_words=max_words
    )


@lru_cache(maxsize=4)
def load_teencode_table(path: Path = TEENCODE_PATH) -> TeencodeTable:
    """Loads and checks the teencode table (cached per path).

    Args:
        path: The YAML file; defaults to the table shipped in ``bot/nlu/data``.

    Returns:
        The table.
    """
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, Mapping):
        raise ValueError(f"teencode table {path} is not a mapping")
    return parse_teencode_table(data)


def _word_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _WORD.finditer(text)]


def _resolve_context(
    rule: ContextRule, text: str, start: int, end: int, previous: str
) -> str | None:
    """Returns what a contextual token becomes here, or None to keep it as typed."""
    if rule.has_after_number and _NUMBER_BEFORE.search(text, 0, start):
        return rule.after_number
    folded_previous = fold_diacritics(previous)
    if folded_previous in rule.after:
        return rule.after[folded_previous]
    if rule.at_end is not None and _SENTENCE_END_AFTER.match(text, end):
        return rule.at_end
    return rule.default


def _match_phrase(
    text: str, spans: list[tuple[int, int]], index: int, table: TeencodeTable
) -> tuple[int, str] | None:
    """Finds the longest table spelling starting at word ``index``: (words used, expansion)."""
    longest = min(table.max_words, len(spans) - index)
    for count in range(longest, 0, -1):
        words = spans[index : index + count]
        gaps = (text[words[k][1] : words[k + 1][0]] for k in range(count - 1))
        if any(gap.strip() for gap in gaps):
            continue
        key = " ".join(text[s:e].lower() for s, e in words)
        if key in table.phrases:
            return count, table.phrases[key]
    return None


def expand_teencode(text: str, table: TeencodeTable | None = None) -> str:
    """Replaces teencode and abbreviations with standard Vietnamese, token by token.

    Args:
        text: Text, ideally NFC; matching is case-insensitive.
        table: The table to use; defaults to the shipped ``teencode.yml``.

    Returns:
        The text with listed spellings replaced by their (lowercase) expansion. Tokens that
        hold digits and units ("6tr5", "800k") are never split or changed.
    """
    table = table or load_teencode_table()
    spans = _word_spans(text)
    pieces: list[str] = []
    cursor = 0
    index = 0
    previous = ""
    while index < len(spans):
        start, end = spans[index]
        token = text[start:end].lower()
        found = _match_phrase(text, spans, index, table)
        replacement: str | None = None
        used = 1
        if found is not None:
            used, replacement = found
            end = spans[index + used - 1][1]
        elif token in table.contextual:
            replacement = _resolve_context(table.contextual[token], text, start, end, previous)
        if replacement is not None:
            pieces.append(text[cursor:start])
            pieces.append(replacement)
            cursor = end
        previous = text[spans[index + used - 1][0] : end].lower()
        index += used
    pieces.append(text[cursor:])
    return "".join(pieces)


def _squeeze_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def normalize_text(text: str, fold: bool = True) -> str:
    """Runs the full normalisation the NLU classifier sees.

    Pipeline: Unicode → lowercase → collapse repeated letters → teencode → fold diacritics
    → squeeze spaces. With ``fold=True`` the text is also folded before the teencode lookup,
    so the result depends only on the letters typed, not on the diacritics: "ko dc",
    "không được" and "khong duoc" all give "khong duoc", and
    ``normalize_text(fold_diacritics(s)) == normalize_text(s)`` for every ``s``.

    Args:
        text: The message as the worker typed it.
        fold: Whether to drop diacritics (the classifier's view) or keep them.

    Returns:
        The normalised text, lowercase, single-spaced.
    """
    result = normalize_unicode(text).lower()
    if fold:
        result = fold_diacritics(result)
    result = expand_teencode(collapse_repeats(result))
    if fold:
        result = fold_diacritics(result)
    return _squeeze_spaces(result)


def _is_ascii(text: str) -> bool:
    return fold_diacritics(text) == text


def _reverse_candidates(text: str, table: TeencodeTable) -> list[tuple[int, int, str]]:
    """Lists (start, end, teencode spelling) for every expansion found in ``text``."""
    by_words: dict[str, str] = dict(table.reverse)
    if _is_ascii(text):
        for expansion, spelling in table.reverse.items():
            by_words.setdefault(fold_diacritics(expansion), spelling)
    max_words = max(len(key.split()) for key in by_words)
    spans = _word_spans(text)
    found: list[tuple[int, int, str]] = []
    index = 0
    while index < len(spans):
        for count in range(min(max_words, len(spans) - index), 0, -1):
            words = spans[index : index + count]
            key = " ".join(text[s:e].lower() for s, e in words)
            if key in by_words and by_words[key] != key:
                found.append((words[0][0], words[-1][1], by_words[key]))
                index += count
                break
        else:
            index += 1
    return found


def _to_teencode(text: str, target: str, table: TeencodeTable) -> str:
    """Rewrites expansions as teencode, keeping only rewrites that normalise back to target."""
    result = text
    shift = 0
    for start, end, spelling in _reverse_candidates(text, table):
        candidate = result[: start + shift] + spelling + result[end + shift :]
        if normalize_text(candidate) == target:
            result = candidate
            shift += len(spelling) - (end - start)
    return result


def variants_of(text: str) -> list[str]:
    """Spells a sentence the ways workers type it, for regression tests.

    Args:
        text: A sentence, usually the corrected standard Vietnamese one.

    Returns:
        Distinct variants, in this order, each kept only when it differs from the input by
        more than letter case: without diacritics; lowercase teencode with diacritics;
        teencode without diacritics. Every variant normalises (``normalize_text``) to the
        same text as the input.
    """
    table = load_teencode_table()
    base = normalize_unicode(text).strip()
    target = normalize_text(base)
    teencode = _to_teencode(base.lower(), target, table)
    variants: list[str] = []
    for candidate in (fold_diacritics(base), teencode, fold_diacritics(teencode)):
        if candidate and candidate.lower() != base.lower() and candidate not in variants:
            if normalize_text(candidate) == target:
                variants.append(candidate)
    return variants
