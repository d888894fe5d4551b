"""Phone and ID numbers are masked for non-admins."""

from __future__ import annotations

import pytest

from backend.app.services.masking import mask_for_viewer, mask_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sdt em 0912345678 nhe", "sdt em *******678 nhe"),
        ("goi 0912 345 678", "goi **** *** 678"),
        ("so +84912345678", "so *********678"),
        ("cccd 001203004567", "cccd *********567"),
        ("cmnd 123456789", "cmnd ******789"),
        ("luong 5000000 dong", "luong 5000000 dong"),
        ("nam 2024 lam 48 gio", "nam 2024 lam 48 gio"),
        ("so 09123456789 sai", "so 09123456789 sai"),
    ],
)
def test_mask_text_hides_phone_and_id_numbers(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_mask_for_viewer_shows_admins_everything() -> None:
    assert mask_for_viewer("0912345678", is_admin=True) == "0912345678"
    assert mask_for_viewer("0912345678", is_admin=False) == "*******678"
