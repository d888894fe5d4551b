"""The whole stack for end-to-end tests, started once per test session.

TEST_DATABASE_URL (set by the test command to the loopback PostgreSQL) chooses the backend
database; without it a SQLite file is used. Tests talk to the stack over HTTP only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.stack import Stack, running_stack

__all__ = ["Stack"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Starts backend, action server and Rasa once; yields their URLs; stops them."""
    workdir = tmp_path_factory.mktemp("stack")
    with running_stack(workdir, database_url=os.environ.get("TEST_DATABASE_URL") or None) as stack:
        yield stack
