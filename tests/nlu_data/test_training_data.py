"""Checks on the NLU training data (nlu_data/nlu/*.yml) and the held-out set (bench/nlu/).

Reads the YAML and JSONL files with PyYAML, the standard library and the pipeline's own text
normaliser (bot.nlu.normalize, pure Python), so it runs without Rasa or a trained model.
It must not train, import Rasa, or rewrite any data file.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.nlu.normalize import normalize_text

REPO_ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = REPO_ROOT / "nlu_data" / "nlu"
HELDOUT_PATH = REPO_ROOT / "bench" / "nlu" / "heldout.jsonl"

GENERAL_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_capabilities",
    "chitchat",
    "out_of_scope",
    "request_human",
)
KNOWLEDGE_INTENTS: tuple[str, ...] = (
    "ask_min_wage",
    "ask_min_wage_region",
    "ask_base_salary",
    "ask_working_hours",
    "ask_overtime_limit",
    "ask_overtime_pay",
    "ask_night_work",
    "ask_annual_leave",
    "ask_public_holidays",
    "ask_personal_leave",
    "ask_maternity_leave",
    "ask_paternity_leave",
    "ask_sick_leave",
    "ask_probation",
    "ask_contract_types",
    "ask_resignation_notice",
    "ask_dismissal",
    "ask_severance",
    "ask_job_loss_allowance",
    "ask_si_contribution",
    "ask_pension",
    "ask_si_withdrawal",
    "ask_unemployment_benefit",
    "ask_retirement_age",
    "ask_income_tax",
    "ask_union_dues",
    "ask_union_fee",
    "ask_union_membership",
    "ask_union_benefits",
    "ask_contact_union",
    "report_unpaid_si",
    "report_unpaid_wages",
)
# Intents of other features whose examples also live in nlu_data/nlu (button-driven flows);
# they are trained like the others but have no held-out questions.
FLOW_INTENTS: tuple[str, ...] = ("start_calculation", "start", "start_survey")
ALL_INTENTS: tuple[str, ...] = GENERAL_INTENTS + KNOWLEDGE_INTENTS + FLOW_INTENTS
HELDOUT_INTENTS: tuple[str, ...] = GENERAL_INTENTS + KNOWLEDGE_INTENTS

# Contact details depend on the unit the bot is deployed for, so no answer text is fixed.
INTENTS_WITHOUT_FIXED_ANSWER = frozenset({"ask_contact_union"})

MIN_TRAINING_EXAMPLES = 30
MIN_STYLE_SHARE = 0.25
MIN_LONG_KNOWLEDGE_EXAMPLES = 3
LONG_MESSAGE_WORDS = 18
MIN_HELDOUT_KNOWLEDGE = 8
MIN_HELDOUT_GENERAL = 4
MIN_HELDOUT_PER_STYLE = 2
HELDOUT_STYLES = ("diacritics", "no_diacritics", "teencode", "long")
# Folded word-set overlap above which two texts count as near-copies of each other.
NEAR_COPY_TRAINING = 0.85
NEAR_COPY_HELDOUT = 0.7

# Abbreviations that mark a message as teencode (whole words after folding diacritics).
TEENCODE_MARKERS = frozenset(
    "ko k hok hk khum dc j bn ntn nv cty tr ak ad e mk mik vs z r ns trc ck vk lm wa mun bit "
    "bik lg tc tv hd hdld cd kpcd tn bq pc npt sdt lh vp ldld ts tt vc thg dag nhg cs".split()
)
ENTITY_MARKUP = re.compile(r"\]\s*[({]")
COMMA_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)")
UNGROUPED_NUMBER = re.compile(r"(?<![\d./])\d{5,}(?![\d/])")


def fold_diacritics(text: str) -> str:
    """Lower-case a text and strip Vietnamese diacritics (đ becomes d).

    Args:
        text: Any Vietnamese text, NFC or NFD.

    Returns:
        The lower-case text without combining marks.
    """
    decomposed = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def has_diacritics(text: str) -> bool:
    """Tell whether a text carries any Vietnamese diacritic or the letter đ.

    Args:
        text: Any text.

    Returns:
        True when at least one accented letter or đ/Đ occurs.
    """
    return fold_diacritics(text) != unicodedata.normalize("NFD", text.lower())


def normalise_example(text: str) -> str:
    """Normalise an example for duplicate checks: lower-case and strip.

    Args:
        text: One training or held-out text.

    Returns:
        The comparison key.
    """
    return text.lower().strip()


def fold_words(text: str) -> frozenset[str]:
    """Return the set of words of a text after folding diacritics.

    Args:
        text: One training or held-out text.

    Returns:
        The distinct words, punctuation dropped.
    """
    return frozenset(re.findall(r"\w+", fold_diacritics(text)))


def word_overlap(first: frozenset[str], second: frozenset[str]) -> float:
    """Jaccard overlap of two word sets.

    Args:
        first: Words of one text.
        second: Words of the other text.

    Returns:
        Shared words divided by all words, 0.0 for two empty sets.
    """
    union = first | second
    return len(first & second) / len(union) if union else 0.0


@lru_cache(maxsize=1)
def load_training_files() -> dict[str, dict[str, Any]]:
    """Parse every nlu_data/nlu/*.yml file.

    Returns:
        The parsed YAML document of each file, keyed by file name.
    """
    return {
        path.name: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(NLU_DIR.glob("*.yml"))
    }


def split_examples(block: str) -> list[str]:
    """Split a Rasa `examples: |` block into example texts.

    Args:
        block: The literal block, one `- text` per line.

    Returns:
        The example texts without the leading dash.
    """
    return [
        line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")
    ]


@lru_cache(maxsize=1)
def load_training_examples() -> dict[str, tuple[str, ...]]:
    """Collect the training examples of every intent across all files.

    Returns:
        Example texts per intent, in file order.
    """
    examples: dict[str, list[str]] = defaultdict(list)
    for document in load_training_files().values():
        for item in document.get("nlu", []):
            examples[item["intent"]].extend(split_examples(item["examples"]))
    return {intent: tuple(texts) for intent, texts in examples.items()}


@lru_cache(maxsize=1)
def load_heldout() -> tuple[dict[str, Any], ...]:
    """Read the held-out evaluation set.

    Returns:
        One dict per JSONL line.
    """
    lines = HELDOUT_PATH.read_text(encoding="utf-8").splitlines()
    return tuple(json.loads(line) for line in lines if line.strip())


def all_training_texts() -> list[tuple[str, str]]:
    """Flatten the training data.

    Returns:
        (intent, text) pairs for every example.
    """
    return [(intent, text) for intent, texts in load_training_examples().items() for text in texts]


def test_training_files_are_rasa_nlu_documents() -> None:
    assert len(load_training_files()) >= 5, "training data must be split by topic"
    for name, document in load_training_files().items():
        assert document.get("version") == "3.1", name
        assert set(document) == {"version", "nlu"}, f"{name}: only NLU data belongs here"
        for item in document["nlu"]:
            assert set(item) == {"intent", "examples"}, f"{name}: {item.get('intent')}"


def test_training_intents_are_each_defined_once() -> None:
    blocks = Counter(
        item["intent"] for document in load_training_files().values() for item in document["nlu"]
    )
    assert [intent for intent, count in blocks.items() if count > 1] == []


def test_training_intents_are_all_known() -> None:
    assert sorted(set(load_training_examples()) - set(ALL_INTENTS)) == []


@pytest.mark.parametrize("intent", ALL_INTENTS)
def test_training_intent_has_enough_examples(intent: str) -> None:
    assert len(load_training_examples().get(intent, ())) >= MIN_TRAINING_EXAMPLES


def test_training_examples_have_no_duplicates() -> None:
    counts = Counter(normalise_example(text) for _, text in all_training_texts())
    assert [text for text, count in counts.items() if count > 1] == []


def test_training_examples_have_no_duplicates_once_diacritics_are_folded() -> None:
    # The pipeline folds diacritics, so "chào bạn" and "chao ban" would be one example twice.
    counts = Counter(" ".join(sorted(fold_words(text))) for _, text in all_training_texts())
    assert [words for words, count in counts.items() if count > 1] == []


def test_training_examples_are_not_near_copies() -> None:
    words = [(intent, text, fold_words(text)) for intent, text in all_training_texts()]
    near_copies = [
        (first[1], second[1])
        for first, second in itertools.combinations(words, 2)
        if len(first[2] | second[2]) > 3 and word_overlap(first[2], second[2]) >= NEAR_COPY_TRAINING
    ]
    assert near_copies == []


def test_training_examples_carry_no_entity_markup() -> None:
    marked = [text for _, text in all_training_texts() if ENTITY_MARKUP.search(text)]
    assert marked == []


@pytest.mark.parametrize("intent", ALL_INTENTS)
def test_training_intent_mixes_diacritics_and_plain_text(intent: str) -> None:
    texts = load_training_examples()[intent]
    with_marks = sum(has_diacritics(text) for text in texts) / len(texts)
    assert with_marks >= MIN_STYLE_SHARE, f"only {with_marks:.0%} with diacritics"
    assert 1 - with_marks >= MIN_STYLE_SHARE, f"only {1 - with_marks:.0%} without diacritics"


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_training_intent_has_teencode_examples(intent: str) -> None:
    texts = load_training_examples()[intent]
    teencode = sum(bool(fold_words(text) & TEENCODE_MARKERS) for text in texts) / len(texts)
    assert teencode >= MIN_STYLE_SHARE, f"only {teencode:.0%} teencode"


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_training_intent_has_long_messages(intent: str) -> None:
    texts = load_training_examples()[intent]
    long_messages = [text for text in texts if len(text.split()) >= LONG_MESSAGE_WORDS]
    assert len(long_messages) >= MIN_LONG_KNOWLEDGE_EXAMPLES


@pytest.mark.parametrize(
    ("field", "kind"),
    [("id", str), ("text", str), ("intent", str), ("style", str), ("expect_any", list)],
)
def test_heldout_rows_have_typed_fields(field: str, kind: type) -> None:
    for row in load_heldout():
        assert isinstance(row.get(field), kind), row


def test_heldout_rows_have_valid_ids_intents_and_styles() -> None:
    rows = load_heldout()
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert re.fullmatch(r"h\d{4}", row["id"]), row["id"]
        assert row["intent"] in HELDOUT_INTENTS, row
        assert row["style"] in HELDOUT_STYLES, row
        assert row["text"] == row["text"].strip() and row["text"], row


def test_heldout_expectations_are_groups_of_strings() -> None:
    for row in load_heldout():
        for group in row["expect_any"]:
            assert isinstance(group, list) and group, row["id"]
            assert all(isinstance(item, str) and item.strip() for item in group), row["id"]


def test_heldout_knowledge_rows_expect_answer_content() -> None:
    missing = [
        row["id"]
        for row in load_heldout()
        if row["intent"] in KNOWLEDGE_INTENTS
        and row["intent"] not in INTENTS_WITHOUT_FIXED_ANSWER
        and not row["expect_any"]
    ]
    assert missing == []


def test_heldout_expected_numbers_use_vietnamese_grouping() -> None:
    wrong = [
        (row["id"], item)
        for row in load_heldout()
        for group in row["expect_any"]
        for item in group
        if COMMA_GROUPED_NUMBER.search(item) or UNGROUPED_NUMBER.search(item)
    ]
    assert wrong == []


@pytest.mark.parametrize("intent", HELDOUT_INTENTS)
def test_heldout_covers_intent(intent: str) -> None:
    rows = [row for row in load_heldout() if row["intent"] == intent]
    minimum = MIN_HELDOUT_KNOWLEDGE if intent in KNOWLEDGE_INTENTS else MIN_HELDOUT_GENERAL
    assert len(rows) >= minimum


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_heldout_balances_styles_for_knowledge_intent(intent: str) -> None:
    styles = Counter(row["style"] for row in load_heldout() if row["intent"] == intent)
    for style in ("diacritics", "no_diacritics", "teencode"):
        assert styles[style] >= MIN_HELDOUT_PER_STYLE, f"{style}: {styles[style]}"


def test_heldout_style_labels_match_diacritics() -> None:
    mislabelled = [
        row["id"]
        for row in load_heldout()
        if (row["style"] == "diacritics" and not has_diacritics(row["text"]))
        or (row["style"] == "no_diacritics" and has_diacritics(row["text"]))
    ]
    assert mislabelled == []


def test_heldout_texts_are_unique() -> None:
    counts = Counter(normalise_example(row["text"]) for row in load_heldout())
    assert [text for text, count in counts.items() if count > 1] == []


def test_heldout_texts_are_not_in_training_data() -> None:
    training = {normalise_example(text) for _, text in all_training_texts()}
    training_folded = {fold_diacritics(text) for text in training}
    leaked = [
        row["id"]
        for row in load_heldout()
        if normalise_example(row["text"]) in training
        or fold_diacritics(normalise_example(row["text"])) in training_folded
    ]
    assert leaked == []


def test_heldout_texts_are_not_near_copies_of_training_data() -> None:
    training = [fold_words(text) for _, text in all_training_texts()]
    near_copies = []
    for row in load_heldout():
        words = fold_words(row["text"])
        closest = max(word_overlap(words, other) for other in training)
        if closest >= NEAR_COPY_HELDOUT:
            near_copies.append((row["id"], round(closest, 2)))
    assert near_copies == []


def test_training_examples_stay_distinct_after_pipeline_normalisation() -> None:
    # The classifier sees normalize_text(): "ko" and "không" become one word, so two examples
    # that differ only by such a spelling are one example twice (or a label conflict).
    seen: dict[str, tuple[str, str]] = {}
    collisions = []
    for intent, text in all_training_texts():
        key = normalize_text(text)
        if key in seen:
            collisions.append((seen[key], (intent, text)))
        seen.setdefault(key, (intent, text))
    assert collisions == []


def test_heldout_texts_differ_from_training_after_pipeline_normalisation() -> None:
    training = {normalize_text(text) for _, text in all_training_texts()}
    leaked = [row["id"] for row in load_heldout() if normalize_text(row["text"]) in training]
    assert leaked == []
