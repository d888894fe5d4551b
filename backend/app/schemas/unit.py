"""Schemas of union units by role: create, update, public, the list envelope, import errors."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UnitBase(BaseModel):
    """Fields of a unit an admin types."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")
    name: str = Field(min_length=1, max_length=255)
    parent_id: int | None = None


class UnitCreate(UnitBase):
    """A new unit; its level follows from its parent unless given."""

    model_config = ConfigDict(extra="forbid")

    level: int | None = Field(default=None, ge=1, le=4)


class UnitUpdate(UnitCreate):
    """New values for an existing unit (all fields are set again)."""


class UnitPublic(UnitBase):
    """A stored unit."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    level: int
    path: str


class UnitsPublic(BaseModel):
    """A page of units."""

    data: list[UnitPublic]
    count: int


class ImportProblem(BaseModel):
    """One reason an import file was refused: where (sheet, line), what kind, which value."""

    line: int
    kind: str
    value: str = ""
    sheet: str | None = None
