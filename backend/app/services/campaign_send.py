"""The backend's own Send API clients for pushes, and what each platform answer means.

Lives here: ``ZaloPushClient`` (POST /v3.0/oa/message/cs with the ``access_token`` header; the
token is read again from the bot's channel state on -216/-220, because the bot refreshes it and
refresh tokens are single use), ``MessengerPushClient`` (POST /me/messages, messaging_type
UPDATE, bearer page token) and the classifiers turning an answer into a ``Verdict``
(zalo.md §5, messenger.md §6), and ``HttpLanes`` (the httpx transports the calls go out on).
One call per ``send``: retries are the outbox's business.

Transport errors: a connection that never opened means nothing was sent (retry later); a
connection lost after the request left (read timeout, reset) may have delivered, so the verdict
is AMBIGUOUS and the row is never resent automatically. Must not touch the database of the
backend nor import the bot's code.
"""

from __future__ import annotations

import asyncio
import enum
import importlib.util
import logging
import sqlite3
import ssl
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend.app.services.campaign_rules import (
    CHANNEL_MESSENGER,
    CHANNEL_ZALO,
    REASON_BLOCKED,
    REASON_INVALID_REQUEST,
    REASON_NO_ANSWER,
    REASON_OUTSIDE_WINDOW,
    REASON_PLATFORM_ERROR,
    REASON_QUOTA,
    REASON_TEMPORARY,
    REASON_TOKEN,
    REASON_UNKNOWN_RECIPIENT,
)

logger = logging.getLogger(__name__)

if importlib.util.find_spec("sniffio") is None:
    # httpcore tries "import sniffio" before every lock it takes; when sniffio is not installed
    # each attempt scans sys.path again (measured: a third of the dispatcher's CPU at 300
    # sends/s). A None entry makes the failed import instant; httpcore then assumes asyncio.
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

ZALO_SEND_PATH = "/v3.0/oa/message/cs"
MESSENGER_SEND_PATH = "/me/messages"


class Verdict(enum.Enum):
    """What a platform answer means for the row."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # not sent; slow the whole platform down, queue the row again
    TEMPORARY = "temporary"  # not sent; retry the row later with backoff
    NIGHT = "night"  # not sent; the platform refuses night sends: wait for the morning
    PERMANENT = "permanent"  # not sent; this member cannot get it (blocked, outside window...)
    ACCOUNT = "account"  # not sent; the account is refused (token, quota): pause the campaign
    AMBIGUOUS = "ambiguous"  # the request left but no answer came: maybe delivered


@dataclass(frozen=True)
class SendOutcome:
    """One Send API call's result."""

    verdict: Verdict
    reason: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    message_id: str | None = None


_ZALO_PERMANENT = {
    -213: REASON_BLOCKED,  # not following the OA
    -217: REASON_BLOCKED,  # blocked invitations from the OA
    -227: REASON_BLOCKED,  # banned or inactive > 45 days
    -244: REASON_BLOCKED,  # restricted this message type
    -230: REASON_OUTSIDE_WINDOW,  # no interaction in 7 days
    -232: REASON_OUTSIDE_WINDOW,
    -218: REASON_QUOTA,  # this user's receive quota
    -201: REASON_INVALID_REQUEST,
    -210: REASON_INVALID_REQUEST,
    -233: REASON_INVALID_REQUEST,
    -100: REASON_INVALID_REQUEST,
}
_ZALO_ACCOUNT = {
    -216: REASON_TOKEN,
    -220: REASON_TOKEN,
    -242: REASON_TOKEN,
    -211: REASON_QUOTA,
    -320: REASON_QUOTA,
    -321: REASON_QUOTA,
    -204: REASON_PLATFORM_ERROR,
    -205: REASON_PLATFORM_ERROR,
    -209: REASON_PLATFORM_ERROR,
    -212: REASON_PLATFORM_ERROR,
    -219: REASON_PLATFORM_ERROR,
    -221: REASON_PLATFORM_ERROR,
    -223: REASON_PLATFORM_ERROR,
    -224: REASON_PLATFORM_ERROR,
    -235: REASON_PLATFORM_ERROR,
    -240: REASON_PLATFORM_ERROR,
    -248: REASON_PLATFORM_ERROR,
}
ZALO_RATE_LIMIT = -32
ZALO_NIGHT = -234
_ZALO_TEMPORARY = frozenset({-200, -214})


