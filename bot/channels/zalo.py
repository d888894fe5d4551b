"""Zalo Official Account connector for Rasa: ``bot.channels.zalo.ZaloInput`` (name ``zalo``).

Lives here: the input channel (``POST /webhooks/zalo/webhook`` verified with
``X-ZEvent-Signature`` = sha256(app_id + raw body + timestamp + OA secret key), zalo.md §2.2)
and the output channel that sends consultation messages with buttons, split text and images.
``get_output_channel()`` returns a sender holding the token manager, for trigger_intent pushes.
Must not hold payload parsing, signature maths or retry logic: those live in the sibling
modules ``inbound``, ``signatures``, ``delivery`` and ``zalo_client``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sanic.request import Request

from bot.channels.inbound import InboundEvent, MalformedEvent, parse_zalo_event
from bot.channels.rendering import render_zalo_messages
from bot.channels.settings import ChannelSettings, read_channel_settings
from bot.channels.signatures import is_zalo_timestamp_fresh, verify_zalo_signature
from bot.channels.webhook_input import PlatformInput, WebhookRefused
from bot.channels.zalo_client import ZaloClient, ZaloCredentials, ZaloTokenManager

__all__ = ["ZaloInput", "ZaloOutput"]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"


class ZaloOutput(OutputChannel):
    """Sends Rasa replies to a Zalo user as consultation messages.

    Every part of a reply is sent in order; after a permanent failure the rest of that reply is
    not attempted (it would fail the same way), and the failure is already recorded.
    """

    def __init__(self, client: ZaloClient) -> None:
        self._client = client

    @classmethod
    def name(cls) -> str:
        """Channel name, equal to the input channel's."""
        return "zalo"

    async def _send_all(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            result = await self._client.send_message(recipient_id, message)
            if not result.delivered:
                return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends text, split at 2000 characters on sentence boundaries."""
        await self._send_all(recipient_id, render_zalo_messages(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends text with buttons as ``oa.query`` button templates (5 per message)."""
        await self._send_all(recipient_id, render_zalo_messages(text, buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends quick replies the same way as buttons (Zalo has no separate kind)."""
        await self._send_all(recipient_id, render_zalo_messages(text, quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Sends an image by URL as a media template."""
        message = {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "media",
                    "elements": [{"media_type": "image", "url": image}],
                },
            }
        }
        await self._send_all(recipient_id, [message])

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Sends a custom payload: a Zalo ``message`` object, or ``{"message": {...}}``."""
        message = json_message.get("message", json_message)
        if isinstance(message, Mapping):
            await self._send_all(recipient_id, [dict(message)])
        else:
            logger.error("Custom Zalo payload ignored, not an object: %s", json.dumps(json_message)[:200])


class ZaloInput(PlatformInput):
    """Zalo OA webhook; disabled (503) while app_id, oa_secret_key or access_token is empty."""

    platform = "zalo"

    def __init__(self, credentials: ZaloCredentials, settings: ChannelSettings) -> None:
        super().__init__(credentials.missing_for_webhook(), settings)
        self.credentials = credentials
        self.client: ZaloClient | None = None
        if self.store is not None:
            if not credentials.can_refresh:
                logger.warning(
                    "Zalo app_secret or refresh_token is empty: the access token cannot be "
                    "refreshed and sending stops when it expires."
                )
            tokens = ZaloTokenManager(
                credentials, self.store, self.http, settings.zalo_token_refresh_margin_seconds
            )
            self.client = ZaloClient(credentials, self.store, self.policy, self.http, tokens)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloInput:
        """Builds the channel from its credentials.yml section (empty values disable it).

        Args:
            credentials: The section, or None.

        Returns:
            The channel.
        """
        return cls(ZaloCredentials.from_mapping(credentials), read_channel_settings())

    def parse_request(self, request: Request) -> list[InboundEvent]:
        """Verifies the Zalo signature and freshness, then parses the event.

        Args:
            request: The incoming POST.

        Returns:
            One event.

        Raises:
            WebhookRefused: 401 without signature, 400 for a body of unknown shape, 403 for a
                wrong app, a wrong mac or a stale timestamp.
        """
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise WebhookRefused(401, "missing X-ZEvent-Signature")
        raw_body = request.body or b""
        try:
            payload = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as error:
            raise WebhookRefused(400, "body is not JSON") from error
        if not isinstance(payload, dict):
            raise WebhookRefused(400, "body is not a JSON object")
        app_id = payload.get("app_id")
        timestamp = payload.get("timestamp")
        if not isinstance(app_id, (str, int)) or not isinstance(timestamp, (str, int)):
            raise WebhookRefused(400, "app_id or timestamp missing")
        if str(app_id) != self.credentials.app_id:
            raise WebhookRefused(403, "event for another app")
        if not verify_zalo_signature(
            header,
            app_id=self.credentials.app_id,
            raw_body=raw_body,
            timestamp=str(timestamp),
            oa_secret_key=self.credentials.oa_secret_key,
        ):
            raise WebhookRefused(403, "invalid X-ZEvent-Signature")
        if not is_zalo_timestamp_fresh(
            str(timestamp),
            now_ms=int(time.time() * 1000),
            max_age_seconds=self.settings.zalo_max_event_age_seconds,
        ):
            raise WebhookRefused(403, "stale or invalid timestamp")
        try:
            return [parse_zalo_event(payload)]
        except MalformedEvent as error:
            raise WebhookRefused(400, f"unknown event shape: {error}") from error

    def reply_channel(self) -> OutputChannel:
        """Returns the sender for replies (the same API as pushes on Zalo)."""
        assert self.client is not None
        return ZaloOutput(self.client)

    def get_output_channel(self) -> OutputChannel | None:
        """Returns a sender holding the credentials, for ``trigger_intent`` pushes.

        Returns:
            The sender, or None while the channel is disabled (Rasa then collects the
            messages in the HTTP response instead).
        """
        if self.client is None:
            logger.warning("trigger_intent asked for the zalo channel, which is disabled")
            return None
        return ZaloOutput(self.client)

    async def maintain(self) -> None:
        """Refreshes the access token ahead of expiry, even when nobody is writing."""
        if self.client is not None and self.credentials.can_refresh:
            await self.client.tokens.usable_token()
