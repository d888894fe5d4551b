"""Backend settings: one pydantic-settings class read from the environment and the root .env.

Lives here: every setting the backend reads, their defaults for local use, and the checks
that refuse unsafe values in production. Must not be read from anywhere else: import the
module-level ``settings``.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = "changethis"


class Settings(BaseSettings):
    """Backend configuration; every field maps to an upper-case environment variable."""

    model_config = SettingsConfigDict(
        env_file=REPO_ROOT / ".env",
        env_ignore_empty=True,
        extra="ignore",
    )

    app_env: Literal["development", "test", "production"] = "development"
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'backend.sqlite3'}"
    rasa_url: str = "http://127.0.0.1:5005"
    backend_service_token: str = PLACEHOLDER
    secret_key: str = PLACEHOLDER
    health_timeout_seconds: float = 1.5
    max_body_bytes: int = 1_000_000

    # Accounts, login and the web chat
    admin_email: str = ""
    admin_password: str = ""
    admin_full_name: str = "Quản trị viên"
    rasa_public_url: str = "http://127.0.0.1:5005"
    session_hours: float = 12.0
    login_max_failures: int = 5
    login_window_minutes: int = 15

    # Conversation log (Rasa's SQL event broker polled by the backend), review, handoff replies
    rasa_events_db: str | None = None
    event_poll_interval_seconds: float = 1.0
    event_poll_batch_size: int = 500
    low_confidence_threshold: float = 0.5
    rasa_auth_token: str | None = None
    rasa_reply_timeout_seconds: float = 10.0
    rasa_domain_path: Path = REPO_ROOT / "domain.yml"

    # --- Push campaigns and their dispatcher (issue 8) -------------------------------------
    # The platforms' Send API hosts and tokens (same variable names as the bot's channels).
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_access_token: str = ""
    zalo_oa_id: str = ""
    messenger_api_base: str = "https://graph.facebook.com/v25.0"
    messenger_page_access_token: str = ""
    messenger_page_username: str = ""
    # The bot's channel state file: the dispatcher reads the newest Zalo access token there (the
    # bot refreshes it; refresh tokens are single use, so the backend never refreshes itself).
    channel_state_db: str | None = None
    # Where workers open invitation links (the /i/<token> page and the web chat).
    public_base_url: str = "http://127.0.0.1:8000"
    # Start the dispatcher inside the app (else run: python -m backend.app.workers.dispatcher).
    push_dispatcher_enabled: bool = False
    # Platform limits: Zalo OA API 4,000 requests/min per app, Messenger 300 messages/s per page.
    push_zalo_rate_per_minute: int = 4000
    push_messenger_rate_per_second: int = 300
    # Share of the limit the dispatcher aims at (the rest absorbs bursts and network jitter).
    push_rate_headroom: float = 0.95
    # How many dispatchers run at once; each paces itself at 1/N of the platform limit.
    push_dispatchers: int = 1
    # Hours when a platform's rows wait ("HH:MM-HH:MM" local time; empty = never).
    push_zalo_quiet_hours: str = "22:00-06:00"
    push_messenger_quiet_hours: str = ""
    push_timezone: str = "Asia/Ho_Chi_Minh"
    # Send API calls under way at once per platform (and connections kept open to it).
    push_concurrency: int = 32
    push_claim_seconds: float = 2.0
    push_lease_seconds: float = 60.0
    push_sending_stale_seconds: float = 120.0
    push_max_attempts: int = 5
    push_retry_base_seconds: float = 30.0
    push_retry_max_seconds: float = 1800.0
    push_rate_limit_pause_seconds: float = 1.0
    push_poll_seconds: float = 1.0
    push_http_timeout_seconds: float = 10.0

    @field_validator("channel_state_db")
    @classmethod
    def _resolve_channel_state_db(cls, value: str | None) -> str | None:
        """Relative paths are relative to the repository root, like the bot's CHANNEL_STATE_DB."""
        if not value:
            return None
        path = Path(value)
        return str(path if path.is_absolute() else REPO_ROOT / path)

    @field_validator("zalo_api_base", "messenger_api_base", "public_base_url")
    @classmethod
    def _strip_base_slash(cls, value: str) -> str:
        return value.rstrip("/")
    # --- end of push campaigns ---------------------------------------------------------------

    @field_validator("rasa_events_db")
    @classmethod
    def _resolve_events_db(cls, value: str | None) -> str | None:
        """Relative paths are relative to the repository root, as Rasa runs from there."""
        if not value:
            return None
        path = Path(value)
        return str(path if path.is_absolute() else REPO_ROOT / path)

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        """Uses psycopg 3 for PostgreSQL URLs written the usual way."""
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @field_validator("rasa_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.app_env == "production":
            for name in ("backend_service_token", "secret_key"):
                if getattr(self, name) in ("", PLACEHOLDER):
                    raise ValueError(f"{name.upper()} must be set to a real secret in production")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")


settings = Settings()
