"""Over the running stack: Rasa's event broker feeds the backend's conversation log (each
message once, in order, with intent and confidence), and a handoff goes from the worker's
request through the officer's reply on the web-chat path to closing with a note.

Talks to the stack over HTTP like a browser would (login form, CSRF field); the database is
read only to learn the conversation and request ids of this test's sender.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import csrf_of as _csrf
from tests.support.stack import Stack

QUESTIONS = (
    "xin chào",
    "luong toi thieu vung 1 la bao nhieu",
    "nghỉ phép năm được mấy ngày",
)
HANDOFF_TEXT = "cho em gặp cán bộ công đoàn"
OFFICER_REPLY = "Dạ, chào anh/chị, em là cán bộ công đoàn, em sẽ gọi lại cho anh/chị trong hôm nay ạ."
CLOSE_NOTE = "Đã gọi điện hướng dẫn người lao động."
_MESSAGE = re.compile(
    r'<li class="msg (?P<role>\w+)" id="m(?P<id>\d+)">.*?<div class="text">(?P<text>.*?)</div>'
    r'(?:\s*<div class="meta">(?P<meta>.*?)</div>)?',
    re.DOTALL,
)
_INTENT = re.compile(r"<code>(.*?)</code>")
_CONFIDENCE = re.compile(r"<span[^>]*>\s*([0-9.]+|—)\s*</span>")
T = TypeVar("T")


@dataclass(frozen=True)
class LoggedMessage:
    """One message as the conversation page shows it."""

    role: str
    text: str
    intent: str | None
    confidence: float | None


def _wait_for(read: Callable[[], T], done: Callable[[T], bool], *, timeout: float = 60) -> T:
    """Calls ``read`` until ``done`` accepts its value; fails with the last value at the deadline."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout}s; last value: {value!r}")
        time.sleep(0.25)
        value = read()
    return value


def _db_scalar(stack: Stack, query: str, **params: object) -> object:
    url = stack.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query), params).scalar()
    finally:
        engine.dispose()




def _read_log(client: httpx.Client, conversation_id: int) -> list[LoggedMessage]:
    page = client.get(f"/admin/conversations/{conversation_id}")
    assert page.status_code == 200
    messages = []
    for match in _MESSAGE.finditer(page.text):
        meta = match.group("meta") or ""
        intent = _INTENT.search(meta)
        confidence = _CONFIDENCE.search(meta)
        messages.append(
            LoggedMessage(
                role=match.group("role"),
                text=html.unescape(match.group("text")).strip(),
                intent=intent.group(1) if intent and intent.group(1) != "—" else None,
                confidence=float(confidence.group(1)) if confidence and confidence.group(1) != "—" else None,
            )
        )
    return messages


def test_conversation_log_and_officer_reply_over_web_chat(stack: Stack, admin: httpx.Client) -> None:
    sender = f"e2e-log-{uuid.uuid4().hex}"
    expected: list[tuple[str, str]] = []
    for question in QUESTIONS:
        replies = stack.say(sender, question)
        assert replies, f"no reply to {question!r}"
        expected.append(("user", question))
        expected.extend(("bot", reply["text"].strip()) for reply in replies if reply.get("text"))

    conversation_id = int(
        _wait_for(
            lambda: _db_scalar(
                stack, "SELECT max(id) FROM conversations WHERE sender_id = :sender", sender=sender
            ),
            lambda found: found is not None,
        )
    )
    logged = _wait_for(lambda: _read_log(admin, conversation_id), lambda rows: len(rows) >= len(expected))
    assert [(m.role, m.text) for m in logged] == expected
    users = [m for m in logged if m.role == "user"]
    assert [m.text for m in users] == list(QUESTIONS)
    for message in users:
        assert message.intent, message
        assert message.confidence is not None and 0.0 <= message.confidence <= 1.0, message
    assert users[1].intent == "ask_min_wage_region" or users[1].intent.startswith("ask_min_wage")
    assert all(m.intent for m in logged if m.role == "bot")

    handoff_replies = stack.say(sender, HANDOFF_TEXT)
    assert handoff_replies and handoff_replies[0]["text"].startswith("Dạ")
    handoff_id = int(
        _wait_for(
            lambda: _db_scalar(
                stack, "SELECT id FROM handoff_requests WHERE conversation_id = :sender", sender=sender
            ),
            lambda found: found is not None,
        )
    )
    # The officer answers once the request is in the log, as they would after reading it.
    _wait_for(
        lambda: _read_log(admin, conversation_id),
        lambda rows: [m.text for m in rows if m.role == "user"] == [*QUESTIONS, HANDOFF_TEXT],
    )
    inbox = admin.get("/admin/handoffs")
    assert inbox.status_code == 200
    assert f'href="/admin/handoffs/{handoff_id}"' in inbox.text
    request_page = admin.get(f"/admin/handoffs/{handoff_id}")
    assert request_page.status_code == 200
    assert html.escape(QUESTIONS[1]) in request_page.text  # the conversation so far

    sent = admin.post(
        f"/admin/handoffs/{handoff_id}/reply",
        data={"csrf_token": _csrf(request_page.text), "text": OFFICER_REPLY},
    )
    assert sent.status_code == 200 and "sent=1" in str(sent.url), sent.url

    public = httpx.Client(base_url=stack.backend_url, timeout=15)  # the worker's browser: no cookie
    with public:
        chat = public.get("/chat/messages", params={"sender": sender}).json()
        assert [item["text"] for item in chat["data"]] == [OFFICER_REPLY]
        assert chat["data"][0]["role"] == "officer"
        newer = public.get("/chat/messages", params={"sender": sender, "after": chat["data"][0]["id"]})
        assert newer.json()["count"] == 0

    logged = _wait_for(
        lambda: _read_log(admin, conversation_id), lambda rows: any(m.role == "officer" for m in rows)
    )
    assert [m.text for m in logged if m.role == "officer"] == [OFFICER_REPLY]
    assert [m.text for m in logged if m.role == "user"] == [*QUESTIONS, HANDOFF_TEXT]
    roles = [m.role for m in logged]
    assert roles.index("officer") > max(i for i, role in enumerate(roles) if role == "user")
    assert html.escape(HANDOFF_TEXT) in admin.get(f"/admin/handoffs/{handoff_id}").text

    request_page = admin.get(f"/admin/handoffs/{handoff_id}")
    closed = admin.post(
        f"/admin/handoffs/{handoff_id}/close",
        data={"csrf_token": _csrf(request_page.text), "note": CLOSE_NOTE},
    )
    assert closed.status_code == 200 and str(closed.url).endswith("/admin/handoffs")
    assert f'href="/admin/handoffs/{handoff_id}"' not in closed.text
    final = admin.get(f"/admin/handoffs/{handoff_id}")
    assert CLOSE_NOTE in final.text
    assert _db_scalar(stack, "SELECT status FROM handoff_requests WHERE id = :id", id=handoff_id) == "closed"
