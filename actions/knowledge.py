"""Knowledge base: loads knowledge/*.yml, validates every fact, and renders cited answers.

Lives here: the fact model (facts, dated periods, legal basis), loading with strict validation
(a broken file is refused with an error naming the file and the fact), the choice of period by
date, and the rendering of a polite, phone-sized answer with its citation line, the caveat for
unverified figures and "xem thêm" buttons. Must not hold legal figures or legal text itself
(they are data in knowledge/), must not talk to Rasa, the backend or the network, and must not
format numbers by hand (actions/formatting.py does, through Babel).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template, TemplateError

from actions.formatting import (
    format_date,
    format_money,
    format_number,
    format_percent,
    format_roman,
)

__all__ = [
    "Answer",
    "Basis",
    "Fact",
    "KnowledgeBase",
    "KnowledgeError",
    "NoPeriodError",
    "Period",
    "load_knowledge",
    "read_knowledge",
]

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "knowledge"
STATUSES = frozenset({"verified", "unverified"})
WHOLE_DOCUMENT = "-"  # basis article when the article number could not be read in a source
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RAW_FIGURE_RE = re.compile(r"\d{5,}")
POLITE_OPENER_RE = re.compile(r"^Dạ,?\s*")
REGIONS: tuple[int | None, ...] = (None, 1, 2, 3, 4)
MAX_QUESTION_CHARS = 20  # Messenger truncates button titles after 20 characters.
MAX_RELATED = 3  # Messenger button templates take at most 3 buttons.
MAX_BODY_CHARS = 600  # one phone screen
FACT_KEYS = frozenset({"id", "intent", "question", "related", "periods", "answer", "future_note"})
REQUIRED_FACT_KEYS = frozenset({"id", "intent", "question", "periods", "answer"})
PERIOD_KEYS = frozenset({"valid_from", "valid_to", "basis", "status", "source", "values", "note"})
REQUIRED_PERIOD_KEYS = frozenset({"valid_from", "basis", "status", "source", "values"})
# Entities used to exercise the optional branches of every template at load time.
SAMPLE_ENTITIES: Mapping[str, Any] = {
    "money": 10_000_000,
    "hours": 2.0,
    "days": 3,
    "duration_months": 48,
    "day_type": "weekday",
    "night": True,
}

CAVEAT = (
    "Lưu ý: thông tin này em chưa đối chiếu được với văn bản gốc nên anh/chị chỉ nên tham khảo. "
    "Anh/chị gõ 'gặp cán bộ' để được cán bộ công đoàn kiểm tra giúp ạ."
)
GENERIC_FUTURE_NOTE = (
    "Dạ, em chưa có văn bản quy định riêng cho năm {year}; trên đây là mức đang áp dụng theo "
    "văn bản mới nhất em có, anh/chị vui lòng kiểm tra lại khi có quy định mới ạ."
)
MULTI_PERIOD_INTRO = "Dạ, trong năm {year} có {count} giai đoạn áp dụng khác nhau ạ:"
NO_DATA_INTRO = (
    "Dạ, em chưa có số liệu về nội dung này cho năm {year} ạ. "
    "Quy định đang áp dụng (từ {since}) như sau:"
)


class KnowledgeError(ValueError):
    """A knowledge file or fact breaks the schema; the message names the file and the fact."""


class NoPeriodError(LookupError):
    """No period of the fact is in force on the asked date."""


@dataclass(frozen=True)
class Basis:
    """One legal basis of a period: an article of a document."""

    document: str
    article: str

    def cite(self) -> str:
        """Returns the basis as cited in answers.

        Returns:
            For example ``"Điều 3 Nghị định 293/2025/NĐ-CP"``; the document alone when the
            article is ``"-"`` (its number was not read in a source).
        """
        if self.article == WHOLE_DOCUMENT:
            return self.document
        return f"{self.article} {self.document}"


@dataclass(frozen=True)
class Period:
    """Figures in force from ``valid_from`` to ``valid_to`` (inclusive; None = still in force)."""

    valid_from: date
    valid_to: date | None
    basis: tuple[Basis, ...]
    status: str
    source: str
    values: Mapping[str, Any] = field(compare=False, hash=False)
    note: str | None = None

    @property
    def verified(self) -> bool:
        """Whether the figures were read in the source listed."""
        return self.status == "verified"

    def covers(self, day: date) -> bool:
        """Tells whether the period is in force on a day.

        Args:
            day: The day.

        Returns:
            True if ``valid_from <= day <= valid_to``.
        """
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def overlaps(self, start: date, end: date) -> bool:
        """Tells whether the period is in force on any day between two dates.

        Args:
            start: First day (inclusive).
            end: Last day (inclusive).

        Returns:
            True if the two ranges share at least one day.
        """
        return self.valid_from <= end and (self.valid_to is None or self.valid_to >= start)

    def citation_line(self) -> str:
        """Builds the line that closes every answer rendered from this period.

        Returns:
            For example ``"Căn cứ: Điều 3 Nghị định 293/2025/NĐ-CP; áp dụng từ 01/01/2026."``.
        """
        cited = "; ".join(basis.cite() for basis in self.basis)
        return f"Căn cứ: {cited}; áp dụng từ {format_date(self.valid_from)}."


@dataclass(frozen=True)
class Fact:
    """One answer of the knowledge base, with its dated periods (newest first)."""

    id: str
    intent: str
    question: str
    topic: str
    source_file: str
    related: tuple[str, ...]
    periods: tuple[Period, ...]
    answer_template: str
    future_note: str | None = None

    @property
    def newest(self) -> Period:
        """The most recent period."""
        return self.periods[0]

    @property
    def oldest(self) -> Period:
        """The earliest period."""
        return self.periods[-1]

    def period_on(self, day: date) -> Period | None:
        """Finds the period in force on a day.

        Args:
            day: The day.

        Returns:
            The period, or None if no period covers the day.
        """
        return next((period for period in self.periods if period.covers(day)), None)


@dataclass(frozen=True)
class Answer:
    """A rendered reply: body, citation line(s), caveat when unverified, and buttons."""

    text: str
    fact_id: str
    buttons: list[dict[str, str]]
    unverified: bool
    citations: list[str]


@dataclass(frozen=True)
class _Rendering:
    """One period chosen for an answer, and the date its figures are read at."""

    period: Period
    as_of: date


class KnowledgeBase:
    """All facts, validated at load; answers chosen by date and rendered in polite Vietnamese."""

    def __init__(self, facts: dict[str, Fact], environment: Environment) -> None:
        self.facts: dict[str, Fact] = facts
        self._environment = environment
        self._by_intent = {fact.intent: fact for fact in facts.values()}
        self._templates: dict[str, Template] = {}
        self._future_notes: dict[str, Template] = {}
        for fact in facts.values():
            try:
                self._templates[fact.id] = environment.from_string(fact.answer_template)
                if fact.future_note is not None:
                    self._future_notes[fact.id] = environment.from_string(fact.future_note)
            except TemplateError as error:
                raise KnowledgeError(
                    f"{fact.source_file}: fact {fact.id!r}: template syntax error: {error}"
                ) from error

    def fact_for_intent(self, intent: str) -> Fact | None:
        """Finds the fact that answers an NLU intent.

        Args:
            intent: The intent name, e.g. ``"ask_min_wage"``.

        Returns:
            The fact, or None if no fact answers that intent.
        """
        return self._by_intent.get(intent)

    def period_at(self, fact_id: str, on: date) -> Period:
        """Finds the period of a fact in force on a date.

        Args:
            fact_id: The fact id, e.g. ``"min_wage_region"``.
            on: The date.

        Returns:
            The period in force that day.

        Raises:
            KeyError: If the fact does not exist.
            NoPeriodError: If no period of the fact covers the date.
        """
        fact = self.facts[fact_id]
        period = fact.period_on(on)
        if period is None:
            raise NoPeriodError(f"fact {fact_id!r} has no period in force on {on.isoformat()}")
        return period

    def values_at(self, fact_id: str, on: date) -> dict[str, Any]:
        """Returns the figures of a fact in force on a date (a copy the caller may change).

        Args:
            fact_id: The fact id.
            on: The date.

        Returns:
            The ``values`` mapping of the period in force.

        Raises:
            KeyError: If the fact does not exist.
            NoPeriodError: If no period of the fact covers the date.
        """
        return copy.deepcopy(dict(self.period_at(fact_id, on).values))

    def answer(self, intent: str, entities: dict[str, Any], today: date) -> Answer | None:
        """Renders the answer to an intent for the date the worker asked about.

        No year → today; the current year → today; a past year → every period overlapping it,
        one paragraph each; a future year beyond the newest period → the newest period and the
        fact's note about the future.

        Args:
            intent: The NLU intent.
            entities: Normalised entities (region, year, month, money, hours, days,
                duration_months, day_type, night); all optional.
            today: Today's date.

        Returns:
            The answer, or None if no fact answers the intent.
        """
        fact = self.fact_for_intent(intent)
        if fact is None:
            return None
        inputs = _normalise_entities(entities)
        year: int | None = inputs.get("year")
        renderings, future = self._choose_periods(fact, inputs, today)
        if not renderings:
            return self._answer_without_data(fact, inputs, today)
        blocks: list[str] = []
        multi = len(renderings) > 1
        if multi:
            blocks.append(MULTI_PERIOD_INTRO.format(year=year, count=len(renderings)))
        for rendering in renderings:
            body = self.render_body(fact, rendering.period, rendering.as_of, year, inputs)
            if multi:
                body = f"{_period_label(rendering.period)}: {_strip_polite_opener(body)}"
            blocks.append(_with_citation(body, rendering.period))
        if future:
            blocks.append(self.render_future_note(fact, year, inputs, renderings[-1].as_of))
        return self._build_answer(fact, blocks, [rendering.period for rendering in renderings])

    def render_body(
        self,
        fact: Fact,
        period: Period,
        as_of: date,
        year: int | None,
        inputs: Mapping[str, Any],
    ) -> str:
        """Renders a fact's template for one period, without citation or caveat.

        Args:
            fact: The fact.
            period: The period whose values are shown.
            as_of: The date the figures are read at (used by ``fact_values``).
            year: The year the worker asked about, if any.
            inputs: Normalised entities.

        Returns:
            The body: trimmed lines joined by newlines.
        """
        context = self._context(period, as_of, year, inputs)
        return _tidy(self._templates[fact.id].render(context))

    def _context(
        self, period: Period, as_of: date, year: int | None, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Builds the template context documented in knowledge/README.md."""
        return {
            "values": period.values,
            "period": period,
            "region": inputs.get("region"),
            "year": year,
            "month": inputs.get("month"),
            "as_of": as_of,
            "inputs": dict(inputs),
            "money": inputs.get("money"),
            "hours": inputs.get("hours"),
            "days": inputs.get("days"),
            "duration_months": inputs.get("duration_months"),
            "day_type": inputs.get("day_type"),
            "night": inputs.get("night"),
            "fact_values": self._fact_values_reader(as_of),
        }

    def _fact_values_reader(self, as_of: date) -> Callable[[str], Mapping[str, Any] | None]:
        """Returns ``fact_values(other_id)`` for templates: another fact's values on a date."""

        def fact_values(fact_id: str) -> Mapping[str, Any] | None:
            period = self.facts[fact_id].period_on(as_of)
            return None if period is None else period.values

        return fact_values

    def _choose_periods(
        self, fact: Fact, inputs: Mapping[str, Any], today: date
    ) -> tuple[list[_Rendering], bool]:
        """Picks the periods to render and whether the future note applies."""
        year: int | None = inputs.get("year")
        month: int | None = inputs.get("month")
        if year is not None and month is not None:
            day = date(year, month, 1)
            period = fact.period_on(day)
            future = _is_beyond_newest(fact, year, today)
            return ([_Rendering(period, day)] if period else []), future
        if year is None or year == today.year:
            period = fact.period_on(today)
            return ([_Rendering(period, today)] if period else []), False
        if _is_beyond_newest(fact, year, today):
            as_of = max(fact.newest.valid_from, date(year, 1, 1))
            return [_Rendering(fact.newest, as_of)], True
        start, end = date(year, 1, 1), date(year, 12, 31)
        chosen = [
            _Rendering(period, max(period.valid_from, start))
            for period in reversed(fact.periods)
            if period.overlaps(start, end)
        ]
        return chosen, False

    def _answer_without_data(self, fact: Fact, inputs: Mapping[str, Any], today: date) -> Answer:
        """Says there is no figure for the asked date and gives the rule in force today."""
        current = fact.period_on(today) or fact.newest
        as_of = today if current.covers(today) else current.valid_from
        asked = inputs.get("year") or today.year
        intro = NO_DATA_INTRO.format(year=asked, since=format_date(current.valid_from))
        body = _strip_polite_opener(self.render_body(fact, current, as_of, None, inputs))
        return self._build_answer(fact, [_with_citation(f"{intro}\n{body}", current)], [current])

    def render_future_note(
        self, fact: Fact, year: int | None, inputs: Mapping[str, Any], as_of: date
    ) -> str:
        """Renders the fact's note about years after its newest period.

        Args:
            fact: The fact.
            year: The year asked about.
            inputs: Normalised entities.
            as_of: The date the newest period's figures are read at.

        Returns:
            The note, or a generic one when the fact has no ``future_note``.
        """
        template = self._future_notes.get(fact.id)
        if template is None:
            return GENERIC_FUTURE_NOTE.format(year=year)
        return _tidy(template.render(self._context(fact.newest, as_of, year, inputs)))

    def _build_answer(self, fact: Fact, blocks: list[str], periods: list[Period]) -> Answer:
        """Assembles the reply text, citations and buttons."""
        citations: list[str] = []
        for period in periods:
            for basis in period.basis:
                if basis.cite() not in citations:
                    citations.append(basis.cite())
        buttons = [
            {"title": self.facts[related].question, "payload": "/" + self.facts[related].intent}
            for related in fact.related[:MAX_RELATED]
        ]
        return Answer(
            text="\n\n".join(blocks),
            fact_id=fact.id,
            buttons=buttons,
            unverified=any(not period.verified for period in periods),
            citations=citations,
        )


