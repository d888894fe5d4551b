"""The FastAPI application: settings, database, routes, models, schemas and services."""
