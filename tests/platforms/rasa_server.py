"""Starting a real ``rasa run`` wired to the simulated platforms (tests and benchmarks).

Lives here: finding the project's trained model, writing the credentials.yml the lead ships
(``${VAR}`` placeholders, values through the environment), starting Rasa from the Rasa venv on
a free loopback port, waiting for readiness by polling (never fixed sleeps), reading trackers,
and stopping the process it started. Must not import the bot's code.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.platforms.loopback import find_free_port

__all__ = [
    "CREDENTIALS_YAML",
    "RasaServer",
    "find_model",
    "start_rasa",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
RASA_BIN = REPO_ROOT / ".venv" / "rasa" / "bin" / "rasa"

CREDENTIALS_YAML = """\
rest:
bot.channels.zalo.ZaloInput:
  app_id: ${ZALO_APP_ID}
  oa_secret_key: ${ZALO_OA_SECRET_KEY}
  app_secret: ${ZALO_APP_SECRET}
  access_token: ${ZALO_ACCESS_TOKEN}
  refresh_token: ${ZALO_REFRESH_TOKEN}
  api_base: ${ZALO_API_BASE}
  oauth_base: ${ZALO_OAUTH_BASE}
bot.channels.messenger.MessengerInput:
  app_secret: ${MESSENGER_APP_SECRET}
  verify_token: ${MESSENGER_VERIFY_TOKEN}
  page_access_token: ${MESSENGER_PAGE_ACCESS_TOKEN}
  api_base: ${MESSENGER_API_BASE}
"""
"""The credentials.yml the lead writes (issue 5 brief); the tests use it verbatim."""

CHANNEL_ENV_NAMES = (
    "ZALO_APP_ID",
    "ZALO_OA_SECRET_KEY",
    "ZALO_APP_SECRET",
    "ZALO_ACCESS_TOKEN",
    "ZALO_REFRESH_TOKEN",
    "ZALO_API_BASE",
    "ZALO_OAUTH_BASE",
    "MESSENGER_APP_SECRET",
    "MESSENGER_VERIFY_TOKEN",
    "MESSENGER_PAGE_ACCESS_TOKEN",
    "MESSENGER_API_BASE",
)


def find_model() -> Path | None:
    """Finds the trained model: ``RASA_MODEL_PATH`` or the newest ``models/*.tar.gz``.

    Returns:
        The model file, or None when there is none.
    """
    configured = os.environ.get("RASA_MODEL_PATH", "").strip()
    if configured:
        path = Path(configured)
        return path if path.is_file() else None
    models = sorted((REPO_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


@dataclass
class RasaServer:
    """A running ``rasa run`` process started by ``start_rasa``."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def webhook_url(self, channel: str) -> str:
        """URL of a channel's webhook.

        Args:
            channel: ``zalo`` or ``messenger``.

        Returns:
            The URL.
        """
        return f"{self.base_url}/webhooks/{channel}/webhook"

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """Reads a conversation's tracker through Rasa's HTTP API.

        Args:
            conversation_id: Sender id.

        Returns:
            The tracker JSON.
        """
        response = httpx.get(f"{self.base_url}/conversations/{conversation_id}/tracker", timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def user_events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Lists the user events of a conversation.

        Args:
            conversation_id: Sender id.

        Returns:
            Events of type ``user``.
        """
        return [e for e in self.tracker(conversation_id).get("events", []) if e.get("event") == "user"]

    def log_tail(self, lines: int = 60) -> str:
        """Returns the end of Rasa's log (for failure messages).

        Args:
            lines: How many lines.

        Returns:
            The text.
        """
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Terminates the process (then kills it if it does not exit)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_rasa(
    workdir: Path,
    channel_env: Mapping[str, str],
    *,
    model: Path | None,
    port: int | None = None,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 300.0,
) -> RasaServer:
    """Starts ``rasa run --enable-api`` on loopback with our credentials.yml and waits for it.

    Args:
        workdir: Folder for credentials.yml, endpoints.yml, the log and the channel state DB.
        channel_env: Values of the credential variables (missing ones are exported empty).
        model: Model file; None starts Rasa without a model (webhooks then answer 503).
        port: Port; a free one when omitted.
        extra_env: More environment variables (retry tunables...).
        timeout: Seconds to wait for readiness.

    Returns:
        The running server.

    Raises:
        RuntimeError: When Rasa exits or does not become ready in time (with its log tail).
    """
    port = port or find_free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = workdir / "credentials.yml"
    credentials.write_text(CREDENTIALS_YAML)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text("# In-memory tracker and lock stores: Rasa's defaults.\n{}\n")
    log_path = workdir / f"rasa-{port}.log"
    env = dict(os.environ)
    env.update({name: "" for name in CHANNEL_ENV_NAMES})
    env.update(channel_env)
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")])),
            "CHANNEL_STATE_DB": str(workdir / "channel_state.sqlite3"),
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    env.update(extra_env or {})
    command = [
        str(RASA_BIN),
        "run",
        "--enable-api",
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "--credentials",
        str(credentials),
        "--endpoints",
        str(endpoints),
    ]
    command += ["-m", str(model)] if model else ["-m", str(workdir / "no-model")]
    log_file = log_path.open("wb")
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    server = RasaServer(process, f"http://127.0.0.1:{port}", log_path, env)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"rasa exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.base_url}/status", timeout=2).status_code in (200, 409):
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"rasa not ready after {timeout:.0f}s:\n{server.log_tail()}")
        time.sleep(0.25)