def classify_zalo(status_code: int, body: Any) -> SendOutcome:  # noqa: ANN401 - parsed JSON
    """Reads a Zalo OA API answer (errors come with HTTP 200 and a negative ``error``).

    Args:
        status_code: The HTTP status.
        body: The parsed JSON body, or None.

    Returns:
        The outcome.
    """
    if status_code >= 500 or not isinstance(body, Mapping):
        return SendOutcome(Verdict.TEMPORARY, REASON_TEMPORARY, f"http_{status_code}", "no JSON answer")
    try:
        code = int(body.get("error", -1))
    except (TypeError, ValueError):
        code = -1
    message = str(body.get("message", ""))
    if code == 0:
        data = body.get("data") if isinstance(body.get("data"), Mapping) else {}
        return SendOutcome(Verdict.SENT, message_id=str(data.get("message_id") or "") or None)
    text_code = str(code)
    if code == ZALO_RATE_LIMIT:
        return SendOutcome(Verdict.RATE_LIMITED, None, text_code, message)
    if code == ZALO_NIGHT:
        return SendOutcome(Verdict.NIGHT, None, text_code, message)
    if code in _ZALO_TEMPORARY:
        return SendOutcome(Verdict.TEMPORARY, REASON_TEMPORARY, text_code, message)
    if code in _ZALO_ACCOUNT:
        return SendOutcome(Verdict.ACCOUNT, _ZALO_ACCOUNT[code], text_code, message)
    return SendOutcome(
        Verdict.PERMANENT, _ZALO_PERMANENT.get(code, REASON_PLATFORM_ERROR), text_code, message
    )


def classify_messenger(status_code: int, body: Any) -> SendOutcome:  # noqa: ANN401 - parsed JSON
    """Reads a Graph API Send answer (errors: HTTP 4xx/5xx with ``{"error": {...}}``).

    Args:
        status_code: The HTTP status.
        body: The parsed JSON body, or None.

    Returns:
        The outcome.
    """
    if status_code < 300 and isinstance(body, Mapping) and body.get("message_id"):
        return SendOutcome(Verdict.SENT, message_id=str(body["message_id"]))
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return SendOutcome(Verdict.TEMPORARY, REASON_TEMPORARY, f"http_{status_code}", "no Graph error")
    code = error.get("code")
    subcode = error.get("error_subcode")
    message = str(error.get("message", ""))
    text_code = f"{code}/{subcode}" if subcode else str(code)
    if code in (4, 613) and "bothersome" not in message.lower() or (code == 9 and subcode == 2018352):
        return SendOutcome(Verdict.RATE_LIMITED, None, text_code, message)
    if status_code >= 500 or code in (1, 2, 1200):
        return SendOutcome(Verdict.TEMPORARY, REASON_TEMPORARY, text_code, message)
    if code == 190:
        return SendOutcome(Verdict.ACCOUNT, REASON_TOKEN, text_code, message)
    if code in (200, 613, 368):
        return SendOutcome(Verdict.ACCOUNT, REASON_PLATFORM_ERROR, text_code, message)
    if code == 10:
        return SendOutcome(Verdict.PERMANENT, REASON_OUTSIDE_WINDOW, text_code, message)
    if code == 551:
        return SendOutcome(Verdict.PERMANENT, REASON_BLOCKED, text_code, message)
    if code == 100 and subcode == 2018001:
        return SendOutcome(Verdict.PERMANENT, REASON_UNKNOWN_RECIPIENT, text_code, message)
    if code == 100:
        return SendOutcome(Verdict.PERMANENT, REASON_INVALID_REQUEST, text_code, message)
    return SendOutcome(Verdict.PERMANENT, REASON_PLATFORM_ERROR, text_code, message)


_NOT_SENT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


class HttpLanes:
    """Sends requests on a few single-connection httpx transports, one call per lane at a time.

    Two measured costs of httpx on this path are avoided: the client layer (URL merging,
    cookie extraction, redirect and auth handling: a third of the CPU per call; the Send APIs
    need none of it) and httpcore's scan of every pooled connection on each request (with one
    connection per transport it stays flat). Push benchmark, 2 cores: from 5 ms to under 1 ms of
    dispatcher CPU per push.
    """

    def __init__(self, lanes: int, timeout: httpx.Timeout) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        tls = ssl.create_default_context()  # one CA bundle load for every lane (40 ms each)
        self._transports = [httpx.AsyncHTTPTransport(verify=tls, limits=limits) for _ in range(max(1, lanes))]
        self._timeout = timeout.as_dict()
        self._free: asyncio.Queue[httpx.AsyncHTTPTransport] = asyncio.Queue()
        for transport in self._transports:
            self._free.put_nowait(transport)

    async def post(self, url: str, *, headers: dict[str, str], json: Any) -> httpx.Response:  # noqa: ANN401
        """POSTs JSON on the next free lane (waits for one when all are busy) and reads the answer.

        Args:
            url: The URL.
            headers: Request headers.
            json: The body.

        Returns:
            The response, its body read.
        """
        request = httpx.Request(
            "POST", url, headers=headers, json=json, extensions={"timeout": self._timeout}
        )
        transport = await self._free.get()
        try:
            response = await transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
            return response
        finally:
            self._free.put_nowait(transport)

    async def aclose(self) -> None:
        """Closes every lane's connection."""
        for transport in self._transports:
            await transport.aclose()