def _with_citation(body: str, period: Period) -> str:
    """Appends the citation line, and the caveat when the period is unverified."""
    lines = [body, period.citation_line()]
    if not period.verified:
        lines.append(CAVEAT)
    return "\n".join(lines)


def _period_label(period: Period) -> str:
    """Names a period by its dates, e.g. ``"Từ 01/07/2022 đến 30/06/2024"``."""
    label = f"Từ {format_date(period.valid_from)}"
    if period.valid_to is not None:
        label += f" đến {format_date(period.valid_to)}"
    return label


def _strip_polite_opener(body: str) -> str:
    """Drops a leading "Dạ," so a body can follow a label or an intro line."""
    stripped = POLITE_OPENER_RE.sub("", body, count=1)
    return stripped[:1].upper() + stripped[1:]


def _tidy(rendered: str) -> str:
    """Trims every line, squeezes inner spaces and drops empty lines."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in rendered.splitlines())
    return "\n".join(line for line in lines if line)


def _is_beyond_newest(fact: Fact, year: int, today: date) -> bool:
    """Tells whether a year lies after today's year and after the newest period began."""
    return year > today.year and year > fact.newest.valid_from.year


def _as_int(value: Any) -> int | None:
    """Reads an int from an entity value, or None when it is not a whole number."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _as_float(value: Any) -> float | None:
    """Reads a non-negative float from an entity value, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _normalise_entities(entities: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keeps the entities the renderer understands, with safe types; drops the rest."""
    entities = entities or {}
    result: dict[str, Any] = {}
    region = _as_int(entities.get("region"))
    if region in (1, 2, 3, 4):
        result["region"] = region
    year = _as_int(entities.get("year"))
    if year is not None and 1990 <= year <= 2100:
        result["year"] = year
    month = _as_int(entities.get("month"))
    if month is not None and 1 <= month <= 12:
        result["month"] = month
    money = _as_float(entities.get("money"))
    if money is not None:
        result["money"] = int(round(money))
    hours = _as_float(entities.get("hours"))
    if hours is not None:
        result["hours"] = hours
    for key in ("days", "duration_months"):
        number = _as_int(entities.get(key))
        if number is not None and number >= 0:
            result[key] = number
    if entities.get("day_type") in ("weekday", "rest_day", "holiday"):
        result["day_type"] = entities["day_type"]
    if isinstance(entities.get("night"), bool):
        result["night"] = entities["night"]
    return result


def _build_environment() -> Environment:
    """Creates the Jinja environment: strict undefined, vi_VN filters, no autoescape."""
    # trim_blocks stays off: a tag ending a text line must not swallow that line's newline;
    # lines left empty by tags on their own line are dropped by _tidy.
    environment = Environment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=False,
        lstrip_blocks=True,
    )
    environment.filters.update(
        money=format_money,
        number=format_number,
        percent=format_percent,
        date=format_date,
        roman=format_roman,
    )
    return environment


class _FileReader:
    """Parses one knowledge file into facts, raising KnowledgeError with file and fact named."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name

    def fail(self, message: str, fact_id: str | None = None) -> KnowledgeError:
        """Builds the error for this file (and fact)."""
        where = self.name if fact_id is None else f"{self.name}: fact {fact_id!r}"
        return KnowledgeError(f"{where}: {message}")

    def read(self) -> list[Fact]:
        """Reads and checks the file layout, then every fact in it."""
        try:
            document = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise self.fail(f"not valid YAML ({error})") from error
        if not isinstance(document, dict):
            raise self.fail("must be a mapping with topic, title and facts")
        topic = document.get("topic")
        if topic != self.path.stem:
            raise self.fail(f"topic must be {self.path.stem!r} (the file stem), got {topic!r}")
        if not isinstance(document.get("title"), str) or not document["title"].strip():
            raise self.fail("title must be a non-empty string")
        extra = set(document) - {"topic", "title", "facts"}
        if extra:
            raise self.fail(f"unknown top-level keys {sorted(extra)}")
        facts = document.get("facts")
        if not isinstance(facts, list) or not facts:
            raise self.fail("facts must be a non-empty list")
        return [self.read_fact(raw, topic) for raw in facts]

    def read_fact(self, raw: Any, topic: str) -> Fact:
        """Checks one fact mapping and builds the Fact."""
        if not isinstance(raw, dict):
            raise self.fail("every fact must be a mapping")
        fact_id = raw.get("id")
        if not isinstance(fact_id, str) or not SLUG_RE.match(fact_id):
            raise self.fail(f"fact id must be a snake_case slug, got {fact_id!r}")
        missing = REQUIRED_FACT_KEYS - set(raw)
        if missing:
            raise self.fail(f"missing keys {sorted(missing)}", fact_id)
        unknown = set(raw) - FACT_KEYS
        if unknown:
            raise self.fail(f"unknown keys {sorted(unknown)}", fact_id)
        intent = raw["intent"]
        if not isinstance(intent, str) or not SLUG_RE.match(intent):
            raise self.fail(f"intent must be a snake_case name, got {intent!r}", fact_id)
        question = raw["question"]
        if not isinstance(question, str) or not question.strip():
            raise self.fail("question must be a non-empty string", fact_id)
        if len(question) > MAX_QUESTION_CHARS:
            raise self.fail(
                f"question {question!r} is longer than {MAX_QUESTION_CHARS} characters", fact_id
            )
        related = raw.get("related") or []
        if not isinstance(related, list) or not all(isinstance(item, str) for item in related):
            raise self.fail("related must be a list of fact ids", fact_id)
        if len(related) > MAX_RELATED or len(set(related)) != len(related):
            raise self.fail(f"related must hold at most {MAX_RELATED} distinct ids", fact_id)
        if fact_id in related:
            raise self.fail("related must not name the fact itself", fact_id)
        answer = raw["answer"]
        if not isinstance(answer, str) or not answer.strip():
            raise self.fail("answer must be a non-empty template string", fact_id)
        future_note = raw.get("future_note")
        if future_note is not None and (not isinstance(future_note, str) or not future_note):
            raise self.fail("future_note must be a non-empty string when present", fact_id)
        raw_periods = raw["periods"]
        if not isinstance(raw_periods, list) or not raw_periods:
            raise self.fail("periods must be a non-empty list", fact_id)
        periods = tuple(self.read_period(item, fact_id) for item in raw_periods)
        self.check_order(periods, fact_id)
        return Fact(
            id=fact_id,
            intent=intent,
            question=question,
            topic=topic,
            source_file=self.name,
            related=tuple(related),
            periods=periods,
            answer_template=answer,
            future_note=future_note,
        )

    def read_period(self, raw: Any, fact_id: str) -> Period:
        """Checks one period mapping and builds the Period."""
        if not isinstance(raw, dict):
            raise self.fail("every period must be a mapping", fact_id)
        missing = REQUIRED_PERIOD_KEYS - set(raw)
        if missing:
            raise self.fail(f"period is missing keys {sorted(missing)}", fact_id)
        unknown = set(raw) - PERIOD_KEYS
        if unknown:
            raise self.fail(f"period has unknown keys {sorted(unknown)}", fact_id)
        valid_from = self.read_date(raw["valid_from"], "valid_from", fact_id)
        valid_to = None
        if raw.get("valid_to") is not None:
            valid_to = self.read_date(raw["valid_to"], "valid_to", fact_id)
            if valid_to < valid_from:
                raise self.fail(f"period {valid_from} ends before it starts", fact_id)
        raw_basis = raw["basis"]
        if not isinstance(raw_basis, list) or not raw_basis:
            raise self.fail(f"period {valid_from}: basis must be a non-empty list", fact_id)
        basis: list[Basis] = []
        for item in raw_basis:
            document = item.get("document") if isinstance(item, dict) else None
            article = item.get("article") if isinstance(item, dict) else None
            if not (isinstance(document, str) and document.strip()):
                raise self.fail(f"period {valid_from}: every basis needs a document", fact_id)
            if not (isinstance(article, str) and article.strip()):
                raise self.fail(f"period {valid_from}: every basis needs an article", fact_id)
            basis.append(Basis(document=document.strip(), article=article.strip()))
        status = raw["status"]
        if status not in STATUSES:
            raise self.fail(
                f"period {valid_from}: status must be verified or unverified, got {status!r}",
                fact_id,
            )
        source = raw["source"]
        if not isinstance(source, str) or not source.strip():
            raise self.fail(f"period {valid_from}: source must be a non-empty string", fact_id)
        values = raw["values"]
        if not isinstance(values, dict):
            raise self.fail(f"period {valid_from}: values must be a mapping", fact_id)
        note = raw.get("note")
        if note is not None and not isinstance(note, str):
            raise self.fail(f"period {valid_from}: note must be a string", fact_id)
        return Period(
            valid_from=valid_from,
            valid_to=valid_to,
            basis=tuple(basis),
            status=status,
            source=source.strip(),
            values=values,
            note=note,
        )

    def read_date(self, raw: Any, key: str, fact_id: str) -> date:
        """Reads a YAML date (or ISO string)."""
        if isinstance(raw, date):
            return raw
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                pass
        raise self.fail(f"{key} must be a date (YYYY-MM-DD), got {raw!r}", fact_id)

    def check_order(self, periods: tuple[Period, ...], fact_id: str) -> None:
        """Requires periods newest first and never overlapping."""
        for newer, older in zip(periods, periods[1:], strict=False):
            if older.valid_to is None or older.valid_to >= newer.valid_from:
                raise self.fail(
                    f"periods must be newest first and must not overlap "
                    f"({older.valid_from} overlaps or follows {newer.valid_from})",
                    fact_id,
                )


def _check_cross_references(facts: list[Fact]) -> dict[str, Fact]:
    """Checks unique ids and intents across files and that related ids exist."""
    by_id: dict[str, Fact] = {}
    intents: dict[str, Fact] = {}
    for fact in facts:
        if fact.id in by_id:
            raise KnowledgeError(
                f"{fact.source_file}: fact {fact.id!r}: id already used in "
                f"{by_id[fact.id].source_file}"
            )
        if fact.intent in intents:
            raise KnowledgeError(
                f"{fact.source_file}: fact {fact.id!r}: intent {fact.intent!r} already answered "
                f"by fact {intents[fact.intent].id!r}"
            )
        by_id[fact.id] = fact
        intents[fact.intent] = fact
    for fact in facts:
        for related in fact.related:
            if related not in by_id:
                raise KnowledgeError(
                    f"{fact.source_file}: fact {fact.id!r}: related id {related!r} does not exist"
                )
    return by_id


def _check_renders(knowledge: KnowledgeBase) -> None:
    """Renders every template of every period for each region (and sample entities)."""
    variants: list[dict[str, Any]] = [
        {} if region is None else {"region": region} for region in REGIONS
    ]
    variants += [dict(SAMPLE_ENTITIES), {**SAMPLE_ENTITIES, "region": 1}]
    for fact in knowledge.facts.values():
        for period in fact.periods:
            for variant in variants:
                where = f"{fact.source_file}: fact {fact.id!r}: period {period.valid_from}"
                try:
                    body = knowledge.render_body(fact, period, period.valid_from, None, variant)
                    note = knowledge.render_future_note(
                        fact, period.valid_from.year + 1, variant, period.valid_from
                    )
                except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as err:
                    raise KnowledgeError(
                        f"{where}: template fails for entities {variant}: {err}"
                    ) from err
                if not body.startswith("Dạ"):
                    raise KnowledgeError(f"{where}: the answer must begin politely with 'Dạ'")
                if len(body) > MAX_BODY_CHARS:
                    raise KnowledgeError(
                        f"{where}: answer body has {len(body)} characters, over {MAX_BODY_CHARS}"
                    )
                for text in (body, note):
                    raw = RAW_FIGURE_RE.search(text)
                    if raw:
                        raise KnowledgeError(
                            f"{where}: unformatted figure {raw.group()!r}; use a filter"
                        )


def read_knowledge(directory: Path | None = None) -> KnowledgeBase:
    """Reads and validates every knowledge file of a directory (no cache).

    Args:
        directory: The folder holding ``<topic>.yml`` files; default: the repo's knowledge/.

    Returns:
        The validated knowledge base.

    Raises:
        KnowledgeError: If any file or fact breaks the schema; the message names both.
    """
    folder = (directory or DEFAULT_DIRECTORY).resolve()
    paths = sorted(folder.glob("*.yml"))
    if not paths:
        raise KnowledgeError(f"{folder}: no knowledge files (*.yml)")
    facts: list[Fact] = []
    for path in paths:
        facts.extend(_FileReader(path).read())
    by_id = _check_cross_references(facts)
    knowledge = KnowledgeBase(by_id, _build_environment())
    _check_renders(knowledge)
    return knowledge


@functools.lru_cache(maxsize=8)
def _load_cached(folder: Path) -> KnowledgeBase:
    """Caches one knowledge base per folder."""
    return read_knowledge(folder)


def load_knowledge(directory: Path | None = None) -> KnowledgeBase:
    """Returns the validated knowledge base, read once per folder and then cached.

    Args:
        directory: The folder holding the knowledge files; default: the repo's knowledge/.

    Returns:
        The knowledge base.

    Raises:
        KnowledgeError: If any file or fact breaks the schema.
    """
    return _load_cached((directory or DEFAULT_DIRECTORY).resolve())
