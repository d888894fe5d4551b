"""Simulated Zalo OA and Messenger platforms (loopback ASGI servers) and the Rasa launcher.

Lives here: test infrastructure run in the backend venv (Python 3.11, Starlette, uvicorn).
Must not import the bot's code: the simulators follow the platforms' documents
(/work/shared/platforms), never our connectors.
"""
