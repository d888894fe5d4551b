"""XLSForm import/export: the round trip, the Kobo/ODK conventions, and errors by sheet and row."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from backend.app.surveys import SurveyFileError, export_xlsform, load_survey_file
from tests.backend.surveys.samples import REAL_SURVEY_PATH, SAMPLE_YAML, replace_once

Rows = list[dict[str, Any]]

SURVEY_ROWS: Rows = [
    {"type": "begin_group", "name": "chung", "label": "Thông tin chung"},  # row 2
    {
        "type": "select_one yes_no",
        "name": "lam_them",
        "label": "Có làm thêm giờ không?",
        "required": "yes",
    },  # 3
    {
        "type": "integer",
        "name": "gio",
        "label": "Mỗi tháng bao nhiêu giờ?",
        "required": "yes",
        "relevant": "${lam_them} = 'yes'",
        "constraint": ". <= 200",
        "constraint_message": "Dạ, cao quá ạ.",
        "unit": "giờ",
        "min": 0,
        "max": 300,
    },  # 4
    {
        "type": "select_multiple viec",
        "name": "mong_muon",
        "label": "Mong công đoàn làm gì?",
        "max_choices": 2,
    },  # 5
    {"type": "end_group"},  # 6
]
CHOICES_ROWS: Rows = [
    {"list_name": "yes_no", "name": "yes", "label": "Có"},  # row 2
    {"list_name": "yes_no", "name": "no", "label": "Không"},  # 3
    {"list_name": "viec", "name": "luong", "label": "Tăng lương"},  # 4
    {"list_name": "viec", "name": "nha_o", "label": "Nhà ở"},  # 5
    {"list_name": "viec", "name": "an_ca", "label": "Bữa ăn ca"},  # 6
]
SETTINGS_ROWS: Rows = [
    {
        "form_id": "mau_excel",
        "version": 2,
        "form_title": "Phiếu Excel",
        "intro": "Dạ, phiếu thử.",
        "consent": "Anh/chị đồng ý chứ ạ?",
        "anonymous": "yes",
        "opens": "2026-11-01",
        "closes": "2027-12-31",
        "target_units": "LDLD_TINH, CDCS_01",
    }
]


def build_xlsx(sheets: dict[str, Rows]) -> bytes:
    """An XLSX with one sheet per entry; the header is every key, in order of first appearance."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        columns: list[str] = []
        for row in rows:
            columns.extend(key for key in row if key not in columns)
        worksheet.append(columns or ["type"])
        for row in rows:
            worksheet.append([row.get(column) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def base_sheets() -> dict[str, Rows]:
    return {
        "survey": [dict(row) for row in SURVEY_ROWS],
        "choices": [dict(row) for row in CHOICES_ROWS],
        "settings": [dict(row) for row in SETTINGS_ROWS],
    }


def load_xlsx(sheets: dict[str, Rows]) -> Any:
    return load_survey_file("phieu.xlsx", build_xlsx(sheets))


@pytest.mark.parametrize("source", ["real", "sample"])
def test_export_xlsform_round_trips_to_an_equal_definition(source: str) -> None:
    text = REAL_SURVEY_PATH.read_text(encoding="utf-8") if source == "real" else SAMPLE_YAML
    definition = load_survey_file("phieu.yml", text.encode())
    assert load_survey_file("phieu.xlsx", export_xlsform(definition)) == definition


def test_export_xlsform_writes_the_documented_convention() -> None:
    definition = load_survey_file("phieu.yml", SAMPLE_YAML.encode())
    workbook = load_workbook(io.BytesIO(export_xlsform(definition)))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    survey = [row for row in workbook["survey"].iter_rows(values_only=True)]
    header = list(survey[0])
    by_name = {row[header.index("name")]: dict(zip(header, row, strict=True)) for row in survey[1:]}
    assert survey[1][:3] == ("begin_group", "chung", "Thông tin chung")
    assert by_name["lam_them"]["type"] == "select_one yes_no"
    assert by_name["gio_lam_them"]["type"] == "integer" and by_name["gio_lam_them"]["unit"] == "giờ"
    assert by_name["hai_long"]["type"] == "select_one scale_1_5"
    assert by_name["mong_muon"]["type"] == "select_multiple mong_muon"
    assert by_name["ngay_vao_lam"]["type"] == "date" and by_name["ngay_vao_lam"]["required"] == "no"
    assert by_name["y_kien"]["relevant"].startswith("selected(${loai_hd}")
    choices = [row for row in workbook["choices"].iter_rows(values_only=True)]
    assert ("scale_1_5", "1", "Rất không hài lòng") in choices and ("scale_1_5", "3", "3") in choices
    assert ("yes_no", "yes", "Có") in choices
    settings = list(workbook["settings"].iter_rows(values_only=True))
    assert settings[0][:3] == ("form_id", "version", "form_title")
    assert settings[1][:2] == ("mau_thu", 1)
    assert settings[1][-1] == "LDLD_TINH CDCS-01"


def test_export_xlsform_gives_different_scale_labels_their_own_lists() -> None:
    text = replace_once(
        SAMPLE_YAML,
        "      - id: mong_muon\n",
        "      - id: an_toan\n        type: scale\n        label: An toàn thế nào?\n"
        "        scale_labels: {1: Rất kém, 5: Rất tốt}\n      - id: vui\n        type: scale\n"
        "        label: Vui không?\n      - id: mong_muon\n",
    )
    definition = load_survey_file("phieu.yml", text.encode())
    data = export_xlsform(definition)
    types = [row[0] for row in load_workbook(io.BytesIO(data))["survey"].iter_rows(values_only=True)]
    assert {"select_one scale_1_5", "select_one scale_1_5_2", "select_one scale_1_5_3"} <= set(types)
    assert load_survey_file("phieu.xlsx", data) == definition


def test_read_xlsform_reads_a_kobo_style_workbook() -> None:
    sheets = base_sheets()
    survey = sheets["survey"]
    for row in survey:
        if "label" in row:
            row["label::English (en)"] = "English text"
            row["label::Vietnamese (vi)"] = row.pop("label")
    survey.insert(0, {"type": "start", "name": "start"})
    survey.insert(1, {"type": "deviceid", "name": "deviceid"})
    survey[2]["type"] = "begin group"
    survey[-1]["type"] = "end group"
    for row in sheets["choices"]:
        row["list name"] = row.pop("list_name")
    sheets["settings"][0]["opens"] = dt.datetime(2026, 11, 1)
    definition = load_xlsx(sheets)
    questions = {question.id: question for _section, question in definition.iter_questions()}
    assert list(questions) == ["lam_them", "gio", "mong_muon"]
    assert questions["lam_them"].type == "yes_no" and questions["lam_them"].label == "Có làm thêm giờ không?"
    assert questions["gio"].integer is True and (questions["gio"].min, questions["gio"].max) == (0, 300)
    assert questions["mong_muon"].required is False  # blank `required` means optional in XLSForm
    assert questions["mong_muon"].max_choices == 2
    assert definition.opens == dt.date(2026, 11, 1)
    assert definition.target_units == ["LDLD_TINH", "CDCS_01"]
    assert definition.version == 2


def test_read_xlsform_treats_a_yes_no_list_with_more_values_as_single_choice() -> None:
    sheets = base_sheets()
    sheets["choices"].insert(2, {"list_name": "yes_no", "name": "khong_biet", "label": "Không biết"})
    definition = load_xlsx(sheets)
    question = definition.sections[0].questions[0]
    assert question.type == "single_choice"
    assert [choice.value for choice in question.choices or []] == ["yes", "no", "khong_biet"]


def mutate(change: str) -> dict[str, Rows]:
    """The base workbook with one named change."""
    sheets = base_sheets()
    survey, choices, settings = sheets["survey"], sheets["choices"], sheets["settings"]
    if change == "no settings":
        del sheets["settings"]
    elif change == "no survey":
        del sheets["survey"]
    elif change == "unknown type":
        survey[3]["type"] = "geopoint"
    elif change == "note":
        survey.insert(1, {"type": "note", "name": "loi_dan", "label": "Xin chào"})
    elif change == "outside group":
        survey.append({"type": "text", "name": "y_kien", "label": "Ý kiến?"})
    elif change == "nested group":
        survey.insert(1, {"type": "begin_group", "name": "con", "label": "Nhóm con"})
    elif change == "no end_group":
        survey.pop()
    elif change == "end without begin":
        survey.insert(0, {"type": "end_group"})
    elif change == "unknown list":
        survey[3]["type"] = "select_multiple viec_lam"
    elif change == "or_other":
        survey[3]["type"] = "select_multiple viec or_other"
    elif change == "bad required":
        survey[2]["required"] = "maybe"
    elif change == "relevant on later":
        survey[2]["relevant"] = "selected(${mong_muon}, 'luong')"
    elif change == "bad expression":
        survey[2]["constraint"] = ". <= "
    elif change == "min not a number":
        survey[2]["min"] = "không"
    elif change == "duplicate id":
        survey[3]["name"] = "gio"
    elif change == "bad id":
        survey[3]["name"] = "Mong muốn"
    elif change == "missing label":
        survey[3]["label"] = None
    elif change == "duplicate choice":
        choices[4]["name"] = "nha_o"
    elif change == "choice without list":
        choices[3]["list_name"] = None
    elif change == "one choice":
        del choices[3:]
    elif change == "bad scale list":
        survey[3]["type"] = "select_one scale_1_5"
        survey[3].pop("max_choices")
        choices.extend(
            {"list_name": "scale_1_5", "name": str(point), "label": str(point)} for point in (1, 2, 3)
        )
    elif change == "no form_id column":
        settings[0].pop("form_id")
    elif change == "bad opens":
        settings[0]["opens"] = "1/11/2026"
    elif change == "bad anonymous":
        settings[0]["anonymous"] = "có lẽ"
    elif change == "no settings row":
        settings[0] = dict.fromkeys(settings[0])
    return sheets


# (change, location, part of the reason)
XLSX_INVALID_CASES: list[tuple[str, str, str]] = [
    ("no settings", "tệp", "thiếu sheet «settings»"),
    ("no survey", "tệp", "thiếu sheet «survey»"),
    ("unknown type", "sheet survey, dòng 5", "loại «geopoint» chưa được hỗ trợ"),
    ("note", "sheet survey, dòng 3", "note chưa được hỗ trợ"),
    ("outside group", "sheet survey, dòng 7", "nằm ngoài nhóm"),
    ("nested group", "sheet survey, dòng 3", "nhóm lồng trong nhóm"),
    ("no end_group", "sheet survey, dòng 2", "thiếu dòng end_group"),
    ("end without begin", "sheet survey, dòng 2", "không có begin_group"),
    ("unknown list", "sheet survey, dòng 5", "«viec_lam» không có trong sheet choices"),
    ("or_other", "sheet survey, dòng 5", "or_other"),
    ("bad required", "sheet survey, dòng 4", "«maybe» không hiểu được"),
    ("relevant on later", "sheet survey, dòng 4", "nằm sau câu này"),
    ("bad expression", "sheet survey, dòng 4", "biểu thức «. <=» sai"),
    ("min not a number", "sheet survey, dòng 4", "cần một số"),
    ("duplicate id", "sheet survey, dòng 5", "«gio» bị trùng"),
    ("bad id", "sheet survey, dòng 5", "mã câu hỏi «Mong muốn» không hợp lệ"),
    ("missing label", "sheet survey, dòng 5", "không được để trống"),
    ("duplicate choice", "sheet choices, dòng 6", "«nha_o» bị trùng"),
    ("choice without list", "sheet choices, dòng 5", "thiếu list_name"),
    ("one choice", "sheet survey, dòng 5", "từ 2 đến 20 lựa chọn"),
    ("bad scale list", "sheet choices, dòng 7", "cần đúng 5 lựa chọn"),
    ("no form_id column", "sheet settings", "thiếu cột «form_id»"),
    ("bad opens", "sheet settings, cột opens", "NĂM-THÁNG-NGÀY"),
    ("bad anonymous", "sheet settings, cột anonymous", "ghi yes hoặc no"),
    ("no settings row", "sheet settings", "thiếu dòng giá trị"),
]


@pytest.mark.parametrize(("change", "location", "reason_part"), XLSX_INVALID_CASES)
def test_read_xlsform_locates_each_problem(change: str, location: str, reason_part: str) -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_xlsx(mutate(change))
    assert caught.value.location == location, caught.value.reason
    assert reason_part in caught.value.reason


def test_read_xlsform_accepts_the_unchanged_base() -> None:
    definition = load_xlsx(base_sheets())
    assert definition.id == "mau_excel" and definition.question_count() == 3


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not really a zip", b"plain text", build_xlsx({"khac": [{"a": 1}]})],
)
def test_read_xlsform_rejects_files_that_are_not_xlsforms(data: bytes) -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_survey_file("phieu.xlsx", data)
    assert caught.value.location == "tệp"
