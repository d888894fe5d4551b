"""Survey results, every count passed through small-group suppression.

Who is counted (scope and filters), progress, per-question tables, the breakdown by unit,
cross-tabulation and free texts.

Lives here: ``ResultsScope``/``ResultsFilter``, ``read_progress``, ``read_results`` (one
grouped SQL query over the answers' flat ``value_text``, aggregated in Python),
``read_unit_breakdown``, ``read_crosstab``, ``read_free_texts`` and ``iter_export_rows``.
Counts of 1–4 respondents become suppressed ``Cell``s; a filtered set under 5 respondents
yields nothing but ``suppressed=True``. Must not talk HTTP, render, or mask texts (callers do).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from backend.app.core.config import settings
from backend.app.models import Staff, Survey, SurveyAnswer, SurveyResponse, Unit
from backend.app.models.survey import RESPONSE_COMPLETED
from backend.app.services.scope import can_see_unit
from backend.app.services.survey_catalog import VIETNAM_TIME
from backend.app.services.survey_suppression import MIN_GROUP, Cell, is_small_group
from backend.app.services.survey_values import (
    CHOICE_LIKE_TYPES,
    choice_label,
    choice_values,
    split_multiple,
)

UNKNOWN_UNIT_NAME = "Chưa rõ đơn vị"
HISTOGRAM_TARGET_BINS = 8
FREE_TEXT_LIMIT = 200
MAX_ANSWER_FILTERS = 3
ORDERED_SCAN_FROM = 5000
ORDERED_SCAN_SHARE = 5  # the ordered scan pays off from a fifth of the survey's responses


@dataclass(frozen=True)
class ResultsScope:
    """Whose responses a viewer may count: a unit subtree, everything (admins), or nothing."""

    root: Unit | None
    everything: bool = False

    @property
    def empty(self) -> bool:
        """True for a staff member without a unit: they see no response."""
        return self.root is None and not self.everything


@dataclass(frozen=True)
class ResultsFilter:
    """Filters chosen on the results page: only completed responses unless asked, and answers."""

    answers: tuple[tuple[str, str], ...] = ()
    include_incomplete: bool = False


@dataclass(frozen=True)
class ResultRow:
    """One line of a question's table: a choice (or a bin) and its respondents."""

    value: str
    label: str
    cell: Cell


@dataclass
class QuestionResult:
    """The results of one question: ``kind`` is ``choices``, ``histogram`` or ``text``."""

    question: dict[str, Any]
    number: int
    kind: str
    answered: int
    rows: list[ResultRow] = field(default_factory=list)
    mean: float | None = None
    median: float | None = None

    @property
    def answered_cell(self) -> Cell:
        """The number of respondents who answered, as a cell."""
        return Cell(self.answered)

    @property
    def suppressed(self) -> bool:
        """True when 1 to 4 respondents answered: the question shows only the notice."""
        return is_small_group(self.answered)


@dataclass
class SurveyResults:
    """Everything the results page, the charts and the summary sheet show per question."""

    respondents: int
    questions: list[QuestionResult]

    @property
    def suppressed(self) -> bool:
        """True when the filtered set has fewer than 5 respondents (show nothing but a notice)."""
        return self.respondents < MIN_GROUP


@dataclass(frozen=True)
class BreakdownRow:
    """One unit group of a breakdown: its respondents and a cell per choice."""

    name: str
    base: Cell
    cells: list[Cell]


@dataclass(frozen=True)
class UnitBreakdown:
    """One choice-like question by unit group (rows) and choice (columns)."""

    question: dict[str, Any]
    columns: list[tuple[str, str]]
    rows: list[BreakdownRow]


@dataclass(frozen=True)
class CrossTab:
    """Two choice-like questions crossed: rows = the first's choices, columns = the second's."""

    row_question: dict[str, Any]
    column_question: dict[str, Any]
    columns: list[tuple[str, str]]
    rows: list[BreakdownRow]
    column_totals: list[Cell]
    total: int

    @property
    def suppressed(self) -> bool:
        """True when fewer than 5 respondents answered both questions."""
        return self.total < MIN_GROUP


