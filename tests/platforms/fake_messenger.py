"""A simulated Facebook Messenger platform on loopback, written from
/work/shared/platforms/messenger.md.

Lives here: ``FakeMessenger``, an ASGI app (Starlette) plus a Python API for tests. As Meta:
- it performs the GET verification handshake against the bot (§1) and signs every webhook
  with ``X-Hub-Signature-256`` (and the legacy SHA-1 header) over the exact bytes, escaping
  non-ASCII as ``\\uXXXX`` like Meta; it can batch several messaging items in one POST; it
  retries a non-2xx or a timeout (5 s) on the ladder 0 s, 30 s, 5 min (§2);
- ``POST /{version}/me/messages`` (or ``/{page_id}/messages``) checks the page token (190),
  the PSID (100/2018001), the 24 h window (10/2018278; HUMAN_AGENT tag: 7 days), text ≤ 2000,
  quick replies ≤ 13 (titles cut after 20 characters), button templates of 1–3 buttons with
  text ≤ 640 (100), sender actions alone, 300 calls/s per page (613), blocked users (551), and
  answers HTTP 400 with ``{"error": {message, type, code, error_subcode, fbtrace_id}}`` (§3–6);
- it echoes every delivered message back as an ``is_echo`` webhook when asked to;
- it can fail the next N sends with a 5xx and records what each user received;
- for push campaigns: users registered in bulk (80,000 at once, each with its own last
  message time), a configurable rate limit (``set_rate_limit(calls, window_seconds)``: 613
  past it), deliveries counted per user so duplicates show (``delivery_counts``/``duplicates``),
  and API call logging that can be turned off for benchmarks (``log_api_calls``).
Run as a process (``python -m tests.platforms.fake_messenger``, see ``main``) it is driven over
HTTP through the ``/_sim/...`` routes.
Must not import the bot's code.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.platforms.loopback import SimulatedPlatform, SlidingWindowLimiter, WebhookDelivery

__all__ = ["FakeMessenger", "MessengerSimConfig"]

SIGN = object()
"""Sentinel for ``deliver(signature=...)``: sign the body correctly."""

_TAGS = frozenset({"ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "HUMAN_AGENT"})
_SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen"})


@dataclass
class MessengerSimConfig:
    """Identity and behaviour of the simulated page (defaults follow messenger.md)."""

    app_id: str = "1234567890123"
    app_secret: str = "sim-messenger-app-secret"
    verify_token: str = "sim-messenger-verify-token"
    page_id: str = "104567890123456"
    page_access_token: str = "sim-page-access-token"
    window_hours: float = 24.0
    human_agent_window_days: float = 7.0
    rate_limit_per_second: int = 300
    text_limit: int = 2_000
    max_quick_replies: int = 13
    quick_reply_title_limit: int = 20
    template_text_limit: int = 640
    max_template_buttons: int = 3
    webhook_timeout_seconds: float = 5.0
    webhook_retry_delays: Sequence[float] = (0.0, 30.0, 300.0)
    send_echoes: bool = False
    log_api_calls: bool = True


@dataclass
class MessengerUser:
    """A person who messaged the page (PSID)."""

    psid: str
    last_message_ms: int = 0
    blocked_page: bool = False


def _now_ms() -> int:
    return int(time.time() * 1000)


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400) -> JSONResponse:
    """Builds a Graph API error answer (messenger.md §6).

    Args:
        code: Error code.
        message: Error message.
        subcode: ``error_subcode`` if any.
        status: HTTP status.

    Returns:
        The response.
    """
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": secrets.token_urlsafe(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


class FakeMessenger(SimulatedPlatform):
    """The simulated Messenger Platform (Graph API host)."""

    def __init__(self, config: MessengerSimConfig | None = None, webhook_url: str | None = None) -> None:
        self.config = config or MessengerSimConfig()
        app = Starlette(
            routes=[
                Route("/{version}/{node}/messages", self._send, methods=["POST"]),
                Route("/{node}/messages", self._send, methods=["POST"]),  # unversioned base
                Route("/_sim/inbox/{psid}", self._sim_inbox, methods=["GET"]),
                Route("/_sim/users/{psid}/text", self._sim_user_text, methods=["POST"]),
                Route("/_sim/fail_next", self._sim_fail_next, methods=["POST"]),
                Route("/_sim/users", self._sim_register_users, methods=["POST"]),
                Route("/_sim/rate_limit", self._sim_rate_limit, methods=["POST"]),
                Route("/_sim/delivery_counts", self._sim_delivery_counts, methods=["GET"]),
            ]
        )
        super().__init__(
            app, webhook_url, self.config.webhook_timeout_seconds, self.config.webhook_retry_delays
        )
        self.users: dict[str, MessengerUser] = {}
        self.sender_actions: dict[str, list[str]] = {}
        self.limiter = SlidingWindowLimiter(self.config.rate_limit_per_second, 1.0)
        self.token_valid = True
        self.rate_limited_calls = 0
        self._background: set[asyncio.Task[Any]] = set()

    # --- Python API: state ----------------------------------------------------------------

    def revoke_page_token(self) -> None:
        """Invalidates the page access token (every send then fails with 190)."""
        with self.lock:
            self.token_valid = False

    def set_rate_limit(self, per_second: int, window_seconds: float = 1.0) -> None:
        """Changes the Send API limit (calls per window per page; Messenger's is 300 per second).

        Args:
            per_second: Calls allowed per window.
            window_seconds: The window's length (1 s by default, as Meta states it).
        """
        with self.lock:
            self.limiter = SlidingWindowLimiter(per_second, window_seconds)

    def register_users(self, psids: Sequence[str], hours_ago: float = 0.0) -> None:
        """Registers many users at once, as if each last wrote ``hours_ago`` hours ago.

        Args:
            psids: The users.
            hours_ago: How long ago they last wrote to the page.
        """
        at = _now_ms() - int(hours_ago * 3_600_000)
        with self.lock:
            for psid in psids:
                self.users[psid] = MessengerUser(psid, last_message_ms=at)

    def delivery_counts(self) -> dict[str, int]:
        """How many messages each user received (a push campaign expects 1).

        Returns:
            Count per PSID, for users who received at least one.
        """
        with self.lock:
            return {psid: len(entries) for psid, entries in self.inbox.items() if entries}

    def duplicates(self) -> dict[str, int]:
        """Users who received more than one message.

        Returns:
            Count per PSID, only above 1.
        """
        return {psid: count for psid, count in self.delivery_counts().items() if count > 1}

    def calls_with_error(self, code: int) -> int:
        """Counts send calls answered with an error code (needs ``log_api_calls``).

        Args:
            code: E.g. 613.

        Returns:
            The count.
        """
        with self.lock:
            return sum(1 for entry in self.api_log if entry.get("error") == code)

    def set_last_message(self, psid: str, hours_ago: float) -> None:
        """Moves a user's last message into the past (to close the 24 h window).

        Args:
            psid: The user.
            hours_ago: How long ago they last wrote.
        """
        with self.lock:
            user = self.users.setdefault(psid, MessengerUser(psid))
            user.last_message_ms = _now_ms() - int(hours_ago * 3_600_000)

    def block_page(self, psid: str) -> None:
        """The user blocks the page (sends then fail with 551).

        Args:
            psid: The user.
        """
        with self.lock:
            self.users.setdefault(psid, MessengerUser(psid)).blocked_page = True

    def received_texts(self, psid: str) -> list[str]:
        """Texts (or template texts) a user received, in order.

        Args:
            psid: The user.

        Returns:
            One string per delivered message.
        """
        texts = []
        for entry in self.received(psid):
            message = entry["message"]
            payload = (message.get("attachment") or {}).get("payload") or {}
            texts.append(str(message.get("text") or payload.get("text") or ""))
        return texts

    # --- Python API: webhooks -------------------------------------------------------------

    def sign(self, body: bytes) -> dict[str, str]:
        """Computes the signature headers Meta sends for a body.

        Args:
            body: Raw body.

        Returns:
            ``X-Hub-Signature-256`` and the legacy ``X-Hub-Signature``.
        """
        secret = self.config.app_secret.encode()
        return {
            "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest(),
        }

    def build_body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Wraps messaging items into a page webhook body (one entry).

        Args:
            items: Messaging items.

        Returns:
            The body.
        """
        return {
            "object": "page",
            "entry": [{"id": self.config.page_id, "time": _now_ms(), "messaging": items}],
        }

    def user_item(self, psid: str, **fields: Any) -> dict[str, Any]:
        """Builds one messaging item from a user to the page.

        Args:
            psid: The user.
            **fields: ``message``, ``postback`` or ``referral``.

        Returns:
            The item.
        """
        return {
            "sender": {"id": psid},
            "recipient": {"id": self.config.page_id},
            "timestamp": _now_ms(),
            **fields,
        }

    async def deliver(
        self, body: dict[str, Any] | bytes, *, signature: Any = SIGN, retry: bool = True
    ) -> WebhookDelivery:
        """Delivers a webhook body to the bot.

        Args:
            body: The body (serialised like Meta: ASCII with ``\\uXXXX`` escapes) or raw bytes.
            signature: ``SIGN`` to sign correctly, None to omit the headers, or a header value
                for ``X-Hub-Signature-256``.
            retry: Follow the retry ladder on failure.

        Returns:
            The delivery record.
        """
        if isinstance(body, bytes):
            raw = body
        else:
            raw = json.dumps(body, separators=(",", ":")).encode("ascii")
            self._touch_senders(body)
        if signature is SIGN:
            headers = self.sign(raw)
        elif signature is None:
            headers = {}
        else:
            headers = {"X-Hub-Signature-256": str(signature)}
        return await self.post_webhook(raw, headers, retry=retry)

    def _touch_senders(self, body: dict[str, Any]) -> None:
        for entry in body.get("entry", []):
            for item in entry.get("messaging", []):
                sender = str(item.get("sender", {}).get("id", ""))
                if sender and sender != self.config.page_id and not item.get("message", {}).get("is_echo"):
                    with self.lock:
                        user = self.users.setdefault(sender, MessengerUser(sender))
                        user.last_message_ms = _now_ms()

    async def send_user_text(self, psid: str, text: str, mid: str | None = None) -> WebhookDelivery:
        """A user writes to the page.

        Args:
            psid: The user.
            text: What they typed.
            mid: Message id; a fresh one when omitted.

        Returns:
            The delivery record.
        """
        message = {"mid": mid or "m_" + secrets.token_urlsafe(24), "text": text}
        return await self.deliver(self.build_body([self.user_item(psid, message=message)]))

    async def send_quick_reply(self, psid: str, title: str, payload: str) -> WebhookDelivery:
        """A user taps a quick reply.

        Args:
            psid: The user.
            title: The quick reply's title (arrives as the text).
            payload: Its payload.

        Returns:
            The delivery record.
        """
        message = {
            "mid": "m_" + secrets.token_urlsafe(24),
            "text": title,
            "quick_reply": {"payload": payload},
        }
        return await self.deliver(self.build_body([self.user_item(psid, message=message)]))

    async def send_postback(
        self, psid: str, title: str, payload: str, ref: str | None = None
    ) -> WebhookDelivery:
        """A user taps a postback button (or Get Started, then with a referral when opened
        from an m.me link with ``?ref=``).

        Args:
            psid: The user.
            title: Button title.
            payload: Button payload.
            ref: Referral of a new thread opened from an m.me link.

        Returns:
            The delivery record.
        """
        postback: dict[str, Any] = {
            "mid": "m_" + secrets.token_urlsafe(24),
            "title": title,
            "payload": payload,
        }
        if ref is not None:
            postback["referral"] = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
        return await self.deliver(self.build_body([self.user_item(psid, postback=postback)]))

    async def send_referral(self, psid: str, ref: str) -> WebhookDelivery:
        """An existing user opens the thread again from an m.me link with ``?ref=``.

        Args:
            psid: The user.
            ref: The ref parameter.

        Returns:
            The delivery record.
        """
        referral = {"ref": ref, "source": "SHORTLINK", "type": "OPEN_THREAD"}
        return await self.deliver(self.build_body([self.user_item(psid, referral=referral)]))

    async def send_attachment(self, psid: str, kind: str = "image") -> WebhookDelivery:
        """A user sends an attachment (image, audio, sticker...).

        Args:
            psid: The user.
            kind: Attachment type.

        Returns:
            The delivery record.
        """
        message: dict[str, Any] = {
            "mid": "m_" + secrets.token_urlsafe(24),
            "attachments": [{"type": kind, "payload": {"url": "https://scontent.example/x.png"}}],
        }
        if kind == "sticker":
            message["attachments"] = [{"type": "image", "payload": {"url": "https://s.example/s"}}]
            message["sticker_id"] = 369239263222822
        return await self.deliver(self.build_body([self.user_item(psid, message=message)]))

    async def verify_webhook(
        self, verify_token: str, mode: str = "subscribe", challenge: str | None = None
    ) -> tuple[int, str, str]:
        """Performs Meta's GET subscription handshake against the bot.

        Args:
            verify_token: The token Meta was configured with.
            mode: ``hub.mode``.
            challenge: The challenge; random when omitted.

        Returns:
            (status, response text, the challenge sent).
        """
        if not self.webhook_url:
            raise RuntimeError("no webhook_url configured")
        sent = challenge or str(secrets.randbelow(10**9))
        params = {"hub.mode": mode, "hub.verify_token": verify_token, "hub.challenge": sent}
        async with httpx.AsyncClient(timeout=self.config.webhook_timeout_seconds) as client:
            response = await client.get(self.webhook_url, params=params)
        return response.status_code, response.text, sent

    # --- API routes -----------------------------------------------------------------------

    def _token_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        token = token or request.query_params.get("access_token", "")
        with self.lock:
            return self.token_valid and hmac.compare_digest(token, self.config.page_access_token)

    async def _send(self, request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        recipient = ""
        if isinstance(body, dict) and isinstance(body.get("recipient"), dict):
            recipient = str(body["recipient"].get("id", ""))
        result = self._judge_send(request, body, recipient)
        is_action = isinstance(body, dict) and "sender_action" in body and result.status_code == 200
        if self.config.log_api_calls and not is_action:
            error = json.loads(bytes(result.body)).get("error") or {}
            self.log_api_call(
                {
                    "endpoint": "messages",
                    "recipient": recipient,
                    "http_status": result.status_code,
                    "error": error.get("code"),
                    "error_subcode": error.get("error_subcode"),
                    "request": body,
                }
            )
        return result

    def _judge_send(self, request: Request, body: Any, recipient: str) -> JSONResponse:
        node = request.path_params["node"]
        if node not in ("me", self.config.page_id):
            return graph_error(100, "(#100) Invalid parameter")
        is_message = not (isinstance(body, dict) and "sender_action" in body)
        with self.lock:
            injected = self.failures.take() if is_message else None
        if injected is not None:
            return graph_error(
                2,
                "An unexpected error has occurred. Please retry your request later.",
                status=injected,
            )
        if not self._token_ok(request):
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        with self.lock:
            allowed = self.limiter.allow(self.config.page_id)
        if not allowed:
            with self.lock:
                self.rate_limited_calls += 1
            return graph_error(613, "Calls to this API have exceeded the rate limit.")
        if not isinstance(body, dict) or not recipient:
            return graph_error(100, "(#100) param recipient must be non-empty.")
        with self.lock:
            user = self.users.get(recipient)
            last_ms = user.last_message_ms if user else 0
            blocked = user.blocked_page if user else False
        if user is None:
            return graph_error(100, "(#100) No matching user found", 2018001)
        if blocked:
            return graph_error(551, "This person isn't available right now.")
        if "sender_action" in body:
            if "message" in body or body["sender_action"] not in _SENDER_ACTIONS:
                return graph_error(100, "(#100) sender_action can only be sent with the recipient")
            with self.lock:
                self.sender_actions.setdefault(recipient, []).append(str(body["sender_action"]))
            return JSONResponse({"recipient_id": recipient})
        window_error = self._check_window(body, last_ms)
        if window_error is not None:
            return window_error
        message = body.get("message")
        if not isinstance(message, dict):
            return graph_error(100, "(#100) param message must be non-empty.")
        delivered, problem = self._shape_message(message)
        if problem:
            return graph_error(100, f"(#100) {problem}")
        message_id = "m_" + secrets.token_urlsafe(32)
        self.record_received(
            recipient,
            {
                "message_id": message_id,
                "message": delivered,
                "messaging_type": body.get("messaging_type"),
                "tag": body.get("tag"),
                "at": time.time(),
            },
        )
        if self.config.send_echoes and self.webhook_url:
            self._echo(recipient, message_id, delivered)
        return JSONResponse({"recipient_id": recipient, "message_id": message_id})

    def _check_window(self, body: dict[str, Any], last_ms: int) -> JSONResponse | None:
        messaging_type = body.get("messaging_type", "RESPONSE")
        age_ms = _now_ms() - last_ms
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return graph_error(100, "(#100) Invalid messaging_type")
        if messaging_type == "MESSAGE_TAG":
            tag = body.get("tag")
            if tag not in _TAGS:
                return graph_error(100, "(#100) Invalid tag")
            if tag == "HUMAN_AGENT" and age_ms > self.config.human_agent_window_days * 86_400_000:
                return graph_error(10, "(#10) This message is sent outside of allowed window.", 2018278)
            return None
        if age_ms > self.config.window_hours * 3_600_000:
            return graph_error(
                10,
                "(#10) This message is sent outside of allowed window. Learn more about the new "
                "policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
                2018278,
            )
        return None

    def _shape_message(self, message: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Validates a message and returns what the user sees (titles cut after 20 chars)."""
        delivered = json.loads(json.dumps(message))
        text = message.get("text")
        attachment = message.get("attachment")
        if text is None and attachment is None:
            return delivered, "Must send either message text or an attachment"
        if text is not None and (not isinstance(text, str) or len(text) > self.config.text_limit):
            limit = self.config.text_limit
            return delivered, f"Length of param message[text] must be at most {limit}"
        quick_replies = message.get("quick_replies")
        if quick_replies is not None:
            if not isinstance(quick_replies, list) or len(quick_replies) > self.config.max_quick_replies:
                return delivered, "param message[quick_replies] must have at most 13 items"
            for index, reply in enumerate(quick_replies):
                if reply.get("content_type") == "text" and not (reply.get("title") and reply.get("payload")):
                    return delivered, "Quick reply title and payload are required"
                title = str(reply.get("title", ""))
                delivered["quick_replies"][index]["title"] = title[: self.config.quick_reply_title_limit]
        if isinstance(attachment, dict) and attachment.get("type") == "template":
            payload = attachment.get("payload") or {}
            if payload.get("template_type") == "button":
                buttons = payload.get("buttons")
                if not isinstance(buttons, list) or not 1 <= len(buttons) <= self.config.max_template_buttons:
                    return (
                        delivered,
                        "param message[attachment][payload][buttons] must have 1-3 items",
                    )
                if len(str(payload.get("text", ""))) > self.config.template_text_limit:
                    return delivered, "param text must be at most 640 characters"
                for index, button in enumerate(buttons):
                    title = str(button.get("title", ""))
                    delivered["attachment"]["payload"]["buttons"][index]["title"] = title[
                        : self.config.quick_reply_title_limit
                    ]
        return delivered, ""

    def _echo(self, psid: str, message_id: str, message: dict[str, Any]) -> None:
        item = {
            "sender": {"id": self.config.page_id},
            "recipient": {"id": psid},
            "timestamp": _now_ms(),
            "message": {
                "is_echo": True,
                "app_id": self.config.app_id,
                "mid": message_id,
                **message,
            },
        }
        task = asyncio.get_running_loop().create_task(self.deliver(self.build_body([item])))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- control routes -------------------------------------------------------------------

    async def _sim_inbox(self, request: Request) -> JSONResponse:
        return JSONResponse({"data": self.received(request.path_params["psid"])})

    async def _sim_user_text(self, request: Request) -> JSONResponse:
        body = await request.json()
        delivery = await self.send_user_text(request.path_params["psid"], str(body["text"]), body.get("mid"))
        return JSONResponse({"statuses": delivery.statuses, "ack_seconds": delivery.ack_seconds})

    async def _sim_fail_next(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.fail_next(int(body.get("count", 1)), int(body.get("http_status", 503)))
        return JSONResponse({"ok": True})

    async def _sim_register_users(self, request: Request) -> JSONResponse:
        body = await request.json()
        users = [str(user) for user in body.get("user_ids", [])]
        self.register_users(users, float(body.get("hours_ago", 0.0)))
        return JSONResponse({"registered": len(users)})

    async def _sim_rate_limit(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.set_rate_limit(int(body["calls"]), float(body.get("window_seconds", 1.0)))
        return JSONResponse({"ok": True})

    async def _sim_delivery_counts(self, _: Request) -> JSONResponse:
        return JSONResponse({"data": self.delivery_counts()})


def main() -> None:
    """Runs the simulator as a process, configured like the bot (.env values):
    ``python -m tests.platforms.fake_messenger --port 9102``."""
    parser = argparse.ArgumentParser(description="Simulated Messenger platform (loopback)")
    parser.add_argument("--port", type=int, default=9102)
    parser.add_argument("--webhook-url", default="http://127.0.0.1:5005/webhooks/messenger/webhook")
    args = parser.parse_args()
    defaults = MessengerSimConfig()
    config = MessengerSimConfig(
        app_secret=os.environ.get("MESSENGER_APP_SECRET") or defaults.app_secret,
        verify_token=os.environ.get("MESSENGER_VERIFY_TOKEN") or defaults.verify_token,
        page_access_token=os.environ.get("MESSENGER_PAGE_ACCESS_TOKEN") or defaults.page_access_token,
    )
    fake = FakeMessenger(config, webhook_url=args.webhook_url)
    import uvicorn

    uvicorn.run(fake.app, host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
