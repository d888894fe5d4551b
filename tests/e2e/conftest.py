"""The whole stack for end-to-end tests, started once per test session.

TEST_DATABASE_URL (set by the test command to the loopback PostgreSQL) chooses the backend
database; without it a SQLite file is used. Tests talk to the stack over HTTP only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.stack import Stack, running_stack

__all__ = ["Stack", "csrf_of"]

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Starts backend, action server and Rasa once; yields their URLs; stops them."""
    workdir = tmp_path_factory.mktemp("stack")
    with running_stack(workdir, database_url=os.environ.get("TEST_DATABASE_URL") or None) as stack:
        yield stack


def csrf_of(page: str) -> str:
    """Returns the CSRF token of a form page."""
    found = _CSRF_FIELD.search(page)
    assert found is not None, "no CSRF field in the page"
    return found.group(1)


@pytest.fixture()
def admin(stack: Stack) -> Iterator[httpx.Client]:
    """An HTTP client logged in through the form as the .env.example admin."""
    with httpx.Client(base_url=stack.backend_url, timeout=15, follow_redirects=True) as client:
        token = csrf_of(client.get("/login").text)
        reply = client.post(
            "/login",
            data={
                "email": stack.env["ADMIN_EMAIL"],
                "password": stack.env["ADMIN_PASSWORD"],
                "csrf_token": token,
            },
        )
        assert reply.status_code == 200 and str(reply.url).endswith("/admin"), reply.status_code
        yield client
