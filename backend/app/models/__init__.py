"""ORM models (SQLAlchemy 2 typed mapping), one module per aggregate.

Importing this package registers every table on ``Base.metadata`` (Alembic relies on it).
"""

from backend.app.models.audit import AuditLog
from backend.app.models.base import Base
from backend.app.models.campaign import Campaign, CampaignDelivery
from backend.app.models.conversation import Conversation, EventCursor, Message, ReviewCorrection  # noqa: F401
from backend.app.models.handoff import HandoffRequest
from backend.app.models.member import Member  # noqa: F401
from backend.app.models.staff import LoginFailure, Staff, StaffSession
from backend.app.models.survey import Survey, SurveyAnswer, SurveyIngestKey, SurveyResponse
from backend.app.models.unit import Unit

__all__ = [
    "Campaign",
    "CampaignDelivery",
    "AuditLog",
    "Base",
    "HandoffRequest",
    "LoginFailure",
    "Staff",
    "StaffSession",
    "Survey",
    "SurveyAnswer",
    "SurveyIngestKey",
    "SurveyResponse",
    "Unit",
]
