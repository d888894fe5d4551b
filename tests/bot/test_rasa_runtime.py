"""The cached validator of action server responses accepts and refuses exactly as Rasa's."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot.rasa_runtime import install_cached_action_validator

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "calc_kind", "value": "overtime"}], "responses": [{"text": "Dạ"}]},
    {"events": [{"event": "followup", "name": "action_listen"}]},
]
BAD = [
    {"events": [{"name": "calc_kind"}]},  # an event without its type
    {"events": "slot"},
    {"responses": {"text": "Dạ"}},
]


@pytest.mark.parametrize("result", GOOD)
def test_rasa_runtime_accepts_valid_responses(result: dict) -> None:
    install_cached_action_validator()
    assert RemoteAction("action_x", None)._validate_action_result(result) is True


@pytest.mark.parametrize("result", BAD)
def test_rasa_runtime_refuses_what_jsonschema_refuses(result: dict) -> None:
    install_cached_action_validator()
    with pytest.raises(ValidationError) as cached:
        RemoteAction("action_x", None)._validate_action_result(result)
    with pytest.raises(ValidationError) as reference:
        validate(result, RemoteAction.action_response_format_spec())
    assert cached.value.message.startswith(reference.value.message)
    assert "Failed to validate Action server response" in cached.value.message


def test_rasa_runtime_installs_once() -> None:
    install_cached_action_validator()
    first = RemoteAction._validate_action_result
    install_cached_action_validator()
    assert RemoteAction._validate_action_result is first
