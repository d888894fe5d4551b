"""Languages and page rendering: vi/en Babel catalogs, the Jinja2 environment, ``render_page``.

Vietnamese is the default; the ``tlcd_lang`` cookie picks English. Catalogs live in
``backend/app/locales/<lang>/LC_MESSAGES/messages.po`` (extracted with ``babel.cfg``) and are
compiled in memory when first used, so no .mo file is committed. Pages get ``_``/``gettext``/
``ngettext`` bound to the request's language, ``csrf_token``, ``current_staff`` and ``lang``.
Must not hold business logic nor query anything but the request's own state.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from backend.app.core.config import settings
from backend.app.core.security import (
    ANONYMOUS_CSRF_COOKIE,
    LANGUAGE_COOKIE,
    new_token,
    read_anonymous_csrf,
    sign_anonymous_csrf,
)

APP_DIR = Path(__file__).resolve().parents[1]
LOCALES_DIR = APP_DIR / "locales"
TEMPLATES_DIR = APP_DIR / "templates"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
)
environment.install_null_translations()  # type: ignore[attr-defined]


@lru_cache(maxsize=len(LANGUAGES))
def translations_for(language: str) -> Translations:
    """Returns the compiled catalog of a language (compiled from its .po once).

    Args:
        language: ``vi`` or ``en``.

    Returns:
        The translations; an empty catalog when the .po file is missing.
    """
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def language_of(request: Request) -> str:
    """Returns the request's language from its cookie (default Vietnamese)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def gettext_for(request: Request) -> Any:  # noqa: ANN401 - a bound gettext callable
    """Returns ``gettext`` in the request's language, for messages built in Python."""
    return translations_for(language_of(request)).gettext


def page_csrf_token(request: Request) -> tuple[str, bool]:
    """Returns the CSRF token pages must embed and whether a new pre-login cookie is needed.

    Args:
        request: The request (its logged-in session, set by the deps, if any).

    Returns:
        The token and True when it was just made for an anonymous browser.
    """
    staff_session = getattr(request.state, "staff_session", None)
    if staff_session is not None:
        return staff_session.csrf_token, False
    existing = read_anonymous_csrf(request.cookies.get(ANONYMOUS_CSRF_COOKIE))
    if existing:
        return existing, False
    return new_token(), True


def set_anonymous_csrf_cookie(response: HTMLResponse, token: str) -> None:
    """Stores the pre-login CSRF token in its signed cookie."""
    response.set_cookie(
        ANONYMOUS_CSRF_COOKIE,
        sign_anonymous_csrf(token),
        httponly=True,
        samesite="lax",
        secure=settings.app_env == "production",
        path="/",
    )


def render_page(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Renders a template in the request's language.

    Args:
        request: The request.
        template: Path under backend/app/templates/.
        context: Template variables.
        status_code: HTTP status of the page.

    Returns:
        The HTML response (with a pre-login CSRF cookie when one was just made).
    """
    language = language_of(request)
    translations = translations_for(language)
    csrf_token, fresh = page_csrf_token(request)
    staff_session = getattr(request.state, "staff_session", None)
    values: dict[str, Any] = {
        "request": request,
        "lang": language,
        "languages": LANGUAGES,
        "csrf_token": csrf_token,
        "current_staff": staff_session.staff if staff_session is not None else None,
        "current_path": request.url.path,
        "_": translations.gettext,
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
    }
    values.update(context or {})
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if fresh:
        set_anonymous_csrf_cookie(response, csrf_token)
    return response
