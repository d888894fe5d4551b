"""Importing the union tree from a CSV or XLSX file, all or nothing.

Columns ``code``, ``name``, ``parent_code`` (Vietnamese headers ``ma``/``mã``, ``ten``/``tên``,
``ma_cap_tren``/``mã cấp trên`` too) and an optional ``level``/``cap`` (1-4). Existing codes
are updated, new ones created. Every problem is reported with its sheet, line and kind
(missing field, duplicate code, unknown parent, cycle, bad level, ...) and when there is any,
nothing is written. Must not talk HTTP; the caller owns the transaction.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import Staff, Unit
from backend.app.models.unit import LEVEL_GRASSROOTS
from backend.app.schemas.unit import ImportProblem
from backend.app.services.audit import record_audit
from backend.app.services.units import recompute_paths

MAX_ROWS = 20_000
CODE_PATTERN = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
HEADER_ALIASES = {
    "code": "code",
    "ma": "code",
    "ma_don_vi": "code",
    "name": "name",
    "ten": "name",
    "ten_don_vi": "name",
    "parent_code": "parent_code",
    "ma_cap_tren": "parent_code",
    "parent": "parent_code",
    "level": "level",
    "cap": "level",
}


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a message for extraction; it is translated where it is shown."""
    return message


PROBLEM_MESSAGES = {
    "unreadable": N_("the file cannot be read as CSV (UTF-8) or XLSX"),
    "empty": N_("the file has no units"),
    "too_many_rows": N_("too many rows (at most 20000)"),
    "missing_column": N_("missing column %(value)s"),
    "missing_field": N_("missing value in column %(value)s"),
    "bad_code": N_("invalid code %(value)s (letters, digits, dot, dash, underscore)"),
    "name_too_long": N_("name longer than 255 characters"),
    "duplicate_code": N_("code %(value)s appears more than once in the file"),
    "unknown_parent": N_("parent code %(value)s is neither in the file nor in the database"),
    "cycle": N_("unit %(value)s would be its own ancestor (cycle)"),
    "bad_level": N_("level %(value)s is not allowed here (1 to 4, below its parent's level)"),
}


@dataclass(frozen=True)
class ImportRow:
    """One data row of the file with where it came from."""

    sheet: str | None
    line: int
    code: str
    name: str
    parent_code: str
    level: str


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or why it did nothing."""

    problems: list[ImportProblem]
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        """True when the file was stored."""
        return not self.problems


def normalise_header(header: object) -> str:
    """Maps a header cell to a column name ("Mã cấp trên" → "parent_code"), "" if unknown."""
    text = unicodedata.normalize("NFD", str(header or "").strip().lower().replace("đ", "d"))
    text = "".join(char for char in text if unicodedata.category(char) != "Mn")
    text = re.sub(r"[\s\-]+", "_", text)
    return HEADER_ALIASES.get(text, "")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_table(
    sheet: str | None, table: list[list[object]]
) -> tuple[list[ImportRow], list[ImportProblem]]:
    if not table:
        return [], []
    columns = [normalise_header(cell) for cell in table[0]]
    missing = [name for name in ("code", "name", "parent_code") if name not in columns]
    if missing:
        return [], [ImportProblem(sheet=sheet, line=1, kind="missing_column", value=", ".join(missing))]
    rows: list[ImportRow] = []
    for offset, cells in enumerate(table[1:], start=2):
        values = {column: _cell_text(cell) for column, cell in zip(columns, cells, strict=False) if column}
        if not any(values.values()):
            continue
        rows.append(
            ImportRow(
                sheet=sheet,
                line=offset,
                code=values.get("code", ""),
                name=values.get("name", ""),
                parent_code=values.get("parent_code", ""),
                level=values.get("level", ""),
            )
        )
    return rows, []


def read_csv(data: bytes) -> tuple[list[ImportRow], list[ImportProblem]]:
    """Reads a UTF-8 CSV (comma or semicolon separated; a BOM is fine).

    Args:
        data: The file's bytes.

    Returns:
        The data rows and any structural problems.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [ImportProblem(line=1, kind="unreadable")]
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        table: list[list[object]] = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:
        return [], [ImportProblem(line=1, kind="unreadable")]
    return _rows_from_table(None, table)


def read_xlsx(data: bytes) -> tuple[list[ImportRow], list[ImportProblem]]:
    """Reads every non-empty sheet of an XLSX workbook (each with its own header row).

    Args:
        data: The file's bytes.

    Returns:
        The data rows and any structural problems (each naming its sheet).
    """
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return [], [ImportProblem(line=1, kind="unreadable")]
    rows: list[ImportRow] = []
    problems: list[ImportProblem] = []
    try:
        for worksheet in workbook.worksheets:
            table = [list(row) for row in worksheet.iter_rows(values_only=True)]
            while table and not any(_cell_text(cell) for cell in table[-1]):
                table.pop()
            if not table:
                continue
            sheet_rows, sheet_problems = _rows_from_table(worksheet.title, table)
            rows.extend(sheet_rows)
            problems.extend(sheet_problems)
    finally:
        workbook.close()
    return rows, problems


