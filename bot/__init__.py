"""Rasa-side package: Vietnamese NLU helpers and the Zalo/Messenger channel connectors.

Must not import the backend (it runs on another Python); the two sides meet over HTTP only.
"""
