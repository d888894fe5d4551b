"""The poller that copies Rasa's SQL event broker rows into the conversation log.

Reads rows of the broker's ``events`` table with an id above the cursor stored in the backend
database and ingests them in the same backend transaction that moves the cursor, so every
event is applied once and in order, across restarts. Runs as a background task of the app
(see api/routes/events.py) or alone: ``python -m backend.app.workers.event_poller``.
Must not interpret events itself (services/event_ingest.py does).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.app.core.config import settings
from backend.app.core.db import SessionLocal
from backend.app.services.event_ingest import EventRow, ingest_event_rows, read_cursor

logger = logging.getLogger(__name__)
SOURCE = "rasa_sql_broker"


class EventPoller:
    """Reads a Rasa SQL event broker database; each ``poll_once`` is one backend transaction."""

    def __init__(
        self,
        events_db: str,
        *,
        session_factory: sessionmaker[Session] = SessionLocal,
        batch_size: int = 500,
    ) -> None:
        self.events_db = events_db
        self.session_factory = session_factory
        self.batch_size = batch_size
        self._engine: Engine | None = None

    def _events_engine(self) -> Engine | None:
        if self._engine is None:
            if not Path(self.events_db).exists():
                return None  # Rasa has not published anything yet
            self._engine = create_engine(f"sqlite:///{self.events_db}", connect_args={"timeout": 30})
        return self._engine

    def _read_rows(self, after_id: int) -> list[EventRow]:
        engine = self._events_engine()
        if engine is None:
            return []
        with engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return []
            result = connection.execute(
                text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id LIMIT :n"),
                {"after": after_id, "n": self.batch_size},
            )
            return [EventRow(id=row.id, sender_id=row.sender_id, data=row.data) for row in result]

    def poll_once(self) -> int:
        """Ingests the next batch of new rows.

        Returns:
            How many rows were applied (0 when there was nothing new).
        """
        with self.session_factory() as session, session.begin():
            cursor = read_cursor(session, SOURCE, for_update=True)
            rows = self._read_rows(cursor.last_event_id)
            if not rows:
                return 0
            return ingest_event_rows(session, source=SOURCE, rows=rows)

    def drain(self) -> int:
        """Polls until no new rows are left.

        Returns:
            How many rows were applied in total.
        """
        total = 0
        while applied := self.poll_once():
            total += applied
        return total

    def close(self) -> None:
        """Releases the connection to the broker database."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


async def run_poller(poller: EventPoller, interval_seconds: float, stop: asyncio.Event) -> None:
    """Polls until ``stop`` is set; errors are logged and retried on the next tick.

    Args:
        poller: The poller.
        interval_seconds: Pause between polls when nothing was new.
        stop: Set it to end the loop.
    """
    while not stop.is_set():
        applied = 0
        try:
            applied = await asyncio.to_thread(poller.poll_once)
        except OperationalError as error:  # busy database, file being created: try again
            logger.warning("event poll failed, retrying: %s", error)
        except Exception:  # noqa: BLE001 - the poller must outlive a bad batch; the row stays
            logger.exception("event poll failed, retrying")
        if applied:
            continue
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except TimeoutError:
            pass


def main(argv: list[str] | None = None) -> int:
    """Runs the poller in the foreground (``--once`` drains and exits).

    Args:
        argv: Command-line arguments.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(description="Copy Rasa's SQL event broker rows into the backend.")
    parser.add_argument("--events-db", default=settings.rasa_events_db)
    parser.add_argument("--once", action="store_true", help="ingest what is there, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if not args.events_db:
        parser.error("set RASA_EVENTS_DB or pass --events-db")
    poller = EventPoller(args.events_db, batch_size=settings.event_poll_batch_size)
    try:
        if args.once:
            logger.info("ingested %d events", poller.drain())
            return 0
        stop = asyncio.Event()
        try:
            asyncio.run(run_poller(poller, settings.event_poll_interval_seconds, stop))
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        poller.close()


if __name__ == "__main__":
    raise SystemExit(main())
