"""Schemas of the conversation log: query filters as the list page sends them, chat polling."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from backend.app.services.conversations import ConversationFilters


def _flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "on", "yes")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class ConversationQuery(BaseModel):
    """The list page's query string, as typed by a browser (empty fields mean "any")."""

    channel: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    unit_id: str | None = None
    intent: str | None = None
    low_confidence: str | None = None
    fallback: str | None = None
    handoff: str | None = None
    reviewed: str | None = None
    page: str | None = None

    def to_filters(self) -> ConversationFilters:
        """Returns the filters; unreadable values are ignored rather than refused."""
        reviewed = {"yes": True, "no": False}.get((self.reviewed or "").lower())
        return ConversationFilters(
            channel=self.channel or None,
            date_from=_day(self.date_from),
            date_to=_day(self.date_to),
            unit_id=_int(self.unit_id),
            intent=self.intent or None,
            low_confidence=_flag(self.low_confidence),
            fallback=_flag(self.fallback),
            handoff_requested=_flag(self.handoff),
            reviewed=reviewed,
        )

    def page_number(self) -> int:
        """Returns the 1-based page number asked for (1 when unreadable)."""
        return max(1, min(_int(self.page) or 1, 100_000))


class ChatMessagePublic(BaseModel):
    """An officer's reply as the web chat page receives it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    role: str
    text: str
    created_at: datetime


class ChatMessagesPublic(BaseModel):
    """Officer replies newer than the page's last id."""

    data: list[ChatMessagePublic]
    count: int
