"""Test suites: bot/ and actions/ (Rasa venv), backend/ (backend venv), e2e/ (whole stack over HTTP)."""
