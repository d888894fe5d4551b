"""/healthz and /openapi.json."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_reports_database_ok_and_rasa_unreachable(client: TestClient) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200
    body = reply.json()
    assert body["database"]["ok"] is True
    assert body["rasa"]["ok"] is False
    assert body["status"] == "degraded"


def test_openapi_lists_health_and_ingest(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/healthz" in paths
    assert "/api/ingest/handoffs" in paths
