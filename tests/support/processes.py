"""Starting real servers for tests: free loopback ports, subprocesses, readiness by polling.

Stdlib and httpx only, so both venvs can import it. Never mocks anything: it runs the real
programs and waits for them to answer.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
RASA_VENV = REPO_ROOT / ".venv" / "rasa"
BACKEND_VENV = REPO_ROOT / ".venv" / "backend"


def free_port() -> int:
    """Returns a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_env_example() -> dict[str, str]:
    """Returns the variables of .env.example (the documented test values)."""
    values: dict[str, str] = {}
    for line in (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value
    return values


@dataclass
class ManagedProcess:
    """A subprocess with its log file; stopped by ``stop``."""

    name: str
    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        """Starts the process with its output going to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument lists
            self.args, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def stop(self, timeout: float = 20) -> None:
        """Terminates the process (kills it after ``timeout`` seconds)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=timeout)

    def log_tail(self, lines: int = 40) -> str:
        """Returns the end of the log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        """Polls ``ready`` until it returns True.

        Raises:
            RuntimeError: When the process exits or the timeout passes, with the log's tail.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if ready():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log_tail()}")


def http_ok(url: str) -> Callable[[], bool]:
    """Returns a readiness check: GET ``url`` answers 200."""

    def check() -> bool:
        return httpx.get(url, timeout=2).status_code == 200

    return check


def newest_model() -> Path | None:
    """Returns the newest trained model in models/, or the one named by RASA_MODEL_PATH."""
    named = os.environ.get("RASA_MODEL_PATH")
    if named:
        return Path(named)
    models = sorted((REPO_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None
