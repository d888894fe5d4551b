"""Rasa stores (tracker store, event broker) tuned for the embedded SQLite default."""
