"""Passwords, session tokens, CSRF tokens and the account settings.

Sessions are server-side: the cookie ``tlcd_session`` carries a random token (32 bytes), the
``staff_sessions`` table keeps only its SHA-256 with the staff id, a per-session CSRF token and
an expiry. Chosen over a signed cookie so that logout, deactivation and a password reset end
a session at once on the server. Before login, the login form's CSRF token is a random value
signed with SECRET_KEY (itsdangerous) kept in the ``tlcd_csrf`` cookie (double submit).
Passwords are argon2id hashes (argon2-cffi).

The account settings (ADMIN_EMAIL, ADMIN_PASSWORD, RASA_PUBLIC_URL, session and rate-limit
knobs) are read here until they move into core/config.py. Must not touch the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from backend.app.core.config import PLACEHOLDER, settings

SESSION_COOKIE = "tlcd_session"
ANONYMOUS_CSRF_COOKIE = "tlcd_csrf"
LANGUAGE_COOKIE = "tlcd_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
EXAMPLE_ADMIN_PASSWORD = "doi-mat-khau-ngay"
EXAMPLE_SECRET_KEYS = frozenset({"", PLACEHOLDER, "local-secret-key-change-me"})

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class UnsafeConfiguration(RuntimeError):
    """The backend must not start with these settings."""


def check_production_safety(*, app_env: str, secret_key: str, admin_password: str) -> None:
    """Refuses example secrets in production.

    Args:
        app_env: development, test or production.
        secret_key: The SECRET_KEY in use.
        admin_password: The ADMIN_PASSWORD in use (may be empty).

    Raises:
        UnsafeConfiguration: In production with the example admin password or a placeholder
            secret key.
    """
    if app_env != "production":
        return
    if admin_password == EXAMPLE_ADMIN_PASSWORD:
        raise UnsafeConfiguration("ADMIN_PASSWORD is the example value from .env.example")
    if secret_key in EXAMPLE_SECRET_KEYS:
        raise UnsafeConfiguration("SECRET_KEY is a placeholder; set a long random secret")


def hash_password(password: str) -> str:
    """Hashes a password with argon2id.

    Args:
        password: The plain password.

    Returns:
        The encoded hash (salt and parameters included).
    """
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Checks a password; takes the same time when there is no account (``password_hash`` None).

    Args:
        password: The plain password typed at login.
        password_hash: The stored hash, or None for an unknown email.

    Returns:
        True when the password matches a real hash.
    """
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """Returns a fresh random URL-safe token (32 bytes of entropy)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Returns the SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(sent: str | None, expected: str | None) -> bool:
    """Compares two tokens in constant time; missing tokens never match."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def _csrf_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt="tlcd-anonymous-csrf")


def sign_anonymous_csrf(token: str) -> str:
    """Signs the pre-login CSRF token for its cookie."""
    return str(_csrf_serializer().dumps(token))


def read_anonymous_csrf(cookie_value: str | None) -> str | None:
    """Returns the pre-login CSRF token from its signed cookie, or None if absent or forged."""
    if not cookie_value:
        return None
    try:
        value = _csrf_serializer().loads(cookie_value)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
