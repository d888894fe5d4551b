"""Invitation links and QR codes for members a push cannot reach.

Lives here: the signed token of an invitation (survey + unit; unguessable without SECRET_KEY,
so nobody can forge one for a unit; no table needed), the links it leads to (Messenger
``m.me/<page>?ref=ks.<survey>.<unit>``, the Zalo OA, the web chat ``/chat?ref=...``) and the
QR code PNG (segno) staff print or post in the unit's Zalo group. Must not talk HTTP.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import quote

import segno
from itsdangerous import BadSignature, URLSafeSerializer

from backend.app.core.config import settings
from backend.app.services.campaign_rules import survey_ref

_SALT = "survey-invitation"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=_SALT)


def invitation_token(survey_slug: str, unit_code: str) -> str:
    """Returns the token of the invitation to a survey for one unit.

    Args:
        survey_slug: The survey id.
        unit_code: The unit's code.

    Returns:
        A URL-safe signed token (the same inputs always give the same token).
    """
    return str(_serializer().dumps([survey_slug, unit_code]))


def read_invitation_token(token: str) -> tuple[str, str] | None:
    """Reads an invitation token.

    Args:
        token: The token from the URL.

    Returns:
        (survey slug, unit code), or None for a forged or damaged token.
    """
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)):
        return None
    return value[0], value[1]


@dataclass(frozen=True)
class InvitationLinks:
    """Where an invitation leads."""

    ref: str
    page_url: str
    web_chat_url: str
    messenger_url: str | None
    zalo_url: str | None


def invitation_links(survey_slug: str, unit_code: str) -> InvitationLinks:
    """Builds the links of an invitation.

    Args:
        survey_slug: The survey id.
        unit_code: The unit's code.

    Returns:
        The public page (what the QR code opens) and the channel links; Messenger needs
        MESSENGER_PAGE_USERNAME and Zalo needs ZALO_OA_ID (Zalo links carry no reference, so
        the worker types "khảo sát" there).
    """
    ref = survey_ref(survey_slug, unit_code)
    base = settings.public_base_url
    username = settings.messenger_page_username.strip()
    oa_id = settings.zalo_oa_id.strip()
    return InvitationLinks(
        ref=ref,
        page_url=f"{base}/i/{invitation_token(survey_slug, unit_code)}",
        web_chat_url=f"{base}/chat?ref={quote(ref)}",
        messenger_url=f"https://m.me/{quote(username)}?ref={quote(ref)}" if username else None,
        zalo_url=f"https://zalo.me/{quote(oa_id)}" if oa_id else None,
    )


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """Draws a QR code of a URL as PNG.

    Args:
        url: What the code opens.
        scale: Pixels per module.

    Returns:
        The PNG bytes.
    """
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
