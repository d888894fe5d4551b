"""UnknownWordsGuard with Rasa's real tokenizer, model storage and messages (no mocks)."""

from __future__ import annotations

from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.components import UnknownWordsGuard


def _tokenized(texts: list[str], intent: str | None = None) -> list[Message]:
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message(data={TEXT: t, **({INTENT: intent} if intent else {})}) for t in texts]
    tokenizer.process(messages)
    return messages


def test_guard_sends_unknown_words_to_fallback_and_keeps_known_ones(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("guard")
    context = ExecutionContext(GraphSchema({}), "test")
    guard = UnknownWordsGuard.create({"min_known_ratio": 0.34}, storage, resource, context)
    training = TrainingData(_tokenized(["luong toi thieu vung 1", "nghi viec bao truoc"], "ask"))
    guard.train(training)
    loaded = UnknownWordsGuard.load({"min_known_ratio": 0.34}, storage, resource, context)

    messages = _tokenized(["asdkj qwe zxc", "luong toi thieu vung 2 bao nhieu", "/greet"])
    for message in messages:
        message.set(INTENT, {"name": "ask_min_wage", "confidence": 0.7})
        message.set(INTENT_RANKING_KEY, [{"name": "ask_min_wage", "confidence": 0.7}])
    loaded.process(messages)
    assert messages[0].get(INTENT)["name"] == "nlu_fallback"
    assert messages[0].get(INTENT_RANKING_KEY)[1]["name"] == "ask_min_wage"
    assert messages[1].get(INTENT)["name"] == "ask_min_wage"
    assert messages[2].get(INTENT)["name"] == "ask_min_wage"
