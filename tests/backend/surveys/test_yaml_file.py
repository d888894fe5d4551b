"""Reading the YAML format: the real survey, the sample, and every invalid case located by line."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.app.surveys import SurveyDefinition, SurveyFileError, export_yaml, load_survey_file
from tests.backend.surveys.samples import REAL_SURVEY_PATH, SAMPLE_YAML, line_number, replace_once


def load_text(text: str) -> SurveyDefinition:
    return load_survey_file("phieu.yml", text.encode("utf-8"))


def test_load_survey_file_reads_the_real_survey() -> None:
    definition = load_survey_file(REAL_SURVEY_PATH.name, REAL_SURVEY_PATH.read_bytes())
    questions = [question for _section, question in definition.iter_questions()]
    assert definition.id == "khao_sat_dau_nam"
    assert 24 <= len(questions) <= 28
    assert definition.anonymous is True
    assert definition.target_units == []
    assert definition.opens == dt.date(2026, 11, 1) and definition.closes == dt.date(2027, 12, 31)
    assert [section.id for section in definition.sections] == [
        "thong_tin_chung",
        "viec_lam",
        "thu_nhap",
        "doi_song",
        "dieu_kien_lam_viec",
        "hoat_dong_cong_doan",
        "nguyen_vong",
    ]
    types = {question.type for question in questions}
    assert {"single_choice", "multiple_choice", "number", "scale", "yes_no", "text"} <= types
    assert sum(question.relevant is not None for question in questions) >= 2
    assert any(
        q.type == "number" and q.unit and q.min is not None and q.max is not None and q.constraint
        for q in questions
    )
    assert any(q.type == "multiple_choice" and q.max_choices for q in questions)
    assert sum(not question.required for question in questions) >= 3
    assert questions[-1].type == "text" and not questions[-1].required
    assert all(question.label.endswith("?") for question in questions)


def test_load_survey_file_reads_every_type_of_the_sample() -> None:
    definition = load_text(SAMPLE_YAML)
    questions = {question.id: question for _section, question in definition.iter_questions()}
    assert [q.type for q in questions.values()] == [
        "yes_no",
        "number",
        "single_choice",
        "date",
        "scale",
        "multiple_choice",
        "text",
    ]
    assert questions["gio_lam_them"].integer is True and questions["gio_lam_them"].max == 300
    assert questions["hai_long"].scale_labels == {1: "Rất không hài lòng", 5: "Rất hài lòng"}
    # YAML 1.1 would read `no` as false; here it stays the text "no".
    assert [choice.value for choice in questions["mong_muon"].choices or []] == ["luong", "nha_o", "no"]
    assert definition.target_units == ["LDLD_TINH", "CDCS-01"]


@pytest.mark.parametrize("path", [REAL_SURVEY_PATH, None])
def test_definition_json_and_yaml_round_trip(path: object) -> None:
    text = REAL_SURVEY_PATH.read_text(encoding="utf-8") if path else SAMPLE_YAML
    definition = load_text(text)
    assert SurveyDefinition.model_validate(definition.model_dump(mode="json")) == definition
    assert load_text(export_yaml(definition)) == definition


# (case, old text, new text, the line's needle in the broken text, part of the reason)
INVALID_CASES: list[tuple[str, str, str, str, str]] = [
    ("yaml syntax", "label: Ý kiến khác?", "label: Ý kiến: khác?", "Ý kiến: khác?", "cú pháp YAML sai"),
    ("unknown type", "type: yes_no", "type: co_khong", "type: co_khong", "loại câu hỏi «co_khong» không có"),
    (
        "duplicate id",
        "- id: y_kien",
        "- id: lam_them",
        "- id: lam_them\n        type: text",
        "«lam_them» bị trùng",
    ),
    (
        "relevant on a later question",
        "relevant: \"${lam_them} = 'yes'\"",
        "relevant: \"${loai_hd} = 'co_thoi_han'\"",
        'relevant: "${loai_hd}',
        "nằm sau câu này",
    ),
    (
        "relevant on itself",
        "relevant: \"${lam_them} = 'yes'\"",
        'relevant: "${gio_lam_them} > 1"',
        'relevant: "${gio_lam_them}',
        "chính câu này",
    ),
    (
        "relevant on an unknown question",
        "relevant: \"${lam_them} = 'yes'\"",
        "relevant: \"${lam_them_gio} = 'yes'\"",
        "${lam_them_gio}",
        "không có hoặc nằm sau",
    ),
    (
        "relevant using dot",
        "relevant: \"${lam_them} = 'yes'\"",
        'relevant: ". > 1"',
        'relevant: ". > 1"',
        "relevant không dùng «.»",
    ),
    (
        "unparseable expression",
        'constraint: ". <= 200"',
        'constraint: ". <== 200"',
        'constraint: ". <==',
        "biểu thức «. <== 200» sai ở vị trí",
    ),
    ("today() rejected", 'constraint: ". <= 200"', 'constraint: ". <= today()"', "today()", "today()"),
    (
        "unknown choice in selected",
        "'co_thoi_han') or",
        "'tam_thoi') or",
        "'tam_thoi')",
        "không có lựa chọn «tam_thoi»",
    ),
    (
        "unknown value compared",
        "relevant: \"${lam_them} = 'yes'\"",
        "relevant: \"${lam_them} = 'co'\"",
        "${lam_them} = 'co'",
        "không có lựa chọn «co»",
    ),
    (
        "multiple choice compared",
        "count-selected(${mong_muon}) > 1",
        "${mong_muon} = 'luong'",
        'relevant: "selected(',
        "selected(${mong_muon}",
    ),
    ("number compared to text", "${gio_lam_them} > 40", "${gio_lam_them} > 'nhieu'", "'nhieu'", "là số"),
    (
        "date compared to a non-date",
        "\". >= '1990-01-01'\"",
        "\". >= '1/1/1990'\"",
        "'1/1/1990'",
        "NĂM-THÁNG-NGÀY",
    ),
    (
        "choices missing",
        "        choices:\n          - {value: khong_thoi_han, label: Không thời hạn}\n"
        "          - {value: co_thoi_han, label: Có thời hạn}\n",
        "",
        "- id: loai_hd",
        "cần danh sách choices",
    ),
    (
        "one choice only",
        "          - {value: co_thoi_han, label: Có thời hạn}\n",
        "",
        "choices:\n          - {value: khong",
        "từ 2 đến 20 lựa chọn",
    ),
    (
        "duplicate choice value",
        "{value: co_thoi_han, label: Có thời hạn}",
        "{value: khong_thoi_han, label: Có thời hạn}",
        "label: Có thời hạn}",
        "«khong_thoi_han» bị trùng",
    ),
    (
        "choice value with a space",
        "{value: nha_o, label: Nhà ở}",
        "{value: nha o, label: Nhà ở}",
        "nha o",
        "giá trị lựa chọn «nha o» không hợp lệ",
    ),
    ("min not below max", "min: 0", "min: 400", "min: 400", "min (400) phải nhỏ hơn max (300)"),
    ("integer with a fractional bound", "max: 300", "max: 300.5", "max: 300.5", "integer: true"),
    ("typo in a field name", "unit: giờ", "unti: giờ", "unti: giờ", "trường «unti» không có trong định dạng"),
    (
        "field of another type",
        "        choices:\n          - {value: khong_thoi_han",
        "        max_choices: 2\n        choices:\n          - {value: khong_thoi_han",
        "max_choices: 2\n        choices",
        "max_choices» chỉ dùng cho câu loại multiple_choice",
    ),
    (
        "max_choices above the choice count",
        "max_choices: 2",
        "max_choices: 4",
        "max_choices: 4",
        "max_choices phải từ 1 đến 3",
    ),
    (
        "missing label",
        "        label: Loại hợp đồng của anh/chị?\n",
        "",
        "- id: loai_hd",
        "thiếu trường «label»",
    ),
    ("bad question id", "- id: y_kien", "- id: Ý_kiến", "- id: Ý_kiến", "mã câu hỏi «Ý_kiến» không hợp lệ"),
    ("bad survey id", "id: mau_thu", "id: Mẫu thử", "id: Mẫu thử", "mã khảo sát «Mẫu thử» không hợp lệ"),
    (
        "opens after closes",
        "opens: 2026-11-01",
        "opens: 2028-01-01",
        "closes: 2027-12-31",
        "phải trước hoặc bằng ngày đóng",
    ),
    (
        "impossible date",
        "closes: 2027-12-31",
        "closes: 2027-02-30",
        "closes: 2027-02-30",
        "ngày phải có thật",
    ),
    ("date as text", "closes: 2027-12-31", "closes: 31/12/2027", "closes: 31/12/2027", "NĂM-THÁNG-NGÀY"),
    ("duplicate key", "version: 1\n", "version: 1\nversion: 2\n", "version: 2", "viết hai lần"),
    ("min not a number", "min: 0", "min: nhiều", "min: nhiều", "câu «gio_lam_them», trường min: cần một số"),
    (
        "empty section title",
        "title: Thông tin chung",
        "title:",
        "title:\n    questions",
        "trường title: không được để trống",
    ),
    ("version not a number", "version: 1", "version: một", "version: một", "cần một số nguyên"),
    (
        "bad unit code",
        "[LDLD_TINH, CDCS-01]",
        "[LDLD TINH]",
        "target_units",
        "mã đơn vị «LDLD TINH» không hợp lệ",
    ),
    (
        "scale label out of range",
        "{1: Rất không hài lòng, 5: Rất hài lòng}",
        "{0: Tệ, 5: Tốt}",
        "{0: Tệ",
        "điểm «0» không có",
    ),
    (
        "constraint on a later question",
        'constraint: ". <= 200"',
        'constraint: ". <= ${hai_long}"',
        "${hai_long}",
        "nằm sau câu này",
    ),
    (
        "string-length on a number",
        '"string-length(.) >= 2"',
        '"string-length(${gio_lam_them}) >= 2"',
        "string-length(${gio_lam_them})",
        "string-length() chỉ dùng với câu trả lời chữ",
    ),
    (
        "section without questions",
        "  - id: them\n    title: Thêm\n    questions:\n",
        "  - id: them\n    title: Thêm\n    questions: []\n"
        "  - id: them2\n    title: Thêm 2\n    questions:\n",
        "questions: []",
        "cần ít nhất 1 mục",
    ),
    (
        "duplicate section id",
        "  - id: them\n",
        "  - id: chung\n",
        "- id: chung\n    title: Thêm\n",
        "mã phần «chung» bị trùng",
    ),
    (
        "anchor and alias",
        "title: Phiếu thử",
        "title: &t Phiếu thử\nintro_copy: *t",
        "intro_copy",
        "anchor/alias",
    ),
    (
        "constraint_message without constraint",
        '        constraint: ". <= 200"\n',
        "",
        "constraint_message:",
        "constraint_message nhưng chưa có constraint",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "needle", "reason_part"),
    [case[1:] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_load_survey_file_locates_each_problem(old: str, new: str, needle: str, reason_part: str) -> None:
    text = replace_once(SAMPLE_YAML, old, new)
    with pytest.raises(SurveyFileError) as caught:
        load_text(text)
    assert caught.value.location == f"dòng {line_number(text, needle)}", caught.value.reason
    assert reason_part in caught.value.reason
    assert str(caught.value) == f"{caught.value.location}: {caught.value.reason}"


def test_load_survey_file_names_the_question_in_the_reason() -> None:
    text = replace_once(SAMPLE_YAML, 'constraint: ". <= 200"', "constraint: \". <= 'x'\"")
    with pytest.raises(SurveyFileError) as caught:
        load_text(text)
    assert caught.value.reason.startswith("câu «gio_lam_them», trường constraint: ")


@pytest.mark.parametrize(
    ("text", "location", "reason_part"),
    [
        ("", "tệp", "trống"),
        ("- a\n- b\n", "dòng 1", "bảng các trường"),
        ("id: x\n---\nid: y\n", "dòng 2", "cú pháp YAML sai"),
        ("title: !!python/object:os.system x\n", "dòng 1", "không đọc được"),
        ("title: !custom x\n", "dòng 1", "thẻ YAML"),
        ("<<: {id: a}\n", "dòng 1", "tên trường"),
        ("[" * 5000, "tệp YAML", ""),
    ],
)
def test_load_survey_file_rejects_malformed_documents(text: str, location: str, reason_part: str) -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_text(text)
    assert caught.value.location == location
    assert reason_part in caught.value.reason
