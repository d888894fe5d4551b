"""The authored survey format (``surveys/*.yml``) as pydantic v2 models, with every rule checked.

Lives here: ``SurveyDefinition`` → ``Section`` → ``Question`` → ``Choice``, the per-type field
rules, and the survey-wide checks (unique ids, skip logic only on EARLIER questions,
expressions that parse and name real questions and real choice values). Errors are raised as
``DefinitionProblem`` so the file loaders can turn them into "dòng 37: ..." messages.
``model_dump(mode="json")`` and ``model_validate`` round-trip exactly (the backend stores that
JSON). Must not read files or know about YAML/XLSX: that is ``yaml_file``/``xlsform``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from backend.app.surveys.errors import DefinitionProblem, ExpressionError
from backend.app.surveys.expressions import (
    COMPARISONS,
    Ast,
    expression_references,
    iter_conditions,
    parse_expression,
)

__all__ = [
    "CHOICE_TYPES",
    "DEFAULT_TEXT_MAX_LENGTH",
    "QUESTION_TYPES",
    "YES_NO_CHOICES",
    "Choice",
    "Question",
    "QuestionType",
    "Section",
    "SurveyDefinition",
]

QuestionType = Literal["single_choice", "multiple_choice", "number", "scale", "yes_no", "date", "text"]
QUESTION_TYPES: tuple[str, ...] = (
    "single_choice",
    "multiple_choice",
    "number",
    "scale",
    "yes_no",
    "date",
    "text",
)
CHOICE_TYPES = ("single_choice", "multiple_choice")
YES_NO_CHOICES: tuple[tuple[str, str], ...] = (("yes", "Có"), ("no", "Không"))
DEFAULT_TEXT_MAX_LENGTH = 500
MAX_TEXT_LENGTH = 5000
MIN_CHOICES, MAX_CHOICES = 2, 20
MAX_QUESTIONS = 200
SCALE_POINTS = (1, 2, 3, 4, 5)

SURVEY_ID_RE = re.compile(r"^[a-z0-9_]{3,64}$")
QUESTION_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CHOICE_VALUE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
UNIT_CODE_RE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
DATE_TEXT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NUMBER_TEXT_RE = re.compile(r"^-?\d+(\.\d+)?$")

# Fields that only some question types may use: field name → the types allowed to set it.
TYPE_SPECIFIC_FIELDS: dict[str, tuple[str, ...]] = {
    "choices": CHOICE_TYPES,
    "unit": ("number",),
    "min": ("number",),
    "max": ("number",),
    "integer": ("number",),
    "max_choices": ("multiple_choice",),
    "max_length": ("text",),
    "scale_labels": ("scale",),
}


class _Strict(BaseModel):
    """Base of the format models: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def text_from_scalar(value: Any) -> Any:
    """Turns a number typed where text is expected (YAML ``value: 1``, an Excel cell) into text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


class Choice(_Strict):
    """One option of a single/multiple choice question: a stable value and what people read."""

    value: str
    label: str = Field(min_length=1, max_length=200)

    @field_validator("value", mode="before")
    @classmethod
    def check_value(cls, value: Any) -> Any:
        """Values are short codes without spaces (XLSForm stores several separated by spaces)."""
        value = text_from_scalar(value)
        if isinstance(value, str) and not CHOICE_VALUE_RE.match(value.strip()):
            raise DefinitionProblem(
                f"giá trị lựa chọn «{value}» không hợp lệ: chỉ dùng chữ không dấu, số, «_», «-», «.», "
                "không có dấu cách, tối đa 64 ký tự"
            )
        return value

    @field_validator("label", mode="before")
    @classmethod
    def coerce_label(cls, value: Any) -> Any:
        """A label typed as a number (e.g. ``5``) is kept as its text."""
        return text_from_scalar(value)


class Question(_Strict):
    """One question; which optional fields apply depends on ``type`` (see ``TYPE_SPECIFIC_FIELDS``)."""

    id: str
    type: QuestionType
    label: str = Field(min_length=1, max_length=500)
    hint: str | None = Field(default=None, max_length=500)
    required: bool = True
    choices: list[Choice] | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=30)
    min: int | float | None = None
    max: int | float | None = None
    integer: bool = False
    max_choices: int | None = None
    max_length: int | None = None
    scale_labels: dict[int, str] | None = None
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: str | None = Field(default=None, max_length=300)

    @field_validator("id", mode="before")
    @classmethod
    def check_id(cls, value: Any) -> Any:
        """Question ids are what expressions and answers refer to: short lowercase slugs."""
        if isinstance(value, str) and not QUESTION_ID_RE.match(value.strip()):
            raise DefinitionProblem(
                f"mã câu hỏi «{value}» không hợp lệ: bắt đầu bằng chữ thường, chỉ gồm a-z, 0-9, «_», "
                "tối đa 64 ký tự"
            )
        return value

    @field_validator("type", mode="before")
    @classmethod
    def check_type(cls, value: Any) -> Any:
        """The seven types, with a message naming them all."""
        if value not in QUESTION_TYPES:
            raise DefinitionProblem(f"loại câu hỏi «{value}» không có; chỉ dùng: {', '.join(QUESTION_TYPES)}")
        return value

    @field_validator("label", mode="before")
    @classmethod
    def coerce_label(cls, value: Any) -> Any:
        """A label typed as a number is kept as its text."""
        return text_from_scalar(value)

    @field_validator("hint", "constraint_message", "unit", mode="before")
    @classmethod
    def blank_text_is_none(cls, value: Any) -> Any:
        """An empty optional text counts as not given; numbers typed there become text."""
        value = text_from_scalar(value)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("relevant", "constraint", mode="before")
    @classmethod
    def check_expression(cls, value: Any) -> Any:
        """Expressions must parse; blank means none."""
        if value is None:
            return None
        if not isinstance(value, str):
            value = text_from_scalar(value)
            if not isinstance(value, str):
                raise DefinitionProblem("biểu thức phải là chữ, ví dụ \"${cau_truoc} = 'co'\"")
        if not value.strip():
            return None
        try:
            parse_expression(value)
        except ExpressionError as error:
            raise DefinitionProblem(f"biểu thức «{value.strip()}» sai ở {error}") from error
        return value.strip()

    @field_validator("scale_labels", mode="before")
    @classmethod
    def check_scale_labels(cls, value: Any) -> Any:
        """Scale labels name some of the points 1..5; an empty mapping means none."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise DefinitionProblem("scale_labels phải là bảng điểm → nhãn, ví dụ {1: Rất kém, 5: Rất tốt}")
        if not value:
            return None
        cleaned: dict[Any, Any] = {}
        for key, label in value.items():
            point = key
            if isinstance(point, str) and point.strip().isdigit():
                point = int(point.strip())
            if isinstance(point, bool) or point not in SCALE_POINTS:
                raise DefinitionProblem(f"scale_labels: điểm «{key}» không có; thang đo luôn từ 1 đến 5")
            label = text_from_scalar(label)
            if not isinstance(label, str) or not label.strip():
                raise DefinitionProblem(f"scale_labels: điểm {point} cần một nhãn bằng chữ")
            cleaned[point] = label.strip()
        return dict(sorted(cleaned.items()))

    @model_validator(mode="after")
    def check_type_rules(self) -> Question:
        """Per-type rules: which fields apply, choices 2..20 and unique, ranges in order."""
        defaults = {"integer": False}
        for field, types in TYPE_SPECIFIC_FIELDS.items():
            if self.type not in types and getattr(self, field) != defaults.get(field):
                raise DefinitionProblem(
                    f"trường «{field}» chỉ dùng cho câu loại {' / '.join(types)}, câu này là {self.type}",
                    (field,),
                )
        if self.type in CHOICE_TYPES:
            self.check_choices()
        if self.type == "number":
            self.check_range()
        if self.max_choices is not None:
            count = len(self.choices or [])
            if not 1 <= self.max_choices <= count:
                raise DefinitionProblem(f"max_choices phải từ 1 đến {count} (số lựa chọn)", ("max_choices",))
        if self.max_length is not None and not 1 <= self.max_length <= MAX_TEXT_LENGTH:
            raise DefinitionProblem(f"max_length phải từ 1 đến {MAX_TEXT_LENGTH}", ("max_length",))
        if self.constraint_message is not None and self.constraint is None:
            raise DefinitionProblem("có constraint_message nhưng chưa có constraint", ("constraint_message",))
        return self

    def check_choices(self) -> None:
        """Choice questions need 2..20 choices with distinct values and distinct labels."""
        if not self.choices:
            raise DefinitionProblem(
                f"câu loại {self.type} cần danh sách choices (2 đến 20 lựa chọn)", ("choices",)
            )
        if not MIN_CHOICES <= len(self.choices) <= MAX_CHOICES:
            raise DefinitionProblem(
                f"cần từ {MIN_CHOICES} đến {MAX_CHOICES} lựa chọn, đang có {len(self.choices)}", ("choices",)
            )
        seen_values: set[str] = set()
        seen_labels: set[str] = set()
        for index, choice in enumerate(self.choices):
            if choice.value in seen_values:
                raise DefinitionProblem(
                    f"giá trị lựa chọn «{choice.value}» bị trùng", ("choices", index, "value")
                )
            if choice.label.casefold() in seen_labels:
                raise DefinitionProblem(
                    f"nhãn lựa chọn «{choice.label}» bị trùng", ("choices", index, "label")
                )
            seen_values.add(choice.value)
            seen_labels.add(choice.label.casefold())

    def check_range(self) -> None:
        """Number ranges: min < max, whole bounds for integer questions."""
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise DefinitionProblem(f"min ({self.min}) phải nhỏ hơn max ({self.max})", ("min",))
        if self.integer:
            for field in ("min", "max"):
                bound = getattr(self, field)
                if isinstance(bound, float) and not bound.is_integer():
                    raise DefinitionProblem(
                        f"câu số nguyên (integer: true) cần {field} là số nguyên", (field,)
                    )

    def choice_values(self) -> list[str]:
        """The values an answer to this question may take (yes_no: yes/no; scale: 1..5 as text)."""
        if self.type == "yes_no":
            return [value for value, _label in YES_NO_CHOICES]
        if self.type == "scale":
            return [str(point) for point in SCALE_POINTS]
        return [choice.value for choice in self.choices or []]


