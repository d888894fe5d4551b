"""A small valid survey (YAML) touching every question type, and helpers to break it."""

from __future__ import annotations

from pathlib import Path

from backend.app.core.config import REPO_ROOT

REAL_SURVEY_PATH: Path = REPO_ROOT / "surveys" / "khao_sat_dau_nam.yml"

SAMPLE_YAML = """\
id: mau_thu
version: 1
title: Phiếu thử
intro: Dạ, đây là phiếu thử.
consent: Anh/chị đồng ý chứ ạ?
opens: 2026-11-01
closes: 2027-12-31
target_units: [LDLD_TINH, CDCS-01]
sections:
  - id: chung
    title: Thông tin chung
    questions:
      - id: lam_them
        type: yes_no
        label: Anh/chị có làm thêm giờ không?
      - id: gio_lam_them
        type: number
        label: Mỗi tháng làm thêm bao nhiêu giờ?
        unit: giờ
        min: 0
        max: 300
        integer: true
        relevant: "${lam_them} = 'yes'"
        constraint: ". <= 200"
        constraint_message: Dạ, số giờ này cao quá ạ.
      - id: loai_hd
        type: single_choice
        label: Loại hợp đồng của anh/chị?
        choices:
          - {value: khong_thoi_han, label: Không thời hạn}
          - {value: co_thoi_han, label: Có thời hạn}
  - id: them
    title: Thêm
    questions:
      - id: ngay_vao_lam
        type: date
        label: Anh/chị vào làm từ ngày nào?
        required: false
        constraint: ". >= '1990-01-01'"
      - id: hai_long
        type: scale
        label: Anh/chị hài lòng ở mức nào?
        scale_labels: {1: Rất không hài lòng, 5: Rất hài lòng}
      - id: mong_muon
        type: multiple_choice
        label: Anh/chị mong công đoàn làm gì?
        max_choices: 2
        choices:
          - {value: luong, label: Tăng lương}
          - {value: nha_o, label: Nhà ở}
          - {value: no, label: Không cần gì}
      - id: y_kien
        type: text
        label: Ý kiến khác?
        required: false
        max_length: 300
        relevant: "selected(${loai_hd}, 'co_thoi_han') or ${gio_lam_them} > 40
          or count-selected(${mong_muon}) > 1"
        constraint: "string-length(.) >= 2"
"""


def line_number(text: str, needle: str) -> int:
    """The 1-based line where the first occurrence of ``needle`` (maybe several lines long) starts."""
    assert needle in text, f"{needle!r} not in the sample"
    return text[: text.index(needle)].count("\n") + 1


def replace_once(text: str, old: str, new: str) -> str:
    """Replaces exactly one occurrence (a test typo fails loudly instead of testing nothing)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)
