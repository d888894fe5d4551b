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
