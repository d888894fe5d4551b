"""Database engine and sessions (SQLAlchemy 2).

Lives here: the engine built from settings, the session factory and the ``session_scope``
helper. Must not define tables (see app/models/) nor create them: Alembic does that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from backend.app.core.config import settings


def build_engine(url: str) -> Engine:
    """Creates an engine; SQLite gets its folder created and foreign keys enforced.

    Args:
        url: The SQLAlchemy database URL.

    Returns:
        The engine.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):  # type: ignore[no-untyped-def]
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


engine = build_engine(settings.database_url)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """Yields a session in a transaction: committed on success, rolled back on error."""
    with SessionLocal() as session, session.begin():
        yield session
