"""In a real browser: an admin uploads the real early-year survey, opens it, and after 5,000
generated respondents (plus a unit of only 4 who answered through the real ingestion API)
sees the progress, the charts, the unit breakdown with the small unit suppressed, a
cross-tabulation, and downloads the XLSX with that unit blanked.

The 5,000 responses are written as rows straight into the live backend's database (the
ingestion API would take minutes for 125,000 answers); their flat values come from the
backend's own ``value_to_text``.
"""

from __future__ import annotations

import io
import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker

from backend.app.models import Survey, SurveyAnswer, SurveyResponse
from backend.app.models.member import Member
from backend.app.schemas.unit import UnitCreate
from backend.app.services.survey_values import value_to_text
from backend.app.services.units import create_unit
from tests.backend.browser.conftest import LiveBackend
from tests.support.processes import REPO_ROOT

REAL_SURVEY = REPO_ROOT / "surveys" / "khao_sat_dau_nam.yml"
SLUG = "khao_sat_dau_nam"
GENERATED = 5000
SMALL_PROVINCE = "Công đoàn ngành Y tế tỉnh"
SERVICE_TOKEN = os.environ["BACKEND_SERVICE_TOKEN"]  # set by tests/backend/conftest.py (or the test command); the live backend inherits it


@dataclass(frozen=True)
class Units:
    """Codes of the seeded tree: a big province with 8 grassroots units, a small one with 1."""

    grassroots: list[int]
    small_code: str
    small_name: str


@pytest.fixture(scope="module")
def units(live_backend: LiveBackend) -> Iterator[Units]:
    tag = uuid.uuid4().hex[:6]
    engine = create_engine(live_backend.database_url, connect_args={"timeout": 30})
    try:
        with sessionmaker(bind=engine)() as session, session.begin():

            def add(code: str, name: str, parent: int | None) -> int:
                return create_unit(
                    session=session,
                    unit_create=UnitCreate(code=code, name=name, parent_id=parent),
                    actor=None,
                ).id

            root = add(f"KS{tag}", "Tổng Liên đoàn Lao động Việt Nam", None)
            big = add(f"KSA{tag}", "LĐLĐ tỉnh Bình Dương", root)
            grassroots = [add(f"KSA{tag}{n}", f"Công đoàn cơ sở Công ty số {n + 1}", big) for n in range(8)]
            small = add(f"KSB{tag}", SMALL_PROVINCE, root)
            small_name = "Công đoàn cơ sở Bệnh viện Đa khoa"
            add(f"KSB{tag}0", small_name, small)
        yield Units(grassroots, f"KSB{tag}0", small_name)
    finally:
        engine.dispose()


def _random_value(question: dict[str, Any], rnd: random.Random) -> Any:  # noqa: ANN401
    kind = question["type"]
    if kind == "single_choice":
        return rnd.choice(question["choices"])["value"]
    if kind == "yes_no":
        return rnd.choice(["yes", "no"])
    if kind == "scale":
        return rnd.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 5, 3])[0]
    if kind == "multiple_choice":
        values = [choice["value"] for choice in question["choices"]]
        return sorted(
            rnd.sample(values, rnd.randint(1, min(len(values), question.get("max_choices") or 3))),
            key=values.index,
        )
    if kind == "number":
        low = question["min"] if question["min"] is not None else 0
        high = min(question["max"] if question["max"] is not None else 80, low + 70)
        return round(rnd.triangular(low, high, (low + high) / 2))
    if kind == "text":
        return rnd.choice(
            [None, None, None, "Mong công đoàn quan tâm nhà trọ", "Đề nghị tăng lương", "Cần thêm nhà trẻ"]
        )
    return None


def _seed_generated(database_url: str, grassroots: list[int]) -> None:
    """Writes 5,000 completed responses across the grassroots units of the big province."""
    engine = create_engine(database_url, connect_args={"timeout": 30})
    rnd = random.Random(2027)
    try:
        with Session(engine) as session, session.begin():
            survey = session.scalars(select(Survey).where(Survey.slug == SLUG)).one()
            tag = uuid.uuid4().hex[:8]
            session.execute(
                insert(Member),
                [
                    {"channel": "rest", "pseudonym": f"gen{tag}{n:06d}", "consent": False, "reachable": True}
                    for n in range(GENERATED)
                ],
            )
            member_ids = session.scalars(
                select(Member.id).where(Member.pseudonym.startswith(f"gen{tag}"))
            ).all()
            now = datetime.now(UTC)
            responses = []
            for member_id in member_ids:
                started = now - timedelta(days=rnd.randint(0, 20), minutes=rnd.randint(0, 600))
                responses.append(
                    {
                        "survey_id": survey.id,
                        "member_id": member_id,
                        "unit_id": rnd.choice(grassroots),
                        "survey_version": survey.version,
                        "status": "completed",
                        "started_at": started,
                        "completed_at": started + timedelta(minutes=rnd.randint(4, 15)),
                        "updated_at": started,
                    }
                )
            session.execute(insert(SurveyResponse), responses)
            response_ids = session.scalars(
                select(SurveyResponse.id).where(SurveyResponse.member_id.in_(member_ids))
            ).all()
            answers = []
            for response_id in response_ids:
                for seq, question in enumerate(survey.compiled["questions"], start=1):
                    value = _random_value(question, rnd)
                    answers.append(
                        {
                            "survey_id": survey.id,
                            "response_id": response_id,
                            "question_id": question["id"],
                            "value": value,
                            "value_text": value_to_text(value),
                            "seq": seq,
                            "answered_at": now,
                        }
                    )
            session.execute(insert(SurveyAnswer), answers)
    finally:
        engine.dispose()


