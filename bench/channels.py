"""Channel benchmark: webhook acknowledge time and messages/s through each simulated platform.

Run with the backend venv from the repository root:
    .venv/backend/bin/python bench/channels.py [--messages 200] [--concurrency 8]
It starts both simulators and one real ``rasa run`` (model: RASA_MODEL_PATH or the newest
models/*.tar.gz), then per platform measures
- acknowledge time: signed webhooks sent one after another, time until our 200 (p50/p95/max),
  while the bot is still answering the previous ones in the background;
- throughput: messages from many users sent ``concurrency`` at a time, until every user has
  received its reply (messages/s end to end: webhook → Rasa → platform Send API).
Prints the figures and writes them to bench/results/channels.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.platforms.credentials import simulator_env  # noqa: E402
from tests.platforms.fake_messenger import FakeMessenger, MessengerSimConfig  # noqa: E402
from tests.platforms.fake_zalo import FakeZalo, ZaloSimConfig  # noqa: E402
from tests.platforms.loopback import find_free_port  # noqa: E402
from tests.platforms.rasa_server import find_model, start_rasa  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results" / "channels.json"
TEXT = "xin chào"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


Platform = FakeZalo | FakeMessenger


async def send_text(fake: Platform, user: str, text: str) -> float:
    delivery = await fake.send_user_text(user, text)
    if not delivery.acknowledged:
        raise RuntimeError(f"webhook refused: {delivery.statuses} {delivery.response_text}")
    return delivery.ack_seconds[-1]


async def wait_replies(fake: Platform, expected: dict[str, int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        missing = [user for user, count in expected.items() if len(fake.received(user)) < count]
        if not missing:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(missing)} user(s) still waiting for a reply")
        await asyncio.sleep(0.01)


async def measure_ack(fake: Platform, prefix: str, count: int) -> dict[str, Any]:
    users = [f"{prefix}ack{index % 25}" for index in range(count)]
    acks = [await send_text(fake, user, TEXT) for user in users]
    expected: dict[str, int] = {}
    for user in users:
        expected[user] = expected.get(user, 0) + 1
    await wait_replies(fake, expected, timeout=600)
    return {
        "webhooks": count,
        "ack_p50_ms": round(statistics.median(acks) * 1000, 2),
        "ack_p95_ms": round(percentile(acks, 0.95) * 1000, 2),
        "ack_max_ms": round(max(acks) * 1000, 2),
    }


async def measure_throughput(fake: Platform, prefix: str, count: int, concurrency: int) -> dict[str, Any]:
    users = [f"{prefix}tp{index}" for index in range(count)]
    gate = asyncio.Semaphore(concurrency)

    async def one(user: str) -> None:
        async with gate:
            await send_text(fake, user, TEXT)
            while not fake.received(user):
                await asyncio.sleep(0.005)

    started = time.perf_counter()
    await asyncio.gather(*(one(user) for user in users))
    elapsed = time.perf_counter() - started
    return {
        "messages": count,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(count / elapsed, 2),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    model = Path(args.model) if args.model else find_model()
    if model is None or not model.is_file():
        raise SystemExit("No trained model: set RASA_MODEL_PATH or train one into models/.")
    port = find_free_port()
    base = f"http://127.0.0.1:{port}"
    limits_off = {"webhook_retry_delays": ()}
    zalo = FakeZalo(ZaloSimConfig(**limits_off), f"{base}/webhooks/zalo/webhook")
    messenger = FakeMessenger(MessengerSimConfig(**limits_off), f"{base}/webhooks/messenger/webhook")
    zalo.start()
    messenger.start()
    env = simulator_env(zalo, messenger)
    workdir = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    started = time.perf_counter()
    rasa = start_rasa(workdir, env, model=model, port=port)
    startup_seconds = time.perf_counter() - started
    results: dict[str, Any] = {}
    platforms: tuple[tuple[str, Platform], ...] = (("zalo", zalo), ("messenger", messenger))
    try:
        # Warm-up: the first turns of a fresh Rasa are slower (lazy graph and cache set-up).
        for name, fake in platforms:
            await measure_throughput(fake, f"{name}warm", args.warmup, args.concurrency)
        for name, fake in platforms:
            results[name] = {
                "acknowledge": await measure_ack(fake, name, args.messages),
                "throughput": await measure_throughput(fake, name, args.messages, args.concurrency),
            }
    finally:
        rasa.stop()
        zalo.stop()
        messenger.stop()
    return {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "model": str(model),
        "rasa_startup_seconds": round(startup_seconds, 1),
        "message_text": TEXT,
        "platforms": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="webhooks per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="users writing at once")
    parser.add_argument("--warmup", type=int, default=60, help="untimed messages per platform")
    parser.add_argument("--model", default="", help="model file (default: RASA_MODEL_PATH / newest)")
    report = asyncio.run(run(parser.parse_args()))
    for name, figures in report["platforms"].items():
        ack, throughput = figures["acknowledge"], figures["throughput"]
        print(
            f"{name:9s} ack p50 {ack['ack_p50_ms']:7.2f} ms  p95 {ack['ack_p95_ms']:7.2f} ms  "
            f"max {ack['ack_max_ms']:7.2f} ms | {throughput['messages_per_second']:6.2f} msg/s "
            f"({throughput['messages']} msgs, {throughput['concurrency']} at a time)"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {RESULTS.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