@dataclass(frozen=True)
class ProgressRow:
    """Started and completed responses of one unit group or one day."""

    label: str
    started: Cell
    completed: Cell


@dataclass(frozen=True)
class SurveyProgress:
    """Responses started and completed, by unit group and by day (local dates)."""

    started: int
    completed: int
    by_unit: list[ProgressRow]
    by_day: list[tuple[date, Cell, Cell]]

    @property
    def suppressed(self) -> bool:
        """True when fewer than 5 responses started in scope."""
        return self.started < MIN_GROUP

    @property
    def completed_cell(self) -> Cell:
        """Completed responses with the completion rate as their percentage."""
        return Cell(self.completed, base=self.started)


def resolve_scope(*, session: Session, staff: Staff, unit_id: int | None = None) -> ResultsScope:
    """Returns whose responses a viewer counts.

    The chosen unit's subtree when the viewer may see it, else their own unit's subtree
    (admins: everything).

    Args:
        session: An open session.
        staff: The viewer.
        unit_id: The unit chosen in the filters, if any.

    Returns:
        The scope.
    """
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is not None and can_see_unit(staff, unit):
            return ResultsScope(root=unit)
    if staff.is_admin:
        return ResultsScope(root=None, everything=True)
    own = session.get(Unit, staff.unit_id) if staff.unit_id is not None else None
    return ResultsScope(root=own)


def questions_of(survey: Survey) -> list[dict[str, Any]]:
    """Returns the compiled questions of a survey, in asking order."""
    return [dict(question) for question in survey.compiled.get("questions") or []]


def _question_map(survey: Survey) -> dict[str, dict[str, Any]]:
    return {question["id"]: question for question in questions_of(survey)}


def clean_answer_filters(survey: Survey, raw: list[str]) -> tuple[tuple[str, str], ...]:
    """Keeps the well-formed ``question:value`` filters on choice-like questions (at most 3).

    Args:
        survey: The survey.
        raw: The ``f`` query values, e.g. ``["nhom_tuoi:duoi_30"]``.

    Returns:
        (question id, value) pairs, without duplicates, in the order given.
    """
    questions = _question_map(survey)
    kept: list[tuple[str, str]] = []
    for item in raw:
        question_id, _, value = item.partition(":")
        question = questions.get(question_id)
        if question is None or question["type"] not in CHOICE_LIKE_TYPES:
            continue
        if value in choice_values(question) and (question_id, value) not in kept:
            kept.append((question_id, value))
    return tuple(kept[:MAX_ANSWER_FILTERS])


def _scope_conditions(survey: Survey, scope: ResultsScope) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [SurveyResponse.survey_id == survey.id]
    if scope.empty:
        conditions.append(false())
    elif scope.root is not None:
        subtree = select(Unit.id).where(Unit.path.startswith(scope.root.path, autoescape=True))
        conditions.append(SurveyResponse.unit_id.in_(subtree))
    return conditions


def _response_conditions(
    survey: Survey, scope: ResultsScope, filters: ResultsFilter
) -> list[ColumnElement[bool]]:
    conditions = _scope_conditions(survey, scope)
    if not filters.include_incomplete:
        conditions.append(SurveyResponse.status == RESPONSE_COMPLETED)
    questions = _question_map(survey)
    for question_id, value in filters.answers:
        question = questions.get(question_id)
        if question is None:
            continue
        if question["type"] == "multiple_choice":
            matches = SurveyAnswer.value_text.contains(f"|{value}|", autoescape=True)
        else:
            matches = SurveyAnswer.value_text == value
        conditions.append(
            SurveyResponse.id.in_(
                select(SurveyAnswer.response_id).where(
                    SurveyAnswer.survey_id == survey.id, SurveyAnswer.question_id == question_id, matches
                )
            )
        )
    return conditions


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


