"""The early-year survey end to end: staff upload and open it, workers answer it over REST.

One worker gives a wrong answer (asked again), pauses, every Rasa-side process restarts, and
"khảo sát" resumes at the same question; four more answer straight through (results show
groups of 5 or more only). The backend then shows the 5 completed responses in its progress,
results and XLSX export. Talks to the stack over HTTP like a worker and a staff member would.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text

from tests.e2e.conftest import csrf_of
from tests.support.stack import Stack

SURVEY_FILE = Path(__file__).resolve().parents[2] / "surveys" / "khao_sat_dau_nam.yml"
SURVEY = "khao_sat_dau_nam"
ANSWERS = [
    "2",  # nhóm tuổi: 25–34
    "nữ",
    "det may da giay",
    "1",
    "2",
    "56 giờ",
    "có",  # làm thêm giờ → the overtime questions are asked
    "30",
    "1",
    "3",
    "2",
    "ko",
    "bỏ qua",
    "2",
    "1",
    "1, 4",
    "3",
    "4",
    "có",  # đoàn viên → "why not a member" is skipped
    "2",
    "có",
    "4",
    "1, 6, 7",
    "Mong công ty có nhà trẻ gần khu công nghiệp",
]
PAUSE_AFTER = 5
RECORDED = re.compile(r"^Dạ, em (ghi nhận|bỏ qua|đã ghi lại)")


def _texts(replies: list[dict]) -> list[str]:
    return [str(reply.get("text", "")) for reply in replies]


def _say(stack: Stack, sender: str, text: str) -> list[str]:
    texts = _texts(stack.say(sender, text))
    assert texts, f"no reply to {text!r}"
    return texts


def _start(stack: Stack, sender: str, text: str = "khảo sát") -> None:
    texts = _say(stack, sender, text)
    joined = "\n".join(texts)
    if "đang mở cho anh/chị" in joined:  # several surveys open: choose ours
        texts = _say(stack, sender, "1")
        joined = "\n".join(texts)
    assert "Anh/chị có đồng ý tham gia khảo sát không ạ?" in joined, texts
    texts = _say(stack, sender, "có")
    assert texts[-1].startswith("Câu 1/25 · Thông tin chung"), texts


def _answer(stack: Stack, sender: str, answer: str) -> list[str]:
    texts = _say(stack, sender, answer)
    assert RECORDED.match(texts[0]), (answer, texts)
    return texts


@pytest.fixture(scope="module")
def open_survey(stack: Stack) -> str:
    """Uploads surveys/khao_sat_dau_nam.yml through the staff page (opened at once)."""
    with httpx.Client(base_url=stack.backend_url, timeout=30, follow_redirects=True) as client:
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login",
            data={"email": stack.env["ADMIN_EMAIL"], "password": stack.env["ADMIN_PASSWORD"], "csrf_token": token},
        )
        page = client.get("/admin/surveys")
        reply = client.post(
            "/admin/surveys",
            data={"csrf_token": csrf_of(page.text), "open_now": "1"},
            files={"file": (SURVEY_FILE.name, SURVEY_FILE.read_bytes(), "application/yaml")},
        )
        assert reply.status_code == 200 and str(reply.url).split("?")[0].endswith(f"/admin/surveys/{SURVEY}")
    return SURVEY


def _wait_completed(stack: Stack, senders: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        statuses = []
        for sender in senders:
            reply = httpx.get(
                f"{stack.backend_url}/api/bot/surveys",
                params={"channel": "rest", "sender_id": sender},
                headers={"Authorization": f"Bearer {stack.service_token}"},
                timeout=10,
            )
            reply.raise_for_status()
            statuses += [s["status"] for s in reply.json()["surveys"] if s["id"] == SURVEY]
        if statuses == ["completed"] * len(senders):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not all completed: {statuses}")
        time.sleep(0.5)


def test_survey_answered_paused_across_restarts_and_shown_in_results(
    stack: Stack, open_survey: str, admin: httpx.Client
) -> None:
    run = uuid.uuid4().hex[:8]
    first = f"survey-e2e-{run}-0"
    _start(stack, first)
    wrong = _say(stack, first, "7")  # only 4 age groups
    assert "từ 1 đến 4" in wrong[0] and wrong[-1].startswith("Câu 1/25"), wrong
    for index, answer in enumerate(ANSWERS):
        texts = _answer(stack, first, answer)
        if index == PAUSE_AFTER:
            asked = texts[-1].split("\n")[0]  # "Câu 7/25 · ..."
            paused = "\n".join(_say(stack, first, "tạm dừng"))
            assert "khảo sát" in paused and "7/25" in paused, paused
            stack.restart("rasa", "actions")
            resumed = _say(stack, first, "khảo sát")
            assert "từ câu 7/25" in resumed[0], resumed
            assert resumed[-1].split("\n")[0] == asked, resumed
    finished = "\n".join(texts)
    assert "hoàn thành khảo sát" in finished, finished
    again = "\n".join(_say(stack, first, "khảo sát"))
    assert "hoàn thành" in again and "Câu 1/25" not in again, again

    others = [f"survey-e2e-{run}-{n}" for n in range(1, 5)]
    for sender in others:
        _start(stack, sender, "khao sat")
        for answer in ANSWERS:
            _answer(stack, sender, answer)
    _wait_completed(stack, [first, *others])

    detail = admin.get(f"/admin/surveys/{SURVEY}")
    assert detail.status_code == 200
    completed = re.search(r'<span class="value">([\d.]+)</span><span class="label">Đã hoàn thành', detail.text)
    assert completed is not None and int(completed.group(1).replace(".", "")) >= 5, detail.text[-3000:]
    results = admin.get(f"/admin/surveys/{SURVEY}/results")
    assert results.status_code == 200
    assert "Từ 25 đến 34 tuổi" in results.text
    assert "<svg" in results.text  # the charts

    export = admin.get(f"/admin/surveys/{SURVEY}/export.xlsx")
    assert export.status_code == 200
    workbook = load_workbook(io.BytesIO(export.content))
    raw = workbook[workbook.sheetnames[0]]
    header = [cell.value for cell in raw[1]]
    rows = [[cell.value for cell in row] for row in raw.iter_rows(min_row=2) if any(c.value for c in row)]
    assert len(rows) >= 5
    age_column = next(i for i, name in enumerate(header) if name and "tuổi" in str(name))
    assert sum(1 for row in rows if row[age_column] == "Từ 25 đến 34 tuổi") >= 5
    wishes = [row[-1] for row in rows]
    assert "Mong công ty có nhà trẻ gần khu công nghiệp" in str(wishes) or any(
        "nhà trẻ" in str(value) for row in rows for value in row
    )
    summary = "\n".join(
        str(cell.value) for sheet in workbook.worksheets[1:] for row in sheet.iter_rows() for cell in row if cell.value
    )
    assert "Từ 25 đến 34 tuổi" in summary


def test_survey_answers_stay_out_of_the_conversation_log(stack: Stack, open_survey: str) -> None:
    sender = f"survey-log-{uuid.uuid4().hex[:8]}"
    _start(stack, sender)
    for answer in ANSWERS:
        _answer(stack, sender, answer)
    url = stack.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url)
    query = text(
        "SELECT m.role, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        "WHERE c.sender_id = :sender ORDER BY m.id"
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            with engine.connect() as connection:
                logged = [(row.role, row.text) for row in connection.execute(query, {"sender": sender})]
            redacted = [t for role, t in logged if role == "user" and t.startswith("[câu trả lời khảo sát")]
            if len(redacted) >= len(ANSWERS) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert len(redacted) >= len(ANSWERS), logged
    assert ("user", "khảo sát") in logged  # the start of a survey is still visible to reviewers
    everything = "\n".join(t for _, t in logged)
    assert ANSWERS[-1] not in everything and "Dạ, em ghi nhận" not in everything
