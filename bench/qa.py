"""Q&A benchmark: intent accuracy and answer correctness by typing style, REST latency, memory.

Starts the whole stack once (trained model from models/), sends every held-out question of
bench/nlu/heldout.jsonl to /model/parse and to the REST channel, and writes
bench/results/qa.json. Run: `make bench` or `.venv/backend/bin/python -m bench.qa`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import httpx

from tests.support.stack import running_stack

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "nlu" / "heldout.jsonl"
RESULTS = ROOT / "bench" / "results" / "qa.json"


def percentile(values: list[float], q: float) -> float:
    """Returns the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def rss_mb(pid: int) -> float:
    """Returns the resident memory of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


ARTICLE_LIST = re.compile(r"Điều (\d+(?:, \d+)+)")


def expand_article_lists(text: str) -> str:
    """Writes "Điều 113, 114" out as "Điều 113, Điều 114" so each article can be matched."""
    return ARTICLE_LIST.sub(lambda m: ", ".join(f"Điều {n}" for n in m.group(1).split(", ")), text)


def answer_matches(text: str, expect_any: list[list[str]]) -> bool:
    """True when the text contains at least one string of every group."""
    folded = expand_article_lists(text).casefold()
    return all(any(option.casefold() in folded for option in group) for group in expect_any)


def run() -> dict:
    """Runs the benchmark against a freshly started stack and returns the figures."""
    items = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_style: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures: list[dict] = []
    faq_latencies: list[float] = []
    parse_latencies: list[float] = []
    in_conversation: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp)) as stack:
        client = httpx.Client(timeout=30)
        # warm up the action server and Rasa's first-call paths
        stack.say("warmup", "xin chào")
        stack.say("warmup", "lương tối thiểu vùng 1")
        for item in items:
            started = time.perf_counter()
            parsed = client.post(f"{stack.rasa_url}/model/parse", json={"text": item["text"]}).json()
            parse_latencies.append((time.perf_counter() - started) * 1000)
            predicted = (parsed.get("intent") or {}).get("name")
            started = time.perf_counter()
            replies = stack.say(f"bench-{uuid.uuid4()}", item["text"])
            elapsed = (time.perf_counter() - started) * 1000
            text = "\n".join(str(r.get("text", "")) for r in replies)
            knowledge = (
                item["intent"].startswith(("ask_", "report_")) and item["intent"] != "ask_capabilities"
            )
            if knowledge:
                faq_latencies.append(elapsed)
            intent_ok = predicted == item["intent"]
            answer_ok = bool(text) and (
                answer_matches(text, item["expect_any"]) if item.get("expect_any") else intent_ok
            )
            counts = by_style[item["style"]]
            counts["n"] += 1
            counts["intent_ok"] += intent_ok
            counts["answer_ok"] += answer_ok
            if not (intent_ok and answer_ok):
                failures.append(
                    {
                        "id": item["id"],
                        "text": item["text"],
                        "intent": item["intent"],
                        "predicted": predicted,
                        "answer_ok": answer_ok,
                        "reply": text[:300],
                    }
                )
        # the same questions again, ten per conversation, as a worker asking follow-ups
        faq_items = [
            i
            for i in items
            if i["intent"].startswith(("ask_", "report_")) and i["intent"] != "ask_capabilities"
        ]
        sender = ""
        for index, item in enumerate(faq_items):
            if index % 10 == 0:
                sender = f"bench-conversation-{uuid.uuid4()}"
            started = time.perf_counter()
            stack.say(sender, item["text"])
            in_conversation.append((time.perf_counter() - started) * 1000)
        rasa_rss = rss_mb(stack.processes["rasa"].process.pid)
        actions_rss = rss_mb(stack.processes["actions"].process.pid)
    total = {k: sum(s[k] for s in by_style.values()) for k in ("n", "intent_ok", "answer_ok")}
    return {
        "benchmark": "qa",
        "command": ".venv/backend/bin/python -m bench.qa",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count()},
        "heldout_questions": total["n"],
        "intent_accuracy": round(total["intent_ok"] / total["n"], 4),
        "answer_correct": round(total["answer_ok"] / total["n"], 4),
        "by_style": {
            style: {
                "n": s["n"],
                "intent_accuracy": round(s["intent_ok"] / s["n"], 4),
                "answer_correct": round(s["answer_ok"] / s["n"], 4),
            }
            for style, s in sorted(by_style.items())
        },
        "rest_faq_reply_ms": {
            "p50": round(percentile(faq_latencies, 50), 1),
            "p95": round(percentile(faq_latencies, 95), 1),
            "n": len(faq_latencies),
            "note": "each question opens a new conversation (session start included)",
        },
        "rest_faq_reply_in_conversation_ms": {
            "p50": round(percentile(in_conversation, 50), 1),
            "p95": round(percentile(in_conversation, 95), 1),
            "n": len(in_conversation),
            "note": "ten questions per conversation, as a worker asking follow-ups",
        },
        "model_parse_ms": {
            "p50": round(percentile(parse_latencies, 50), 1),
            "p95": round(percentile(parse_latencies, 95), 1),
        },
        "rss_mb": {"rasa": round(rasa_rss), "action_server": round(actions_rss)},
        "failures": failures,
    }


def main() -> None:
    """Runs the benchmark, prints the summary and writes the results file."""
    results = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    summary = {k: v for k, v in results.items() if k != "failures"}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    print(f"{len(results['failures'])} failures listed in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
