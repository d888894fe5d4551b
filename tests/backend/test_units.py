"""Unit tree, subtree scoping helpers, unit pages and the scoped /api/units."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.db import SessionLocal
from backend.app.models import AuditLog, Staff, Unit
from backend.app.services.scope import can_see_unit, unit_subtree_ids, visible_unit_ids
from tests.backend.factories import create_staff, create_unit_tree, login


def test_unit_subtree_ids_follow_the_tree() -> None:
    tree = create_unit_tree()
    with SessionLocal() as session:
        assert sorted(unit_subtree_ids(session, tree.province_a)) == sorted(
            [tree.province_a, tree.district_a, tree.grassroots_a]
        )
        assert unit_subtree_ids(session, tree.grassroots_b) == [tree.grassroots_b]
        assert len(unit_subtree_ids(session, tree.central)) == 6
        assert unit_subtree_ids(session, 999_999) == []


@pytest.mark.parametrize(
    ("role", "staff_unit", "target", "visible"),
    [
        ("admin", None, "grassroots_b", True),
        ("staff", "province_a", "grassroots_a", True),
        ("staff", "province_a", "province_a", True),
        ("staff", "province_a", "grassroots_b", False),
        ("staff", "province_a", "central", False),
        ("staff", "grassroots_a", "district_a", False),
        ("staff", None, "grassroots_a", False),
    ],
)
def test_can_see_unit(role: str, staff_unit: str | None, target: str, visible: bool) -> None:
    tree = create_unit_tree()
    staff = create_staff(role=role, unit_id=getattr(tree, staff_unit) if staff_unit else None)
    with SessionLocal() as session:
        unit = session.get(Unit, getattr(tree, target))
        person = session.get(Staff, staff.id)
        assert person is not None
        assert can_see_unit(person, unit) is visible
        assert can_see_unit(person, None) is (role == "admin")
        ids = visible_unit_ids(session, person)
        assert ids is None if role == "admin" else (getattr(tree, target) in ids) is visible


def test_api_units_is_scoped_and_guessing_ids_is_404(client: TestClient) -> None:
    tree = create_unit_tree()
    staff = create_staff(unit_id=tree.province_a)
    login(client, staff.email)
    codes = {unit["code"] for unit in client.get("/api/units").json()["data"]}
    assert codes == {"LDA", "CTA", "CSA"}
    assert client.get(f"/api/units/{tree.grassroots_a}").status_code == 200
    assert client.get(f"/api/units/{tree.grassroots_b}").status_code == 404
    assert client.get(f"/api/units/{tree.central}").status_code == 404
    page = client.get("/admin/units")
    assert "Công ty May Sông Bé" in page.text and "Dệt Thành Công" not in page.text
    assert 'action="/admin/units/import"' not in page.text


def test_admin_adds_and_moves_units_with_audit(client: TestClient) -> None:
    tree = create_unit_tree()
    admin = create_staff(role="admin")
    token = login(client, admin.email)
    reply = client.post(
        "/admin/units",
        data={
            "csrf_token": token,
            "code": "CSA2",
            "name": "CĐCS Công ty Giày Thái Bình",
            "parent_id": tree.district_a,
        },
        follow_redirects=False,
    )
    assert reply.status_code == 303
    with SessionLocal() as session:
        new = session.scalars(select(Unit).where(Unit.code == "CSA2")).one()
        assert new.level == 4
        new_id = new.id
    moved = client.post(
        f"/admin/units/{tree.district_a}",
        data={
            "csrf_token": token,
            "code": "CTA",
            "name": "LĐLĐ TP Thủ Dầu Một",
            "parent_id": tree.province_b,
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303
    with SessionLocal() as session:
        assert sorted(unit_subtree_ids(session, tree.province_b)) == sorted(
            [tree.province_b, tree.grassroots_b, tree.district_a, tree.grassroots_a, new_id]
        )
        actions = [
            entry.action
            for entry in session.scalars(
                select(AuditLog).where(AuditLog.actor_id == admin.id).order_by(AuditLog.id)
            )
        ]
        assert actions == ["unit.create", "unit.edit"]
    cycle = client.post(
        f"/admin/units/{tree.province_b}",
        data={"csrf_token": token, "code": "LDB", "name": "X", "parent_id": tree.grassroots_a},
    )
    assert cycle.status_code == 400
    assert "Không thể chuyển một đơn vị" in cycle.text
    duplicate = client.post("/admin/units", data={"csrf_token": token, "code": "LDB", "name": "Trùng"})
    assert duplicate.status_code == 400
    assert "Mã này đã được đơn vị khác sử dụng." in duplicate.text
