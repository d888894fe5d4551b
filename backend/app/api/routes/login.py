"""Login and logout: the login page, POST /login (email + password → session cookie), POST /logout.

Wrong credentials always get the same generic message (401 page); more than
LOGIN_MAX_FAILURES failures per email and client address within LOGIN_WINDOW_MINUTES get 429.
The login form carries a pre-login CSRF token like every other form; scripts may post only
email and password (the outside contract), cross-site posts without a token are refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backend.app.api.deps import CsrfProtected, LoginCsrfProtected, OptionalStaff, SessionDep
from backend.app.core.config import settings
from backend.app.core.i18n import gettext_for, render_page
from backend.app.core.security import ANONYMOUS_CSRF_COOKIE, SESSION_COOKIE
from backend.app.services.accounts import (
    authenticate,
    clear_login_failures,
    count_recent_failures,
    end_session,
    record_login_failure,
    start_session,
)

router = APIRouter(tags=["login"])


def client_address(request: Request) -> str:
    """Returns the client's address as the rate limiter counts it."""
    return request.client.host if request.client is not None else "unknown"


@router.get("/login", response_class=HTMLResponse)
def read_login_page(request: Request, staff: OptionalStaff) -> Response:
    """Shows the login form (or goes to /admin when already logged in)."""
    if staff is not None:
        return RedirectResponse("/admin", status_code=status.HTTP_303_SEE_OTHER)
    return render_page(request, "login.html")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    _: LoginCsrfProtected,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Checks email and password and opens a session (cookie), then goes to /admin."""
    gettext = gettext_for(request)
    address = client_address(request)
    failures = count_recent_failures(
        session=session, email=email, client_ip=address, window_minutes=settings.login_window_minutes
    )
    if failures >= settings.login_max_failures:
        session.rollback()
        message = gettext("Too many failed attempts. Please wait %(minutes)d minutes and try again.") % {
            "minutes": settings.login_window_minutes
        }
        return render_page(
            request, "login.html", {"error": message, "email": email}, status.HTTP_429_TOO_MANY_REQUESTS
        )
    staff = authenticate(session=session, email=email, password=password)
    if staff is None:
        record_login_failure(session=session, email=email, client_ip=address)
        session.commit()
        message = gettext("The email or password is not correct.")
        return render_page(
            request, "login.html", {"error": message, "email": email}, status.HTTP_401_UNAUTHORIZED
        )
    clear_login_failures(session=session, email=email, client_ip=address)
    token, _row = start_session(session=session, staff=staff, hours=settings.session_hours)
    session.commit()
    response = RedirectResponse("/admin", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.app_env == "production",
        path="/",
    )
    response.delete_cookie(ANONYMOUS_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _: CsrfProtected) -> RedirectResponse:
    """Ends the session on the server and clears the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(session=session, token=token)
        session.commit()
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
