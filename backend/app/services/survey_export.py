"""Survey exports in Vietnamese: XLSX (raw rows and summary tables) and CSV (raw rows).

The XLSX has sheet "Dữ liệu" (one row per response) and sheet "Tổng hợp" (the per-question
tables); the CSV holds the raw rows, UTF-8 with a BOM so Excel reads Vietnamese.

Lives here: ``build_xlsx`` and ``build_csv`` over rows and results already scoped, filtered
and suppressed by services/survey_results.py. No pseudonym, sender id or exact time is
written; units under 5 responses read "(nhóm < 5)"; counts of 1–4 read "<5" with no
percentage. Free texts go through the caller's ``mask`` (numbers hidden for non-admins).
Must not query nor decide who may export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from backend.app.services.survey_results import ExportRow, QuestionResult, SurveyResults
from backend.app.services.survey_suppression import SUPPRESSED_TEXT, Cell
from backend.app.services.survey_values import label_of_value, text_to_value

DATA_SHEET = "Dữ liệu"
SUMMARY_SHEET = "Tổng hợp"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.##"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
STATUS_LABELS = {"completed": "Hoàn thành", "in_progress": "Đang làm dở"}
SUPPRESSION_NOTE = (
    'Nhóm có từ 1 đến 4 người trả lời được ghi "<5" và không tính tỷ lệ, để không ai bị nhận ra.'
)
TOO_FEW_NOTE = "Dưới 5 người trả lời trong phạm vi đã chọn nên không hiển thị kết quả."
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="B3261E")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
Mask = Callable[[str], str]


def _question_header(number: int, question: dict[str, Any]) -> str:
    return f"{number}. {question['label']}"


def _fixed_headers() -> list[str]:
    return ["STT", "Đơn vị", "Trạng thái", "Ngày hoàn thành"]


def _answer_value(question: dict[str, Any], text: str | None, mask: Mask) -> Any:  # noqa: ANN401
    """The cell value of one answer: numbers and dates typed, choices as Vietnamese labels."""
    value = text_to_value(question, text)
    if value is None:
        return None
    kind = question["type"]
    if kind in ("number", "scale"):
        return value
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "text":
        return mask(str(value))
    return label_of_value(question, value)


def _data_values(index: int, row: ExportRow, questions: list[dict[str, Any]], mask: Mask) -> list[Any]:
    values: list[Any] = [index, row.unit_name, STATUS_LABELS.get(row.status, row.status), row.completed_on]
    values.extend(_answer_value(question, row.answers.get(question["id"]), mask) for question in questions)
    return values


def _styled(
    sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None, font: Font | None = None
) -> Any:  # noqa: ANN401
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def _write_data_sheet(
    sheet: WriteOnlyWorksheet, questions: list[dict[str, Any]], rows: Iterable[ExportRow], mask: Mask
) -> int:
    sheet.freeze_panes = "C2"
    widths = [6, 34, 14, 14] + [24] * len(questions)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[_column_letter(position)].width = width
    headers = _fixed_headers() + [_question_header(n, q) for n, q in enumerate(questions, start=1)]
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header_cells.append(cell)
    sheet.append(header_cells)
    formats: list[str | None] = [INTEGER_FORMAT, None, None, DATE_FORMAT]
    for question in questions:
        if question["type"] == "number":
            formats.append(INTEGER_FORMAT if question.get("integer") else DECIMAL_FORMAT)
        elif question["type"] == "date":
            formats.append(DATE_FORMAT)
        else:
            formats.append(None)
    count = 0
    for count, row in enumerate(rows, start=1):
        values = _data_values(count, row, questions, mask)
        sheet.append(
            [
                _styled(sheet, value, number_format) if number_format and value is not None else value
                for value, number_format in zip(values, formats, strict=True)
            ]
        )
    if count == 0:
        sheet.append([TOO_FEW_NOTE])
    return count


def _column_letter(position: int) -> str:
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _count_value(cell: Cell) -> Any:  # noqa: ANN401
    return SUPPRESSED_TEXT if cell.suppressed else cell.count


def _summary_rows(result: QuestionResult) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if result.kind == "text":
        rows.append(["Số người trả lời", _count_value(result.answered_cell), None])
        return rows
    for row in result.rows:
        percent = row.cell.percent
        rows.append([row.label, _count_value(row.cell), None if percent is None else percent / 100])
    rows.append(["Số người trả lời câu này", _count_value(result.answered_cell), None])
    if result.mean is not None:
        rows.append(["Trung bình", round(result.mean, 2), None])
    if result.median is not None:
        rows.append(["Trung vị", result.median, None])
    return rows


def _write_summary_sheet(
    sheet: WriteOnlyWorksheet, title: str, scope_text: str, results: SurveyResults
) -> None:
    for letter, width in (("A", 60), ("B", 14), ("C", 12)):
        sheet.column_dimensions[letter].width = width
    sheet.append([_styled(sheet, title, font=_TITLE_FONT)])
    sheet.append(["Phạm vi", scope_text])
    sheet.append(["Số người trả lời", _count_value(Cell(results.respondents))])
    sheet.append([SUPPRESSION_NOTE])
    sheet.append([])
    if results.suppressed:
        sheet.append([TOO_FEW_NOTE])
        return
    for result in results.questions:
        sheet.append([_styled(sheet, _question_header(result.number, result.question), font=_BOLD)])
        if result.answered == 0:
            sheet.append(["Chưa có ai trả lời câu này."])
            sheet.append([])
            continue
        if result.suppressed:
            sheet.append(["Dưới 5 người trả lời câu này nên không hiển thị kết quả."])
            sheet.append([])
            continue
        sheet.append([_styled(sheet, text, font=_BOLD) for text in ("Trả lời", "Số người", "Tỷ lệ")])
        for label, count, share in _summary_rows(result):
            count_cell = _styled(sheet, count, INTEGER_FORMAT) if isinstance(count, int) else count
            if isinstance(count, float):
                count_cell = _styled(sheet, count, DECIMAL_FORMAT)
            share_cell = _styled(sheet, share, PERCENT_FORMAT) if share is not None else None
            sheet.append([label, count_cell, share_cell])
        sheet.append([])


def build_xlsx(
    *,
    title: str,
    scope_text: str,
    questions: list[dict[str, Any]],
    results: SurveyResults,
    rows: Iterable[ExportRow],
    mask: Mask,
) -> bytes:
    """Writes the workbook: "Dữ liệu" (one row per response) and "Tổng hợp" (the tables).

    Args:
        title: The survey's title.
        scope_text: Which units and filters the export covers, in Vietnamese.
        questions: The compiled questions, in asking order.
        results: The suppressed results for the summary sheet.
        rows: The raw rows (from ``iter_export_rows``), empty under 5 responses.
        mask: Applied to free texts.

    Returns:
        The XLSX bytes.
    """
    workbook = Workbook(write_only=True)
    data_sheet = workbook.create_sheet(DATA_SHEET)
    summary_sheet = workbook.create_sheet(SUMMARY_SHEET)
    _write_data_sheet(data_sheet, questions, rows, mask)
    _write_summary_sheet(summary_sheet, title, scope_text, results)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_text(value: Any) -> str:  # noqa: ANN401
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def build_csv(*, questions: list[dict[str, Any]], rows: Iterable[ExportRow], mask: Mask) -> bytes:
    """Writes the raw rows as CSV, UTF-8 with a BOM (Excel then shows Vietnamese correctly).

    Args:
        questions: The compiled questions, in asking order.
        rows: The raw rows (from ``iter_export_rows``); none under 5 responses.
        mask: Applied to free texts.

    Returns:
        The CSV bytes.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_fixed_headers() + [_question_header(n, q) for n, q in enumerate(questions, start=1)])
    written = 0
    for written, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value in _data_values(written, row, questions, mask)])
    if written == 0:
        writer.writerow([TOO_FEW_NOTE])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
