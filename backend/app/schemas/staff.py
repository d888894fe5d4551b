"""Schemas of staff accounts by role: create, update, public, and the list envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PASSWORD_MIN_LENGTH = 10
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class StaffBase(BaseModel):
    """Fields an admin sets on an account."""

    full_name: str = Field(default="", max_length=200)
    role: Literal["admin", "staff"] = "staff"
    unit_id: int | None = None


class StaffCreate(StaffBase):
    """A new account; the email is stored lower-case."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=200)

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str) -> str:
        return value.strip().lower()


class StaffUpdate(BaseModel):
    """Changes to an account; None leaves a field as it is."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=200)
    role: Literal["admin", "staff"] | None = None
    unit_id: int | None = None
    clear_unit: bool = False
    is_active: bool | None = None


class StaffPublic(StaffBase):
    """An account as shown to admins (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    is_active: bool
    created_at: datetime


class StaffsPublic(BaseModel):
    """A page of accounts."""

    data: list[StaffPublic]
    count: int
