"""Our input channels inside a real Sanic server (Rasa venv), without a model.

The channel's blueprint is served on loopback; Rasa's message handler is replaced by a plain
collector (what Rasa's ``on_new_message`` receives is exactly what the agent would get). The
platform API bases point at a closed port, so every send fails with a transport error — which
also shows that failures are retried and then recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("rasa", reason="needs the Rasa venv")

from rasa.core.channels.channel import UserMessage  # noqa: E402
from sanic import Sanic  # noqa: E402

from bot.channels.inbound import EventKind, InboundEvent  # noqa: E402
from bot.channels.messenger import MessengerInput  # noqa: E402
from bot.channels.settings import read_channel_settings  # noqa: E402
from bot.channels.state_store import ChannelStateStore  # noqa: E402
from bot.channels.webhook_input import TEXT_ONLY_NOTICE, PlatformInput  # noqa: E402
from bot.channels.zalo import ZaloInput, ZaloOutput  # noqa: E402

pytestmark = pytest.mark.anyio

APP_ID = "3608465248940903967"
OA_SECRET = "unit-oa-secret"
META_SECRET = "unit-meta-secret"
VERIFY_TOKEN = "unit-verify-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CLOSED_API = f"http://127.0.0.1:{free_port()}"


class ReadyAgent:
    """Stands in for Rasa's Agent in ``app.ctx``: only readiness is consulted by the channel."""

    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready


@dataclass
class Served:
    base_url: str
    channel: PlatformInput
    received: list[UserMessage] = field(default_factory=list)

    async def wait_received(self, count: int, timeout: float = 10.0) -> list[UserMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} message(s) reached Rasa, expected {count}")
            await asyncio.sleep(0.01)
        return self.received


def settings_env(db: Path) -> dict[str, str]:
    return {
        "CHANNEL_STATE_DB": str(db),
        "CHANNEL_RETRY_BASE_SECONDS": "0.01",
        "CHANNEL_RETRY_MAX_SECONDS": "0.02",
        "CHANNEL_SEND_MAX_ATTEMPTS": "2",
        "CHANNEL_HTTP_TIMEOUT_SECONDS": "1",
    }


def make_zalo(db: Path, **overrides: str) -> ZaloInput:
    credentials = {
        "app_id": APP_ID,
        "oa_secret_key": OA_SECRET,
        "app_secret": "app-secret",
        "access_token": "access",
        "refresh_token": "refresh",
        "api_base": CLOSED_API,
        "oauth_base": CLOSED_API,
        **overrides,
    }
    from bot.channels.zalo_client import ZaloCredentials

    return ZaloInput(ZaloCredentials.from_mapping(credentials), read_channel_settings(settings_env(db)))


def make_messenger(db: Path, **overrides: str) -> MessengerInput:
    from bot.channels.messenger_client import MessengerCredentials

    credentials = {
        "app_secret": META_SECRET,
        "verify_token": VERIFY_TOKEN,
        "page_access_token": "page-token",
        "api_base": CLOSED_API,
        **overrides,
    }
    return MessengerInput(
        MessengerCredentials.from_mapping(credentials), read_channel_settings(settings_env(db))
    )


ServeFactory = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve() -> AsyncIterator[ServeFactory]:
    servers: list[Any] = []
    Sanic.test_mode = True  # several apps in one process (Sanic's own switch for this)

    async def start(channel: PlatformInput, agent_ready: bool = True) -> Served:
        served = Served("", channel)

        async def collect(message: UserMessage) -> None:
            served.received.append(message)

        app = Sanic(f"channels_{uuid.uuid4().hex}")
        app.ctx.agent = ReadyAgent(agent_ready)
        app.blueprint(channel.blueprint(collect), url_prefix=f"/webhooks/{channel.name()}")
        port = free_port()
        server = await app.create_server(
            host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
        )
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        served.base_url = f"http://127.0.0.1:{port}/webhooks/{channel.name()}"
        return served

    yield start
    for server in servers:
        await server.before_stop()
        await server.close()
        await server.after_stop()


def zalo_body(user: str, text: str = "xin chào", msg_id: str | None = None, **extra: Any) -> bytes:
    event = {
        "app_id": APP_ID,
        "user_id_by_app": "1",
        "event_name": "user_send_text",
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user},
        "recipient": {"id": "oa"},
        "message": {"msg_id": msg_id or uuid.uuid4().hex, "text": text},
        **extra,
    }
    return json.dumps(event, ensure_ascii=False).encode()


