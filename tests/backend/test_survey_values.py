"""Answer values of compiled questions: the flat ``value_text`` round trip and Vietnamese labels."""

from __future__ import annotations

from typing import Any

import pytest

from backend.app.services.survey_values import (
    choice_values,
    label_of_value,
    normalise_answer,
    text_to_value,
    value_to_text,
)
from backend.app.surveys import compile_definition, load_survey_file
from tests.backend.survey_fixtures import small_survey_yaml

QUESTIONS = {
    question["id"]: question
    for question in compile_definition(load_survey_file("a.yml", small_survey_yaml().encode("utf-8")))[
        "questions"
    ]
}


@pytest.mark.parametrize(
    ("question_id", "value", "text", "label"),
    [
        ("nhom_tuoi", "duoi_30", "duoi_30", "Dưới 30 tuổi"),
        ("lam_them", "no", "no", "Không"),
        ("gio_lam_them", 48, "48", "48"),
        ("thu_nhap", 6.5, "6.5", "6.5"),
        (
            "mong_muon",
            ["tang_luong", "phap_luat"],
            "|tang_luong|phap_luat|",
            "Thương lượng tăng lương; Tư vấn pháp luật",
        ),
        ("hai_long", 5, "5", "5 – Rất hài lòng"),
        ("hai_long", 3, "3", "3"),
        ("ngay_vao_lam", "2020-03-15", "2020-03-15", "15/03/2020"),
        ("y_kien", "Cần nhà trọ | rẻ", "Cần nhà trọ | rẻ", "Cần nhà trọ | rẻ"),
        ("y_kien", None, None, ""),
    ],
)
def test_survey_values_flat_text_round_trip_and_labels(
    question_id: str, value: Any, text: str | None, label: str
) -> None:
    question = QUESTIONS[question_id]
    stored = normalise_answer(question, value)
    assert value_to_text(stored) == text
    assert text_to_value(question, text) == stored
    assert label_of_value(question, stored) == label


def test_survey_values_choice_values_of_every_choice_like_type() -> None:
    assert choice_values(QUESTIONS["nhom_tuoi"]) == ["duoi_30", "tu_30"]
    assert choice_values(QUESTIONS["lam_them"]) == ["yes", "no"]
    assert choice_values(QUESTIONS["hai_long"]) == ["1", "2", "3", "4", "5"]
    assert choice_values(QUESTIONS["y_kien"]) == []
