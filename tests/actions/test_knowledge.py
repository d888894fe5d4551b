"""Tests of actions/knowledge.py and the knowledge/*.yml files it loads."""

from __future__ import annotations

import copy
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.knowledge import (
    DEFAULT_DIRECTORY,
    KnowledgeBase,
    KnowledgeError,
    NoPeriodError,
    load_knowledge,
    read_knowledge,
)

TODAY = date(2026, 11, 24)
CITATION_RE = re.compile(r"Căn cứ: .+; áp dụng từ \d{2}/\d{2}/\d{4}\.")
RAW_FIGURE_RE = re.compile(r"\d{5,}")
REGIONS: list[int | None] = [None, 1, 2, 3, 4]

INTENT_TO_FACT = {
    "ask_min_wage": "min_wage_region",
    "ask_min_wage_region": "min_wage_region_lookup",
    "ask_base_salary": "base_salary",
    "ask_working_hours": "working_hours",
    "ask_overtime_limit": "overtime_limit",
    "ask_overtime_pay": "overtime_pay",
    "ask_night_work": "night_work",
    "ask_annual_leave": "annual_leave",
    "ask_public_holidays": "public_holidays",
    "ask_personal_leave": "personal_leave",
    "ask_maternity_leave": "maternity_leave",
    "ask_paternity_leave": "paternity_leave",
    "ask_sick_leave": "sick_leave",
    "ask_probation": "probation",
    "ask_contract_types": "contract_types",
    "ask_resignation_notice": "resignation_notice",
    "ask_dismissal": "employer_termination",
    "ask_severance": "severance_allowance",
    "ask_job_loss_allowance": "job_loss_allowance",
    "ask_si_contribution": "social_insurance_rates",
    "ask_pension": "pension_conditions",
    "ask_si_withdrawal": "si_one_time_withdrawal",
    "ask_unemployment_benefit": "unemployment_benefit",
    "ask_retirement_age": "retirement_age",
    "ask_income_tax": "income_tax",
    "ask_union_dues": "union_dues",
    "ask_union_fee": "union_fee",
    "ask_union_membership": "union_membership",
    "ask_union_benefits": "union_benefits",
    "ask_contact_union": "contact_union",
    "report_unpaid_si": "unpaid_social_insurance",
    "report_unpaid_wages": "unpaid_wages",
}


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return load_knowledge()


# --- loading and validation -------------------------------------------------------------------


def test_load_knowledge_reads_every_topic_file(knowledge: KnowledgeBase) -> None:
    files = sorted(path.name for path in DEFAULT_DIRECTORY.glob("*.yml"))
    assert len(files) >= 10
    assert sorted({fact.source_file for fact in knowledge.facts.values()}) == files
    assert len(knowledge.facts) == len(INTENT_TO_FACT)


def test_load_knowledge_returns_the_cached_instance() -> None:
    assert load_knowledge() is load_knowledge(DEFAULT_DIRECTORY)


@pytest.mark.parametrize(("intent", "fact_id"), sorted(INTENT_TO_FACT.items()))
def test_fact_for_intent_maps_each_nlu_intent(
    knowledge: KnowledgeBase, intent: str, fact_id: str
) -> None:
    fact = knowledge.fact_for_intent(intent)
    assert fact is not None
    assert fact.id == fact_id


def test_fact_for_intent_returns_none_for_unknown_intent(knowledge: KnowledgeBase) -> None:
    assert knowledge.fact_for_intent("greet") is None
    assert knowledge.answer("greet", {}, TODAY) is None


def test_every_period_has_basis_status_source_and_ordered_dates(knowledge: KnowledgeBase) -> None:
    for fact in knowledge.facts.values():
        assert len(fact.question) <= 20, fact.id
        assert len(fact.related) <= 3, fact.id
        for newer, older in zip(fact.periods, fact.periods[1:], strict=False):
            assert older.valid_to is not None and older.valid_to < newer.valid_from, fact.id
        for period in fact.periods:
            assert period.basis, fact.id
            assert all(b.document and b.article for b in period.basis), fact.id
            assert period.status in {"verified", "unverified"}, fact.id
            assert period.source, fact.id


