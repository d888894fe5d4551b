"""Channel settings that are not credentials, read from the environment.

Lives here: one frozen dataclass and the function that fills it from ``os.environ`` with safe
defaults. Credentials (secrets, tokens, API base URLs) come from credentials.yml instead.
Must not read the environment at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

__all__ = ["ChannelSettings", "read_channel_settings"]


@dataclass(frozen=True)
class ChannelSettings:
    """Tunables shared by both connectors.

    Attributes:
        state_db_path: SQLite file holding seen webhook events, Zalo tokens, delivery failures
            and each user's last inbound time.
        send_max_attempts: Attempts per outgoing message (first try included) on transient errors.
        retry_base_seconds: First backoff delay; it doubles per attempt (with jitter).
        retry_max_seconds: Upper bound of one backoff delay.
        http_timeout_seconds: Timeout of one call to a platform API.
        seen_event_ttl_hours: How long a webhook event id is remembered for deduplication.
        replay_max_age_minutes: Events acknowledged but not processed (crash, restart) are
            replayed at start-up when younger than this; older ones are marked abandoned.
        zalo_max_event_age_seconds: Zalo events whose signed timestamp is older than this are
            refused as stale. Zalo retries a failed delivery for up to 12 hours and the dedupe
            store remembers ids longer than that, so replays inside the window are harmless.
        zalo_token_refresh_margin_seconds: Refresh the Zalo access token when it has less than
            this left (default 5 h: refresh at about 20 h of the 25 h lifetime).
    """

    state_db_path: Path
    send_max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    http_timeout_seconds: float
    seen_event_ttl_hours: float
    replay_max_age_minutes: float
    zalo_max_event_age_seconds: int
    zalo_token_refresh_margin_seconds: int


def _read_number(environ: Mapping[str, str], name: str, default: float) -> float:
    """Reads a positive number from the environment, falling back to a default.

    Args:
        environ: The environment mapping.
        name: Variable name.
        default: Value used when the variable is unset or empty.

    Returns:
        The number.

    Raises:
        ValueError: When the variable is set but not a positive number.
    """
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = float(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, got {raw!r}")
    return value


def read_channel_settings(environ: Mapping[str, str] | None = None) -> ChannelSettings:
    """Builds the channel settings from environment variables.

    Args:
        environ: Mapping to read from; ``os.environ`` when omitted.

    Returns:
        The settings, with defaults for every unset variable.
    """
    env = os.environ if environ is None else environ
    state_db = env.get("CHANNEL_STATE_DB", "").strip() or "var/channel_state.sqlite3"
    state_path = Path(state_db)
    if not state_path.is_absolute():
        state_path = REPO_ROOT / state_path
    return ChannelSettings(
        state_db_path=state_path,
        send_max_attempts=int(_read_number(env, "CHANNEL_SEND_MAX_ATTEMPTS", 4)),
        retry_base_seconds=_read_number(env, "CHANNEL_RETRY_BASE_SECONDS", 0.5),
        retry_max_seconds=_read_number(env, "CHANNEL_RETRY_MAX_SECONDS", 8.0),
        http_timeout_seconds=_read_number(env, "CHANNEL_HTTP_TIMEOUT_SECONDS", 10.0),
        seen_event_ttl_hours=_read_number(env, "CHANNEL_SEEN_TTL_HOURS", 168.0),
        replay_max_age_minutes=_read_number(env, "CHANNEL_REPLAY_MAX_AGE_MINUTES", 60.0),
        zalo_max_event_age_seconds=int(_read_number(env, "ZALO_MAX_EVENT_AGE_SECONDS", 43200)),
        zalo_token_refresh_margin_seconds=int(_read_number(env, "ZALO_TOKEN_REFRESH_MARGIN_SECONDS", 18000)),
    )
