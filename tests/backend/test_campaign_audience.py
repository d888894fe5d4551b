"""Who a campaign reaches: unit subtrees, channels, windows, reasons, one outbox row per member."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from backend.app.core.db import session_scope
from backend.app.models.survey import SurveyResponse
from backend.app.services.campaign_audience import Audience, preview_audience, queue_audience
from tests.backend.campaign_world import add_member, add_survey, delivery_rows, start_campaign_now
from tests.backend.factories import create_unit_tree


def _preview(audience: Audience):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return preview_audience(session=session, audience=audience, now=datetime.now(UTC))


def test_campaign_audience_preview_counts_reasons_per_channel() -> None:
    tree = create_unit_tree()
    survey_id = add_survey()
    add_member("messenger", "p-fresh", tree.grassroots_a, hours_ago=2)
    add_member("messenger", "p-old", tree.grassroots_a, hours_ago=30)  # outside 24 h
    add_member("zalo", "z-fresh", tree.district_a, hours_ago=5)
    add_member("zalo", "z-billable", tree.grassroots_a, hours_ago=72)  # 48 h–7 d: billable
    add_member("zalo", "z-old", tree.grassroots_a, hours_ago=24 * 8)  # outside 7 days
    add_member("zalo", "z-never", tree.grassroots_a, hours_ago=None)  # no chat: no platform id
    add_member("rest", "web-1", tree.grassroots_a, hours_ago=1)  # web chat: no push
    add_member("messenger", "p-other-tree", tree.grassroots_b, hours_ago=1)  # outside the subtree
    done = add_member("messenger", "p-done", tree.grassroots_a, hours_ago=1)
    with session_scope() as session:
        session.add(SurveyResponse(survey_id=survey_id, member_id=done, status="completed"))

    preview = _preview(Audience([tree.province_a], ["zalo", "messenger"], survey_id))
    by_channel = {channel.channel: channel for channel in preview.channels}
    assert [channel.channel for channel in preview.channels][:2] == ["zalo", "messenger"]
    assert by_channel["messenger"].reachable == 1
    assert by_channel["messenger"].not_reachable == {"outside_window": 1, "survey_completed": 1}
    assert by_channel["zalo"].reachable == 2
    assert by_channel["zalo"].billable == 1
    assert by_channel["zalo"].not_reachable == {"outside_window": 1, "no_platform_id": 1}
    assert by_channel["rest"].not_reachable == {"no_push_channel": 1}
    assert preview.total == 8 and preview.reachable == 3


def test_campaign_audience_unselected_channel_is_a_reason() -> None:
    tree = create_unit_tree()
    add_member("zalo", "z1", tree.grassroots_b, hours_ago=1)
    add_member("messenger", "p1", tree.grassroots_b, hours_ago=1)
    preview = _preview(Audience([tree.province_b], ["messenger"]))
    by_channel = {channel.channel: channel for channel in preview.channels}
    assert by_channel["zalo"].reachable == 0
    assert by_channel["zalo"].not_reachable == {"channel_not_selected": 1}
    assert by_channel["messenger"].reachable == 1


def test_campaign_audience_queue_writes_one_row_per_member_once() -> None:
    tree = create_unit_tree()
    add_survey()
    for index in range(5):
        add_member("messenger", f"p{index}", tree.grassroots_a, hours_ago=1)
    add_member("messenger", "p-old", tree.grassroots_a, hours_ago=40)
    campaign_id = start_campaign_now([tree.province_a, tree.grassroots_a])  # overlapping subtrees
    rows = delivery_rows(campaign_id)
    assert len(rows) == 6 == len({row.member_id for row in rows})
    assert sorted(row.status for row in rows) == ["queued"] * 5 + ["skipped"]
    assert {row.recipient_id for row in rows if row.status == "queued"} == {f"p{i}" for i in range(5)}
    with pytest.raises(IntegrityError), session_scope() as session:
        queue_audience(
            session=session,
            campaign_id=campaign_id,
            audience=Audience([tree.province_a], ["messenger"]),
            now=datetime.now(UTC),
        )
    assert len(delivery_rows(campaign_id)) == 6
