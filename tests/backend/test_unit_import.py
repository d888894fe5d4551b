"""Importing the union tree from CSV and XLSX: all or nothing, problems name sheet and line."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from backend.app.core.db import SessionLocal, session_scope
from backend.app.models import AuditLog, Unit
from backend.app.services.unit_import import import_units
from tests.backend.factories import create_staff, create_unit, login

VALID_CSV = (
    "code,name,parent_code\n"
    "TLD,Tổng Liên đoàn Lao động Việt Nam,\n"
    "LD-BD,LĐLĐ tỉnh Bình Dương,TLD\n"
    "CT-TDM,LĐLĐ thành phố Thủ Dầu Một,LD-BD\n"
    "CS-01,Công đoàn cơ sở Công ty TNHH May Việt Tiến,CT-TDM\n"
)


def _units() -> dict[str, tuple[str, int, str | None]]:
    with SessionLocal() as session:
        units = list(session.scalars(select(Unit)))
        by_id = {unit.id: unit for unit in units}
        return {
            unit.code: (unit.path, unit.level, by_id[unit.parent_id].code if unit.parent_id else None)
            for unit in units
        }


def _import(filename: str, data: bytes):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return import_units(session=session, filename=filename, data=data, actor=None)


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_import_valid_csv_builds_tree_with_paths_and_levels() -> None:
    result = _import("units.csv", VALID_CSV.encode("utf-8-sig"))
    assert result.ok
    assert (result.created, result.updated) == (4, 0)
    units = _units()
    assert {code: level for code, (_, level, _) in units.items()} == {
        "TLD": 1,
        "LD-BD": 2,
        "CT-TDM": 3,
        "CS-01": 4,
    }
    assert units["CS-01"][2] == "CT-TDM"
    tld_path = units["TLD"][0]
    assert units["CS-01"][0].startswith(units["CT-TDM"][0]) and units["CT-TDM"][0].startswith(tld_path)


def test_import_valid_xlsx_with_vietnamese_headers_and_reimport_updates() -> None:
    data = _xlsx(
        {
            "Don vi": [
                ["Mã", "Tên", "Mã cấp trên"],
                ["TLD", "Tổng Liên đoàn Lao động Việt Nam", None],
                ["CDN-DM", "Công đoàn Dệt May Việt Nam", "TLD"],
                [79, "Công đoàn cơ sở số 79", "CDN-DM"],
            ]
        }
    )
    result = _import("cay-don-vi.xlsx", data)
    assert result.ok, result.problems
    assert _units()["79"][1] == 3
    again = _import(
        "lan-2.xlsx", _xlsx({"S": [["ma", "ten", "ma_cap_tren"], ["79", "CĐCS số 79 (đổi tên)", "CDN-DM"]]})
    )
    assert (again.created, again.updated) == (0, 1)
    with SessionLocal() as session:
        assert session.scalars(select(Unit.name).where(Unit.code == "79")).one() == "CĐCS số 79 (đổi tên)"


def test_import_semicolon_csv_with_level_column() -> None:
    data = "ma;ten;ma_cap_tren;cap\nLD-HN;LĐLĐ Hà Nội;;2\nCS-HN;CĐCS Hà Nội 1;LD-HN;4\n".encode()
    result = _import("hn.csv", data)
    assert result.ok, result.problems
    assert _units()["CS-HN"][1] == 4


@pytest.mark.parametrize(
    ("csv_text", "line", "kind"),
    [
        ("code,name,parent_code\nTLD,,\n", 2, "missing_field"),
        ("code,name,parent_code\nTLD,A,\n,B,TLD\n", 3, "missing_field"),
        ("code,name,parent_code\nTLD,A,\nTLD,B,\n", 3, "duplicate_code"),
        ("code,name,parent_code\nTLD,A,\nX1,B,KHONG-CO\n", 3, "unknown_parent"),
        ("code,name,parent_code\nA1,A,B1\nB1,B,A1\n", 2, "cycle"),
        ("code,name,parent_code\nA1,A,A1\n", 2, "cycle"),
        ("code,name,parent_code,level\nTLD,A,,1\nX1,B,TLD,1\n", 3, "bad_level"),
        ("code,name,parent_code,level\nTLD,A,,9\n", 2, "bad_level"),
        ("code,name,parent_code\nL1,A,\nL2,B,L1\nL3,C,L2\nL4,D,L3\nL5,E,L4\n", 6, "bad_level"),
        ("code,name,parent_code\nmã có dấu,A,\n", 2, "bad_code"),
        ("code,name\nTLD,A\n", 1, "missing_column"),
        ("code,name,parent_code\n", 1, "empty"),
    ],
)
def test_import_invalid_csv_reports_line_and_changes_nothing(csv_text: str, line: int, kind: str) -> None:
    create_unit("CO-SAN", "Đơn vị có sẵn")
    before = _units()
    result = _import("bad.csv", csv_text.encode())
    assert not result.ok
    assert (result.problems[0].line, result.problems[0].kind) == (line, kind)
    assert _units() == before


def test_import_invalid_xlsx_names_the_sheet_and_line() -> None:
    data = _xlsx(
        {
            "Tinh": [["code", "name", "parent_code"], ["TLD", "Tổng LĐLĐ", None], ["LD-1", "LĐLĐ 1", "TLD"]],
            "Co so": [
                ["code", "name", "parent_code"],
                ["CS-1", "CĐCS 1", "LD-1"],
                ["CS-2", "CĐCS 2", "LD-9"],
            ],
        }
    )
    result = _import("tree.xlsx", data)
    assert not result.ok
    problem = result.problems[0]
    assert (problem.sheet, problem.line, problem.kind, problem.value) == (
        "Co so",
        3,
        "unknown_parent",
        "LD-9",
    )
    assert _units() == {}


def test_import_of_garbage_file_is_a_problem_not_a_crash() -> None:
    for name, data in (("x.xlsx", b"PK\x03\x04garbage"), ("x.csv", b"\xff\xfe\x00bad")):
        result = _import(name, data)
        assert [p.kind for p in result.problems] == ["unreadable"]


def test_import_that_moves_existing_unit_under_its_child_is_a_cycle() -> None:
    assert _import("a.csv", b"code,name,parent_code\nP,Cha,\nC,Con,P\n").ok
    result = _import("b.csv", b"code,name,parent_code\nP,Cha,C\n")
    assert [p.kind for p in result.problems] == ["cycle"]
    assert _units()["P"][2] is None


def test_import_page_shows_problems_in_vietnamese_and_audits_success(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    bad = client.post(
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("don-vi.csv", b"code,name,parent_code\nTLD,A,\nTLD,B,\n", "text/csv")},
    )
    assert bad.status_code == 400
    assert "Dòng 3: mã TLD xuất hiện nhiều lần trong tệp" in bad.text
    good = client.post(
        "/admin/units/import",
        data={"csrf_token": token},
        files={"file": ("don-vi.csv", VALID_CSV.encode(), "text/csv")},
    )
    assert good.status_code == 200
    assert "4 đơn vị mới" in good.text
    with SessionLocal() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "unit.import")).one()
        assert entry.actor_id == admin.id
        assert entry.detail["created"] == 4
        assert session.scalar(select(func.count()).select_from(Unit)) == 4


def test_import_page_refuses_staff_and_missing_csrf(client: TestClient) -> None:
    staff = create_staff()
    token = login(client, staff.email)
    files = {"file": ("don-vi.csv", VALID_CSV.encode(), "text/csv")}
    assert client.post("/admin/units/import", data={"csrf_token": token}, files=files).status_code == 403
    admin = create_staff(role="admin")
    login(client, admin.email)
    assert client.post("/admin/units/import", files=files).status_code == 403
    assert _units() == {}
