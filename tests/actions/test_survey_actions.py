"""The survey actions run with real rasa_sdk Trackers and dispatchers, against the real backend.

``SurveyChat`` plays Rasa's part exactly as domain.yml and nlu_data/rules/survey.yml set it up
(the ``start_survey``/``start`` rules, the form filling ``survey_answer`` from the text while it
asks, ``action_ask_survey_answer`` while ``requested_slot`` is set, ``action_survey_finish``
when the form ends); the actions themselves are the real ones. Offline tests point the actions
at a closed port (answers stay queued in the outbox, definitions come from the cache); the
others start the real backend (migrated SQLite, the real survey imported and opened) once.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.backend_client import pending_count
from actions.settings import get_settings
from actions.survey import definitions
from actions.survey.actions import (
    ActionAskSurveyAnswer,
    ActionStartConversation,
    ActionStartSurvey,
    ActionSurveyFinish,
    ValidateSurveyForm,
    parse_survey_ref,
)
from tests.actions.test_survey_definitions import SAMPLE_DEFINITION, offline_settings, store_definition
from tests.support.processes import (
    BACKEND_VENV,
    REPO_ROOT,
    ManagedProcess,
    free_port,
    http_ok,
    read_env_example,
)

REAL_SURVEY = REPO_ROOT / "surveys" / "khao_sat_dau_nam.yml"
QUICK_SURVEY = """\
id: khao_sat_nhanh
version: 1
title: Hỏi nhanh về bữa ăn ca
intro: "Dạ, Công đoàn hỏi nhanh anh/chị 2 câu về bữa ăn ca."
consent: "Anh/chị đồng ý trả lời không ạ?"
anonymous: true
opens: 2026-01-01
closes: 2099-12-31
target_units: []
sections:
  - id: an_ca
    title: Bữa ăn ca
    questions:
      - id: co_an_ca
        type: yes_no
        label: Nơi anh/chị làm có bữa ăn ca không?
      - id: diem_an_ca
        type: scale
        label: Anh/chị chấm bữa ăn ca mấy điểm?
        required: false
        relevant: "${co_an_ca} = 'yes'"
"""


class SurveyChat:
    """One worker talking to the survey actions, with Rasa's rules and form protocol around them.

    Attributes:
        sender: The worker's id.
        slots: The tracker's slots as Rasa would hold them.
        form_active: Whether survey_form is the active loop.
        transcript: (who, text) lines of the whole conversation.
    """

    def __init__(self, sender: str, channel: str = "rest") -> None:
        self.sender = sender
        self.channel = channel
        self.slots: dict[str, Any] = {}
        self.form_active = False
        self.transcript: list[tuple[str, str]] = []
        self._latest: dict[str, Any] = {}

    def _tracker(self) -> Tracker:
        user_event = {
            "event": "user",
            "text": self._latest.get("text"),
            "input_channel": self.channel,
            "parse_data": self._latest,
        }
        return Tracker(
            self.sender,
            dict(self.slots),
            self._latest,
            [user_event],
            False,
            None,
            {"name": "survey_form"} if self.form_active else {},
            "action_listen",
        )

    def _run(self, action: Action) -> list[dict[str, Any]]:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, self._tracker(), {}))
        for event in events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
        for message in dispatcher.messages:
            text = message.get("text") or f"[{message.get('response')}]"
            buttons = " ".join(f"[{b['title']}→{b['payload']}]" for b in message.get("buttons") or [])
            self.replies.append(message)
            self.transcript.append(("bot", text + (f"\n   {buttons}" if buttons else "")))
        return events

    def _form(self) -> None:
        """survey_form: validate, then ask while a slot is requested, else end and finish."""
        self._run(ValidateSurveyForm())
        if self.slots.get("requested_slot") == "survey_answer":
            self.form_active = True
            self._run(ActionAskSurveyAnswer())
            return
        self.form_active = False
        self.slots["requested_slot"] = None
        self._run(ActionSurveyFinish())

    def say(
        self,
        text: str,
        intent: str = "nlu_fallback",
        confidence: float = 0.4,
        entities: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Sends one message; returns the bot's replies (dicts as the dispatcher collected them)."""
        self.replies: list[dict[str, Any]] = []
        self.transcript.append(("worker", text))
        self._latest = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": entities or [],
        }
        if self.form_active:
            self.slots["survey_answer"] = text  # from_text while the form asks for it
            self._form()
        elif intent in ("start_survey", "start"):
            self._run(ActionStartSurvey() if intent == "start_survey" else ActionStartConversation())
            self._form()
        return self.replies

    def texts(self) -> list[str]:
        """The texts of the latest replies."""
        return [str(message.get("text") or message.get("response")) for message in self.replies]

    def last_text(self) -> str:
        """The text of the latest reply."""
        return self.texts()[-1]

    def progress(self) -> dict[str, Any]:
        """The survey_progress slot."""
        return self.slots.get("survey_progress") or {}


