"""The public web chat page (/chat): talks to Rasa's REST channel from the browser.

Public on purpose (workers without Zalo/Messenger); it reveals no data. Must not proxy Rasa.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from backend.app.core.config import settings
from backend.app.core.i18n import gettext_for, render_page

router = APIRouter(tags=["chat"])


@router.get("/chat", response_class=HTMLResponse)
def read_chat_page(request: Request) -> HTMLResponse:
    """Shows the web chat page wired to RASA_PUBLIC_URL."""
    gettext = gettext_for(request)
    texts = {
        "waiting": gettext("The assistant is answering…"),
        "empty": gettext("Sorry, I have no answer for that yet. Could you ask in another way?"),
        "offline": gettext("Sorry, the assistant cannot be reached right now. Please try again in a moment."),
        "officer": gettext("Union officer:"),
    }
    return render_page(
        request,
        "chat.html",
        {"rasa_public_url": settings.rasa_public_url.rstrip("/"), "chat_texts": texts},
    )
