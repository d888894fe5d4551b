"""Shared plumbing of the simulated platforms: a loopback uvicorn server, webhook delivery with
the platform's retry ladder, sliding-window rate limits, injected failures, recorded inboxes.

Lives here: ``SimulatedPlatform`` (the base of ``FakeZalo`` and ``FakeMessenger``) and small
helpers. Must not know either platform's payloads or error codes (subclasses do).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

__all__ = [
    "FailureInjector",
    "ServerThread",
    "SimulatedPlatform",
    "SlidingWindowLimiter",
    "WebhookDelivery",
    "find_free_port",
]


def find_free_port() -> int:
    """Asks the OS for a free TCP port on 127.0.0.1.

    Returns:
        The port number.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """Runs an ASGI app with uvicorn in a daemon thread on 127.0.0.1."""

    def __init__(self, app: Starlette, port: int | None = None) -> None:
        self.port = port or find_free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Starts the server and waits until it accepts connections.

        Args:
            timeout: Seconds to wait.
        """
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"simulator did not start on port {self.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stops the server and joins its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


class SlidingWindowLimiter:
    """Allows at most ``limit`` calls per ``window_seconds`` (per key)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._calls: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str = "", now: float | None = None) -> bool:
        """Counts a call unless it would exceed the limit.

        Args:
            key: What the limit applies to (app, page...).
            now: Monotonic seconds; the current time when omitted.

        Returns:
            False when the call is over the limit (it is then not counted).
        """
        at = time.monotonic() if now is None else now
        calls = self._calls[key]
        while calls and calls[0] <= at - self.window_seconds:
            calls.popleft()
        if len(calls) >= self.limit:
            return False
        calls.append(at)
        return True

    def remaining(self, key: str = "") -> int:
        """Calls left in the current window.

        Args:
            key: The limited key.

        Returns:
            The count.
        """
        return max(0, self.limit - len(self._calls[key]))


@dataclass
class FailureInjector:
    """Makes the next N API calls fail with a given HTTP status (e.g. 503)."""

    remaining: int = 0
    http_status: int = 503

    def fail_next(self, count: int, http_status: int = 503) -> None:
        """Arms the injector.

        Args:
            count: How many calls fail.
            http_status: Their status (5xx).
        """
        self.remaining = count
        self.http_status = http_status

    def take(self) -> int | None:
        """Consumes one failure if armed.

        Returns:
            The status to answer with, or None to proceed normally.
        """
        if self.remaining <= 0:
            return None
        self.remaining -= 1
        return self.http_status


@dataclass
class WebhookDelivery:
    """One webhook delivered to the bot (with the platform's retries).

    Attributes:
        body: The exact bytes sent.
        headers: The headers sent (signature included).
        statuses: HTTP status of each attempt (0 for a timeout or refused connection).
        ack_seconds: Time from sending to the answer, per attempt.
    """

    body: bytes
    headers: dict[str, str]
    statuses: list[int] = field(default_factory=list)
    ack_seconds: list[float] = field(default_factory=list)
    response_text: str = ""

    @property
    def status(self) -> int:
        """Status of the last attempt."""
        return self.statuses[-1] if self.statuses else 0

    @property
    def acknowledged(self) -> bool:
        """Whether the bot finally answered 2xx."""
        return 200 <= self.status < 300


