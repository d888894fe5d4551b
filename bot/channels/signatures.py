"""Webhook signatures of Zalo OA and Messenger: computing and checking them.

Lives here: pure functions over raw request bytes (zalo.md §2.2, messenger.md §2). Every check
uses a constant-time comparison. Must not parse payloads beyond what a signature needs and must
not re-serialise JSON (the signature covers the exact bytes received).
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = [
    "compute_messenger_signature",
    "compute_zalo_signature",
    "is_zalo_timestamp_fresh",
    "verify_messenger_signature",
    "verify_zalo_signature",
]

_ZALO_HEADER = re.compile(r"^\s*(?:mac\s*=\s*)?([0-9a-fA-F]{64})\s*$", re.IGNORECASE)
_MESSENGER_HEADER = re.compile(r"^\s*sha256=([0-9a-fA-F]{64})\s*$", re.IGNORECASE)
_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000


def compute_zalo_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Computes Zalo's event mac: ``sha256_hex(app_id + raw_body + timestamp + oa_secret_key)``.

    It is a plain SHA-256 of the concatenation, not an HMAC (zalo.md §2.2).

    Args:
        app_id: The app id (the body's ``app_id``).
        raw_body: The request body exactly as sent.
        timestamp: The body's ``timestamp`` field, as a string of milliseconds.
        oa_secret_key: The OA secret key set in the app's webhook settings.

    Returns:
        64 lowercase hex characters.
    """
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(raw_body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def verify_zalo_signature(
    header_value: str | None, *, app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str
) -> bool:
    """Checks an ``X-ZEvent-Signature`` header value.

    Accepts ``mac=<hex>`` or a bare ``<hex>``, any letter case (the contract in zalo.md §2.2).

    Args:
        header_value: The header as received, or None when absent.
        app_id: Our configured app id.
        raw_body: The request body exactly as received.
        timestamp: The body's ``timestamp`` field.
        oa_secret_key: Our configured OA secret key.

    Returns:
        True only when the header carries the expected mac.
    """
    if not header_value or not oa_secret_key:
        return False
    match = _ZALO_HEADER.match(header_value)
    if match is None:
        return False
    expected = compute_zalo_signature(app_id, raw_body, timestamp, oa_secret_key)
    return hmac.compare_digest(match.group(1).lower(), expected)


def is_zalo_timestamp_fresh(timestamp: str, *, now_ms: int, max_age_seconds: int) -> bool:
    """Tells whether a signed Zalo event time is recent enough to accept (anti-replay).

    Args:
        timestamp: The body's ``timestamp`` field (milliseconds as a string).
        now_ms: The current time in epoch milliseconds.
        max_age_seconds: Oldest accepted age; events up to 5 minutes in the future are also
            accepted (clock skew).

    Returns:
        False for a stale, far-future or non-numeric timestamp.
    """
    if not timestamp.isdigit():
        return False
    age_ms = now_ms - int(timestamp)
    return -_MAX_FUTURE_SKEW_MS <= age_ms <= max_age_seconds * 1000


def compute_messenger_signature(raw_body: bytes, app_secret: str) -> str:
    """Computes the ``X-Hub-Signature-256`` value Meta sends: ``sha256=<hex HMAC>``.

    Args:
        raw_body: The request body exactly as sent.
        app_secret: The Meta app secret.

    Returns:
        The header value.
    """
    mac = hmac.new(app_secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify_messenger_signature(header_value: str | None, raw_body: bytes, app_secret: str) -> bool:
    """Checks an ``X-Hub-Signature-256`` header value against the raw body.

    The legacy SHA-1 ``X-Hub-Signature`` header is never consulted.

    Args:
        header_value: The header as received, or None when absent.
        raw_body: The request body exactly as received.
        app_secret: Our configured Meta app secret.

    Returns:
        True only when the header carries the expected HMAC-SHA256.
    """
    if not header_value or not app_secret:
        return False
    match = _MESSENGER_HEADER.match(header_value)
    if match is None:
        return False
    expected = compute_messenger_signature(raw_body, app_secret)[len("sha256=") :]
    return hmac.compare_digest(match.group(1).lower(), expected)
