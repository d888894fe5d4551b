"""Test data built through the real services, and login helpers that use the real /login form.

Import from tests: ``create_unit_tree``, ``create_unit``, ``create_staff``, ``random_email``,
``login``, ``csrf_of``. Nothing here mocks application code.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from fastapi.testclient import TestClient

from backend.app.core.db import session_scope
from backend.app.models import Staff, Unit
from backend.app.schemas.staff import StaffCreate
from backend.app.schemas.unit import UnitCreate
from backend.app.services.accounts import create_staff as create_staff_account
from backend.app.services.units import create_unit as create_unit_row

DEFAULT_PASSWORD = "mat-khau-thu-nghiem-123"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def random_email(prefix: str = "canbo") -> str:
    """Returns a fresh lower-case email."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}@congdoan.test"


def create_unit(code: str, name: str | None = None, parent_id: int | None = None) -> Unit:
    """Creates one unit through the service and returns it (detached, attributes loaded)."""
    with session_scope() as session:
        return create_unit_row(
            session=session,
            unit_create=UnitCreate(code=code, name=name or code, parent_id=parent_id),
            actor=None,
        )


@dataclass(frozen=True)
class UnitTree:
    """Ids of a small union tree: one central, two provinces, each with units below."""

    central: int
    province_a: int
    district_a: int
    grassroots_a: int
    province_b: int
    grassroots_b: int


def create_unit_tree(prefix: str = "") -> UnitTree:
    """Creates TLD → {LDA → CTA → CSA, LDB → CSB}; codes get ``prefix`` so trees can coexist.

    Returns:
        The ids.
    """
    central = create_unit(f"{prefix}TLD", "Tổng Liên đoàn Lao động Việt Nam")
    province_a = create_unit(f"{prefix}LDA", "LĐLĐ tỉnh Bình Dương", central.id)
    district_a = create_unit(f"{prefix}CTA", "LĐLĐ thành phố Thủ Dầu Một", province_a.id)
    grassroots_a = create_unit(f"{prefix}CSA", "Công đoàn cơ sở Công ty May Sông Bé", district_a.id)
    province_b = create_unit(f"{prefix}LDB", "Công đoàn Dệt May Việt Nam", central.id)
    grassroots_b = create_unit(f"{prefix}CSB", "Công đoàn cơ sở Dệt Thành Công", province_b.id)
    return UnitTree(central.id, province_a.id, district_a.id, grassroots_a.id, province_b.id, grassroots_b.id)


def create_staff(
    *,
    role: str = "staff",
    unit_id: int | None = None,
    email: str | None = None,
    password: str = DEFAULT_PASSWORD,
    full_name: str = "Nguyễn Văn An",
) -> Staff:
    """Creates an account through the service and returns it (detached, attributes loaded)."""
    with session_scope() as session:
        return create_staff_account(
            session=session,
            staff_create=StaffCreate(
                email=email or random_email(role),
                password=password,
                role=role,  # type: ignore[arg-type]
                unit_id=unit_id,
                full_name=full_name,
            ),
            actor=None,
        )


def csrf_of(html: str) -> str:
    """Returns the CSRF token written in a page (meta tag or hidden field)."""
    found = _CSRF_META.search(html) or _CSRF_FIELD.search(html)
    if found is None:
        raise AssertionError("no CSRF token in the page")
    return found.group(1)


def login(client: TestClient, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Logs in through GET+POST /login like a browser and returns the session's CSRF token.

    Clears the client's cookies first, so it also switches users.

    Returns:
        The CSRF token to send as form field ``csrf_token`` or header ``X-CSRF-Token``.
    """
    client.cookies.clear()
    form_token = csrf_of(client.get("/login").text)
    reply = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": form_token},
        follow_redirects=False,
    )
    if reply.status_code != 303:
        raise AssertionError(f"login failed with {reply.status_code}")
    return csrf_of(client.get("/admin").text)


def login_as_new(client: TestClient, *, role: str = "staff", unit_id: int | None = None) -> tuple[Staff, str]:
    """Creates an account, logs it in and returns it with its CSRF token."""
    staff = create_staff(role=role, unit_id=unit_id)
    return staff, login(client, staff.email)
