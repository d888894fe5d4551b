"""Every endpoint that reveals or changes data refuses an anonymous caller (walks the OpenAPI)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

PUBLIC = {("get", "/healthz")}


def test_every_non_public_endpoint_refuses_anonymous(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        for method in operations:
            if (method, path) in PUBLIC:
                continue
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            reply = client.request(
                method.upper(), concrete, json={}, headers={"Idempotency-Key": "anonymous-probe"}
            )
            assert reply.status_code in (401, 403), (
                f"{method.upper()} {path} -> {reply.status_code}"
            )
            checked += 1
    assert checked >= 1
