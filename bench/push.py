"""Push benchmark: one survey campaign to 80,000 simulated members across 15 upper-level unions.

Run with the backend venv from the repository root, on PostgreSQL (or SQLite):
    DATABASE_URL=$(bash scripts/postgres.sh) .venv/backend/bin/python bench/push.py
        [--members 80000] [--units 15] [--messenger-share 0.7]
        [--messenger-rate 300] [--zalo-rate-per-minute 4000]
It migrates the database, writes a union tree (1 central, N upper-level unions, 10 direct-upper
unions each, 5 grassroots unions under each) and the members with their conversations (bulk
inserts: the benchmark's own rows, removed at the end), starts both simulated platforms in this
process enforcing the given rates (Messenger 300 calls/s per page, Zalo 4,000 calls/min per app
by default), creates the campaign through the real service (one INSERT ... SELECT writes the
outbox), then runs the real dispatcher as a separate process until the campaign is done
(``python -m backend.app.workers.dispatcher --exit-when-idle``). It records:
- the total time and the queueing time;
- per platform: messages, first-to-last delivery time, messages/s against the allowed rate,
  rate-limit answers;
- the dispatcher's CPU time and peak resident memory (from wait4's rusage);
- duplicates (members who got more than one message; must be 0) and losses (members who got
  none; must be 0), and the outbox's final statuses.
Prints the figures and writes them to bench/results/push.json under the database's name
("postgresql" or "sqlite"; the other database's last run is kept).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402

from backend.app.core.config import settings  # noqa: E402
from backend.app.core.db import engine, session_scope  # noqa: E402
from backend.app.models.campaign import Campaign, CampaignDelivery  # noqa: E402
from backend.app.models.conversation import Conversation  # noqa: E402
from backend.app.models.member import Member  # noqa: E402
from backend.app.models.survey import STATUS_OPEN, Survey  # noqa: E402
from backend.app.models.unit import Unit  # noqa: E402
from backend.app.services.campaign_lifecycle import CampaignCreate, create_campaign  # noqa: E402
from tests.platforms.fake_messenger import FakeMessenger, MessengerSimConfig  # noqa: E402
from tests.platforms.fake_zalo import FakeZalo, ZaloSimConfig  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results" / "push.json"
BENCH_PREFIX = "BENCHPUSH"
CHUNK = 5000


def build_units(run: str, upper_units: int) -> tuple[list[int], list[int]]:
    """Writes the union tree; returns (upper-level unit ids, grassroots unit ids)."""
    upper_ids: list[int] = []
    grassroots: list[int] = []
    with session_scope() as session:
        central = Unit(code=f"{BENCH_PREFIX}{run}", name="Tổng LĐLĐ (bench)", level=1)
        session.add(central)
        session.flush()
        central.path = f"/{central.id}/"
        for upper in range(upper_units):
            province = Unit(
                code=f"{BENCH_PREFIX}{run}_{upper}", name=f"LĐLĐ {upper}", level=2, parent_id=central.id
            )
            session.add(province)
            session.flush()
            province.path = f"{central.path}{province.id}/"
            upper_ids.append(province.id)
            for middle in range(10):
                direct = Unit(
                    code=f"{province.code}_{middle}",
                    name=f"CĐ cấp trên {upper}.{middle}",
                    level=3,
                    parent_id=province.id,
                )
                session.add(direct)
                session.flush()
                direct.path = f"{province.path}{direct.id}/"
                for leaf in range(5):
                    base = Unit(
                        code=f"{direct.code}_{leaf}",
                        name=f"CĐCS {upper}.{middle}.{leaf}",
                        level=4,
                        parent_id=direct.id,
                    )
                    session.add(base)
                    session.flush()
                    base.path = f"{direct.path}{base.id}/"
                    grassroots.append(base.id)
    return upper_ids, grassroots


def build_members(
    run: str, count: int, messenger_share: float, grassroots: list[int]
) -> dict[str, list[str]]:
    """Bulk-writes members and one conversation each; returns the platform ids per channel."""
    now = datetime.now(UTC)
    last_inbound = now - timedelta(hours=1)
    senders: dict[str, list[str]] = {"messenger": [], "zalo": []}
    messenger_count = round(count * messenger_share)
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            members = []
            batch: list[tuple[str, str]] = []
            for index in range(start, min(count, start + CHUNK)):
                channel = "messenger" if index < messenger_count else "zalo"
                sender = f"{BENCH_PREFIX.lower()}{run}-{channel[0]}{index}"
                batch.append((channel, sender))
                members.append(
                    {
                        "channel": channel,
                        "pseudonym": f"{BENCH_PREFIX.lower()}{run}-{index}",
                        "unit_id": grassroots[index % len(grassroots)],
                        "consent": False,
                        "reachable": True,
                        "last_inbound_at": last_inbound,
                        "created_at": now,
                    }
                )
            ids = (
                connection.execute(insert(Member).returning(Member.id, sort_by_parameter_order=True), members)
                .scalars()
                .all()
            )
            conversations = [
                {
                    "member_id": member_id,
                    "sender_id": sender,
                    "channel": channel,
                    "unit_id": member["unit_id"],
                    "started_at": last_inbound,
                    "last_message_at": last_inbound,
                    "reviewed": False,
                    "handoff_requested": False,
                    "fallback": False,
                }
                for member_id, member, (channel, sender) in zip(ids, members, batch, strict=True)
            ]
            connection.execute(insert(Conversation), conversations)
            for channel, sender in batch:
                senders[channel].append(sender)
    return senders


def remove_bench_rows(run: str, survey_slug: str) -> None:
    """Deletes everything the benchmark wrote."""
    with session_scope() as session:
        survey_id = session.scalar(select(Survey.id).where(Survey.slug == survey_slug))
        session.execute(delete(Campaign).where(Campaign.survey_id == survey_id))
        like = f"{BENCH_PREFIX.lower()}{run}-%"
        session.execute(delete(Conversation).where(Conversation.sender_id.like(like)))
        session.execute(delete(Member).where(Member.pseudonym.like(like)))
        session.execute(delete(Survey).where(Survey.slug == survey_slug))
        codes = Unit.code.like(f"{BENCH_PREFIX}{run}%")
        for level in (4, 3, 2, 1):
            session.execute(delete(Unit).where(codes, Unit.level == level))


def run_dispatcher(
    env: dict[str, str], log_path: Path, profile: Path | None = None
) -> tuple[int, float, resource.struct_rusage]:
    """Runs the dispatcher until the campaign is done; returns (exit code, wall seconds, rusage)."""
    command_line = [sys.executable, "-m", "backend.app.workers.dispatcher", "--exit-when-idle"]
    if profile is not None:  # CPU time per function (cProfile's default clock is wall time)
        program = (
            "import cProfile, sys, time\n"
            "from backend.app.workers.dispatcher import main\n"
            "profiler = cProfile.Profile(time.process_time)\n"
            "profiler.enable()\n"
            "try:\n    main(sys.argv[1:])\n"
            f"finally:\n    profiler.disable()\n    profiler.dump_stats({str(profile)!r})\n"
        )
        command_line = [sys.executable, "-c", program, "--exit-when-idle"]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [*command_line, "--worker-id", "bench"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, wall, usage


def platform_figures(
    fake: FakeZalo | FakeMessenger, expected: list[str], allowed_per_second: float
) -> dict[str, Any]:
    """Deliveries, rate, duplicates and losses seen by one simulator."""
    with fake.lock:
        stamps = sorted(entry["at"] for entries in fake.inbox.values() for entry in entries)
        counts = {user: len(entries) for user, entries in fake.inbox.items()}
        rate_limited = fake.rate_limited_calls
    delivered = len(stamps)
    span = stamps[-1] - stamps[0] if delivered > 1 else 0.0
    rate = (delivered - 1) / span if span > 0 else 0.0
    middle = stamps[int(delivered * 0.05) : int(delivered * 0.95)] if delivered > 40 else stamps
    middle_rate = (
        (len(middle) - 1) / (middle[-1] - middle[0]) if len(middle) > 1 and middle[-1] > middle[0] else 0.0
    )
    return {
        "members": len(expected),
        "messages_delivered": delivered,
        "first_to_last_seconds": round(span, 2),
        "messages_per_second": round(rate, 2),
        "steady_messages_per_second_5_to_95_percent": round(middle_rate, 2),
        "allowed_per_second": round(allowed_per_second, 2),
        "share_of_allowed_rate": round(rate / allowed_per_second, 4) if allowed_per_second else None,
        "rate_limit_answers": rate_limited,
        "duplicates": sum(count - 1 for count in counts.values() if count > 1),
        "losses": sum(1 for user in expected if counts.get(user, 0) == 0),
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Stores the run under its database's name, keeping the other database's last run."""
    runs: dict[str, Any] = {}
    if path.exists():
        try:
            runs = dict(json.loads(path.read_text(encoding="utf-8")).get("runs", {}))
        except (ValueError, AttributeError):
            runs = {}
    runs[report["database"]] = report
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"benchmark": "push: one survey campaign to simulated members", "runs": runs}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Push 80,000 survey invitations through the simulated platforms."
    )
    parser.add_argument("--members", type=int, default=80_000)
    parser.add_argument("--units", type=int, default=15, help="upper-level unions")
    parser.add_argument("--messenger-share", type=float, default=0.7)
    parser.add_argument("--messenger-rate", type=int, default=300, help="Messenger calls/s per page")
    parser.add_argument("--zalo-rate-per-minute", type=int, default=4000, help="Zalo OA calls/min")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's rows afterwards")
    parser.add_argument(
        "--profile", type=Path, default=None, help="run the dispatcher under cProfile, stats here"
    )
    args = parser.parse_args()

    command.upgrade(Config(str(REPO_ROOT / "backend" / "alembic.ini")), "head")
    run = datetime.now(UTC).strftime("%H%M%S")
    survey_slug = f"bench_push_{run}"
    print(f"database: {engine.dialect.name}; building {args.units} unions and {args.members} members…")
    with session_scope() as session:
        session.add(
            Survey(
                slug=survey_slug,
                title="Khảo sát đời sống, việc làm đầu năm (bench)",
                status=STATUS_OPEN,
                definition={"id": survey_slug},
                compiled={"id": survey_slug, "questions": []},
                target_unit_codes=[],
            )
        )
    upper_ids, grassroots = build_units(run, args.units)
    senders = build_members(run, args.members, args.messenger_share, grassroots)
    if engine.dialect.name == "postgresql":
        # 160,000 rows appeared in seconds; autovacuum would analyze them shortly, the benchmark
        # does not wait for it (stale statistics can turn the audience query into a nested loop).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE units, members, conversations, campaign_deliveries"))

    zalo = FakeZalo(ZaloSimConfig(rate_limit_per_minute=args.zalo_rate_per_minute, log_api_calls=False))
    messenger = FakeMessenger(
        MessengerSimConfig(rate_limit_per_second=args.messenger_rate, log_api_calls=False)
    )
    zalo.start()
    messenger.start()
    zalo.register_users(senders["zalo"], hours_ago=1)
    messenger.register_users(senders["messenger"], hours_ago=1)
    zalo_token, _ = zalo.issue_tokens()
    # The simulators live in this process with 80,000 users: keep the garbage collector from
    # walking them (full collections would stall the simulated platforms, not the dispatcher).
    gc.collect()
    gc.freeze()
    try:
        queue_started = time.perf_counter()
        with session_scope() as session:
            campaign = create_campaign(
                session=session,
                staff=None,
                request=CampaignCreate(
                    title="Bench: khảo sát đầu năm",
                    unit_ids=upper_ids,
                    channels=["zalo", "messenger"],
                    message_text="Dạ, Công đoàn kính mời anh/chị tham gia khảo sát đầu năm ạ.",
                    survey_slug=survey_slug,
                ),
                now=datetime.now(UTC),
            )
            campaign_id = campaign.id
        queue_seconds = time.perf_counter() - queue_started
        print(f"campaign {campaign_id}: outbox written in {queue_seconds:.1f} s; dispatching…")
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "DATABASE_URL": settings.database_url,
            "ZALO_API_BASE": zalo.base_url,
            "ZALO_ACCESS_TOKEN": zalo_token,
            "MESSENGER_API_BASE": messenger.base_url + "/v25.0",
            "MESSENGER_PAGE_ACCESS_TOKEN": messenger.config.page_access_token,
            "PUSH_MESSENGER_RATE_PER_SECOND": str(args.messenger_rate),
            "PUSH_ZALO_RATE_PER_MINUTE": str(args.zalo_rate_per_minute),
            "PUSH_ZALO_QUIET_HOURS": "off",  # the benchmark may run at night
            "PUSH_MESSENGER_QUIET_HOURS": "off",
            "PUSH_POLL_SECONDS": "0.2",
        }
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        exit_code, wall, usage = run_dispatcher(
            env, REPO_ROOT / "var" / "bench_push_dispatcher.log", args.profile
        )
        self_after = resource.getrusage(resource.RUSAGE_SELF)
        with session_scope() as session:
            statuses = dict(
                session.execute(
                    select(CampaignDelivery.status, func.count())
                    .where(CampaignDelivery.campaign_id == campaign_id)
                    .group_by(CampaignDelivery.status)
                ).all()
            )
            final = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
        results = {
            "messenger": platform_figures(messenger, senders["messenger"], float(args.messenger_rate)),
            "zalo": platform_figures(zalo, senders["zalo"], args.zalo_rate_per_minute / 60.0),
        }
    finally:
        zalo.stop()
        messenger.stop()
        if not args.keep:
            remove_bench_rows(run, survey_slug)

    cpu = usage.ru_utime + usage.ru_stime
    report = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "database": engine.dialect.name,
        "members": args.members,
        "upper_level_units": args.units,
        "grassroots_units": len(grassroots),
        "channels": {channel: len(ids) for channel, ids in senders.items()},
        "platform_limits": {
            "messenger_calls_per_second": args.messenger_rate,
            "zalo_calls_per_minute": args.zalo_rate_per_minute,
            "dispatcher_headroom": settings.push_rate_headroom,
        },
        "queue_seconds": round(queue_seconds, 2),
        "dispatch_seconds": round(wall, 2),
        "dispatcher": {
            "exit_code": exit_code,
            "cpu_seconds": round(cpu, 2),
            "cpu_percent_of_one_core": round(100 * cpu / wall, 1) if wall else None,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        },
        "simulators_cpu_seconds": round(
            (self_after.ru_utime + self_after.ru_stime) - (self_before.ru_utime + self_before.ru_stime), 2
        ),
        "platforms": results,
        "outbox_statuses": statuses,
        "campaign_status": final,
        "duplicates": sum(figures["duplicates"] for figures in results.values()),
        "losses": sum(figures["losses"] for figures in results.values()),
        "targets": {
            "at_least_90_percent_of_allowed_rate": all(
                (figures["share_of_allowed_rate"] or 0) >= 0.9 for figures in results.values()
            ),
            "under_300_mb": usage.ru_maxrss / 1024 < 300,
            "no_duplicates_no_losses": all(
                f["duplicates"] == 0 and f["losses"] == 0 for f in results.values()
            ),
        },
    }
    write_report(args.out, report)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if exit_code == 0 and all(report["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
