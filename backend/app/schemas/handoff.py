"""Schemas of handoff requests as the action server sends them and the API returns them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class HandoffCreate(BaseModel):
    """A handoff request posted by the action server."""

    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(min_length=1, max_length=128)
    channel: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=64)
    question: str = Field(default="", max_length=4000)
    request_text: str = Field(default="", max_length=4000)


class HandoffPublic(BaseModel):
    """A stored handoff request."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: str
    channel: str
    reason: str
    question: str
    status: str
    created_at: datetime
