"""Calls from the action server to the backend's ingestion API, through a durable outbox.

Lives here: a small SQLite outbox and the HTTP client that drains it. Every call carries an
idempotency key; it is written to the outbox first, then sent, and stays pending (retried on
the next call or by ``flush_outbox``) while the backend is unreachable, so nothing is lost.
Must not import the backend (it runs on another Python) and must not decide what to send.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from actions.settings import get_settings

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    idempotency_key TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    delivered_at REAL,
    rejected_at REAL
)
"""

PERMANENT_REJECTIONS = (400, 404, 410, 413, 422)
"""Backend answers that no retry can change: the call is set aside (kept, with the reason)."""


@dataclass(frozen=True)
class DeliveryReport:
    """What happened to one call: delivered now, or kept pending with the reason."""

    idempotency_key: str
    delivered: bool
    error: str | None = None


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        columns = {row[1] for row in connection.execute("PRAGMA table_info(outbox)")}
        if "rejected_at" not in columns:  # outbox files written before set-aside calls existed
            connection.execute("ALTER TABLE outbox ADD COLUMN rejected_at REAL")
        yield connection
    finally:
        connection.close()


def pending_count(path: Path | None = None) -> int:
    """Counts calls not yet accepted by the backend.

    Args:
        path: The outbox file; defaults to the configured one.

    Returns:
        The number of pending calls.
    """
    with _connect(path or get_settings().outbox_path) as connection:
        row = connection.execute(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND rejected_at IS NULL"
        ).fetchone()
    return int(row[0])


async def _send(client: httpx.AsyncClient, path: str, body: str, key: str) -> tuple[bool, str | None]:
    """Sends one call; returns (permanent, error): error None = delivered."""
    settings = get_settings()
    try:
        reply = await client.post(
            f"{settings.backend_url}{path}",
            content=body,
            headers={
                "Authorization": f"Bearer {settings.service_token}",
                "Idempotency-Key": key,
                "Content-Type": "application/json",
            },
        )
    except httpx.HTTPError as error:
        return False, f"{type(error).__name__}: {error}"
    if reply.status_code in (200, 201, 409):
        return False, None
    return reply.status_code in PERMANENT_REJECTIONS, f"HTTP {reply.status_code}: {reply.text[:200]}"


async def flush_outbox(limit: int = 50) -> int:
    """Sends pending calls, oldest first, stopping at the first failure that may pass.

    A call the backend refuses for good (unknown survey, invalid value: 400/404/410/413/422)
    is set aside with its reason instead of blocking every later call.

    Args:
        limit: At most this many calls in one flush.

    Returns:
        How many calls were delivered.
    """
    settings = get_settings()
    delivered = 0
    with _connect(settings.outbox_path) as connection:
        rows = connection.execute(
            "SELECT idempotency_key, path, body FROM outbox "
            "WHERE delivered_at IS NULL AND rejected_at IS NULL ORDER BY created_at LIMIT ?",
            (limit,),
        ).fetchall()
        async with httpx.AsyncClient(timeout=settings.backend_timeout_seconds) as client:
            for key, path, body in rows:
                permanent, error = await _send(client, path, body, key)
                if error is None:
                    connection.execute(
                        "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                        "last_error = NULL WHERE idempotency_key = ?",
                        (time.time(), key),
                    )
                    delivered += 1
                    continue
                if permanent:
                    connection.execute(
                        "UPDATE outbox SET rejected_at = ?, attempts = attempts + 1, last_error = ? "
                        "WHERE idempotency_key = ?",
                        (time.time(), error, key),
                    )
                    logger.error("backend refused call %s for good, set aside: %s", key, error)
                    continue
                connection.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                    "WHERE idempotency_key = ?",
                    (error, key),
                )
                logger.warning("backend call %s kept pending: %s", key, error)
                break
    return delivered


async def post_to_backend(
    path: str, payload: dict[str, Any], idempotency_key: str
) -> DeliveryReport:
    """Records a call in the outbox, then tries to deliver everything pending.

    Args:
        path: The backend route, e.g. ``/api/ingest/handoffs``.
        payload: The JSON body.
        idempotency_key: A key the backend uses to store the call at most once.

    Returns:
        Whether this call was delivered now (else it stays pending and is retried later).
    """
    settings = get_settings()
    body = json.dumps(payload, ensure_ascii=False, default=str)
    with _connect(settings.outbox_path) as connection:
        connection.execute(
            "INSERT OR IGNORE INTO outbox (idempotency_key, path, body, created_at) "
            "VALUES (?, ?, ?, ?)",
            (idempotency_key, path, body, time.time()),
        )
    await flush_outbox()
    with _connect(settings.outbox_path) as connection:
        row = connection.execute(
            "SELECT delivered_at, last_error FROM outbox WHERE idempotency_key = ?",
            (idempotency_key,),
        ).fetchone()
    delivered = row is not None and row[0] is not None
    return DeliveryReport(
        idempotency_key, delivered, None if delivered else (row[1] if row else None)
    )
