"""The campaign dispatcher: works through the outbox and sends pushes at each platform's pace.

Runs as a background task of the app when PUSH_DISPATCHER_ENABLED is set (see
api/routes/campaigns.py), or alone: ``python -m backend.app.workers.dispatcher``. Per push
channel a producer claims due rows (services/campaign_outbox.py) and records "sending" for one
small group at a time in a committed transaction, while a sender calls the Send API for the
previous group, paced by an adaptive token bucket (services/campaign_pacing.py); answers are
stored in batches. A housekeeping loop starts scheduled campaigns, finishes completed ones,
returns expired claims to the queue and turns stale "sending" rows into "unknown".

Crash safety (the documented choice): a push is never sent twice. Rows are marked "sending"
before the call; if the process dies before the answer is stored, the row becomes "unknown"
after PUSH_SENDING_STALE_SECONDS and is not resent (neither platform offers an idempotency key
for its Send API; staff may resend unknown rows by hand, accepting a possible duplicate). The
window is small: about two groups of ~50 ms of sending each plus the calls under way (a few
rows per channel). SIGTERM/SIGINT stop gracefully: no new calls, answers of calls under way are
stored, rows marked but not called go back to the queue, so a normal stop leaves nothing
unknown. Zalo's quiet hours make its rows wait. Several dispatchers may run at once on
PostgreSQL (set PUSH_DISPATCHERS so each paces at its share of the limits); on SQLite run one.
Must not decide who gets a campaign (services/campaign_audience.py does).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from backend.app.core.config import Settings, settings
from backend.app.core.db import SessionLocal
from backend.app.models.campaign import (
    DELIVERY_FAILED,
    DELIVERY_QUEUED,
    DELIVERY_SENT,
    DELIVERY_UNKNOWN,
)
from backend.app.services.campaign_lifecycle import start_due_campaigns
from backend.app.services.campaign_outbox import (
    CampaignMessage,
    ClaimedDelivery,
    DeliveryOutcome,
    claim_deliveries,
    finish_campaigns,
    has_open_work,
    mark_sending,
    pause_for_account_problem,
    read_campaign_messages,
    record_outcomes,
    release_claims,
    sweep_expired_claims,
    sweep_stale_sending,
    unmark_sending,
)
from backend.app.services.campaign_pacing import AdaptiveRateLimiter, PlatformLimit
from backend.app.services.campaign_rules import (
    CHANNEL_MESSENGER,
    CHANNEL_ZALO,
    PUSH_CHANNELS,
    REASON_TEMPORARY,
    QuietHours,
    build_push_message,
    parse_quiet_hours,
    quiet_until,
)
from backend.app.services.campaign_send import (
    HttpLanes,
    MessengerPushClient,
    PushClient,
    SendOutcome,
    Verdict,
    ZaloPushClient,
    ZaloTokenSource,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

GROUP_SECONDS = 0.05
"""Each "sending" mark covers this much sending time (the rows a hard kill may leave unknown)."""
MAX_GROUP = 50
MAX_CLAIM = 2000
HOUSEKEEPING_SECONDS = 1.0
SWEEP_SECONDS = 5.0
FLUSH_SECONDS = 0.25


@dataclass(frozen=True)
class DispatcherConfig:
    """Everything a dispatcher needs, read from the settings by ``from_settings``."""

    limits: dict[str, PlatformLimit]
    quiet_hours: dict[str, QuietHours | None]
    timezone: ZoneInfo
    zalo_api_base: str
    zalo_access_token: str
    channel_state_db: str | None
    messenger_api_base: str
    messenger_page_access_token: str
    headroom: float = 0.95
    dispatchers: int = 1
    concurrency: int = 32
    claim_seconds: float = 2.0
    lease_seconds: float = 60.0
    sending_stale_seconds: float = 120.0
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 1800.0
    rate_limit_pause_seconds: float = 1.0
    poll_seconds: float = 1.0
    http_timeout_seconds: float = 10.0
    channels: Sequence[str] = PUSH_CHANNELS

    @classmethod
    def from_settings(cls, values: Settings) -> DispatcherConfig:
        """Builds the configuration from the backend settings.

        Args:
            values: The settings.

        Returns:
            The configuration.
        """
        return cls(
            limits={
                CHANNEL_ZALO: PlatformLimit(values.push_zalo_rate_per_minute, 60.0),
                CHANNEL_MESSENGER: PlatformLimit(values.push_messenger_rate_per_second, 1.0),
            },
            quiet_hours={
                CHANNEL_ZALO: parse_quiet_hours(values.push_zalo_quiet_hours),
                CHANNEL_MESSENGER: parse_quiet_hours(values.push_messenger_quiet_hours),
            },
            timezone=ZoneInfo(values.push_timezone),
            zalo_api_base=values.zalo_api_base,
            zalo_access_token=values.zalo_access_token,
            channel_state_db=values.channel_state_db,
            messenger_api_base=values.messenger_api_base,
            messenger_page_access_token=values.messenger_page_access_token,
            headroom=values.push_rate_headroom,
            dispatchers=values.push_dispatchers,
            concurrency=values.push_concurrency,
            claim_seconds=values.push_claim_seconds,
            lease_seconds=values.push_lease_seconds,
            sending_stale_seconds=values.push_sending_stale_seconds,
            max_attempts=values.push_max_attempts,
            retry_base_seconds=values.push_retry_base_seconds,
            retry_max_seconds=values.push_retry_max_seconds,
            rate_limit_pause_seconds=values.push_rate_limit_pause_seconds,
            poll_seconds=values.push_poll_seconds,
            http_timeout_seconds=values.push_http_timeout_seconds,
        )


def new_worker_id() -> str:
    """Returns a worker id unique across hosts and restarts."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random.getrandbits(32):08x}"


