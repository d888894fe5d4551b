"""The survey state machine: order, skip logic, back, skip, pause/resume, versions, completion."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from actions.survey import engine
from actions.survey.engine import Progress, Recorded, Survey, SurveyState
from tests.actions.test_survey_definitions import SAMPLE_DEFINITION, sample_survey

SURVEY = sample_survey()


def _answering(**answers: Any) -> Progress:
    step = engine.accept_consent(engine.new_progress(SURVEY), SURVEY)
    progress = step.progress
    for value in answers.values():
        progress = engine.record_answer(progress, SURVEY, value).progress
    return progress


def test_engine_consent_goes_to_first_question() -> None:
    progress = engine.new_progress(SURVEY)
    assert progress.status == engine.CONSENT and progress.current is None
    step = engine.accept_consent(progress, SURVEY)
    assert step.progress.status == engine.ANSWERING and step.progress.consented
    assert step.progress.current == "nhom_tuoi" and step.recorded == ()


def test_engine_record_answer_moves_on_and_counts_seq() -> None:
    progress = _answering()
    step = engine.record_answer(progress, SURVEY, "duoi_30")
    assert step.recorded == (Recorded("nhom_tuoi", "duoi_30", 1),)
    assert step.progress.current == "gioi_tinh"
    assert step.progress.history == ("nhom_tuoi",)
    assert step.progress.seq == 1 and not step.completed


def test_engine_position_is_k_of_n() -> None:
    assert engine.position(SURVEY, "nhom_tuoi") == (1, 12)
    assert engine.position(SURVEY, "loai_hd") == (3, 12)


@pytest.mark.parametrize(
    ("lam_them", "next_question"),
    [("yes", "gio_lam_them"), ("no", "thu_nhap")],
)
def test_engine_relevant_skips_overtime_hours_without_overtime(lam_them: str, next_question: str) -> None:
    progress = _answering(a="duoi_30", b="nu", c="khong_thoi_han")
    assert progress.current == "lam_them"
    step = engine.record_answer(progress, SURVEY, lam_them)
    assert step.progress.current == next_question


def test_engine_relevant_with_not_asks_non_members_only() -> None:
    answers = {"la_doan_vien": "yes"}
    question = SURVEY.question("ly_do_chua_vao")
    assert not engine.is_relevant(question, answers)
    assert engine.is_relevant(question, {"la_doan_vien": "no"})
    # unanswered (null): the comparison is false, so not(...) is true and it is asked
    assert engine.is_relevant(question, {})


def test_engine_skip_optional_records_null_required_refuses() -> None:
    progress = _answering(a="duoi_30")
    assert progress.current == "gioi_tinh"
    step = engine.skip_question(progress, SURVEY)
    assert step.recorded == (Recorded("gioi_tinh", None, 2),) and step.progress.current == "loai_hd"
    refused = engine.skip_question(step.progress, SURVEY)
    assert refused.error == "required" and refused.progress == step.progress and refused.recorded == ()


def test_engine_back_returns_to_previous_and_keeps_its_answer_until_reanswered() -> None:
    progress = _answering(a="duoi_30", b="nu")
    assert progress.current == "loai_hd"
    back = engine.go_back(progress, SURVEY)
    assert back.error is None and back.progress.current == "gioi_tinh"
    assert back.progress.answers["gioi_tinh"] == "nu" and back.recorded == ()
    again = engine.record_answer(back.progress, SURVEY, "nam")
    assert again.recorded == (Recorded("gioi_tinh", "nam", 3),)
    assert again.progress.current == "loai_hd"
    assert again.progress.history == ("nhom_tuoi", "gioi_tinh")


def test_engine_back_at_first_question_refuses() -> None:
    step = engine.go_back(_answering(), SURVEY)
    assert step.error == "at_start" and step.progress.current == "nhom_tuoi"


def test_engine_back_skips_over_hidden_question() -> None:
    progress = _answering(a="duoi_30", b="nu", c="khong_thoi_han", d="no")
    assert progress.current == "thu_nhap"
    assert engine.go_back(progress, SURVEY).progress.current == "lam_them"


def _complete_all(progress: Progress, values: dict[str, Any]) -> engine.StepResult:
    step = engine.StepResult(progress)
    while step.progress.current is not None:
        step = engine.record_answer(step.progress, SURVEY, values[step.progress.current])
    return step


FULL = {
    "nhom_tuoi": "duoi_30",
    "gioi_tinh": "nu",
    "loai_hd": "khong_thoi_han",
    "lam_them": "yes",
    "gio_lam_them": 40,
    "thu_nhap": 8,
    "ngay_vao_lam": "2020-01-02",
    "mong_muon": ["luong"],
    "hai_long": 4,
    "la_doan_vien": "yes",
    "ly_do_chua_vao": "chua_biet",
    "y_kien": "Cảm ơn",
}


def test_engine_completion_after_last_question() -> None:
    step = _complete_all(_answering(), FULL)
    assert step.completed and step.progress.status == engine.COMPLETED
    assert step.progress.current is None
    assert "ly_do_chua_vao" not in step.progress.answers  # members are not asked why not
    assert engine.answer_count(step.progress) == 11
    assert step.progress.seq == 11


def test_engine_completion_clears_answers_made_irrelevant_by_a_changed_answer() -> None:
    progress = _answering(a="duoi_30", b="nu", c="khong_thoi_han", d="yes", e=40)
    assert progress.current == "thu_nhap"
    back = engine.go_back(engine.go_back(progress, SURVEY).progress, SURVEY).progress
    assert back.current == "lam_them"
    step = engine.record_answer(back, SURVEY, "no")
    assert step.progress.current == "thu_nhap" and step.progress.answers["gio_lam_them"] == 40
    done = _complete_all(step.progress, FULL)
    cleared = [r for r in done.recorded if r.value is None]
    assert cleared == [Recorded("gio_lam_them", None, done.progress.seq)]
    assert "gio_lam_them" not in done.progress.answers


def test_engine_pause_and_resume_keep_the_question() -> None:
    progress = _answering(a="duoi_30", b="nu")
    paused = engine.pause(progress)
    assert paused.status == engine.PAUSED and paused.current == "loai_hd"
    resumed = engine.resume(paused, SURVEY)
    assert resumed.status == engine.ANSWERING and resumed.current == "loai_hd"
    assert resumed.answers == progress.answers and resumed.seq == progress.seq


def test_engine_resume_without_consent_asks_consent_again() -> None:
    progress = engine.new_progress(SURVEY)
    assert engine.resume(progress, SURVEY).status == engine.CONSENT


def test_engine_upgrade_keeps_answers_of_questions_that_still_exist() -> None:
    data = copy.deepcopy(SAMPLE_DEFINITION)
    data["version"] = 2
    data["questions"] = [q for q in data["questions"] if q["id"] != "loai_hd"]
    newer = Survey.from_json(data)
    progress = _answering(a="duoi_30", b="nu")
    assert progress.current == "loai_hd"
    upgraded = engine.upgrade_progress(progress, newer)
    assert upgraded.version == 2
    assert upgraded.answers == {"nhom_tuoi": "duoi_30", "gioi_tinh": "nu"}
    assert upgraded.current == "lam_them"
    assert engine.upgrade_progress(upgraded, newer) is upgraded


def test_engine_constraint_check() -> None:
    question = SURVEY.question("gio_lam_them")
    assert engine.check_constraint(question, 100, {})
    assert not engine.check_constraint(question, 101, {})
    assert engine.check_constraint(question, None, {})
    assert engine.check_constraint(SURVEY.question("nhom_tuoi"), "duoi_30", {})


def test_engine_unknown_ast_asks_and_accepts_rather_than_blocking() -> None:
    odd = {"id": "q", "type": "text", "relevant": {"op": "regex"}, "constraint": {"op": "?"}}
    assert engine.is_relevant(odd, {})
    assert engine.check_constraint(odd, "x", {})


def test_engine_state_round_trips_through_json() -> None:
    progress = _answering(a="duoi_30", b=None)
    state = SurveyState(
        active=SURVEY.id,
        offer=({"id": "x", "title": "X", "status": "not_started"},),
        ended="paused",
        ended_survey=SURVEY.id,
    ).with_progress(progress)
    data = state.to_json()
    assert SurveyState.from_json(data) == state
    assert SurveyState.from_json(data).stage == "question"


@pytest.mark.parametrize("junk", [None, "text", 3, {"progress": {"x": {"no_id": 1}}}, {"progress": []}])
def test_engine_state_from_junk_is_empty(junk: Any) -> None:
    assert SurveyState.from_json(junk) == SurveyState()


@pytest.mark.parametrize(
    ("state", "stage"),
    [
        (SurveyState(), None),
        (SurveyState(offer=({"id": "a"},)), "choose"),
        (SurveyState(active=SURVEY.id).with_progress(engine.new_progress(SURVEY)), "consent"),
        (SurveyState(active=SURVEY.id).with_progress(_answering()), "question"),
        (SurveyState(active=SURVEY.id).with_progress(engine.pause(_answering())), None),
        (SurveyState(active="gone"), None),
    ],
)
def test_engine_stage(state: SurveyState, stage: str | None) -> None:
    assert state.stage == stage
