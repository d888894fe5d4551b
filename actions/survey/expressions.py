"""Evaluating the compiled ``relevant`` and ``constraint`` expressions of a survey.

Lives here: one pure evaluator over the JSON AST of the survey contract (section 2) and the
answers given so far. Null semantics: an unanswered or skipped question is None; every
comparison involving None is false (``!=`` included); ``selected`` on None is false;
``count-selected`` and ``string-length`` of None are 0, as for an empty XLSForm value.
Must not parse expression text (the backend compiles it) and must not know about Rasa.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ExpressionError", "evaluate_expression"]

Ast = Mapping[str, Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


class ExpressionError(ValueError):
    """The AST has a shape the contract does not define."""


def _as_number(value: Any) -> float | None:
    """Returns a number for ints, floats and strings that look like numbers, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _as_text(value: Any) -> str:
    """Turns an answer into the string XLSForm would compare (lists space-separated)."""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _operand(node: Any, answers: Mapping[str, Any], self_value: Any) -> Any:
    if not isinstance(node, Mapping):
        raise ExpressionError(f"operand is not an object: {node!r}")
    if "ref" in node:
        return answers.get(str(node["ref"]))
    if node.get("self") is True:
        return self_value
    if "const" in node:
        return node["const"]
    if "count_selected" in node:
        value = answers.get(str(node["count_selected"]))
        if value is None:
            return 0
        return len(value) if isinstance(value, list) else 1
    if "string_length" in node:
        target = node["string_length"]
        value = self_value if target == "self" else answers.get(str(target))
        return 0 if value is None else len(_as_text(value))
    raise ExpressionError(f"unknown operand: {dict(node)!r}")


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return _COMPARE[op](left_number, right_number)
    if _is_number(left) or _is_number(right):
        # A number against a word: never equal, never ordered.
        return op == "!="
    return _COMPARE[op](_as_text(left), _as_text(right))


def _selected(answers: Mapping[str, Any], question: str, value: Any) -> bool:
    answer = answers.get(question)
    if answer is None:
        return False
    if isinstance(answer, list):
        return str(value) in [str(item) for item in answer]
    return _as_text(answer) == str(value)


def evaluate_expression(ast: Ast, answers: Mapping[str, Any], self_value: Any = None) -> bool:
    """Evaluates a compiled expression.

    Args:
        ast: The expression AST (contract section 2).
        answers: Question id → answer value so far (None or missing = unanswered/skipped).
        self_value: The value of ``.`` (the answer being checked by a constraint).

    Returns:
        Whether the expression holds.

    Raises:
        ExpressionError: When the AST has an unknown operator or operand.
    """
    if not isinstance(ast, Mapping):
        raise ExpressionError(f"expression is not an object: {ast!r}")
    op = ast.get("op")
    if op in ("and", "or"):
        args = ast.get("args")
        if not isinstance(args, list) or not args:
            raise ExpressionError(f"{op} needs a non-empty list of args")
        results = (evaluate_expression(arg, answers, self_value) for arg in args)
        return all(results) if op == "and" else any(results)
    if op == "not":
        return not evaluate_expression(ast.get("arg"), answers, self_value)  # type: ignore[arg-type]
    if op in _COMPARE:
        left = _operand(ast.get("left"), answers, self_value)
        right = _operand(ast.get("right"), answers, self_value)
        return _compare(str(op), left, right)
    if op == "selected":
        return _selected(answers, str(ast.get("question")), ast.get("value"))
    raise ExpressionError(f"unknown operator: {op!r}")
