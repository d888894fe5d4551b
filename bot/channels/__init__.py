"""Zalo OA and Facebook Messenger connectors for the Rasa server.

Lives here: the Rasa input/output channels (``zalo.ZaloInput``, ``messenger.MessengerInput``)
and the small pure or platform-only modules they are built from (signatures, webhook parsing,
text splitting, button rendering, HTTP sending with retries, durable channel state).
Must not import anything at package import time: the pure modules are also used from the
backend's Python (tests, benchmarks), which has no Rasa installed.
"""
