"""A worker asks for a human: the request lands in the backend once, with the question."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

from tests.support.stack import Stack


def _handoffs_for(stack: Stack, conversation_id: str) -> list[dict]:
    url = stack.database_url
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    text(
                        "SELECT conversation_id, channel, question, status FROM handoff_requests "
                        "WHERE conversation_id = :cid"
                    ),
                    {"cid": conversation_id},
                )
                .mappings()
                .all()
            )
    finally:
        engine.dispose()
    return [dict(row) for row in rows]


def test_handoff_request_reaches_backend_once(stack: Stack) -> None:
    sender = f"worker-{uuid.uuid4()}"
    stack.say(sender, "cong ty no luong 2 thang roi em phai lam sao")
    replies = stack.say(sender, "cho em gặp cán bộ công đoàn")
    assert replies and replies[0]["text"].startswith("Dạ")
    assert "cán bộ" in replies[0]["text"]
    rows = _handoffs_for(stack, sender)
    assert len(rows) == 1
    assert rows[0]["channel"] == "rest"
    assert rows[0]["status"] == "open"
    assert "no luong" in rows[0]["question"]
