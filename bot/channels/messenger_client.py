"""Messenger Send API client.

Lives here: ``MessengerCredentials`` (from credentials.yml) and ``MessengerClient``: messages with
a chosen ``messaging_type`` (RESPONSE for replies, UPDATE for pushes inside the 24 h window,
MESSAGE_TAG with a tag) sent with retries, and best-effort sender actions (typing indicator).
Permanent failures are logged and recorded in ``delivery_failures``. The page token goes in
the ``Authorization`` header, never in the URL (URLs end up in logs).
Must not import Rasa and must not decide what to say.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.channels.delivery import (
    HttpClientSource,
    Outcome,
    RetryPolicy,
    SendResult,
    Verdict,
    classify_messenger_response,
    deliver_with_retries,
)
from bot.channels.state_store import ChannelStateStore, DeliveryFailure

__all__ = ["MessengerClient", "MessengerCredentials"]

logger = logging.getLogger(__name__)

PLATFORM = "messenger"
DEFAULT_API_BASE = "https://graph.facebook.com/v25.0"
MESSAGES_PATH = "/me/messages"


@dataclass(frozen=True)
class MessengerCredentials:
    """Messenger settings from credentials.yml (empty strings when not configured)."""

    app_secret: str = ""
    verify_token: str = ""
    page_access_token: str = ""
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> MessengerCredentials:
        """Reads the credentials.yml section of the channel.

        Args:
            values: The mapping under ``bot.channels.messenger.MessengerInput`` (may be None).

        Returns:
            The credentials, stripped; an empty base URL falls back to the Graph API host.
        """
        data = {key: str(value or "").strip() for key, value in (values or {}).items()}
        return cls(
            app_secret=data.get("app_secret", ""),
            verify_token=data.get("verify_token", ""),
            page_access_token=data.get("page_access_token", ""),
            api_base=(data.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
        )

    def missing_for_webhook(self) -> list[str]:
        """Names the settings without which the channel stays disabled.

        Returns:
            The missing setting names (empty when the channel can run).
        """
        required = {
            "app_secret": self.app_secret,
            "verify_token": self.verify_token,
            "page_access_token": self.page_access_token,
        }
        return [name for name, value in required.items() if not value]

    def answers_verification(self, mode: str | None, token: str | None) -> bool:
        """Tells whether a GET verification request may get its challenge back.

        Args:
            mode: ``hub.mode`` (must be ``subscribe``).
            token: ``hub.verify_token`` (compared in constant time).

        Returns:
            True only for a subscribe request carrying our verify token.
        """
        if mode != "subscribe" or not token or not self.verify_token:
            return False
        return hmac.compare_digest(token.encode("utf-8"), self.verify_token.encode("utf-8"))


class MessengerClient:
    """Sends through the Send API; never raises for platform errors (they are recorded)."""

    def __init__(
        self,
        credentials: MessengerCredentials,
        store: ChannelStateStore,
        policy: RetryPolicy,
        http: HttpClientSource,
    ) -> None:
        self._credentials = credentials
        self._store = store
        self._policy = policy
        self._http = http

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._credentials.page_access_token}"}

    async def send_message(
        self,
        recipient_id: str,
        message: Mapping[str, Any],
        messaging_type: str = "RESPONSE",
        tag: str | None = None,
    ) -> SendResult:
        """Sends one ``message`` object to a PSID.

        Args:
            recipient_id: The page-scoped user id.
            message: The ``message`` object (text / quick replies / attachment).
            messaging_type: RESPONSE, UPDATE or MESSAGE_TAG.
            tag: The message tag when ``messaging_type`` is MESSAGE_TAG.

        Returns:
            The result; a failure has already been logged and recorded.
        """
        body: dict[str, Any] = {
            "recipient": {"id": recipient_id},
            "messaging_type": messaging_type,
            "message": dict(message),
        }
        if tag:
            body["tag"] = tag

        async def attempt_once() -> Outcome:
            response = await self._http().post(
                self._credentials.api_base + MESSAGES_PATH, headers=self._headers(), json=body
            )
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            return classify_messenger_response(response.status_code, parsed, response.headers)

        outcome, attempts = await deliver_with_retries(attempt_once, self._policy)
        if outcome.verdict is Verdict.DELIVERED:
            return SendResult(True, outcome.message, "", attempts)
        if outcome.error_code == "190":
            logger.critical("Messenger page access token is invalid or expired: issue a new one.")
        logger.error(
            "Messenger send to %s failed for good after %d attempt(s): %s/%s %s",
            recipient_id,
            attempts,
            outcome.error_code,
            outcome.error_subcode,
            outcome.message,
        )
        self._store.record_delivery_failure(
            DeliveryFailure(
                platform=PLATFORM,
                recipient_id=recipient_id,
                error_code=outcome.error_code,
                error_subcode=outcome.error_subcode,
                message=outcome.message,
                attempts=attempts,
                payload=body,
            )
        )
        return SendResult(False, "", outcome.error_code, attempts)

    async def send_sender_action(self, recipient_id: str, action: str) -> bool:
        """Sends a sender action (``typing_on``, ``typing_off``, ``mark_seen``) once.

        A failed indicator is only logged: it must never delay or block the reply.

        Args:
            recipient_id: The page-scoped user id.
            action: The sender action.

        Returns:
            True when the platform accepted it.
        """
        body = {"recipient": {"id": recipient_id}, "sender_action": action}
        try:
            response = await self._http().post(
                self._credentials.api_base + MESSAGES_PATH, headers=self._headers(), json=body
            )
        except httpx.TransportError as error:
            logger.info("Messenger sender action %s not sent: %s", action, error)
            return False
        if response.status_code >= 300:
            logger.info("Messenger sender action %s refused: %s", action, response.text[:200])
            return False
        return True