class Section(_Strict):
    """A titled part of the survey; questions are asked in the order written."""

    id: str
    title: str = Field(min_length=1, max_length=200)
    questions: list[Question] = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def check_id(cls, value: Any) -> Any:
        """Section ids follow the question id rule."""
        if isinstance(value, str) and not QUESTION_ID_RE.match(value.strip()):
            raise DefinitionProblem(
                f"mã phần «{value}» không hợp lệ: bắt đầu bằng chữ thường, chỉ gồm a-z, 0-9, «_»"
            )
        return value


class SurveyDefinition(_Strict):
    """A whole survey as authored; once validated, every reference inside it is sound.

    Guarantees: survey, section and question ids are well formed and unique; every
    ``relevant`` reads only questions asked earlier; every ``constraint`` reads only ``.`` and
    earlier questions; values named in expressions exist; ``opens <= closes``.
    """

    id: str
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    intro: str = Field(min_length=1, max_length=1000)
    consent: str = Field(min_length=1, max_length=500)
    anonymous: bool = True
    opens: dt.date | None = None
    closes: dt.date | None = None
    target_units: list[str] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)

    @field_validator("id", mode="before")
    @classmethod
    def check_id(cls, value: Any) -> Any:
        """The survey id is its identity in URLs and invitation links."""
        if isinstance(value, str) and not SURVEY_ID_RE.match(value.strip()):
            raise DefinitionProblem(
                f"mã khảo sát «{value}» không hợp lệ: 3 đến 64 ký tự a-z, 0-9, «_» (không dấu, không cách)"
            )
        return value

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def check_date(cls, value: Any) -> Any:
        """Dates are written YYYY-MM-DD; blank means none."""
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not DATE_TEXT_RE.match(text):
                raise DefinitionProblem(f"ngày «{value}» cần viết dạng NĂM-THÁNG-NGÀY, ví dụ 2027-01-05")
            try:
                return dt.date.fromisoformat(text)
            except ValueError as error:
                raise DefinitionProblem(f"ngày «{value}» không có thật trên lịch") from error
        return value

    @field_validator("target_units", mode="before")
    @classmethod
    def check_target_units(cls, value: Any) -> Any:
        """Unit codes as in the union tree import; none means everybody."""
        if value is None:
            return []
        if isinstance(value, list):
            codes = [text_from_scalar(code) for code in value]
            for code in codes:
                if not isinstance(code, str) or not UNIT_CODE_RE.match(code):
                    raise DefinitionProblem(
                        f"mã đơn vị «{code}» không hợp lệ (chữ, số, dấu chấm, gạch ngang, gạch dưới)"
                    )
            if len(set(codes)) != len(codes):
                raise DefinitionProblem("target_units có mã đơn vị bị trùng")
            return codes
        return value

    @model_validator(mode="after")
    def check_survey_rules(self) -> SurveyDefinition:
        """Survey-wide rules: dates in order, unique ids, expressions on earlier questions only."""
        if self.opens is not None and self.closes is not None and self.opens > self.closes:
            raise DefinitionProblem(
                f"ngày mở ({self.opens.isoformat()}) phải trước hoặc bằng "
                f"ngày đóng ({self.closes.isoformat()})",
                ("closes",),
            )
        section_ids: set[str] = set()
        for section_index, section in enumerate(self.sections):
            if section.id in section_ids:
                raise DefinitionProblem(f"mã phần «{section.id}» bị trùng", ("sections", section_index, "id"))
            section_ids.add(section.id)
        earlier: dict[str, Question] = {}
        count = 0
        for path, question in self.iter_question_paths():
            count += 1
            if count > MAX_QUESTIONS:
                raise DefinitionProblem(f"phiếu quá dài: tối đa {MAX_QUESTIONS} câu hỏi", path)
            if question.id in earlier:
                raise DefinitionProblem(f"mã câu hỏi «{question.id}» bị trùng", (*path, "id"))
            if question.relevant is not None:
                check_expression_references(question, "relevant", earlier, (*path, "relevant"))
            if question.constraint is not None:
                check_expression_references(question, "constraint", earlier, (*path, "constraint"))
            earlier[question.id] = question
        return self

    def iter_question_paths(self) -> Iterator[tuple[tuple[str | int, ...], Question]]:
        """Yields (path inside the definition, question) in asking order."""
        for section_index, section in enumerate(self.sections):
            for question_index, question in enumerate(section.questions):
                yield ("sections", section_index, "questions", question_index), question

    def iter_questions(self) -> Iterator[tuple[Section, Question]]:
        """Yields (section, question) in asking order.

        Returns:
            An iterator over the survey's questions, sections flattened.
        """
        for section in self.sections:
            for question in section.questions:
                yield section, question

    def question_count(self) -> int:
        """How many questions the survey has (before skip logic).

        Returns:
            The number of questions.
        """
        return sum(len(section.questions) for section in self.sections)


