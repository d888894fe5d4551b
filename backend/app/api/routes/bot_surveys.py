"""The survey API of the action server (service token only; contract section 3).

GET /api/bot/surveys and /api/bot/surveys/{id} give the open surveys and a compiled
definition; POST /api/ingest/survey-answers, /survey-completions and /member-unit apply the
bot's outbox calls once per ``Idempotency-Key``. Handlers stay thin: services/survey_*.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.app.api.deps import IdempotencyKey, ServiceTokenDep, SessionDep
from backend.app.models.survey import STATUS_DRAFT
from backend.app.services.survey_catalog import find_survey, list_available_surveys
from backend.app.services.survey_ingest import (
    IngestError,
    find_member,
    ingest_answer,
    ingest_completion,
    ingest_member_unit,
    response_status_for,
)
from backend.app.services.survey_schemas import (
    BotSurveyPublic,
    BotSurveysPublic,
    IngestResultPublic,
    MemberUnitIn,
    MemberUnitPublic,
    SurveyAnswerIn,
    SurveyCompletionIn,
)

router = APIRouter(tags=["bot-surveys"])
Result = TypeVar("Result")


def _apply_once(session: Session, apply: Callable[[], Result]) -> Result:
    """Runs ``apply`` in a transaction, once more when a racing delivery won the insert."""
    try:
        try:
            with session.begin():
                return apply()
        except IntegrityError:
            with session.begin():
                return apply()
    except IngestError as error:
        raise HTTPException(error.status_code, detail=error.detail) from error


@router.get("/api/bot/surveys")
def read_bot_surveys(
    session: SessionDep,
    _: ServiceTokenDep,
    channel: Annotated[str, Query(min_length=1, max_length=32)],
    sender_id: Annotated[str, Query(min_length=1, max_length=255)],
) -> BotSurveysPublic:
    """Lists the surveys open now for a worker, with that worker's progress in each."""
    member = find_member(session=session, channel=channel, sender_id=sender_id)
    surveys = list_available_surveys(session=session, unit_id=member.unit_id if member else None)
    return BotSurveysPublic(
        surveys=[
            BotSurveyPublic(
                id=survey.slug,
                version=survey.version,
                title=survey.title,
                question_count=survey.question_count,
                status=response_status_for(session=session, survey=survey, member=member),  # type: ignore[arg-type]
            )
            for survey in surveys
        ]
    )


@router.get("/api/bot/surveys/{survey_id}")
def read_bot_survey(survey_id: str, session: SessionDep, _: ServiceTokenDep) -> dict[str, Any]:
    """Returns the compiled definition of a survey's current version (also when closed)."""
    survey = find_survey(session=session, slug=survey_id)
    if survey is None or survey.status == STATUS_DRAFT:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unknown survey")
    return dict(survey.compiled)


@router.post("/api/ingest/survey-answers", status_code=status.HTTP_201_CREATED)
def create_survey_answer(
    answer_in: SurveyAnswerIn,
    session: SessionDep,
    _: ServiceTokenDep,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> IngestResultPublic:
    """Stores one answer (201); the same key again or a stale ``seq`` changes nothing (200)."""
    outcome = _apply_once(
        session, lambda: ingest_answer(session=session, answer_in=answer_in, idempotency_key=idempotency_key)
    )
    if outcome.result != "stored":
        response.status_code = status.HTTP_200_OK
    return IngestResultPublic(result=outcome.result, response_status=outcome.response_status)  # type: ignore[arg-type]


@router.post("/api/ingest/survey-completions", status_code=status.HTTP_201_CREATED)
def create_survey_completion(
    completion_in: SurveyCompletionIn,
    session: SessionDep,
    _: ServiceTokenDep,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> IngestResultPublic:
    """Marks the worker's response completed (201; the same key again: 200)."""
    outcome = _apply_once(
        session,
        lambda: ingest_completion(
            session=session, completion_in=completion_in, idempotency_key=idempotency_key
        ),
    )
    if outcome.result != "stored":
        response.status_code = status.HTTP_200_OK
    return IngestResultPublic(result=outcome.result, response_status=outcome.response_status)  # type: ignore[arg-type]


@router.post("/api/ingest/member-unit")
def update_member_unit(
    member_unit_in: MemberUnitIn,
    session: SessionDep,
    _: ServiceTokenDep,
    idempotency_key: IdempotencyKey,
) -> MemberUnitPublic:
    """Attaches a worker to the union unit of an invitation link (once per key)."""
    result = _apply_once(
        session,
        lambda: ingest_member_unit(
            session=session, member_unit_in=member_unit_in, idempotency_key=idempotency_key
        ),
    )
    return MemberUnitPublic(result=result, unit_code=member_unit_in.unit_code)  # type: ignore[arg-type]
