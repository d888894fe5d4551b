"""Tests of actions/formatting.py: vi_VN money, numbers, percentages, dates and regions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from actions.formatting import (
    format_date,
    format_money,
    format_number,
    format_percent,
    format_roman,
)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (5310000, "5.310.000 đ"),
        (0, "0 đ"),
        (999, "999 đ"),
        (1000, "1.000 đ"),
        (26550000, "26.550.000 đ"),
        (28846.15, "28.846 đ"),
        (432692.3, "432.692 đ"),
        (0.5, "1 đ"),
        (2.5, "3 đ"),
        (Decimal("461538.46"), "461.538 đ"),
        (1_200_000_000, "1.200.000.000 đ"),
    ],
)
def test_format_money_groups_with_dots_and_rounds_half_up(
    amount: int | float | Decimal, expected: str
) -> None:
    assert format_money(amount) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45, "45"),
        (1234.5, "1.234,5"),
        (0.5, "0,5"),
        (1.5, "1,5"),
        (28846.153846, "28.846,15"),
        (Decimal("10"), "10"),
        (12.0, "12"),
    ],
)
def test_format_number_uses_vi_vn_separators(value: float | Decimal, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (1.5, "150%"),
        (2.0, "200%"),
        (3, "300%"),
        (0.005, "0,5%"),
        (0.01, "1%"),
        (0.085, "8,5%"),
        (0.0003, "0,03%"),
        (0.105, "10,5%"),
        (0.08 + 0.015 + 0.01, "10,5%"),
        (1.5 + 0.3 + 0.2 * 1.5, "210%"),
        (0.85, "85%"),
    ],
)
def test_format_percent_takes_a_ratio(ratio: float, expected: str) -> None:
    assert format_percent(ratio) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), "01/01/2026"),
        (date(2024, 7, 1), "01/07/2024"),
        (date(2025, 12, 31), "31/12/2025"),
    ],
)
def test_format_date_is_day_month_year(day: date, expected: str) -> None:
    assert format_date(day) == expected


@pytest.mark.parametrize(("region", "expected"), [(1, "I"), (2, "II"), (3, "III"), (4, "IV")])
def test_format_roman_names_the_four_regions(region: int, expected: str) -> None:
    assert format_roman(region) == expected


@pytest.mark.parametrize("region", [0, 5, -1, True])
def test_format_roman_rejects_unknown_regions(region: int) -> None:
    with pytest.raises(ValueError, match="region"):
        format_roman(region)


def test_format_money_rejects_booleans() -> None:
    with pytest.raises(TypeError):
        format_money(True)