def utc_now() -> datetime:
    """Returns the current moment, aware UTC."""
    return datetime.now(UTC)


@dataclass
class DispatcherStats:
    """Counters of one dispatcher's run (logged, and read by tests and the benchmark)."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0
    unknown: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    peak_in_flight: dict[str, int] = field(default_factory=dict)


class _Pipe:
    """One channel's rows between the producer and the sender.

    ``claimed``: claimed, not yet marked; ``ready``: marked "sending", not yet called. At most
    about two groups wait in ``ready``: with the calls under way, that is all a hard kill can
    leave "unknown".
    """

    def __init__(self) -> None:
        self.claimed: deque[ClaimedDelivery] = deque()
        self.ready: deque[ClaimedDelivery] = deque()
        self._changed = asyncio.Event()

    def add_ready(self, rows: list[ClaimedDelivery]) -> None:
        """Hands marked rows to the sender."""
        self.ready.extend(rows)
        self._changed.set()

    async def _wait_change(self, stop: asyncio.Event, timeout: float = 0.5) -> None:
        self._changed.clear()
        waiters = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def wait_for_room(self, group_size: int, stop: asyncio.Event) -> None:
        """Waits until fewer than one group waits for the sender."""
        while len(self.ready) >= group_size and not stop.is_set():
            await self._wait_change(stop)

    async def next_ready(self, stop: asyncio.Event) -> ClaimedDelivery | None:
        """Takes the next marked row (None when none came within a moment, or on stop)."""
        if not self.ready:
            await self._wait_change(stop)
            if not self.ready or stop.is_set():
                return None
        row = self.ready.popleft()
        self._changed.set()
        return row


class Dispatcher:
    """One dispatcher process's work: one loop per push channel plus housekeeping."""

    def __init__(
        self,
        config: DispatcherConfig,
        *,
        session_factory: sessionmaker[Session] = SessionLocal,
        worker_id: str | None = None,
        clients: dict[str, PushClient] | None = None,
    ) -> None:
        self.config = config
        self.session_factory = session_factory
        self.worker_id = worker_id or new_worker_id()
        self.stats = DispatcherStats()
        self.limiters = {
            channel: AdaptiveRateLimiter(
                config.limits[channel],
                headroom=config.headroom,
                share=config.dispatchers,
                pause_seconds=config.rate_limit_pause_seconds,
            )
            for channel in config.channels
        }
        self._clients = clients
        self._outcomes: list[DeliveryOutcome] = []
        self._account_problems: dict[int, str] = {}
        self._messages: dict[int, CampaignMessage] = {}
        self._in_flight: set[asyncio.Task[None]] = set()
        # Calls under way per platform (one per HTTP lane, see campaign_send.HttpLanes).
        self._semaphores = {channel: asyncio.Semaphore(config.concurrency) for channel in config.channels}
        self._stop = asyncio.Event()

    # --- database access (synchronous SQLAlchemy, run in a thread) --------------------------

    def _in_transaction(self, work: Callable[[Session], T]) -> T:
        with self.session_factory() as session, session.begin():
            return work(session)

    async def _db(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Runs ``work`` in one transaction in a thread, retrying a busy database."""
        for attempt in range(attempts):
            try:
                return await asyncio.to_thread(self._in_transaction, work)
            except OperationalError as error:
                if attempt == attempts - 1:
                    raise
                logger.warning("database busy (%s), retrying", type(error.orig).__name__)
                await asyncio.sleep(0.05 * (2**attempt))
        raise AssertionError("unreachable")

    def _take_outcomes(self) -> tuple[list[DeliveryOutcome], dict[int, str]]:
        outcomes, self._outcomes = self._outcomes, []
        problems, self._account_problems = self._account_problems, {}
        return outcomes, problems

    def _put_back(self, outcomes: list[DeliveryOutcome], problems: dict[int, str]) -> None:
        self._outcomes[:0] = outcomes
        for campaign_id, reason in problems.items():
            self._account_problems.setdefault(campaign_id, reason)

    def _store_outcomes(
        self, session: Session, outcomes: list[DeliveryOutcome], problems: dict[int, str]
    ) -> None:
        now = utc_now()
        record_outcomes(session=session, outcomes=outcomes, worker_id=self.worker_id, now=now)
        for campaign_id, reason in problems.items():
            if pause_for_account_problem(session=session, campaign_ids=[campaign_id], reason=reason, now=now):
                logger.error("campaign %s paused: the platform refused the account (%s)", campaign_id, reason)

    async def flush(self) -> None:
        """Stores every answer received so far (one transaction)."""
        outcomes, problems = self._take_outcomes()
        if not outcomes and not problems:
            return
        try:
            await self._db(lambda session: self._store_outcomes(session, outcomes, problems))
        except Exception:
            self._put_back(outcomes, problems)
            raise

    async def _mark_group(self, group: list[ClaimedDelivery]) -> set[int]:
        """Stores pending answers and records "sending" for a group, in one transaction."""
        outcomes, problems = self._take_outcomes()
        ids = [row.id for row in group]

        def work(session: Session) -> set[int]:
            self._store_outcomes(session, outcomes, problems)
            return mark_sending(session=session, delivery_ids=ids, worker_id=self.worker_id, now=utc_now())

        try:
            return await self._db(work)
        except Exception:
            self._put_back(outcomes, problems)
            raise

    # --- sending ----------------------------------------------------------------------------

    def _outcome_row(
        self, row: ClaimedDelivery, result: SendOutcome, attempts_so_far: int
    ) -> DeliveryOutcome:
        now = utc_now()
        verdict = result.verdict
        if verdict is Verdict.SENT:
            return DeliveryOutcome(row.id, DELIVERY_SENT, sent_at=now, platform_message_id=result.message_id)
        common = {"error_code": result.error_code, "error_message": result.error_message}
        if verdict is Verdict.RATE_LIMITED:
            return DeliveryOutcome(
                row.id, DELIVERY_QUEUED, next_attempt_at=now, refund_attempt=True, **common
            )
        if verdict is Verdict.NIGHT:
            quiet = self.config.quiet_hours.get(row.channel) or parse_quiet_hours("22:00-06:00")
            resume = quiet_until(quiet, now, self.config.timezone) or now + timedelta(minutes=10)
            return DeliveryOutcome(
                row.id, DELIVERY_QUEUED, next_attempt_at=resume, refund_attempt=True, **common
            )
        if verdict is Verdict.TEMPORARY:
            if attempts_so_far >= self.config.max_attempts:
                return DeliveryOutcome(row.id, DELIVERY_FAILED, reason=REASON_TEMPORARY, **common)
            delay = min(
                self.config.retry_max_seconds, self.config.retry_base_seconds * 2 ** (attempts_so_far - 1)
            )
            delay *= random.uniform(0.8, 1.2)
            return DeliveryOutcome(
                row.id, DELIVERY_QUEUED, next_attempt_at=now + timedelta(seconds=delay), **common
            )
        if verdict is Verdict.AMBIGUOUS:
            return DeliveryOutcome(row.id, DELIVERY_UNKNOWN, reason=result.reason, **common)
        return DeliveryOutcome(row.id, DELIVERY_FAILED, reason=result.reason, **common)

    async def _send_one(self, client: PushClient, row: ClaimedDelivery, attempts_so_far: int) -> None:
        try:
            message = self._messages[row.campaign_id]
            payload = build_push_message(row.channel, message.text, message.survey_slug)
            result = await client.send(row.recipient_id, payload)
        except Exception as error:  # noqa: BLE001 - a bug must not lose the row: mark it unknown
            logger.exception("send to delivery %s crashed", row.id)
            result = SendOutcome(Verdict.AMBIGUOUS, "no_answer", "crash", f"{type(error).__name__}")
        finally:
            self._semaphores[row.channel].release()
        outcome = self._outcome_row(row, result, attempts_so_far)
        self._count(row.channel, result.verdict, outcome)
        if result.verdict is Verdict.RATE_LIMITED:
            self.limiters[row.channel].slow_down()
        if result.verdict is Verdict.ACCOUNT and result.reason:
            self._account_problems.setdefault(row.campaign_id, result.reason)
        self._outcomes.append(outcome)

    def _count(self, channel: str, verdict: Verdict, outcome: DeliveryOutcome) -> None:
        if verdict is Verdict.SENT:
            self.stats.sent += 1
            self.stats.by_channel[channel] = self.stats.by_channel.get(channel, 0) + 1
        elif verdict is Verdict.RATE_LIMITED:
            self.stats.rate_limited += 1
        elif outcome.status == DELIVERY_FAILED:
            self.stats.failed += 1
        elif outcome.status == DELIVERY_UNKNOWN:
            self.stats.unknown += 1
        else:
            self.stats.retried += 1

    async def _ensure_messages(self, rows: list[ClaimedDelivery]) -> None:
        missing = {row.campaign_id for row in rows} - set(self._messages)
        if missing:
            found = await self._db(
                lambda session: read_campaign_messages(session=session, campaign_ids=missing)
            )
            self._messages.update(found)

    async def _claim(self, channel: str, limit: int) -> list[ClaimedDelivery]:
        return await self._db(
            lambda session: claim_deliveries(
                session=session,
                channel=channel,
                worker_id=self.worker_id,
                limit=limit,
                now=utc_now(),
                lease_seconds=self.config.lease_seconds,
            )
        )

    async def _prepare(self, channel: str, pipe: _Pipe) -> None:
        """Producer: claims rows ahead and records "sending" one small group ahead of the sender.

        Claims and marks run while the sender is still sending the previous group, so database
        round trips never leave the platform's rate unused.
        """
        limiter = self.limiters[channel]
        quiet = self.config.quiet_hours.get(channel)
        while not self._stop.is_set():
            try:
                resume_at = quiet_until(quiet, utc_now(), self.config.timezone)
                if resume_at is not None:
                    wait = min(self.config.poll_seconds * 30, (resume_at - utc_now()).total_seconds())
                    await self._sleep(max(wait, 0.05))
                    continue
                group_size = max(1, min(MAX_GROUP, int(limiter.target_rate * GROUP_SECONDS)))
                if len(pipe.claimed) < group_size:
                    limit = max(1, min(MAX_CLAIM, int(limiter.rate * self.config.claim_seconds)))
                    fresh = await self._claim(channel, limit)
                    await self._ensure_messages(fresh)
                    pipe.claimed.extend(fresh)
                if not pipe.claimed:
                    await self.flush()
                    await self._sleep(self.config.poll_seconds)
                    continue
                await pipe.wait_for_room(group_size, self._stop)
                if self._stop.is_set():
                    break
                group = [pipe.claimed.popleft() for _ in range(min(group_size, len(pipe.claimed)))]
                allowed = await self._mark_group(group)
                pipe.add_ready([row for row in group if row.id in allowed])
            except Exception:  # noqa: BLE001 - the loop must outlive a bad batch; rows stay claimed
                logger.exception("%s: preparing sends failed, retrying after a pause", channel)
                await self._sleep(self.config.poll_seconds)

    async def _send_ready(self, channel: str, client: PushClient, pipe: _Pipe) -> None:
        """Consumer: sends rows marked "sending", each when the platform's pace allows."""
        limiter = self.limiters[channel]
        semaphore = self._semaphores[channel]
        while not self._stop.is_set():
            row = await pipe.next_ready(self._stop)
            if row is None:
                continue
            await limiter.acquire()
            await semaphore.acquire()
            if self._stop.is_set():
                semaphore.release()
                pipe.ready.appendleft(row)
                break
            in_flight = self.config.concurrency - semaphore._value  # noqa: SLF001 - a counter only
            if in_flight > self.stats.peak_in_flight.get(channel, 0):
                self.stats.peak_in_flight[channel] = in_flight
            task = asyncio.create_task(self._send_one(client, row, row.attempts + 1))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _channel_loop(self, channel: str, client: PushClient) -> None:
        """Runs one channel's producer and sender; on stop, gives back what was not sent."""
        pipe = _Pipe()
        try:
            await asyncio.gather(self._prepare(channel, pipe), self._send_ready(channel, client, pipe))
        finally:
            unsent = [row.id for row in pipe.ready]
            claimed = [row.id for row in pipe.claimed]
            if unsent or claimed:

                def work(session: Session) -> None:
                    now = utc_now()
                    unmark_sending(session=session, delivery_ids=unsent, worker_id=self.worker_id, now=now)
                    release_claims(session=session, delivery_ids=claimed, worker_id=self.worker_id, now=now)

                await self._db(work)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
        except TimeoutError:
            pass

    # --- housekeeping -----------------------------------------------------------------------

    def _housekeeping(self, session: Session, sweep: bool) -> None:
        now = utc_now()
        started = start_due_campaigns(session=session, now=now)
        if started:
            logger.info("started scheduled campaign(s) %s", started)
        if sweep:
            back = sweep_expired_claims(session=session, now=now)
            stale = sweep_stale_sending(
                session=session, now=now, stale_seconds=self.config.sending_stale_seconds
            )
            if back or stale:
                logger.warning(
                    "sweep: %d expired claim(s) requeued, %d stale send(s) marked unknown", back, stale
                )
        finished = finish_campaigns(session=session, now=now)
        if finished:
            logger.info("campaign(s) %s done", finished)

    async def _housekeeping_loop(self) -> None:
        last_sweep = 0.0
        last_flush = 0.0
        while not self._stop.is_set():
            moment = time.monotonic()
            try:
                if moment - last_flush >= FLUSH_SECONDS:
                    await self.flush()
                    last_flush = moment
                sweep = moment - last_sweep >= SWEEP_SECONDS
                await self._db(lambda session, sweep=sweep: self._housekeeping(session, sweep))
                if sweep:
                    last_sweep = moment
            except Exception:  # noqa: BLE001 - housekeeping must outlive a bad tick
                logger.exception("housekeeping failed, retrying")
            await self._sleep(min(HOUSEKEEPING_SECONDS, FLUSH_SECONDS))

    # --- lifecycle --------------------------------------------------------------------------

    def _build_clients(self, zalo_http: HttpLanes, messenger_http: HttpLanes) -> dict[str, PushClient]:
        clients: dict[str, PushClient] = {}
        if CHANNEL_ZALO in self.config.channels:
            tokens = ZaloTokenSource(self.config.zalo_access_token, self.config.channel_state_db)
            clients[CHANNEL_ZALO] = ZaloPushClient(zalo_http, self.config.zalo_api_base, tokens)
        if CHANNEL_MESSENGER in self.config.channels:
            clients[CHANNEL_MESSENGER] = MessengerPushClient(
                messenger_http, self.config.messenger_api_base, self.config.messenger_page_access_token
            )
        return clients

    def stop(self) -> None:
        """Asks every loop to stop (sends under way finish and are recorded)."""
        self._stop.set()

    async def run(self, *, exit_when_idle: bool = False) -> DispatcherStats:
        """Runs until ``stop`` (or, with ``exit_when_idle``, until no campaign has work left).

        Args:
            exit_when_idle: Return once no campaign is scheduled or running.

        Returns:
            The run's counters.
        """
        timeout = httpx.Timeout(
            self.config.http_timeout_seconds, connect=min(5.0, self.config.http_timeout_seconds)
        )
        zalo_http = HttpLanes(self.config.concurrency, timeout)
        messenger_http = HttpLanes(self.config.concurrency, timeout)
        try:
            clients = self._clients or self._build_clients(zalo_http, messenger_http)
            loops = [
                asyncio.create_task(self._channel_loop(channel, client), name=f"push-{channel}")
                for channel, client in clients.items()
                if channel in self.limiters
            ]
            loops.append(asyncio.create_task(self._housekeeping_loop(), name="push-housekeeping"))
            watcher = asyncio.create_task(self._watch_idle()) if exit_when_idle else None
            try:
                await self._stop.wait()
            finally:
                self._stop.set()
                await asyncio.gather(*loops, return_exceptions=True)
                if self._in_flight:
                    await asyncio.gather(*list(self._in_flight), return_exceptions=True)
                await self.flush()
                if watcher is not None:
                    watcher.cancel()
        finally:
            await zalo_http.aclose()
            await messenger_http.aclose()
        logger.info(
            "dispatcher %s stopped: %d sent, %d failed, %d retried, %d rate-limited, %d unknown;"
            " peak calls under way %s",
            self.worker_id,
            self.stats.sent,
            self.stats.failed,
            self.stats.retried,
            self.stats.rate_limited,
            self.stats.unknown,
            self.stats.peak_in_flight,
        )
        return self.stats

    async def _watch_idle(self) -> None:
        while not self._stop.is_set():
            await self._sleep(self.config.poll_seconds)
            if not self._outcomes and not self._in_flight:
                idle = not await self._db(lambda session: has_open_work(session=session))
                if idle:
                    self._stop.set()


def main(argv: list[str] | None = None) -> int:
    """Runs a dispatcher in the foreground until SIGTERM/SIGINT.

    Args:
        argv: Command-line arguments.

    Returns:
        The exit code.
    """
    parser = argparse.ArgumentParser(description="Send queued campaign pushes through the platforms.")
    parser.add_argument("--exit-when-idle", action="store_true", help="stop once no campaign has work left")
    parser.add_argument("--worker-id", default=None, help="this dispatcher's id (default: host:pid:random)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per push is too much
    # Database work runs in threads; hand the GIL back to the event loop every millisecond
    # (default 5 ms) so the pacing of sends does not stall behind a transaction.
    sys.setswitchinterval(0.001)
    dispatcher = Dispatcher(DispatcherConfig.from_settings(settings), worker_id=args.worker_id)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, dispatcher.stop)
        await dispatcher.run(exit_when_idle=args.exit_when_idle)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Dispatcher", "DispatcherConfig", "DispatcherStats", "main"]