HttpPoster = httpx.AsyncClient | HttpLanes


async def _post(
    http: HttpPoster, url: str, *, headers: dict[str, str], body: dict[str, Any]
) -> tuple[int, Any] | SendOutcome:
    """POSTs JSON; returns (status, parsed body) or the outcome of a transport failure."""
    try:
        response = await http.post(url, headers=headers, json=body)
    except _NOT_SENT_ERRORS as error:
        return SendOutcome(
            Verdict.TEMPORARY, REASON_TEMPORARY, "transport", f"{type(error).__name__}: {error}"
        )
    except httpx.HTTPError as error:
        return SendOutcome(
            Verdict.AMBIGUOUS, REASON_NO_ANSWER, "transport", f"{type(error).__name__}: {error}"
        )
    try:
        parsed = response.json()
    except ValueError:
        parsed = None
    return response.status_code, parsed


def read_bot_zalo_token(state_db: str | None) -> str | None:
    """Reads the Zalo access token the bot's channels currently use (they refresh it).

    Args:
        state_db: The bot's channel state SQLite file (CHANNEL_STATE_DB), or None.

    Returns:
        The access token, or None when there is no such file or row.
    """
    if not state_db or not Path(state_db).exists():
        return None
    try:
        with sqlite3.connect(f"file:{state_db}?mode=ro", uri=True, timeout=5) as connection:
            row = connection.execute(
                "SELECT access_token FROM oauth_tokens WHERE platform = 'zalo'"
            ).fetchone()
    except sqlite3.Error as error:
        logger.warning("cannot read the Zalo token from %s: %s", state_db, error)
        return None
    return str(row[0]) if row and row[0] else None


class ZaloTokenSource:
    """The Zalo access token: the bot's current one when its state file has it, else the setting."""

    def __init__(self, configured_token: str, state_db: str | None) -> None:
        self._configured = configured_token
        self._state_db = state_db
        self._token = read_bot_zalo_token(state_db) or configured_token

    @property
    def token(self) -> str:
        """The token in use."""
        return self._token

    def reload(self) -> bool:
        """Reads the token again (after a token error).

        Returns:
            True when it changed.
        """
        fresh = read_bot_zalo_token(self._state_db) or self._configured
        changed = fresh != self._token
        self._token = fresh
        return changed


class ZaloPushClient:
    """Sends consultation messages to Zalo users."""

    channel = CHANNEL_ZALO

    def __init__(self, http: HttpPoster, api_base: str, tokens: ZaloTokenSource) -> None:
        self._http = http
        self._url = api_base.rstrip("/") + ZALO_SEND_PATH
        self._tokens = tokens

    async def send(self, recipient_id: str, message: Mapping[str, Any]) -> SendOutcome:
        """Sends one message; on a token error, once more with the bot's newer token if any.

        Args:
            recipient_id: The Zalo user id.
            message: The ``message`` object.

        Returns:
            The outcome.
        """
        body = {"recipient": {"user_id": recipient_id}, "message": dict(message)}
        for _ in range(2):
            answer = await _post(
                self._http, self._url, headers={"access_token": self._tokens.token}, body=body
            )
            if isinstance(answer, SendOutcome):
                return answer
            outcome = classify_zalo(*answer)
            if outcome.reason == REASON_TOKEN and self._tokens.reload():
                continue
            return outcome
        return outcome


class MessengerPushClient:
    """Sends pushes to Messenger users inside their 24 h window (messaging_type UPDATE, no tag)."""

    channel = CHANNEL_MESSENGER

    def __init__(self, http: HttpPoster, api_base: str, page_access_token: str) -> None:
        self._http = http
        self._url = api_base.rstrip("/") + MESSENGER_SEND_PATH
        self._headers = {"Authorization": f"Bearer {page_access_token}"}

    async def send(self, recipient_id: str, message: Mapping[str, Any]) -> SendOutcome:
        """Sends one message.

        Args:
            recipient_id: The page-scoped user id.
            message: The ``message`` object.

        Returns:
            The outcome.
        """
        body = {"recipient": {"id": recipient_id}, "messaging_type": "UPDATE", "message": dict(message)}
        answer = await _post(self._http, self._url, headers=self._headers, body=body)
        if isinstance(answer, SendOutcome):
            return answer
        return classify_messenger(*answer)


PushClient = ZaloPushClient | MessengerPushClient
