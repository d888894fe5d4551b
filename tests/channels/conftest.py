"""Fixtures of the channel tests.

Unit tests (``test_*_unit.py``) need nothing from here and run in the Rasa venv. End-to-end
tests (``test_*_e2e.py``) run in the backend venv: they get the simulated platforms and ONE
real ``rasa run`` per test session (started lazily by the first test that asks for it, skipped
with a reason when no trained model exists). Must not import the simulators at module level:
the Rasa venv has no Starlette.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.platforms.credentials import simulator_env

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

if TYPE_CHECKING:
    from tests.platforms.fake_messenger import FakeMessenger
    from tests.platforms.fake_zalo import FakeZalo
    from tests.platforms.rasa_server import RasaServer


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (Rasa's and uvicorn's loop)."""
    return "asyncio"


@dataclass
class ChannelStack:
    """The session's simulators and the Rasa server wired to them."""

    zalo: FakeZalo
    messenger: FakeMessenger
    rasa: RasaServer
    state_db: Path

    def failures(self, platform: str | None = None) -> list[dict[str, Any]]:
        """Reads the ``delivery_failures`` table the connectors write.

        Args:
            platform: Only this platform's rows when given.

        Returns:
            Rows as dicts.
        """
        import sqlite3

        with sqlite3.connect(self.state_db) as connection:
            connection.row_factory = sqlite3.Row
            query = "SELECT * FROM delivery_failures"
            params: tuple[str, ...] = ()
            if platform:
                query += " WHERE platform = ?"
                params = (platform,)
            return [dict(row) for row in connection.execute(query + " ORDER BY id", params)]


FAST_RETRIES = {
    "CHANNEL_RETRY_BASE_SECONDS": "0.05",
    "CHANNEL_RETRY_MAX_SECONDS": "0.4",
    "CHANNEL_SEND_MAX_ATTEMPTS": "4",
}
"""Retry tunables for tests: same logic as production, shorter pauses."""


@pytest.fixture(scope="session")
def channel_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChannelStack]:
    """Starts both simulators and one real Rasa server for the whole session."""
    pytest.importorskip("uvicorn", reason="e2e tests run in the backend venv")
    from tests.platforms.fake_messenger import FakeMessenger, MessengerSimConfig
    from tests.platforms.fake_zalo import FakeZalo, ZaloSimConfig
    from tests.platforms.loopback import find_free_port
    from tests.platforms.rasa_server import RASA_BIN, find_model, start_rasa

    model = find_model()
    if model is None:
        pytest.skip("no trained model: set RASA_MODEL_PATH or train one into models/")
    if not RASA_BIN.exists():
        pytest.skip(f"Rasa venv missing: {RASA_BIN}")
    port = find_free_port()
    base = f"http://127.0.0.1:{port}"
    zalo = FakeZalo(ZaloSimConfig(webhook_retry_delays=()), f"{base}/webhooks/zalo/webhook")
    messenger = FakeMessenger(
        MessengerSimConfig(webhook_retry_delays=(), send_echoes=True),
        f"{base}/webhooks/messenger/webhook",
    )
    zalo.start()
    messenger.start()
    workdir = tmp_path_factory.mktemp("rasa")
    try:
        rasa = start_rasa(
            workdir, simulator_env(zalo, messenger), model=model, port=port, extra_env=FAST_RETRIES
        )
    except RuntimeError:
        zalo.stop()
        messenger.stop()
        raise
    try:
        yield ChannelStack(zalo, messenger, rasa, workdir / "channel_state.sqlite3")
    finally:
        rasa.stop()
        zalo.stop()
        messenger.stop()
