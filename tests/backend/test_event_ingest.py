"""The conversation log is fed from real Rasa SQL broker rows once, in order, across restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from backend.app.core.db import session_scope
from backend.app.models import Conversation, EventCursor, Member, Message
from backend.app.services.event_ingest import derive_pseudonym, ingest_event
from backend.app.workers.event_poller import SOURCE, EventPoller
from tests.backend.rasa_events import action_event, bot_event, publish_events, turn, user_event


def _messages(sender: str) -> list[Message]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Message)
                .join(Conversation, Message.conversation_id == Conversation.id)
                .where(Conversation.sender_id == sender)
                .order_by(Conversation.id, Message.seq)
            )
        )


def test_event_poller_ingests_each_row_once_in_order(tmp_path: Path) -> None:
    events_db = tmp_path / "rasa_events.sqlite3"
    publish_events(
        events_db, turn("w1", "luong toi thieu vung 1", "ask_min_wage", 0.93, "action_answer", "Dạ, ...")
    )
    poller = EventPoller(str(events_db))
    assert poller.drain() == 5
    assert poller.drain() == 0  # nothing new: nothing twice
    rows = _messages("w1")
    assert [(m.role, m.seq) for m in rows] == [("user", 1), ("bot", 2)]
    assert rows[0].intent == "ask_min_wage" and rows[0].confidence == 0.93
    assert (rows[1].intent, rows[1].confidence, rows[1].action) == ("ask_min_wage", 0.93, "action_answer")
    poller.close()


def test_event_poller_resumes_after_restart_without_loss_or_duplicates(tmp_path: Path) -> None:
    events_db = tmp_path / "rasa_events.sqlite3"
    publish_events(events_db, turn("w2", "xin chao", "greet", 0.99, "utter_greet", "Dạ, em chào anh/chị"))
    first = EventPoller(str(events_db), batch_size=2)
    assert first.poll_once() == 2
    first.close()  # the backend stops mid-stream
    publish_events(
        events_db, turn("w2", "nghi phep nam", "ask_annual_leave", 0.41, "action_answer", "Dạ, 12 ngày")
    )
    second = EventPoller(str(events_db), batch_size=3)  # a new process, same cursor in the DB
    assert second.drain() == 8
    second.close()
    texts = [(m.role, m.text) for m in _messages("w2")]
    assert texts == [
        ("user", "xin chao"),
        ("bot", "Dạ, em chào anh/chị"),
        ("user", "nghi phep nam"),
        ("bot", "Dạ, 12 ngày"),
    ]
    with session_scope() as session:
        cursor = session.get(EventCursor, SOURCE)
        assert cursor is not None and cursor.last_event_id == 10
        conversation = session.scalars(select(Conversation).where(Conversation.sender_id == "w2")).one()
        assert conversation.min_confidence == 0.41 and conversation.channel == "rest"


def test_event_poller_ignores_rows_already_below_cursor(tmp_path: Path) -> None:
    events_db = tmp_path / "rasa_events.sqlite3"
    publish_events(events_db, [user_event("w3", "a", "greet", 0.9)])
    poller = EventPoller(str(events_db))
    poller.drain()
    with sqlite3.connect(events_db) as connection:  # a row appearing with an old id is not re-read
        connection.execute("UPDATE events SET data = data WHERE id = 1")
    assert poller.drain() == 0
    assert len(_messages("w3")) == 1
    poller.close()


def test_event_poller_waits_for_missing_broker_database(tmp_path: Path) -> None:
    poller = EventPoller(str(tmp_path / "not-yet.sqlite3"))
    assert poller.poll_once() == 0


def test_ingest_event_session_started_opens_new_conversation() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("w4", "hello", "greet", 0.8), event_id=None)
        ingest_event(session, {"event": "session_started", "sender_id": "w4", "timestamp": 1.0})
        ingest_event(session, user_event("w4", "again", "greet", 0.8))
    with session_scope() as session:
        conversations = session.scalars(select(Conversation).where(Conversation.sender_id == "w4")).all()
        assert len(conversations) == 2


def test_ingest_event_marks_fallback_and_handoff_and_keeps_buttons() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("w5", "abc xyz", "nlu_fallback", 0.2))
        ingest_event(session, action_event("w5", "action_clarify"))
        ingest_event(
            session, bot_event("w5", "Dạ, ý anh/chị là?", [{"title": "Lương", "payload": "/ask_min_wage"}])
        )
        ingest_event(session, user_event("w5", "cho gap can bo", "request_human", 0.95))
    with session_scope() as session:
        conversation = session.scalars(select(Conversation).where(Conversation.sender_id == "w5")).one()
        assert conversation.fallback and conversation.handoff_requested
        bot = session.scalars(select(Message).where(Message.role == "bot")).one()
        assert bot.buttons == [{"title": "Lương", "payload": "/ask_min_wage"}]
        assert bot.action == "action_clarify"


def test_ingest_event_creates_pseudonymous_member() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("zalo-user-1", "hi", "greet", 0.9, channel="zalo"))
    with session_scope() as session:
        member = session.scalars(select(Member)).one()
        assert member.channel == "zalo"
        assert member.pseudonym == derive_pseudonym("zalo", "zalo-user-1")
        assert "zalo-user-1" not in member.pseudonym and len(member.pseudonym) == 64
        assert member.last_inbound_at is not None


def test_ingest_event_skips_externally_triggered_user_turn() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("w6", "EXTERNAL: start_survey", "start_survey", 1.0, channel="zalo"))
    assert _messages("w6") == []


def test_ingest_event_does_not_log_the_officer_reply_twice() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("w7", "xin chào", "greet", 0.99, channel="zalo"))
        ingest_event(session, action_event("w7", "action_officer_reply"))
        ingest_event(session, bot_event("w7", "[Cán bộ công đoàn] chào anh"))
    assert [m.role for m in _messages("w7")] == ["user"]


def test_ingest_event_keeps_survey_answers_out_of_the_conversation_log() -> None:
    with session_scope() as session:
        ingest_event(session, user_event("w8", "khảo sát", "start_survey", 0.98))
        ingest_event(session, action_event("w8", "action_start_survey"))
        ingest_event(session, bot_event("w8", "Câu 1/25 · Thông tin chung\nAnh/chị thuộc nhóm tuổi nào?"))
        ingest_event(session, action_event("w8", "survey_form"))
        ingest_event(session, bot_event("w8", "Câu 2/25 · Giới tính", [{"title": "Nữ", "payload": "2"}]))
        ingest_event(session, user_event("w8", "nữ, lương 6tr5", "inform", 0.4, entities=[{"entity": "money"}]))
        ingest_event(session, action_event("w8", "survey_form"))
        ingest_event(session, bot_event("w8", "Dạ, em ghi nhận: Nữ."))
        ingest_event(session, action_event("w8", "action_survey_finish"))
        ingest_event(session, bot_event("w8", "Dạ, em cảm ơn anh/chị đã hoàn thành khảo sát!"))
        ingest_event(session, user_event("w8", "lương tối thiểu vùng 1", "ask_min_wage", 0.97))
    messages = _messages("w8")
    texts = [m.text for m in messages]
    assert texts[0] == "khảo sát"
    assert texts[1].startswith("Câu 1/25")  # the survey's opening, said before any answer
    assert "nữ, lương 6tr5" not in texts and "Dạ, em ghi nhận: Nữ." not in texts
    assert texts[3] == "[câu trả lời khảo sát — không lưu trong nhật ký]"
    assert messages[3].intent is None and not messages[3].entities
    assert texts[4].startswith("[bước khảo sát") and texts[5].startswith("[bước khảo sát")
    assert texts[-1] == "lương tối thiểu vùng 1" and messages[-1].intent == "ask_min_wage"
