"""Browser fixtures: a real backend (uvicorn, free loopback port, migrated temp SQLite with a
known admin) and a headless Chromium page (Debian's /usr/bin/chromium, never downloaded).

Skips when Chromium or Playwright is absent. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import BACKEND_VENV, REPO_ROOT, ManagedProcess, free_port, http_ok

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
ADMIN_EMAIL = "admin@congdoan.local"
ADMIN_PASSWORD = "mat-khau-trinh-duyet-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveBackend:
    """The running backend."""

    url: str
    database_url: str
    admin_email: str
    admin_password: str


@pytest.fixture(scope="session")
def live_backend() -> Iterator[LiveBackend]:
    """Starts uvicorn on a free port against a fresh migrated SQLite DB with a bootstrap admin."""
    workdir = Path(tempfile.mkdtemp(prefix="tlcd-browser-"))
    database_url = f"sqlite:///{workdir / 'backend.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "DATABASE_URL": database_url,
        "APP_ENV": "test",
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "RASA_URL": "http://127.0.0.1:9",
        "PYTHONPATH": str(REPO_ROOT),
    }
    env.pop("RASA_EVENTS_DB", None)
    subprocess.run(
        [
            str(BACKEND_VENV / "bin" / "python"),
            "-m",
            "alembic",
            "-c",
            "backend/alembic.ini",
            "upgrade",
            "head",
        ],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    process = ManagedProcess(
        name="backend",
        args=[
            str(BACKEND_VENV / "bin" / "python"),
            "-m",
            "uvicorn",
            "backend.app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        log_path=workdir / "backend.log",
    ).start()
    try:
        process.wait_until(http_ok(f"http://127.0.0.1:{port}/login"), timeout=60)
        yield LiveBackend(f"http://127.0.0.1:{port}", database_url, ADMIN_EMAIL, ADMIN_PASSWORD)
    finally:
        process.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """A headless Debian Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        # the test command installs it; only a bare local run may lack it
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (scripts/test.sh installs it)")
        pytest.skip("Debian's chromium is not installed")
    from playwright import sync_api
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page, Vietnamese locale."""
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 800})
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """var/screenshots/, created."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
