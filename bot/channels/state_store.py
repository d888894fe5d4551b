"""Durable channel state in one SQLite file, shared by the Zalo and Messenger connectors.

Lives here: the table definitions and small synchronous accessors for
- ``seen_events``: webhook events already accepted (deduplication across redeliveries and
  restarts, plus the payload of events acknowledged but not yet processed, for replay);
- ``oauth_tokens``: the current Zalo access/refresh token pair (refresh tokens are single use,
  so the newest one must survive a restart);
- ``delivery_failures``: sends that failed for good (the backend reads this table);
- ``last_inbound``: when each user last wrote to us (messaging windows, push pre-filtering).
Must not talk to the network and must not know platform payload shapes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ChannelStateStore",
    "DeliveryFailure",
    "PendingEvent",
    "StoredToken",
]

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS seen_events (
        platform TEXT NOT NULL,
        event_id TEXT NOT NULL,
        status TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (platform, event_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ix_seen_events_status ON seen_events (status, received_at)",
    """
    CREATE TABLE IF NOT EXISTS oauth_tokens (
        platform TEXT PRIMARY KEY,
        access_token TEXT NOT NULL,
        refresh_token TEXT NOT NULL,
        expires_at REAL,
        seed_fingerprint TEXT NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS delivery_failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        platform TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        error_code TEXT NOT NULL,
        error_subcode TEXT,
        message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        payload TEXT,
        created_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS last_inbound (
        platform TEXT NOT NULL,
        user_id TEXT NOT NULL,
        last_inbound_at REAL NOT NULL,
        PRIMARY KEY (platform, user_id)
    )
    """,
)

EVENT_RECEIVED = "received"
"""Accepted and acknowledged, not processed yet (replayed at start-up if still so)."""
EVENT_DONE = "done"
"""Handed to the dialogue engine (or answered directly) without error."""
EVENT_FAILED = "failed"
"""Processing raised; logged, never replayed."""
EVENT_ABANDONED = "abandoned"
"""Still unprocessed when it became too old to replay at start-up."""


@dataclass(frozen=True)
class StoredToken:
    """An OAuth token pair as persisted; ``expires_at`` is epoch seconds or None if unknown."""

    access_token: str
    refresh_token: str
    expires_at: float | None
    seed_fingerprint: str


@dataclass(frozen=True)
class DeliveryFailure:
    """A message the platform refused for good, or that still failed after every retry."""

    platform: str
    recipient_id: str
    error_code: str
    message: str
    attempts: int
    error_subcode: str | None = None
    payload: dict[str, Any] | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class PendingEvent:
    """An accepted webhook event whose processing has not finished."""

    platform: str
    event_id: str
    payload: dict[str, Any]
    received_at: float


class ChannelStateStore:
    """Thread-safe access to the channel state file; every write is committed at once.

    The file and its parent folder are created on first use. Several connectors (and several
    processes on one host) may open the same file: SQLite's locking keeps each statement atomic.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            self.path, timeout=10, isolation_level=None, check_same_thread=False
        )
        with self._cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            for statement in _SCHEMA:
                cursor.execute(statement)

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                yield cursor
            finally:
                cursor.close()

    def close(self) -> None:
        """Closes the database connection."""
        with self._lock:
            self._connection.close()

    # --- webhook events -------------------------------------------------------------------

    def claim_event(
        self, platform: str, event_id: str, payload: dict[str, Any], now: float | None = None
    ) -> bool:
        """Records an event as accepted unless it was seen before.

        Args:
            platform: "zalo" or "messenger".
            event_id: The platform's id for the event (message id, or a derived key).
            payload: What is needed to process the event again after a crash (JSON-able).
            now: Epoch seconds; the current time when omitted.

        Returns:
            True when the event is new and the caller must process it, False for a duplicate.
        """
        at = time.time() if now is None else now
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT OR IGNORE INTO seen_events"
                " (platform, event_id, status, payload, received_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (platform, event_id, EVENT_RECEIVED, json.dumps(payload), at, at),
            )
            return cursor.rowcount == 1

    def mark_event(self, platform: str, event_id: str, status: str) -> None:
        """Sets the processing status of an accepted event.

        Args:
            platform: "zalo" or "messenger".
            event_id: The event id given to ``claim_event``.
            status: One of ``EVENT_DONE``, ``EVENT_FAILED``, ``EVENT_ABANDONED``.
        """
        with self._cursor() as cursor:
            cursor.execute(
                "UPDATE seen_events SET status = ?, updated_at = ? WHERE platform = ? AND event_id = ?",
                (status, time.time(), platform, event_id),
            )

    def read_event_status(self, platform: str, event_id: str) -> str | None:
        """Reads the status of an event.

        Args:
            platform: "zalo" or "messenger".
            event_id: The event id.

        Returns:
            The status, or None when the event was never accepted (or was pruned).
        """
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT status FROM seen_events WHERE platform = ? AND event_id = ?",
                (platform, event_id),
            ).fetchone()
        return None if row is None else str(row[0])

    def list_pending_events(self, platform: str) -> list[PendingEvent]:
        """Lists accepted events of one platform that were never processed, oldest first.

        Args:
            platform: "zalo" or "messenger".

        Returns:
            The pending events.
        """
        with self._cursor() as cursor:
            rows = cursor.execute(
                "SELECT event_id, payload, received_at FROM seen_events"
                " WHERE platform = ? AND status = ? ORDER BY received_at",
                (platform, EVENT_RECEIVED),
            ).fetchall()
        return [
            PendingEvent(platform=platform, event_id=row[0], payload=json.loads(row[1]), received_at=row[2])
            for row in rows
        ]

    def prune_seen_events(self, older_than: float) -> int:
        """Forgets finished events received before a given time.

        Args:
            older_than: Epoch seconds; finished events received earlier are deleted.

        Returns:
            How many rows were deleted.
        """
        with self._cursor() as cursor:
            cursor.execute(
                "DELETE FROM seen_events WHERE received_at < ? AND status != ?",
                (older_than, EVENT_RECEIVED),
            )
            return cursor.rowcount

    # --- tokens ---------------------------------------------------------------------------

    def read_token(self, platform: str) -> StoredToken | None:
        """Reads the persisted token pair of a platform.

        Args:
            platform: "zalo".

        Returns:
            The token pair, or None when none was saved yet.
        """
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT access_token, refresh_token, expires_at, seed_fingerprint"
                " FROM oauth_tokens WHERE platform = ?",
                (platform,),
            ).fetchone()
        if row is None:
            return None
        return StoredToken(
            access_token=row[0], refresh_token=row[1], expires_at=row[2], seed_fingerprint=row[3]
        )

    def save_token(self, platform: str, token: StoredToken) -> None:
        """Persists a token pair, replacing the previous one.

        Args:
            platform: "zalo".
            token: The pair to keep.
        """
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO oauth_tokens"
                " (platform, access_token, refresh_token, expires_at, seed_fingerprint, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (platform) DO UPDATE SET access_token = excluded.access_token,"
                " refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,"
                " seed_fingerprint = excluded.seed_fingerprint, updated_at = excluded.updated_at",
                (
                    platform,
                    token.access_token,
                    token.refresh_token,
                    token.expires_at,
                    token.seed_fingerprint,
                    time.time(),
                ),
            )

    # --- delivery failures ----------------------------------------------------------------

    def record_delivery_failure(self, failure: DeliveryFailure) -> None:
        """Appends a permanent delivery failure.

        Args:
            failure: What failed; ``created_at`` 0 means now.
        """
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO delivery_failures (platform, recipient_id, error_code, error_subcode,"
                " message, attempts, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    failure.platform,
                    failure.recipient_id,
                    failure.error_code,
                    failure.error_subcode,
                    failure.message,
                    failure.attempts,
                    None if failure.payload is None else json.dumps(failure.payload, ensure_ascii=False),
                    failure.created_at or time.time(),
                ),
            )

    def list_delivery_failures(self, platform: str | None = None) -> list[DeliveryFailure]:
        """Lists recorded delivery failures, oldest first.

        Args:
            platform: Only this platform's failures when given.

        Returns:
            The failures.
        """
        query = (
            "SELECT platform, recipient_id, error_code, error_subcode, message, attempts, payload,"
            " created_at FROM delivery_failures"
        )
        params: tuple[str, ...] = ()
        if platform is not None:
            query += " WHERE platform = ?"
            params = (platform,)
        with self._cursor() as cursor:
            rows = cursor.execute(query + " ORDER BY id", params).fetchall()
        return [
            DeliveryFailure(
                platform=row[0],
                recipient_id=row[1],
                error_code=row[2],
                error_subcode=row[3],
                message=row[4],
                attempts=row[5],
                payload=None if row[6] is None else json.loads(row[6]),
                created_at=row[7],
            )
            for row in rows
        ]

    # --- last inbound ---------------------------------------------------------------------

    def record_inbound(self, platform: str, user_id: str, at: float) -> None:
        """Remembers when a user last wrote to us (keeps the latest time).

        Args:
            platform: "zalo" or "messenger".
            user_id: Platform user id (Zalo user id or Messenger PSID).
            at: Epoch seconds of the user's event.
        """
        with self._cursor() as cursor:
            cursor.execute(
                "INSERT INTO last_inbound (platform, user_id, last_inbound_at) VALUES (?, ?, ?)"
                " ON CONFLICT (platform, user_id) DO UPDATE SET last_inbound_at ="
                " MAX(last_inbound_at, excluded.last_inbound_at)",
                (platform, user_id, at),
            )

    def read_last_inbound(self, platform: str, user_id: str) -> float | None:
        """Reads when a user last wrote to us.

        Args:
            platform: "zalo" or "messenger".
            user_id: Platform user id.

        Returns:
            Epoch seconds, or None when the user never wrote.
        """
        with self._cursor() as cursor:
            row = cursor.execute(
                "SELECT last_inbound_at FROM last_inbound WHERE platform = ? AND user_id = ?",
                (platform, user_id),
            ).fetchone()
        return None if row is None else float(row[0])
