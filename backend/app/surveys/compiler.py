"""Compiling a validated survey definition into the JSON the bot and the results code read.

Lives here: ``compile_definition`` (survey contract, section 2): questions flattened in asking
order, each with every field present (null when it does not apply), expressions as ASTs,
effective defaults filled in (text ``max_length`` 500, the fixed yes/no choices). Must not
validate (the definition already is) nor read files.
"""

from __future__ import annotations

from typing import Any

from backend.app.surveys.definition import DEFAULT_TEXT_MAX_LENGTH, YES_NO_CHOICES, Question, SurveyDefinition
from backend.app.surveys.expressions import parse_expression

__all__ = ["compile_definition", "compile_question"]


def compile_definition(definition: SurveyDefinition) -> dict[str, Any]:
    """Compiles a definition into the contract's JSON.

    Args:
        definition: A validated survey definition.

    Returns:
        A JSON-serialisable dict: survey fields, ``sections`` (id, title) and ``questions``
        (flattened, in asking order, each naming its section).
    """
    return {
        "id": definition.id,
        "version": definition.version,
        "title": definition.title,
        "intro": definition.intro,
        "consent": definition.consent,
        "anonymous": definition.anonymous,
        "opens": definition.opens.isoformat() if definition.opens else None,
        "closes": definition.closes.isoformat() if definition.closes else None,
        "target_units": list(definition.target_units),
        "sections": [{"id": section.id, "title": section.title} for section in definition.sections],
        "questions": [
            compile_question(question, section_id=section.id)
            for section, question in definition.iter_questions()
        ],
    }


def compile_question(question: Question, *, section_id: str) -> dict[str, Any]:
    """Compiles one question; every key of the contract is present.

    Args:
        question: A validated question.
        section_id: The id of the section it belongs to.

    Returns:
        The question's JSON dict.
    """
    if question.type == "yes_no":
        choices: list[dict[str, str]] | None = [
            {"value": value, "label": label} for value, label in YES_NO_CHOICES
        ]
    elif question.choices is not None:
        choices = [{"value": choice.value, "label": choice.label} for choice in question.choices]
    else:
        choices = None
    max_length = question.max_length
    if question.type == "text" and max_length is None:
        max_length = DEFAULT_TEXT_MAX_LENGTH
    return {
        "id": question.id,
        "section": section_id,
        "type": question.type,
        "label": question.label,
        "hint": question.hint,
        "required": question.required,
        "choices": choices,
        "unit": question.unit,
        "min": question.min,
        "max": question.max,
        "integer": question.integer,
        "max_choices": question.max_choices,
        "max_length": max_length,
        "scale_labels": (
            {str(point): label for point, label in question.scale_labels.items()}
            if question.scale_labels
            else None
        ),
        "relevant": parse_expression(question.relevant) if question.relevant else None,
        "constraint": parse_expression(question.constraint) if question.constraint else None,
        "constraint_message": question.constraint_message,
    }
