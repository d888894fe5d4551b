"""Background workers of the backend (the Rasa event poller); no HTTP here."""
