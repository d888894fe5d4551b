"""Shared pieces of the campaign tests: members made through the real ingestion services, the
simulated platforms on loopback, and dispatchers run in a thread or as a real subprocess.

Import from tests: ``add_member``, ``add_survey``, ``Platforms``/``running_platforms``,
``dispatcher_config``, ``DispatcherThread``, ``dispatcher_process``, ``delivery_rows``.
Nothing here mocks application code: the dispatcher talks HTTP to the simulators.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backend.app.core.db import SessionLocal, session_scope
from backend.app.models.campaign import CampaignDelivery
from backend.app.models.survey import STATUS_OPEN, Survey
from backend.app.services.campaign_lifecycle import CampaignCreate, create_campaign
from backend.app.services.campaign_pacing import PlatformLimit
from backend.app.services.event_ingest import assign_member_unit, ingest_event
from backend.app.workers.dispatcher import Dispatcher, DispatcherConfig, DispatcherStats
from tests.platforms.fake_messenger import FakeMessenger
from tests.platforms.fake_zalo import FakeZalo
from tests.support.processes import REPO_ROOT, ManagedProcess

BACKEND_PYTHON = REPO_ROOT / ".venv" / "backend" / "bin" / "python"


def add_member(channel: str, sender_id: str, unit_id: int | None, *, hours_ago: float | None = 1.0) -> int:
    """Creates a worker the way production does: unit from an invitation, then a chat message.

    Args:
        channel: ``zalo``, ``messenger`` or ``rest``.
        sender_id: The platform id.
        unit_id: The member's unit.
        hours_ago: When they last wrote; None = never wrote (no conversation, no platform id).

    Returns:
        The member id.
    """
    with session_scope() as session:
        member = assign_member_unit(session, channel=channel, sender_id=sender_id, unit_id=unit_id)
        if hours_ago is not None:
            ingest_event(
                session,
                {
                    "event": "user",
                    "sender_id": sender_id,
                    "text": "xin chào",
                    "timestamp": time.time() - hours_ago * 3600,
                    "input_channel": channel,
                    "parse_data": {"intent": {"name": "greet", "confidence": 0.98}, "entities": []},
                },
            )
        else:
            member.last_inbound_at = None
        return member.id


def add_survey(slug: str = "khao_sat_dau_nam", status: str = STATUS_OPEN) -> int:
    """Stores a small open survey (the campaign only needs its slug, title and status).

    Args:
        slug: The survey id.
        status: Its status.

    Returns:
        The survey's row id.
    """
    compiled = {"id": slug, "version": 1, "title": "Khảo sát đầu năm", "questions": [], "sections": []}
    with session_scope() as session:
        survey = Survey(
            slug=slug,
            title="Khảo sát đời sống, việc làm đầu năm",
            status=status,
            definition={"id": slug},
            compiled=compiled,
            question_count=0,
            target_unit_codes=[],
        )
        session.add(survey)
        session.flush()
        return survey.id


def start_campaign_now(
    unit_ids: list[int],
    channels: tuple[str, ...] = ("zalo", "messenger"),
    survey_slug: str | None = "khao_sat_dau_nam",
    text: str = "Dạ, mời anh/chị làm khảo sát ạ.",
) -> int:
    """Creates a campaign that starts at once (outbox written) and returns its id."""
    with session_scope() as session:
        campaign = create_campaign(
            session=session,
            staff=None,
            request=CampaignCreate(
                title="Khảo sát đầu năm",
                unit_ids=unit_ids,
                channels=channels,
                message_text=text,
                survey_slug=survey_slug,
            ),
            now=datetime.now(UTC),
        )
        return campaign.id


def delivery_rows(campaign_id: int) -> list[CampaignDelivery]:
    """All outbox rows of a campaign (detached)."""
    with session_scope() as session:
        return list(
            session.scalars(
                select(CampaignDelivery)
                .where(CampaignDelivery.campaign_id == campaign_id)
                .order_by(CampaignDelivery.id)
            )
        )


@dataclass
class Platforms:
    """The two simulators, started on loopback."""

    zalo: FakeZalo
    messenger: FakeMessenger
    zalo_token: str

    def env(self) -> dict[str, str]:
        """Settings pointing the backend's push clients at the simulators."""
        return {
            "ZALO_API_BASE": self.zalo.base_url,
            "ZALO_ACCESS_TOKEN": self.zalo_token,
            "MESSENGER_API_BASE": self.messenger.base_url + "/v25.0",
            "MESSENGER_PAGE_ACCESS_TOKEN": self.messenger.config.page_access_token,
        }

    def register(self, channel: str, sender_id: str, hours_ago: float) -> None:
        """Makes the platform know a user who last wrote ``hours_ago`` hours ago."""
        if channel == "zalo":
            self.zalo.register_users([sender_id], hours_ago)
        else:
            self.messenger.register_users([sender_id], hours_ago)

    def received(self, channel: str, sender_id: str) -> int:
        """How many messages a user received."""
        platform = self.zalo if channel == "zalo" else self.messenger
        return len(platform.received(sender_id))


