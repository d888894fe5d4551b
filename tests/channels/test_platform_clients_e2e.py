"""The connectors' API clients against the simulated platforms (no Rasa needed).

Runs in the backend venv: the client modules are Rasa-free on purpose. Covers what a short
chat in the full e2e suite cannot reach: single-flight token refresh, a spent refresh token,
rate limits, and that rendered replies (long text, many buttons) pass the platforms' checks.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="e2e tests run in the backend venv")

from bot.channels.delivery import HttpClientSource, RetryPolicy  # noqa: E402
from bot.channels.messenger_client import MessengerClient, MessengerCredentials  # noqa: E402
from bot.channels.rendering import render_messenger_messages, render_zalo_messages  # noqa: E402
from bot.channels.state_store import ChannelStateStore, StoredToken  # noqa: E402
from bot.channels.zalo_client import ZaloClient, ZaloCredentials, ZaloTokenManager  # noqa: E402
from tests.platforms.fake_messenger import FakeMessenger  # noqa: E402
from tests.platforms.fake_zalo import FakeZalo  # noqa: E402

pytestmark = pytest.mark.anyio

POLICY = RetryPolicy(max_attempts=3, base_seconds=0.02, max_seconds=1.5, rate_limit_floor_seconds=1.0)
SENTENCE = "Người lao động làm thêm giờ vào ngày thường được trả ít nhất bằng 150% tiền lương."


@pytest.fixture(scope="module")
def zalo() -> Iterator[FakeZalo]:
    fake = FakeZalo()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def messenger() -> Iterator[FakeMessenger]:
    fake = FakeMessenger()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def store(tmp_path: Path) -> ChannelStateStore:
    return ChannelStateStore(tmp_path / "channel_state.sqlite3")


@pytest.fixture
async def http() -> AsyncIterator[HttpClientSource]:
    source = HttpClientSource(5.0)
    yield source
    await source.aclose()


def zalo_client(zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource) -> ZaloClient:
    access, refresh = zalo.issue_tokens()
    credentials = ZaloCredentials(
        app_id=zalo.config.app_id,
        oa_secret_key=zalo.config.oa_secret_key,
        app_secret=zalo.config.app_secret,
        access_token=access,
        refresh_token=refresh,
        api_base=zalo.base_url,
        oauth_base=zalo.base_url,
    )
    tokens = ZaloTokenManager(credentials, store, http, refresh_margin_seconds=18_000)
    return ZaloClient(credentials, store, POLICY, http, tokens)


def messenger_client(
    messenger: FakeMessenger, store: ChannelStateStore, http: HttpClientSource
) -> MessengerClient:
    credentials = MessengerCredentials(
        app_secret=messenger.config.app_secret,
        verify_token=messenger.config.verify_token,
        page_access_token=messenger.config.page_access_token,
        api_base=messenger.base_url + "/v25.0",
    )
    return MessengerClient(credentials, store, POLICY, http)


def zalo_user(zalo: FakeZalo) -> str:
    user = f"z{uuid.uuid4().int % 10**16}"
    zalo.set_last_interaction(user, hours_ago=0)
    return user


def messenger_user(messenger: FakeMessenger) -> str:
    user = f"p{uuid.uuid4().int % 10**16}"
    messenger.set_last_message(user, hours_ago=0)
    return user


async def test_zalo_concurrent_sends_refresh_expired_token_once(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    users = [zalo_user(zalo) for _ in range(5)]
    before = zalo.refresh_count
    zalo.expire_access_tokens()
    results = await asyncio.gather(
        *(client.send_message(user, {"text": "Dạ, em chào anh/chị."}) for user in users)
    )
    assert all(result.delivered for result in results)
    assert zalo.refresh_count == before + 1
    stored = store.read_token("zalo")
    assert stored is not None and stored.access_token == client.tokens.access_token
    assert stored.expires_at is not None and stored.expires_at > time.time() + 80_000


async def test_zalo_refreshes_ahead_of_expiry(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    seeded = store.read_token("zalo")
    assert seeded is not None
    # The stored token has 1 h left (< 5 h margin): refreshed before sending, no -220 seen.
    store.save_token(
        "zalo",
        StoredToken(seeded.access_token, seeded.refresh_token, time.time() + 3600, seeded.seed_fingerprint),
    )
    user = zalo_user(zalo)
    before = zalo.refresh_count
    result = await client.send_message(user, {"text": "Dạ."})
    assert result.delivered and result.attempts == 1
    assert zalo.refresh_count == before + 1
    assert [call["error"] for call in zalo.api_calls(user)] == [0]


async def test_zalo_spent_refresh_token_is_recorded(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    seeded = store.read_token("zalo")
    assert seeded is not None
    with zalo.lock:
        zalo.tokens.refresh.discard(seeded.refresh_token)  # someone else used it
    zalo.expire_access_tokens()
    user = zalo_user(zalo)
    result = await client.send_message(user, {"text": "Dạ."})
    assert not result.delivered
    codes = [failure.error_code for failure in store.list_delivery_failures("zalo")]
    assert codes == ["token_refresh:-14014", "-220"]


async def test_zalo_rate_limit_is_retried_then_recorded(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    user = zalo_user(zalo)
    zalo.set_rate_limit(0)
    try:
        result = await client.send_message(user, {"text": "Dạ."})
    finally:
        zalo.set_rate_limit(zalo.config.rate_limit_per_minute)
    assert not result.delivered and result.attempts == POLICY.max_attempts
    assert [call["error"] for call in zalo.api_calls(user)] == [-32] * POLICY.max_attempts
    (failure,) = store.list_delivery_failures("zalo")
    assert failure.error_code == "-32"


async def test_zalo_rendered_long_reply_with_many_buttons_is_accepted(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    user = zalo_user(zalo)
    buttons = [
        {"title": f"Chủ đề số {index} về quyền lợi người lao động", "payload": f"/topic_{index}"}
        for index in range(12)
    ]
    messages = render_zalo_messages(" ".join([SENTENCE] * 40), buttons)
    for message in messages:
        assert (await client.send_message(user, message)).delivered
    received = zalo.received(user)
    assert len(received) == len(messages) == 4
    tapped = [
        b["payload"]
        for entry in received
        for b in entry["message"].get("attachment", {}).get("payload", {}).get("buttons", [])
    ]
    assert tapped == [f"/topic_{index}" for index in range(12)]


async def test_zalo_unrendered_overlong_text_is_refused_permanently(
    zalo: FakeZalo, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = zalo_client(zalo, store, http)
    user = zalo_user(zalo)
    result = await client.send_message(user, {"text": "x" * 2001})
    assert (result.delivered, result.error_code, result.attempts) == (False, "-210", 1)


async def test_messenger_rate_limit_is_retried_and_delivered(
    messenger: FakeMessenger, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = messenger_client(messenger, store, http)
    user = messenger_user(messenger)
    messenger.set_rate_limit(1)
    try:
        first, second = await asyncio.gather(
            client.send_message(user, {"text": "một"}), client.send_message(user, {"text": "hai"})
        )
    finally:
        messenger.set_rate_limit(messenger.config.rate_limit_per_second)
    assert first.delivered and second.delivered
    errors = [call["error"] for call in messenger.api_calls(user)]
    assert (len(errors), errors.count(613)) == (3, 1)
    assert store.list_delivery_failures() == []


async def test_messenger_rendered_replies_pass_platform_limits(
    messenger: FakeMessenger, store: ChannelStateStore, http: HttpClientSource
) -> None:
    client = messenger_client(messenger, store, http)
    user = messenger_user(messenger)
    long_titles = [
        {"title": f"Lựa chọn thật dài số {index}", "payload": f"/pick_{index}"} for index in range(14)
    ]
    replies = [
        render_messenger_messages(" ".join([SENTENCE] * 40)),
        render_messenger_messages("Dạ, anh/chị chọn:", long_titles[:13]),
        render_messenger_messages("Dạ, anh/chị chọn:", long_titles),
        render_messenger_messages(
            " ".join([SENTENCE] * 9), [{"title": "Trang công đoàn", "url": "https://example.org"}]
        ),
    ]
    for messages in replies:
        for message in messages:
            result = await client.send_message(user, message)
            assert result.delivered, result
    assert len(messenger.received(user)) == sum(len(messages) for messages in replies)
    assert store.list_delivery_failures() == []


async def test_messenger_invalid_page_token_is_permanent(
    store: ChannelStateStore, http: HttpClientSource
) -> None:
    fake = FakeMessenger()
    fake.start()
    try:
        client = messenger_client(fake, store, http)
        user = messenger_user(fake)
        fake.revoke_page_token()
        result = await client.send_message(user, {"text": "Dạ."})
    finally:
        fake.stop()
    assert (result.delivered, result.error_code, result.attempts) == (False, "190", 1)
    assert store.list_delivery_failures("messenger")[0].error_code == "190"
