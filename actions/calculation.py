"""The calculator dialogue: which inputs each calculator needs, asking for them, computing.

Lives here: the registry of calculators (intent → inputs, facts, computation), the
``calculator_form`` validation (inputs read from the worker's message, re-asked politely with
an example when unreadable or out of range), the per-input questions and the action that
sends the result with its formula and legal basis. Must not hold legal figures (they come
from knowledge/ through ``actions.knowledge``) nor arithmetic (``actions.calculators``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import calculators as calc
from actions.conversation import latest_entities, latest_intent
from actions.knowledge import KnowledgeBase, load_knowledge
from actions.settings import get_settings

UNREADABLE = "__unreadable__"
"""Slot value meaning: the worker answered the question, but no usable value was found."""

INPUT_SLOTS = ("calc_money", "calc_hours", "calc_day_type", "calc_months", "calc_region")
SLOT_ENTITY = {
    "calc_money": "money",
    "calc_hours": "hours",
    "calc_day_type": "day_type",
    "calc_months": "duration_months",
    "calc_region": "region",
}

Compute = Callable[[KnowledgeBase, date, dict[str, Any]], calc.CalculationResult]


@dataclass(frozen=True)
class Calculator:
    """One calculator: the question intent that leads to it, its inputs, the fact it cites."""

    kind: str
    intent: str
    title: str
    fact_id: str
    inputs: tuple[str, ...]
    compute: Compute
    money_question: str = "Lương tháng của anh/chị là bao nhiêu ạ?"
    months_question: str = "Anh/chị đã làm việc được bao lâu ạ?"
    trigger: str = "money"
    """The entity that shows the worker wants a calculation with their own numbers."""


def _values(knowledge: KnowledgeBase, fact_id: str, today: date) -> dict[str, Any]:
    return dict(knowledge.values_at(fact_id, today))


def _overtime(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    options = slots.get("calc_options") or {}
    return calc.overtime_pay(
        slots["calc_money"],
        slots["calc_hours"],
        _values(knowledge, "overtime_pay", today),
        day_type=slots["calc_day_type"],
        night=bool(options.get("night")),
        working_days=options.get("working_days"),
        hours_per_day=options.get("hours_per_day"),
    )


def _severance(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.severance_allowance(
        slots["calc_money"],
        int(slots["calc_months"]),
        _values(knowledge, "severance_allowance", today),
    )


def _job_loss(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.job_loss_allowance(
        slots["calc_money"],
        int(slots["calc_months"]),
        _values(knowledge, "job_loss_allowance", today),
    )


def _union_dues(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.union_dues(
        slots["calc_money"],
        _values(knowledge, "union_dues", today),
        _values(knowledge, "base_salary", today),
    )


def _insurance(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.insurance_deduction(slots["calc_money"], _values(knowledge, "social_insurance_rates", today))


def _probation(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.probation_wage(slots["calc_money"], _values(knowledge, "probation", today))


def _annual_leave(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.annual_leave_days(int(slots["calc_months"]), _values(knowledge, "annual_leave", today))


def _unemployment(knowledge: KnowledgeBase, today: date, slots: dict[str, Any]) -> calc.CalculationResult:
    return calc.unemployment_benefit(
        slots["calc_money"],
        _values(knowledge, "unemployment_benefit", today),
        _values(knowledge, "min_wage_region", today),
        region=int(slots["calc_region"]) if slots.get("calc_region") else None,
        contribution_months=int(slots["calc_months"]),
    )


CALCULATORS: dict[str, Calculator] = {
    c.kind: c
    for c in (
        Calculator(
            "overtime",
            "ask_overtime_pay",
            "tiền làm thêm giờ",
            "overtime_pay",
            ("calc_money", "calc_hours", "calc_day_type"),
            _overtime,
        ),
        Calculator(
            "severance",
            "ask_severance",
            "trợ cấp thôi việc",
            "severance_allowance",
            ("calc_money", "calc_months"),
            _severance,
            money_question="Tiền lương bình quân 6 tháng gần nhất của anh/chị là bao nhiêu ạ?",
            months_question="Thời gian anh/chị làm việc mà KHÔNG đóng bảo hiểm thất nghiệp là bao lâu ạ?",
        ),
        Calculator(
            "job_loss",
            "ask_job_loss_allowance",
            "trợ cấp mất việc làm",
            "job_loss_allowance",
            ("calc_money", "calc_months"),
            _job_loss,
            money_question="Tiền lương bình quân 6 tháng gần nhất của anh/chị là bao nhiêu ạ?",
            months_question="Thời gian anh/chị làm việc mà KHÔNG đóng bảo hiểm thất nghiệp là bao lâu ạ?",
        ),
        Calculator(
            "union_dues",
            "ask_union_dues",
            "đoàn phí",
            "union_dues",
            ("calc_money",),
            _union_dues,
            money_question="Tiền lương đóng BHXH hằng tháng của anh/chị là bao nhiêu ạ?",
        ),
        Calculator(
            "insurance",
            "ask_si_contribution",
            "tiền đóng bảo hiểm bắt buộc",
            "social_insurance_rates",
            ("calc_money",),
            _insurance,
            money_question="Tiền lương đóng BHXH hằng tháng của anh/chị là bao nhiêu ạ?",
        ),
        Calculator(
            "probation",
            "ask_probation",
            "lương thử việc tối thiểu",
            "probation",
            ("calc_money",),
            _probation,
            money_question="Lương chính thức của công việc đó là bao nhiêu ạ?",
        ),
        Calculator(
            "annual_leave",
            "ask_annual_leave",
            "số ngày phép năm",
            "annual_leave",
            ("calc_months",),
            _annual_leave,
            months_question="Anh/chị đã làm cho công ty hiện tại được bao lâu ạ?",
            trigger="duration_months",
        ),
        Calculator(
            "unemployment",
            "ask_unemployment_benefit",
            "trợ cấp thất nghiệp",
            "unemployment_benefit",
            ("calc_money", "calc_months", "calc_region"),
            _unemployment,
            money_question=(
                "Tiền lương đóng bảo hiểm thất nghiệp bình quân 6 tháng cuối của anh/chị là bao nhiêu ạ?"
            ),
            months_question="Anh/chị đã đóng bảo hiểm thất nghiệp được bao lâu ạ?",
        ),
    )
}
CALCULATOR_BY_INTENT = {c.intent: c for c in CALCULATORS.values()}

EXAMPLES = {
    "calc_money": "ví dụ: 6 triệu, 6tr5 hoặc 6.500.000",
    "calc_hours": "ví dụ: 3 tiếng hoặc 2,5 giờ",
    "calc_day_type": "ngày thường, ngày nghỉ hằng tuần (chủ nhật) hay ngày lễ, tết",
    "calc_months": "ví dụ: 3 năm, 3 năm 6 tháng hoặc 18 tháng",
    "calc_region": "vùng 1, 2, 3 hoặc 4",
}


PER_DAY = re.compile(r"^\W*(?:/|một|mot|1|mỗi|moi)\s*(?:ngày|ngay|ca)\b", re.IGNORECASE)
"""Text right after an hours figure that makes it the normal working day, not overtime."""
PER_DAY_BEFORE = re.compile(r"(?:một|mot|1|mỗi|moi)\s*(?:ngày|ngay|ca)\W*(?:làm|lam)?\s*$", re.IGNORECASE)
"""Text right before an hours figure with the same meaning ("mỗi ngày 8 tiếng")."""


def _entities_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in message.get("entities") or [] if e.get("entity")]


def read_inputs(message: dict[str, Any], calculator: Calculator) -> tuple[dict[str, Any], dict[str, Any]]:
    """Reads a calculator's inputs and options from one parsed user message.

    "lương 6,24 triệu, 26 công, 8 tiếng một ngày, làm thêm 4 giờ ngày thường": the hours
    followed by "một ngày" are the normal working day, the other hours are the overtime, and
    the days are the company's working days in a month.

    Args:
        message: The parsed message (``tracker.latest_message``).
        calculator: The calculator.

    Returns:
        Slot name → value for the inputs found, and the options (night, working_days,
        hours_per_day) for the calculation.
    """
    text = str(message.get("text") or "")
    found: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for entity in _entities_of(message):
        name, value = entity["entity"], entity.get("value")
        if name == "hours" and calculator.kind == "overtime":
            start, end = entity.get("start"), entity.get("end")
            after = text[end:] if isinstance(end, int) else ""
            before = text[:start] if isinstance(start, int) else ""
            if PER_DAY.match(after) or PER_DAY_BEFORE.search(before):
                options["hours_per_day"] = value
                continue
        if name == "days" and calculator.kind == "overtime":
            options.setdefault("working_days", value)
            continue
        if name == "night" and value:
            options["night"] = True
            continue
        for slot in calculator.inputs:
            if SLOT_ENTITY[slot] == name and slot not in found:
                found[slot] = value
    return found, options


def wants_calculation(message: dict[str, Any], calculator: Calculator) -> bool:
    """Tells whether a question carries the worker's own figure (so it asks for a calculation).

    A question with only hours or a day kind ("làm thêm 3 tiếng chủ nhật tính sao") gets the
    rule itself; one with the worker's wage ("lương 6 triệu ...") gets the calculation.
    """
    return any(e["entity"] == calculator.trigger for e in _entities_of(message))


def start_events(calculator: Calculator, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Events that reset the calculator slots and prefill them from the message.

    Args:
        calculator: The calculator to start.
        message: The parsed user message that asked for it.

    Returns:
        SlotSet events (kind, options, inputs found, the rest cleared).
    """
    found, options = read_inputs(message, calculator)
    events = [SlotSet("calc_kind", calculator.kind), SlotSet("calc_options", options or None)]
    events += [SlotSet(slot, found.get(slot)) for slot in INPUT_SLOTS]
    return events


