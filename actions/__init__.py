"""Action server package (rasa_sdk): answers from the knowledge base, calculators, handoff.

Import is registration: modules here define actions and helpers only, with no side effects.
"""