def running_platforms() -> Iterator[Platforms]:
    """Fresh simulators for one test (wrap it in a fixture named ``platforms``)."""
    zalo, messenger = FakeZalo(), FakeMessenger()
    zalo.start()
    messenger.start()
    access, _ = zalo.issue_tokens()
    try:
        yield Platforms(zalo, messenger, access)
    finally:
        zalo.stop()
        messenger.stop()


def member_on_platform(
    platforms: Platforms, channel: str, sender_id: str, unit_id: int, hours_ago: float
) -> int:
    """A member known to the backend AND to the platform, with the same last-message time."""
    platforms.register(channel, sender_id, hours_ago)
    return add_member(channel, sender_id, unit_id, hours_ago=hours_ago)


def dispatcher_config(platforms: Platforms, **changes: object) -> DispatcherConfig:
    """A dispatcher configuration aimed at the simulators, fast polling, no quiet hours."""
    config = DispatcherConfig(
        limits={"zalo": PlatformLimit(4000, 60.0), "messenger": PlatformLimit(300, 1.0)},
        quiet_hours={"zalo": None, "messenger": None},
        timezone=ZoneInfo("Asia/Ho_Chi_Minh"),
        zalo_api_base=platforms.zalo.base_url,
        zalo_access_token=platforms.zalo_token,
        channel_state_db=None,
        messenger_api_base=platforms.messenger.base_url + "/v25.0",
        messenger_page_access_token=platforms.messenger.config.page_access_token,
        poll_seconds=0.05,
        lease_seconds=5.0,
        sending_stale_seconds=3.0,
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
        rate_limit_pause_seconds=0.5,
        http_timeout_seconds=5.0,
    )
    return replace(config, **changes)  # type: ignore[arg-type]


class DispatcherThread:
    """Runs a real dispatcher on its own event loop in a thread, so a test can act meanwhile."""

    def __init__(
        self,
        config: DispatcherConfig,
        worker_id: str | None = None,
        session_factory: sessionmaker[Session] | None = None,
    ) -> None:
        self.dispatcher = Dispatcher(
            config, worker_id=worker_id, session_factory=session_factory or SessionLocal
        )
        self.stats: DispatcherStats | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._exit_when_idle = False

    def _main(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self.stats = self._loop.run_until_complete(
                self.dispatcher.run(exit_when_idle=self._exit_when_idle)
            )
        except BaseException as error:  # noqa: BLE001 - reported to the test
            self.error = error
        finally:
            self._loop.close()

    def start(self, *, exit_when_idle: bool = False) -> DispatcherThread:
        """Starts the dispatcher."""
        self._exit_when_idle = exit_when_idle
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> DispatcherStats:
        """Stops it gracefully and returns its counters."""
        deadline = time.monotonic() + 5
        while self._loop is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.dispatcher.stop)
        return self.join(timeout)

    def join(self, timeout: float = 60.0) -> DispatcherStats:
        """Waits for the dispatcher to end (``exit_when_idle``) and returns its counters."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise AssertionError("dispatcher did not stop in time")
        if self.error is not None:
            raise self.error
        assert self.stats is not None
        return self.stats


def run_until_idle(config: DispatcherConfig, timeout: float = 60.0) -> DispatcherStats:
    """Runs a dispatcher until no campaign has work left."""
    return DispatcherThread(config).start(exit_when_idle=True).join(timeout)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Polls ``condition`` until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def dispatcher_process(
    platforms: Platforms, log_dir: Path, name: str, *, exit_when_idle: bool = False, **settings: str
) -> ManagedProcess:
    """Starts ``python -m backend.app.workers.dispatcher`` against the test database and simulators.

    Args:
        platforms: The simulators.
        log_dir: Where its log goes.
        name: A name (also its worker id).
        exit_when_idle: Pass ``--exit-when-idle``.
        **settings: Extra environment variables (PUSH_...).

    Returns:
        The started process.
    """
    env = {
        **os.environ,
        **platforms.env(),
        "PUSH_ZALO_QUIET_HOURS": "off",
        "PUSH_MESSENGER_QUIET_HOURS": "off",
        "PUSH_POLL_SECONDS": "0.05",
        "PUSH_LEASE_SECONDS": "5",
        "PUSH_SENDING_STALE_SECONDS": "3",
        "PUSH_RETRY_BASE_SECONDS": "0.2",
        "PUSH_RETRY_MAX_SECONDS": "1",
        "PYTHONPATH": str(REPO_ROOT),
        **settings,
    }
    python = str(BACKEND_PYTHON) if BACKEND_PYTHON.exists() else sys.executable
    process = ManagedProcess(
        name,
        [python, "-m", "backend.app.workers.dispatcher", "--worker-id", name]
        + (["--exit-when-idle"] if exit_when_idle else []),
        env,
        log_dir / f"{name}.log",
    )
    return process.start()
