"""The survey catalogue: importing and replacing definitions, open/close, which surveys a worker
gets from GET /api/bot/surveys (unit subtree, dates, status), the compiled definition, the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.cli import main as cli_main
from backend.app.core.db import SessionLocal, session_scope
from backend.app.models import AuditLog, Survey
from backend.app.services.survey_catalog import (
    SurveyImportError,
    close_survey,
    import_survey,
    is_open_on,
    list_available_surveys,
    open_survey,
    today_in_vietnam,
)
from backend.app.surveys import compile_definition, load_survey_file
from tests.backend.factories import create_unit_tree
from tests.backend.survey_fixtures import (
    REAL_SURVEY,
    SLUG,
    answer_body,
    import_survey_text,
    post_answer,
    seed_response,
    small_survey_yaml,
)


def _import(text: str, open_now: bool = True) -> Survey:
    definition = load_survey_file("khao_sat.yml", text.encode("utf-8"))
    with session_scope() as session:
        return import_survey(session=session, definition=definition, actor=None, open_now=open_now).survey


def _bot_surveys(client: TestClient, headers: dict[str, str], sender_id: str) -> list[dict[str, object]]:
    reply = client.get(
        "/api/bot/surveys", params={"channel": "rest", "sender_id": sender_id}, headers=headers
    )
    assert reply.status_code == 200
    return list(reply.json()["surveys"])


def test_survey_import_stores_definition_and_compiled_json() -> None:
    survey = _import(small_survey_yaml(), open_now=False)
    definition = load_survey_file("a.yml", small_survey_yaml().encode("utf-8"))
    assert (survey.slug, survey.version, survey.status, survey.question_count) == (SLUG, 1, "draft", 8)
    assert survey.compiled == compile_definition(definition)
    assert survey.definition == definition.model_dump(mode="json")
    assert (survey.opens_on, survey.closes_on) == (date(2026, 1, 1), date(2030, 12, 31))
    with SessionLocal() as session:
        assert (
            session.scalar(select(AuditLog.action).where(AuditLog.target_id == str(survey.id)))
            == "survey.import"
        )


def test_survey_replace_texts_keeps_status_and_responses() -> None:
    _import(small_survey_yaml())
    seed_response("w1", {"nhom_tuoi": "tu_30"})
    replaced = _import(
        small_survey_yaml(title="Khảo sát thử nghiệm (sửa tiêu đề)", closes="2031-06-30"), open_now=False
    )
    assert replaced.title == "Khảo sát thử nghiệm (sửa tiêu đề)"
    assert replaced.status == "open"
    assert replaced.closes_on == date(2031, 6, 30)


@pytest.mark.parametrize(
    ("new_text", "location", "reason_part"),
    [
        (small_survey_yaml(version=2, extra_choice=True), "questions", "đã có người trả lời"),
        (small_survey_yaml(version=1, extra_choice=True), "questions", "đã có người trả lời"),
    ],
)
def test_survey_replace_questions_refused_once_responses_exist(
    new_text: str, location: str, reason_part: str
) -> None:
    _import(small_survey_yaml())
    seed_response("w1", {"nhom_tuoi": "tu_30"})
    with pytest.raises(SurveyImportError) as error:
        _import(new_text)
    assert error.value.location == location and reason_part in error.value.reason
    with SessionLocal() as session:
        stored = session.scalars(select(Survey)).one()
        assert stored.version == 1 and len(stored.compiled["questions"][3]["choices"]) == 3


def test_survey_replace_questions_without_responses_needs_a_higher_version() -> None:
    _import(small_survey_yaml())
    with pytest.raises(SurveyImportError) as same_version:
        _import(small_survey_yaml(version=1, extra_choice=True))
    assert same_version.value.location == "version"
    updated = _import(small_survey_yaml(version=2, extra_choice=True))
    assert updated.version == 2 and len(updated.compiled["questions"][3]["choices"]) == 4
    with pytest.raises(SurveyImportError) as lower:
        _import(small_survey_yaml(version=1))
    assert lower.value.location == "version"


def test_survey_import_unknown_target_unit_is_refused() -> None:
    with pytest.raises(SurveyImportError) as error:
        _import(small_survey_yaml(target_units=["KHONG_CO"]))
    assert error.value.location == "target_units" and "KHONG_CO" in error.value.reason
    with SessionLocal() as session:
        assert session.scalars(select(Survey)).all() == []


@pytest.mark.parametrize(
    ("status", "opens", "closes", "today", "expected"),
    [
        ("open", None, None, date(2027, 1, 6), True),
        ("open", date(2027, 1, 5), date(2027, 3, 31), date(2027, 1, 5), True),
        ("open", date(2027, 1, 5), date(2027, 3, 31), date(2027, 3, 31), True),
        ("open", date(2027, 1, 5), date(2027, 3, 31), date(2027, 1, 4), False),
        ("open", date(2027, 1, 5), date(2027, 3, 31), date(2027, 4, 1), False),
        ("closed", None, None, date(2027, 1, 6), False),
        ("draft", None, None, date(2027, 1, 6), False),
    ],
)
def test_survey_is_open_on_respects_status_and_dates(
    status: str, opens: date | None, closes: date | None, today: date, expected: bool
) -> None:
    survey = Survey(slug="x", status=status, opens_on=opens, closes_on=closes)
    assert is_open_on(survey, today) is expected


def test_bot_surveys_lists_by_unit_subtree(client: TestClient, service_headers: dict[str, str]) -> None:
    create_unit_tree()
    _import(small_survey_yaml(slug="ks_tinh_a", target_units=["LDA"]))
    _import(small_survey_yaml(slug="ks_moi_nguoi"))
    for sender, code in (("in-a", "CSA"), ("in-b", "CSB"), ("at-a", "LDA")):
        client.post(
            "/api/ingest/member-unit",
            json={"channel": "rest", "sender_id": sender, "unit_code": code},
            headers={**service_headers, "Idempotency-Key": f"member-unit:{sender}"},
        )
    assert {s["id"] for s in _bot_surveys(client, service_headers, "in-a")} == {"ks_tinh_a", "ks_moi_nguoi"}
    assert {s["id"] for s in _bot_surveys(client, service_headers, "at-a")} == {"ks_tinh_a", "ks_moi_nguoi"}
    assert {s["id"] for s in _bot_surveys(client, service_headers, "in-b")} == {"ks_moi_nguoi"}
    # a worker whose unit is unknown gets every open survey
    assert {s["id"] for s in _bot_surveys(client, service_headers, "never-seen")} == {
        "ks_tinh_a",
        "ks_moi_nguoi",
    }


def test_bot_surveys_shows_worker_status_and_hides_draft_closed_and_past(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _import(small_survey_yaml())
    _import(small_survey_yaml(slug="ks_nhap"), open_now=False)
    _import(small_survey_yaml(slug="ks_da_qua", opens="2020-01-01", closes="2020-12-31"))
    closed = _import(small_survey_yaml(slug="ks_da_dong"))
    with session_scope() as session:
        close_survey(session=session, survey=session.get(Survey, closed.id), actor=None)  # type: ignore[arg-type]
    listed = _bot_surveys(client, service_headers, "w1")
    assert listed == [
        {
            "id": SLUG,
            "version": 1,
            "title": "Khảo sát thử nghiệm",
            "question_count": 8,
            "status": "not_started",
        }
    ]
    post_answer(
        client, service_headers, "status-key-1", answer_body("nhom_tuoi", "tu_30", sender_id="w1", seq=1)
    )
    assert _bot_surveys(client, service_headers, "w1")[0]["status"] == "in_progress"
    seed_response("w2", {"nhom_tuoi": "tu_30"})
    assert _bot_surveys(client, service_headers, "w2")[0]["status"] == "completed"


def test_bot_survey_definition_is_the_compiled_json_also_when_closed(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    survey = _import(small_survey_yaml())
    reply = client.get(f"/api/bot/surveys/{SLUG}", headers=service_headers)
    assert reply.status_code == 200 and reply.json() == survey.compiled
    assert [q["id"] for q in reply.json()["questions"]][:3] == ["nhom_tuoi", "lam_them", "gio_lam_them"]
    with session_scope() as session:
        close_survey(session=session, survey=session.get(Survey, survey.id), actor=None)  # type: ignore[arg-type]
    assert client.get(f"/api/bot/surveys/{SLUG}", headers=service_headers).status_code == 200
    _import(small_survey_yaml(slug="ks_nhap"), open_now=False)
    assert client.get("/api/bot/surveys/ks_nhap", headers=service_headers).status_code == 404
    assert client.get("/api/bot/surveys/khong_co", headers=service_headers).status_code == 404


def test_bot_survey_endpoints_need_the_service_token(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/bot/surveys", params={"channel": "rest", "sender_id": "w"}).status_code == 401
    assert client.get(f"/api/bot/surveys/{SLUG}", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_survey_open_close_are_audited_and_change_availability() -> None:
    survey = _import(small_survey_yaml(), open_now=False)
    today = today_in_vietnam()
    with session_scope() as session:
        assert list_available_surveys(session=session, unit_id=None, today=today) == []
        open_survey(session=session, survey=session.get(Survey, survey.id), actor=None)  # type: ignore[arg-type]
    with session_scope() as session:
        assert [s.slug for s in list_available_surveys(session=session, unit_id=None, today=today)] == [SLUG]
        close_survey(session=session, survey=session.get(Survey, survey.id), actor=None)  # type: ignore[arg-type]
    with SessionLocal() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["survey.import", "survey.open", "survey.close"]


def test_cli_import_survey_imports_the_real_survey_and_opens_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["import-survey", str(REAL_SURVEY), "--open"]) == 0
    assert "imported survey khao_sat_dau_nam v1 (open, " in capsys.readouterr().out
    with SessionLocal() as session:
        survey = session.scalars(select(Survey)).one()
    assert survey.status == "open" and 20 <= survey.question_count <= 30
    assert is_open_on(survey, today_in_vietnam())
    assert cli_main(["import-survey", str(REAL_SURVEY)]) == 0
    assert "updated survey khao_sat_dau_nam" in capsys.readouterr().out


def test_cli_import_survey_if_absent_keeps_a_survey_staff_closed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["import-survey", str(REAL_SURVEY), "--open"]) == 0
    with SessionLocal() as session, session.begin():
        session.scalars(select(Survey)).one().status = "closed"
    assert cli_main(["import-survey", str(REAL_SURVEY), "--open", "--if-absent"]) == 0
    assert "kept survey khao_sat_dau_nam" in capsys.readouterr().out
    with SessionLocal() as session:
        assert session.scalars(select(Survey)).one().status == "closed"


def test_cli_import_survey_reports_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "hong.yml"
    bad.write_text("id: ks\nversion: [\n", encoding="utf-8")
    assert cli_main(["import-survey", str(bad)]) == 1
    assert "hong.yml" in capsys.readouterr().err
    with SessionLocal() as session:
        assert session.scalars(select(Survey)).all() == []


def test_import_survey_text_helper_returns_the_id() -> None:
    survey_id = import_survey_text(small_survey_yaml())
    with SessionLocal() as session:
        assert session.get(Survey, survey_id) is not None
