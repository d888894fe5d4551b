"""Rasa-side package: Vietnamese NLU helpers, the channel connectors and Rasa's stores.

Must not import the backend (it runs on another Python); the two sides meet over HTTP only.
Importing it inside a running Rasa process installs bot/rasa_runtime.py's cached validator
(Rasa loads our components, channels and stores, so it always runs there); elsewhere
(the backend's virtual environment, the simulators) it does nothing.
"""

import sys

if "rasa.core" in sys.modules:
    from bot.rasa_runtime import install_cached_action_validator

    install_cached_action_validator()
