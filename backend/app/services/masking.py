"""Masking of phone and ID numbers in text shown to non-admins (pages and exports).

Lives here: the patterns and ``mask_text``. Must not decide who is an admin; callers pass it.
"""

from __future__ import annotations

import re

# Vietnamese mobile numbers: 0 or +84 followed by 9 digits, spaces, dots or dashes allowed
# between digits ("0912 345 678", "+84.912.345.678").
_PHONE = re.compile(r"(?<![\d+])(?:\+84|0)(?:[ .\-]?\d){9}(?!\d)")
# Citizen ID (CCCD, 12 digits) and old ID card (CMND, 9 digits), written as one run of digits.
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")
_KEEP_LAST_DIGITS = 3


def _mask_digits(match: re.Match[str]) -> str:
    found = match.group(0)
    digits_seen = sum(ch.isdigit() for ch in found)
    to_hide = digits_seen - _KEEP_LAST_DIGITS
    masked: list[str] = []
    for ch in found:
        if ch.isdigit() and to_hide > 0:
            masked.append("*")
            to_hide -= 1
        elif ch == "+":
            masked.append("*")
        else:
            masked.append(ch)
    return "".join(masked)


def mask_text(text: str) -> str:
    """Hides all but the last three digits of phone, CCCD and CMND numbers.

    Args:
        text: Any message text.

    Returns:
        The text with those numbers masked by ``*``; other text unchanged.
    """
    return _ID_NUMBER.sub(_mask_digits, _PHONE.sub(_mask_digits, text))


def mask_for_viewer(text: str, *, is_admin: bool) -> str:
    """Returns the text as a viewer may see it: admins in full, everyone else masked.

    Args:
        text: The stored text.
        is_admin: Whether the viewer is an admin.

    Returns:
        The text to show.
    """
    return text if is_admin else mask_text(text)
