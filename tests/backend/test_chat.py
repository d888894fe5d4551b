"""The public web chat page: Vietnamese, wired to RASA_PUBLIC_URL, no external scripts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.app.core.config import settings


def test_chat_page_is_public_vietnamese_and_self_contained(client: TestClient) -> None:
    client.cookies.clear()
    reply = client.get("/chat")
    assert reply.status_code == 200
    assert "Trợ lý Công đoàn" in reply.text
    assert "anh/chị" in reply.text
    assert f'data-rasa-url="{settings.rasa_public_url.rstrip("/")}"' in reply.text
    assert "/webhooks/rest/webhook" in reply.text
    assert "localStorage" in reply.text
    assert "<script src=" not in reply.text and "https://" not in reply.text