# --- rendering of every fact --------------------------------------------------------------------


@pytest.mark.parametrize("intent", sorted(INTENT_TO_FACT))
@pytest.mark.parametrize("region", REGIONS)
def test_answer_renders_politely_with_citation_for_each_region(
    knowledge: KnowledgeBase, intent: str, region: int | None
) -> None:
    entities = {} if region is None else {"region": region}
    answer = knowledge.answer(intent, entities, TODAY)
    assert answer is not None
    assert answer.text.startswith("Dạ")
    assert CITATION_RE.search(answer.text), answer.text
    assert answer.citations
    assert not RAW_FIGURE_RE.search(answer.text), answer.text
    assert answer.fact_id == INTENT_TO_FACT[intent]


@pytest.mark.parametrize("region", REGIONS)
def test_every_period_of_every_fact_renders_within_a_phone_screen(
    knowledge: KnowledgeBase, region: int | None
) -> None:
    inputs = {} if region is None else {"region": region}
    for fact in knowledge.facts.values():
        for period in fact.periods:
            body = knowledge.render_body(fact, period, period.valid_from, None, inputs)
            assert body.startswith("Dạ"), (fact.id, period.valid_from)
            assert len(body) <= 600, (fact.id, period.valid_from, len(body))
            assert not RAW_FIGURE_RE.search(body), (fact.id, body)
            assert "{{" not in body and "{%" not in body


@pytest.mark.parametrize("year", [2013, 2016, 2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027, 2030])
def test_every_answer_for_any_year_begins_with_da_and_has_no_raw_figure(
    knowledge: KnowledgeBase, year: int
) -> None:
    for intent in INTENT_TO_FACT:
        answer = knowledge.answer(intent, {"year": year, "region": 2, "money": 12_345_678}, TODAY)
        assert answer is not None
        assert answer.text.startswith("Dạ"), (intent, year)
        assert not RAW_FIGURE_RE.search(answer.text), (intent, year, answer.text)
        assert CITATION_RE.search(answer.text), (intent, year)


def test_answer_buttons_point_to_related_intents(knowledge: KnowledgeBase) -> None:
    intents = {fact.intent for fact in knowledge.facts.values()}
    for intent in INTENT_TO_FACT:
        answer = knowledge.answer(intent, {}, TODAY)
        assert answer is not None
        assert 1 <= len(answer.buttons) <= 3, intent
        for button in answer.buttons:
            assert button["payload"].startswith("/")
            assert button["payload"][1:] in intents
            assert button["payload"][1:] != intent
            assert 0 < len(button["title"]) <= 20


# --- dated answers ------------------------------------------------------------------------------


