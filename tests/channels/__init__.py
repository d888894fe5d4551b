"""Tests of the Zalo and Messenger channels: units (Rasa venv) and end to end (backend venv)."""
