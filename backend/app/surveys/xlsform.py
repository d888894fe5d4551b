"""XLSForm (the KoboToolbox/ODK Excel convention) import and export for survey definitions.

Lives here: ``read_xlsform`` (XLSX bytes → validated definition; every error names the sheet
and row, e.g. "sheet survey, dòng 12") and ``export_xlsform`` (definition → XLSX bytes that
read back into an equal definition). The mapping, also documented in surveys/README.md:

* sheet ``survey``: columns type, name, label, hint, required, relevant, constraint,
  constraint_message (``label::Vietnamese (vi)`` style columns accepted), plus our columns
  unit, min, max, max_choices, max_length; other columns are ignored.
  ``begin_group``/``end_group`` rows delimit sections (one level, every question inside one).
* types: ``select_one L`` → single_choice, ``select_multiple L`` → multiple_choice,
  ``integer``/``decimal`` → number (integer true/false), ``date``, ``text``;
  ``select_one yes_no`` whose list holds exactly yes/no → yes_no;
  ``select_one scale_1_5…`` (a list named scale_1_5 or scale_1_5_<suffix> holding exactly the
  values 1..5) → scale, choice labels that are not the bare digit become ``scale_labels``.
  Metadata rows (start, end, today, deviceid, username, …) are skipped; ``note`` and every
  other type are rejected with a reason.
* ``required``: blank means NOT required (XLSForm's rule; the YAML default is the opposite).
* sheet ``choices``: list_name, name, label. Sheet ``settings``: form_id, version, form_title
  and our intro, consent, anonymous, opens, closes, target_units (separated by spaces/commas).

Must not touch the database.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from backend.app.surveys.definition import SCALE_POINTS, YES_NO_CHOICES, Question, SurveyDefinition
from backend.app.surveys.errors import PathItem, SurveyFileError
from backend.app.surveys.validation import PathLocator, validate_definition

__all__ = ["export_xlsform", "read_xlsform"]

Path = tuple[PathItem, ...]

MAX_ROWS = 2000
MAX_COLUMNS = 60
SURVEY_COLUMNS = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "unit",
    "min",
    "max",
    "max_choices",
    "max_length",
)
CHOICES_COLUMNS = ("list_name", "name", "label")
SETTINGS_COLUMNS = (
    "form_id",
    "version",
    "form_title",
    "intro",
    "consent",
    "anonymous",
    "opens",
    "closes",
    "target_units",
)
SETTINGS_FIELDS = {
    "form_id": "id",
    "version": "version",
    "form_title": "title",
    "intro": "intro",
    "consent": "consent",
    "anonymous": "anonymous",
    "opens": "opens",
    "closes": "closes",
    "target_units": "target_units",
}
TRANSLATABLE_COLUMNS = ("label", "hint", "constraint_message")
YES_NO_LIST = "yes_no"
SCALE_LIST_RE = re.compile(r"^scale_1_5(?:_[A-Za-z0-9_]+)?$")
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-audio",
}
TRUE_WORDS = {"yes", "true", "true()", "1", "có", "co", "x"}
FALSE_WORDS = {"", "no", "false", "false()", "0", "không", "khong"}
SUPPORTED_TYPES_TEXT = "select_one, select_multiple, integer, decimal, date, text, begin_group, end_group"


@dataclass
class Sheet:
    """The rows of one sheet as text, by canonical column name, with their Excel row numbers."""

    name: str
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    def get(self, row: list[str], column: str) -> str:
        index = self.columns.get(column)
        return row[index] if index is not None and index < len(row) else ""

    def place(self, row_number: int) -> str:
        return f"sheet {self.name}, dòng {row_number}"


def cell_text(value: Any) -> str:
    """An Excel cell as trimmed text (numbers without a trailing .0, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0, 0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def canonical_column(header: str) -> tuple[str, str]:
    """Splits a header like ``label::Vietnamese (vi)`` into ("label", "Vietnamese (vi)")."""
    base, _, language = header.partition("::")
    base = re.sub(r"\s+", "_", base.strip().lower())
    if base == "list name":
        base = "list_name"
    return base, language.strip()


def language_rank(language: str) -> int:
    """Prefers the plain column, then Vietnamese, then any other language."""
    if not language:
        return 0
    lowered = language.lower()
    if "(vi)" in lowered or "vietnam" in lowered or "tiếng việt" in lowered or lowered == "vi":
        return 1
    return 2


def read_sheet(workbook: Any, wanted: str, *, required: bool) -> Sheet | None:
    """Reads one sheet by name (case-insensitive), its first row being the header."""
    matches = [name for name in workbook.sheetnames if name.strip().lower() == wanted]
    if not matches:
        if required:
            raise SurveyFileError(
                "tệp", f"thiếu sheet «{wanted}»; tệp XLSForm cần các sheet survey, choices và settings"
            )
        return None
    worksheet = workbook[matches[0]]
    rows_iter = worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header = next(rows_iter, None)
    if header is None:
        if required:
            raise SurveyFileError(f"sheet {wanted}", "sheet trống: dòng 1 phải là tên các cột")
        return Sheet(wanted, {})
    columns: dict[str, int] = {}
    ranks: dict[str, int] = {}
    for index, raw in enumerate(header):
        base, language = canonical_column(cell_text(raw))
        if not base:
            continue
        rank = language_rank(language) if base in TRANSLATABLE_COLUMNS else 0
        if base not in columns or rank < ranks[base]:
            columns[base] = index
            ranks[base] = rank
    sheet = Sheet(wanted, columns)
    for row_number, values in enumerate(rows_iter, start=2):
        texts = [cell_text(value) for value in values]
        if not any(texts):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SurveyFileError(sheet.place(row_number), f"sheet có quá {MAX_ROWS} dòng")
        sheet.rows.append((row_number, texts))
    return sheet


def open_workbook(data: bytes) -> Any:
    """Opens XLSX bytes, turning every failure into a SurveyFileError."""
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as error:
        raise SurveyFileError(
            "tệp", "không đọc được tệp .xlsx (hãy lưu lại bằng Excel dạng .xlsx)"
        ) from error
    except Exception as error:  # noqa: BLE001 - a broken XLSX can fail anywhere inside openpyxl
        raise SurveyFileError("tệp", "không đọc được tệp .xlsx (tệp hỏng hoặc không phải Excel)") from error


def read_xlsform(data: bytes) -> SurveyDefinition:
    """Reads a survey authored as an XLSForm workbook.

    Args:
        data: The XLSX file's bytes.

    Returns:
        The validated definition.

    Raises:
        SurveyFileError: With "sheet survey, dòng N" (or choices/settings) and the reason.
    """
    workbook = open_workbook(data)
    try:
        try:
            survey_sheet = read_sheet(workbook, "survey", required=True)
            choices_sheet = read_sheet(workbook, "choices", required=False)
            settings_sheet = read_sheet(workbook, "settings", required=True)
        except SurveyFileError:
            raise
        except Exception as error:  # noqa: BLE001 - broken sheet XML surfaces while iterating
            raise SurveyFileError("tệp", "không đọc được nội dung tệp .xlsx (tệp hỏng?)") from error
    finally:
        workbook.close()
    assert survey_sheet is not None and settings_sheet is not None
    places: dict[Path, str] = {}
    data_dict = read_settings(settings_sheet, places)
    lists = read_choice_lists(choices_sheet)
    data_dict["sections"] = read_sections(survey_sheet, lists, places, choices_sheet)
    return validate_definition(data_dict, PathLocator(places, "sheet settings"))


def read_settings(sheet: Sheet, places: dict[Path, str]) -> dict[str, Any]:
    """The survey-level fields from the settings sheet's first data row."""
    for column in ("form_id", "version", "form_title", "intro", "consent"):
        if column not in sheet.columns:
            raise SurveyFileError(
                "sheet settings", f"thiếu cột «{column}» (dòng 1 là tên cột, dòng 2 là giá trị)"
            )
    if not sheet.rows:
        raise SurveyFileError("sheet settings", "thiếu dòng giá trị (dòng 2) dưới tên các cột")
    _row_number, row = sheet.rows[0]
    result: dict[str, Any] = {}
    for column, key in SETTINGS_FIELDS.items():
        places[(key,)] = f"sheet settings, cột {column}"
        if column not in sheet.columns:
            continue
        value = sheet.get(row, column)
        if key == "version":
            result[key] = int(value) if value.isdigit() else value
        elif key == "anonymous":
            result[key] = parse_flag(value, default=True, place=f"sheet settings, cột {column}")
        elif key == "target_units":
            result[key] = [code for code in re.split(r"[\s,;]+", value) if code]
        elif key in ("opens", "closes"):
            result[key] = value or None
        else:
            result[key] = value
    return result


@dataclass(frozen=True)
class ChoiceRow:
    """One row of the choices sheet."""

    row_number: int
    value: str
    label: str


def read_choice_lists(sheet: Sheet | None) -> dict[str, list[ChoiceRow]]:
    """The choice lists by name, in sheet order."""
    lists: dict[str, list[ChoiceRow]] = {}
    if sheet is None:
        return lists
    for column in CHOICES_COLUMNS:
        if column not in sheet.columns:
            raise SurveyFileError("sheet choices", f"thiếu cột «{column}»")
    for row_number, row in sheet.rows:
        list_name = sheet.get(row, "list_name")
        value = sheet.get(row, "name")
        if not list_name:
            raise SurveyFileError(sheet.place(row_number), "thiếu list_name (tên danh sách lựa chọn)")
        if not value:
            raise SurveyFileError(sheet.place(row_number), "thiếu name (giá trị của lựa chọn)")
        lists.setdefault(list_name, []).append(ChoiceRow(row_number, value, sheet.get(row, "label")))
    return lists


def parse_flag(text: str, *, default: bool, place: str) -> bool:
    """Reads yes/no, true/false, 1/0 (blank = ``default``)."""
    lowered = text.strip().lower()
    if not lowered:
        return default
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise SurveyFileError(place, f"«{text}» không hiểu được; ghi yes hoặc no")


def number_or_text(text: str) -> Any:
    """A cell meant as a number: int, float, or the text itself for the validator to reject."""
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def read_sections(
    sheet: Sheet, lists: dict[str, list[ChoiceRow]], places: dict[Path, str], choices_sheet: Sheet | None
) -> list[dict[str, Any]]:
    """Builds the sections and their questions from the survey sheet rows."""
    for column in ("type", "name", "label"):
        if column not in sheet.columns:
            raise SurveyFileError("sheet survey", f"thiếu cột «{column}»")
    sections: list[dict[str, Any]] = []
    open_section: dict[str, Any] | None = None
    open_row = 0
    for row_number, row in sheet.rows:
        place = sheet.place(row_number)
        words = sheet.get(row, "type").split()
        if not words:
            raise SurveyFileError(place, "thiếu loại câu hỏi ở cột type")
        kind = words[0].lower()
        if kind in ("begin", "end") and len(words) >= 2 and words[1].lower() == "group":
            kind, words = f"{kind}_group", [f"{kind}_group", *words[2:]]
        if kind == "begin_group":
            if open_section is not None:
                raise SurveyFileError(
                    place, f"nhóm lồng trong nhóm (dòng {open_row} chưa end_group); chỉ dùng một cấp nhóm"
                )
            open_section = {"id": sheet.get(row, "name"), "title": sheet.get(row, "label"), "questions": []}
            open_row = row_number
            index = len(sections)
            sections.append(open_section)
            places[("sections", index)] = place
            continue
        if kind == "end_group":
            if open_section is None:
                raise SurveyFileError(place, "end_group nhưng không có begin_group nào đang mở")
            open_section = None
            continue
        if kind in METADATA_TYPES:
            continue
        if kind == "note":
            raise SurveyFileError(
                place,
                "loại note chưa được hỗ trợ; hãy đưa lời dẫn vào intro ở sheet settings "
                "hoặc vào hint của câu kế tiếp",
            )
        if open_section is None:
            raise SurveyFileError(
                place,
                "câu hỏi nằm ngoài nhóm: mỗi câu phải nằm giữa begin_group và end_group "
                "(mỗi nhóm là một phần)",
            )
        question_path: Path = ("sections", len(sections) - 1, "questions", len(open_section["questions"]))
        places[question_path] = place
        question = read_question(sheet, row, words, place, lists, places, question_path, choices_sheet)
        open_section["questions"].append(question)
    if open_section is not None:
        raise SurveyFileError(sheet.place(open_row), "nhóm này thiếu dòng end_group ở cuối")
    if not sections:
        raise SurveyFileError("sheet survey", "chưa có nhóm câu hỏi nào (begin_group … end_group)")
    return sections


def read_question(
    sheet: Sheet,
    row: list[str],
    words: list[str],
    place: str,
    lists: dict[str, list[ChoiceRow]],
    places: dict[Path, str],
    path: Path,
    choices_sheet: Sheet | None,
) -> dict[str, Any]:
    """Builds one question dict from a survey row."""
    kind = words[0].lower()
    question: dict[str, Any] = {"id": sheet.get(row, "name"), "label": sheet.get(row, "label")}
    if kind in ("select_one", "select_multiple"):
        if len(words) != 2:
            extra = " («or_other» chưa được hỗ trợ)" if "or_other" in words else ""
            raise SurveyFileError(place, f"cần đúng dạng «{kind} tên_danh_sách»{extra}")
        list_name = words[1]
        if list_name not in lists:
            raise SurveyFileError(place, f"danh sách lựa chọn «{list_name}» không có trong sheet choices")
        rows = lists[list_name]
        values = [choice.value for choice in rows]
        if kind == "select_one" and list_name == YES_NO_LIST and sorted(values) == ["no", "yes"]:
            question["type"] = "yes_no"
        elif kind == "select_one" and SCALE_LIST_RE.match(list_name):
            if values != [str(point) for point in SCALE_POINTS]:
                assert choices_sheet is not None
                raise SurveyFileError(
                    choices_sheet.place(rows[0].row_number),
                    f"danh sách «{list_name}» là thang đo: cần đúng 5 lựa chọn 1, 2, 3, 4, 5 theo thứ tự",
                )
            question["type"] = "scale"
            labels = {
                int(choice.value): choice.label
                for choice in rows
                if choice.label and choice.label != choice.value
            }
            question["scale_labels"] = labels or None
        else:
            question["type"] = "single_choice" if kind == "select_one" else "multiple_choice"
            question["choices"] = [{"value": choice.value, "label": choice.label} for choice in rows]
            assert choices_sheet is not None
            for index, choice in enumerate(rows):
                places[(*path, "choices", index)] = choices_sheet.place(choice.row_number)
    elif kind in ("integer", "decimal"):
        question["type"] = "number"
        question["integer"] = kind == "integer"
    elif kind in ("date", "text"):
        question["type"] = kind
    elif kind in ("select_one_from_file", "select_multiple_from_file"):
        raise SurveyFileError(
            place, f"loại {kind} chưa được hỗ trợ; hãy liệt kê lựa chọn trong sheet choices"
        )
    else:
        raise SurveyFileError(place, f"loại «{words[0]}» chưa được hỗ trợ; chỉ dùng: {SUPPORTED_TYPES_TEXT}")
    question["required"] = parse_flag(sheet.get(row, "required"), default=False, place=place)
    for column in ("hint", "relevant", "constraint", "constraint_message", "unit"):
        value = sheet.get(row, column)
        if value:
            question[column] = value
    for column in ("min", "max", "max_choices", "max_length"):
        value = sheet.get(row, column)
        if value:
            question[column] = number_or_text(value)
    return question


def scale_list_names(definition: SurveyDefinition) -> dict[str, str]:
    """Gives each scale question a list name; questions with the same labels share one."""
    by_labels: dict[tuple[tuple[int, str], ...], str] = {}
    names: dict[str, str] = {}
    for _section, question in definition.iter_questions():
        if question.type != "scale":
            continue
        key = tuple(sorted((question.scale_labels or {}).items()))
        if key not in by_labels:
            by_labels[key] = "scale_1_5" if not by_labels else f"scale_1_5_{len(by_labels) + 1}"
        names[question.id] = by_labels[key]
    return names


def choice_list_name(question: Question, taken: set[str]) -> str:
    """A list name for a choice question: its id, unless that clashes with a reserved name."""
    name = question.id
    if name == YES_NO_LIST or SCALE_LIST_RE.match(name) or name in taken:
        name = f"ds_{question.id}"
        suffix = 2
        while name in taken:
            name = f"ds_{question.id}_{suffix}"
            suffix += 1
    taken.add(name)
    return name


def iter_survey_rows(definition: SurveyDefinition, list_names: dict[str, str]) -> Iterator[list[Any]]:
    """The survey sheet rows, in SURVEY_COLUMNS order."""
    for section in definition.sections:
        yield ["begin_group", section.id, section.title, *[None] * (len(SURVEY_COLUMNS) - 3)]
        for question in section.questions:
            if question.type in ("single_choice", "yes_no", "scale"):
                xls_type = f"select_one {list_names[question.id]}"
            elif question.type == "multiple_choice":
                xls_type = f"select_multiple {list_names[question.id]}"
            elif question.type == "number":
                xls_type = "integer" if question.integer else "decimal"
            else:
                xls_type = question.type
            yield [
                xls_type,
                question.id,
                question.label,
                question.hint,
                "yes" if question.required else "no",
                question.relevant,
                question.constraint,
                question.constraint_message,
                question.unit,
                question.min,
                question.max,
                question.max_choices,
                question.max_length,
            ]
        yield ["end_group", *[None] * (len(SURVEY_COLUMNS) - 1)]


def iter_choice_rows(definition: SurveyDefinition, list_names: dict[str, str]) -> Iterator[list[Any]]:
    """The choices sheet rows: yes_no and scale lists once, then one list per choice question."""
    written: set[str] = set()
    for _section, question in definition.iter_questions():
        name = list_names.get(question.id)
        if name is None or name in written:
            continue
        written.add(name)
        if question.type == "yes_no":
            for value, label in YES_NO_CHOICES:
                yield [name, value, label]
        elif question.type == "scale":
            labels = question.scale_labels or {}
            for point in SCALE_POINTS:
                yield [name, str(point), labels.get(point, str(point))]
        else:
            for choice in question.choices or []:
                yield [name, choice.value, choice.label]


def export_xlsform(definition: SurveyDefinition) -> bytes:
    """Writes a definition as an XLSForm workbook (sheets survey, choices, settings).

    Args:
        definition: A validated definition.

    Returns:
        XLSX bytes; ``read_xlsform`` of them gives an equal definition.
    """
    list_names = scale_list_names(definition)
    taken = set(list_names.values()) | {YES_NO_LIST}
    for _section, question in definition.iter_questions():
        if question.type == "yes_no":
            list_names[question.id] = YES_NO_LIST
        elif question.type in ("single_choice", "multiple_choice"):
            list_names[question.id] = choice_list_name(question, taken)
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    write_sheet(survey, SURVEY_COLUMNS, iter_survey_rows(definition, list_names))
    write_sheet(workbook.create_sheet("choices"), CHOICES_COLUMNS, iter_choice_rows(definition, list_names))
    settings_row = [
        definition.id,
        definition.version,
        definition.title,
        definition.intro,
        definition.consent,
        "yes" if definition.anonymous else "no",
        definition.opens.isoformat() if definition.opens else None,
        definition.closes.isoformat() if definition.closes else None,
        " ".join(definition.target_units) or None,
    ]
    write_sheet(workbook.create_sheet("settings"), SETTINGS_COLUMNS, iter([settings_row]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_sheet(worksheet: Any, columns: tuple[str, ...], rows: Iterator[list[Any]]) -> None:
    """Writes a bold header and the rows; text cells stay text (no formulas, no dates)."""
    worksheet.append(list(columns))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    worksheet.freeze_panes = "A2"
    for row in rows:
        worksheet.append(row)
        for cell in worksheet[worksheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    widths = {
        "type": 26,
        "name": 24,
        "label": 60,
        "hint": 40,
        "relevant": 34,
        "constraint": 20,
        "list_name": 24,
    }
    for index, column in enumerate(columns, start=1):
        letter = worksheet.cell(row=1, column=index).column_letter
        worksheet.column_dimensions[letter].width = widths.get(
            column, 60 if column in ("intro", "consent") else 16
        )
