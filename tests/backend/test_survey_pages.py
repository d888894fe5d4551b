"""Survey staff pages: upload (YAML and XLSForm, errors with place and reason, nothing stored),
who may import/open/close/see what, CSRF, audit, and the definition downloads."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from backend.app.core.db import SessionLocal
from backend.app.models import AuditLog, Survey
from backend.app.surveys import export_xlsform, load_survey_file
from tests.backend.factories import create_staff, create_unit_tree, login
from tests.backend.survey_fixtures import (
    REAL_SURVEY,
    SLUG,
    import_survey_text,
    seed_response,
    small_survey_yaml,
)


def _upload(client: TestClient, token: str, name: str, content: bytes, open_now: bool = False):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token}
    if open_now:
        data["open_now"] = "1"
    return client.post("/admin/surveys", data=data, files={"file": (name, content)}, follow_redirects=False)


def _surveys() -> list[Survey]:
    with SessionLocal() as session:
        return list(session.scalars(select(Survey)))


def test_survey_upload_real_yaml_opens_it_and_shows_the_detail(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    reply = _upload(client, token, "khao_sat_dau_nam.yml", REAL_SURVEY.read_bytes(), open_now=True)
    assert (
        reply.status_code == 303
        and reply.headers["location"] == "/admin/surveys/khao_sat_dau_nam?message=imported"
    )
    page = client.get(reply.headers["location"]).text
    assert "Khảo sát đời sống, việc làm đầu năm 2027" in page and "Đã nhập khảo sát." in page
    assert "Đang mở" in page and 'id="close-survey"' in page
    listing = client.get("/admin/surveys").text
    assert "/admin/surveys/khao_sat_dau_nam/results" in listing
    with SessionLocal() as session:
        entries = session.scalars(select(AuditLog.action).where(AuditLog.actor_id == admin.id)).all()
    assert list(entries) == ["survey.import", "survey.open"]


def test_survey_upload_xlsform_round_trip(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    definition = load_survey_file("a.yml", small_survey_yaml().encode("utf-8"))
    reply = _upload(client, token, "ks_thu_nghiem.xlsx", export_xlsform(definition))
    assert reply.status_code == 303
    (survey,) = _surveys()
    assert survey.definition == definition.model_dump(mode="json") and survey.status == "draft"
    downloaded = client.get(f"/admin/surveys/{SLUG}/xlsform.xlsx")
    assert downloaded.status_code == 200 and "attachment" in downloaded.headers["content-disposition"]
    assert load_survey_file("back.xlsx", downloaded.content) == definition
    yaml_copy = client.get(f"/admin/surveys/{SLUG}/definition.yml")
    assert load_survey_file("back.yml", yaml_copy.content) == definition


def _bad_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.title = "choices"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("hong.yml", b"id: ks_hong\nversion: 1\ntitle: [chua dong\n", "dòng"),
        ("hong.yml", small_survey_yaml().replace("type: scale", "type: thang_diem").encode("utf-8"), "dòng"),
        ("hong.xlsx", _bad_xlsx(), "survey"),
        ("ghi_chu.txt", b"khong phai khao sat", ""),
    ],
)
def test_survey_upload_errors_show_place_and_reason_and_store_nothing(
    client: TestClient, name: str, content: bytes, expected: str
) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    reply = _upload(client, token, name, content)
    assert reply.status_code == 400
    assert 'id="upload-errors"' in reply.text and "dữ liệu không thay đổi" in reply.text
    errors = reply.text.split('id="upload-errors"', 1)[1].split("</ul>", 1)[0]
    assert expected in errors and ": " in errors
    assert _surveys() == []


def test_survey_upload_replacing_questions_after_answers_is_refused(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    import_survey_text(small_survey_yaml())
    seed_response("w1", {"nhom_tuoi": "tu_30"})
    reply = _upload(client, token, "moi.yml", small_survey_yaml(version=2, extra_choice=True).encode("utf-8"))
    assert reply.status_code == 400 and "questions: " in reply.text and "đã có người trả lời" in reply.text
    (survey,) = _surveys()
    assert survey.version == 1


def test_survey_staff_may_import_only_for_their_own_subtree(client: TestClient) -> None:
    tree = create_unit_tree()
    staff_a = create_staff(unit_id=tree.province_a)
    token = login(client, staff_a.email)
    for_everybody = _upload(client, token, "a.yml", small_survey_yaml(slug="ks_moi_nguoi").encode("utf-8"))
    for_b = _upload(
        client, token, "b.yml", small_survey_yaml(slug="ks_tinh_b", target_units=["LDB"]).encode("utf-8")
    )
    assert for_everybody.status_code == 400 and for_b.status_code == 400
    assert "target_units: " in for_b.text
    for_below = _upload(
        client, token, "c.yml", small_survey_yaml(slug="ks_co_so_a", target_units=["CSA"]).encode("utf-8")
    )
    assert for_below.status_code == 303
    assert [survey.slug for survey in _surveys()] == ["ks_co_so_a"]
    no_unit = create_staff()
    no_unit_token = login(client, no_unit.email)
    assert _upload(client, no_unit_token, "d.yml", small_survey_yaml().encode("utf-8")).status_code == 403


def test_survey_open_close_need_csrf_and_permission_and_are_audited(client: TestClient) -> None:
    tree = create_unit_tree()
    import_survey_text(small_survey_yaml(target_units=["LDA"]), open_now=False)
    staff_b = create_staff(unit_id=tree.province_b)
    staff_district = create_staff(unit_id=tree.district_a)
    staff_a = create_staff(unit_id=tree.province_a)

    token = login(client, staff_b.email)
    assert (
        client.post(f"/admin/surveys/{SLUG}/open", data={"csrf_token": token}).status_code == 404
    )  # not theirs
    token = login(client, staff_district.email)
    assert (
        client.post(f"/admin/surveys/{SLUG}/open", data={"csrf_token": token}).status_code == 403
    )  # below target
    assert 'id="open-survey"' not in client.get(f"/admin/surveys/{SLUG}").text
    token = login(client, staff_a.email)
    assert client.post(f"/admin/surveys/{SLUG}/open", data={}).status_code == 403  # no CSRF token
    opened = client.post(f"/admin/surveys/{SLUG}/open", data={"csrf_token": token}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].endswith("?message=opened")
    assert _surveys()[0].status == "open"
    closed = client.post(f"/admin/surveys/{SLUG}/close", data={"csrf_token": token}, follow_redirects=False)
    assert closed.status_code == 303 and _surveys()[0].status == "closed"
    with SessionLocal() as session:
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.actor_id == staff_a.id).order_by(AuditLog.id)
        ).all()
    assert list(actions) == ["survey.open", "survey.close"]


def test_survey_visibility_follows_target_units(client: TestClient) -> None:
    tree = create_unit_tree()
    import_survey_text(small_survey_yaml(slug="ks_tinh_a", target_units=["LDA"]))
    import_survey_text(small_survey_yaml(slug="ks_moi_nguoi"))
    cases = [
        (tree.province_b, {"ks_moi_nguoi"}),
        (tree.grassroots_a, {"ks_tinh_a", "ks_moi_nguoi"}),  # below the target
        (tree.central, {"ks_tinh_a", "ks_moi_nguoi"}),  # above the target
    ]
    for unit_id, expected in cases:
        staff = create_staff(unit_id=unit_id)
        login(client, staff.email)
        listing = client.get("/admin/surveys").text
        shown = {
            slug for slug in ("ks_tinh_a", "ks_moi_nguoi") if f"/admin/surveys/{slug}/results" in listing
        }
        assert shown == expected, unit_id
        status = client.get("/admin/surveys/ks_tinh_a/results").status_code
        assert status == (200 if "ks_tinh_a" in expected else 404)


def test_survey_results_page_for_english_readers(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    import_survey_text(small_survey_yaml())
    for index in range(6):
        seed_response(
            f"w{index}", {"nhom_tuoi": "tu_30", "lam_them": "yes", "gio_lam_them": 100 + index * 10}
        )
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/admin"})
    page = client.get(f"/admin/surveys/{SLUG}/results").text
    assert "Respondents in this selection" in page and "Question by question" in page
    client.post("/language", data={"csrf_token": token, "language": "vi", "next": "/admin"})
    assert "Người trả lời trong phạm vi đã chọn" in client.get(f"/admin/surveys/{SLUG}/results").text