def _unit_groups(
    session: Session, scope: ResultsScope, present: set[int | None]
) -> tuple[dict[int | None, int | None], list[tuple[int | None, str]]]:
    """Maps each present unit to the group it is shown under, and lists the groups.

    Groups are the units right below the scope's root; while every response lies under one
    single child, the grouping moves one level down, so the breakdown is never one row.
    """
    known = [unit_id for unit_id in present if unit_id is not None]
    units = {unit.id: unit for unit in session.scalars(select(Unit).where(Unit.id.in_(known or [-1])))}
    paths = {unit_id: _path_ids(unit.path) for unit_id, unit in units.items()}
    prefix = _path_ids(scope.root.path) if scope.root is not None else []
    while True:
        children = {ids[len(prefix)] if len(ids) > len(prefix) else None for ids in paths.values()}
        if len(children) != 1 or None in children:
            break
        prefix.append(children.pop())  # type: ignore[arg-type]
    mapping: dict[int | None, int | None] = {}
    for unit_id, ids in paths.items():
        mapping[unit_id] = ids[len(prefix)] if len(ids) > len(prefix) else ids[-1]
    if None in present:
        mapping[None] = None
    group_ids = sorted({group for group in mapping.values() if group is not None})
    names = {
        unit.id: unit.name for unit in session.scalars(select(Unit).where(Unit.id.in_(group_ids or [-1])))
    }
    groups: list[tuple[int | None, str]] = sorted(
        ((group_id, names.get(group_id, str(group_id))) for group_id in group_ids), key=lambda item: item[1]
    )
    if None in present:
        groups.append((None, UNKNOWN_UNIT_NAME))
    return mapping, groups


def _nice_width(span: float, integer: bool) -> float:
    raw = span / HISTOGRAM_TARGET_BINS if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 2.5, 5, 10):
        width = step * magnitude
        if width >= raw:
            break
    if integer:
        width = max(1.0, math.ceil(width))
    return float(width)


def format_number(value: float, locale: str = "vi") -> str:
    """Writes a number the way the locale does (vi: 1.234,5; en: 1,234.5)."""
    return format_decimal(value, format="#,##0.##", locale=locale)


