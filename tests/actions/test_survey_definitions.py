"""Compiled survey definitions: reading them, and the SQLite cache that outlives an outage.

Also holds SAMPLE_DEFINITION, a small compiled survey (contract section 2) with every question
type, skip logic and a constraint, used by the other test_survey_* modules.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from actions.settings import get_settings
from actions.survey import definitions
from actions.survey.engine import DefinitionError, Survey

LAM_THEM_YES = {"op": "=", "left": {"ref": "lam_them"}, "right": {"const": "yes"}}


def _question(qid: str, section: str, kind: str, label: str, **extra: Any) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": qid,
        "section": section,
        "type": kind,
        "label": label,
        "hint": None,
        "required": True,
        "choices": None,
        "unit": None,
        "min": None,
        "max": None,
        "integer": False,
        "max_choices": None,
        "max_length": None,
        "scale_labels": None,
        "relevant": None,
        "constraint": None,
        "constraint_message": None,
    }
    question.update(extra)
    return question


def _choices(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"value": value, "label": label} for value, label in pairs]


SAMPLE_DEFINITION: dict[str, Any] = {
    "id": "khao_sat_thu",
    "version": 1,
    "title": "Khảo sát thử đời sống, việc làm",
    "intro": "Dạ, Công đoàn muốn lắng nghe đời sống, việc làm của anh/chị.",
    "consent": "Anh/chị đồng ý tham gia khảo sát không ạ?",
    "anonymous": True,
    "opens": "2026-01-01",
    "closes": "2099-12-31",
    "target_units": [],
    "sections": [
        {"id": "chung", "title": "Thông tin chung"},
        {"id": "viec_lam", "title": "Việc làm"},
        {"id": "cong_doan", "title": "Hoạt động công đoàn"},
    ],
    "questions": [
        _question(
            "nhom_tuoi",
            "chung",
            "single_choice",
            "Anh/chị thuộc nhóm tuổi nào?",
            choices=_choices(
                ("duoi_30", "Dưới 30 tuổi"), ("tu_30_45", "Từ 30 đến 45 tuổi"), ("tren_45", "Trên 45 tuổi")
            ),
        ),
        _question(
            "gioi_tinh",
            "chung",
            "single_choice",
            "Giới tính của anh/chị?",
            required=False,
            choices=_choices(("nam", "Nam"), ("nu", "Nữ"), ("khac", "Khác")),
        ),
        _question(
            "loai_hd",
            "viec_lam",
            "single_choice",
            "Anh/chị đang làm việc theo loại hợp đồng nào?",
            choices=_choices(
                ("khong_thoi_han", "Không xác định thời hạn"),
                ("co_thoi_han", "Xác định thời hạn"),
                ("khong_hd", "Thời vụ hoặc không có hợp đồng"),
            ),
        ),
        _question("lam_them", "viec_lam", "yes_no", "Tháng vừa rồi anh/chị có làm thêm giờ không?"),
        _question(
            "gio_lam_them",
            "viec_lam",
            "number",
            "Tháng vừa rồi anh/chị làm thêm khoảng bao nhiêu giờ?",
            unit="giờ",
            min=0,
            max=300,
            integer=True,
            relevant=LAM_THEM_YES,
            constraint={"op": "<=", "left": {"self": True}, "right": {"const": 100}},
            constraint_message="Dạ, số giờ làm thêm trong tháng thường không quá 100 giờ ạ.",
        ),
        _question(
            "thu_nhap",
            "viec_lam",
            "number",
            "Thu nhập hằng tháng của anh/chị khoảng bao nhiêu?",
            unit="triệu đồng",
            min=0,
            max=200,
        ),
        _question(
            "ngay_vao_lam", "viec_lam", "date", "Anh/chị vào làm ở công ty từ ngày nào?", required=False
        ),
        _question(
            "mong_muon",
            "cong_doan",
            "multiple_choice",
            "Anh/chị mong công đoàn quan tâm điều gì nhất?",
            max_choices=2,
            choices=_choices(
                ("luong", "Tăng lương"), ("nha_o", "Nhà ở"), ("y_te", "Y tế"), ("con_nho", "Chăm sóc con nhỏ")
            ),
        ),
        _question(
            "hai_long",
            "cong_doan",
            "scale",
            "Anh/chị hài lòng thế nào với hoạt động của công đoàn cơ sở?",
            scale_labels={"1": "Rất không hài lòng", "5": "Rất hài lòng"},
        ),
        _question("la_doan_vien", "cong_doan", "yes_no", "Anh/chị đã là đoàn viên công đoàn chưa?"),
        _question(
            "ly_do_chua_vao",
            "cong_doan",
            "single_choice",
            "Vì sao anh/chị chưa vào công đoàn?",
            required=False,
            relevant={
                "op": "not",
                "arg": {"op": "=", "left": {"ref": "la_doan_vien"}, "right": {"const": "yes"}},
            },
            choices=_choices(("chua_biet", "Chưa biết cách vào"), ("khong_can", "Thấy chưa cần")),
        ),
        _question(
            "y_kien",
            "cong_doan",
            "text",
            "Anh/chị có mong muốn gì gửi tới công đoàn?",
            required=False,
            max_length=300,
        ),
    ],
}


def sample_survey(**changes: Any) -> Survey:
    """Returns the sample as a Survey, with top-level fields changed."""
    data = copy.deepcopy(SAMPLE_DEFINITION)
    data.update(changes)
    return Survey.from_json(data)


def store_definition(path: Path, data: dict[str, Any]) -> None:
    """Writes a definition into a survey cache file the way a successful fetch does."""
    import sqlite3

    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute(definitions._SCHEMA)
        connection.execute(
            "INSERT OR REPLACE INTO survey_definitions VALUES (?, ?, ?, 0)",
            (data["id"], data["version"], json.dumps(data, ensure_ascii=False)),
        )


@contextmanager
def offline_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Points the action settings at a closed loopback port and temp cache/outbox files."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ACTIONS_OUTBOX_DB", str(tmp_path / "outbox.sqlite3"))
    monkeypatch.delenv("SURVEY_CACHE_DB", raising=False)
    get_settings.cache_clear()
    definitions.clear_memory_cache()
    try:
        yield tmp_path
    finally:
        get_settings.cache_clear()
        definitions.clear_memory_cache()


@pytest.fixture()
def offline_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The backend unreachable; cache and outbox in a temp folder."""
    with offline_settings(tmp_path, monkeypatch) as path:
        yield path