def test_min_wage_region_1_in_2026_cites_decree_293(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_min_wage", {"region": 1, "year": 2026}, TODAY)
    assert answer is not None
    assert "5.310.000" in answer.text
    assert "293/2025/NĐ-CP" in answer.text
    assert "01/01/2026" in answer.text
    assert answer.citations == ["Điều 3 Nghị định 293/2025/NĐ-CP"]
    assert not answer.unverified


def test_min_wage_region_3_in_2025_uses_decree_74(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_min_wage", {"region": 3, "year": 2025}, TODAY)
    assert answer is not None
    assert "3.860.000" in answer.text
    assert "74/2024/NĐ-CP" in answer.text
    assert "4.140.000" not in answer.text


def test_min_wage_region_1_in_2024_gives_one_paragraph_per_decree(
    knowledge: KnowledgeBase,
) -> None:
    answer = knowledge.answer("ask_min_wage", {"region": 1, "year": 2024}, TODAY)
    assert answer is not None
    old, new = answer.text.index("4.680.000"), answer.text.index("4.960.000")
    assert old < new
    assert answer.text.count("Căn cứ:") == 2
    assert "38/2022/NĐ-CP" in answer.text and "74/2024/NĐ-CP" in answer.text
    paragraphs = answer.text.split("\n\n")
    assert len(paragraphs) == 3  # intro + two periods
    old_period = knowledge.period_at("min_wage_region", date(2024, 1, 1))
    assert ("chưa đối chiếu" in paragraphs[1]) is (not old_period.verified)
    assert "chưa đối chiếu" not in paragraphs[2]


def test_min_wage_in_2027_gives_2026_values_and_the_future_note(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_min_wage", {"region": 1, "year": 2027}, TODAY)
    assert answer is not None
    assert "5.310.000" in answer.text
    assert "01/01/2026" in answer.text
    assert "2027" in answer.text
    assert "nghị định" in answer.text.split("\n\n")[-1]


def test_min_wage_for_a_year_without_data_says_so_and_gives_todays_rule(
    knowledge: KnowledgeBase,
) -> None:
    answer = knowledge.answer("ask_min_wage", {"region": 1, "year": 2015}, TODAY)
    assert answer is not None
    assert answer.text.startswith("Dạ, em chưa có số liệu")
    assert "5.310.000" in answer.text


def test_union_dues_today_is_half_a_percent_under_decision_61(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_union_dues", {}, TODAY)
    assert answer is not None
    assert "0,5%" in answer.text
    assert "Quyết định 61/QĐ-TLĐ" in answer.text
    assert "253.000 đ" in answer.text


def test_union_dues_on_1_january_2025_is_one_percent(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_union_dues", {}, date(2025, 1, 1))
    assert answer is not None
    assert "1%" in answer.text
    assert "0,5%" not in answer.text
    assert "1908/QĐ-TLĐ" in answer.text
    assert "234.000 đ" in answer.text


def test_year_and_month_choose_the_period_of_that_month(knowledge: KnowledgeBase) -> None:
    before = knowledge.answer("ask_base_salary", {"year": 2026, "month": 6}, TODAY)
    after = knowledge.answer("ask_base_salary", {"year": 2026, "month": 7}, TODAY)
    assert before is not None and after is not None
    assert "2.340.000" in before.text and "2.530.000" not in before.text
    assert "2.530.000" in after.text


def test_unverified_period_adds_caveat_and_officer_offer(knowledge: KnowledgeBase) -> None:
    answer = knowledge.answer("ask_base_salary", {"year": 2023, "month": 9}, TODAY)
    assert answer is not None
    assert answer.unverified
    assert "1.800.000" in answer.text
    assert "chưa đối chiếu" in answer.text
    assert "gặp cán bộ" in answer.text


# --- values for the calculators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fact_id", "on", "path", "expected"),
    [
        ("overtime_pay", TODAY, ("rates", "weekday"), 1.5),
        ("overtime_pay", TODAY, ("rates", "rest_day"), 2.0),
        ("overtime_pay", TODAY, ("rates", "holiday"), 3.0),
        ("overtime_pay", TODAY, ("night_premium",), 0.3),
        ("overtime_pay", TODAY, ("night_overtime_day_share",), 0.2),
        ("night_work", TODAY, ("start",), "22:00"),
        ("night_work", TODAY, ("end",), "06:00"),
        ("night_work", TODAY, ("premium",), 0.3),
        ("overtime_limit", TODAY, ("max_daily_ratio",), 0.5),
        ("overtime_limit", TODAY, ("max_daily_total_hours_weekly_schedule",), 12),
        ("overtime_limit", TODAY, ("max_month_hours",), 40),
        ("overtime_limit", TODAY, ("max_year_hours",), 200),
        ("overtime_limit", TODAY, ("max_year_hours_special",), 300),
        ("severance_allowance", TODAY, ("months_per_year",), 0.5),
        ("severance_allowance", TODAY, ("min_service_months",), 12),
        ("severance_allowance", TODAY, ("average_wage_months",), 6),
        ("job_loss_allowance", TODAY, ("months_per_year",), 1),
        ("job_loss_allowance", TODAY, ("min_months_paid",), 2),
        ("job_loss_allowance", TODAY, ("min_service_months",), 12),
        ("union_dues", TODAY, ("rate",), 0.005),
        ("union_dues", date(2025, 6, 30), ("rate",), 0.01),
        ("union_dues", TODAY, ("cap_base_salary_ratio",), 0.1),
        ("base_salary", TODAY, ("amount",), 2530000),
        ("base_salary", date(2026, 6, 30), ("amount",), 2340000),
        ("annual_leave", TODAY, ("base_days", "normal"), 12),
        ("annual_leave", TODAY, ("base_days", "heavy_or_minor_or_disabled"), 14),
        ("annual_leave", TODAY, ("base_days", "very_heavy"), 16),
        ("annual_leave", TODAY, ("extra_day_every_years",), 5),
        ("probation", TODAY, ("max_days", "manager"), 180),
        ("probation", TODAY, ("max_days", "college"), 60),
        ("probation", TODAY, ("max_days", "intermediate"), 30),
        ("probation", TODAY, ("max_days", "other"), 6),
        ("probation", TODAY, ("min_wage_ratio",), 0.85),
        ("unemployment_benefit", TODAY, ("rate",), 0.6),
        ("unemployment_benefit", TODAY, ("cap_min_wage_multiple",), 5),
        ("unemployment_benefit", TODAY, ("base_months",), 3),
        ("unemployment_benefit", TODAY, ("base_contribution_months",), 36),
        ("unemployment_benefit", TODAY, ("extra_month_per_contribution_months",), 12),
        ("unemployment_benefit", TODAY, ("max_months",), 12),
        ("unemployment_benefit", TODAY, ("min_contribution_months",), 12),
        ("unemployment_benefit", TODAY, ("start_working_day",), 11),
        ("unemployment_benefit", date(2025, 12, 31), ("start_working_day",), 16),
        ("social_insurance_rates", TODAY, ("employee", "bhxh"), 0.08),
        ("social_insurance_rates", TODAY, ("employee", "bhyt"), 0.015),
        ("social_insurance_rates", TODAY, ("employee", "bhtn"), 0.01),
        ("social_insurance_rates", TODAY, ("employer", "bhxh"), 0.175),
        ("social_insurance_rates", TODAY, ("employer", "bhyt"), 0.03),
        ("social_insurance_rates", TODAY, ("employer", "bhtn"), 0.01),
        ("social_insurance_rates", TODAY, ("ceiling_base_salary_multiple",), 20),
        ("min_wage_region", TODAY, ("monthly", 1), 5310000),
        ("min_wage_region", TODAY, ("monthly", 4), 3700000),
        ("min_wage_region", TODAY, ("hourly", 2), 22700),
        ("min_wage_region", date(2023, 3, 1), ("monthly", 3), 3640000),
    ],
)
def test_values_at_exposes_the_keys_calculators_read(
    knowledge: KnowledgeBase, fact_id: str, on: date, path: tuple[Any, ...], expected: Any
) -> None:
    value: Any = knowledge.values_at(fact_id, on)
    for key in path:
        value = value[key]
    assert value == expected


def test_values_at_returns_a_copy_the_caller_may_change(knowledge: KnowledgeBase) -> None:
    values = knowledge.values_at("min_wage_region", TODAY)
    values["monthly"][1] = 1
    assert knowledge.values_at("min_wage_region", TODAY)["monthly"][1] == 5310000


def test_period_at_refuses_dates_without_a_period_and_unknown_facts(
    knowledge: KnowledgeBase,
) -> None:
    assert knowledge.period_at("min_wage_region", date(2026, 1, 1)).valid_from == date(2026, 1, 1)
    assert knowledge.period_at("min_wage_region", date(2025, 12, 31)).valid_to == date(2025, 12, 31)
    with pytest.raises(NoPeriodError):
        knowledge.period_at("min_wage_region", date(2010, 1, 1))
    with pytest.raises(KeyError):
        knowledge.period_at("no_such_fact", TODAY)


# --- how workers ask (shared/eval/sample_questions.jsonl) and entity-driven lines ----------------


@pytest.mark.parametrize(
    ("intent", "entities", "expected"),
    [
        ("ask_min_wage", {"year": 2025, "region": 3}, ["3.860.000"]),
        ("ask_probation", {}, ["30 ngày", "Điều 25"]),
        ("ask_overtime_pay", {}, ["210%", "150%", "390%"]),
        ("ask_annual_leave", {}, ["3 năm"]),
        ("ask_dismissal", {}, ["45 ngày", "Điều 36"]),
        ("ask_si_contribution", {}, ["BHYT 3%"]),
        ("ask_union_dues", {}, ["thực lĩnh"]),
        ("ask_public_holidays", {}, ["(1/5): 1 ngày", "11 ngày"]),
        ("ask_night_work", {}, ["22:00", "06:00", "130%"]),
        ("ask_retirement_age", {}, ["nam 61 tuổi 6 tháng", "nữ 57 tuổi"]),
        ("ask_paternity_leave", {}, ["5 ngày", "60 ngày"]),
        ("ask_pension", {}, ["15 năm"]),
        ("ask_union_fee", {}, ["2%", "Luật Công đoàn 2024"]),
        ("ask_income_tax", {}, ["15.500.000 đ", "6.200.000 đ", "35%"]),
    ],
)
def test_answer_contains_what_workers_expect(
    knowledge: KnowledgeBase, intent: str, entities: dict[str, Any], expected: list[str]
) -> None:
    answer = knowledge.answer(intent, entities, TODAY)
    assert answer is not None
    for text in expected:
        assert text in answer.text, (text, answer.text)


@pytest.mark.parametrize(
    ("intent", "entities", "expected"),
    [
        ("ask_severance", {"money": 10_000_000, "duration_months": 42}, "17.500.000 đ"),
        ("ask_severance", {"money": 8_000_000, "duration_months": 60}, "20.000.000 đ"),
        ("ask_severance", {"money": 8_000_000, "duration_months": 8}, "chưa đủ điều kiện"),
        ("ask_job_loss_allowance", {"money": 7_000_000, "duration_months": 12}, "14.000.000 đ"),
        ("ask_job_loss_allowance", {"money": 9_000_000, "duration_months": 48}, "36.000.000 đ"),
        ("ask_unemployment_benefit", {"money": 9_000_000}, "5.400.000 đ"),
        ("ask_unemployment_benefit", {"money": 50_000_000, "region": 1}, "26.550.000 đ"),
        ("ask_unemployment_benefit", {"duration_months": 48}, "được hưởng 4 tháng"),
        ("ask_unemployment_benefit", {"duration_months": 200}, "được hưởng 12 tháng"),
        ("ask_si_contribution", {"money": 15_000_000}, "BHXH 1.200.000 đ"),
        ("ask_si_contribution", {"money": 10_000_000}, "BHTN 100.000 đ"),
        ("ask_union_dues", {"money": 8_000_000}, "40.000 đ"),
        ("ask_union_dues", {"money": 80_000_000}, "253.000 đ/tháng."),
        ("ask_annual_leave", {"duration_months": 120}, "14 ngày/năm"),
        ("ask_annual_leave", {"duration_months": 6}, "khoảng 6 ngày"),
    ],
)
def test_answer_uses_the_workers_figures(
    knowledge: KnowledgeBase, intent: str, entities: dict[str, Any], expected: str
) -> None:
    answer = knowledge.answer(intent, entities, TODAY)
    assert answer is not None
    assert expected in answer.text, answer.text


def test_a_tag_ending_a_line_keeps_the_line_break(tmp_path: Path) -> None:
    fact = _valid_fact()
    fact["answer"] = (
        "Dạ, mức là {{ values.amount | money }}{% if region %} (vùng {{ region }}){% endif %}\n"
        "{% if region %}\n"
        "Dòng thứ hai.\n"
        "{% endif %}\n"
    )
    _write(tmp_path, "sample", [fact])
    answer = read_knowledge(tmp_path).answer("ask_sample", {"region": 2}, TODAY)
    assert answer is not None
    assert answer.text.startswith("Dạ, mức là 1.000.000 đ (vùng 2)\nDòng thứ hai.\nCăn cứ:")


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ({"region": "2"}, "vùng II"),
        ({"region": 2.0}, "vùng II"),
        ({"region": 7}, "- Vùng IV"),
        ({"region": None, "year": "2025"}, "74/2024/NĐ-CP"),
        ({"region": True}, "- Vùng I:"),
    ],
)
def test_answer_tolerates_loose_entity_values(
    knowledge: KnowledgeBase, entities: dict[str, Any], expected: str
) -> None:
    answer = knowledge.answer("ask_min_wage", entities, TODAY)
    assert answer is not None
    assert expected in answer.text


# --- broken files are refused, naming the file and the fact -------------------------------------


def _valid_fact(fact_id: str = "sample_fact", intent: str = "ask_sample") -> dict[str, Any]:
    return {
        "id": fact_id,
        "intent": intent,
        "question": "Câu hỏi mẫu",
        "related": [],
        "periods": [
            {
                "valid_from": date(2026, 1, 1),
                "valid_to": None,
                "basis": [{"document": "Nghị định 1/2026/NĐ-CP", "article": "Điều 1"}],
                "status": "verified",
                "source": "https://example.invalid/source",
                "values": {"amount": 1000000},
            },
            {
                "valid_from": date(2025, 1, 1),
                "valid_to": date(2025, 12, 31),
                "basis": [{"document": "Nghị định 2/2025/NĐ-CP", "article": "Điều 2"}],
                "status": "unverified",
                "source": "general knowledge",
                "values": {"amount": 900000},
            },
        ],
        "answer": "Dạ, mức là {{ values.amount | money }}.\n",
    }


def _write(directory: Path, stem: str, facts: list[dict[str, Any]]) -> None:
    document = {"topic": stem, "title": "Chủ đề mẫu", "facts": facts}
    (directory / f"{stem}.yml").write_text(
        yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def test_read_knowledge_accepts_a_valid_minimal_file(tmp_path: Path) -> None:
    _write(tmp_path, "sample", [_valid_fact()])
    knowledge = read_knowledge(tmp_path)
    answer = knowledge.answer("ask_sample", {"year": 2025}, TODAY)
    assert answer is not None
    assert "900.000 đ" in answer.text
    assert answer.unverified
    assert "Căn cứ: Điều 2 Nghị định 2/2025/NĐ-CP; áp dụng từ 01/01/2025." in answer.text


def _break_article(fact: dict[str, Any]) -> None:
    del fact["periods"][0]["basis"][0]["article"]


def _break_status(fact: dict[str, Any]) -> None:
    fact["periods"][0]["status"] = "probably"


def _break_overlap(fact: dict[str, Any]) -> None:
    fact["periods"][1]["valid_to"] = date(2026, 6, 30)


def _break_order(fact: dict[str, Any]) -> None:
    fact["periods"].reverse()


def _break_open_old_period(fact: dict[str, Any]) -> None:
    fact["periods"][1]["valid_to"] = None


def _break_valid_from(fact: dict[str, Any]) -> None:
    del fact["periods"][0]["valid_from"]


def _break_source(fact: dict[str, Any]) -> None:
    fact["periods"][0]["source"] = ""


def _break_related(fact: dict[str, Any]) -> None:
    fact["related"] = ["no_such_fact"]


def _break_template_variable(fact: dict[str, Any]) -> None:
    fact["answer"] = "Dạ, mức là {{ values.missing | money }}."


def _break_template_syntax(fact: dict[str, Any]) -> None:
    fact["answer"] = "Dạ, mức là {{ values.amount | money }."


def _break_raw_figure(fact: dict[str, Any]) -> None:
    fact["answer"] = "Dạ, mức là {{ values.amount }} đồng."


def _break_politeness(fact: dict[str, Any]) -> None:
    fact["answer"] = "Mức là {{ values.amount | money }}."


def _break_region_only_template(fact: dict[str, Any]) -> None:
    fact["answer"] = "Dạ, vùng {{ region | roman }}."


def _break_question_length(fact: dict[str, Any]) -> None:
    fact["question"] = "Một câu hỏi rất dài quá hai mươi ký tự"


def _break_unknown_key(fact: dict[str, Any]) -> None:
    fact["periods"][0]["valid_untill"] = None


def _break_self_related(fact: dict[str, Any]) -> None:
    fact["related"] = [fact["id"]]


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_break_article, "article"),
        (_break_status, "status"),
        (_break_overlap, "overlap"),
        (_break_order, "newest first"),
        (_break_open_old_period, "overlap"),
        (_break_valid_from, "valid_from"),
        (_break_source, "source"),
        (_break_related, "no_such_fact"),
        (_break_template_variable, "template fails"),
        (_break_template_syntax, "template syntax"),
        (_break_raw_figure, "unformatted figure"),
        (_break_politeness, "Dạ"),
        (_break_region_only_template, "template fails"),
        (_break_question_length, "20 characters"),
        (_break_unknown_key, "unknown keys"),
        (_break_self_related, "itself"),
    ],
)
def test_read_knowledge_rejects_a_broken_fact_naming_file_and_fact(
    tmp_path: Path, breaker: Any, message: str
) -> None:
    fact = _valid_fact("broken_fact")
    breaker(fact)
    _write(tmp_path, "broken", [fact])
    with pytest.raises(KnowledgeError) as error:
        read_knowledge(tmp_path)
    assert "broken.yml" in str(error.value)
    assert "broken_fact" in str(error.value)
    assert message in str(error.value)


