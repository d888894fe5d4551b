"""Platform rules of a push: answers classified as the platform docs say, messages, quiet hours, pacing."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest

from backend.app.services.campaign_pacing import AdaptiveRateLimiter, PlatformLimit
from backend.app.services.campaign_rules import (
    START_BUTTON_TITLE,
    build_push_message,
    parse_quiet_hours,
    quiet_until,
    start_payload,
    survey_ref,
)
from backend.app.services.campaign_send import Verdict, classify_messenger, classify_zalo

T = TypeVar("T")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Runs a coroutine on a fresh event loop in its own thread (the browser tests keep
    Playwright's loop running in the main thread for the whole session)."""
    result: dict[str, T] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", asyncio.run(factory())))
    thread.start()
    thread.join()
    return result["value"]


@pytest.mark.parametrize(
    ("body", "verdict", "reason"),
    [
        ({"error": 0, "message": "Success", "data": {"message_id": "abc"}}, Verdict.SENT, None),
        ({"error": -32, "message": "Your application reached limit call api"}, Verdict.RATE_LIMITED, None),
        ({"error": -230, "message": "User has not interacted"}, Verdict.PERMANENT, "outside_window"),
        ({"error": -213, "message": "User has not followed OA"}, Verdict.PERMANENT, "blocked"),
        ({"error": -244, "message": "restricted"}, Verdict.PERMANENT, "blocked"),
        ({"error": -216, "message": "Access token is invalid"}, Verdict.ACCOUNT, "token"),
        ({"error": -220, "message": "access_token is expired"}, Verdict.ACCOUNT, "token"),
        ({"error": -211, "message": "Out of quota"}, Verdict.ACCOUNT, "quota"),
        ({"error": -234, "message": "cannot be sent at night"}, Verdict.NIGHT, None),
        ({"error": -200, "message": "Send message failed"}, Verdict.TEMPORARY, "temporary_error"),
        ({"error": -201, "message": "buttons is invalid!"}, Verdict.PERMANENT, "invalid_request"),
    ],
)
def test_campaign_rules_zalo_answers_classified(body: dict, verdict: Verdict, reason: str | None) -> None:
    outcome = classify_zalo(200, body)
    assert outcome.verdict is verdict
    assert outcome.reason == reason


def test_campaign_rules_zalo_5xx_is_temporary() -> None:
    assert classify_zalo(503, None).verdict is Verdict.TEMPORARY


def _graph(code: int, subcode: int | None = None, message: str = "x") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "t"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "verdict", "reason"),
    [
        (200, {"recipient_id": "1", "message_id": "m_1"}, Verdict.SENT, None),
        (
            400,
            _graph(613, message="Calls to this API have exceeded the rate limit."),
            Verdict.RATE_LIMITED,
            None,
        ),
        (400, _graph(4, message="Application request limit reached"), Verdict.RATE_LIMITED, None),
        (400, _graph(10, 2018278), Verdict.PERMANENT, "outside_window"),
        (400, _graph(551), Verdict.PERMANENT, "blocked"),
        (400, _graph(100, 2018001), Verdict.PERMANENT, "unknown_recipient"),
        (400, _graph(190), Verdict.ACCOUNT, "token"),
        (400, _graph(613, message="Warning! ... bothersome or abusive"), Verdict.ACCOUNT, "platform_error"),
        (500, _graph(2), Verdict.TEMPORARY, "temporary_error"),
        (400, _graph(1200), Verdict.TEMPORARY, "temporary_error"),
    ],
)
def test_campaign_rules_messenger_answers_classified(
    status: int, body: dict, verdict: Verdict, reason: str | None
) -> None:
    outcome = classify_messenger(status, body)
    assert outcome.verdict is verdict
    assert outcome.reason == reason


def test_campaign_rules_start_payload_is_what_the_channels_send() -> None:
    # The channels build '/start' + json.dumps({"ref": ref}) from a referral; a tap must match.
    assert start_payload(survey_ref("khao_sat_dau_nam")) == '/start{"ref": "ks.khao_sat_dau_nam"}'
    assert survey_ref("ks1", "CSA") == "ks.ks1.CSA"
    assert survey_ref("ks1", "CS A/1") == "ks.ks1"  # a code a referral cannot carry is left out


def test_campaign_rules_push_messages_per_platform() -> None:
    zalo = build_push_message("zalo", "Dạ, mời anh/chị", "ks1")
    button = zalo["attachment"]["payload"]["buttons"][0]
    assert button == {
        "title": START_BUTTON_TITLE,
        "type": "oa.query.hide",
        "payload": '/start{"ref": "ks.ks1"}',
    }
    messenger = build_push_message("messenger", "Dạ, mời anh/chị", "ks1")
    assert messenger["quick_replies"][0]["payload"] == '/start{"ref": "ks.ks1"}'
    assert len(messenger["quick_replies"][0]["title"]) <= 20
    assert build_push_message("messenger", "Thông báo", None) == {"text": "Thông báo"}
    with pytest.raises(ValueError):
        build_push_message("rest", "x", None)
    json.dumps(zalo)


@pytest.mark.parametrize(
    ("span", "local_time", "quiet_end"),
    [
        ("22:00-06:00", "23:30", "06:00"),
        ("22:00-06:00", "02:00", "06:00"),
        ("22:00-06:00", "06:00", None),
        ("22:00-06:00", "12:00", None),
        ("12:00-13:00", "12:30", "13:00"),
        ("off", "23:30", None),
        ("", "23:30", None),
    ],
)
def test_campaign_rules_quiet_hours(span: str, local_time: str, quiet_end: str | None) -> None:
    hour, minute = (int(part) for part in local_time.split(":"))
    now = datetime(2027, 1, 6, hour, minute, tzinfo=VIETNAM).astimezone(UTC)
    end = quiet_until(parse_quiet_hours(span), now, VIETNAM)
    if quiet_end is None:
        assert end is None
    else:
        assert end is not None and end > now
        assert end.astimezone(VIETNAM).strftime("%H:%M") == quiet_end


def test_campaign_rules_quiet_hours_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours("10pm to 6am")


def test_campaign_rules_limiter_never_exceeds_the_platform_window() -> None:
    limit = PlatformLimit(40, 1.0)
    limiter = AdaptiveRateLimiter(limit, headroom=0.9)
    stamps: list[float] = []

    async def run() -> None:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            await limiter.acquire()
            stamps.append(time.monotonic())

    run_async(run)
    worst = max(sum(1 for other in stamps if start <= other < start + 1.0) for start in stamps)
    assert worst <= limit.calls
    rate = len(stamps) / (stamps[-1] - stamps[0])
    assert 0.8 * 36 <= rate <= 40


def test_campaign_rules_limiter_slows_down_and_recovers() -> None:
    limiter = AdaptiveRateLimiter(
        PlatformLimit(100, 1.0), headroom=1.0, pause_seconds=0.2, recover_seconds=0.3
    )
    before = limiter.rate
    limiter.slow_down()
    assert limiter.rate == pytest.approx(before * 0.9)

    async def wait_then_acquire() -> float:
        started = time.monotonic()
        await limiter.acquire()
        return time.monotonic() - started

    assert run_async(wait_then_acquire) >= 0.19  # every call waits out the pause
    time.sleep(0.7)
    run_async(wait_then_acquire)
    assert limiter.rate > before * 0.9
