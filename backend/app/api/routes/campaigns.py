"""Push campaigns: staff pages, invitation links and QR codes, the public invitation page, receipts.

Pages (staff, scoped to their units): list, new (form → preview with reasons → create),
detail with live progress (reloads itself while sending) and pause/resume/cancel/resend-unknown,
invitations per unit with QR code PNGs. Public: ``GET /i/{token}`` (a signed survey+unit
invitation, no login). Service token: ``POST /api/ingest/push-receipts`` (delivery/read
receipts the bot's channels forward). The router's lifespan runs the dispatcher inside the app
when PUSH_DISPATCHER_ENABLED is set. Handlers stay thin: rules live in services/campaign_*.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.api.deps import CsrfProtected, CurrentStaff, ServiceTokenDep, SessionDep
from backend.app.core.config import settings
from backend.app.core.i18n import gettext_for, language_of, render_page
from backend.app.models.campaign import (
    CAMPAIGN_PAUSED,
    CAMPAIGN_RUNNING,
    CAMPAIGN_SCHEDULED,
    Campaign,
)
from backend.app.models.staff import Staff
from backend.app.models.survey import STATUS_OPEN, Survey
from backend.app.models.unit import Unit
from backend.app.services.audit import record_audit
from backend.app.services.campaign_audience import Audience, preview_audience
from backend.app.services.campaign_invitations import invitation_links, qr_png, read_invitation_token
from backend.app.services.campaign_lifecycle import (
    CampaignCreate,
    CampaignError,
    aware_utc,
    cancel_campaign,
    check_request,
    create_campaign,
    list_campaigns,
    pause_campaign,
    read_campaign,
    resend_unknown,
    resume_campaign,
)
from backend.app.services.campaign_progress import read_progress, record_receipts
from backend.app.services.campaign_rules import (
    CHANNEL_LABELS,
    N_,
    PUSH_CHANNELS,
    REASON_LABELS,
    default_invitation_text,
)
from backend.app.services.scope import can_see_unit, visible_unit_ids
from backend.app.services.survey_catalog import can_view_survey
from backend.app.services.units import unit_tree_rows

logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def run_push_dispatcher(_: FastAPI) -> AsyncIterator[None]:
    """Runs the campaign dispatcher for the app's lifetime when PUSH_DISPATCHER_ENABLED is set."""
    if not settings.push_dispatcher_enabled:
        yield
        return
    from backend.app.workers.dispatcher import Dispatcher, DispatcherConfig

    dispatcher = Dispatcher(DispatcherConfig.from_settings(settings))
    task = asyncio.create_task(dispatcher.run())
    logger.info("push dispatcher %s started with the app", dispatcher.worker_id)
    try:
        yield
    finally:
        dispatcher.stop()
        await task


router = APIRouter(tags=["campaigns"], lifespan=run_push_dispatcher)
ACTIVE = (CAMPAIGN_SCHEDULED, CAMPAIGN_RUNNING, CAMPAIGN_PAUSED)


def utc_now() -> datetime:
    """Returns the current moment, aware UTC."""
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """The time zone staff type dates in."""
    return ZoneInfo(settings.push_timezone)


def format_local(moment: datetime | None) -> str:
    """Formats a stored moment in local time, dd/mm/yyyy HH:MM ("" for None)."""
    if moment is None:
        return ""
    return aware_utc(moment).astimezone(local_zone()).strftime("%d/%m/%Y %H:%M")


def _pushable_surveys(session: Session, staff: Staff) -> list[Survey]:
    surveys = session.scalars(select(Survey).where(Survey.status == STATUS_OPEN).order_by(Survey.title))
    return [survey for survey in surveys if can_view_survey(session=session, staff=staff, survey=survey)]


def _unit_rows(session: Session, staff: Staff) -> list[Any]:
    return unit_tree_rows(session=session, visible_ids=visible_unit_ids(session, staff))


