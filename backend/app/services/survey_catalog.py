"""The survey catalogue: import, open/close, permissions, availability for a worker.

Lives here: ``import_survey`` (all or nothing; refuses to change questions once responses
exist), ``open_survey``/``close_survey`` (audited), the permission rules
(``can_view_survey``: admins, or staff whose subtree meets the survey's targets;
``can_manage_targets``: admins, or staff whose unit is at or above every target unit) and
``list_available_surveys`` for the bot. Must not talk HTTP nor parse survey files (see
``backend.app.surveys``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.app.models import Staff, Survey, SurveyResponse, Unit
from backend.app.models.survey import STATUS_CLOSED, STATUS_DRAFT, STATUS_OPEN
from backend.app.services.audit import record_audit
from backend.app.surveys import SurveyDefinition, compile_definition

VIETNAM_TIME = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")


class SurveyImportError(Exception):
    """A definition cannot be stored; ``location`` and ``reason`` (Vietnamese) say why."""

    def __init__(self, location: str, reason: str) -> None:
        super().__init__(f"{location}: {reason}")
        self.location = location
        self.reason = reason


@dataclass(frozen=True)
class ImportOutcome:
    """What ``import_survey`` did."""

    survey: Survey
    created: bool
    questions_changed: bool


def today_in_vietnam(now: datetime | None = None) -> date:
    """Returns today's date in Asia/Ho_Chi_Minh (UTC+7, no daylight saving).

    Args:
        now: The moment to convert (default: now).

    Returns:
        The local date.
    """
    return (now or datetime.now(UTC)).astimezone(VIETNAM_TIME).date()


def _optional_date(text: Any) -> date | None:  # noqa: ANN401 - a JSON value
    return date.fromisoformat(str(text)) if text else None


def find_survey(*, session: Session, slug: str) -> Survey | None:
    """Returns the survey with this slug (its ``id`` in the definition), or None."""
    return session.scalars(select(Survey).where(Survey.slug == slug)).first()


def count_responses(*, session: Session, survey: Survey) -> int:
    """Returns how many responses (started or completed) a survey has."""
    return int(
        session.scalar(
            select(func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
        )
        or 0
    )


def units_by_code(*, session: Session, codes: list[str]) -> dict[str, Unit]:
    """Returns the units with these codes, by code (unknown codes are absent)."""
    if not codes:
        return {}
    return {unit.code: unit for unit in session.scalars(select(Unit).where(Unit.code.in_(codes)))}


def _is_at_or_below(unit: Unit, ancestor_id: int) -> bool:
    return unit.id == ancestor_id or f"/{ancestor_id}/" in unit.path


def can_manage_targets(*, session: Session, staff: Staff, codes: list[str]) -> bool:
    """Tells whether a staff member may import, open or close a survey for these target units.

    Admins may always. A staff member may when the survey targets at least one unit and every
    target unit is their own unit or lies below it (a survey for everybody is for admins).

    Args:
        session: An open session.
        staff: The logged-in staff member.
        codes: The survey's target unit codes.

    Returns:
        True when allowed.
    """
    if staff.is_admin:
        return True
    if staff.unit_id is None or not codes:
        return False
    found = units_by_code(session=session, codes=codes)
    return len(found) == len(set(codes)) and all(
        _is_at_or_below(unit, staff.unit_id) for unit in found.values()
    )


def can_view_survey(*, session: Session, staff: Staff, survey: Survey) -> bool:
    """Tells whether a staff member may see a survey (its results stay scoped to their units).

    Args:
        session: An open session.
        staff: The logged-in staff member.
        survey: The survey.

    Returns:
        True for admins; for staff with a unit, when the survey is for everybody or one of its
        target units is above, at or below their unit.
    """
    if staff.is_admin:
        return True
    if staff.unit_id is None:
        return False
    if not survey.target_unit_codes:
        return True
    own = session.get(Unit, staff.unit_id)
    if own is None:
        return False
    for unit in units_by_code(session=session, codes=list(survey.target_unit_codes)).values():
        if _is_at_or_below(unit, own.id) or _is_at_or_below(own, unit.id):
            return True
    return False


def list_surveys(*, session: Session, staff: Staff) -> list[Survey]:
    """Returns the surveys a staff member may see, newest first."""
    surveys = session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()))
    return [survey for survey in surveys if can_view_survey(session=session, staff=staff, survey=survey)]


def _check_replacement(session: Session, existing: Survey, compiled: dict[str, Any]) -> bool:
    questions_changed = existing.compiled.get("questions") != compiled["questions"]
    new_version = int(compiled["version"])
    if new_version < existing.version:
        raise SurveyImportError(
            "version",
            f"Phiên bản (version) {new_version} thấp hơn phiên bản đang dùng ({existing.version}).",
        )
    if not questions_changed:
        return False
    if count_responses(session=session, survey=existing) > 0:
        raise SurveyImportError(
            "questions",
            "Khảo sát này đã có người trả lời nên không thể thay đổi câu hỏi. Anh/chị chỉ có thể "
            "sửa tiêu đề, lời giới thiệu, ngày mở/đóng, đơn vị; muốn đổi câu hỏi, hãy tạo khảo sát "
            "mới với mã (id) khác.",
        )
    if new_version == existing.version:
        raise SurveyImportError(
            "version",
            f"Câu hỏi đã thay đổi nên cần tăng phiên bản (version) lên lớn hơn {existing.version}.",
        )
    return True


def import_survey(
    *, session: Session, definition: SurveyDefinition, actor: Staff | None, open_now: bool = False
) -> ImportOutcome:
    """Stores a new survey or replaces the definition of an existing one (same ``id``).

    Nothing is written when a check fails. Replacing keeps the status and every response;
    changing the questions needs a higher version and is refused once responses exist.
    Audited as ``survey.import`` (and ``survey.open`` when opened now).

    Args:
        session: An open session inside the caller's transaction.
        definition: The validated definition (``backend.app.surveys.load_survey_file``).
        actor: Who imports (None for the command line).
        open_now: Open the survey right away.

    Returns:
        The survey and what changed.

    Raises:
        SurveyImportError: Unknown target unit codes, a lower version, changed questions
            without a higher version or after responses arrived.
    """
    compiled = compile_definition(definition)
    codes = [str(code) for code in compiled.get("target_units") or []]
    known = units_by_code(session=session, codes=codes)
    missing = [code for code in codes if code not in known]
    if missing:
        raise SurveyImportError(
            "target_units", f"Không có đơn vị công đoàn nào mang mã {', '.join(missing)}."
        )
    existing = find_survey(session=session, slug=str(compiled["id"]))
    now = datetime.now(UTC)
    questions_changed = True
    if existing is None:
        survey = Survey(
            slug=str(compiled["id"]), status=STATUS_DRAFT, created_by_id=actor.id if actor else None
        )
        session.add(survey)
    else:
        questions_changed = _check_replacement(session, existing, compiled)
        survey = existing
    survey.title = str(compiled["title"])[:255]
    survey.version = int(compiled["version"])
    survey.opens_on = _optional_date(compiled.get("opens"))
    survey.closes_on = _optional_date(compiled.get("closes"))
    survey.target_unit_codes = codes
    survey.definition = definition.model_dump(mode="json")
    survey.compiled = compiled
    survey.question_count = len(compiled["questions"])
    survey.updated_at = now
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action="survey.import",
        target_type="survey",
        target_id=survey.id,
        detail={
            "slug": survey.slug,
            "version": survey.version,
            "replaced": existing is not None,
            "questions_changed": questions_changed,
        },
    )
    if open_now and survey.status != STATUS_OPEN:
        open_survey(session=session, survey=survey, actor=actor)
    return ImportOutcome(survey=survey, created=existing is None, questions_changed=questions_changed)


def _set_status(session: Session, survey: Survey, status: str, actor: Staff | None) -> None:
    previous = survey.status
    survey.status = status
    survey.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(
        session=session,
        actor=actor,
        action=f"survey.{'open' if status == STATUS_OPEN else 'close'}",
        target_type="survey",
        target_id=survey.id,
        detail={"slug": survey.slug, "from": previous, "to": status},
    )


def open_survey(*, session: Session, survey: Survey, actor: Staff | None) -> None:
    """Opens a draft or closed survey to workers (audited as ``survey.open``).

    Args:
        session: An open session inside the caller's transaction.
        survey: The survey.
        actor: Who opens it (None for the command line).
    """
    if survey.status != STATUS_OPEN:
        _set_status(session, survey, STATUS_OPEN, actor)


def close_survey(*, session: Session, survey: Survey, actor: Staff | None) -> None:
    """Closes an open survey: no new worker starts it (audited as ``survey.close``).

    Args:
        session: An open session inside the caller's transaction.
        survey: The survey.
        actor: Who closes it.
    """
    if survey.status == STATUS_OPEN:
        _set_status(session, survey, STATUS_CLOSED, actor)


def is_open_on(survey: Survey, day: date) -> bool:
    """True when the survey is open and ``day`` lies within its opens/closes dates."""
    if survey.status != STATUS_OPEN:
        return False
    if survey.opens_on is not None and day < survey.opens_on:
        return False
    return survey.closes_on is None or day <= survey.closes_on


def is_for_unit(*, session: Session, survey: Survey, unit_id: int | None) -> bool:
    """Tells whether a worker of a unit is a target of the survey.

    Args:
        session: An open session.
        survey: The survey.
        unit_id: The worker's unit, or None when unknown (then every survey applies).

    Returns:
        True when the survey is for everybody, the unit is unknown, or the unit lies in the
        subtree of one of the target units.
    """
    if not survey.target_unit_codes or unit_id is None:
        return True
    unit = session.get(Unit, unit_id)
    if unit is None:
        return True
    targets = units_by_code(session=session, codes=list(survey.target_unit_codes)).values()
    return any(_is_at_or_below(unit, target.id) for target in targets)


def list_available_surveys(
    *, session: Session, unit_id: int | None, today: date | None = None
) -> list[Survey]:
    """Returns the surveys open today for a worker of a unit, oldest first.

    Args:
        session: An open session.
        unit_id: The worker's unit, or None when unknown.
        today: The local date (default: today in Vietnam).

    Returns:
        The surveys.
    """
    day = today or today_in_vietnam()
    surveys = session.scalars(
        select(Survey).where(Survey.status == STATUS_OPEN).order_by(Survey.created_at, Survey.id)
    )
    return [
        survey
        for survey in surveys
        if is_open_on(survey, day) and is_for_unit(session=session, survey=survey, unit_id=unit_id)
    ]
