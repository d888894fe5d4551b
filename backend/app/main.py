"""The FastAPI application factory: routers, body-size limit, and errors that never leak a 500.

Must not contain business logic; routes call services.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.app.api.routes import health, ingest
from backend.app.core.config import settings

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
            await JSONResponse({"detail": "request body too large"}, status_code=413)(
                scope, receive, send
            )
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
            await JSONResponse({"detail": "request body too large"}, status_code=413)(
                scope, receive, send
            )


class _BodyTooLarge(Exception):
    pass


def create_app() -> FastAPI:
    """Builds the backend application.

    Returns:
        The FastAPI app with every router mounted.
    """
    app = FastAPI(
        title="Trợ lý Công đoàn — backend",
        version="0.1.0",
        description="Ingestion API for the action server, admin pages and analytics.",
    )
    app.include_router(health.router)
    app.include_router(ingest.router)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


app = create_app()
