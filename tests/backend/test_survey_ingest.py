"""The bot's survey ingestion API: exactly once per key, highest seq wins, 404/409/422, member units,
pseudonyms only — against the real app and database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.db import SessionLocal
from backend.app.models import SurveyAnswer, SurveyIngestKey, SurveyResponse
from backend.app.models.member import Member
from backend.app.services.event_ingest import derive_pseudonym
from tests.backend.factories import create_unit_tree
from tests.backend.survey_fixtures import (
    SLUG,
    answer_body,
    import_survey_text,
    post_answer,
    post_completion,
    small_survey_yaml,
)


@pytest.fixture()
def survey_id() -> int:
    return import_survey_text(small_survey_yaml())


def _answers(sender_id: str) -> dict[str, tuple[Any, int]]:
    pseudonym = derive_pseudonym("rest", sender_id)
    with SessionLocal() as session:
        rows = session.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.value, SurveyAnswer.seq)
            .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
            .join(Member, SurveyResponse.member_id == Member.id)
            .where(Member.pseudonym == pseudonym)
        ).all()
    return {question_id: (value, seq) for question_id, value, seq in rows}


def _response(sender_id: str) -> SurveyResponse | None:
    pseudonym = derive_pseudonym("rest", sender_id)
    with SessionLocal() as session:
        return session.scalars(
            select(SurveyResponse)
            .join(Member, SurveyResponse.member_id == Member.id)
            .where(Member.pseudonym == pseudonym)
        ).first()


def test_survey_answer_same_key_twice_stores_one_answer(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    body = answer_body("nhom_tuoi", "duoi_30", sender_id="zalo-1001", seq=1)
    first = post_answer(client, service_headers, "survey-answer:zalo-1001:1", body)
    again = post_answer(client, service_headers, "survey-answer:zalo-1001:1", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {"result": "stored", "response_status": "in_progress"}
    assert again.json()["result"] == "duplicate"
    assert _answers("zalo-1001") == {"nhom_tuoi": ("duoi_30", 1)}
    with SessionLocal() as session:
        assert (
            session.scalar(
                select(SurveyIngestKey.kind).where(SurveyIngestKey.key == "survey-answer:zalo-1001:1")
            )
            == "answer"
        )
        assert len(session.scalars(select(SurveyAnswer)).all()) == 1


def test_survey_answer_same_key_does_not_reapply_after_a_newer_answer(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    post_answer(
        client, service_headers, "key-seq-00001", answer_body("nhom_tuoi", "duoi_30", sender_id="w2", seq=1)
    )
    post_answer(
        client, service_headers, "key-seq-00002", answer_body("nhom_tuoi", "tu_30", sender_id="w2", seq=2)
    )
    replay = post_answer(
        client, service_headers, "key-seq-00001", answer_body("nhom_tuoi", "duoi_30", sender_id="w2", seq=1)
    )
    assert replay.status_code == 200
    assert _answers("w2") == {"nhom_tuoi": ("tu_30", 2)}


def test_survey_answer_highest_seq_wins_and_late_lower_seq_changes_nothing(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    post_answer(client, service_headers, "key-hs-0001", answer_body("lam_them", "yes", sender_id="w3", seq=5))
    reanswered = post_answer(
        client, service_headers, "key-hs-0002", answer_body("lam_them", "no", sender_id="w3", seq=9)
    )
    late = post_answer(
        client, service_headers, "key-hs-0003", answer_body("lam_them", "yes", sender_id="w3", seq=7)
    )
    assert reanswered.status_code == 201
    assert late.status_code == 200 and late.json()["result"] == "stale"
    assert _answers("w3") == {"lam_them": ("no", 9)}


def test_survey_answer_null_value_records_a_skip_with_its_seq(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    post_answer(
        client,
        service_headers,
        "key-skip-001",
        answer_body("y_kien", "Cần thêm nhà trọ", sender_id="w4", seq=1),
    )
    cleared = post_answer(
        client, service_headers, "key-skip-002", answer_body("y_kien", None, sender_id="w4", seq=2)
    )
    assert cleared.status_code == 201
    assert _answers("w4") == {"y_kien": (None, 2)}
    with SessionLocal() as session:
        assert session.scalar(select(SurveyAnswer.value_text)) is None


def test_survey_answer_after_completion_is_refused_with_409(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    post_answer(
        client, service_headers, "key-done-001", answer_body("nhom_tuoi", "tu_30", sender_id="w5", seq=1)
    )
    assert post_completion(client, service_headers, "key-done-complete", sender_id="w5").status_code == 201
    after = post_answer(
        client, service_headers, "key-done-002", answer_body("lam_them", "no", sender_id="w5", seq=2)
    )
    assert after.status_code == 409
    assert _answers("w5") == {"nhom_tuoi": ("tu_30", 1)}
    # the outbox resending the completion is fine, a second completion under a new key is not
    assert post_completion(client, service_headers, "key-done-complete", sender_id="w5").status_code == 200
    assert post_completion(client, service_headers, "key-done-other", sender_id="w5").status_code == 409


@pytest.mark.parametrize(
    ("question_id", "value"),
    [
        ("nhom_tuoi", "tren_60"),  # not a choice
        ("nhom_tuoi", 1),
        ("nhom_tuoi", ["duoi_30"]),
        ("lam_them", "có"),  # yes/no are "yes"/"no"
        ("lam_them", True),
        ("gio_lam_them", "48"),  # a number, not a text
        ("gio_lam_them", 12.5),  # integer question
        ("gio_lam_them", 201),  # above max
        ("gio_lam_them", -1),  # below min
        ("gio_lam_them", True),
        ("mong_muon", "tang_luong"),  # a list is expected
        ("mong_muon", []),
        ("mong_muon", ["tang_luong", "nha_tro", "phap_luat"]),  # max_choices 2
        ("mong_muon", ["tang_luong", "tang_luong"]),
        ("mong_muon", ["khong_co"]),
        ("hai_long", 6),
        ("hai_long", 0),
        ("hai_long", "5"),
        ("ngay_vao_lam", "15/03/2020"),
        ("ngay_vao_lam", "2020-02-30"),
        ("y_kien", 42),
        ("y_kien", "x" * 201),  # max_length 200
    ],
)
def test_survey_answer_wrong_value_type_is_refused_with_422(
    client: TestClient, service_headers: dict[str, str], survey_id: int, question_id: str, value: Any
) -> None:
    reply = post_answer(
        client, service_headers, "key-422-00001", answer_body(question_id, value, sender_id="w6", seq=1)
    )
    assert reply.status_code == 422, reply.text
    assert _response("w6") is None  # nothing stored, not even the response


@pytest.mark.parametrize(
    ("question_id", "value", "stored"),
    [
        ("gio_lam_them", 48.0, 48),
        ("thu_nhap", 6.5, 6.5),
        ("mong_muon", ["phap_luat", "tang_luong"], ["tang_luong", "phap_luat"]),  # choice order
        ("y_kien", "  Cần nhà trọ rẻ  ", "Cần nhà trọ rẻ"),
        ("ngay_vao_lam", "2020-03-15", "2020-03-15"),
        ("hai_long", 4, 4),
    ],
)
def test_survey_answer_values_are_stored_in_canonical_form(
    client: TestClient,
    service_headers: dict[str, str],
    survey_id: int,
    question_id: str,
    value: Any,
    stored: Any,
) -> None:
    reply = post_answer(
        client,
        service_headers,
        f"key-canon-{question_id}",
        answer_body(question_id, value, sender_id="w7", seq=1),
    )
    assert reply.status_code == 201
    assert _answers("w7")[question_id][0] == stored


def test_survey_answer_unknown_question_or_survey_is_404(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    unknown_question = post_answer(
        client, service_headers, "key-404-q", answer_body("khong_co", "x", sender_id="w8", seq=1)
    )
    unknown_survey = post_answer(
        client,
        service_headers,
        "key-404-s",
        answer_body("nhom_tuoi", "tu_30", sender_id="w8", seq=1, survey_id="khong_co"),
    )
    assert (unknown_question.status_code, unknown_survey.status_code) == (404, 404)
    assert (
        post_completion(
            client, service_headers, "key-404-c", sender_id="w8", survey_id="khong_co"
        ).status_code
        == 404
    )


def test_survey_answer_to_a_draft_survey_is_404(client: TestClient, service_headers: dict[str, str]) -> None:
    import_survey_text(small_survey_yaml(slug="ks_nhap"), open_now=False)
    reply = post_answer(
        client,
        service_headers,
        "key-draft-1",
        answer_body("nhom_tuoi", "tu_30", sender_id="w9", seq=1, survey_id="ks_nhap"),
    )
    assert reply.status_code == 404


def test_survey_answer_to_a_closed_survey_arriving_late_is_kept(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    from backend.app.core.db import session_scope
    from backend.app.models import Survey
    from backend.app.services.survey_catalog import close_survey

    with session_scope() as session:
        close_survey(session=session, survey=session.get(Survey, survey_id), actor=None)  # type: ignore[arg-type]
    reply = post_answer(
        client, service_headers, "key-late-001", answer_body("nhom_tuoi", "tu_30", sender_id="w10", seq=1)
    )
    assert reply.status_code == 201


def test_survey_ingest_stores_pseudonym_never_sender_id_and_snapshots_unit(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    tree = create_unit_tree()
    sender = "zalo-user-8888777766665555"
    assert (
        client.post(
            "/api/ingest/member-unit",
            json={"channel": "rest", "sender_id": sender, "unit_code": "CSA"},
            headers={**service_headers, "Idempotency-Key": "member-unit-key-1"},
        ).status_code
        == 200
    )
    post_answer(
        client, service_headers, "key-pseudo-1", answer_body("nhom_tuoi", "tu_30", sender_id=sender, seq=1)
    )
    response = _response(sender)
    assert response is not None and response.unit_id == tree.grassroots_a
    assert response.started_at is not None
    with SessionLocal() as session:
        member = session.get(Member, response.member_id)
        assert member is not None and member.pseudonym == derive_pseudonym("rest", sender)
        for table in ("members", "survey_responses", "survey_answers", "survey_ingest_keys"):
            dump = " ".join(str(row) for row in session.execute(select(_table(table))).all())
            assert sender not in dump, table
    # moving the member later does not move the response already started
    client.post(
        "/api/ingest/member-unit",
        json={"channel": "rest", "sender_id": sender, "unit_code": "CSB"},
        headers={**service_headers, "Idempotency-Key": "member-unit-key-2"},
    )
    moved = _response(sender)
    assert moved is not None and moved.unit_id == tree.grassroots_a


def _table(name: str):  # type: ignore[no-untyped-def]
    from backend.app.models import Base

    return Base.metadata.tables[name]


def test_survey_answer_unit_code_sets_the_unit_of_a_new_response(
    client: TestClient, service_headers: dict[str, str], survey_id: int
) -> None:
    tree = create_unit_tree()
    body = answer_body("nhom_tuoi", "tu_30", sender_id="w11", seq=1) | {"unit_code": "CSB"}
    assert post_answer(client, service_headers, "key-unitcode-1", body).status_code == 201
    response = _response("w11")
    assert response is not None and response.unit_id == tree.grassroots_b


def test_member_unit_unknown_code_is_404_and_same_key_applies_once(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    tree = create_unit_tree()
    unknown = client.post(
        "/api/ingest/member-unit",
        json={"channel": "rest", "sender_id": "w12", "unit_code": "KHONG_CO"},
        headers={**service_headers, "Idempotency-Key": "member-unit-404"},
    )
    assert unknown.status_code == 404
    first = client.post(
        "/api/ingest/member-unit",
        json={"channel": "rest", "sender_id": "w12", "unit_code": "CSA"},
        headers={**service_headers, "Idempotency-Key": "member-unit-w12-a"},
    )
    client.post(
        "/api/ingest/member-unit",
        json={"channel": "rest", "sender_id": "w12", "unit_code": "CSB"},
        headers={**service_headers, "Idempotency-Key": "member-unit-w12-b"},
    )
    replay = client.post(
        "/api/ingest/member-unit",
        json={"channel": "rest", "sender_id": "w12", "unit_code": "CSA"},
        headers={**service_headers, "Idempotency-Key": "member-unit-w12-a"},
    )
    assert first.json() == {"result": "stored", "unit_code": "CSA"}
    assert replay.status_code == 200 and replay.json()["result"] == "duplicate"
    with SessionLocal() as session:
        member = session.scalars(
            select(Member).where(Member.pseudonym == derive_pseudonym("rest", "w12"))
        ).one()
        assert member.unit_id == tree.grassroots_b


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/ingest/survey-answers", answer_body("nhom_tuoi", "tu_30", sender_id="w13", seq=1)),
        ("/api/ingest/survey-completions", {"survey_id": SLUG}),
        ("/api/ingest/member-unit", {"channel": "rest", "sender_id": "w13", "unit_code": "CSA"}),
    ],
)
def test_survey_ingest_needs_the_service_token_and_a_key(
    client: TestClient, service_headers: dict[str, str], survey_id: int, path: str, body: dict[str, Any]
) -> None:
    client.cookies.clear()
    wrong = client.post(
        path, json=body, headers={"Authorization": "Bearer wrong", "Idempotency-Key": "key-token-1"}
    )
    assert wrong.status_code == 401
    without_key = client.post(path, json=body, headers=service_headers)
    assert without_key.status_code == 422
