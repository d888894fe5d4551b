"""Vietnamese NLU toolkit: text normalisation, rule-based entities and their Rasa adapters.

``normalize`` and ``entities`` are pure (no Rasa imports), so they can be tested and reused
without a trained model; only ``components`` talks to Rasa's graph API.
"""
