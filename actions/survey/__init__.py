"""The survey in the chat: definitions from the backend, answers, the form loop, its actions.

Modules: ``definitions`` (fetching and caching compiled definitions), ``expressions``
(relevant/constraint evaluation), ``answers`` (reading a typed answer), ``engine`` (the pure
progress state machine), ``render`` (what the worker sees) and ``actions`` (the rasa_sdk
actions). Import is registration: no module here has side effects beyond definitions.
"""
