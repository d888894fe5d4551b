"""Outcome classification of both APIs' documented answers, backoff, and the retry loop."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.channels.delivery import (
    Outcome,
    RetryPolicy,
    Verdict,
    classify_messenger_response,
    classify_zalo_response,
    deliver_with_retries,
)

pytestmark = pytest.mark.anyio

ZALO_OK = {
    "data": {
        "quota": {"quota_type": "reply", "remain": "8", "total": "8"},
        "message_id": "63ecf43f0df7dba892e6",
    },
    "error": 0,
    "message": "Success",
}


@pytest.mark.parametrize(
    ("status", "body", "verdict", "code"),
    [
        (200, ZALO_OK, Verdict.DELIVERED, ""),
        (200, {"error": -216, "message": "Access token is invalid"}, Verdict.REFRESH_TOKEN, "-216"),
        (
            200,
            {"error": -220, "message": "access_token is expired or removed"},
            Verdict.REFRESH_TOKEN,
            "-220",
        ),
        (
            200,
            {"error": -32, "message": "Your application reached limit call api"},
            Verdict.RATE_LIMITED,
            "-32",
        ),
        (200, {"error": -200, "message": "Send message failed"}, Verdict.RETRY, "-200"),
        (200, {"error": -230, "message": "User has not interacted"}, Verdict.PERMANENT, "-230"),
        (200, {"error": -213, "message": "User has not followed OA"}, Verdict.PERMANENT, "-213"),
        (
            200,
            {"error": -210, "message": "Parameter exceeds allowable limit"},
            Verdict.PERMANENT,
            "-210",
        ),
        (200, {"error": -201, "message": "buttons is invalid!"}, Verdict.PERMANENT, "-201"),
        (503, None, Verdict.RETRY, "http_503"),
        (500, {"error": -1}, Verdict.RETRY, "http_500"),
        (429, None, Verdict.RATE_LIMITED, "http_429"),
        (200, None, Verdict.RETRY, "http_200"),
        (404, None, Verdict.PERMANENT, "http_404"),
    ],
)
def test_classify_zalo_response_table(status: int, body: Any, verdict: Verdict, code: str) -> None:
    outcome = classify_zalo_response(status, body, {})
    assert (outcome.verdict, outcome.error_code) == (verdict, code)


def test_classify_zalo_delivered_carries_message_id() -> None:
    assert classify_zalo_response(200, ZALO_OK, {}).message == "63ecf43f0df7dba892e6"


def graph_error(code: int, subcode: int | None = None, message: str = "x") -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "A",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "verdict", "code", "subcode"),
    [
        (200, {"recipient_id": "1", "message_id": "m_1"}, Verdict.DELIVERED, "", None),
        (400, graph_error(10, 2018278), Verdict.PERMANENT, "10", "2018278"),
        (400, graph_error(190), Verdict.PERMANENT, "190", None),
        (400, graph_error(551), Verdict.PERMANENT, "551", None),
        (400, graph_error(100, 2018001), Verdict.PERMANENT, "100", "2018001"),
        (400, graph_error(613), Verdict.RATE_LIMITED, "613", None),
        (400, graph_error(4), Verdict.RATE_LIMITED, "4", None),
        (400, graph_error(613, 2018381), Verdict.PERMANENT, "613", "2018381"),  # policy warning
        (400, graph_error(2), Verdict.RETRY, "2", None),
        (400, graph_error(1200), Verdict.RETRY, "1200", None),
        (500, graph_error(2), Verdict.RETRY, "2", None),
        (502, None, Verdict.RETRY, "http_502", None),
        (429, None, Verdict.RATE_LIMITED, "http_429", None),
        (403, None, Verdict.PERMANENT, "http_403", None),
    ],
)
def test_classify_messenger_response_table(
    status: int, body: Any, verdict: Verdict, code: str, subcode: str | None
) -> None:
    outcome = classify_messenger_response(status, body, {})
    assert (outcome.verdict, outcome.error_code, outcome.error_subcode) == (verdict, code, subcode)


def test_classify_reads_retry_after_header() -> None:
    assert classify_zalo_response(503, None, {"retry-after": "3"}).retry_after == 3.0
    assert classify_messenger_response(429, None, {"Retry-After": "bad"}).retry_after is None


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 5, 10])
def test_retry_policy_delay_is_jittered_exponential_and_capped(attempt: int) -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=0.5, max_seconds=4.0)
    backoff = min(4.0, 0.5 * 2 ** (attempt - 1))
    for _ in range(50):
        delay = policy.delay_before_retry(attempt, Outcome(Verdict.RETRY))
        assert backoff / 2 <= delay <= backoff


def test_retry_policy_rate_limit_and_retry_after_raise_the_floor() -> None:
    policy = RetryPolicy(base_seconds=0.01, max_seconds=5.0, rate_limit_floor_seconds=1.0)
    assert policy.delay_before_retry(1, Outcome(Verdict.RATE_LIMITED)) >= 1.0
    assert policy.delay_before_retry(1, Outcome(Verdict.RETRY, retry_after=3.0)) >= 3.0
    assert policy.delay_before_retry(1, Outcome(Verdict.RETRY, retry_after=60.0)) <= 5.0


class Script:
    """Answers attempts from a list of outcomes (or exceptions) and records pauses."""

    def __init__(self, *steps: Outcome | Exception) -> None:
        self.steps = list(steps)
        self.calls = 0
        self.sleeps: list[float] = []
        self.refreshes = 0

    async def attempt(self) -> Outcome:
        step = self.steps[self.calls]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        return step

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def refresh_ok(self) -> bool:
        self.refreshes += 1
        return True

    async def refresh_fails(self) -> bool:
        self.refreshes += 1
        return False


POLICY = RetryPolicy(max_attempts=4, base_seconds=0.1, max_seconds=1.0, rate_limit_floor_seconds=0.5)
OK = Outcome(Verdict.DELIVERED, message="mid")
FAIL_5XX = Outcome(Verdict.RETRY, "http_503")
TOKEN = Outcome(Verdict.REFRESH_TOKEN, "-220")
WINDOW = Outcome(Verdict.PERMANENT, "-230")


async def test_deliver_with_retries_retries_5xx_then_delivers() -> None:
    script = Script(FAIL_5XX, FAIL_5XX, OK)
    outcome, attempts = await deliver_with_retries(script.attempt, POLICY, sleep=script.sleep)
    assert (outcome.verdict, attempts, len(script.sleeps)) == (Verdict.DELIVERED, 3, 2)


async def test_deliver_with_retries_treats_transport_errors_as_transient() -> None:
    script = Script(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), OK)
    outcome, attempts = await deliver_with_retries(script.attempt, POLICY, sleep=script.sleep)
    assert (outcome.verdict, attempts) == (Verdict.DELIVERED, 3)


async def test_deliver_with_retries_gives_up_after_max_attempts() -> None:
    script = Script(FAIL_5XX, FAIL_5XX, FAIL_5XX, FAIL_5XX, OK)
    outcome, attempts = await deliver_with_retries(script.attempt, POLICY, sleep=script.sleep)
    assert (outcome.verdict, attempts, len(script.sleeps)) == (Verdict.RETRY, 4, 3)


async def test_deliver_with_retries_never_retries_permanent() -> None:
    script = Script(WINDOW, OK)
    outcome, attempts = await deliver_with_retries(script.attempt, POLICY, sleep=script.sleep)
    assert (outcome.error_code, attempts, script.sleeps) == ("-230", 1, [])


async def test_deliver_with_retries_refreshes_token_once_then_retries() -> None:
    script = Script(TOKEN, OK)
    outcome, attempts = await deliver_with_retries(
        script.attempt, POLICY, script.refresh_ok, sleep=script.sleep
    )
    assert (outcome.verdict, attempts, script.refreshes, script.sleeps) == (
        Verdict.DELIVERED,
        2,
        1,
        [],
    )


async def test_deliver_with_retries_stops_when_new_token_also_refused() -> None:
    script = Script(TOKEN, TOKEN, OK)
    outcome, attempts = await deliver_with_retries(
        script.attempt, POLICY, script.refresh_ok, sleep=script.sleep
    )
    assert (outcome.verdict, attempts, script.refreshes) == (Verdict.REFRESH_TOKEN, 2, 1)


async def test_deliver_with_retries_stops_when_refresh_fails() -> None:
    script = Script(TOKEN, OK)
    outcome, attempts = await deliver_with_retries(
        script.attempt, POLICY, script.refresh_fails, sleep=script.sleep
    )
    assert (outcome.verdict, attempts, script.refreshes) == (Verdict.REFRESH_TOKEN, 1, 1)


async def test_deliver_with_retries_rate_limit_waits_at_least_floor() -> None:
    script = Script(Outcome(Verdict.RATE_LIMITED, "-32"), OK)
    outcome, _ = await deliver_with_retries(script.attempt, POLICY, sleep=script.sleep)
    assert outcome.verdict is Verdict.DELIVERED
    assert script.sleeps[0] >= 0.5
