"""Cross-cutting pieces of the backend: settings, database engine and sessions."""
