"""Backend tests: the FastAPI app against a real database (SQLite or PostgreSQL)."""
