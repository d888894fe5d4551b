"""Which NLU pipeline choices win on the held-out set (run with the Rasa venv, Python 3.10).

Trains the NLU part of each variant of config.yml into a temporary folder and scores it on
bench/nlu/heldout.jsonl: intent accuracy above the fallback threshold, by typing style, and
training time. Writes bench/results/nlu_choices.json. Run:
`.venv/rasa/bin/python -m bench.nlu_choices` (about 3 minutes per variant on 2 cores).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "nlu" / "heldout.jsonl"
RESULTS = ROOT / "bench" / "results" / "nlu_choices.json"


def _component(config: dict, name: str) -> dict:
    return next(c for c in config["pipeline"] if c["name"] == name)


def variants(base: dict) -> dict[str, dict]:
    """The pipeline variants compared against the committed config."""
    out = {"committed (fold diacritics, no transformer)": base}
    no_fold = copy.deepcopy(base)
    _component(no_fold, "bot.nlu.components.VietnameseNormalizer")["fold_diacritics"] = False
    out["keep diacritics (no folding)"] = no_fold
    transformer = copy.deepcopy(base)
    diet = _component(transformer, "DIETClassifier")
    diet.update({"number_of_transformer_layers": 1, "transformer_size": 128})
    out["fold + 1 transformer layer"] = transformer
    if len(sys.argv) > 1:
        out = {k: v for k, v in out.items() if any(a in k for a in sys.argv[1:])}
    return out


def score(model_path: str, items: list[dict], threshold: float) -> dict:
    """Parses every held-out item with the model and counts right answers by style."""
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        parsed = asyncio.run(agent.parse_message(item["text"]))
        ok = parsed["intent"]["name"] == item["intent"]
        counts[item["style"]][0] += ok
        counts[item["style"]][1] += 1
    total = [sum(v[0] for v in counts.values()), sum(v[1] for v in counts.values())]
    return {
        "intent_accuracy": round(total[0] / total[1], 4),
        "by_style": {s: round(v[0] / v[1], 4) for s, v in sorted(counts.items())},
        "fallback_threshold": threshold,
    }


def main() -> None:
    """Trains and scores every variant; prints and writes the results."""
    from rasa.model_training import train_nlu

    os.chdir(ROOT)
    base = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    threshold = _component(base, "FallbackClassifier")["threshold"]
    items = [json.loads(x) for x in HELDOUT.read_text(encoding="utf-8").splitlines() if x.strip()]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in variants(base).items():
            config_path = Path(tmp) / "config.yml"
            config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
            started = time.monotonic()
            model = train_nlu(str(config_path), "nlu_data/nlu", str(Path(tmp) / "models"),
                              domain="domain.yml")
            seconds = round(time.monotonic() - started, 1)
            results[name] = {**score(model, items, threshold), "train_nlu_seconds": seconds}
            print(name, json.dumps(results[name], ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "nlu_choices",
        "command": ".venv/rasa/bin/python -m bench.nlu_choices",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "heldout_questions": len(items),
        "variants": results,
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
