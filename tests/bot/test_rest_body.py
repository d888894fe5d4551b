"""The REST channel's body validation: what is accepted and what is refused with a reason."""

from __future__ import annotations

import pytest

from bot.channels.rest import RestRequestError, parse_rest_body


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"sender": "a", "message": "xin chao"}', ("a", "xin chao", None)),
        (b'{"sender": 42, "message": "hi"}', ("42", "hi", None)),
        ('{"sender": "a", "message": "lương"}'.encode(), ("a", "lương", None)),
        (b'{"sender": "a", "message": "x", "metadata": {"k": 1}}', ("a", "x", {"k": 1})),
    ],
)
def test_parse_rest_body_accepts_valid_requests(raw: bytes, expected: tuple) -> None:
    assert parse_rest_body(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{", "not valid JSON"),
        (b"[]", "JSON object"),
        (b"null", "JSON object"),
        (b'{"message": "x"}', "sender"),
        (b'{"sender": true, "message": "x"}', "sender"),
        (b'{"sender": "a"}', "message"),
        (b'{"sender": "a", "message": ""}', "message"),
        (b'{"sender": "a", "message": ["x"]}', "message"),
        (b'{"sender": "a", "message": "x", "metadata": []}', "metadata"),
        (('{"sender": "a", "message": "' + "x" * 4001 + '"}').encode(), "longer"),
        (('{"sender": "' + "s" * 129 + '", "message": "x"}').encode(), "longer"),
    ],
)
def test_parse_rest_body_refuses_malformed_requests(raw: bytes, reason: str) -> None:
    with pytest.raises(RestRequestError, match=reason):
        parse_rest_body(raw)
