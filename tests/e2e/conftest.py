"""The whole stack for end-to-end tests, started once per test session.

Starts the backend (migrated first), the action server and a Rasa server with the trained
model, each on a free loopback port, with the documented test values of .env.example, and
stops them at the end. Tests talk to it over HTTP only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.processes import (
    BACKEND_VENV,
    RASA_VENV,
    REPO_ROOT,
    ManagedProcess,
    free_port,
    http_ok,
    newest_model,
    read_env_example,
)


@dataclass(frozen=True)
class Stack:
    """URLs and settings of the running stack."""

    rasa_url: str
    backend_url: str
    actions_url: str
    database_url: str
    service_token: str
    env: dict[str, str]

    @property
    def rest_webhook(self) -> str:
        """The REST channel's webhook URL."""
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def say(self, sender: str, text: str) -> list[dict]:
        """Sends one message over the REST channel and returns the bot's replies."""
        reply = httpx.post(self.rest_webhook, json={"sender": sender, "message": text}, timeout=30)
        reply.raise_for_status()
        return reply.json()


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603
        [str(BACKEND_VENV / "bin" / "alembic"), "-c", "backend/alembic.ini", "upgrade", "head"],
        cwd=REPO_ROOT, env=env, check=True, capture_output=True,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Starts backend, action server and Rasa; yields their URLs; stops them."""
    model = newest_model()
    if model is None:
        pytest.fail("no trained model in models/: run `make train` (the test command does)")
    workdir: Path = tmp_path_factory.mktemp("stack")
    ports = {name: free_port() for name in ("rasa", "actions", "backend")}
    database_url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{workdir / 'backend.sqlite3'}"
    env = {
        **os.environ,
        **read_env_example(),
        "PYTHONPATH": str(REPO_ROOT),
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "BACKEND_URL": f"http://127.0.0.1:{ports['backend']}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "RASA_TRACKER_DB": str(workdir / "tracker.sqlite3"),
        "ACTIONS_OUTBOX_DB": str(workdir / "outbox.sqlite3"),
        "CHANNEL_STATE_DB": str(workdir / "channel_state.sqlite3"),
        "SANIC_HOST": "127.0.0.1",
    }
    _migrate(env)
    logs = workdir / "logs"
    backend = ManagedProcess(
        "backend",
        [str(BACKEND_VENV / "bin" / "uvicorn"), "backend.app.main:app",
         "--host", "127.0.0.1", "--port", str(ports["backend"])],
        env, logs / "backend.log",
    ).start()
    actions = ManagedProcess(
        "action server",
        [str(RASA_VENV / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions",
         "--port", str(ports["actions"])],
        env, logs / "actions.log",
    ).start()
    rasa = ManagedProcess(
        "rasa",
        [str(RASA_VENV / "bin" / "rasa"), "run", "--enable-api", "-i", "127.0.0.1",
         "-p", str(ports["rasa"]), "--model", str(model), "--endpoints", "endpoints.yml",
         "--credentials", "credentials.yml"],
        env, logs / "rasa.log",
    ).start()
    processes = [rasa, actions, backend]
    try:
        backend.wait_until(http_ok(f"{env['BACKEND_URL']}/healthz"), timeout=60)
        actions.wait_until(http_ok(f"http://127.0.0.1:{ports['actions']}/health"), timeout=60)
        rasa.wait_until(http_ok(f"{env['RASA_URL']}/status"), timeout=240)
        yield Stack(
            rasa_url=env["RASA_URL"],
            backend_url=env["BACKEND_URL"],
            actions_url=f"http://127.0.0.1:{ports['actions']}",
            database_url=database_url,
            service_token=env["BACKEND_SERVICE_TOKEN"],
            env=env,
        )
    finally:
        for process in processes:
            process.stop()
