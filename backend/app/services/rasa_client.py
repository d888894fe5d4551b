"""The backend's calls to Rasa's HTTP API: an officer's reply sent on the worker's channel.

Lives here: one function per use of Rasa's API, with timeouts. Must not touch the database.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx

OFFICER_REPLY_SLOT = "officer_reply_text"
OFFICER_REPLY_ACTION = "action_officer_reply"


class RasaDeliveryError(RuntimeError):
    """Rasa could not be reached or refused the request."""


def send_officer_reply(
    *,
    rasa_url: str,
    sender_id: str,
    text: str,
    output_channel: str,
    auth_token: str | None = None,
    timeout_seconds: float = 10.0,
) -> None:
    """Sends an officer's words to a worker through Rasa, on the worker's own channel.

    Two calls to Rasa's HTTP API: set the slot ``officer_reply_text`` on the conversation, then
    execute ``action_officer_reply`` with ``output_channel`` (the action utters the slot and
    clears it), so the reply goes out through the Zalo/Messenger connector and stays in the
    conversation's history.

    Args:
        rasa_url: Rasa's base URL.
        sender_id: The worker's sender id (conversation id in Rasa).
        text: The officer's reply.
        output_channel: The channel to answer on (``zalo``, ``messenger``).
        auth_token: Rasa's API token, when the API is protected.
        timeout_seconds: Timeout of each call.

    Raises:
        RasaDeliveryError: When a call fails or Rasa answers with an error.
    """
    params = {"output_channel": output_channel}
    if auth_token:
        params["token"] = auth_token
    base = f"{rasa_url.rstrip('/')}/conversations/{quote(sender_id, safe='')}"
    calls = [
        (f"{base}/tracker/events", [{"event": "slot", "name": OFFICER_REPLY_SLOT, "value": text}]),
        (f"{base}/execute", {"name": OFFICER_REPLY_ACTION}),
    ]
    for url, body in calls:
        try:
            reply = httpx.post(url, params=params, json=body, timeout=timeout_seconds)
        except httpx.HTTPError as error:
            raise RasaDeliveryError(f"Rasa unreachable: {type(error).__name__}") from error
        if reply.status_code >= 400:
            raise RasaDeliveryError(f"Rasa answered {reply.status_code}")
