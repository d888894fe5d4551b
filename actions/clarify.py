"""What the bot says when it is not sure what the worker asked.

Lives here: ``action_clarify``. First miss: a short question with the 2-3 likeliest topics as
buttons. Second miss in a row: an offer to reach a union officer. Must not answer a legal
question on a guess.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import intent_ranking, previous_bot_action
from actions.knowledge import load_knowledge

MAX_CHOICES = 3
MIN_CONFIDENCE = 0.05

ASK_AGAIN = "Dạ, em chưa chắc đã hiểu đúng ý anh/chị. Có phải anh/chị muốn hỏi về:"
ASK_REPHRASE = (
    "Dạ, em chưa hiểu rõ câu hỏi ạ. Anh/chị có thể hỏi ngắn gọn hơn, ví dụ: "
    '"lương tối thiểu vùng 1", "nghỉ việc báo trước mấy ngày"?'
)
OFFER_OFFICER = (
    "Dạ, em xin lỗi vì vẫn chưa hiểu đúng câu hỏi. Anh/chị có muốn gặp cán bộ công đoàn để được "
    "hỗ trợ trực tiếp không ạ?"
)


class ActionClarify(Action):
    """Asks back with the likeliest topics, then offers a human after a second miss."""

    def name(self) -> str:
        """Returns the action name used in rules and the domain."""
        return "action_clarify"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[dict[str, Any]]:
        """Sends the clarifying question or the officer offer.

        Args:
            dispatcher: Where replies go.
            tracker: The conversation so far.
            domain: The bot's domain.

        Returns:
            No events.
        """
        if previous_bot_action(tracker) == self.name():
            dispatcher.utter_message(
                text=OFFER_OFFICER,
                buttons=[
                    {"title": "Gặp cán bộ", "payload": "/request_human"},
                    {"title": "Không, cảm ơn", "payload": "/deny"},
                ],
            )
            return []
        knowledge = load_knowledge()
        buttons = []
        for intent, confidence in intent_ranking(tracker):
            fact = knowledge.fact_for_intent(intent)
            if fact is None or confidence < MIN_CONFIDENCE:
                continue
            buttons.append({"title": fact.question, "payload": f"/{intent}"})
            if len(buttons) == MAX_CHOICES:
                break
        if not buttons:
            dispatcher.utter_message(text=ASK_REPHRASE)
            return []
        dispatcher.utter_message(text=ASK_AGAIN, buttons=buttons)
        return []
