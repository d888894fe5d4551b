"""Health: is the database reachable, is the Rasa server reachable."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Response, status
from sqlalchemy import text

from backend.app.core.config import settings
from backend.app.core.db import engine

router = APIRouter(tags=["health"])


def _check_database() -> dict[str, Any]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "backend": engine.dialect.name}


async def _check_rasa() -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=settings.health_timeout_seconds) as client:
            reply = await client.get(f"{settings.rasa_url}/")
    except httpx.HTTPError as error:
        return {"ok": False, "url": settings.rasa_url, "error": type(error).__name__}
    return {"ok": reply.status_code == 200, "url": settings.rasa_url}


@router.get("/healthz")
async def read_health(response: Response) -> dict[str, Any]:
    """Reports the database and Rasa reachability; 503 only when the database is down."""
    database = _check_database()
    rasa = await _check_rasa()
    healthy = database["ok"] and rasa["ok"]
    if not database["ok"]:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return {"status": "ok" if healthy else "degraded", "database": database, "rasa": rasa}
