"""A simulated Zalo OA platform on loopback, written from /work/shared/platforms/zalo.md.

Lives here: ``FakeZalo``, an ASGI app (Starlette) plus a Python API for tests. As the platform:
- it signs and POSTs webhooks (``X-ZEvent-Signature: mac=sha256(app_id+body+timestamp+OA
  secret)``, §2.2) and retries when the bot does not answer 200 within 2 s (§2.1);
- ``POST /v3.0/oa/message/cs`` checks the ``access_token`` header (-216 unknown, -220 expired),
  text ≤ 2000 (-210), buttons ≤ 5 and titles ≤ 100 (-201), the follow state (-213), the 7-day
  interaction window (-230; 48 h–7 d billed as ``sub_quota``) and 4,000 calls/min (-32),
  always answering HTTP 200 with ``{"error", "message"}`` (§3, §5);
- ``POST /v4/oa/access_token`` needs the ``secret_key`` header, issues access tokens valid
  90,000 s (configurable) with ``expires_in`` as a string, and single-use refresh tokens (§3.5);
- ``POST /message/template`` (ZNS) validates the phone (-108), template (-109) and daily quota
  (-115), then fires a ``user_received_message`` webhook with the ``tracking_id`` (§4);
- it can fail the next N sends with a 5xx and records what each user received;
- for push campaigns: users registered in bulk (80,000 at once, each with its own last
  interaction), users who restricted the OA's messages (-244), a configurable rate limit
  (``set_rate_limit(calls, window_seconds)``: -32 past it), deliveries counted per user so
  duplicates show (``delivery_counts``/``duplicates``), and API call logging that can be turned
  off for benchmarks (``ZaloSimConfig.log_api_calls``).
Run as a process (``python -m tests.platforms.fake_zalo``, see ``main``) it is driven over HTTP
through the ``/_sim/...`` routes.
Must not import the bot's code.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.platforms.loopback import SimulatedPlatform, SlidingWindowLimiter, WebhookDelivery

__all__ = ["FakeZalo", "ZaloSimConfig"]

SIGN = object()
"""Sentinel for ``deliver(signature=...)``: sign the body correctly."""

_ZALO_ERRORS = {
    -32: "Your application reached limit call api",
    -201: "{field} is invalid!",
    -210: "Parameter exceeds allowable limit",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -220: "access_token is expired or removed",
    -230: "User has not interacted with the OA in the past 7 days",
    -244: "User has restricted this message type from your OA",
    -108: "Phone number invalid",
    -109: "Template ID invalid",
    -115: "Out of quota",
}
_PHONE = re.compile(r"^(84\d{9,10}|0\d{9,10}|\d{9,10})$")


@dataclass
class ZaloSimConfig:
    """Identity and behaviour of the simulated OA (defaults follow zalo.md)."""

    app_id: str = "3608465248940903967"
    oa_id: str = "388613280878808645"
    oa_secret_key: str = "sim-zalo-oa-secret-key"
    app_secret: str = "sim-zalo-app-secret"
    access_token_lifetime_seconds: int = 90_000
    rate_limit_per_minute: int = 4_000
    interaction_window_days: float = 7.0
    free_window_hours: float = 48.0
    text_limit: int = 2_000
    max_buttons: int = 5
    button_title_limit: int = 100
    webhook_timeout_seconds: float = 2.0
    webhook_retry_delays: Sequence[float] = (30.0, 300.0, 900.0, 1800.0, 3600.0)
    zns_templates: frozenset[str] = frozenset({"survey_reminder"})
    zns_daily_quota: int = 500
    log_api_calls: bool = True


@dataclass
class ZaloUser:
    """A Zalo user as the OA sees them."""

    user_id: str
    followed: bool = True
    last_interaction_ms: int = 0
    restricted: bool = False


@dataclass
class _TokenBook:
    access: dict[str, float] = field(default_factory=dict)  # token → expiry (epoch seconds)
    refresh: set[str] = field(default_factory=set)  # still unused refresh tokens
    refreshes: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


def _error(code: int, field_name: str = "", headers: dict[str, str] | None = None) -> JSONResponse:
    message = _ZALO_ERRORS.get(code, "Unknown error").format(field=field_name)
    return JSONResponse({"error": code, "message": message}, status_code=200, headers=headers)


def zalo_mac(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Computes the event mac the way zalo.md §2.2 documents it (plain SHA-256, not HMAC).

    Args:
        app_id: App id.
        body: Raw body bytes.
        timestamp: The body's timestamp string.
        oa_secret_key: OA secret key.

    Returns:
        Lowercase hex digest.
    """
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


