"""Rasa's own slot extraction and FormAction drive survey_form with domain.yml, no model needed.

The real action server (``python -m rasa_sdk --actions actions``) runs as a subprocess; this
test plays Rasa's message processor step by step: each user message is logged, Rasa's
``action_extract_slots`` fills ``survey_answer`` from the text (only while the form asks for
it), and Rasa's ``FormAction`` calls ``validate_survey_form`` and ``action_ask_survey_answer``
remotely. The policy's choice of action is taken from the rules (a trained model is the lead's
conversation tests' business). The backend is unreachable, so the survey runs from the
definition cache and answers stay queued in the outbox.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.actions.test_survey_definitions import SAMPLE_DEFINITION, store_definition
from tests.support.processes import RASA_VENV, REPO_ROOT, ManagedProcess, free_port, http_ok

rasa_actions = pytest.importorskip("rasa.core.actions.action")

from rasa.core.channels import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

PAUSED_STATE = {
    "active": None,
    "progress": {
        "khao_sat_thu": {
            "survey_id": "khao_sat_thu",
            "version": 1,
            "status": "consent",
            "current": None,
            "history": [],
            "answers": {},
            "seq": 0,
            "consented": False,
        }
    },
}


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real action server, offline from the backend, with the sample survey cached."""
    workdir = tmp_path_factory.mktemp("actions")
    store_definition(workdir / "survey_definitions.sqlite3", SAMPLE_DEFINITION)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "BACKEND_URL": f"http://127.0.0.1:{free_port()}",
        "ACTIONS_OUTBOX_DB": str(workdir / "outbox.sqlite3"),
        "SANIC_HOST": "127.0.0.1",
    }
    env.pop("SURVEY_CACHE_DB", None)
    process = ManagedProcess(
        "action server",
        [str(RASA_VENV / "bin" / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        env,
        workdir / "actions.log",
    ).start()
    try:
        process.wait_until(http_ok(f"http://127.0.0.1:{port}/health"), timeout=90)
        yield f"http://127.0.0.1:{port}/webhook", workdir
    finally:
        process.stop()


class RasaSide:
    """Rasa's processor for one conversation, with actions chosen as the rules say."""

    def __init__(self, endpoint: str) -> None:
        self.domain = Domain.load(str(REPO_ROOT / "domain.yml"))
        self.endpoint = EndpointConfig(url=endpoint)
        self.nlg = TemplatedNaturalLanguageGenerator(self.domain.responses)
        self.tracker = DialogueStateTracker.from_events("w-rasa", [], slots=self.domain.slots)
        self.said: list[str] = []

    async def _run(self, name: str) -> None:
        action = rasa_actions.action_for_name_or_text(name, self.domain, self.endpoint)
        events = await action.run(CollectingOutputChannel(), self.nlg, self.tracker, self.domain)
        self.tracker.update(ActionExecuted(name))
        self.tracker.update_with_events(events, self.domain)
        self.said += [event.text for event in events if isinstance(event, BotUttered) and event.text]

    async def _turn(self, text: str, intent: str) -> None:
        self.said = []
        self.tracker.update(ActionExecuted("action_listen"))
        self.tracker.update(UserUttered(text, {"name": intent, "confidence": 0.9}), self.domain)
        await self._run("action_extract_slots")
        if self.tracker.active_loop_name == "survey_form":
            await self._run("survey_form")
        elif intent == "start_survey":
            await self._run("action_start_survey")
            await self._run("survey_form")
        if self.tracker.active_loop_name is None and self.tracker.latest_action_name == "survey_form":
            await self._run("action_survey_finish")  # the rule closing the loop

    def say(self, text: str, intent: str = "nlu_fallback") -> list[str]:
        """One user message through extraction, the form and its rules; returns the bot's texts."""
        asyncio.run(self._turn(text, intent))
        return self.said

    def slot(self, name: str) -> Any:
        """A slot's value."""
        return self.tracker.get_slot(name)


def test_rasa_form_runs_the_survey_loop_with_the_domain(action_server: tuple[str, Path]) -> None:
    endpoint, _ = action_server
    rasa = RasaSide(endpoint)
    rasa.tracker.update(SlotSet("survey_progress", PAUSED_STATE))
    said = rasa.say("khảo sát", intent="start_survey")
    assert rasa.tracker.active_loop_name == "survey_form"
    assert rasa.slot("requested_slot") == "survey_answer"
    assert said[-1].endswith("Anh/chị đồng ý tham gia khảo sát không ạ?")
    assert rasa.slot("survey_answer") is None  # "khảo sát" itself was not taken as an answer

    said = rasa.say("có", intent="affirm")
    assert said == ["Dạ, em cảm ơn anh/chị! Mình bắt đầu nhé.", said[1]]
    assert said[1].startswith("Câu 1/12 · Thông tin chung")

    said = rasa.say("hello", intent="greet")
    assert said[0].startswith("Dạ, em chưa đọc được câu trả lời này ạ.")
    assert rasa.tracker.active_loop_name == "survey_form"

    said = rasa.say("dưới 30")
    assert said[0] == "Dạ, em ghi nhận: Dưới 30 tuổi." and said[1].startswith("Câu 2/12")
    assert rasa.slot("survey_answer") is None

    said = rasa.say("tạm dừng")
    assert rasa.tracker.active_loop_name is None and rasa.slot("requested_slot") is None
    assert said == [
        "Dạ, em đã lưu các câu trả lời của anh/chị (đến câu 2/12). Khi nào tiện, anh/chị gõ “khảo sát” "
        "để làm tiếp đúng chỗ đang dừng nhé. Bây giờ anh/chị cần hỏi gì cứ nhắn em ạ."
    ]

    said = rasa.say("lam tiep khao sat", intent="start_survey")
    assert rasa.tracker.active_loop_name == "survey_form"
    assert said[0].startswith("Dạ, mình tiếp tục khảo sát") and said[-1].startswith("Câu 2/12")
    progress = rasa.slot("survey_progress")["progress"]["khao_sat_thu"]
    assert progress["answers"] == {"nhom_tuoi": "duoi_30"} and progress["seq"] == 1
