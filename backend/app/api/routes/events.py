"""Conversation events: the broker poller's lifespan and the web chat's public polling read.

The router's lifespan starts the Rasa SQL event broker poller as a background task when
RASA_EVENTS_DB is set and stops it at shutdown. ``GET /chat/messages`` is public (the web chat
page polls it for officer replies to its own random sender id).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query

from backend.app.api.deps import SessionDep
from backend.app.core.config import settings
from backend.app.schemas.conversation import ChatMessagePublic, ChatMessagesPublic
from backend.app.services.handoff_inbox import read_officer_messages
from backend.app.workers.event_poller import EventPoller, run_poller


@contextlib.asynccontextmanager
async def run_event_poller(_: FastAPI) -> AsyncIterator[None]:
    """Runs the event poller for the app's lifetime when RASA_EVENTS_DB is set."""
    events_db = settings.rasa_events_db
    if not events_db:
        yield
        return
    poller = EventPoller(events_db, batch_size=settings.event_poll_batch_size)
    stop = asyncio.Event()
    task = asyncio.create_task(run_poller(poller, settings.event_poll_interval_seconds, stop))
    try:
        yield
    finally:
        stop.set()
        await task
        poller.close()


router = APIRouter(tags=["chat"], lifespan=run_event_poller)


@router.get("/chat/messages")
def read_chat_messages(
    session: SessionDep,
    sender: Annotated[str, Query(min_length=8, max_length=128)],
    after: Annotated[int, Query(ge=0)] = 0,
) -> ChatMessagesPublic:
    """Returns officer replies for a web-chat sender newer than message id ``after``."""
    messages = read_officer_messages(session=session, sender_id=sender, after_id=after)
    return ChatMessagesPublic(
        data=[ChatMessagePublic.model_validate(m) for m in messages], count=len(messages)
    )
