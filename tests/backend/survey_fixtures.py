"""Survey test data, built through the real loader, services and HTTP API (no mocks).

Import from tests: ``small_survey_yaml`` (a survey with every question type), ``REAL_SURVEY``,
``import_survey_text``, ``answer_body``, ``post_answer``, ``post_completion``, ``seed_response``
(ingests one worker's answers and completion through the real ingestion service).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from backend.app.core.config import REPO_ROOT
from backend.app.core.db import session_scope
from backend.app.services.survey_catalog import import_survey
from backend.app.services.survey_ingest import ingest_answer, ingest_completion, ingest_member_unit
from backend.app.services.survey_schemas import MemberUnitIn, SurveyAnswerIn, SurveyCompletionIn
from backend.app.surveys import load_survey_file

REAL_SURVEY = REPO_ROOT / "surveys" / "khao_sat_dau_nam.yml"
SLUG = "ks_thu_nghiem"
ANSWERED_AT = "2027-01-06T08:00:00+07:00"


def small_survey_yaml(
    *,
    slug: str = SLUG,
    version: int = 1,
    title: str = "Khảo sát thử nghiệm",
    target_units: Iterable[str] = (),
    opens: str = "2026-01-01",
    closes: str = "2030-12-31",
    extra_choice: bool = False,
) -> str:
    """Returns a survey in the authored YAML format with one question of every type."""
    targets = ", ".join(target_units)
    extra = "\n          - {value: khac, label: Việc khác}" if extra_choice else ""
    return f"""
id: {slug}
version: {version}
title: {title}
intro: "Dạ, đây là phiếu khảo sát thử, mất khoảng 2 phút ạ."
consent: "Anh/chị có đồng ý tham gia không ạ?"
anonymous: true
opens: {opens}
closes: {closes}
target_units: [{targets}]
sections:
  - id: chung
    title: Thông tin chung
    questions:
      - id: nhom_tuoi
        type: single_choice
        label: Anh/chị thuộc nhóm tuổi nào?
        choices:
          - {{value: duoi_30, label: Dưới 30 tuổi}}
          - {{value: tu_30, label: Từ 30 tuổi trở lên}}
      - id: lam_them
        type: yes_no
        label: Anh/chị có làm thêm giờ không?
      - id: gio_lam_them
        type: number
        label: Mỗi tháng anh/chị làm thêm bao nhiêu giờ?
        unit: giờ
        min: 0
        max: 200
        integer: true
        relevant: "${{lam_them}} = 'yes'"
  - id: nguyen_vong
    title: Nguyện vọng
    questions:
      - id: mong_muon
        type: multiple_choice
        label: Anh/chị mong công đoàn làm gì?
        max_choices: 2
        choices:
          - {{value: tang_luong, label: Thương lượng tăng lương}}
          - {{value: nha_tro, label: Hỗ trợ nhà trọ}}
          - {{value: phap_luat, label: Tư vấn pháp luật}}{extra}
      - id: hai_long
        type: scale
        label: Anh/chị hài lòng với công việc ở mức nào?
        scale_labels: {{1: Rất không hài lòng, 5: Rất hài lòng}}
      - id: ngay_vao_lam
        type: date
        label: Anh/chị vào làm từ ngày nào?
        required: false
      - id: thu_nhap
        type: number
        label: Thu nhập mỗi tháng của anh/chị khoảng bao nhiêu triệu đồng?
        required: false
        min: 0
        max: 200
      - id: y_kien
        type: text
        label: Anh/chị có kiến nghị gì với công đoàn không?
        required: false
        max_length: 200
"""


def import_survey_text(text: str, *, open_now: bool = True, filename: str = "khao_sat.yml") -> int:
    """Loads a survey file's text with the real loader and imports it; returns the survey id."""
    definition = load_survey_file(filename, text.encode("utf-8"))
    with session_scope() as session:
        return import_survey(session=session, definition=definition, actor=None, open_now=open_now).survey.id


def answer_body(
    question_id: str,
    value: Any,  # noqa: ANN401 - any JSON value
    *,
    sender_id: str,
    seq: int,
    survey_id: str = SLUG,
    version: int = 1,
    answered_at: str = ANSWERED_AT,
) -> dict[str, Any]:
    """Returns the JSON body of POST /api/ingest/survey-answers."""
    return {
        "survey_id": survey_id,
        "survey_version": version,
        "channel": "rest",
        "sender_id": sender_id,
        "question_id": question_id,
        "value": value,
        "seq": seq,
        "answered_at": answered_at,
        "unit_code": None,
    }


def post_answer(client: TestClient, headers: Mapping[str, str], key: str, body: dict[str, Any]) -> Response:
    """Posts one answer with an idempotency key, like the bot's outbox does."""
    return client.post("/api/ingest/survey-answers", json=body, headers={**headers, "Idempotency-Key": key})


def post_completion(
    client: TestClient, headers: Mapping[str, str], key: str, *, sender_id: str, survey_id: str = SLUG
) -> Response:
    """Posts a completion with an idempotency key."""
    body = {
        "survey_id": survey_id,
        "survey_version": 1,
        "channel": "rest",
        "sender_id": sender_id,
        "completed_at": "2027-01-06T08:10:00+07:00",
        "answer_count": 5,
    }
    return client.post(
        "/api/ingest/survey-completions", json=body, headers={**headers, "Idempotency-Key": key}
    )


def seed_response(
    sender_id: str,
    answers: Mapping[str, Any],
    *,
    unit_code: str | None = None,
    complete: bool = True,
    survey_id: str = SLUG,
    completed_at: str = "2027-01-06T08:10:00+07:00",
) -> None:
    """Ingests one worker's member unit, answers and completion through the real services."""
    with session_scope() as session:
        if unit_code is not None:
            ingest_member_unit(
                session=session,
                member_unit_in=MemberUnitIn(channel="rest", sender_id=sender_id, unit_code=unit_code),
                idempotency_key=f"member-unit:{sender_id}",
            )
        for seq, (question_id, value) in enumerate(answers.items(), start=1):
            ingest_answer(
                session=session,
                answer_in=SurveyAnswerIn.model_validate(
                    answer_body(question_id, value, sender_id=sender_id, seq=seq, survey_id=survey_id)
                ),
                idempotency_key=f"survey-answer:{sender_id}:{survey_id}:{seq}",
            )
        if complete:
            ingest_completion(
                session=session,
                completion_in=SurveyCompletionIn(
                    survey_id=survey_id,
                    survey_version=1,
                    channel="rest",
                    sender_id=sender_id,
                    completed_at=completed_at,  # type: ignore[arg-type]
                    answer_count=len(answers),
                ),
                idempotency_key=f"survey-complete:{sender_id}:{survey_id}",
            )
