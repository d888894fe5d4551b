"""Correcting a message stores it in the review set; the download is scoped and masked."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select

from backend.app.cli import main as cli_main
from backend.app.core.db import session_scope
from backend.app.models import AuditLog, Message, ReviewCorrection
from tests.backend.factories import create_unit_tree, login_as_new
from tests.backend.rasa_events import turn
from tests.backend.test_conversations import seed_conversation


def _user_message_id(sender_text: str) -> int:
    with session_scope() as session:
        return session.scalars(
            select(Message.id).where(Message.text == sender_text, Message.role == "user")
        ).one()


def test_review_correction_is_exported_scoped_and_masked(client: TestClient, tmp_path) -> None:
    tree = create_unit_tree("C1")
    text_a = "luong vung 1 bao nhieu sdt 0912345678"
    cid_a = seed_conversation(
        "c-a", turn("c-a", text_a, "ask_base_salary", 0.4, "action_answer", "Dạ"), unit_id=tree.grassroots_a
    )
    cid_b = seed_conversation(
        "c-b", turn("c-b", "bhxh 1 lan", "ask_pension", 0.4, "action_answer", "Dạ"), unit_id=tree.grassroots_b
    )
    _, csrf = login_as_new(client, unit_id=tree.province_a)
    reply = client.post(
        f"/admin/conversations/{cid_a}/messages/{_user_message_id(text_a)}/correction",
        data={"csrf_token": csrf, "intent": "ask_min_wage_region", "entities": "region=vung 1"},
        follow_redirects=False,
    )
    assert reply.status_code == 303 and "saved=" in reply.headers["location"]
    # another unit's message, guessed by id: 404, nothing stored
    other = client.post(
        f"/admin/conversations/{cid_b}/messages/{_user_message_id('bhxh 1 lan')}/correction",
        data={"csrf_token": csrf, "intent": "ask_si_withdrawal"},
    )
    assert other.status_code == 404
    download = client.get("/admin/review/export.yml")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    document = yaml.safe_load(download.text)
    assert document == {
        "version": "3.1",
        "nlu": [
            {
                "intent": "ask_min_wage_region",
                "examples": "- luong [vung 1](region) bao nhieu sdt *******678\n",
            }
        ],
    }
    with session_scope() as session:
        assert session.scalars(select(ReviewCorrection)).one().intent == "ask_min_wage_region"
        assert session.scalars(select(AuditLog).where(AuditLog.action == "review.correct")).one()
    # the command that writes the review set into nlu_data/ (masked: it becomes training data)
    out = tmp_path / "nlu" / "corrections.yml"
    assert cli_main(["export-nlu", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == document


def test_review_correction_rejects_unknown_intent_and_bad_entities(client: TestClient) -> None:
    cid = seed_conversation("c-x", turn("c-x", "nghi phep", "greet", 0.4, "utter_greet", "Dạ"), unit_id=None)
    _, csrf = login_as_new(client, role="admin")
    mid = _user_message_id("nghi phep")
    cases = [
        {"intent": "not_an_intent"},
        {"intent": "ask_annual_leave", "entities": "unknown_entity=phep"},
        {"intent": "ask_annual_leave", "entities": "days=5"},
        {"intent": "ask_annual_leave", "entities": "just words"},
    ]
    for form in cases:
        reply = client.post(
            f"/admin/conversations/{cid}/messages/{mid}/correction",
            data={"csrf_token": csrf, **form},
            follow_redirects=False,
        )
        assert reply.status_code == 303 and "error=" in reply.headers["location"], form
    with session_scope() as session:
        assert session.scalars(select(ReviewCorrection)).all() == []
    assert yaml.safe_load(client.get("/admin/review/export.yml").text)["nlu"] == []