def zalo_headers(body: bytes) -> dict[str, str]:
    timestamp = json.loads(body)["timestamp"]
    mac = hashlib.sha256(APP_ID.encode() + body + timestamp.encode() + OA_SECRET.encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={mac}", "Content-Type": "application/json"}


def meta_headers(body: bytes) -> dict[str, str]:
    mac = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={mac}", "Content-Type": "application/json"}


async def test_disabled_channels_answer_503_and_record_nothing(tmp_path: Path, serve: ServeFactory) -> None:
    db = tmp_path / "state.sqlite3"
    zalo = await serve(make_zalo(db, oa_secret_key="", access_token=""))
    messenger = await serve(make_messenger(db, app_secret=""))
    async with httpx.AsyncClient() as client:
        body = zalo_body("u1")
        zalo_post = await client.post(f"{zalo.base_url}/webhook", content=body, headers=zalo_headers(body))
        messenger_post = await client.post(
            f"{messenger.base_url}/webhook", content=b"{}", headers=meta_headers(b"{}")
        )
        verify = await client.get(
            f"{messenger.base_url}/webhook",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "42",
            },
        )
        health = await client.get(f"{zalo.base_url}/")
    assert [zalo_post.status_code, messenger_post.status_code, verify.status_code] == [
        503,
        503,
        503,
    ]
    assert "not configured" in zalo_post.json()["error"]
    assert health.json() == {"status": "ok", "channel": "zalo", "enabled": False}
    assert zalo.channel.get_output_channel() is None
    assert zalo.received == [] and messenger.received == []
    assert not db.exists()


async def test_zalo_message_reaches_rasa_with_metadata(tmp_path: Path, serve: ServeFactory) -> None:
    served = await serve(make_zalo(tmp_path / "state.sqlite3"))
    body = zalo_body("u1", "xin chào", msg_id="abc123")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.base_url}/webhook", content=body, headers=zalo_headers(body))
    assert response.status_code == 200
    (message,) = await served.wait_received(1)
    assert (message.text, message.sender_id, message.input_channel, message.message_id) == (
        "xin chào",
        "u1",
        "zalo",
        "abc123",
    )
    assert message.metadata is not None and message.metadata["msg_id"] == "abc123"
    assert isinstance(message.output_channel, ZaloOutput)
    assert isinstance(served.channel.get_output_channel(), ZaloOutput)


async def test_redelivery_is_handled_once_across_restart(tmp_path: Path, serve: ServeFactory) -> None:
    db = tmp_path / "state.sqlite3"
    first = await serve(make_zalo(db))
    body = zalo_body("u1", msg_id="same-id")
    async with httpx.AsyncClient() as client:
        assert (
            await client.post(f"{first.base_url}/webhook", content=body, headers=zalo_headers(body))
        ).json()["accepted"] == 1
        await first.wait_received(1)
        again = await client.post(f"{first.base_url}/webhook", content=body, headers=zalo_headers(body))
        assert again.json()["accepted"] == 0
        restarted = await serve(make_zalo(db))  # a new process would build a new channel the same way
        after_restart = await client.post(
            f"{restarted.base_url}/webhook", content=body, headers=zalo_headers(body)
        )
    assert after_restart.status_code == 200
    assert after_restart.json()["accepted"] == 0
    await asyncio.sleep(0.2)  # give a wrongly spawned task the chance to show up
    assert len(first.received) == 1 and restarted.received == []


async def test_unprocessed_events_are_replayed_at_start(tmp_path: Path, serve: ServeFactory) -> None:
    db = tmp_path / "state.sqlite3"
    store = ChannelStateStore(db)
    fresh = InboundEvent("zalo", "pending-1", EventKind.TEXT, "u9", "còn đó không", int(time.time() * 1000))
    stale = InboundEvent("zalo", "pending-0", EventKind.TEXT, "u9", "cũ quá", 0)
    store.claim_event("zalo", stale.event_id, stale.to_json(), now=time.time() - 3 * 3600)
    store.claim_event("zalo", fresh.event_id, fresh.to_json())
    served = await serve(make_zalo(db))
    (message,) = await served.wait_received(1)
    assert (message.text, message.message_id) == ("còn đó không", "pending-1")
    deadline = time.monotonic() + 5
    while store.read_event_status("zalo", "pending-1") != "done" and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert store.read_event_status("zalo", "pending-1") == "done"
    assert store.read_event_status("zalo", "pending-0") == "abandoned"