class FakeZalo(SimulatedPlatform):
    """The simulated Zalo OA platform (API host and OAuth host on one server)."""

    retry_header = "num_retry"

    def __init__(self, config: ZaloSimConfig | None = None, webhook_url: str | None = None) -> None:
        self.config = config or ZaloSimConfig()
        app = Starlette(
            routes=[
                Route("/v3.0/oa/message/cs", self._send_cs, methods=["POST"]),
                Route("/v4/oa/access_token", self._access_token, methods=["POST"]),
                Route("/message/template", self._send_zns, methods=["POST"]),
                Route("/_sim/inbox/{user_id}", self._sim_inbox, methods=["GET"]),
                Route("/_sim/users/{user_id}/text", self._sim_user_text, methods=["POST"]),
                Route("/_sim/fail_next", self._sim_fail_next, methods=["POST"]),
                Route("/_sim/expire_access_tokens", self._sim_expire, methods=["POST"]),
                Route("/_sim/users", self._sim_register_users, methods=["POST"]),
                Route("/_sim/rate_limit", self._sim_rate_limit, methods=["POST"]),
                Route("/_sim/delivery_counts", self._sim_delivery_counts, methods=["GET"]),
            ]
        )
        super().__init__(
            app,
            webhook_url,
            self.config.webhook_timeout_seconds,
            self.config.webhook_retry_delays,
        )
        self.users: dict[str, ZaloUser] = {}
        self.tokens = _TokenBook()
        self.limiter = SlidingWindowLimiter(self.config.rate_limit_per_minute, 60.0)
        self.zns_sent_today = 0
        self.rate_limited_calls = 0
        self._background: set[asyncio.Task[Any]] = set()

    # --- Python API: tokens and users -----------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """Issues an access/refresh token pair, as the OA authorisation would.

        Returns:
            (access_token, refresh_token).
        """
        access = "zat_" + secrets.token_urlsafe(24)
        refresh = "zrt_" + secrets.token_urlsafe(24)
        self.register_tokens(access, refresh)
        return access, refresh

    def register_tokens(self, access_token: str, refresh_token: str) -> None:
        """Accepts a known token pair (e.g. the fixed test values of .env.example).

        Args:
            access_token: Access token, valid for the configured lifetime from now.
            refresh_token: Unused refresh token.
        """
        with self.lock:
            self.tokens.access[access_token] = time.time() + self.config.access_token_lifetime_seconds
            self.tokens.refresh.add(refresh_token)

    def expire_access_tokens(self) -> None:
        """Makes every access token issued so far expired (as if 25 h had passed)."""
        with self.lock:
            for token in self.tokens.access:
                self.tokens.access[token] = time.time() - 1

    @property
    def refresh_count(self) -> int:
        """How many refreshes succeeded."""
        with self.lock:
            return self.tokens.refreshes

    def set_rate_limit(self, per_minute: int, window_seconds: float = 60.0) -> None:
        """Changes the API rate limit (calls per window per app; Zalo's is 4,000 per minute).

        Args:
            per_minute: Calls allowed per window.
            window_seconds: The window's length (60 s by default, as Zalo states it).
        """
        with self.lock:
            self.limiter = SlidingWindowLimiter(per_minute, window_seconds)

    def register_users(self, user_ids: Sequence[str], hours_ago: float = 0.0, followed: bool = True) -> None:
        """Registers many users at once (cheap: 80,000 take well under a second).

        Args:
            user_ids: The users.
            hours_ago: How long ago they last interacted with the OA.
            followed: Whether they follow the OA.
        """
        at = _now_ms() - int(hours_ago * 3_600_000)
        with self.lock:
            for user_id in user_ids:
                self.users[user_id] = ZaloUser(user_id, followed=followed, last_interaction_ms=at)

    def restrict_user(self, user_id: str) -> None:
        """The user restricts the OA's messages (sends then fail with -244).

        Args:
            user_id: The user.
        """
        with self.lock:
            self.users.setdefault(user_id, ZaloUser(user_id)).restricted = True

    def delivery_counts(self) -> dict[str, int]:
        """How many consultation messages each user received (a push campaign expects 1).

        Returns:
            Count per user id, for users who received at least one.
        """
        with self.lock:
            return {user_id: len(entries) for user_id, entries in self.inbox.items() if entries}

    def duplicates(self) -> dict[str, int]:
        """Users who received more than one message.

        Returns:
            Count per user id, only above 1.
        """
        return {user_id: count for user_id, count in self.delivery_counts().items() if count > 1}

    def calls_with_error(self, code: int) -> int:
        """Counts send calls answered with an error code (needs ``log_api_calls``).

        Args:
            code: E.g. -32.

        Returns:
            The count.
        """
        with self.lock:
            return sum(1 for entry in self.api_log if entry.get("error") == code)

    def set_last_interaction(self, user_id: str, hours_ago: float) -> None:
        """Moves a user's last interaction into the past (to test the windows).

        Args:
            user_id: The user.
            hours_ago: How long ago they last interacted.
        """
        with self.lock:
            user = self.users.setdefault(user_id, ZaloUser(user_id))
            user.last_interaction_ms = _now_ms() - int(hours_ago * 3_600_000)

    def _touch(self, user_id: str, *, followed: bool | None = None) -> None:
        with self.lock:
            user = self.users.setdefault(user_id, ZaloUser(user_id))
            user.last_interaction_ms = _now_ms()
            if followed is not None:
                user.followed = followed

    def received_texts(self, user_id: str) -> list[str]:
        """Texts a user received, in order.

        Args:
            user_id: The user.

        Returns:
            The ``message.text`` of each delivered message ("" for media).
        """
        return [str(entry["message"].get("text", "")) for entry in self.received(user_id)]

    # --- Python API: webhooks -------------------------------------------------------------

    def build_event(self, event_name: str, user_id: str, **fields: Any) -> dict[str, Any]:
        """Builds a webhook event body the way Zalo shapes it (§2.3).

        Args:
            event_name: E.g. ``user_send_text``, ``follow``.
            user_id: The user.
            **fields: Extra top-level fields (``message``, ``source``...).

        Returns:
            The event.
        """
        event: dict[str, Any] = {
            "app_id": self.config.app_id,
            "user_id_by_app": str(int(hashlib.sha1(user_id.encode()).hexdigest()[:12], 16)),
            "event_name": event_name,
            "timestamp": str(_now_ms()),
        }
        if event_name in ("follow", "unfollow"):
            event["oa_id"] = self.config.oa_id
            event["follower"] = {"id": user_id}
        else:
            event["sender"] = {"id": user_id}
            event["recipient"] = {"id": self.config.oa_id}
        event.update(fields)
        return event

    def sign(self, body: bytes, timestamp: str) -> str:
        """Computes the ``X-ZEvent-Signature`` header value for a body.

        Args:
            body: Raw body.
            timestamp: The body's timestamp.

        Returns:
            ``mac=<hex>``.
        """
        return "mac=" + zalo_mac(self.config.app_id, body, timestamp, self.config.oa_secret_key)

    async def deliver(
        self, event: dict[str, Any] | bytes, *, signature: Any = SIGN, retry: bool = True
    ) -> WebhookDelivery:
        """Delivers an event to the bot's webhook.

        Args:
            event: The event (serialised compactly, UTF-8, like Zalo) or raw bytes.
            signature: ``SIGN`` to sign correctly, None to omit the header, or a header value.
            retry: Follow the retry ladder on failure.

        Returns:
            The delivery record.
        """
        if isinstance(event, bytes):
            body = event
            timestamp = ""
        else:
            body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            timestamp = str(event.get("timestamp", ""))
            sender = event.get("sender") or event.get("follower") or {}
            if str(event.get("event_name", "")).startswith("user_") and sender.get("id"):
                self._touch(str(sender["id"]))
        headers: dict[str, str] = {}
        if signature is SIGN:
            headers["X-ZEvent-Signature"] = self.sign(body, timestamp)
        elif signature is not None:
            headers["X-ZEvent-Signature"] = str(signature)
        return await self.post_webhook(body, headers, retry=retry)

    async def send_user_text(self, user_id: str, text: str, msg_id: str | None = None) -> WebhookDelivery:
        """A user writes to the OA.

        Args:
            user_id: The user.
            text: What they typed (or a tapped button's payload).
            msg_id: Message id; a fresh one when omitted (reuse it to simulate a redelivery).

        Returns:
            The delivery record.
        """
        message = {"msg_id": msg_id or secrets.token_hex(10), "text": text}
        return await self.deliver(self.build_event("user_send_text", user_id, message=message))

    async def send_user_sticker(self, user_id: str) -> WebhookDelivery:
        """A user sends a sticker.

        Args:
            user_id: The user.

        Returns:
            The delivery record.
        """
        message = {
            "msg_id": secrets.token_hex(10),
            "attachments": [{"type": "sticker", "payload": {"id": "5f3e", "url": "https://zalo.me/s/5f3e"}}],
        }
        return await self.deliver(self.build_event("user_send_sticker", user_id, message=message))

    async def follow(self, user_id: str, source: str = "oa_profile") -> WebhookDelivery:
        """A user follows the OA.

        Args:
            user_id: The user.
            source: Where they followed from.

        Returns:
            The delivery record.
        """
        self._touch(user_id, followed=True)
        return await self.deliver(self.build_event("follow", user_id, source=source))

    async def unfollow(self, user_id: str) -> WebhookDelivery:
        """A user unfollows the OA.

        Args:
            user_id: The user.

        Returns:
            The delivery record.
        """
        with self.lock:
            self.users.setdefault(user_id, ZaloUser(user_id)).followed = False
        return await self.deliver(self.build_event("unfollow", user_id, source="oa_profile"))

    # --- API routes -----------------------------------------------------------------------

    def _check_access_token(self, request: Request) -> int | None:
        token = request.headers.get("access_token", "")
        with self.lock:
            expires_at = self.tokens.access.get(token)
        if expires_at is None:
            return -216
        if expires_at <= time.time():
            return -220
        return None

    async def _send_cs(self, request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        recipient = ""
        if isinstance(body, dict) and isinstance(body.get("recipient"), dict):
            recipient = str(body["recipient"].get("user_id", ""))
        result = self._judge_cs(request, body, recipient)
        if self.config.log_api_calls:
            payload = json.loads(bytes(result.body))
            self.log_api_call(
                {
                    "endpoint": "message/cs",
                    "recipient": recipient,
                    "http_status": result.status_code,
                    "error": payload.get("error"),
                    "request": body,
                }
            )
        return result

    def _judge_cs(self, request: Request, body: Any, recipient: str) -> JSONResponse:
        with self.lock:
            injected = self.failures.take()
        if injected is not None:
            return JSONResponse({"error": -1, "message": "Internal Server Error"}, status_code=injected)
        token_error = self._check_access_token(request)
        if token_error is not None:
            return _error(token_error)
        with self.lock:
            allowed = self.limiter.allow(self.config.app_id)
            remaining = self.limiter.remaining(self.config.app_id)
        headers = {
            "X-RateLimit-Limit": str(self.limiter.limit),
            "X-RateLimit-Remain": str(remaining),
        }
        if not allowed:
            with self.lock:
                self.rate_limited_calls += 1
            return _error(-32, headers=headers)
        if not isinstance(body, dict) or not recipient:
            return _error(-201, "recipient", headers)
        message = body.get("message")
        if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
            return _error(-201, "message", headers)
        text = message.get("text", "")
        if not isinstance(text, str):
            return _error(-201, "text", headers)
        if len(text) > self.config.text_limit:
            return _error(-210, headers=headers)
        attachment = message.get("attachment")
        if attachment is not None:
            buttons = (attachment.get("payload") or {}).get("buttons")
            if buttons is not None:
                if not isinstance(buttons, list) or not 1 <= len(buttons) <= self.config.max_buttons:
                    return _error(-201, "buttons", headers)
                for button in buttons:
                    title = button.get("title", "") if isinstance(button, dict) else ""
                    if not title or len(title) > self.config.button_title_limit:
                        return _error(-201, "title", headers)
        with self.lock:
            user = self.users.get(recipient)
            if user is None or not user.followed:
                return _error(-213, headers=headers)
            if user.restricted:
                return _error(-244, headers=headers)
            age_ms = _now_ms() - user.last_interaction_ms
        if age_ms > self.config.interaction_window_days * 86_400_000:
            return _error(-230, headers=headers)
        quota_type = "reply" if age_ms <= self.config.free_window_hours * 3_600_000 else "sub_quota"
        message_id = secrets.token_hex(10)
        sent_time = str(_now_ms())
        self.record_received(
            recipient,
            {
                "message_id": message_id,
                "message": message,
                "quota_type": quota_type,
                "sent_time": sent_time,
                "at": time.time(),
            },
        )
        return JSONResponse(
            {
                "data": {
                    "quota": {"quota_type": quota_type, "remain": "8", "total": "8"},
                    "message_id": message_id,
                    "user_id": recipient,
                    "sent_time": sent_time,
                },
                "error": 0,
                "message": "Success",
            },
            headers=headers,
        )

    async def _access_token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if request.headers.get("secret_key") != self.config.app_secret:
            return JSONResponse(
                {"error": -14002, "error_name": "Invalid secret key", "error_reason": "secret_key"}
            )
        if form.get("app_id") != self.config.app_id:
            return JSONResponse({"error": -14001, "error_name": "Invalid app_id", "error_reason": ""})
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": -14003, "error_name": "Unsupported grant_type", "error_reason": ""})
        refresh = str(form.get("refresh_token", ""))
        with self.lock:
            valid = refresh in self.tokens.refresh
            if valid:
                self.tokens.refresh.discard(refresh)  # single use
        if not valid:
            return JSONResponse(
                {
                    "error": -14014,
                    "error_name": "Invalid refresh_token",
                    "error_reason": "refresh_token is invalid, used or expired",
                }
            )
        access, new_refresh = self.issue_tokens()
        with self.lock:
            self.tokens.refreshes += 1
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": new_refresh,
                "expires_in": str(self.config.access_token_lifetime_seconds),
            }
        )

    async def _send_zns(self, request: Request) -> JSONResponse:
        token_error = self._check_access_token(request)
        if token_error is not None:
            return _error(token_error)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(-201, "body")
        phone = str(body.get("phone", ""))
        if not _PHONE.match(phone):
            return _error(-108)
        if body.get("template_id") not in self.config.zns_templates:
            return _error(-109)
        with self.lock:
            if self.zns_sent_today >= self.config.zns_daily_quota:
                return _error(-115)
            self.zns_sent_today += 1
            remaining = self.config.zns_daily_quota - self.zns_sent_today
        msg_id = secrets.token_hex(10)
        sent_time = str(_now_ms())
        self.record_received(
            phone,
            {"message_id": msg_id, "message": body, "quota_type": "zns", "sent_time": sent_time},
        )
        if self.webhook_url:
            event = {
                "app_id": self.config.app_id,
                "event_name": "user_received_message",
                "timestamp": str(_now_ms()),
                "sender": {"id": self.config.oa_id},
                "recipient": {"id": phone},
                "message": {
                    "msg_id": msg_id,
                    "delivery_time": sent_time,
                    "tracking_id": str(body.get("tracking_id", "")),
                },
            }
            task = asyncio.get_running_loop().create_task(self.deliver(event))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return JSONResponse(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": msg_id,
                    "sent_time": sent_time,
                    "quota": {
                        "dailyQuota": str(self.config.zns_daily_quota),
                        "remainingQuota": str(remaining),
                    },
                },
            }
        )

    # --- control routes -------------------------------------------------------------------

    async def _sim_inbox(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": self.received(request.path_params["user_id"])})

    async def _sim_user_text(self, request: Request) -> JSONResponse:
        body = await request.json()
        delivery = await self.send_user_text(
            request.path_params["user_id"], str(body["text"]), body.get("msg_id")
        )
        return JSONResponse({"statuses": delivery.statuses, "ack_seconds": delivery.ack_seconds})

    async def _sim_fail_next(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.fail_next(int(body.get("count", 1)), int(body.get("http_status", 503)))
        return JSONResponse({"ok": True})

    async def _sim_expire(self, _: Request) -> JSONResponse:
        self.expire_access_tokens()
        return JSONResponse({"ok": True})

    async def _sim_register_users(self, request: Request) -> JSONResponse:
        body = await request.json()
        users = [str(user) for user in body.get("user_ids", [])]
        self.register_users(users, float(body.get("hours_ago", 0.0)), bool(body.get("followed", True)))
        return JSONResponse({"registered": len(users)})

    async def _sim_rate_limit(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.set_rate_limit(int(body["calls"]), float(body.get("window_seconds", 60.0)))
        return JSONResponse({"ok": True})

    async def _sim_delivery_counts(self, _: Request) -> JSONResponse:
        return JSONResponse({"data": self.delivery_counts()})


def main() -> None:
    """Runs the simulator as a process, configured like the bot (.env values):
    ``python -m tests.platforms.fake_zalo --port 9101``."""
    parser = argparse.ArgumentParser(description="Simulated Zalo OA platform (loopback)")
    parser.add_argument("--port", type=int, default=9101)
    parser.add_argument("--webhook-url", default="http://127.0.0.1:5005/webhooks/zalo/webhook")
    args = parser.parse_args()
    defaults = ZaloSimConfig()
    config = ZaloSimConfig(
        app_id=os.environ.get("ZALO_APP_ID") or defaults.app_id,
        oa_secret_key=os.environ.get("ZALO_OA_SECRET_KEY") or defaults.oa_secret_key,
        app_secret=os.environ.get("ZALO_APP_SECRET") or defaults.app_secret,
    )
    fake = FakeZalo(config, webhook_url=args.webhook_url)
    fake.register_tokens(
        os.environ.get("ZALO_ACCESS_TOKEN") or "sim-zalo-access-token",
        os.environ.get("ZALO_REFRESH_TOKEN") or "sim-zalo-refresh-token",
    )
    import uvicorn

    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
