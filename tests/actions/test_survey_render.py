"""What the worker sees: "Câu k/N", numbered options, buttons, confirmations, re-asks."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from actions.survey import engine, render
from actions.survey.answers import Rejected
from actions.survey.engine import Survey
from tests.actions.test_survey_definitions import SAMPLE_DEFINITION, sample_survey

SURVEY = sample_survey()
PROGRESS = engine.accept_consent(engine.new_progress(SURVEY), SURVEY).progress


def _question(qid: str) -> dict[str, Any]:
    question = SURVEY.question(qid)
    assert question is not None
    return question


def test_render_single_choice_has_progress_section_numbers_and_buttons() -> None:
    reply = render.question_message(SURVEY, PROGRESS, _question("nhom_tuoi"))
    lines = reply.text.splitlines()
    assert lines[0] == "Câu 1/12 · Thông tin chung"
    assert lines[1] == "Anh/chị thuộc nhóm tuổi nào?"
    assert lines[2:5] == ["1. Dưới 30 tuổi", "2. Từ 30 đến 45 tuổi", "3. Trên 45 tuổi"]
    assert [b["payload"] for b in reply.buttons] == ["1", "2", "3"]
    assert reply.buttons[0]["title"] == "1. Dưới 30 tuổi"


def test_render_optional_question_offers_skip() -> None:
    reply = render.question_message(SURVEY, PROGRESS, _question("gioi_tinh"))
    assert "bỏ qua" in reply.text
    assert reply.buttons[-1] == {"title": "Bỏ qua", "payload": "bỏ qua"}


def test_render_long_list_is_numbered_text_without_buttons() -> None:
    data = copy.deepcopy(SAMPLE_DEFINITION)
    data["questions"][0]["choices"] = [{"value": f"v{i}", "label": f"Nghề {i}"} for i in range(1, 13)]
    survey = Survey.from_json(data)
    reply = render.question_message(survey, PROGRESS, survey.questions[0])
    assert "12. Nghề 12" in reply.text and "gõ số thứ tự" in reply.text
    assert reply.buttons == []


@pytest.mark.parametrize(
    ("qid", "snippet", "payloads"),
    [
        ("lam_them", None, ["có", "không"]),
        ("hai_long", "1 = Rất không hài lòng, 5 = Rất hài lòng", ["1", "2", "3", "4", "5"]),
        ("gio_lam_them", "Anh/chị gõ một số, đơn vị: giờ, từ 0 đến 300.", []),
        ("thu_nhap", "đơn vị: triệu đồng", []),
        ("ngay_vao_lam", "15/3/1990", ["bỏ qua"]),
        ("mong_muon", "tối đa 2 ý", []),
        ("y_kien", "tối đa 300 ký tự", ["bỏ qua"]),
    ],
)
def test_render_how_to_answer_each_type(qid: str, snippet: str | None, payloads: list[str]) -> None:
    reply = render.question_message(SURVEY, PROGRESS, _question(qid))
    if snippet is None:  # the buttons say it all
        assert reply.text.count("\n") == 1
    else:
        assert snippet in reply.text
    assert [b["payload"] for b in reply.buttons] == payloads


def test_render_single_choice_with_buttons_has_no_note() -> None:
    reply = render.question_message(SURVEY, PROGRESS, _question("nhom_tuoi"))
    assert "gõ số thứ tự" not in reply.text


def test_render_authored_hint_replaces_the_generic_note() -> None:
    data = copy.deepcopy(SAMPLE_DEFINITION)
    for question in data["questions"]:
        question["hint"] = {
            "gio_lam_them": "Anh/chị ước lượng cũng được, ví dụ 30.",
            "mong_muon": "(Chọn tối đa 2 ý, ví dụ gõ 1, 3.)",
            "y_kien": 'Anh/chị gõ ý kiến, hoặc gõ "bỏ qua" nếu không có.',
        }.get(question["id"])
    survey = Survey.from_json(data)
    hours = render.question_message(survey, PROGRESS, survey.question("gio_lam_them")).text
    assert "(Anh/chị ước lượng cũng được, ví dụ 30.)" in hours
    assert "(đơn vị: giờ, từ 0 đến 300)" in hours and "gõ một số" not in hours
    wishes = render.question_message(survey, PROGRESS, survey.question("mong_muon")).text
    assert wishes.count("tối đa 2 ý") == 1
    text = render.question_message(survey, PROGRESS, survey.question("y_kien")).text
    assert text.count("bỏ qua") == 1


def test_render_scale_buttons_carry_end_labels() -> None:
    reply = render.question_message(SURVEY, PROGRESS, _question("hai_long"))
    assert reply.buttons[0]["title"] == "1 – Rất không hài lòng"
    assert reply.buttons[2]["title"] == "3"


def test_render_earlier_answer_shown_after_going_back() -> None:
    progress = engine.record_answer(PROGRESS, SURVEY, "tu_30_45").progress
    back = engine.go_back(progress, SURVEY).progress
    reply = render.question_message(SURVEY, back, _question("nhom_tuoi"))
    assert "Lần trước anh/chị đã trả lời: Từ 30 đến 45 tuổi." in reply.text


@pytest.mark.parametrize(
    ("qid", "value", "text"),
    [
        ("nhom_tuoi", "duoi_30", "Dạ, em ghi nhận: Dưới 30 tuổi."),
        ("mong_muon", ["luong", "y_te"], "Dạ, em ghi nhận: Tăng lương, Y tế."),
        ("gio_lam_them", 48, "Dạ, em ghi nhận: 48 giờ."),
        ("thu_nhap", 6.5, "Dạ, em ghi nhận: 6,5 triệu đồng."),
        ("ngay_vao_lam", "1990-03-15", "Dạ, em ghi nhận: 15/03/1990."),
        ("lam_them", "yes", "Dạ, em ghi nhận: Có."),
        ("la_doan_vien", "no", "Dạ, em ghi nhận: Không."),
        ("hai_long", 5, "Dạ, em ghi nhận: 5 – Rất hài lòng."),
        ("hai_long", 3, "Dạ, em ghi nhận: 3/5."),
        ("y_kien", "Mong có nhà trẻ", "Dạ, em đã ghi lại ý kiến của anh/chị ạ."),
        ("gioi_tinh", None, "Dạ, em bỏ qua câu này ạ."),
    ],
)
def test_render_confirmation(qid: str, value: Any, text: str) -> None:
    assert render.confirmation_text(_question(qid), value) == text


@pytest.mark.parametrize(
    ("qid", "rejected", "snippet"),
    [
        ("nhom_tuoi", Rejected("unreadable"), "Dạ, em chưa đọc được câu trả lời này ạ. Anh/chị bấm nút"),
        ("nhom_tuoi", Rejected("no_such_option", {"count": 3}), "từ 1 đến 3"),
        ("loai_hd", Rejected("ambiguous", {"options": [1, 2]}), "nhiều phương án (1, 2)"),
        ("mong_muon", Rejected("too_many", {"max_choices": 2}), "tối đa 2 ý"),
        ("gio_lam_them", Rejected("out_of_range", {"min": 0, "max": 300}), "từ 0 đến 300 giờ"),
        ("gio_lam_them", Rejected("not_integer"), "số nguyên"),
        ("ngay_vao_lam", Rejected("bad_date"), "ví dụ: 15/3/1990"),
        ("y_kien", Rejected("too_long", {"max_length": 300}), "dài quá 300 ký tự"),
        ("thu_nhap", Rejected("empty"), "Anh/chị gõ một số"),
    ],
)
def test_render_reask_is_polite_with_a_hint(qid: str, rejected: Rejected, snippet: str) -> None:
    text = render.reask_text(_question(qid), rejected)
    assert text.startswith("Dạ, ") and snippet in text
    assert "tạm dừng" not in text


def test_render_reask_for_another_topic_mentions_pause() -> None:
    text = render.reask_text(_question("nhom_tuoi"), Rejected("unreadable"), other_topic=True)
    assert "“tạm dừng”" in text


def test_render_constraint_message_from_definition_or_default() -> None:
    assert render.constraint_text(_question("gio_lam_them")).startswith("Dạ, số giờ làm thêm")
    assert render.constraint_text(_question("nhom_tuoi")).startswith("Dạ, câu trả lời này chưa hợp lệ")


def test_render_consent_does_not_repeat_what_the_intro_says() -> None:
    intro = "Dạ, phiếu có 12 câu, ẩn danh. Anh/chị có thể gõ “tạm dừng” để làm tiếp lúc khác."
    reply = render.consent_message(sample_survey(intro=intro))
    assert reply.text.count("12 câu") == 1 and reply.text.count("tạm dừng") == 1


def test_render_consent_has_intro_length_anonymity_commands_and_yes_no() -> None:
    reply = render.consent_message(SURVEY)
    assert reply.text.startswith(SAMPLE_DEFINITION["intro"])
    assert "12 câu" in reply.text and "ẩn danh" in reply.text
    for command in ("“quay lại”", "“bỏ qua”", "“tạm dừng”"):
        assert command in reply.text
    assert reply.text.endswith(SAMPLE_DEFINITION["consent"])
    assert [b["payload"] for b in reply.buttons] == ["có", "không"]


def test_render_choose_lists_open_surveys_and_completed_ones() -> None:
    offer = [
        {"id": "a", "title": "Khảo sát A", "question_count": 24},
        {"id": "b", "title": "Khảo sát B", "question_count": 5},
    ]
    reply = render.choose_message(offer, ["Khảo sát C"])
    assert "1. Khảo sát A (24 câu)" in reply.text and "2. Khảo sát B (5 câu)" in reply.text
    assert "đã hoàn thành: “Khảo sát C”" in reply.text
    assert [b["payload"] for b in reply.buttons] == ["1", "2"]


def test_render_endings_are_polite_and_thank() -> None:
    assert "cảm ơn" in render.completed_text(SURVEY) and "ẩn danh" in render.completed_text(SURVEY)
    paused = render.paused_text(SURVEY, engine.record_answer(PROGRESS, SURVEY, "duoi_30").progress)
    assert "(đến câu 2/12)" in paused and "“khảo sát”" in paused
    for text in (
        render.declined_text(),
        render.closed_text("X"),
        render.unavailable_text(),
        render.list_unavailable_text(),
        render.no_survey_text(),
        render.already_completed_text(["X"]),
        render.refusal_text("required"),
        render.refusal_text("at_start"),
    ):
        assert text.startswith("Dạ")
    assert "cần anh/chị trả lời" in render.refusal_text("required")


def test_render_resume_tells_where() -> None:
    progress = engine.record_answer(PROGRESS, SURVEY, "duoi_30").progress
    text = render.resume_text(SURVEY, progress)
    assert "từ câu 2/12" in text and "đã trả lời 1 câu" in text
