"""The simulated platforms behave as the platform documents say (they are test infrastructure
others rely on, so they get their own checks). Plain HTTP calls, no bot code involved."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("uvicorn", reason="simulators run in the backend venv")

from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from tests.platforms.fake_messenger import FakeMessenger, MessengerSimConfig  # noqa: E402
from tests.platforms.fake_zalo import FakeZalo, ZaloSimConfig  # noqa: E402
from tests.platforms.loopback import ServerThread  # noqa: E402

pytestmark = pytest.mark.anyio


class Receiver:
    """A webhook endpoint that records requests and answers with scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.server = ServerThread(Starlette(routes=[Route("/hook", self.hook, methods=["POST"])]))

    async def hook(self, request: Request) -> PlainTextResponse:
        self.requests.append((dict(request.headers), await request.body()))
        status = self.statuses.pop(0) if self.statuses else 200
        return PlainTextResponse("ok", status_code=status)

    @property
    def url(self) -> str:
        return self.server.base_url + "/hook"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    target = Receiver()
    target.server.start()
    yield target
    target.server.stop()


@pytest.fixture(scope="module")
def zalo(receiver: Receiver) -> Iterator[FakeZalo]:
    fake = FakeZalo(ZaloSimConfig(webhook_retry_delays=(0.01, 0.01), zns_daily_quota=1), receiver.url)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def messenger(receiver: Receiver) -> Iterator[FakeMessenger]:
    fake = FakeMessenger(MessengerSimConfig(webhook_retry_delays=(0.0, 0.01)), receiver.url)
    fake.start()
    yield fake
    fake.stop()


def cs(zalo: FakeZalo, token: str, user: str, message: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        zalo.base_url + "/v3.0/oa/message/cs",
        headers={"access_token": token},
        json={"recipient": {"user_id": user}, "message": message},
    )
    assert response.status_code == 200  # Zalo reports errors in the body
    return dict(response.json())


def test_zalo_cs_checks_tokens_window_follow_and_limits(zalo: FakeZalo) -> None:
    access, _ = zalo.issue_tokens()
    zalo.set_last_interaction("u1", hours_ago=1)
    ok = cs(zalo, access, "u1", {"text": "Dạ"})
    assert (ok["error"], ok["data"]["quota"]["quota_type"]) == (0, "reply")
    assert cs(zalo, "nope", "u1", {"text": "Dạ"})["error"] == -216
    assert cs(zalo, access, "u1", {"text": "x" * 2001})["error"] == -210
    buttons = [{"title": f"b{i}", "type": "oa.query.show", "payload": "x"} for i in range(6)]
    six = {
        "text": "Chọn",
        "attachment": {
            "type": "template",
            "payload": {"template_type": "button", "buttons": buttons},
        },
    }
    assert cs(zalo, access, "u1", six)["error"] == -201
    zalo.set_last_interaction("u2", hours_ago=72)
    assert cs(zalo, access, "u2", {"text": "Dạ"})["data"]["quota"]["quota_type"] == "sub_quota"
    zalo.set_last_interaction("u3", hours_ago=24 * 7 + 1)
    assert cs(zalo, access, "u3", {"text": "Dạ"})["error"] == -230
    assert cs(zalo, access, "never-seen", {"text": "Dạ"})["error"] == -213
    zalo.expire_access_tokens()
    assert cs(zalo, access, "u1", {"text": "Dạ"})["error"] == -220
    assert zalo.received_texts("u1") == ["Dạ"]


def test_zalo_refresh_tokens_are_single_use(zalo: FakeZalo) -> None:
    _, refresh = zalo.issue_tokens()
    form = {"refresh_token": refresh, "app_id": zalo.config.app_id, "grant_type": "refresh_token"}
    url = zalo.base_url + "/v4/oa/access_token"
    assert "access_token" not in httpx.post(url, data=form, headers={"secret_key": "wrong"}).json()
    first = httpx.post(url, data=form, headers={"secret_key": zalo.config.app_secret}).json()
    assert first["expires_in"] == "90000" and first["refresh_token"] != refresh
    reused = httpx.post(url, data=form, headers={"secret_key": zalo.config.app_secret}).json()
    assert reused["error"] == -14014


async def test_zalo_webhook_is_signed_and_retried(zalo: FakeZalo, receiver: Receiver) -> None:
    receiver.requests.clear()
    receiver.statuses[:] = [500, 500]
    delivery = await zalo.send_user_text("u9", "Chào chị")
    assert delivery.statuses == [500, 500, 200]
    assert [headers["num_retry"] for headers, _ in receiver.requests] == ["0", "1", "2"]
    headers, body = receiver.requests[-1]
    event = json.loads(body)
    expected = hashlib.sha256(
        zalo.config.app_id.encode() + body + event["timestamp"].encode() + zalo.config.oa_secret_key.encode()
    ).hexdigest()
    assert headers["x-zevent-signature"] == f"mac={expected}"
    assert "Chào chị".encode() in body  # UTF-8, not escaped


