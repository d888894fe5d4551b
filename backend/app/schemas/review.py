"""Schemas of review corrections as stored and exported."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EntityValue(BaseModel):
    """An entity of a corrected example."""

    entity: str = Field(min_length=1, max_length=64)
    value: str = Field(min_length=1, max_length=500)


class ReviewCorrectionPublic(BaseModel):
    """A stored correction."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: int
    intent: str
    entities: list[EntityValue]
    created_at: datetime
