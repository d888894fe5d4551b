"""In a real browser: an admin previews a survey push (reasons per channel), creates it, a real
dispatcher sends it through the simulated platforms, the progress page shows the result, and a
worker opens the unit's public invitation page. Screenshots go to var/screenshots/campaign_*.png.

Members are written into the live backend's database through the real ingestion service.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import sessionmaker

from backend.app.models.campaign import Campaign
from backend.app.models.conversation import Conversation, Message
from backend.app.models.member import Member
from backend.app.models.survey import Survey
from backend.app.models.unit import Unit
from backend.app.schemas.unit import UnitCreate
from backend.app.services.campaign_invitations import invitation_token
from backend.app.services.event_ingest import assign_member_unit, ingest_event
from backend.app.services.units import create_unit
from tests.backend.browser.conftest import LiveBackend
from tests.backend.campaign_world import DispatcherThread, Platforms, dispatcher_config
from tests.platforms.fake_messenger import FakeMessenger
from tests.platforms.fake_zalo import FakeZalo


@pytest.fixture()
def seeded(live_backend: LiveBackend):  # type: ignore[no-untyped-def]
    """A province with two grassroots units, an open survey and members on every channel."""
    tag = uuid.uuid4().hex[:6].upper()
    engine = create_engine(live_backend.database_url, connect_args={"timeout": 30})
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    people: list[tuple[str, str, float | None]] = []
    with factory() as session, session.begin():
        province = create_unit(
            session=session, unit_create=UnitCreate(code=f"LD{tag}", name="LĐLĐ tỉnh Bình Dương"), actor=None
        )
        units = [
            create_unit(
                session=session,
                unit_create=UnitCreate(code=f"CS{tag}{index}", name=name, parent_id=province.id),
                actor=None,
            )
            for index, name in enumerate(
                ("Công đoàn cơ sở Công ty May Sông Bé", "Công đoàn cơ sở Gốm Minh Long")
            )
        ]
        slug = f"ks_{tag.lower()}"
        session.add(
            Survey(
                slug=slug,
                title="Khảo sát đời sống, việc làm đầu năm 2027",
                status="open",
                definition={"id": slug},
                compiled={"id": slug, "questions": []},
                target_unit_codes=[],
            )
        )
        for index in range(40):
            people.append(("messenger", f"p{tag}{index}", 2.0 if index < 30 else 30.0))
        for index in range(20):
            people.append(("zalo", f"z{tag}{index}", 60.0 if index < 16 else 24 * 9))
        people += [("rest", f"w{tag}{index}", 1.0) for index in range(5)]
        people += [("zalo", f"n{tag}{index}", None) for index in range(3)]
        member_ids = []
        for position, (channel, sender, hours) in enumerate(people):
            member = assign_member_unit(
                session, channel=channel, sender_id=sender, unit_id=units[position % 2].id
            )
            member_ids.append(member.id)
            if hours is not None:
                ingest_event(
                    session,
                    {
                        "event": "user",
                        "sender_id": sender,
                        "text": "xin chào",
                        "timestamp": time.time() - hours * 3600,
                        "input_channel": channel,
                        "parse_data": {"intent": {"name": "greet", "confidence": 0.97}},
                    },
                )
    yield {"factory": factory, "province": province, "units": units, "slug": slug, "people": people}
    # The live backend is shared by the browser tests: leave its database as it was.
    senders = [sender for _, sender, _ in people]
    with factory() as session, session.begin():
        survey_id = session.scalar(select(Survey.id).where(Survey.slug == slug))
        session.execute(delete(Campaign).where(Campaign.survey_id == survey_id))
        conversations = select(Conversation.id).where(Conversation.sender_id.in_(senders))
        session.execute(delete(Message).where(Message.conversation_id.in_(conversations)))
        session.execute(delete(Conversation).where(Conversation.sender_id.in_(senders)))
        session.execute(delete(Member).where(Member.id.in_(member_ids)))
        session.execute(delete(Survey).where(Survey.id == survey_id))
        session.execute(delete(Unit).where(Unit.id.in_([unit.id for unit in units])))
        session.execute(delete(Unit).where(Unit.id == province.id))
    engine.dispose()


def test_campaign_browser_preview_send_progress_invitation(  # type: ignore[no-untyped-def]
    live_backend: LiveBackend, page, screenshot_dir: Path, seeded
) -> None:
    zalo, messenger = FakeZalo(), FakeMessenger()
    zalo.start()
    messenger.start()
    try:
        for channel, sender, hours in seeded["people"]:
            if channel == "zalo" and hours is not None:
                zalo.register_users([sender], hours)
            elif channel == "messenger" and hours is not None:
                messenger.register_users([sender], hours)
        access, _ = zalo.issue_tokens()
        platforms = Platforms(zalo, messenger, access)

        page.goto(f"{live_backend.url}/login")
        page.fill("#email", live_backend.admin_email)
        page.fill("#password", live_backend.admin_password)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/admin")
        page.click("nav.main >> text=Gửi tin")
        page.click("text=Tạo đợt gửi")
        page.fill("#title", "Khảo sát đầu năm 2027 — LĐLĐ Bình Dương")
        page.select_option("#survey", seeded["slug"])
        page.select_option("#unit_ids", [str(seeded["province"].id)])
        page.click("button[value=preview]")
        page.wait_for_selector("#preview")
        assert page.inner_text("#preview-messenger .reachable") == "30"
        assert page.inner_text("#preview-zalo .reachable") == "16"
        assert "Ngoài khung thời gian nhắn tin" in page.inner_text("#preview-messenger")
        page.screenshot(path=str(screenshot_dir / "campaign_preview.png"), full_page=True)

        page.click("#create")
        page.wait_for_selector("#stats")
        with seeded["factory"]() as session:
            campaign_id = session.scalars(select(Campaign.id).order_by(Campaign.id.desc())).first()
        thread = DispatcherThread(dispatcher_config(platforms), session_factory=seeded["factory"])
        thread.start(exit_when_idle=True).join(60)
        assert len(messenger.delivery_counts()) == 30 and len(zalo.delivery_counts()) == 16
        assert messenger.duplicates() == {} and zalo.duplicates() == {}

        page.goto(f"{live_backend.url}/admin/campaigns/{campaign_id}")
        assert page.inner_text("[data-status=sent] b") == "46"
        assert "Hoàn tất" in page.inner_text("h1")
        page.screenshot(path=str(screenshot_dir / "campaign_progress.png"), full_page=True)

        page.goto(f"{live_backend.url}/admin/campaigns/invitations?survey={seeded['slug']}")
        page.screenshot(path=str(screenshot_dir / "campaign_invitations.png"), full_page=True)
        unit_code = seeded["units"][0].code
        qr = page.request.get(
            f"{live_backend.url}/admin/campaigns/invitations/{seeded['slug']}/{unit_code}/qr.png"
        )
        assert qr.ok and qr.body().startswith(b"\x89PNG")

        page.context.clear_cookies()
        page.goto(f"{live_backend.url}/i/{invitation_token(seeded['slug'], unit_code)}")
        assert "Công ty May Sông Bé" in page.inner_text("main")
        assert page.get_attribute("#link-web", "href").endswith(f"/chat?ref=ks.{seeded['slug']}.{unit_code}")
        page.set_viewport_size({"width": 400, "height": 800})  # a worker's phone
        page.screenshot(path=str(screenshot_dir / "campaign_invitation_page.png"), full_page=True)
    finally:
        zalo.stop()
        messenger.stop()
