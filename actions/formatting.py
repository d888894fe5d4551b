"""Vietnamese (vi_VN) formatting of money, numbers, percentages, dates and region numerals.

Lives here: the only place the action server turns numbers and dates into text, always through
Babel's vi_VN locale data ("5.310.000 đ", "0,5%", "01/01/2026"). Must not hold legal figures
(those are data in knowledge/) and must never build a thousands separator by hand.

Money is written with ``format_decimal`` plus " đ" rather than ``format_currency(..., "VND")``:
the latter gives "5.310.000 ₫" with a non-breaking space and the ₫ sign, which reads less
naturally in a chat message than the "đ" workers type themselves.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent

__all__ = [
    "LOCALE",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "format_roman",
]

LOCALE = "vi_VN"
CURRENCY_SUFFIX = " đ"
NUMBER_PATTERN = "#,##0.##"
PERCENT_PATTERN = "#,##0.##%"
DATE_PATTERN = "dd/MM/yyyy"
ROMAN_REGIONS = {1: "I", 2: "II", 3: "III", 4: "IV"}

Number = int | float | Decimal


def _to_decimal(value: Number) -> Decimal:
    """Converts a number to Decimal without float noise (0.1 stays 0.1)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number to format")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def format_money(amount: Number) -> str:
    """Formats an amount of đồng, rounded half-up to the whole đồng.

    Args:
        amount: The amount in đồng (int, float or Decimal).

    Returns:
        The amount with vi_VN grouping and the đồng sign, e.g. ``"5.310.000 đ"``.
    """
    rounded = _to_decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return format_decimal(rounded, format="#,##0", locale=LOCALE) + CURRENCY_SUFFIX


def format_number(value: Number) -> str:
    """Formats a plain number with vi_VN separators and at most two decimals.

    Args:
        value: The number.

    Returns:
        For example ``"1.234,5"``, ``"45"`` or ``"28.846,15"``.
    """
    return format_decimal(_to_decimal(value), format=NUMBER_PATTERN, locale=LOCALE)


def format_percent(ratio: Number) -> str:
    """Formats a ratio as a percentage with at most two decimals.

    Args:
        ratio: The ratio, where 1.5 means 150% and 0.005 means 0,5%.

    Returns:
        For example ``"150%"`` or ``"0,5%"``.
    """
    return babel_format_percent(_to_decimal(ratio), format=PERCENT_PATTERN, locale=LOCALE)


def format_date(day: date) -> str:
    """Formats a date the way Vietnamese documents write it.

    Args:
        day: The date.

    Returns:
        The date as ``dd/MM/yyyy``, e.g. ``"01/01/2026"``.
    """
    return babel_format_date(day, DATE_PATTERN, locale=LOCALE)


def format_roman(region: int) -> str:
    """Writes a minimum-wage region number as the Roman numeral decrees use.

    Args:
        region: The region number, 1 to 4.

    Returns:
        ``"I"``, ``"II"``, ``"III"`` or ``"IV"``.

    Raises:
        ValueError: If the region is not 1 to 4.
    """
    if isinstance(region, bool) or region not in ROMAN_REGIONS:
        raise ValueError(f"region must be 1 to 4, got {region!r}")
    return ROMAN_REGIONS[region]