ESCAPE_INTENTS = {"deny", "request_human", "goodbye", "out_of_scope", "start_calculation", "start_survey"}
"""Intents that leave the calculator instead of being read as an unreadable answer."""
QUESTION_CONFIDENCE = 0.8
ESCAPE_CONFIDENCE = 0.6


def _is_escape(tracker: Tracker) -> bool:
    """Tells whether the worker stepped out of the calculation (said no, asked something else).

    Leaving the slot unfilled lets the form reject the turn, so the matching rule answers.
    """
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = str(intent.get("name") or "")
    confidence = float(intent.get("confidence") or 0)
    if name in ESCAPE_INTENTS:
        return confidence >= ESCAPE_CONFIDENCE
    is_question = name.startswith(("ask_", "report_")) and name != "ask_capabilities"
    return is_question and confidence >= QUESTION_CONFIDENCE


def _cap_can_apply(salary: Any) -> bool:
    """Tells whether the unemployment-benefit cap could bite, so the region matters.

    The cap is a multiple of the regional minimum wage; below that multiple of the LOWEST
    region's minimum no region's cap applies and the worker need not be asked for it.
    """
    if not isinstance(salary, (int, float)) or isinstance(salary, bool):
        return True
    today = get_settings().today()
    knowledge = load_knowledge()
    rules = knowledge.values_at("unemployment_benefit", today)
    lowest = min(knowledge.values_at("min_wage_region", today)["monthly"].values())
    return bool(salary * rules["rate"] > lowest * rules["cap_min_wage_multiple"])


