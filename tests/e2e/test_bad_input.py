"""Malformed requests get a 4xx with a reason, never a 500, and nothing reaches the tracker."""

from __future__ import annotations

import httpx
import pytest

from tests.support.stack import Stack


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"not json at all", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"sender": "bad-1"}', "application/json"),
        (b'{"message": "xin chao"}', "application/json"),
        (b'{"sender": "", "message": "xin chao"}', "application/json"),
        (b'{"sender": "bad-2", "message": 42}', "application/json"),
        (b'{"sender": "bad-3", "message": "   "}', "application/json"),
        (b'{"sender": "bad-4", "message": "' + b"a" * 5000 + b'"}', "application/json"),
        (b"\xff\xfe\x00garbage", "text/plain"),
    ],
)
def test_rest_webhook_refuses_malformed_body(stack: Stack, body: bytes, content_type: str) -> None:
    reply = httpx.post(stack.rest_webhook, content=body, headers={"Content-Type": content_type})
    assert reply.status_code == 400
    assert "error" in reply.json()


def test_rest_webhook_refusal_records_nothing(stack: Stack) -> None:
    httpx.post(stack.rest_webhook, content=b'{"sender": "ghost-sender", "message": ""}')
    tracker = httpx.get(f"{stack.rasa_url}/conversations/ghost-sender/tracker").json()
    assert not [event for event in tracker.get("events", []) if event.get("event") == "user"]


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"{", b'{"conversation_id": 1}', b"[]", b"null"]
)
def test_backend_ingest_refuses_malformed_body(stack: Stack, body: bytes) -> None:
    reply = httpx.post(
        f"{stack.backend_url}/api/ingest/handoffs",
        content=body,
        headers={
            "Authorization": f"Bearer {stack.service_token}",
            "Idempotency-Key": "malformed-body-test",
            "Content-Type": "application/json",
        },
    )
    assert reply.status_code == 422


def test_backend_health_reports_database_and_rasa(stack: Stack) -> None:
    reply = httpx.get(f"{stack.backend_url}/healthz")
    assert reply.status_code == 200
    health = reply.json()
    assert health["status"] == "ok"
    assert health["database"]["ok"] is True
    assert health["rasa"]["ok"] is True


def test_backend_serves_openapi(stack: Stack) -> None:
    schema = httpx.get(f"{stack.backend_url}/openapi.json").json()
    assert "/healthz" in schema["paths"]
