"""Tests of the Rasa-side package bot/: normaliser, entity extractor, channels."""
