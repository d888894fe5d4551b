"""Survey definitions and the list of open surveys, fetched from the backend and cached.

Lives here: the two GET calls of the bot API (``/api/bot/surveys`` and
``/api/bot/surveys/{id}``, with the action server's service token), a short in-memory cache and
a SQLite cache of every compiled definition by (id, version) next to the outbox, so a backend
outage in the middle of a survey does not stop the worker. Must not post answers (the
``backend_client`` outbox does) and must not interpret definitions beyond ``Survey.from_json``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from actions.settings import get_settings
from actions.survey.engine import DefinitionError, Survey

__all__ = [
    "SurveySummary",
    "cached_survey",
    "clear_memory_cache",
    "fetch_open_surveys",
    "load_survey",
]

logger = logging.getLogger(__name__)

LIST_PATH = "/api/bot/surveys"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS survey_definitions (
    survey_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (survey_id, version)
)
"""

_memory: dict[str, tuple[float, Survey]] = {}
"""Survey id → (monotonic time it was fetched or looked up, the survey)."""


@dataclass(frozen=True)
class SurveySummary:
    """One open survey as the list call gives it, with this worker's status in it.

    Attributes:
        id: The survey id.
        version: Its current version.
        title: Its title.
        question_count: How many questions it has.
        status: "not_started", "in_progress" or "completed" for this worker.
    """

    id: str
    version: int
    title: str
    question_count: int
    status: str


def clear_memory_cache() -> None:
    """Forgets the in-memory definitions (the SQLite cache stays)."""
    _memory.clear()


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        yield connection
    finally:
        connection.close()


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {get_settings().service_token}", "Accept": "application/json"}


def _store(survey_json: dict[str, Any], survey: Survey) -> None:
    with _connect(get_settings().survey_cache_path) as connection:
        connection.execute(
            "INSERT OR REPLACE INTO survey_definitions (survey_id, version, body, fetched_at) "
            "VALUES (?, ?, ?, ?)",
            (survey.id, survey.version, json.dumps(survey_json, ensure_ascii=False), time.time()),
        )


def cached_survey(survey_id: str, version: int | None = None) -> Survey | None:
    """Reads a definition from the SQLite cache.

    Args:
        survey_id: The survey.
        version: The version wanted; None (or not cached) gives the newest cached one.

    Returns:
        The survey, or None when it was never fetched.
    """
    with _connect(get_settings().survey_cache_path) as connection:
        row = None
        if version is not None:
            row = connection.execute(
                "SELECT body FROM survey_definitions WHERE survey_id = ? AND version = ?",
                (survey_id, version),
            ).fetchone()
        if row is None:
            row = connection.execute(
                "SELECT body FROM survey_definitions WHERE survey_id = ? ORDER BY version DESC LIMIT 1",
                (survey_id,),
            ).fetchone()
    if row is None:
        return None
    try:
        return Survey.from_json(json.loads(row[0]))
    except (ValueError, DefinitionError):
        logger.warning("cached definition of %s is unreadable", survey_id)
        return None


async def _fetch_definition(survey_id: str) -> tuple[str, Survey | None]:
    """GETs a definition: ("ok", survey), ("unknown", None) on 404, ("error", None) otherwise."""
    settings = get_settings()
    url = f"{settings.backend_url}{LIST_PATH}/{quote(survey_id, safe='')}"
    try:
        async with httpx.AsyncClient(timeout=settings.backend_timeout_seconds) as client:
            reply = await client.get(url, headers=_headers())
    except httpx.HTTPError as error:
        logger.warning("survey definition %s not fetched: %s", survey_id, error)
        return "error", None
    if reply.status_code == 404:
        return "unknown", None
    if reply.status_code != 200:
        logger.warning("survey definition %s: HTTP %s", survey_id, reply.status_code)
        return "error", None
    try:
        data = reply.json()
        survey = Survey.from_json(data)
    except (ValueError, DefinitionError) as error:
        logger.warning("survey definition %s unusable: %s", survey_id, error)
        return "error", None
    _store(data, survey)
    return "ok", survey


async def load_survey(survey_id: str, version: int | None = None) -> Survey | None:
    """Returns the current definition of a survey, from memory, the backend or the cache.

    A definition fetched less than ``survey_definition_ttl_seconds`` ago is reused. When the
    backend cannot be reached, the cached definition of ``version`` (or the newest cached one)
    is used, so a worker in the middle of a survey can go on during an outage.

    Args:
        survey_id: The survey.
        version: The version the worker's answers belong to (the fallback's first choice).

    Returns:
        The survey, or None when the backend does not know it (404) or it was never cached.
    """
    ttl = get_settings().survey_definition_ttl_seconds
    remembered = _memory.get(survey_id)
    if remembered is not None and time.monotonic() - remembered[0] < ttl:
        return remembered[1]
    outcome, survey = await _fetch_definition(survey_id)
    if outcome == "unknown":
        _memory.pop(survey_id, None)
        return None
    if survey is None:
        survey = cached_survey(survey_id, version)
    if survey is not None:
        _memory[survey_id] = (time.monotonic(), survey)
    return survey


def _summary(item: Any) -> SurveySummary | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    try:
        return SurveySummary(
            id=item["id"],
            version=int(item.get("version") or 0),
            title=str(item.get("title") or item["id"]),
            question_count=int(item.get("question_count") or 0),
            status=str(item.get("status") or "not_started"),
        )
    except (TypeError, ValueError):
        return None


async def fetch_open_surveys(channel: str, sender_id: str) -> list[SurveySummary] | None:
    """Lists the surveys open now for this worker, with their status in each.

    Args:
        channel: The worker's input channel ("rest", "zalo", "messenger").
        sender_id: The worker's id on that channel.

    Returns:
        The open surveys (possibly empty), or None when the backend could not be asked.
    """
    settings = get_settings()
    try:
        async with httpx.AsyncClient(timeout=settings.backend_timeout_seconds) as client:
            reply = await client.get(
                f"{settings.backend_url}{LIST_PATH}",
                params={"channel": channel, "sender_id": sender_id},
                headers=_headers(),
            )
    except httpx.HTTPError as error:
        logger.warning("open surveys not listed: %s", error)
        return None
    if reply.status_code != 200:
        logger.warning("open surveys not listed: HTTP %s", reply.status_code)
        return None
    try:
        items = reply.json().get("surveys")
    except (ValueError, AttributeError):
        return None
    if not isinstance(items, list):
        return None
    return [summary for summary in (_summary(item) for item in items) if summary is not None]
