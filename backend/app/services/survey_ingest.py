"""Applying the action server's survey calls exactly once: answers, completions, member units.

Lives here: ``ingest_answer`` (idempotency key applies once; per question the answer with the
highest ``seq`` wins; no answer after completion), ``ingest_completion``, ``ingest_member_unit``
and ``response_status_for``. Workers are members found by pseudonym (``derive_pseudonym``);
the platform sender id is never stored. Must not talk HTTP nor commit: callers own the
transaction and retry once on an integrity error (two deliveries racing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.app.models import Survey, SurveyAnswer, SurveyIngestKey, SurveyResponse, Unit
from backend.app.models.member import Member
from backend.app.models.survey import RESPONSE_COMPLETED, RESPONSE_IN_PROGRESS, STATUS_DRAFT
from backend.app.services.event_ingest import assign_member_unit, derive_pseudonym
from backend.app.services.survey_catalog import VIETNAM_TIME, find_survey
from backend.app.services.survey_schemas import MemberUnitIn, SurveyAnswerIn, SurveyCompletionIn
from backend.app.services.survey_values import AnswerValueError, normalise_answer, value_to_text

KIND_ANSWER = "answer"
KIND_COMPLETION = "completion"
KIND_MEMBER_UNIT = "member_unit"


class IngestError(Exception):
    """A call that cannot be applied: ``status_code`` 404, 409 or 422 with a short detail."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class IngestOutcome:
    """``result``: ``stored``, ``duplicate`` (key seen before) or ``stale`` (a lower seq)."""

    result: str
    response_status: str | None = None