def read_unit_file(filename: str, data: bytes) -> tuple[list[ImportRow], list[ImportProblem]]:
    """Reads a CSV or XLSX file, chosen by its content (XLSX is a ZIP) or its name."""
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data)
    return read_csv(data)


def _check_rows(session: Session, rows: list[ImportRow]) -> tuple[list[ImportProblem], dict[str, int]]:
    """Validates rows against each other and the database; returns problems and levels."""
    problems: list[ImportProblem] = []

    def problem(row: ImportRow, kind: str, value: str = "") -> None:
        problems.append(ImportProblem(sheet=row.sheet, line=row.line, kind=kind, value=value))

    by_code: dict[str, ImportRow] = {}
    for row in rows:
        for column, value in (("code", row.code), ("name", row.name)):
            if not value:
                problem(row, "missing_field", column)
        if row.code and not CODE_PATTERN.match(row.code):
            problem(row, "bad_code", row.code)
        if row.parent_code and not CODE_PATTERN.match(row.parent_code):
            problem(row, "bad_code", row.parent_code)
        if len(row.name) > 255:
            problem(row, "name_too_long")
        if row.level and (not row.level.isdigit() or not 1 <= int(row.level) <= LEVEL_GRASSROOTS):
            problem(row, "bad_level", row.level)
        if row.code in by_code:
            problem(row, "duplicate_code", row.code)
        elif row.code:
            by_code[row.code] = row
    if problems:
        return problems, {}

    existing = {unit.code: unit for unit in session.scalars(select(Unit))}
    existing_by_id = {unit.id: unit for unit in existing.values()}
    parent_of: dict[str, str] = {
        unit.code: existing_by_id[unit.parent_id].code if unit.parent_id in existing_by_id else ""
        for unit in existing.values()
    }
    for row in rows:
        if row.parent_code and row.parent_code not in by_code and row.parent_code not in existing:
            problem(row, "unknown_parent", row.parent_code)
        parent_of[row.code] = row.parent_code
    if problems:
        return problems, {}

    for row in rows:
        seen = {row.code}
        current = parent_of.get(row.code, "")
        while current:
            if current in seen:
                problem(row, "cycle", row.code)
                break
            seen.add(current)
            current = parent_of.get(current, "")
    if problems:
        return problems, {}

    levels: dict[str, int] = {}

    def level_of(code: str) -> int:
        if code in levels:
            return levels[code]
        row = by_code.get(code)
        parent = parent_of.get(code, "")
        parent_level = level_of(parent) if parent else 0
        if row is None:
            level = existing[code].level
        else:
            level = int(row.level) if row.level else parent_level + 1
        levels[code] = level
        return level

    for row in rows:
        parent = parent_of[row.code]
        level = level_of(row.code)
        parent_level = level_of(parent) if parent else 0
        if level <= parent_level or level > LEVEL_GRASSROOTS:
            problem(row, "bad_level", str(level))
    for code, unit in existing.items():
        parent = parent_of.get(code, "")
        if code not in by_code and parent in by_code and unit.level <= level_of(parent):
            problem(by_code[parent], "bad_level", str(level_of(parent)))
    return problems, levels


def import_units(*, session: Session, filename: str, data: bytes, actor: Staff | None) -> ImportResult:
    """Validates a unit file and stores it only when it has no problem at all.

    Args:
        session: An open session inside a transaction (nothing is written on problems).
        filename: The uploaded file's name (chooses CSV or XLSX with the content).
        data: The file's bytes.
        actor: The admin importing; audited as ``unit.import``.

    Returns:
        The result: problems (sorted by sheet and line) or counts of created/updated units.
    """
    rows, problems = read_unit_file(filename, data)
    if not problems and not rows:
        problems = [ImportProblem(line=1, kind="empty")]
    if len(rows) > MAX_ROWS:
        problems = [ImportProblem(line=MAX_ROWS + 2, kind="too_many_rows")]
    if not problems:
        problems, levels = _check_rows(session, rows)
    if problems:
        ordered = sorted(problems, key=lambda item: (item.sheet or "", item.line))
        return ImportResult(problems=ordered)

    units = {unit.code: unit for unit in session.scalars(select(Unit))}
    created = updated = 0
    for row in rows:
        unit = units.get(row.code)
        if unit is None:
            unit = Unit(code=row.code, name=row.name, level=levels[row.code], path="")
            session.add(unit)
            units[row.code] = unit
            created += 1
        else:
            unit.name = row.name
            unit.level = levels[row.code]
            updated += 1
    session.flush()
    for row in rows:
        units[row.code].parent_id = units[row.parent_code].id if row.parent_code else None
    session.flush()
    recompute_paths(session=session)
    record_audit(
        session=session,
        actor=actor,
        action="unit.import",
        target_type="unit",
        detail={"filename": filename[:200], "created": created, "updated": updated},
    )
    return ImportResult(problems=[], created=created, updated=updated)
