"""The dialogue actions run with real rasa_sdk trackers and dispatchers (no mocks)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ActionAnswerQuestion
from actions.calculation import ActionCalculate, ActionStartCalculation, ValidateCalculatorForm
from actions.clarify import ActionClarify


def _tracker(
    intent: str,
    text: str = "",
    entities: list[dict] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict] | None = None,
    ranking: list[dict] | None = None,
    active_loop: dict | None = None,
) -> Tracker:
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "text": text,
        "intent_ranking": ranking or [],
    }
    return Tracker(
        "worker-1",
        slots or {},
        latest,
        events or [{"event": "user", "text": text, "parse_data": latest}],
        False,
        None,
        active_loop or {},
        "action_listen",
    )


def _run(action: Any, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def _entity(name: str, value: Any) -> dict:
    return {"entity": name, "value": value}


def test_answer_min_wage_region_1_cites_decree_and_date() -> None:
    messages, events = _run(
        ActionAnswerQuestion(),
        _tracker(
            "ask_min_wage",
            "luong toi thieu vung 1 nam 2026",
            [_entity("region", 1), _entity("year", 2026)],
        ),
    )
    assert events == []
    text = messages[0]["text"]
    assert text.startswith("Dạ")
    assert "5.310.000" in text and "293/2025/NĐ-CP" in text and "01/01/2026" in text


def test_answer_question_with_numbers_hands_over_to_calculator() -> None:
    _, events = _run(
        ActionAnswerQuestion(),
        _tracker(
            "ask_overtime_pay",
            "luong 6 trieu lam them 10 tieng ngay thuong",
            [_entity("money", 6_000_000), _entity("hours", 10), _entity("day_type", "weekday")],
        ),
    )
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["calc_kind"] == "overtime"
    assert slots["calc_money"] == 6_000_000 and slots["calc_hours"] == 10
    assert slots["calc_day_type"] == "weekday"
    assert events[-1] == {"event": "followup", "name": "calculator_form", "timestamp": None}


def test_answer_without_numbers_offers_calculation_button() -> None:
    messages, _ = _run(
        ActionAnswerQuestion(), _tracker("ask_overtime_pay", "tang ca tinh luong sao")
    )
    titles = [b["title"] for b in messages[0]["buttons"]]
    assert "Tính giúp em" in titles
    assert "150%" in messages[0]["text"]


def test_calculate_overtime_matches_worked_example() -> None:
    slots = {
        "calc_kind": "overtime",
        "calc_money": 6_000_000,
        "calc_hours": 10,
        "calc_day_type": "weekday",
    }
    messages, events = _run(ActionCalculate(), _tracker("affirm", slots=slots))
    text = messages[0]["text"]
    assert "432.692" in text
    assert "Căn cứ:" in text and "145/2020/NĐ-CP" in text
    assert all(e["value"] is None for e in events if e["event"] == "slot")


def test_calculate_severance_matches_worked_example() -> None:
    slots = {"calc_kind": "severance", "calc_money": 8_000_000, "calc_months": 60}
    messages, _ = _run(ActionCalculate(), _tracker("affirm", slots=slots))
    assert "20.000.000" in messages[0]["text"]


def test_start_calculation_uses_payload_kind() -> None:
    _, events = _run(
        ActionStartCalculation(),
        _tracker("start_calculation", "/start_calculation", [_entity("calc_kind", "union_dues")]),
    )
    assert {
        "event": "slot",
        "name": "calc_kind",
        "value": "union_dues",
        "timestamp": None,
    } in events


@pytest.mark.parametrize(
    ("slot", "value", "expect_none", "hint"),
    [
        ("calc_money", "__unreadable__", True, "6tr5"),
        ("calc_money", 6, True, "triệu"),
        ("calc_money", 6_500_000, False, None),
        ("calc_hours", 5000, True, "giờ"),
        ("calc_day_type", "holiday", False, None),
        ("calc_region", 5, True, "vùng"),
        ("calc_months", 42, False, None),
    ],
)
def test_form_validation_reasks_politely(
    slot: str, value: Any, expect_none: bool, hint: str | None
) -> None:
    form = ValidateCalculatorForm()
    dispatcher = CollectingDispatcher()
    tracker = _tracker("inform", slots={"calc_kind": "unemployment"})
    result = asyncio.run(getattr(form, f"validate_{slot}")(value, dispatcher, tracker, {}))
    assert (result[slot] is None) is expect_none
    if hint:
        assert dispatcher.messages and hint in dispatcher.messages[0]["text"]
    else:
        assert not dispatcher.messages


def test_form_extracts_unreadable_only_for_requested_slot() -> None:
    form = ValidateCalculatorForm()
    asked = _tracker("nlu_fallback", "abc xyz", slots={"requested_slot": "calc_money"})
    assert form._extract("calc_money", asked) == {"calc_money": "__unreadable__"}
    assert form._extract("calc_hours", asked) == {}
    answered = _tracker(
        "inform", "6tr5", [_entity("money", 6_500_000)], slots={"requested_slot": "calc_money"}
    )
    assert form._extract("calc_money", answered) == {"calc_money": 6_500_000}


def test_clarify_offers_likeliest_topics_then_an_officer() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "ask_severance", "confidence": 0.3},
        {"name": "ask_job_loss_allowance", "confidence": 0.25},
        {"name": "greet", "confidence": 0.1},
    ]
    messages, _ = _run(ActionClarify(), _tracker("nlu_fallback", "tro cap", ranking=ranking))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/ask_severance", "/ask_job_loss_allowance"]
    second = _tracker(
        "nlu_fallback",
        "???",
        ranking=ranking,
        events=[
            {"event": "user", "text": "tro cap"},
            {"event": "action", "name": "action_clarify"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": "???"},
        ],
    )
    messages, _ = _run(ActionClarify(), second)
    assert "cán bộ" in messages[0]["text"]
    assert messages[0]["buttons"][0]["payload"] == "/request_human"


@pytest.mark.parametrize("intent", ["deny", "request_human", "ask_annual_leave"])
def test_form_leaves_the_turn_unfilled_when_worker_steps_out(intent: str) -> None:
    form = ValidateCalculatorForm()
    tracker = _tracker(intent, "thoi khong can", slots={"requested_slot": "calc_money"})
    assert form._extract("calc_money", tracker) == {}


def _parsed(text: str) -> dict:
    from bot.nlu.entities import extract_entities

    return {"text": text, "entities": [
        {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end}
        for e in extract_entities(text)]}


@pytest.mark.parametrize(
    ("text", "inputs", "options"),
    [
        ("luong 6240000 mot thang 26 cong 8 tieng mot ngay lam them 4 gio ngay thuong",
         {"calc_money": 6240000, "calc_hours": 4.0, "calc_day_type": "weekday"},
         {"working_days": 26, "hours_per_day": 8.0}),
        ("lương 7.280.000 đồng, 26 ngày công, mỗi ngày 8 tiếng, làm thêm 3 giờ chủ nhật",
         {"calc_money": 7280000, "calc_hours": 3.0, "calc_day_type": "rest_day"},
         {"working_days": 26, "hours_per_day": 8.0}),
        ("lương 5tr2 làm thêm 2 tiếng ban đêm ngày thường",
         {"calc_money": 5200000, "calc_hours": 2.0, "calc_day_type": "weekday"},
         {"night": True}),
    ],
)
def test_read_inputs_tells_overtime_hours_from_the_working_day(text, inputs, options) -> None:
    from actions.calculation import CALCULATORS, read_inputs

    assert read_inputs(_parsed(text), CALCULATORS["overtime"]) == (inputs, options)


def test_officer_reply_is_sent_marked_and_slot_cleared() -> None:
    from actions.handoff import ActionOfficerReply

    tracker = _tracker("greet", slots={"officer_reply_text": "Chị đã liên hệ công ty giúp em."})
    messages, events = _run(ActionOfficerReply(), tracker)
    assert messages[0]["text"] == "[Cán bộ công đoàn] Chị đã liên hệ công ty giúp em."
    assert events == [{"event": "slot", "name": "officer_reply_text", "value": None, "timestamp": None}]


def test_form_reads_an_unsure_escape_guess_as_an_unreadable_answer() -> None:
    form = ValidateCalculatorForm()
    latest = {"intent": {"name": "request_human", "confidence": 0.4}, "entities": [], "text": "luong em thap lam"}
    tracker = Tracker("w", {"requested_slot": "calc_money"}, latest, [], False, None, {}, "action_listen")
    assert form._extract("calc_money", tracker) == {"calc_money": "__unreadable__"}