def check_expression_references(
    question: Question, field: str, earlier: dict[str, Question], path: tuple[str | int, ...]
) -> None:
    """Checks what an expression reads: earlier questions, real values, sensible comparisons.

    Args:
        question: The question carrying the expression.
        field: "relevant" or "constraint".
        earlier: Questions asked before this one, by id.
        path: Where the expression sits in the definition, for the error.

    Raises:
        DefinitionProblem: With the reason in Vietnamese.
    """
    text = getattr(question, field)
    ast = parse_expression(text)
    for name in expression_references(ast):
        if name == question.id:
            hint = " (trong constraint hãy dùng «.»)" if field == "constraint" else ""
            raise DefinitionProblem(f"{field} không được dựa vào chính câu này ${{{name}}}{hint}", path)
        if name not in earlier:
            raise DefinitionProblem(
                f"{field} dựa vào ${{{name}}}, nhưng câu đó không có hoặc nằm sau câu này; "
                f"{field} chỉ được dựa vào câu hỏi đứng trước",
                path,
            )
    for condition in iter_conditions(ast):
        check_condition(question, field, condition, earlier, path)


def check_condition(
    question: Question, field: str, condition: Ast, earlier: dict[str, Question], path: tuple[str | int, ...]
) -> None:
    """Checks one comparison or selected() against the questions it reads."""
    if condition["op"] == "selected":
        target = earlier[condition["question"]]
        if target.type not in (*CHOICE_TYPES, "yes_no"):
            raise DefinitionProblem(
                f"selected() chỉ dùng với câu lựa chọn; ${{{target.id}}} là câu {target.type}", path
            )
        if condition["value"] not in target.choice_values():
            raise DefinitionProblem(
                f"câu «{target.id}» không có lựa chọn «{condition['value']}»; "
                f"các giá trị: {', '.join(target.choice_values())}",
                path,
            )
        return
    if condition["op"] not in COMPARISONS:  # pragma: no cover - the parser emits nothing else
        raise DefinitionProblem(f"phép «{condition['op']}» không hỗ trợ", path)
    operands = (condition["left"], condition["right"])
    for operand, other in (operands, operands[::-1]):
        target = operand_question(question, field, operand, earlier, path)
        if target is None:
            continue
        if "count_selected" in operand:
            if target.type != "multiple_choice":
                raise DefinitionProblem(
                    "count-selected() chỉ dùng với câu nhiều lựa chọn; "
                    f"${{{target.id}}} là câu {target.type}",
                    path,
                )
            continue
        if "string_length" in operand:
            if target.type != "text":
                raise DefinitionProblem(
                    "string-length() chỉ dùng với câu trả lời chữ (text); "
                    f"«{target.id}» là câu {target.type}",
                    path,
                )
            continue
        check_compared_value(target, condition["op"], other, path)