def test_survey_from_json_reads_sample_in_order() -> None:
    survey = sample_survey()
    assert survey.id == "khao_sat_thu" and survey.version == 1
    assert [q["id"] for q in survey.questions][:3] == ["nhom_tuoi", "gioi_tinh", "loai_hd"]
    assert survey.sections["viec_lam"] == "Việc làm"
    assert survey.index_of("y_kien") == len(survey.questions) - 1
    assert survey.question("missing") is None


@pytest.mark.parametrize(
    "broken",
    [
        None,
        [],
        {"version": 1, "questions": [{"id": "a", "type": "text"}]},
        {"id": "x", "version": "1", "questions": [{"id": "a", "type": "text"}]},
        {"id": "x", "version": 1, "questions": []},
        {"id": "x", "version": 1, "questions": [{"label": "no id"}]},
    ],
)
def test_survey_from_json_rejects_unusable_definitions(broken: Any) -> None:
    with pytest.raises(DefinitionError):
        Survey.from_json(broken)


def test_survey_closing_date_compares_with_today() -> None:
    from datetime import date

    survey = sample_survey(closes="2027-03-31")
    assert not survey.is_closed_on(date(2027, 3, 31))
    assert survey.is_closed_on(date(2027, 4, 1))
    assert not sample_survey(closes=None).is_closed_on(date(2999, 1, 1))


def test_settings_put_survey_cache_next_to_outbox(offline_backend: Path) -> None:
    assert get_settings().survey_cache_path == offline_backend / "survey_definitions.sqlite3"


def test_load_survey_falls_back_to_cache_when_backend_is_down(offline_backend: Path) -> None:
    cache = get_settings().survey_cache_path
    assert asyncio.run(definitions.load_survey("khao_sat_thu")) is None
    newer = copy.deepcopy(SAMPLE_DEFINITION) | {"version": 2, "title": "Phiên bản 2"}
    store_definition(cache, SAMPLE_DEFINITION)
    store_definition(cache, newer)
    definitions.clear_memory_cache()
    assert asyncio.run(definitions.load_survey("khao_sat_thu", version=1)).version == 1
    definitions.clear_memory_cache()
    assert asyncio.run(definitions.load_survey("khao_sat_thu")).title == "Phiên bản 2"
    assert definitions.cached_survey("khao_sat_thu", 7).version == 2


def test_open_surveys_unreachable_backend_gives_none(offline_backend: Path) -> None:
    assert asyncio.run(definitions.fetch_open_surveys("rest", "w-1")) is None
