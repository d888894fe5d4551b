"""ORM models (SQLAlchemy 2 typed mapping), one module per aggregate.

Importing this package registers every table on ``Base.metadata`` (Alembic relies on it).
"""

from backend.app.models.base import Base
from backend.app.models.handoff import HandoffRequest

__all__ = ["Base", "HandoffRequest"]
