"""Checks on the NLU training data and held-out evaluation sets."""