def _labels(request: Request) -> dict[str, Any]:
    gettext = gettext_for(request)
    locale = language_of(request)

    def number(value: float) -> str:
        return format_decimal(value, format="#,##0", locale=locale)

    return {
        "reason_labels": {key: gettext(value) for key, value in REASON_LABELS.items()},
        "channel_labels": {key: gettext(value) for key, value in CHANNEL_LABELS.items()},
        "format_local": format_local,
        "num": number,
    }


@router.get("/admin/campaigns", response_class=HTMLResponse)
def read_campaigns(request: Request, session: SessionDep, staff: CurrentStaff) -> HTMLResponse:
    """Lists the campaigns the staff member may see, with their progress."""
    with session.begin():
        campaigns = list_campaigns(session=session, staff=staff)
        rows = [{"campaign": c, "progress": read_progress(session=session, campaign=c)} for c in campaigns]
    return render_page(request, "campaigns/list.html", {"rows": rows, **_labels(request)})


def _form_page(
    request: Request,
    session: Session,
    staff: Staff,
    form: dict[str, Any],
    *,
    preview: Any = None,  # noqa: ANN401 - an AudiencePreview
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "form": form,
        "surveys": _pushable_surveys(session, staff),
        "unit_rows": _unit_rows(session, staff),
        "push_channels": PUSH_CHANNELS,
        "preview": preview,
        "error": error,
        "limits": {
            "zalo": settings.push_zalo_rate_per_minute / 60.0,
            "messenger": float(settings.push_messenger_rate_per_second),
        },
        "zalo_quiet_hours": settings.push_zalo_quiet_hours,
        **_labels(request),
    }
    return render_page(request, "campaigns/new.html", context, status_code)


