"""The admin home page, the audit log page and the language switch.

Handlers stay thin: they read through services and render templates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from backend.app.api.deps import CsrfProtected, CurrentAdmin, CurrentStaff, SessionDep
from backend.app.core.config import settings
from backend.app.core.i18n import LANGUAGES, gettext_for, render_page
from backend.app.core.security import LANGUAGE_COOKIE
from backend.app.models import Staff, Unit
from backend.app.services.audit import list_audit
from backend.app.services.scope import visible_unit_ids

router = APIRouter(tags=["pages"])
AUDIT_PAGE_SIZE = 50


@router.get("/admin", response_class=HTMLResponse)
def read_home(request: Request, session: SessionDep, staff: CurrentStaff) -> HTMLResponse:
    """Shows the home page of a logged-in staff member or admin."""
    visible = visible_unit_ids(session, staff)
    if visible is None:
        unit_count = len(list(session.scalars(select(Unit.id))))
    else:
        unit_count = len(visible)
    unit = session.get(Unit, staff.unit_id) if staff.unit_id is not None else None
    return render_page(request, "home.html", {"unit": unit, "unit_count": unit_count})


@router.post("/language")
def update_language(
    _: CsrfProtected,
    language: Annotated[str, Form(max_length=8)] = "vi",
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "/admin",
) -> RedirectResponse:
    """Remembers the chosen language (vi or en) in a cookie and goes back to the page."""
    chosen = language if language in LANGUAGES else "vi"
    target = next_path if next_path.startswith("/") and not next_path.startswith("//") else "/admin"
    response = RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=settings.app_env == "production",
        path="/",
    )
    return response


def _start_of(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=UTC) if day is not None else None


@router.get("/admin/audit", response_class=HTMLResponse)
def read_audit_log(
    request: Request,
    session: SessionDep,
    _: CurrentAdmin,
    action: Annotated[str, Query(max_length=64)] = "",
    actor_id: Annotated[str, Query(max_length=12)] = "",
    date_from: Annotated[date | None, Query()] = None,
    date_to: Annotated[date | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Lists admin actions, newest first, filtered by action, person and dates."""
    gettext = gettext_for(request)
    actor = int(actor_id) if actor_id.isdigit() else None
    entries, total = list_audit(
        session=session,
        action=action or None,
        actor_id=actor,
        date_from=_start_of(date_from),
        date_to=_start_of(date_to + timedelta(days=1)) if date_to is not None else None,
        skip=(page - 1) * AUDIT_PAGE_SIZE,
        limit=AUDIT_PAGE_SIZE,
    )
    people = list(session.scalars(select(Staff).order_by(Staff.email)).unique())
    filters = {"action": action, "actor_id": actor, "date_from": date_from, "date_to": date_to}

    def page_link(number: int) -> str:
        query = {key: value for key, value in filters.items() if value not in (None, "")}
        return "/admin/audit?" + urlencode({**query, "page": number})

    action_choices = [
        ("staff", gettext("Staff accounts")),
        ("unit", gettext("Units")),
        ("review", gettext("Conversation review")),
        ("handoff", gettext("Help requests")),
    ]
    return render_page(
        request,
        "staff/audit.html",
        {
            "entries": entries,
            "total": total,
            "page": page,
            "page_size": AUDIT_PAGE_SIZE,
            "page_link": page_link,
            "filters": filters,
            "people": people,
            "actors": {person.id: person.email for person in people},
            "action_choices": action_choices,
        },
    )