async def test_zalo_zns_validates_and_fires_received_webhook(zalo: FakeZalo, receiver: Receiver) -> None:
    access, _ = zalo.issue_tokens()
    url = zalo.base_url + "/message/template"
    receiver.requests.clear()
    bad_phone = httpx.post(
        url,
        headers={"access_token": access},
        json={"phone": "12ab", "template_id": "survey_reminder"},
    )
    bad_template = httpx.post(
        url, headers={"access_token": access}, json={"phone": "84912345678", "template_id": "x"}
    )
    ok = httpx.post(
        url,
        headers={"access_token": access},
        json={
            "phone": "84912345678",
            "template_id": "survey_reminder",
            "template_data": {},
            "tracking_id": "t-1",
        },
    )
    over = httpx.post(
        url,
        headers={"access_token": access},
        json={"phone": "84912345678", "template_id": "survey_reminder"},
    )
    assert [r.json()["error"] for r in (bad_phone, bad_template, ok, over)] == [-108, -109, 0, -115]
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.01)
    event = json.loads(receiver.requests[-1][1])
    assert (event["event_name"], event["message"]["tracking_id"]) == (
        "user_received_message",
        "t-1",
    )


def send(messenger: FakeMessenger, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    token = token or messenger.config.page_access_token
    return httpx.post(
        messenger.base_url + "/v25.0/me/messages",
        headers={"Authorization": f"Bearer {token}"},
        json=body,
    )


def test_messenger_send_api_checks(messenger: FakeMessenger) -> None:
    messenger.set_last_message("p1", hours_ago=1)
    ok = send(
        messenger,
        {"recipient": {"id": "p1"}, "messaging_type": "RESPONSE", "message": {"text": "Dạ"}},
    )
    assert ok.status_code == 200 and ok.json()["message_id"].startswith("m_")
    bad_token = send(messenger, {"recipient": {"id": "p1"}, "message": {"text": "Dạ"}}, token="x")
    assert (bad_token.status_code, bad_token.json()["error"]["code"]) == (400, 190)
    unknown = send(messenger, {"recipient": {"id": "nobody"}, "message": {"text": "Dạ"}}).json()["error"]
    assert (unknown["code"], unknown["error_subcode"]) == (100, 2018001)
    replies = [{"content_type": "text", "title": f"t{i}", "payload": "p"} for i in range(14)]
    too_many = send(
        messenger,
        {"recipient": {"id": "p1"}, "message": {"text": "Chọn", "quick_replies": replies}},
    )
    assert too_many.json()["error"]["code"] == 100
    mixed = send(
        messenger,
        {"recipient": {"id": "p1"}, "sender_action": "typing_on", "message": {"text": "x"}},
    )
    assert mixed.json()["error"]["code"] == 100
    long_title = [{"content_type": "text", "title": "Lương tối thiểu vùng năm nay", "payload": "/x"}]
    send(
        messenger,
        {"recipient": {"id": "p1"}, "message": {"text": "Chọn", "quick_replies": long_title}},
    )
    assert messenger.received("p1")[-1]["message"]["quick_replies"][0]["title"] == "Lương tối thiểu vùng"
    messenger.set_last_message("p2", hours_ago=25)
    closed = send(
        messenger,
        {"recipient": {"id": "p2"}, "messaging_type": "UPDATE", "message": {"text": "Dạ"}},
    ).json()
    assert (closed["error"]["code"], closed["error"]["error_subcode"]) == (10, 2018278)
    human = send(
        messenger,
        {
            "recipient": {"id": "p2"},
            "messaging_type": "MESSAGE_TAG",
            "tag": "HUMAN_AGENT",
            "message": {"text": "Dạ"},
        },
    )
    assert human.status_code == 200


async def test_messenger_webhook_signed_both_ways_and_retried(
    messenger: FakeMessenger, receiver: Receiver
) -> None:
    receiver.requests.clear()
    receiver.statuses[:] = [503]
    delivery = await messenger.send_user_text("p5", "Chào chị")
    assert delivery.statuses == [503, 200]
    headers, body = receiver.requests[-1]
    secret = messenger.config.app_secret.encode()
    assert headers["x-hub-signature-256"] == "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert headers["x-hub-signature"] == "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()
    assert b"\\u00e0o ch\\u1ecb" in body  # non-ASCII escaped like Meta
