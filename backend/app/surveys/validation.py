"""Turning raw survey data plus a map of where each part came from into a definition or an error.

Lives here: ``validate_definition`` (shared by the YAML and XLSForm readers) and the
Vietnamese wording of pydantic's errors. A reader gives a ``Locator`` that names the line,
sheet or row of a path such as ``("sections", 1, "questions", 3, "relevant")``; the first
problem found becomes a ``SurveyFileError``. Must not read files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from backend.app.surveys.definition import SurveyDefinition
from backend.app.surveys.errors import DefinitionProblem, PathItem, SurveyFileError

__all__ = ["Locator", "PathLocator", "validate_definition"]

Path = tuple[PathItem, ...]
Locator = Callable[[Path], str]

FIELD_NAMES_VI = {
    "id": "id",
    "sections": "sections (các phần)",
    "questions": "questions (các câu hỏi)",
    "choices": "choices (các lựa chọn)",
}

SIMPLE_MESSAGES = {
    "string_type": "cần một đoạn chữ",
    "string_too_short": "không được để trống",
    "int_parsing": "cần một số nguyên",
    "int_type": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "float_parsing": "cần một số",
    "float_type": "cần một số",
    "bool_parsing": "cần true hoặc false",
    "bool_type": "cần true hoặc false",
    "date_parsing": "cần ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2027-01-05",
    "date_type": "cần ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2027-01-05",
    "date_from_datetime_parsing": "cần ngày dạng NĂM-THÁNG-NGÀY, ví dụ 2027-01-05",
    "date_from_datetime_inexact": "cần ngày (không kèm giờ), dạng NĂM-THÁNG-NGÀY",
    "list_type": "cần một danh sách (mỗi mục một dòng bắt đầu bằng «- »)",
    "dict_type": "cần một bảng các trường dạng «tên: giá trị»",
    "model_type": "cần một bảng các trường dạng «tên: giá trị»",
    "model_attributes_type": "cần một bảng các trường dạng «tên: giá trị»",
}


class PathLocator:
    """Names the place of a path from a map of known paths, falling back to the nearest parent."""

    def __init__(self, places: Mapping[Path, str], fallback: str) -> None:
        self.places = places
        self.fallback = fallback

    def __call__(self, path: Path) -> str:
        """Gives the place of the longest known prefix of ``path``.

        Args:
            path: A path inside the raw data.

        Returns:
            A location such as "dòng 37".
        """
        for length in range(len(path), -1, -1):
            place = self.places.get(path[:length])
            if place is not None:
                return place
        return self.fallback


def validate_definition(data: Any, locate: Locator) -> SurveyDefinition:
    """Validates raw survey data; the first problem becomes a located Vietnamese error.

    Args:
        data: Plain data as read from the file (dicts, lists, scalars).
        locate: Names the place in the file of a path inside ``data``.

    Returns:
        The validated definition.

    Raises:
        SurveyFileError: With the location and reason of the first problem.
    """
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        first["loc"] = data_path(tuple(first["loc"]), data)
        path, reason = describe_error(first)
        named_path = path[:-1] if first["type"] in ("missing", "extra_forbidden") else path
        raise SurveyFileError(locate(path), f"{describe_path(named_path, data)}{reason}") from None


def data_path(loc: Path, data: Any) -> Path:
    """Cuts a pydantic location at the first scalar: what follows names union members, not data."""
    node = data
    for index, key in enumerate(loc):
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        elif isinstance(node, dict | list):
            return loc[: index + 1]
        else:
            return loc[:index]
    return loc


def describe_error(error: Mapping[str, Any]) -> tuple[Path, str]:
    """Gives the full path and the Vietnamese reason of one pydantic error."""
    path: Path = tuple(error["loc"])
    kind = error["type"]
    context = error.get("ctx") or {}
    problem = context.get("error")
    if isinstance(problem, DefinitionProblem):
        return (*path, *problem.path), problem.reason
    field = str(path[-1]) if path else ""
    if kind == "missing":
        return path, f"thiếu trường «{field}»"
    if kind == "extra_forbidden":
        return path, f"trường «{field}» không có trong định dạng phiếu (gõ sai tên trường?)"
    if kind == "string_type" and error.get("input") is None:
        return path, "không được để trống"
    if kind in ("int_parsing", "float_parsing") and field in ("min", "max"):
        return path, "cần một số"
    if kind in SIMPLE_MESSAGES:
        return path, SIMPLE_MESSAGES[kind]
    if kind == "string_too_long":
        return path, f"dài quá {context.get('max_length')} ký tự"
    if kind == "too_short":
        return path, f"cần ít nhất {context.get('min_length')} mục"
    if kind == "too_long":
        return path, f"nhiều quá {context.get('max_length')} mục"
    if kind in ("greater_than_equal", "greater_than"):
        return path, f"phải lớn hơn hoặc bằng {context.get('ge', context.get('gt'))}"
    if kind == "literal_error":
        return path, f"giá trị không hợp lệ; chỉ nhận: {context.get('expected')}"
    if kind == "value_error" and problem is not None:
        return path, str(problem)
    return path, f"giá trị không hợp lệ ({error.get('msg', kind)})"


def describe_path(path: Path, data: Any) -> str:
    """A Vietnamese prefix naming the part of the survey a path points into, e.g. "câu «x», relevant: "."""
    parts: list[str] = []
    node: Any = data
    index = 0
    while index < len(path):
        key = path[index]
        if (
            key in ("sections", "questions", "choices")
            and index + 1 < len(path)
            and isinstance(path[index + 1], int)
        ):
            position = int(path[index + 1])
            items = node.get(key) if isinstance(node, dict) else None
            item = items[position] if isinstance(items, list) and 0 <= position < len(items) else None
            parts.append(describe_item(str(key), position, item))
            node = item
            index += 2
            continue
        if index == len(path) - 1 or not isinstance(node, dict):
            parts.append(f"trường {key}")
            break
        node = node.get(key) if isinstance(node, dict) else None
        parts.append(f"trường {key}")
        index += 1
    if len(parts) > 1 and parts[0].startswith("phần") and parts[1].startswith("câu"):
        parts = parts[1:]  # question ids are unique in the survey: the section adds nothing
    return ", ".join(parts) + ": " if parts else ""


def describe_item(kind: str, position: int, item: Any) -> str:
    """Names one section, question or choice, by its id/value when it has one."""
    name = item.get("value" if kind == "choices" else "id") if isinstance(item, dict) else None
    label = {"sections": "phần", "questions": "câu", "choices": "lựa chọn"}[kind]
    if isinstance(name, str | int) and not isinstance(name, bool) and str(name).strip():
        return f"{label} «{name}»"
    return f"{label} thứ {position + 1}"
