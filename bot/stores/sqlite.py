"""Rasa's SQL tracker store and SQL event broker on SQLite, without an fsync per event.

Lives here: ``SQLiteTrackerStore`` and ``SQLiteEventBroker``, Rasa's own SQL classes whose
SQLite connections use WAL with ``synchronous=NORMAL``. Rasa commits once per event; in WAL
mode NORMAL keeps every committed event through a crash of Rasa itself and skips the disk
flush per commit (only a power loss can drop the last commits). On these machines this halved
the REST reply time (bench/results/qa.json). On PostgreSQL both behave exactly like Rasa's.
Must not change the tables Rasa writes (the backend's poller reads the broker's).
"""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event
from sqlalchemy.engine import Engine


def _tune_sqlite(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def tune_sqlite_engine(engine: Engine) -> None:
    """Applies the pragmas to every (new) connection of a SQLite engine; others are untouched.

    Args:
        engine: The engine Rasa created.
    """
    if engine.dialect.name == "sqlite":
        engine.dispose()  # connections opened while Rasa created its tables get them too
        event.listen(engine, "connect", _tune_sqlite)


class SQLiteEventBroker(SQLEventBroker):
    """Rasa's SQL event broker (same table, same configuration keys) tuned for SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tune_sqlite_engine(self.engine)


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (same table, same configuration keys) tuned for SQLite."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tune_sqlite_engine(self.engine)
