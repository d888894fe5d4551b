"""In a real browser: review conversations fed through the event poller, correct a message,
download the NLU export (which must pass ``rasa data validate``), and see unit scoping and
masking as a staff member.

The live backend's database is seeded the way production fills it: Rasa SQL event broker rows
in a real SQLite ``events`` table, copied by one run of the real ``EventPoller``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from backend.app.models.conversation import Conversation, Message
from backend.app.schemas.staff import StaffCreate
from backend.app.schemas.unit import UnitCreate
from backend.app.services.accounts import create_staff
from backend.app.services.event_ingest import assign_member_unit
from backend.app.services.units import create_unit
from backend.app.workers.event_poller import EventPoller
from tests.backend.browser.conftest import LiveBackend
from tests.backend.rasa_events import publish_events, turn
from tests.support.processes import RASA_VENV, REPO_ROOT

STAFF_PASSWORD = "mat-khau-can-bo-2026"
PHONE = "0912 345 678"
PHONE_MASKED = "**** *** 678"
WRONG_TEXT = f"so em {PHONE} cong ty giu luong 2 thang chua tra"
RIGHT_INTENT = "report_unpaid_wages"


@dataclass(frozen=True)
class Seeded:
    """What the review test needs to know about the seeded data."""

    conversation_a: int
    conversation_b: int
    conversation_calm: int
    wrong_message_id: int
    unit_a_name: str
    staff_a_email: str
    staff_b_email: str


def _create_unit(session: Session, code: str, name: str, parent_id: int | None = None) -> int:
    return create_unit(
        session=session, unit_create=UnitCreate(code=code, name=name, parent_id=parent_id), actor=None
    ).id


def _create_staff(session: Session, email: str, unit_id: int) -> None:
    create_staff(
        session=session,
        staff_create=StaffCreate(
            email=email, password=STAFF_PASSWORD, role="staff", unit_id=unit_id, full_name="Trần Thị Bình"
        ),
        actor=None,
    )


def _conversation_id(session: Session, sender: str) -> int:
    found = session.scalar(select(Conversation.id).where(Conversation.sender_id == sender))
    assert found is not None, f"no conversation logged for {sender}"
    return found


@pytest.fixture(scope="module")
def seeded(live_backend: LiveBackend) -> Iterator[Seeded]:
    """Two units' conversations published as broker rows and ingested by one poller run."""
    tag = uuid.uuid4().hex[:6]
    engine = create_engine(live_backend.database_url, connect_args={"timeout": 30})
    factory = sessionmaker(bind=engine)
    events_dir = Path(tempfile.mkdtemp(prefix="tlcd-events-"))
    sender_a, sender_b, sender_calm = (f"web-{name}-{tag}" for name in ("a", "b", "calm"))
    try:
        with factory() as session, session.begin():
            root = _create_unit(session, f"TLD{tag}", "Tổng Liên đoàn Lao động Việt Nam")
            unit_a_name = f"LĐLĐ tỉnh Bình Dương {tag}"  # unique: other browser tests share the backend
            unit_a = _create_unit(session, f"LDA{tag}", unit_a_name, root)
            unit_b = _create_unit(session, f"LDB{tag}", "Công đoàn Dệt May Việt Nam", root)
            staff_a, staff_b = f"canbo-a-{tag}@congdoan.test", f"canbo-b-{tag}@congdoan.test"
            _create_staff(session, staff_a, unit_a)
            _create_staff(session, staff_b, unit_b)

        events_db = events_dir / "events.sqlite3"
        publish_events(
            events_db,
            turn(
                sender_a,
                "luong toi thieu vung 1 la bao nhieu",
                "ask_min_wage",
                0.94,
                "action_answer_question",
                "Dạ, lương tối thiểu tháng vùng I là 5.310.000 đồng ạ.",
            )
            + turn(
                sender_a,
                WRONG_TEXT,
                "ask_min_wage",
                0.31,
                "action_answer_question",
                "Dạ, lương tối thiểu tháng vùng I là 5.310.000 đồng ạ.",
            )
            + turn(
                sender_b,
                "hom nay troi dep qua nhi",
                "nlu_fallback",
                0.22,
                "action_default_fallback",
                "Dạ, em chưa hiểu ý anh/chị, anh/chị nói rõ hơn giúp em được không ạ?",
            )
            + turn(
                sender_calm,
                "nghi phep nam duoc may ngay",
                "ask_annual_leave",
                0.97,
                "action_answer_question",
                "Dạ, người lao động làm đủ 12 tháng được nghỉ 12 ngày ạ.",
            ),
        )
        poller = EventPoller(str(events_db), session_factory=factory)
        try:
            assert poller.drain() == 20
        finally:
            poller.close()

        with factory() as session, session.begin():
            assign_member_unit(session, channel="rest", sender_id=sender_a, unit_id=unit_a)
            assign_member_unit(session, channel="rest", sender_id=sender_calm, unit_id=unit_a)
            assign_member_unit(session, channel="rest", sender_id=sender_b, unit_id=unit_b)
        with factory() as session:
            conversation_a = _conversation_id(session, sender_a)
            wrong = session.scalar(
                select(Message.id).where(
                    Message.conversation_id == conversation_a, Message.text == WRONG_TEXT
                )
            )
            assert wrong is not None
            yield Seeded(
                conversation_a=conversation_a,
                conversation_b=_conversation_id(session, sender_b),
                conversation_calm=_conversation_id(session, sender_calm),
                wrong_message_id=wrong,
                unit_a_name=unit_a_name,
                staff_a_email=staff_a,
                staff_b_email=staff_b,
            )
    finally:
        engine.dispose()
        shutil.rmtree(events_dir, ignore_errors=True)


