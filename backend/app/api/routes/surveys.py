"""Survey pages for staff under /admin/surveys.

List and upload, detail with progress and open/close, results with filters, breakdown by
unit and cross-tabulation, downloads.

Who may do what: every page needs a logged-in staff member; a survey is visible to admins and
to staff whose unit subtree meets its target units, and its numbers are always limited to the
viewer's own subtree. Importing, opening and closing are for admins and for staff at or above
every target unit (a survey for everybody is for admins). Handlers stay thin: the rules live
in services/survey_*.py; texts are masked for non-admins here, at the edge.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from backend.app.api.deps import CsrfProtected, CurrentStaff, SessionDep
from backend.app.core.i18n import gettext_for, language_of, render_page
from backend.app.models import Staff, Survey, Unit
from backend.app.services.audit import record_audit
from backend.app.services.masking import mask_for_viewer
from backend.app.services.scope import visible_unit_ids
from backend.app.services.survey_catalog import (
    SurveyImportError,
    can_manage_targets,
    can_view_survey,
    close_survey,
    find_survey,
    import_survey,
    list_surveys,
    open_survey,
    today_in_vietnam,
    units_by_code,
)
from backend.app.services.survey_charts import (
    crosstab_chart,
    progress_chart,
    question_chart,
    unit_breakdown_chart,
)
from backend.app.services.survey_export import build_csv, build_xlsx
from backend.app.services.survey_results import (
    ResultsFilter,
    ResultsScope,
    clean_answer_filters,
    format_number,
    iter_export_rows,
    questions_of,
    read_crosstab,
    read_free_texts,
    read_progress,
    read_results,
    read_unit_breakdown,
    resolve_scope,
)
from backend.app.services.survey_suppression import SUPPRESSED_TEXT, Cell
from backend.app.services.survey_values import CHOICE_LIKE_TYPES, choice_label, choice_values
from backend.app.surveys import (
    SurveyDefinition,
    SurveyFileError,
    export_xlsform,
    export_yaml,
    load_survey_file,
)

router = APIRouter(prefix="/admin/surveys", tags=["surveys"])
MAX_UPLOAD_BYTES = 2_000_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def N_(message: str) -> str:  # noqa: N802 - the usual gettext marker name
    """Marks a string for extraction; it is translated where it is shown."""
    return message


NOTICES = {
    "imported": N_("The survey was imported."),
    "opened": N_("The survey is open: workers can answer it in the chat."),
    "closed": N_("The survey is closed: no new worker can start it."),
}


def _viewable_survey(session: SessionDep, staff: Staff, slug: str) -> Survey:
    survey = find_survey(session=session, slug=slug)
    if survey is None or not can_view_survey(session=session, staff=staff, survey=survey):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="survey not found")
    return survey


def _formatters(request: Request) -> dict[str, Any]:
    """Number helpers for templates, in the page's language; suppressed cells read "<5"."""
    locale = language_of(request)

    def count(cell: Cell) -> str:
        return SUPPRESSED_TEXT if cell.suppressed else format_decimal(cell.count, locale=locale)

    def percent(cell: Cell) -> str:
        share = cell.percent
        return "" if share is None else format_decimal(share, format="#,##0.0", locale=locale) + "%"

    def number(value: float | None) -> str:
        return "" if value is None else format_number(value, locale)

    def day(value: date | None) -> str:
        return "" if value is None else format_date(value, format="short", locale=locale)

    return {"fmt_count": count, "fmt_percent": percent, "fmt_number": number, "fmt_date": day}


def _visible_units(session: SessionDep, staff: Staff) -> list[Unit]:
    unit_ids = visible_unit_ids(session, staff)
    query = select(Unit).order_by(Unit.path)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids or [-1]))
    return list(session.scalars(query))


def _may_upload(staff: Staff) -> bool:
    return staff.is_admin or staff.unit_id is not None


def _list_page(
    request: Request, session: SessionDep, staff: Staff, errors: list[str] | None = None
) -> HTMLResponse:
    surveys = list_surveys(session=session, staff=staff)
    context = {
        "surveys": surveys,
        "errors": errors or [],
        "may_upload": _may_upload(staff),
        **_formatters(request),
    }
    return render_page(request, "surveys/list.html", context, status.HTTP_400_BAD_REQUEST if errors else 200)


