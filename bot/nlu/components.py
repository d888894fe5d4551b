"""Rasa graph components that plug the Vietnamese text toolkit into the NLU pipeline.

Lives here: thin adapters between Rasa's graph API and the pure functions in
``bot.nlu.normalize`` and ``bot.nlu.entities``. Must not hold language rules itself (tables
and logic stay in those modules and their data files) and must not talk to the network.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entities import extract_entities
from bot.nlu.normalize import normalize_text

FALLBACK_INTENT = "nlu_fallback"
RAW_TEXT = "raw_text"
"""Message key under which the normaliser keeps the text exactly as the worker typed it."""


def _is_intent_payload(text: str) -> bool:
    """Tell whether a message is a button payload such as ``/ask_min_wage``.

    Args:
        text: The message text.

    Returns:
        True for payloads, which Rasa's regex handler parses and we must leave untouched.
    """
    return text.startswith("/")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class VietnameseNormalizer(GraphComponent):
    """Rewrites each message's text into the normalised view the classifier learns from.

    Guarantees: the original text stays available under ``raw_text``; button payloads are
    never changed; training and inference go through the same function.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config: fold diacritics after teencode expansion."""
        return {"fold_diacritics": True}

    def __init__(self, config: dict[str, Any]) -> None:
        self._fold = bool(config.get("fold_diacritics", True))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseNormalizer:
        """Creates the component (see parent class for the full docstring)."""
        return cls(config)

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or _is_intent_payload(text):
            return
        message.set(RAW_TEXT, text)
        message.set(TEXT, normalize_text(text, fold=self._fold) or text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalises every training example.

        Args:
            training_data: The NLU training data.

        Returns:
            The same training data, texts normalised in place.
        """
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalises incoming messages.

        Args:
            messages: Messages to process.

        Returns:
            The same messages, texts normalised in place.
        """
        for message in messages:
            self._normalize(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class VietnameseEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds rule-based entities (region, year, money, hours, ...) read from the raw text.

    Guarantees: entity offsets refer to the text as the worker typed it; values are already
    canonical (money in đồng, region 1-4), with or without diacritics or teencode.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config (none needed)."""
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VietnameseEntityExtractor:
        """Creates the component (see parent class for the full docstring)."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Extracts entities from each message's raw text.

        Args:
            messages: Messages to process.

        Returns:
            The same messages with entities appended.
        """
        today = date.today()
        for message in messages:
            raw = message.get(RAW_TEXT) or message.get(TEXT)
            if not isinstance(raw, str) or _is_intent_payload(raw):
                continue
            found = [
                {
                    "entity": entity.entity,
                    "value": entity.value,
                    "start": entity.start,
                    "end": entity.end,
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
                for entity in extract_entities(raw, today=today)
            ]
            if found:
                message.set(ENTITIES, [*message.get(ENTITIES, []), *found], add_to_output=True)
        return messages


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class UnknownWordsGuard(GraphComponent):
    """Sends a message to ``nlu_fallback`` when too few of its words were ever seen in training.

    A confident-looking guess on gibberish, foreign text or a topic we never trained ("asdkj qwe")
    is worse than asking back; the classifier's confidence alone does not show it. Guarantees:
    button payloads and messages already in fallback are left alone; numbers do not count.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config: at least a third of the words must be known."""
        return {"min_known_ratio": 0.34, "fallback_confidence": 0.0}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or set()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsGuard:
        """Creates an untrained guard (see parent class for the full docstring)."""
        return cls(config, model_storage, resource)

    @staticmethod
    def _words(message: Message) -> list[str]:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        return [t.text for t in tokens if t.text and not t.text.isdigit()]

    def train(self, training_data: TrainingData) -> Resource:
        """Collects the vocabulary of the (normalised, tokenised) training examples.

        Args:
            training_data: The NLU training data.

        Returns:
            The resource the vocabulary is persisted in.
        """
        for example in training_data.intent_examples:
            self._vocabulary.update(self._words(example))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "vocabulary.json").write_text(
                json.dumps(sorted(self._vocabulary), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsGuard:
        """Loads the trained vocabulary (see parent class for the full docstring)."""
        with model_storage.read_from(resource) as directory:
            words = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        return cls(config, model_storage, resource, set(words))

    def process(self, messages: list[Message]) -> list[Message]:
        """Turns the prediction into ``nlu_fallback`` when most words are unknown.

        Args:
            messages: Messages with an intent predicted.

        Returns:
            The same messages.
        """
        for message in messages:
            intent = message.get(INTENT) or {}
            text = message.get(RAW_TEXT) or message.get(TEXT) or ""
            if intent.get("name") == FALLBACK_INTENT or _is_intent_payload(str(text)):
                continue
            words = self._words(message)
            if not words:
                continue
            known = sum(word in self._vocabulary for word in words) / len(words)
            if known >= self._config["min_known_ratio"]:
                continue
            fallback = {"name": FALLBACK_INTENT, "confidence": self._config["fallback_confidence"]}
            message.data[INTENT] = fallback
            message.data.setdefault(INTENT_RANKING_KEY, []).insert(0, dict(fallback))
        return messages
