"""The survey loop as a pure state machine: where a worker is, what comes next, what to record.

Lives here: ``Survey`` (a compiled definition, contract section 2, read defensively),
``Progress`` (one worker's place in one survey: status, current question, the questions asked
before it for "quay lại", answers, the per-(worker, survey) ``seq`` counter) and
``SurveyState`` (everything the ``survey_progress`` slot holds, to and from JSON), plus the
steps: consent, answer, skip, back, pause, resume, a new version of the definition, and the
clean-up at completion. Each step returns the new progress and the answers to post, each with
its own seq. Must not do I/O, send messages or know about Rasa: the actions do that.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from actions.survey.expressions import ExpressionError, evaluate_expression

__all__ = [
    "ANSWERING",
    "COMPLETED",
    "CLOSED",
    "CONSENT",
    "DECLINED",
    "PAUSED",
    "DefinitionError",
    "Progress",
    "Recorded",
    "StepResult",
    "Survey",
    "SurveyState",
    "accept_consent",
    "answer_count",
    "check_constraint",
    "go_back",
    "is_relevant",
    "new_progress",
    "next_question_id",
    "pause",
    "position",
    "record_answer",
    "resume",
    "skip_question",
    "upgrade_progress",
]

logger = logging.getLogger(__name__)

CONSENT = "consent"
"""Asked to take part; nothing recorded yet."""
ANSWERING = "answering"
"""Consented; ``current`` is the question being asked."""
PAUSED = "paused"
"""Stopped by "tạm dừng" (or an outage); resumed at ``current`` by the next "khảo sát"."""
COMPLETED = "completed"
"""Every relevant question answered or skipped; the completion has been posted."""
DECLINED = "declined"
"""Said no to the consent question; nothing was stored."""
CLOSED = "closed"
"""The survey closed before the worker finished; what was answered stays with the backend."""
OPEN_STATUSES = frozenset({CONSENT, ANSWERING, PAUSED})
"""Statuses of a survey the worker can still go on with."""


class DefinitionError(ValueError):
    """A compiled definition lacks what the loop needs (id, version, questions)."""


@dataclass(frozen=True)
class Survey:
    """A compiled survey definition, ready for the loop. Questions are in asking order."""

    id: str
    version: int
    title: str
    intro: str
    consent: str
    anonymous: bool
    opens: str | None
    closes: str | None
    sections: dict[str, str]
    questions: tuple[dict[str, Any], ...]

    @classmethod
    def from_json(cls, data: Any) -> Survey:
        """Reads a compiled definition (contract section 2).

        Args:
            data: The parsed JSON of ``GET /api/bot/surveys/{id}``.

        Returns:
            The survey.

        Raises:
            DefinitionError: When id, version or a usable question list is missing.
        """
        if not isinstance(data, Mapping):
            raise DefinitionError("definition is not an object")
        survey_id, version = data.get("id"), data.get("version")
        if not isinstance(survey_id, str) or not survey_id:
            raise DefinitionError("definition has no id")
        if not isinstance(version, int) or isinstance(version, bool):
            raise DefinitionError("definition has no integer version")
        questions = data.get("questions")
        if not isinstance(questions, list) or not questions:
            raise DefinitionError("definition has no questions")
        for question in questions:
            if not isinstance(question, Mapping) or not question.get("id") or not question.get("type"):
                raise DefinitionError(f"question without id or type: {question!r}")
        sections = {
            str(section.get("id")): str(section.get("title") or "")
            for section in data.get("sections") or []
            if isinstance(section, Mapping)
        }
        return cls(
            id=survey_id,
            version=version,
            title=str(data.get("title") or survey_id),
            intro=str(data.get("intro") or ""),
            consent=str(data.get("consent") or ""),
            anonymous=bool(data.get("anonymous", True)),
            opens=data.get("opens") or None,
            closes=data.get("closes") or None,
            sections=sections,
            questions=tuple(dict(question) for question in questions),
        )

    def question(self, question_id: str | None) -> dict[str, Any] | None:
        """Returns the question with this id, or None."""
        return next((q for q in self.questions if q["id"] == question_id), None)

    def index_of(self, question_id: str | None) -> int:
        """Returns the 0-based position of a question, -1 when unknown."""
        return next((i for i, q in enumerate(self.questions) if q["id"] == question_id), -1)

    def is_closed_on(self, today: date) -> bool:
        """Tells whether the survey's closing date has passed on ``today``."""
        return bool(self.closes) and str(self.closes) < today.isoformat()