def _outbox_rows(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT idempotency_key, path, body FROM outbox ORDER BY created_at"
        ).fetchall()
    return [(key, route, json.loads(body)) for key, route, body in rows]


# --- invitation refs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("ks.khao_sat_dau_nam", ("khao_sat_dau_nam", None)),
        ("ks.khao_sat_dau_nam.LDLD_TINH", ("khao_sat_dau_nam", "LDLD_TINH")),
        ("ks.khao_sat_dau_nam.CDCS.01-A", ("khao_sat_dau_nam", "CDCS.01-A")),
        ("survey", None),
        ("ks.", None),
        ("ks.AB", None),
        ("qr_code", None),
        ("", None),
        (None, None),
    ],
)
def test_survey_ref_parsing(ref: str | None, expected: tuple[str, str | None] | None) -> None:
    assert parse_survey_ref(ref) == expected


# --- offline: backend unreachable -----------------------------------------------------------


@pytest.fixture()
def offline_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The backend unreachable; cache and outbox in a temp folder."""
    with offline_settings(tmp_path, monkeypatch) as path:
        yield path


def _paused_in_sample(chat: SurveyChat, current: str = "nhom_tuoi", consented: bool = True) -> None:
    """Gives the worker a survey under way in the sample (as an earlier "khảo sát" would)."""
    chat.slots["survey_progress"] = {
        "active": None,
        "progress": {
            "khao_sat_thu": {
                "survey_id": "khao_sat_thu",
                "version": 1,
                "status": "paused" if consented else "consent",
                "current": current if consented else None,
                "history": [],
                "answers": {},
                "seq": 0,
                "consented": consented,
            }
        },
    }


def test_start_without_survey_link_greets_and_asks_nothing(offline_backend: Path) -> None:
    chat = SurveyChat("w-greet")
    chat.say("/start", intent="start", confidence=1.0)
    assert chat.texts() == ["utter_greet"]
    assert not chat.form_active and chat.slots["requested_slot"] is None


def test_generic_survey_link_with_backend_down_says_try_later_and_greets(offline_backend: Path) -> None:
    chat = SurveyChat("w-generic")
    chat.say(
        '/start{"ref": "survey"}',
        intent="start",
        confidence=1.0,
        entities=[{"entity": "ref", "value": "survey"}],
    )
    assert chat.texts() == [
        "Dạ, em chưa mở được danh sách khảo sát lúc này ạ. Anh/chị thử lại sau ít phút nhé.",
        "utter_greet",
    ]


def test_start_survey_with_backend_down_and_nothing_under_way_says_try_later(offline_backend: Path) -> None:
    chat = SurveyChat("w-down")
    chat.say("khảo sát", intent="start_survey", confidence=0.99)
    assert chat.texts() == [
        "Dạ, em chưa mở được danh sách khảo sát lúc này ạ. Anh/chị thử lại sau ít phút nhé."
    ]
    assert not chat.form_active


def test_outage_mid_survey_goes_on_from_cache_and_queues_answers_in_order(offline_backend: Path) -> None:
    store_definition(get_settings().survey_cache_path, SAMPLE_DEFINITION)
    chat = SurveyChat("w-offline")
    _paused_in_sample(chat)
    chat.say("khao sat", intent="start_survey", confidence=0.95)
    assert chat.form_active
    assert chat.texts()[0].startswith(
        "Dạ, mình tiếp tục khảo sát “Khảo sát thử đời sống, việc làm” từ câu 1/12"
    )
    assert chat.last_text().startswith("Câu 1/12 · Thông tin chung")
    chat.say("1")
    assert chat.texts()[0] == "Dạ, em ghi nhận: Dưới 30 tuổi."
    chat.say("bỏ qua")
    assert chat.texts()[0] == "Dạ, em bỏ qua câu này ạ."
    assert chat.last_text().startswith("Câu 3/12")
    rows = _outbox_rows(get_settings().outbox_path)
    assert [key for key, _, _ in rows] == [
        "survey-answer:w-offline:khao_sat_thu:1",
        "survey-answer:w-offline:khao_sat_thu:2",
    ]
    first = rows[0][2]
    assert rows[0][1] == "/api/ingest/survey-answers"
    assert {
        k: first[k]
        for k in ("survey_id", "survey_version", "channel", "sender_id", "question_id", "value", "seq")
    } == {
        "survey_id": "khao_sat_thu",
        "survey_version": 1,
        "channel": "rest",
        "sender_id": "w-offline",
        "question_id": "nhom_tuoi",
        "value": "duoi_30",
        "seq": 1,
    }
    assert first["answered_at"].endswith("+07:00") and first["unit_code"] is None
    assert rows[1][2]["question_id"] == "gioi_tinh" and rows[1][2]["value"] is None
    assert pending_count(get_settings().outbox_path) == 2


def test_offline_whole_sample_survey_ends_with_completion_after_every_answer(offline_backend: Path) -> None:
    store_definition(get_settings().survey_cache_path, SAMPLE_DEFINITION)
    chat = SurveyChat("w-all")
    _paused_in_sample(chat, consented=False)
    chat.say("khảo sát", intent="start_survey", confidence=0.97)
    assert chat.last_text().endswith("Anh/chị đồng ý tham gia khảo sát không ạ?")
    chat.say("có")
    assert chat.texts()[0] == "Dạ, em cảm ơn anh/chị! Mình bắt đầu nhé."
    for answer in [
        "2",
        "nu",
        "khong xac dinh thoi han",
        "ko",
        "6tr5",
        "15/3/2019",
        "1, 3",
        "5",
        "có",
        "Mong có nhà trẻ",
    ]:
        chat.say(answer)
    assert not chat.form_active
    assert "cảm ơn anh/chị đã hoàn thành khảo sát" in chat.last_text()
    assert chat.slots["survey_completed"] == ["khao_sat_thu"]
    rows = _outbox_rows(get_settings().outbox_path)
    assert [body.get("question_id") for _, _, body in rows[:-1]] == [
        "nhom_tuoi",
        "gioi_tinh",
        "loai_hd",
        "lam_them",
        "thu_nhap",
        "ngay_vao_lam",
        "mong_muon",
        "hai_long",
        "la_doan_vien",
        "y_kien",
    ]
    values = {body["question_id"]: body["value"] for _, _, body in rows[:-1]}
    assert values["thu_nhap"] == 6.5 and values["mong_muon"] == ["luong", "y_te"]
    assert values["ngay_vao_lam"] == "2019-03-15" and values["hai_long"] == 5
    key, route, completion = rows[-1]
    assert key == "survey-completion:w-all:khao_sat_thu" and route == "/api/ingest/survey-completions"
    assert completion["answer_count"] == 10 and completion["survey_version"] == 1
    assert [body["seq"] for _, _, body in rows[:-1]] == list(range(1, 11))


def test_form_reasks_politely_and_handles_back_skip_pause_resume(offline_backend: Path) -> None:
    store_definition(get_settings().survey_cache_path, SAMPLE_DEFINITION)
    chat = SurveyChat("w-loop")
    _paused_in_sample(chat)
    chat.say("khảo sát", intent="start_survey", confidence=0.97)
    chat.say("hmm")
    assert chat.texts()[0].startswith("Dạ, em chưa đọc được câu trả lời này ạ.")
    assert "tạm dừng" not in chat.texts()[0]
    assert chat.last_text().startswith("Câu 1/12")
    chat.say("lương tối thiểu vùng 1 là bao nhiêu", intent="ask_min_wage", confidence=0.96)
    assert "“tạm dừng”" in chat.texts()[0] and chat.last_text().startswith("Câu 1/12")
    chat.say("quay lại")
    assert chat.texts()[0] == "Dạ, đây là câu hỏi đầu tiên rồi ạ."
    chat.say("9")
    assert chat.texts()[0] == "Dạ, câu này chỉ có các phương án từ 1 đến 3 ạ."
    chat.say("duoi 30")
    chat.say("2")
    chat.say("bo qua")
    assert chat.texts()[0] == "Dạ, câu này cần anh/chị trả lời để hoàn thành khảo sát ạ."
    chat.say("quay lại")
    assert chat.last_text().startswith("Câu 2/12")
    assert "Lần trước anh/chị đã trả lời: Nữ." in chat.last_text()
    chat.say("nam")
    assert chat.texts()[0] == "Dạ, em ghi nhận: Nam." and chat.last_text().startswith("Câu 3/12")
    chat.say("3")
    chat.say("có")
    assert chat.last_text().startswith("Câu 5/12")
    chat.say("150")
    assert chat.texts()[0] == "Dạ, số giờ làm thêm trong tháng thường không quá 100 giờ ạ."
    chat.say("tạm dừng")
    assert not chat.form_active
    assert chat.texts() == [
        "Dạ, em đã lưu các câu trả lời của anh/chị (đến câu 5/12). Khi nào tiện, anh/chị gõ “khảo sát” "
        "để làm tiếp đúng chỗ đang dừng nhé. Bây giờ anh/chị cần hỏi gì cứ nhắn em ạ."
    ]
    chat.say("/start", intent="start", confidence=1.0)  # a new session's Get Started does not resume
    assert chat.texts() == ["utter_greet"] and not chat.form_active
    chat.say("tiếp tục khảo sát", intent="start_survey", confidence=0.9)
    assert "từ câu 5/12" in chat.texts()[0] and chat.last_text().startswith("Câu 5/12")
    chat.say("khảo sát", intent="start_survey", confidence=0.9)  # inside the form: the same question
    assert chat.texts() == [chat.last_text()] and chat.last_text().startswith("Câu 5/12")
    chat.say("48 giờ")
    assert chat.texts()[0] == "Dạ, em ghi nhận: 48 giờ."
    keys = [key for key, _, _ in _outbox_rows(get_settings().outbox_path)]
    assert keys == [f"survey-answer:w-loop:khao_sat_thu:{n}" for n in range(1, 7)]


def test_consent_no_ends_politely_and_stores_nothing(offline_backend: Path) -> None:
    store_definition(get_settings().survey_cache_path, SAMPLE_DEFINITION)
    chat = SurveyChat("w-no")
    _paused_in_sample(chat, consented=False)
    chat.say("khảo sát", intent="start_survey", confidence=0.97)
    chat.say("ừm để xem")
    assert chat.texts()[0] == "Dạ, anh/chị trả lời giúp em “có” hoặc “không” ạ."
    chat.say("dạ không")
    assert not chat.form_active
    assert chat.texts()[0].startswith("Dạ vâng, em tôn trọng quyết định của anh/chị")
    assert pending_count(get_settings().outbox_path) == 0
    assert chat.progress()["progress"]["khao_sat_thu"]["status"] == "declined"


def test_survey_closed_while_paused_is_not_continued(offline_backend: Path) -> None:
    closed = dict(SAMPLE_DEFINITION, closes="2020-01-01")
    store_definition(get_settings().survey_cache_path, closed)
    chat = SurveyChat("w-closed")
    _paused_in_sample(chat)
    chat.say("khảo sát", intent="start_survey", confidence=0.97)
    assert chat.texts() == [
        "Dạ, khảo sát “Khảo sát thử đời sống, việc làm” đã kết thúc nên em không nhận thêm câu trả lời "
        "được ạ. Em cảm ơn anh/chị đã quan tâm!"
    ]
    assert not chat.form_active


def test_survey_closing_during_the_loop_ends_it_without_recording(offline_backend: Path) -> None:
    store_definition(get_settings().survey_cache_path, dict(SAMPLE_DEFINITION, closes="2020-01-01"))
    chat = SurveyChat("w-closing")
    _paused_in_sample(chat)
    chat.slots["survey_progress"]["active"] = "khao_sat_thu"
    chat.slots["survey_progress"]["progress"]["khao_sat_thu"]["status"] = "answering"
    chat.slots["requested_slot"] = "survey_answer"
    chat.form_active = True
    chat.say("1")
    assert chat.texts()[0].startswith("Dạ, khảo sát “Khảo sát thử đời sống, việc làm” đã kết thúc")
    assert not chat.form_active and pending_count(get_settings().outbox_path) == 0
    assert chat.progress()["progress"]["khao_sat_thu"]["status"] == "closed"


def test_finish_without_outcome_says_nothing() -> None:
    dispatcher = CollectingDispatcher()
    tracker = Tracker("w", {}, {}, [], False, None, {}, "action_listen")
    assert asyncio.run(ActionSurveyFinish().run(dispatcher, tracker, {})) == []
    assert dispatcher.messages == []


# --- with the real backend ------------------------------------------------------------------


def _backend_python(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed argument lists
        [str(BACKEND_VENV / "bin" / "python"), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real backend on loopback with the real survey and a two-question one, both open."""
    if not (BACKEND_VENV / "bin" / "uvicorn").exists() or not REAL_SURVEY.exists():
        pytest.skip("the backend venv or surveys/khao_sat_dau_nam.yml is missing")
    workdir = tmp_path_factory.mktemp("survey_backend")
    port = free_port()
    env = {
        **os.environ,
        **read_env_example(),
        "PYTHONPATH": str(REPO_ROOT),
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite:///{workdir / 'backend.sqlite3'}",
        "RASA_EVENTS_DB": str(workdir / "events.sqlite3"),
        "RASA_TRACKER_DB": str(workdir / "tracker.sqlite3"),
        "RASA_URL": f"http://127.0.0.1:{free_port()}",
    }
    subprocess.run(  # noqa: S603
        [str(BACKEND_VENV / "bin" / "alembic"), "-c", "backend/alembic.ini", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    quick = workdir / "khao_sat_nhanh.yml"
    quick.write_text(QUICK_SURVEY, encoding="utf-8")
    for path in (REAL_SURVEY, quick):
        _backend_python(env, "-m", "backend.app.cli", "import-survey", str(path), "--open")
    _backend_python(
        env,
        "-c",
        "from backend.app.core.db import session_scope\n"
        "from backend.app.schemas.unit import UnitCreate\n"
        "from backend.app.services.units import create_unit\n"
        "with session_scope() as s:\n"
        "    unit = UnitCreate(code='CDCS_MAY_01', name='CĐCS Công ty May 1')\n"
        "    create_unit(session=s, unit_create=unit, actor=None)\n",
    )
    process = ManagedProcess(
        "backend",
        [
            str(BACKEND_VENV / "bin" / "uvicorn"),
            "backend.app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env,
        workdir / "backend.log",
    ).start()
    url = f"http://127.0.0.1:{port}"
    try:
        process.wait_until(http_ok(f"{url}/healthz"), timeout=90)
        yield url
    finally:
        process.stop()


@pytest.fixture()
def online(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points the action settings at the running backend, with a fresh outbox and cache."""
    monkeypatch.setenv("BACKEND_URL", backend)
    monkeypatch.setenv("BACKEND_SERVICE_TOKEN", read_env_example()["BACKEND_SERVICE_TOKEN"])
    monkeypatch.setenv("ACTIONS_OUTBOX_DB", str(tmp_path / "outbox.sqlite3"))
    monkeypatch.delenv("SURVEY_CACHE_DB", raising=False)
    get_settings.cache_clear()
    definitions.clear_memory_cache()
    yield backend
    get_settings.cache_clear()
    definitions.clear_memory_cache()


def _statuses(backend: str, sender: str) -> dict[str, str]:
    token = read_env_example()["BACKEND_SERVICE_TOKEN"]
    reply = httpx.get(
        f"{backend}/api/bot/surveys",
        params={"channel": "rest", "sender_id": sender},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    reply.raise_for_status()
    return {item["id"]: item["status"] for item in reply.json()["surveys"]}


REAL_ANSWERS = [
    ("2", "Dạ, em ghi nhận: Từ 25 đến 34 tuổi."),
    ("nữ", "Dạ, em ghi nhận: Nữ."),
    ("det may da giay", "Dạ, em ghi nhận: Dệt may, da giày."),
    ("1", "Dạ, em ghi nhận: Hợp đồng không xác định thời hạn."),
    ("2", "Dạ, em ghi nhận: Tương đối ổn định."),
    ("56 giờ", "Dạ, em ghi nhận: 56 giờ."),
    ("có", "Dạ, em ghi nhận: Có."),
    ("30", "Dạ, em ghi nhận: 30 giờ."),
    ("1", "Dạ, em ghi nhận: Tự nguyện, để tăng thu nhập."),
    ("3", "Dạ, em ghi nhận: Từ 7 đến dưới 10 triệu."),
    ("2", "Dạ, em ghi nhận: Vừa đủ chi tiêu."),
    ("ko", "Dạ, em ghi nhận: Không."),
    ("bỏ qua", "Dạ, em bỏ qua câu này ạ."),
    ("2", "Dạ, em ghi nhận: Thuê phòng trọ."),
    ("1", "Dạ, em ghi nhận: 1 con."),
    ("1, 4", "Dạ, em ghi nhận: Học phí, chi phí học tập cao; Không có chỗ gửi con ngoài giờ, dịp hè."),
    ("3", "Dạ, em ghi nhận: 3/5."),
    ("4", "Dạ, em ghi nhận: 4/5."),
    ("có", "Dạ, em ghi nhận: Có."),
    ("2", "Dạ, em ghi nhận: Tạm được."),
    ("có", "Dạ, em ghi nhận: Có."),
    ("4", "Dạ, em ghi nhận: 4/5."),
    (
        "1, 6, 7",
        (
            "Dạ, em ghi nhận: Thương lượng tăng lương, thưởng; Hỗ trợ nhà ở, phòng trọ; "
            "Chăm lo con em (học bổng, trông trẻ)."
        ),
    ),
    ("Mong công ty có nhà trẻ gần khu công nghiệp", "Dạ, em đã ghi lại ý kiến của anh/chị ạ."),
]
"""The real survey answered through (doan_vien = có skips "why not a member")."""


def test_real_survey_from_choice_to_completion_with_a_reask_and_a_pause(online: str) -> None:
    chat = SurveyChat("w-real-1")
    chat.say("khảo sát", intent="start_survey", confidence=0.99)
    assert chat.last_text().startswith("Dạ, hiện có 2 khảo sát đang mở cho anh/chị:")
    assert [b["payload"] for b in chat.replies[-1]["buttons"]] == ["1", "2"]
    titles = [b["title"] for b in chat.replies[-1]["buttons"]]
    choice = "1" if "đầu năm" in titles[0] else "2"
    chat.say(choice)
    assert "Anh/chị có đồng ý tham gia khảo sát không ạ?" in chat.last_text()
    chat.say("đồng ý")
    assert chat.last_text().startswith("Câu 1/25 · Thông tin chung")
    chat.say("7")  # only 4 age groups: asked again, nothing lost
    assert chat.texts()[0] == "Dạ, câu này chỉ có các phương án từ 1 đến 4 ạ."
    assert chat.last_text().startswith("Câu 1/25")
    for index, (answer, confirmation) in enumerate(REAL_ANSWERS):
        chat.say(answer)
        assert chat.texts()[0] == confirmation, (index, answer, chat.texts())
        if index == 5:
            chat.say("tạm dừng")
            assert "(đến câu 7/25)" in chat.last_text() and not chat.form_active
            definitions.clear_memory_cache()  # as after a restart of the action server
            chat.say("khao sat", intent="start_survey", confidence=0.9)
            assert "từ câu 7/25" in chat.texts()[0]
            assert chat.last_text().startswith("Câu 7/25 · Việc làm và giờ làm")
    assert not chat.form_active
    assert (
        "cảm ơn anh/chị đã hoàn thành khảo sát “Khảo sát đời sống, việc làm đầu năm 2027”" in chat.last_text()
    )
    assert pending_count(get_settings().outbox_path) == 0  # every answer and the completion delivered
    assert _statuses(online, "w-real-1")["khao_sat_dau_nam"] == "completed"
    # A completed survey is not offered again: the other one starts at once.
    chat.say("làm khảo sát", intent="start_survey", confidence=0.9)
    assert chat.last_text().endswith("Anh/chị đồng ý trả lời không ạ?")
    chat.say("không")
    assert chat.texts()[0].startswith("Dạ vâng, em tôn trọng quyết định")


def test_completed_survey_cannot_be_taken_again_even_if_the_chat_forgot(online: str) -> None:
    chat = SurveyChat("w-real-2")
    chat.say(
        "/start", intent="start", confidence=1.0, entities=[{"entity": "ref", "value": "ks.khao_sat_nhanh"}]
    )
    assert chat.last_text().endswith("Anh/chị đồng ý trả lời không ạ?")
    chat.say("có")
    chat.say("không")
    assert "cảm ơn anh/chị đã hoàn thành khảo sát “Hỏi nhanh về bữa ăn ca”" in chat.last_text()
    assert pending_count(get_settings().outbox_path) == 0
    forgetful = SurveyChat("w-real-2")  # a reset tracker: no slots at all
    forgetful.say(
        "/start", intent="start", confidence=1.0, entities=[{"entity": "ref", "value": "ks.khao_sat_nhanh"}]
    )
    assert forgetful.texts() == [
        "Dạ, anh/chị đã hoàn thành khảo sát “Hỏi nhanh về bữa ăn ca” rồi ạ, mỗi người chỉ trả lời một lần. "
        "Em cảm ơn anh/chị!"
    ]
    assert not forgetful.form_active


@pytest.mark.parametrize(("unit", "kept"), [("CDCS_MAY_01", "CDCS_MAY_01"), ("KHONG_CO_DON_VI", None)])
def test_invitation_link_assigns_unit_then_starts_that_survey(
    online: str, unit: str, kept: str | None
) -> None:
    chat = SurveyChat(f"w-link-{unit}")
    ref = f"ks.khao_sat_nhanh.{unit}"
    chat.say(
        f'/start{{"ref": "{ref}"}}',
        intent="start",
        confidence=1.0,
        entities=[{"entity": "ref", "value": ref}],
    )
    assert chat.last_text().startswith("Dạ, Công đoàn hỏi nhanh anh/chị 2 câu về bữa ăn ca.")
    assert chat.progress()["progress"]["khao_sat_nhanh"]["unit_code"] == kept
    chat.say("có")
    assert chat.last_text().startswith("Câu 1/2 · Bữa ăn ca")
    chat.say("có")
    assert chat.last_text().startswith("Câu 2/2 · Bữa ăn ca")
    assert pending_count(get_settings().outbox_path) == 0  # an unknown unit never blocks the outbox


def test_link_to_unknown_survey_says_so_and_greets(online: str) -> None:
    chat = SurveyChat("w-link-x")
    chat.say(
        "/start", intent="start", confidence=1.0, entities=[{"entity": "ref", "value": "ks.khong_ton_tai"}]
    )
    assert chat.texts() == ["Dạ, khảo sát trong đường link này hiện không mở cho anh/chị ạ.", "utter_greet"]
    assert not chat.form_active


def test_outbox_sets_aside_a_call_the_backend_refuses_and_delivers_the_next(online: str) -> None:
    from actions.backend_client import post_to_backend

    answer = {
        "survey_id": "khao_sat_nhanh",
        "survey_version": 1,
        "channel": "rest",
        "sender_id": "outbox-worker",
        "question_id": "khong_co_cau_nay",
        "value": "yes",
        "seq": 1,
        "answered_at": "2026-11-24T08:00:00+07:00",
        "unit_code": None,
    }
    refused = asyncio.run(post_to_backend("/api/ingest/survey-answers", answer, "outbox-test:1"))
    assert refused.delivered is False and "HTTP 404" in (refused.error or "")
    good = {**answer, "question_id": "co_an_ca", "seq": 2}
    delivered = asyncio.run(post_to_backend("/api/ingest/survey-answers", good, "outbox-test:2"))
    assert delivered.delivered is True
    assert pending_count(get_settings().outbox_path) == 0
    with sqlite3.connect(get_settings().outbox_path) as connection:
        rejected = connection.execute(
            "SELECT idempotency_key, last_error FROM outbox WHERE rejected_at IS NOT NULL"
        ).fetchall()
    assert [key for key, _ in rejected] == ["outbox-test:1"]
