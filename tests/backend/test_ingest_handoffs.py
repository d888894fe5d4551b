"""The action server's handoff ingestion: token required, stored once per key, bad input refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from backend.app.core.db import SessionLocal
from backend.app.models import HandoffRequest

PAYLOAD = {
    "conversation_id": "worker-1",
    "channel": "rest",
    "reason": "worker_request",
    "question": "công ty nợ lương 2 tháng",
    "request_text": "gặp cán bộ",
}


def _count() -> int:
    with SessionLocal() as session:
        return int(session.scalar(select(func.count()).select_from(HandoffRequest)) or 0)


def test_ingest_handoff_requires_service_token(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
        reply = client.post(
            "/api/ingest/handoffs",
            json=PAYLOAD,
            headers={**headers, "Idempotency-Key": "handoff:key:1"},
        )
        assert reply.status_code == 401
    assert _count() == 0


def test_ingest_handoff_stores_once_per_key(client: TestClient, service_headers: dict) -> None:
    headers = {**service_headers, "Idempotency-Key": "handoff:worker-1:42"}
    first = client.post("/api/ingest/handoffs", json=PAYLOAD, headers=headers)
    second = client.post("/api/ingest/handoffs", json=PAYLOAD, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["status"] == "open"
    assert _count() == 1


def test_ingest_handoff_refuses_malformed_input(client: TestClient, service_headers: dict) -> None:
    headers = {**service_headers, "Idempotency-Key": "handoff:worker-1:43"}
    bad_bodies = [
        {},
        {**PAYLOAD, "conversation_id": ""},
        {**PAYLOAD, "unknown": 1},
        {**PAYLOAD, "question": "x" * 5000},
    ]
    for body in bad_bodies:
        assert client.post("/api/ingest/handoffs", json=body, headers=headers).status_code == 422
    raw = client.post(
        "/api/ingest/handoffs",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert raw.status_code == 422
    missing_key = client.post("/api/ingest/handoffs", json=PAYLOAD, headers=service_headers)
    assert missing_key.status_code == 422
    assert _count() == 0


def test_oversized_body_is_refused_with_413(client: TestClient, service_headers: dict) -> None:
    headers = {**service_headers, "Idempotency-Key": "handoff:worker-1:44"}
    reply = client.post("/api/ingest/handoffs", content=b"x" * 2_000_000, headers=headers)
    assert reply.status_code == 413
    assert _count() == 0
