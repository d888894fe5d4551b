"""Speeds up one hot path of the Rasa server without changing what it does.

Lives here: ``install_cached_action_validator``. Rasa checks every action server response
against a fixed JSON schema with ``jsonschema.validate``, which re-checks the *schema itself*
against its meta-schema on every call; on these machines that was about half of a FAQ reply's
time (py-spy, bench/results/qa.json). We build the validator for that schema once and validate
each response with it: the same schema, the same ``ValidationError`` on a bad response.
Must not change Rasa's behaviour in any other way; installed once, from ``bot/__init__.py``,
only inside a process that already runs Rasa.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install_cached_action_validator() -> None:
    """Replaces ``RemoteAction._validate_action_result`` with a cached-validator version."""
    global _INSTALLED
    if _INSTALLED:
        return
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)
    validator.check_schema(schema)  # once, as jsonschema.validate would on every call

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your "
                "response from the Action endpoint is valid. For more information about "
                f"the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise
        return True

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    _INSTALLED = True
