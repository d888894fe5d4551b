"""The expression parser: text → contract AST, precedence, helpful errors, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.app.surveys import ExpressionError, parse_expression
from backend.app.surveys.expressions import expression_references, expression_uses_self

A = {"ref": "a"}
B = {"ref": "b"}


def eq(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    return {"op": "=", "left": left, "right": right}


PARSE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("${a} = 1", eq(A, {"const": 1})),
    ("${a}=1.5", eq(A, {"const": 1.5})),
    (". <= 80", {"op": "<=", "left": {"self": True}, "right": {"const": 80}}),
    (". >= -5", {"op": ">=", "left": {"self": True}, "right": {"const": -5}}),
    (". > .5", {"op": ">", "left": {"self": True}, "right": {"const": 0.5}}),
    ("${a} != 'x'", {"op": "!=", "left": A, "right": {"const": "x"}}),
    ('${a} = "có"', eq(A, {"const": "có"})),
    ("${a} < ${b}", {"op": "<", "left": A, "right": B}),
    ("selected(${a}, 'v')", {"op": "selected", "question": "a", "value": "v"}),
    ('selected( ${a} , "v w" )', {"op": "selected", "question": "a", "value": "v w"}),
    ("selected(${a}, 2)", {"op": "selected", "question": "a", "value": "2"}),
    ("count-selected(${a}) >= 2", {"op": ">=", "left": {"count_selected": "a"}, "right": {"const": 2}}),
    ("string-length(.) <= 10", {"op": "<=", "left": {"string_length": "self"}, "right": {"const": 10}}),
    ("string-length(${b}) > 0", {"op": ">", "left": {"string_length": "b"}, "right": {"const": 0}}),
    ("not(${a} = 1)", {"op": "not", "arg": eq(A, {"const": 1})}),
    ("NOT(${a} = 1)", {"op": "not", "arg": eq(A, {"const": 1})}),
    (
        "${a} = 1 and ${b} = 2 and ${a} = 3",
        {"op": "and", "args": [eq(A, {"const": 1}), eq(B, {"const": 2}), eq(A, {"const": 3})]},
    ),
    # and binds tighter than or
    (
        "${a} = 1 or ${b} = 2 and ${a} = 3",
        {
            "op": "or",
            "args": [eq(A, {"const": 1}), {"op": "and", "args": [eq(B, {"const": 2}), eq(A, {"const": 3})]}],
        },
    ),
    (
        "${a} = 1 and ${b} = 2 or ${a} = 3",
        {
            "op": "or",
            "args": [{"op": "and", "args": [eq(A, {"const": 1}), eq(B, {"const": 2})]}, eq(A, {"const": 3})],
        },
    ),
    # parentheses override precedence
    (
        "${a} = 1 and (${b} = 2 or ${a} = 3)",
        {
            "op": "and",
            "args": [eq(A, {"const": 1}), {"op": "or", "args": [eq(B, {"const": 2}), eq(A, {"const": 3})]}],
        },
    ),
    # nested same operators are flattened
    (
        "(${a} = 1 or ${b} = 2) or ${a} = 3",
        {"op": "or", "args": [eq(A, {"const": 1}), eq(B, {"const": 2}), eq(A, {"const": 3})]},
    ),
    ("((${a} = 1))", eq(A, {"const": 1})),
    (
        "${gio_lam} > 48 and selected(${loai_hd}, 'khong_thoi_han')",
        {
            "op": "and",
            "args": [
                {"op": ">", "left": {"ref": "gio_lam"}, "right": {"const": 48}},
                {"op": "selected", "question": "loai_hd", "value": "khong_thoi_han"},
            ],
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_expression_gives_contract_ast(text: str, expected: dict[str, Any]) -> None:
    assert parse_expression(text) == expected


ERROR_CASES: list[tuple[str, str, int]] = [
    ("", "trống", 0),
    ("   ", "trống", 0),
    ("today() > '2027-01-01'", "today()", 0),
    ("${a} + 1 > 2", "phép tính", 5),
    ("${a} == 1", "một dấu «=»", 5),
    ("${a} <> 1", "!=", 5),
    ("${a}", "phép so sánh", 4),
    ("${a} = 1 and", "thiếu", 12),
    ("(${a} = 1", "«)»", 9),
    ("${a} = 1)", "thừa dấu «)»", 8),
    ("${a = 1", "«}»", 0),
    ("${a} = 'x", "nháy đóng", 7),
    ("not ${a} = 1", "not(", 4),
    ("1 < ${a} < 3", "nối tiếp", 9),
    ("selected(., 'x')", "selected(...) cần tên câu hỏi", 9),
    ("selected(${a} 'x')", "dấu phẩy", 14),
    ("count-selected(.) <= 3", "max_choices", 15),
    ("${a} = 1 ${b} = 2", "and / or", 9),
    ("foo(${a}) = 1", "hàm «foo»", 0),
    ("${a} = abc", "'abc'", 7),
    ("${a} = 1 & ${b} = 2", "ký tự «&»", 9),
    ("../x = 1", "..", 0),
    ("${a b} = 1", "không hợp lệ", 0),
    ("${a} = 1 or", "thiếu", 11),
    ("and ${a} = 1", "thiếu điều kiện trước «and»", 0),
    ("(" * 60 + "${a} = 1" + ")" * 60, "quá sâu", 40),
    ("${a} = '" + "x" * 1000 + "'", "dài quá", 0),
]


@pytest.mark.parametrize(("text", "reason_part", "position"), ERROR_CASES)
def test_parse_expression_rejects_with_reason_and_position(
    text: str, reason_part: str, position: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert reason_part in caught.value.reason
    assert caught.value.position == position
    assert str(caught.value).startswith(f"vị trí {position + 1}: ")


@pytest.mark.parametrize(
    ("text", "references", "uses_self"),
    [
        ("${a} = 1 and selected(${b}, 'x')", ["a", "b"], False),
        ("count-selected(${c}) > 1 or string-length(${d}) > 0", ["c", "d"], False),
        (". <= ${a} and not(${a} = 2)", ["a"], True),
        ("string-length(.) < 5", [], True),
    ],
)
def test_expression_helpers_list_references_and_self(
    text: str, references: list[str], uses_self: bool
) -> None:
    ast = parse_expression(text)
    assert expression_references(ast) == references
    assert expression_uses_self(ast) is uses_self


EXPRESSION_ALPHABET = st.sampled_from(
    list("${}.()'\",=!<>-+*/ 0123456789abc_")
    + [
        "and ",
        " or ",
        "not(",
        "selected(",
        "count-selected(",
        "string-length(",
        "${a}",
        "${b}",
        "today()",
        "..",
        "\n",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=80), st.lists(EXPRESSION_ALPHABET, max_size=30).map("".join)))
def test_parse_expression_raises_only_expression_error(text: str) -> None:
    try:
        ast = parse_expression(text)
    except ExpressionError as error:
        assert error.reason
        assert 0 <= error.position <= len(text)
    else:
        assert isinstance(ast, dict) and ast
