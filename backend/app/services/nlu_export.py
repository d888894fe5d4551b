"""Writing review corrections as Rasa NLU training data (YAML, ``version: "3.1"``).

Lives here: entity annotation of an example, grouping by intent and the YAML text. Must not
query the database: callers pass the corrections (already scoped) and say whether to mask.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from backend.app.services.masking import mask_text

NLU_FORMAT_VERSION = "3.1"
# Characters that carry meaning in Rasa's inline entity annotation "[value](entity)".
_ANNOTATION_CHARS = re.compile(r"[\[\]{}()]")


@dataclass(frozen=True)
class NluExample:
    """One training example: the text, its intent and its entities (name and value)."""

    text: str
    intent: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def annotate_example(text: str, entities: Iterable[dict[str, Any]]) -> str:
    """Returns the example text with entities written inline as ``[value](entity)``.

    Args:
        text: The plain example (one line).
        entities: Dicts with ``entity`` and ``value``; a value not found in the text is dropped.

    Returns:
        The annotated example.
    """
    plain = " ".join(_ANNOTATION_CHARS.sub(" ", text).split())
    spans: list[tuple[int, int, str]] = []
    for entity in entities:
        value = " ".join(_ANNOTATION_CHARS.sub(" ", str(entity.get("value") or "")).split())
        name = str(entity.get("entity") or "")
        if not value or not name:
            continue
        start = plain.find(value)
        while start != -1 and any(start < end and start + len(value) > begin for begin, end, _ in spans):
            start = plain.find(value, start + 1)
        if start != -1:
            spans.append((start, start + len(value), name))
    annotated = plain
    for begin, end, name in sorted(spans, reverse=True):
        annotated = f"{annotated[:begin]}[{annotated[begin:end]}]({name}){annotated[end:]}"
    return annotated


class _LiteralDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def build_nlu_yaml(examples: Iterable[NluExample], *, masked: bool) -> str:
    """Builds a Rasa NLU file, one block per intent, examples de-duplicated and sorted.

    Args:
        examples: The corrected examples.
        masked: Mask phone and ID numbers (exports made by non-admins).

    Returns:
        The YAML text.
    """
    by_intent: dict[str, set[str]] = defaultdict(set)
    for example in examples:
        text = mask_text(example.text) if masked else example.text
        line = annotate_example(text, example.entities)
        if line:
            by_intent[example.intent].add(line)
    document = {
        "version": NLU_FORMAT_VERSION,
        "nlu": [
            {"intent": intent, "examples": "".join(f"- {line}\n" for line in sorted(lines))}
            for intent, lines in sorted(by_intent.items())
        ],
    }
    header = "# Corrections from conversation review (backend export); do not edit by hand.\n"
    return header + yaml.dump(document, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False)