@router.get("/admin/campaigns/new", response_class=HTMLResponse)
def read_new_campaign(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    survey: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Shows the campaign form (a survey can be preselected with ``?survey=``)."""
    with session.begin():
        form = {
            "title": "",
            "survey": survey or "",
            "message": "",
            "unit_ids": [],
            "channels": list(PUSH_CHANNELS),
        }
        return _form_page(request, session, staff, form)


def _parse_when(when: str, scheduled_at: str) -> datetime | None:
    if when != "later":
        return None
    try:
        local = datetime.strptime(scheduled_at.strip(), "%Y-%m-%dT%H:%M")
    except ValueError as error:
        raise CampaignError(N_("Give the date and time to send at.")) from error
    return local.replace(tzinfo=local_zone()).astimezone(UTC)


@router.post("/admin/campaigns", response_class=HTMLResponse, response_model=None)
def create_campaign_page(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    title: Annotated[str, Form(max_length=200)] = "",
    survey: Annotated[str, Form(max_length=64)] = "",
    message: Annotated[str, Form(max_length=4000)] = "",
    unit_ids: Annotated[list[int] | None, Form()] = None,
    channels: Annotated[list[str] | None, Form()] = None,
    when: Annotated[str, Form(max_length=8)] = "now",
    scheduled_at: Annotated[str, Form(max_length=32)] = "",
    action: Annotated[str, Form(max_length=16)] = "preview",
) -> HTMLResponse | RedirectResponse:
    """Previews (``action=preview``) or creates (``action=create``) a campaign."""
    gettext = gettext_for(request)
    form = {
        "title": title,
        "survey": survey,
        "message": message,
        "unit_ids": list(unit_ids or []),
        "channels": list(channels or []),
        "when": when,
        "scheduled_at": scheduled_at,
    }
    with session.begin():
        try:
            request_in = CampaignCreate(
                title=title,
                unit_ids=list(unit_ids or []),
                channels=list(channels or []),
                message_text=message,
                survey_slug=survey or None,
                scheduled_at=_parse_when(when, scheduled_at),
            )
            if not message.strip() and survey:
                chosen = session.scalars(select(Survey).where(Survey.slug == survey)).first()
                if chosen is not None:
                    form["message"] = default_invitation_text(chosen.title)
                    request_in = replace(request_in, message_text=form["message"])
            survey_row = check_request(session=session, staff=staff, request=request_in)
            if survey_row is not None and not can_view_survey(
                session=session, staff=staff, survey=survey_row
            ):
                raise CampaignError(N_("Only an open survey can be pushed."))
        except CampaignError as error:
            return _form_page(request, session, staff, form, error=gettext(str(error)), status_code=400)
        now = utc_now()
        if action != "create":
            audience = Audience(
                unit_ids=list(request_in.unit_ids),
                channels=list(request_in.channels),
                survey_id=survey_row.id if survey_row else None,
            )
            preview = preview_audience(session=session, audience=audience, now=now)
            return _form_page(request, session, staff, form, preview=preview)
        campaign = create_campaign(session=session, staff=staff, request=request_in, now=now)
        record_audit(
            session=session,
            actor=staff,
            action="campaign.create",
            target_type="campaign",
            target_id=campaign.id,
            detail={
                "survey": campaign.survey_slug,
                "units": campaign.unit_ids,
                "channels": campaign.channels,
                "scheduled_at": campaign.scheduled_at.isoformat() if campaign.scheduled_at else None,
            },
        )
        campaign_id = campaign.id
    return RedirectResponse(f"/admin/campaigns/{campaign_id}", status_code=status.HTTP_303_SEE_OTHER)


def _require_invitation_target(
    session: Session, staff: Staff, survey_slug: str, unit_code: str
) -> tuple[Survey, Unit]:
    survey = session.scalars(select(Survey).where(Survey.slug == survey_slug)).first()
    unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
    if (
        survey is None
        or unit is None
        or not can_see_unit(staff, unit)
        or not can_view_survey(session=session, staff=staff, survey=survey)
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="survey or unit not found")
    return survey, unit


@router.get("/admin/campaigns/invitations", response_class=HTMLResponse)
def read_invitations(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    survey: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Lists, for a survey, each of the staff member's units with its invitation link and QR code."""
    with session.begin():
        surveys = _pushable_surveys(session, staff)
        chosen = next((s for s in surveys if s.slug == survey), surveys[0] if surveys else None)
        rows = []
        if chosen is not None:
            for row in _unit_rows(session, staff):
                rows.append(
                    {
                        "unit": row.unit,
                        "depth": row.depth,
                        "links": invitation_links(chosen.slug, row.unit.code),
                    }
                )
        return render_page(
            request, "campaigns/invitations.html", {"surveys": surveys, "chosen": chosen, "rows": rows}
        )


@router.get("/admin/campaigns/invitations/{survey_slug}/{unit_code}/qr.png")
def read_invitation_qr(
    survey_slug: str, unit_code: str, session: SessionDep, staff: CurrentStaff
) -> Response:
    """The QR code (PNG) of a unit's invitation page, for printing or posting in a Zalo group."""
    with session.begin():
        survey, unit = _require_invitation_target(session, staff, survey_slug, unit_code)
        links = invitation_links(survey.slug, unit.code)
    filename = f"khao-sat-{survey.slug}-{unit.code}.png"
    return Response(
        qr_png(links.page_url),
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )


def _require_campaign(session: Session, staff: Staff, campaign_id: int) -> Campaign:
    campaign = read_campaign(session=session, staff=staff, campaign_id=campaign_id)
    if campaign is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="campaign not found")
    return campaign


