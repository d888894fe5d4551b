"""Answer values of a compiled survey question: checking, flat text form, Vietnamese labels.

Lives here: ``normalise_answer`` (the ingestion API's type check of contract section 2),
``value_to_text``/``text_to_value`` (the flat ``value_text`` column the results queries group
and filter on: a multiple choice is ``|a|b|``) and ``label_of_value`` (what pages and exports
show). Works on the compiled question dicts only. Must not touch the database.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

QUESTION_TYPES = ("single_choice", "multiple_choice", "number", "scale", "yes_no", "date", "text")
CHOICE_LIKE_TYPES = frozenset({"single_choice", "multiple_choice", "scale", "yes_no"})
DEFAULT_TEXT_MAX_LENGTH = 500
YES_NO_LABELS = {"yes": "Có", "no": "Không"}
SCALE_VALUES = (1, 2, 3, 4, 5)


class AnswerValueError(ValueError):
    """A value does not fit its question (wrong type, unknown choice, out of range)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_number(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def choice_values(question: dict[str, Any]) -> list[str]:
    """Returns the possible values of a choice-like question, in asking order.

    Args:
        question: A compiled question.

    Returns:
        Choice values; ``yes``/``no`` for yes/no; ``"1"``..``"5"`` for a scale; else empty.
    """
    kind = question["type"]
    if kind in ("single_choice", "multiple_choice"):
        return [str(choice["value"]) for choice in question.get("choices") or []]
    if kind == "yes_no":
        return list(YES_NO_LABELS)
    if kind == "scale":
        return [str(number) for number in SCALE_VALUES]
    return []


def choice_label(question: dict[str, Any], value: str) -> str:
    """Returns the label shown for one possible value of a choice-like question.

    Args:
        question: A compiled question.
        value: One of ``choice_values(question)``.

    Returns:
        The choice's label; "Có"/"Không"; "4" or "4 – Hài lòng" for a scale with labels.
    """
    kind = question["type"]
    if kind in ("single_choice", "multiple_choice"):
        for choice in question.get("choices") or []:
            if str(choice["value"]) == value:
                return str(choice["label"])
        return value
    if kind == "yes_no":
        return YES_NO_LABELS.get(value, value)
    if kind == "scale":
        labels = question.get("scale_labels") or {}
        label = (labels.get(value) or labels.get(int(value))) if value.isdigit() else None
        return f"{value} – {label}" if label else value
    return value


def _check_number(question: dict[str, Any], value: Any) -> int | float:  # noqa: ANN401
    if not _is_number(value) or not math.isfinite(value):
        raise AnswerValueError("a number is expected")
    number: int | float = value
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if question.get("integer") and not isinstance(number, int):
        raise AnswerValueError("a whole number is expected")
    low, high = question.get("min"), question.get("max")
    if low is not None and number < low:
        raise AnswerValueError(f"the number must be at least {low}")
    if high is not None and number > high:
        raise AnswerValueError(f"the number must be at most {high}")
    return number


def _check_multiple(question: dict[str, Any], value: Any) -> list[str]:  # noqa: ANN401
    allowed = choice_values(question)
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise AnswerValueError("a non-empty list of choice values is expected")
    if len(set(value)) != len(value):
        raise AnswerValueError("a choice is listed twice")
    unknown = [item for item in value if item not in allowed]
    if unknown:
        raise AnswerValueError(f"unknown choice {unknown[0]!r}")
    limit = question.get("max_choices")
    if limit is not None and len(value) > limit:
        raise AnswerValueError(f"at most {limit} choices")
    return [item for item in allowed if item in value]


def normalise_answer(question: dict[str, Any], value: Any) -> Any:  # noqa: ANN401 - a JSON value
    """Checks an answer value against its question and returns it in canonical form.

    Args:
        question: A compiled question (contract section 2).
        value: The JSON value sent by the bot; None means skipped or cleared.

    Returns:
        The value to store: None, a choice value, a list in choice order, an int or float,
        an int 1..5, "yes"/"no", "YYYY-MM-DD" or a stripped text (an empty text is None).

    Raises:
        AnswerValueError: When the value does not fit the question.
    """
    if value is None:
        return None
    kind = question["type"]
    if kind == "single_choice":
        if not isinstance(value, str) or value not in choice_values(question):
            raise AnswerValueError("one of the question's choice values is expected")
        return value
    if kind == "multiple_choice":
        return _check_multiple(question, value)
    if kind == "number":
        return _check_number(question, value)
    if kind == "scale":
        if not _is_number(value) or value not in SCALE_VALUES:
            raise AnswerValueError("a whole number from 1 to 5 is expected")
        return int(value)
    if kind == "yes_no":
        if value not in YES_NO_LABELS:
            raise AnswerValueError('"yes" or "no" is expected')
        return value
    if kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            raise AnswerValueError("a date YYYY-MM-DD is expected")
        try:
            date.fromisoformat(value)
        except ValueError as error:
            raise AnswerValueError("a date YYYY-MM-DD is expected") from error
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise AnswerValueError("a text is expected")
        text = value.strip()
        limit = question.get("max_length") or DEFAULT_TEXT_MAX_LENGTH
        if len(text) > limit:
            raise AnswerValueError(f"the text is longer than {limit} characters")
        return text or None
    raise AnswerValueError(f"unsupported question type {kind!r}")


def value_to_text(value: Any) -> str | None:  # noqa: ANN401 - a canonical answer value
    """Returns the flat text form stored in ``value_text`` (None for no answer).

    Args:
        value: A value returned by ``normalise_answer``.

    Returns:
        ``|a|b|`` for a list, the number written plainly, else the string itself.
    """
    if value is None:
        return None
    if isinstance(value, list):
        return "|" + "|".join(value) + "|"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def split_multiple(text: str) -> list[str]:
    """Returns the choice values of a multiple choice's ``value_text`` (``|a|b|`` → [a, b])."""
    return [part for part in text.split("|") if part]


def text_to_value(question: dict[str, Any], text: str | None) -> Any:  # noqa: ANN401
    """Rebuilds the answer value from its ``value_text`` (the inverse of ``value_to_text``).

    Args:
        question: The compiled question.
        text: The stored flat text, or None.

    Returns:
        The value (list, int, float or str), or None.
    """
    if text is None:
        return None
    kind = question["type"]
    if kind == "multiple_choice":
        return split_multiple(text)
    if kind == "scale":
        return int(text)
    if kind == "number":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text else number
    return text


def label_of_value(question: dict[str, Any], value: Any) -> str:  # noqa: ANN401
    """Returns the Vietnamese text of an answer, as pages and exports show it.

    Args:
        question: The compiled question.
        value: The answer value (None gives an empty string).

    Returns:
        Choice labels (several joined by "; "), "Có"/"Không", a date as dd/mm/yyyy, the number
        or text as it is.
    """
    if value is None:
        return ""
    kind = question["type"]
    if kind == "multiple_choice":
        return "; ".join(choice_label(question, item) for item in value)
    if kind in ("single_choice", "yes_no", "scale"):
        return choice_label(question, str(value))
    if kind == "date":
        year, month, day = str(value).split("-")
        return f"{day}/{month}/{year}"
    return str(value)