class SimulatedPlatform:
    """Base of the simulated platforms: server lifecycle, webhook delivery, recorded inboxes.

    State is shared between the server thread and the test thread, so every access goes through
    ``self.lock``. What each user received is kept per user, in order.
    """

    retry_header: str | None = None

    def __init__(
        self,
        app: Starlette,
        webhook_url: str | None,
        webhook_timeout_seconds: float,
        webhook_retry_delays: Sequence[float],
    ) -> None:
        self.app = app
        self.webhook_url = webhook_url
        self.webhook_timeout_seconds = webhook_timeout_seconds
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.lock = threading.RLock()
        self.failures = FailureInjector()
        self.inbox: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.api_log: list[dict[str, Any]] = []
        self.webhook_log: list[WebhookDelivery] = []
        self._server: ServerThread | None = None
        # One HTTP client per event loop (building one costs ~45 ms: it would dominate).
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, port: int | None = None) -> None:
        """Starts the simulator's HTTP server on loopback.

        Args:
            port: Port to use; a free one when omitted.
        """
        self._server = ServerThread(self.app, port)
        self._server.start()

    def stop(self) -> None:
        """Stops the HTTP server."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        with self.lock:
            self._clients.clear()

    def _webhook_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self.lock:
            client = self._clients.get(loop)
            if client is None or client.is_closed:
                client = httpx.AsyncClient(timeout=self.webhook_timeout_seconds)
                self._clients[loop] = client
            return client

    @property
    def base_url(self) -> str:
        """Base URL of the running simulator."""
        if self._server is None:
            raise RuntimeError("simulator is not started")
        return self._server.base_url

    # --- failure injection and inspection -------------------------------------------------

    def fail_next(self, count: int, http_status: int = 503) -> None:
        """Makes the next ``count`` message sends fail with a 5xx (sender actions excepted).

        Args:
            count: How many calls fail.
            http_status: The status answered.
        """
        with self.lock:
            self.failures.fail_next(count, http_status)

    def record_received(self, user_id: str, entry: dict[str, Any]) -> None:
        """Appends a delivered message to a user's inbox (called by the API routes).

        Args:
            user_id: Recipient.
            entry: What the recipient sees, plus ids.
        """
        with self.lock:
            self.inbox[user_id].append(entry)

    def log_api_call(self, entry: dict[str, Any]) -> None:
        """Appends one API call and its result to the log.

        Args:
            entry: Endpoint, recipient, result code.
        """
        with self.lock:
            self.api_log.append({"at": time.time(), **entry})

    def received(self, user_id: str) -> list[dict[str, Any]]:
        """Lists what a user received, in order.

        Args:
            user_id: The user.

        Returns:
            Copies of the inbox entries.
        """
        with self.lock:
            return [dict(entry) for entry in self.inbox.get(user_id, [])]

    def api_calls(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Lists send API calls (successful or not), optionally for one recipient.

        Args:
            user_id: Only calls addressed to this user when given.

        Returns:
            Copies of the log entries.
        """
        with self.lock:
            return [
                dict(entry) for entry in self.api_log if user_id is None or entry.get("recipient") == user_id
            ]

    async def wait_for_messages(
        self, user_id: str, count: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Waits until a user has received at least ``count`` messages.

        Args:
            user_id: The user.
            count: Messages to wait for.
            timeout: Seconds before giving up.

        Returns:
            The user's inbox at that moment.

        Raises:
            TimeoutError: When fewer messages arrived in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            messages = self.received(user_id)
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                raise TimeoutError(f"{user_id} received {len(messages)} message(s), expected {count}")
            await asyncio.sleep(0.02)

    async def wait_for_api_calls(
        self, user_id: str, count: int, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Waits until at least ``count`` send calls addressed a user (failed ones included).

        Args:
            user_id: The user.
            count: Calls to wait for.
            timeout: Seconds before giving up.

        Returns:
            The calls.

        Raises:
            TimeoutError: When fewer calls were made in time.
        """
        deadline = time.monotonic() + timeout
        while True:
            calls = self.api_calls(user_id)
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(calls)} call(s) for {user_id}, expected {count}")
            await asyncio.sleep(0.02)

    # --- webhooks -------------------------------------------------------------------------

    async def post_webhook(self, body: bytes, headers: dict[str, str], retry: bool = True) -> WebhookDelivery:
        """POSTs a webhook to the bot, retrying on non-2xx or timeout per the platform ladder.

        Args:
            body: Exact bytes (already signed by the caller).
            headers: Headers including the signature.
            retry: Follow the retry ladder; False sends once.

        Returns:
            The delivery record (also appended to ``webhook_log``).
        """
        if not self.webhook_url:
            raise RuntimeError("no webhook_url configured")
        delivery = WebhookDelivery(body=body, headers=dict(headers))
        delays = (None, *self.webhook_retry_delays) if retry else (None,)
        client = self._webhook_client()
        for attempt, delay in enumerate(delays):
            if delay:
                await asyncio.sleep(delay)
            sent_headers = {"Content-Type": "application/json", **headers}
            if self.retry_header:
                sent_headers[self.retry_header] = str(attempt)
            started = time.perf_counter()
            try:
                response = await client.post(self.webhook_url, content=body, headers=sent_headers)
                status = response.status_code
                delivery.response_text = response.text
            except httpx.HTTPError:
                status = 0
            delivery.statuses.append(status)
            delivery.ack_seconds.append(time.perf_counter() - started)
            if 200 <= status < 300:
                break
        with self.lock:
            self.webhook_log.append(delivery)
        return delivery

    async def redeliver(self, delivery: WebhookDelivery) -> WebhookDelivery:
        """Sends the very same webhook again (what a platform does when unsure it arrived).

        Args:
            delivery: A previous delivery.

        Returns:
            The new delivery record.
        """
        return await self.post_webhook(delivery.body, delivery.headers, retry=False)