def operand_question(
    question: Question, field: str, operand: Ast, earlier: dict[str, Question], path: tuple[str | int, ...]
) -> Question | None:
    """The question an operand reads (``.`` = this question), or None for a constant."""
    if "self" in operand or operand.get("string_length") == "self":
        if field == "relevant":
            raise DefinitionProblem(
                "relevant không dùng «.» (câu này chưa được trả lời khi xét relevant); "
                "hãy dựa vào câu trước, ví dụ ${cau_truoc}",
                path,
            )
        return question
    for key in ("ref", "count_selected", "string_length"):
        if key in operand:
            return earlier[operand[key]]
    return None


def check_compared_value(target: Question, operator: str, other: Ast, path: tuple[str | int, ...]) -> None:
    """Checks a constant compared with an answer fits that answer's type."""
    if target.type == "multiple_choice":
        raise DefinitionProblem(
            f"câu nhiều lựa chọn «{target.id}» không so sánh trực tiếp được; "
            f"dùng selected(${{{target.id}}}, 'gia_tri') hoặc count-selected(${{{target.id}}})",
            path,
        )
    if "const" not in other:
        return
    constant = other["const"]
    if target.type in ("single_choice", "yes_no"):
        if operator not in ("=", "!="):
            raise DefinitionProblem(f"câu lựa chọn «{target.id}» chỉ so sánh được bằng = hoặc !=", path)
        if str(constant) not in target.choice_values():
            raise DefinitionProblem(
                f"câu «{target.id}» không có lựa chọn «{constant}»; "
                f"các giá trị: {', '.join(target.choice_values())}",
                path,
            )
    elif target.type in ("number", "scale"):
        if isinstance(constant, str) and not NUMBER_TEXT_RE.match(constant.strip()):
            raise DefinitionProblem(f"câu «{target.id}» là số, không so sánh được với «{constant}»", path)
    elif target.type == "date":
        if not isinstance(constant, str) or not DATE_TEXT_RE.match(constant):
            raise DefinitionProblem(
                f"câu «{target.id}» là ngày: so sánh với ngày dạng 'NĂM-THÁNG-NGÀY', ví dụ '2000-01-31'", path
            )
        try:
            dt.date.fromisoformat(constant)
        except ValueError as error:
            raise DefinitionProblem(f"ngày «{constant}» không có thật trên lịch", path) from error
