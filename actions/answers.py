"""Answers to legal and union-benefit questions, rendered from the knowledge base.

Lives here: ``action_answer_question``, which maps the recognised intent to its fact in
knowledge/ and sends the rendered, cited answer with "xem thêm" buttons; when the question
carries the worker's own numbers and a calculator exists, it hands over to the calculator.
Must not contain
legal text or figures (they are data in knowledge/), and must not guess when no fact exists:
then it says so and offers a union officer.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.calculation import calculator_for_intent, latest_calculator_request, start_events
from actions.conversation import latest_entities, latest_intent
from actions.knowledge import load_knowledge
from actions.settings import get_settings

NO_FACT_REPLY = (
    "Dạ, câu hỏi này em chưa có thông tin chính thức trong cơ sở dữ liệu nên không dám trả lời "
    "sai ạ. Anh/chị có muốn em chuyển câu hỏi cho cán bộ công đoàn không?"
)
OFFICER_BUTTON = {"title": "Gặp cán bộ", "payload": "/request_human"}


class ActionAnswerQuestion(Action):
    """Sends the knowledge-base answer for the latest question, with its legal basis."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_answer_question"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Renders and sends the answer.

        Args:
            dispatcher: Where replies go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            No events.
        """
        intent = latest_intent(tracker) or ""
        request = latest_calculator_request(tracker)
        if request is not None and not tracker.active_loop_name:
            calculator, message = request
            return [*start_events(calculator, message), FollowupAction("calculator_form")]
        answer = load_knowledge().answer(intent, latest_entities(tracker), get_settings().today())
        if answer is None:
            dispatcher.utter_message(text=NO_FACT_REPLY, buttons=[OFFICER_BUTTON])
            return []
        buttons = list(answer.buttons)
        calculator = calculator_for_intent(intent)
        if calculator is not None:
            start = f'/start_calculation{{"calc_kind": "{calculator.kind}"}}'
            buttons = [{"title": "Tính giúp em", "payload": start}, *buttons[:2]]
        if answer.unverified:
            buttons = [*buttons[:2], OFFICER_BUTTON]
        dispatcher.utter_message(text=answer.text, buttons=buttons)
        return []
