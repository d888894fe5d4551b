"""The FastAPI application factory: routers, static files, startup checks, body-size limit.

Errors never leak as a 500 page with details.

At startup the app refuses example secrets in production and, when ADMIN_EMAIL and
ADMIN_PASSWORD are set and no admin exists, creates the first admin. Must not contain business
logic; routes call services.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.app.api.routes import (
    bot_surveys,
    campaigns,
    chat,
    conversations,
    events,
    handoffs_inbox,
    health,
    ingest,
    login,
    pages,
    review,
    staff,
    surveys,
    units,
)
from backend.app.core.config import settings
from backend.app.core.db import session_scope
from backend.app.core.i18n import APP_DIR, gettext_for, render_page
from backend.app.core.security import check_production_safety
from backend.app.services.accounts import ensure_bootstrap_admin

logger = logging.getLogger(__name__)


class BodySizeLimit:
    """Refuses request bodies larger than the configured limit with 413, before parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Counts body bytes as they arrive and stops at the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await JSONResponse({"detail": "request body too large"}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> dict:  # type: ignore[type-arg]
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await JSONResponse({"detail": "request body too large"}, status_code=413)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def bootstrap_first_admin() -> None:
    """Creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD when set and no admin exists."""
    if not (settings.admin_email and settings.admin_password):
        return
    try:
        with session_scope() as session:
            created = ensure_bootstrap_admin(
                session=session,
                email=settings.admin_email,
                password=settings.admin_password,
                full_name=settings.admin_full_name,
            )
    except ValidationError:
        logger.warning(
            "ADMIN_EMAIL/ADMIN_PASSWORD are invalid (password: at least 10 characters); no admin created"
        )
        return
    except SQLAlchemyError as error:
        logger.warning(
            "no admin bootstrap: database not ready (%s); run the migrations", type(error).__name__
        )
        return
    if created is not None:
        logger.info("created the first admin %s from ADMIN_EMAIL", created.email)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """Startup: refuse unsafe production settings, bootstrap the first admin."""
    check_production_safety(
        app_env=settings.app_env,
        secret_key=settings.secret_key,
        admin_password=settings.admin_password,
    )
    bootstrap_first_admin()
    yield


def create_app() -> FastAPI:
    """Builds the backend application.

    Returns:
        The FastAPI app with every router mounted.
    """
    app = FastAPI(
        title="Trợ lý Công đoàn — backend",
        version="0.1.0",
        description="Ingestion API for the action server, admin pages and analytics.",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=APP_DIR / "static"), name="static")
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(login.router)
    app.include_router(pages.router)
    app.include_router(staff.router)
    app.include_router(units.router)
    app.include_router(chat.router)
    app.include_router(conversations.router)
    app.include_router(review.router)
    app.include_router(handoffs_inbox.router)
    app.include_router(events.router)
    app.include_router(bot_surveys.router)
    app.include_router(surveys.router)
    app.include_router(campaigns.router)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> Response:
        """Admin pages get a Vietnamese/English error page; the API keeps its JSON errors."""
        wants_page = request.url.path.startswith("/admin") and "text/html" in request.headers.get(
            "accept", ""
        )
        if wants_page and error.status_code in (403, 404):
            gettext = gettext_for(request)
            title = gettext("Not found") if error.status_code == 404 else gettext("Not allowed")
            message = (
                gettext("This page does not exist or is outside your union unit.")
                if error.status_code == 404
                else gettext("Your account may not open this page.")
            )
            return render_page(request, "error.html", {"title": title, "message": message}, error.status_code)
        return await http_exception_handler(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
