"""Sending to a platform API with retries: outcome classification and the backoff loop.

Lives here: the lazily created shared HTTP client, the ``SendResult`` of one message, the
``Outcome`` of one API call, the pure classifiers that read Zalo's and
Messenger's documented error codes (zalo.md §5, messenger.md §6), the ``RetryPolicy`` and the
generic ``deliver_with_retries`` loop (transient errors and rate limits are retried with
exponential backoff and jitter; a token error triggers one refresh and one more try).
Must not know credentials, payload shapes or the state store: callers record failures.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import httpx

__all__ = [
    "HttpClientSource",
    "Outcome",
    "SendResult",
    "RetryPolicy",
    "Verdict",
    "classify_messenger_response",
    "classify_zalo_response",
    "deliver_with_retries",
    "outcome_from_transport_error",
]

logger = logging.getLogger(__name__)


class Verdict(str, Enum):
    """What to do after one API call."""

    DELIVERED = "delivered"  # the platform accepted the message
    RETRY = "retry"  # transient (5xx, timeout, temporary failure): try again after a backoff
    RATE_LIMITED = "rate_limited"  # over the platform's rate limit: back off longer, try again
    REFRESH_TOKEN = "refresh_token"  # access token invalid or expired: refresh once, try again
    PERMANENT = "permanent"  # will not succeed as is (window closed, blocked, bad payload...)


@dataclass(frozen=True)
class Outcome:
    """The classified result of one API call.

    Attributes:
        verdict: What to do next.
        error_code: Platform error code (or ``http_<status>`` / ``transport``) when not delivered.
        error_subcode: Messenger's ``error_subcode`` when given.
        message: Human-readable error, or the platform message id when delivered.
        retry_after: Seconds the platform asked us to wait (``Retry-After``), if any.
    """

    verdict: Verdict
    error_code: str = ""
    error_subcode: str | None = None
    message: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures.

    Attributes:
        max_attempts: Attempts in total, first try included.
        base_seconds: First backoff delay; doubled per further attempt.
        max_seconds: Cap of one delay.
        rate_limit_floor_seconds: Minimum delay after a rate-limit answer.
    """

    max_attempts: int = 4
    base_seconds: float = 0.5
    max_seconds: float = 8.0
    rate_limit_floor_seconds: float = 1.0

    def delay_before_retry(self, attempt: int, outcome: Outcome) -> float:
        """Computes the pause before the next attempt.

        Args:
            attempt: Number of the attempt that just failed (1 for the first).
            outcome: Its outcome.

        Returns:
            Seconds to wait, with "equal jitter" (between half and all of the backoff).
        """
        backoff = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        delay = backoff / 2 + random.uniform(0, backoff / 2)
        if outcome.verdict is Verdict.RATE_LIMITED:
            delay = max(delay, min(self.max_seconds, self.rate_limit_floor_seconds))
        if outcome.retry_after is not None:
            delay = max(delay, min(self.max_seconds, outcome.retry_after))
        return delay


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def outcome_from_transport_error(error: Exception) -> Outcome:
    """Classifies a network failure (timeout, refused connection...) as transient.

    Args:
        error: The exception raised by the HTTP client.

    Returns:
        A ``RETRY`` outcome naming the error.
    """
    return Outcome(Verdict.RETRY, "transport", None, f"{type(error).__name__}: {error}")


_ZALO_TOKEN_ERRORS = frozenset({-216, -220})
_ZALO_RATE_LIMIT_ERRORS = frozenset({-32})
_ZALO_TRANSIENT_ERRORS = frozenset({-200, -214})


def classify_zalo_response(status: int, body: Any, headers: Mapping[str, str]) -> Outcome:
    """Classifies a Zalo OA API answer. Zalo reports errors with HTTP 200 and a negative code.

    Args:
        status: HTTP status.
        body: Parsed JSON body, or None when it was not JSON.
        headers: Response headers.

    Returns:
        The outcome: -216/-220 refresh the token, -32 is a rate limit, -200/-214 and 5xx are
        transient, any other negative code is permanent.
    """
    if status == 429:
        return Outcome(Verdict.RATE_LIMITED, "http_429", None, "Too Many Requests", _retry_after(headers))
    if status >= 500:
        return Outcome(Verdict.RETRY, f"http_{status}", None, "server error", _retry_after(headers))
    if not isinstance(body, Mapping) or not isinstance(body.get("error"), int):
        verdict = Verdict.RETRY if status == 200 else Verdict.PERMANENT
        return Outcome(verdict, f"http_{status}", None, "unexpected response body")
    code = int(body["error"])
    message = str(body.get("message", ""))
    if code == 0 and status == 200:
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        return Outcome(Verdict.DELIVERED, "", None, str(data.get("message_id", "")))
    if code in _ZALO_TOKEN_ERRORS:
        return Outcome(Verdict.REFRESH_TOKEN, str(code), None, message)
    if code in _ZALO_RATE_LIMIT_ERRORS:
        return Outcome(Verdict.RATE_LIMITED, str(code), None, message, _retry_after(headers))
    if code in _ZALO_TRANSIENT_ERRORS:
        return Outcome(Verdict.RETRY, str(code), None, message)
    return Outcome(Verdict.PERMANENT, str(code) if code else f"http_{status}", None, message)


