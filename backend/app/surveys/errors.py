"""The errors of survey definitions: a file problem with its place, an expression problem.

Lives here: ``SurveyFileError`` (what the upload page and the CLI show), ``ExpressionError``
(raised by the expression parser) and ``DefinitionProblem`` (raised inside the model's
validators, carrying the path of the offending field). Must not import the rest of the package.
"""

from __future__ import annotations

__all__ = ["DefinitionProblem", "ExpressionError", "SurveyFileError"]

PathItem = str | int


class SurveyFileError(Exception):
    """A survey file cannot be used; nothing from it may be stored.

    Attributes:
        location: Where the problem is, e.g. "dòng 37", "sheet survey, dòng 12", "sheet settings".
        reason: What is wrong and what to fix, in Vietnamese.
    """

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class ExpressionError(ValueError):
    """An expression (relevant/constraint) is outside the supported XLSForm subset.

    Attributes:
        reason: What is wrong, in Vietnamese.
        position: 0-based character offset in the expression text where it was noticed.
    """

    def __init__(self, reason: str, position: int = 0) -> None:
        super().__init__(f"vị trí {position + 1}: {reason}")
        self.reason = reason
        self.position = position

    def __str__(self) -> str:
        return f"vị trí {self.position + 1}: {self.reason}"


class DefinitionProblem(ValueError):
    """A rule of the survey format is broken; raised inside pydantic validators.

    ``path`` is relative to the model whose validator raised it, so a survey-wide check can
    point at one question's field, e.g. ``("sections", 1, "questions", 3, "relevant")``.
    """

    def __init__(self, reason: str, path: tuple[PathItem, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path