def _polite(question: str) -> str:
    """Prefixes a question with "Dạ, " (keeping the rest as written)."""
    return "Dạ, " + question[0].lower() + question[1:]


def _current(tracker: Tracker) -> Calculator | None:
    return CALCULATORS.get(str(tracker.get_slot("calc_kind") or ""))


class ValidateCalculatorForm(FormValidationAction):
    """Reads each input from the worker's reply, checks its range, and re-asks politely."""

    def name(self) -> str:
        """Returns the validation action name (``validate_`` + form name)."""
        return "validate_calculator_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Returns the inputs of the calculator being run."""
        calculator = _current(tracker)
        if calculator is None:
            return []
        inputs = list(calculator.inputs)
        if calculator.kind == "unemployment" and not _cap_can_apply(tracker.get_slot("calc_money")):
            inputs.remove("calc_region")
        return inputs

    def _extract(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != slot:
            return {}
        value = latest_entities(tracker).get(SLOT_ENTITY[slot])
        if value is not None:
            return {slot: value}
        text = str((tracker.latest_message or {}).get("text") or "")
        if text.startswith("/") or _is_escape(tracker):
            return {}
        return {slot: UNREADABLE}

    def _checked(
        self, slot: str, value: Any, check: Callable[[Any], Any], dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        if value == UNREADABLE or value is None:
            dispatcher.utter_message(
                text=f"Dạ, em chưa đọc được thông tin này ạ. Anh/chị nhập lại giúp em ({EXAMPLES[slot]}) nhé."
            )
            return {slot: None}
        try:
            check(value)
        except calc.CalculatorInputError as error:
            dispatcher.utter_message(text=f"{error} ({EXAMPLES[slot]})")
            return {slot: None}
        return {slot: value}


def _check_day_type(value: Any) -> None:
    if value not in calc.DAY_TYPES:
        raise calc.CalculatorInputError("calc_day_type", "Dạ, em chưa rõ đó là loại ngày nào ạ.")


def _check_region(value: Any) -> None:
    if value not in (1, 2, 3, 4):
        raise calc.CalculatorInputError("calc_region", "Dạ, vùng lương tối thiểu chỉ có từ 1 đến 4 ạ.")


SLOT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "calc_money": calc.validate_wage,
    "calc_hours": calc.validate_hours,
    "calc_day_type": _check_day_type,
    "calc_months": calc.validate_months,
    "calc_region": _check_region,
}
"""How each input is checked; a CalculatorInputError's message is sent back to the worker."""


def _add_slot_methods(form: type[ValidateCalculatorForm]) -> None:
    """Adds ``extract_<slot>``/``validate_<slot>`` for every calculator input.

    rasa_sdk finds these methods by name; one pair per input, all driven by SLOT_CHECKS.
    """
    for slot in INPUT_SLOTS:

        async def extract(
            self: ValidateCalculatorForm,
            dispatcher: CollectingDispatcher,
            tracker: Tracker,
            domain: DomainDict,
            slot: str = slot,
        ) -> dict[str, Any]:
            return self._extract(slot, tracker)

        async def validate(
            self: ValidateCalculatorForm,
            slot_value: Any,
            dispatcher: CollectingDispatcher,
            tracker: Tracker,
            domain: DomainDict,
            slot: str = slot,
        ) -> dict[str, Any]:
            return self._checked(slot, slot_value, SLOT_CHECKS[slot], dispatcher)

        extract.__doc__ = f"Reads {slot} from the worker's reply when it was asked for."
        validate.__doc__ = f"Accepts a usable {slot}, else re-asks politely with an example."
        setattr(form, f"extract_{slot}", extract)
        setattr(form, f"validate_{slot}", validate)


_add_slot_methods(ValidateCalculatorForm)


class _AskInput(Action):
    """Base of the per-input questions: worded for the calculator being run, with an example."""

    slot = ""

    def name(self) -> str:
        """Returns ``action_ask_<slot>``, the name Rasa forms look for."""
        return f"action_ask_{self.slot}"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the question for this input."""
        raise NotImplementedError

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Asks for the input."""
        dispatcher.utter_message(
            text=f"{self.question(_current(tracker))} ({EXAMPLES[self.slot]})",
            buttons=self.buttons(),
        )
        return []

    def buttons(self) -> list[dict[str, str]]:
        """Quick replies offered with the question (none by default)."""
        return []


class ActionAskCalcMoney(_AskInput):
    """Asks for the wage or salary the calculation needs."""

    slot = "calc_money"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the calculator's own wording of the money question."""
        return _polite(calculator.money_question if calculator else Calculator.money_question)


class ActionAskCalcHours(_AskInput):
    """Asks how many overtime hours."""

    slot = "calc_hours"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the hours question."""
        return "Dạ, anh/chị làm thêm bao nhiêu giờ ạ?"


class ActionAskCalcDayType(_AskInput):
    """Asks on which kind of day the overtime was worked."""

    slot = "calc_day_type"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the day-type question."""
        return "Dạ, anh/chị làm thêm vào ngày nào ạ?"

    def buttons(self) -> list[dict[str, str]]:
        """Offers the three kinds of day as quick replies."""
        return [
            {"title": "Ngày thường", "payload": "ngày thường"},
            {"title": "Ngày nghỉ tuần", "payload": "ngày nghỉ hằng tuần"},
            {"title": "Ngày lễ, tết", "payload": "ngày lễ"},
        ]


class ActionAskCalcMonths(_AskInput):
    """Asks for a duration (service or contribution time)."""

    slot = "calc_months"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the calculator's own wording of the duration question."""
        return _polite(calculator.months_question if calculator else Calculator.months_question)


class ActionAskCalcRegion(_AskInput):
    """Asks for the minimum-wage region of the last workplace."""

    slot = "calc_region"

    def question(self, calculator: Calculator | None) -> str:
        """Returns the region question."""
        return "Dạ, nơi anh/chị làm việc cuối cùng thuộc vùng lương tối thiểu nào ạ?"

    def buttons(self) -> list[dict[str, str]]:
        """Offers the four regions as quick replies."""
        return [{"title": f"Vùng {n}", "payload": f"vùng {n}"} for n in (1, 2, 3, 4)]


class ActionStartCalculation(Action):
    """Starts the calculator for the topic the worker was asking about (button "Tính giúp em")."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_start_calculation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Sets the calculator slots from the payload's kind (or the last question asked)."""
        entities = latest_entities(tracker)
        calculator = CALCULATORS.get(str(entities.get("calc_kind") or ""))
        if calculator is None:
            for event in reversed(tracker.events):
                intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
                if event.get("event") == "user" and intent in CALCULATOR_BY_INTENT:
                    calculator = CALCULATOR_BY_INTENT[intent]
                    break
        if calculator is None:
            dispatcher.utter_message(
                text="Dạ, em có thể tính: tiền làm thêm giờ, trợ cấp thôi việc, trợ cấp mất việc làm, "
                "đoàn phí, tiền đóng bảo hiểm, lương thử việc, số ngày phép năm và trợ cấp thất nghiệp. "
                "Anh/chị muốn tính khoản nào ạ?",
                buttons=[
                    {
                        "title": c.title.capitalize()[:20],
                        "payload": f'/start_calculation{{"calc_kind": "{c.kind}"}}',
                    }
                    for c in list(CALCULATORS.values())[:3]
                ],
            )
            return [SlotSet("calc_kind", None)]
        return start_events(calculator, tracker.latest_message or {})


class ActionCalculate(Action):
    """Computes the result with the worker's numbers and sends the formula and the basis."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_calculate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        """Sends the calculation and clears the calculator slots."""
        calculator = _current(tracker)
        reset = [SlotSet(slot, None) for slot in (*INPUT_SLOTS, "calc_kind", "calc_options")]
        if calculator is None:
            return reset
        knowledge = load_knowledge()
        today = get_settings().today()
        slots = {slot: tracker.get_slot(slot) for slot in (*INPUT_SLOTS, "calc_options")}
        try:
            result = calculator.compute(knowledge, today, slots)
        except calc.CalculatorInputError as error:
            dispatcher.utter_message(text=str(error))
            return reset
        period = knowledge.period_at(calculator.fact_id, today)
        lines = [f"Dạ, em tính {calculator.title} giúp anh/chị như sau:"]
        lines += [f"• {step}" for step in result.steps]
        if result.assumptions:
            lines.append("Em giả định: " + "; ".join(a.rstrip(". ") for a in result.assumptions) + ".")
        lines.append(period.citation_line())
        lines.append(
            'Đây là ước tính theo số liệu anh/chị cung cấp; cần hỗ trợ thêm anh/chị gõ "gặp cán bộ" ạ.'
        )
        dispatcher.utter_message(text="\n".join(lines))
        return reset


def calculator_for_intent(intent: str | None) -> Calculator | None:
    """Returns the calculator behind a question intent, if it has one."""
    return CALCULATOR_BY_INTENT.get(intent or "")


def latest_calculator_request(tracker: Tracker) -> tuple[Calculator, dict[str, Any]] | None:
    """Tells whether the latest message asks for a calculation with the worker's numbers.

    Args:
        tracker: The conversation tracker.

    Returns:
        The calculator and the parsed message, or None.
    """
    calculator = calculator_for_intent(latest_intent(tracker))
    if calculator is None:
        return None
    message = tracker.latest_message or {}
    return (calculator, message) if wants_calculation(message, calculator) else None