def _in_utc(moment: datetime) -> datetime:
    """Stores times in UTC; times without a zone are Vietnamese local times, as the bot writes them."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM_TIME)
    return aware.astimezone(UTC)


def _seen_key(session: Session, key: str) -> SurveyIngestKey | None:
    return session.get(SurveyIngestKey, key)


def _remember_key(session: Session, key: str, kind: str, response: SurveyResponse | None) -> None:
    session.add(SurveyIngestKey(key=key, kind=kind, response_id=response.id if response else None))
    session.flush()


def find_member(*, session: Session, channel: str, sender_id: str) -> Member | None:
    """Returns the member behind a platform id, or None when the backend never saw them."""
    pseudonym = derive_pseudonym(channel, sender_id)
    return session.scalars(select(Member).where(Member.pseudonym == pseudonym)).first()


def _find_or_create_member(session: Session, channel: str, sender_id: str) -> Member:
    member = find_member(session=session, channel=channel, sender_id=sender_id)
    if member is None:
        member = Member(channel=channel, pseudonym=derive_pseudonym(channel, sender_id))
        session.add(member)
        session.flush()
    return member


def _live_survey(session: Session, slug: str) -> Survey:
    survey = find_survey(session=session, slug=slug)
    if survey is None or survey.status == STATUS_DRAFT:
        raise IngestError(404, "unknown survey")
    return survey


def _find_response(session: Session, survey: Survey, member: Member) -> SurveyResponse | None:
    return session.scalars(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id, SurveyResponse.member_id == member.id
        )
    ).first()


def _start_response(
    session: Session, survey: Survey, member: Member, *, version: int, at: datetime, unit_code: str | None
) -> SurveyResponse:
    unit_id = member.unit_id
    if unit_code:
        unit = session.scalars(select(Unit).where(Unit.code == unit_code)).first()
        if unit is not None:
            unit_id = unit.id
    response = SurveyResponse(
        survey_id=survey.id,
        member_id=member.id,
        unit_id=unit_id,
        survey_version=version,
        status=RESPONSE_IN_PROGRESS,
        started_at=at,
        updated_at=datetime.now(UTC),
    )
    session.add(response)
    session.flush()
    return response


def _question(survey: Survey, question_id: str) -> dict[str, Any]:
    for question in survey.compiled.get("questions") or []:
        if question["id"] == question_id:
            return dict(question)
    raise IngestError(404, "unknown question")


def ingest_answer(*, session: Session, answer_in: SurveyAnswerIn, idempotency_key: str) -> IngestOutcome:
    """Stores one answer unless its key was applied before or a higher ``seq`` is stored.

    The first answer starts the worker's response (unit = the member's unit at that moment,
    or the unit of ``unit_code`` when given and known). A null value records a skip/clear.

    Args:
        session: An open session inside the caller's transaction.
        answer_in: The answer as the bot sent it.
        idempotency_key: The call's key.

    Returns:
        ``stored``, ``duplicate`` or ``stale``, with the response's status.

    Raises:
        IngestError: 404 unknown survey or question, 409 response already completed,
            422 a value that does not fit the question.
    """
    seen = _seen_key(session, idempotency_key)
    if seen is not None:
        response = session.get(SurveyResponse, seen.response_id) if seen.response_id else None
        return IngestOutcome("duplicate", response.status if response else None)
    survey = _live_survey(session, answer_in.survey_id)
    question = _question(survey, answer_in.question_id)
    try:
        value = normalise_answer(question, answer_in.value)
    except AnswerValueError as error:
        raise IngestError(422, f"invalid value for {question['id']}: {error.reason}") from error
    member = _find_or_create_member(session, answer_in.channel, answer_in.sender_id)
    response = _find_response(session, survey, member)
    if response is not None and response.status == RESPONSE_COMPLETED:
        raise IngestError(409, "the response is already completed")
    answered_at = _in_utc(answer_in.answered_at)
    if response is None:
        response = _start_response(
            session,
            survey,
            member,
            version=answer_in.survey_version,
            at=answered_at,
            unit_code=answer_in.unit_code,
        )
    stored = session.scalars(
        select(SurveyAnswer).where(
            SurveyAnswer.response_id == response.id, SurveyAnswer.question_id == question["id"]
        )
    ).first()
    result = "stored"
    if stored is None:
        session.add(
            SurveyAnswer(
                survey_id=survey.id,
                response_id=response.id,
                question_id=question["id"],
                value=value,
                value_text=value_to_text(value),
                seq=answer_in.seq,
                answered_at=answered_at,
            )
        )
    elif stored.seq < answer_in.seq:
        stored.value = value
        stored.value_text = value_to_text(value)
        stored.seq = answer_in.seq
        stored.answered_at = answered_at
    else:
        result = "stale"
    response.updated_at = datetime.now(UTC)
    _remember_key(session, idempotency_key, KIND_ANSWER, response)
    return IngestOutcome(result, response.status)


def ingest_completion(
    *, session: Session, completion_in: SurveyCompletionIn, idempotency_key: str
) -> IngestOutcome:
    """Marks the worker's response completed (once).

    Args:
        session: An open session inside the caller's transaction.
        completion_in: The completion as the bot sent it.
        idempotency_key: The call's key.

    Returns:
        ``stored`` or ``duplicate``.

    Raises:
        IngestError: 404 unknown survey, 409 already completed under another key.
    """
    seen = _seen_key(session, idempotency_key)
    if seen is not None:
        return IngestOutcome("duplicate", RESPONSE_COMPLETED)
    survey = _live_survey(session, completion_in.survey_id)
    member = _find_or_create_member(session, completion_in.channel, completion_in.sender_id)
    completed_at = _in_utc(completion_in.completed_at)
    response = _find_response(session, survey, member)
    if response is None:
        response = _start_response(
            session, survey, member, version=completion_in.survey_version, at=completed_at, unit_code=None
        )
    if response.status == RESPONSE_COMPLETED:
        raise IngestError(409, "the response is already completed")
    response.status = RESPONSE_COMPLETED
    response.completed_at = completed_at
    response.updated_at = datetime.now(UTC)
    _remember_key(session, idempotency_key, KIND_COMPLETION, response)
    return IngestOutcome("stored", RESPONSE_COMPLETED)


def ingest_member_unit(*, session: Session, member_unit_in: MemberUnitIn, idempotency_key: str) -> str:
    """Attaches a worker to the unit of an invitation link (once per key).

    Args:
        session: An open session inside the caller's transaction.
        member_unit_in: Channel, sender id and unit code.
        idempotency_key: The call's key.

    Returns:
        ``stored`` or ``duplicate``.

    Raises:
        IngestError: 404 when no unit has that code.
    """
    if _seen_key(session, idempotency_key) is not None:
        return "duplicate"
    unit = session.scalars(select(Unit).where(Unit.code == member_unit_in.unit_code)).first()
    if unit is None:
        raise IngestError(404, "unknown unit code")
    assign_member_unit(
        session, channel=member_unit_in.channel, sender_id=member_unit_in.sender_id, unit_id=unit.id
    )
    _remember_key(session, idempotency_key, KIND_MEMBER_UNIT, None)
    return "stored"


def response_status_for(*, session: Session, survey: Survey, member: Member | None) -> str:
    """Returns ``not_started``, ``in_progress`` or ``completed`` for a worker and a survey."""
    if member is None:
        return "not_started"
    response = _find_response(session, survey, member)
    return response.status if response is not None else "not_started"
