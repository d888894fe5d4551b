"""The REST channel (``/webhooks/rest/webhook``) with strict input checks.

Lives here: Rasa's REST channel with the same request and reply shape
(``{"sender", "message"}`` → list of replies), but a malformed body is refused with a 400 and
a JSON error before anything reaches the tracker. Must not change the reply format that the
web chat, tests and tools rely on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

MAX_MESSAGE_CHARS = 4000
MAX_SENDER_CHARS = 128


class RestRequestError(ValueError):
    """A REST webhook body that cannot be accepted; the message says why, in English."""


def parse_rest_body(raw: bytes) -> tuple[str, str, dict[str, Any] | None]:
    """Validates a REST webhook body.

    Args:
        raw: The raw request body.

    Returns:
        The sender id, the message text and the optional metadata mapping.

    Raises:
        RestRequestError: When the body is empty, not JSON, or lacks a usable sender/message.
    """
    if not raw or not raw.strip():
        raise RestRequestError('empty body: send JSON {"sender": ..., "message": ...}')
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise RestRequestError(f"body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise RestRequestError("body must be a JSON object")
    sender = body.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        raise RestRequestError("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS:
        raise RestRequestError(f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        raise RestRequestError("'message' must be a non-empty string")
    if len(message) > MAX_MESSAGE_CHARS:
        raise RestRequestError(f"'message' is longer than {MAX_MESSAGE_CHARS} characters")
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RestRequestError("'metadata' must be a JSON object when given")
    return sender, message, metadata


class ValidatedRestInput(RestInput):
    """Rasa's REST channel, refusing malformed requests with HTTP 400."""

    @classmethod
    def name(cls) -> str:
        """Returns the channel name; kept as ``rest`` so URLs and tools stay the same."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Builds the ``/webhooks/rest`` routes.

        Args:
            on_new_message: Rasa's handler for an incoming user message.

        Returns:
            The Sanic blueprint with ``GET /`` and ``POST /webhook``.
        """
        webhook = Blueprint("validated_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_rest_body(request.body)
            except RestRequestError as error:
                return response.json({"error": str(error)}, status=400)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )
            return response.json(collector.messages)

        return webhook
