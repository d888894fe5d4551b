"""Typed dependencies shared by the routes (sessions, the service token check).

Permission checks live here as dependencies, never as code inside handlers.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status
from sqlalchemy.orm import Session

from backend.app.core.config import settings
from backend.app.core.db import SessionLocal


def get_session() -> Iterator[Session]:
    """Yields a database session for one request."""
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_service_token(authorization: Annotated[str | None, Header()] = None) -> None:
    """Accepts only the action server's own bearer token (constant-time comparison).

    Args:
        authorization: The ``Authorization`` header.

    Raises:
        HTTPException: 401 when the token is missing or wrong.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.encode(), settings.backend_service_token.encode()
    ):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="a valid service token is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


ServiceTokenDep = Annotated[None, Depends(require_service_token)]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=8, max_length=200)]