@router.get("", response_class=HTMLResponse)
def read_surveys(request: Request, session: SessionDep, staff: CurrentStaff) -> HTMLResponse:
    """Lists the surveys the viewer may see, with the upload form."""
    return _list_page(request, session, staff)


@router.post("", response_class=HTMLResponse, response_model=None)
async def create_survey(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    _: CsrfProtected,
    file: UploadFile,
    open_now: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Imports a survey file (YAML or XLSForm), all or nothing; errors say where and why."""
    gettext = gettext_for(request)
    if not _may_upload(staff):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="no unit")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        definition = load_survey_file(file.filename or "", data)
    except SurveyFileError as error:
        return _list_page(request, session, staff, [f"{error.location}: {error.reason}"])
    codes = list(definition.target_units)
    existing = find_survey(session=session, slug=definition.id)
    allowed = can_manage_targets(session=session, staff=staff, codes=codes) and (
        existing is None
        or can_manage_targets(session=session, staff=staff, codes=list(existing.target_unit_codes))
    )
    if not allowed:
        session.rollback()
        reason = gettext(
            "You may only import surveys whose target units are your own unit or units below it."
        )
        return _list_page(request, session, staff, [f"target_units: {reason}"])
    try:
        outcome = import_survey(
            session=session, definition=definition, actor=staff, open_now=open_now not in ("", "0")
        )
        slug = outcome.survey.slug
        session.commit()
    except SurveyImportError as error:
        session.rollback()
        return _list_page(request, session, staff, [f"{error.location}: {error.reason}"])
    return RedirectResponse(f"/admin/surveys/{slug}?message=imported", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/{slug}", response_class=HTMLResponse)
def read_survey(
    request: Request,
    slug: str,
    session: SessionDep,
    staff: CurrentStaff,
    message: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Shows a survey: its settings, progress (started, completed, by unit, over time), actions."""
    gettext = gettext_for(request)
    survey = _viewable_survey(session, staff, slug)
    scope = resolve_scope(session=session, staff=staff)
    progress = read_progress(session=session, survey=survey, scope=scope)
    formatters = _formatters(request)
    chart = progress_chart(progress, gettext("Started"), gettext("Completed"), formatters["fmt_date"])
    targets = units_by_code(session=session, codes=list(survey.target_unit_codes))
    notice = gettext(NOTICES[message]) if message in NOTICES else ""
    return render_page(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "questions": questions_of(survey),
            "progress": progress,
            "progress_chart": chart,
            "targets": [targets[code].name if code in targets else code for code in survey.target_unit_codes],
            "may_manage": can_manage_targets(
                session=session, staff=staff, codes=list(survey.target_unit_codes)
            ),
            "notice": notice,
            "today": today_in_vietnam(),
            **formatters,
        },
    )


def _change_status(session: SessionDep, staff: Staff, slug: str, opening: bool) -> RedirectResponse:
    with session.begin():
        survey = _viewable_survey(session, staff, slug)
        if not can_manage_targets(session=session, staff=staff, codes=list(survey.target_unit_codes)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="not allowed")
        if opening:
            open_survey(session=session, survey=survey, actor=staff)
        else:
            close_survey(session=session, survey=survey, actor=staff)
    message = "opened" if opening else "closed"
    return RedirectResponse(f"/admin/surveys/{slug}?message={message}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/{slug}/open")
def update_survey_open(
    slug: str, session: SessionDep, staff: CurrentStaff, _: CsrfProtected
) -> RedirectResponse:
    """Opens the survey to workers (audited)."""
    return _change_status(session, staff, slug, opening=True)


@router.post("/{slug}/close")
def update_survey_close(
    slug: str, session: SessionDep, staff: CurrentStaff, _: CsrfProtected
) -> RedirectResponse:
    """Closes the survey: no worker can start it any more (audited)."""
    return _change_status(session, staff, slug, opening=False)