@dataclass(frozen=True)
class Progress:
    """One worker's place in one survey.

    Attributes:
        survey_id: The survey.
        version: The definition version the answers belong to.
        status: One of CONSENT, ANSWERING, PAUSED, COMPLETED, DECLINED, CLOSED.
        current: The question being asked (ANSWERING/PAUSED), else None.
        history: Questions asked before ``current``, oldest first ("quay lại" pops one).
        answers: Question id → value (None = skipped).
        seq: The last seq used for this (worker, survey); the next answer gets seq + 1.
        unit_code: The unit of the invitation link the survey was started from, if any.
        consented: Whether the worker agreed to take part.
    """

    survey_id: str
    version: int
    status: str = CONSENT
    current: str | None = None
    history: tuple[str, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    seq: int = 0
    unit_code: str | None = None
    consented: bool = False

    def to_json(self) -> dict[str, Any]:
        """Returns the progress as plain JSON (for the tracker slot)."""
        return {
            "survey_id": self.survey_id,
            "version": self.version,
            "status": self.status,
            "current": self.current,
            "history": list(self.history),
            "answers": dict(self.answers),
            "seq": self.seq,
            "unit_code": self.unit_code,
            "consented": self.consented,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Progress:
        """Rebuilds a progress saved with ``to_json``.

        Args:
            data: The saved object.

        Returns:
            The progress.
        """
        return cls(
            survey_id=str(data["survey_id"]),
            version=int(data.get("version") or 0),
            status=str(data.get("status") or CONSENT),
            current=data.get("current") or None,
            history=tuple(str(q) for q in data.get("history") or ()),
            answers=dict(data.get("answers") or {}),
            seq=int(data.get("seq") or 0),
            unit_code=data.get("unit_code") or None,
            consented=bool(data.get("consented")),
        )


@dataclass(frozen=True)
class SurveyState:
    """Everything the ``survey_progress`` slot holds.

    Attributes:
        active: The survey the form is working on (None while choosing or idle).
        offer: Surveys offered for choice ({"id", "title", "status"}), when several are open.
        ended: What the last form run ended with, for ``action_survey_finish``: "completed",
            "paused", "declined", "closed", "unavailable" or None.
        ended_survey: The survey that ``ended`` is about.
        progress: Survey id → the worker's progress in it.
    """

    active: str | None = None
    offer: tuple[dict[str, Any], ...] = ()
    ended: str | None = None
    ended_survey: str | None = None
    progress: dict[str, Progress] = field(default_factory=dict)

    @property
    def stage(self) -> str | None:
        """What the form is waiting for: "choose", "consent", "question" or None."""
        if self.active is None:
            return "choose" if self.offer else None
        current = self.progress.get(self.active)
        if current is None:
            return None
        if current.status == CONSENT:
            return "consent"
        return "question" if current.status == ANSWERING else None

    def with_progress(self, progress: Progress) -> SurveyState:
        """Returns a copy holding this progress (replacing the survey's previous one)."""
        return replace(self, progress={**self.progress, progress.survey_id: progress})

    def to_json(self) -> dict[str, Any]:
        """Returns the state as plain JSON (the slot value)."""
        return {
            "active": self.active,
            "offer": [dict(item) for item in self.offer],
            "ended": self.ended,
            "ended_survey": self.ended_survey,
            "progress": {key: value.to_json() for key, value in self.progress.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> SurveyState:
        """Reads the slot value; anything unreadable gives an empty state.

        Args:
            data: The ``survey_progress`` slot value (None when never set).

        Returns:
            The state.
        """
        if not isinstance(data, Mapping):
            return cls()
        try:
            progress = {
                str(key): Progress.from_json(value)
                for key, value in (data.get("progress") or {}).items()
                if isinstance(value, Mapping)
            }
            return cls(
                active=data.get("active") or None,
                offer=tuple(dict(item) for item in data.get("offer") or () if isinstance(item, Mapping)),
                ended=data.get("ended") or None,
                ended_survey=data.get("ended_survey") or None,
                progress=progress,
            )
        except (KeyError, TypeError, ValueError):
            logger.warning("unreadable survey_progress slot, starting afresh: %r", data)
            return cls()


@dataclass(frozen=True)
class Recorded:
    """One answer to post: question, value (None = skipped/cleared) and its seq."""

    question_id: str
    value: Any
    seq: int


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step of the loop.

    Attributes:
        progress: The new progress.
        recorded: Answers to post, in order.
        error: Why the step was refused ("required", "at_start"), else None.
        completed: Whether the survey has just been completed.
    """

    progress: Progress
    recorded: tuple[Recorded, ...] = ()
    error: str | None = None
    completed: bool = False


def is_relevant(question: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """Tells whether a question is asked, given the answers so far.

    Args:
        question: The compiled question.
        answers: Question id → value.

    Returns:
        True when it has no ``relevant`` condition or the condition holds; an AST the
        evaluator does not understand counts as relevant (the question is asked).
    """
    condition = question.get("relevant")
    if not condition:
        return True
    try:
        return evaluate_expression(condition, answers)
    except ExpressionError:
        logger.warning("relevant of %s not understood, asking it: %r", question.get("id"), condition)
        return True


def check_constraint(question: Mapping[str, Any], value: Any, answers: Mapping[str, Any]) -> bool:
    """Tells whether an answer satisfies the question's ``constraint``.

    Args:
        question: The compiled question.
        value: The answer (``.`` in the expression).
        answers: The other answers so far.

    Returns:
        True when there is no constraint, it holds, or it cannot be evaluated.
    """
    condition = question.get("constraint")
    if not condition or value is None:
        return True
    try:
        return evaluate_expression(condition, answers, self_value=value)
    except ExpressionError:
        logger.warning("constraint of %s not understood, accepting: %r", question.get("id"), condition)
        return True


def next_question_id(survey: Survey, answers: Mapping[str, Any], after: str | None) -> str | None:
    """Finds the next relevant question after ``after`` (the first one when None).

    Args:
        survey: The survey.
        answers: The answers so far.
        after: The question just left, or None.

    Returns:
        The question id, or None when the survey is done.
    """
    start = survey.index_of(after) + 1 if after else 0
    for question in survey.questions[start:]:
        if is_relevant(question, answers):
            return str(question["id"])
    return None


def position(survey: Survey, question_id: str | None) -> tuple[int, int]:
    """Returns (k, N) for "Câu k/N": the question's number and the number of questions."""
    return survey.index_of(question_id) + 1, len(survey.questions)


def new_progress(survey: Survey, seq_start: int = 0, unit_code: str | None = None) -> Progress:
    """Starts a survey for a worker (the consent question comes first).

    Args:
        survey: The survey.
        seq_start: The seq to continue from (see ``actions.survey.actions`` for restarts).
        unit_code: The unit of the invitation link, if any.

    Returns:
        A progress in CONSENT.
    """
    return Progress(survey.id, survey.version, CONSENT, seq=seq_start, unit_code=unit_code)


def _finish(progress: Progress, survey: Survey, recorded: list[Recorded]) -> StepResult:
    """Clears answers that skip logic made irrelevant, then marks the survey completed."""
    kept: dict[str, Any] = {}
    seq = progress.seq
    for question in survey.questions:
        question_id = str(question["id"])
        if question_id not in progress.answers:
            continue
        if is_relevant(question, kept):
            kept[question_id] = progress.answers[question_id]
        elif progress.answers[question_id] is not None:
            seq += 1
            recorded.append(Recorded(question_id, None, seq))
    done = replace(progress, status=COMPLETED, current=None, answers=kept, seq=seq)
    return StepResult(done, tuple(recorded), completed=True)


def _advance(progress: Progress, survey: Survey, recorded: list[Recorded]) -> StepResult:
    following = next_question_id(survey, progress.answers, progress.current)
    history = (*progress.history, progress.current) if progress.current else progress.history
    moved = replace(progress, current=following, history=history)
    if following is None:
        return _finish(moved, survey, recorded)
    return StepResult(moved, tuple(recorded))


def accept_consent(progress: Progress, survey: Survey) -> StepResult:
    """The worker agreed: go to the first relevant question.

    Args:
        progress: The progress in CONSENT.
        survey: The survey.

    Returns:
        The step (completed at once for a survey whose questions are all irrelevant).
    """
    started = replace(progress, status=ANSWERING, consented=True, current=None, history=())
    first = next_question_id(survey, started.answers, None)
    if first is None:
        return _finish(started, survey, [])
    return StepResult(replace(started, current=first))


def record_answer(progress: Progress, survey: Survey, value: Any) -> StepResult:
    """Records the answer to the current question and moves to the next relevant one.

    Args:
        progress: The progress (ANSWERING).
        survey: The survey.
        value: The parsed, constraint-checked value.

    Returns:
        The step with the answer to post (and, at the end, cleared irrelevant answers).
    """
    question_id = str(progress.current)
    seq = progress.seq + 1
    answered = replace(progress, answers={**progress.answers, question_id: value}, seq=seq)
    return _advance(answered, survey, [Recorded(question_id, value, seq)])


def skip_question(progress: Progress, survey: Survey) -> StepResult:
    """Skips the current question when it is optional ("bỏ qua").

    Args:
        progress: The progress (ANSWERING).
        survey: The survey.

    Returns:
        The step, or an unchanged progress with error "required".
    """
    question = survey.question(progress.current) or {}
    if question.get("required", True):
        return StepResult(progress, error="required")
    return record_answer(progress, survey, None)


def go_back(progress: Progress, survey: Survey) -> StepResult:
    """Goes back one question ("quay lại"); its earlier answer is kept until re-answered.

    Args:
        progress: The progress (ANSWERING).
        survey: The survey.

    Returns:
        The step, or an unchanged progress with error "at_start" on the first question.
    """
    history = [q for q in progress.history if survey.question(q) is not None]
    if not history:
        return StepResult(progress, error="at_start")
    previous = history.pop()
    return StepResult(replace(progress, current=previous, history=tuple(history)))


def pause(progress: Progress) -> Progress:
    """Pauses an unfinished survey ("tạm dừng"); the consent question stays pending if unanswered."""
    if progress.status == ANSWERING:
        return replace(progress, status=PAUSED)
    return progress


def resume(progress: Progress, survey: Survey) -> Progress:
    """Resumes a paused survey at the question where it stopped (consent first if never given).

    Args:
        progress: A progress in PAUSED, CONSENT or ANSWERING.
        survey: The survey (possibly a newer version: see ``upgrade_progress``).

    Returns:
        The progress in ANSWERING (or CONSENT).
    """
    upgraded = upgrade_progress(progress, survey)
    if not upgraded.consented:
        return replace(upgraded, status=CONSENT)
    if upgraded.current is None:
        upgraded = replace(upgraded, current=_first_unanswered(survey, upgraded.answers))
    return replace(upgraded, status=ANSWERING)


def _first_unanswered(survey: Survey, answers: Mapping[str, Any]) -> str | None:
    for question in survey.questions:
        if str(question["id"]) not in answers and is_relevant(question, answers):
            return str(question["id"])
    return None


def upgrade_progress(progress: Progress, survey: Survey) -> Progress:
    """Moves a progress to the survey's current version, keeping the answers that still apply.

    Args:
        progress: The progress, possibly made against an older version.
        survey: The current definition.

    Returns:
        The progress on ``survey.version``: answers to removed questions dropped, and the
        current question moved to the first unanswered relevant one if it was removed.
    """
    if progress.version == survey.version:
        return progress
    answers = {q: v for q, v in progress.answers.items() if survey.question(q) is not None}
    history = tuple(q for q in progress.history if survey.question(q) is not None)
    current = progress.current if survey.question(progress.current) is not None else None
    if current is None and progress.current is not None:
        current = _first_unanswered(survey, answers)
    return replace(progress, version=survey.version, answers=answers, history=history, current=current)


def answer_count(progress: Progress) -> int:
    """Counts the answered (not skipped) questions, for the completion call."""
    return sum(value is not None for value in progress.answers.values())