def _answer_small_unit(url: str, definition: dict[str, Any], unit_code: str) -> None:
    """Four workers of the small unit answer everything through the real ingestion API."""
    headers = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    rnd = random.Random(4)
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for worker in range(4):
            sender = f"zalo-small-{uuid.uuid4().hex[:8]}"
            reply = http.post(
                "/api/ingest/member-unit",
                json={"channel": "rest", "sender_id": sender, "unit_code": unit_code},
                headers={"Idempotency-Key": f"member-unit:{sender}"},
            )
            assert reply.status_code == 200, reply.text
            for seq, question in enumerate(definition["questions"], start=1):
                body = {
                    "survey_id": SLUG,
                    "survey_version": definition["version"],
                    "channel": "rest",
                    "sender_id": sender,
                    "question_id": question["id"],
                    "value": _random_value(question, rnd),
                    "seq": seq,
                    "answered_at": datetime.now(UTC).isoformat(),
                    "unit_code": None,
                }
                reply = http.post(
                    "/api/ingest/survey-answers",
                    json=body,
                    headers={"Idempotency-Key": f"answer:{sender}:{seq}"},
                )
                assert reply.status_code == 201, reply.text
            reply = http.post(
                "/api/ingest/survey-completions",
                json={
                    "survey_id": SLUG,
                    "survey_version": definition["version"],
                    "channel": "rest",
                    "sender_id": sender,
                    "completed_at": datetime.now(UTC).isoformat(),
                    "answer_count": len(definition["questions"]),
                },
                headers={"Idempotency-Key": f"complete:{sender}:{worker}"},
            )
            assert reply.status_code == 201, reply.text


def _log_in(page, url: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/admin")


def _row_cells(page, table: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    row = page.locator(f"#{table} tbody tr", has_text=name).first
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def test_browser_survey_upload_open_answer_and_read_results(  # type: ignore[no-untyped-def]
    page, live_backend: LiveBackend, units: Units, screenshot_dir: Path
) -> None:
    url = live_backend.url
    _log_in(page, url, live_backend.admin_email, live_backend.admin_password)
    page.click("nav.main >> text=Khảo sát")
    page.wait_for_url(f"{url}/admin/surveys")
    page.set_input_files("#upload input[type=file]", str(REAL_SURVEY))
    page.click("#upload button[type=submit]")
    page.wait_for_url(f"**/admin/surveys/{SLUG}?message=imported")
    assert page.locator("h1 .badge").inner_text() == "Bản nháp"
    page.click("#open-survey")
    page.wait_for_url("**message=opened")
    assert page.locator("h1 .badge").inner_text() == "Đang mở"
    assert "Chưa có ai bắt đầu làm khảo sát này." in page.content()
    page.screenshot(path=str(screenshot_dir / "survey_detail_opened.png"), full_page=True)

    definition = httpx.get(
        f"{url}/api/bot/surveys/{SLUG}", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}, timeout=30
    ).json()
    _answer_small_unit(url, definition, units.small_code)
    _seed_generated(live_backend.database_url, units.grassroots)

    page.reload()
    assert page.locator("#progress .stat .value").first.inner_text().replace(".", "") == str(GENERATED + 4)
    assert _row_cells(page, "progress-units", SMALL_PROVINCE)[1:3] == ["<5", "<5"]
    assert page.locator("figure.chart svg").count() == 1  # progress over time
    page.screenshot(path=str(screenshot_dir / "survey_detail_progress.png"), full_page=True)

    page.click("text=Xem kết quả")
    page.wait_for_url(f"**/admin/surveys/{SLUG}/results")
    assert page.locator("#summary .stat .value").first.inner_text().replace(".", "") == str(GENERATED + 4)
    charts = page.locator("#questions figure.chart svg").count()
    assert charts >= 20  # every choice, scale, yes/no and number question has its chart
    assert page.locator("#questions svg script").count() == 0
    unit_row = _row_cells(page, "unit-table", SMALL_PROVINCE)
    assert unit_row[1] == "<5" and set(unit_row[2:]) == {"<5"}
    big_row = _row_cells(page, "unit-table", "LĐLĐ tỉnh Bình Dương")
    assert big_row[1].replace(".", "").isdigit() and int(big_row[1].replace(".", "")) > 4000
    page.screenshot(path=str(screenshot_dir / "survey_results_top.png"))
    page.locator("#q-gio_lam_tuan").screenshot(path=str(screenshot_dir / "survey_results_histogram.png"))
    page.locator("#by-unit").screenshot(path=str(screenshot_dir / "survey_results_by_unit.png"))

    page.select_option("#crosstab-form select[name=row]", "nhom_tuoi")
    page.select_option("#crosstab-form select[name=col]", "muc_du_song")
    page.click("#crosstab-form button[type=submit]")
    page.wait_for_url("**col=muc_du_song**")
    assert page.locator("#crosstab-table tbody tr").count() == 5  # 4 age groups + total
    page.locator("#crosstab").screenshot(path=str(screenshot_dir / "survey_results_crosstab.png"))

    page.select_option("#filters select[name=unit_id]", label=SMALL_PROVINCE)
    page.click("#filters button[type=submit]")
    page.wait_for_url("**unit_id=**")
    assert page.locator(".alert.notice").count() == 1 and page.locator("#questions").count() == 0
    page.screenshot(path=str(screenshot_dir / "survey_results_suppressed.png"))

    page.goto(f"{url}/admin/surveys/{SLUG}/results")
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename == f"{SLUG}_ket_qua.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    units_column = [row[1] for row in workbook["Dữ liệu"].iter_rows(min_row=2, values_only=True)]
    assert len(units_column) == GENERATED + 4
    assert units_column.count("(nhóm < 5)") == 4 and units.small_name not in units_column
