"""Settings of the action server, read once from the environment.

Lives here: one frozen dataclass and a cached accessor. Must not read the environment at
import time (the rasa_sdk executor imports every module of this package) and must not hold
legal figures: those are data in knowledge/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ActionSettings:
    """Everything the action server needs from its environment.

    Attributes:
        backend_url: Base URL of the backend (FastAPI), e.g. http://127.0.0.1:8000.
        service_token: The action server's own token for the backend's ingestion API.
        outbox_path: SQLite file keeping calls to the backend until they are delivered.
        timezone: The time zone in which "today" is decided for legal dates.
        backend_timeout_seconds: Timeout of one call to the backend.
        survey_cache_path: SQLite file keeping every compiled survey definition fetched, by
            (id, version), so a backend outage mid-survey does not stop the worker.
        survey_definition_ttl_seconds: How long a fetched definition or list is reused in
            memory before the backend is asked again.
    """

    backend_url: str
    service_token: str
    outbox_path: Path
    timezone: str
    backend_timeout_seconds: float
    survey_cache_path: Path = REPO_ROOT / "var" / "survey_definitions.sqlite3"
    survey_definition_ttl_seconds: float = 60.0

    def today(self) -> date:
        """Returns today's date in the configured time zone (Vietnam by default)."""
        return datetime.now(ZoneInfo(self.timezone)).date()


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    """Reads the settings from the environment on first use and caches them.

    Returns:
        The action server settings.
    """
    outbox = os.environ.get("ACTIONS_OUTBOX_DB") or str(
        REPO_ROOT / "var" / "actions_outbox.sqlite3"
    )
    survey_cache = os.environ.get("SURVEY_CACHE_DB") or str(
        Path(outbox).parent / "survey_definitions.sqlite3"
    )
    return ActionSettings(
        backend_url=(os.environ.get("BACKEND_URL") or "http://127.0.0.1:8000").rstrip("/"),
        service_token=os.environ.get("BACKEND_SERVICE_TOKEN", ""),
        outbox_path=Path(outbox),
        timezone=os.environ.get("BOT_TIMEZONE") or "Asia/Ho_Chi_Minh",
        backend_timeout_seconds=float(os.environ.get("BACKEND_TIMEOUT_SECONDS") or 3.0),
        survey_cache_path=Path(survey_cache),
        survey_definition_ttl_seconds=float(
            os.environ.get("SURVEY_DEFINITION_TTL_SECONDS") or 60.0
        ),
    )
