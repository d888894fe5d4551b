"""Rasa's SQL tracker store and SQL event broker on SQLite, tuned for one reply's latency.

Lives here: ``SQLiteTrackerStore`` and ``SQLiteEventBroker``, Rasa's own SQL classes with
three changes that only apply to SQLite (on PostgreSQL both behave exactly like Rasa's):
- WAL with ``synchronous=NORMAL``: every committed event survives a crash of Rasa itself
  without a disk flush per commit (only a power loss can drop the last commits);
- a pool that keeps connections open (SQLAlchemy 1.4 opens a new SQLite connection per
  session otherwise, and sets the pragmas each time);
- the events of one turn go to the broker in one transaction instead of one per event.
On these machines they brought a FAQ reply from ~140 ms to ~60 ms p50 (bench/results/qa.json).
Must not change the tables Rasa writes (the backend's poller reads the broker's).
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool


def _tune_sqlite(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def pooled_sqlite_engine(engine: Engine) -> Engine:
    """Returns a tuned, pooled engine for a SQLite URL; other engines are returned unchanged.

    Args:
        engine: The engine Rasa created.

    Returns:
        The engine to use instead.
    """
    if engine.dialect.name != "sqlite":
        return engine
    engine.dispose()
    tuned = create_engine(
        engine.url,
        poolclass=QueuePool,
        pool_size=2,
        max_overflow=4,
        connect_args={"check_same_thread": False, "timeout": 30},
    )
    event.listen(tuned, "connect", _tune_sqlite)
    return tuned


class SQLiteEventBroker(SQLEventBroker):
    """Rasa's SQL event broker (same table, same configuration keys) tuned for SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = pooled_sqlite_engine(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def publish_many(self, events: list[dict[str, Any]]) -> None:
        """Writes several events in one transaction, in order (one row each, as ``publish``).

        Args:
            events: Event bodies with their ``sender_id``.
        """
        with self.session_scope() as session:
            session.add_all(
                [self.SQLBrokerEvent(sender_id=body.get("sender_id"), data=json.dumps(body)) for body in events]
            )
            session.commit()


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (same table, same configuration keys) tuned for SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine = pooled_sqlite_engine(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        """Publishes a turn's new events in one go when the broker can (else one by one)."""
        if not isinstance(event_broker, SQLiteEventBroker):
            await super()._stream_new_events(event_broker, new_events, sender_id)
            return
        bodies = [{"sender_id": sender_id, **item.as_dict()} for item in new_events]
        if bodies:
            event_broker.publish_many(bodies)
