"""Review list filters, unit scoping (guessing another unit's id → 404) and masking on pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.core.db import session_scope
from backend.app.models import Conversation
from backend.app.services.event_ingest import assign_member_unit, ingest_event
from tests.backend.factories import create_unit_tree, login_as_new
from tests.backend.rasa_events import turn, user_event


def seed_conversation(sender: str, events: list[dict], *, unit_id: int | None, channel: str = "rest") -> int:
    """Ingests events for a sender, attaches it to a unit and returns the conversation id."""
    with session_scope() as session:
        for event in events:
            ingest_event(session, event)
        if unit_id is not None:
            assign_member_unit(session, channel=channel, sender_id=sender, unit_id=unit_id)
        return session.scalars(select(Conversation.id).where(Conversation.sender_id == sender)).one()


def test_conversations_staff_cannot_read_other_unit_by_id(client: TestClient) -> None:
    tree = create_unit_tree("S1")
    mine = seed_conversation(
        "a-1", turn("a-1", "luong", "ask_min_wage", 0.9, "action_answer", "Dạ"), unit_id=tree.grassroots_a
    )
    theirs = seed_conversation(
        "b-1", turn("b-1", "bhxh", "ask_pension", 0.9, "action_answer", "Dạ"), unit_id=tree.grassroots_b
    )
    unknown = seed_conversation("x-1", turn("x-1", "hi", "greet", 0.9, "utter_greet", "Dạ"), unit_id=None)
    login_as_new(client, unit_id=tree.province_a)
    assert client.get(f"/admin/conversations/{mine}").status_code == 200
    assert client.get(f"/admin/conversations/{theirs}").status_code == 404
    assert client.get(f"/admin/conversations/{unknown}").status_code == 404
    listing = client.get("/admin/conversations").text
    assert f'/admin/conversations/{mine}"' in listing
    assert f'/admin/conversations/{theirs}"' not in listing
    login_as_new(client, role="admin")
    assert client.get(f"/admin/conversations/{unknown}").status_code == 200
    assert client.get(f"/admin/conversations/{theirs}").status_code == 200


def test_conversations_filters_select_matching_rows(client: TestClient) -> None:
    tree = create_unit_tree("F1")
    low = seed_conversation(
        "f-low",
        turn("f-low", "nghi phep", "ask_annual_leave", 0.31, "action_answer", "Dạ"),
        unit_id=tree.grassroots_a,
    )
    fallback = seed_conversation(
        "f-fb", [user_event("f-fb", "abc", "nlu_fallback", 0.1)], unit_id=tree.grassroots_a
    )
    zalo = seed_conversation(
        "f-z",
        turn("f-z", "luong", "ask_min_wage", 0.95, "action_answer", "Dạ", channel="zalo"),
        unit_id=tree.grassroots_b,
        channel="zalo",
    )
    login_as_new(client, role="admin")
    cases = [
        ("low_confidence=1", {low, fallback}),
        ("fallback=1", {fallback}),
        ("channel=zalo", {zalo}),
        ("intent=ask_annual_leave", {low}),
        (f"unit_id={tree.grassroots_b}", {zalo}),
        ("reviewed=no", {low, fallback, zalo}),
        ("date_from=2000-01-01&date_to=2000-01-02", set()),
    ]
    for query, expected in cases:
        html = client.get(f"/admin/conversations?{query}").text
        found = {cid for cid in (low, fallback, zalo) if f'/admin/conversations/{cid}"' in html}
        assert found == expected, query


def test_conversations_mark_reviewed_then_filter(client: TestClient) -> None:
    tree = create_unit_tree("R1")
    cid = seed_conversation(
        "r-1", turn("r-1", "hi", "greet", 0.9, "utter_greet", "Dạ"), unit_id=tree.grassroots_a
    )
    _, csrf = login_as_new(client, unit_id=tree.grassroots_a)
    reply = client.post(
        f"/admin/conversations/{cid}/reviewed",
        data={"csrf_token": csrf, "reviewed": "1"},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    assert f'/admin/conversations/{cid}"' in client.get("/admin/conversations?reviewed=yes").text
    assert f'/admin/conversations/{cid}"' not in client.get("/admin/conversations?reviewed=no").text
    assert client.post(f"/admin/conversations/{cid}/reviewed", data={"reviewed": "1"}).status_code == 403


def test_conversations_mask_numbers_for_staff_not_admins(client: TestClient) -> None:
    tree = create_unit_tree("M1")
    cid = seed_conversation(
        "m-1",
        turn("m-1", "sdt em 0912345678 cccd 001203004567", "ask_contact_union", 0.9, "action_answer", "Dạ"),
        unit_id=tree.grassroots_a,
    )
    login_as_new(client, unit_id=tree.grassroots_a)
    page = client.get(f"/admin/conversations/{cid}").text
    assert "0912345678" not in page and "001203004567" not in page
    assert "*******678" in page
    login_as_new(client, role="admin")
    assert "0912345678" in client.get(f"/admin/conversations/{cid}").text


def test_other_units_conversation_page_is_a_vietnamese_404_page(client) -> None:
    """A staff member guessing another unit's conversation id gets a page, not raw JSON."""
    from tests.backend.factories import login_as_new

    login_as_new(client, role="staff")
    reply = client.get("/admin/conversations/999999", headers={"Accept": "text/html"})
    assert reply.status_code == 404
    assert "text/html" in reply.headers["content-type"]
    assert "Không tìm thấy" in reply.text
