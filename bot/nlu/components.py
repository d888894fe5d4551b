"""Rasa graph components that plug the Vietnamese text toolkit into the NLU pipeline.

Lives here: thin adapters between Rasa's graph API and the pure functions in
``bot.nlu.normalize`` and ``bot.nlu.entities``. Must not hold language rules itself (tables
and logic stay in those modules and their data files) and must not talk to the network.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entities import extract_entities
from bot.nlu.normalize import normalize_text

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
