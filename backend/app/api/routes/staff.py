"""Staff accounts: admin pages and the JSON API.

Pages: list, create, edit role/unit/status, reset password. API: /api/staff (admins),
/api/staff/me (anyone logged in).

Handlers stay thin: validation through schemas, changes through services/accounts.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from backend.app.api.deps import CsrfProtected, CurrentAdmin, CurrentStaff, SessionDep
from backend.app.core.i18n import gettext_for, render_page
from backend.app.models import Staff
from backend.app.schemas.staff import PASSWORD_MIN_LENGTH, StaffCreate, StaffPublic, StaffsPublic, StaffUpdate
from backend.app.services.accounts import AccountError, create_staff, list_staff, reset_password, update_staff
from backend.app.services.units import N_, unit_tree_rows

router = APIRouter(tags=["staff"])

ACCOUNT_ERRORS = {
    "email_taken": N_("An account with this email already exists."),
    "unknown_unit": N_("The chosen unit does not exist."),
    "self_lockout": N_("You cannot remove your own administrator rights or deactivate yourself."),
    "last_admin": N_("At least one active administrator must remain."),
    "invalid": N_(
        "Please check the form: a valid email and a password of at least 10 characters are needed."
    ),
}


def _unit_id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _get_staff_or_404(session: SessionDep, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="staff not found")
    return staff


@router.get("/api/staff")
def read_staff(
    session: SessionDep,
    _: CurrentAdmin,
    skip: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StaffsPublic:
    """Lists accounts (admins only)."""
    people, count = list_staff(session=session, skip=skip, limit=limit)
    return StaffsPublic(data=[StaffPublic.model_validate(person) for person in people], count=count)


@router.get("/api/staff/me")
def read_staff_me(staff: CurrentStaff) -> StaffPublic:
    """Returns the logged-in account."""
    return StaffPublic.model_validate(staff)


@router.get("/admin/staff", response_class=HTMLResponse)
def read_staff_page(
    request: Request, session: SessionDep, _: CurrentAdmin, message: Annotated[str, Query(max_length=20)] = ""
) -> HTMLResponse:
    """Lists accounts with their role, unit and status."""
    gettext = gettext_for(request)
    people, _count = list_staff(session=session, limit=1000)
    notices = {"created": gettext("The account was created."), "saved": gettext("Changes saved.")}
    return render_page(request, "staff/list.html", {"people": people, "message": notices.get(message, "")})


@router.get("/admin/staff/new", response_class=HTMLResponse)
def read_new_staff_page(request: Request, session: SessionDep, _: CurrentAdmin) -> HTMLResponse:
    """Shows the form of a new account."""
    return render_page(request, "staff/new.html", {"form": {}, "unit_rows": unit_tree_rows(session=session)})


@router.post("/admin/staff", response_class=HTMLResponse)
def create_staff_page(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _: CsrfProtected,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "staff",
    unit_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Creates an account (audited) and goes back to the list."""
    gettext = gettext_for(request)
    form = {"email": email, "full_name": full_name, "role": role, "unit_id": _unit_id(unit_id)}
    try:
        staff_create = StaffCreate(
            email=email, password=password, full_name=full_name, role=role, unit_id=_unit_id(unit_id)
        )
        create_staff(session=session, staff_create=staff_create, actor=admin)
        session.commit()
    except (ValidationError, AccountError) as error:
        session.rollback()
        code = error.code if isinstance(error, AccountError) else "invalid"
        context = {
            "form": form,
            "errors": [gettext(ACCOUNT_ERRORS[code])],
            "unit_rows": unit_tree_rows(session=session),
        }
        return render_page(request, "staff/new.html", context, status.HTTP_400_BAD_REQUEST)
    return RedirectResponse("/admin/staff?message=created", status_code=status.HTTP_303_SEE_OTHER)


def _edit_page(
    request: Request,
    session: SessionDep,
    person: Staff,
    errors: list[str],
    message: str = "",
    code: int = 200,
) -> HTMLResponse:
    context = {
        "person": person,
        "errors": errors,
        "message": message,
        "unit_rows": unit_tree_rows(session=session),
    }
    return render_page(request, "staff/edit.html", context, code)


@router.get("/admin/staff/{staff_id}", response_class=HTMLResponse)
def read_staff_edit_page(
    request: Request, session: SessionDep, _: CurrentAdmin, staff_id: int
) -> HTMLResponse:
    """Shows an account with its edit and password reset forms."""
    return _edit_page(request, session, _get_staff_or_404(session, staff_id), [])


@router.post("/admin/staff/{staff_id}", response_class=HTMLResponse)
def update_staff_page(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _: CsrfProtected,
    staff_id: int,
    full_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "staff",
    unit_id: Annotated[str, Form(max_length=12)] = "",
    is_active: Annotated[str, Form(max_length=8)] = "true",
) -> Response:
    """Changes name, role, unit or status (each change audited)."""
    gettext = gettext_for(request)
    person = _get_staff_or_404(session, staff_id)
    new_unit = _unit_id(unit_id)
    try:
        staff_update = StaffUpdate(
            full_name=full_name,
            role=role if role in ("admin", "staff") else None,
            unit_id=new_unit,
            clear_unit=new_unit is None,
            is_active=is_active == "true",
        )
        update_staff(session=session, staff=person, staff_update=staff_update, actor=admin)
        session.commit()
    except (ValidationError, AccountError) as error:
        session.rollback()
        code = error.code if isinstance(error, AccountError) else "invalid"
        person = _get_staff_or_404(session, staff_id)
        return _edit_page(request, session, person, [gettext(ACCOUNT_ERRORS[code])], code=400)
    return _edit_page(request, session, person, [], gettext("Changes saved."))


@router.post("/admin/staff/{staff_id}/password", response_class=HTMLResponse)
def reset_staff_password(
    request: Request,
    session: SessionDep,
    admin: CurrentAdmin,
    _: CsrfProtected,
    staff_id: int,
    new_password: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Sets a new password and ends the account's sessions (audited)."""
    gettext = gettext_for(request)
    person = _get_staff_or_404(session, staff_id)
    if len(new_password) < PASSWORD_MIN_LENGTH:
        return _edit_page(request, session, person, [gettext(ACCOUNT_ERRORS["invalid"])], code=400)
    reset_password(session=session, staff=person, new_password=new_password, actor=admin)
    session.commit()
    return _edit_page(
        request, session, person, [], gettext("The password was changed; the account's sessions were closed.")
    )
