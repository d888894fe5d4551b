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
