"""Shared webhook machinery of our Rasa input channels (Zalo, Messenger).

Lives here: ``PlatformInput``, the Rasa ``InputChannel`` base both connectors extend. It answers
503 while the channel is not configured (and records nothing), refuses unverified or malformed
webhooks before anything is stored, acknowledges verified ones at once and processes them in a
background task, deduplicates by event id in the state store (so a redelivery is handled once,
also across restarts), replays events acknowledged but never processed when the server starts,
answers stickers/images with a polite "text only" notice and prunes old state periodically.
Must not know platform payloads or signatures: subclasses parse and verify.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ClassVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.delivery import HttpClientSource, RetryPolicy
from bot.channels.inbound import EventKind, InboundEvent
from bot.channels.settings import ChannelSettings
from bot.channels.state_store import (
    EVENT_ABANDONED,
    EVENT_DONE,
    EVENT_FAILED,
    ChannelStateStore,
)

__all__ = ["TEXT_ONLY_NOTICE", "PlatformInput", "WebhookRefused"]

logger = logging.getLogger(__name__)

# NOTE: reply to stickers, images, voice and files, which the bot cannot read.
TEXT_ONLY_NOTICE = (
    "Dạ, hiện em chỉ đọc được tin nhắn chữ thôi ạ. Anh/chị vui lòng gõ câu hỏi bằng chữ để em hỗ trợ nhé."
)
MAINTENANCE_INTERVAL_SECONDS = 600.0

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class WebhookRefused(Exception):
    """A webhook request that must not be processed; carries the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PlatformInput(InputChannel):
    """Base of our platform connectors: verified, acknowledged at once, processed once.

    Subclasses set ``platform`` and implement ``parse_request`` and ``reply_channel``; they may
    add routes, a pre-dialogue step (typing indicator) and periodic maintenance.
    """

    platform: ClassVar[str] = ""

    def __init__(self, missing_settings: list[str], settings: ChannelSettings) -> None:
        self.settings = settings
        self.enabled = not missing_settings
        self.store: ChannelStateStore | None = None
        self.http = HttpClientSource(settings.http_timeout_seconds)
        self.policy = RetryPolicy(
            max_attempts=settings.send_max_attempts,
            base_seconds=settings.retry_base_seconds,
            max_seconds=settings.retry_max_seconds,
            rate_limit_floor_seconds=min(1.0, settings.retry_max_seconds),
        )
        self._on_new_message: OnNewMessage | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._maintenance: asyncio.Task[None] | None = None
        if self.enabled:
            self.store = ChannelStateStore(settings.state_db_path)
        else:
            logger.warning(
                "The %s channel is disabled: %s not set in credentials.yml / environment.",
                self.platform,
                ", ".join(missing_settings),
            )

    @classmethod
    def name(cls) -> str:
        """Channel name: URL prefix ``/webhooks/<name>`` and ``output_channel`` value."""
        return cls.platform

    # --- hooks for subclasses -------------------------------------------------------------

    def parse_request(self, request: Request) -> list[InboundEvent]:
        """Verifies and parses a webhook request.

        Args:
            request: The incoming POST.

        Returns:
            The events it carries.

        Raises:
            WebhookRefused: For a missing/forged/stale signature (401/403) or an unknown
                shape (400).
        """
        raise NotImplementedError

    def reply_channel(self) -> OutputChannel:
        """Returns the output channel that answers a user's message."""
        raise NotImplementedError

    def add_routes(self, blueprint: Blueprint) -> None:
        """Adds platform-specific routes (e.g. Messenger's GET verification).

        Args:
            blueprint: The channel's blueprint.
        """

    async def before_dialogue(self, event: InboundEvent) -> None:
        """Runs before a message goes to Rasa (e.g. a typing indicator).

        Args:
            event: The event about to be handled.
        """

    async def maintain(self) -> None:
        """Periodic platform upkeep (e.g. refreshing a token before it expires)."""

    # --- Rasa API -------------------------------------------------------------------------

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Builds the Sanic blueprint: ``GET /`` health and ``POST /webhook``.

        Args:
            on_new_message: Rasa's handler for user messages.

        Returns:
            The blueprint.
        """
        self._on_new_message = on_new_message
        blueprint = Blueprint(f"{self.platform}_webhook", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "channel": self.platform, "enabled": self.enabled})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self._receive(request)

        @blueprint.listener("after_server_start")
        async def start_background_work(app: Any, _: Any) -> None:
            await self._on_server_start(app)

        @blueprint.listener("before_server_stop")
        async def stop_background_work(_: Any, __: Any) -> None:
            await self._on_server_stop()

        self.add_routes(blueprint)
        return blueprint

    # --- receiving ------------------------------------------------------------------------

    def disabled_response(self) -> HTTPResponse:
        """Answer of every webhook route while the channel is not configured.

        Returns:
            A 503 JSON error.
        """
        return response.json(
            {"error": f"The {self.platform} channel is not configured on this server."}, status=503
        )

    async def _receive(self, request: Request) -> HTTPResponse:
        if not self.enabled or self.store is None:
            return self.disabled_response()
        try:
            events = self.parse_request(request)
        except WebhookRefused as refusal:
            logger.warning("Refused a %s webhook (%d): %s", self.platform, refusal.status, refusal.reason)
            return response.json({"error": refusal.reason}, status=refusal.status)
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            # Not acknowledged: the platform redelivers once a model is loaded.
            return response.json({"error": "The bot is not ready yet."}, status=503)
        accepted = [
            event
            for event in events
            if event.kind is not EventKind.IGNORED
            and self.store.claim_event(self.platform, event.event_id, event.to_json())
        ]
        if accepted:
            self._spawn(self._process_events(accepted))
        return response.json({"status": "ok", "accepted": len(accepted)})

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process_events(self, events: list[InboundEvent]) -> None:
        for event in events:
            await self._handle_event(event)

    async def _handle_event(self, event: InboundEvent) -> None:
        assert self.store is not None
        status = EVENT_DONE
        try:
            if event.sender_id and event.kind is not EventKind.UNFOLLOW:
                self.store.record_inbound(self.platform, event.sender_id, event.timestamp_ms / 1000)
            if event.kind is EventKind.UNSUPPORTED:
                await self.reply_channel().send_text_message(event.sender_id, TEXT_ONLY_NOTICE)
            elif event.kind is EventKind.UNFOLLOW:
                logger.info("%s user %s unfollowed", self.platform, event.sender_id)
            elif self._on_new_message is not None:
                await self.before_dialogue(event)
                await self._on_new_message(
                    UserMessage(
                        text=event.text,
                        output_channel=self.reply_channel(),
                        sender_id=event.sender_id,
                        input_channel=self.name(),
                        message_id=event.event_id,
                        metadata=event.metadata,
                    )
                )
        except Exception:
            logger.exception("Handling %s event %s failed", self.platform, event.event_id)
            status = EVENT_FAILED
        self.store.mark_event(self.platform, event.event_id, status)

    # --- lifecycle ------------------------------------------------------------------------

    async def _on_server_start(self, app: Any) -> None:
        if not self.enabled or self.store is None:
            return
        agent = getattr(app.ctx, "agent", None)
        if agent is not None and agent.is_ready():
            self._replay_pending_events()
        self._maintenance = asyncio.get_running_loop().create_task(self._maintain_forever())

    def _replay_pending_events(self) -> None:
        assert self.store is not None
        cutoff = time.time() - self.settings.replay_max_age_minutes * 60
        replay: list[InboundEvent] = []
        for pending in self.store.list_pending_events(self.platform):
            if pending.received_at < cutoff:
                logger.error(
                    "%s event %s was acknowledged but never processed and is too old to replay",
                    self.platform,
                    pending.event_id,
                )
                self.store.mark_event(self.platform, pending.event_id, EVENT_ABANDONED)
            else:
                replay.append(InboundEvent.from_json(pending.payload))
        if replay:
            logger.warning("Replaying %d unprocessed %s event(s)", len(replay), self.platform)
            self._spawn(self._process_events(replay))

    async def _maintain_forever(self) -> None:
        while True:
            try:
                if self.store is not None:
                    ttl = self.settings.seen_event_ttl_hours * 3600
                    self.store.prune_seen_events(time.time() - ttl)
                await self.maintain()
            except Exception:
                logger.exception("Periodic %s channel upkeep failed", self.platform)
            await asyncio.sleep(MAINTENANCE_INTERVAL_SECONDS)

    async def _on_server_stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
            self._maintenance = None
        await self.http.aclose()
