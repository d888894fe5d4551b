"""The bot's channel credentials for a pair of running simulators (tests and benchmarks).

Must not start anything: callers start the simulators and Rasa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the simulators need Starlette, which only the backend venv has
    from tests.platforms.fake_messenger import FakeMessenger
    from tests.platforms.fake_zalo import FakeZalo


def simulator_env(zalo: FakeZalo, messenger: FakeMessenger) -> dict[str, str]:
    """Channel credentials pointing the connectors at the simulators.

    Args:
        zalo: The Zalo simulator (started).
        messenger: The Messenger simulator (started).

    Returns:
        Values for the credential environment variables.
    """
    access, refresh = zalo.issue_tokens()
    return {
        "ZALO_APP_ID": zalo.config.app_id,
        "ZALO_OA_SECRET_KEY": zalo.config.oa_secret_key,
        "ZALO_APP_SECRET": zalo.config.app_secret,
        "ZALO_ACCESS_TOKEN": access,
        "ZALO_REFRESH_TOKEN": refresh,
        "ZALO_API_BASE": zalo.base_url,
        "ZALO_OAUTH_BASE": zalo.base_url,
        "MESSENGER_APP_SECRET": messenger.config.app_secret,
        "MESSENGER_VERIFY_TOKEN": messenger.config.verify_token,
        "MESSENGER_PAGE_ACCESS_TOKEN": messenger.config.page_access_token,
        "MESSENGER_API_BASE": messenger.base_url + "/v25.0",
    }