@router.get("/admin/campaigns/{campaign_id}", response_class=HTMLResponse)
def read_campaign_page(
    request: Request, campaign_id: int, session: SessionDep, staff: CurrentStaff
) -> HTMLResponse:
    """Shows a campaign, its live progress and the buttons to steer it."""
    with session.begin():
        campaign = _require_campaign(session, staff, campaign_id)
        progress = read_progress(session=session, campaign=campaign)
        units = list(
            session.scalars(select(Unit).where(Unit.id.in_(list(campaign.unit_ids))).order_by(Unit.name))
        )
        context = {
            "campaign": campaign,
            "progress": progress,
            "units": units,
            "live": campaign.status in (CAMPAIGN_SCHEDULED, CAMPAIGN_RUNNING),
            "notice": request.query_params.get("notice"),
            "error": request.query_params.get("error"),
            **_labels(request),
        }
        return render_page(request, "campaigns/detail.html", context)


_ACTIONS = {
    "pause": (pause_campaign, "campaign.pause"),
    "resume": (resume_campaign, "campaign.resume"),
    "cancel": (cancel_campaign, "campaign.cancel"),
    "resend-unknown": (resend_unknown, "campaign.resend_unknown"),
}


@router.post("/admin/campaigns/{campaign_id}/{verb}")
def steer_campaign(
    request: Request,
    campaign_id: int,
    verb: Literal["pause", "resume", "cancel", "resend-unknown"],
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
) -> RedirectResponse:
    """Pauses, resumes, cancels a campaign, or queues its unknown rows again (audited)."""
    change, action = _ACTIONS[verb]
    back = f"/admin/campaigns/{campaign_id}"
    try:
        with session.begin():
            campaign = _require_campaign(session, staff, campaign_id)
            rows = change(session=session, campaign=campaign, now=utc_now())
            record_audit(
                session=session,
                actor=staff,
                action=action,
                target_type="campaign",
                target_id=campaign_id,
                detail={"rows": rows} if isinstance(rows, int) else {},
            )
    except CampaignError as error:
        message = gettext_for(request)(str(error))
        return RedirectResponse(f"{back}?error={message}", status_code=status.HTTP_303_SEE_OTHER)
    return RedirectResponse(f"{back}?notice={verb}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/i/{token}", response_class=HTMLResponse)
def read_invitation_page(request: Request, token: str, session: SessionDep) -> HTMLResponse:
    """The public invitation page a QR code opens: the chat links that start the survey."""
    found = read_invitation_token(token) if len(token) <= 300 else None
    with session.begin():
        survey = unit = None
        if found is not None:
            survey = session.scalars(select(Survey).where(Survey.slug == found[0])).first()
            unit = session.scalars(select(Unit).where(Unit.code == found[1])).first()
        if survey is None or unit is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="invitation not found")
        context = {
            "survey_title": survey.title,
            "unit_name": unit.name,
            "open": survey.status == STATUS_OPEN,
            "links": invitation_links(survey.slug, unit.code),
        }
    return render_page(request, "campaigns/invitation_public.html", context)


class PushReceiptIn(BaseModel):
    """A delivery or read receipt the platform sent to the bot's webhook."""

    channel: Literal["zalo", "messenger"]
    kind: Literal["delivered", "read"]
    message_ids: list[str] = Field(default_factory=list, max_length=1000)
    recipient_id: str | None = Field(default=None, max_length=255)
    watermark_ms: int | None = Field(default=None, ge=0)


class PushReceiptOut(BaseModel):
    """How many pushes the receipt covered."""

    updated: int


@router.post("/api/ingest/push-receipts")
def create_push_receipt(receipt: PushReceiptIn, session: SessionDep, _: ServiceTokenDep) -> PushReceiptOut:
    """Marks pushes delivered or read (idempotent: a status only moves forward)."""
    watermark = (
        datetime.fromtimestamp(receipt.watermark_ms / 1000, UTC) if receipt.watermark_ms is not None else None
    )
    try:
        with session.begin():
            updated = record_receipts(
                session=session,
                channel=receipt.channel,
                kind=receipt.kind,
                message_ids=receipt.message_ids,
                recipient_id=receipt.recipient_id,
                watermark=watermark,
            )
    except ValueError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(error)) from error
    return PushReceiptOut(updated=updated)
