"""Facebook Messenger connector for Rasa: ``bot.channels.messenger.MessengerInput`` (``messenger``).

Lives here: the input channel (GET verification handshake; POST verified with
``X-Hub-Signature-256`` over the raw body, every entry and messaging item of a batch handled,
echoes/deliveries/reads/standby dropped) and the output channel (quick replies, button
templates, split text, images, typing indicator). Replies go out as ``RESPONSE``; the sender
returned by ``get_output_channel()`` (trigger_intent pushes) uses ``UPDATE``.
Must not hold payload parsing, signature maths or retry logic (sibling modules do).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.inbound import InboundEvent, MalformedEvent, parse_messenger_payload
from bot.channels.messenger_client import MessengerClient, MessengerCredentials
from bot.channels.rendering import render_messenger_messages
from bot.channels.settings import ChannelSettings, read_channel_settings
from bot.channels.signatures import verify_messenger_signature
from bot.channels.webhook_input import PlatformInput, WebhookRefused

__all__ = ["MessengerInput", "MessengerOutput"]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


class MessengerOutput(OutputChannel):
    """Sends Rasa replies to a Messenger user with a fixed messaging type.

    Every part of a reply is sent in order; after a permanent failure the rest of that reply is
    not attempted (it would fail the same way), and the failure is already recorded.
    """

    def __init__(self, client: MessengerClient, messaging_type: str = "RESPONSE") -> None:
        self._client = client
        self._messaging_type = messaging_type

    @classmethod
    def name(cls) -> str:
        """Channel name, equal to the input channel's."""
        return "messenger"

    async def _send_all(
        self, recipient_id: str, messages: list[dict[str, Any]], tag: str | None = None
    ) -> None:
        messaging_type = "MESSAGE_TAG" if tag else self._messaging_type
        for message in messages:
            result = await self._client.send_message(recipient_id, message, messaging_type, tag)
            if not result.delivered:
                return

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends text, split at 2000 characters on sentence boundaries."""
        await self._send_all(recipient_id, render_messenger_messages(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends text with quick replies (≤ 13) or button templates (links, or more choices)."""
        await self._send_all(recipient_id, render_messenger_messages(text, buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Sends quick replies (same rendering as buttons)."""
        await self._send_all(recipient_id, render_messenger_messages(text, quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Sends an image by URL."""
        message = {"attachment": {"type": "image", "payload": {"url": image, "is_reusable": True}}}
        await self._send_all(recipient_id, [message])

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        """Sends a custom payload: a ``message`` object, or ``{"message": {...}, "tag": ...}``."""
        message = json_message.get("message", json_message)
        tag = json_message.get("tag") if "message" in json_message else None
        if isinstance(message, Mapping):
            await self._send_all(recipient_id, [dict(message)], tag=str(tag) if tag else None)
        else:
            logger.error(
                "Custom Messenger payload ignored, not an object: %s",
                json.dumps(json_message)[:200],
            )


class MessengerInput(PlatformInput):
    """Messenger webhook; disabled (503) while app_secret, verify_token or page token is empty."""

    platform = "messenger"

    def __init__(self, credentials: MessengerCredentials, settings: ChannelSettings) -> None:
        super().__init__(credentials.missing_for_webhook(), settings)
        self.credentials = credentials
        self.client: MessengerClient | None = None
        if self.store is not None:
            self.client = MessengerClient(credentials, self.store, self.policy, self.http)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> MessengerInput:
        """Builds the channel from its credentials.yml section (empty values disable it).

        Args:
            credentials: The section, or None.

        Returns:
            The channel.
        """
        return cls(MessengerCredentials.from_mapping(credentials), read_channel_settings())

    def add_routes(self, blueprint: Blueprint) -> None:
        """Adds ``GET /webhook``: Meta's subscription handshake.

        Args:
            blueprint: The channel's blueprint.
        """

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.enabled:
                return self.disabled_response()
            mode = request.args.get("hub.mode")
            token = request.args.get("hub.verify_token")
            challenge = request.args.get("hub.challenge")
            if challenge and self.credentials.answers_verification(mode, token):
                return response.text(challenge)
            logger.warning("Refused a Messenger verification request (mode=%s)", mode)
            return response.json({"error": "verification failed"}, status=403)

    def parse_request(self, request: Request) -> list[InboundEvent]:
        """Verifies ``X-Hub-Signature-256`` over the raw body, then parses every item.

        Args:
            request: The incoming POST.

        Returns:
            The events of all entries and messaging items.

        Raises:
            WebhookRefused: 401 without signature, 403 for a wrong one, 400 for a body that is
                not JSON or not of a documented shape.
        """
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise WebhookRefused(401, "missing X-Hub-Signature-256")
        raw_body = request.body or b""
        if not verify_messenger_signature(header, raw_body, self.credentials.app_secret):
            raise WebhookRefused(403, "invalid X-Hub-Signature-256")
        try:
            payload = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError) as error:
            raise WebhookRefused(400, "body is not JSON") from error
        try:
            return parse_messenger_payload(payload)
        except MalformedEvent as error:
            raise WebhookRefused(400, f"unknown event shape: {error}") from error

    def reply_channel(self) -> OutputChannel:
        """Returns the sender for replies (messaging type RESPONSE)."""
        assert self.client is not None
        return MessengerOutput(self.client, "RESPONSE")

    def get_output_channel(self) -> OutputChannel | None:
        """Returns a sender holding the page token, for ``trigger_intent`` pushes (UPDATE).

        Returns:
            The sender, or None while the channel is disabled.
        """
        if self.client is None:
            logger.warning("trigger_intent asked for the messenger channel, which is disabled")
            return None
        return MessengerOutput(self.client, "UPDATE")

    async def before_dialogue(self, event: InboundEvent) -> None:
        """Shows the typing indicator while Rasa works on the message."""
        if self.client is not None:
            await self.client.send_sender_action(event.sender_id, "typing_on")
