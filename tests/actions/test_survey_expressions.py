"""relevant/constraint evaluation: every operator, operand and the null semantics of the contract."""

from __future__ import annotations

from typing import Any

import pytest

from actions.survey.expressions import ExpressionError, evaluate_expression


def ref(q: str) -> dict[str, Any]:
    return {"ref": q}


def const(v: Any) -> dict[str, Any]:
    return {"const": v}


def cmp(op: str, left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {"op": op, "left": left, "right": right}


ANSWERS: dict[str, Any] = {
    "gio": 52,
    "gio_le": 47.5,
    "hd": "khong_thoi_han",
    "mong_muon": ["luong", "y_te"],
    "ngay": "1990-03-15",
    "co_con": "yes",
    "bo_qua": None,
    "ghi_chu": "Tăng ca nhiều",
    "so_text": "12",
}


@pytest.mark.parametrize(
    ("ast", "expected"),
    [
        (cmp("=", ref("gio"), const(52)), True),
        (cmp("!=", ref("gio"), const(52)), False),
        (cmp(">", ref("gio"), const(48)), True),
        (cmp(">=", ref("gio"), const(52)), True),
        (cmp("<", ref("gio"), const(48)), False),
        (cmp("<=", ref("gio_le"), const(47.5)), True),
        # a string const that looks like a number compares as a number
        (cmp(">", ref("gio"), const("48")), True),
        (cmp("=", ref("gio"), const("52.0")), True),
        (cmp("<", ref("so_text"), const(5)), False),
        # choice values and strings
        (cmp("=", ref("hd"), const("khong_thoi_han")), True),
        (cmp("!=", ref("hd"), const("co_thoi_han")), True),
        (cmp("=", ref("co_con"), const("yes")), True),
        # dates compare as ISO strings
        (cmp("<", ref("ngay"), const("2000-01-01")), True),
        (cmp(">=", ref("ngay"), const("1990-03-16")), False),
        # a number against a word is neither equal nor ordered
        (cmp("=", ref("gio"), const("nhieu")), False),
        (cmp("!=", ref("gio"), const("nhieu")), True),
        (cmp(">", ref("gio"), const("nhieu")), False),
        # multiple choice compared as XLSForm's space-separated string
        (cmp("=", ref("mong_muon"), const("luong y_te")), True),
    ],
)
def test_expression_comparisons(ast: dict[str, Any], expected: bool) -> None:
    assert evaluate_expression(ast, ANSWERS) is expected


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
@pytest.mark.parametrize("missing", ["bo_qua", "never_asked"])
def test_expression_any_comparison_with_null_is_false(op: str, missing: str) -> None:
    assert evaluate_expression(cmp(op, ref(missing), const(1)), ANSWERS) is False
    assert evaluate_expression(cmp(op, const("x"), ref(missing)), ANSWERS) is False


@pytest.mark.parametrize(
    ("question", "value", "expected"),
    [
        ("mong_muon", "luong", True),
        ("mong_muon", "nha_o", False),
        ("hd", "khong_thoi_han", True),
        ("hd", "co_thoi_han", False),
        ("bo_qua", "x", False),
        ("never_asked", "x", False),
    ],
)
def test_expression_selected(question: str, value: str, expected: bool) -> None:
    ast = {"op": "selected", "question": question, "value": value}
    assert evaluate_expression(ast, ANSWERS) is expected


@pytest.mark.parametrize(
    ("operand", "expected"),
    [
        ({"count_selected": "mong_muon"}, 2),
        ({"count_selected": "hd"}, 1),
        ({"count_selected": "bo_qua"}, 0),
        ({"string_length": "ghi_chu"}, len("Tăng ca nhiều")),
        ({"string_length": "never_asked"}, 0),
    ],
)
def test_expression_count_selected_and_string_length(operand: dict[str, Any], expected: int) -> None:
    assert evaluate_expression(cmp("=", operand, const(expected)), ANSWERS) is True


def test_expression_self_and_its_length_in_constraints() -> None:
    at_most_80 = cmp("<=", {"self": True}, const(80))
    assert evaluate_expression(at_most_80, ANSWERS, self_value=48) is True
    assert evaluate_expression(at_most_80, ANSWERS, self_value=81) is False
    short = cmp("<=", {"string_length": "self"}, const(5))
    assert evaluate_expression(short, ANSWERS, self_value="abc") is True
    assert evaluate_expression(short, ANSWERS, self_value="abcdef") is False


def test_expression_and_or_not() -> None:
    true = cmp("=", ref("gio"), const(52))
    false = cmp("=", ref("gio"), const(1))
    null = cmp("=", ref("bo_qua"), const(1))
    assert evaluate_expression({"op": "and", "args": [true, true]}, ANSWERS) is True
    assert evaluate_expression({"op": "and", "args": [true, false]}, ANSWERS) is False
    assert evaluate_expression({"op": "or", "args": [false, true]}, ANSWERS) is True
    assert evaluate_expression({"op": "or", "args": [false, null]}, ANSWERS) is False
    assert evaluate_expression({"op": "not", "arg": false}, ANSWERS) is True
    # not() of a comparison with null is true: the comparison itself is false
    assert evaluate_expression({"op": "not", "arg": null}, ANSWERS) is True
    nested = {
        "op": "and",
        "args": [
            cmp(">", ref("gio"), const(48)),
            {"op": "selected", "question": "hd", "value": "khong_thoi_han"},
            {"op": "not", "arg": {"op": "or", "args": [false, null]}},
        ],
    }
    assert evaluate_expression(nested, ANSWERS) is True


@pytest.mark.parametrize(
    "ast",
    [
        {"op": "xor", "args": []},
        {"op": "and", "args": []},
        {"op": "=", "left": {"weird": 1}, "right": const(1)},
        {"op": "=", "left": "gio", "right": const(1)},
        "gio > 3",
    ],
)
def test_expression_unknown_shapes_raise(ast: Any) -> None:
    with pytest.raises(ExpressionError):
        evaluate_expression(ast, ANSWERS)
