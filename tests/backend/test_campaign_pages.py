"""Staff campaign pages (form → preview → create, progress, pause/resume/cancel, scoping) and
the invitation links, QR codes and public invitation page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.config import settings
from backend.app.core.db import session_scope
from backend.app.models import AuditLog
from backend.app.models.campaign import Campaign
from backend.app.services.campaign_invitations import invitation_token
from tests.backend.campaign_world import add_member, add_survey, delivery_rows
from tests.backend.factories import create_unit_tree, login_as_new


def _form(token: str, unit_ids: list[int], action: str, **extra: object) -> dict[str, object]:
    return {
        "csrf_token": token,
        "title": "Khảo sát đầu năm 2027",
        "survey": "khao_sat_dau_nam",
        "message": "",
        "unit_ids": [str(unit_id) for unit_id in unit_ids],
        "channels": ["zalo", "messenger"],
        "when": "now",
        "action": action,
        **extra,
    }


def test_campaign_pages_preview_then_create_then_steer(client: TestClient) -> None:
    tree = create_unit_tree()
    add_survey()
    add_member("messenger", "p1", tree.grassroots_a, hours_ago=2)
    add_member("messenger", "p2", tree.grassroots_a, hours_ago=30)
    add_member("zalo", "z1", tree.district_a, hours_ago=60)
    add_member("rest", "w1", tree.grassroots_a, hours_ago=1)
    _, token = login_as_new(client, role="staff", unit_id=tree.province_a)

    page = client.get("/admin/campaigns/new")
    assert page.status_code == 200
    assert "Khảo sát đời sống, việc làm đầu năm" in page.text
    assert "Sông Bé" in page.text and "Dệt Thành Công" not in page.text  # only their own units

    preview = client.post("/admin/campaigns", data=_form(token, [tree.province_a], "preview"))
    assert preview.status_code == 200
    assert 'id="preview-messenger"' in preview.text and 'id="create"' in preview.text
    assert 'data-reason="outside_window"' in preview.text and 'data-reason="no_push_channel"' in preview.text
    assert "Ngoài khung thời gian nhắn tin của nền tảng" in preview.text  # Vietnamese reason label
    assert "Dạ, Công đoàn kính mời anh/chị" in preview.text  # the suggested text was filled in
    with session_scope() as session:
        assert session.scalars(select(Campaign)).first() is None  # a preview writes nothing

    created = client.post(
        "/admin/campaigns",
        data=_form(token, [tree.province_a], "create", message="Dạ, mời anh/chị trả lời khảo sát ạ."),
        follow_redirects=False,
    )
    assert created.status_code == 303
    detail_url = created.headers["location"]
    campaign_id = int(detail_url.rsplit("/", 1)[1])
    assert sorted(row.status for row in delivery_rows(campaign_id)) == [
        "queued",
        "queued",
        "skipped",
        "skipped",
    ]
    detail = client.get(detail_url)
    assert detail.status_code == 200 and "setTimeout" in detail.text  # live page reloads itself
    assert 'data-status="queued"><b>2</b>' in detail.text

    assert (
        client.post(f"{detail_url}/pause", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert "Tiếp tục" in client.get(detail_url).text
    client.post(f"{detail_url}/resume", data={"csrf_token": token})
    client.post(f"{detail_url}/cancel", data={"csrf_token": token})
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status == "cancelled"
        actions = set(
            session.scalars(
                select(AuditLog.action).where(
                    AuditLog.target_type == "campaign", AuditLog.target_id == str(campaign_id)
                )
            )
        )
    assert actions == {"campaign.create", "campaign.pause", "campaign.resume", "campaign.cancel"}
    assert {row.reason for row in delivery_rows(campaign_id) if row.status == "skipped"} >= {"cancelled"}
    again = client.post(f"{detail_url}/pause", data={"csrf_token": token}, follow_redirects=False)
    assert "error=" in again.headers["location"]  # a cancelled campaign cannot be paused
    assert client.post(f"{detail_url}/pause", data={}).status_code == 403  # CSRF


def test_campaign_pages_staff_stay_in_their_units(client: TestClient) -> None:
    tree = create_unit_tree()
    add_survey()
    _, token_a = login_as_new(client, role="staff", unit_id=tree.province_a)
    refused = client.post("/admin/campaigns", data=_form(token_a, [tree.province_b], "create"))
    assert refused.status_code == 400 and 'id="campaign-error"' in refused.text
    created = client.post(
        "/admin/campaigns", data=_form(token_a, [tree.grassroots_a], "create"), follow_redirects=False
    )
    detail_url = created.headers["location"]

    _, token_b = login_as_new(client, role="staff", unit_id=tree.province_b)
    assert client.get(detail_url).status_code == 404
    assert client.post(f"{detail_url}/cancel", data={"csrf_token": token_b}).status_code == 404
    assert "Khảo sát đầu năm 2027" not in client.get("/admin/campaigns").text
    _, _ = login_as_new(client, role="admin")
    assert "Khảo sát đầu năm 2027" in client.get("/admin/campaigns").text


def test_campaign_pages_refuse_a_closed_survey_and_bad_input(client: TestClient) -> None:
    tree = create_unit_tree()
    add_survey(status="closed")
    _, token = login_as_new(client, role="admin")
    closed = client.post("/admin/campaigns", data=_form(token, [tree.central], "preview"))
    assert closed.status_code == 400
    no_channel = client.post(
        "/admin/campaigns", data={**_form(token, [tree.central], "preview", survey=""), "channels": []}
    )
    assert no_channel.status_code == 400
    late = client.post(
        "/admin/campaigns",
        data=_form(token, [tree.central], "preview", survey="", when="later", scheduled_at=""),
    )
    assert late.status_code == 400


def test_campaign_pages_invitation_links_qr_and_public_page(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "messenger_page_username", "congdoan.binhduong")
    monkeypatch.setattr(settings, "zalo_oa_id", "388613280878808645")
    tree = create_unit_tree()
    add_survey()
    _, _ = login_as_new(client, role="staff", unit_id=tree.province_a)

    listing = client.get("/admin/campaigns/invitations?survey=khao_sat_dau_nam")
    assert listing.status_code == 200
    token = invitation_token("khao_sat_dau_nam", "CSA")
    assert f"/i/{token}" in listing.text and "CSB" not in listing.text
    qr = client.get("/admin/campaigns/invitations/khao_sat_dau_nam/CSA/qr.png")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert qr.content.startswith(b"\x89PNG\r\n\x1a\n") and len(qr.content) > 500
    assert client.get("/admin/campaigns/invitations/khao_sat_dau_nam/CSB/qr.png").status_code == 404

    client.cookies.clear()  # the invitation page is public
    page = client.get(f"/i/{token}")
    assert page.status_code == 200
    assert "https://m.me/congdoan.binhduong?ref=ks.khao_sat_dau_nam.CSA" in page.text
    assert "/chat?ref=ks.khao_sat_dau_nam.CSA" in page.text
    assert "https://zalo.me/388613280878808645" in page.text
    assert "Công đoàn cơ sở Công ty May Sông Bé" in page.text
    assert client.get(f"/i/{token[:-2]}xx").status_code == 404  # forged
    assert client.get("/i/" + invitation_token("khao_sat_dau_nam", "NOPE")).status_code == 404
    assert (
        client.get(
            "/admin/campaigns/invitations/khao_sat_dau_nam/CSA/qr.png", follow_redirects=False
        ).status_code
        == 303
    )
