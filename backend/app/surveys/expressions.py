"""The XLSForm expression subset of ``relevant`` and ``constraint``: text in, AST out.

Lives here: a tokenizer and a recursive-descent parser producing the JSON AST of the survey
contract (section 2), plus small helpers that list what an AST refers to. Supported:
``${q}``, ``.``, numbers, 'strings' / "strings", ``= != < <= > >=``, ``and``, ``or``,
``not(...)``, parentheses, ``selected(${q}, 'v')``, ``count-selected(${q})``,
``string-length(.)`` / ``string-length(${q})``. Everything else (arithmetic, ``today()``,
other functions) is rejected with an ``ExpressionError`` that says why, in Vietnamese.
Must not know about surveys: checking that a referenced question exists, comes earlier or has
the value named is the definition's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from backend.app.surveys.errors import ExpressionError

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "Ast",
    "expression_operands",
    "expression_references",
    "expression_uses_self",
    "parse_expression",
]

Ast = dict[str, Any]

MAX_EXPRESSION_LENGTH = 1000
MAX_DEPTH = 40
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
UNSUPPORTED_FUNCTIONS = {
    "today": "today() chưa được hỗ trợ; hãy so sánh với một ngày cụ thể, ví dụ '2027-01-01'",
    "now": "now() chưa được hỗ trợ",
    "true": "true() chưa được hỗ trợ; hãy viết điều kiện so sánh, ví dụ ${cau_hoi} = 'yes'",
    "false": "false() chưa được hỗ trợ; hãy viết điều kiện so sánh",
    "if": "if() chưa được hỗ trợ",
    "regex": "regex() chưa được hỗ trợ",
    "contains": "contains() chưa được hỗ trợ",
    "int": "int() chưa được hỗ trợ",
    "number": "number() chưa được hỗ trợ",
    "coalesce": "coalesce() chưa được hỗ trợ",
    "concat": "concat() chưa được hỗ trợ",
    "count": "count() chưa được hỗ trợ; với câu nhiều lựa chọn hãy dùng count-selected(${cau_hoi})",
    "position": "position() chưa được hỗ trợ",
}

_TOKEN_PATTERNS = [
    ("space", r"\s+"),
    ("ref", r"\$\{[^}]*\}?"),
    ("number", r"\d+(?:\.\d+)?|\.\d+"),
    ("string", r"'[^']*'?|\"[^\"]*\"?"),
    ("op", r"!=|<=|>=|==|<>|=|<|>"),
    ("punct", r"[(),]"),
    ("dots", r"\.\.?"),
    ("arith", r"[-+*/|]"),
    ("name", r"[A-Za-z_][A-Za-z0-9_\-]*"),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _TOKEN_PATTERNS))
_REF_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-.]*$")


@dataclass(frozen=True)
class Token:
    """One lexical unit with its 0-based offset in the expression."""

    kind: str
    text: str
    position: int


def tokenize_expression(text: str) -> list[Token]:
    """Splits an expression into tokens.

    Args:
        text: The expression as authored.

    Returns:
        The tokens, whitespace dropped, ending with an ``end`` token.

    Raises:
        ExpressionError: On a character or literal the subset does not know.
    """
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise ExpressionError(f"ký tự «{text[position]}» không dùng được trong biểu thức", position)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "ref" and not value.endswith("}"):
            raise ExpressionError("thiếu dấu «}» đóng tên câu hỏi ${...}", position)
        if kind == "string" and (len(value) < 2 or value[-1] != value[0]):
            raise ExpressionError("chuỗi chưa có dấu nháy đóng", position)
        if kind == "dots" and value == "..":
            raise ExpressionError("«..» (nhóm cha) không được hỗ trợ", position)
        if kind == "dots":
            kind = "self"
        if kind != "space":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the token list; one instance per expression."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def is_word(self, word: str) -> bool:
        token = self.current
        return token.kind == "name" and token.text.lower() == word

    def expect_punct(self, text: str, what: str) -> Token:
        token = self.current
        if token.kind != "punct" or token.text != text:
            raise ExpressionError(f"cần {what}, nhưng gặp {describe_token(token)}", token.position)
        return self.advance()

    def parse(self) -> Ast:
        ast = self.parse_or()
        token = self.current
        if token.kind != "end":
            if token.kind == "punct" and token.text == ")":
                raise ExpressionError("thừa dấu «)»", token.position)
            raise ExpressionError(
                f"gặp {describe_token(token)} sau một điều kiện đã đủ; nối các điều kiện bằng and / or",
                token.position,
            )
        return ast

    def parse_or(self) -> Ast:
        args = [self.parse_and()]
        while self.is_word("or"):
            self.advance()
            args.append(self.parse_and())
        return args[0] if len(args) == 1 else {"op": "or", "args": flatten("or", args)}

    def parse_and(self) -> Ast:
        args = [self.parse_unary()]
        while self.is_word("and"):
            self.advance()
            args.append(self.parse_unary())
        return args[0] if len(args) == 1 else {"op": "and", "args": flatten("and", args)}

    def parse_unary(self) -> Ast:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("biểu thức lồng nhau quá sâu", self.current.position)
        try:
            return self.parse_condition()
        finally:
            self.depth -= 1

    def parse_condition(self) -> Ast:
        token = self.current
        if token.kind == "punct" and token.text == "(":
            self.advance()
            inner = self.parse_or()
            self.expect_punct(")", "dấu «)» đóng ngoặc")
            return inner
        if self.is_word("not"):
            self.advance()
            if not (self.current.kind == "punct" and self.current.text == "("):
                raise ExpressionError("not phải có ngoặc: not(điều kiện)", self.current.position)
            self.advance()
            inner = self.parse_or()
            self.expect_punct(")", "dấu «)» đóng not(...)")
            return {"op": "not", "arg": inner}
        if self.is_word("selected"):
            return self.parse_selected()
        if token.kind == "end":
            raise ExpressionError("biểu thức bị thiếu: cần một điều kiện", token.position)
        if token.kind == "name" and token.text.lower() in ("and", "or"):
            raise ExpressionError(f"thiếu điều kiện trước «{token.text}»", token.position)
        left = self.parse_operand()
        self.reject_arithmetic()
        operator = self.current
        if operator.kind != "op":
            raise ExpressionError(
                f"sau {describe_operand(left)} cần một phép so sánh (=, !=, <, <=, >, >=), "
                f"nhưng gặp {describe_token(operator)}",
                operator.position,
            )
        if operator.text == "==":
            raise ExpressionError("so sánh bằng chỉ dùng một dấu «=»", operator.position)
        if operator.text == "<>":
            raise ExpressionError("so sánh khác dùng «!=»", operator.position)
        self.advance()
        right = self.parse_operand()
        self.reject_arithmetic()
        if self.current.kind == "op":
            raise ExpressionError(
                "không so sánh nối tiếp (a < b < c); hãy tách bằng and", self.current.position
            )
        return {"op": operator.text, "left": left, "right": right}

    def reject_arithmetic(self) -> None:
        token = self.current
        if token.kind == "arith" or (token.kind == "name" and token.text.lower() in ("div", "mod")):
            raise ExpressionError(
                f"phép tính «{token.text}» chưa được hỗ trợ; chỉ so sánh được", token.position
            )

    def parse_selected(self) -> Ast:
        self.advance()
        self.expect_punct("(", "dấu «(» sau selected")
        token = self.current
        if token.kind != "ref":
            raise ExpressionError(
                "selected(...) cần tên câu hỏi dạng ${cau_hoi} ở vị trí đầu", token.position
            )
        question = ref_name(self.advance())
        self.expect_punct(",", "dấu phẩy sau tên câu hỏi trong selected(...)")
        token = self.current
        if token.kind == "string":
            value = token.text[1:-1]
        elif token.kind == "number":
            value = token.text
        else:
            raise ExpressionError(
                "selected(...) cần giá trị lựa chọn trong dấu nháy, ví dụ selected(${cau_hoi}, 'co')",
                token.position,
            )
        self.advance()
        self.expect_punct(")", "dấu «)» đóng selected(...)")
        return {"op": "selected", "question": question, "value": value}

    def parse_operand(self) -> Ast:
        token = self.current
        if token.kind == "ref":
            self.advance()
            return {"ref": ref_name(token)}
        if token.kind == "self":
            self.advance()
            return {"self": True}
        if token.kind == "number":
            self.advance()
            return {"const": number_value(token.text)}
        if token.kind == "arith" and token.text == "-" and self.tokens[self.index + 1].kind == "number":
            self.advance()
            number = self.advance()
            return {"const": -number_value(number.text)}
        if token.kind == "string":
            self.advance()
            return {"const": token.text[1:-1]}
        if token.kind == "name":
            return self.parse_function_operand()
        if token.kind == "arith":
            raise ExpressionError(
                f"phép tính «{token.text}» chưa được hỗ trợ; chỉ so sánh được", token.position
            )
        raise ExpressionError(
            f"cần ${{cau_hoi}}, «.», một số hoặc một chuỗi, nhưng gặp {describe_token(token)}",
            token.position,
        )

    def parse_function_operand(self) -> Ast:
        token = self.advance()
        name = token.text.lower()
        if name in ("count-selected", "string-length"):
            self.expect_punct("(", f"dấu «(» sau {token.text}")
            argument = self.current
            if argument.kind == "ref":
                self.advance()
                target = ref_name(argument)
            elif argument.kind == "self" and name == "string-length":
                self.advance()
                target = "self"
            elif argument.kind == "self":
                raise ExpressionError(
                    "count-selected(.) chưa được hỗ trợ; giới hạn số lựa chọn bằng max_choices",
                    argument.position,
                )
            else:
                raise ExpressionError(f"{token.text}(...) cần ${{cau_hoi}} hoặc «.»", argument.position)
            self.expect_punct(")", f"dấu «)» đóng {token.text}(...)")
            if name == "count-selected":
                return {"count_selected": target}
            return {"string_length": target}
        if name in UNSUPPORTED_FUNCTIONS:
            raise ExpressionError(UNSUPPORTED_FUNCTIONS[name], token.position)
        if name in ("and", "or", "not", "selected"):
            raise ExpressionError(f"«{token.text}» đặt sai chỗ", token.position)
        if name in ("div", "mod"):
            raise ExpressionError(
                f"phép tính «{token.text}» chưa được hỗ trợ; chỉ so sánh được", token.position
            )
        if self.current.kind == "punct" and self.current.text == "(":
            raise ExpressionError(f"hàm «{token.text}» chưa được hỗ trợ", token.position)
        raise ExpressionError(
            f"«{token.text}» không hiểu được: tên câu hỏi viết ${{{token.text}}}, chữ viết trong nháy "
            f"'{token.text}'",
            token.position,
        )


def flatten(operator: str, args: list[Ast]) -> list[Ast]:
    """Merges nested and/or of the same operator: (a and b) and c → and[a, b, c]."""
    merged: list[Ast] = []
    for arg in args:
        if arg.get("op") == operator:
            merged.extend(arg["args"])
        else:
            merged.append(arg)
    return merged


def ref_name(token: Token) -> str:
    """The question id inside a ``${...}`` token, checked for shape."""
    name = token.text[2:-1].strip()
    if not _REF_NAME_RE.match(name):
        raise ExpressionError(f"tên câu hỏi «{name}» trong ${{...}} không hợp lệ", token.position)
    return name


def number_value(text: str) -> int | float:
    """An int for whole-number literals, a float otherwise."""
    return float(text) if "." in text else int(text)


def describe_token(token: Token) -> str:
    """A short Vietnamese description of a token for error messages."""
    if token.kind == "end":
        return "hết biểu thức"
    return f"«{token.text}»"


def describe_operand(operand: Ast) -> str:
    """A short Vietnamese description of an operand for error messages."""
    if "ref" in operand:
        return f"${{{operand['ref']}}}"
    if "self" in operand:
        return "«.»"
    if "const" in operand:
        return f"«{operand['const']}»"
    return "giá trị"


def parse_expression(text: str) -> Ast:
    """Parses a relevant/constraint expression into the contract's AST.

    Args:
        text: The expression, e.g. ``"${gio_lam} > 48 and selected(${hd}, 'khong_thoi_han')"``.

    Returns:
        The AST as plain JSON-serialisable dicts (see the survey contract, section 2).

    Raises:
        ExpressionError: When the text is empty, too long or outside the supported subset.
    """
    if not isinstance(text, str):
        raise ExpressionError("biểu thức phải là chữ")
    if not text.strip():
        raise ExpressionError("biểu thức trống")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"biểu thức dài quá {MAX_EXPRESSION_LENGTH} ký tự")
    return _Parser(tokenize_expression(text)).parse()


def iter_conditions(ast: Ast) -> Iterator[Ast]:
    """Yields every comparison and selected() node of an AST."""
    operator = ast.get("op")
    if operator in ("and", "or"):
        for arg in ast["args"]:
            yield from iter_conditions(arg)
    elif operator == "not":
        yield from iter_conditions(ast["arg"])
    else:
        yield ast


def expression_operands(ast: Ast) -> Iterator[Ast]:
    """Yields every operand of the comparisons in an AST (selected() has none).

    Args:
        ast: A parsed expression.

    Returns:
        An iterator over operand dicts such as ``{"ref": "q"}`` or ``{"const": 3}``.
    """
    for condition in iter_conditions(ast):
        if condition["op"] in COMPARISONS:
            yield condition["left"]
            yield condition["right"]


def expression_references(ast: Ast) -> list[str]:
    """Lists the question ids an AST reads, in order of first appearance.

    Args:
        ast: A parsed expression.

    Returns:
        Unique question ids (``"self"`` of string-length(.) is not a question and is left out).
    """
    found: list[str] = []
    for condition in iter_conditions(ast):
        names: list[str] = []
        if condition["op"] == "selected":
            names.append(condition["question"])
        else:
            for operand in (condition["left"], condition["right"]):
                if "ref" in operand:
                    names.append(operand["ref"])
                elif "count_selected" in operand:
                    names.append(operand["count_selected"])
                elif "string_length" in operand and operand["string_length"] != "self":
                    names.append(operand["string_length"])
        for name in names:
            if name not in found:
                found.append(name)
    return found


def expression_uses_self(ast: Ast) -> bool:
    """Whether an AST reads the answer being validated (``.`` or ``string-length(.)``).

    Args:
        ast: A parsed expression.

    Returns:
        True when ``.`` appears anywhere.
    """
    return any(
        "self" in operand or operand.get("string_length") == "self" for operand in expression_operands(ast)
    )
