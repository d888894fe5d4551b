"""Request and response bodies of the survey API the action server calls (contract section 3).

Lives here: pydantic schemas by role (``...In`` what the bot sends, ``...Public`` what it
gets back). Must not hold logic beyond field validation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ResponseStatus = Literal["not_started", "in_progress", "completed"]


class _Incoming(BaseModel):
    """Bodies sent by the action server; unknown fields are ignored (newer bots may add some)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    channel: str = Field(min_length=1, max_length=32)
    sender_id: str = Field(min_length=1, max_length=255)


class SurveyAnswerIn(_Incoming):
    """One answer (or a skip/clear when ``value`` is null) to one question."""

    survey_id: str = Field(min_length=1, max_length=64)
    survey_version: int = Field(ge=1)
    question_id: str = Field(min_length=1, max_length=64)
    value: Any = None
    seq: int = Field(ge=0)
    answered_at: datetime
    unit_code: str | None = Field(default=None, max_length=64)


class SurveyCompletionIn(_Incoming):
    """The worker reached the end of the survey."""

    survey_id: str = Field(min_length=1, max_length=64)
    survey_version: int = Field(ge=1)
    completed_at: datetime
    answer_count: int = Field(default=0, ge=0)


class MemberUnitIn(_Incoming):
    """Attach a worker to a union unit (from an invitation link)."""

    unit_code: str = Field(min_length=1, max_length=64)


class IngestResultPublic(BaseModel):
    """What an ingestion call did: ``stored``, ``duplicate`` (same key again) or ``stale``."""

    result: Literal["stored", "duplicate", "stale"]
    response_status: Literal["in_progress", "completed"] | None = None


class MemberUnitPublic(BaseModel):
    """The unit now attached to the worker."""

    result: Literal["stored", "duplicate"]
    unit_code: str


class BotSurveyPublic(BaseModel):
    """One survey open for a worker, with that worker's progress."""

    id: str
    version: int
    title: str
    question_count: int
    status: ResponseStatus


class BotSurveysPublic(BaseModel):
    """The surveys open now for a worker."""

    surveys: list[BotSurveyPublic]