def _histogram_rows(values: Counter[float], integer: bool, locale: str) -> list[ResultRow]:
    low, high = min(values), max(values)
    width = _nice_width(high - low, integer)
    start = math.floor(low / width) * width
    edges = [start]
    while edges[-1] + width <= high:
        edges.append(edges[-1] + width)
    total = sum(values.values())
    counts = [0] * len(edges)
    for number, count in values.items():
        index = min(int((number - start) // width), len(edges) - 1)
        counts[index] += count
    rows: list[ResultRow] = []
    for edge, count in zip(edges, counts, strict=True):
        if integer and width > 1:
            label = f"{format_number(edge, locale)}–{format_number(edge + width - 1, locale)}"
        elif integer:
            label = format_number(edge, locale)
        else:
            label = f"{format_number(edge, locale)} – <{format_number(edge + width, locale)}"
        rows.append(ResultRow(value=str(edge), label=label, cell=Cell(count, base=total)))
    return rows


def _weighted_median(values: Counter[float]) -> float:
    total = sum(values.values())
    ordered = sorted(values.items())
    middle = [(total - 1) // 2, total // 2]
    found: list[float] = []
    seen = 0
    for number, count in ordered:
        for index in middle[len(found) :]:
            if seen <= index < seen + count:
                found.append(number)
        seen += count
    return sum(found) / len(found)


def _choice_rows(question: dict[str, Any], counts: Counter[str], base: int) -> list[ResultRow]:
    if question["type"] == "multiple_choice":
        exploded: Counter[str] = Counter()
        for text, count in counts.items():
            for value in split_multiple(text):
                exploded[value] += count
        counts = exploded
    return [
        ResultRow(
            value=value, label=choice_label(question, value), cell=Cell(counts.get(value, 0), base=base)
        )
        for value in choice_values(question)
    ]


def _question_result(
    question: dict[str, Any], number: int, counts: Counter[str], locale: str
) -> QuestionResult:
    answered = sum(counts.values())
    kind = question["type"]
    if kind in CHOICE_LIKE_TYPES:
        return QuestionResult(question, number, "choices", answered, _choice_rows(question, counts, answered))
    if kind == "text":
        return QuestionResult(question, number, "text", answered)
    result = QuestionResult(question, number, "histogram", answered)
    if not answered:
        return result
    if kind == "date":
        years: Counter[str] = Counter()
        for text, count in counts.items():
            years[text[:4]] += count
        result.rows = [
            ResultRow(value=year, label=year, cell=Cell(years[year], base=answered)) for year in sorted(years)
        ]
        return result
    numbers: Counter[float] = Counter()
    for text, count in counts.items():
        numbers[float(text)] += count
    result.rows = _histogram_rows(numbers, bool(question.get("integer")), locale)
    result.mean = sum(number * count for number, count in numbers.items()) / answered
    result.median = _weighted_median(numbers)
    return result


def count_all_responses(session: Session, survey: Survey) -> int:
    """Returns how many responses a survey has in all (every unit, every status)."""
    return int(
        session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
        )
        or 0
    )


def _prefer_hash_joins(session: Session) -> None:
    """On PostgreSQL, turns nested loops off for the rest of the transaction.

    The results queries join every answer of a survey to a selection of responses. With stale
    statistics (a new survey on a big table, a bulk load before autovacuum) the planner
    believes the selection holds one row and loops over it per answer: minutes instead of a
    second. Hash joins stay linear whatever the estimates say.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("SET LOCAL enable_nestloop = off"))


def _answers_survey(session: Session, survey: Survey, answers: Any) -> list[ColumnElement[bool]]:  # noqa: ANN401
    """The "answers of this survey" test, on SQLite only.

    SQLite needs it to walk the (survey, question, value, response) index. PostgreSQL joins
    answers to the selected responses by the (response, question) key instead: given the
    survey id, a planner with stale statistics (a new survey on a big table) may loop over
    responses and rescan the survey's whole index range for each one.
    """
    return [answers.survey_id == survey.id] if session.get_bind().dialect.name == "sqlite" else []


def _answers_of(
    session: Session, survey: Survey, conditions: list[ColumnElement[bool]], respondents: int
) -> list[ColumnElement[bool]]:
    """Conditions selecting the answers of the selected responses.

    On SQLite, for a large share of the survey, the response test is written
    ``response_id + 0 IN (...)`` so SQLite walks the (survey, question, value) index in order
    and groups without sorting millions of rows; a small selection looks its answers up by
    response id instead. PostgreSQL plans a hash semi-join by itself and gets the plain test.
    """
    selected = select(SurveyResponse.id).where(*conditions)
    ordered_scan = (
        session.get_bind().dialect.name == "sqlite"
        and respondents > ORDERED_SCAN_FROM
        and respondents * ORDERED_SCAN_SHARE > count_all_responses(session, survey)
    )
    response_id = SurveyAnswer.response_id + 0 if ordered_scan else SurveyAnswer.response_id
    return [
        *_answers_survey(session, survey, SurveyAnswer),
        response_id.in_(selected),
        SurveyAnswer.value_text.is_not(None),
    ]


def read_results(
    *, session: Session, survey: Survey, scope: ResultsScope, filters: ResultsFilter, locale: str = "vi"
) -> SurveyResults:
    """Computes every question's table for the selected respondents.

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.
        filters: Status and answer filters.
        locale: Language of the histogram labels (``vi`` or ``en``).

    Returns:
        The results; ``suppressed`` (and no question) when fewer than 5 respondents are selected.
    """
    conditions = _response_conditions(survey, scope, filters)
    _prefer_hash_joins(session)
    respondents = int(
        session.scalar(select(func.count()).select_from(SurveyResponse).where(*conditions)) or 0
    )
    if respondents < MIN_GROUP:
        return SurveyResults(respondents, [])
    questions = questions_of(survey)
    counts: dict[str, Counter[str]] = {question["id"]: Counter() for question in questions}
    answers = _answers_of(session, survey, conditions, respondents)
    aggregated = [question["id"] for question in questions if question["type"] != "text"]
    rows = session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.value_text, func.count())
        .where(*answers, SurveyAnswer.question_id.in_(aggregated))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.value_text)
    )
    for question_id, text, count in rows:
        if question_id in counts:
            counts[question_id][text] += count
    for question in questions:
        if question["type"] == "text":
            answered = session.scalar(
                select(func.count())
                .select_from(SurveyAnswer)
                .where(*answers, SurveyAnswer.question_id == question["id"])
            )
            counts[question["id"]]["*"] = int(answered or 0)
    results = [
        _question_result(question, number, counts[question["id"]], locale)
        for number, question in enumerate(questions, start=1)
    ]
    return SurveyResults(respondents, results)


def read_unit_breakdown(
    *, session: Session, survey: Survey, scope: ResultsScope, filters: ResultsFilter, question_id: str
) -> UnitBreakdown | None:
    """Returns one choice-like question by unit group (the units right below the scope's root).

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.
        filters: Status and answer filters.
        question_id: A choice-like question.

    Returns:
        The breakdown, or None for an unknown or non-choice question.
    """
    question = _question_map(survey).get(question_id)
    if question is None or question["type"] not in CHOICE_LIKE_TYPES:
        return None
    conditions = _response_conditions(survey, scope, filters)
    _prefer_hash_joins(session)
    rows = session.execute(
        select(SurveyResponse.unit_id, SurveyAnswer.value_text, func.count())
        .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
        .where(
            *conditions,
            *_answers_survey(session, survey, SurveyAnswer),
            SurveyAnswer.question_id == question_id,
            SurveyAnswer.value_text.is_not(None),
        )
        .group_by(SurveyResponse.unit_id, SurveyAnswer.value_text)
    ).all()
    mapping, groups = _unit_groups(session, scope, {unit_id for unit_id, _, _ in rows})
    per_group: dict[int | None, Counter[str]] = defaultdict(Counter)
    for unit_id, text, count in rows:
        per_group[mapping.get(unit_id)][text] += count
    values = choice_values(question)
    breakdown_rows: list[BreakdownRow] = []
    for group, name in groups:
        counts = per_group.get(group, Counter())
        base = sum(counts.values())
        if not base:
            continue
        per_value = {row.value: row.cell.count for row in _choice_rows(question, counts, base)}
        breakdown_rows.append(
            BreakdownRow(name, Cell(base), [Cell(per_value[value], base=base) for value in values])
        )
    return UnitBreakdown(
        question, [(value, choice_label(question, value)) for value in values], breakdown_rows
    )


def read_crosstab(
    *,
    session: Session,
    survey: Survey,
    scope: ResultsScope,
    filters: ResultsFilter,
    row_question_id: str,
    column_question_id: str,
) -> CrossTab | None:
    """Crosses two choice-like questions over the selected respondents (row percentages).

    A respondent counts once in each pair of values they chose (multiple choice can add up to
    more than the total).

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.
        filters: Status and answer filters.
        row_question_id: The question whose choices are the rows.
        column_question_id: The question whose choices are the columns.

    Returns:
        The table, or None when a question is unknown, not choice-like, or both are the same.
    """
    questions = _question_map(survey)
    row_question, column_question = questions.get(row_question_id), questions.get(column_question_id)
    if (
        row_question is None
        or column_question is None
        or row_question_id == column_question_id
        or row_question["type"] not in CHOICE_LIKE_TYPES
        or column_question["type"] not in CHOICE_LIKE_TYPES
    ):
        return None
    first, second = aliased(SurveyAnswer), aliased(SurveyAnswer)
    conditions = _response_conditions(survey, scope, filters)
    _prefer_hash_joins(session)
    pairs = session.execute(
        select(first.value_text, second.value_text, func.count())
        .join(second, second.response_id == first.response_id)
        .join(SurveyResponse, SurveyResponse.id == first.response_id)
        .where(
            *conditions,
            *_answers_survey(session, survey, first),
            *_answers_survey(session, survey, second),
            first.question_id == row_question_id,
            second.question_id == column_question_id,
            first.value_text.is_not(None),
            second.value_text.is_not(None),
        )
        .group_by(first.value_text, second.value_text)
    ).all()

    def explode(question: dict[str, Any], text: str) -> list[str]:
        return split_multiple(text) if question["type"] == "multiple_choice" else [text]

    cells: Counter[tuple[str, str]] = Counter()
    row_totals: Counter[str] = Counter()
    column_totals: Counter[str] = Counter()
    total = 0
    for row_text, column_text, count in pairs:
        total += count
        row_values, column_values = explode(row_question, row_text), explode(column_question, column_text)
        for row_value in row_values:
            row_totals[row_value] += count
            for column_value in column_values:
                cells[(row_value, column_value)] += count
        for column_value in column_values:
            column_totals[column_value] += count
    columns = choice_values(column_question)
    rows = [
        BreakdownRow(
            choice_label(row_question, row_value),
            Cell(row_totals[row_value]),
            [Cell(cells[(row_value, column)], base=row_totals[row_value]) for column in columns],
        )
        for row_value in choice_values(row_question)
    ]
    return CrossTab(
        row_question,
        column_question,
        [(value, choice_label(column_question, value)) for value in columns],
        rows,
        [Cell(column_totals[column], base=total) for column in columns],
        total,
    )


def read_free_texts(
    *,
    session: Session,
    survey: Survey,
    scope: ResultsScope,
    filters: ResultsFilter,
    question_id: str,
    limit: int = FREE_TEXT_LIMIT,
) -> tuple[list[str], int]:
    """Returns free-text answers (alphabetical, so their order tells nothing) when at least 5.

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.
        filters: Status and answer filters.
        question_id: A text question.
        limit: At most this many texts.

    Returns:
        The texts (empty when fewer than 5 respondents answered) and how many there are.
    """
    conditions = _response_conditions(survey, scope, filters)
    _prefer_hash_joins(session)
    base = (
        select(SurveyAnswer.value_text)
        .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
        .where(
            *conditions,
            *_answers_survey(session, survey, SurveyAnswer),
            SurveyAnswer.question_id == question_id,
            SurveyAnswer.value_text.is_not(None),
        )
    )
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    if total < MIN_GROUP:
        return [], total
    texts = session.scalars(base.order_by(SurveyAnswer.value_text).limit(limit))
    return [text for text in texts if text], total


def _local_day_of(session: Session, column: Any) -> Any:  # noqa: ANN401 - SQL expressions
    """The Vietnamese calendar day of a UTC timestamp column, computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(column, "+7 hours")
    return func.date(func.timezone(VIETNAM_TIME.tzname(None), column))


def _as_date(value: Any) -> date:  # noqa: ANN401 - a date, or its ISO text from SQLite
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def read_progress(*, session: Session, survey: Survey, scope: ResultsScope) -> SurveyProgress:
    """Counts responses started and completed in scope, by unit group and by local day.

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.

    Returns:
        The progress (suppressed as a whole under 5 started responses).
    """
    conditions = _scope_conditions(survey, scope)
    per_unit = session.execute(
        select(SurveyResponse.unit_id, SurveyResponse.status, func.count())
        .where(*conditions)
        .group_by(SurveyResponse.unit_id, SurveyResponse.status)
    ).all()
    started = sum(count for _, _, count in per_unit)
    completed = sum(count for _, status, count in per_unit if status == RESPONSE_COMPLETED)
    if started < MIN_GROUP:
        return SurveyProgress(started, completed, [], [])
    mapping, groups = _unit_groups(session, scope, {unit_id for unit_id, _, _ in per_unit})
    started_by: Counter[int | None] = Counter()
    completed_by: Counter[int | None] = Counter()
    for unit_id, status, count in per_unit:
        group = mapping.get(unit_id)
        started_by[group] += count
        if status == RESPONSE_COMPLETED:
            completed_by[group] += count
    started_day = _local_day_of(session, SurveyResponse.started_at)
    completed_day = _local_day_of(session, SurveyResponse.completed_at)
    started_on = Counter(
        {
            _as_date(day): count
            for day, count in session.execute(
                select(started_day, func.count()).where(*conditions).group_by(started_day)
            )
        }
    )
    completed_on = Counter(
        {
            _as_date(day): count
            for day, count in session.execute(
                select(completed_day, func.count())
                .where(
                    *conditions,
                    SurveyResponse.status == RESPONSE_COMPLETED,
                    SurveyResponse.completed_at.is_not(None),
                )
                .group_by(completed_day)
            )
        }
    )
    by_unit = [
        ProgressRow(name, Cell(started_by[group]), Cell(completed_by[group], base=started_by[group]))
        for group, name in groups
        if started_by[group]
    ]
    days = sorted(set(started_on) | set(completed_on))
    by_day = [(day, Cell(started_on[day]), Cell(completed_on[day])) for day in days]
    return SurveyProgress(started, completed, by_unit, by_day)


def _local_day(moment: datetime) -> date:
    """The Vietnamese calendar day of a stored time (SQLite gives it back without a zone: UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM_TIME).date()


@dataclass(frozen=True)
class ExportRow:
    """One response as the raw sheet shows it (no member, no sender id, no exact time)."""

    unit_name: str
    status: str
    completed_on: date | None
    answers: dict[str, str | None]


def _shuffle_key(survey: Survey, response_id: int) -> str:
    """A keyed hash so exported rows follow neither arrival order nor any id."""
    return hashlib.sha256(f"{settings.secret_key}:{survey.id}:{response_id}".encode()).hexdigest()


SMALL_UNIT_TEXT = "(nhóm < 5)"


def iter_export_rows(
    *, session: Session, survey: Survey, scope: ResultsScope, filters: ResultsFilter
) -> Iterator[ExportRow]:
    """Yields the selected responses for the raw export, in a keyed-hash order.

    The unit is blanked to "(nhóm < 5)" for units with fewer than 5 exported responses.
    Nothing is yielded when fewer than 5 responses are selected.

    Args:
        session: An open session.
        survey: The survey.
        scope: Whose responses the viewer may count.
        filters: Status and answer filters.

    Yields:
        One row per response with the flat ``value_text`` of each answered question.
    """
    conditions = _response_conditions(survey, scope, filters)
    _prefer_hash_joins(session)
    responses = session.execute(
        select(
            SurveyResponse.id, SurveyResponse.unit_id, SurveyResponse.status, SurveyResponse.completed_at
        ).where(*conditions)
    ).all()
    if len(responses) < MIN_GROUP:
        return
    per_unit = Counter(row.unit_id for row in responses)
    names = {
        unit.id: unit.name
        for unit in session.scalars(
            select(Unit).where(Unit.id.in_([u for u in per_unit if u is not None] or [-1]))
        )
    }
    answers: dict[int, dict[str, str | None]] = defaultdict(dict)
    for response_id, question_id, text in session.execute(
        select(SurveyAnswer.response_id, SurveyAnswer.question_id, SurveyAnswer.value_text)
        .join(SurveyResponse, SurveyAnswer.response_id == SurveyResponse.id)
        .where(*conditions)
    ):
        answers[response_id][question_id] = text
    for row in sorted(responses, key=lambda item: _shuffle_key(survey, item.id)):
        if per_unit[row.unit_id] < MIN_GROUP:
            unit_name = SMALL_UNIT_TEXT
        else:
            unit_name = (
                names.get(row.unit_id, UNKNOWN_UNIT_NAME) if row.unit_id is not None else UNKNOWN_UNIT_NAME
            )
        yield ExportRow(
            unit_name=unit_name,
            status=row.status,
            completed_on=_local_day(row.completed_at) if row.completed_at is not None else None,
            answers=answers.get(row.id, {}),
        )
