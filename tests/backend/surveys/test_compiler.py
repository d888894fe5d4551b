"""The compiled definition (contract section 2): shape, defaults, ASTs, JSON-serialisable."""

from __future__ import annotations

import json

from backend.app.surveys import compile_definition, load_survey_file
from tests.backend.surveys.samples import REAL_SURVEY_PATH, SAMPLE_YAML

QUESTION_KEYS = [
    "id",
    "section",
    "type",
    "label",
    "hint",
    "required",
    "choices",
    "unit",
    "min",
    "max",
    "integer",
    "max_choices",
    "max_length",
    "scale_labels",
    "relevant",
    "constraint",
    "constraint_message",
]


def compiled_sample() -> dict:
    return compile_definition(load_survey_file("phieu.yml", SAMPLE_YAML.encode()))


def test_compile_definition_gives_the_survey_fields() -> None:
    compiled = compiled_sample()
    assert list(compiled) == [
        "id",
        "version",
        "title",
        "intro",
        "consent",
        "anonymous",
        "opens",
        "closes",
        "target_units",
        "sections",
        "questions",
    ]
    assert compiled["opens"] == "2026-11-01" and compiled["closes"] == "2027-12-31"
    assert compiled["target_units"] == ["LDLD_TINH", "CDCS-01"]
    assert compiled["sections"] == [
        {"id": "chung", "title": "Thông tin chung"},
        {"id": "them", "title": "Thêm"},
    ]
    assert json.loads(json.dumps(compiled)) == compiled


def test_compile_definition_flattens_questions_with_every_key() -> None:
    questions = compiled_sample()["questions"]
    assert [q["id"] for q in questions] == [
        "lam_them",
        "gio_lam_them",
        "loai_hd",
        "ngay_vao_lam",
        "hai_long",
        "mong_muon",
        "y_kien",
    ]
    assert all(list(q) == QUESTION_KEYS for q in questions)
    assert [q["section"] for q in questions] == ["chung"] * 3 + ["them"] * 4


def test_compile_definition_fills_effective_values_per_type() -> None:
    by_id = {q["id"]: q for q in compiled_sample()["questions"]}
    assert by_id["lam_them"]["choices"] == [
        {"value": "yes", "label": "Có"},
        {"value": "no", "label": "Không"},
    ]
    assert by_id["gio_lam_them"] | {} == by_id["gio_lam_them"]
    number = by_id["gio_lam_them"]
    assert (number["unit"], number["min"], number["max"], number["integer"]) == ("giờ", 0, 300, True)
    assert number["relevant"] == {"op": "=", "left": {"ref": "lam_them"}, "right": {"const": "yes"}}
    assert number["constraint"] == {"op": "<=", "left": {"self": True}, "right": {"const": 200}}
    assert number["constraint_message"] == "Dạ, số giờ này cao quá ạ."
    assert by_id["hai_long"]["scale_labels"] == {"1": "Rất không hài lòng", "5": "Rất hài lòng"}
    assert by_id["hai_long"]["choices"] is None
    assert by_id["mong_muon"]["max_choices"] == 2 and by_id["mong_muon"]["integer"] is False
    assert by_id["ngay_vao_lam"]["type"] == "date" and by_id["ngay_vao_lam"]["required"] is False
    assert by_id["ngay_vao_lam"]["constraint"] == {
        "op": ">=",
        "left": {"self": True},
        "right": {"const": "1990-01-01"},
    }
    assert by_id["y_kien"]["max_length"] == 300
    assert by_id["loai_hd"]["max_length"] is None
    assert by_id["y_kien"]["relevant"]["op"] == "or" and len(by_id["y_kien"]["relevant"]["args"]) == 3


def test_compile_definition_defaults_text_length_to_500() -> None:
    text = SAMPLE_YAML.replace("        max_length: 300\n", "")
    compiled = compile_definition(load_survey_file("phieu.yml", text.encode()))
    assert compiled["questions"][-1]["max_length"] == 500


def test_compile_definition_of_the_real_survey_is_json() -> None:
    definition = load_survey_file(REAL_SURVEY_PATH.name, REAL_SURVEY_PATH.read_bytes())
    compiled = compile_definition(definition)
    assert len(compiled["questions"]) == definition.question_count()
    assert compiled["anonymous"] is True and compiled["target_units"] == []
    assert json.loads(json.dumps(compiled, ensure_ascii=False)) == compiled
