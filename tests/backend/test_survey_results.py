"""Survey results over a real database: per-question tables, histograms, the unit breakdown,
cross-tabulation, free texts, filters, progress, and small-group suppression everywhere —
pages and both exports (the XLSX is opened with openpyxl and every cell checked).

The seeded set: 12 completed responses in CSA (under LDA), 4 in CSB (under LDB), 1 without a
unit, and 2 unfinished ones in CSA.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from backend.app.core.db import SessionLocal
from backend.app.models import Staff, Survey, Unit
from backend.app.services.survey_results import (
    ResultsFilter,
    ResultsScope,
    SurveyResults,
    read_crosstab,
    read_free_texts,
    read_progress,
    read_results,
    read_unit_breakdown,
    resolve_scope,
)
from tests.backend.factories import UnitTree, create_staff, create_unit_tree, login
from tests.backend.survey_fixtures import SLUG, import_survey_text, seed_response, small_survey_yaml

PHONE = "0912 345 678"
SMALL_UNIT = "Công đoàn cơ sở Dệt Thành Công"  # CSB: 4 responses
SMALL_PROVINCE = "Công đoàn Dệt May Việt Nam"  # LDB: the same 4
HOURS = [10, 20, 20, 30, 40, 40, 45, 60]


@dataclass(frozen=True)
class Seeded:
    survey_id: int
    tree: UnitTree


def _csa_answers(index: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "nhom_tuoi": "duoi_30" if index < 7 else "tu_30",
        "lam_them": "yes" if index < 8 else "no",
    }
    if index < 8:
        answers["gio_lam_them"] = HOURS[index]
    answers["mong_muon"] = [["tang_luong", "nha_tro"], ["tang_luong"], ["phap_luat"]][index % 3]
    answers["hai_long"] = index % 5 + 1
    if index < 6:
        answers["y_kien"] = f"Mong công đoàn hỗ trợ nhà trọ, số {index}" + (
            f", gọi em {PHONE}" if index == 0 else ""
        )
    return answers


@pytest.fixture()
def seeded() -> Seeded:
    tree = create_unit_tree()
    survey_id = import_survey_text(small_survey_yaml())
    for index in range(12):
        seed_response(f"csa-{index}", _csa_answers(index), unit_code="CSA")
    for index in range(4):
        seed_response(
            f"csb-{index}",
            {
                "nhom_tuoi": "tu_30",
                "lam_them": "no",
                "mong_muon": ["tang_luong"],
                "hai_long": 3,
                "y_kien": f"Ý kiến riêng CSB {index}",
            },
            unit_code="CSB",
        )
    seed_response("no-unit", {"nhom_tuoi": "duoi_30", "lam_them": "yes", "gio_lam_them": 50})
    for index in range(2):
        seed_response(f"csa-unfinished-{index}", {"nhom_tuoi": "tu_30"}, unit_code="CSA", complete=False)
    return Seeded(survey_id, tree)


def _survey(seeded: Seeded) -> Survey:
    with SessionLocal() as session:
        survey = session.get(Survey, seeded.survey_id)
        assert survey is not None
        return survey


def _unit(unit_id: int) -> Unit:
    with SessionLocal() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        return unit


def _results(seeded: Seeded, scope: ResultsScope, filters: ResultsFilter | None = None) -> SurveyResults:
    with SessionLocal() as session:
        return read_results(
            session=session, survey=_survey(seeded), scope=scope, filters=filters or ResultsFilter()
        )


def _rows(results: SurveyResults, question_id: str) -> dict[str, tuple[int | None, float | None]]:
    result = next(item for item in results.questions if item.question["id"] == question_id)
    return {
        row.value: (row.cell.shown_count, None if row.cell.percent is None else round(row.cell.percent, 1))
        for row in result.rows
    }


EVERYTHING = ResultsScope(root=None, everything=True)


def test_survey_results_counts_and_percentages_per_question(seeded: Seeded) -> None:
    results = _results(seeded, EVERYTHING)
    assert results.respondents == 17 and not results.suppressed
    assert _rows(results, "nhom_tuoi") == {"duoi_30": (8, 47.1), "tu_30": (9, 52.9)}
    assert _rows(results, "lam_them") == {"yes": (9, 52.9), "no": (8, 47.1)}
    # multiple choice: each choice counted per respondent, 4 or fewer suppressed
    assert _rows(results, "mong_muon") == {
        "tang_luong": (12, 75.0),
        "nha_tro": (None, None),
        "phap_luat": (None, None),
    }
    # scale: every value had 1–4 respondents except 3 (2 in CSA + 4 in CSB)
    assert _rows(results, "hai_long") == {
        "1": (None, None),
        "2": (None, None),
        "3": (6, 37.5),
        "4": (None, None),
        "5": (None, None),
    }


def test_survey_results_numbers_as_histogram_bins_with_suppression(seeded: Seeded) -> None:
    results = _results(seeded, EVERYTHING)
    hours = next(item for item in results.questions if item.question["id"] == "gio_lam_them")
    assert hours.kind == "histogram" and hours.answered == 9
    assert [row.label for row in hours.rows] == ["10–19", "20–29", "30–39", "40–49", "50–59", "60–69"]
    assert [row.cell.count for row in hours.rows] == [1, 2, 1, 3, 1, 1]
    assert all(row.cell.suppressed and row.cell.percent is None for row in hours.rows)
    assert hours.mean == pytest.approx(35.0) and hours.median == 40


def test_survey_results_filtered_set_under_five_shows_nothing(seeded: Seeded) -> None:
    small = _results(seeded, ResultsScope(root=_unit(seeded.tree.province_b)))
    assert small.respondents == 4 and small.suppressed and small.questions == []
    nobody = _results(seeded, ResultsScope(root=None))  # staff without a unit
    assert nobody.respondents == 0 and nobody.suppressed


def test_survey_results_filters_by_unit_subtree_answers_and_status(seeded: Seeded) -> None:
    province_a = _results(seeded, ResultsScope(root=_unit(seeded.tree.province_a)))
    assert province_a.respondents == 12
    assert _rows(province_a, "nhom_tuoi") == {"duoi_30": (7, 58.3), "tu_30": (5, 41.7)}
    overtime = _results(seeded, EVERYTHING, ResultsFilter(answers=(("lam_them", "yes"),)))
    assert overtime.respondents == 9
    assert _rows(overtime, "nhom_tuoi") == {"duoi_30": (8, 88.9), "tu_30": (None, None)}
    housing = _results(
        seeded, EVERYTHING, ResultsFilter(answers=(("mong_muon", "tang_luong"), ("nhom_tuoi", "tu_30")))
    )
    assert housing.respondents == 4 + 3  # CSB's four and CSA's tu_30 respondents 7, 9 and 10
    with_unfinished = _results(seeded, EVERYTHING, ResultsFilter(include_incomplete=True))
    assert with_unfinished.respondents == 19
    assert _rows(with_unfinished, "nhom_tuoi")["tu_30"] == (11, 57.9)


def test_survey_results_scope_of_staff_is_their_subtree(seeded: Seeded) -> None:
    staff_a = create_staff(unit_id=seeded.tree.province_a)
    admin = create_staff(role="admin")
    with SessionLocal() as session:
        own = resolve_scope(session=session, staff=session.get(Staff, staff_a.id))  # type: ignore[arg-type]
        elsewhere = resolve_scope(
            session=session, staff=session.get(Staff, staff_a.id), unit_id=seeded.tree.province_b
        )  # type: ignore[arg-type]
        below = resolve_scope(
            session=session, staff=session.get(Staff, staff_a.id), unit_id=seeded.tree.grassroots_a
        )  # type: ignore[arg-type]
        everything = resolve_scope(session=session, staff=session.get(Staff, admin.id))  # type: ignore[arg-type]
    assert own.root is not None and own.root.id == seeded.tree.province_a
    assert elsewhere.root is not None and elsewhere.root.id == seeded.tree.province_a  # not theirs: ignored
    assert below.root is not None and below.root.id == seeded.tree.grassroots_a
    assert everything.everything and everything.root is None


def test_survey_unit_breakdown_groups_below_root_and_suppresses_small_units(seeded: Seeded) -> None:
    with SessionLocal() as session:
        breakdown = read_unit_breakdown(
            session=session,
            survey=_survey(seeded),
            scope=EVERYTHING,
            filters=ResultsFilter(),
            question_id="nhom_tuoi",
        )
    assert breakdown is not None
    rows = {row.name: row for row in breakdown.rows}
    assert set(rows) == {"LĐLĐ tỉnh Bình Dương", SMALL_PROVINCE, "Chưa rõ đơn vị"}
    province_a = rows["LĐLĐ tỉnh Bình Dương"]
    assert (province_a.base.count, [cell.shown_count for cell in province_a.cells]) == (12, [7, 5])
    small = rows[SMALL_PROVINCE]
    assert small.base.suppressed and all(cell.suppressed and cell.percent is None for cell in small.cells)
    assert rows["Chưa rõ đơn vị"].base.suppressed


def test_survey_crosstab_counts_and_row_percentages(seeded: Seeded) -> None:
    with SessionLocal() as session:
        table = read_crosstab(
            session=session,
            survey=_survey(seeded),
            scope=EVERYTHING,
            filters=ResultsFilter(),
            row_question_id="nhom_tuoi",
            column_question_id="lam_them",
        )
        multiple = read_crosstab(
            session=session,
            survey=_survey(seeded),
            scope=EVERYTHING,
            filters=ResultsFilter(),
            row_question_id="lam_them",
            column_question_id="mong_muon",
        )
        same = read_crosstab(
            session=session,
            survey=_survey(seeded),
            scope=EVERYTHING,
            filters=ResultsFilter(),
            row_question_id="nhom_tuoi",
            column_question_id="nhom_tuoi",
        )
    assert table is not None and table.total == 17 and same is None
    assert [label for _, label in table.columns] == ["Có", "Không"]
    cells = {row.name: [(cell.shown_count, cell.percent) for cell in row.cells] for row in table.rows}
    assert cells["Dưới 30 tuổi"] == [(8, 100.0), (0, 0.0)]
    assert cells["Từ 30 tuổi trở lên"][0] == (None, None)  # one person: suppressed
    assert cells["Từ 30 tuổi trở lên"][1][0] == 8 and cells["Từ 30 tuổi trở lên"][1][1] == pytest.approx(
        88.9, abs=0.05
    )
    assert [cell.shown_count for cell in table.column_totals] == [9, 8]
    assert multiple is not None
    by_row = {row.name: [cell.shown_count for cell in row.cells] for row in multiple.rows}
    # overtime yes: CSA 0..7 → tang_luong for i%3 in (0,1): 0,1,3,4,6,7 = 6; no-unit answered none
    assert by_row["Có"] == [6, None, None]
    assert by_row["Không"] == [6, None, None]  # CSA 8..11 → 9,10 + CSB four


def test_survey_free_texts_only_from_five_and_in_alphabetical_order(seeded: Seeded) -> None:
    with SessionLocal() as session:
        texts, total = read_free_texts(
            session=session,
            survey=_survey(seeded),
            scope=EVERYTHING,
            filters=ResultsFilter(),
            question_id="y_kien",
        )
        few, few_total = read_free_texts(
            session=session,
            survey=_survey(seeded),
            scope=ResultsScope(root=_unit(seeded.tree.grassroots_b)),
            filters=ResultsFilter(),
            question_id="y_kien",
        )
    assert total == 10 and texts == sorted(texts) and len(texts) == 10
    assert (few, few_total) == ([], 4)


def test_survey_progress_started_completed_by_unit_and_day(seeded: Seeded) -> None:
    with SessionLocal() as session:
        progress = read_progress(session=session, survey=_survey(seeded), scope=EVERYTHING)
    assert (progress.started, progress.completed) == (19, 17)
    assert progress.completed_cell.percent == pytest.approx(100 * 17 / 19)
    rows = {row.label: row for row in progress.by_unit}
    assert (
        rows["LĐLĐ tỉnh Bình Dương"].started.count,
        rows["LĐLĐ tỉnh Bình Dương"].completed.shown_count,
    ) == (14, 12)
    assert rows[SMALL_PROVINCE].started.suppressed and rows[SMALL_PROVINCE].completed.suppressed
    # every answer was given on 6 January 2027 (Vietnam time)
    assert [
        (day.isoformat(), started.count, completed.count) for day, started, completed in progress.by_day
    ] == [("2027-01-06", 19, 17)]


def _cells_text(page: str, table_id: str) -> list[list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>|\s+", " ", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        ]
        for row in rows
    ]


def test_survey_small_unit_never_shows_its_count_on_pages(client: TestClient, seeded: Seeded) -> None:
    admin = create_staff(role="admin")
    login(client, admin.email)
    detail = client.get(f"/admin/surveys/{SLUG}").text
    progress_rows = {row[0]: row[1:] for row in _cells_text(detail, "progress-units") if row}
    assert progress_rows[SMALL_PROVINCE] == ["<5", "<5", ""]
    assert progress_rows["LĐLĐ tỉnh Bình Dương"][:2] == ["14", "12"]
    results = client.get(f"/admin/surveys/{SLUG}/results?by=nhom_tuoi").text
    unit_rows = {row[0]: row[1:] for row in _cells_text(results, "unit-table") if row}
    assert unit_rows[SMALL_PROVINCE] == ["<5", "<5", "<5"]
    assert "&lt;5" in results and "<script" not in results.split("<main>", 1)[1]
    assert results.count("<svg") >= 6  # a chart per choice and number question + the unit chart


def test_survey_staff_of_a_small_unit_sees_only_the_notice(client: TestClient, seeded: Seeded) -> None:
    staff_b = create_staff(unit_id=seeded.tree.province_b)
    login(client, staff_b.email)
    page = client.get(f"/admin/surveys/{SLUG}/results")
    assert page.status_code == 200
    assert "Quá ít người trả lời" in page.text
    assert 'id="questions"' not in page.text and "<svg" not in page.text
    assert "Ý kiến riêng CSB" not in page.text
    detail = client.get(f"/admin/surveys/{SLUG}").text
    assert 'id="progress"' not in detail and "Quá ít người trả lời" in detail


def _sheet_values(content: bytes) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets
    }


def test_survey_xlsx_export_suppresses_small_units_and_cells(client: TestClient, seeded: Seeded) -> None:
    admin = create_staff(role="admin")
    login(client, admin.email)
    reply = client.get(f"/admin/surveys/{SLUG}/export.xlsx")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheets = _sheet_values(reply.content)
    assert list(sheets) == ["Dữ liệu", "Tổng hợp"]
    data = sheets["Dữ liệu"]
    header, rows = data[0], data[1:]
    assert header[:4] == ["STT", "Đơn vị", "Trạng thái", "Ngày hoàn thành"]
    assert header[4] == "1. Anh/chị thuộc nhóm tuổi nào?"
    assert len(rows) == 17
    units = [row[1] for row in rows]
    assert units.count("Công đoàn cơ sở Công ty May Sông Bé") == 12
    assert units.count("(nhóm < 5)") == 5  # CSB's four and the one without a unit
    flat = [cell for row in data + sheets["Tổng hợp"] for cell in row if cell is not None]
    assert SMALL_UNIT not in flat and SMALL_PROVINCE not in flat
    assert not any(
        isinstance(cell, str) and ("csa-" in cell or "csb-" in cell) for cell in flat
    )  # no sender ids
    # Vietnamese labels, typed numbers and dates
    assert {row[4] for row in rows} == {"Dưới 30 tuổi", "Từ 30 tuổi trở lên"}
    assert {row[5] for row in rows} == {"Có", "Không"}
    assert sorted(row[6] for row in rows if row[6] is not None) == sorted(HOURS + [50])
    assert "Thương lượng tăng lương; Hỗ trợ nhà trọ" in {row[7] for row in rows}
    assert {row[3].date().isoformat() for row in rows} == {"2027-01-06"}
    # the summary: "<5" with no percentage for small cells; the fraction of 100% as a number
    summary = sheets["Tổng hợp"]
    mong_muon = summary.index(["4. Anh/chị mong công đoàn làm gì?", None, None])
    assert summary[mong_muon + 1] == ["Trả lời", "Số người", "Tỷ lệ"]
    assert summary[mong_muon + 2] == ["Thương lượng tăng lương", 12, pytest.approx(0.75)]
    assert summary[mong_muon + 3] == ["Hỗ trợ nhà trọ", "<5", None]
    workbook = load_workbook(io.BytesIO(reply.content))
    assert workbook["Tổng hợp"].cell(row=mong_muon + 3, column=3).number_format == "0.0%"
    assert workbook["Dữ liệu"].cell(row=2, column=4).number_format == "dd/mm/yyyy"


def test_survey_xlsx_export_of_a_small_selection_has_only_the_notice(
    client: TestClient, seeded: Seeded
) -> None:
    admin = create_staff(role="admin")
    login(client, admin.email)
    sheets = _sheet_values(
        client.get(f"/admin/surveys/{SLUG}/export.xlsx?unit_id={seeded.tree.grassroots_b}").content
    )
    data, summary = sheets["Dữ liệu"], sheets["Tổng hợp"]
    assert len(data) == 2 and "Dưới 5 người" in str(data[1][0])
    flat = [cell for row in data + summary for cell in row if cell is not None]
    assert 4 not in flat and "Ý kiến riêng CSB 0" not in flat
    assert any("Dưới 5 người" in str(cell) for cell in summary[-1])


def test_survey_csv_export_has_bom_labels_and_masked_texts_for_staff(
    client: TestClient, seeded: Seeded
) -> None:
    staff_a = create_staff(unit_id=seeded.tree.province_a)
    login(client, staff_a.email)
    reply = client.get(f"/admin/surveys/{SLUG}/export.csv")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert reply.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["STT", "Đơn vị", "Trạng thái", "Ngày hoàn thành"]
    assert len(rows) == 1 + 12  # staff of LDA: their 12 completed responses only
    assert {row[1] for row in rows[1:]} == {"Công đoàn cơ sở Công ty May Sông Bé"}
    assert {row[3] for row in rows[1:]} == {"06/01/2027"}
    texts = " ".join(row[-1] for row in rows[1:])
    assert PHONE not in texts and "**** *** 678" in texts
    assert "Ý kiến riêng CSB" not in reply.content.decode("utf-8")


def test_survey_export_is_audited(client: TestClient, seeded: Seeded) -> None:
    from sqlalchemy import select

    from backend.app.models import AuditLog

    admin = create_staff(role="admin")
    login(client, admin.email)
    client.get(f"/admin/surveys/{SLUG}/export.csv?f=lam_them:yes")
    with SessionLocal() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "survey.export")).one()
    assert entry.detail["format"] == "csv" and "Anh/chị có làm thêm giờ không? = Có" in entry.detail["scope"]
