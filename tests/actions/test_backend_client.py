"""The outbox keeps a call pending while the backend is unreachable; nothing is lost."""

from __future__ import annotations

import asyncio
import socket

import pytest

from actions import backend_client
from actions.settings import get_settings


@pytest.fixture()
def unreachable_backend(tmp_path, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ACTIONS_OUTBOX_DB", str(tmp_path / "outbox.sqlite3"))
    get_settings.cache_clear()
    yield tmp_path / "outbox.sqlite3"
    get_settings.cache_clear()


def test_post_to_unreachable_backend_stays_pending(unreachable_backend) -> None:
    report = asyncio.run(backend_client.post_to_backend("/api/ingest/handoffs", {"a": 1}, "key-1"))
    assert report.delivered is False
    assert "ConnectError" in (report.error or "")
    # the same key again is not queued twice
    asyncio.run(backend_client.post_to_backend("/api/ingest/handoffs", {"a": 1}, "key-1"))
    asyncio.run(backend_client.post_to_backend("/api/ingest/handoffs", {"b": 2}, "key-2"))
    assert backend_client.pending_count(unreachable_backend) == 2