_MESSENGER_TRANSIENT_CODES = frozenset({1, 2, 1200})
_MESSENGER_RATE_LIMIT_CODES = frozenset({4, 613})


def classify_messenger_response(status: int, body: Any, headers: Mapping[str, str]) -> Outcome:
    """Classifies a Graph API (Send API) answer.

    Args:
        status: HTTP status.
        body: Parsed JSON body, or None when it was not JSON.
        headers: Response headers.

    Returns:
        The outcome: 2xx is delivered; 5xx and codes 1/2/1200 are transient; 4 and 613 (without
        subcode) are rate limits; everything else (190 token, 10 window, 551 unavailable, 100
        invalid parameter, 613 with a policy subcode...) is permanent.
    """
    if 200 <= status < 300:
        message_id = body.get("message_id", "") if isinstance(body, Mapping) else ""
        return Outcome(Verdict.DELIVERED, "", None, str(message_id))
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if status == 429:
            return Outcome(Verdict.RATE_LIMITED, "http_429", None, "Too Many Requests", _retry_after(headers))
        verdict = Verdict.RETRY if status >= 500 else Verdict.PERMANENT
        return Outcome(verdict, f"http_{status}", None, "unexpected response body", _retry_after(headers))
    code = error.get("code")
    subcode = error.get("error_subcode")
    subcode_text = None if subcode is None else str(subcode)
    message = str(error.get("message", ""))
    if code in _MESSENGER_RATE_LIMIT_CODES and subcode is None:
        return Outcome(Verdict.RATE_LIMITED, str(code), None, message, _retry_after(headers))
    if code in _MESSENGER_TRANSIENT_CODES or status >= 500:
        return Outcome(Verdict.RETRY, str(code), subcode_text, message, _retry_after(headers))
    return Outcome(Verdict.PERMANENT, str(code), subcode_text, message)


@dataclass(frozen=True)
class SendResult:
    """What became of one outgoing message."""

    delivered: bool
    message_id: str = ""
    error_code: str = ""
    attempts: int = 0


class HttpClientSource:
    """Creates the shared ``httpx.AsyncClient`` lazily, inside the running event loop."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        """Returns the client, creating it on first use (and after ``aclose``)."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        return self._client

    async def aclose(self) -> None:
        """Closes the client if one was created."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


AttemptOnce = Callable[[], Awaitable[Outcome]]
RefreshToken = Callable[[], Awaitable[bool]]


async def deliver_with_retries(
    attempt_once: AttemptOnce,
    policy: RetryPolicy,
    refresh_token: RefreshToken | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> tuple[Outcome, int]:
    """Calls an API until it succeeds, fails for good, or attempts run out.

    Args:
        attempt_once: Makes one call and classifies it (it must not raise for HTTP errors).
        policy: Attempts and backoff.
        refresh_token: Called once on the first ``REFRESH_TOKEN`` outcome; returns whether a
            new token is available. Without it, token errors are permanent.
        sleep: The pause function (tests of timing pass their own clock).

    Returns:
        The last outcome and the number of calls made. An outcome still ``RETRY`` or
        ``RATE_LIMITED`` means the attempts ran out; ``REFRESH_TOKEN`` means the refresh failed
        or the new token was refused too.
    """
    attempts = 0
    refreshed = False
    while True:
        attempts += 1
        try:
            outcome = await attempt_once()
        except httpx.TransportError as error:
            outcome = outcome_from_transport_error(error)
        if outcome.verdict in (Verdict.DELIVERED, Verdict.PERMANENT):
            return outcome, attempts
        if outcome.verdict is Verdict.REFRESH_TOKEN:
            if refreshed or refresh_token is None:
                return outcome, attempts
            refreshed = True
            if not await refresh_token():
                return outcome, attempts
            continue
        if attempts >= policy.max_attempts:
            return outcome, attempts
        delay = policy.delay_before_retry(attempts, outcome)
        logger.warning(
            "Send attempt %d failed (%s %s), retrying in %.2fs",
            attempts,
            outcome.error_code,
            outcome.message,
            delay,
        )
        await sleep(delay)