def _log_in(page, url: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{url}/admin")


def _listed_ids(page) -> set[int]:  # type: ignore[no-untyped-def]
    hrefs = page.eval_on_selector_all(
        "#conversations tbody a", "links => links.map(link => link.getAttribute('href'))"
    )
    return {int(href.rsplit("/", 1)[1]) for href in hrefs}


def _validate_with_rasa(export_text: str) -> subprocess.CompletedProcess[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="tlcd-validate-"))
    try:
        shutil.copytree(REPO_ROOT / "nlu_data", data_dir / "nlu_data", ignore=shutil.ignore_patterns("*.md"))
        (data_dir / "nlu_data" / "nlu" / "review_corrections.yml").write_text(export_text, encoding="utf-8")
        return subprocess.run(  # noqa: S603 - fixed argument list
            [
                str(RASA_VENV / "bin" / "rasa"),
                "data",
                "validate",
                "--domain",
                str(REPO_ROOT / "domain.yml"),
                "--data",
                str(data_dir / "nlu_data"),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_browser_admin_filters_corrects_and_exports(  # type: ignore[no-untyped-def]
    page, live_backend: LiveBackend, seeded: Seeded, screenshot_dir: Path
) -> None:
    _log_in(page, live_backend.url, live_backend.admin_email, live_backend.admin_password)
    page.click("nav.main >> text=Hội thoại")
    page.wait_for_selector("#conversations")
    assert {seeded.conversation_a, seeded.conversation_b, seeded.conversation_calm} <= _listed_ids(page)

    page.check("input[name=low_confidence]")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**low_confidence=1**")
    low = _listed_ids(page)
    assert {seeded.conversation_a, seeded.conversation_b} <= low
    assert seeded.conversation_calm not in low

    page.select_option("select[name=unit_id]", label=seeded.unit_a_name)
    page.click("#filters button[type=submit]")
    page.wait_for_url("**unit_id=**")
    assert _listed_ids(page) == {seeded.conversation_a}
    page.screenshot(path=str(screenshot_dir / "review_list_filtered.png"), full_page=True)

    page.uncheck("input[name=low_confidence]")
    page.select_option("select[name=unit_id]", value="")
    page.check("input[name=fallback]")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**fallback=1**")
    assert _listed_ids(page) == {seeded.conversation_b}

    page.goto(f"{live_backend.url}/admin/conversations/{seeded.conversation_a}")
    wrong = page.locator(f"#m{seeded.wrong_message_id}")
    assert PHONE in wrong.locator(".text").inner_text()  # admins see numbers in full
    meta = wrong.locator(".meta").inner_text()
    assert "ask_min_wage" in meta and "0.31" in meta
    assert wrong.locator(".meta .low").count() == 1  # low confidence is highlighted
    low_color = wrong.locator(".meta .low").evaluate("element => getComputedStyle(element).color")
    assert low_color == "rgb(180, 35, 24)"  # in red, so a reviewer spots it
    user_metas = page.locator("li.msg.user .meta").all_inner_texts()
    assert len(user_metas) == 2 and "0.94" in user_metas[0]
    assert page.locator("li.msg.bot").count() == 2

    wrong.locator("summary").click()
    wrong.locator("select[name=intent]").select_option(RIGHT_INTENT)
    wrong.locator("form.correct button[type=submit]").click()
    page.wait_for_url(f"**saved={seeded.wrong_message_id}**")
    assert page.locator(".alert.ok").count() == 1
    assert RIGHT_INTENT in page.locator(f"#m{seeded.wrong_message_id} .fixed").inner_text()
    page.screenshot(path=str(screenshot_dir / "review_corrected.png"), full_page=True)

    page.goto(f"{live_backend.url}/admin/conversations")
    with page.expect_download() as download_info:
        page.click("a[href='/admin/review/export.yml']")
    download = download_info.value
    assert download.suggested_filename == "corrections.yml"
    export_text = Path(download.path()).read_text(encoding="utf-8")
    document = yaml.safe_load(export_text)
    assert document["version"] == "3.1"
    by_intent = {block["intent"]: block["examples"] for block in document["nlu"]}
    assert list(by_intent) == [RIGHT_INTENT]
    assert f"- {WRONG_TEXT}\n" in by_intent[RIGHT_INTENT]

    validated = _validate_with_rasa(export_text)
    assert validated.returncode == 0, validated.stdout[-3000:] + validated.stderr[-3000:]


def test_browser_staff_sees_own_unit_only_and_masked(  # type: ignore[no-untyped-def]
    page, live_backend: LiveBackend, seeded: Seeded, screenshot_dir: Path
) -> None:
    _log_in(page, live_backend.url, seeded.staff_b_email, STAFF_PASSWORD)
    page.goto(f"{live_backend.url}/admin/conversations")
    assert _listed_ids(page) == {seeded.conversation_b}
    options = page.locator("select[name=unit_id] option").all_inner_texts()
    assert seeded.unit_a_name not in options
    answer = page.goto(f"{live_backend.url}/admin/conversations/{seeded.conversation_a}")
    assert answer is not None and answer.status == 404
    page.screenshot(path=str(screenshot_dir / "review_other_unit_404.png"), full_page=True)

    page.context.clear_cookies()
    _log_in(page, live_backend.url, seeded.staff_a_email, STAFF_PASSWORD)
    page.goto(f"{live_backend.url}/admin/conversations")
    assert _listed_ids(page) == {seeded.conversation_a, seeded.conversation_calm}
    page.goto(f"{live_backend.url}/admin/conversations/{seeded.conversation_a}")
    shown = page.locator(f"#m{seeded.wrong_message_id} .text").inner_text()
    assert PHONE not in shown
    assert PHONE_MASKED in shown
    assert PHONE not in page.content()
    page.screenshot(path=str(screenshot_dir / "review_staff_masked.png"), full_page=True)
