"""Union units: the tree Tổng LĐLĐ → provincial/sector unions → upper-direct → grassroots.

The four levels: Tổng LĐLĐ → LĐLĐ tỉnh/thành or Công đoàn ngành → công đoàn cấp trên trực
tiếp cơ sở → công đoàn cơ sở.

Lives here: the table only, with a materialised ``path`` ("/1/5/9/", ids from the root down to
the unit itself) so a subtree is one ``LIKE '/1/5/%'`` query. Must not hold import or scope
logic (see services/unit_import.py and services/scope.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.app.models.base import Base, utcnow

LEVEL_CENTRAL = 1
LEVEL_PROVINCE_OR_SECTOR = 2
LEVEL_DIRECT_UPPER = 3
LEVEL_GRASSROOTS = 4
LEVELS = (LEVEL_CENTRAL, LEVEL_PROVINCE_OR_SECTOR, LEVEL_DIRECT_UPPER, LEVEL_GRASSROOTS)


class Unit(Base):
    """One union unit; ``level`` 1 (Tổng LĐLĐ) to 4 (công đoàn cơ sở)."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    level: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True, default=None)
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