async def test_not_ready_agent_gets_503_and_nothing_is_claimed(tmp_path: Path, serve: ServeFactory) -> None:
    db = tmp_path / "state.sqlite3"
    served = await serve(make_zalo(db), agent_ready=False)
    body = zalo_body("u1", msg_id="early")
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.base_url}/webhook", content=body, headers=zalo_headers(body))
    assert response.status_code == 503
    assert ChannelStateStore(db).read_event_status("zalo", "early") is None


@pytest.mark.parametrize(
    ("headers_for", "body", "status"),
    [
        (lambda b: {}, zalo_body("u1"), 401),
        (lambda b: {"X-ZEvent-Signature": "mac=" + "a" * 64}, zalo_body("u1"), 403),
        (zalo_headers, zalo_body("u1", app_id="999"), 403),
        (lambda b: {"X-ZEvent-Signature": "mac=" + "a" * 64}, b"not json", 400),
    ],
)
async def test_zalo_refusals(
    tmp_path: Path,
    serve: ServeFactory,
    headers_for: Callable[[bytes], dict[str, str]],
    body: bytes,
    status: int,
) -> None:
    db = tmp_path / "state.sqlite3"
    served = await serve(make_zalo(db))
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.base_url}/webhook", content=body, headers=headers_for(body))
    assert response.status_code == status
    assert "error" in response.json()
    await asyncio.sleep(0.05)
    assert served.received == []
    assert ChannelStateStore(db).list_pending_events("zalo") == []


async def test_messenger_batch_reaches_rasa_in_order_without_echoes(
    tmp_path: Path, serve: ServeFactory
) -> None:
    served = await serve(make_messenger(tmp_path / "state.sqlite3"))

    def item(**fields: Any) -> dict[str, Any]:
        return {
            "sender": {"id": "p1"},
            "recipient": {"id": "page"},
            "timestamp": int(time.time() * 1000),
            **fields,
        }

    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "page",
                    "time": 1,
                    "messaging": [
                        item(message={"mid": "m1", "text": "một"}),
                        item(message={"mid": "e1", "text": "echo", "is_echo": True}),
                        item(delivery={"mids": ["x"], "watermark": 1}),
                    ],
                },
                {
                    "id": "page",
                    "time": 2,
                    "standby": [item(message={"mid": "s1", "text": "standby"})],
                },
                {
                    "id": "page",
                    "time": 3,
                    "messaging": [item(postback={"mid": "m2", "title": "Hai", "payload": "/two"})],
                },
            ],
        }
    ).encode()
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.base_url}/webhook", content=body, headers=meta_headers(body))
    assert response.json() == {"status": "ok", "accepted": 2}
    messages = await served.wait_received(2)
    assert [(m.text, m.message_id) for m in messages] == [("một", "m1"), ("/two", "m2")]


async def test_messenger_verify_handshake(tmp_path: Path, serve: ServeFactory) -> None:
    served = await serve(make_messenger(tmp_path / "state.sqlite3"))
    url = f"{served.base_url}/webhook"
    async with httpx.AsyncClient() as client:
        ok = await client.get(
            url,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "1158201444",
            },
        )
        wrong = await client.get(
            url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
        )
        no_mode = await client.get(url, params={"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert (wrong.status_code, no_mode.status_code) == (403, 403)


async def test_sticker_notice_failure_is_retried_then_recorded(tmp_path: Path, serve: ServeFactory) -> None:
    db = tmp_path / "state.sqlite3"
    served = await serve(make_zalo(db))
    event = json.loads(zalo_body("u7"))
    event["event_name"] = "user_send_sticker"
    event["message"] = {
        "msg_id": "st1",
        "attachments": [{"type": "sticker", "payload": {"id": "1"}}],
    }
    body = json.dumps(event).encode()
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{served.base_url}/webhook", content=body, headers=zalo_headers(body))
    assert response.status_code == 200
    store = ChannelStateStore(db)
    deadline = time.monotonic() + 10
    while not store.list_delivery_failures("zalo") and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    (failure,) = store.list_delivery_failures("zalo")
    assert (failure.recipient_id, failure.error_code, failure.attempts) == ("u7", "transport", 2)
    assert failure.payload is not None and failure.payload["message"]["text"] == TEXT_ONLY_NOTICE
    assert served.received == []
