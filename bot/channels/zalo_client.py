"""Zalo OA API client: consultation messages and the access-token lifecycle.

Lives here: ``ZaloCredentials`` (from credentials.yml), ``ZaloTokenManager`` (the token pair in
the state store; proactive refresh before expiry and refresh on -216/-220; single-flight; the
new single-use refresh token is persisted before the new access token is used) and
``ZaloClient`` (POST /v3.0/oa/message/cs with retries; permanent failures are logged and
recorded in ``delivery_failures``). Must not import Rasa (the backend's Python uses it too)
and must not decide what to say.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
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
    classify_zalo_response,
    deliver_with_retries,
)
from bot.channels.state_store import ChannelStateStore, DeliveryFailure, StoredToken

__all__ = ["ZaloClient", "ZaloCredentials", "ZaloTokenManager"]

logger = logging.getLogger(__name__)

PLATFORM = "zalo"
DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
SEND_CS_PATH = "/v3.0/oa/message/cs"
OAUTH_TOKEN_PATH = "/v4/oa/access_token"


@dataclass(frozen=True)
class ZaloCredentials:
    """Zalo settings from credentials.yml (empty strings when not configured).

    The channel is enabled when ``app_id``, ``oa_secret_key`` and ``access_token`` are set;
    refreshing tokens additionally needs ``app_secret`` and ``refresh_token``.
    """

    app_id: str = ""
    oa_secret_key: str = ""
    app_secret: str = ""
    access_token: str = ""
    refresh_token: str = ""
    api_base: str = DEFAULT_API_BASE
    oauth_base: str = DEFAULT_OAUTH_BASE

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> ZaloCredentials:
        """Reads the credentials.yml section of the channel.

        Args:
            values: The mapping under ``bot.channels.zalo.ZaloInput`` (may be None).

        Returns:
            The credentials, stripped; empty base URLs fall back to Zalo's hosts.
        """
        data = {key: str(value or "").strip() for key, value in (values or {}).items()}
        return cls(
            app_id=data.get("app_id", ""),
            oa_secret_key=data.get("oa_secret_key", ""),
            app_secret=data.get("app_secret", ""),
            access_token=data.get("access_token", ""),
            refresh_token=data.get("refresh_token", ""),
            api_base=(data.get("api_base") or DEFAULT_API_BASE).rstrip("/"),
            oauth_base=(data.get("oauth_base") or DEFAULT_OAUTH_BASE).rstrip("/"),
        )

    def missing_for_webhook(self) -> list[str]:
        """Names the settings without which the channel stays disabled.

        Returns:
            The missing setting names (empty when the channel can run).
        """
        required = {
            "app_id": self.app_id,
            "oa_secret_key": self.oa_secret_key,
            "access_token": self.access_token,
        }
        return [name for name, value in required.items() if not value]

    @property
    def can_refresh(self) -> bool:
        """Whether the token can be refreshed (needs the app secret and a refresh token)."""
        return bool(self.app_secret and self.refresh_token)


def _seed_fingerprint(credentials: ZaloCredentials) -> str:
    seed = f"{credentials.access_token}\n{credentials.refresh_token}".encode()
    return hashlib.sha256(seed).hexdigest()[:24]


class ZaloTokenManager:
    """Keeps a usable Zalo access token; the state store holds the only valid refresh token.

    Start-up: the stored pair is used unless credentials.yml now carries a different pair than
    the one first stored (an operator re-authorised the OA), in which case that pair is stored.
    """

    def __init__(
        self,
        credentials: ZaloCredentials,
        store: ChannelStateStore,
        http: HttpClientSource,
        refresh_margin_seconds: int,
    ) -> None:
        self._credentials = credentials
        self._store = store
        self._http = http
        self._margin = refresh_margin_seconds
        self._lock = asyncio.Lock()
        fingerprint = _seed_fingerprint(credentials)
        stored = store.read_token(PLATFORM)
        if stored is None or stored.seed_fingerprint != fingerprint:
            stored = StoredToken(
                access_token=credentials.access_token,
                refresh_token=credentials.refresh_token,
                expires_at=None,
                seed_fingerprint=fingerprint,
            )
            store.save_token(PLATFORM, stored)
        self._token = stored

    @property
    def access_token(self) -> str:
        """The access token currently in use."""
        return self._token.access_token

    def _adopt_newer_stored_token(self) -> None:
        stored = self._store.read_token(PLATFORM)
        if stored is not None and stored != self._token:
            self._token = stored

    def needs_refresh(self, now: float | None = None) -> bool:
        """Tells whether the token is within the refresh margin of its expiry.

        Args:
            now: Epoch seconds; the current time when omitted.

        Returns:
            True when the expiry is known and near (or past).
        """
        at = time.time() if now is None else now
        expires_at = self._token.expires_at
        return expires_at is not None and at >= expires_at - self._margin

    async def usable_token(self) -> str:
        """Returns the access token, refreshing it first when it is about to expire.

        Returns:
            The access token to send with.
        """
        self._adopt_newer_stored_token()
        if self.needs_refresh():
            await self.refresh(self._token.access_token)
        return self._token.access_token

    async def refresh(self, stale_access_token: str) -> bool:
        """Exchanges the refresh token for a new pair, once even if many callers ask at once.

        Args:
            stale_access_token: The token the caller found invalid or near expiry; when another
                caller (or process) already replaced it, nothing is refreshed.

        Returns:
            True when a token other than ``stale_access_token`` is now available.
        """
        async with self._lock:
            self._adopt_newer_stored_token()
            if self._token.access_token != stale_access_token:
                return True
            if not self._credentials.can_refresh or not self._token.refresh_token:
                self._record_refresh_failure("no_refresh_token", "app_secret or refresh_token unset")
                return False
            new_token = await self._request_new_token()
            if new_token is None:
                return False
            # The old refresh token is spent now: persist the new pair before anything else.
            self._store.save_token(PLATFORM, new_token)
            self._token = new_token
            logger.info("Zalo access token refreshed, expires at %s", new_token.expires_at)
            return True

    async def _request_new_token(self) -> StoredToken | None:
        """Calls the OAuth endpoint with the refresh token; failures are recorded."""
        try:
            response = await self._http().post(
                self._credentials.oauth_base + OAUTH_TOKEN_PATH,
                headers={"secret_key": self._credentials.app_secret},
                data={
                    "refresh_token": self._token.refresh_token,
                    "app_id": self._credentials.app_id,
                    "grant_type": "refresh_token",
                },
            )
        except httpx.TransportError as error:
            self._record_refresh_failure("transport", f"{type(error).__name__}: {error}")
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            self._record_refresh_failure(f"http_{response.status_code}", "OAuth answer is not JSON")
            return None
        if not body.get("access_token") or not body.get("refresh_token"):
            # The error shape of this endpoint is undocumented: anything without a token fails.
            code = str(body.get("error", f"http_{response.status_code}"))
            reason = body.get("error_name") or body.get("message") or body.get("error_reason")
            self._record_refresh_failure(code, str(reason or "no token in the OAuth answer"))
            return None
        try:
            lifetime = float(str(body.get("expires_in", "")))
        except ValueError:
            lifetime = 0.0
        return StoredToken(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            expires_at=time.time() + lifetime if lifetime > 0 else None,
            seed_fingerprint=self._token.seed_fingerprint,
        )

    def _record_refresh_failure(self, code: str, reason: str) -> None:
        logger.error("Zalo token refresh failed (%s): %s. Re-authorise the OA.", code, reason)
        self._store.record_delivery_failure(
            DeliveryFailure(
                platform=PLATFORM,
                recipient_id="",
                error_code=f"token_refresh:{code}",
                message=reason,
                attempts=1,
            )
        )


class ZaloClient:
    """Sends consultation messages; never raises for platform errors (they are recorded)."""

    def __init__(
        self,
        credentials: ZaloCredentials,
        store: ChannelStateStore,
        policy: RetryPolicy,
        http: HttpClientSource,
        tokens: ZaloTokenManager,
    ) -> None:
        self._credentials = credentials
        self._store = store
        self._policy = policy
        self._http = http
        self.tokens = tokens

    async def send_message(self, recipient_id: str, message: Mapping[str, Any]) -> SendResult:
        """Sends one ``message`` object to a user through ``/v3.0/oa/message/cs``.

        Args:
            recipient_id: The Zalo user id.
            message: The ``message`` object (text, or text with a button template, or media).

        Returns:
            The result; a failure has already been logged and recorded.
        """
        body = {"recipient": {"user_id": recipient_id}, "message": dict(message)}
        current: dict[str, str] = {}

        async def attempt_once() -> Outcome:
            current["token"] = await self.tokens.usable_token()
            response = await self._http().post(
                self._credentials.api_base + SEND_CS_PATH,
                headers={"access_token": current["token"]},
                json=body,
            )
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            return classify_zalo_response(response.status_code, parsed, response.headers)

        async def refresh_token() -> bool:
            return await self.tokens.refresh(current.get("token", ""))

        outcome, attempts = await deliver_with_retries(attempt_once, self._policy, refresh_token)
        if outcome.verdict is Verdict.DELIVERED:
            return SendResult(True, outcome.message, "", attempts)
        logger.error(
            "Zalo send to %s failed for good after %d attempt(s): %s %s",
            recipient_id,
            attempts,
            outcome.error_code,
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
