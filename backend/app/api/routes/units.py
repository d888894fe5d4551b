"""Union units: pages (tree, import, add, edit) and the JSON API /api/units.

Editing is for admins; the tree and the API are scoped to the caller's subtree.

Handlers stay thin: changes through services/units.py and services/unit_import.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from backend.app.api.deps import CsrfProtected, CurrentAdmin, CurrentStaff, SessionDep
from backend.app.core.i18n import gettext_for, render_page
from backend.app.models import Unit
from backend.app.schemas.unit import ImportProblem, UnitCreate, UnitPublic, UnitsPublic, UnitUpdate
from backend.app.services.scope import can_see_unit, visible_unit_ids
from backend.app.services.unit_import import PROBLEM_MESSAGES, import_units
from backend.app.services.units import (
    LEVEL_NAMES,
    UNIT_ERRORS,
    UnitError,
    create_unit,
    list_units,
    unit_tree_rows,
    update_unit,
)

router = APIRouter(tags=["units"])
MAX_IMPORT_BYTES = 900_000


def describe_problem(gettext: Callable[[str], str], problem: ImportProblem) -> str:
    """Returns "Sheet X, line N: reason" in the page's language.

    Args:
        gettext: The request's gettext.
        problem: The import problem.

    Returns:
        The message.
    """
    reason = gettext(PROBLEM_MESSAGES[problem.kind]) % {"value": problem.value}
    if problem.sheet:
        where = gettext("Sheet %(sheet)s, line %(line)d") % {"sheet": problem.sheet, "line": problem.line}
    else:
        where = gettext("Line %(line)d") % {"line": problem.line}
    return f"{where}: {reason}"


def _level_names(request: Request) -> dict[int, str]:
    gettext = gettext_for(request)
    return {number: gettext(label) for number, label in LEVEL_NAMES.items()}


@router.get("/api/units")
def read_units(session: SessionDep, staff: CurrentStaff) -> UnitsPublic:
    """Lists the units the caller may see (an admin: all)."""
    units = list_units(session=session, visible_ids=visible_unit_ids(session, staff))
    return UnitsPublic(data=[UnitPublic.model_validate(unit) for unit in units], count=len(units))


@router.get("/api/units/{unit_id}")
def read_unit(session: SessionDep, staff: CurrentStaff, unit_id: int) -> UnitPublic:
    """Returns one unit; 404 when it does not exist or lies outside the caller's subtree."""
    unit = session.get(Unit, unit_id)
    if unit is None or not can_see_unit(staff, unit):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unit not found")
    return UnitPublic.model_validate(unit)


def _list_page(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    message: str = "",
    problems: list[str] | None = None,
) -> HTMLResponse:
    rows = unit_tree_rows(session=session, visible_ids=visible_unit_ids(session, staff))
    context = {
        "rows": rows,
        "level_names": _level_names(request),
        "message": message,
        "problems": problems or [],
    }
    return render_page(request, "units/list.html", context, status.HTTP_400_BAD_REQUEST if problems else 200)


@router.get("/admin/units", response_class=HTMLResponse)
def read_units_page(
    request: Request,
    session: SessionDep,
    staff: CurrentStaff,
    message: Annotated[str, Query(max_length=20)] = "",
) -> HTMLResponse:
    """Shows the union tree the caller may see; admins also get import and edit."""
    gettext = gettext_for(request)
    notice = {"saved": gettext("The unit was saved.")}.get(message, "")
    return _list_page(request, session, staff, notice)


@router.post("/admin/units/import", response_class=HTMLResponse)
async def import_units_page(
    request: Request, session: SessionDep, admin: CurrentAdmin, _: CsrfProtected, file: UploadFile
) -> HTMLResponse:
    """Imports a CSV/XLSX unit file, all or nothing, and lists problems with their lines."""
    gettext = gettext_for(request)
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        problem = ImportProblem(line=1, kind="too_many_rows")
        return _list_page(request, session, admin, problems=[describe_problem(gettext, problem)])
    result = import_units(session=session, filename=file.filename or "", data=data, actor=admin)
    if not result.ok:
        session.rollback()
        return _list_page(
            request, session, admin, problems=[describe_problem(gettext, p) for p in result.problems]
        )
    session.commit()
    message = gettext("Import done: %(created)d new units, %(updated)d updated.") % {
        "created": result.created,
        "updated": result.updated,
    }
    return _list_page(request, session, admin, message)


def _form_page(
    request: Request, session: SessionDep, unit: Unit | None, form: dict[str, object], errors: list[str]
) -> HTMLResponse:
    context = {
        "unit": unit,
        "form": form,
        "errors": errors,
        "unit_rows": unit_tree_rows(session=session),
        "level_names": _level_names(request),
    }
    return render_page(request, "units/form.html", context, status.HTTP_400_BAD_REQUEST if errors else 200)


def _optional_int(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.get("/admin/units/new", response_class=HTMLResponse)
def read_new_unit_page(request: Request, session: SessionDep, _: CurrentAdmin) -> HTMLResponse:
    """Shows the form of a new unit."""
    return _form_page(request, session, None, {}, [])


@router.get("/admin/units/{unit_id}/edit", response_class=HTMLResponse)
def read_edit_unit_page(request: Request, session: SessionDep, _: CurrentAdmin, unit_id: int) -> HTMLResponse:
    """Shows the edit form of a unit."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unit not found")
    form = {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id, "level": unit.level}
    return _form_page(request, session, unit, form, [])


def _save_unit(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    unit: Unit | None,
    form: dict[str, object],
) -> Response:
    gettext = gettext_for(request)
    try:
        values = {key: form[key] for key in ("code", "name", "parent_id", "level")}
        if unit is None:
            create_unit(session=session, unit_create=UnitCreate(**values), actor=admin)  # type: ignore[arg-type]
        else:
            update_unit(session=session, unit=unit, unit_update=UnitUpdate(**values), actor=admin)  # type: ignore[arg-type]
        session.commit()
    except ValidationError:
        session.rollback()
        return _form_page(
            request,
            session,
            unit,
            form,
            [gettext("Please fill in a code (letters, digits, . _ -) and a name.")],
        )
    except UnitError as error:
        session.rollback()
        return _form_page(request, session, unit, form, [gettext(UNIT_ERRORS[error.code])])
    return RedirectResponse("/admin/units?message=saved", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/admin/units", response_class=HTMLResponse)
def create_unit_page(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _: CsrfProtected,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
    parent_id: Annotated[str, Form(max_length=12)] = "",
    level: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Adds a unit under its parent (audited)."""
    form = {
        "code": code.strip(),
        "name": name,
        "parent_id": _optional_int(parent_id),
        "level": _optional_int(level),
    }
    return _save_unit(request, session, admin, None, form)


@router.post("/admin/units/{unit_id}", response_class=HTMLResponse)
def update_unit_page(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _: CsrfProtected,
    unit_id: int,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
    parent_id: Annotated[str, Form(max_length=12)] = "",
    level: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Renames, re-codes or moves a unit (audited)."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="unit not found")
    form = {
        "code": code.strip(),
        "name": name,
        "parent_id": _optional_int(parent_id),
        "level": _optional_int(level),
    }
    return _save_unit(request, session, admin, unit, form)
