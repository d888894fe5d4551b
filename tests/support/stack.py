"""Starting the whole stack (backend, action server, Rasa) on free loopback ports.

Used by the end-to-end tests and the benchmarks. Runs the real programs with the documented
test values of .env.example; never mocks anything.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

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
    """URLs, settings and processes of the running stack."""

    rasa_url: str
    backend_url: str
    actions_url: str
    database_url: str
    service_token: str
    env: dict[str, str]
    processes: dict[str, ManagedProcess] = field(default_factory=dict)

    @property
    def rest_webhook(self) -> str:
        """The REST channel's webhook URL."""
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def restart(self, *names: str) -> None:
        """Stops the named processes (all at once, as a crash would), then starts them again.

        Args:
            names: Keys of ``processes``: "rasa", "actions", "backend".
        """
        for name in names:
            self.processes[name].stop()
        for name in names:
            self.processes[name].start()
        ready = {
            "backend": (f"{self.backend_url}/healthz", 60),
            "actions": (f"{self.actions_url}/health", 60),
            "rasa": (f"{self.rasa_url}/status", 240),
        }
        for name in names:
            url, timeout = ready[name]
            self.processes[name].wait_until(http_ok(url), timeout=timeout)

    def say(self, sender: str, text: str) -> list[dict]:
        """Sends one message over the REST channel and returns the bot's replies."""
        reply = httpx.post(self.rest_webhook, json={"sender": sender, "message": text}, timeout=30)
        reply.raise_for_status()
        return reply.json()


def prepare_sqlite_wal(path: Path) -> None:
    """Creates a SQLite file in WAL mode (persistent in the file) before Rasa opens it.

    Rasa's SQL tracker store and event broker commit once per event; in WAL mode a commit is a
    single append and the backend's poller can read while Rasa writes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603
        [str(BACKEND_VENV / "bin" / "alembic"), "-c", "backend/alembic.ini", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def running_stack(
    workdir: Path, database_url: str | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """Starts backend, action server and Rasa; yields the stack; stops everything.

    Args:
        workdir: A folder for databases and logs.
        database_url: The backend database (default: a SQLite file in ``workdir``).
        extra_env: Variables that override the test values (e.g. simulator URLs).

    Yields:
        The running stack.
    """
    model = newest_model()
    if model is None:
        raise RuntimeError("no trained model in models/: run `make train` (the test command does)")
    ports = {name: free_port() for name in ("rasa", "actions", "backend")}
    database_url = database_url or f"sqlite:///{workdir / 'backend.sqlite3'}"
    env = {
        **os.environ,
        **read_env_example(),
        "PYTHONPATH": str(REPO_ROOT),
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "RASA_PUBLIC_URL": f"http://127.0.0.1:{ports['rasa']}",
        "BACKEND_URL": f"http://127.0.0.1:{ports['backend']}",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "RASA_TRACKER_DB": str(workdir / "tracker.sqlite3"),
        "RASA_EVENTS_DB": str(workdir / "events.sqlite3"),
        "ACTIONS_OUTBOX_DB": str(workdir / "outbox.sqlite3"),
        "CHANNEL_STATE_DB": str(workdir / "channel_state.sqlite3"),
        "SANIC_HOST": "127.0.0.1",
        **(extra_env or {}),
    }
    _migrate(env)
    for name in ("RASA_TRACKER_DB", "RASA_EVENTS_DB"):
        prepare_sqlite_wal(Path(env[name]))
    logs = workdir / "logs"
    backend = ManagedProcess(
        "backend",
        [
            str(BACKEND_VENV / "bin" / "uvicorn"),
            "backend.app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["backend"]),
        ],
        env,
        logs / "backend.log",
    ).start()
    actions = ManagedProcess(
        "action server",
        [
            str(RASA_VENV / "bin" / "python"),
            "-m",
            "rasa_sdk",
            "--actions",
            "actions",
            "--port",
            str(ports["actions"]),
        ],
        env,
        logs / "actions.log",
    ).start()
    rasa = ManagedProcess(
        "rasa",
        [
            str(RASA_VENV / "bin" / "rasa"),
            "run",
            "--enable-api",
            "-i",
            "127.0.0.1",
            "-p",
            str(ports["rasa"]),
            "--model",
            str(model),
            "--endpoints",
            env.get("RASA_ENDPOINTS") or "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--cors",
            "*",
        ],
        env,
        logs / "rasa.log",
    ).start()
    processes = {"rasa": rasa, "actions": actions, "backend": backend}
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
            processes=processes,
        )
    finally:
        for process in processes.values():
            process.stop()
