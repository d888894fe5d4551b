"""Admin management of staff accounts: create, deactivate, role/unit change, password reset."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.db import SessionLocal
from backend.app.models import AuditLog, Staff
from tests.backend.factories import DEFAULT_PASSWORD, create_staff, create_unit_tree, login, random_email


def _staff(staff_id: int) -> Staff:
    with SessionLocal() as session:
        person = session.get(Staff, staff_id)
        assert person is not None
        return person


def test_admin_creates_account_with_lowercase_email_and_audit(client: TestClient) -> None:
    tree = create_unit_tree()
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    email = random_email("Moi").upper()
    reply = client.post(
        "/admin/staff",
        data={
            "csrf_token": token,
            "email": email,
            "password": "mat-khau-ban-dau",
            "full_name": "Trần Thị Bình",
            "role": "staff",
            "unit_id": str(tree.grassroots_a),
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    with SessionLocal() as session:
        person = session.scalars(select(Staff).where(Staff.email == email.lower())).one()
        assert (person.role, person.unit_id, person.is_active) == ("staff", tree.grassroots_a, True)
        assert person.password_hash.startswith("$argon2")
        entry = session.scalars(
            select(AuditLog).where(AuditLog.action == "staff.create", AuditLog.actor_id == admin.id)
        ).one()
        assert entry.target_id == str(person.id)
    duplicate = client.post(
        "/admin/staff",
        data={"csrf_token": token, "email": email, "password": "mat-khau-ban-dau", "role": "staff"},
    )
    assert duplicate.status_code == 400
    assert "Đã có tài khoản dùng email này." in duplicate.text
    short = client.post(
        "/admin/staff", data={"csrf_token": token, "email": random_email(), "password": "ngan"}
    )
    assert short.status_code == 400


def test_deactivation_ends_sessions_and_blocks_login(client: TestClient) -> None:
    admin = create_staff(role="admin")
    person = create_staff()
    login(client, person.email)
    person_cookies = dict(client.cookies)
    token = login(client, admin.email)
    reply = client.post(
        f"/admin/staff/{person.id}",
        data={"csrf_token": token, "full_name": "X", "role": "staff", "is_active": "false"},
    )
    assert reply.status_code == 200
    assert _staff(person.id).is_active is False
    client.cookies.clear()
    for key, value in person_cookies.items():
        client.cookies.set(key, value)
    assert client.get("/api/staff/me").status_code == 401
    with SessionLocal() as session:
        actions = {
            e.action for e in session.scalars(select(AuditLog).where(AuditLog.target_id == str(person.id)))
        }
    assert {"staff.deactivate", "staff.update"} <= actions


def test_role_and_unit_change_are_audited_and_last_admin_is_kept(client: TestClient) -> None:
    tree = create_unit_tree()
    admin = create_staff(role="admin")
    person = create_staff(unit_id=tree.grassroots_a)
    token = login(client, admin.email)
    reply = client.post(
        f"/admin/staff/{person.id}",
        data={
            "csrf_token": token,
            "full_name": person.full_name,
            "role": "admin",
            "unit_id": str(tree.province_b),
            "is_active": "true",
        },
    )
    assert reply.status_code == 200
    changed = _staff(person.id)
    assert (changed.role, changed.unit_id) == ("admin", tree.province_b)
    self_demote = client.post(
        f"/admin/staff/{admin.id}",
        data={"csrf_token": token, "full_name": "", "role": "staff", "is_active": "true"},
    )
    assert self_demote.status_code == 400
    assert _staff(admin.id).role == "admin"
    with SessionLocal() as session:
        actions = [e.action for e in session.scalars(select(AuditLog).where(AuditLog.actor_id == admin.id))]
    assert "staff.role_change" in actions and "staff.update" in actions


def test_password_reset_changes_login(client: TestClient) -> None:
    admin = create_staff(role="admin")
    person = create_staff()
    token = login(client, admin.email)
    reply = client.post(
        f"/admin/staff/{person.id}/password", data={"csrf_token": token, "new_password": "mat-khau-moi-2026"}
    )
    assert reply.status_code == 200
    login(client, person.email, "mat-khau-moi-2026")
    client.cookies.clear()
    from tests.backend.factories import csrf_of

    form = csrf_of(client.get("/login").text)
    old = client.post(
        "/login", data={"email": person.email, "password": DEFAULT_PASSWORD, "csrf_token": form}
    )
    assert old.status_code == 401


def test_audit_page_filters_by_action(client: TestClient) -> None:
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    client.post("/admin/units", data={"csrf_token": token, "code": "AUD1", "name": "Đơn vị kiểm tra"})
    page = client.get("/admin/audit", params={"action": "unit"})
    assert page.status_code == 200
    assert "unit.create" in page.text and "staff.create" not in page.text
    assert "staff.create" in client.get("/admin/audit").text
