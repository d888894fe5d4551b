"""Handoff inbox: scoped list, replies delivered per channel (REST polled, Zalo via Rasa), closing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.config import settings
from backend.app.core.db import session_scope
from backend.app.models import AuditLog, HandoffRequest, Message
from backend.app.services.event_ingest import assign_member_unit
from tests.backend.factories import create_unit_tree, login_as_new
from tests.backend.rasa_events import turn
from tests.backend.test_conversations import seed_conversation


class _RecordingRasa(BaseHTTPRequestHandler):
    calls: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).calls.append({"path": self.path, "body": json.loads(body)})
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"tracker": {}, "messages": []}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def rasa_server() -> Iterator[list[dict]]:
    """A tiny real HTTP server on loopback standing in for Rasa's API; yields recorded calls."""
    _RecordingRasa.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingRasa)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old = settings.rasa_url
    settings.rasa_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield _RecordingRasa.calls
    finally:
        settings.rasa_url = old
        server.shutdown()
        server.server_close()


def _handoff(sender: str, channel: str, unit_id: int | None) -> int:
    seed_conversation(
        sender,
        turn(
            sender,
            "cho em gap can bo",
            "request_human",
            0.97,
            "action_request_human",
            "Dạ, em đã chuyển",
            channel=channel,
        ),
        unit_id=None,
        channel=channel,
    )
    with session_scope() as session:
        if unit_id is not None:
            assign_member_unit(session, channel=channel, sender_id=sender, unit_id=unit_id)
        handoff = HandoffRequest(
            idempotency_key=f"key-{sender}",
            conversation_id=sender,
            channel=channel,
            reason="asked",
            question="cong ty no luong 0912345678",
        )
        session.add(handoff)
        session.flush()
        return handoff.id


def test_handoff_inbox_rest_reply_is_stored_and_served_to_chat(client: TestClient) -> None:
    tree = create_unit_tree("H1")
    hid = _handoff("web-sender-0001", "rest", tree.grassroots_a)
    other = _handoff("web-sender-0002", "rest", tree.grassroots_b)
    _, csrf = login_as_new(client, unit_id=tree.grassroots_a)
    listing = client.get("/admin/handoffs").text
    assert f'/admin/handoffs/{hid}"' in listing and f'/admin/handoffs/{other}"' not in listing
    assert "0912345678" not in listing
    assert client.get(f"/admin/handoffs/{other}").status_code == 404
    page = client.get(f"/admin/handoffs/{hid}").text
    assert "cho em gap can bo" in page
    reply = client.post(
        f"/admin/handoffs/{hid}/reply",
        data={"csrf_token": csrf, "text": "Dạ, chào anh/chị"},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "sent=1" in reply.headers["location"]
    client.cookies.clear()  # the web chat is anonymous
    served = client.get("/chat/messages", params={"sender": "web-sender-0001", "after": 0}).json()
    assert served["count"] == 1 and served["data"][0]["text"] == "Dạ, chào anh/chị"
    after = served["data"][0]["id"]
    assert (
        client.get("/chat/messages", params={"sender": "web-sender-0001", "after": after}).json()["count"]
        == 0
    )
    assert client.get("/chat/messages", params={"sender": "web-sender-0002"}).json()["count"] == 0


def test_handoff_inbox_zalo_reply_goes_through_rasa(client: TestClient, rasa_server: list[dict]) -> None:
    hid = _handoff("zalo-user-42", "zalo", None)
    _, csrf = login_as_new(client, role="admin")
    reply = client.post(
        f"/admin/handoffs/{hid}/reply",
        data={"csrf_token": csrf, "text": "Dạ, cán bộ sẽ gọi lại"},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "sent=1" in reply.headers["location"]
    assert rasa_server == [
        {
            "path": "/conversations/zalo-user-42/tracker/events?output_channel=zalo",
            "body": [{"event": "slot", "name": "officer_reply_text", "value": "Dạ, cán bộ sẽ gọi lại"}],
        },
        {
            "path": "/conversations/zalo-user-42/execute?output_channel=zalo",
            "body": {"name": "action_officer_reply"},
        },
    ]
    with session_scope() as session:
        officer = session.scalars(select(Message).where(Message.role == "officer")).one()
        assert officer.text == "Dạ, cán bộ sẽ gọi lại"
        assert session.scalars(select(AuditLog).where(AuditLog.action == "handoff.reply")).one()
    # not served to the web chat: it went to Zalo
    assert client.get("/chat/messages", params={"sender": "zalo-user-42"}).json()["count"] == 0


def test_handoff_inbox_reply_fails_visibly_when_rasa_is_down(client: TestClient) -> None:
    hid = _handoff("messenger-user-7", "messenger", None)
    _, csrf = login_as_new(client, role="admin")
    reply = client.post(
        f"/admin/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "Dạ"}, follow_redirects=False
    )
    assert "error=" in reply.headers["location"]
    with session_scope() as session:
        assert session.scalars(select(Message).where(Message.role == "officer")).all() == []


def test_handoff_inbox_close_with_note(client: TestClient) -> None:
    hid = _handoff("web-sender-0009", "rest", None)
    _, csrf = login_as_new(client, role="admin")
    reply = client.post(
        f"/admin/handoffs/{hid}/close",
        data={"csrf_token": csrf, "note": "Đã gọi điện hỗ trợ"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    with session_scope() as session:
        handoff = session.get(HandoffRequest, hid)
        assert handoff is not None and handoff.status == "closed" and handoff.closed_at is not None
        assert handoff.close_note == "Đã gọi điện hỗ trợ"
        assert session.scalars(select(AuditLog).where(AuditLog.action == "handoff.close")).one()
    assert f'/admin/handoffs/{hid}"' not in client.get("/admin/handoffs").text