def _filter_params(
    unit_id: str, answer_filters: tuple[tuple[str, str], ...], include_incomplete: bool
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if unit_id:
        params["unit_id"] = unit_id
    if answer_filters:
        params["f"] = [f"{question}:{value}" for question, value in answer_filters]
    if include_incomplete:
        params["all"] = "1"
    return params


def _filter_options(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answer-filter choices: each choice-like question with its values."""
    return [
        {
            "id": question["id"],
            "number": number,
            "label": question["label"],
            "values": [(value, choice_label(question, value)) for value in choice_values(question)],
        }
        for number, question in enumerate(questions, start=1)
        if question["type"] in CHOICE_LIKE_TYPES
    ]


def _scope_description(
    scope: ResultsScope, answer_filters: tuple[tuple[str, str], ...], survey: Survey, all_: bool
) -> str:
    """Vietnamese text of what an export covers (exports are always in Vietnamese)."""
    parts = [scope.root.name if scope.root is not None else "Tất cả đơn vị"]
    questions = {question["id"]: question for question in questions_of(survey)}
    for question_id, value in answer_filters:
        question = questions[question_id]
        parts.append(f"{question['label']} = {choice_label(question, value)}")
    parts.append("gồm cả phiếu chưa hoàn thành" if all_ else "chỉ phiếu đã hoàn thành")
    return "; ".join(parts)


def _parse_unit_id(unit_id: str) -> int | None:
    return int(unit_id) if unit_id.isdigit() else None


@router.get("/{slug}/results", response_class=HTMLResponse)
def read_survey_results(
    request: Request,
    slug: str,
    session: SessionDep,
    staff: CurrentStaff,
    unit_id: Annotated[str, Query(max_length=12)] = "",
    f: Annotated[list[str] | None, Query(max_length=140)] = None,
    include_all: Annotated[str, Query(alias="all", max_length=4)] = "",
    by: Annotated[str, Query(max_length=64)] = "",
    row: Annotated[str, Query(max_length=64)] = "",
    col: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """Shows the results: every question with a chart, by unit, a cross-tabulation, free texts."""
    survey = _viewable_survey(session, staff, slug)
    questions = questions_of(survey)
    answer_filters = clean_answer_filters(survey, [item for item in (f or []) if item])
    include_incomplete = include_all not in ("", "0")
    scope = resolve_scope(session=session, staff=staff, unit_id=_parse_unit_id(unit_id))
    filters = ResultsFilter(answers=answer_filters, include_incomplete=include_incomplete)
    locale = language_of(request)
    results = read_results(session=session, survey=survey, scope=scope, filters=filters, locale=locale)
    formatters = _formatters(request)
    choice_questions = [
        (number, question)
        for number, question in enumerate(questions, start=1)
        if question["type"] in CHOICE_LIKE_TYPES
    ]
    cards: list[dict[str, Any]] = []
    breakdown = crosstab = None
    breakdown_svg = crosstab_svg = ""
    if not results.suppressed:
        for result in results.questions:
            texts: list[str] = []
            text_total = 0
            if result.kind == "text":
                texts, text_total = read_free_texts(
                    session=session,
                    survey=survey,
                    scope=scope,
                    filters=filters,
                    question_id=result.question["id"],
                )
                texts = [mask_for_viewer(text, is_admin=staff.is_admin) for text in texts]
            cards.append(
                {
                    "result": result,
                    "chart": question_chart(result, formatters["fmt_count"]),
                    "texts": texts,
                    "text_total": text_total,
                }
            )
        by = by or (choice_questions[0][1]["id"] if choice_questions else "")
        breakdown = (
            read_unit_breakdown(session=session, survey=survey, scope=scope, filters=filters, question_id=by)
            if by
            else None
        )
        if breakdown is not None:
            breakdown_svg = unit_breakdown_chart(breakdown)
        if row and col:
            crosstab = read_crosstab(
                session=session,
                survey=survey,
                scope=scope,
                filters=filters,
                row_question_id=row,
                column_question_id=col,
            )
            if crosstab is not None:
                crosstab_svg = crosstab_chart(crosstab)
    params = _filter_params(
        unit_id if scope.root is not None and unit_id else "", answer_filters, include_incomplete
    )
    return render_page(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "results": results,
            "cards": cards,
            "scope": scope,
            "units": _visible_units(session, staff),
            "unit_id": unit_id,
            "answer_filters": answer_filters,
            "filter_slots": list(answer_filters) + [("", "")] * (3 - len(answer_filters)),
            "filter_options": _filter_options(questions),
            "include_incomplete": include_incomplete,
            "choice_questions": choice_questions,
            "by": by,
            "breakdown": breakdown,
            "breakdown_chart": breakdown_svg,
            "row": row,
            "col": col,
            "crosstab": crosstab,
            "crosstab_chart": crosstab_svg,
            "query": urlencode(params, doseq=True),
            "hidden_params": [
                (key, value)
                for key, values in params.items()
                for value in (values if isinstance(values, list) else [values])
            ],
            "crosstab_error": bool(row and col and crosstab is None and not results.suppressed),
            "no_unit": scope.empty,
            **formatters,
        },
    )


def _export_inputs(
    session: SessionDep, staff: Staff, slug: str, unit_id: str, f: list[str] | None, include_all: str
) -> tuple[Survey, ResultsScope, ResultsFilter, str]:
    survey = _viewable_survey(session, staff, slug)
    answer_filters = clean_answer_filters(survey, [item for item in (f or []) if item])
    include_incomplete = include_all not in ("", "0")
    scope = resolve_scope(session=session, staff=staff, unit_id=_parse_unit_id(unit_id))
    filters = ResultsFilter(answers=answer_filters, include_incomplete=include_incomplete)
    return survey, scope, filters, _scope_description(scope, answer_filters, survey, include_incomplete)


def _audit_export(session: SessionDep, staff: Staff, survey: Survey, kind: str, scope_text: str) -> None:
    with session.begin():
        record_audit(
            session=session,
            actor=staff,
            action="survey.export",
            target_type="survey",
            target_id=survey.id,
            detail={"slug": survey.slug, "format": kind, "scope": scope_text},
        )


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/{slug}/export.xlsx")
def read_survey_export_xlsx(
    slug: str,
    session: SessionDep,
    staff: CurrentStaff,
    unit_id: Annotated[str, Query(max_length=12)] = "",
    f: Annotated[list[str] | None, Query(max_length=140)] = None,
    include_all: Annotated[str, Query(alias="all", max_length=4)] = "",
) -> Response:
    """Downloads the results as XLSX: raw rows ("Dữ liệu") and the tables ("Tổng hợp")."""
    survey, scope, filters, scope_text = _export_inputs(session, staff, slug, unit_id, f, include_all)
    results = read_results(session=session, survey=survey, scope=scope, filters=filters)
    content = build_xlsx(
        title=survey.title,
        scope_text=scope_text,
        questions=questions_of(survey),
        results=results,
        rows=iter_export_rows(session=session, survey=survey, scope=scope, filters=filters),
        mask=lambda text: mask_for_viewer(text, is_admin=staff.is_admin),
    )
    session.rollback()
    _audit_export(session, staff, survey, "xlsx", scope_text)
    return _download(content, XLSX_TYPE, f"{survey.slug}_ket_qua.xlsx")


@router.get("/{slug}/export.csv")
def read_survey_export_csv(
    slug: str,
    session: SessionDep,
    staff: CurrentStaff,
    unit_id: Annotated[str, Query(max_length=12)] = "",
    f: Annotated[list[str] | None, Query(max_length=140)] = None,
    include_all: Annotated[str, Query(alias="all", max_length=4)] = "",
) -> Response:
    """Downloads the raw rows as CSV (UTF-8 with BOM)."""
    survey, scope, filters, scope_text = _export_inputs(session, staff, slug, unit_id, f, include_all)
    content = build_csv(
        questions=questions_of(survey),
        rows=iter_export_rows(session=session, survey=survey, scope=scope, filters=filters),
        mask=lambda text: mask_for_viewer(text, is_admin=staff.is_admin),
    )
    session.rollback()
    _audit_export(session, staff, survey, "csv", scope_text)
    return _download(content, "text/csv; charset=utf-8", f"{survey.slug}_du_lieu.csv")


@router.get("/{slug}/xlsform.xlsx")
def read_survey_xlsform(slug: str, session: SessionDep, staff: CurrentStaff) -> Response:
    """Downloads the survey's definition as an XLSForm workbook (to edit in Excel)."""
    survey = _viewable_survey(session, staff, slug)
    content = export_xlsform(SurveyDefinition.model_validate(survey.definition))
    return _download(content, XLSX_TYPE, f"{survey.slug}_v{survey.version}.xlsx")


@router.get("/{slug}/definition.yml")
def read_survey_yaml(slug: str, session: SessionDep, staff: CurrentStaff) -> Response:
    """Downloads the survey's definition as YAML."""
    survey = _viewable_survey(session, staff, slug)
    content = export_yaml(SurveyDefinition.model_validate(survey.definition)).encode("utf-8")
    return _download(content, "application/yaml; charset=utf-8", f"{survey.slug}_v{survey.version}.yml")
