"""Pydantic schemas by role (Create/Public/...), kept apart from the ORM models."""
