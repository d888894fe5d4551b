"""Backend test fixtures: a real database migrated by Alembic, a TestClient, clean rows per test.

DATABASE_URL chooses the database (the test command runs this suite on SQLite and on
PostgreSQL); without it a SQLite file in a temporary folder is used.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{Path(tempfile.mkdtemp(prefix='tlcd-backend-')) / 'test.sqlite3'}"
)
os.environ["APP_ENV"] = "test"
os.environ.setdefault("BACKEND_SERVICE_TOKEN", "test-service-token")
os.environ.setdefault("RASA_URL", "http://127.0.0.1:9")  # nothing listens: Rasa "down"

import pytest  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import delete  # noqa: E402

from backend.app.core.config import REPO_ROOT, settings  # noqa: E402
from backend.app.core.db import SessionLocal  # noqa: E402
from backend.app.main import app  # noqa: E402
from backend.app.models import Base  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> None:
    """Brings the test database to the newest migration once per session."""
    command.upgrade(Config(str(REPO_ROOT / "backend" / "alembic.ini")), "head")


@pytest.fixture(autouse=True)
def clean_rows() -> Iterator[None]:
    """Deletes every row after each test, children first."""
    yield
    with SessionLocal() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """A TestClient speaking to the real app."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture()
def service_headers() -> dict[str, str]:
    """Headers of the action server's ingestion calls."""
    return {"Authorization": f"Bearer {settings.backend_service_token}"}