def test_read_knowledge_rejects_duplicate_ids_and_intents_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "first", [_valid_fact("same_id", "ask_one")])
    _write(tmp_path, "second", [_valid_fact("same_id", "ask_two")])
    with pytest.raises(KnowledgeError, match="same_id.*already used"):
        read_knowledge(tmp_path)
    (tmp_path / "second.yml").unlink()
    _write(tmp_path, "second", [_valid_fact("other_id", "ask_one")])
    with pytest.raises(KnowledgeError, match="intent 'ask_one' already answered"):
        read_knowledge(tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("facts: [", "not valid YAML"),
        ("- just\n- a list\n", "mapping"),
        ("topic: other\ntitle: T\nfacts: []\n", "topic must be 'bad'"),
        ("topic: bad\ntitle: T\nfacts: []\n", "non-empty list"),
    ],
)
def test_read_knowledge_rejects_a_broken_file_layout(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "bad.yml").write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message) as error:
        read_knowledge(tmp_path)
    assert "bad.yml" in str(error.value)


def test_read_knowledge_rejects_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no knowledge files"):
        read_knowledge(tmp_path)


def test_repo_files_survive_a_round_trip_copy(tmp_path: Path) -> None:
    for path in DEFAULT_DIRECTORY.glob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        (tmp_path / path.name).write_text(
            yaml.safe_dump(copy.deepcopy(document), allow_unicode=True), encoding="utf-8"
        )
    assert len(read_knowledge(tmp_path).facts) == len(INTENT_TO_FACT)


def test_maternity_answer_spells_out_leave_for_twins_and_triplets(knowledge: KnowledgeBase) -> None:
    text = knowledge.answer("ask_maternity_leave", {}, TODAY).text
    assert "nghỉ thai sản 6 tháng" in text
    assert "sinh đôi: 7 tháng" in text
    assert "sinh ba: 8 tháng" in text
