"""Review corrections: the right intent and entities for a user message, and the review set.

Lives here: reading the domain's intents and entities, validating and storing a correction,
and reading the review set a staff member may export. Must not talk HTTP nor commit.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from backend.app.models import Staff
from backend.app.models.conversation import Conversation, Message, ReviewCorrection
from backend.app.services.nlu_export import NluExample, build_nlu_yaml
from backend.app.services.scope import visible_unit_ids

# Intents that are not worker phrasings and so are never offered as corrections.
NOT_CORRECTABLE_INTENTS = frozenset({"officer_reply"})
_ENTITY_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$")


class CorrectionError(ValueError):
    """A correction that cannot be stored (unknown intent or entity, value not in the text)."""


@lru_cache(maxsize=4)
def _read_domain(path: Path, mtime: float) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def _domain(path: Path) -> dict[str, Any]:
    return _read_domain(path, path.stat().st_mtime)


def _names(items: list[Any] | None) -> list[str]:
    names: list[str] = []
    for item in items or []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            names.extend(str(key) for key in item)
    return names


def read_domain_intents(domain_path: Path) -> list[str]:
    """Returns the intents a reviewer may choose, in the domain's order.

    Args:
        domain_path: The Rasa domain file.

    Returns:
        Intent names.
    """
    return [
        name for name in _names(_domain(domain_path).get("intents")) if name not in NOT_CORRECTABLE_INTENTS
    ]


def read_domain_entities(domain_path: Path) -> list[str]:
    """Returns the entity names of the domain.

    Args:
        domain_path: The Rasa domain file.

    Returns:
        Entity names.
    """
    return _names(_domain(domain_path).get("entities"))


def parse_entity_lines(raw: str) -> list[dict[str, str]]:
    """Reads the form's entity lines, ``entity=value`` one per line.

    Args:
        raw: The textarea content.

    Returns:
        Dicts with ``entity`` and ``value``.

    Raises:
        CorrectionError: On a line that is not ``entity=value``.
    """
    entities: list[dict[str, str]] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = _ENTITY_LINE.match(line)
        if match is None:
            raise CorrectionError(f"dòng {number}: cần dạng tên_thực_thể=giá trị")
        entities.append({"entity": match.group(1), "value": match.group(2)})
    return entities


def save_correction(
    *,
    session: Session,
    staff: Staff,
    message: Message,
    conversation: Conversation,
    intent: str,
    entities: list[dict[str, str]],
    domain_path: Path,
) -> ReviewCorrection:
    """Stores (or replaces) the correction of a user message and marks nothing else.

    Args:
        session: An open session inside a transaction.
        staff: The reviewer.
        message: A user message of ``conversation``.
        conversation: Its conversation (already checked visible to ``staff``).
        intent: The right intent (must be in the domain).
        entities: The right entities (names in the domain, values in the text).
        domain_path: The Rasa domain file.

    Returns:
        The stored correction.

    Raises:
        CorrectionError: When the message, intent or entities are not acceptable.
    """
    if message.role != "user" or message.conversation_id != conversation.id:
        raise CorrectionError("chỉ sửa được tin nhắn của người lao động")
    if intent not in read_domain_intents(domain_path):
        raise CorrectionError(f"ý định không có trong domain: {intent}")
    known_entities = set(read_domain_entities(domain_path))
    for entity in entities:
        if entity["entity"] not in known_entities:
            raise CorrectionError(f"thực thể không có trong domain: {entity['entity']}")
        if entity["value"] not in message.text:
            raise CorrectionError(f"giá trị «{entity['value']}» không có trong tin nhắn")
    correction = session.scalars(
        select(ReviewCorrection).where(ReviewCorrection.message_id == message.id)
    ).first()
    if correction is None:
        correction = ReviewCorrection(message_id=message.id, text=message.text)
        session.add(correction)
    correction.intent = intent
    correction.entities = entities
    correction.unit_id = conversation.unit_id
    correction.created_by_id = staff.id
    session.flush()
    return correction


def list_corrections(*, session: Session, staff: Staff) -> list[ReviewCorrection]:
    """Returns the review set a staff member may see (their unit subtree; admins all).

    Args:
        session: An open session.
        staff: The viewer.

    Returns:
        Corrections, oldest first.
    """
    query = select(ReviewCorrection).order_by(ReviewCorrection.id)
    unit_ids = visible_unit_ids(session, staff)
    if unit_ids is not None:
        query = query.where(ReviewCorrection.unit_id.in_(unit_ids)) if unit_ids else query.where(false())
    return list(session.scalars(query))


def corrections_by_message(*, session: Session, message_ids: list[int]) -> dict[int, ReviewCorrection]:
    """Returns the corrections of the given messages, keyed by message id.

    Args:
        session: An open session.
        message_ids: Message ids.

    Returns:
        Message id → correction.
    """
    if not message_ids:
        return {}
    rows = session.scalars(select(ReviewCorrection).where(ReviewCorrection.message_id.in_(message_ids)))
    return {row.message_id: row for row in rows}


def export_review_set(*, session: Session, staff: Staff) -> str:
    """Returns the review set as Rasa NLU YAML, masked unless the viewer is an admin.

    Args:
        session: An open session.
        staff: The viewer.

    Returns:
        The YAML text.
    """
    examples = [
        NluExample(text=row.text, intent=row.intent, entities=list(row.entities or []))
        for row in list_corrections(session=session, staff=staff)
    ]
    return build_nlu_yaml(examples, masked=not staff.is_admin)
