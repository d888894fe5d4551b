"""Every endpoint that reveals or changes data refuses an anonymous caller (walks the OpenAPI).

Refusing means 401/403, or for HTML pages a 303 redirect to /login (nothing rendered).
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PUBLIC = {
    ("get", "/healthz"),
    ("get", "/login"),
    ("get", "/chat"),
    ("get", "/chat/messages"),
    ("get", "/i/{token}"),  # survey invitation links (QR codes): public by design
}


def test_every_non_public_endpoint_refuses_anonymous(client: TestClient) -> None:
    client.cookies.clear()
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method in operations:
            if (method, path) in PUBLIC:
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            reply = client.request(
                method.upper(),
                concrete,
                json={},
                headers={"Idempotency-Key": "anonymous-probe"},
                follow_redirects=False,
            )
            redirected_to_login = reply.status_code == 303 and reply.headers["location"].startswith("/login")
            assert reply.status_code in (401, 403) or redirected_to_login, (
                f"{method.upper()} {path} -> {reply.status_code}"
            )
            checked += 1
    assert checked >= 10


def test_api_routes_answer_401_not_redirect(client: TestClient) -> None:
    client.cookies.clear()
    for path in ("/api/units", "/api/staff/me", "/api/staff"):
        assert client.get(path, follow_redirects=False).status_code == 401
