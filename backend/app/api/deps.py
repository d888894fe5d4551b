"""Typed dependencies shared by the routes: sessions, service token, login, admin, CSRF.

Permission checks live here as dependencies, never as code inside handlers. The names other
modules import: ``SessionDep``, ``ServiceTokenDep``, ``IdempotencyKey``, ``CurrentStaff``,
``CurrentAdmin``, ``OptionalStaff``, ``CsrfProtected``.

After ``CurrentStaff``/``CurrentAdmin`` ran, the request's session has no open transaction
(the lookup is committed; objects stay loaded), so handlers may use ``with session.begin()``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Header, HTTPException, Request, status
from sqlalchemy.orm import Session

from backend.app.core.config import settings
from backend.app.core.db import SessionLocal
from backend.app.core.security import (
    ANONYMOUS_CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    read_anonymous_csrf,
    tokens_match,
)
from backend.app.models import Staff, StaffSession
from backend.app.services.accounts import find_session


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


def get_staff_session(request: Request, session: SessionDep) -> StaffSession | None:
    """Returns the live session row behind the request's cookie (cached per request).

    Args:
        request: The request.
        session: The request's database session.

    Returns:
        The session row with its active staff member loaded, or None when anonymous.
    """
    if not hasattr(request.state, "staff_session"):
        token = request.cookies.get(SESSION_COOKIE)
        found = find_session(session=session, token=token) if token else None
        if found is not None:
            _ = found.staff  # load before the transaction ends
        session.commit()
        request.state.staff_session = found
    return request.state.staff_session  # type: ignore[no-any-return]


StaffSessionDep = Annotated[StaffSession | None, Depends(get_staff_session)]


def get_optional_staff(staff_session: StaffSessionDep) -> Staff | None:
    """Returns the logged-in staff member, or None for an anonymous visitor."""
    return staff_session.staff if staff_session is not None else None


OptionalStaff = Annotated[Staff | None, Depends(get_optional_staff)]


def is_api_request(request: Request) -> bool:
    """True for the JSON API (/api/...), which answers 401 instead of redirecting to /login."""
    return request.url.path.startswith("/api/")


def require_staff(request: Request, staff: OptionalStaff) -> Staff:
    """Requires a logged-in, active staff member or admin.

    Args:
        request: The request (its path chooses 401 JSON or a redirect).
        staff: The logged-in staff member, if any.

    Returns:
        The staff member.

    Raises:
        HTTPException: 401 for /api/* callers, 303 to /login for pages.
    """
    if staff is not None:
        return staff
    if is_api_request(request):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="login required")
    raise HTTPException(status.HTTP_303_SEE_OTHER, detail="login required", headers={"Location": "/login"})


CurrentStaff = Annotated[Staff, Depends(require_staff)]


def require_admin(staff: CurrentStaff) -> Staff:
    """Requires an admin.

    Args:
        staff: The logged-in staff member.

    Returns:
        The admin.

    Raises:
        HTTPException: 403 for a staff member who is not an admin.
    """
    if not staff.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="admins only")
    return staff


CurrentAdmin = Annotated[Staff, Depends(require_admin)]


def expected_csrf_token(request: Request, staff_session: StaffSession | None) -> str | None:
    """Returns the CSRF token this browser must send: its session's, or the pre-login one.

    Args:
        request: The request.
        staff_session: The logged-in session, if any.

    Returns:
        The expected token, or None when the browser has none yet.
    """
    if staff_session is not None:
        return staff_session.csrf_token
    return read_anonymous_csrf(request.cookies.get(ANONYMOUS_CSRF_COOKIE))


async def require_csrf(request: Request, staff_session: StaffSessionDep) -> None:
    """Checks the CSRF token of a state-changing request.

    Forms send it in the hidden field ``csrf_token``; scripts in the ``X-CSRF-Token`` header.

    Args:
        request: The request.
        staff_session: The logged-in session, if any.

    Raises:
        HTTPException: 403 when the token is missing or wrong.
    """
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form()
        except Exception as error:  # noqa: BLE001 - a malformed body is the client's fault
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="malformed form") from error
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not tokens_match(sent, expected_csrf_token(request, staff_session)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="missing or invalid CSRF token")


CsrfProtected = Annotated[None, Depends(require_csrf)]


def _same_origin(request: Request) -> bool:
    """True when the browser says the request comes from this site (or says nothing)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def require_login_csrf(request: Request, staff_session: StaffSessionDep) -> None:
    """CSRF check for POST /login, which scripts may call with only ``email`` and ``password``.

    A sent token must match, as on every form. Without a token the request is accepted only
    when it carries no foreign ``Origin``/``Referer``: browsers send one on cross-site posts,
    so a forged login form from another site is still refused.

    Args:
        request: The request.
        staff_session: The logged-in session, if any.

    Raises:
        HTTPException: 403 for a wrong token or a cross-site post without one.
    """
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form()
        except Exception as error:  # noqa: BLE001 - a malformed body is the client's fault
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="malformed form") from error
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if sent is None:
        if not _same_origin(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="cross-site login refused")
        return
    if not tokens_match(sent, expected_csrf_token(request, staff_session)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="missing or invalid CSRF token")


LoginCsrfProtected = Annotated[None, Depends(require_login_csrf)]
