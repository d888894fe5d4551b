"""Splitting long replies into parts that fit a platform's text limit.

Lives here: one pure function. It cuts at the strongest boundary that works (paragraph, line,
sentence, word) and only as a last resort inside a word. Lengths are counted in Unicode code
points after NFC normalisation, so Vietnamese text typed in NFD is not counted double.
Must not know platform names or limits (callers pass the limit).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["split_text"]

_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraphs
    re.compile(r"\n\s*"),  # lines
    re.compile(r"(?<=[.!?…;])[\"'”)\]]*\s+"),  # sentences ("Điều 25." but not "3.860.000")
    re.compile(r"\s+"),  # words
)


def _cut_after_separators(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Cuts text after each separator match, keeping the separator with the left piece."""
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _cut_hard(text: str, limit: int) -> list[str]:
    """Cuts text into fixed-size parts, never separating a base letter from its combining marks."""
    parts: list[str] = []
    while len(text) > limit:
        cut = limit
        while cut > 1 and unicodedata.combining(text[cut]):
            cut -= 1
        parts.append(text[:cut])
        text = text[cut:]
    if text:
        parts.append(text)
    return parts


def _split_at_level(text: str, limit: int, level: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    if level == len(_BOUNDARIES):
        return _cut_hard(text, limit)
    parts: list[str] = []
    current = ""
    for piece in _cut_after_separators(text, _BOUNDARIES[level]):
        if len((current + piece).rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        current = ""
        if len(piece.rstrip()) <= limit:
            current = piece
        else:
            parts.extend(_split_at_level(piece.strip(), limit, level + 1))
    if current.strip():
        parts.append(current.strip())
    return parts


def split_text(text: str, limit: int) -> list[str]:
    """Splits a reply into parts of at most ``limit`` characters.

    Args:
        text: The reply; it is NFC-normalised and stripped.
        limit: Maximum characters per part (positive).

    Returns:
        The parts in order, none empty; an empty list for blank text.

    Raises:
        ValueError: When ``limit`` is not positive.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    normalised = unicodedata.normalize("NFC", text).strip()
    if not normalised:
        return []
    return [part for part in _split_at_level(normalised, limit, 0) if part]
